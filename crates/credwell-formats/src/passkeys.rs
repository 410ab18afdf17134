//! Passkeys read from and written to files (CXF, Bitwarden JSON): the checks every reader makes
//! before a passkey becomes a [`PasskeyRecord`], and the private keys in and out of PKCS#8 DER
//! ([RFC 5208](https://www.rfc-editor.org/rfc/rfc5208)), the form both formats carry them in.
//!
//! A passkey that breaks its format (no RP ID, an empty credential id, a key that is not PKCS#8)
//! makes the file malformed: the import refuses it, naming the item. One that is valid but that
//! credwell cannot hold (a P-384 or RSA key, no user handle) is skipped with a warning saying
//! why, and the rest of the file is imported.

use credwell_passkey::{Algorithm, PasskeyRecord, PrfSecrets, PrivateKey};
use p256::pkcs8::der::Decode as _;
use p256::pkcs8::{ObjectIdentifier, PrivateKeyInfoRef};
use zeroize::Zeroizing;

/// Why a passkey of a file is not imported; neither quotes a secret.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Problem {
    /// The passkey breaks its format: the file is refused.
    Malformed(String),
    /// A valid passkey credwell cannot hold: it is skipped with this reason.
    Unsupported(String),
}

/// A passkey as a file gives it, before the checks.
pub(super) struct Fields {
    pub(super) rp_id: String,
    pub(super) credential_id: Vec<u8>,
    /// Empty when the file has none.
    pub(super) user_handle: Vec<u8>,
    pub(super) user_name: String,
    pub(super) user_display_name: String,
    /// The private key, PKCS#8 DER.
    pub(super) pkcs8: Zeroizing<Vec<u8>>,
    /// Milliseconds since the Unix epoch.
    pub(super) created_at: u64,
    pub(super) prf: Option<PrfSecrets>,
}

/// The passkey `fields` describe, checked as WebAuthn bounds its parts
/// ([credential id](https://w3c.github.io/webauthn/#credential-id): at most 1023 bytes;
/// [user handle](https://w3c.github.io/webauthn/#user-handle): 1 to 64 bytes).
pub(super) fn record(fields: Fields) -> Result<PasskeyRecord, Problem> {
    if fields.rp_id.trim().is_empty() {
        return Err(Problem::Malformed("the passkey has no rpId".into()));
    }
    let id_len = fields.credential_id.len();
    if id_len == 0 || id_len > 1023 {
        return Err(Problem::Malformed(format!(
            "the passkey's credentialId is {id_len} bytes (1 to 1023 allowed)"
        )));
    }
    if fields.user_handle.is_empty() {
        // A passkey made for a sign-in that names the account first: the RP gave no user
        // handle, and a passkey without one cannot answer a sign-in that names no account.
        return Err(Problem::Unsupported(
            "the passkey has no user handle, which credwell's passkeys need".into(),
        ));
    }
    if fields.user_handle.len() > 64 {
        return Err(Problem::Malformed(format!(
            "the passkey's userHandle is {} bytes (1 to 64 allowed)",
            fields.user_handle.len()
        )));
    }
    let (algorithm, private_key) = key_from_pkcs8(&fields.pkcs8)?;
    Ok(PasskeyRecord {
        rp_id: fields.rp_id,
        credential_id: fields.credential_id,
        user_handle: fields.user_handle,
        user_name: fields.user_name,
        user_display_name: fields.user_display_name,
        algorithm,
        private_key,
        created_at: fields.created_at,
        prf: fields.prf,
        large_blob: None,
        hidden: false,
    })
}

/// `id-ecPublicKey` (RFC 5480): an elliptic-curve key, its curve in the parameters.
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// `secp256r1`, NIST P-256 (RFC 5480).
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// `id-Ed25519` (RFC 8410).
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// The name of a key algorithm or curve credwell does not use, for the warning.
fn other_algorithm(oid: ObjectIdentifier) -> String {
    match oid.to_string().as_str() {
        "1.2.840.113549.1.1.1" => "an RSA key".into(),
        "1.3.132.0.34" => "a P-384 key".into(),
        "1.3.132.0.35" => "a P-521 key".into(),
        "1.3.132.0.10" => "a secp256k1 key".into(),
        "1.3.101.113" => "an Ed448 key".into(),
        other => format!("a key of algorithm {other}"),
    }
}

/// The algorithm and raw private key of a PKCS#8 DER key: a P-256 key (ES256) or an Ed25519
/// key (EdDSA). Another algorithm is [`Problem::Unsupported`]; bytes that are not PKCS#8, or
/// a P-256 or Ed25519 key that does not decode, are [`Problem::Malformed`].
pub(super) fn key_from_pkcs8(der: &[u8]) -> Result<(Algorithm, PrivateKey), Problem> {
    use ed25519_dalek::pkcs8::DecodePrivateKey as _;
    let not_pkcs8 = || Problem::Malformed("the passkey's key is not a PKCS#8 private key".into());
    let info = PrivateKeyInfoRef::from_der(der).map_err(|_| not_pkcs8())?;
    let oid = info.algorithm.oid;
    if oid == EC_PUBLIC_KEY {
        let curve = info.algorithm.parameters_oid().map_err(|_| not_pkcs8())?;
        if curve != P256 {
            return Err(unsupported(curve));
        }
        let key = p256::SecretKey::from_pkcs8_der(der).map_err(|_| {
            Problem::Malformed("the passkey's key is not a valid P-256 private key".into())
        })?;
        return Ok((
            Algorithm::Es256,
            PrivateKey::from_bytes(key.to_bytes().to_vec()),
        ));
    }
    if oid == ED25519 {
        let key = ed25519_dalek::SigningKey::from_pkcs8_der(der).map_err(|_| {
            Problem::Malformed("the passkey's key is not a valid Ed25519 private key".into())
        })?;
        return Ok((
            Algorithm::EdDsa,
            PrivateKey::from_bytes(key.to_bytes().to_vec()),
        ));
    }
    Err(unsupported(oid))
}

fn unsupported(oid: ObjectIdentifier) -> Problem {
    Problem::Unsupported(format!(
        "the passkey's key is {}; credwell's passkeys are P-256 (ES256) or Ed25519 (EdDSA)",
        other_algorithm(oid)
    ))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn problem(der: &str) -> Problem {
        key_from_pkcs8(&hex(der)).unwrap_err()
    }

    #[test]
    fn keys_are_told_apart_by_what_is_wrong_with_them() {
        // PKCS#8 of other algorithms: valid, but not credwell's.
        for (der, name) in [
            // rsaEncryption, with a stand-in key.
            (
                "3017020100300d06092a864886f70d01010105000403300100",
                "an RSA key",
            ),
            // An unknown algorithm, 1.2.3.4.
            (
                "300d020100300506032a0304040100",
                "a key of algorithm 1.2.3.4",
            ),
            // id-ecPublicKey on P-384 (secp384r1), with a stand-in key.
            (
                "3018020100301006072a8648ce3d020106052b81040022040100",
                "a P-384 key",
            ),
        ] {
            assert_eq!(
                problem(der),
                Problem::Unsupported(format!(
                    "the passkey's key is {name}; credwell's passkeys are P-256 (ES256) or \
                     Ed25519 (EdDSA)"
                )),
                "{name}"
            );
        }
        // Ed25519 with a 31-byte seed.
        let short_seed = format!("302d020100300506032b65700421041f{}", "11".repeat(31));
        assert_eq!(
            problem(&short_seed),
            Problem::Malformed("the passkey's key is not a valid Ed25519 private key".into())
        );
        // P-256 with a zero scalar (SEC 1 ECPrivateKey inside).
        let zero = format!(
            "3041020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420{}",
            "00".repeat(32)
        );
        assert_eq!(
            problem(&zero),
            Problem::Malformed("the passkey's key is not a valid P-256 private key".into())
        );
        // Not DER at all.
        assert_eq!(
            problem("0001"),
            Problem::Malformed("the passkey's key is not a PKCS#8 private key".into())
        );
    }
}
