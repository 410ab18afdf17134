//! Deletions swept after the retention, on SQLite and on a real PostgreSQL: the sweep and the
//! account's horizon, "resync needed" for a device that may have missed a swept deletion, a
//! device back from past the horizon converging through the real server, two instances
//! sweeping one database, and a database made before the horizon existed.
//!
//! The retention's clock is the `now` given to the sweep: no test waits.

#![allow(clippy::unwrap_used)] // A test: a failure panics right there.

mod common;

use std::sync::Arc;

use common::Engine;
use common::devices::{content, converged, devices, note};
use credwell_sync::client::{Transport, TransportError};
use credwell_sync::protocol::{Bytes, PushRecord};
use credwell_sync::{AccountId, DeviceId, DeviceToken, RecordId};
use credwell_sync_server::storage::postgres::PostgresStorage;
use credwell_sync_server::storage::sqlite::SqliteStorage;
use credwell_sync_server::{PushOutcome, Retention, Storage};

const DAY: u64 = 24 * 60 * 60 * 1000;

fn record(id: u8, base: u64, deleted: bool) -> PushRecord {
    PushRecord {
        id: RecordId([id; 16]),
        base,
        deleted,
        sealed: Bytes(vec![id]),
    }
}

async fn account(storage: &dyn Storage, n: u8) -> (AccountId, DeviceId) {
    let (account, device) = (AccountId([n; 16]), DeviceId([n; 16]));
    let token = DeviceToken::generate(account, device).unwrap();
    storage
        .create_account(account, device, token.hash(), "laptop", 1)
        .await
        .unwrap();
    (account, device)
}

/// Pushes `records` at time `now`: their revisions.
async fn push(
    s: &dyn Storage,
    a: AccountId,
    d: DeviceId,
    records: &[PushRecord],
    now: u64,
) -> Vec<u64> {
    match s.push(a, d, records, now).await.unwrap() {
        PushOutcome::Applied { revisions, .. } => revisions,
        PushOutcome::Conflict(ids) => panic!("conflict on {ids:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sweep_takes_old_deletions_only_moves_the_horizon_and_sweeps_nothing_twice() {
    for engine in Engine::both().await {
        let s = engine.storage.as_ref();
        let name = engine.name;
        let (a, d) = account(s, 1).await;
        let (other, o) = account(s, 2).await;
        // Day 1: live 1 and 2, deleted 3; day 5: deleted 4; 5 deleted on day 1, then written
        // again live on day 6. Another account's deletion of day 1.
        let day1 = push(
            s,
            a,
            d,
            &[
                record(1, 0, false),
                record(2, 0, false),
                record(3, 0, true),
                record(5, 0, true),
            ],
            DAY,
        )
        .await;
        let day5 = push(s, a, d, &[record(4, 0, true)], 5 * DAY).await;
        push(s, a, d, &[record(5, day1[3], false)], 6 * DAY).await;
        let theirs = push(s, other, o, &[record(9, 0, true)], DAY).await;
        let retention = Retention::days(3).unwrap();
        assert_eq!(retention.sweep(s, 4 * DAY + 1).await.unwrap(), 2, "{name}");
        let page = s.pull(a, 0, 100).await.unwrap();
        let ids: Vec<u8> = page.records.iter().map(|r| r.id.0[0]).collect();
        assert_eq!(ids, [1, 2, 4, 5], "{name}");
        assert_eq!(page.horizon, day1[2], "{name}: the newest deletion swept");
        assert_eq!(
            s.pull(other, 0, 100).await.unwrap().horizon,
            theirs[0],
            "{name}"
        );
        // The same sweep again takes nothing and keeps the horizon.
        assert_eq!(retention.sweep(s, 4 * DAY + 1).await.unwrap(), 0, "{name}");
        assert_eq!(s.pull(a, 0, 100).await.unwrap().horizon, day1[2], "{name}");
        // Later, the day-5 deletion goes too; live records never do.
        assert_eq!(retention.sweep(s, 100 * DAY).await.unwrap(), 1, "{name}");
        let page = s.pull(a, 0, 100).await.unwrap();
        let ids: Vec<u8> = page.records.iter().map(|r| r.id.0[0]).collect();
        assert_eq!((ids, page.horizon), (vec![1, 2, 5], day5[0]), "{name}");
        // A record swept is new again to a push (base 0).
        push(s, a, d, &[record(3, 0, false)], 101 * DAY).await;
        assert!(Retention::days(0).is_err());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_sweeping_one_database_while_devices_push_agree() {
    for engine in Engine::both().await {
        let name = engine.name;
        let second: Arc<dyn Storage> = match &engine.url {
            Some(url) => Arc::new(PostgresStorage::connect(url).await.unwrap()),
            None => engine.storage.clone(),
        };
        let s = engine.storage.clone();
        let (a, d) = account(s.as_ref(), 1).await;
        let mut deleted = Vec::new();
        for n in 0..60u8 {
            deleted.extend(push(s.as_ref(), a, d, &[record(n, 0, true)], DAY).await);
        }
        // Both instances sweep at once, while the device keeps pushing.
        let sweeps: Vec<_> = [s.clone(), second.clone(), s.clone(), second]
            .into_iter()
            .map(|storage| {
                tokio::spawn(async move {
                    Retention::days(1)
                        .unwrap()
                        .sweep(storage.as_ref(), 10 * DAY)
                        .await
                        .unwrap()
                })
            })
            .collect();
        let pusher = {
            let s = s.clone();
            tokio::spawn(async move {
                for n in 100..120u8 {
                    push(s.as_ref(), a, d, &[record(n, 0, false)], 10 * DAY).await;
                }
            })
        };
        let mut swept = 0;
        for sweep in sweeps {
            swept += sweep.await.unwrap();
        }
        pusher.await.unwrap();
        assert_eq!(swept, 60, "{name}: every deletion swept once");
        let page = s.pull(a, 0, 1000).await.unwrap();
        assert_eq!(page.horizon, *deleted.last().unwrap(), "{name}");
        assert_eq!(page.records.len(), 20, "{name}: every live record kept");
        assert!(page.records.iter().all(|r| !r.deleted));
    }
}

#[test]
fn a_pull_from_below_the_horizon_is_told_to_start_again_from_0() {
    for engine in ["sqlite", "postgres"] {
        let (base, runtime, kept) = common::serve(engine);
        let (_, mut d) = devices(&base, &["laptop"]);
        let x = d[0].record_id("note", b"x");
        let y = d[0].record_id("note", b"y");
        d[0].change(x, note("x"), 1);
        d[0].change(y, note("y"), 1);
        d[0].sync().unwrap();
        // The push's answer: x, y and the manifest at 1 to 3.
        let seen = d[0].state().manifest.revision;
        d[0].change(x, None, 2);
        d[0].sync().unwrap();
        let far = now_ms() + 365 * DAY;
        let swept = runtime.block_on(Retention::default().sweep(kept.storage.as_ref(), far));
        assert_eq!(swept.unwrap(), 1, "{engine}");
        let error = d[0].transport().pull(seen, 10).unwrap_err();
        assert_eq!(error, TransportError::ResyncNeeded, "{engine}");
        // From 0, or from the horizon (x's deletion, at 4) or above: answered, with it.
        let horizon = seen + 1;
        for since in [0, horizon, horizon + 1] {
            let reply = d[0].transport().pull(since, 10).unwrap();
            assert_eq!(reply.horizon, horizon, "{engine}");
        }
        let reply = d[0].transport().pull(0, 10).unwrap();
        assert!(reply.records.iter().all(|r| !r.deleted), "{engine}");
    }
}

/// The clock the server stamps writes with.
fn now_ms() -> u64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    u64::try_from(since.unwrap().as_millis()).unwrap()
}

#[test]
fn a_device_back_from_past_the_horizon_converges_through_the_server() {
    for engine in ["sqlite", "postgres"] {
        let (base, runtime, kept) = common::serve(engine);
        let (_, mut d) = devices(&base, &["laptop", "phone"]);
        let id = |name: &str| d[0].record_id("note", name.as_bytes());
        let (x, y, z, v) = (id("x"), id("y"), id("z"), id("v"));
        for n in [x, y, z] {
            d[0].change(n, note("first"), 1);
        }
        d[0].sync().unwrap();
        d[1].sync().unwrap();
        // The phone goes away: it edits y and adds v; the laptop deletes x and y.
        d[1].change(y, note("phone, offline"), 2);
        d[1].change(v, note("v"), 2);
        d[0].change(x, None, 3);
        d[0].change(y, None, 3);
        d[0].sync().unwrap();
        let far = now_ms() + 365 * DAY;
        let swept = runtime.block_on(Retention::default().sweep(kept.storage.as_ref(), far));
        assert_eq!(swept.unwrap(), 2, "{engine}");
        let report = d[1].sync().unwrap();
        assert!(report.received.contains(&x), "{engine}: {report:?}");
        let state = converged(&mut d);
        let texts: Vec<_> = [y, z, v].iter().map(|i| state[i].text.as_str()).collect();
        assert_eq!(texts, ["phone, offline", "first", "v"], "{engine}");
        assert!(!state.contains_key(&x), "{engine}");
        assert_eq!(content(&d[0]), content(&d[1]));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_made_before_the_horizon_gets_it() {
    // SQLite: the accounts table as older servers made it.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("old.sqlite");
    {
        let conn = rusqlite::Connection::open(&file).unwrap();
        conn.execute_batch(
            "CREATE TABLE accounts (account_id BLOB PRIMARY KEY NOT NULL, \
             cursor INTEGER NOT NULL, created INTEGER NOT NULL) STRICT;
             INSERT INTO accounts VALUES (x'01010101010101010101010101010101', 0, 1);",
        )
        .unwrap();
    }
    let sqlite = SqliteStorage::open(&file).unwrap();
    let page = sqlite.pull(AccountId([1; 16]), 0, 10).await.unwrap();
    assert_eq!((page.cursor, page.horizon), (0, 0));
    // PostgreSQL: the column dropped, as before it existed.
    let postgres = Engine::postgres().await;
    let (a, _) = account(postgres.storage.as_ref(), 1).await;
    let url = postgres.url.clone().unwrap();
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute("ALTER TABLE accounts DROP COLUMN horizon")
        .await
        .unwrap();
    let again = PostgresStorage::connect(&url).await.unwrap();
    assert_eq!(again.pull(a, 0, 10).await.unwrap().horizon, 0);
}
