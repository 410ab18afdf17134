//! The vault's record decoding (`credwell_vault::fuzzing`): the envelope every record is sealed
//! in, then the plaintext decoders by kind (credential and origin-flags JSON, the passkey layout,
//! the integrity state). A damaged or tampered vault file can hold any bytes.
//!
//! Contract: never panics; an envelope opens only with its own associated data and byte for
//! byte; the decoders' fast path for a known origin agrees with a full parse; whatever decodes
//! encodes to bytes that decode to the same value (credentials compared by their encoding; the
//! passkey layout and the integrity state to the very same bytes).
#![no_main]

use std::sync::LazyLock;

use credwell_core::{Credential, Origin};
use credwell_vault::RecordKind;
use credwell_vault::fuzzing as vault;
use libfuzzer_sys::fuzz_target;

const KEY: [u8; 32] = [7; 32];
const AAD: &[u8] = b"credwell-fuzz record";
const KNOWN: &str = "https://a.example";
static KNOWN_ORIGIN: LazyLock<Origin> =
    LazyLock::new(|| Origin::parse(KNOWN).expect("a valid origin"));

fn envelope(data: &[u8]) {
    // Arbitrary bytes opening would mean a forged tag; only the framing checks run here.
    assert!(
        vault::open_envelope(&KEY, data, AAD).is_none(),
        "a forged envelope opened"
    );
    let mut sealed = vault::seal_envelope(&KEY, data, AAD).expect("sealing never fails");
    let opened = vault::open_envelope(&KEY, &sealed, AAD).expect("a sealed envelope opens");
    assert_eq!(*opened, *data, "the envelope changed its contents");
    assert!(
        vault::open_envelope(&KEY, &sealed, b"other").is_none(),
        "other data opened it"
    );
    let last = sealed.len() - 1;
    sealed[last] ^= 1;
    assert!(
        vault::open_envelope(&KEY, &sealed, AAD).is_none(),
        "an altered tag opened"
    );
}

/// The plaintext the vault would seal for a decoded credential. Credentials are compared by it:
/// an opaque origin (`"null"`, or a URL whose scheme has none) is by definition equal to no
/// other origin, not even one parsed from the same text.
fn encoded(credential: Option<Credential>) -> Option<Vec<u8>> {
    let credential = credential?;
    let bytes = vault::encode_credential(&credential).expect("a decoded credential encodes");
    Some(bytes.to_vec())
}

fn credential(data: &[u8], kind: RecordKind) {
    let full = encoded(vault::decode_credential(data, kind, None));
    let fast = encoded(vault::decode_credential(
        data,
        kind,
        Some((&KNOWN_ORIGIN, KNOWN)),
    ));
    assert_eq!(
        full, fast,
        "the known-origin path disagrees with a full parse"
    );
    let Some(once) = full else { return };
    let again = encoded(vault::decode_credential(&once, kind, None));
    assert_eq!(
        again.as_ref(),
        Some(&once),
        "the credential changed in a round trip"
    );
}

fn flags(data: &[u8]) {
    let Some((origin, flags)) = vault::decode_flags(data) else {
        return;
    };
    // The flags' origin is parsed by the caller, not the decoder.
    let Ok(origin) = Origin::parse(&origin) else {
        return;
    };
    let encoded = vault::encode_flags(&origin, flags);
    let again = vault::decode_flags(&encoded).expect("encoded flags decode");
    assert_eq!(
        again,
        (origin.to_string(), flags),
        "the flags changed in a round trip"
    );
}

fuzz_target!(|data: &[u8]| {
    envelope(data);
    credential(data, RecordKind::Password);
    credential(data, RecordKind::Federated);
    flags(data);
    if let Some(entry) = vault::decode_passkey(data) {
        let encoded = vault::encode_passkey(&entry).expect("a decoded passkey encodes");
        assert_eq!(*encoded, *data, "the passkey layout is not a fixed point");
    }
    if let Some(state) = vault::reencode_state(data) {
        assert_eq!(&state[..], data, "the integrity state is not a fixed point");
    }
});
