//! credwell's sync server: it stores sealed records it cannot read, gives each version a
//! revision, refuses stale writes, and tells waiting devices when their account changes.
//!
//! The protocol is `credwell-sync`'s ([`credwell_sync::protocol`]). The server keeps no state
//! of its own between requests: everything is in the database ([`storage`]), so any number of
//! instances can serve one PostgreSQL database; change notices cross instances through
//! PostgreSQL's `LISTEN`/`NOTIFY`.

mod api;
pub mod notices;
pub mod retention;
mod signin;
pub mod storage;
pub mod tls;

pub use api::router;
pub use notices::{Notice, Notices};
pub use retention::Retention;
pub use storage::{PushOutcome, SignInStorage, Storage, StorageError};

/// Serves the sync API in plain HTTP (for loopback; [`tls::serve_tls`] serves HTTPS) on
/// `listener` until the process ends or the listener fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    storage: std::sync::Arc<dyn Storage>,
    notices: Notices,
) -> std::io::Result<()> {
    axum::serve(listener, router(storage, notices)).await
}
