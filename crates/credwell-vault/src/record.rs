//! What is sealed inside a record: the credential or the per-origin flags, as JSON.

use credwell_core::{
    Credential, CustomField, Extras, FederatedCredential, Origin, OriginFlags, Password,
    PasswordCredential, PastPassword, SecretText, Timestamp,
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

/// What is sealed, as written. Reading goes through [`Fields`]. The texts are borrowed from
/// the credential: no copy of a password is made to write it.
#[derive(Serialize)]
#[serde(tag = "k")]
enum Payload<'a> {
    #[serde(rename = "p")]
    Password {
        origin: &'a str,
        id: &'a str,
        password: &'a str,
        name: &'a str,
        icon: &'a str,
        /// The password history, oldest first. Absent when empty, as in records written
        /// before there was a history: both read as no history.
        #[serde(rename = "h", skip_serializing_if = "Vec::is_empty")]
        history: Vec<PastRef<'a>>,
        /// Notes, TOTP secret, custom fields, folder and favourite mark. Absent when there are
        /// none, as in records written before there were any: both read as none.
        #[serde(rename = "x", skip_serializing_if = "Option::is_none")]
        extras: Option<ExtrasOut>,
    },
    #[serde(rename = "f")]
    Federated {
        origin: &'a str,
        id: &'a str,
        provider: &'a str,
        protocol: Option<&'a str>,
        name: &'a str,
        icon: &'a str,
    },
    #[serde(rename = "o")]
    Flags {
        origin: &'a str,
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

/// [`PastOut`] as written, borrowed from the history.
#[derive(Serialize)]
struct PastRef<'a> {
    p: &'a str,
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

/// A password credential's extras as sealed: notes (`n`), TOTP secret (`t`), custom fields
/// (`f`), folder (`d`) and favourite mark (`s`), each absent when empty.
#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ExtrasOut {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    n: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    t: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    f: Vec<FieldOut>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    d: String,
    #[serde(default, skip_serializing_if = "is_false")]
    s: bool,
}

/// One custom field as sealed: its name (`n`), value (`v`) and hidden mark (`h`, absent when
/// false).
#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FieldOut {
    n: String,
    v: String,
    #[serde(default, skip_serializing_if = "is_false")]
    h: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Drop for ExtrasOut {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.n.zeroize();
        self.t.zeroize();
    }
}

impl Drop for FieldOut {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.v.zeroize();
    }
}

/// The JSON of the extras object besides its texts: keys, quotes, braces, `true`.
const EXTRAS_OVERHEAD: usize = 48;
/// The JSON of one custom field besides its texts.
const FIELD_OVERHEAD: usize = 32;

impl ExtrasOut {
    /// `None` when there is nothing extra: the record is written as before extras existed.
    fn of(extras: &Extras) -> Option<Self> {
        (!extras.is_empty()).then(|| Self {
            n: extras.notes.expose().to_owned(),
            t: extras.totp.expose().to_owned(),
            f: extras
                .fields
                .iter()
                .map(|f| FieldOut {
                    n: f.name.clone(),
                    v: f.value.expose().to_owned(),
                    h: f.hidden,
                })
                .collect(),
            d: extras.folder.clone(),
            s: extras.favorite,
        })
    }

    fn text_len(&self) -> usize {
        EXTRAS_OVERHEAD
            + self.n.len()
            + self.t.len()
            + self.d.len()
            + self
                .f
                .iter()
                .map(|f| f.n.len() + f.v.len() + FIELD_OVERHEAD)
                .sum::<usize>()
    }

    /// The extras, moved out (the emptied strings are still zeroized on drop).
    fn take(&mut self) -> Extras {
        Extras {
            notes: SecretText::new(std::mem::take(&mut self.n)),
            totp: SecretText::new(std::mem::take(&mut self.t)),
            fields: self
                .f
                .iter_mut()
                .map(|f| CustomField {
                    name: std::mem::take(&mut f.n),
                    value: SecretText::new(std::mem::take(&mut f.v)),
                    hidden: f.h,
                })
                .collect(),
            folder: std::mem::take(&mut self.d),
            favorite: self.s,
        }
    }
}

/// A credential record opened: the credential, its password history and its extras.
pub(crate) struct Opened {
    pub(crate) credential: Credential,
    pub(crate) history: Vec<PastPassword>,
    pub(crate) extras: Extras,
}

/// Serializes a credential, its password history and its extras for sealing (the buffer is
/// zeroized when dropped). `None` for a kind the vault does not store, and for extras on
/// anything but a password credential.
pub(crate) fn encode_credential(
    credential: &Credential,
    history: &[PastPassword],
    extras: &Extras,
) -> Option<Zeroizing<Vec<u8>>> {
    let payload = match credential {
        Credential::Password(c) => Payload::Password {
            origin: c.origin.serialized(),
            id: &c.id,
            password: c.password.expose(),
            name: &c.name,
            icon: &c.icon_url,
            history: history
                .iter()
                .map(|h| PastRef {
                    p: h.password.expose(),
                    t: h.replaced.0,
                })
                .collect(),
            extras: ExtrasOut::of(extras),
        },
        Credential::Federated(_) if !extras.is_empty() => return None,
        Credential::Federated(c) => Payload::Federated {
            origin: c.origin.serialized(),
            id: &c.id,
            provider: &c.provider,
            protocol: c.protocol.as_deref(),
            name: &c.name,
            icon: &c.icon_url,
        },
        _ => return None,
    };
    to_sealable(&payload)
}

impl Payload<'_> {
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
                extras,
            } => {
                [origin, id, password, name, icon]
                    .iter()
                    .map(|s| s.len())
                    .sum::<usize>()
                    + history
                        .iter()
                        .map(|h| h.p.len() + PAST_OVERHEAD)
                        .sum::<usize>()
                    + extras.as_ref().map_or(0, ExtrasOut::text_len)
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
                    + protocol.map_or(0, str::len)
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
fn to_sealable(payload: &Payload<'_>) -> Option<Zeroizing<Vec<u8>>> {
    let mut buffer = buffer_for(payload.text_len());
    serde_json::to_writer(&mut *buffer, payload).ok()?;
    Some(buffer)
}

pub(crate) fn encode_flags(origin: &Origin, flags: OriginFlags) -> Zeroizing<Vec<u8>> {
    let payload = Payload::Flags {
        origin: origin.serialized(),
        prevent_silent_access: flags.prevent_silent_access,
        never_save: flags.never_save,
    };
    to_sealable(&payload).unwrap_or_default()
}

/// Reads a sealed credential, its password history and its extras back; `None` if the bytes
/// are not a credential of `kind`.
///
/// `known` is the origin the caller looked up: when the sealed origin is its serialization, it
/// is reused instead of parsed again (parsing means a URL parse and a Public Suffix List lookup).
pub(crate) fn decode_credential(
    bytes: &[u8],
    kind: RecordKind,
    known: Option<(&Origin, &str)>,
) -> Option<Opened> {
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
            let extras = fields.x.as_mut().map(ExtrasOut::take).unwrap_or_default();
            Some(Opened {
                credential,
                history,
                extras,
            })
        }
        ("f", RecordKind::Federated) if fields.h.is_empty() && fields.x.is_none() => {
            let credential = Credential::Federated(FederatedCredential {
                origin,
                id: fields.id.take()?,
                provider: fields.provider.take()?,
                protocol: fields.protocol.take(),
                name: fields.name.take()?,
                icon_url: fields.icon.take()?,
            });
            Some(Opened {
                credential,
                history: Vec::new(),
                extras: Extras::default(),
            })
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
    /// A password credential's extras (absent in records written before there were any, and
    /// when it has none).
    x: Option<ExtrasOut>,
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

    /// The credential and history of a record (its extras aside).
    fn decode(
        bytes: &[u8],
        kind: RecordKind,
        known: Option<(&Origin, &str)>,
    ) -> Option<(Credential, Vec<PastPassword>)> {
        decode_credential(bytes, kind, known).map(|o| (o.credential, o.history))
    }

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
        let sealed = encode_credential(&credential, &[], &Extras::default()).unwrap();
        assert!(sealed.len() > 4 * 6 * 300);
        assert_eq!(sealed.capacity(), expected, "the buffer grew");
        let (back, history) = decode(&sealed, RecordKind::Password, None).unwrap();
        assert_eq!(back, credential);
        assert!(history.is_empty());
        // With a history of worst-case passwords and the largest times, no growth either.
        let history: Vec<PastPassword> = (0..credwell_core::MAX_PASSWORD_HISTORY)
            .map(|_| PastPassword {
                password: Password::new(worst.as_str()),
                replaced: Timestamp(u64::MAX),
            })
            .collect();
        let sealed = encode_credential(&credential, &history, &Extras::default()).unwrap();
        let with_history = payload_len + history.len() * (worst.len() + PAST_OVERHEAD);
        assert_eq!(
            sealed.capacity(),
            buffer_for(with_history).capacity(),
            "the buffer grew"
        );
        let (back, read) = decode(&sealed, RecordKind::Password, None).unwrap();
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
        let (credential, history) = decode(old, RecordKind::Password, None).unwrap();
        assert!(history.is_empty());
        // No history, no "h": the record is written as before, byte for byte.
        assert_eq!(
            &encode_credential(&credential, &[], &Extras::default()).unwrap()[..],
            old
        );
        let past = [PastPassword {
            password: Password::new("older"),
            replaced: Timestamp(5),
        }];
        let sealed = encode_credential(&credential, &past, &Extras::default()).unwrap();
        let text = std::str::from_utf8(&sealed).unwrap();
        assert!(text.ends_with(r#","h":[{"p":"older","t":5}]}"#), "{text}");
        let (_, read) = decode(&sealed, RecordKind::Password, None).unwrap();
        assert_eq!(read, past);
        // A malformed history is a malformed record, and federated records have none.
        let bad = concat!(
            r#"{"k":"p","origin":"https://a.example","id":"u","password":"p","name":"","#,
            r#""icon":"","h":[{"p":1}]}"#
        )
        .as_bytes();
        assert!(decode(bad, RecordKind::Password, None).is_none());
        let federated = concat!(
            r#"{"k":"f","origin":"https://a.example","id":"u","provider":"https://i.example","#,
            r#""protocol":null,"name":"","icon":"","h":[{"p":"x","t":1}]}"#
        )
        .as_bytes();
        assert!(decode(federated, RecordKind::Federated, None).is_none());
    }

    #[test]
    fn extras_are_sealed_only_when_present_and_read_back_whole() {
        let old: &[u8] = concat!(
            r#"{"k":"p","origin":"https://a.example","id":"u","password":"p","#,
            r#""name":"n","icon":""}"#
        )
        .as_bytes();
        let opened = decode_credential(old, RecordKind::Password, None).unwrap();
        assert!(opened.extras.is_empty());
        let credential = opened.credential;
        let extras = Extras {
            notes: SecretText::new("line 1\nline \u{1}2"),
            totp: SecretText::new("otpauth://totp/a?secret=GEZDGNBV"),
            fields: vec![
                CustomField {
                    name: "PIN".into(),
                    value: SecretText::new("4711"),
                    hidden: true,
                },
                CustomField {
                    name: "Account".into(),
                    value: SecretText::new("12-34"),
                    hidden: false,
                },
            ],
            folder: "Banking/Private".into(),
            favorite: true,
        };
        let sealed = encode_credential(&credential, &[], &extras).unwrap();
        let text = std::str::from_utf8(&sealed).unwrap();
        assert!(text.starts_with(&std::str::from_utf8(old).unwrap()[..old.len() - 1]));
        assert!(text.contains(r#","x":{"n":"#), "{text}");
        assert!(text.contains(r#"{"n":"Account","v":"12-34"}"#), "{text}");
        let back = decode_credential(&sealed, RecordKind::Password, None).unwrap();
        assert_eq!((back.credential, back.extras), (credential.clone(), extras));
        // One kind alone is written alone.
        let favourite = Extras {
            favorite: true,
            ..Extras::default()
        };
        let sealed = encode_credential(&credential, &[], &favourite).unwrap();
        assert!(
            std::str::from_utf8(&sealed)
                .unwrap()
                .ends_with(r#""icon":"","x":{"s":true}}"#)
        );
        // Malformed extras, unknown keys in them, and extras on a federated record are refused.
        for bad in [
            r#""x":{"n":1}"#,
            r#""x":{"f":[{"n":"a"}]}"#,
            r#""x":{"z":"?"}"#,
            r#""x":{"f":[{"n":"a","v":"b","q":1}]}"#,
        ] {
            let start = r#"{"k":"p","origin":"https://a.example","id":"u","password":"p","#;
            let json = format!(r#"{start}"name":"","icon":"",{bad}}}"#);
            assert!(
                decode_credential(json.as_bytes(), RecordKind::Password, None).is_none(),
                "{bad}"
            );
        }
        let federated = concat!(
            r#"{"k":"f","origin":"https://a.example","id":"u","provider":"https://i.example","#,
            r#""protocol":null,"name":"","icon":"","x":{"n":"x"}}"#
        )
        .as_bytes();
        assert!(decode_credential(federated, RecordKind::Federated, None).is_none());
        let federated = Credential::Federated(FederatedCredential {
            id: "u".into(),
            provider: "https://i.example".into(),
            protocol: None,
            name: String::new(),
            icon_url: String::new(),
            origin: Origin::parse("https://a.example").unwrap(),
        });
        assert!(encode_credential(&federated, &[], &favourite).is_none());
        assert!(encode_credential(&federated, &[], &Extras::default()).is_some());
    }

    #[test]
    fn worst_case_extras_never_reallocate_the_buffer() {
        let worst = "\u{1}".repeat(200);
        let credential = Credential::Password(PasswordCredential {
            id: worst.clone(),
            password: Password::new(worst.as_str()),
            name: worst.clone(),
            icon_url: worst.clone(),
            origin: Origin::parse("https://a.example").unwrap(),
        });
        let extras = Extras {
            notes: SecretText::new(worst.as_str()),
            totp: SecretText::new(worst.as_str()),
            fields: (0..20)
                .map(|_| CustomField {
                    name: worst.clone(),
                    value: SecretText::new(worst.as_str()),
                    hidden: true,
                })
                .collect(),
            folder: worst.clone(),
            favorite: true,
        };
        let sealed = encode_credential(&credential, &[], &extras).unwrap();
        let payload = match &credential {
            Credential::Password(_) => "https://a.example".len() + 4 * worst.len(),
            _ => unreachable!(),
        };
        let extras_len =
            EXTRAS_OVERHEAD + 3 * worst.len() + 20 * (2 * worst.len() + FIELD_OVERHEAD);
        assert_eq!(
            sealed.capacity(),
            buffer_for(payload + extras_len).capacity(),
            "the buffer grew"
        );
        let back = decode_credential(&sealed, RecordKind::Password, None).unwrap();
        assert_eq!(back.extras, extras);
    }

    #[test]
    fn a_payload_missing_a_field_or_of_another_kind_is_refused() {
        let full: &[u8] = concat!(
            r#"{"k":"p","origin":"https://a.example","id":"u","password":"p","#,
            r#""name":"","icon":""}"#
        )
        .as_bytes();
        assert!(decode(full, RecordKind::Password, None).is_some());
        assert!(decode(full, RecordKind::Federated, None).is_none());
        assert!(decode_flags(full).is_none());
        let no_password = br#"{"k":"p","origin":"https://a.example","id":"u","name":"","icon":""}"#;
        assert!(decode(no_password, RecordKind::Password, None).is_none());
        let bad_origin =
            br#"{"k":"p","origin":"not an origin","id":"u","password":"p","name":"","icon":""}"#;
        assert!(decode(bad_origin, RecordKind::Password, None).is_none());
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
        assert!(decode(&flags, RecordKind::Password, None).is_none());
    }
}
