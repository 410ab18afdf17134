//! What a vault record becomes on the wire: the body of a synced record ([`Item`]), sealed
//! under the account key by `credwell_sync::client`. Blind indexes are not part of it: each
//! device computes its own under its own vault key.

use std::cmp::Ordering;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use credwell_core::{
    Credential, CustomField, Extras, FederatedCredential, Origin, OriginFlags, Password,
    PasswordCredential, SecretText,
};
use credwell_sync::merge::Body;
use credwell_vault::PasskeyEntry;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

mod de;

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

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
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

/// A password credential's extras on the wire: notes, TOTP secret, custom fields, folder and
/// favourite mark, each absent when empty.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemExtras {
    /// Notes.
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub notes: Secret,
    /// The TOTP secret (an `otpauth://` URI or base32).
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub totp: Secret,
    /// Custom fields, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<ItemField>,
    /// The folder.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub folder: String,
    /// The favourite mark.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub favorite: bool,
}

/// A custom field on the wire.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemField {
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: Secret,
    /// Whether its value is hidden.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
}

impl Default for Secret {
    fn default() -> Self {
        Self::new("")
    }
}

impl ItemExtras {
    /// The wire form of a credential's extras; `None` when it has none (the item is then
    /// written as before extras existed).
    pub fn of(extras: &Extras) -> Option<Self> {
        (!extras.is_empty()).then(|| Self {
            notes: Secret::new(extras.notes.expose()),
            totp: Secret::new(extras.totp.expose()),
            fields: extras
                .fields
                .iter()
                .map(|f| ItemField {
                    name: f.name.clone(),
                    value: Secret::new(f.value.expose()),
                    hidden: f.hidden,
                })
                .collect(),
            folder: extras.folder.clone(),
            favorite: extras.favorite,
        })
    }

    /// The extras the vault stores.
    pub fn to_extras(&self) -> Extras {
        Extras {
            notes: SecretText::new(self.notes.expose()),
            totp: SecretText::new(self.totp.expose()),
            fields: self
                .fields
                .iter()
                .map(|f| CustomField {
                    name: f.name.clone(),
                    value: SecretText::new(f.value.expose()),
                    hidden: f.hidden,
                })
                .collect(),
            folder: self.folder.clone(),
            favorite: self.favorite,
        }
    }
}

/// Every kind of record the vault holds, as devices sync it. Read in one pass (`de`): the
/// object's fields straight into their types, without serde's buffered copy.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "k", rename_all = "snake_case")]
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
        /// Notes, TOTP secret, custom fields, folder and favourite mark; absent when there are
        /// none, as in items written before there were any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        extras: Option<ItemExtras>,
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

    /// Whether the vault gives this item back as it is (`Item::of_credential`,
    /// `Item::of_passkey`, `Item::of_flags` of what it stores), as far as the sync state
    /// needs to know: not a password's sync history, which the vault does not store, so a
    /// password with one is saved whole. An item the vault gives back in another form (an
    /// origin it serializes otherwise, flags equal to the defaults, which it does not keep)
    /// fails the digest check when given back and counts as a local change, as it did when
    /// every body was saved: the vault's row already differed from it.
    fn kept_by_device(&self) -> bool {
        match self {
            Self::Password { history, .. } => history.is_empty(),
            Self::Federated { .. } | Self::Passkey { .. } | Self::Flags { .. } => true,
        }
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
    /// The item of a stored credential and its extras (no history: the vault's own is not on
    /// the wire).
    pub fn of_credential(credential: &Credential, extras: &Extras) -> Option<Self> {
        match credential {
            Credential::Password(c) => Some(Self::Password {
                origin: c.origin.to_string(),
                id: c.id.clone(),
                password: Secret::new(c.password.expose()),
                name: c.name.clone(),
                icon: c.icon_url.clone(),
                history: Vec::new(),
                extras: ItemExtras::of(extras),
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

    /// A password item with `password` in place of its own (`None` for other kinds).
    pub fn with_password(&self, password: &str) -> Option<Self> {
        let mut item = self.clone();
        let Self::Password { password: p, .. } = &mut item else {
            return None;
        };
        *p = Secret::new(password);
        Some(item)
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

    /// The extras the vault stores with a password item (none for other kinds).
    pub fn to_extras(&self) -> Extras {
        match self {
            Self::Password {
                extras: Some(extras),
                ..
            } => extras.to_extras(),
            _ => Extras::default(),
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
            extras: None,
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
        let back = Item::of_credential(&credential, &item.to_extras()).unwrap();
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

    #[test]
    fn extras_travel_in_the_item_sealed_fields_hidden_and_absent_when_empty() {
        let extras = Extras {
            notes: SecretText::new("NOTE-CANARY"),
            totp: SecretText::new("otpauth://totp/a?secret=TOTPCANARY"),
            fields: vec![CustomField {
                name: "PIN".into(),
                value: SecretText::new("FIELD-CANARY"),
                hidden: true,
            }],
            folder: "Work".into(),
            favorite: true,
        };
        let credential = password("p", &[]).to_credential().unwrap();
        let item = Item::of_credential(&credential, &extras).unwrap();
        assert_eq!(item.to_extras(), extras);
        let shown = format!("{item:?}");
        for secret in ["NOTE-CANARY", "TOTPCANARY", "FIELD-CANARY"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        let json = serde_json::to_string(&item).unwrap();
        assert!(
            json.contains(r#""extras":{"notes":"NOTE-CANARY""#),
            "{json}"
        );
        let parsed: Item = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed, item);
        // The extras are part of what the vault holds: a note edited elsewhere is written.
        let mut other = extras.clone();
        other.notes = SecretText::new("changed");
        let changed = Item::of_credential(&credential, &other).unwrap();
        assert!(!changed.same_in_vault(&item));
        // No extras: the item is written as before there were any.
        let bare = Item::of_credential(&credential, &Extras::default()).unwrap();
        assert_eq!(bare, password("p", &[]));
        let json = serde_json::to_string(&bare).unwrap();
        assert!(!json.contains("extras"), "{json}");
        // An unknown key inside the extras is refused, as anywhere in an item.
        let bad = concat!(
            r#"{"k":"password","origin":"https://a.example","id":"alice","password":"p","#,
            r#""name":"","icon":"","history":[],"extras":{"colour":"red"}}"#
        );
        assert!(serde_json::from_str::<Item>(bad).is_err());
    }
}
