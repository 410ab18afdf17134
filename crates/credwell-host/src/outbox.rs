//! The host's side of the port: [`Outbox`], where every task puts what it sends, and
//! [`Exchanges`], the one way the host sends an event and awaits the answer to it by id,
//! telling the extension to stop when the answer is no longer awaited. The UI prompts
//! (`ui.show` … `ui.respond`, closed by `ui.close`) and the related-origins fetches
//! (`wellKnown.fetch` … `wellKnown.result`, stopped by `wellKnown.cancel`) are exchanges.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use credwell_core::sync::lock;

use tokio::sync::{mpsc, oneshot};

use crate::protocol::{Event, Outgoing};

/// The queue of messages to the browser, written out in order by the host's writer.
#[derive(Clone, Debug)]
pub(crate) struct Outbox(mpsc::UnboundedSender<Outgoing>);

impl Outbox {
    /// The outbox and the writer's end of it.
    pub(crate) fn new() -> (Self, mpsc::UnboundedReceiver<Outgoing>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Self(tx), rx)
    }

    /// Queues a message; false when the port is gone (there is no one left to tell).
    pub(crate) fn send(&self, message: impl Into<Outgoing>) -> bool {
        self.0.send(message.into()).is_ok()
    }
}

/// Exchanges of one kind: each is an event sent with a fresh id, then an answer of type `T`
/// delivered for that id.
pub(crate) struct Exchanges<T> {
    outbox: Outbox,
    next_id: Arc<AtomicU64>,
    pending: Arc<Mutex<HashMap<u64, oneshot::Sender<T>>>>,
    /// The event telling the extension that exchange `id` is no longer awaited.
    close: fn(u64) -> Event,
}

impl<T> Clone for Exchanges<T> {
    fn clone(&self) -> Self {
        Self {
            outbox: self.outbox.clone(),
            next_id: Arc::clone(&self.next_id),
            pending: Arc::clone(&self.pending),
            close: self.close,
        }
    }
}

impl<T> Exchanges<T> {
    /// Exchanges whose ids come from `next_id` (shared with whatever else numbers the same
    /// kind of id) and which `close` ends early.
    pub(crate) fn new(outbox: Outbox, next_id: Arc<AtomicU64>, close: fn(u64) -> Event) -> Self {
        Self {
            outbox,
            next_id,
            pending: Arc::default(),
            close,
        }
    }

    /// Sends `open(id)` with a fresh id; `None` when the port is gone. Dropping the returned
    /// [`Exchange`] before its answer arrives sends the close event.
    pub(crate) fn open(&self, open: impl FnOnce(u64) -> Event) -> Option<Exchange<'_, T>> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let (tx, rx) = oneshot::channel();
        lock(&self.pending).insert(id, tx);
        let exchange = Exchange {
            exchanges: self,
            id,
            answer: rx,
            awaited: true,
        };
        // On failure the exchange is dropped at once: nothing waits on a port that is gone.
        self.outbox.send(open(id)).then_some(exchange)
    }

    /// Delivers the answer to exchange `id`; false when it is not awaited (answered, closed, or
    /// never opened).
    pub(crate) fn deliver(&self, id: u64, answer: T) -> bool {
        lock(&self.pending)
            .remove(&id)
            .is_some_and(|tx| tx.send(answer).is_ok())
    }
}

/// One exchange in progress.
pub(crate) struct Exchange<'a, T> {
    exchanges: &'a Exchanges<T>,
    id: u64,
    answer: oneshot::Receiver<T>,
    /// Until the answer arrives: dropping the exchange then closes it.
    awaited: bool,
}

impl<T> Exchange<'_, T> {
    /// The answer; `None` when the host is shutting down.
    pub(crate) async fn answer(mut self) -> Option<T> {
        let answer = (&mut self.answer).await.ok();
        // Answered: the extension has finished with it; nothing to close.
        self.awaited = answer.is_none();
        answer
    }
}

impl<T> Drop for Exchange<'_, T> {
    fn drop(&mut self) {
        if self.awaited {
            lock(&self.exchanges.pending).remove(&self.id);
            self.exchanges.outbox.send((self.exchanges.close)(self.id));
        }
    }
}
