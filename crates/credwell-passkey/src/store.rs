//! Where passkeys live: the [`PasskeyStore`] trait and its in-memory implementation.

use std::future::Future;
use std::sync::{Mutex, MutexGuard};

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
    /// The backend failed (I/O, a locked vault, …). The message never contains key material.
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
}

/// An in-memory [`PasskeyStore`], for tests, demos and benchmarks. Lookups by RP ID scan every
/// record; it is meant for at most a few thousand passkeys.
#[derive(Debug, Default)]
pub struct MemoryPasskeyStore {
    records: Mutex<Vec<PasskeyRecord>>,
}

impl MemoryPasskeyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many passkeys it holds.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Every passkey it holds, in insertion order.
    pub fn all(&self) -> Vec<PasskeyRecord> {
        self.lock().clone()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<PasskeyRecord>> {
        // A panic while holding the lock cannot leave the vector half-modified (every change is
        // one push, replace or remove), so a poisoned lock is still consistent.
        self.records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl PasskeyStore for MemoryPasskeyStore {
    async fn list(&self, rp_id: &str) -> Result<Vec<PasskeyRecord>, PasskeyStoreError> {
        Ok(self
            .lock()
            .iter()
            .filter(|r| r.rp_id == rp_id)
            .cloned()
            .collect())
    }

    async fn find(&self, credential_id: &[u8]) -> Result<Option<PasskeyRecord>, PasskeyStoreError> {
        Ok(self
            .lock()
            .iter()
            .find(|r| r.credential_id == credential_id)
            .cloned())
    }

    async fn insert(&self, record: PasskeyRecord) -> Result<(), PasskeyStoreError> {
        let mut records = self.lock();
        if records
            .iter()
            .any(|r| r.credential_id == record.credential_id)
        {
            return Err(PasskeyStoreError::DuplicateCredentialId);
        }
        records.push(record);
        Ok(())
    }

    async fn update(&self, record: PasskeyRecord) -> Result<(), PasskeyStoreError> {
        let mut records = self.lock();
        let slot = records
            .iter_mut()
            .find(|r| r.credential_id == record.credential_id)
            .ok_or(PasskeyStoreError::NotFound)?;
        *slot = record;
        Ok(())
    }

    async fn delete(&self, credential_id: &[u8]) -> Result<bool, PasskeyStoreError> {
        let mut records = self.lock();
        let before = records.len();
        records.retain(|r| r.credential_id != credential_id);
        Ok(records.len() != before)
    }
}

impl<T: PasskeyStore> PasskeyStore for std::sync::Arc<T> {
    fn list(
        &self,
        rp_id: &str,
    ) -> impl Future<Output = Result<Vec<PasskeyRecord>, PasskeyStoreError>> + Send {
        (**self).list(rp_id)
    }

    fn find(
        &self,
        credential_id: &[u8],
    ) -> impl Future<Output = Result<Option<PasskeyRecord>, PasskeyStoreError>> + Send {
        (**self).find(credential_id)
    }

    fn insert(
        &self,
        record: PasskeyRecord,
    ) -> impl Future<Output = Result<(), PasskeyStoreError>> + Send {
        (**self).insert(record)
    }

    fn update(
        &self,
        record: PasskeyRecord,
    ) -> impl Future<Output = Result<(), PasskeyStoreError>> + Send {
        (**self).update(record)
    }

    fn delete(
        &self,
        credential_id: &[u8],
    ) -> impl Future<Output = Result<bool, PasskeyStoreError>> + Send {
        (**self).delete(credential_id)
    }
}

#[cfg(test)]
mod tests;
