//! Where passkeys live: the [`PasskeyStore`] trait and its in-memory implementation.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Mutex, MutexGuard};

use credwell_core::DelegatingStore;

use crate::record::PasskeyRecord;

/// Why a store operation failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PasskeyStoreError {
    /// `insert` was given a credential id the store already holds.
    #[error("a passkey with this credential id already exists")]
    DuplicateCredentialId,
    /// `update` was given a credential id the store does not hold.
    #[error("no passkey with this credential id")]
    NotFound,
    /// The store is locked and the user declined to unlock it: the ceremony ends as if the user
    /// had cancelled it.
    #[error("the user declined to unlock the passkey store")]
    Declined,
    /// The backend failed (I/O, a damaged vault, …). The message never contains key material.
    #[error("the passkey store failed: {0}")]
    Backend(String),
}

/// Storage for passkeys. The authenticator is its only writer during a ceremony; a vault-backed
/// implementation seals each [`PasskeyRecord`] (it is serde-serializable) as one vault record.
///
/// Methods return `Send` futures, like `credwell_core::CredentialStore`, so that a store can do
/// real I/O or wait for the vault to be unlocked.
pub trait PasskeyStore: Send + Sync {
    /// Every passkey scoped to `rp_id` (exact match), in any order.
    fn list(
        &self,
        rp_id: &str,
    ) -> impl Future<Output = Result<Vec<PasskeyRecord>, PasskeyStoreError>> + Send;

    /// The passkey with this credential id, whatever its RP.
    fn find(
        &self,
        credential_id: &[u8],
    ) -> impl Future<Output = Result<Option<PasskeyRecord>, PasskeyStoreError>> + Send;

    /// Adds a passkey; [`PasskeyStoreError::DuplicateCredentialId`] if its id is taken.
    fn insert(
        &self,
        record: PasskeyRecord,
    ) -> impl Future<Output = Result<(), PasskeyStoreError>> + Send;

    /// Replaces the passkey with the same credential id; [`PasskeyStoreError::NotFound`] if
    /// there is none.
    fn update(
        &self,
        record: PasskeyRecord,
    ) -> impl Future<Output = Result<(), PasskeyStoreError>> + Send;

    /// Removes the passkey with this credential id; whether there was one.
    fn delete(
        &self,
        credential_id: &[u8],
    ) -> impl Future<Output = Result<bool, PasskeyStoreError>> + Send;

    /// Whether any passkey (hidden ones included) is scoped to `rp_id`, when the store can tell
    /// without asking the user; `None` when it cannot (a locked vault must not prompt for this).
    /// Required, not defaulted to `list`: a wrapper that forgot to forward it would prompt.
    fn holds_any(&self, rp_id: &str) -> impl Future<Output = Option<bool>> + Send;

    /// What [`list`](Self::list) returns, when the store can answer without asking the user
    /// (hidden passkeys included); `None` when it cannot (a locked vault must not prompt for
    /// this) or fails. `uiMode: "immediate"` lists the passkeys it may show with it. Required
    /// for the same reason as [`holds_any`](Self::holds_any).
    fn list_without_asking(
        &self,
        rp_id: &str,
    ) -> impl Future<Output = Option<Vec<PasskeyRecord>>> + Send;
}

/// An in-memory [`PasskeyStore`], for tests, demos and benchmarks: passkeys by credential id,
/// with an index by RP ID.
#[derive(Debug, Default)]
pub struct MemoryPasskeyStore {
    records: Mutex<Records>,
}

#[derive(Debug, Default)]
struct Records {
    by_id: HashMap<Vec<u8>, PasskeyRecord>,
    by_rp: HashMap<String, Vec<Vec<u8>>>,
}

impl Records {
    fn index(&mut self, rp_id: &str, credential_id: &[u8]) {
        self.by_rp
            .entry(rp_id.to_owned())
            .or_default()
            .push(credential_id.to_vec());
    }

    fn unindex(&mut self, rp_id: &str, credential_id: &[u8]) {
        if let Some(ids) = self.by_rp.get_mut(rp_id) {
            ids.retain(|id| id != credential_id);
            if ids.is_empty() {
                self.by_rp.remove(rp_id);
            }
        }
    }
}

impl MemoryPasskeyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many passkeys it holds.
    pub fn len(&self) -> usize {
        self.lock().by_id.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.lock().by_id.is_empty()
    }

    /// Every passkey it holds, oldest first (ties in credential id order).
    pub fn all(&self) -> Vec<PasskeyRecord> {
        let mut all: Vec<PasskeyRecord> = self.lock().by_id.values().cloned().collect();
        all.sort_by(|a, b| (a.created_at, &a.credential_id).cmp(&(b.created_at, &b.credential_id)));
        all
    }

    /// Removes the passkey with this credential id at once; whether there was one (what
    /// [`PasskeyStore::delete`] does, without a future).
    pub fn remove(&self, credential_id: &[u8]) -> bool {
        let mut records = self.lock();
        let Some(old) = records.by_id.remove(credential_id) else {
            return false;
        };
        records.unindex(&old.rp_id, credential_id);
        true
    }

    fn lock(&self) -> MutexGuard<'_, Records> {
        // Every change below leaves both maps consistent before it can panic (insertions and
        // removals are single map operations), so a poisoned lock is still consistent.
        credwell_core::sync::lock(&self.records)
    }
}

impl PasskeyStore for MemoryPasskeyStore {
    async fn list(&self, rp_id: &str) -> Result<Vec<PasskeyRecord>, PasskeyStoreError> {
        let records = self.lock();
        Ok(records
            .by_rp
            .get(rp_id)
            .into_iter()
            .flatten()
            .filter_map(|id| records.by_id.get(id))
            .cloned()
            .collect())
    }

    async fn find(&self, credential_id: &[u8]) -> Result<Option<PasskeyRecord>, PasskeyStoreError> {
        Ok(self.lock().by_id.get(credential_id).cloned())
    }

    async fn insert(&self, record: PasskeyRecord) -> Result<(), PasskeyStoreError> {
        let mut records = self.lock();
        if records.by_id.contains_key(&record.credential_id) {
            return Err(PasskeyStoreError::DuplicateCredentialId);
        }
        records.index(&record.rp_id, &record.credential_id);
        records.by_id.insert(record.credential_id.clone(), record);
        Ok(())
    }

    async fn update(&self, record: PasskeyRecord) -> Result<(), PasskeyStoreError> {
        let mut records = self.lock();
        let old_rp = records
            .by_id
            .get(&record.credential_id)
            .ok_or(PasskeyStoreError::NotFound)?
            .rp_id
            .clone();
        if old_rp != record.rp_id {
            records.unindex(&old_rp, &record.credential_id);
            records.index(&record.rp_id, &record.credential_id);
        }
        records.by_id.insert(record.credential_id.clone(), record);
        Ok(())
    }

    async fn delete(&self, credential_id: &[u8]) -> Result<bool, PasskeyStoreError> {
        Ok(self.remove(credential_id))
    }

    async fn holds_any(&self, rp_id: &str) -> Option<bool> {
        Some(
            self.lock()
                .by_rp
                .get(rp_id)
                .is_some_and(|ids| !ids.is_empty()),
        )
    }

    async fn list_without_asking(&self, rp_id: &str) -> Option<Vec<PasskeyRecord>> {
        self.list(rp_id).await.ok()
    }
}

/// A store that delegates (an `Arc` of a store, or a wrapper naming its inner store) is a
/// passkey store: every method forwarded, written here once.
impl<T> PasskeyStore for T
where
    T: DelegatingStore,
    T::Delegate: PasskeyStore,
{
    fn list(
        &self,
        rp_id: &str,
    ) -> impl Future<Output = Result<Vec<PasskeyRecord>, PasskeyStoreError>> + Send {
        self.delegate().list(rp_id)
    }

    fn find(
        &self,
        credential_id: &[u8],
    ) -> impl Future<Output = Result<Option<PasskeyRecord>, PasskeyStoreError>> + Send {
        self.delegate().find(credential_id)
    }

    fn insert(
        &self,
        record: PasskeyRecord,
    ) -> impl Future<Output = Result<(), PasskeyStoreError>> + Send {
        self.delegate().insert(record)
    }

    fn update(
        &self,
        record: PasskeyRecord,
    ) -> impl Future<Output = Result<(), PasskeyStoreError>> + Send {
        self.delegate().update(record)
    }

    fn delete(
        &self,
        credential_id: &[u8],
    ) -> impl Future<Output = Result<bool, PasskeyStoreError>> + Send {
        self.delegate().delete(credential_id)
    }

    fn holds_any(&self, rp_id: &str) -> impl Future<Output = Option<bool>> + Send {
        self.delegate().holds_any(rp_id)
    }

    fn list_without_asking(
        &self,
        rp_id: &str,
    ) -> impl Future<Output = Option<Vec<PasskeyRecord>>> + Send {
        self.delegate().list_without_asking(rp_id)
    }
}

#[cfg(test)]
mod tests;
