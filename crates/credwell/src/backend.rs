//! The store the commands run against, behind one small trait: [`Backend`]; and opening it:
//! [`open`] unlocks the vault the global options name, as a [`VaultBackend`].
//!
//! The command line works on the encrypted vault on disk; the in-memory
//! `MemoryBackend` (built for tests only) runs the same command logic in unit tests.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use credwell_core::{Clock, Credential, RecordId, StoredCredential, SystemClock, Timestamp};
#[cfg(test)]
use credwell_core::{CredentialStore, MemoryStore};
use credwell_passkey::PasskeyRecord;
use credwell_vault::{Vault, VaultError};

use crate::global::Global;
use crate::secrets;

/// One change of an import, applied with the others as one transaction.
#[derive(Clone, Debug)]
pub(crate) enum Change {
    /// Add a new credential.
    Add(Credential),
    /// Replace the credential of an existing record.
    Update(RecordId, Credential),
    /// Add a passkey.
    AddPasskey(PasskeyRecord),
    /// Replace the passkey with the same credential id.
    UpdatePasskey(PasskeyRecord),
}

/// What the commands need from a store.
pub(crate) trait Backend {
    /// Every record, in record order.
    fn all(&self) -> Result<Vec<StoredCredential>>;
    /// One record.
    fn get(&self, record: RecordId) -> Result<Option<StoredCredential>>;
    /// Adds a credential.
    fn add(&self, credential: Credential) -> Result<RecordId>;
    /// Replaces a record's credential; `false` when there is no such record.
    fn update(&self, record: RecordId, credential: Credential) -> Result<bool>;
    /// Removes a record; `false` when there is no such record.
    fn remove(&self, record: RecordId) -> Result<bool>;
    /// Applies every change or none, calling `progress` after each one.
    fn apply(&self, changes: Vec<Change>, progress: &mut dyn FnMut()) -> Result<()>;
    /// Every passkey, in record order.
    fn passkeys(&self) -> Result<Vec<PasskeyRecord>>;
    /// Every passkey with its record id, in record order.
    fn passkey_records(&self) -> Result<Vec<(RecordId, PasskeyRecord)>>;
    /// Removes the passkey with this record id; `false` when there is none.
    fn remove_passkey(&self, record: RecordId) -> Result<bool>;
    /// Every credential that opens, and the ids of those that do not (a store that cannot be
    /// damaged has none).
    fn all_readable(&self) -> Result<(Vec<StoredCredential>, Vec<RecordId>)> {
        Ok((self.all()?, Vec::new()))
    }
    /// Every passkey that opens with its record id, and the ids of those that do not.
    fn passkey_records_readable(&self) -> Result<PasskeysReadable> {
        Ok((self.passkey_records()?, Vec::new()))
    }
    /// Removes a record that fails to open, whatever its kind; `false` when there is no
    /// damaged record with this id.
    fn remove_damaged(&self, _record: RecordId) -> Result<bool> {
        Ok(false)
    }
}

/// The unlocked vault on disk, as the commands' [`Backend`].
#[derive(Debug)]
pub(crate) struct VaultBackend {
    vault: Vault,
}

impl Backend for VaultBackend {
    fn all(&self) -> Result<Vec<StoredCredential>> {
        Ok(self.vault.all()?)
    }

    fn get(&self, record: RecordId) -> Result<Option<StoredCredential>> {
        Ok(self.vault.get(record)?)
    }

    fn add(&self, credential: credwell_core::Credential) -> Result<RecordId> {
        Ok(self.vault.add_credential(&credential, now())?)
    }

    fn update(&self, record: RecordId, credential: credwell_core::Credential) -> Result<bool> {
        Ok(self.vault.update_credential(record, &credential, now())?)
    }

    fn remove(&self, record: RecordId) -> Result<bool> {
        match self.vault.remove_credential(record) {
            // `rm` of a record that no longer opens removes it all the same.
            Err(VaultError::Tampered(_)) => self.remove_damaged(record),
            other => Ok(other?),
        }
    }

    fn apply(&self, changes: Vec<Change>, progress: &mut dyn FnMut()) -> Result<()> {
        let changes = changes
            .into_iter()
            .map(|c| {
                Ok(match c {
                    Change::Add(c) => credwell_vault::Change::Add(c),
                    Change::Update(r, c) => credwell_vault::Change::Update(r, c),
                    Change::AddPasskey(p) => credwell_vault::Change::AddPasskey(passkey_entry(&p)?),
                    Change::UpdatePasskey(p) => {
                        credwell_vault::Change::UpdatePasskey(passkey_entry(&p)?)
                    }
                })
            })
            .collect::<Result<Vec<_>>>()?;
        self.vault.apply(&changes, now(), progress)?;
        Ok(())
    }

    fn passkeys(&self) -> Result<Vec<PasskeyRecord>> {
        Ok(self
            .passkey_records()?
            .into_iter()
            .map(|(_, passkey)| passkey)
            .collect())
    }

    fn passkey_records(&self) -> Result<Vec<(RecordId, PasskeyRecord)>> {
        self.vault
            .all_passkeys()?
            .into_iter()
            .map(|stored| {
                let passkey = PasskeyRecord::from_vault_payload(&stored.entry.payload)
                    .with_context(|| {
                        format!("passkey record {} cannot be read", stored.record.0)
                    })?;
                Ok((stored.record, passkey))
            })
            .collect()
    }

    fn remove_passkey(&self, record: RecordId) -> Result<bool> {
        let stored = match self.vault.passkey_record(record) {
            Err(VaultError::Tampered(_)) => return self.remove_damaged(record),
            other => other?,
        };
        let Some(stored) = stored else {
            return Ok(false);
        };
        Ok(self.vault.remove_passkey(&stored.entry.credential_id)?)
    }

    fn all_readable(&self) -> Result<(Vec<StoredCredential>, Vec<RecordId>)> {
        let listed = self.vault.all_readable()?;
        Ok((listed.items, listed.damaged))
    }

    fn passkey_records_readable(&self) -> Result<PasskeysReadable> {
        let listed = self.vault.all_passkeys_readable()?;
        let mut damaged = listed.damaged;
        let mut passkeys = Vec::with_capacity(listed.items.len());
        for stored in listed.items {
            // Sealed intact but not a passkey this build can read: damaged all the same.
            match PasskeyRecord::from_vault_payload(&stored.entry.payload) {
                Ok(passkey) => passkeys.push((stored.record, passkey)),
                Err(_) => damaged.push(stored.record),
            }
        }
        damaged.sort_unstable();
        Ok((passkeys, damaged))
    }

    fn remove_damaged(&self, record: RecordId) -> Result<bool> {
        match self.vault.remove_damaged(record) {
            Err(VaultError::NotDamaged(_)) => Ok(false),
            other => Ok(other?),
        }
    }
}

/// A passkey as the vault stores it: found by RP ID and credential id, sealed as a whole.
fn passkey_entry(passkey: &PasskeyRecord) -> Result<credwell_vault::PasskeyEntry> {
    Ok(credwell_vault::PasskeyEntry {
        rp_id: passkey.rp_id.clone(),
        credential_id: passkey.credential_id.clone(),
        payload: passkey.to_vault_payload()?,
    })
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
    let vault = Vault::open(path, passphrase.as_bytes()).map_err(|e| match e {
        VaultError::WrongPassphrase => {
            anyhow::anyhow!("cannot unlock {}: the passphrase is wrong", path.display())
        }
        other => anyhow::Error::new(other).context(format!("cannot open {}", path.display())),
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
pub(crate) fn open(global: &Global) -> Result<VaultBackend> {
    let path = existing_vault(global)?;
    Ok(VaultBackend {
        vault: unlock(&path)?,
    })
}

/// Passkeys that open with their record ids, and the ids of those that do not.
pub(crate) type PasskeysReadable = (Vec<(RecordId, PasskeyRecord)>, Vec<RecordId>);

/// Now, in milliseconds since the Unix epoch.
pub(crate) fn now() -> Timestamp {
    SystemClock.now()
}

/// A [`Backend`] over [`MemoryStore`], for tests.
#[cfg(test)]
#[derive(Debug, Default)]
pub(crate) struct MemoryBackend {
    pub(crate) store: MemoryStore,
    pub(crate) passkeys: std::sync::Mutex<Vec<PasskeyRecord>>,
}

#[cfg(test)]
impl Backend for MemoryBackend {
    fn all(&self) -> Result<Vec<StoredCredential>> {
        Ok(self.store.all())
    }

    fn get(&self, record: RecordId) -> Result<Option<StoredCredential>> {
        Ok(self.store.all().into_iter().find(|r| r.record == record))
    }

    fn add(&self, credential: Credential) -> Result<RecordId> {
        Ok(futures::executor::block_on(
            self.store.add(credential, now()),
        )?)
    }

    fn update(&self, record: RecordId, credential: Credential) -> Result<bool> {
        Ok(futures::executor::block_on(self.store.update(
            record,
            credential,
            now(),
        ))?)
    }

    fn remove(&self, record: RecordId) -> Result<bool> {
        Ok(futures::executor::block_on(self.store.remove(record))?)
    }

    fn apply(&self, changes: Vec<Change>, progress: &mut dyn FnMut()) -> Result<()> {
        // Memory cannot fail half-way: applying in order is all-or-nothing.
        for change in changes {
            match change {
                Change::Add(c) => {
                    self.add(c)?;
                }
                Change::Update(r, c) => {
                    self.update(r, c)?;
                }
                Change::AddPasskey(p) => self.lock_passkeys().push(p),
                Change::UpdatePasskey(p) => {
                    let mut passkeys = self.lock_passkeys();
                    match passkeys
                        .iter_mut()
                        .find(|s| s.credential_id == p.credential_id)
                    {
                        Some(stored) => *stored = p,
                        None => anyhow::bail!("no passkey with this credential id"),
                    }
                }
            }
            progress();
        }
        Ok(())
    }

    fn passkeys(&self) -> Result<Vec<PasskeyRecord>> {
        Ok(self.lock_passkeys().clone())
    }

    fn passkey_records(&self) -> Result<Vec<(RecordId, PasskeyRecord)>> {
        Ok(self
            .lock_passkeys()
            .iter()
            .enumerate()
            .map(|(i, p)| (RecordId(MEMORY_PASSKEY_IDS + i as u64), p.clone()))
            .collect())
    }

    fn remove_passkey(&self, record: RecordId) -> Result<bool> {
        let mut passkeys = self.lock_passkeys();
        let Some(index) = record.0.checked_sub(MEMORY_PASSKEY_IDS) else {
            return Ok(false);
        };
        match usize::try_from(index) {
            Ok(i) if i < passkeys.len() => {
                passkeys.remove(i);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

/// Record ids the in-memory backend gives passkeys, far from its credentials' ids.
#[cfg(test)]
const MEMORY_PASSKEY_IDS: u64 = 1_000_000;

#[cfg(test)]
impl MemoryBackend {
    fn lock_passkeys(&self) -> std::sync::MutexGuard<'_, Vec<PasskeyRecord>> {
        credwell_core::sync::lock(&self.passkeys)
    }
}
