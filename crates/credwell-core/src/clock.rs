//! Time, as a trait so that tests and embedders control it.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};

mod iso8601;

/// A point in time: milliseconds since the Unix epoch. It serializes as the bare number; as
/// text, it is [`to_iso8601`](Self::to_iso8601).
///
/// ```
/// use credwell_core::Timestamp;
/// assert_eq!(Timestamp::from(1_500).0, 1_500);
/// assert!(Timestamp(1) < Timestamp(2));
/// assert_eq!(serde_json::json!({"at": Timestamp(7)}).to_string(), r#"{"at":7}"#);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// `millis` milliseconds later, or the end of time.
    pub fn saturating_add(self, millis: u64) -> Self {
        Self(self.0.saturating_add(millis))
    }
}

impl From<u64> for Timestamp {
    fn from(millis: u64) -> Self {
        Self(millis)
    }
}

/// A source of the current time, and of timers (WebAuthn's lifetime timer).
pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch.
    fn now(&self) -> Timestamp;

    /// Completes after `millis` milliseconds.
    fn sleep(&self, millis: u64) -> impl Future<Output = ()> + Send;
}

/// The system's wall clock. Its timers use one short-lived thread each (they serve WebAuthn's
/// lifetime timer, one per request), so the engine needs no async runtime. A timer dropped
/// before it fires (the request ended first) wakes its thread, which exits at once: a finished
/// request leaves no thread sleeping out the rest of its timeout. Embedders with an async
/// runtime should implement [`Clock`] over the runtime's timers instead (credwell-host does).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(Timestamp(0), |d| {
                Timestamp(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            })
    }

    fn sleep(&self, millis: u64) -> impl Future<Output = ()> + Send {
        let (tx, rx) = futures::channel::oneshot::channel::<()>();
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(millis);
        // If the thread cannot be spawned the sender is dropped and the timer fires at once,
        // which ends the request early (NotAllowedError) rather than never.
        let thread = std::thread::Builder::new()
            .name("credwell-timer".into())
            .spawn(move || {
                // Parked until the deadline, or until the timer is dropped (see `WakeOnDrop`).
                while !tx.is_canceled() {
                    let now = std::time::Instant::now();
                    if now >= deadline {
                        let _ = tx.send(());
                        return;
                    }
                    std::thread::park_timeout(deadline - now);
                }
            })
            .ok()
            .map(|handle| handle.thread().clone());
        let wake_on_drop = WakeOnDrop(thread);
        async move {
            let _wake_on_drop = wake_on_drop;
            let _ = rx.await;
        }
    }
}

/// Unparks a [`SystemClock`] timer thread when its timer is dropped (after the receiver, which
/// is declared later in the future and so dropped first), so that the thread sees the
/// cancellation and exits.
struct WakeOnDrop(Option<std::thread::Thread>);

impl Drop for WakeOnDrop {
    fn drop(&mut self) {
        if let Some(thread) = &self.0 {
            thread.unpark();
        }
    }
}

/// A clock that moves only when told to. Clones share the same time, and its timers fire when
/// [`advance`](Self::advance) passes their deadline.
///
/// ```
/// use credwell_core::{Clock, ManualClock, Timestamp};
/// let clock = ManualClock::new(1_000);
/// clock.advance(500);
/// assert_eq!(clock.now(), Timestamp(1_500));
/// ```
#[derive(Clone, Debug, Default)]
pub struct ManualClock {
    now: Arc<AtomicU64>,
    sleepers: Arc<Mutex<Vec<(Timestamp, Waker)>>>,
}

impl ManualClock {
    /// A clock stopped at `now` (a [`Timestamp`], or milliseconds since the epoch).
    pub fn new(now: impl Into<Timestamp>) -> Self {
        Self {
            now: Arc::new(AtomicU64::new(now.into().0)),
            sleepers: Arc::default(),
        }
    }

    /// Moves the clock forward, waking the timers that are due.
    pub fn advance(&self, millis: u64) {
        let now = self.now.fetch_add(millis, Ordering::SeqCst) + millis;
        let due: Vec<Waker> = {
            let mut sleepers = crate::sync::lock(&self.sleepers);
            let (due, waiting): (Vec<_>, Vec<_>) =
                sleepers.drain(..).partition(|(at, _)| at.0 <= now);
            *sleepers = waiting;
            due.into_iter().map(|(_, w)| w).collect()
        };
        due.into_iter().for_each(Waker::wake);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.now.load(Ordering::SeqCst))
    }

    fn sleep(&self, millis: u64) -> impl Future<Output = ()> + Send {
        let deadline = self.now().saturating_add(millis);
        let clock = self.clone();
        std::future::poll_fn(move |cx| {
            if clock.now() >= deadline {
                return Poll::Ready(());
            }
            crate::sync::lock(&clock.sleepers).push((deadline, cx.waker().clone()));
            Poll::Pending
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;

    #[test]
    fn manual_timers_fire_when_the_clock_passes_them() {
        let clock = ManualClock::new(0);
        let mut timer = Box::pin(clock.sleep(1_000));
        assert!(timer.as_mut().now_or_never().is_none());
        clock.advance(999);
        assert!(timer.as_mut().now_or_never().is_none());
        clock.advance(1);
        assert!(timer.as_mut().now_or_never().is_some());
    }

    #[test]
    fn system_timers_fire() {
        futures::executor::block_on(SystemClock.sleep(1));
    }
}
