//! The vault behind its lock: [`LockableStore`] is the unlocked store, or a wait for the user
//! to unlock it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use credwell_core::{
    CredentialStore, CredentialType, Origin, OriginFlags, RecordId, Site, StoreFailure,
    StoreResult, StoredCredential, Timestamp,
};
use serde_json::Value;
use tokio::sync::watch;

use crate::bounds;
use crate::outbox::Outbox;
use crate::protocol::{Event, Prompt};

/// A store that is either unlocked or waits for the user to unlock it.
///
/// While locked, every operation asks the extension (once) to show the unlock page and waits; a
/// request cancelled meanwhile simply stops waiting.
pub(crate) struct LockableStore<S> {
    state: Arc<watch::Sender<Option<Arc<S>>>>,
    /// Counts the times the user declined to unlock; waiters started before a bump give up.
    declined: Arc<watch::Sender<u64>>,
    outbox: Outbox,
    /// The `ui` id of the unlock page shown for the current locked period (0: none shown).
    unlock_ui: Arc<AtomicU64>,
    next_ui: Arc<AtomicU64>,
}

impl<S> Clone for LockableStore<S> {
    fn clone(&self) -> Self {
        Self {
            state: Arc::clone(&self.state),
            declined: Arc::clone(&self.declined),
            outbox: self.outbox.clone(),
            unlock_ui: Arc::clone(&self.unlock_ui),
            next_ui: Arc::clone(&self.next_ui),
        }
    }
}

impl<S: CredentialStore> LockableStore<S> {
    pub(crate) fn new(outbox: Outbox, next_ui: Arc<AtomicU64>) -> Self {
        Self {
            state: Arc::new(watch::Sender::new(None)),
            declined: Arc::new(watch::Sender::new(0)),
            outbox,
            unlock_ui: Arc::default(),
            next_ui,
        }
    }

    pub(crate) fn is_unlocked(&self) -> bool {
        self.state.borrow().is_some()
    }

    /// The unlocked store (`None` while locked), as it changes.
    pub(crate) fn watch(&self) -> watch::Receiver<Option<Arc<S>>> {
        self.state.subscribe()
    }

    /// The store if it is unlocked now, without waiting or asking.
    pub(crate) fn unlocked_now(&self) -> Option<Arc<S>> {
        self.state.borrow().clone()
    }

    pub(crate) fn unlock(&self, store: S) {
        self.unlock_ui.store(0, Ordering::SeqCst);
        self.state.send_replace(Some(Arc::new(store)));
        self.outbox.send(Event::VaultUnlocked);
    }

    pub(crate) fn lock(&self) {
        if self.state.send_replace(None).is_some() {
            self.outbox.send(Event::VaultLocked);
        }
    }

    /// `ui.respond` for the unlock page: `{"cancel": true}` declines, which ends every request
    /// waiting for the unlock; the next request shows the page again. Returns whether `ui` was
    /// the unlock page.
    pub(crate) fn respond(&self, ui: u64, answer: &Value) -> bool {
        if ui == 0 || self.unlock_ui.load(Ordering::SeqCst) != ui {
            return false;
        }
        if answer.get("cancel") == Some(&Value::Bool(true)) {
            self.unlock_ui.store(0, Ordering::SeqCst);
            self.declined.send_modify(|n| *n += 1);
        }
        true
    }

    /// The unlocked store, once something else unlocks it: never shows the unlock page, and a
    /// declined unlock does not end the wait.
    pub(crate) async fn current_quietly(&self) -> StoreResult<Arc<S>> {
        let mut rx = self.state.subscribe();
        loop {
            if let Some(s) = rx.borrow_and_update().clone() {
                return Ok(s);
            }
            rx.changed().await.map_err(StoreFailure::new)?;
        }
    }

    pub(crate) async fn current(&self) -> StoreResult<Arc<S>> {
        let mut rx = self.state.subscribe();
        let mut declined = self.declined.subscribe();
        declined.borrow_and_update();
        if let Some(s) = rx.borrow_and_update().clone() {
            return Ok(s);
        }
        // Ask once per locked period (until unlocked or declined).
        let ui = self.next_ui.fetch_add(1, Ordering::SeqCst);
        if self
            .unlock_ui
            .compare_exchange(0, ui, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            self.outbox.send(Event::UiShow {
                ui,
                prompt: Prompt::Unlock,
            });
        }
        loop {
            tokio::select! {
                changed = rx.changed() => {
                    changed.map_err(StoreFailure::new)?;
                    if let Some(s) = rx.borrow_and_update().clone() {
                        return Ok(s);
                    }
                }
                changed = declined.changed() => {
                    changed.map_err(StoreFailure::new)?;
                    return Err(StoreFailure::unlock_declined());
                }
            }
        }
    }
}

impl<S: CredentialStore> LockableStore<S> {
    /// Runs `op` on the unlocked store. When the store reports that its key changed (the
    /// vault was re-keyed by another process, e.g. `credwell vault passwd`), the host locks
    /// and `op` runs again once the user unlocks (or the request settles as declined).
    pub(crate) async fn with_store<T, F, Fut>(&self, op: F) -> StoreResult<T>
    where
        F: Fn(Arc<S>) -> Fut,
        Fut: Future<Output = StoreResult<T>>,
    {
        loop {
            let store = self.current().await?;
            match op(Arc::clone(&store)).await {
                Err(e) if e.is_key_changed() => {
                    tracing::info!("the vault key changed: locking until the next unlock");
                    self.lock_stale(&store);
                }
                result => return result,
            }
        }
    }

    /// Locks if `stale` is still the unlocked store (not if the user unlocked again meanwhile).
    fn lock_stale(&self, stale: &Arc<S>) {
        let locked = self.state.send_if_modified(|state| {
            let is_stale = state.as_ref().is_some_and(|s| Arc::ptr_eq(s, stale));
            if is_stale {
                *state = None;
            }
            is_stale
        });
        if locked {
            self.outbox.send(Event::VaultLocked);
        }
    }
}

impl<S: CredentialStore> CredentialStore for LockableStore<S> {
    async fn list(
        &self,
        origin: &Origin,
        kind: CredentialType,
    ) -> StoreResult<Vec<StoredCredential>> {
        self.with_store(|s| async move { s.list(origin, kind).await })
            .await
    }

    async fn list_without_asking(
        &self,
        origin: &Origin,
        kind: CredentialType,
    ) -> StoreResult<Option<Vec<StoredCredential>>> {
        // Never the unlock page: a locked vault cannot tell, and says so.
        match self.unlocked_now() {
            Some(store) => store.list(origin, kind).await.map(Some),
            None => Ok(None),
        }
    }

    async fn list_same_site(
        &self,
        site: &Site,
        kind: CredentialType,
    ) -> StoreResult<Vec<StoredCredential>> {
        self.with_store(|s| async move { s.list_same_site(site, kind).await })
            .await
    }

    async fn add(
        &self,
        credential: credwell_core::Credential,
        now: Timestamp,
    ) -> StoreResult<RecordId> {
        self.with_store(|store| {
            let credential = credential.clone();
            async move {
                // Only pages add through the host: their credentials per origin are bounded.
                bounds::check_room(&*store, credential.origin()).await?;
                store.add(credential, now).await
            }
        })
        .await
    }

    async fn update(
        &self,
        record: RecordId,
        credential: credwell_core::Credential,
        now: Timestamp,
    ) -> StoreResult<bool> {
        self.with_store(|s| {
            let credential = credential.clone();
            async move { s.update(record, credential, now).await }
        })
        .await
    }

    async fn remove(&self, record: RecordId) -> StoreResult<bool> {
        self.with_store(|s| async move { s.remove(record).await })
            .await
    }

    async fn origin_flags(&self, origin: &Origin) -> StoreResult<OriginFlags> {
        self.with_store(|s| async move { s.origin_flags(origin).await })
            .await
    }

    async fn set_origin_flags(&self, origin: &Origin, flags: OriginFlags) -> StoreResult<()> {
        self.with_store(|s| async move { s.set_origin_flags(origin, flags).await })
            .await
    }
}

impl<S> std::fmt::Debug for LockableStore<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockableStore").finish_non_exhaustive()
    }
}
