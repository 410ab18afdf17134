//! The binary form of a sync pull's answer (`credwell_sync::protocol::page::decode`): a device
//! reads it from its sync server, which may lie or be an impostor, so it can hold any bytes.
//!
//! Contract: never panics; an accepted page holds at most `MAX_PULL_RECORDS` records of at most
//! `MAX_SEALED_BYTES` each (what a device may be made to hold at once), and encodes back to the
//! very same bytes (the form has one encoding per page).
#![no_main]

use credwell_sync::protocol::page::{decode, encode};
use credwell_sync::protocol::{MAX_PULL_RECORDS, MAX_SEALED_BYTES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(page) = decode(data) else { return };
    assert!(
        page.records.len() <= MAX_PULL_RECORDS as usize,
        "more records than a pull returns"
    );
    assert!(
        page.records
            .iter()
            .all(|r| r.sealed.0.len() <= MAX_SEALED_BYTES),
        "a record above the limit"
    );
    let again = encode(&page).expect("a decoded page encodes");
    assert_eq!(again, data, "the page is not a fixed point");
});
