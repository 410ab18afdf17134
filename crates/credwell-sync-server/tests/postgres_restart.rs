//! PostgreSQL stopped or restarted while a device syncs: the device is told the server's
//! database is not available and to try again, nothing it was told is stored is lost, nothing
//! is stored in part, and once the database is back the devices converge.
//!
//! The test restarts the cluster of `scripts/with-postgres.sh`
//! (`CREDWELL_TEST_POSTGRES_CTL`), so it is a file of its own: no other test runs on the
//! cluster while it is down.

#![allow(clippy::unwrap_used)] // A test: a failure panics right there.

mod common;

use std::process::Command;
use std::sync::Arc;

use common::devices::{Device, acknowledged, change_all, converged, devices, pending, stored};
use common::locks::{lock_row, lock_waited_for};
use common::proxy::{Action, Proxy, Request};
use common::{Engine, start_server};
use credwell_sync::RecordId;
use credwell_sync::client::{SyncError, TransportError};
use credwell_sync::protocol::MAX_PUSH_RECORDS;
use credwell_sync_server::Notices;

/// The records one push carries (and the account manifest).
const CHUNK: usize = MAX_PUSH_RECORDS - 1;

/// Two pushes' worth of records.
const RECORDS: usize = CHUNK + 300;

/// Runs the test cluster's `pg_ctl` with `args` (as `scripts/with-postgres.sh` set it up).
fn pg_ctl(args: &[&str]) {
    let ctl = std::env::var("CREDWELL_TEST_POSTGRES_CTL").unwrap_or_else(|_| {
        panic!(
            "CREDWELL_TEST_POSTGRES_CTL is not set: run this test through \
             scripts/with-postgres.sh, which gives it the cluster's pg_ctl"
        )
    });
    let status = Command::new(ctl)
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "pg_ctl {args:?}: {status}");
}

/// Does `action` to the second push and passes everything else on.
fn second_push(action: Action) -> impl FnMut(&Request) -> Action + Send + 'static {
    let mut pushes = 0;
    move |request| {
        if (request.method.as_str(), request.path.as_str()) == ("POST", "/v1/records") {
            pushes += 1;
            if pushes == 2 {
                return action.clone();
            }
        }
        Action::Pass
    }
}

/// The error a device gets while the server's database is down.
fn database_unavailable(error: &SyncError) -> bool {
    matches!(
        error,
        SyncError::Transport(TransportError::Server { status: 503, message })
            if message == "the server's database is not available; try again"
    )
}

#[test]
fn postgresql_restarted_during_a_sync_loses_nothing_and_the_devices_converge() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let engine = runtime.block_on(Engine::postgres());
    let url = engine.url.clone().unwrap();
    let base = runtime.block_on(start_server(engine.storage.clone(), Notices::new()));
    let address = base.trim_start_matches("http://").parse().unwrap();
    let proxy = runtime.block_on(Proxy::start(address));
    let (account, mut d) = devices(&proxy.url(), &["laptop", "phone"]);
    let ids: Vec<RecordId> = (0..RECORDS)
        .map(|n| d[0].record_id("note", n.to_string().as_bytes()))
        .collect();
    let holds_round = |d: &mut [Device], round: u64, what: &str| {
        let state = converged(d);
        assert_eq!(state.len(), RECORDS, "{what}");
        for (n, id) in ids.iter().enumerate() {
            assert_eq!(state[id].text, format!("round {round} note {n}"), "{what}");
        }
    };

    // 1. Stopped between the first push of a sync and the second.
    change_all(&mut d[0], &ids, 0);
    let stop: Action = Action::Before(Arc::new(|| pg_ctl(&["stop", "-m", "immediate"])));
    proxy.set_policy(second_push(stop));
    let error = d[0].sync().unwrap_err();
    assert!(database_unavailable(&error), "stopped: {error}");
    proxy.pass();
    let acknowledged_first = acknowledged(&d[0]);
    assert_eq!(acknowledged_first.len(), CHUNK);
    assert_eq!(pending(&d[0]).len(), RECORDS - CHUNK);
    // Tried again while it is down: the same answer, nothing changes on the device.
    let error = d[0].sync().unwrap_err();
    assert!(database_unavailable(&error), "down: {error}");
    assert_eq!(acknowledged(&d[0]), acknowledged_first);
    pg_ctl(&["start"]);
    let (stored_now, _) = runtime.block_on(stored(&url, account));
    for (id, revision) in &acknowledged_first {
        assert_eq!(stored_now.get(id), Some(revision), "acknowledged, lost");
    }
    assert_eq!(
        stored_now.len(),
        CHUNK + 1,
        "the first push and its manifest"
    );
    d[0].sync().unwrap();
    holds_round(&mut d, 0, "after a stop");

    // 2. Restarted in the middle of a push's transaction: some records written, the next
    // one waiting for a row the test holds.
    change_all(&mut d[0], &ids, 1);
    let second = pending(&d[0])[CHUNK..].to_vec();
    let (before, _) = runtime.block_on(stored(&url, account));
    let lock = runtime.block_on(lock_row(&url, account, second[second.len() / 2]));
    let restart = {
        let url = url.clone();
        Action::During(Arc::new(move || {
            let handle = tokio::runtime::Handle::current();
            handle.block_on(lock_waited_for(&url));
            pg_ctl(&["restart", "-m", "immediate"]);
        }))
    };
    proxy.set_policy(second_push(restart));
    let error = d[0].sync().unwrap_err();
    assert!(database_unavailable(&error), "restarted: {error}");
    proxy.pass();
    drop(lock);
    let acknowledged_now = acknowledged(&d[0]);
    assert_eq!(acknowledged_now.len(), CHUNK);
    let (after, _) = runtime.block_on(stored(&url, account));
    for (id, revision) in &acknowledged_now {
        assert_eq!(after.get(id), Some(revision), "acknowledged, lost");
    }
    for id in &second {
        assert_eq!(after.get(id), before.get(id), "a part of the push stored");
    }
    d[0].sync().unwrap();
    holds_round(&mut d, 1, "after a restart in a push");

    // 3. Restarted between two syncs: the next one just works (the server's pool drops the
    // connections the restart ended).
    pg_ctl(&["restart", "-m", "immediate"]);
    change_all(&mut d[0], &ids, 2);
    d[0].sync().unwrap();
    holds_round(&mut d, 2, "after a restart between syncs");
    assert_eq!(proxy.faults().len(), 2);
}
