//! What the sync server's tests share: both database engines, fresh for each test, and a
//! server on a loopback port.

#![allow(dead_code, unreachable_pub, missing_docs, clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use credwell_sync_server::storage::postgres::PostgresStorage;
use credwell_sync_server::storage::sqlite::SqliteStorage;
use credwell_sync_server::{Notices, Storage};

/// The throwaway cluster's URL that `scripts/with-postgres.sh` exports. Sync is tested on a real
/// PostgreSQL every time: without one the tests fail and say how to get one.
pub fn postgres_url() -> String {
    std::env::var("CREDWELL_TEST_POSTGRES").unwrap_or_else(|_| {
        panic!(
            "CREDWELL_TEST_POSTGRES is not set: run the sync tests through \
             scripts/with-postgres.sh (it starts a throwaway PostgreSQL), e.g. \
             `scripts/with-postgres.sh cargo test -p credwell-sync-server`"
        )
    })
}

/// A new, empty database in the test cluster, and its URL.
pub async fn fresh_postgres() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let base = postgres_url();
    let name = format!(
        "t{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let (client, connection) = tokio_postgres::connect(&base, tokio_postgres::NoTls)
        .await
        .expect("the test PostgreSQL accepts connections");
    tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let (prefix, _) = base.rsplit_once('/').unwrap();
    format!("{prefix}/{name}")
}

/// One engine under test, with what keeps its data alive.
pub struct Engine {
    pub name: &'static str,
    pub storage: Arc<dyn Storage>,
    /// The PostgreSQL URL, to start more instances on the same database.
    pub url: Option<String>,
    /// The SQLite file, to scan it.
    pub file: Option<std::path::PathBuf>,
    _dir: Option<tempfile::TempDir>,
}

impl Engine {
    pub fn sqlite() -> Engine {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sync.sqlite");
        let storage = SqliteStorage::open(&file).unwrap();
        Engine {
            name: "sqlite",
            storage: Arc::new(storage),
            url: None,
            file: Some(file),
            _dir: Some(dir),
        }
    }

    pub async fn postgres() -> Engine {
        let url = fresh_postgres().await;
        let storage = PostgresStorage::connect(&url).await.unwrap();
        Engine {
            name: "postgres",
            storage: Arc::new(storage),
            url: Some(url),
            file: None,
            _dir: None,
        }
    }

    /// Both engines, each fresh.
    pub async fn both() -> Vec<Engine> {
        vec![Engine::sqlite(), Engine::postgres().await]
    }
}

/// A server on `engine` (`"sqlite"` or `"postgres"`), fresh, on a runtime of its own, which the
/// caller keeps: its base URL, the runtime, and the engine.
pub fn serve(engine: &str) -> (String, tokio::runtime::Runtime, Engine) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let engine = match engine {
        "sqlite" => Engine::sqlite(),
        _ => runtime.block_on(Engine::postgres()),
    };
    let base = runtime.block_on(start_server(engine.storage.clone(), Notices::new()));
    (base, runtime, engine)
}

/// A server instance on a loopback port: its base URL.
pub async fn start_server(storage: Arc<dyn Storage>, notices: Notices) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(credwell_sync_server::serve(listener, storage, notices));
    format!("http://{address}")
}

/// A second instance on the same PostgreSQL database, with its own pool and its own notices
/// fed by LISTEN.
pub async fn start_postgres_instance(url: &str) -> String {
    let storage = PostgresStorage::connect(url).await.unwrap();
    let notices = Notices::new();
    storage.listen(notices.clone());
    start_server(Arc::new(storage), notices).await
}

pub mod child;
pub mod devices;
pub mod locks;
pub mod proxy;
