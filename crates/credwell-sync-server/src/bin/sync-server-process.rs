//! The sync server in a process of its own, for the tests that kill it (`tests/faults.rs`,
//! `tests/postgres_restart.rs`, through `tests/common/child.rs`): serves the database given as
//! its one argument (an SQLite file's path or a `postgres://` URL) on a free loopback port,
//! prints `listening on ADDRESS`, and runs until it is killed.
//!
//! Built only with the `test-process` feature, which the crate's tests turn on: `credwell sync
//! serve` is the server people run.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use credwell_sync_server::storage::postgres::PostgresStorage;
use credwell_sync_server::storage::sqlite::SqliteStorage;
use credwell_sync_server::{Notices, Storage};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(database), None) = (args.next(), args.next()) else {
        eprintln!("usage: sync-server-process DATABASE (an SQLite file or a postgres:// URL)");
        return ExitCode::FAILURE;
    };
    match serve(&database) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sync-server-process: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Serves `database` until the process is killed.
fn serve(database: &str) -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let notices = Notices::new();
        let storage: Arc<dyn Storage> = if database.starts_with("postgres://") {
            let storage = PostgresStorage::connect(database).await?;
            storage.listen(notices.clone());
            Arc::new(storage)
        } else {
            Arc::new(SqliteStorage::open(Path::new(database))?)
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {}", listener.local_addr()?)?;
        out.flush()?;
        drop(out);
        credwell_sync_server::serve(listener, storage, notices).await?;
        Ok(())
    })
}
