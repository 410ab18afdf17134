//! `SystemClock`'s timer threads end when their timers are dropped: a request's lifetime timer
//! must not sleep out its whole timeout (minutes) after the request ended.
//!
//! In a test binary of its own: the test counts the process's `credwell-timer` threads, which
//! timers started by other tests running at the same time would disturb.

#![allow(clippy::unwrap_used)] // A test: a failure panics right there.

use credwell_core::{Clock, SystemClock};
use futures::FutureExt;
use std::time::{Duration, Instant};

fn timer_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|t| {
                    std::fs::read_to_string(t.path().join("comm"))
                        .is_ok_and(|n| n.trim() == "credwell-timer")
                })
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn a_dropped_system_timer_ends_its_thread() {
    assert_eq!(timer_threads(), 0, "no timer runs before the test");
    let mut timers: Vec<_> = (0..100)
        .map(|_| Box::pin(SystemClock.sleep(600_000)))
        .collect();
    for timer in &mut timers {
        assert!(timer.as_mut().now_or_never().is_none());
    }
    assert!(timer_threads() > 0, "the pending timers have threads");
    drop(timers);
    // The threads notice the drop and exit; on a loaded machine that can take a while, so the
    // bound is generous (it is no speed measurement: the old code never ended them at all).
    let deadline = Instant::now() + Duration::from_secs(60);
    while timer_threads() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(timer_threads(), 0, "timer threads still sleeping");
}
