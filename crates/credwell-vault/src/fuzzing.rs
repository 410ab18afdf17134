//! The decoders a record's bytes go through when the vault is read, and their encoders, for the
//! fuzz targets in the repository's `fuzz/` folder. Not part of the API: hidden from the docs and
//! free to change.
//!
//! Reading a record is two steps: the envelope is opened (XChaCha20-Poly1305 with the record's
//! associated data), then the plaintext is decoded by kind: a credential or an origin's flags
//! (JSON), a passkey (`magic || len || rp id || len || credential id || payload`), or the
//! integrity state (48 bytes).
//!
//! Before any of that, the unlock reads the key header from the file's `meta` table
//! ([`check_header`]).

use credwell_core::{Credential, Origin, OriginFlags};
use zeroize::Zeroizing;

use crate::crypto::Key;
use crate::record::{self, RecordKind};
use crate::schema::Header;
use crate::store::state::STATE_LEN;
use crate::store::{IntegrityState, passkey};
use crate::{KdfParams, PasskeyEntry, VaultError};

/// Opens an envelope sealed with `key` and `aad`; `None` when it does not open.
pub fn open_envelope(key: &[u8; 32], sealed: &[u8], aad: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    Key::from_bytes(key)?.open(sealed, aad).ok()
}

/// Seals `plain` with `key` and `aad` (a fresh random nonce each time).
pub fn seal_envelope(key: &[u8; 32], plain: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
    Key::from_bytes(key)?.seal(plain, aad).ok()
}

/// A credential record's plaintext read as `kind` (its password history aside); `known` is an
/// origin the caller looked up and its serialization, reused when the record's origin is that
/// serialization.
pub fn decode_credential(
    plain: &[u8],
    kind: RecordKind,
    known: Option<(&Origin, &str)>,
) -> Option<Credential> {
    record::decode_credential(plain, kind, known).map(|opened| opened.credential)
}

/// The plaintext the vault seals for `credential` with no password history or extras (`None`
/// for kinds it does not store).
pub fn encode_credential(credential: &Credential) -> Option<Zeroizing<Vec<u8>>> {
    record::encode_credential(credential, &[], &credwell_core::Extras::default())
}

/// An origin-flags record's plaintext: the origin as written, and the flags.
pub fn decode_flags(plain: &[u8]) -> Option<(String, OriginFlags)> {
    record::decode_flags(plain)
}

/// The plaintext the vault seals for `origin`'s flags.
pub fn encode_flags(origin: &Origin, flags: OriginFlags) -> Zeroizing<Vec<u8>> {
    record::encode_flags(origin, flags)
}

/// A passkey record's plaintext; `None` when the bytes are not one.
pub fn decode_passkey(plain: &[u8]) -> Option<PasskeyEntry> {
    passkey::decode(plain)
}

/// The plaintext the vault seals for a passkey.
pub fn encode_passkey(entry: &PasskeyEntry) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    passkey::encode(entry)
}

/// The integrity state's plaintext decoded and encoded again; `None` when it does not decode.
pub fn reencode_state(plain: &[u8]) -> Option<Zeroizing<[u8; STATE_LEN]>> {
    IntegrityState::decode(plain).map(|state| state.encode())
}

/// The key header the unlock reads from `meta`, given as its values by key (a missing key is
/// `None`), and the checks the unlock makes before it derives a key: the KDF parameters the
/// unlock would run Argon2id with, or why it refuses.
pub fn check_header(mut get: impl FnMut(&str) -> Option<Vec<u8>>) -> Result<KdfParams, VaultError> {
    let header = Header::from_meta(|key| Ok(get(key)))?;
    header.check_openable()?;
    Ok(header.kdf)
}
