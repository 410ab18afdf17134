//! The saved state: bodies the device keeps itself saved as digests and given back, the forms
//! written before still read, and the merge, the history and the lie detection unchanged
//! across a save.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::*;

/// The first bytes of the binary form, the one saved now.
const BINARY: &[u8] = b"\0cws\x03";

/// `device`'s saved state, opened: what the device's vault would hold, unsealed.
fn saved_plain(device: &Device) -> Vec<u8> {
    let key = AccountKey::from_bytes(&KEY);
    let saved = device.save().unwrap();
    key.open(ACCOUNT, state_id(&key), false, &saved)
        .unwrap()
        .plain
        .to_vec()
}

/// Device `n` resumed from `sealed`.
fn resumed(server: &Rc<RefCell<Memory>>, n: u8, sealed: &[u8]) -> Result<Device, SyncError> {
    let link = Link::honest(server);
    let key = AccountKey::from_bytes(&KEY);
    Device::resume(ACCOUNT, DeviceId([n; 16]), key, link, sealed)
}

/// `plain` sealed as a saved state at `cursor`.
fn seal_state(plain: &[u8], cursor: u64) -> Vec<u8> {
    let key = AccountKey::from_bytes(&KEY);
    key.seal(ACCOUNT, state_id(&key), cursor, false, plain)
        .unwrap()
}

/// Devices 1 and 2 of `server`, both synced after device 1 wrote a login of each `(name,
/// password)` at clock 100; the records' ids, in that order.
fn synced_pair<const N: usize>(
    server: &Rc<RefCell<Memory>>,
    logins: [(&str, &str); N],
) -> (Device, Device, [RecordId; N]) {
    let (mut a, mut b) = (device(server, 1), device(server, 2));
    let ids = logins.map(|(name, _)| a.record_id("login", name.as_bytes()));
    for (id, (_, password)) in ids.iter().zip(logins) {
        a.change(*id, login(password), 100);
    }
    a.sync().unwrap();
    b.sync().unwrap();
    (a, b, ids)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn bodies_the_device_keeps_are_saved_as_digests_and_given_back_checked() {
    let server = Rc::new(RefCell::new(Memory::default()));
    let (_, b, [x, y, z]) =
        synced_pair(&server, [("x", "kept-x"), ("y", "kept-y"), ("z", "own-z")]);
    // The kept bodies are not in the saved state; the other one is, whole.
    let plain = saved_plain(&b);
    assert!(plain.starts_with(BINARY));
    assert!(!contains(&plain, "kept-x") && !contains(&plain, "kept-y"));
    assert!(contains(&plain, "own-z"));
    let mut again = resumed(&server, 2, &b.save().unwrap()).unwrap();
    assert_eq!(
        content(&again).len(),
        1,
        "only the body saved whole is listed"
    );
    assert!(again.state().records[&x].live() && again.state().records[&x].is_missing());
    // Not given back: nothing is pulled, merged or pushed.
    let before = state_json(&again);
    let error = again.sync().unwrap_err();
    assert!(matches!(error, SyncError::Unrestored { record } if record == x || record == y));
    assert_eq!(state_json(&again), before);
    // Given back: only the body the digest names is taken.
    assert!(!again.restore(x, &crate::merge::tests::login("kept-other")));
    assert!(
        !again.restore(z, &crate::merge::tests::login("own-z")),
        "z is not missing"
    );
    assert!(again.restore(x, &crate::merge::tests::login("kept-x")));
    assert!(again.restore(y, &crate::merge::tests::login("kept-y")));
    assert_eq!(content(&again), content(&b));
    assert_eq!(state_json(&again), state_json(&b));
    assert_eq!(again.sync().unwrap(), Report::default());
}

#[test]
fn a_local_change_to_a_body_left_out_is_pushed_and_keeps_the_base_only_when_given_back() {
    let server = Rc::new(RefCell::new(Memory::default()));
    let (mut a, b, [x, y, w]) =
        synced_pair(&server, [("x", "kept-1"), ("y", "kept-1"), ("w", "kept-1")]);
    let mut again = resumed(&server, 2, &b.save().unwrap()).unwrap();
    // x: its base given back, then edited: the replaced password joins the history, as
    // without a save. y: edited, its base not given back: pushed, nothing kept of the base.
    // w: deleted without being given back.
    assert!(again.restore(x, &crate::merge::tests::login("kept-1")));
    again.change(x, login("kept-2"), 200);
    again.change(y, login("kept-2"), 200);
    again.change(w, None, 200);
    let report = again.sync().unwrap();
    assert_eq!(report.pushed, 3);
    a.sync().unwrap();
    let got = content(&a);
    assert_eq!(got[&x].password, "kept-2");
    assert!(got[&x].history.contains("kept-1"), "{:?}", got[&x]);
    assert_eq!(got[&y].password, "kept-2");
    assert!(got[&y].history.is_empty(), "{:?}", got[&y]);
    assert!(!got.contains_key(&w));
    assert_eq!(content(&a), content(&again));
    // A body with a history is saved whole; one left out and given back as a "change" of the
    // same content is no change: nothing to push.
    let mut third = resumed(&server, 2, &again.save().unwrap()).unwrap();
    assert!(!third.state().records[&x].is_missing());
    third.change(y, login("kept-2"), 300);
    assert!(!third.state().records[&y].pending && !third.state().records[&y].is_missing());
    assert_eq!(third.sync().unwrap(), Report::default());
}

#[test]
fn a_conflict_after_a_save_merges_as_before_and_lies_are_still_found() {
    let server = Rc::new(RefCell::new(Memory::default()));
    let (mut a, b, [x]) = synced_pair(&server, [("x", "kept-a0")]);
    let mut b = resumed(&server, 2, &b.save().unwrap()).unwrap();
    assert!(b.restore(x, &crate::merge::tests::login("kept-a0")));
    // Both edit x offline; b's clock is later: b's wins, a's password and the base go into
    // its history, on both devices.
    a.change(x, login("kept-a1"), 200);
    b.change(x, login("kept-b1"), 300);
    a.sync().unwrap();
    b.sync().unwrap();
    a.sync().unwrap();
    let merged = &content(&a)[&x];
    assert_eq!(merged.password, "kept-b1");
    assert!(merged.history.contains("kept-a1") && merged.history.contains("kept-a0"));
    assert_eq!(content(&a), content(&b));
    // A state saved and given back still refuses an older version replayed as new (its
    // high-water mark and numbers came through the save).
    a.change(x, login("kept-a2"), 400);
    a.sync().unwrap();
    let mut b = resumed(&server, 2, &b.save().unwrap()).unwrap();
    let mut held = Vec::new();
    for (id, e) in &b.state().records {
        if e.is_missing() {
            held.push(*id);
        }
    }
    // The merged body has a history: saved whole, nothing to give back.
    assert!(held.is_empty());
    let lie: Lie = Box::new(move |server, reply| {
        let first = server.written.iter().find(|r| r.id == x).unwrap();
        let record = reply.records.iter_mut().find(|r| r.id == x).unwrap();
        record.sealed = first.sealed.clone();
    });
    refused(&mut b, lie, |e| matches!(e, SyncError::Replayed { .. }));
    b.sync().unwrap();
    assert_eq!(content(&b)[&x].password, "kept-a2");
    // And an account rolled back below its saved cursor.
    let mut b = resumed(&server, 2, &b.save().unwrap()).unwrap();
    let rolled: Lie = Box::new(|_, reply| reply.cursor -= 1);
    refused(&mut b, rolled, |e| {
        matches!(e, SyncError::RolledBack { .. })
    });
}

#[test]
fn a_state_saved_in_the_form_written_before_still_loads_and_syncs_on() {
    let server = Rc::new(RefCell::new(Memory::default()));
    let (mut a, mut b) = (device(&server, 1), device(&server, 2));
    let ids = write(&mut a, &["x", "y"], 100);
    b.sync().unwrap();
    a.change(ids[0], login("kept-from-a"), 200);
    b.change(ids[0], login("from-b"), 300);
    a.sync().unwrap();
    b.sync().unwrap();
    // The whole state as JSON, every body in it, as the earlier code sealed it.
    let old = serde_json::to_vec(b.state()).unwrap();
    assert!(old.starts_with(b"{\"cursor\":"));
    let mut again = resumed(&server, 2, &seal_state(&old, b.state().cursor)).unwrap();
    assert_eq!(state_json(&again), state_json(&b));
    assert_eq!(content(&again), content(&b));
    assert!(content(&again)[&ids[0]].history.contains("kept-from-a"));
    // It syncs on, and its next save is the binary form.
    a.change(ids[1], login("kept-later"), 400);
    a.sync().unwrap();
    assert_eq!(again.sync().unwrap().received, vec![ids[1]]);
    assert_eq!(content(&again), content(&a));
    assert!(saved_plain(&again).starts_with(BINARY));
    // Bound to its cursor as before: sealed under another one, it does not load.
    let moved = seal_state(&old, b.state().cursor + 1);
    assert!(matches!(
        resumed(&server, 2, &moved),
        Err(SyncError::StateDamaged)
    ));
}

/// `device`'s state in the compact JSON form (form 2), as the code before the binary form
/// saved it: each body the device keeps as its digest, the others whole.
fn compact_json(device: &Device) -> Vec<u8> {
    let digest = |d: BodyDigest| URL_SAFE_NO_PAD.encode(d.0);
    let records: Vec<serde_json::Value> = device
        .state()
        .records
        .iter()
        .map(|(id, e)| {
            let mut row = serde_json::json!({
                "i": id, "r": e.revision, "n": e.version.number, "m": e.version.stamp.modified,
                "w": e.version.stamp.writer, "k": e.key, "p": e.pending, "d": e.server_deleted,
            });
            if e.seen != e.version.number {
                row["s"] = e.seen.into();
            }
            match (&e.version.body, e.missing) {
                (_, Some(d)) => row["h"] = digest(d).into(),
                (Some(b), None) if !e.pending && b.kept_by_device() => {
                    row["h"] = digest(BodyDigest::of(b).unwrap()).into();
                }
                (Some(b), None) => row["b"] = serde_json::to_value(b).unwrap(),
                (None, None) => {}
            }
            row
        })
        .collect();
    let state = device.state();
    format!(
        r#"{{"v":2,"cursor":{},"manifest":{},"horizon":{},"records":{}}}"#,
        state.cursor,
        serde_json::to_string(&state.manifest).unwrap(),
        state.horizon,
        serde_json::to_string(&records).unwrap()
    )
    .into_bytes()
}

#[test]
fn a_state_saved_in_the_compact_json_form_still_loads_and_syncs_on() {
    let server = Rc::new(RefCell::new(Memory::default()));
    let (mut a, mut b, [x, y, z]) =
        synced_pair(&server, [("x", "kept-x"), ("y", "own-y"), ("z", "kept-z")]);
    // A deletion from a, and a change of b's own not pushed yet.
    a.change(z, None, 200);
    a.sync().unwrap();
    b.change(y, login("own-y-b"), 250);
    b.sync().unwrap();
    b.change(x, login("own-x-b"), 260);
    let old = compact_json(&b);
    assert!(old.starts_with(b"{\"v\":2,"));
    let mut again = resumed(&server, 2, &seal_state(&old, b.state().cursor)).unwrap();
    // Every field came through; nothing was kept by the device but what it had.
    assert_eq!(state_json(&again), state_json(&b));
    assert_eq!(content(&again), content(&b));
    // It syncs on (its pending change pushed), and its next save is the binary form.
    let report = again.sync().unwrap();
    assert_eq!(report.pushed, 1);
    a.sync().unwrap();
    assert_eq!(content(&a), content(&again));
    assert_eq!(content(&a)[&x].password, "own-x-b");
    let plain = saved_plain(&again);
    assert!(plain.starts_with(BINARY) && contains(&plain, "own-x-b"));
    assert_eq!(
        state_json(&resumed(&server, 2, &again.save().unwrap()).unwrap()),
        state_json(&again)
    );
}

/// A saved state cut short, or sealed and then cut, does not load: the device says its state
/// is damaged and syncs nothing.
#[test]
fn a_saved_state_cut_short_does_not_load() {
    let server = Rc::new(RefCell::new(Memory::default()));
    let (mut a, mut b) = (device(&server, 1), device(&server, 2));
    write(&mut a, &["x", "y"], 100);
    b.sync().unwrap();
    let plain = saved_plain(&b);
    let cursor = b.state().cursor;
    for cut in [1, plain.len() / 2, plain.len() - 1] {
        let short = seal_state(&plain[..cut], cursor);
        assert!(matches!(
            resumed(&server, 2, &short),
            Err(SyncError::StateDamaged)
        ));
    }
    let sealed = b.save().unwrap();
    assert!(matches!(
        resumed(&server, 2, &sealed[..sealed.len() - 1]),
        Err(SyncError::StateDamaged)
    ));
    assert!(resumed(&server, 2, &sealed).is_ok());
}

#[test]
fn the_form_written_before_reads_field_by_field() {
    // A state as the earlier code wrote it, literally: one record, its manifest and horizon,
    // and a record without the fields added later (key version, server deletion flag).
    let zeros = ["0"; 32].join(",");
    let record = RecordId([3; 16]);
    let writer = DeviceId([9; 16]);
    let old = format!(
        concat!(
            r#"{{"cursor":7,"manifest":{{"revision":7,"number":2,"count":1,"digest":[{z}],"#,
            r#""live":true}},"records":{{"{r}":{{"revision":5,"seen":2,"version":{{"#,
            r#""number":3,"stamp":{{"modified":1234,"writer":"{w}"}},"#,
            r#""body":{{"password":"p","history":["h"]}}}},"pending":true}}}},"horizon":4}}"#
        ),
        z = zeros,
        r = record,
        w = writer,
    );
    let state: State<Login> = crate::client::saved::decode(old.as_bytes()).unwrap();
    assert_eq!((state.cursor, state.horizon), (7, 4));
    assert_eq!((state.manifest.revision, state.manifest.count), (7, 1));
    let entry = &state.records[&record];
    assert_eq!((entry.revision, entry.seen, entry.pending), (5, 2, true));
    assert_eq!(
        (entry.key, entry.server_deleted, entry.is_missing()),
        (1, false, false)
    );
    assert_eq!(entry.version.number, 3);
    assert_eq!(
        entry.version.stamp,
        Stamp {
            modified: 1234,
            writer
        }
    );
    let body = entry.version.body.as_ref().unwrap();
    assert_eq!((body.password.as_str(), body.history.len()), ("p", 1));
}

#[test]
fn a_compact_state_that_contradicts_itself_is_damaged() {
    let row = |extra: &str| {
        format!(
            r#"{{"i":"{r}","r":1,"n":1,"m":1,"w":"{w}","k":1{e}}}"#,
            r = RecordId([3; 16]),
            w = DeviceId([9; 16]),
            e = extra
        )
    };
    let manifest = format!(
        r#"{{"revision":1,"number":1,"count":1,"digest":[{}],"live":true}}"#,
        ["0"; 32].join(",")
    );
    let state = |v: u32, rows: &[String]| {
        format!(
            r#"{{"v":{v},"cursor":1,"manifest":{manifest},"horizon":0,"records":[{}]}}"#,
            rows.join(",")
        )
    };
    let digest = format!(r#","h":"{}""#, "A".repeat(43));
    let body = r#","b":{"password":"p","history":[]}"#;
    // Well formed: a deletion, a body whole, a body left out.
    let good = state(2, &[row("")]);
    assert!(crate::client::saved::decode::<Login>(good.as_bytes()).is_ok());
    let left_out: State<Login> =
        crate::client::saved::decode(state(2, &[row(&digest)]).as_bytes()).unwrap();
    assert!(
        left_out
            .records
            .values()
            .all(|e| e.is_missing() && e.live())
    );
    let whole: State<Login> =
        crate::client::saved::decode(state(2, &[row(body)]).as_bytes()).unwrap();
    assert!(whole.records.values().all(|e| !e.is_missing() && e.live()));
    // Both a body and its digest; one record twice; a form this code does not know; a digest
    // of another length; a key it does not know.
    let bad = [
        state(2, &[row(&format!("{body}{digest}"))]),
        state(2, &[row(""), row("")]),
        state(3, &[row("")]),
        state(2, &[row(r#","h":"AAAA""#)]),
        state(2, &[row(r#","x":1"#)]),
    ];
    for text in bad {
        let read = crate::client::saved::decode::<Login>(text.as_bytes());
        assert!(matches!(read, Err(SyncError::StateDamaged)), "{text}");
    }
}

/// A state with more bodies than one thread digests (a first sync's): each body the device
/// keeps is left out and given back as one at a time is, the others saved whole, in order.
#[test]
fn many_left_out_bodies_are_digested_as_one_at_a_time() {
    let server = Rc::new(RefCell::new(Memory::default()));
    let (mut a, mut b) = (device(&server, 1), device(&server, 2));
    let ids: Vec<RecordId> = (0..600)
        .map(|n| a.record_id("login", format!("login{n}").as_bytes()))
        .collect();
    let password = |n: usize| {
        if n.is_multiple_of(5) {
            format!("own-{n}")
        } else {
            format!("kept-{n}")
        }
    };
    for (n, id) in ids.iter().enumerate() {
        a.change(*id, login(&password(n)), 100);
    }
    a.sync().unwrap();
    b.sync().unwrap();
    let plain = saved_plain(&b);
    assert!(!contains(&plain, "kept-") && contains(&plain, "own-595"));
    let mut again = resumed(&server, 2, &b.save().unwrap()).unwrap();
    assert_eq!(content(&again).len(), 120, "the bodies saved whole");
    for (n, id) in ids.iter().enumerate() {
        let body = crate::merge::tests::login(&password(n));
        assert_eq!(again.restore(*id, &body), !n.is_multiple_of(5), "login{n}");
    }
    assert_eq!(state_json(&again), state_json(&b));
    assert_eq!(again.sync().unwrap(), Report::default());
}

/// A body's digest is SHA-256 over the domain tag and the body's JSON, whatever pieces the JSON
/// is written in and however long it is (below, at and across the bytes gathered at once): the
/// digests in states saved by earlier builds still match their bodies.
#[test]
fn a_body_digest_is_the_hash_of_its_json() {
    use sha2::{Digest as _, Sha256};
    for length in [0, 1, 100, 230, 255, 256, 257, 511, 512, 513, 2_000] {
        // Quotes and backslashes are escaped: the JSON is written in more pieces.
        let text: String = (0..length)
            .map(|n| match n % 50 {
                7 => '"',
                19 => '\\',
                _ => char::from(b'a' + (n % 26) as u8),
            })
            .collect();
        let bodies = [
            serde_json::json!(text),
            serde_json::json!({"k": "password", "password": text, "history": [text, "x"]}),
        ];
        for body in bodies {
            let mut expected = Sha256::new();
            expected.update(b"credwell-sync body v1\0");
            expected.update(serde_json::to_vec(&body).unwrap());
            let expected: [u8; 32] = expected.finalize().into();
            assert_eq!(BodyDigest::of(&body).unwrap().0, expected, "{length} bytes");
        }
    }
}
