//! Stores that keep what they store in another store: [`DelegatingStore`].
//!
//! The forwarding is written once per store trait, beside the trait: here for
//! [`CredentialStore`], in credwell-passkey for its passkey store. A store that wraps another
//! names its inner store and gets every method forwarded, instead of writing the list again.

use std::future::Future;
use std::sync::Arc;

use super::{CredentialStore, OriginFlags, RecordId, StoreResult, StoredCredential};
use crate::clock::Timestamp;
use crate::credential::{Credential, CredentialType};
use crate::origin::{Origin, Site};

/// A store whose every operation is its [`delegate`](Self::delegate)'s: it is a
/// [`CredentialStore`] when the delegate is one (and a passkey store when the delegate is one).
///
/// [`Arc`] delegates to what it points to, so a shared store is a store.
///
/// ```
/// use credwell_core::{CredentialStore, DelegatingStore, MemoryStore, Origin};
/// /// Credentials in memory, plus something else the store carries.
/// struct Tagged {
///     credentials: MemoryStore,
///     tag: &'static str,
/// }
/// impl DelegatingStore for Tagged {
///     type Delegate = MemoryStore;
///     fn delegate(&self) -> &MemoryStore {
///         &self.credentials
///     }
/// }
/// # futures::executor::block_on(async {
/// let store = Tagged { credentials: MemoryStore::new(), tag: "mine" };
/// let origin = Origin::parse("https://example.com").unwrap();
/// assert!(store.origin_flags(&origin).await.unwrap().prevent_silent_access);
/// # });
/// ```
pub trait DelegatingStore: Send + Sync {
    /// The store the operations go to.
    type Delegate: ?Sized;

    /// The store the operations go to.
    fn delegate(&self) -> &Self::Delegate;
}

impl<T: ?Sized + Send + Sync> DelegatingStore for Arc<T> {
    type Delegate = T;

    fn delegate(&self) -> &T {
        self
    }
}

impl<T> CredentialStore for T
where
    T: DelegatingStore,
    T::Delegate: CredentialStore,
{
    fn list(
        &self,
        origin: &Origin,
        kind: CredentialType,
    ) -> impl Future<Output = StoreResult<Vec<StoredCredential>>> + Send {
        self.delegate().list(origin, kind)
    }

    fn list_without_asking(
        &self,
        origin: &Origin,
        kind: CredentialType,
    ) -> impl Future<Output = StoreResult<Option<Vec<StoredCredential>>>> + Send {
        self.delegate().list_without_asking(origin, kind)
    }

    fn list_same_site(
        &self,
        site: &Site,
        kind: CredentialType,
    ) -> impl Future<Output = StoreResult<Vec<StoredCredential>>> + Send {
        self.delegate().list_same_site(site, kind)
    }

    fn add(
        &self,
        credential: Credential,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<RecordId>> + Send {
        self.delegate().add(credential, now)
    }

    fn update(
        &self,
        record: RecordId,
        credential: Credential,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<bool>> + Send {
        self.delegate().update(record, credential, now)
    }

    fn remove(&self, record: RecordId) -> impl Future<Output = StoreResult<bool>> + Send {
        self.delegate().remove(record)
    }

    fn origin_flags(
        &self,
        origin: &Origin,
    ) -> impl Future<Output = StoreResult<OriginFlags>> + Send {
        self.delegate().origin_flags(origin)
    }

    fn set_origin_flags(
        &self,
        origin: &Origin,
        flags: OriginFlags,
    ) -> impl Future<Output = StoreResult<()>> + Send {
        self.delegate().set_origin_flags(origin, flags)
    }
}
