//! The stored passkey: a [public key credential source] with the account details the chooser
//! shows.
//!
//! [public key credential source]: https://w3c.github.io/webauthn/#public-key-credential-source

use std::borrow::Cow;
use std::fmt;

use passkey_authenticator::PasskeyAccessor;
use passkey_crypto::coset::{self, CoseKey, Label, iana, iana::EnumI64 as _};
use passkey_crypto::rust_crypto::RustCryptoSecretKey;
use passkey_crypto::{PublicKeyT as _, SecretKeyT as _};
use passkey_types::{CredentialExtensions, StoredHmacSecret};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A COSE algorithm this authenticator creates keys for
/// ([COSE Algorithms registry](https://www.iana.org/assignments/cose/cose.xhtml#algorithms)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "i64", try_from = "i64")]
#[non_exhaustive]
pub enum Algorithm {
    /// ECDSA with SHA-256 on P-256 (`-7`), the default.
    Es256,
    /// EdDSA on Ed25519 (`-8`).
    EdDsa,
}

impl Algorithm {
    /// The algorithms this authenticator supports, in its own order of preference.
    pub const SUPPORTED: [Algorithm; 2] = [Algorithm::Es256, Algorithm::EdDsa];

    /// The COSE algorithm identifier.
    pub const fn cose_id(self) -> i64 {
        match self {
            Self::Es256 => -7,
            Self::EdDsa => -8,
        }
    }

    /// The algorithm with this COSE identifier, if this authenticator supports it.
    pub const fn from_cose_id(id: i64) -> Option<Self> {
        match id {
            -7 => Some(Self::Es256),
            -8 => Some(Self::EdDsa),
            _ => None,
        }
    }

    pub(crate) fn iana(self) -> iana::Algorithm {
        match self {
            Self::Es256 => iana::Algorithm::ES256,
            Self::EdDsa => iana::Algorithm::EdDSA,
        }
    }
}

impl From<Algorithm> for i64 {
    fn from(alg: Algorithm) -> Self {
        alg.cose_id()
    }
}

impl TryFrom<i64> for Algorithm {
    type Error = KeyError;

    fn try_from(id: i64) -> Result<Self, KeyError> {
        Self::from_cose_id(id).ok_or(KeyError::UnsupportedAlgorithm(id))
    }
}

/// Why a stored key cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The COSE algorithm is not one this authenticator supports.
    #[error("COSE algorithm {0} is not supported")]
    UnsupportedAlgorithm(i64),
    /// The private key bytes are not a valid key for the record's algorithm (never shown).
    #[error("the stored private key is not a valid key for its algorithm")]
    InvalidKey,
}

/// A credential private key: the P-256 scalar (32 bytes, big-endian) for ES256, the 32-byte
/// seed for EdDSA. Zeroized on drop; `Debug` never shows it.
#[derive(Clone, Zeroize, ZeroizeOnDrop, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PrivateKey(Vec<u8>);

impl PrivateKey {
    /// Wraps raw key bytes (see the type's documentation for their format).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The raw key bytes, for sealing into a vault record. Never log them.
    pub fn expose_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey(<redacted>)")
    }
}

/// A stored passkey: a discoverable credential bound to one relying party and one user account.
///
/// Serde-serializable so that a store can seal it as a vault record; the private key is then
/// serialized as its raw bytes, and only ever belongs inside such an encrypted envelope.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PasskeyRecord {
    /// The RP ID the credential is scoped to.
    pub rp_id: String,
    /// The credential id (random, 16 bytes for credentials this authenticator creates).
    pub credential_id: Vec<u8>,
    /// The user handle (`user.id`, 1 to 64 bytes).
    pub user_handle: Vec<u8>,
    /// `user.name`, as the RP gave it.
    pub user_name: String,
    /// `user.displayName`, as the RP gave it.
    pub user_display_name: String,
    /// The key's algorithm.
    pub algorithm: Algorithm,
    /// The credential private key.
    pub private_key: PrivateKey,
    /// When the credential was created, in milliseconds since the Unix epoch.
    pub created_at: u64,
    /// The secrets of the `prf` extension, for passkeys created with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prf: Option<PrfSecrets>,
    /// The [`largeBlob`](https://w3c.github.io/webauthn/#sctn-large-blob-extension) the RP last
    /// wrote for this passkey (at most [`crate::LARGE_BLOB_MAX`] bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub large_blob: Option<Vec<u8>>,
    /// Hidden by a [signal](https://w3c.github.io/webauthn/#sctn-signal-methods) from its RP:
    /// kept, but never offered to a page, until the user restores or purges it in the manager.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
}

/// The per-passkey secrets of the [`prf`](https://w3c.github.io/webauthn/#prf-extension)
/// extension (CTAP2 hmac-secret's `CredRandom`): 32 random bytes used when the user was verified
/// and, optionally, 32 used when not. Zeroized on drop; `Debug` never shows them.
#[derive(Clone, Zeroize, ZeroizeOnDrop, Serialize, Deserialize)]
pub struct PrfSecrets {
    with_uv: Vec<u8>,
    without_uv: Option<Vec<u8>>,
}

impl PrfSecrets {
    /// Wraps the two secrets.
    pub fn new(with_uv: Vec<u8>, without_uv: Option<Vec<u8>>) -> Self {
        Self {
            with_uv,
            without_uv,
        }
    }

    /// The secret used when the user was verified. Never log it.
    pub fn expose_with_uv(&self) -> &[u8] {
        &self.with_uv
    }

    /// The secret used when the user was not verified, if any. Never log it.
    pub fn expose_without_uv(&self) -> Option<&[u8]> {
        self.without_uv.as_deref()
    }

    pub(crate) fn from_stored(stored: &StoredHmacSecret) -> Self {
        Self::new(stored.cred_with_uv.clone(), stored.cred_without_uv.clone())
    }

    fn to_stored(&self) -> StoredHmacSecret {
        StoredHmacSecret {
            cred_with_uv: self.with_uv.clone(),
            cred_without_uv: self.without_uv.clone(),
        }
    }
}

impl fmt::Debug for PrfSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrfSecrets(<redacted>)")
    }
}

impl PasskeyRecord {
    /// The credential public key as a COSE_Key in CTAP2 canonical CBOR, exactly as it appears in
    /// [attested credential data](https://w3c.github.io/webauthn/#sctn-attested-credential-data).
    pub fn public_key_cose(&self) -> Result<Vec<u8>, KeyError> {
        let key = self.secret_key()?.public_key().to_cose_key();
        coset::CborSerializable::to_vec(key).map_err(|_| KeyError::InvalidKey)
    }

    /// The credential public key as a DER SubjectPublicKeyInfo (what `getPublicKey()` returns).
    pub fn public_key_der(&self) -> Result<Vec<u8>, KeyError> {
        let key = self.secret_key()?.public_key().to_cose_key();
        crate::crypto::spki_der(&key).ok_or(KeyError::InvalidKey)
    }

    pub(crate) fn secret_key(&self) -> Result<RustCryptoSecretKey, KeyError> {
        RustCryptoSecretKey::from_cose_key(&self.private_cose_key())
            .map_err(|_| KeyError::InvalidKey)
    }

    /// The private key as the minimal COSE_Key passkey-crypto reads: kty, alg, crv and d.
    pub(crate) fn private_cose_key(&self) -> CoseKey {
        let (kty, crv) = match self.algorithm {
            Algorithm::Es256 => (iana::KeyType::EC2, iana::EllipticCurve::P_256),
            Algorithm::EdDsa => (iana::KeyType::OKP, iana::EllipticCurve::Ed25519),
        };
        // The curve and `d` labels are -1 and -4 for both EC2 and OKP keys (RFC 9053, §7).
        CoseKey {
            kty: coset::KeyType::Assigned(kty),
            alg: Some(coset::Algorithm::Assigned(self.algorithm.iana())),
            params: vec![
                (
                    Label::Int(iana::Ec2KeyParameter::Crv.to_i64()),
                    coset::cbor::Value::from(crv.to_i64()),
                ),
                (
                    Label::Int(iana::Ec2KeyParameter::D.to_i64()),
                    coset::cbor::Value::Bytes(self.private_key.expose_bytes().to_vec()),
                ),
            ],
            ..CoseKey::default()
        }
    }

    /// The private key bytes and algorithm of a COSE_Key that passkey-crypto produced.
    pub(crate) fn key_from_cose(key: &CoseKey) -> Result<(Algorithm, PrivateKey), KeyError> {
        let algorithm = match &key.alg {
            Some(coset::Algorithm::Assigned(iana::Algorithm::ES256)) => Algorithm::Es256,
            Some(coset::Algorithm::Assigned(iana::Algorithm::EdDSA)) => Algorithm::EdDsa,
            Some(coset::Algorithm::Assigned(other)) => {
                return Err(KeyError::UnsupportedAlgorithm(other.to_i64()));
            }
            _ => return Err(KeyError::InvalidKey),
        };
        let d = key
            .params
            .iter()
            .find_map(|(label, value)| match (label, value) {
                (Label::Int(-4), coset::cbor::Value::Bytes(d)) => Some(d.clone()),
                _ => None,
            })
            .ok_or(KeyError::InvalidKey)?;
        Ok((algorithm, PrivateKey::from_bytes(d)))
    }
}

/// Lets passkey-rs read a record as the credential it signs with. credwell's passkeys keep no
/// signature counter (see the crate documentation), so the counter is always absent.
impl PasskeyAccessor for PasskeyRecord {
    fn key(&self) -> Cow<'_, CoseKey> {
        Cow::Owned(self.private_cose_key())
    }

    fn credential_id(&self) -> &[u8] {
        &self.credential_id
    }

    fn rp_id(&self) -> &str {
        &self.rp_id
    }

    fn user_handle(&self) -> Option<&[u8]> {
        Some(&self.user_handle)
    }

    fn username(&self) -> Option<&str> {
        Some(&self.user_name)
    }

    fn user_display_name(&self) -> Option<&str> {
        Some(&self.user_display_name)
    }

    fn counter(&self) -> Option<u32> {
        None
    }

    fn set_counter(&mut self, _counter: u32) {}

    fn extensions(&self) -> Cow<'_, CredentialExtensions> {
        Cow::Owned(CredentialExtensions {
            hmac_secret: self.prf.as_ref().map(PrfSecrets::to_stored),
        })
    }
}

#[cfg(test)]
mod tests;
