//! FILE arguments read whole, `-` meaning stdin (a file named `-` is `./-`): the import's FILE,
//! secrets' files (`--password-file`, `--key-file`, `--new-passphrase-file`,
//! `CREDWELL_PASSPHRASE_FILE`, ...), notes and TOTP secrets. Stdin can be read once: the first
//! option to read it takes it, and a second is refused naming both, before it reads anything.

use std::io::Read;
use std::path::Path;
use std::sync::Mutex;

use anyhow::{Result, bail};
use zeroize::Zeroizing;

/// The bytes a buffer for stdin holds before it grows.
const STDIN_ROOM: u64 = 64 * 1024;

/// The option that read stdin, once one has: a process reads stdin for one option only.
static STDIN_READER: Mutex<Option<String>> = Mutex::new(None);

/// Whether a FILE argument is `-`.
pub(crate) fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// A FILE argument as messages name it: `stdin` for `-`.
pub(crate) fn name(path: &Path) -> String {
    if is_stdin(path) {
        "stdin".to_owned()
    } else {
        path.display().to_string()
    }
}

/// The error for two options (`first`, `second`, as the user wrote them) that both read stdin.
fn both_read_stdin(first: &str, second: &str) -> anyhow::Error {
    anyhow::anyhow!("{first} and {second} both read stdin (-): only one can; give the other a file")
}

/// Refuses before anything is read when more than one of `readers` (an option as the user wrote
/// it, and whether it reads stdin) does.
pub(crate) fn one_stdin_reader(readers: &[(&str, bool)]) -> Result<()> {
    let mut reading = readers.iter().filter(|(_, reads)| *reads);
    if let (Some((first, _)), Some((second, _))) = (reading.next(), reading.next()) {
        return Err(both_read_stdin(first, second));
    }
    Ok(())
}

/// Takes stdin for `option`, refused when another option took it. A command takes it early for
/// an option it reads later (`--password-stdin`, read once the vault is open), so that the
/// vault's passphrase (`CREDWELL_PASSPHRASE_FILE=-`) is refused before it is read.
pub(crate) fn take_stdin(option: &str) -> Result<()> {
    let mut reader = STDIN_READER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match reader.as_deref() {
        Some(first) if first == option => Ok(()),
        Some(first) => Err(both_read_stdin(first, option)),
        None => {
            *reader = Some(option.to_owned());
            Ok(())
        }
    }
}

/// The bytes of `path` (`-`: stdin, for `option`), at most `limit` and one more: a caller finds
/// a file too large by its length. `cannot` says a read error as the caller names the file.
///
/// A file is read into a buffer made as large as the file at once: a buffer that grows copies
/// what it holds at each step and frees the old copies without wiping them. Stdin's size is not
/// known beforehand: its buffer starts with room for any secret.
pub(crate) fn read_bytes(
    path: &Path,
    option: &str,
    limit: u64,
    cannot: &dyn Fn(&std::io::Error) -> String,
) -> Result<Zeroizing<Vec<u8>>> {
    let mut bytes = Zeroizing::new(Vec::new());
    let read = if is_stdin(path) {
        take_stdin(option)?;
        // Room for any secret (a passphrase, a key file) from the start: a buffer that grows
        // leaves the copies it outgrew unwiped.
        bytes.reserve_exact(usize::try_from(limit.min(STDIN_ROOM)).unwrap_or(0));
        (std::io::stdin().lock())
            .take(limit.saturating_add(1))
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|file| {
            // One byte more than the file: read_to_end's last read, which finds the end, then
            // needs no more room.
            let size = file.metadata().map_or(0, |m| m.len()).min(limit);
            bytes.reserve_exact(usize::try_from(size).unwrap_or(0).saturating_add(1));
            file.take(limit.saturating_add(1)).read_to_end(&mut bytes)
        })
    };
    read.map_err(|e| anyhow::anyhow!(cannot(&e)))?;
    Ok(bytes)
}

/// The text of `path` (`-`: stdin, for `option`), in a zeroizing buffer; `what` names it in
/// errors ("passphrase", "note").
pub(crate) fn read_text(path: &Path, option: &str, what: &str) -> Result<Zeroizing<String>> {
    let cannot = |e: &std::io::Error| {
        if is_stdin(path) {
            format!("cannot read the {what} from stdin: {e}")
        } else {
            format!("cannot read the {what} file {}: {e}", name(path))
        }
    };
    let mut bytes = read_bytes(path, option, u64::MAX, &cannot)?;
    match String::from_utf8(std::mem::take(&mut *bytes)) {
        Ok(text) => Ok(Zeroizing::new(text)),
        Err(e) => {
            // The bytes are a secret still: wiped when dropped.
            drop(Zeroizing::new(e.into_bytes()));
            bail!("the {what} read from {} is not UTF-8 text", name(path))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_options_reading_stdin_are_named_both() {
        assert!(one_stdin_reader(&[("FILE", false), ("--key-file", true)]).is_ok());
        let err = one_stdin_reader(&[
            ("FILE", true),
            ("--key-file", false),
            ("--password-file", true),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("FILE and --password-file both read stdin"),
            "{err}"
        );
    }

    #[test]
    fn files_are_read_whole_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "pass\u{e9}\n").unwrap();
        let text = read_text(&path, "--f", "secret").unwrap();
        assert_eq!(text.as_str(), "pass\u{e9}\n");
        let bytes = read_bytes(&path, "--f", 2, &|e| e.to_string()).unwrap();
        assert_eq!(
            bytes.len(),
            3,
            "one byte past the limit shows it was passed"
        );
        std::fs::write(&path, b"\xff\xfe").unwrap();
        let err = read_text(&path, "--f", "secret").unwrap_err().to_string();
        assert!(err.contains("not UTF-8"), "{err}");
        let err = read_text(&dir.path().join("none"), "--f", "secret").unwrap_err();
        assert!(
            err.to_string().contains("cannot read the secret file"),
            "{err}"
        );
    }
}
