//! The sync server in a process of its own, for the tests that kill it: the test binary run
//! again with only its `server_process` test, which serves the database named in the
//! environment, as `credwell sync serve` does, until it is killed.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use credwell_sync_server::storage::postgres::PostgresStorage;
use credwell_sync_server::storage::sqlite::SqliteStorage;
use credwell_sync_server::{Notices, Storage};

/// The database the server process serves: a SQLite file's path or a PostgreSQL URL.
const DATABASE: &str = "CREDWELL_TEST_SERVER_PROCESS_DATABASE";

/// A running server process, killed (SIGKILL) when dropped.
pub struct ServerProcess {
    child: Child,
    /// Where it listens.
    pub address: SocketAddr,
}

impl ServerProcess {
    /// Starts a server process on `database` and waits until it listens.
    pub fn start(database: &str) -> ServerProcess {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["server_process", "--exact", "--ignored", "--nocapture"])
            .args(["--test-threads", "1"])
            .env(DATABASE, database)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let address = loop {
            let line = lines
                .next()
                .expect("the server process ended before it listened")
                .unwrap();
            if let Some((_, address)) = line.split_once("listening on ") {
                break address.trim().parse().unwrap();
            }
        };
        // Whatever else it prints is read and dropped, so that it never blocks on the pipe.
        std::thread::spawn(move || lines.for_each(drop));
        ServerProcess { child, address }
    }

    /// Kills it with SIGKILL (no chance to finish anything) and waits until it is gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// In the server process: serves the database named in the environment until killed.
/// Anywhere else: returns at once.
pub fn serve_if_asked() {
    let Ok(database) = std::env::var(DATABASE) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let notices = Notices::new();
        let storage: Arc<dyn Storage> = if database.starts_with("postgres://") {
            let storage = PostgresStorage::connect(&database).await.unwrap();
            storage.listen(notices.clone());
            Arc::new(storage)
        } else {
            Arc::new(SqliteStorage::open(Path::new(&database)).unwrap())
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {}", listener.local_addr().unwrap()).unwrap();
        out.flush().unwrap();
        drop(out);
        credwell_sync_server::serve(listener, storage, notices)
            .await
            .unwrap();
    });
}
