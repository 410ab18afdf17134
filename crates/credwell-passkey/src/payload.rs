//! The vault payload of a passkey: the stable byte serialization of a [`PasskeyRecord`] that
//! a vault seals as one record (credwell-vault's `PasskeyEntry::payload`), and that the
//! command line reads back to export passkeys.
//!
//! # Format, version 1
//!
//! One UTF-8 JSON object, members in this order:
//!
//! - `"v"`: `1`;
//! - `"rpId"`: the RP ID;
//! - `"credentialId"`: base64url (unpadded);
//! - `"userHandle"`: base64url (unpadded);
//! - `"userName"`, `"userDisplayName"`: strings;
//! - `"alg"`: the COSE algorithm identifier, `-7` (ES256) or `-8` (EdDSA);
//! - `"privateKey"`: base64url (unpadded) of the raw private key, the P-256 scalar (32 bytes,
//!   big-endian) or the Ed25519 seed (32 bytes);
//! - `"createdAt"`: milliseconds since the Unix epoch;
//! - `"prf"`: optional, `{"withUv": base64url, "withoutUv"?: base64url}`, the `prf`
//!   extension's secrets;
//! - `"largeBlob"`: optional, base64url, the `largeBlob` extension's blob;
//! - `"hidden"`: optional, `true` when a signal from the RP hid the passkey (absent:
//!   `false`).
//!
//! Readers ignore members they do not know; a change that older readers must not misread gets a
//! new `"v"`. Key material is written in base64url so that parsing never grows a buffer holding
//! it; the output buffer is sized before it is written, and both directions wipe their
//! temporaries.

use std::io::Write;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::record::{Algorithm, KeyError, PasskeyRecord, PrfSecrets, PrivateKey};

/// The payload format version [`PasskeyRecord::to_vault_payload`] writes.
pub const VAULT_PAYLOAD_VERSION: u8 = 1;

/// Why bytes are not a passkey payload. Messages never quote the payload.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// Not a JSON object of the expected shape (line and column of the problem).
    #[error("the passkey payload is malformed (line {line}, column {column})")]
    Malformed {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// A base64url member does not decode.
    #[error("the passkey payload member {0} is not base64url")]
    Encoding(&'static str),
    /// Written by a newer credwell.
    #[error("passkey payload version {0} is not supported")]
    UnsupportedVersion(u64),
    /// The key's algorithm is not supported.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Serialization failed (a record field could not be written).
    #[error("the passkey could not be serialized")]
    Serialize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PayloadOut<'a> {
    v: u8,
    rp_id: &'a str,
    credential_id: &'a str,
    user_handle: &'a str,
    user_name: &'a str,
    user_display_name: &'a str,
    alg: i64,
    private_key: &'a str,
    created_at: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    prf: Option<PrfOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    large_blob: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    hidden: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PrfOut<'a> {
    with_uv: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    without_uv: Option<&'a str>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PayloadIn<'a> {
    v: u64,
    rp_id: String,
    credential_id: &'a str,
    user_handle: &'a str,
    user_name: String,
    user_display_name: String,
    alg: i64,
    // Borrowed from the input: base64url never needs JSON escapes, so no copy is made.
    private_key: &'a str,
    created_at: u64,
    #[serde(default, borrow)]
    prf: Option<PrfIn<'a>>,
    #[serde(default)]
    large_blob: Option<&'a str>,
    #[serde(default)]
    hidden: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PrfIn<'a> {
    with_uv: &'a str,
    #[serde(default)]
    without_uv: Option<&'a str>,
}

/// Counts the bytes written, to size the output buffer before writing the key into it.
struct Counter(usize);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn b64(bytes: &[u8]) -> Zeroizing<String> {
    // `encode` allocates the exact encoded length once.
    Zeroizing::new(URL_SAFE_NO_PAD.encode(bytes))
}

fn unb64(text: &str, member: &'static str) -> Result<Zeroizing<Vec<u8>>, PayloadError> {
    // `decode` allocates an upper bound of the decoded length once, then truncates.
    URL_SAFE_NO_PAD
        .decode(text)
        .map(Zeroizing::new)
        .map_err(|_| PayloadError::Encoding(member))
}

impl PasskeyRecord {
    /// The record as a vault payload: the stable serialization described in
    /// [`crate::payload`] (version [`VAULT_PAYLOAD_VERSION`]; JSON with base64url key material).
    ///
    /// The bytes contain the private key: seal them (the vault does) and never log them. They
    /// are zeroized when dropped.
    pub fn to_vault_payload(&self) -> Result<Zeroizing<Vec<u8>>, PayloadError> {
        let credential_id = b64(&self.credential_id);
        let user_handle = b64(&self.user_handle);
        let private_key = b64(self.private_key.expose_bytes());
        let with_uv;
        let without_uv;
        let prf = match &self.prf {
            Some(secrets) => {
                with_uv = b64(secrets.expose_with_uv());
                without_uv = secrets.expose_without_uv().map(b64);
                Some(PrfOut {
                    with_uv: &with_uv,
                    without_uv: without_uv.as_deref().map(String::as_str),
                })
            }
            None => None,
        };
        let large_blob = self.large_blob.as_deref().map(b64);
        let out = PayloadOut {
            v: VAULT_PAYLOAD_VERSION,
            rp_id: &self.rp_id,
            credential_id: &credential_id,
            user_handle: &user_handle,
            user_name: &self.user_name,
            user_display_name: &self.user_display_name,
            alg: self.algorithm.cose_id(),
            private_key: &private_key,
            created_at: self.created_at,
            prf,
            large_blob: large_blob.as_deref().map(String::as_str),
            hidden: self.hidden,
        };
        let mut counter = Counter(0);
        serde_json::to_writer(&mut counter, &out).map_err(|_| PayloadError::Serialize)?;
        // Sized once: growing would leave an unwiped copy of the private key behind.
        let mut bytes = Zeroizing::new(Vec::with_capacity(counter.0));
        serde_json::to_writer(&mut *bytes, &out).map_err(|_| PayloadError::Serialize)?;
        Ok(bytes)
    }

    /// The record a [`to_vault_payload`](Self::to_vault_payload) produced (of this or an
    /// earlier payload version).
    pub fn from_vault_payload(bytes: &[u8]) -> Result<Self, PayloadError> {
        let parsed: PayloadIn<'_> =
            serde_json::from_slice(bytes).map_err(|e| PayloadError::Malformed {
                line: e.line(),
                column: e.column(),
            })?;
        if parsed.v != u64::from(VAULT_PAYLOAD_VERSION) {
            return Err(PayloadError::UnsupportedVersion(parsed.v));
        }
        let algorithm = Algorithm::try_from(parsed.alg)?;
        let private_key = unb64(parsed.private_key, "privateKey")?;
        let prf = match parsed.prf {
            Some(p) => {
                let with_uv = unb64(p.with_uv, "prf.withUv")?;
                let without_uv = p
                    .without_uv
                    .map(|w| unb64(w, "prf.withoutUv"))
                    .transpose()?;
                Some(PrfSecrets::new(
                    with_uv.to_vec(),
                    without_uv.map(|w| w.to_vec()),
                ))
            }
            None => None,
        };
        Ok(Self {
            rp_id: parsed.rp_id,
            credential_id: unb64(parsed.credential_id, "credentialId")?.to_vec(),
            user_handle: unb64(parsed.user_handle, "userHandle")?.to_vec(),
            user_name: parsed.user_name,
            user_display_name: parsed.user_display_name,
            algorithm,
            private_key: PrivateKey::from_bytes(private_key.to_vec()),
            created_at: parsed.created_at,
            prf,
            large_blob: parsed
                .large_blob
                .map(|b| unb64(b, "largeBlob").map(|b| b.to_vec()))
                .transpose()?,
            hidden: parsed.hidden,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn record(prf: bool) -> PasskeyRecord {
        PasskeyRecord {
            rp_id: "example.com".into(),
            credential_id: vec![1; 16],
            user_handle: b"alice".to_vec(),
            user_name: "alice@example.com".into(),
            user_display_name: "Alice \"A\" Ällo".into(),
            algorithm: Algorithm::EdDsa,
            private_key: PrivateKey::from_bytes(vec![7; 32]),
            created_at: 1_764_000_000_000,
            prf: prf.then(|| PrfSecrets::new(vec![8; 32], Some(vec![9; 32]))),
            large_blob: prf.then(|| vec![5; 40]),
            hidden: false,
        }
    }

    fn same(a: &PasskeyRecord, b: &PasskeyRecord) -> bool {
        a.rp_id == b.rp_id
            && a.credential_id == b.credential_id
            && a.user_handle == b.user_handle
            && a.user_name == b.user_name
            && a.user_display_name == b.user_display_name
            && a.algorithm == b.algorithm
            && a.private_key.expose_bytes() == b.private_key.expose_bytes()
            && a.created_at == b.created_at
            && a.large_blob == b.large_blob
            && a.hidden == b.hidden
            && a.prf.as_ref().map(|p| {
                (
                    p.expose_with_uv().to_vec(),
                    p.expose_without_uv().map(<[u8]>::to_vec),
                )
            }) == b.prf.as_ref().map(|p| {
                (
                    p.expose_with_uv().to_vec(),
                    p.expose_without_uv().map(<[u8]>::to_vec),
                )
            })
    }

    #[test]
    fn the_payload_round_trips_and_its_buffer_is_exact() {
        for prf in [false, true] {
            let r = record(prf);
            let bytes = r.to_vault_payload().unwrap();
            assert_eq!(bytes.len(), bytes.capacity(), "sized once");
            assert!(same(
                &PasskeyRecord::from_vault_payload(&bytes).unwrap(),
                &r
            ));
        }
    }

    #[test]
    fn a_hidden_passkey_stays_hidden_and_a_shown_one_writes_no_member() {
        let mut r = record(false);
        let shown = r.to_vault_payload().unwrap();
        assert!(!std::str::from_utf8(&shown).unwrap().contains("hidden"));
        r.hidden = true;
        let bytes = r.to_vault_payload().unwrap();
        assert!(
            std::str::from_utf8(&bytes)
                .unwrap()
                .ends_with(r#","hidden":true}"#)
        );
        assert!(PasskeyRecord::from_vault_payload(&bytes).unwrap().hidden);
        assert!(!PasskeyRecord::from_vault_payload(&shown).unwrap().hidden);
    }

    #[test]
    fn version_one_is_stable() {
        let bytes = record(false).to_vault_payload().unwrap();
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap(),
            concat!(
                r#"{"v":1,"rpId":"example.com","credentialId":"AQEBAQEBAQEBAQEBAQEBAQ","#,
                r#""userHandle":"YWxpY2U","userName":"alice@example.com","#,
                r#""userDisplayName":"Alice \"A\" Ällo","alg":-8,"#,
                r#""privateKey":"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc","#,
                r#""createdAt":1764000000000}"#
            )
        );
    }

    #[test]
    fn bad_payloads_are_refused_without_quoting_them() {
        let good = String::from_utf8(record(true).to_vault_payload().unwrap().to_vec()).unwrap();
        let newer = good.replacen(r#""v":1"#, r#""v":2"#, 1);
        assert_eq!(
            PasskeyRecord::from_vault_payload(newer.as_bytes()).unwrap_err(),
            PayloadError::UnsupportedVersion(2)
        );
        let rs256 = good.replacen(r#""alg":-8"#, r#""alg":-257"#, 1);
        assert_eq!(
            PasskeyRecord::from_vault_payload(rs256.as_bytes()).unwrap_err(),
            PayloadError::Key(KeyError::UnsupportedAlgorithm(-257))
        );
        let bad_key = good.replacen(r#""privateKey":"B"#, r#""privateKey":"!"#, 1);
        assert_eq!(
            PasskeyRecord::from_vault_payload(bad_key.as_bytes()).unwrap_err(),
            PayloadError::Encoding("privateKey")
        );
        let secret = r#"{"v":1,"privateKey":12345678}"#;
        let e = PasskeyRecord::from_vault_payload(secret.as_bytes()).unwrap_err();
        assert!(matches!(e, PayloadError::Malformed { .. }));
        assert!(!e.to_string().contains("12345678"));
        // Unknown members are ignored (forward compatible within a version).
        let extra = good.replacen(r#""v":1,"#, r#""v":1,"future":[1,2],"#, 1);
        assert!(PasskeyRecord::from_vault_payload(extra.as_bytes()).is_ok());
    }
}
