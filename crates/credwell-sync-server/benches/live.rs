//! One change, live: the time from a device starting to push one changed credential to another
//! device (waiting on `GET /v1/wait`, the server's push notice) having pulled, checked and
//! opened it. Loopback HTTP, on SQLite; on PostgreSQL and across two server instances on one
//! PostgreSQL (the notice crosses through `LISTEN`/`NOTIFY`) when `CREDWELL_TEST_POSTGRES` names
//! a cluster (`scripts/with-postgres.sh`). Median, p95 and p99, and as a baseline from the same
//! run the writer's push alone (the time until the server acknowledged it).
//!
//! `scripts/with-postgres.sh cargo bench -p credwell-sync-server --bench live`
//! (`cargo test --benches` runs it with a few changes only).

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

mod common;

use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use credwell_admin::sync::Item;
use credwell_sync::AccountKey;
use credwell_sync::client::http::HttpTransport;
use credwell_sync::client::{Client, State};
use credwell_sync_server::storage::postgres::PostgresStorage;
use credwell_sync_server::storage::sqlite::SqliteStorage;
use credwell_sync_server::{Notices, Storage};

/// A credential whose password is `password`.
fn item(password: &str) -> Item {
    common::credential(
        "https://live.example.com",
        "alice@mail.example.com",
        "Alice",
        password,
    )
}

/// A server instance on a loopback port of `runtime`: its base URL.
fn start(runtime: &tokio::runtime::Runtime, storage: Arc<dyn Storage>, notices: Notices) -> String {
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(credwell_sync_server::serve(listener, storage, notices));
    base
}

/// An instance on the PostgreSQL database `url`, its notices fed by `LISTEN`.
fn start_postgres(runtime: &tokio::runtime::Runtime, url: &str) -> String {
    let storage = runtime.block_on(PostgresStorage::connect(url)).unwrap();
    let notices = Notices::new();
    // The listening task runs on `runtime`.
    let _entered = runtime.enter();
    storage.listen(notices.clone());
    start(runtime, Arc::new(storage), notices)
}

/// A new database in the cluster at `cluster`; its URL.
fn fresh_database(runtime: &tokio::runtime::Runtime, cluster: &str) -> String {
    let name = format!("bench_live_{}", std::process::id());
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(cluster, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        client
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
            .await
            .unwrap();
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
    });
    let (prefix, _) = cluster.rsplit_once('/').unwrap();
    format!("{prefix}/{name}")
}

/// `changes` changes written through `writer_base`, each awaited by a device of the same account
/// on `reader_base`; prints the latencies and the push baseline.
fn measure(setup: &str, writer_base: &str, reader_base: &str, changes: usize) {
    let (_, key) = AccountKey::generate().unwrap();
    let first = HttpTransport::create_account(writer_base, "writer").unwrap();
    let writer_transport = HttpTransport::new(writer_base, first.token.clone()).unwrap();
    let joined = writer_transport.add_device("reader").unwrap();
    let mut writer: Client<Item, _> = Client::new(
        first.account,
        first.device,
        AccountKey::from_bytes(&key),
        writer_transport,
        State::default(),
    );
    let (natural_kind, natural) = item("").natural_key();
    let id = writer.record_id(natural_kind, &natural);
    writer.change(id, Some(item("pw-0")), 1);
    writer.sync().unwrap();

    // The reader: waits for the cursor to move, syncs, and says when the record arrived.
    let (arrived, arrivals) = mpsc::channel::<(usize, Instant)>();
    let reader_base = reader_base.to_owned();
    let reader_key = AccountKey::from_bytes(&key);
    let (ready, is_ready) = mpsc::channel::<()>();
    let reader = std::thread::spawn(move || {
        let transport = HttpTransport::new(&reader_base, joined.token.clone()).unwrap();
        let mut client: Client<Item, _> = Client::new(
            joined.account,
            joined.device,
            reader_key,
            transport,
            State::default(),
        );
        client.sync().unwrap();
        ready.send(()).unwrap();
        let mut seen = 0;
        while seen < changes {
            let cursor = client.state().cursor;
            if client.transport().wait(cursor).unwrap() == cursor {
                continue;
            }
            let report = client.sync().unwrap();
            if report.received.contains(&id) {
                seen += 1;
                arrived.send((seen, Instant::now())).unwrap();
            }
        }
    });
    is_ready.recv().unwrap();

    let mut latencies = Vec::with_capacity(changes);
    let mut pushes = Vec::with_capacity(changes);
    for n in 1..=changes {
        // Let the reader get back into its wait, as an idle device would be.
        std::thread::sleep(Duration::from_millis(20));
        let started = Instant::now();
        writer.change(id, Some(item(&format!("pw-{n}"))), 1 + n as u64);
        writer.sync().unwrap();
        pushes.push(started.elapsed());
        let (seen, at) = arrivals.recv_timeout(Duration::from_secs(30)).unwrap();
        assert_eq!(seen, n, "the reader saw every change once");
        latencies.push(at - started);
    }
    reader.join().unwrap();
    let [p50, p95, p99] = common::percentiles(latencies);
    let [b50, b95, b99] = common::percentiles(pushes);
    println!(
        "{setup}: push-to-visible median {p50:.1?}, p95 {p95:.1?}, p99 {p99:.1?}; the push alone \
         median {b50:.1?}, p95 {b95:.1?}, p99 {b99:.1?}; median ratio {:.2}x ({changes} changes)",
        p50.as_secs_f64() / b50.as_secs_f64()
    );
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` does not: a few changes only.
    let changes = if std::env::args().any(|a| a == "--bench") {
        200
    } else {
        5
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sqlite: Arc<dyn Storage> =
        Arc::new(SqliteStorage::open(&dir.path().join("sync.sqlite")).unwrap());
    let base = start(&runtime, sqlite, Notices::new());
    measure("SQLite, one instance", &base, &base, changes);

    let Ok(cluster) = std::env::var("CREDWELL_TEST_POSTGRES") else {
        println!(
            "PostgreSQL: skipped (CREDWELL_TEST_POSTGRES is not set; scripts/with-postgres.sh sets it)"
        );
        return;
    };
    let url = fresh_database(&runtime, &cluster);
    let one = start_postgres(&runtime, &url);
    measure("PostgreSQL, one instance", &one, &one, changes);
    let two = start_postgres(&runtime, &url);
    measure(
        "PostgreSQL, two instances (writer on one, reader on the other)",
        &one,
        &two,
        changes,
    );
}
