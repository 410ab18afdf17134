//! What every command shares: the global options, and the vault they name.

use std::path::PathBuf;

use anyhow::{Context, Result};

/// Options every command takes.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Global {
    /// The vault file [default: $XDG_DATA_HOME/credwell/vault.sqlite].
    ///
    /// The passphrase is read from the file named by CREDWELL_PASSPHRASE_FILE (`-`: stdin;
    /// trailing newline stripped) when it is set, otherwise asked for on the terminal.
    #[arg(long, global = true, env = "CREDWELL_VAULT", value_name = "PATH")]
    pub(crate) vault: Option<PathBuf>,
    /// Print machine-readable JSON on stdout instead of text (on stderr for an export written
    /// to stdout, which holds the export alone).
    #[arg(long, global = true)]
    pub(crate) json: bool,
}

impl Global {
    /// The vault path the command works on: `--vault`, else `CREDWELL_VAULT`, else the XDG
    /// data directory.
    pub(crate) fn vault_path(&self) -> Result<PathBuf> {
        if let Some(path) = &self.vault {
            return Ok(path.clone());
        }
        credwell_vault::default_path().context(
            "cannot find your home directory for the default vault location; pass --vault PATH",
        )
    }
}
