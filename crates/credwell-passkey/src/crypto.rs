//! passkey-crypto's RustCrypto backend, keeping a handle on the key it generated last, and
//! public keys as SubjectPublicKeyInfo.

use std::sync::{Arc, Mutex};

use credwell_core::sync::lock;

use passkey_crypto::coset::iana::EnumI64 as _;
use passkey_crypto::coset::{CoseKey, Label, cbor::Value, iana};
use passkey_crypto::rust_crypto::{RustCryptoBackend, RustCryptoPublicKey, RustCryptoSecretKey};
use passkey_crypto::{CoseKeyConversionError, CryptoBackend, SecretKeyT};
use zeroize::{Zeroize as _, Zeroizing};

/// A RustCrypto secret key that passkey-rs and credwell can both hold.
#[derive(Clone)]
pub(crate) struct SharedKey(Arc<Mutex<Key>>);

enum Key {
    /// A key passkey-crypto built (a new credential's, or any non-ES256 key).
    Built(RustCryptoSecretKey),
    /// An ES256 credential's private scalar, read back to sign an assertion. p256's
    /// `SigningKey` derives the public key when it is built (one scalar multiplication, as
    /// costly as the signature itself) and an assertion never uses it: the signature is made
    /// from the scalar alone, and the public key is derived only if asked for.
    P256Scalar(Zeroizing<[u8; 32]>),
}

impl SharedKey {
    fn new(key: RustCryptoSecretKey) -> Self {
        Self(Arc::new(Mutex::new(Key::Built(key))))
    }

    /// Runs `f` on passkey-crypto's key for this one (built from the scalar the first time an
    /// operation needs the public key).
    fn with_built<T>(&self, f: impl FnOnce(&RustCryptoSecretKey) -> T) -> T {
        let mut key = lock(&self.0);
        let built = match &*key {
            Key::Built(built) => return f(built),
            Key::P256Scalar(d) => RustCryptoSecretKey::from_cose_key(&p256_private_cose_key(d))
                .expect("p256_scalar admits only scalars in 1..n-1, which p256 accepts"),
        };
        let out = f(&built);
        *key = Key::Built(built);
        out
    }
}

impl SecretKeyT for SharedKey {
    type PublicKey = RustCryptoPublicKey;

    fn from_cose_key(cose_key: &CoseKey) -> Result<Self, CoseKeyConversionError> {
        if let Some(d) = p256_scalar(cose_key) {
            return Ok(Self(Arc::new(Mutex::new(Key::P256Scalar(d)))));
        }
        RustCryptoSecretKey::from_cose_key(cose_key).map(Self::new)
    }

    fn sign(&mut self, target: &[u8]) -> Vec<u8> {
        match &mut *lock(&self.0) {
            Key::Built(key) => key.sign(target),
            Key::P256Scalar(d) => sign_es256(d, target),
        }
    }

    fn public_key(&self) -> RustCryptoPublicKey {
        self.with_built(RustCryptoSecretKey::public_key)
    }

    fn to_cose_key(&self) -> CoseKey {
        self.with_built(RustCryptoSecretKey::to_cose_key)
    }
}

/// The private scalar of an ES256 COSE_Key (EC2, P-256, 32-byte `d` in 1..n-1), if it is one.
fn p256_scalar(key: &CoseKey) -> Option<Zeroizing<[u8; 32]>> {
    let es256 = matches!(
        key.alg,
        Some(passkey_crypto::coset::Algorithm::Assigned(
            iana::Algorithm::ES256
        ))
    );
    let ec2 = matches!(
        key.kty,
        passkey_crypto::coset::KeyType::Assigned(iana::KeyType::EC2)
    );
    let param = |label: i64| {
        key.params.iter().find_map(|(l, v)| match (l, v) {
            (Label::Int(l), value) if *l == label => Some(value),
            _ => None,
        })
    };
    let p256 = param(iana::Ec2KeyParameter::Crv.to_i64())
        == Some(&Value::from(iana::EllipticCurve::P_256.to_i64()));
    if !(es256 && ec2 && p256) {
        return None;
    }
    let Some(Value::Bytes(bytes)) = param(iana::Ec2KeyParameter::D.to_i64()) else {
        return None;
    };
    let d = Zeroizing::new(<[u8; 32]>::try_from(bytes.as_slice()).ok()?);
    let valid = p256::NonZeroScalar::from_repr((*d).into()).is_some();
    bool::from(valid).then_some(d)
}

/// ECDSA P-256 with SHA-256 and RFC 6979 nonces, DER-encoded: the signature p256's
/// `SigningKey::sign` makes (the same function, called without building the key pair).
fn sign_es256(d: &[u8; 32], target: &[u8]) -> Vec<u8> {
    use sha2::Digest as _;
    let Some(mut scalar) =
        Option::<p256::NonZeroScalar>::from(p256::NonZeroScalar::from_repr((*d).into()))
    else {
        // `p256_scalar` admitted only valid scalars; an empty signature fails verification.
        return Vec::new();
    };
    let digest = sha2::Sha256::digest(target);
    let (signature, _) = ecdsa::hazmat::sign_prehashed_rfc6979::<p256::NistP256, sha2::Sha256>(
        &scalar,
        &digest,
        &[],
    );
    scalar.zeroize();
    let signature: p256::ecdsa::Signature = signature;
    signature.to_der().as_bytes().to_vec()
}

/// The minimal ES256 COSE_Key passkey-crypto reads: kty, alg, crv and d.
fn p256_private_cose_key(d: &[u8; 32]) -> CoseKey {
    CoseKey {
        kty: passkey_crypto::coset::KeyType::Assigned(iana::KeyType::EC2),
        alg: Some(passkey_crypto::coset::Algorithm::Assigned(
            iana::Algorithm::ES256,
        )),
        params: vec![
            (
                Label::Int(iana::Ec2KeyParameter::Crv.to_i64()),
                Value::from(iana::EllipticCurve::P_256.to_i64()),
            ),
            (
                Label::Int(iana::Ec2KeyParameter::D.to_i64()),
                Value::Bytes(d.to_vec()),
            ),
        ],
        ..CoseKey::default()
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
    use passkey_crypto::PublicKeyT as _;
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

    /// A new ES256 key as passkey-crypto makes it, and the private COSE_Key a record stores.
    fn generated_es256() -> (RustCryptoSecretKey, CoseKey) {
        let key = RustCryptoBackend
            .generate_key(iana::Algorithm::ES256)
            .unwrap();
        let cose = key.to_cose_key();
        let d = cose
            .params
            .iter()
            .find_map(|(l, v)| match (l, v) {
                (Label::Int(-4), Value::Bytes(d)) => Some(d.clone()),
                _ => None,
            })
            .unwrap();
        (key, p256_private_cose_key(&d.try_into().unwrap()))
    }

    #[test]
    fn an_es256_key_read_back_signs_as_passkey_crypto_does() {
        for i in 0..20u8 {
            let (mut built, stored) = generated_es256();
            let mut read = SharedKey::from_cose_key(&stored).unwrap();
            assert!(matches!(*lock(&read.0), Key::P256Scalar(_)));
            let message = [i; 77];
            // RFC 6979 signatures are deterministic: the same bytes as p256's SigningKey.
            let signature = read.sign(&message);
            assert_eq!(signature, built.sign(&message));
            passkey_crypto::PublicKeyT::verify(&built.public_key(), &message, &signature).unwrap();
            // Asked for, the public key is derived, and is the key's.
            assert_eq!(
                read.public_key().to_cose_key(),
                built.public_key().to_cose_key()
            );
            assert!(matches!(*lock(&read.0), Key::Built(_)));
            assert_eq!(read.to_cose_key(), built.to_cose_key());
            assert_eq!(read.sign(&message), signature);
        }
    }

    #[test]
    fn only_valid_p256_scalars_are_read_as_scalars() {
        let (_, stored) = generated_es256();
        let with_d = |d: Vec<u8>| {
            let mut key = stored.clone();
            for (label, value) in &mut key.params {
                if *label == Label::Int(-4) {
                    *value = Value::Bytes(d.clone());
                }
            }
            key
        };
        // Zero, the group order n and above, and wrong lengths are refused as passkey-crypto
        // refuses them.
        let order = hex_bytes("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
        for bad in [vec![0; 32], order, vec![0xff; 32], vec![1; 31], vec![1; 33]] {
            let key = with_d(bad);
            assert!(p256_scalar(&key).is_none());
            assert!(SharedKey::from_cose_key(&key).is_err());
        }
        // Another curve, algorithm or key type is not an ES256 scalar.
        let mut other_curve = stored.clone();
        other_curve.params[0].1 = Value::from(iana::EllipticCurve::P_384.to_i64());
        assert!(p256_scalar(&other_curve).is_none());
        let mut other_alg = stored.clone();
        other_alg.alg = Some(passkey_crypto::coset::Algorithm::Assigned(
            iana::Algorithm::ES384,
        ));
        assert!(p256_scalar(&other_alg).is_none());
        let mut other_kty = stored;
        other_kty.kty = passkey_crypto::coset::KeyType::Assigned(iana::KeyType::OKP);
        assert!(p256_scalar(&other_kty).is_none());
        // EdDSA keys are passkey-crypto's own.
        let ed = RustCryptoBackend
            .generate_key(iana::Algorithm::EdDSA)
            .unwrap()
            .to_cose_key();
        let read = SharedKey::from_cose_key(&ed).unwrap();
        assert!(matches!(*lock(&read.0), Key::Built(_)));
    }

    fn hex_bytes(hex: &str) -> Vec<u8> {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
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
