//! passkey-crypto's RustCrypto backend, keeping a handle on the key it generated last, and
//! public keys as SubjectPublicKeyInfo.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use passkey_crypto::coset::{CoseKey, Label, cbor::Value, iana};
use passkey_crypto::rust_crypto::{RustCryptoBackend, RustCryptoPublicKey, RustCryptoSecretKey};
use passkey_crypto::{CoseKeyConversionError, CryptoBackend, SecretKeyT};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section is one call on the key or one replacement of the slot: a poisoned
    // lock still holds a consistent value.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A RustCrypto secret key that passkey-rs and credwell can both hold.
#[derive(Clone)]
pub(crate) struct SharedKey(Arc<Mutex<RustCryptoSecretKey>>);

impl SharedKey {
    fn new(key: RustCryptoSecretKey) -> Self {
        Self(Arc::new(Mutex::new(key)))
    }
}

impl SecretKeyT for SharedKey {
    type PublicKey = RustCryptoPublicKey;

    fn from_cose_key(cose_key: &CoseKey) -> Result<Self, CoseKeyConversionError> {
        RustCryptoSecretKey::from_cose_key(cose_key).map(Self::new)
    }

    fn sign(&mut self, target: &[u8]) -> Vec<u8> {
        lock(&self.0).sign(target)
    }

    fn public_key(&self) -> RustCryptoPublicKey {
        lock(&self.0).public_key()
    }

    fn to_cose_key(&self) -> CoseKey {
        lock(&self.0).to_cose_key()
    }
}

/// passkey-crypto's RustCrypto backend (p256 0.14, ed25519-dalek 3), except that it keeps the
/// key it generated last: packed self attestation then signs with the new credential's key
/// without parsing it back from the store (which costs one more scalar multiplication).
#[derive(Clone, Default)]
pub(crate) struct KeepingBackend {
    last: Arc<Mutex<Option<SharedKey>>>,
}

impl KeepingBackend {
    /// Takes the key generated last, if any.
    pub(crate) fn take_generated(&self) -> Option<SharedKey> {
        lock(&self.last).take()
    }
}

impl CryptoBackend for KeepingBackend {
    type Rng = <RustCryptoBackend as CryptoBackend>::Rng;
    type Sha256 = <RustCryptoBackend as CryptoBackend>::Sha256;
    type SecretKey = SharedKey;

    fn enumerate_algorithms(&self) -> Vec<iana::Algorithm> {
        RustCryptoBackend.enumerate_algorithms()
    }

    fn generate_key(&self, algorithm: iana::Algorithm) -> Result<SharedKey, passkey_crypto::Error> {
        let key = SharedKey::new(RustCryptoBackend.generate_key(algorithm)?);
        *lock(&self.last) = Some(key.clone());
        Ok(key)
    }
}

/// The DER SubjectPublicKeyInfo of an ES256 or EdDSA COSE public key, assembled from its
/// coordinates (RFC 5480 §2 for P-256, RFC 8410 §4 for Ed25519) without decoding the point:
/// the keys are this authenticator's own.
pub(crate) fn spki_der(key: &CoseKey) -> Option<Vec<u8>> {
    let param = |label: i64| {
        key.params.iter().find_map(|(l, v)| match (l, v) {
            (Label::Int(l), Value::Bytes(b)) if *l == label => Some(b.as_slice()),
            _ => None,
        })
    };
    match &key.alg {
        Some(passkey_crypto::coset::Algorithm::Assigned(iana::Algorithm::ES256)) => {
            let (x, y) = (param(-2)?, param(-3)?);
            if x.len() != 32 || y.len() != 32 {
                return None;
            }
            // SEQUENCE { SEQUENCE { id-ecPublicKey, secp256r1 }, BIT STRING 04 || x || y }
            let mut der = vec![
                0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
                0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
            ];
            der.extend_from_slice(x);
            der.extend_from_slice(y);
            Some(der)
        }
        Some(passkey_crypto::coset::Algorithm::Assigned(iana::Algorithm::EdDSA)) => {
            let x = param(-2)?;
            if x.len() != 32 {
                return None;
            }
            // SEQUENCE { SEQUENCE { id-Ed25519 }, BIT STRING x }
            let mut der = vec![
                0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
            ];
            der.extend_from_slice(x);
            Some(der)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use passkey_crypto::coset::CoseKeyBuilder;

    use super::*;

    #[test]
    fn spki_needs_a_supported_well_formed_key() {
        let ec2 = |x: Vec<u8>, y: Vec<u8>, alg| {
            CoseKeyBuilder::new_ec2_pub_key(iana::EllipticCurve::P_256, x, y)
                .algorithm(alg)
                .build()
        };
        assert_eq!(
            spki_der(&ec2(vec![1; 32], vec![2; 32], iana::Algorithm::ES256)).map(|d| d.len()),
            Some(91)
        );
        assert_eq!(
            spki_der(&ec2(vec![1; 31], vec![2; 32], iana::Algorithm::ES256)),
            None
        );
        assert_eq!(
            spki_der(&ec2(vec![1; 32], vec![2; 33], iana::Algorithm::ES256)),
            None
        );
        assert_eq!(
            spki_der(&ec2(vec![1; 32], vec![2; 32], iana::Algorithm::ES384)),
            None
        );
        let mut no_y = ec2(vec![1; 32], vec![2; 32], iana::Algorithm::ES256);
        no_y.params.retain(|(l, _)| *l != Label::Int(-3));
        assert_eq!(spki_der(&no_y), None);
        let okp = |x: Vec<u8>| {
            CoseKeyBuilder::new_okp_key()
                .algorithm(iana::Algorithm::EdDSA)
                .param(-2, Value::Bytes(x))
                .build()
        };
        assert_eq!(spki_der(&okp(vec![3; 32])).map(|d| d.len()), Some(44));
        assert_eq!(spki_der(&okp(vec![3; 31])), None);
    }

    #[test]
    fn the_backend_keeps_the_key_it_generated_last() {
        let backend = KeepingBackend::default();
        assert!(backend.take_generated().is_none());
        let mut generated = backend.generate_key(iana::Algorithm::ES256).unwrap();
        let mut kept = backend.take_generated().unwrap();
        assert!(backend.take_generated().is_none());
        assert_eq!(kept.to_cose_key(), generated.to_cose_key());
        let signature = kept.sign(b"message");
        passkey_crypto::PublicKeyT::verify(&generated.public_key(), b"message", &signature)
            .unwrap();
        let _ = generated.sign(b"x");
        assert!(backend.generate_key(iana::Algorithm::ES384).is_err());
        assert!(backend.take_generated().is_none());
    }
}
