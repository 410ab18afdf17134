//! # credwell-admin
//!
//! Administering a credwell vault: what the browser's manager page (through credwell-host) and
//! the `credwell` command line do to the records, listed once as [`VaultAdmin`], with one
//! implementation over the encrypted vault (`credwell_vault::Vault`) and one in memory
//! ([`MemoryVault`]); and the one JSON shape both show a record in ([`entry`]).
//!
//! The cut: `credwell-core` is the spec engine and does no I/O, and `credwell-vault` stores
//! sealed bytes without knowing what a passkey is (`credwell-passkey` depends on it, not the
//! other way). Administration needs both the vault and the passkeys inside it, so it sits
//! above them, in this crate, which the host and the command line both depend on; neither
//! depends on the other.

pub mod entry;
mod memory;
pub mod sync;
mod vault;

pub use memory::MemoryVault;

use credwell_core::{
    Credential, DatedCredential, Extras, RecordId, StoreFailure, StoredCredential, Timestamp,
};
use credwell_passkey::PasskeyRecord;
use credwell_vault::VaultError;

/// One change of a batch applied as one transaction ([`VaultAdmin::apply_changes`]).
#[derive(Clone, Debug)]
pub enum Change {
    /// Add a new credential.
    Add(Credential),
    /// Replace the credential of an existing record (a replaced password joins its history;
    /// its extras stay).
    Update(RecordId, Credential),
    /// Replace the credential and the extras of an existing record (a replaced password joins
    /// its history).
    UpdateWithExtras(RecordId, Credential, Extras),
    /// Add a credential with the times, password history and extras another store gave it.
    AddDated(DatedCredential),
    /// Replace a record's credential, times, password history and extras with these.
    UpdateDated(RecordId, DatedCredential),
    /// Add a passkey.
    AddPasskey(PasskeyRecord),
    /// Replace the passkey with the same credential id.
    UpdatePasskey(PasskeyRecord),
}

/// Why an administrative operation failed. Messages never quote a record's contents.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// The vault failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// A passkey record, sealed intact, is not a passkey this build can read.
    #[error("passkey {0}; it cannot be read")]
    Passkey(#[from] credwell_passkey::vault::StoredPasskeyError),
    /// A passkey could not be serialized for the vault.
    #[error(transparent)]
    Payload(#[from] credwell_passkey::PayloadError),
    /// A change names a passkey that is not stored.
    #[error("no passkey with this credential id")]
    NoSuchPasskey,
    /// A change adds a passkey whose credential id is taken.
    #[error("a passkey with this credential id is already stored")]
    DuplicatePasskey,
    /// The in-memory store failed.
    #[error(transparent)]
    Store(#[from] StoreFailure),
}

/// An administrative failure as the engine sees it: a vault whose key changed under this handle
/// stays [`StoreFailure::key_changed`].
impl From<AdminError> for StoreFailure {
    fn from(error: AdminError) -> Self {
        match error {
            AdminError::Vault(e) => e.into(),
            AdminError::Store(e) => e,
            other => StoreFailure::new(other),
        }
    }
}

/// The result of an administrative operation.
pub type AdminResult<T> = Result<T, AdminError>;

/// Every record that opens, and the ids of those that do not (they fail to decrypt or verify).
#[derive(Debug, Default)]
pub struct Readable {
    /// The credentials that open, in record order.
    pub credentials: Vec<StoredCredential>,
    /// The passkeys that open, with their record ids, in record order.
    pub passkeys: Vec<(RecordId, PasskeyRecord)>,
    /// The records of either kind that do not, in record order.
    pub damaged: Vec<RecordId>,
}

/// The operations that administer a vault: listing, reading, adding, changing and removing its
/// credentials and passkeys, and removing the records that no longer open. Synchronous: a
/// caller on an event loop runs them on a blocking thread.
pub trait VaultAdmin: Send + Sync {
    /// Every credential, in record order.
    fn all_credentials(&self) -> AdminResult<Vec<StoredCredential>>;

    /// Up to `limit` credentials whose record id is above `after`, in record order (a page).
    fn credentials_page(&self, after: RecordId, limit: usize)
    -> AdminResult<Vec<StoredCredential>>;

    /// The credential of `record`.
    fn credential(&self, record: RecordId) -> AdminResult<Option<StoredCredential>>;

    /// Adds a credential; its record id.
    fn insert_credential(&self, credential: Credential, now: Timestamp) -> AdminResult<RecordId>;

    /// Replaces a record's credential; `false` when there is no such record.
    fn replace_credential(
        &self,
        record: RecordId,
        credential: Credential,
        now: Timestamp,
    ) -> AdminResult<bool>;

    /// Removes a credential, also one that no longer opens; `false` when there is none.
    fn delete_credential(&self, record: RecordId) -> AdminResult<bool>;

    /// Applies every change or none, calling `progress` after each one.
    fn apply_changes(
        &self,
        changes: Vec<Change>,
        now: Timestamp,
        progress: &mut dyn FnMut(),
    ) -> AdminResult<()>;

    /// Every passkey with its record id, in record order.
    fn passkey_records(&self) -> AdminResult<Vec<(RecordId, PasskeyRecord)>>;

    /// Removes the passkey with this credential id; `false` when there is none.
    fn delete_passkey(&self, credential_id: &[u8]) -> AdminResult<bool>;

    /// Removes the passkey of `record`, also one that no longer opens; `false` when there is
    /// none.
    fn delete_passkey_record(&self, record: RecordId) -> AdminResult<bool>;

    /// Every record that opens, and the ids of those that do not (a store that cannot be
    /// damaged has none).
    fn readable(&self) -> AdminResult<Readable> {
        Ok(Readable {
            credentials: self.all_credentials()?,
            passkeys: self.passkey_records()?,
            damaged: Vec::new(),
        })
    }

    /// Removes a record that fails to open, whatever its kind; `false` when there is no damaged
    /// record with this id.
    fn delete_damaged(&self, _record: RecordId) -> AdminResult<bool> {
        Ok(false)
    }
}
