//! The vault's key hierarchy and record envelope.
//!
//! ```text
//! passphrase ──Argon2id(salt, m, t, p)──▶ KEK ──XChaCha20-Poly1305 unwrap──▶ vault key (random)
//! vault key ──HKDF-SHA256──▶ record key ("credwell-vault record-enc v1")
//!                          ▶ index key  ("credwell-vault blind-index v1")
//!                          ▶ integrity key ("credwell-vault integrity v1")
//!                          ▶ state key ("credwell-vault integrity-state v2")
//!                          ▶ export key ("credwell-vault export v1")
//! ```
//!
//! A record is sealed as `version(1) || alg(1) || nonce(24) || ciphertext+tag`, with associated
//! data binding the vault id, the record id, its kind, its revision and the format version, so
//! that a record altered, swapped with another row, moved to another id or kind fails to open.

use std::fmt;

use chacha20poly1305::aead::{Aead, AeadInOut, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// The envelope version byte.
const ENVELOPE_VERSION: u8 = 1;
/// The algorithm byte for XChaCha20-Poly1305.
const ALG_XCHACHA20POLY1305: u8 = 1;
const NONCE_LEN: usize = 24;
const HEADER_LEN: usize = 2 + NONCE_LEN;
/// The Poly1305 tag's length.
const TAG_LEN: usize = 16;

/// How many nonces [`Nonces`] draws from the operating system at once.
pub(crate) const NONCE_BATCH: usize = 128;

/// Random nonces for the seals of one write, drawn from the operating system's random source
/// [`NONCE_BATCH`] at a time: one `getrandom` call for that many rows instead of one a row (the
/// call was a tenth of the time of writing thousands of rows). Each nonce is as random as one
/// drawn alone, and handed out once: the type is neither `Clone` nor `Copy`, and a batch lives
/// as long as its write.
pub(crate) struct Nonces {
    batch: Vec<u8>,
    /// The first byte not yet handed out (`batch.len()`: none left).
    next: usize,
}

impl Nonces {
    /// No nonce drawn yet: the first [`take`](Self::take) draws a batch.
    pub(crate) fn new() -> Self {
        Self {
            batch: Vec::new(),
            next: 0,
        }
    }

    /// The next nonce, drawing a new batch when this one is used up.
    pub(crate) fn take(&mut self) -> Result<[u8; NONCE_LEN], SealError> {
        if self.next == self.batch.len() {
            self.batch.resize(NONCE_LEN * NONCE_BATCH, 0);
            if getrandom::fill(&mut self.batch).is_err() {
                // Nothing of a failed draw is handed out.
                self.next = self.batch.len();
                return Err(SealError);
            }
            self.next = 0;
        }
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&self.batch[self.next..self.next + NONCE_LEN]);
        self.next += NONCE_LEN;
        Ok(nonce)
    }
}

impl fmt::Debug for Nonces {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Nonces").finish_non_exhaustive()
    }
}

/// The environment variable with which test suites ask for the test-only key derivation
/// ([`KdfParams::for_new_vault`]); honoured only by builds with the `insecure-test-kdf` feature.
pub const INSECURE_KDF_ENV: &str = "CREDWELL_DANGER_INSECURE_KDF";

/// Argon2id cost parameters, stored in the vault header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KdfParams {
    /// Memory, in KiB.
    pub m_cost_kib: u32,
    /// Iterations.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
}

impl KdfParams {
    /// The defaults for new vaults: 64 MiB, 3 iterations, 1 lane. Above OWASP's current minimum
    /// for Argon2id (19 MiB, t=2, p=1) and equal to RFC 9106's second recommended option in
    /// memory and passes; about half a second on a 2-core machine.
    pub const DEFAULT: Self = Self {
        m_cost_kib: 64 * 1024,
        t_cost: 3,
        p_cost: 1,
    };

    /// The weakest parameters a vault may use: OWASP's minimum for Argon2id (19 MiB, 2 passes,
    /// 1 lane). [`Vault::create`](crate::Vault::create) and
    /// [`Vault::change_passphrase`](crate::Vault::change_passphrase) refuse anything weaker, and
    /// [`Vault::open`](crate::Vault::open) upgrades a vault below it to
    /// [`DEFAULT`](Self::DEFAULT). The one exception, the test-only parameters, exists only in
    /// builds with the `insecure-test-kdf` feature (never in a release build).
    pub const MINIMUM: Self = Self {
        m_cost_kib: 19 * 1024,
        t_cost: 2,
        p_cost: 1,
    };

    /// The most a vault header may ask for (4 GiB, 64 passes, 16 lanes): anything above is a
    /// damaged header, refused before any memory is allocated.
    pub const MAXIMUM: Self = Self {
        m_cost_kib: 4 * 1024 * 1024,
        t_cost: 64,
        p_cost: 16,
    };

    /// Very cheap parameters (64 KiB, 1 pass), **only** for tests: a vault made with them is as
    /// weak as its passphrase against offline guessing. They exist only with the
    /// `insecure-test-kdf` feature, which the crates enable for their tests (as a
    /// dev-dependency feature) and `scripts/test.sh` for the binaries the browser suites run;
    /// `cargo build --release` never has it.
    #[cfg(feature = "insecure-test-kdf")]
    pub const INSECURE_FOR_TESTS: Self = Self {
        m_cost_kib: 64,
        t_cost: 1,
        p_cost: 1,
    };

    /// Whether these parameters cost at least `other`'s in memory, passes and lanes.
    pub(crate) fn is_at_least(&self, other: &Self) -> bool {
        self.m_cost_kib >= other.m_cost_kib
            && self.t_cost >= other.t_cost
            && self.p_cost >= other.p_cost
    }

    /// Whether a vault may use these parameters: at least [`MINIMUM`](Self::MINIMUM), or the
    /// test-only parameters in a build that has them.
    pub fn is_acceptable(&self) -> bool {
        self.is_at_least(&Self::MINIMUM) || self.is_test_only()
    }

    /// Whether these are the test-only parameters (always `false` in a build without the
    /// `insecure-test-kdf` feature, where they do not exist).
    pub fn is_test_only(&self) -> bool {
        #[cfg(feature = "insecure-test-kdf")]
        return *self == Self::INSECURE_FOR_TESTS;
        #[cfg(not(feature = "insecure-test-kdf"))]
        return false;
    }

    /// The parameters for a new vault: [`DEFAULT`](Self::DEFAULT), or the test-only ones when
    /// `test_only` is asked for or the environment sets [`INSECURE_KDF_ENV`]`=1` (test suites).
    ///
    /// In a build without the `insecure-test-kdf` feature (every release build) asking for them
    /// is [`VaultError::InsecureKdfUnavailable`](crate::VaultError::InsecureKdfUnavailable),
    /// never a silently weak vault.
    pub fn for_new_vault(test_only: bool) -> Result<Self, crate::VaultError> {
        let asked = test_only || std::env::var_os(INSECURE_KDF_ENV).is_some_and(|v| v == "1");
        if !asked {
            return Ok(Self::DEFAULT);
        }
        #[cfg(feature = "insecure-test-kdf")]
        return Ok(Self::INSECURE_FOR_TESTS);
        #[cfg(not(feature = "insecure-test-kdf"))]
        return Err(crate::VaultError::InsecureKdfUnavailable);
    }
}

/// A 256-bit key, zeroized on drop and never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct Key([u8; 32]);

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(<redacted>)")
    }
}

impl Key {
    pub(crate) fn random() -> Result<Self, getrandom::Error> {
        let mut k = [0u8; 32];
        getrandom::fill(&mut k)?;
        Ok(Self(k))
    }

    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let mut k = [0u8; 32];
        if bytes.len() != k.len() {
            return None;
        }
        k.copy_from_slice(bytes);
        Some(Self(k))
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Argon2id(passphrase, salt) with `params`.
    pub(crate) fn derive_kek(
        passphrase: &[u8],
        salt: &[u8],
        params: KdfParams,
    ) -> Result<Self, argon2::Error> {
        let params =
            argon2::Params::new(params.m_cost_kib, params.t_cost, params.p_cost, Some(32))?;
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut out = [0u8; 32];
        argon.hash_password_into(passphrase, salt, &mut out)?;
        let key = Self(out);
        out.zeroize();
        Ok(key)
    }

    /// An HKDF-SHA256 sub-key.
    pub(crate) fn subkey(&self, info: &str) -> Self {
        let hk = hkdf::Hkdf::<Sha256>::new(None, &self.0);
        let mut out = [0u8; 32];
        // 32 bytes is far below HKDF-SHA256's 8160-byte limit: expand cannot fail.
        let _ = hk.expand(info.as_bytes(), &mut out);
        let key = Self(out);
        out.zeroize();
        key
    }

    /// HMAC-SHA256 of `parts` (each prefixed by its length, so part boundaries are unambiguous).
    pub(crate) fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        MacKey::new(self).mac(parts)
    }

    /// Seals `plaintext` with a fresh random nonce.
    pub(crate) fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| SealError)?;
        self.seal_with(plaintext, aad, nonce)
    }

    /// [`seal`](Self::seal) with the next nonce of `nonces` (a write of many rows).
    pub(crate) fn seal_from(
        &self,
        plaintext: &[u8],
        aad: &[u8],
        nonces: &mut Nonces,
    ) -> Result<Vec<u8>, SealError> {
        let nonce = nonces.take()?;
        self.seal_with(plaintext, aad, nonce)
    }

    /// Seals with `nonce`, which must be random and never used before.
    fn seal_with(
        &self,
        plaintext: &[u8],
        aad: &[u8],
        nonce: [u8; NONCE_LEN],
    ) -> Result<Vec<u8>, SealError> {
        let cipher = XChaCha20Poly1305::new(&self.0.into());
        // Encrypted in place in the envelope itself: one buffer, sized once (it never grows, so
        // no copy of the plaintext is left behind in freed memory).
        let mut out = Vec::with_capacity(HEADER_LEN + plaintext.len() + TAG_LEN);
        out.push(ENVELOPE_VERSION);
        out.push(ALG_XCHACHA20POLY1305);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        match cipher.encrypt_inout_detached(
            &XNonce::from(nonce),
            aad,
            (&mut out[HEADER_LEN..]).into(),
        ) {
            Ok(tag) => {
                out.extend_from_slice(&tag);
                Ok(out)
            }
            Err(_) => {
                out.zeroize();
                Err(SealError)
            }
        }
    }

    /// Opens an envelope made by [`seal`](Self::seal) with the same associated data.
    pub(crate) fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
        if sealed.len() < HEADER_LEN + TAG_LEN
            || sealed[0] != ENVELOPE_VERSION
            || sealed[1] != ALG_XCHACHA20POLY1305
        {
            return Err(SealError);
        }
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&sealed[2..HEADER_LEN]);
        let cipher = XChaCha20Poly1305::new(&self.0.into());
        cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &sealed[HEADER_LEN..],
                    aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| SealError)
    }
}

// A `MacKey` holds SHA-256 states computed from its key: they are wiped when dropped only with
// sha2's `zeroize` feature (its block function's state and the block buffer zeroize themselves
// on drop). This fails to build without it.
const _: fn() = || {
    fn zeroized_on_drop<T: zeroize::ZeroizeOnDrop>() {}
    zeroized_on_drop::<sha2::block_api::Sha256VarCore>();
};

/// An HMAC-SHA256 key with its keyed state (the inner and outer pads hashed) computed once:
/// each [`mac`](Self::mac) starts from a copy of it, where keying afresh hashed both pads again
/// for every MAC (three MACs a row written: a tenth of the time of writing thousands). The
/// state is as secret as the key: never printed, wiped when dropped (copies included: see the
/// check above).
#[derive(Clone)]
pub(crate) struct MacKey(Hmac<Sha256>);

impl fmt::Debug for MacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MacKey(<redacted>)")
    }
}

impl MacKey {
    pub(crate) fn new(key: &Key) -> Self {
        Self(
            <Hmac<Sha256> as KeyInit>::new_from_slice(&key.0)
                .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length")),
        )
    }

    /// HMAC-SHA256 of `parts` (each prefixed by its length, so part boundaries are
    /// unambiguous): the same as [`Key::mac`] under the same key.
    pub(crate) fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = self.0.clone();
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}

/// An envelope failed to seal or open (wrong key, altered bytes, other associated data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SealError;

/// The keys of an unlocked vault.
#[derive(Debug, Clone)]
pub(crate) struct VaultKeys {
    pub(crate) record: Key,
    pub(crate) index: MacKey,
    pub(crate) integrity: MacKey,
    /// Seals the integrity state (generation, next id, accumulator).
    pub(crate) state: Key,
    #[allow(dead_code)] // For encrypted exports (the CLI's export command).
    pub(crate) export: Key,
}

impl VaultKeys {
    pub(crate) fn from_vault_key(vault_key: &Key) -> Self {
        Self {
            record: vault_key.subkey("credwell-vault record-enc v1"),
            index: MacKey::new(&vault_key.subkey("credwell-vault blind-index v1")),
            integrity: MacKey::new(&vault_key.subkey("credwell-vault integrity v1")),
            state: vault_key.subkey("credwell-vault integrity-state v2"),
            export: vault_key.subkey("credwell-vault export v1"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_every_mismatch_fails() {
        let key = Key::random().unwrap();
        let sealed = key.seal(b"secret", b"aad").unwrap();
        assert_eq!(&**key.open(&sealed, b"aad").unwrap(), b"secret");
        assert!(key.open(&sealed, b"other aad").is_err());
        assert!(Key::random().unwrap().open(&sealed, b"aad").is_err());
        let mut flipped = sealed.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(key.open(&flipped, b"aad").is_err());
        assert!(key.open(&sealed[..10], b"aad").is_err());
        assert_ne!(
            key.seal(b"secret", b"aad").unwrap(),
            sealed,
            "fresh nonce every time"
        );
    }

    #[test]
    fn nonces_of_a_write_are_each_handed_out_once_across_batches_and_seal_as_fresh_ones() {
        let key = Key::random().unwrap();
        let mut nonces = Nonces::new();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..NONCE_BATCH * 3 + 1 {
            let sealed = key.seal_from(b"secret", b"aad", &mut nonces).unwrap();
            assert_eq!(&**key.open(&sealed, b"aad").unwrap(), b"secret");
            // The nonce sits after the version and algorithm bytes.
            let nonce: [u8; NONCE_LEN] = sealed[2..HEADER_LEN].try_into().unwrap();
            assert_ne!(nonce, [0; NONCE_LEN]);
            assert!(seen.insert(nonce), "a nonce handed out twice");
        }
        assert_eq!(format!("{nonces:?}"), "Nonces { .. }");
    }

    #[test]
    fn subkeys_differ_and_are_deterministic() {
        let k = Key::from_bytes(&[7; 32]).unwrap();
        assert_eq!(k.subkey("a").0, k.subkey("a").0);
        assert_ne!(k.subkey("a").0, k.subkey("b").0);
        assert_eq!(format!("{k:?}"), "Key(<redacted>)");
    }

    #[test]
    fn mac_parts_are_length_prefixed() {
        let k = Key::from_bytes(&[1; 32]).unwrap();
        assert_ne!(k.mac(&[b"ab", b"c"]), k.mac(&[b"a", b"bc"]));
    }

    /// The kept keyed state MACs as HMAC keyed afresh for every MAC did (the length prefixes
    /// written out here), every time and in every copy.
    #[test]
    fn a_kept_keyed_state_macs_as_a_fresh_key_every_time() {
        let key = Key::from_bytes(&[0x0b; 32]).unwrap();
        let kept = MacKey::new(&key);
        let parts: [&[u8]; 2] = [b"origin", b"https://a.example"];
        let fresh = |parts: &[&[u8]]| {
            let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&[0x0b; 32]).unwrap();
            for part in parts {
                mac.update(&(part.len() as u64).to_be_bytes());
                mac.update(part);
            }
            <[u8; 32]>::from(mac.finalize().into_bytes())
        };
        // Used many times (and cloned): each MAC starts from the keyed state, not from the
        // last MAC's.
        let copy = kept.clone();
        for _ in 0..3 {
            assert_eq!(kept.mac(&parts), fresh(&parts));
            assert_eq!(copy.mac(&parts), key.mac(&parts));
        }
        assert_ne!(kept.mac(&[b"origin"]), kept.mac(&parts));
        assert_ne!(
            MacKey::new(&Key::from_bytes(&[1; 32]).unwrap()).mac(&parts),
            kept.mac(&parts)
        );
        assert_eq!(format!("{kept:?}"), "MacKey(<redacted>)");
    }

    #[test]
    fn default_kdf_parameters_are_at_least_owasp_s() {
        assert!(KdfParams::DEFAULT.is_at_least(&KdfParams::MINIMUM));
        const { assert!(KdfParams::DEFAULT.m_cost_kib >= 19 * 1024) };
        const { assert!(KdfParams::DEFAULT.t_cost >= 2) };
        assert!(!KdfParams::INSECURE_FOR_TESTS.is_at_least(&KdfParams::MINIMUM));
        assert!(
            KdfParams::INSECURE_FOR_TESTS.is_acceptable(),
            "in a test build"
        );
        assert!(KdfParams::DEFAULT.is_acceptable() && KdfParams::MINIMUM.is_acceptable());
        let weak = KdfParams {
            m_cost_kib: 19 * 1024 - 1,
            ..KdfParams::MINIMUM
        };
        assert!(!weak.is_acceptable());
    }

    #[test]
    fn default_kdf_parameters_are_the_documented_ones() {
        // Documented on `KdfParams::DEFAULT`: 64 MiB, 3 passes, 1 lane; minimum 19 MiB, 2, 1.
        assert_eq!(
            KdfParams::DEFAULT,
            KdfParams {
                m_cost_kib: 65_536,
                t_cost: 3,
                p_cost: 1
            }
        );
        assert_eq!(
            KdfParams::MINIMUM,
            KdfParams {
                m_cost_kib: 19_456,
                t_cost: 2,
                p_cost: 1
            }
        );
    }
}
