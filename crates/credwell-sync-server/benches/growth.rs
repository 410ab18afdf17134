//! Growth: does a device's request cost more when the server holds 10 million records than when
//! it holds 100,000? One measured account of 1,000 credentials, written through a real client
//! and server over loopback HTTP on PostgreSQL, among filler accounts of 1,000 records each:
//! 99 of them first (100,000 records in all), then 9,999 (10 million). At each size, median, p95
//! and p99 of
//! - a sync that pushes one changed credential (push, pull, manifest check);
//! - a sync with nothing new (the pull at the cursor and the manifest check);
//! - a new device's first sync of the account's 1,000 credentials;
//!
//! and the ratio of the medians between the sizes (the goal: about 1, no growth).
//!
//! The filler rows are written by SQL straight into the server's tables, with the measured
//! account's own sizes (ids, sealed records): the server never reads a record it does not
//! serve, so their bytes need not open. Each size is measured after `VACUUM ANALYZE`, as a server
//! that has been running a while would have its statistics.
//!
//! `scripts/with-postgres.sh cargo bench -p credwell-sync-server --bench growth` (several GB
//! of disk for the cluster while it runs; `CREDWELL_BENCH_GROWTH_ACCOUNTS` sets the larger
//! size's account count). `cargo test --benches` runs it at 10 and 100 accounts of 100 records;
//! without `CREDWELL_TEST_POSTGRES` it says it skipped.

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{numbered, percentiles};
use credwell_admin::sync::Item;
use credwell_sync::AccountKey;
use credwell_sync::client::http::HttpTransport;
use credwell_sync::client::{Client, State};
use credwell_sync_server::Notices;
use credwell_sync_server::storage::postgres::PostgresStorage;

/// The sizes and sample counts of one run.
struct Scale {
    /// Credentials of every account, the measured one included.
    per_account: usize,
    /// Accounts in all at the small size, then at the large one.
    small: usize,
    large: usize,
    /// Syncs timed per kind, and first syncs.
    rounds: usize,
    first_syncs: usize,
}

/// A new database in the cluster at `cluster`: its URL, and a connection to it for the filler.
async fn fresh_database(cluster: &str) -> (String, tokio_postgres::Client) {
    let name = format!("bench_growth_{}", std::process::id());
    let (admin, connection) = tokio_postgres::connect(cluster, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
        .await
        .unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let (prefix, _) = cluster.rsplit_once('/').unwrap();
    let url = format!("{prefix}/{name}");
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    (url, client)
}

/// Adds filler accounts numbered `from..to` with `per_account` records each, sized like the
/// measured account's rows, then refreshes the planner's statistics.
async fn fill(db: &tokio_postgres::Client, from: usize, to: usize, per_account: usize) {
    let sizes = db
        .query_one(
            "SELECT max(length(account_id)), max(length(record_id)), max(length(device_id)), \
             avg(length(sealed))::BIGINT FROM records",
            &[],
        )
        .await
        .unwrap();
    let (account_len, record_len, device_len, sealed_len): (i32, i32, i32, i64) =
        (sizes.get(0), sizes.get(1), sizes.get(2), sizes.get(3));
    // An id of `len` bytes from a number: its hex, zero-padded (md5 pads the sealed bytes out
    // with text that does not repeat within a row, so nothing compresses them).
    let id =
        |expr: &str, len: i32| format!("decode(lpad(to_hex({expr}), {}, '0'), 'hex')", len * 2);
    let sealed = format!(
        "substring(decode(repeat(md5(a::text || '/' || r::text), {}), 'hex') FROM 1 FOR {sealed_len})",
        sealed_len / 16 + 1
    );
    let started = Instant::now();
    // In batches, so that one statement stays a few seconds long and progress shows.
    let batch = 250;
    let mut at = from;
    while at < to {
        let end = (at + batch).min(to);
        let accounts = format!(
            "INSERT INTO accounts (account_id, cursor, created) \
             SELECT {}, {per_account}, 0 FROM generate_series({at}, {}) AS a",
            id("a + 4096", account_len),
            end - 1
        );
        let records = format!(
            "INSERT INTO records (account_id, record_id, revision, deleted, sealed, device_id, updated) \
             SELECT {}, {}, r, false, {sealed}, {}, 0 \
             FROM generate_series({at}, {}) AS a, generate_series(1, {per_account}) AS r",
            id("a + 4096", account_len),
            id("r", record_len),
            id("a + 4096", device_len),
            end - 1
        );
        db.batch_execute(&format!("BEGIN; {accounts}; {records}; COMMIT"))
            .await
            .unwrap();
        at = end;
        if (at - from).is_multiple_of(2_500) {
            println!("  filler: {at} accounts ({:.0?})", started.elapsed());
        }
    }
    db.batch_execute("VACUUM ANALYZE").await.unwrap();
    println!(
        "  filler: accounts {from}..{to} of {per_account} records written in {:.1?}",
        started.elapsed()
    );
}

/// One measurement at the current size: prints the three kinds; returns their medians.
fn measure(
    label: &str,
    base: &str,
    writer: &mut Client<Item, HttpTransport>,
    key: &[u8; 32],
    scale: &Scale,
) -> [Duration; 3] {
    let (kind, natural) = numbered(0, "").natural_key();
    let id = writer.record_id(kind, &natural);
    let mut pushes = Vec::with_capacity(scale.rounds);
    let mut idles = Vec::with_capacity(scale.rounds);
    for n in 0..scale.rounds {
        writer.change(id, Some(numbered(0, &format!("{label}-{n}"))), n as u64 + 2);
        let started = Instant::now();
        let report = writer.sync().unwrap();
        pushes.push(started.elapsed());
        assert_eq!(report.pushed, 1, "one change pushed");
        let started = Instant::now();
        writer.sync().unwrap();
        idles.push(started.elapsed());
    }
    let mut firsts = Vec::with_capacity(scale.first_syncs);
    for n in 0..scale.first_syncs {
        let joined = writer
            .transport()
            .add_device(&format!("{label}-{n}"))
            .unwrap();
        let transport = HttpTransport::new(base, joined.token.clone()).unwrap();
        let mut device: Client<Item, _> = Client::new(
            joined.account,
            joined.device,
            AccountKey::from_bytes(key),
            transport,
            State::default(),
        );
        let started = Instant::now();
        let report = device.sync().unwrap();
        firsts.push(started.elapsed());
        assert_eq!(report.received.len(), scale.per_account);
    }
    let mut medians = [Duration::ZERO; 3];
    for (i, (what, times)) in [
        ("sync pushing one change", pushes),
        ("sync with nothing new", idles),
        ("new device's first sync", firsts),
    ]
    .into_iter()
    .enumerate()
    {
        let samples = times.len();
        let [p50, p95, p99] = percentiles(times);
        medians[i] = p50;
        println!(
            "{label}: {what}: median {p50:.2?}, p95 {p95:.2?}, p99 {p99:.2?} ({samples} samples)"
        );
    }
    medians
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` does not: a small run.
    let scale = if std::env::args().any(|a| a == "--bench") {
        let large = std::env::var("CREDWELL_BENCH_GROWTH_ACCOUNTS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(10_000);
        Scale {
            per_account: 1_000,
            small: 100,
            large,
            rounds: 200,
            first_syncs: 10,
        }
    } else {
        Scale {
            per_account: 100,
            small: 10,
            large: 100,
            rounds: 5,
            first_syncs: 2,
        }
    };
    let Ok(cluster) = std::env::var("CREDWELL_TEST_POSTGRES") else {
        println!(
            "growth: skipped (CREDWELL_TEST_POSTGRES is not set; scripts/with-postgres.sh sets it)"
        );
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (url, db) = runtime.block_on(fresh_database(&cluster));
    let storage = runtime.block_on(PostgresStorage::connect(&url)).unwrap();
    let notices = Notices::new();
    let base = {
        let _entered = runtime.enter();
        storage.listen(notices.clone());
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        runtime.spawn(credwell_sync_server::serve(
            listener,
            Arc::new(storage),
            notices,
        ));
        base
    };

    // The measured account, written by a real device.
    let (_, key) = AccountKey::generate().unwrap();
    let first = HttpTransport::create_account(&base, "writer").unwrap();
    let transport = HttpTransport::new(&base, first.token.clone()).unwrap();
    let mut writer: Client<Item, _> = Client::new(
        first.account,
        first.device,
        AccountKey::from_bytes(&key),
        transport,
        State::default(),
    );
    for n in 0..scale.per_account {
        let (kind, natural) = numbered(n, "").natural_key();
        let id = writer.record_id(kind, &natural);
        writer.change(id, Some(numbered(n, &format!("pw-{n}-Xk29!aQ7"))), 1);
    }
    writer.sync().unwrap();

    let records = |accounts: usize| accounts * scale.per_account;
    runtime.block_on(fill(&db, 1, scale.small, scale.per_account));
    let small_label = format!("{} records", records(scale.small));
    let small = measure(&small_label, &base, &mut writer, &key, &scale);
    runtime.block_on(fill(&db, scale.small, scale.large, scale.per_account));
    let large_label = format!("{} records", records(scale.large));
    let large = measure(&large_label, &base, &mut writer, &key, &scale);
    for (i, what) in [
        "sync pushing one change",
        "sync with nothing new",
        "new device's first sync",
    ]
    .into_iter()
    .enumerate()
    {
        println!(
            "growth: {what}: median at {large_label} / at {small_label} = {:.2}",
            large[i].as_secs_f64() / small[i].as_secs_f64()
        );
    }
}
