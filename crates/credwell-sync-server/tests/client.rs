//! The devices' client (`credwell_sync::client` over HTTP) against this server, on both
//! engines: three devices add, edit and delete, edit the same record concurrently and offline,
//! and converge record by record; a device joins through another; a revoked one is shut out;
//! a page asked for ahead answers its pull only; devices read the binary page and a server's
//! JSON alike.

#![allow(clippy::unwrap_used)] // A test: a failure panics right there.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::Request;
use axum::http::Method;
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::middleware::Next;
use common::devices::{Device, KEY, change_all, content, converged, devices, note};
use common::proxy::{Action, Proxy};
use common::{Engine, serve};
use credwell_sync::client::http::{Enrolled, HttpTransport};
use credwell_sync::client::{Client, State, SyncError, Transport, TransportError};
use credwell_sync::protocol::{Bytes, MAX_PULL_RECORDS, PullReply, PushRequest, Record, page};
use credwell_sync::{AccountId, AccountKey, DeviceId, DeviceToken};
use credwell_sync_server::Notices;

/// A client for a device added to the account, holding `key` as the account key.
fn client(base: &str, added: Enrolled, key: &[u8; 32]) -> Device {
    let (account, device) = (added.account, added.device);
    let transport = HttpTransport::new(base, added.token).unwrap();
    let key = AccountKey::from_bytes(key);
    Client::new(account, device, key, transport, State::default())
}

/// A new account with three devices: the first made it, and added the other two.
fn three_devices(base: &str) -> Vec<Device> {
    devices(base, &["laptop", "phone", "desktop"]).1
}

#[test]
fn three_devices_converge_through_the_server_on_both_engines() {
    for engine in ["sqlite", "postgres"] {
        let (base, _runtime, _engine) = serve(engine);
        let mut d = three_devices(&base);
        let id = |d: &Device, name: &str| d.record_id("login", name.as_bytes());
        let (x, y, z) = (id(&d[0], "x"), id(&d[0], "y"), id(&d[0], "z"));
        // Add on one, edit on another, delete on the third.
        d[0].change(x, note("x1"), 1_000);
        d[0].change(y, note("y1"), 1_000);
        d[0].change(z, note("z1"), 1_000);
        d[0].sync().unwrap();
        d[1].sync().unwrap();
        d[1].change(y, note("y2"), 2_000);
        d[1].sync().unwrap();
        d[2].sync().unwrap();
        d[2].change(z, None, 3_000);
        d[2].sync().unwrap();
        let state = converged(&mut d);
        assert_eq!(state[&y].text, "y2");
        assert!(!state.contains_key(&z), "{engine}: z deleted everywhere");
        // Offline, all three edit x; the phone's clock is hours behind, the desktop's ahead.
        let now = 20_000_000;
        d[0].change(x, note("laptop"), now);
        d[1].change(x, note("phone"), now - 3 * 3_600_000);
        d[2].change(x, note("desktop"), now + 3 * 3_600_000);
        // And the same new login is added on two devices offline: one record, merged.
        let w = id(&d[0], "w");
        d[0].change(w, note("w-laptop"), 30_000_000);
        d[1].change(w, note("w-phone"), 30_000_001);
        for device in d.iter_mut() {
            device.sync().unwrap();
        }
        let state = converged(&mut d);
        let x_now = &state[&x];
        assert_eq!(x_now.text, "desktop", "{engine}");
        for lost in ["laptop", "phone", "x1"] {
            assert!(
                x_now.history.contains(lost),
                "{engine}: {lost} kept: {x_now:?}"
            );
        }
        assert_eq!(state[&w].text, "w-phone");
        assert!(state[&w].history.contains("w-laptop"));
        // A fourth device joining later gets everything from its first sync.
        let added = d[0].transport().add_device("tablet").unwrap();
        let tablet = added.device;
        let mut late = client(&base, added, &KEY);
        late.sync().unwrap();
        assert_eq!(content(&late), state, "{engine}");
        // Its saved state resumes, and a revoked device is shut out.
        d[0].transport().revoke(tablet).unwrap();
        late.change(x, note("after revocation"), 99_000_000);
        let error = late.sync().unwrap_err();
        assert!(
            matches!(error, SyncError::Transport(TransportError::Unauthorized(_))),
            "{engine}: {error}"
        );
        assert_eq!(converged(&mut d)[&x].text, "desktop");
    }
}

#[test]
fn a_device_with_the_wrong_account_key_finds_every_record_tampered() {
    let (base, _runtime, _engine) = serve("sqlite");
    let mut d = three_devices(&base);
    let x = d[0].record_id("login", b"x");
    d[0].change(x, note("x1"), 1);
    d[0].sync().unwrap();
    let added = d[0].transport().add_device("stranger").unwrap();
    let mut stranger = client(&base, added, &[6; 32]);
    let error = stranger.sync().unwrap_err();
    assert!(matches!(error, SyncError::Tampered { .. }), "{error}");
    assert_eq!(stranger.records().count(), 0);
}

/// A page asked for ahead (`Transport::pull_ahead`, what the client does while it checks the
/// page before) is the answer of the pull of that page that follows, in one request; a pull of
/// another page, or a push in between, throws it away: an answer older than the device's own
/// push is never used.
#[test]
fn a_page_asked_for_ahead_answers_its_pull_once_and_never_after_a_push() {
    let (base, runtime, _engine) = serve("sqlite");
    let upstream = base.trim_start_matches("http://").parse().unwrap();
    let proxy = runtime.block_on(Proxy::start(upstream));
    let pulls = Arc::new(AtomicUsize::new(0));
    let counted = pulls.clone();
    proxy.set_policy(move |request| {
        if request.method == "GET" && request.path.starts_with("/v1/records") {
            counted.fetch_add(1, Ordering::SeqCst);
        }
        Action::Pass
    });
    let url = proxy.url();
    let first = HttpTransport::create_account(&url, "laptop").unwrap();
    let mut raw = HttpTransport::new(&url, first.token.clone()).unwrap();
    let mut writer = client(&url, first, &KEY);
    let x = writer.record_id("login", b"x");
    writer.change(x, note("x1"), 1);
    writer.sync().unwrap();
    let pulled = |expected: usize| {
        // The thread sending a page ahead may still be on its way: wait for it to be seen.
        for _ in 0..200 {
            if pulls.load(Ordering::SeqCst) >= expected {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        pulls.load(Ordering::SeqCst)
    };
    let before = pulled(0);
    // Asked ahead, then pulled: the same answer as a pull, from one request.
    raw.pull_ahead(0, MAX_PULL_RECORDS);
    let ahead = raw.pull(0, MAX_PULL_RECORDS).unwrap();
    assert_eq!(pulled(before + 1), before + 1);
    assert_eq!(ahead, raw.pull(0, MAX_PULL_RECORDS).unwrap());
    assert_eq!(
        ahead.records.len(),
        2,
        "the record and the account's manifest"
    );
    // Asked ahead for one page, pulled another: the other page's answer.
    raw.pull_ahead(0, MAX_PULL_RECORDS);
    let other = raw
        .pull(ahead.records[0].revision, MAX_PULL_RECORDS)
        .unwrap();
    assert_eq!(other.records.len(), 1);
    assert_eq!(pulled(before + 4), before + 4);
    // Asked ahead and answered, then a push (an empty one, which the server may refuse): the
    // pull after it asks the server again.
    raw.pull_ahead(0, MAX_PULL_RECORDS);
    assert_eq!(pulled(before + 5), before + 5);
    std::thread::sleep(Duration::from_millis(100));
    let _ = raw.push(&PushRequest {
        records: Vec::new(),
    });
    let again = raw.pull(0, MAX_PULL_RECORDS).unwrap();
    assert_eq!(pulled(before + 6), before + 6, "asked the server again");
    assert_eq!(again.records, ahead.records);
}

/// The `Content-Type` of every pull's answer a server sent, in order.
type Answered = Arc<Mutex<Vec<String>>>;

/// A server on `engine`'s storage, on `runtime`, that records the `Content-Type` of each pull's
/// answer; `old`: one from before the binary page (the request's `Accept` is dropped before the
/// API sees it, so every pull answers JSON). Its base URL and what it answered.
fn recording_server(
    runtime: &tokio::runtime::Runtime,
    engine: &Engine,
    old: bool,
) -> (String, Answered) {
    let answered = Answered::default();
    let kept = answered.clone();
    let app = credwell_sync_server::router(engine.storage.clone(), Notices::new()).layer(
        axum::middleware::from_fn(move |mut request: Request, next: Next| {
            let kept = kept.clone();
            async move {
                let pull = request.method() == Method::GET && request.uri().path() == "/v1/records";
                if old {
                    request.headers_mut().remove(ACCEPT);
                }
                let response = next.run(request).await;
                if pull {
                    let content_type = response.headers().get(CONTENT_TYPE);
                    let content_type = content_type.and_then(|v| v.to_str().ok()).unwrap_or("");
                    kept.lock().unwrap().push(content_type.to_owned());
                }
                response
            }
        }),
    );
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(async move { axum::serve(listener, app).await });
    (base, answered)
}

/// Devices ask for the binary page and read it; a device of a server that answers JSON only (one
/// from before the binary form) syncs the same records, pages of more than one included.
#[test]
fn devices_read_the_binary_page_and_a_server_s_json_alike() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let engine = Engine::sqlite();
    let (new, binary) = recording_server(&runtime, &engine, false);
    let (old, json) = recording_server(&runtime, &engine, true);
    let first = HttpTransport::create_account(&new, "laptop").unwrap();
    let joined = HttpTransport::new(&new, first.token.clone())
        .unwrap()
        .add_device("phone")
        .unwrap();
    let mut laptop = client(&new, first, &KEY);
    let mut phone = client(&old, joined, &KEY);
    // More records than one page: the phone's first pull takes two pages.
    let ids: Vec<_> = (0..MAX_PULL_RECORDS + 100)
        .map(|n| laptop.record_id("note", n.to_string().as_bytes()))
        .collect();
    change_all(&mut laptop, &ids, 0);
    laptop.sync().unwrap();
    phone.sync().unwrap();
    assert_eq!(content(&phone), content(&laptop));
    // A change and a deletion on the phone, through the JSON server, reach the laptop through
    // the binary one.
    phone.change(ids[7], note("from the phone"), 50_000);
    phone.change(ids[8], None, 50_000);
    phone.sync().unwrap();
    laptop.sync().unwrap();
    let state = content(&laptop);
    assert_eq!(state[&ids[7]].text, "from the phone");
    assert!(!state.contains_key(&ids[8]));
    assert_eq!(content(&phone), state);
    let (binary, json) = (binary.lock().unwrap().clone(), json.lock().unwrap().clone());
    assert!(binary.len() >= 2 && json.len() >= 3, "{binary:?} {json:?}");
    assert!(binary.iter().all(|t| t == page::MEDIA_TYPE), "{binary:?}");
    assert!(json.iter().all(|t| t == "application/json"), "{json:?}");
}

/// A server that answers every pull with the body the test sets, as a binary page: a device
/// refuses each damaged one as `Malformed`, naming what is wrong, and reads the intact one.
#[test]
fn a_damaged_binary_page_is_malformed_and_says_what_is_wrong() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let body = Arc::new(Mutex::new(Vec::new()));
    let answer = body.clone();
    let app = axum::Router::new().route(
        "/v1/records",
        axum::routing::get(move || {
            let body = answer.lock().unwrap().clone();
            async move { ([(CONTENT_TYPE, page::MEDIA_TYPE)], body) }
        }),
    );
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || runtime.block_on(async move { axum::serve(listener, app).await }));
    let token = DeviceToken::generate(AccountId([1; 16]), DeviceId([2; 16])).unwrap();
    let mut transport = HttpTransport::new(&base, token.to_text()).unwrap();
    let intact = PullReply {
        records: vec![Record {
            id: credwell_sync::RecordId([3; 16]),
            revision: 4,
            deleted: false,
            sealed: Bytes(b"sealed".to_vec()),
        }],
        cursor: 4,
        more: false,
        horizon: 0,
    };
    let good = page::encode(&intact).unwrap();
    let mut deleted_2 = good.clone();
    deleted_2[50] = 2;
    let mut count_over = good.clone();
    count_over[22..26].copy_from_slice(&2u32.to_le_bytes());
    let mut trailing = good.clone();
    trailing.push(0);
    for (bytes, says) in [
        (deleted_2, "record 1's deleted flag at byte 50 is 2"),
        (count_over, "record 2's id, from byte 61, is not all there"),
        (trailing, "1 byte(s) follow the last record, from byte 61"),
        (good[..30].to_vec(), "record 1's id, from byte 26"),
        (
            br#"{"records":[],"cursor":0,"more":false}"#.to_vec(),
            "magic",
        ),
    ] {
        *body.lock().unwrap() = bytes;
        let error = transport.pull(0, MAX_PULL_RECORDS).unwrap_err();
        assert!(
            matches!(&error, TransportError::Malformed(message) if message.contains(says)),
            "{error}"
        );
    }
    *body.lock().unwrap() = good;
    assert_eq!(transport.pull(0, MAX_PULL_RECORDS).unwrap(), intact);
}
