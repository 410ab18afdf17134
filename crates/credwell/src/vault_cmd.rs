//! `credwell vault init|info|passwd|backup|check`, and opening the vault for the other commands.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Subcommand;

use crate::Global;
use crate::backend::MemoryBackend;
use crate::{paths, secrets};

/// `credwell vault ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum VaultCommand {
    /// Creates a new vault (asks for the passphrase twice, or reads CREDWELL_PASSPHRASE_FILE).
    Init,
    /// Shows the vault's location, size, record counts and key-derivation parameters.
    Info,
    /// Changes the vault passphrase.
    Passwd {
        /// Read the new passphrase from this file instead of asking twice.
        #[arg(long, env = "CREDWELL_NEW_PASSPHRASE_FILE", value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Writes a consistent copy of the vault (still encrypted) to PATH.
    Backup {
        /// Where to write the copy.
        path: PathBuf,
    },
    /// Decrypts and verifies every record; exits non-zero if any record is damaged.
    Check,
}

/// The path of an existing vault, or an error that says how to create one.
fn existing_vault(global: &Global) -> Result<PathBuf> {
    let path = paths::vault_path(global)?;
    if !path.exists() {
        bail!(
            "no vault at {}; create one with `credwell vault init` or pass --vault PATH",
            path.display()
        );
    }
    Ok(path)
}

/// Opens the vault the command works on.
pub(crate) fn open(global: &Global) -> Result<MemoryBackend> {
    let _path = existing_vault(global)?;
    let _passphrase = secrets::unlock_passphrase()?;
    bail!("the encrypted vault is not available in this build")
}

/// Runs a `credwell vault` command.
pub(crate) fn run(
    global: &Global,
    _command: VaultCommand,
    _out: &mut impl Write,
) -> Result<ExitCode> {
    let _path = existing_vault(global)?;
    bail!("the encrypted vault is not available in this build")
}
