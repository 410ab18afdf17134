//! The vault the commands run against: [`open`] unlocks the one the global options name. The
//! commands reach it through `credwell_admin::VaultAdmin`, which the manager page uses too, so
//! that unit tests run the same command logic over `credwell_admin::MemoryVault`.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use credwell_core::{Clock, SystemClock, Timestamp};
use credwell_vault::{Vault, VaultError};

use crate::global::Global;
use crate::{holder, secrets};

/// Now, in milliseconds since the Unix epoch.
pub(crate) fn now() -> Timestamp {
    SystemClock.now()
}

/// The path of an existing vault, or an error that says how to create one.
pub(crate) fn existing_vault(global: &Global) -> Result<PathBuf> {
    let path = global.vault_path()?;
    if !path.exists() {
        bail!(
            "no vault at {}; create one with `credwell vault init` or pass --vault PATH",
            path.display()
        );
    }
    Ok(path)
}

/// Unlocks the vault at `path`.
pub(crate) fn unlock(path: &Path) -> Result<Vault> {
    let passphrase = secrets::unlock_passphrase()?;
    if let Some((pid, name)) = holder::writer(path) {
        eprintln!(
            "note: {name} (PID {pid}) is writing to {}; waiting for it (up to 10 s)",
            path.display()
        );
    }
    let vault = Vault::open(path, passphrase.as_bytes()).map_err(|e| match e {
        VaultError::WrongPassphrase => {
            anyhow::anyhow!("cannot unlock {}: the passphrase is wrong", path.display())
        }
        other => match holder::writer(path) {
            Some((pid, name)) => anyhow::anyhow!(
                "cannot open {}: {name} (PID {pid}) was still writing to it after 10 s",
                path.display()
            ),
            None => anyhow::Error::new(other).context(format!("cannot open {}", path.display())),
        },
    })?;
    if let Some(old) = vault.kdf_upgraded_from() {
        let new = vault.info()?.kdf;
        eprintln!(
            "note: {} used key derivation below OWASP's minimum (Argon2id {} KiB, {} pass(es)); \
             it now uses {} KiB, {} passes. Copies made before today are as weak as before: \
             if any exist, change the passphrase (`credwell vault passwd`).",
            path.display(),
            old.m_cost_kib,
            old.t_cost,
            new.m_cost_kib,
            new.t_cost
        );
    }
    Ok(vault)
}

/// Opens and unlocks the vault the command works on.
pub(crate) fn open(global: &Global) -> Result<Vault> {
    unlock(&existing_vault(global)?)
}
