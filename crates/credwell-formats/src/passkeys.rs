//! Passkeys' private keys in and out of PKCS#8 DER (RFC 5208), the form CXF and Bitwarden's
//! JSON export carry them in.

use credwell_passkey::{Algorithm, PasskeyRecord, PrivateKey};
use zeroize::Zeroizing;

/// The algorithm and raw private key of a PKCS#8 DER key: a P-256 key (ES256) or an Ed25519
/// key (EdDSA).
pub(super) fn key_from_pkcs8(der: &[u8]) -> Result<(Algorithm, PrivateKey), String> {
    use ed25519_dalek::pkcs8::DecodePrivateKey as _;
    if let Ok(key) = p256::SecretKey::from_pkcs8_der(der) {
        return Ok((
            Algorithm::Es256,
            PrivateKey::from_bytes(key.to_bytes().to_vec()),
        ));
    }
    if let Ok(key) = ed25519_dalek::SigningKey::from_pkcs8_der(der) {
        return Ok((
            Algorithm::EdDsa,
            PrivateKey::from_bytes(key.to_bytes().to_vec()),
        ));
    }
    Err("the passkey's key is not a PKCS#8 P-256 or Ed25519 private key".into())
}

/// The PKCS#8 DER form of a passkey's private key.
pub(super) fn key_to_pkcs8(record: &PasskeyRecord) -> std::io::Result<Zeroizing<Vec<u8>>> {
    use ed25519_dalek::pkcs8::EncodePrivateKey as _;
    let bad = || {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "the stored private key of a passkey for {} is not a valid key",
                record.rp_id
            ),
        )
    };
    let bytes = record.private_key.expose_bytes();
    let der = match record.algorithm {
        Algorithm::Es256 => p256::SecretKey::from_slice(bytes)
            .map_err(|_| bad())?
            .to_pkcs8_der()
            .map_err(|_| bad())?,
        Algorithm::EdDsa => {
            let seed: [u8; 32] = bytes.try_into().map_err(|_| bad())?;
            ed25519_dalek::SigningKey::from_bytes(&seed)
                .to_pkcs8_der()
                .map_err(|_| bad())?
        }
        _ => return Err(bad()),
    };
    Ok(Zeroizing::new(der.as_bytes().to_vec()))
}
