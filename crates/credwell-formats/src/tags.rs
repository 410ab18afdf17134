//! Tags, which credwell has none of: the formats that have them (1Password's 1PUX and CSV,
//! KeePass, CXF) keep an entry's tags as one custom field, [`TAGS_FIELD`], so that they stay
//! with the entry, visible and searchable, and an export can write them back.

use credwell_core::{CustomField, SecretText};

/// The name of the custom field that keeps an entry's tags.
pub(super) const TAGS_FIELD: &str = "Tags";

/// The [`TAGS_FIELD`] of an entry's `tags`, joined as the file joins them.
pub(super) fn tags_field(tags: impl Into<String>) -> CustomField {
    CustomField {
        name: TAGS_FIELD.into(),
        value: SecretText::new(tags),
        hidden: false,
    }
}
