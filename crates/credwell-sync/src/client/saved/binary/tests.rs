//! The binary form: every field comes back as it was saved, and a state cut short, with bytes
//! after it, or contradicting itself is damaged, never a panic.

use std::collections::BTreeMap;

use super::{FIXED, LEFT_OUT, MAGIC, WHOLE, decode, encode};
use crate::client::saved::BodyDigest;
use crate::client::{Entry, ManifestSeen, State, SyncError};
use crate::merge::tests::{Login, login};
use crate::merge::{Stamp, Version};
use crate::{DeviceId, RecordId};

fn entry(revision: u64, number: u64, body: Option<Login>) -> Entry<Login> {
    Entry {
        revision,
        seen: number,
        version: Version {
            number,
            stamp: Stamp {
                modified: 1_700_000_000_000 + revision,
                writer: DeviceId([revision as u8; 16]),
            },
            body,
        },
        pending: false,
        key: 1,
        server_deleted: false,
        missing: None,
    }
}

/// A state with one record of each kind: a body left out (kept by the device), one left out
/// and not given back yet, one saved whole with a history, a pending change over a deletion
/// on the server, a deletion, and a key version other than the first.
fn sample() -> State<Login> {
    let mut records = BTreeMap::new();
    records.insert(RecordId([1; 16]), entry(3, 1, Some(login("kept-1"))));
    let mut missing = entry(4, 2, None);
    missing.missing = Some(BodyDigest([9; 32]));
    records.insert(RecordId([2; 16]), missing);
    let mut whole = entry(5, 2, Some(login("own-3")));
    if let Some(body) = &mut whole.version.body {
        body.history.insert("own-2 \"quoted\"".into());
    }
    whole.key = 7;
    records.insert(RecordId([3; 16]), whole);
    let mut pending = entry(6, 2, None);
    pending.version.number = 3;
    pending.version.body = Some(login("own-new"));
    pending.pending = true;
    pending.server_deleted = true;
    records.insert(RecordId([4; 16]), pending);
    records.insert(RecordId([5; 16]), entry(7, 4, None));
    State {
        cursor: 7,
        manifest: ManifestSeen {
            revision: 2,
            number: 5,
            count: 4,
            digest: [8; 32],
            live: true,
        },
        records,
        horizon: 1,
    }
}

/// Everything a state holds, its digests left out included, as comparable text.
fn shown(state: &State<Login>) -> String {
    let missing: Vec<_> = state
        .records
        .values()
        .map(|e| e.missing.map(|d| d.0))
        .collect();
    format!("{} {missing:?}", serde_json::to_string(state).unwrap())
}

fn damaged(plain: &[u8]) -> bool {
    matches!(decode::<Login>(plain), Err(SyncError::StateDamaged))
}

#[test]
fn every_field_comes_back_and_only_the_bodies_not_kept_are_saved() {
    let state = sample();
    let plain = encode(&state).unwrap();
    assert!(plain.starts_with(MAGIC));
    let back: State<Login> = decode(&plain).unwrap();
    let mut expected = state.clone();
    // The device keeps "kept-1": saved as its digest, missing until given back.
    let kept = expected.records.get_mut(&RecordId([1; 16])).unwrap();
    kept.missing = Some(BodyDigest::of(&login("kept-1")).unwrap());
    kept.version.body = None;
    assert_eq!(shown(&back), shown(&expected));
    let has = |text: &str| plain.windows(text.len()).any(|w| w == text.as_bytes());
    assert!(!has("kept-1") && has("own-3") && has("own-new"));
    // Saved again, it is the same bytes.
    assert_eq!(encode(&back).unwrap(), plain);
    // An empty state too.
    let empty = encode(&State::<Login>::default()).unwrap();
    assert_eq!(shown(&decode(&empty).unwrap()), shown(&State::default()));
}

#[test]
fn a_state_cut_short_or_with_bytes_after_it_is_damaged() {
    let plain = encode(&sample()).unwrap();
    for length in 0..plain.len() {
        assert!(damaged(&plain[..length]), "cut at {length}");
    }
    let mut longer = plain.clone();
    longer.push(0);
    assert!(damaged(&longer));
    // The JSON forms are not read as this one, nor this one as them.
    assert!(damaged(b"\0cws\x02"));
}

#[test]
fn a_state_that_contradicts_itself_is_damaged() {
    let plain = encode(&sample()).unwrap();
    let header = MAGIC.len() + 16 + 24 + 32;
    let count = header + 1;
    let first = count + 4;
    let flags = first + FIXED - 1;
    let changed = |at: usize, bytes: &[u8]| {
        let mut copy = plain.clone();
        copy[at..at + bytes.len()].copy_from_slice(bytes);
        copy
    };
    // Well formed as it is: the offsets below are the fields they name.
    assert_eq!(plain[header], 1, "the manifest's live mark");
    assert_eq!(plain[first..first + 16], [1; 16], "the first record's id");
    assert_eq!(plain[flags], LEFT_OUT, "the first record's flags");
    let bad = [
        // A live mark neither 0 nor 1.
        changed(header, &[2]),
        // More records than the bytes can hold, and one more than there are.
        changed(count, &u32::MAX.to_le_bytes()),
        changed(count, &6u32.to_le_bytes()),
        // A flag this form does not know; a body both whole and left out.
        changed(flags, &[LEFT_OUT | 1 << 7]),
        changed(flags, &[LEFT_OUT | WHOLE]),
        // The first record's id after the second's (out of order), and equal to it.
        changed(first, &[3; 16]),
        changed(first, &[2; 16]),
    ];
    for (n, plain) in bad.iter().enumerate() {
        assert!(damaged(plain), "case {n}");
    }
    // A body saved whole that is not a body: its JSON's first byte changed.
    let at = plain.windows(5).position(|w| w == b"{\"pas").unwrap();
    assert!(damaged(&changed(at, b"[")));
}

#[test]
fn the_damage_is_said_plainly() {
    assert_eq!(
        SyncError::StateDamaged.to_string(),
        "this device's saved sync state is damaged or belongs to another account"
    );
}
