//! The devices' client (`credwell_sync::client` over HTTP) against this server, on both
//! engines: three devices add, edit and delete, edit the same record concurrently and offline,
//! and converge record by record; a device joins through another; a revoked one is shut out;
//! a page asked for ahead answers its pull only.

#![allow(clippy::unwrap_used)] // A test: a failure panics right there.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::devices::{Device, KEY, content, converged, devices, note};
use common::proxy::{Action, Proxy};
use common::serve;
use credwell_sync::AccountKey;
use credwell_sync::client::http::{Enrolled, HttpTransport};
use credwell_sync::client::{Client, State, SyncError, Transport, TransportError};
use credwell_sync::protocol::{MAX_PULL_RECORDS, PushRequest};

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
