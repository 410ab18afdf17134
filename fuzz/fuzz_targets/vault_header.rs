//! The vault's key header (`credwell_vault::fuzzing::check_header`): the `meta` values the
//! unlock reads before it derives a key (format, vault id, KDF parameters as JSON, salt, wrapped
//! key). A damaged or hostile vault file can hold any of them.
//!
//! The input is the five values in that order, separated by `0xFF` bytes; a value past the
//! input's end is missing from the table.
//!
//! Contract: never panics; a header is only accepted with a format this build knows and KDF
//! costs at most `KdfParams::MAXIMUM` (the unlock then runs Argon2id with them: above that a
//! file could make it allocate gigabytes before the passphrase is checked); its values are
//! accepted exactly as given, so the accepted parameters serialize back to an equal value.
#![no_main]

use credwell_vault::KdfParams;
use credwell_vault::fuzzing::check_header;
use libfuzzer_sys::fuzz_target;

const KEYS: [&str; 5] = ["format", "vault_id", "kdf", "salt", "wrapped_key"];

fuzz_target!(|data: &[u8]| {
    let values: Vec<&[u8]> = data.split(|&b| b == 0xff).collect();
    let result = check_header(|key| {
        let at = KEYS.iter().position(|k| *k == key).expect("a header key");
        values.get(at).map(|v| v.to_vec())
    });
    let Ok(kdf) = result else { return };
    let max = KdfParams::MAXIMUM;
    assert!(
        kdf.m_cost_kib <= max.m_cost_kib && kdf.t_cost <= max.t_cost && kdf.p_cost <= max.p_cost,
        "accepted KDF parameters above the maximum: {kdf:?}"
    );
    let format = u32::from_be_bytes(values[0].try_into().expect("an accepted format"));
    assert!(
        format <= credwell_vault::FORMAT_VERSION,
        "accepted format {format}"
    );
    let json = serde_json::to_vec(&kdf).expect("parameters serialize");
    let again: KdfParams = serde_json::from_slice(&json).expect("parameters parse back");
    assert_eq!(again, kdf, "the parameters changed in a round trip");
});
