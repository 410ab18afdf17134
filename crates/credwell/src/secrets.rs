//! Getting secrets from the user: the vault passphrase (a file named by
//! `CREDWELL_PASSPHRASE_FILE`, or a prompt with no echo), passwords (stdin or a prompt) and a
//! KeePass database's key to import it (its password from a file named by
//! `--password-file` or `CREDWELL_KDBX_PASSWORD_FILE`, or a prompt; its key file). Every secret
//! is held in a zeroizing buffer.

use std::io::{BufRead, IsTerminal};
use std::path::Path;

use anyhow::{Context, Result, bail};
use credwell_core::Password;
use credwell_formats::KdbxKey;
use zeroize::Zeroizing;

use crate::input;

/// The environment variable naming a file that holds the vault passphrase.
pub(crate) const PASSPHRASE_FILE_ENV: &str = "CREDWELL_PASSPHRASE_FILE";

/// The environment variable naming a file that holds the password of a KeePass database to
/// import (`credwell import kdbx`).
pub(crate) const KDBX_PASSWORD_FILE_ENV: &str = "CREDWELL_KDBX_PASSWORD_FILE";

/// `credwell import kdbx`'s option naming the database's password file, as errors name it.
const PASSWORD_FILE: &str = "--password-file";

/// The largest key file of a KeePass database credwell reads: KeePass's own are under a
/// kilobyte, and any file can be one (its SHA-256 is the key).
const MAX_KEY_FILE_BYTES: u64 = 1 << 20;

/// A passphrase, zeroized when dropped.
pub(crate) type Passphrase = Zeroizing<String>;

/// Strips one trailing line ending (`\n` or `\r\n`), in place.
fn strip_newline(text: &mut String) {
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
}

/// Reads a passphrase from a file (`-`: stdin, for `option`), trailing newline stripped.
pub(crate) fn passphrase_from_file(path: &Path, option: &str) -> Result<Passphrase> {
    secret_from_file(path, option, "passphrase")
}

/// Reads a secret (`what`: "passphrase", "password") from a file (`-`: stdin, for `option`),
/// trailing newline stripped.
fn secret_from_file(path: &Path, option: &str, what: &str) -> Result<Passphrase> {
    let text = secret_or_nothing_from_file(path, option, what)?;
    if text.is_empty() {
        bail!("the {what} file {} is empty", input::name(path));
    }
    Ok(text)
}

/// The secret a file (`-`: stdin, for `option`) holds, its one trailing newline dropped;
/// possibly empty.
fn secret_or_nothing_from_file(path: &Path, option: &str, what: &str) -> Result<Passphrase> {
    let mut text = input::read_text(path, option, what)?;
    strip_newline(&mut text);
    Ok(text)
}

/// The file named by `CREDWELL_PASSPHRASE_FILE`, if set.
pub(crate) fn passphrase_file_from_env() -> Option<std::path::PathBuf> {
    std::env::var_os(PASSPHRASE_FILE_ENV)
        .filter(|v| !v.is_empty())
        .map(Into::into)
}

/// Asks for a secret on the terminal without echo.
fn prompt(question: &str) -> Result<Zeroizing<String>> {
    ask(question, PASSPHRASE_FILE_ENV, "passphrase")
}

/// Asks for a secret on the terminal without echo; without a terminal, the error names the
/// variable `env` that names a file holding the secret (`what`).
fn ask(question: &str, env: &str, what: &str) -> Result<Zeroizing<String>> {
    rpassword::prompt_password(question)
        .map(Zeroizing::new)
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot ask on the terminal ({e}); set {env} to a file that holds the {what}"
            )
        })
}

/// The key of a KeePass database to import: its key file's bytes when `key_file` is given, and
/// its password from `password_file` (`--password-file`, or the file `CREDWELL_KDBX_PASSWORD_FILE`
/// names), else asked once on the terminal. With a key file, an empty answer or an empty
/// password file (`--password-file /dev/null`, for scripts without a terminal) means the
/// database has no password.
pub(crate) fn kdbx_key(password_file: Option<&Path>, key_file: Option<&Path>) -> Result<KdbxKey> {
    let key_file = match key_file {
        Some(path) => Some(read_key_file(path)?),
        None => None,
    };
    let password = match password_file {
        Some(path) if key_file.is_some() => Some(secret_or_nothing_from_file(
            path,
            PASSWORD_FILE,
            "password",
        )?)
        .filter(|p| !p.is_empty()),
        Some(path) => Some(secret_from_file(path, PASSWORD_FILE, "password")?),
        None => {
            let answer = ask(
                "KeePass database password: ",
                KDBX_PASSWORD_FILE_ENV,
                "KeePass database's password",
            )?;
            if answer.is_empty() && key_file.is_none() {
                bail!("the password is empty (a database opened by a key file alone: --key-file)");
            }
            Some(answer).filter(|a| !a.is_empty())
        }
    };
    Ok(KdbxKey::new(password, key_file))
}

/// A KeePass key file's bytes (`-`: stdin), bounded by [`MAX_KEY_FILE_BYTES`].
fn read_key_file(path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    let name = input::name(path);
    let cannot = |e: &std::io::Error| format!("cannot read the key file {name}: {e}");
    let bytes = input::read_bytes(path, "--key-file", MAX_KEY_FILE_BYTES, &cannot)?;
    if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
        bail!("the key file {name} is larger than 1 MiB, the most credwell reads as a key file");
    }
    Ok(bytes)
}

/// The passphrase that unlocks an existing vault.
pub(crate) fn unlock_passphrase() -> Result<Passphrase> {
    let file = passphrase_file_from_env();
    existing_passphrase(file.as_deref(), PASSPHRASE_FILE_ENV, "Vault passphrase").map_err(|e| {
        match file {
            Some(_) => e,
            None => e.context("the vault is locked (no agent: `credwell unlock` starts one)"),
        }
    })
}

/// An existing passphrase: from `file` (`-`: stdin, for `option`) when given, else asked once
/// on the terminal.
pub(crate) fn existing_passphrase(
    file: Option<&Path>,
    option: &str,
    what: &str,
) -> Result<Passphrase> {
    if let Some(path) = file {
        return passphrase_from_file(path, option);
    }
    let passphrase = prompt(&format!("{what}: "))?;
    if passphrase.is_empty() {
        bail!("the passphrase is empty");
    }
    Ok(passphrase)
}

/// A new passphrase: from `file` (`-`: stdin, for `option`) when given, else asked twice on
/// the terminal.
pub(crate) fn new_passphrase(file: Option<&Path>, option: &str, what: &str) -> Result<Passphrase> {
    if let Some(path) = file {
        return passphrase_from_file(path, option);
    }
    let first = prompt(&format!("{what}: "))?;
    if first.is_empty() {
        bail!("the passphrase is empty");
    }
    let second = prompt(&format!("{what} (again): "))?;
    if first != second {
        bail!("the two passphrases differ");
    }
    Ok(first)
}

/// A password for a credential: the first line of stdin with `from_stdin`, else asked twice on
/// the terminal.
pub(crate) fn new_password(from_stdin: bool, what: &str) -> Result<Password> {
    if from_stdin {
        input::take_stdin("--password-stdin")?;
        let mut line = Zeroizing::new(String::new());
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from stdin")?;
        strip_newline(&mut line);
        if line.is_empty() {
            bail!("the password read from stdin is empty");
        }
        return Ok(Password::new(std::mem::take(&mut *line)));
    }
    if !std::io::stdin().is_terminal() {
        bail!("no password given: pass --password-stdin and write it to stdin");
    }
    let mut first = prompt(&format!("{what}: "))?;
    if first.is_empty() {
        bail!("the password is empty");
    }
    let second = prompt(&format!("{what} (again): "))?;
    if first != second {
        bail!("the two passwords differ");
    }
    Ok(Password::new(std::mem::take(&mut *first)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_trailing_newline_is_stripped() {
        for (input, want) in [
            ("pw\n", "pw"),
            ("pw\r\n", "pw"),
            ("pw", "pw"),
            ("pw\n\n", "pw\n"),
            (" pw ", " pw "),
        ] {
            let mut s = input.to_owned();
            strip_newline(&mut s);
            assert_eq!(s, want, "{input:?}");
        }
    }

    #[test]
    fn passphrase_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pass");
        std::fs::write(&path, "correct horse\n").unwrap();
        assert_eq!(
            passphrase_from_file(&path, PASSPHRASE_FILE_ENV)
                .unwrap()
                .as_str(),
            "correct horse"
        );
        std::fs::write(&path, "\n").unwrap();
        assert!(
            passphrase_from_file(&path, PASSPHRASE_FILE_ENV)
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
        let missing =
            passphrase_from_file(&dir.path().join("nope"), PASSPHRASE_FILE_ENV).unwrap_err();
        assert!(missing.to_string().contains("cannot read"));
    }

    #[test]
    fn kdbx_keys_from_a_password_file_and_a_key_file() {
        let dir = tempfile::tempdir().unwrap();
        let password = dir.path().join("pw");
        std::fs::write(&password, "kdbx pw\n").unwrap();
        let key_file = dir.path().join("key");
        std::fs::write(&key_file, b"\x00key bytes").unwrap();
        let key = kdbx_key(Some(&password), Some(&key_file)).unwrap();
        assert_eq!(key.password(), Some("kdbx pw"));
        assert_eq!(key.key_file(), Some(b"\x00key bytes".as_slice()));
        std::fs::write(&password, "").unwrap();
        let empty = kdbx_key(Some(&password), None).unwrap_err().to_string();
        assert!(
            empty.contains("the password file") && empty.contains("is empty"),
            "{empty}"
        );
        // With a key file, an empty password file means no password (a key-file-only
        // database, opened without a terminal).
        for nothing in ["", "\n"] {
            std::fs::write(&password, nothing).unwrap();
            let key = kdbx_key(Some(&password), Some(&key_file)).unwrap();
            assert_eq!(key.password(), None);
            assert_eq!(key.key_file(), Some(b"\x00key bytes".as_slice()));
        }
        std::fs::write(&password, "kdbx pw\n").unwrap();
        let missing = kdbx_key(Some(&password), Some(&dir.path().join("nope")));
        let missing = missing.unwrap_err().to_string();
        assert!(missing.contains("cannot read the key file"), "{missing}");
        std::fs::write(&key_file, vec![0; (MAX_KEY_FILE_BYTES + 1) as usize]).unwrap();
        let large = kdbx_key(Some(&password), Some(&key_file))
            .unwrap_err()
            .to_string();
        assert!(large.contains("larger than 1 MiB"), "{large}");
    }
}
