//! What is sealed inside a record: the credential or the per-origin flags, as JSON.

use credwell_core::{
    Credential, FederatedCredential, Origin, OriginFlags, Password, PasswordCredential,
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
}

impl RecordKind {
    pub(crate) fn from_i64(v: i64) -> Option<Self> {
        match v {
            1 => Some(Self::Password),
            2 => Some(Self::Federated),
            3 => Some(Self::OriginFlags),
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

#[derive(Serialize, Deserialize)]
#[serde(tag = "k")]
enum Payload {
    #[serde(rename = "p")]
    Password {
        origin: String,
        id: String,
        password: String,
        name: String,
        icon: String,
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

impl Drop for Payload {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        if let Self::Password { password, .. } = self {
            password.zeroize();
        }
    }
}

/// Serializes a credential for sealing (the buffer is zeroized when dropped).
pub(crate) fn encode_credential(credential: &Credential) -> Option<Zeroizing<Vec<u8>>> {
    let payload = match credential {
        Credential::Password(c) => Payload::Password {
            origin: c.origin.to_string(),
            id: c.id.clone(),
            password: c.password.expose().to_owned(),
            name: c.name.clone(),
            icon: c.icon_url.clone(),
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
            } => [origin, id, password, name, icon]
                .iter()
                .map(|s| s.len())
                .sum(),
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

/// Reads a sealed credential back; `None` if the bytes are not a credential of `kind`.
///
/// `known` is the origin the caller looked up: when the sealed origin is its serialization, it
/// is reused instead of parsed again (parsing means a URL parse and a Public Suffix List lookup).
pub(crate) fn decode_credential(
    bytes: &[u8],
    kind: RecordKind,
    known: Option<(&Origin, &str)>,
) -> Option<Credential> {
    let mut payload: Payload = serde_json::from_slice(bytes).ok()?;
    let parse = |origin: &str| match known {
        Some((known, serialized)) if serialized == origin => Some(known.clone()),
        _ => Origin::parse(origin).ok(),
    };
    // Fields are moved out (`take`), not copied: no extra copy of a password is made, and the
    // emptied payload is still zeroized on drop.
    let take = std::mem::take::<String>;
    match (&mut payload, kind) {
        (
            Payload::Password {
                origin,
                id,
                password,
                name,
                icon,
            },
            RecordKind::Password,
        ) => Some(Credential::Password(PasswordCredential {
            origin: parse(origin)?,
            id: take(id),
            password: Password::new(take(password)),
            name: take(name),
            icon_url: take(icon),
        })),
        (
            Payload::Federated {
                origin,
                id,
                provider,
                protocol,
                name,
                icon,
            },
            RecordKind::Federated,
        ) => Some(Credential::Federated(FederatedCredential {
            origin: parse(origin)?,
            id: take(id),
            provider: take(provider),
            protocol: protocol.take(),
            name: take(name),
            icon_url: take(icon),
        })),
        _ => None,
    }
}

/// Reads sealed flags back: the origin they belong to and the flags.
pub(crate) fn decode_flags(bytes: &[u8]) -> Option<(String, OriginFlags)> {
    match serde_json::from_slice::<Payload>(bytes).ok()? {
        Payload::Flags {
            ref origin,
            prevent_silent_access,
            never_save,
        } => Some((
            origin.clone(),
            OriginFlags {
                prevent_silent_access,
                never_save,
            },
        )),
        _ => None,
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
        let sealed = encode_credential(&credential).unwrap();
        assert!(sealed.len() > 4 * 6 * 300);
        assert_eq!(sealed.capacity(), expected, "the buffer grew");
        let back = decode_credential(&sealed, RecordKind::Password, None).unwrap();
        assert_eq!(back, credential);
    }
}
