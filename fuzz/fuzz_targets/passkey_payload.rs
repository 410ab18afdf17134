//! A passkey's vault payload (`PasskeyRecord::from_vault_payload`): bytes read back from the
//! store, which a damaged or tampered vault file can make anything.
//!
//! Contract: never panics; a payload that parses serializes again, and that serialization
//! parses to a record that serializes identically (the stable form is a fixed point).
#![no_main]

use credwell_passkey::PasskeyRecord;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(record) = PasskeyRecord::from_vault_payload(data) else {
        return;
    };
    let once = record
        .to_vault_payload()
        .expect("a parsed record serializes");
    let again = PasskeyRecord::from_vault_payload(&once)
        .expect("a serialized record parses")
        .to_vault_payload()
        .expect("a reparsed record serializes");
    assert_eq!(*once, *again, "the payload is not a fixed point");
});
