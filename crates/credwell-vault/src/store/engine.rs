//! `credwell_core::CredentialStore` over the vault's record operations.

use credwell_core::{
    Clock, Credential, CredentialStore, CredentialType, Origin, OriginFlags, RecordId, Site,
    StoreFailure, StoreResult, StoredCredential, SystemClock, Timestamp,
};

use crate::{Vault, VaultError};

fn failure(e: VaultError) -> StoreFailure {
    StoreFailure::new(e)
}

impl CredentialStore for Vault {
    async fn list(
        &self,
        origin: &Origin,
        kind: CredentialType,
    ) -> StoreResult<Vec<StoredCredential>> {
        self.list_origin(origin, kind).map_err(failure)
    }

    async fn list_same_site(
        &self,
        site: &Site,
        kind: CredentialType,
    ) -> StoreResult<Vec<StoredCredential>> {
        self.list_site(site, kind).map_err(failure)
    }

    async fn add(&self, credential: Credential, now: Timestamp) -> StoreResult<RecordId> {
        self.add_credential(&credential, now).map_err(failure)
    }

    async fn update(
        &self,
        record: RecordId,
        credential: Credential,
        now: Timestamp,
    ) -> StoreResult<bool> {
        self.update_credential(record, &credential, now)
            .map_err(failure)
    }

    async fn remove(&self, record: RecordId) -> StoreResult<bool> {
        self.remove_credential(record).map_err(failure)
    }

    async fn origin_flags(&self, origin: &Origin) -> StoreResult<OriginFlags> {
        if origin.is_opaque() {
            return Ok(OriginFlags::default());
        }
        self.flags(origin).map_err(failure)
    }

    async fn set_origin_flags(&self, origin: &Origin, flags: OriginFlags) -> StoreResult<()> {
        self.set_flags(origin, flags, SystemClock.now())
            .map_err(failure)
    }
}
