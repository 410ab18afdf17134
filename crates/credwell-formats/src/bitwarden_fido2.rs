//! The passkeys of Bitwarden's JSON export: a login item's `login.fido2Credentials`, in the shape
//! of Bitwarden's clients' `Fido2CredentialExport`:
//!
//! ```json
//! {"credentialId": "08d70b74-e9f5-4522-a425-e5dcd40107e7", "keyType": "public-key",
//!  "keyAlgorithm": "ECDSA", "keyCurve": "P-256", "keyValue": "MIGHAgEAMBMG...",
//!  "rpId": "example.com", "userHandle": "dXNlci1hbGljZQ", "userName": "alice",
//!  "counter": "0", "rpName": "Example", "userDisplayName": "Alice", "discoverable": "true",
//!  "creationDate": "2024-01-02T03:04:05.000Z"}
//! ```
//!
//! - `credentialId`: a 16-byte credential id written as a UUID, or any other as `b64.` and its
//!   base64url;
//! - `keyValue`: the private key, PKCS#8 DER in base64url (standard base64 is read too);
//! - `userHandle`: base64url;
//! - `counter` and `discoverable`: text (numbers and booleans are read too). credwell's passkeys
//!   sign with counter 0 (see credwell-passkey), so a counter above 0 is warned about; a passkey
//!   that was not discoverable is kept and works where the site names its credentials.
//!
//! credwell writes each passkey as a login item of its own with no password, as Bitwarden does
//! for a passkey saved alone.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use credwell_core::Timestamp;
use credwell_passkey::{Algorithm, PasskeyRecord};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use zeroize::Zeroizing;

use super::passkeys::{self, Fields, Problem};

/// An entry of `login.fido2Credentials` as read.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Fido2In {
    #[serde(default)]
    credential_id: Option<String>,
    #[serde(default)]
    key_value: Option<String>,
    #[serde(default)]
    rp_id: Option<String>,
    #[serde(default)]
    user_handle: Option<String>,
    #[serde(default)]
    user_name: Option<String>,
    #[serde(default)]
    user_display_name: Option<String>,
    #[serde(default)]
    counter: Option<Value>,
    #[serde(default)]
    creation_date: Option<String>,
}

/// What one entry of `fido2Credentials` gives.
pub(super) struct Read {
    pub(super) record: PasskeyRecord,
    /// The counter was above 0.
    pub(super) counted: bool,
    /// `creationDate` was there but is not a possible time (the item's is used).
    pub(super) clamped: bool,
}

/// base64url or standard base64, padded or not (what Bitwarden's clients read).
const ANY_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn base64(text: &str, field: &str) -> Result<Vec<u8>, Problem> {
    let url_safe: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    ANY_BASE64
        .decode(url_safe)
        .map_err(|_| Problem::Malformed(format!("the passkey's {field} is not base64")))
}

/// The credential id as Bitwarden writes it: a UUID (its 16 bytes in order) or `b64.` and
/// base64url.
fn credential_id(text: &str) -> Result<Vec<u8>, Problem> {
    if let Some(encoded) = text.strip_prefix("b64.") {
        return base64(encoded, "credentialId");
    }
    let hex: String = text.chars().filter(|&c| c != '-').collect();
    let dashes = text
        .char_indices()
        .filter(|&(_, c)| c == '-')
        .map(|(i, _)| i);
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) || !dashes.eq([8, 13, 18, 23])
    {
        return Err(Problem::Malformed(
            "the passkey's credentialId is neither a UUID nor \"b64.\" and base64url".into(),
        ));
    }
    Ok((0..16)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or_default())
        .collect())
}

/// Reads one entry of `fido2Credentials`; `item_created` is the item's creation time, for an
/// entry without its own.
pub(super) fn read(fido2: Fido2In, item_created: Option<Timestamp>) -> Result<Read, Problem> {
    let missing = |field: &str| Problem::Malformed(format!("the passkey has no {field}"));
    let id = fido2.credential_id.ok_or_else(|| missing("credentialId"))?;
    let key = Zeroizing::new(fido2.key_value.ok_or_else(|| missing("keyValue"))?);
    let counter = match &fido2.counter {
        None | Some(Value::Null) => 0,
        Some(Value::Number(n)) => n.as_u64().unwrap_or(1),
        Some(Value::String(s)) if s.trim().is_empty() => 0,
        Some(Value::String(s)) => s.trim().parse::<u64>().map_err(|_| {
            Problem::Malformed("the passkey's counter is not a whole number".into())
        })?,
        Some(_) => {
            return Err(Problem::Malformed(
                "the passkey's counter is not a whole number".into(),
            ));
        }
    };
    let own_date = fido2
        .creation_date
        .as_deref()
        .filter(|d| !d.trim().is_empty());
    let created = own_date.and_then(Timestamp::parse_iso8601);
    let clamped = own_date.is_some() && created.is_none();
    let created_at = created
        .or(item_created)
        .unwrap_or_else(|| credwell_core::Clock::now(&credwell_core::SystemClock));
    let record = passkeys::record(Fields {
        rp_id: fido2.rp_id.unwrap_or_default(),
        credential_id: credential_id(&id)?,
        user_handle: match fido2.user_handle.as_deref() {
            Some(handle) => base64(handle, "userHandle")?,
            None => Vec::new(),
        },
        user_name: fido2.user_name.unwrap_or_default(),
        user_display_name: fido2.user_display_name.unwrap_or_default(),
        pkcs8: Zeroizing::new(base64(&key, "keyValue")?),
        created_at: created_at.0,
        prf: None,
    })?;
    Ok(Read {
        record,
        counted: counter > 0,
        clamped,
    })
}

/// An entry of `login.fido2Credentials` as written.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Fido2Out {
    credential_id: String,
    key_type: &'static str,
    key_algorithm: &'static str,
    key_curve: &'static str,
    #[serde(serialize_with = "expose")]
    key_value: Zeroizing<String>,
    rp_id: String,
    user_handle: String,
    user_name: String,
    counter: &'static str,
    rp_name: String,
    user_display_name: String,
    discoverable: &'static str,
    creation_date: String,
}

fn expose<S: serde::Serializer>(key: &Zeroizing<String>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(key)
}

/// A 16-byte id that is a UUID of versions 1 to 5 (what Bitwarden's clients accept as one) is
/// written as one; any other id as `b64.` and base64url.
fn credential_id_text(id: &[u8]) -> String {
    let uuid_like = id.len() == 16 && (1..=5).contains(&(id[6] >> 4)) && (id[8] >> 6) == 0b10;
    if !uuid_like {
        return format!(
            "b64.{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id)
        );
    }
    let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// A passkey as an entry of `fido2Credentials`.
pub(super) fn write(record: &PasskeyRecord) -> std::io::Result<Fido2Out> {
    let pkcs8 = passkeys::key_to_pkcs8(record)?;
    let (key_algorithm, key_curve) = match record.algorithm {
        Algorithm::EdDsa => ("EdDSA", "Ed25519"),
        _ => ("ECDSA", "P-256"),
    };
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    Ok(Fido2Out {
        credential_id: credential_id_text(&record.credential_id),
        key_type: "public-key",
        key_algorithm,
        key_curve,
        key_value: Zeroizing::new(b64.encode(pkcs8.as_slice())),
        rp_id: record.rp_id.clone(),
        user_handle: b64.encode(&record.user_handle),
        user_name: record.user_name.clone(),
        counter: "0",
        rp_name: record.rp_id.clone(),
        user_display_name: record.user_display_name.clone(),
        discoverable: "true",
        creation_date: Timestamp(record.created_at).to_iso8601(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_ids_as_bitwarden_writes_them() {
        let uuid = "08d70b74-e9f5-4522-a425-e5dcd40107e7";
        let bytes = credential_id(uuid).unwrap();
        assert_eq!(
            bytes,
            [
                0x08, 0xd7, 0x0b, 0x74, 0xe9, 0xf5, 0x45, 0x22, 0xa4, 0x25, 0xe5, 0xdc, 0xd4, 0x01,
                0x07, 0xe7
            ]
        );
        assert_eq!(credential_id_text(&bytes), uuid);
        assert_eq!(credential_id("b64.AAECAw").unwrap(), [0, 1, 2, 3]);
        assert_eq!(credential_id_text(&[0, 1, 2, 3]), "b64.AAECAw");
        // 16 bytes that are no UUID of versions 1 to 5 go as base64url.
        assert_eq!(credential_id_text(&[0; 16]), "b64.AAAAAAAAAAAAAAAAAAAAAA");
        assert_eq!(
            credential_id("b64.AAAAAAAAAAAAAAAAAAAAAA").unwrap(),
            [0; 16]
        );
        for bad in [
            "",
            "08d70b74e9f54522a425e5dcd40107e7",
            "08d70b74-e9f5-4522-a425-e5dcd40107eg",
            "08d70b7-4e9f5-4522-a425-e5dcd40107e7",
            "b64.!!",
            "08d70b74-e9f5-4522-a425-e5dcd40107é",
        ] {
            assert!(
                matches!(credential_id(bad), Err(Problem::Malformed(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn base64_in_either_alphabet_with_or_without_padding() {
        for text in ["-_8", "+/8", "-_8=", "+/8="] {
            assert_eq!(base64(text, "x").unwrap(), [0xfb, 0xff], "{text}");
        }
        assert!(base64("a b", "x").is_err());
    }
}
