//! Sealing records for the server: the account key, record ids derived from it, and the
//! envelope every record travels in.
//!
//! The envelope is `1 || number (8, big-endian) || nonce (24) || ciphertext` under the account's
//! first key, and `2 || key version (4) || number (8) || nonce (24) || ciphertext` under a
//! later one, with XChaCha20-Poly1305 under a key derived from that version of the account key.
//! Its associated data binds the account id, the record id, the key version (envelope 2), the
//! version number and the deletion flag, so the server can neither move a sealed record to
//! another account or record, nor pass an older version off as a newer one, nor flip a record
//! between deleted and present, nor relabel its key version: each fails to open. The numbers
//! stay readable (a device must know them before it can check them); the server learns them.
//!
//! **Key versions.** Revoking a device rotates the account key: the [`AccountKey`] becomes a
//! ring of keys, the new one sealing from then on, the older ones still opening what they
//! sealed until every record is sealed again. Record ids stay keyed by the first key (so a
//! record keeps its id across rotations): a revoked device that kept the first key can still
//! test a guessed natural key against record ids, but it cannot open anything sealed after.

use std::fmt;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::{AccountId, RecordId};

/// The envelope under the account's first key.
const ENVELOPE_V1: u8 = 1;
/// The envelope under a later key, which names its version.
const ENVELOPE_V2: u8 = 2;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// The most keys an account's key ring holds: 63 rotations.
pub const MAX_KEY_VERSIONS: usize = 64;

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
    /// The record is sealed under a key version newer than any this device holds: the account
    /// key was rotated.
    #[error("the record is sealed under account key version {version}, newer than this device's")]
    NewerKey {
        /// The record's key version.
        version: u32,
    },
    /// The account key's bytes are not a key ring (a multiple of 32 bytes, 1 to 64 keys).
    #[error("the account key is not 1 to 64 keys of 32 bytes")]
    BadKey,
    /// The operating system's random generator failed.
    #[error("the system's random generator failed")]
    Random,
}

/// The key every record of an account is sealed under: a ring of versions, the last one
/// sealing. Made by the account's first device, a version added at each rotation; every device
/// of the account holds it in its own vault.
pub struct AccountKey {
    /// Each version's 32 bytes, oldest first (the first also keys the record ids).
    roots: Zeroizing<Vec<u8>>,
    /// Each version's sealing key.
    seals: Vec<Zeroizing<[u8; 32]>>,
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
    /// The version of the account key it was sealed under.
    pub key_version: u32,
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

    /// The key from its 32 bytes (version 1): separate sub-keys for sealing and for record ids
    /// (HKDF).
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        let hk = hkdf::Hkdf::<Sha256>::new(None, bytes);
        let mut ids = Zeroizing::new([0; 32]);
        // 32 bytes is far below HKDF-SHA256's limit: expanding cannot fail.
        let _ = hk.expand(b"credwell-sync record id v1", &mut *ids);
        Self {
            roots: Zeroizing::new(bytes.to_vec()),
            seals: vec![seal_key(bytes)],
            ids,
        }
    }

    /// The key ring from its bytes ([`material`](Self::material)): 1 to [`MAX_KEY_VERSIONS`]
    /// keys of 32 bytes, oldest first.
    pub fn from_material(material: &[u8]) -> Result<Self, SealError> {
        let count = material.len() / 32;
        if !material.len().is_multiple_of(32) || count == 0 || count > MAX_KEY_VERSIONS {
            return Err(SealError::BadKey);
        }
        let mut first = Zeroizing::new([0; 32]);
        first.copy_from_slice(&material[..32]);
        let mut key = Self::from_bytes(&first);
        for root in material.chunks_exact(32).skip(1) {
            let mut bytes = Zeroizing::new([0; 32]);
            bytes.copy_from_slice(root);
            key.seals.push(seal_key(&bytes));
        }
        key.roots = Zeroizing::new(material.to_vec());
        Ok(key)
    }

    /// The key ring's bytes: every version's 32 bytes, oldest first.
    pub fn material(&self) -> Zeroizing<Vec<u8>> {
        self.roots.clone()
    }

    /// The current version (1 for the account's first key): the one [`seal`](Self::seal) uses.
    pub fn version(&self) -> u32 {
        u32::try_from(self.seals.len()).unwrap_or(u32::MAX)
    }

    /// The ring with one more version, new and random, which seals from then on.
    pub fn rotated(&self) -> Result<Self, SealError> {
        let mut next = Zeroizing::new([0; 32]);
        getrandom::fill(&mut *next).map_err(|_| SealError::Random)?;
        let mut material = self.material();
        material.extend_from_slice(&*next);
        Self::from_material(&material)
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
        let version = self.version();
        let seal = self.seals.last().ok_or(SealError::BadKey)?;
        let cipher = XChaCha20Poly1305::new(&(**seal).into());
        let aad = associated_data(account, id, version, number, deleted);
        let ciphertext = cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Random)?;
        let mut out = Vec::with_capacity(1 + 4 + 8 + NONCE_LEN + ciphertext.len());
        if version == 1 {
            out.push(ENVELOPE_V1);
        } else {
            out.push(ENVELOPE_V2);
            out.extend_from_slice(&version.to_be_bytes());
        }
        out.extend_from_slice(&number.to_be_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        Ok(out)
    }

    /// Opens a record the server returned as record `id` of `account`, deleted or not:
    ///
    /// 1. Read the envelope's version, key version (1 for envelope 1) and number; a key
    ///    version above this ring's is [`SealError::NewerKey`], anything malformed
    ///    [`SealError::DoesNotOpen`].
    /// 2. Open the ciphertext under that version's key, with the associated data of step 1's
    ///    values and the deletion flag.
    pub fn open(
        &self,
        account: AccountId,
        id: RecordId,
        deleted: bool,
        sealed: &[u8],
    ) -> Result<Opened, SealError> {
        // 1.
        let (version, rest) = match sealed.split_first() {
            Some((&ENVELOPE_V1, rest)) => (1, rest),
            Some((&ENVELOPE_V2, rest)) if rest.len() >= 4 => {
                let (version, rest) = rest.split_at(4);
                let version: [u8; 4] = version.try_into().map_err(|_| SealError::DoesNotOpen)?;
                (u32::from_be_bytes(version), rest)
            }
            _ => return Err(SealError::DoesNotOpen),
        };
        if version > self.version() {
            return Err(SealError::NewerKey { version });
        }
        if version == 0 || rest.len() < 8 + NONCE_LEN + TAG_LEN {
            return Err(SealError::DoesNotOpen);
        }
        let (number, rest) = rest.split_at(8);
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let number = u64::from_be_bytes(number.try_into().map_err(|_| SealError::DoesNotOpen)?);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SealError::DoesNotOpen)?;
        // 2.
        let seal = &self.seals[version as usize - 1];
        let cipher = XChaCha20Poly1305::new(&(**seal).into());
        let aad = associated_data(account, id, version, number, deleted);
        let plain = cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::DoesNotOpen)?;
        Ok(Opened {
            number,
            key_version: version,
            plain: Zeroizing::new(plain),
        })
    }
}

/// A version's sealing key from its 32 bytes.
fn seal_key(root: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    let hk = hkdf::Hkdf::<Sha256>::new(None, root);
    let mut seal = Zeroizing::new([0; 32]);
    // 32 bytes is far below HKDF-SHA256's limit: expanding cannot fail.
    let _ = hk.expand(b"credwell-sync seal v1", &mut *seal);
    seal
}

/// The associated data of a record sealed under key `version` (envelope 1 for the first key,
/// whose associated data has no key version).
fn associated_data(
    account: AccountId,
    id: RecordId,
    version: u32,
    number: u64,
    deleted: bool,
) -> Vec<u8> {
    let mut aad = if version == 1 {
        b"credwell-sync record v1".to_vec()
    } else {
        b"credwell-sync record v2".to_vec()
    };
    aad.extend_from_slice(&account.0);
    aad.extend_from_slice(&id.0);
    if version != 1 {
        aad.extend_from_slice(&version.to_be_bytes());
    }
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
        refused(
            ACCOUNT,
            id,
            false,
            &sealed[..1 + 8 + NONCE_LEN + TAG_LEN - 1],
        );
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

    #[test]
    fn a_rotated_key_seals_under_its_new_version_which_older_rings_cannot_open() {
        let (first, _) = AccountKey::generate().unwrap();
        let second = first.rotated().unwrap();
        assert_eq!((first.version(), second.version()), (1, 2));
        let id = first.record_id("login", b"k");
        assert_eq!(id, second.record_id("login", b"k"), "ids survive rotation");
        let old = first.seal(ACCOUNT, id, 3, false, b"before").unwrap();
        let new = second.seal(ACCOUNT, id, 4, false, b"after").unwrap();
        assert_eq!((old[0], new[0]), (ENVELOPE_V1, ENVELOPE_V2));
        // The new ring opens both; the old one is told the record is newer than its key.
        assert_eq!(
            second.open(ACCOUNT, id, false, &old).unwrap().key_version,
            1
        );
        let opened = second.open(ACCOUNT, id, false, &new).unwrap();
        assert_eq!((opened.key_version, &opened.plain[..]), (2, &b"after"[..]));
        assert_eq!(
            first.open(ACCOUNT, id, false, &new).unwrap_err(),
            SealError::NewerKey { version: 2 }
        );
        // Relabelled as sealed under the first key, or under version 1 in envelope 2, it
        // does not open; nor under a ring whose second key is not this one.
        let mut relabelled = new.clone();
        relabelled[1..5].copy_from_slice(&1u32.to_be_bytes());
        assert_eq!(
            second.open(ACCOUNT, id, false, &relabelled).unwrap_err(),
            SealError::DoesNotOpen
        );
        let mut as_v1 = vec![ENVELOPE_V1];
        as_v1.extend_from_slice(&new[5..]);
        assert!(second.open(ACCOUNT, id, false, &as_v1).is_err());
        let guessed = first.rotated().unwrap();
        assert!(guessed.open(ACCOUNT, id, false, &new).is_err());
        // The ring round-trips through its bytes, and refuses what is not a ring.
        let back = AccountKey::from_material(&second.material()).unwrap();
        assert_eq!(back.open(ACCOUNT, id, false, &new).unwrap().number, 4);
        for bad in [&[][..], &[0; 31][..], &[0; 33][..], &[0; 65 * 32][..]] {
            assert_eq!(
                AccountKey::from_material(bad).unwrap_err(),
                SealError::BadKey
            );
        }
        let mut zero = new.clone();
        zero[1..5].copy_from_slice(&0u32.to_be_bytes());
        assert_eq!(
            second.open(ACCOUNT, id, false, &zero).unwrap_err(),
            SealError::DoesNotOpen
        );
    }
}
