//! The client against an honest in-memory server and against a lying one: every lie is named,
//! and nothing of a lying answer reaches the device's state.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use super::*;
use crate::SealError;
use crate::merge::tests::Login;
use crate::protocol::{MAX_PULL_RECORDS, PullReply, PushReply};
use crate::testing::Memory;

mod retention;
mod saved;

fn login(password: &str) -> Option<Login> {
    Some(crate::merge::tests::login(password))
}

type Lie = Box<dyn FnMut(&Memory, &mut PullReply)>;

/// One device's link to the shared server, optionally through a lie told on pulls.
struct Link {
    server: Rc<RefCell<Memory>>,
    lie: Option<Lie>,
    /// A lie: every pull from above 0 is answered "resync needed".
    false_resync: bool,
    /// Every call the device made, in order: `("pull" | "ahead" | "push", since)`.
    calls: Vec<(&'static str, u64)>,
}

impl Link {
    /// A link to `server` that tells no lie.
    fn honest(server: &Rc<RefCell<Memory>>) -> Self {
        Link {
            server: server.clone(),
            lie: None,
            false_resync: false,
            calls: Vec::new(),
        }
    }
}

impl Transport for Link {
    fn pull(&mut self, since: u64, limit: u32) -> Result<PullReply, TransportError> {
        self.calls.push(("pull", since));
        if since > 0 && self.false_resync {
            return Err(TransportError::ResyncNeeded);
        }
        let server = self.server.borrow();
        let mut reply = server.pull(since, limit)?;
        if let Some(lie) = self.lie.as_mut() {
            lie(&server, &mut reply);
        }
        Ok(reply)
    }

    fn push(&mut self, request: &PushRequest) -> Result<Pushed, TransportError> {
        self.calls.push(("push", 0));
        Ok(self.server.borrow_mut().push(request))
    }

    fn pull_ahead(&mut self, since: u64, _limit: u32) {
        self.calls.push(("ahead", since));
    }
}

const ACCOUNT: AccountId = AccountId([7; 16]);
const KEY: [u8; 32] = [42; 32];

type Device = Client<Login, Link>;

fn device(server: &Rc<RefCell<Memory>>, n: u8) -> Device {
    Client::new(
        ACCOUNT,
        DeviceId([n; 16]),
        AccountKey::from_bytes(&KEY),
        Link::honest(server),
        State::default(),
    )
}

fn content(device: &Device) -> BTreeMap<RecordId, Login> {
    device.records().map(|(id, b)| (id, b.clone())).collect()
}

fn state_json(device: &Device) -> String {
    serde_json::to_string(device.state()).unwrap()
}

/// Device 1 writes `names` (one push); returns their ids.
fn write(device: &mut Device, names: &[&str], clock: u64) -> Vec<RecordId> {
    let ids: Vec<_> = names
        .iter()
        .map(|n| device.record_id("login", n.as_bytes()))
        .collect();
    for (id, name) in ids.iter().zip(names) {
        device.change(*id, login(&format!("{name}-{clock}")), clock);
    }
    device.sync().unwrap();
    ids
}

/// `victim`'s sync through `lie` fails with an error `expected` accepts, and leaves its state
/// exactly as it was.
fn refused(victim: &mut Device, lie: Lie, expected: impl Fn(&SyncError) -> bool) {
    let before = state_json(victim);
    victim.transport().lie = Some(lie);
    let error = victim.sync().unwrap_err();
    assert!(expected(&error), "unexpected error: {error}");
    assert_eq!(state_json(victim), before, "a lie was applied");
    victim.transport().lie = None;
}

#[test]
fn devices_add_edit_delete_and_converge_and_keep_the_losing_password() {
    let server = Rc::new(RefCell::new(Memory::default()));
    let (mut a, mut b) = (device(&server, 1), device(&server, 2));
    let ids = write(&mut a, &["x", "y", "z"], 100);
    let report = b.sync().unwrap();
    assert_eq!(report.received.len(), 3);
    assert_eq!(content(&a), content(&b));
    // Both edit x offline; b's clock is later: b's password wins, a's goes into history.
    a.change(ids[0], login("from-a"), 200);
    b.change(ids[0], login("from-b"), 300);
    b.change(ids[2], None, 300);
    a.sync().unwrap();
    b.sync().unwrap();
    a.sync().unwrap();
    assert_eq!(content(&a), content(&b));
    let x = &content(&a)[&ids[0]];
    assert_eq!(x.password, "from-b");
    assert!(x.history.contains("from-a"), "{x:?}");
    assert!(!content(&a).contains_key(&ids[2]));
    // A device resumed from its sealed state goes on where it was.
    let saved = a.save().unwrap();
    let key = AccountKey::from_bytes(&KEY);
    let link = Link::honest(&server);
    let mut again = Device::resume(ACCOUNT, DeviceId([1; 16]), key, link, &saved).unwrap();
    assert_eq!(state_json(&again), state_json(&a));
    assert_eq!(again.sync().unwrap(), Report::default());
    // The saved state opens only under this account's key and unaltered.
    let other = AccountKey::from_bytes(&[1; 32]);
    let link = || Link::honest(&server);
    let wrong = Device::resume(ACCOUNT, DeviceId([1; 16]), other, link(), &saved);
    assert!(matches!(wrong, Err(SyncError::StateDamaged)));
    let mut flipped = saved.to_vec();
    flipped[40] ^= 1;
    let key = AccountKey::from_bytes(&KEY);
    let damaged = Device::resume(ACCOUNT, DeviceId([1; 16]), key, link(), &flipped);
    assert!(matches!(damaged, Err(SyncError::StateDamaged)));
}

#[test]
fn a_flipped_byte_a_moved_record_and_a_flipped_deletion_are_tampering() {
    let server = Rc::new(RefCell::new(Memory::default()));
    let (mut a, mut b) = (device(&server, 1), device(&server, 2));
    let ids = write(&mut a, &["x", "y"], 100);
    let is_tampered = |e: &SyncError| matches!(e, SyncError::Tampered { .. });
    for at in [0, 5, 20, 60] {
        let lie: Lie = Box::new(move |_, reply| reply.records[0].sealed.0[at] ^= 1);
        refused(&mut b, lie, is_tampered);
    }
    let swap: Lie = Box::new(|_, reply| {
        let first = reply.records[0].sealed.clone();
        reply.records[0].sealed = reply.records[1].sealed.clone();
        reply.records[1].sealed = first;
    });
    refused(&mut b, swap, is_tampered);
    let flip: Lie = Box::new(|_, reply| reply.records[0].deleted ^= true);
    refused(&mut b, flip, is_tampered);
    b.sync().unwrap();
    assert_eq!(content(&b).len(), ids.len());
}

/// A page large enough to be opened on several threads gives what opening it record by record
/// gives, and a lie in it is named at its first record in page order, wherever the threads
/// split it.
#[test]
fn a_large_page_opens_as_one_record_at_a_time_and_names_its_first_lie() {
    let server = Rc::new(RefCell::new(Memory::default()));
    let (mut a, mut b) = (device(&server, 1), device(&server, 2));
    let names: Vec<String> = (0..600).map(|n| format!("login{n}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    write(&mut a, &names, 100);
    for (first, second) in [(100, 450), (450, 500), (10, 20)] {
        let lie: Lie = Box::new(move |_, reply| {
            assert!(reply.records.len() > 500, "one large page");
            for at in [second, first] {
                reply.records[at].sealed.0[30] ^= 1;
            }
        });
        let first_id = server.borrow().pull(0, MAX_PULL_RECORDS).unwrap().records[first].id;
        refused(
            &mut b,
            lie,
            |e| matches!(e, SyncError::Tampered { record } if *record == first_id),
        );
    }
    let report = b.sync().unwrap();
    assert_eq!(report.received.len(), names.len());
    assert_eq!(content(&b), content(&a));
    // A third device pulls the same records in pages too small to be split: the same state.
    let mut c = device(&server, 3);
    let small: Lie = Box::new(|server, reply| {
        if let Some(first) = reply.records.first() {
            *reply = server.pull(first.revision - 1, 100).unwrap();
        }
    });
    c.transport().lie = Some(small);
    c.sync().unwrap();
    assert_eq!(state_json(&c), state_json(&b));
}

/// While a page is checked and opened, the next is asked for ahead (`Transport::pull_ahead`),
/// with the cursor the page gave: each pull after the first is the page asked for just before
/// it, and nothing is asked for after the last page.
#[test]
fn each_next_page_is_asked_for_ahead_and_none_after_the_last() {
    let server = Rc::new(RefCell::new(Memory::default()));
    let (mut a, mut b) = (device(&server, 1), device(&server, 2));
    let names: Vec<String> = (0..2 * MAX_PULL_RECORDS + 100)
        .map(|n| format!("login{n}"))
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    write(&mut a, &names, 100);
    b.sync().unwrap();
    assert_eq!(content(&b), content(&a));
    let calls = &b.transport().calls;
    let pulls: Vec<u64> = calls
        .iter()
        .filter(|(call, _)| *call == "pull")
        .map(|(_, since)| *since)
        .collect();
    assert_eq!(pulls.len(), 3, "{calls:?}");
    let mut expected = vec![("pull", pulls[0])];
    for since in &pulls[1..] {
        expected.extend([("ahead", *since), ("pull", *since)]);
    }
    assert_eq!(calls[..expected.len()], expected[..]);
    assert!(
        calls[expected.len()..]
            .iter()
            .all(|(call, _)| *call == "push"),
        "{calls:?}"
    );
}

#[test]
fn an_older_version_replayed_as_new_is_refused() {
    let server = Rc::new(RefCell::new(Memory::default()));
    let (mut a, mut b) = (device(&server, 1), device(&server, 2));
    let ids = write(&mut a, &["x"], 100);
    a.change(ids[0], login("second"), 200);
    a.sync().unwrap();
    b.sync().unwrap();
    a.change(ids[0], login("third"), 300);
    a.sync().unwrap();
    // The server serves x's first version in place of its third, at the third's revision.
    let x = ids[0];
    let lie: Lie = Box::new(move |server, reply| {
        let first = server.written.iter().find(|r| r.id == x).unwrap();
        let record = reply.records.iter_mut().find(|r| r.id == x).unwrap();
        record.sealed = first.sealed.clone();
    });
    refused(
        &mut b,
        lie,
        |e| matches!(e, SyncError::Replayed { record, seen: 2, got: 1 } if *record == x),
    );
    b.sync().unwrap();
    assert_eq!(content(&b)[&x].password, "third");
}

#[test]
fn a_dropped_record_is_found_by_the_manifest() {
    let server = Rc::new(RefCell::new(Memory::default()));
    let (mut a, mut b) = (device(&server, 1), device(&server, 2));
    let ids = write(&mut a, &["x", "y", "z"], 100);
    let y = ids[1];
    let drop_y: Lie = Box::new(move |_, reply| reply.records.retain(|r| r.id != y));
    refused(&mut b, drop_y, |e| {
        matches!(e, SyncError::Dropped { held: 2, listed: 3 })
    });
    // Dropping the record and the manifest that lists it: the older manifest does not match.
    b.sync().unwrap();
    a.change(y, login("changed"), 200);
    a.sync().unwrap();
    let manifest = a.manifest_id();
    let drop_both: Lie = Box::new(move |_, reply| reply.records.retain(|r| r.id == manifest));
    refused(&mut b, drop_both, |e| {
        matches!(e, SyncError::Dropped { .. })
    });
    b.sync().unwrap();
    assert_eq!(content(&b), content(&a));
}

#[test]
fn a_reordered_or_duplicated_page_is_refused() {
    let server = Rc::new(RefCell::new(Memory::default()));
    let (mut a, mut b) = (device(&server, 1), device(&server, 2));
    write(&mut a, &["x", "y"], 100);
    let reverse: Lie = Box::new(|_, reply| reply.records.reverse());
    refused(&mut b, reverse, |e| {
        matches!(e, SyncError::Reordered { .. })
    });
    let twice: Lie = Box::new(|_, reply| {
        let first = reply.records[0].clone();
        reply.records.insert(1, first);
    });
    refused(&mut b, twice, |e| matches!(e, SyncError::Duplicated { .. }));
    // A record from before the cursor asked for.
    b.sync().unwrap();
    write(&mut a, &["z"], 200);
    let old: Lie = Box::new(|server, reply| {
        let first = server.written[0].clone();
        reply.records.insert(0, first);
    });
    refused(&mut b, old, |e| matches!(e, SyncError::Reordered { .. }));
    b.sync().unwrap();
    assert_eq!(content(&b), content(&a));
}

#[test]
fn a_rolled_back_account_is_refused_whether_or_not_the_cursor_tells() {
    let server = Rc::new(RefCell::new(Memory::default()));
    let (mut a, mut b) = (device(&server, 1), device(&server, 2));
    let ids = write(&mut a, &["x"], 100);
    // The server's state after the first push, kept aside.
    let snapshot = server.borrow().clone();
    a.change(ids[0], login("second"), 200);
    a.sync().unwrap();
    b.sync().unwrap();
    let seen = b.state().cursor;
    // The server goes back to its older state and says so in its cursor.
    let old = Rc::new(snapshot);
    let honest_old = old.clone();
    let rolled: Lie =
        Box::new(move |_, reply| *reply = honest_old.pull(seen, MAX_PULL_RECORDS).unwrap());
    refused(&mut b, rolled, |e| {
        matches!(e, SyncError::RolledBack { .. })
    });
    // ... and hides it behind the cursor asked for: the push b then makes is refused as stale
    // with nothing newer to pull.
    let hiding_old = old.clone();
    let hidden: Lie = Box::new(move |_, reply| {
        *reply = hiding_old.pull(seen, MAX_PULL_RECORDS).unwrap();
        reply.cursor = reply.cursor.max(seen);
    });
    b.change(ids[0], login("from-b"), 300);
    let before = b.state().clone();
    b.transport().lie = Some(hidden);
    let rolled_server = Rc::new(RefCell::new((*old).clone()));
    b.transport().server = rolled_server;
    let error = b.sync().unwrap_err();
    assert!(matches!(error, SyncError::RolledBack { .. }), "{error}");
    assert_eq!(serde_json::to_string(&before).unwrap(), state_json(&b));
}

#[test]
fn a_push_answer_below_the_high_water_mark_is_a_rollback() {
    struct Forgetful(Rc<RefCell<Memory>>);
    impl Transport for Forgetful {
        fn pull(&mut self, since: u64, limit: u32) -> Result<PullReply, TransportError> {
            self.0.borrow().pull(since, limit)
        }
        fn push(&mut self, request: &PushRequest) -> Result<Pushed, TransportError> {
            // Accepts and numbers the push as if the account were new.
            let n = request.records.len() as u64;
            Ok(Pushed::Applied(PushReply {
                revisions: (1..=n).collect(),
                cursor: n,
            }))
        }
    }
    let server = Rc::new(RefCell::new(Memory::default()));
    let mut a = device(&server, 1);
    let ids = write(&mut a, &["x"], 100);
    let key = AccountKey::from_bytes(&KEY);
    let state = a.state().clone();
    let mut forgetful = Client::new(ACCOUNT, DeviceId([1; 16]), key, Forgetful(server), state);
    forgetful.change(ids[0], login("again"), 200);
    let error = forgetful.sync().unwrap_err();
    assert!(matches!(error, SyncError::RolledBack { .. }), "{error}");
}

#[test]
fn a_rotated_key_seals_every_record_again_and_an_old_key_device_applies_nothing() {
    let server = Rc::new(RefCell::new(Memory::default()));
    let (mut a, mut b) = (device(&server, 1), device(&server, 2));
    let ids = write(&mut a, &["x", "y", "z"], 100);
    a.change(ids[2], None, 150);
    a.sync().unwrap();
    b.sync().unwrap();
    let rotated = AccountKey::from_bytes(&KEY).rotated().unwrap();
    let material = rotated.material();
    a.set_key(rotated).unwrap();
    assert_eq!(a.key_version(), 2);
    // The next sync seals every record (the deletion too) again, same content.
    let before = content(&a);
    let report = a.sync().unwrap();
    assert_eq!(report.pushed, 3);
    assert_eq!(content(&a), before);
    let old = AccountKey::from_bytes(&KEY);
    for record in server.borrow().records.values() {
        let opened = old.open(ACCOUNT, record.id, record.deleted, &record.sealed.0);
        assert_eq!(opened.unwrap_err(), SealError::NewerKey { version: 2 });
    }
    assert_eq!(a.sync().unwrap(), Report::default(), "nothing more to seal");
    // A device with the old key is told, and applies nothing.
    let is_rotated = |e: &SyncError| matches!(e, SyncError::KeyRotated { version: 2 });
    refused(&mut b, Box::new(|_, _| {}), is_rotated);
    // With the new ring it goes on, its content unchanged, nothing to push.
    let wrong = AccountKey::from_bytes(&[1; 32]).rotated().unwrap();
    assert!(matches!(
        b.set_key(wrong),
        Err(SyncError::NotThisAccountsKey)
    ));
    b.set_key(AccountKey::from_material(&material).unwrap())
        .unwrap();
    let older = AccountKey::from_bytes(&KEY);
    assert!(matches!(
        a.set_key(older),
        Err(SyncError::NotThisAccountsKey)
    ));
    let report = b.sync().unwrap();
    assert_eq!((report.received.len(), report.pushed), (0, 0));
    assert_eq!(content(&b), before);
    // A record written after the rotation is sealed under the new key only.
    a.change(ids[0], login("after"), 300);
    a.sync().unwrap();
    let record = server.borrow().records[&ids[0]].clone();
    assert!(old.open(ACCOUNT, ids[0], false, &record.sealed.0).is_err());
    b.sync().unwrap();
    assert_eq!(content(&b)[&ids[0]].password, "after");
}
