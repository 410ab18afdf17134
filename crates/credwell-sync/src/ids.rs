//! Identifiers: 16 random bytes each, written as unpadded base64url in JSON and URLs.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a text is not an identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not an identifier: 22 base64url characters (16 bytes) expected")]
pub struct BadId;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; 16]);

        impl $name {
            /// A new random identifier, from the operating system's generator.
            pub fn random() -> Result<Self, getrandom::Error> {
                let mut bytes = [0; 16];
                getrandom::fill(&mut bytes)?;
                Ok(Self(bytes))
            }

            /// The identifier from its 16 bytes, as a database returns them.
            pub fn from_slice(bytes: &[u8]) -> Result<Self, BadId> {
                bytes.try_into().map(Self).map_err(|_| BadId)
            }

            /// Parses the unpadded base64url form.
            pub fn parse(text: &str) -> Result<Self, BadId> {
                if text.len() != 22 {
                    return Err(BadId);
                }
                let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| BadId)?;
                Self::from_slice(&bytes)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&URL_SAFE_NO_PAD.encode(self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({self})", stringify!($name))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

id_type!(
    /// An account on a sync server: every table's key starts with it.
    AccountId
);
id_type!(
    /// One device of an account; each has its own token and can be revoked alone.
    DeviceId
);
id_type!(
    /// A synced record, chosen at random by the device that created it.
    RecordId
);
id_type!(
    /// One sign-in in progress (between OPAQUE's KE2 and KE3), chosen at random by the server.
    LoginId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_as_text_and_json_and_refuse_other_lengths() {
        let id = RecordId([0xfb; 16]);
        let text = id.to_string();
        assert_eq!(text.len(), 22);
        assert_eq!(RecordId::parse(&text), Ok(id));
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<RecordId>(&json).unwrap(), id);
        for bad in ["", "AAAA", &format!("{text}A"), "!!!!!!!!!!!!!!!!!!!!!!"] {
            assert_eq!(RecordId::parse(bad), Err(BadId), "{bad:?}");
        }
        assert!(serde_json::from_str::<RecordId>("\"AAAA\"").is_err());
        assert_ne!(RecordId::random().unwrap(), RecordId::random().unwrap());
    }
}
