//! Reading an [`Item`] from its wire form in one pass.
//!
//! The form is serde's internally tagged one (`{"k":"password",...}`, the kind under `k`,
//! anywhere in the object). serde's own reader for it first copies the whole object into a
//! buffer of its own, then reads the kind's fields from that copy: every string twice, and the
//! secrets once more in a buffer that is never zeroized. A first sync reads thousands of items.
//! Here each field is read straight into its own slot (secrets into their zeroizing types);
//! once the object ends, the kind picks its fields. What is accepted is what serde's reader
//! accepts from an object: any order, each field once, no field of another kind or unknown,
//! `extras` and `protocol` absent or null for none.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::{Item, ItemExtras, Secret, SecretBytes};

/// An item's kind, as `k` names it.
#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Password,
    Federated,
    Passkey,
    Flags,
}

/// Every field name of every kind; any other name is an unknown field.
#[derive(Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum Field {
    K,
    Origin,
    Id,
    Password,
    Name,
    Icon,
    History,
    Extras,
    Provider,
    Protocol,
    RpId,
    CredentialId,
    Payload,
    PreventSilentAccess,
    NeverSave,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Self::K => "k",
            Self::Origin => "origin",
            Self::Id => "id",
            Self::Password => "password",
            Self::Name => "name",
            Self::Icon => "icon",
            Self::History => "history",
            Self::Extras => "extras",
            Self::Provider => "provider",
            Self::Protocol => "protocol",
            Self::RpId => "rp_id",
            Self::CredentialId => "credential_id",
            Self::Payload => "payload",
            Self::PreventSilentAccess => "prevent_silent_access",
            Self::NeverSave => "never_save",
        }
    }
}

impl Kind {
    /// The fields an item of this kind has, besides `k`.
    fn fields(self) -> &'static [&'static str] {
        match self {
            Self::Password => &[
                "origin", "id", "password", "name", "icon", "history", "extras",
            ],
            Self::Federated => &["origin", "id", "provider", "protocol", "name", "icon"],
            Self::Passkey => &["rp_id", "credential_id", "payload"],
            Self::Flags => &["origin", "prevent_silent_access", "never_save"],
        }
    }
}

/// Each field's value as read, `None` while absent. `extras` and `protocol` are `Some(None)`
/// when given as null.
#[derive(Default)]
struct Slots {
    k: Option<Kind>,
    origin: Option<String>,
    id: Option<String>,
    password: Option<Secret>,
    name: Option<String>,
    icon: Option<String>,
    history: Option<Vec<Secret>>,
    extras: Option<Option<ItemExtras>>,
    provider: Option<String>,
    protocol: Option<Option<String>>,
    rp_id: Option<String>,
    credential_id: Option<String>,
    payload: Option<SecretBytes>,
    prevent_silent_access: Option<bool>,
    never_save: Option<bool>,
}

/// A field the kind needs, or the error naming it.
fn needed<T, E: de::Error>(slot: Option<T>, field: Field) -> Result<T, E> {
    slot.ok_or_else(|| E::missing_field(field.name()))
}

struct ItemVisitor;

impl<'de> Visitor<'de> for ItemVisitor {
    type Value = Item;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a synced item: an object with its kind under \"k\"")
    }

    /// 1. Read each field into its slot; a field given twice is an error.
    /// 2. The kind: `k`, which must be there.
    /// 3. Every field given must be one of the kind's.
    /// 4. The kind's item from its slots; a field it needs that is absent is an error.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Item, A::Error> {
        // 1.
        let mut s = Slots::default();
        let mut given: Vec<Field> = Vec::with_capacity(8);
        while let Some(field) = map.next_key::<Field>()? {
            if given.contains(&field) {
                return Err(de::Error::duplicate_field(field.name()));
            }
            given.push(field);
            match field {
                Field::K => s.k = Some(map.next_value()?),
                Field::Origin => s.origin = Some(map.next_value()?),
                Field::Id => s.id = Some(map.next_value()?),
                Field::Password => s.password = Some(map.next_value()?),
                Field::Name => s.name = Some(map.next_value()?),
                Field::Icon => s.icon = Some(map.next_value()?),
                Field::History => s.history = Some(map.next_value()?),
                Field::Extras => s.extras = Some(map.next_value()?),
                Field::Provider => s.provider = Some(map.next_value()?),
                Field::Protocol => s.protocol = Some(map.next_value()?),
                Field::RpId => s.rp_id = Some(map.next_value()?),
                Field::CredentialId => s.credential_id = Some(map.next_value()?),
                Field::Payload => s.payload = Some(map.next_value()?),
                Field::PreventSilentAccess => s.prevent_silent_access = Some(map.next_value()?),
                Field::NeverSave => s.never_save = Some(map.next_value()?),
            }
        }
        // 2.
        let kind = needed(s.k, Field::K)?;
        // 3.
        let fields = kind.fields();
        if let Some(other) = given
            .iter()
            .find(|f| **f != Field::K && !fields.contains(&f.name()))
        {
            return Err(de::Error::unknown_field(other.name(), fields));
        }
        // 4.
        Ok(match kind {
            Kind::Password => Item::Password {
                origin: needed(s.origin, Field::Origin)?,
                id: needed(s.id, Field::Id)?,
                password: needed(s.password, Field::Password)?,
                name: needed(s.name, Field::Name)?,
                icon: needed(s.icon, Field::Icon)?,
                history: needed(s.history, Field::History)?,
                extras: s.extras.flatten(),
            },
            Kind::Federated => Item::Federated {
                origin: needed(s.origin, Field::Origin)?,
                id: needed(s.id, Field::Id)?,
                provider: needed(s.provider, Field::Provider)?,
                protocol: s.protocol.flatten(),
                name: needed(s.name, Field::Name)?,
                icon: needed(s.icon, Field::Icon)?,
            },
            Kind::Passkey => Item::Passkey {
                rp_id: needed(s.rp_id, Field::RpId)?,
                credential_id: needed(s.credential_id, Field::CredentialId)?,
                payload: needed(s.payload, Field::Payload)?,
            },
            Kind::Flags => Item::Flags {
                origin: needed(s.origin, Field::Origin)?,
                prevent_silent_access: needed(s.prevent_silent_access, Field::PreventSilentAccess)?,
                never_save: needed(s.never_save, Field::NeverSave)?,
            },
        })
    }
}

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ItemVisitor)
    }
}

#[cfg(test)]
mod tests;
