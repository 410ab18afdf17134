//! [`AbortSignal`](https://dom.spec.whatwg.org/#interface-AbortSignal) for embedders.
//!
//! The page's `AbortSignal` lives in the embedder; the embedder mirrors it with an
//! [`AbortController`] and hands the engine the [`AbortSignal`]. The engine checks it where the
//! spec does, and also "adds an abort algorithm" so that an abort at any later point (while the
//! store is queried, while the account chooser is open) rejects the promise with the reason.

use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Poll, Waker};

/// The reason an `AbortSignal` was aborted with.
#[derive(Clone, Debug, PartialEq)]
pub enum AbortReason {
    /// `controller.abort()` with no argument: a new `AbortError` `DOMException`.
    Default,
    /// `controller.abort(reason)`: any JavaScript value, as JSON, handed back unchanged.
    Value(serde_json::Value),
}

#[derive(Debug, Default)]
struct State {
    reason: Option<AbortReason>,
    wakers: Vec<Waker>,
}

/// The controlling side: aborting it aborts every clone of its signal.
///
/// ```
/// use credwell_core::{AbortController, AbortReason};
/// let controller = AbortController::new();
/// let signal = controller.signal();
/// assert!(!signal.aborted());
/// controller.abort(AbortReason::Value(serde_json::json!("user left")));
/// assert_eq!(signal.reason(), Some(AbortReason::Value(serde_json::json!("user left"))));
/// ```
#[derive(Debug, Default, Clone)]
pub struct AbortController {
    signal: AbortSignal,
}

impl AbortController {
    /// A controller whose signal is not aborted.
    pub fn new() -> Self {
        Self::default()
    }

    /// The signal this controller aborts.
    pub fn signal(&self) -> AbortSignal {
        self.signal.clone()
    }

    /// [Signal abort](https://dom.spec.whatwg.org/#abortsignal-signal-abort): the first reason
    /// wins; later calls do nothing.
    pub fn abort(&self, reason: AbortReason) {
        let wakers = {
            let mut state = self.signal.lock();
            if state.reason.is_some() {
                return;
            }
            state.reason = Some(reason);
            std::mem::take(&mut state.wakers)
        };
        wakers.into_iter().for_each(Waker::wake);
    }
}

/// A cheap, cloneable view of an abort state.
#[derive(Debug, Default, Clone)]
pub struct AbortSignal {
    state: Arc<Mutex<State>>,
}

impl AbortSignal {
    /// A signal that is already aborted (what `AbortSignal.abort(reason)` returns).
    pub fn aborted_with(reason: AbortReason) -> Self {
        let controller = AbortController::new();
        controller.abort(reason);
        controller.signal()
    }

    /// Whether the signal is aborted.
    pub fn aborted(&self) -> bool {
        self.lock().reason.is_some()
    }

    /// The abort reason, once aborted.
    pub fn reason(&self) -> Option<AbortReason> {
        self.lock().reason.clone()
    }

    /// Resolves with the reason once the signal is aborted; pending forever otherwise.
    pub async fn until_aborted(&self) -> AbortReason {
        std::future::poll_fn(|cx| {
            let mut state = self.lock();
            match &state.reason {
                Some(reason) => Poll::Ready(reason.clone()),
                None => {
                    if !state.wakers.iter().any(|w| w.will_wake(cx.waker())) {
                        state.wakers.push(cx.waker().clone());
                    }
                    Poll::Pending
                }
            }
        })
        .await
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means another thread panicked while holding it; the state (an
        // optional reason and a waker list) is valid at every point, so keep using it.
        crate::sync::lock(&self.state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;

    #[test]
    fn first_reason_wins() {
        let c = AbortController::new();
        c.abort(AbortReason::Default);
        c.abort(AbortReason::Value(serde_json::json!(1)));
        assert_eq!(c.signal().reason(), Some(AbortReason::Default));
    }

    #[test]
    fn until_aborted_wakes_on_abort() {
        let c = AbortController::new();
        let signal = c.signal();
        let mut fut = Box::pin(signal.until_aborted());
        assert!(fut.as_mut().now_or_never().is_none());
        c.abort(AbortReason::Value(serde_json::json!({"why": "x"})));
        assert_eq!(
            futures::executor::block_on(fut),
            AbortReason::Value(serde_json::json!({"why": "x"}))
        );
    }
}
