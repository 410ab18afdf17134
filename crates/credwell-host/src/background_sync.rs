//! Background sync: while the vault is unlocked and signed in to a sync server, the host syncs
//! it (`credwell_admin::sync`), and again as soon as something is written to it, the server
//! reports a change from another device, or the interval has passed.
//!
//! The loop, for each unlocked period:
//!
//! 1. Sync once, on the blocking pool (the HTTP client is blocking): [`BackgroundSync::sync`].
//! 2. Record the outcome in [`SyncStatus`] (`vault.status`'s `sync`). A vault that is not
//!    signed in (or is in memory) is `off`; a failure waits 2 s, then twice as long after each
//!    further failure, at most the interval; a vault written during the sync
//!    ([`SyncFailure::VaultChanged`]) is synced again at once.
//! 3. Wait for the first of: a committed write (the vault's authenticated write generation
//!    moved past the one the sync left; polled every [`GENERATION_POLL`], which also sees
//!    writes by the command line), the server's live notice (a long poll,
//!    [`BackgroundSync::notice_waiter`], on a thread of its own, reporting that the account's
//!    cursor moved past the one this device has), or the interval (or the back-off). Then
//!    go to 1.
//!
//! Locking the vault stops the loop at once: the status goes back to `off`, and the loop drops
//! its hold on the store. A sync already on the network finishes on its blocking thread (its
//! result is dropped), and a pending long poll ends on its own within the server's wait time;
//! each holds its own copy of the device token until then, nothing else does.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use credwell_core::CredentialStore;
use credwell_core::Timestamp;
use credwell_core::sync::lock;
use serde_json::{Value, json};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::lockable::LockableStore;

/// How often the vault's write generation is read to notice a write.
pub(crate) const GENERATION_POLL: Duration = Duration::from_millis(250);

/// The first wait after a failed sync; it doubles after each further failure, up to the
/// interval.
const FIRST_BACKOFF: Duration = Duration::from_secs(2);

/// A long poll for the server's live notice: given this device's cursor, blocks until the
/// account's cursor passes it or the server's wait time ends; the account's cursor then, or
/// why the server could not be asked. Runs on a thread of its own.
pub type NoticeWait = Box<dyn FnOnce(u64) -> Result<u64, String> + Send>;

/// What one background sync did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncDone {
    /// The server's URL.
    pub server: String,
    /// How many records came from other devices.
    pub received: usize,
    /// How many records this device pushed.
    pub pushed: usize,
    /// The vault's write generation after the sync's own write: a later one is a new write.
    pub generation: u64,
    /// The account's cursor this device has pulled up to (what a live notice waits past).
    pub cursor: u64,
}

/// Why a background sync did not happen. Never holds a token, a key or a record.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SyncFailure {
    /// The store is not signed in to a sync server (or cannot be: an in-memory vault).
    #[error("not signed in to a sync server")]
    NotSignedIn,
    /// Something was written to the vault during the sync: nothing was written by the sync,
    /// and syncing again pushes the write.
    #[error("the vault changed while it synced")]
    VaultChanged,
    /// Another device revoked a device and rotated the account key: this device needs the
    /// new key, which only the sync passphrase gives.
    #[error(
        "the account key was rotated on another device (a device was revoked): run \
         `credwell sync now` to sign in with the sync passphrase and fetch the new key"
    )]
    KeyRotated {
        /// The server's URL.
        server: String,
    },
    /// The sync failed (the server could not be reached, refused this device, or lied).
    #[error("{message}")]
    Failed {
        /// The server's URL, when the account could be read.
        server: Option<String>,
        /// Why, in words.
        message: String,
    },
}

/// What background sync needs of an unlocked store. The defaults are a store that is never
/// signed in: its sync is `off`.
pub trait BackgroundSync: Send + Sync + 'static {
    /// One sync (pull, merge, push, write) at `now` (milliseconds since the Unix epoch). Called
    /// on a blocking thread.
    fn sync(&self, now: u64) -> Result<SyncDone, SyncFailure> {
        let _ = now;
        Err(SyncFailure::NotSignedIn)
    }

    /// The store's write generation (`None`: it does not have one). Called on the runtime
    /// every 250 ms: it must be cheap.
    fn generation(&self) -> Option<u64> {
        None
    }

    /// A long poll for the server's live notice, holding what it needs of the account (not
    /// the store); `None` when not signed in.
    fn notice_waiter(&self) -> Option<NoticeWait> {
        None
    }
}

/// The sync state as `vault.status` reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum State {
    /// Not signed in, or locked.
    #[default]
    Off,
    Syncing,
    Synced,
    Failed,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Status {
    state: State,
    server: Option<String>,
    /// When the last sync succeeded (milliseconds since the Unix epoch).
    last_sync: Option<u64>,
    last_error: Option<String>,
    received: Option<usize>,
    pushed: Option<usize>,
}

/// The background sync's state, shared with `vault.status`.
#[derive(Clone, Debug, Default)]
pub(crate) struct SyncStatus(Arc<Mutex<Status>>);

impl SyncStatus {
    fn update(&self, change: impl FnOnce(&mut Status)) {
        change(&mut lock(&self.0));
    }

    fn off(&self) {
        self.update(|s| *s = Status::default());
    }

    fn syncing(&self) {
        self.update(|s| s.state = State::Syncing);
    }

    fn synced(&self, done: &SyncDone, now: u64) {
        self.update(|s| {
            *s = Status {
                state: State::Synced,
                server: Some(done.server.clone()),
                last_sync: Some(now),
                last_error: None,
                received: Some(done.received),
                pushed: Some(done.pushed),
            };
        });
    }

    fn failed(&self, failure: &SyncFailure) {
        let server = match failure {
            SyncFailure::KeyRotated { server } => Some(server.clone()),
            SyncFailure::Failed { server, .. } => server.clone(),
            _ => None,
        };
        self.update(|s| {
            s.state = State::Failed;
            s.server = server.or(s.server.take());
            s.last_error = Some(failure.to_string());
        });
    }

    /// `vault.status`'s `sync` member: `{"state", "server"?, "lastSync"?, "lastError"?,
    /// "received"?, "pushed"?}`. A `locked` vault's is `off`, whatever the loop last recorded:
    /// the loop hears of the lock a moment after it happens (and a round that was ending may
    /// record its outcome in that moment), but a status asked for after the lock must not show
    /// a sync the lock has stopped.
    pub(crate) fn to_json(&self, locked: bool) -> Value {
        let s = if locked {
            Status::default()
        } else {
            lock(&self.0).clone()
        };
        let state = match s.state {
            State::Off => "off",
            State::Syncing => "syncing",
            State::Synced => "synced",
            State::Failed => "failed",
        };
        let mut out = json!({ "state": state });
        if s.state == State::Off {
            return out;
        }
        let members = [
            ("server", s.server.map(Value::from)),
            (
                "lastSync",
                s.last_sync
                    .map(|ms| Value::from(Timestamp(ms).to_iso8601())),
            ),
            ("lastError", s.last_error.map(Value::from)),
            ("received", s.received.map(Value::from)),
            ("pushed", s.pushed.map(Value::from)),
        ];
        for (name, value) in members {
            if let Some(value) = value {
                out[name] = value;
            }
        }
        out
    }
}

/// The wall clock, in milliseconds since the Unix epoch.
fn now_ms() -> u64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
}

/// Starts [`sync_in_background`] over `store`'s unlocks, every `interval` (`None`: not at
/// all).
pub(crate) fn spawn<S: BackgroundSync + CredentialStore>(
    store: &LockableStore<S>,
    status: &SyncStatus,
    interval: Option<Duration>,
) -> Option<JoinHandle<()>> {
    let (stores, status) = (store.watch(), status.clone());
    interval.map(|interval| tokio::spawn(sync_in_background(stores, status, interval)))
}

/// Syncs each unlocked store that `stores` holds, as the module says, until the host ends
/// (the sender is dropped).
pub(crate) async fn sync_in_background<S: BackgroundSync>(
    mut stores: watch::Receiver<Option<Arc<S>>>,
    status: SyncStatus,
    interval: Duration,
) {
    loop {
        let store = match stores.wait_for(Option::is_some).await {
            Ok(unlocked) => unlocked.clone(),
            Err(_) => return,
        };
        let Some(store) = store else { continue };
        tokio::select! {
            () = while_unlocked(&store, &status, interval) => {}
            () = until_locked(stores.clone(), &store) => {}
        }
        drop(store);
        status.off();
    }
}

/// Returns once `stores` no longer holds `store` (locked, or unlocked again as another).
async fn until_locked<S>(mut stores: watch::Receiver<Option<Arc<S>>>, store: &Arc<S>) {
    loop {
        let same = (stores.borrow_and_update().as_ref()).is_some_and(|s| Arc::ptr_eq(s, store));
        if !same || stores.changed().await.is_err() {
            return;
        }
    }
}

/// Steps 1 to 3 of the module's loop, for ever.
async fn while_unlocked<S: BackgroundSync>(
    store: &Arc<S>,
    status: &SyncStatus,
    interval: Duration,
) {
    let mut failures: u32 = 0;
    let mut cursor: Option<u64> = None;
    let mut notice: Option<oneshot::Receiver<Result<u64, String>>> = None;
    loop {
        // 1.
        status.syncing();
        let syncing = Arc::clone(store);
        let outcome = tokio::task::spawn_blocking(move || syncing.sync(now_ms()))
            .await
            .unwrap_or_else(|_| {
                Err(SyncFailure::Failed {
                    server: None,
                    message: "the sync stopped unexpectedly".into(),
                })
            });
        // 2.
        let (wait, generation) = match outcome {
            Ok(done) => {
                failures = 0;
                status.synced(&done, now_ms());
                cursor = Some(done.cursor);
                (interval, Some(done.generation))
            }
            Err(SyncFailure::VaultChanged) => continue,
            Err(SyncFailure::NotSignedIn) => {
                failures = 0;
                status.off();
                (cursor, notice) = (None, None);
                (interval, store.generation())
            }
            Err(failure) => {
                failures = failures.saturating_add(1);
                tracing::warn!("background sync failed: {failure}");
                status.failed(&failure);
                (backoff(failures, interval), store.generation())
            }
        };
        // 3.
        if notice.is_none()
            && let Some(cursor) = cursor
        {
            notice = store
                .notice_waiter()
                .and_then(|w| wait_for_notice(w, cursor));
        }
        let deadline = Instant::now() + wait;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => break,
                () = tokio::time::sleep(GENERATION_POLL), if generation.is_some() => {
                    if store.generation() != generation {
                        break;
                    }
                }
                heard = heard(&mut notice), if notice.is_some() => {
                    notice = None;
                    match (heard, cursor) {
                        (Ok(Ok(now)), Some(ours)) if now > ours => break,
                        // The wait timed out (or our own push moved the cursor): wait again.
                        (Ok(Ok(_)), Some(ours)) => {
                            notice = store.notice_waiter().and_then(|w| wait_for_notice(w, ours));
                        }
                        // The server cannot be asked: no notices until the next sync.
                        _ => {}
                    }
                }
            }
        }
    }
}

/// The pending notice's answer (never, when none is pending).
async fn heard<T>(
    notice: &mut Option<oneshot::Receiver<T>>,
) -> Result<T, oneshot::error::RecvError> {
    match notice {
        Some(rx) => rx.await,
        None => std::future::pending().await,
    }
}

/// The wait after `failures` failures in a row: 2 s, doubling, at most `interval`.
fn backoff(failures: u32, interval: Duration) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    FIRST_BACKOFF.saturating_mul(1 << doublings).min(interval)
}

/// Runs `wait` on a thread of its own (a blocking long poll that cannot be cancelled: a
/// pool thread would hold back the runtime's shutdown); its answer arrives on the channel.
fn wait_for_notice(wait: NoticeWait, since: u64) -> Option<oneshot::Receiver<Result<u64, String>>> {
    let (tx, rx) = oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("credwell-sync-notice".into())
        .spawn(move || {
            let _ = tx.send(wait(since));
        });
    match spawned {
        Ok(_) => Some(rx),
        Err(e) => {
            tracing::warn!("cannot start the sync notice thread: {e}");
            None
        }
    }
}

#[cfg(test)]
mod tests;
