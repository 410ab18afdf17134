//! The store the commands run against, behind one small trait: [`Backend`].
//!
//! The command line works on the encrypted vault on disk; the in-memory
//! `MemoryBackend` (built for tests only) runs the same command logic in unit tests.

use anyhow::Result;
use credwell_core::{Clock, Credential, RecordId, StoredCredential, SystemClock, Timestamp};
#[cfg(test)]
use credwell_core::{CredentialStore, MemoryStore};
use credwell_passkey::PasskeyRecord;

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
