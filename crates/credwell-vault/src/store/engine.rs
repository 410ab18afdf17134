//! `credwell_core::CredentialStore` over the vault's record operations.

use credwell_core::{
    Clock, Credential, CredentialStore, CredentialType, Origin, OriginFlags, RecordId, Site,
    StoreFailure, StoreResult, StoredCredential, SystemClock, Timestamp,
};

use crate::{Vault, VaultError};

/// A vault error as the engine sees it: [`VaultError::KeyChanged`] (the key was rotated by
/// another handle) is [`StoreFailure::key_changed`], so that whoever unlocked this handle
/// knows to unlock again.
impl From<VaultError> for StoreFailure {
    fn from(e: VaultError) -> Self {
        match e {
            VaultError::KeyChanged => StoreFailure::key_changed(e),
            e => StoreFailure::new(e),
        }
    }
}

impl CredentialStore for Vault {
    async fn list(
        &self,
        origin: &Origin,
        kind: CredentialType,
    ) -> StoreResult<Vec<StoredCredential>> {
        self.list_origin(origin, kind).map_err(StoreFailure::from)
    }

    async fn list_without_asking(
        &self,
        origin: &Origin,
        kind: CredentialType,
    ) -> StoreResult<Option<Vec<StoredCredential>>> {
        // An open `Vault` is unlocked: reading asks the user nothing.
        self.list_origin(origin, kind)
            .map(Some)
            .map_err(StoreFailure::from)
    }

    async fn list_same_site(
        &self,
        site: &Site,
        kind: CredentialType,
    ) -> StoreResult<Vec<StoredCredential>> {
        self.list_site(site, kind).map_err(StoreFailure::from)
    }

    async fn add(&self, credential: Credential, now: Timestamp) -> StoreResult<RecordId> {
        self.add_credential(&credential, now)
            .map_err(StoreFailure::from)
    }

    async fn update(
        &self,
        record: RecordId,
        credential: Credential,
        now: Timestamp,
    ) -> StoreResult<bool> {
        self.update_credential(record, &credential, now)
            .map_err(StoreFailure::from)
    }

    async fn remove(&self, record: RecordId) -> StoreResult<bool> {
        self.remove_credential(record).map_err(StoreFailure::from)
    }

    async fn origin_flags(&self, origin: &Origin) -> StoreResult<OriginFlags> {
        if origin.is_opaque() {
            return Ok(OriginFlags::default());
        }
        self.flags(origin).map_err(StoreFailure::from)
    }

    async fn set_origin_flags(&self, origin: &Origin, flags: OriginFlags) -> StoreResult<()> {
        self.set_flags(origin, flags, SystemClock.now())
            .map_err(StoreFailure::from)
    }
}
