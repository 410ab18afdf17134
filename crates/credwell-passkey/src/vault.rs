//! Passkeys in a credwell vault (cargo feature `vault`): [`VaultPasskeyStore`], and the one
//! place a [`PasskeyRecord`] becomes a vault passkey record and back ([`to_entry`],
//! [`from_stored`]), for every crate that reads or writes the vault's passkeys.
//!
//! Each passkey is one vault passkey record (`credwell_vault::PasskeyEntry`): the vault indexes
//! it by RP ID and credential id and seals the payload, [`PasskeyRecord::to_vault_payload`],
//! which carries everything else, the private key included.

use std::sync::Arc;

use credwell_core::{Clock as _, SystemClock};

use credwell_vault::{PasskeyEntry, StoredPasskey, Vault, VaultError};

use crate::payload::PayloadError;
use crate::record::PasskeyRecord;
use crate::store::{PasskeyStore, PasskeyStoreError};

/// A [`PasskeyStore`] over an unlocked [`Vault`].
///
/// The vault's operations are synchronous SQLite transactions; like the vault's
/// `credwell_core::CredentialStore` implementation, the futures run them when polled.
#[derive(Debug, Clone)]
pub struct VaultPasskeyStore {
    vault: Arc<Vault>,
}

impl VaultPasskeyStore {
    /// Passkeys in `vault`.
    pub fn new(vault: Arc<Vault>) -> Self {
        Self { vault }
    }

    /// The vault.
    pub fn vault(&self) -> &Arc<Vault> {
        &self.vault
    }
}

/// A vault failure, without anything the vault read (it never puts secrets in its errors, but
/// the store's message stays generic anyway).
fn backend(e: &VaultError) -> PasskeyStoreError {
    PasskeyStoreError::Backend(format!("vault: {e}"))
}

/// A passkey as the vault stores it: found by RP ID and credential id, sealed as a whole.
pub fn to_entry(record: &PasskeyRecord) -> Result<PasskeyEntry, PayloadError> {
    Ok(PasskeyEntry {
        rp_id: record.rp_id.clone(),
        credential_id: record.credential_id.clone(),
        payload: record.to_vault_payload()?,
    })
}

/// Why a vault passkey record, sealed intact, is not a passkey this build can use.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoredPasskeyError {
    /// Its payload does not read.
    #[error("vault record {record}: {source}")]
    Payload {
        /// The vault record.
        record: u64,
        /// Why.
        source: PayloadError,
    },
    /// Its payload names another RP ID or credential id than the vault found it by.
    #[error("vault record {0}: the passkey does not match its index")]
    IndexMismatch(u64),
}

/// The passkey inside a vault passkey record; its payload must name the values the vault found
/// it by.
pub fn from_stored(stored: &StoredPasskey) -> Result<PasskeyRecord, StoredPasskeyError> {
    let record = PasskeyRecord::from_vault_payload(&stored.entry.payload).map_err(|source| {
        StoredPasskeyError::Payload {
            record: stored.record.0,
            source,
        }
    })?;
    if record.rp_id != stored.entry.rp_id || record.credential_id != stored.entry.credential_id {
        return Err(StoredPasskeyError::IndexMismatch(stored.record.0));
    }
    Ok(record)
}

fn entry(record: &PasskeyRecord) -> Result<PasskeyEntry, PasskeyStoreError> {
    to_entry(record).map_err(|e| PasskeyStoreError::Backend(e.to_string()))
}

fn record(stored: &StoredPasskey) -> Result<PasskeyRecord, PasskeyStoreError> {
    from_stored(stored).map_err(|e| PasskeyStoreError::Backend(e.to_string()))
}

/// The wall clock, as the vault stamps records.
fn now_ms() -> u64 {
    SystemClock.now().0
}

impl PasskeyStore for VaultPasskeyStore {
    async fn list(&self, rp_id: &str) -> Result<Vec<PasskeyRecord>, PasskeyStoreError> {
        self.vault
            .passkeys_for_rp(rp_id)
            .map_err(|e| backend(&e))?
            .iter()
            .map(record)
            .collect()
    }

    async fn find(&self, credential_id: &[u8]) -> Result<Option<PasskeyRecord>, PasskeyStoreError> {
        self.vault
            .passkey(credential_id)
            .map_err(|e| backend(&e))?
            .as_ref()
            .map(record)
            .transpose()
    }

    async fn insert(&self, record: PasskeyRecord) -> Result<(), PasskeyStoreError> {
        match self.vault.add_passkey(&entry(&record)?, now_ms()) {
            Ok(()) => Ok(()),
            Err(VaultError::DuplicateCredentialId) => Err(PasskeyStoreError::DuplicateCredentialId),
            Err(e) => Err(backend(&e)),
        }
    }

    async fn update(&self, record: PasskeyRecord) -> Result<(), PasskeyStoreError> {
        match self.vault.update_passkey(&entry(&record)?, now_ms()) {
            Ok(()) => Ok(()),
            Err(VaultError::NoSuchPasskey) => Err(PasskeyStoreError::NotFound),
            Err(e) => Err(backend(&e)),
        }
    }

    async fn delete(&self, credential_id: &[u8]) -> Result<bool, PasskeyStoreError> {
        self.vault
            .remove_passkey(credential_id)
            .map_err(|e| backend(&e))
    }

    async fn holds_any(&self, rp_id: &str) -> Option<bool> {
        // A vault that cannot be read cannot tell.
        self.vault
            .passkeys_for_rp(rp_id)
            .ok()
            .map(|found| !found.is_empty())
    }

    async fn list_without_asking(&self, rp_id: &str) -> Option<Vec<PasskeyRecord>> {
        // An open vault is unlocked: reading asks nothing. One that cannot be read cannot tell.
        self.list(rp_id).await.ok()
    }
}
