//! Getting secrets from the user: the vault passphrase (a file named by
//! `CREDWELL_PASSPHRASE_FILE`, or a prompt with no echo) and passwords (stdin or a prompt).
//! Every secret is held in a zeroizing buffer.

use std::io::{BufRead, IsTerminal};
use std::path::Path;

use anyhow::{Context, Result, bail};
use credwell_core::Password;
use zeroize::Zeroizing;

/// The environment variable naming a file that holds the vault passphrase.
pub(crate) const PASSPHRASE_FILE_ENV: &str = "CREDWELL_PASSPHRASE_FILE";

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

/// Reads a passphrase from a file, trailing newline stripped.
pub(crate) fn passphrase_from_file(path: &Path) -> Result<Passphrase> {
    let mut text = Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the passphrase file {}", path.display()))?,
    );
    strip_newline(&mut text);
    if text.is_empty() {
        bail!("the passphrase file {} is empty", path.display());
    }
    Ok(text)
}

/// The file named by `CREDWELL_PASSPHRASE_FILE`, if set.
fn passphrase_file_from_env() -> Option<std::path::PathBuf> {
    std::env::var_os(PASSPHRASE_FILE_ENV)
        .filter(|v| !v.is_empty())
        .map(Into::into)
}

/// Asks for a secret on the terminal without echo.
fn prompt(question: &str) -> Result<Zeroizing<String>> {
    rpassword::prompt_password(question)
        .map(Zeroizing::new)
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot ask on the terminal ({e}); set {PASSPHRASE_FILE_ENV} to a file that holds \
                 the passphrase"
            )
        })
}

/// The passphrase that unlocks an existing vault.
pub(crate) fn unlock_passphrase() -> Result<Passphrase> {
    let file = passphrase_file_from_env();
    existing_passphrase(file.as_deref(), "Vault passphrase").map_err(|e| match file {
        Some(_) => e,
        None => e.context("the vault is locked (no agent: `credwell unlock` starts one)"),
    })
}

/// An existing passphrase: from `file` when given, else asked once on the terminal.
pub(crate) fn existing_passphrase(file: Option<&Path>, what: &str) -> Result<Passphrase> {
    if let Some(path) = file {
        return passphrase_from_file(path);
    }
    let passphrase = prompt(&format!("{what}: "))?;
    if passphrase.is_empty() {
        bail!("the passphrase is empty");
    }
    Ok(passphrase)
}

/// A new passphrase: from `file` when given, else asked twice on the terminal.
pub(crate) fn new_passphrase(file: Option<&Path>, what: &str) -> Result<Passphrase> {
    if let Some(path) = file {
        return passphrase_from_file(path);
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
            passphrase_from_file(&path).unwrap().as_str(),
            "correct horse"
        );
        std::fs::write(&path, "\n").unwrap();
        assert!(
            passphrase_from_file(&path)
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
        let missing = passphrase_from_file(&dir.path().join("nope")).unwrap_err();
        assert!(missing.to_string().contains("cannot read"));
    }
}
