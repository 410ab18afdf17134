//! The user's recent sign-ins with a password credwell holds, per exact origin: what allows a
//! conditional `create()` (an automatic passkey upgrade) without a prompt.
//!
//! A sign-in is noted when the host hands out a `PasswordCredential` from `credentials.get`
//! (any mediation, `uiMode: "immediate"` too), and by the form filling code when the user fills
//! a saved password into a page ([`RecentSignIns::note`]). The engine decides with its own
//! clock whether the last one is recent enough
//! ([`CONDITIONAL_CREATE_WINDOW_MS`], 5 minutes);
//! this record only keeps the times, forgets those past its window, and holds at most
//! [`MAX_ORIGINS`] origins. It lives in memory only: a new host (a browser restart) starts
//! with none.
//!
//! Its window is the engine's 5 minutes, or shorter for test suites
//! ([`RecentSignIns::with_window`], `HostConfig::upgrade_window`): a sign-in it has forgotten
//! is not reported, so the conditional `create()` is refused as without one. It is never
//! longer: the engine's window bounds it.

use std::collections::HashMap;
use std::sync::Mutex;

use credwell_core::sync::lock;
use credwell_core::{CONDITIONAL_CREATE_WINDOW_MS, Clock, Origin, PasswordSignIn, Timestamp};

/// How many origins are remembered at most; a note beyond it forgets the oldest.
pub const MAX_ORIGINS: usize = 256;

/// The last password sign-in per origin, on an injected clock.
#[derive(Debug)]
pub struct RecentSignIns<C> {
    clock: C,
    /// How long a sign-in is kept, in milliseconds.
    window: u64,
    last: Mutex<HashMap<Origin, Timestamp>>,
}

impl<C: Clock> RecentSignIns<C> {
    /// An empty record whose times come from `clock`, keeping each sign-in for the engine's
    /// window ([`CONDITIONAL_CREATE_WINDOW_MS`]).
    pub fn new(clock: C) -> Self {
        Self::with_window(clock, CONDITIONAL_CREATE_WINDOW_MS)
    }

    /// An empty record keeping each sign-in for `window_ms` milliseconds, at most
    /// [`CONDITIONAL_CREATE_WINDOW_MS`] (a longer one is cut to it). For test suites, which
    /// cannot wait 5 minutes to see a sign-in expire.
    pub fn with_window(clock: C, window_ms: u64) -> Self {
        Self {
            clock,
            window: window_ms.min(CONDITIONAL_CREATE_WINDOW_MS),
            last: Mutex::default(),
        }
    }

    /// Notes that the user signed in to `origin` now with a password credwell holds. Opaque
    /// origins are not noted (they cannot create passkeys).
    pub fn note(&self, origin: &Origin) {
        if origin.is_opaque() {
            return;
        }
        let now = self.clock.now();
        let mut last = lock(&self.last);
        last.retain(|_, at| !self.expired(*at, now));
        if !last.contains_key(origin)
            && last.len() >= MAX_ORIGINS
            && let Some(oldest) = last
                .iter()
                .min_by_key(|(_, at)| **at)
                .map(|(o, _)| o.clone())
        {
            last.remove(&oldest);
        }
        last.insert(origin.clone(), now);
    }

    /// The last sign-in noted for exactly `origin`, unless it is past the window.
    pub fn last(&self, origin: &Origin) -> Option<PasswordSignIn> {
        let now = self.clock.now();
        let at = *lock(&self.last).get(origin)?;
        (!self.expired(at, now)).then(|| PasswordSignIn {
            origin: origin.clone(),
            at,
        })
    }

    /// How many origins are remembered.
    pub fn len(&self) -> usize {
        lock(&self.last).len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn expired(&self, at: Timestamp, now: Timestamp) -> bool {
        now.0.saturating_sub(at.0) > self.window
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use credwell_core::ManualClock;

    fn o(s: &str) -> Origin {
        Origin::parse(s).unwrap()
    }

    #[test]
    fn a_note_lasts_the_window_for_that_exact_origin() {
        let clock = ManualClock::new(1_000);
        let recent = RecentSignIns::new(clock.clone());
        assert_eq!(recent.last(&o("https://example.com")), None);
        recent.note(&o("https://example.com"));
        clock.advance(CONDITIONAL_CREATE_WINDOW_MS);
        let last = recent.last(&o("https://example.com")).unwrap();
        assert_eq!(last.at, Timestamp(1_000));
        assert_eq!(last.origin, o("https://example.com"));
        for other in [
            "https://www.example.com",
            "http://example.com",
            "https://example.com:444",
        ] {
            assert_eq!(recent.last(&o(other)), None, "{other}");
        }
        clock.advance(1);
        assert_eq!(recent.last(&o("https://example.com")), None);
    }

    #[test]
    fn a_new_note_moves_the_time_and_old_ones_are_forgotten() {
        let clock = ManualClock::new(0);
        let recent = RecentSignIns::new(clock.clone());
        recent.note(&o("https://a.example"));
        clock.advance(60_000);
        recent.note(&o("https://a.example"));
        assert_eq!(
            recent.last(&o("https://a.example")).unwrap().at,
            Timestamp(60_000)
        );
        clock.advance(CONDITIONAL_CREATE_WINDOW_MS + 1);
        recent.note(&o("https://b.example"));
        assert_eq!(recent.len(), 1, "a.example was past the window");
        recent.note(&Origin::new_opaque());
        assert_eq!(recent.len(), 1, "opaque origins are not noted");
    }

    #[test]
    fn a_shorter_window_forgets_the_sign_in_once_it_passes() {
        let clock = ManualClock::new(10_000);
        let recent = RecentSignIns::with_window(clock.clone(), 2_000);
        recent.note(&o("https://example.com"));
        clock.advance(2_000);
        assert_eq!(
            recent.last(&o("https://example.com")).unwrap().at,
            Timestamp(10_000)
        );
        clock.advance(1);
        assert_eq!(recent.last(&o("https://example.com")), None);
        // Forgotten, not only hidden: the next note drops it.
        recent.note(&o("https://other.example"));
        assert_eq!(recent.len(), 1);
    }

    #[test]
    fn a_window_longer_than_the_engines_is_cut_to_it() {
        let clock = ManualClock::new(0);
        let recent = RecentSignIns::with_window(clock.clone(), u64::MAX);
        recent.note(&o("https://example.com"));
        clock.advance(CONDITIONAL_CREATE_WINDOW_MS);
        assert!(recent.last(&o("https://example.com")).is_some());
        clock.advance(1);
        assert_eq!(recent.last(&o("https://example.com")), None);
    }

    #[test]
    fn at_most_max_origins_the_oldest_forgotten_first() {
        let clock = ManualClock::new(0);
        let recent = RecentSignIns::new(clock.clone());
        for i in 0..=MAX_ORIGINS {
            recent.note(&o(&format!("https://site{i}.example")));
            clock.advance(1);
        }
        assert_eq!(recent.len(), MAX_ORIGINS);
        assert_eq!(recent.last(&o("https://site0.example")), None);
        assert!(recent.last(&o("https://site1.example")).is_some());
        assert!(
            recent
                .last(&o(&format!("https://site{MAX_ORIGINS}.example")))
                .is_some()
        );
    }
}
