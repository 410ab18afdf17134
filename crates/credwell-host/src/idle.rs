//! The idle lock: the vault locks once the user has done nothing with credwell for the configured
//! time. Only the user's actions count (an unlock, an answered prompt, the manager page): a page
//! calling now and then, or a request that stays pending (a conditional `get()` never settles on
//! its own), must not keep the vault unlocked.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use credwell_core::CredentialStore;
use tokio::time::Instant;

use crate::lockable::LockableStore;
use credwell_core::sync::lock;

/// When the user last acted.
#[derive(Clone, Debug)]
pub(crate) struct UserActivity(Arc<Mutex<Instant>>);

impl UserActivity {
    /// Starts counting now.
    pub(crate) fn new() -> Self {
        Self(Arc::new(Mutex::new(Instant::now())))
    }

    /// The user acted now.
    pub(crate) fn touch(&self) {
        *lock(&self.0) = Instant::now();
    }

    /// When the idle lock is due.
    fn deadline(&self, limit: Duration) -> Instant {
        *lock(&self.0) + limit
    }
}

/// Locks `store` whenever it is unlocked and the user has not acted for `limit`. Requests in
/// flight go on; those that need the vault again wait for the next unlock.
pub(crate) async fn lock_when_idle<S: CredentialStore>(
    store: LockableStore<S>,
    activity: UserActivity,
    limit: Duration,
) {
    // Polled: the user's actions move the deadline without waking this task.
    let tick = limit.min(Duration::from_secs(1));
    loop {
        tokio::time::sleep(tick).await;
        if Instant::now() >= activity.deadline(limit) && store.is_unlocked() {
            tracing::info!("locking the vault after {limit:?} without a user action");
            store.lock();
        }
    }
}
