//! What is sealed inside a record: the credential or the per-origin flags, as JSON.

use credwell_core::{
    Credential, FederatedCredential, Origin, OriginFlags, Password, PasswordCredential,
    PastPassword, Timestamp,
};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// A record's kind, stored in clear (and bound into the associated data).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    /// A `PasswordCredential`.
    Password = 1,
    /// A `FederatedCredential`.
    Federated = 2,
    /// An origin's flags.
    OriginFlags = 3,
    /// A passkey (its layout belongs to the authenticator; see [`crate::PasskeyEntry`]).
    Passkey = 4,
    /// A value the sync client keeps (its account and its state; see [`crate::Vault::sync_value`]).
    SyncValue = 5,
}

impl RecordKind {
    pub(crate) fn from_i64(v: i64) -> Option<Self> {
        match v {
            1 => Some(Self::Password),
            2 => Some(Self::Federated),
            3 => Some(Self::OriginFlags),
            4 => Some(Self::Passkey),
            5 => Some(Self::SyncValue),
            _ => None,
        }
    }

    pub(crate) fn of(credential: &Credential) -> Option<Self> {
        match credential {
            Credential::Password(_) => Some(Self::Password),
            Credential::Federated(_) => Some(Self::Federated),
            _ => None,
        }
    }
}

/// What is sealed, as written. Reading goes through [`Fields`].
#[derive(Serialize)]
#[serde(tag = "k")]
enum Payload {
    #[serde(rename = "p")]
    Password {
        origin: String,
        id: String,
        password: String,
        name: String,
        icon: String,
        /// The password history, oldest first. Absent when empty, as in records written
        /// before there was a history: both read as no history.
        #[serde(rename = "h", skip_serializing_if = "Vec::is_empty")]
        history: Vec<PastOut>,
    },
    #[serde(rename = "f")]
    Federated {
        origin: String,
        id: String,
        provider: String,
        protocol: Option<String>,
        name: String,
        icon: String,
    },
    #[serde(rename = "o")]
    Flags {
        origin: String,
        prevent_silent_access: bool,
        never_save: bool,
    },
}

/// One password of a history as sealed: the password (`p`) and when it was replaced (`t`, ms
/// since the epoch).
#[derive(Serialize, Deserialize, Default)]
struct PastOut {
    p: String,
    t: u64,
}

impl Drop for PastOut {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.p.zeroize();
    }
}

/// The JSON of one history entry besides its password: keys, quotes, braces and the time.
const PAST_OVERHEAD: usize = 40;

impl Drop for Payload {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        if let Self::Password { password, .. } = self {
            password.zeroize();
        }
    }
}

/// Serializes a credential and its password history for sealing (the buffer is zeroized when
/// dropped).
pub(crate) fn encode_credential(
    credential: &Credential,
    history: &[PastPassword],
) -> Option<Zeroizing<Vec<u8>>> {
    let payload = match credential {
        Credential::Password(c) => Payload::Password {
            origin: c.origin.to_string(),
            id: c.id.clone(),
            password: c.password.expose().to_owned(),
            name: c.name.clone(),
            icon: c.icon_url.clone(),
            history: history
                .iter()
                .map(|h| PastOut {
                    p: h.password.expose().to_owned(),
                    t: h.replaced.0,
                })
                .collect(),
        },
        Credential::Federated(c) => Payload::Federated {
            origin: c.origin.to_string(),
            id: c.id.clone(),
            provider: c.provider.clone(),
            protocol: c.protocol.clone(),
            name: c.name.clone(),
            icon: c.icon_url.clone(),
        },
        _ => return None,
    };
    to_sealable(&payload)
}

impl Payload {
    /// The bytes of every string field: the JSON is at most six times that plus punctuation.
    fn text_len(&self) -> usize {
        match self {
            Self::Password {
                origin,
                id,
                password,
                name,
                icon,
                history,
            } => {
                [origin, id, password, name, icon]
                    .iter()
                    .map(|s| s.len())
                    .sum::<usize>()
                    + history
                        .iter()
                        .map(|h| h.p.len() + PAST_OVERHEAD)
                        .sum::<usize>()
            }
            Self::Federated {
                origin,
                id,
                provider,
                protocol,
                name,
                icon,
            } => {
                [origin, id, provider, name, icon]
                    .iter()
                    .map(|s| s.len())
                    .sum::<usize>()
                    + protocol.as_ref().map_or(0, String::len)
            }
            Self::Flags { origin, .. } => origin.len(),
        }
    }
}

/// A buffer large enough for the JSON of a payload whose strings total `text_len` bytes: JSON
/// writes at most 6 bytes per input byte (`\u00XX`), and 256 bytes cover keys and punctuation.
fn buffer_for(text_len: usize) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(Vec::with_capacity(
        text_len.saturating_mul(6).saturating_add(256),
    ))
}

/// Serializes `payload` into a buffer that is zeroized when dropped and never grows: growing
/// would free a copy of the password without wiping it.
fn to_sealable(payload: &Payload) -> Option<Zeroizing<Vec<u8>>> {
    let mut buffer = buffer_for(payload.text_len());
    serde_json::to_writer(&mut *buffer, payload).ok()?;
    Some(buffer)
}

pub(crate) fn encode_flags(origin: &Origin, flags: OriginFlags) -> Zeroizing<Vec<u8>> {
    let payload = Payload::Flags {
        origin: origin.to_string(),
        prevent_silent_access: flags.prevent_silent_access,
        never_save: flags.never_save,
    };
    to_sealable(&payload).unwrap_or_default()
}

/// Reads a sealed credential and its password history back; `None` if the bytes are not a
/// credential of `kind`.
///
/// `known` is the origin the caller looked up: when the sealed origin is its serialization, it
/// is reused instead of parsed again (parsing means a URL parse and a Public Suffix List lookup).
pub(crate) fn decode_credential(
    bytes: &[u8],
    kind: RecordKind,
    known: Option<(&Origin, &str)>,
) -> Option<(Credential, Vec<PastPassword>)> {
    let mut fields: Fields = serde_json::from_slice(bytes).ok()?;
    let origin = match known {
        Some((known, serialized)) if serialized == fields.origin.as_str() => known.clone(),
        _ => Origin::parse(&fields.origin).ok()?,
    };
    // Fields are moved out (`take`), not copied: no extra copy of a password is made, and the
    // emptied fields are still zeroized on drop.
    match (fields.k.as_str(), kind) {
        ("p", RecordKind::Password) => {
            let credential = Credential::Password(PasswordCredential {
                origin,
                id: fields.id.take()?,
                password: Password::new(fields.password.take()?),
                name: fields.name.take()?,
                icon_url: fields.icon.take()?,
            });
            let history = fields
                .h
                .iter_mut()
                .map(|h| PastPassword {
                    password: Password::new(std::mem::take(&mut h.p)),
                    replaced: Timestamp(h.t),
                })
                .collect();
            Some((credential, history))
        }
        ("f", RecordKind::Federated) if fields.h.is_empty() => {
            let credential = Credential::Federated(FederatedCredential {
                origin,
                id: fields.id.take()?,
                provider: fields.provider.take()?,
                protocol: fields.protocol.take(),
                name: fields.name.take()?,
                icon_url: fields.icon.take()?,
            });
            Some((credential, Vec::new()))
        }
        _ => None,
    }
}

/// Reads sealed flags back: the origin they belong to and the flags.
pub(crate) fn decode_flags(bytes: &[u8]) -> Option<(String, OriginFlags)> {
    let mut fields: Fields = serde_json::from_slice(bytes).ok()?;
    if fields.k != "o" {
        return None;
    }
    Some((
        std::mem::take(&mut fields.origin),
        OriginFlags {
            prevent_silent_access: fields.prevent_silent_access?,
            never_save: fields.never_save?,
        },
    ))
}

/// Every field a [`Payload`] can have, read in one pass.
///
/// Serde reads an internally tagged enum by first buffering the whole object (strings included)
/// into an intermediate value: slower, and a copy of the password that nothing wipes. This flat
/// form reads the same JSON straight into its fields; which of them must be present is checked
/// per kind by the decoder.
#[derive(Deserialize)]
struct Fields {
    k: String,
    origin: String,
    id: Option<String>,
    password: Option<String>,
    provider: Option<String>,
    protocol: Option<String>,
    name: Option<String>,
    icon: Option<String>,
    prevent_silent_access: Option<bool>,
    never_save: Option<bool>,
    /// A password credential's history (absent in records written before there was one).
    #[serde(default)]
    h: Vec<PastOut>,
}

impl Drop for Fields {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        if let Some(password) = &mut self.password {
            password.zeroize();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializing_never_reallocates_the_buffer_holding_the_password() {
        // Control characters are the worst case: six bytes of JSON each.
        let worst = "\u{1}".repeat(300);
        let credential = Credential::Password(PasswordCredential {
            id: worst.clone(),
            password: Password::new(worst.as_str()),
            name: worst.clone(),
            icon_url: worst.clone(),
            origin: Origin::parse("https://a.example").unwrap(),
        });
        let payload_len = "https://a.example".len() + 4 * worst.len();
        let expected = buffer_for(payload_len).capacity();
        let sealed = encode_credential(&credential, &[]).unwrap();
        assert!(sealed.len() > 4 * 6 * 300);
        assert_eq!(sealed.capacity(), expected, "the buffer grew");
        let (back, history) = decode_credential(&sealed, RecordKind::Password, None).unwrap();
        assert_eq!(back, credential);
        assert!(history.is_empty());
        // With a history of worst-case passwords and the largest times, no growth either.
        let history: Vec<PastPassword> = (0..credwell_core::MAX_PASSWORD_HISTORY)
            .map(|_| PastPassword {
                password: Password::new(worst.as_str()),
                replaced: Timestamp(u64::MAX),
            })
            .collect();
        let sealed = encode_credential(&credential, &history).unwrap();
        let with_history = payload_len + history.len() * (worst.len() + PAST_OVERHEAD);
        assert_eq!(
            sealed.capacity(),
            buffer_for(with_history).capacity(),
            "the buffer grew"
        );
        let (back, read) = decode_credential(&sealed, RecordKind::Password, None).unwrap();
        assert_eq!((back, read), (credential, history));
    }

    #[test]
    fn a_record_without_a_history_reads_as_one_with_none_and_is_written_alike() {
        // A password record as every version before the history wrote it.
        let old: &[u8] = concat!(
            r#"{"k":"p","origin":"https://a.example","id":"u","password":"p","#,
            r#""name":"n","icon":""}"#
        )
        .as_bytes();
        let (credential, history) = decode_credential(old, RecordKind::Password, None).unwrap();
        assert!(history.is_empty());
        // No history, no "h": the record is written as before, byte for byte.
        assert_eq!(&encode_credential(&credential, &[]).unwrap()[..], old);
        let past = [PastPassword {
            password: Password::new("older"),
            replaced: Timestamp(5),
        }];
        let sealed = encode_credential(&credential, &past).unwrap();
        let text = std::str::from_utf8(&sealed).unwrap();
        assert!(text.ends_with(r#","h":[{"p":"older","t":5}]}"#), "{text}");
        let (_, read) = decode_credential(&sealed, RecordKind::Password, None).unwrap();
        assert_eq!(read, past);
        // A malformed history is a malformed record, and federated records have none.
        let bad = concat!(
            r#"{"k":"p","origin":"https://a.example","id":"u","password":"p","name":"","#,
            r#""icon":"","h":[{"p":1}]}"#
        )
        .as_bytes();
        assert!(decode_credential(bad, RecordKind::Password, None).is_none());
        let federated = concat!(
            r#"{"k":"f","origin":"https://a.example","id":"u","provider":"https://i.example","#,
            r#""protocol":null,"name":"","icon":"","h":[{"p":"x","t":1}]}"#
        )
        .as_bytes();
        assert!(decode_credential(federated, RecordKind::Federated, None).is_none());
    }

    #[test]
    fn a_payload_missing_a_field_or_of_another_kind_is_refused() {
        let full: &[u8] = concat!(
            r#"{"k":"p","origin":"https://a.example","id":"u","password":"p","#,
            r#""name":"","icon":""}"#
        )
        .as_bytes();
        assert!(decode_credential(full, RecordKind::Password, None).is_some());
        assert!(decode_credential(full, RecordKind::Federated, None).is_none());
        assert!(decode_flags(full).is_none());
        let no_password = br#"{"k":"p","origin":"https://a.example","id":"u","name":"","icon":""}"#;
        assert!(decode_credential(no_password, RecordKind::Password, None).is_none());
        let bad_origin =
            br#"{"k":"p","origin":"not an origin","id":"u","password":"p","name":"","icon":""}"#;
        assert!(decode_credential(bad_origin, RecordKind::Password, None).is_none());
        let flags = encode_flags(
            &Origin::parse("https://a.example").unwrap(),
            OriginFlags {
                prevent_silent_access: true,
                never_save: false,
            },
        );
        let (origin, read) = decode_flags(&flags).unwrap();
        assert_eq!(origin, "https://a.example");
        assert!(read.prevent_silent_access && !read.never_save);
        assert!(decode_credential(&flags, RecordKind::Password, None).is_none());
    }
}
