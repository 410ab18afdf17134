//! WebAuthn's [related origin requests](https://w3c.github.io/webauthn/#sctn-related-origins)
//! for the host's engine: the extension fetches `https://<rpId>/.well-known/webauthn` on the
//! host's behalf (`wellKnown.fetch` event, `wellKnown.result` method, `docs/protocol.md`), and the
//! engine's related origins validation procedure reads what it returns.
//!
//! The host never opens a network connection itself: the browser's fetch has the profile's
//! proxy, TLS and certificate settings, and omits credentials and the referrer as asked.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use credwell_core::{RelatedOrigins, WellKnownFetchError, WellKnownResponse};

use crate::outbox::{Exchanges, Outbox};
use crate::protocol::Event;

/// What a fetch ends with: the response, or why there is none.
pub(crate) type FetchResult = Result<WellKnownResponse, WellKnownFetchError>;

/// Related origins through the extension: supported once the extension's `hello` said it can
/// fetch (`"relatedOrigins": true`); each fetch waits at most the configured timeout for its
/// `wellKnown.result`, and is cancelled (`wellKnown.cancel`) when its request ends first.
#[derive(Clone)]
pub(crate) struct ExtensionFetcher {
    enabled: Arc<AtomicBool>,
    fetches: Exchanges<FetchResult>,
    timeout: Duration,
    signal_time: Duration,
}

impl ExtensionFetcher {
    /// `timeout`: how long a fetch waits for its result; `signal_time`: how long a signal's RP ID
    /// validation takes, fetch or not ([`RelatedOrigins::fetch_for_signal`]).
    pub(crate) fn new(outbox: Outbox, timeout: Duration, signal_time: Duration) -> Self {
        Self {
            enabled: Arc::default(),
            fetches: Exchanges::new(outbox, Arc::new(AtomicU64::new(1)), |fetch| {
                Event::WellKnownCancel { fetch }
            }),
            timeout,
            signal_time,
        }
    }

    /// Whether the extension fetches `.well-known/webauthn` for the host (from its `hello`).
    pub(crate) fn set_enabled(&self, enabled: bool) {
        self.enabled.store(enabled, Ordering::SeqCst);
    }

    /// Delivers a `wellKnown.result`; false when no such fetch is waiting (it timed out, was
    /// cancelled, or never existed).
    pub(crate) fn deliver(&self, fetch: u64, result: FetchResult) -> bool {
        self.fetches.deliver(fetch, result)
    }
}

impl RelatedOrigins for ExtensionFetcher {
    fn supported(&self) -> bool {
        self.enabled.load(Ordering::SeqCst)
    }

    async fn fetch(&self, rp_id: &str) -> FetchResult {
        let gone = || WellKnownFetchError::Failed("the extension is gone".to_owned());
        let rp_id = rp_id.to_owned();
        // Until the result arrives, dropping this future (the request was cancelled or aborted)
        // or the timeout tells the extension to stop fetching.
        let fetch = self
            .fetches
            .open(|fetch| Event::WellKnownFetch { fetch, rp_id })
            .ok_or_else(gone)?;
        match tokio::time::timeout(self.timeout, fetch.answer()).await {
            Ok(Some(result)) => result,
            Ok(None) => Err(gone()),
            Err(_) => Err(WellKnownFetchError::TimedOut),
        }
    }

    async fn fetch_for_signal(&self, rp_id: &str, may_hold: bool) -> FetchResult {
        // Fetch or not, the answer comes once `signal_time` is over (a fetch that takes longer
        // fails): only a fetch takes time, so a page timing its signal would otherwise learn
        // whether the vault holds passkeys for an RP ID of its choosing.
        let settled = tokio::time::sleep(self.signal_time);
        let result = if may_hold {
            tokio::time::timeout(self.signal_time, self.fetch(rp_id))
                .await
                .unwrap_or(Err(WellKnownFetchError::TimedOut))
        } else {
            Err(WellKnownFetchError::NotFetched)
        };
        settled.await;
        result
    }
}
