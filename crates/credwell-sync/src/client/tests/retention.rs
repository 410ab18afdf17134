//! Deletions the server swept: a device back from past the horizon, one within it, and the
//! lies a server can tell about either.

use super::*;

/// Devices 1 and 2 with records x, y, z and w, all synced; then device 2 goes offline, edits y
/// and adds v, while device 1 deletes x and y and edits w. Returns the devices and the ids
/// (x, y, z, w, v).
fn away(server: &Rc<RefCell<Memory>>) -> (Device, Device, [RecordId; 5]) {
    let (mut a, mut b) = (device(server, 1), device(server, 2));
    let ids = write(&mut a, &["x", "y", "z", "w"], 100);
    b.sync().unwrap();
    let (x, y, z, w) = (ids[0], ids[1], ids[2], ids[3]);
    let v = b.record_id("login", b"v");
    // Stamped before the deletion of y: the edit still comes back, as a new record.
    b.change(y, login("b offline"), 150);
    b.change(v, login("v"), 150);
    a.change(x, None, 200);
    a.change(y, None, 200);
    a.change(w, login("w from a"), 200);
    a.sync().unwrap();
    (a, b, [x, y, z, w, v])
}

fn passwords(device: &Device) -> BTreeMap<RecordId, String> {
    device
        .records()
        .map(|(id, b)| (id, b.password.clone()))
        .collect()
}

#[test]
fn a_device_back_from_past_the_horizon_drops_what_was_deleted_and_keeps_its_own_changes() {
    let server = Rc::new(RefCell::new(Memory::default()));
    let (mut a, mut b, [x, y, z, w, v]) = away(&server);
    server.borrow_mut().sweep();
    assert!(b.state().cursor < server.borrow().horizon);
    let report = b.sync().unwrap();
    assert!(report.received.contains(&x), "{report:?}");
    assert_eq!(report.pushed, 2, "y as a new record, and v");
    let expected = BTreeMap::from([
        (y, "b offline".to_owned()),
        (z, "z-100".to_owned()),
        (w, "w from a".to_owned()),
        (v, "v".to_owned()),
    ]);
    assert_eq!(passwords(&b), expected);
    // Device 1 forgets the deletions the server swept and takes y back as new.
    a.sync().unwrap();
    assert_eq!(passwords(&a), expected);
    assert_eq!(content(&a), content(&b));
    // The device's vault drops x after that sync; the next one forgets it altogether.
    assert!(b.state().records[&x].version.body.is_none());
    b.sync().unwrap();
    a.sync().unwrap();
    assert!(!b.state().records.contains_key(&x));
    assert!(!a.state().records.contains_key(&x));
    assert_eq!(content(&a), content(&b));
}

#[test]
fn a_device_within_the_retention_gets_the_deletions_as_before() {
    let server = Rc::new(RefCell::new(Memory::default()));
    let (mut a, mut b, [x, y, z, w, v]) = away(&server);
    // No sweep: b learns both deletions; its edit of y loses to the later deletion.
    let report = b.sync().unwrap();
    assert!(report.received.contains(&x) && report.received.contains(&w));
    a.sync().unwrap();
    let kept: BTreeSet<_> = b.records().map(|(id, _)| id).collect();
    assert_eq!(kept, BTreeSet::from([z, w, v]));
    assert!(b.state().records[&y].version.body.is_none());
    assert_eq!(content(&a), content(&b));
    // Swept afterwards: nothing to pull again, and the tombstones are forgotten.
    server.borrow_mut().sweep();
    assert!(b.state().cursor >= server.borrow().horizon);
    assert_eq!(b.sync().unwrap(), Report::default());
    b.sync().unwrap();
    assert!(!b.state().records.contains_key(&x));
    assert_eq!(content(&a), content(&b));
}

#[test]
fn a_false_resync_costs_a_full_pull_and_loses_nothing() {
    let server = Rc::new(RefCell::new(Memory::default()));
    let (mut a, mut b, [x, y, ..]) = away(&server);
    // Nothing swept, yet every pull is answered "resync needed": b pulls from 0 each time,
    // gets the tombstones still there, and ends as an honest server would leave it.
    a.transport().false_resync = true;
    b.transport().false_resync = true;
    b.sync().unwrap();
    a.sync().unwrap();
    assert_eq!(content(&a), content(&b));
    assert!(!content(&b).contains_key(&x) && !content(&b).contains_key(&y));
    let z = b.record_id("login", b"z");
    b.change(z, login("z from b"), 300);
    b.sync().unwrap();
    a.sync().unwrap();
    assert_eq!(content(&a)[&z].password, "z from b");
    assert_eq!(content(&a), content(&b));
}

#[test]
fn a_live_record_hidden_at_a_resync_is_found_by_the_manifest() {
    let server = Rc::new(RefCell::new(Memory::default()));
    let (_a, mut b, [_, _, z, w, _]) = away(&server);
    server.borrow_mut().sweep();
    // z held unchanged, w edited offline: hiding either is not a deletion.
    b.change(w, login("w from b"), 150);
    for hidden in [z, w] {
        let hide: Lie = Box::new(move |_, reply| reply.records.retain(|r| r.id != hidden));
        refused(&mut b, hide, |e| matches!(e, SyncError::Dropped { .. }));
    }
    b.sync().unwrap();
    assert_eq!(content(&b)[&z].password, "z-100");
}

#[test]
fn a_deleted_record_replayed_past_the_horizon_is_found_by_the_manifest() {
    let server = Rc::new(RefCell::new(Memory::default()));
    let (mut a, mut b, [x, ..]) = away(&server);
    b.sync().unwrap();
    server.borrow_mut().sweep();
    // The server shows x's first version again, as new, above a horizon that made every
    // device forget x's deletion.
    let replay: Lie = Box::new(move |server, reply| {
        let mut old = server.written.iter().find(|r| r.id == x).unwrap().clone();
        reply.cursor += 1;
        old.revision = reply.cursor;
        reply.records.push(old);
    });
    refused(&mut a, replay, |e| matches!(e, SyncError::Dropped { .. }));
    a.sync().unwrap();
    assert!(!content(&a).contains_key(&x));
}
