//! The devices' client (`credwell_sync::client` over HTTP) against this server, on both
//! engines: three devices add, edit and delete, edit the same record concurrently and offline,
//! and converge record by record; a device joins through another; a revoked one is shut out.

#![allow(clippy::unwrap_used)] // A test: a failure panics right there.

mod common;

use common::devices::{Device, KEY, content, converged, devices, note};
use common::serve;
use credwell_sync::AccountKey;
use credwell_sync::client::http::{Enrolled, HttpTransport};
use credwell_sync::client::{Client, State, SyncError, TransportError};

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
