//! What a vault record becomes on the wire: the body of a synced record ([`Item`]), sealed
//! under the account key by `credwell_sync::client`. Blind indexes are not part of it: each
//! device computes its own under its own vault key.

use std::cmp::Ordering;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use credwell_core::{
    Credential, FederatedCredential, Origin, OriginFlags, Password, PasswordCredential,
};
use credwell_sync::merge::Body;
use credwell_vault::PasskeyEntry;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

/// A secret string on the wire: zeroized when dropped, never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a secret.
    pub fn new(text: &str) -> Self {
        Self(Zeroizing::new(text.to_owned()))
    }

    /// The secret in clear.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Ord for Secret {
    fn cmp(&self, other: &Self) -> Ordering {
        self.expose().cmp(other.expose())
    }
}

impl PartialOrd for Secret {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.expose())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| Self(Zeroizing::new(s)))
    }
}

/// Secret bytes on the wire (a passkey's payload), as unpadded base64url.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes(<{} bytes, redacted>)", self.0.len())
    }
}

impl Serialize for SecretBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&Zeroizing::new(URL_SAFE_NO_PAD.encode(&*self.0)))
    }
}

impl<'de> Deserialize<'de> for SecretBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Zeroizing::new(String::deserialize(d)?);
        URL_SAFE_NO_PAD
            .decode(text.as_bytes())
            .map(|b| Self(Zeroizing::new(b)))
            .map_err(|_| serde::de::Error::custom("not unpadded base64url"))
    }
}

/// Every kind of record the vault holds, as devices sync it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Item {
    /// A password credential, with the passwords it replaced or that lost a merge to it
    /// (sorted, each once, never the current one).
    Password {
        /// The origin, serialized.
        origin: String,
        /// The user name.
        id: String,
        /// The password.
        password: Secret,
        /// The display name.
        name: String,
        /// The icon URL.
        icon: String,
        /// Earlier passwords.
        history: Vec<Secret>,
    },
    /// A federated credential.
    Federated {
        /// The origin, serialized.
        origin: String,
        /// The account at the provider.
        id: String,
        /// The provider's origin.
        provider: String,
        /// The protocol, if the site gave one.
        protocol: Option<String>,
        /// The display name.
        name: String,
        /// The icon URL.
        icon: String,
    },
    /// A passkey: the authenticator's own serialization, private key included (its BE and BS
    /// flags are always set: a vault passkey is meant to be synced).
    Passkey {
        /// The relying-party id.
        rp_id: String,
        /// The credential id, base64url.
        credential_id: String,
        /// The authenticator's serialization.
        payload: SecretBytes,
    },
    /// An origin's flags: prevent silent access and "never save for this site".
    Flags {
        /// The origin, serialized.
        origin: String,
        /// Whether the origin requires user mediation.
        prevent_silent_access: bool,
        /// Whether the user chose never to save here.
        never_save: bool,
    },
}

impl Body for Item {
    /// A password credential keeps the loser's password and history in its own history; other
    /// kinds keep nothing of a loser.
    fn keep_from(&mut self, loser: &Self) {
        let (
            Self::Password {
                password, history, ..
            },
            Self::Password {
                password: lost,
                history: lost_history,
                ..
            },
        ) = (self, loser)
        else {
            return;
        };
        history.extend(lost_history.iter().cloned());
        history.push(lost.clone());
        history.sort();
        history.dedup();
        history.retain(|p| p != password);
    }
}

/// Length-prefixed parts: no two lists of parts give the same bytes.
fn natural_key(parts: &[&[u8]]) -> Vec<u8> {
    let mut key = Vec::new();
    for part in parts {
        key.extend_from_slice(&(part.len() as u64).to_be_bytes());
        key.extend_from_slice(part);
    }
    key
}

impl Item {
    /// The item of a stored credential (no history: the vault keeps none).
    pub fn of_credential(credential: &Credential) -> Option<Self> {
        match credential {
            Credential::Password(c) => Some(Self::Password {
                origin: c.origin.to_string(),
                id: c.id.clone(),
                password: Secret::new(c.password.expose()),
                name: c.name.clone(),
                icon: c.icon_url.clone(),
                history: Vec::new(),
            }),
            Credential::Federated(c) => Some(Self::Federated {
                origin: c.origin.to_string(),
                id: c.id.clone(),
                provider: c.provider.clone(),
                protocol: c.protocol.clone(),
                name: c.name.clone(),
                icon: c.icon_url.clone(),
            }),
            _ => None,
        }
    }

    /// The item of a stored passkey.
    pub fn of_passkey(entry: &PasskeyEntry) -> Self {
        Self::Passkey {
            rp_id: entry.rp_id.clone(),
            credential_id: URL_SAFE_NO_PAD.encode(&entry.credential_id),
            payload: SecretBytes(entry.payload.clone()),
        }
    }

    /// The item of an origin's flags.
    pub fn of_flags(origin: &Origin, flags: OriginFlags) -> Self {
        Self::Flags {
            origin: origin.to_string(),
            prevent_silent_access: flags.prevent_silent_access,
            never_save: flags.never_save,
        }
    }

    /// The namespace and natural key its record id is derived from: the same item on every
    /// device gets the same record id.
    pub fn natural_key(&self) -> (&'static str, Vec<u8>) {
        match self {
            Self::Password { origin, id, .. } => {
                ("password", natural_key(&[origin.as_bytes(), id.as_bytes()]))
            }
            Self::Federated {
                origin,
                id,
                provider,
                ..
            } => (
                "federated",
                natural_key(&[origin.as_bytes(), id.as_bytes(), provider.as_bytes()]),
            ),
            Self::Passkey { credential_id, .. } => {
                ("passkey", natural_key(&[credential_id.as_bytes()]))
            }
            Self::Flags { origin, .. } => ("flags", natural_key(&[origin.as_bytes()])),
        }
    }

    /// The same item with the history of `synced` (the version the device holds), so that
    /// comparing it with `synced` compares what the vault stores.
    pub fn with_history_of(mut self, synced: &Self) -> Self {
        if let (Self::Password { history, .. }, Self::Password { history: kept, .. }) =
            (&mut self, synced)
        {
            history.clone_from(kept);
        }
        self
    }

    /// Whether the vault holds the same thing for both (a password's history aside).
    pub fn same_in_vault(&self, other: &Self) -> bool {
        self.clone().with_history_of(other) == *other
    }

    /// The credential the vault stores for a password or federated item.
    pub fn to_credential(&self) -> Option<Credential> {
        match self {
            Self::Password {
                origin,
                id,
                password,
                name,
                icon,
                ..
            } => Some(Credential::Password(PasswordCredential {
                id: id.clone(),
                password: Password::new(password.expose()),
                name: name.clone(),
                icon_url: icon.clone(),
                origin: Origin::parse(origin).ok()?,
            })),
            Self::Federated {
                origin,
                id,
                provider,
                protocol,
                name,
                icon,
            } => Some(Credential::Federated(FederatedCredential {
                id: id.clone(),
                provider: provider.clone(),
                protocol: protocol.clone(),
                name: name.clone(),
                icon_url: icon.clone(),
                origin: Origin::parse(origin).ok()?,
            })),
            _ => None,
        }
    }

    /// The passkey the vault stores for a passkey item.
    pub fn to_passkey(&self) -> Option<PasskeyEntry> {
        let Self::Passkey {
            rp_id,
            credential_id,
            payload,
        } = self
        else {
            return None;
        };
        Some(PasskeyEntry {
            rp_id: rp_id.clone(),
            credential_id: URL_SAFE_NO_PAD.decode(credential_id).ok()?,
            payload: payload.0.clone(),
        })
    }

    /// The origin and flags the vault stores for a flags item.
    pub fn to_flags(&self) -> Option<(Origin, OriginFlags)> {
        let Self::Flags {
            origin,
            prevent_silent_access,
            never_save,
        } = self
        else {
            return None;
        };
        let flags = OriginFlags {
            prevent_silent_access: *prevent_silent_access,
            never_save: *never_save,
        };
        Some((Origin::parse(origin).ok()?, flags))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password(text: &str, history: &[&str]) -> Item {
        Item::Password {
            origin: "https://a.example".into(),
            id: "alice".into(),
            password: Secret::new(text),
            name: String::new(),
            icon: String::new(),
            history: history.iter().map(|h| Secret::new(h)).collect(),
        }
    }

    #[test]
    fn the_winner_keeps_the_losers_passwords_once_and_not_its_own() {
        let mut winner = password("new", &["old"]);
        winner.keep_from(&password("other", &["new", "old", "older"]));
        assert_eq!(winner, password("new", &["old", "older", "other"]));
        let mut flags = Item::of_flags(
            &Origin::parse("https://a.example").unwrap(),
            OriginFlags::default(),
        );
        let before = flags.clone();
        flags.keep_from(&password("x", &[]));
        assert_eq!(flags, before);
    }

    #[test]
    fn items_round_trip_through_the_vaults_types_and_hide_their_secrets() {
        let item = password("S3cret", &["Old5ecret"]);
        let credential = item.to_credential().unwrap();
        let back = Item::of_credential(&credential).unwrap();
        assert!(back.same_in_vault(&item) && back != item);
        let entry = PasskeyEntry {
            rp_id: "a.example".into(),
            credential_id: vec![1, 2, 3],
            payload: Zeroizing::new(b"private key".to_vec()),
        };
        let passkey = Item::of_passkey(&entry);
        assert_eq!(passkey.to_passkey().unwrap(), entry);
        let shown = format!("{item:?} {passkey:?}");
        for secret in ["S3cret", "Old5ecret", "private key"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        let json = serde_json::to_string(&item).unwrap();
        let parsed: Item = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed, item);
        assert!(
            serde_json::from_str::<Item>(&json.replace("\"name\"", "\"x\":1,\"name\"")).is_err()
        );
    }

    #[test]
    fn natural_keys_differ_by_kind_and_by_every_part() {
        let federated = |id: &str, provider: &str| Item::Federated {
            origin: "https://a.example".into(),
            id: id.into(),
            provider: provider.into(),
            protocol: None,
            name: String::new(),
            icon: String::new(),
        };
        let keys = [
            password("p", &[]).natural_key(),
            federated("a\0b", "c").natural_key(),
            federated("a", "b\0c").natural_key(),
            Item::of_flags(
                &Origin::parse("https://a.example").unwrap(),
                OriginFlags::default(),
            )
            .natural_key(),
        ];
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
        // The password does not take part in the key: an edit is the same record.
        assert_eq!(
            password("p", &[]).natural_key(),
            password("q", &["p"]).natural_key()
        );
    }
}
