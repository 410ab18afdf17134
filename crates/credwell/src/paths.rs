//! Where the vault lives: `--vault`, else `CREDWELL_VAULT`, else the XDG data directory.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::Global;

/// The vault path the command works on.
pub(crate) fn vault_path(global: &Global) -> Result<PathBuf> {
    if let Some(path) = &global.vault {
        return Ok(path.clone());
    }
    credwell_vault::default_path().context(
        "cannot find your home directory for the default vault location; pass --vault PATH",
    )
}
