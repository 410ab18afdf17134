//! Where the vault lives: `--vault`, else `CREDWELL_VAULT`, else the XDG data directory.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::Global;

/// The file name of the vault in the data directory.
const VAULT_FILE: &str = "vault.sqlite";

/// The vault path the command works on.
pub(crate) fn vault_path(global: &Global) -> Result<PathBuf> {
    if let Some(path) = &global.vault {
        return Ok(path.clone());
    }
    let dirs = directories::ProjectDirs::from("", "", "credwell").context(
        "cannot find your home directory for the default vault location; pass --vault PATH",
    )?;
    Ok(dirs.data_dir().join(VAULT_FILE))
}
