//! Live change notices inside one server instance: a push wakes the devices waiting on its
//! account (`GET /v1/wait`). Across instances, the PostgreSQL storage feeds the same channel
//! from `LISTEN` ([`crate::storage::postgres::PostgresStorage::listen`]).

use credwell_sync::AccountId;
use tokio::sync::broadcast;

/// How many notices a slow waiter may fall behind before it re-reads its cursor anyway.
const BACKLOG: usize = 1024;

/// One notice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// The account's cursor moved.
    Account(AccountId),
    /// Anything may have changed (notices were lost, e.g. while the database was away):
    /// every waiter checks its cursor again.
    All,
}

/// The instance's notice channel.
#[derive(Clone, Debug)]
pub struct Notices {
    tx: broadcast::Sender<Notice>,
}

impl Default for Notices {
    fn default() -> Self {
        Self::new()
    }
}

impl Notices {
    /// A channel with no subscribers yet.
    pub fn new() -> Self {
        Self {
            tx: broadcast::channel(BACKLOG).0,
        }
    }

    /// Tells the waiters of `account` that its cursor moved.
    pub fn account_changed(&self, account: AccountId) {
        // No receiver is not an error: nobody is waiting.
        let _ = self.tx.send(Notice::Account(account));
    }

    /// Tells every waiter to check its cursor again.
    pub fn anything_changed(&self) {
        let _ = self.tx.send(Notice::All);
    }

    /// A receiver of every notice sent from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.tx.subscribe()
    }
}
