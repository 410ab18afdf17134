//! The devices' client (`credwell_sync::client` over HTTP) against this server, on both
//! engines: three devices add, edit and delete, edit the same record concurrently and offline,
//! and converge record by record; a device joins through another; a revoked one is shut out.

#![allow(clippy::unwrap_used)] // A test: a failure panics right there.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::serve;
use credwell_sync::client::http::HttpTransport;
use credwell_sync::client::{Client, State, SyncError, TransportError};
use credwell_sync::merge::Body;
use credwell_sync::{AccountId, AccountKey, DeviceId, RecordId};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Login {
    password: String,
    history: BTreeSet<String>,
}

impl Body for Login {
    fn keep_from(&mut self, loser: &Self) {
        self.history.extend(loser.history.iter().cloned());
        self.history.insert(loser.password.clone());
        self.history.remove(&self.password);
    }
}

fn login(password: &str) -> Option<Login> {
    Some(Login {
        password: password.into(),
        history: BTreeSet::new(),
    })
}

type Device = Client<Login, HttpTransport>;

fn client(base: &str, account: AccountId, device: DeviceId, token: &str, key: &[u8; 32]) -> Device {
    let transport = HttpTransport::new(base, token.to_owned().into()).unwrap();
    Client::new(
        account,
        device,
        AccountKey::from_bytes(key),
        transport,
        State::default(),
    )
}

/// A new account with three devices: the first made it, and added the other two.
fn three_devices(base: &str) -> Vec<Device> {
    let key = [5; 32];
    let first = HttpTransport::create_account(base, "laptop").unwrap();
    let a = client(base, first.account, first.device, &first.token, &key);
    let mut devices = vec![a];
    for name in ["phone", "desktop"] {
        let added = devices[0].transport().add_device(name).unwrap();
        assert_eq!(added.account, first.account);
        devices.push(client(
            base,
            added.account,
            added.device,
            &added.token,
            &key,
        ));
    }
    devices
}

fn content(device: &Device) -> BTreeMap<RecordId, Login> {
    device.records().map(|(id, b)| (id, b.clone())).collect()
}

fn converged(devices: &mut [Device]) -> BTreeMap<RecordId, Login> {
    for _ in 0..2 {
        for device in devices.iter_mut() {
            device.sync().unwrap();
        }
    }
    let first = content(&devices[0]);
    for device in &devices[1..] {
        for (id, login) in &first {
            assert_eq!(content(device).get(id), Some(login), "record {id}");
        }
        assert_eq!(content(device).len(), first.len());
    }
    first
}

#[test]
fn three_devices_converge_through_the_server_on_both_engines() {
    for engine in ["sqlite", "postgres"] {
        let (base, _runtime, _engine) = serve(engine);
        let mut d = three_devices(&base);
        let id = |d: &Device, name: &str| d.record_id("login", name.as_bytes());
        let (x, y, z) = (id(&d[0], "x"), id(&d[0], "y"), id(&d[0], "z"));
        // Add on one, edit on another, delete on the third.
        d[0].change(x, login("x1"), 1_000);
        d[0].change(y, login("y1"), 1_000);
        d[0].change(z, login("z1"), 1_000);
        d[0].sync().unwrap();
        d[1].sync().unwrap();
        d[1].change(y, login("y2"), 2_000);
        d[1].sync().unwrap();
        d[2].sync().unwrap();
        d[2].change(z, None, 3_000);
        d[2].sync().unwrap();
        let state = converged(&mut d);
        assert_eq!(state[&y].password, "y2");
        assert!(!state.contains_key(&z), "{engine}: z deleted everywhere");
        // Offline, all three edit x; the phone's clock is hours behind, the desktop's ahead.
        let now = 20_000_000;
        d[0].change(x, login("laptop"), now);
        d[1].change(x, login("phone"), now - 3 * 3_600_000);
        d[2].change(x, login("desktop"), now + 3 * 3_600_000);
        // And the same new login is added on two devices offline: one record, merged.
        let w = id(&d[0], "w");
        d[0].change(w, login("w-laptop"), 30_000_000);
        d[1].change(w, login("w-phone"), 30_000_001);
        for device in d.iter_mut() {
            device.sync().unwrap();
        }
        let state = converged(&mut d);
        let x_now = &state[&x];
        assert_eq!(x_now.password, "desktop", "{engine}");
        for lost in ["laptop", "phone", "x1"] {
            assert!(
                x_now.history.contains(lost),
                "{engine}: {lost} kept: {x_now:?}"
            );
        }
        assert_eq!(state[&w].password, "w-phone");
        assert!(state[&w].history.contains("w-laptop"));
        // A fourth device joining later gets everything from its first sync.
        let added = d[0].transport().add_device("tablet").unwrap();
        let mut late = client(&base, added.account, added.device, &added.token, &[5; 32]);
        late.sync().unwrap();
        assert_eq!(content(&late), state, "{engine}");
        // Its saved state resumes, and a revoked device is shut out.
        d[0].transport().revoke(added.device).unwrap();
        late.change(x, login("after revocation"), 99_000_000);
        let error = late.sync().unwrap_err();
        assert!(
            matches!(error, SyncError::Transport(TransportError::Unauthorized(_))),
            "{engine}: {error}"
        );
        assert_eq!(converged(&mut d)[&x].password, "desktop");
    }
}

#[test]
fn a_device_with_the_wrong_account_key_finds_every_record_tampered() {
    let (base, _runtime, _engine) = serve("sqlite");
    let mut d = three_devices(&base);
    let x = d[0].record_id("login", b"x");
    d[0].change(x, login("x1"), 1);
    d[0].sync().unwrap();
    let added = d[0].transport().add_device("stranger").unwrap();
    let mut stranger = client(&base, added.account, added.device, &added.token, &[6; 32]);
    let error = stranger.sync().unwrap_err();
    assert!(matches!(error, SyncError::Tampered { .. }), "{error}");
    assert_eq!(stranger.records().count(), 0);
}
