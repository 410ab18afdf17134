//! Sealing records for the server: the account key, record ids derived from it, and the
//! envelope every record travels in.
//!
//! The envelope is `version (1) || number (8, big-endian) || nonce (24) || ciphertext`, with
//! XChaCha20-Poly1305 under a key derived from the account key. Its associated data binds the
//! account id, the record id, the version number and the deletion flag, so the server can
//! neither move a sealed record to another account or record, nor pass an older version off as
//! a newer one, nor flip a record between deleted and present: each fails to open. The number
//! stays readable (a device must know it before it can check it); the server learns it.

use std::fmt;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::{AccountId, RecordId};

const ENVELOPE_VERSION: u8 = 1;
const NONCE_LEN: usize = 24;
const HEADER_LEN: usize = 1 + 8 + NONCE_LEN;
const TAG_LEN: usize = 16;

/// Why a record could not be sealed or opened. Never says more: a failed open is a record that
/// is damaged, forged, or sealed for another place or version, and telling which would help
/// no one but a forger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// The record does not open: damaged, altered, or not sealed for this account, record,
    /// version number and deletion flag.
    #[error("the record does not open with this account's key (damaged or altered)")]
    DoesNotOpen,
    /// The operating system's random generator failed.
    #[error("the system's random generator failed")]
    Random,
}

/// The key every record of an account is sealed under. Made once by the account's first
/// device; every device of the account holds it in its own vault.
pub struct AccountKey {
    seal: Zeroizing<[u8; 32]>,
    ids: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for AccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccountKey(..)")
    }
}

/// An opened record.
#[derive(Debug)]
pub struct Opened {
    /// The version number the record was sealed with.
    pub number: u64,
    /// The plaintext.
    pub plain: Zeroizing<Vec<u8>>,
}

impl AccountKey {
    /// A new random account key, and its 32 bytes to keep.
    pub fn generate() -> Result<(Self, Zeroizing<[u8; 32]>), SealError> {
        let mut bytes = Zeroizing::new([0; 32]);
        getrandom::fill(&mut *bytes).map_err(|_| SealError::Random)?;
        Ok((Self::from_bytes(&bytes), bytes))
    }

    /// The key from its 32 bytes: separate sub-keys for sealing and for record ids (HKDF).
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        let hk = hkdf::Hkdf::<Sha256>::new(None, bytes);
        let mut seal = Zeroizing::new([0; 32]);
        let mut ids = Zeroizing::new([0; 32]);
        // 32 bytes is far below HKDF-SHA256's limit: expanding cannot fail.
        let _ = hk.expand(b"credwell-sync seal v1", &mut *seal);
        let _ = hk.expand(b"credwell-sync record id v1", &mut *ids);
        Self { seal, ids }
    }

    /// The record id of the record whose natural key is `key` in the namespace `kind` (for
    /// example `"login"` and the origin and user name): the same on every device of the
    /// account, so that two devices adding the same login offline write the same record; and
    /// meaningless to the server, which does not have the key.
    pub fn record_id(&self, kind: &str, key: &[u8]) -> RecordId {
        let mut mac =
            <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&*self.ids).expect("any key length");
        mac.update(&(kind.len() as u64).to_be_bytes());
        mac.update(kind.as_bytes());
        mac.update(key);
        let digest = mac.finalize().into_bytes();
        let mut id = [0; 16];
        id.copy_from_slice(&digest[..16]);
        RecordId(id)
    }

    /// Seals `plain` as version `number` of record `id` of `account`.
    pub fn seal(
        &self,
        account: AccountId,
        id: RecordId,
        number: u64,
        deleted: bool,
        plain: &[u8],
    ) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| SealError::Random)?;
        let cipher = XChaCha20Poly1305::new(&(*self.seal).into());
        let aad = associated_data(account, id, number, deleted);
        let ciphertext = cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Random)?;
        let mut out = Vec::with_capacity(HEADER_LEN + ciphertext.len());
        out.push(ENVELOPE_VERSION);
        out.extend_from_slice(&number.to_be_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        Ok(out)
    }

    /// Opens a record the server returned as record `id` of `account`, deleted or not.
    pub fn open(
        &self,
        account: AccountId,
        id: RecordId,
        deleted: bool,
        sealed: &[u8],
    ) -> Result<Opened, SealError> {
        if sealed.len() < HEADER_LEN + TAG_LEN || sealed[0] != ENVELOPE_VERSION {
            return Err(SealError::DoesNotOpen);
        }
        let mut number = [0; 8];
        number.copy_from_slice(&sealed[1..9]);
        let number = u64::from_be_bytes(number);
        let mut nonce = [0; NONCE_LEN];
        nonce.copy_from_slice(&sealed[9..HEADER_LEN]);
        let cipher = XChaCha20Poly1305::new(&(*self.seal).into());
        let aad = associated_data(account, id, number, deleted);
        let plain = cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &sealed[HEADER_LEN..],
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::DoesNotOpen)?;
        Ok(Opened {
            number,
            plain: Zeroizing::new(plain),
        })
    }
}

fn associated_data(account: AccountId, id: RecordId, number: u64, deleted: bool) -> Vec<u8> {
    let mut aad = b"credwell-sync record v1".to_vec();
    aad.extend_from_slice(&account.0);
    aad.extend_from_slice(&id.0);
    aad.extend_from_slice(&number.to_be_bytes());
    aad.push(u8::from(deleted));
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: AccountId = AccountId([1; 16]);

    #[test]
    fn a_sealed_record_opens_only_where_and_as_what_it_was_sealed() {
        let (key, bytes) = AccountKey::generate().unwrap();
        let id = key.record_id("login", b"https://a.example\0alice");
        let sealed = key.seal(ACCOUNT, id, 7, false, b"S3cr3t").unwrap();
        let opened = key.open(ACCOUNT, id, false, &sealed).unwrap();
        assert_eq!((opened.number, &opened.plain[..]), (7, &b"S3cr3t"[..]));
        assert!(!sealed.windows(6).any(|w| w == b"S3cr3t"));
        // The same key from its bytes opens it too.
        assert!(
            AccountKey::from_bytes(&bytes)
                .open(ACCOUNT, id, false, &sealed)
                .is_ok()
        );
        let refused = |account, id, deleted, sealed: &[u8]| {
            assert_eq!(
                key.open(account, id, deleted, sealed).unwrap_err(),
                SealError::DoesNotOpen
            );
        };
        refused(AccountId([2; 16]), id, false, &sealed);
        refused(ACCOUNT, RecordId([3; 16]), false, &sealed);
        refused(ACCOUNT, id, true, &sealed);
        // An older number written over the readable one: the tag no longer matches.
        let mut older = sealed.clone();
        older[1..9].copy_from_slice(&6u64.to_be_bytes());
        refused(ACCOUNT, id, false, &older);
        for at in [0, 5, 20, sealed.len() - 1] {
            let mut flipped = sealed.clone();
            flipped[at] ^= 1;
            refused(ACCOUNT, id, false, &flipped);
        }
        refused(ACCOUNT, id, false, &sealed[..HEADER_LEN + TAG_LEN - 1]);
        refused(ACCOUNT, id, false, &[]);
        let (other, _) = AccountKey::generate().unwrap();
        assert!(other.open(ACCOUNT, id, false, &sealed).is_err());
    }

    #[test]
    fn record_ids_are_the_same_on_every_device_and_keyed() {
        let bytes = [9; 32];
        let (a, b) = (
            AccountKey::from_bytes(&bytes),
            AccountKey::from_bytes(&bytes),
        );
        let id = a.record_id("login", b"https://a.example\0alice");
        assert_eq!(id, b.record_id("login", b"https://a.example\0alice"));
        assert_ne!(id, a.record_id("login", b"https://a.example\0bob"));
        assert_ne!(id, a.record_id("passkey", b"https://a.example\0alice"));
        // The kind's length is in the hash: no two (kind, key) pairs share their bytes.
        assert_ne!(a.record_id("ab", b"c"), a.record_id("a", b"bc"));
        let other = AccountKey::from_bytes(&[8; 32]);
        assert_ne!(id, other.record_id("login", b"https://a.example\0alice"));
        assert_eq!(format!("{a:?}"), "AccountKey(..)");
    }
}
