//! [`MemoryVault`]: credentials and passkeys in memory, administered like the vault.

use std::sync::Arc;

use credwell_core::{
    Credential, CredentialStore as _, DelegatingStore, MemoryStore, RecordId, StoredCredential,
    Timestamp,
};
use credwell_passkey::{MemoryPasskeyStore, PasskeyRecord, PasskeyStore as _};
use futures::executor::block_on;

use crate::{AdminError, AdminResult, Change, VaultAdmin};

/// An in-memory store of credentials and passkeys: what credwell-host's ephemeral mode
/// unlocks, and a store for tests. Clones share their contents.
#[derive(Clone, Debug, Default)]
pub struct MemoryVault {
    credentials: MemoryStore,
    passkeys: Arc<MemoryPasskeyStore>,
}

/// The record ids passkeys get: their place in [`MemoryPasskeyStore::all`]'s order from here on,
/// far from the credentials' ids. Such an id names a passkey until the next change.
const PASSKEY_IDS: u64 = 1 << 40;

impl MemoryVault {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Its password and federated credentials.
    pub fn credentials(&self) -> &MemoryStore {
        &self.credentials
    }

    /// Its passkeys.
    pub fn passkey_store(&self) -> &Arc<MemoryPasskeyStore> {
        &self.passkeys
    }
}

/// Its credentials are its [`MemoryStore`]'s: the engine's store operations go there.
impl DelegatingStore for MemoryVault {
    type Delegate = MemoryStore;

    fn delegate(&self) -> &MemoryStore {
        &self.credentials
    }
}

impl VaultAdmin for MemoryVault {
    fn all_credentials(&self) -> AdminResult<Vec<StoredCredential>> {
        Ok(self.credentials.all())
    }

    fn credentials_page(
        &self,
        after: RecordId,
        limit: usize,
    ) -> AdminResult<Vec<StoredCredential>> {
        let all = self.credentials.all();
        let start = all.partition_point(|r| r.record <= after);
        Ok(all.into_iter().skip(start).take(limit).collect())
    }

    fn credential(&self, record: RecordId) -> AdminResult<Option<StoredCredential>> {
        Ok(self
            .credentials
            .all()
            .into_iter()
            .find(|r| r.record == record))
    }

    fn insert_credential(&self, credential: Credential, now: Timestamp) -> AdminResult<RecordId> {
        Ok(self.credentials.insert(credential, now))
    }

    fn replace_credential(
        &self,
        record: RecordId,
        credential: Credential,
        now: Timestamp,
    ) -> AdminResult<bool> {
        Ok(block_on(self.credentials.update(record, credential, now))?)
    }

    fn delete_credential(&self, record: RecordId) -> AdminResult<bool> {
        Ok(block_on(self.credentials.remove(record))?)
    }

    fn apply_changes(
        &self,
        changes: Vec<Change>,
        now: Timestamp,
        progress: &mut dyn FnMut(),
    ) -> AdminResult<()> {
        // All or nothing: the changes that can fail are checked before any is made.
        let mut ids: std::collections::HashSet<Vec<u8>> = self
            .passkeys
            .all()
            .into_iter()
            .map(|p| p.credential_id)
            .collect();
        for change in &changes {
            match change {
                Change::AddPasskey(p) if !ids.insert(p.credential_id.clone()) => {
                    return Err(AdminError::DuplicatePasskey);
                }
                Change::UpdatePasskey(p) if !ids.contains(&p.credential_id) => {
                    return Err(AdminError::NoSuchPasskey);
                }
                _ => {}
            }
        }
        for change in changes {
            match change {
                Change::Add(c) => {
                    self.credentials.insert(c, now);
                }
                Change::Update(r, c) => {
                    block_on(self.credentials.update(r, c, now))?;
                }
                Change::UpdateWithExtras(r, c, extras) => {
                    if block_on(self.credentials.update(r, c, now))? {
                        self.credentials.set_extras(r, extras);
                    }
                }
                Change::AddDated(d) => {
                    self.credentials.insert_dated(d);
                }
                Change::UpdateDated(r, d) => {
                    self.credentials.replace_dated(r, d);
                }
                Change::AddPasskey(p) => {
                    let _ = block_on(self.passkeys.insert(p));
                }
                Change::UpdatePasskey(p) => {
                    let _ = block_on(self.passkeys.update(p));
                }
            }
            progress();
        }
        Ok(())
    }

    fn passkey_records(&self) -> AdminResult<Vec<(RecordId, PasskeyRecord)>> {
        Ok((PASSKEY_IDS..)
            .map(RecordId)
            .zip(self.passkeys.all())
            .collect())
    }

    fn delete_passkey(&self, credential_id: &[u8]) -> AdminResult<bool> {
        Ok(self.passkeys.remove(credential_id))
    }

    fn delete_passkey_record(&self, record: RecordId) -> AdminResult<bool> {
        let found = self
            .passkey_records()?
            .into_iter()
            .find(|(r, _)| *r == record);
        Ok(found.is_some_and(|(_, p)| self.passkeys.remove(&p.credential_id)))
    }
}
