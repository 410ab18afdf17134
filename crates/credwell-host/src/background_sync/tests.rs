//! The loop against a fake store, on tokio's paused clock: when it syncs (unlock, write,
//! notice, interval, again after a changed vault), how it backs off, that it stops on lock,
//! and what `vault.status` says meanwhile.

#![allow(clippy::unwrap_used)] // A test: a failure panics right there.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;

use tokio::task::JoinHandle;

use super::*;

const INTERVAL: Duration = Duration::from_secs(60);

/// A store whose syncs are counted and whose outcomes the test queues (a success when none
/// is queued).
struct Fake {
    generation: AtomicU64,
    syncs: AtomicUsize,
    outcomes: Mutex<VecDeque<Result<(), SyncFailure>>>,
    /// The cursor a successful sync reaches.
    cursor: AtomicU64,
    /// The long polls started, by the cursor they wait past.
    waits: Arc<Mutex<Vec<u64>>>,
    /// The server's notices: each is the account's cursor a waiting long poll returns.
    notices: Arc<Mutex<mpsc::Receiver<u64>>>,
    signed_in: bool,
}

impl Fake {
    fn new(signed_in: bool) -> (Arc<Self>, mpsc::Sender<u64>) {
        let (tx, rx) = mpsc::channel();
        let fake = Self {
            generation: AtomicU64::new(1),
            syncs: AtomicUsize::new(0),
            outcomes: Mutex::default(),
            cursor: AtomicU64::new(10),
            waits: Arc::default(),
            notices: Arc::new(Mutex::new(rx)),
            signed_in,
        };
        (Arc::new(fake), tx)
    }

    fn syncs(&self) -> usize {
        self.syncs.load(Ordering::SeqCst)
    }

    fn queue(&self, outcome: Result<(), SyncFailure>) {
        lock(&self.outcomes).push_back(outcome);
    }

    /// A write committed to the store.
    fn write(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }
}

impl BackgroundSync for Fake {
    fn sync(&self, _now: u64) -> Result<SyncDone, SyncFailure> {
        self.syncs.fetch_add(1, Ordering::SeqCst);
        if !self.signed_in {
            return Err(SyncFailure::NotSignedIn);
        }
        lock(&self.outcomes).pop_front().unwrap_or(Ok(()))?;
        // The sync's own write.
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(SyncDone {
            server: "https://sync.example".into(),
            received: 2,
            pushed: 1,
            generation,
            cursor: self.cursor.load(Ordering::SeqCst),
        })
    }

    fn generation(&self) -> Option<u64> {
        Some(self.generation.load(Ordering::SeqCst))
    }

    fn notice_waiter(&self) -> Option<NoticeWait> {
        let (notices, waits) = (Arc::clone(&self.notices), Arc::clone(&self.waits));
        Some(Box::new(move |since| {
            lock(&waits).push(since);
            let next = lock(&notices).recv();
            next.map_err(|_| format!("no more notices after {since}"))
        }))
    }
}

/// The loop over `fake`'s unlocks: the sender that unlocks (`Some`) and locks (`None`).
struct Looping {
    stores: watch::Sender<Option<Arc<Fake>>>,
    status: SyncStatus,
    task: JoinHandle<()>,
}

impl Looping {
    fn start(interval: Duration) -> Self {
        let (stores, rx) = watch::channel(None);
        let status = SyncStatus::default();
        let task = tokio::spawn(sync_in_background(rx, status.clone(), interval));
        Self {
            stores,
            status,
            task,
        }
    }

    fn unlock(&self, fake: &Arc<Fake>) {
        self.stores.send_replace(Some(Arc::clone(fake)));
    }

    fn lock(&self) {
        self.stores.send_replace(None);
    }

    fn status(&self) -> Value {
        self.status.to_json(false)
    }
}

impl Drop for Looping {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Lets the loop run for `time` of the paused clock.
async fn run_for(time: Duration) {
    tokio::time::sleep(time).await;
}

/// Waits (at most `limit` of the paused clock) until `done`; whether it happened. Each step
/// also lets a millisecond of real time pass: a long poll answers from a thread of its own,
/// which the paused clock does not wait for.
async fn within(limit: Duration, done: impl Fn() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        std::thread::sleep(Duration::from_millis(1));
    }
    done()
}

#[tokio::test(start_paused = true)]
async fn it_syncs_on_unlock_and_reports_synced() {
    let (fake, _notices) = Fake::new(true);
    let looping = Looping::start(INTERVAL);
    run_for(Duration::from_secs(5)).await;
    assert_eq!(fake.syncs(), 0, "nothing while locked");
    assert_eq!(looping.status(), json!({"state": "off"}));
    looping.unlock(&fake);
    assert!(within(Duration::from_millis(100), || fake.syncs() == 1).await);
    run_for(Duration::from_millis(10)).await;
    let status = looping.status();
    assert_eq!(status["state"], "synced", "{status}");
    assert_eq!(status["server"], "https://sync.example");
    assert_eq!(
        (status["received"].clone(), status["pushed"].clone()),
        (json!(2), json!(1))
    );
    let last = status["lastSync"].as_str().unwrap();
    assert!(
        last.ends_with('Z') && last.len() == "2026-01-01T00:00:00.000Z".len(),
        "{last}"
    );
    assert!(status.get("lastError").is_none(), "{status}");
}

#[tokio::test(start_paused = true)]
async fn a_write_is_pushed_at_once_and_nothing_else_happens_before_the_interval() {
    let (fake, _notices) = Fake::new(true);
    let looping = Looping::start(INTERVAL);
    looping.unlock(&fake);
    assert!(within(Duration::from_millis(100), || fake.syncs() == 1).await);
    // Its own write (the saved state) does not count as a new write.
    run_for(Duration::from_secs(30)).await;
    assert_eq!(fake.syncs(), 1);
    fake.write();
    assert!(within(GENERATION_POLL * 2, || fake.syncs() == 2).await);
    run_for(Duration::from_secs(30)).await;
    assert_eq!(fake.syncs(), 2);
}

#[tokio::test(start_paused = true)]
async fn it_syncs_again_after_the_interval() {
    let (fake, _notices) = Fake::new(true);
    let looping = Looping::start(INTERVAL);
    looping.unlock(&fake);
    assert!(within(Duration::from_millis(100), || fake.syncs() == 1).await);
    run_for(INTERVAL - Duration::from_secs(1)).await;
    assert_eq!(fake.syncs(), 1);
    run_for(Duration::from_secs(2)).await;
    assert_eq!(fake.syncs(), 2);
    run_for(INTERVAL).await;
    assert_eq!(fake.syncs(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_live_notice_past_the_cursor_syncs_and_one_at_the_cursor_waits_again() {
    let (fake, notices) = Fake::new(true);
    let looping = Looping::start(Duration::from_secs(3600));
    looping.unlock(&fake);
    assert!(within(Duration::from_millis(100), || lock(&fake.waits).len() == 1).await);
    assert_eq!(fake.syncs(), 1);
    // The wait ended without a change (the server's wait time): wait again, no sync.
    notices.send(10).unwrap();
    assert!(within(Duration::from_secs(5), || lock(&fake.waits).len() == 2).await);
    assert_eq!(fake.syncs(), 1);
    // Another device pushed: the cursor passed ours.
    assert_eq!(
        *lock(&fake.waits),
        [10, 10],
        "waiting again past the same cursor"
    );
    notices.send(11).unwrap();
    assert!(within(Duration::from_secs(5), || fake.syncs() == 2).await);
}

#[tokio::test(start_paused = true)]
async fn failures_back_off_doubling_up_to_the_interval_and_are_reported() {
    let (fake, _notices) = Fake::new(true);
    let down = || SyncFailure::Failed {
        server: Some("https://sync.example".into()),
        message: "the sync server cannot be reached: connection refused".into(),
    };
    for _ in 0..6 {
        fake.queue(Err(down()));
    }
    let looping = Looping::start(Duration::from_secs(20));
    looping.unlock(&fake);
    assert!(within(Duration::from_millis(100), || fake.syncs() == 1).await);
    let status = looping.status();
    assert_eq!(status["state"], "failed", "{status}");
    assert_eq!(
        status["lastError"],
        "the sync server cannot be reached: connection refused"
    );
    assert_eq!(status["server"], "https://sync.example");
    // Retries after 2 s, 4, 8, 16, then the interval (20): at 2, 6, 14, 30, 50, 70.
    let t0 = Instant::now();
    for (at, count) in [(2u64, 2usize), (6, 3), (14, 4), (30, 5), (50, 6), (70, 7)] {
        let due = t0 + Duration::from_secs(at);
        tokio::time::sleep_until(due - Duration::from_millis(100)).await;
        assert_eq!(fake.syncs(), count - 1, "before {at} s");
        tokio::time::sleep_until(due + Duration::from_millis(100)).await;
        assert_eq!(fake.syncs(), count, "after {at} s");
    }
    // The seventh attempt succeeded: synced, and the error is gone.
    let status = looping.status();
    assert_eq!(status["state"], "synced", "{status}");
    assert!(status.get("lastError").is_none(), "{status}");
}

#[tokio::test(start_paused = true)]
async fn a_vault_written_during_the_sync_is_synced_again_at_once() {
    let (fake, _notices) = Fake::new(true);
    fake.queue(Err(SyncFailure::VaultChanged));
    let looping = Looping::start(INTERVAL);
    looping.unlock(&fake);
    assert!(within(Duration::from_millis(100), || fake.syncs() == 2).await);
    run_for(Duration::from_millis(10)).await;
    assert_eq!(looping.status()["state"], "synced");
}

#[tokio::test(start_paused = true)]
async fn locking_stops_the_loop_and_the_next_unlock_starts_it_again() {
    let (fake, _notices) = Fake::new(true);
    let looping = Looping::start(INTERVAL);
    looping.unlock(&fake);
    assert!(within(Duration::from_millis(100), || fake.syncs() == 1).await);
    looping.lock();
    run_for(Duration::from_millis(10)).await;
    assert_eq!(looping.status(), json!({"state": "off"}));
    fake.write();
    run_for(INTERVAL * 3).await;
    assert_eq!(fake.syncs(), 1, "no sync while locked");
    // The loop let go of the store: only the test holds it (the notice thread holds none).
    assert_eq!(Arc::strong_count(&fake), 1);
    looping.unlock(&fake);
    assert!(within(Duration::from_millis(100), || fake.syncs() == 2).await);
}

#[tokio::test(start_paused = true)]
async fn a_store_not_signed_in_is_off() {
    let (fake, _notices) = Fake::new(false);
    let looping = Looping::start(INTERVAL);
    looping.unlock(&fake);
    assert!(within(Duration::from_millis(100), || fake.syncs() == 1).await);
    run_for(Duration::from_millis(10)).await;
    assert_eq!(looping.status(), json!({"state": "off"}));
    assert!(lock(&fake.waits).is_empty(), "no long poll");
}

#[tokio::test(start_paused = true)]
async fn a_rotated_key_tells_the_user_what_to_run() {
    let (fake, _notices) = Fake::new(true);
    fake.queue(Err(SyncFailure::KeyRotated {
        server: "https://sync.example".into(),
    }));
    let looping = Looping::start(INTERVAL);
    looping.unlock(&fake);
    assert!(within(Duration::from_millis(100), || fake.syncs() == 1).await);
    run_for(Duration::from_millis(10)).await;
    let status = looping.status();
    assert_eq!(status["state"], "failed", "{status}");
    let error = status["lastError"].as_str().unwrap();
    assert!(error.contains("`credwell sync now`"), "{error}");
}

#[test]
fn a_locked_vault_reports_sync_off_even_before_the_loop_hears_of_the_lock() {
    // What the loop last recorded: a failure (the loop has not yet seen the lock).
    let status = SyncStatus::default();
    status.failed(&SyncFailure::Failed {
        server: Some("http://127.0.0.1:1".into()),
        message: "the sync server cannot be reached".into(),
    });
    assert_eq!(status.to_json(false)["state"], "failed");
    assert_eq!(status.to_json(true), json!({"state": "off"}));
}

#[test]
fn the_backoff_doubles_from_two_seconds_up_to_the_interval() {
    let secs = |n| backoff(n, INTERVAL).as_secs();
    assert_eq!(
        [
            secs(1),
            secs(2),
            secs(3),
            secs(4),
            secs(5),
            secs(6),
            secs(60)
        ],
        [2, 4, 8, 16, 32, 60, 60]
    );
    assert_eq!(backoff(3, Duration::from_secs(1)), Duration::from_secs(1));
}
