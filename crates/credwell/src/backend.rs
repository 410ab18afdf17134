//! The vault the commands run against. [`connect`] finds the agent that `credwell unlock`
//! started for the vault the global options name, or else unlocks that vault here ([`open`]
//! always does). The commands reach the records through [`Backend`]: `credwell_admin`'s
//! `VaultAdmin` (which the manager page uses too), the records indexed for queries, and the
//! user's stderr. Three implementations: the vault unlocked in this process, the agent's vault
//! (whose index lasts while the vault does not change), and `credwell_admin::MemoryVault` for
//! unit tests, all running the same command code.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Result, bail};
use credwell_admin::VaultAdmin;
use credwell_core::{Clock, SystemClock, Timestamp};
use credwell_vault::{Vault, VaultError};

use crate::agent;
use crate::find::Index;
use crate::global::Global;
use crate::{holder, secrets};

/// What the commands run against: see the module's documentation.
pub(crate) trait Backend: VaultAdmin {
    /// Every readable record, indexed for queries. By default read (and decrypted) now.
    fn index(&self) -> Result<Arc<Index>> {
        Ok(Arc::new(Index::new(self.readable()?)))
    }

    /// Tells the user `message` (a warning) on stderr.
    fn warn(&self, message: &str) {
        eprintln!("warning: {message}");
    }
}

impl Backend for Vault {}

#[cfg(test)]
impl Backend for credwell_admin::MemoryVault {}

/// Where a command runs.
#[derive(Debug)]
// One per command, never copied: boxing the vault would buy nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Target {
    /// The vault's agent (`credwell unlock`): the command is sent to it, and it does the work.
    Agent(agent::Client),
    /// The vault, unlocked in this process.
    Local(Vault),
}

/// The agent of the vault the command works on when one is running, else that vault unlocked
/// here (asking for its passphrase).
pub(crate) fn connect(global: &Global) -> Result<Target> {
    let path = existing_vault(global)?;
    match agent::Client::connect(&path)? {
        Some(client) => Ok(Target::Agent(client)),
        None => Ok(Target::Local(unlock(&path)?)),
    }
}

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

/// Unlocks the vault at `path`, asking for its passphrase.
pub(crate) fn unlock(path: &Path) -> Result<Vault> {
    unlock_with(path, &secrets::unlock_passphrase()?)
}

/// Unlocks the vault at `path` with `passphrase`.
pub(crate) fn unlock_with(path: &Path, passphrase: &secrets::Passphrase) -> Result<Vault> {
    // Said as soon as a writer is seen: now, or while the open waits (a writer that starts just
    // after a first look, or a look that missed it, is named all the same). The watcher ends the
    // moment the open returns.
    let (opened, watching) = std::sync::mpsc::channel::<()>();
    let vault = std::thread::scope(|scope| {
        scope.spawn(move || {
            for _ in 0..50 {
                if let Some((pid, name)) = holder::writer(path) {
                    eprintln!(
                        "note: {name} (PID {pid}) is writing to {}; waiting for it (up to 10 s)",
                        path.display()
                    );
                    return;
                }
                match watching.recv_timeout(std::time::Duration::from_millis(200)) {
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                    _ => return,
                }
            }
        });
        let vault = Vault::open(path, passphrase.as_bytes());
        drop(opened);
        vault
    });
    let vault = vault.map_err(|e| match e {
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

/// Opens and unlocks the vault the command works on, in this process (never through the agent).
pub(crate) fn open(global: &Global) -> Result<Vault> {
    unlock(&existing_vault(global)?)
}
