//! What the host runs against: the [`VaultOpener`] that unlocks, the [`ManagedStore`] it
//! unlocks (the engine's store plus what the manager page and the authenticator need), and
//! [`MemoryVault`], an in-memory one.

use std::sync::Arc;

use credwell_core::{
    CredentialStore, CredentialType, MemoryStore, Origin, OriginFlags, Password, RecordId, Site,
    StoreFailure, StoreResult, StoredCredential, Timestamp,
};
use credwell_passkey::MemoryPasskeyStore;
use credwell_passkey::vault::VaultPasskeyStore;

/// Opens the store once the user has given the passphrase.
pub trait VaultOpener: Send + Sync + 'static {
    /// The unlocked store.
    type Store: ManagedStore + 'static;

    /// Unlocks; called on a blocking thread, since key derivation is deliberately slow.
    fn open(&self, passphrase: &Password) -> Result<Self::Store, UnlockError>;

    /// Whether `passphrase` unlocks the vault: the user verification of passkey ceremonies
    /// (the `verify` prompt). Called on a blocking thread while the vault is unlocked. The
    /// default opens the vault a second time and drops it.
    fn verify(&self, passphrase: &Password) -> bool {
        self.open(passphrase).is_ok()
    }
}

/// What the host needs beyond the engine's store: every record for the manager page, and the
/// passkeys of the unlocked store for the authenticator.
pub trait ManagedStore: CredentialStore + Sized {
    /// The unlocked store's passkeys.
    type Passkeys: credwell_passkey::PasskeyStore + 'static;

    /// Up to `limit` credentials whose record id is above `after`, in record order (the
    /// manager page reads the vault a page at a time).
    fn credentials_after(
        &self,
        after: RecordId,
        limit: usize,
    ) -> StoreResult<Vec<StoredCredential>>;

    /// The passkeys of this unlocked store; dropped when the request using them ends, and with
    /// them any hold on the store.
    fn passkeys(this: &Arc<Self>) -> Self::Passkeys;

    /// Every passkey, for the manager page.
    fn all_passkeys(&self) -> StoreResult<Vec<credwell_passkey::PasskeyRecord>>;

    /// Deletes the passkey with this credential id (the manager page); whether there was one.
    fn delete_passkey(&self, credential_id: &[u8]) -> StoreResult<bool>;
}

impl ManagedStore for credwell_vault::Vault {
    type Passkeys = VaultPasskeyStore;

    fn credentials_after(
        &self,
        after: RecordId,
        limit: usize,
    ) -> StoreResult<Vec<StoredCredential>> {
        credwell_vault::Vault::credentials_after(self, after, limit).map_err(StoreFailure::from)
    }

    fn passkeys(this: &Arc<Self>) -> VaultPasskeyStore {
        VaultPasskeyStore::new(Arc::clone(this))
    }

    fn all_passkeys(&self) -> StoreResult<Vec<credwell_passkey::PasskeyRecord>> {
        self.all_passkeys()
            .map_err(StoreFailure::from)?
            .iter()
            .map(|stored| {
                credwell_passkey::PasskeyRecord::from_vault_payload(&stored.entry.payload)
                    .map_err(StoreFailure::new)
            })
            .collect()
    }

    fn delete_passkey(&self, credential_id: &[u8]) -> StoreResult<bool> {
        self.remove_passkey(credential_id)
            .map_err(StoreFailure::from)
    }
}

/// Why the vault did not unlock.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UnlockError {
    /// The passphrase is wrong.
    #[error("the passphrase is wrong")]
    WrongPassphrase,
    /// The vault cannot be opened for another reason (named in the message).
    #[error("the vault cannot be opened: {0}")]
    Unavailable(String),
}

/// An in-memory store of credentials and passkeys: what `CREDWELL_EPHEMERAL=1` unlocks, and a
/// store for tests. Clones share their contents.
#[derive(Clone, Debug, Default)]
pub struct MemoryVault {
    credentials: MemoryStore,
    passkeys: Arc<MemoryPasskeyStore>,
}

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

impl CredentialStore for MemoryVault {
    async fn list(
        &self,
        origin: &Origin,
        kind: CredentialType,
    ) -> StoreResult<Vec<StoredCredential>> {
        self.credentials.list(origin, kind).await
    }

    async fn list_same_site(
        &self,
        site: &Site,
        kind: CredentialType,
    ) -> StoreResult<Vec<StoredCredential>> {
        self.credentials.list_same_site(site, kind).await
    }

    async fn add(
        &self,
        credential: credwell_core::Credential,
        now: Timestamp,
    ) -> StoreResult<RecordId> {
        self.credentials.add(credential, now).await
    }

    async fn update(
        &self,
        record: RecordId,
        credential: credwell_core::Credential,
        now: Timestamp,
    ) -> StoreResult<bool> {
        self.credentials.update(record, credential, now).await
    }

    async fn remove(&self, record: RecordId) -> StoreResult<bool> {
        self.credentials.remove(record).await
    }

    async fn origin_flags(&self, origin: &Origin) -> StoreResult<OriginFlags> {
        self.credentials.origin_flags(origin).await
    }

    async fn set_origin_flags(&self, origin: &Origin, flags: OriginFlags) -> StoreResult<()> {
        self.credentials.set_origin_flags(origin, flags).await
    }
}

impl ManagedStore for MemoryVault {
    type Passkeys = Arc<MemoryPasskeyStore>;

    fn credentials_after(
        &self,
        after: RecordId,
        limit: usize,
    ) -> StoreResult<Vec<StoredCredential>> {
        let all = self.credentials.all();
        let start = all.partition_point(|r| r.record <= after);
        Ok(all.into_iter().skip(start).take(limit).collect())
    }

    fn passkeys(this: &Arc<Self>) -> Self::Passkeys {
        Arc::clone(&this.passkeys)
    }

    fn all_passkeys(&self) -> StoreResult<Vec<credwell_passkey::PasskeyRecord>> {
        Ok(self.passkeys.all())
    }

    fn delete_passkey(&self, credential_id: &[u8]) -> StoreResult<bool> {
        Ok(self.passkeys.remove(credential_id))
    }
}
