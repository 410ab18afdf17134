//! Faults between a device and the server, on both engines: the server process killed with
//! SIGKILL in the middle of a push, the connection cut in the middle of an answer, and a
//! request delivered twice (a push, a pull, a device added, an account created). Each time no acknowledged change is lost, nothing is applied in
//! part, the device says what went wrong, and the next sync converges.
//!
//! The devices reach the server through a loopback proxy the test controls
//! (`common::proxy`); the server that is killed is a process of its own (`common::child`).

#![allow(clippy::unwrap_used)] // A test: a failure panics right there.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::child::ServerProcess;
use common::devices::{
    Device, acknowledged, change_all, converged, devices, note, pending, stored,
};
use common::locks::{lock_row, lock_waited_for};
use common::proxy::{Action, Proxy};
use credwell_sync::RecordId;
use credwell_sync::client::http::{HttpTransport, RETRY_ATTEMPTS};
use credwell_sync::client::{SyncError, TransportError};
use credwell_sync::protocol::MAX_PUSH_RECORDS;

/// The records one push carries (and the account manifest).
const CHUNK: usize = MAX_PUSH_RECORDS - 1;

/// Enough records for three pushes in one sync.
const RECORDS: usize = 2 * CHUNK + 200;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// When in the second push of a sync the server process is killed.
#[derive(Clone, Copy, Debug)]
enum Kill {
    /// As soon as the request is on its way.
    OnArrival,
    /// That many milliseconds after the request went on.
    After(u64),
    /// Once the server has answered (its transaction committed), before the device hears.
    AfterCommit,
    /// In the middle of the push's transaction, some records written and the rest waiting
    /// for a row the test holds locked (PostgreSQL).
    WhileWriting,
    /// While the push waits for the database's write lock, which the test holds (SQLite).
    WhileWaiting,
}

/// Checks that every device holds every record of `ids` with its text of `round`.
fn holds_round(devices: &mut [Device], ids: &[RecordId], round: usize, what: &str) {
    let state = converged(devices);
    assert_eq!(state.len(), ids.len(), "{what}");
    for (n, id) in ids.iter().enumerate() {
        assert_eq!(state[id].text, format!("round {round} note {n}"), "{what}");
    }
}

#[test]
fn the_server_killed_in_the_middle_of_a_push_loses_no_acknowledged_change() {
    let runtime = runtime();
    for engine in ["sqlite", "postgres"] {
        let dir = tempfile::tempdir().unwrap();
        let database = match engine {
            "sqlite" => dir.path().join("sync.sqlite").to_str().unwrap().to_owned(),
            _ => runtime.block_on(common::fresh_postgres()),
        };
        let server = Arc::new(Mutex::new(ServerProcess::start(&database)));
        let address = server.lock().unwrap().address;
        let proxy = runtime.block_on(Proxy::start(address));
        let (account, mut d) = devices(&proxy.url(), &["laptop", "phone"]);
        let ids: Vec<RecordId> = (0..RECORDS)
            .map(|n| d[0].record_id("note", n.to_string().as_bytes()))
            .collect();
        let mut kills = vec![
            Kill::OnArrival,
            Kill::After(1),
            Kill::After(5),
            Kill::After(20),
            Kill::AfterCommit,
        ];
        kills.push(match engine {
            "sqlite" => Kill::WhileWaiting,
            _ => Kill::WhileWriting,
        });
        let mut outcomes = Vec::new();
        for (round, kill) in kills.into_iter().enumerate() {
            let what = format!("{engine}, killed {kill:?}");
            change_all(&mut d[0], &ids, u64::try_from(round).unwrap());
            let second_push = pending(&d[0])[CHUNK..2 * CHUNK].to_vec();
            let (before, _) = runtime.block_on(stored(&database, account));
            let killer = {
                let server = Arc::clone(&server);
                move || server.lock().unwrap().kill()
            };
            let action = match kill {
                Kill::OnArrival => Action::During(Arc::new(killer)),
                Kill::After(ms) => Action::During(Arc::new(move || {
                    std::thread::sleep(Duration::from_millis(ms));
                    killer();
                })),
                Kill::AfterCommit => Action::Withhold(Arc::new(killer)),
                Kill::WhileWriting => {
                    let locked = second_push[CHUNK / 2];
                    let lock = Arc::new(runtime.block_on(lock_row(&database, account, locked)));
                    let url = database.clone();
                    Action::During(Arc::new(move || {
                        let handle = tokio::runtime::Handle::current();
                        handle.block_on(lock_waited_for(&url));
                        killer();
                        handle.block_on(lock.batch_execute("ROLLBACK")).unwrap();
                    }))
                }
                Kill::WhileWaiting => {
                    let lock = Arc::new(Mutex::new(rusqlite::Connection::open(&database).unwrap()));
                    let held = Arc::clone(&lock);
                    let take = move || {
                        held.lock()
                            .unwrap()
                            .execute_batch("BEGIN IMMEDIATE")
                            .unwrap()
                    };
                    Action::Around(
                        Arc::new(take),
                        Arc::new(move || {
                            // The server cannot be watched waiting: it is given the time to.
                            std::thread::sleep(Duration::from_millis(300));
                            killer();
                            lock.lock().unwrap().execute_batch("ROLLBACK").unwrap();
                        }),
                    )
                }
            };
            let mut pushes = 0;
            proxy.set_policy(move |request| {
                if (request.method.as_str(), request.path.as_str()) == ("POST", "/v1/records") {
                    pushes += 1;
                    if pushes == 2 {
                        return action.clone();
                    }
                }
                Action::Pass
            });
            let error = d[0].sync().unwrap_err();
            assert!(
                matches!(error, SyncError::Transport(TransportError::Unreachable(_))),
                "{what}: {error}"
            );
            proxy.pass();
            // The device holds the first push acknowledged; the second too when its answer came
            // before the kill (the third push then met a dead server); the rest not.
            let acknowledged = acknowledged(&d[0]);
            let answered = acknowledged.len() == 2 * CHUNK;
            assert!(
                acknowledged.len() == CHUNK || (answered && matches!(kill, Kill::After(_))),
                "{what}: {} acknowledged",
                acknowledged.len()
            );
            assert_eq!(pending(&d[0]).len(), RECORDS - acknowledged.len(), "{what}");
            // A new server process on the same database.
            let restarted = ServerProcess::start(&database);
            proxy.set_upstream(restarted.address);
            *server.lock().unwrap() = restarted;
            // What was acknowledged is stored, at the revisions acknowledged; the killed push
            // is stored whole or not at all.
            let (after, _) = runtime.block_on(stored(&database, account));
            for (id, revision) in &acknowledged {
                assert_eq!(after.get(id), Some(revision), "{what}: acknowledged, lost");
            }
            let written = second_push
                .iter()
                .filter(|id| after.get(id) != before.get(id))
                .count();
            assert!(
                written == 0 || written == CHUNK,
                "{what}: {written} of the killed push's {CHUNK} records stored"
            );
            match kill {
                Kill::WhileWriting | Kill::WhileWaiting => assert_eq!(written, 0, "{what}"),
                Kill::AfterCommit => assert_eq!(written, CHUNK, "{what}"),
                _ => {}
            }
            outcomes.push((kill, written == CHUNK, answered));
            // The device's retry succeeds; both devices hold every change of the round.
            d[0].sync().unwrap();
            holds_round(&mut d, &ids, round, &what);
        }
        // Which kills came after the push's commit, and which after its answer too.
        eprintln!("{engine}: (kill, committed, answered): {outcomes:?}");
        assert_eq!(proxy.faults().len(), outcomes.len());
    }
}

/// A server on `engine` in this process, behind a proxy: the proxy and the runtime both run on.
fn proxied(engine: &str) -> (Proxy, tokio::runtime::Runtime, common::Engine) {
    let (base, runtime, engine) = common::serve(engine);
    let address = base.trim_start_matches("http://").parse().unwrap();
    let proxy = runtime.block_on(Proxy::start(address));
    (proxy, runtime, engine)
}

/// A policy that does `action` to the `nth` request of `method` to `/v1/records` (from 1) and
/// passes everything else on.
fn nth_records(
    method: &'static str,
    nth: usize,
    action: Action,
) -> impl FnMut(&common::proxy::Request) -> Action + Send + 'static {
    let mut seen = 0;
    move |request| {
        if request.method == method && request.path.starts_with("/v1/records") {
            seen += 1;
            if seen == nth {
                return action.clone();
            }
        }
        Action::Pass
    }
}

fn cut_connection(error: &SyncError) -> bool {
    matches!(
        error,
        SyncError::Transport(TransportError::Unreachable(message))
            if message.contains("broke in the middle of the answer")
    )
}

#[test]
fn a_connection_cut_in_the_middle_of_an_answer_applies_nothing_and_the_next_sync_converges() {
    for engine in ["sqlite", "postgres"] {
        let (proxy, runtime, engine_kept) = proxied(engine);
        let database = engine_database(&engine_kept);
        let (account, mut d) = devices(&proxy.url(), &["laptop", "phone"]);
        // More records than one page: the phone's first pull takes two.
        let ids: Vec<RecordId> = (0..1_500)
            .map(|n| d[0].record_id("note", n.to_string().as_bytes()))
            .collect();
        change_all(&mut d[0], &ids, 0);
        d[0].sync().unwrap();
        // The second page's answer is cut: nothing of the first page is applied either.
        proxy.set_policy(nth_records("GET", 2, Action::Cut));
        let error = d[1].sync().unwrap_err();
        assert!(cut_connection(&error), "{engine}: {error}");
        assert_eq!(d[1].records().count(), 0, "{engine}: a page applied");
        assert_eq!(d[1].state().cursor, 0, "{engine}");
        proxy.pass();
        holds_round(&mut d, &ids, 0, engine);
        // The answer to a push is cut: the server stored it, the device does not know.
        for (n, id) in ids[..3].iter().enumerate() {
            d[0].change(*id, note(&format!("edited {n}")), 5_000);
        }
        proxy.set_policy(nth_records("POST", 1, Action::Cut));
        let error = d[0].sync().unwrap_err();
        assert!(cut_connection(&error), "{engine}: {error}");
        assert_eq!(pending(&d[0]).len(), 3, "{engine}");
        proxy.pass();
        let (_, cursor) = runtime.block_on(stored(&database, account));
        // The next sync finds its own change on the server and pushes nothing again.
        let report = d[0].sync().unwrap();
        assert_eq!(report.pushed, 0, "{engine}: pushed twice");
        assert!(pending(&d[0]).is_empty(), "{engine}");
        assert_eq!(runtime.block_on(stored(&database, account)).1, cursor);
        let state = converged(&mut d);
        for (n, id) in ids[..3].iter().enumerate() {
            assert_eq!(state[id].text, format!("edited {n}"), "{engine}");
        }
        assert_eq!(proxy.faults().len(), 2);
    }
}

/// What the device-side tests pass to `stored`: the engine's SQLite file or PostgreSQL URL.
fn engine_database(engine: &common::Engine) -> String {
    match (&engine.file, &engine.url) {
        (Some(file), _) => file.to_str().unwrap().to_owned(),
        (None, Some(url)) => url.clone(),
        (None, None) => unreachable!("an engine has a file or a URL"),
    }
}

#[test]
fn a_push_delivered_twice_is_applied_once() {
    for engine in ["sqlite", "postgres"] {
        let (proxy, runtime, engine_kept) = proxied(engine);
        let database = engine_database(&engine_kept);
        let (account, mut d) = devices(&proxy.url(), &["laptop", "phone"]);
        let id = |d: &Device, name: &str| d.record_id("note", name.as_bytes());
        let (x, y, z) = (id(&d[0], "x"), id(&d[0], "y"), id(&d[0], "z"));
        d[0].change(x, note("x1"), 1_000);
        d[0].change(z, note("z1"), 1_000);
        d[0].sync().unwrap();
        // A new record, an edit and a deletion in one push, which reaches the server twice;
        // the device gets the first answer, then the second (the duplicate's refusal).
        for (round, second) in [(0, false), (1, true)] {
            let x_text = format!("x edited {round}");
            d[0].change(x, note(&x_text), 2_000 + round);
            d[0].change(y, note(&format!("y {round}")), 2_000 + round);
            d[0].change(
                z,
                if round == 0 { None } else { note("z back") },
                2_000 + round,
            );
            let (_, before) = runtime.block_on(stored(&database, account));
            proxy.set_policy(nth_records("POST", 1, Action::Replay { second }));
            let report = d[0].sync().unwrap();
            proxy.pass();
            // Three records and the manifest: four revisions, once.
            let (after, cursor) = runtime.block_on(stored(&database, account));
            assert_eq!(
                cursor,
                before + 4,
                "{engine}, answer {round}: applied twice"
            );
            assert_eq!(after[&x], d[0].state().records[&x].revision, "{engine}");
            assert!(pending(&d[0]).is_empty(), "{engine}");
            // Refused as a duplicate, the device finds its change stored: pushed once.
            assert_eq!(report.pushed, if second { 0 } else { 3 }, "{engine}");
            let report = d[0].sync().unwrap();
            assert_eq!(report.pushed, 0, "{engine}");
            assert_eq!(runtime.block_on(stored(&database, account)).1, cursor);
            let state = converged(&mut d);
            assert_eq!(state[&x].text, x_text, "{engine}");
            assert_eq!(state.contains_key(&z), round == 1, "{engine}");
        }
        // A pull delivered twice changes nothing either.
        proxy.set_policy(nth_records("GET", 1, Action::Replay { second: true }));
        let before = common::devices::content(&d[1]);
        assert!(d[1].sync().unwrap().received.is_empty());
        assert_eq!(common::devices::content(&d[1]), before);
        assert_eq!(proxy.faults().len(), 3);
    }
}

#[test]
fn a_device_added_through_a_cut_answer_or_delivered_twice_is_added_once() {
    for engine in ["sqlite", "postgres"] {
        let (proxy, _runtime, _engine_kept) = proxied(engine);
        let (_, mut d) = devices(&proxy.url(), &["laptop"]);
        let adding = |nth: usize, action: Action| {
            let mut seen = 0;
            proxy.set_policy(move |request| {
                if request.method == "POST" && request.path == "/v1/devices" {
                    seen += 1;
                    if seen == nth {
                        return action.clone();
                    }
                }
                Action::Pass
            });
        };
        let mut added = Vec::new();
        // The first answer is cut: the device sends the same request again, and gets the
        // answer; the request reached the server twice, as a device did the second time.
        adding(1, Action::Cut);
        added.push(d[0].transport().add_device("cut").unwrap());
        for second in [false, true] {
            adding(1, Action::Replay { second });
            added.push(d[0].transport().add_device("twice").unwrap());
        }
        // Every answer cut: the device gives up after its attempts, as unreachable; the device
        // is added once all the same (the server did the work each time).
        proxy.set_policy(|request| {
            if request.method == "POST" && request.path == "/v1/devices" {
                return Action::Cut;
            }
            Action::Pass
        });
        let error = d[0].transport().add_device("never heard").unwrap_err();
        assert!(
            matches!(&error, TransportError::Unreachable(m) if m.contains("broke")),
            "{engine}: {error}"
        );
        proxy.pass();
        let listed = d[0].transport().devices().unwrap();
        let names: Vec<_> = listed.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(
            names,
            ["laptop", "cut", "twice", "twice", "never heard"],
            "{engine}: a device added twice"
        );
        // Each added device's token works.
        for enrolled in added {
            let transport = HttpTransport::new(&proxy.url(), enrolled.token).unwrap();
            assert_eq!(transport.devices().unwrap().len(), 5, "{engine}");
        }
        let faults = proxy.faults();
        let cut = faults.iter().filter(|(_, f)| f.contains("cut")).count();
        assert_eq!(
            (faults.len(), cut),
            (6, 1 + RETRY_ATTEMPTS as usize),
            "{engine}: {faults:?}"
        );
    }
}

#[test]
fn an_account_created_through_a_cut_answer_or_delivered_twice_is_created_once() {
    for engine in ["sqlite", "postgres"] {
        let (proxy, _runtime, _engine_kept) = proxied(engine);
        let creating = |nth: usize, action: Action| {
            let mut seen = 0;
            proxy.set_policy(move |request| {
                if request.method == "POST" && request.path == "/v1/accounts" {
                    seen += 1;
                    if seen == nth {
                        return action.clone();
                    }
                }
                Action::Pass
            });
        };
        let mut created = Vec::new();
        // The first answer is cut: the device sends the same request again and gets the answer;
        // then the request reaches the server twice, the device getting either answer.
        creating(1, Action::Cut);
        created.push(HttpTransport::create_account(&proxy.url(), "cut").unwrap());
        for second in [false, true] {
            creating(1, Action::Replay { second });
            created.push(HttpTransport::create_account(&proxy.url(), "twice").unwrap());
        }
        // Every answer cut: the device gives up after its attempts, as unreachable.
        proxy.set_policy(|request| {
            if request.method == "POST" && request.path == "/v1/accounts" {
                return Action::Cut;
            }
            Action::Pass
        });
        let error = HttpTransport::create_account(&proxy.url(), "never heard").unwrap_err();
        assert!(
            matches!(&error, TransportError::Unreachable(m) if m.contains("broke")),
            "{engine}: {error}"
        );
        proxy.pass();
        // Each account exists once, with its one device, whose token works.
        for enrolled in created {
            let transport = HttpTransport::new(&proxy.url(), enrolled.token).unwrap();
            let listed = transport.devices().unwrap();
            assert_eq!(listed.len(), 1, "{engine}: a device added twice");
            assert_eq!(listed[0].id, enrolled.device, "{engine}");
        }
        let faults = proxy.faults();
        let cut = faults.iter().filter(|(_, f)| f.contains("cut")).count();
        assert_eq!(
            (faults.len(), cut),
            (3 + RETRY_ATTEMPTS as usize, 1 + RETRY_ATTEMPTS as usize),
            "{engine}: {faults:?}"
        );
    }
}
