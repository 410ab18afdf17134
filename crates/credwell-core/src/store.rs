//! The credential store: where credentials and per-origin flags live.
//!
//! Spec: [Infrastructure](https://w3c.github.io/webappsec-credential-management/#infrastructure)
//! asks for an opaque store that can store, retrieve (by filter) and modify credentials, and keep
//! each origin's [prevent silent access flag][origin-prevent-silent-access-flag].
//! The engine talks to it only through [`CredentialStore`]; [`MemoryStore`] is the in-memory
//! implementation for tests, benchmarks and embedders that persist elsewhere.
//!
//! [origin-prevent-silent-access-flag]:
//! https://w3c.github.io/webappsec-credential-management/#origin-prevent-silent-access-flag

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::clock::Timestamp;
use crate::credential::{Credential, CredentialType, Password};
use crate::extras::Extras;
use crate::origin::{Origin, Site};

mod delegate;

pub use delegate::DelegatingStore;

/// The store's identifier for a record; meaningful only to the store that issued it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordId(pub u64);

/// A credential as kept in a store.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredCredential {
    /// The record's identifier.
    pub record: RecordId,
    /// The credential.
    pub credential: Credential,
    /// When it was first stored.
    pub created: Timestamp,
    /// When it was last modified.
    pub updated: Timestamp,
    /// The passwords it had before, oldest first (empty for other kinds of credential).
    pub history: Vec<PastPassword>,
    /// Its notes, TOTP secret, custom fields, folder and favourite mark (empty for other kinds
    /// of credential). Never part of what a page receives: pages get [`Self::credential`].
    pub extras: Extras,
}

/// A password a credential had before, and when it was replaced.
#[derive(Clone, Debug, PartialEq)]
pub struct PastPassword {
    /// The password.
    pub password: Password,
    /// When another password replaced it.
    pub replaced: Timestamp,
}

/// The most passwords a credential's history keeps; the oldest go first.
pub const MAX_PASSWORD_HISTORY: usize = 32;

/// A credential with the times and password history another store gave it (an import): what a
/// store writes as it is, instead of stamping it with the time of the write.
#[derive(Clone, Debug, PartialEq)]
pub struct DatedCredential {
    /// The credential.
    pub credential: Credential,
    /// When it was first stored.
    pub created: Timestamp,
    /// When it was last modified.
    pub updated: Timestamp,
    /// The passwords it had before, oldest first.
    pub history: Vec<PastPassword>,
    /// Its notes, TOTP secret, custom fields, folder and favourite mark.
    pub extras: Extras,
}

/// Keeps `old`'s password in `history` when `new` replaces it with another one at `when`: both
/// password credentials, and the password changed. Appended last (newest); the oldest beyond
/// [`MAX_PASSWORD_HISTORY`] are dropped.
pub fn retire_password(
    history: &mut Vec<PastPassword>,
    old: &Credential,
    new: &Credential,
    when: Timestamp,
) {
    if let (Credential::Password(old), Credential::Password(new)) = (old, new)
        && old.password != new.password
    {
        history.push(PastPassword {
            password: old.password.clone(),
            replaced: when,
        });
        trim_history(history);
    }
}

/// Drops the oldest entries of `history` beyond [`MAX_PASSWORD_HISTORY`].
pub fn trim_history(history: &mut Vec<PastPassword>) {
    let excess = history.len().saturating_sub(MAX_PASSWORD_HISTORY);
    history.drain(..excess);
}

/// The flags a store keeps per origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OriginFlags {
    /// The prevent silent access flag: `true` means the origin
    /// [requires user mediation][origin-requires-user-mediation].
    /// It is `true` unless the user has mediated a sign-in on this origin.
    ///
    /// [origin-requires-user-mediation]:
    /// https://w3c.github.io/webappsec-credential-management/#origin-requires-user-mediation
    pub prevent_silent_access: bool,
    /// The user chose "never save for this site".
    pub never_save: bool,
}

impl Default for OriginFlags {
    fn default() -> Self {
        Self {
            prevent_silent_access: true,
            never_save: false,
        }
    }
}

/// A store failure (I/O, a locked vault...). Its message goes to the embedder's logs, never to
/// the page, which sees only an `UnknownError`.
#[derive(Debug, thiserror::Error)]
#[error("credential store failure: {0}")]
pub struct StoreFailure(#[source] pub Box<dyn std::error::Error + Send + Sync>);

impl StoreFailure {
    /// Wraps any error.
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(Box::new(error))
    }

    /// The user declined to unlock the store (closed the unlock page). The engine treats it like
    /// a dismissed prompt: `get()` resolves `null`, `store()` and `preventSilentAccess()`
    /// resolve `undefined`.
    pub fn unlock_declined() -> Self {
        Self::new(UnlockDeclined)
    }

    /// Whether this is [`unlock_declined`](Self::unlock_declined).
    pub fn is_unlock_declined(&self) -> bool {
        self.0.is::<UnlockDeclined>()
    }

    /// The store's key changed under this handle (another process re-keyed it): nothing more
    /// can be read or written through it, and the store must be unlocked again. `error` says
    /// what failed. An embedder that unlocks the store locks it again on this failure.
    pub fn key_changed(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::new(KeyChanged(Box::new(error)))
    }

    /// Whether this is [`key_changed`](Self::key_changed).
    pub fn is_key_changed(&self) -> bool {
        self.0.is::<KeyChanged>()
    }
}

/// The credential store's key changed under the handle that failed.
#[derive(Debug, thiserror::Error)]
#[error("the credential store's key changed: {0}")]
struct KeyChanged(#[source] Box<dyn std::error::Error + Send + Sync>);

/// The user declined to unlock the credential store.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the user declined to unlock the credential store")]
struct UnlockDeclined;

/// The result of a store operation.
pub type StoreResult<T> = Result<T, StoreFailure>;

/// The storage the engine runs against.
///
/// Methods return futures so that a store backed by a database or a remote process can do its
/// I/O without blocking an embedder's event loop; an in-memory store returns ready futures.
/// A store must never hand back a credential of another origin from [`list`](Self::list).
pub trait CredentialStore: Send + Sync {
    /// Every stored credential of `kind` whose `[[origin]]` is same origin with `origin`.
    fn list(
        &self,
        origin: &Origin,
        kind: CredentialType,
    ) -> impl Future<Output = StoreResult<Vec<StoredCredential>>> + Send;

    /// What [`list`](Self::list) returns, when the store can answer without asking the user
    /// anything; `Ok(None)` when it cannot (a locked vault: unlocking needs the user). Used by
    /// `uiMode: "immediate"`, which must not prompt the user before showing what exists.
    /// Required, not defaulted to `list`: a wrapper that forgot to forward it would prompt.
    fn list_without_asking(
        &self,
        origin: &Origin,
        kind: CredentialType,
    ) -> impl Future<Output = StoreResult<Option<Vec<StoredCredential>>>> + Send;

    /// Every stored credential of `kind` whose origin belongs to `site`, including the exact
    /// origin's. Used only to *offer* sibling-subdomain credentials in the chooser.
    fn list_same_site(
        &self,
        site: &Site,
        kind: CredentialType,
    ) -> impl Future<Output = StoreResult<Vec<StoredCredential>>> + Send;

    /// Adds a credential and returns its record id.
    fn add(
        &self,
        credential: Credential,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<RecordId>> + Send;

    /// Replaces the credential of an existing record. Returns `false` if there is no such record.
    fn update(
        &self,
        record: RecordId,
        credential: Credential,
        now: Timestamp,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Removes a record. Returns `false` if there was no such record.
    fn remove(&self, record: RecordId) -> impl Future<Output = StoreResult<bool>> + Send;

    /// The origin's flags ([`OriginFlags::default`] for an origin the store has never seen).
    fn origin_flags(
        &self,
        origin: &Origin,
    ) -> impl Future<Output = StoreResult<OriginFlags>> + Send;

    /// Replaces the origin's flags.
    fn set_origin_flags(
        &self,
        origin: &Origin,
        flags: OriginFlags,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}

/// An in-memory [`CredentialStore`], indexed by origin and by site.
///
/// Cloning gives another handle to the same store.
///
/// ```
/// use credwell_core::{Credential, CredentialStore, CredentialType, MemoryStore, Origin,
///     Password, PasswordCredential, Timestamp};
/// # futures::executor::block_on(async {
/// let store = MemoryStore::new();
/// let origin = Origin::parse("https://example.com").unwrap();
/// store.add(Credential::Password(PasswordCredential {
///     id: "alice".into(), password: Password::new("pencil"), name: String::new(),
///     icon_url: String::new(), origin: origin.clone(),
/// }), Timestamp(0)).await.unwrap();
/// assert_eq!(store.list(&origin, CredentialType::Password).await.unwrap().len(), 1);
/// # });
/// ```
#[derive(Clone, Debug, Default)]
pub struct MemoryStore {
    inner: Arc<RwLock<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    /// Records live inline, grouped by origin: a lookup touches one bucket, not one map entry per
    /// record.
    by_origin: HashMap<Origin, Vec<StoredCredential>>,
    /// Where each record is.
    origin_of: HashMap<RecordId, Origin>,
    by_site: HashMap<Site, Vec<Origin>>,
    flags: HashMap<Origin, OriginFlags>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many credentials the store holds.
    pub fn len(&self) -> usize {
        self.read().origin_of.len()
    }

    /// Whether the store holds no credential.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every record, in record-id order (for managers and tests).
    pub fn all(&self) -> Vec<StoredCredential> {
        let inner = self.read();
        let mut all: Vec<_> = inner.by_origin.values().flatten().cloned().collect();
        all.sort_by_key(|r| r.record);
        all
    }

    /// Adds a credential without going through a future (bulk loading, benchmarks); `now` is a
    /// [`Timestamp`] or milliseconds since the epoch.
    pub fn insert(&self, credential: Credential, now: impl Into<Timestamp>) -> RecordId {
        self.write().insert(credential, now.into())
    }

    /// Adds a credential with the times and history `dated` gives it.
    pub fn insert_dated(&self, dated: DatedCredential) -> RecordId {
        self.write().insert_dated(dated)
    }

    /// Replaces a record's credential, times and history with `dated`'s, keeping the record's
    /// id; `false` when there is no such record.
    pub fn replace_dated(&self, record: RecordId, dated: DatedCredential) -> bool {
        let mut inner = self.write();
        if inner.take(record).is_none() {
            return false;
        }
        inner.place(StoredCredential {
            record,
            credential: dated.credential,
            created: dated.created,
            updated: dated.updated,
            history: dated.history,
            extras: dated.extras,
        });
        true
    }

    /// Replaces a record's extras, keeping everything else; `false` when there is no such
    /// record.
    pub fn set_extras(&self, record: RecordId, extras: Extras) -> bool {
        let mut inner = self.write();
        let Some(mut stored) = inner.take(record) else {
            return false;
        };
        stored.extras = extras;
        inner.place(stored);
        true
    }

    fn read(&self) -> RwLockReadGuard<'_, Inner> {
        // Every write leaves `Inner` consistent before it can panic, so a poisoned lock still
        // guards valid data.
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl Inner {
    fn insert(&mut self, credential: Credential, now: Timestamp) -> RecordId {
        self.insert_dated(DatedCredential {
            credential,
            created: now,
            updated: now,
            history: Vec::new(),
            extras: Extras::default(),
        })
    }

    fn insert_dated(&mut self, dated: DatedCredential) -> RecordId {
        self.next_id += 1;
        let record = RecordId(self.next_id);
        self.place(StoredCredential {
            record,
            credential: dated.credential,
            created: dated.created,
            updated: dated.updated,
            history: dated.history,
            extras: dated.extras,
        });
        record
    }

    /// Files a record under its credential's origin.
    fn place(&mut self, stored: StoredCredential) {
        let origin = stored.credential.origin().clone();
        if let Some(site) = origin.site() {
            let origins = self.by_site.entry(site.clone()).or_default();
            if !origins.contains(&origin) {
                origins.push(origin.clone());
            }
        }
        self.origin_of.insert(stored.record, origin.clone());
        self.by_origin.entry(origin).or_default().push(stored);
    }

    fn list(&self, origin: &Origin, kind: CredentialType) -> Vec<StoredCredential> {
        self.by_origin
            .get(origin)
            .into_iter()
            .flatten()
            .filter(|r| r.credential.credential_type() == kind)
            .cloned()
            .collect()
    }

    fn take(&mut self, record: RecordId) -> Option<StoredCredential> {
        let origin = self.origin_of.remove(&record)?;
        let bucket = self.by_origin.get_mut(&origin)?;
        let position = bucket.iter().position(|r| r.record == record)?;
        let taken = bucket.swap_remove(position);
        if bucket.is_empty() {
            self.by_origin.remove(&origin);
            if let Some(origins) = origin.site().and_then(|s| self.by_site.get_mut(s)) {
                origins.retain(|o| *o != origin);
            }
        }
        Some(taken)
    }
}

impl CredentialStore for MemoryStore {
    async fn list(
        &self,
        origin: &Origin,
        kind: CredentialType,
    ) -> StoreResult<Vec<StoredCredential>> {
        Ok(self.read().list(origin, kind))
    }

    async fn list_without_asking(
        &self,
        origin: &Origin,
        kind: CredentialType,
    ) -> StoreResult<Option<Vec<StoredCredential>>> {
        // Always open: nothing to ask.
        Ok(Some(self.read().list(origin, kind)))
    }

    async fn list_same_site(
        &self,
        site: &Site,
        kind: CredentialType,
    ) -> StoreResult<Vec<StoredCredential>> {
        let inner = self.read();
        Ok(inner
            .by_site
            .get(site)
            .into_iter()
            .flatten()
            .flat_map(|origin| inner.list(origin, kind))
            .collect())
    }

    async fn add(&self, credential: Credential, now: Timestamp) -> StoreResult<RecordId> {
        Ok(self.write().insert(credential, now))
    }

    async fn update(
        &self,
        record: RecordId,
        credential: Credential,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let mut inner = self.write();
        let Some(mut stored) = inner.take(record) else {
            return Ok(false);
        };
        retire_password(&mut stored.history, &stored.credential, &credential, now);
        stored.credential = credential;
        stored.updated = now;
        inner.place(stored);
        Ok(true)
    }

    async fn remove(&self, record: RecordId) -> StoreResult<bool> {
        Ok(self.write().take(record).is_some())
    }

    async fn origin_flags(&self, origin: &Origin) -> StoreResult<OriginFlags> {
        Ok(self.read().flags.get(origin).copied().unwrap_or_default())
    }

    async fn set_origin_flags(&self, origin: &Origin, flags: OriginFlags) -> StoreResult<()> {
        self.write().flags.insert(origin.clone(), flags);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    fn password(origin: &str, id: &str) -> Credential {
        Credential::Password(crate::PasswordCredential {
            id: id.into(),
            password: crate::Password::new("pw"),
            name: String::new(),
            icon_url: String::new(),
            origin: Origin::parse(origin).unwrap(),
        })
    }

    #[test]
    fn list_update_remove_round_trip() {
        let store = MemoryStore::new();
        let a = store.insert(password("https://a.example.com", "alice"), 1);
        let b = store.insert(password("https://b.example.com", "bob"), 1);
        let origin_a = Origin::parse("https://a.example.com").unwrap();
        let site = origin_a.site().unwrap().clone();
        assert_eq!(
            block_on(store.list(&origin_a, CredentialType::Password))
                .unwrap()
                .len(),
            1
        );
        assert!(
            block_on(store.list(&origin_a, CredentialType::Federated))
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            block_on(store.list_same_site(&site, CredentialType::Password))
                .unwrap()
                .len(),
            2
        );
        // Moving a record to another origin re-files it under the same id.
        assert!(
            block_on(store.update(a, password("https://c.example.com", "alice"), Timestamp(2)))
                .unwrap()
        );
        assert!(
            block_on(store.list(&origin_a, CredentialType::Password))
                .unwrap()
                .is_empty()
        );
        let moved = store.all().into_iter().find(|r| r.record == a).unwrap();
        assert_eq!((moved.created, moved.updated), (Timestamp(1), Timestamp(2)));
        // The same password: nothing to keep in the history.
        assert!(moved.history.is_empty());
        assert!(block_on(store.remove(b)).unwrap());
        assert!(!block_on(store.remove(b)).unwrap());
        assert!(
            !block_on(store.update(b, password("https://b.example.com", "bob"), Timestamp(3)))
                .unwrap()
        );
        assert_eq!(store.len(), 1);
        assert_eq!(
            block_on(store.list_same_site(&site, CredentialType::Password))
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn a_replaced_password_is_kept_in_the_history_up_to_its_limit() {
        let store = MemoryStore::new();
        let with = |pw: &str| {
            Credential::Password(crate::PasswordCredential {
                id: "alice".into(),
                password: crate::Password::new(pw),
                name: String::new(),
                icon_url: String::new(),
                origin: Origin::parse("https://a.example").unwrap(),
            })
        };
        let a = store.insert(with("pw0"), 1);
        for n in 1..=MAX_PASSWORD_HISTORY + 2 {
            let now = Timestamp(n as u64 + 1);
            assert!(block_on(store.update(a, with(&format!("pw{n}")), now)).unwrap());
        }
        let stored = store.all().remove(0);
        assert_eq!(stored.history.len(), MAX_PASSWORD_HISTORY);
        // The two oldest (pw0, pw1) went; pw2 replaced at 3 is the oldest kept.
        assert_eq!(stored.history[0].password.expose(), "pw2");
        assert_eq!(stored.history[0].replaced, Timestamp(4));
        let last = stored.history.last().unwrap();
        assert_eq!(
            last.password.expose(),
            format!("pw{}", MAX_PASSWORD_HISTORY + 1)
        );
        // Dated writes keep the times and history they are given.
        let dated = DatedCredential {
            credential: with("new"),
            created: Timestamp(10),
            updated: Timestamp(20),
            history: vec![PastPassword {
                password: crate::Password::new("old"),
                replaced: Timestamp(20),
            }],
            extras: crate::Extras {
                folder: "Work".into(),
                ..crate::Extras::default()
            },
        };
        assert!(store.replace_dated(a, dated.clone()));
        let stored = store.all().remove(0);
        assert_eq!(
            (stored.created, stored.updated, stored.history),
            (Timestamp(10), Timestamp(20), dated.history.clone())
        );
        assert_eq!(stored.extras, dated.extras);
        // An update keeps the record's extras; set_extras replaces them alone.
        assert!(block_on(store.update(a, with("newer"), Timestamp(30))).unwrap());
        assert_eq!(store.all().remove(0).extras, dated.extras);
        assert!(store.set_extras(a, crate::Extras::default()));
        let stored = store.all().remove(0);
        assert!(stored.extras.is_empty() && stored.updated == Timestamp(30));
        assert!(!store.set_extras(RecordId(99), crate::Extras::default()));
        assert!(!store.replace_dated(RecordId(99), dated.clone()));
        let b = store.insert_dated(dated);
        assert_ne!(a, b);
    }

    #[test]
    fn flags_default_to_requiring_mediation() {
        let store = MemoryStore::new();
        let o = Origin::parse("https://a.example").unwrap();
        assert_eq!(
            block_on(store.origin_flags(&o)).unwrap(),
            OriginFlags::default()
        );
        assert!(OriginFlags::default().prevent_silent_access);
        let cleared = OriginFlags {
            prevent_silent_access: false,
            never_save: true,
        };
        block_on(store.set_origin_flags(&o, cleared)).unwrap();
        assert_eq!(block_on(store.origin_flags(&o)).unwrap(), cleared);
    }
}
