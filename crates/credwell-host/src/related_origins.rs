//! WebAuthn's [related origin requests](https://w3c.github.io/webauthn/#sctn-related-origins)
//! for the host's engine: the extension fetches `https://<rpId>/.well-known/webauthn` on the
//! host's behalf (`wellKnown.fetch` event, `wellKnown.result` method, `docs/protocol.md`), and the
//! engine's related origins validation procedure reads what it returns.
//!
//! The host never opens a network connection itself: the browser's fetch has the profile's
//! proxy, TLS and certificate settings, and omits credentials and the referrer as asked.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use credwell_core::{RelatedOrigins, WellKnownFetchError, WellKnownResponse};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

/// What a fetch ends with: the response, or why there is none.
pub(crate) type FetchResult = Result<WellKnownResponse, WellKnownFetchError>;

/// Related origins through the extension: supported once the extension's `hello` said it can
/// fetch (`"relatedOrigins": true`); each fetch waits at most the configured timeout for its
/// `wellKnown.result`, and is cancelled (`wellKnown.cancel`) when its request ends first.
#[derive(Clone)]
pub(crate) struct ExtensionFetcher {
    outbox: mpsc::UnboundedSender<Value>,
    enabled: Arc<AtomicBool>,
    next_fetch: Arc<AtomicU64>,
    pending: Arc<Mutex<HashMap<u64, oneshot::Sender<FetchResult>>>>,
    timeout: Duration,
}

impl ExtensionFetcher {
    pub(crate) fn new(outbox: mpsc::UnboundedSender<Value>, timeout: Duration) -> Self {
        Self {
            outbox,
            enabled: Arc::default(),
            next_fetch: Arc::new(AtomicU64::new(1)),
            pending: Arc::default(),
            timeout,
        }
    }

    /// Whether the extension fetches `.well-known/webauthn` for the host (from its `hello`).
    pub(crate) fn set_enabled(&self, enabled: bool) {
        self.enabled.store(enabled, Ordering::SeqCst);
    }

    /// Delivers a `wellKnown.result`; false when no such fetch is waiting (it timed out, was
    /// cancelled, or never existed).
    pub(crate) fn deliver(&self, fetch: u64, result: FetchResult) -> bool {
        lock(&self.pending)
            .remove(&fetch)
            .is_some_and(|tx| tx.send(result).is_ok())
    }
}

impl RelatedOrigins for ExtensionFetcher {
    fn supported(&self) -> bool {
        self.enabled.load(Ordering::SeqCst)
    }

    async fn fetch(&self, rp_id: &str) -> FetchResult {
        let fetch = self.next_fetch.fetch_add(1, Ordering::SeqCst);
        let (tx, rx) = oneshot::channel();
        lock(&self.pending).insert(fetch, tx);
        // Until the result arrives, dropping this future (the request was cancelled or aborted)
        // or the timeout tells the extension to stop fetching.
        let guard = FetchGuard {
            fetcher: self,
            fetch,
        };
        if self
            .outbox
            .send(json!({"event": "wellKnown.fetch", "fetch": fetch, "rpId": rp_id}))
            .is_err()
        {
            return Err(WellKnownFetchError::Failed(
                "the extension is gone".to_owned(),
            ));
        }
        let result = match tokio::time::timeout(self.timeout, rx).await {
            Ok(Ok(result)) => {
                // Delivered: the extension has finished with this fetch.
                std::mem::forget(guard);
                return result;
            }
            Ok(Err(_)) => Err(WellKnownFetchError::Failed(
                "the extension is gone".to_owned(),
            )),
            Err(_) => Err(WellKnownFetchError::TimedOut),
        };
        drop(guard);
        result
    }
}

/// Cancels a fetch whose result is no longer awaited.
struct FetchGuard<'a> {
    fetcher: &'a ExtensionFetcher,
    fetch: u64,
}

impl Drop for FetchGuard<'_> {
    fn drop(&mut self) {
        lock(&self.fetcher.pending).remove(&self.fetch);
        let _ = self
            .fetcher
            .outbox
            .send(json!({"event": "wellKnown.cancel", "fetch": self.fetch}));
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The map is consistent after every statement.
    m.lock().unwrap_or_else(|e| e.into_inner())
}
