//! The one JSON shape of a record, for every place that shows one: the manager page's
//! `vault.list` (credwell-host) and the command line's `--json` output. Never a password or a
//! key (the command line's `show --reveal` adds `password` itself).
//!
//! A credential: `{"record", "type", "origin", "id", "name", "iconURL", "provider",
//! "protocol", "created", "updated"}` (`provider` and `protocol` are `null` but for federated
//! credentials). A passkey: `{"record", "type": "public-key", "rpId", "credentialId"
//! (base64url), "id" (the user name), "name" (the display name), "algorithm", "created",
//! "hidden"}`. Keys are camelCase. Times are RFC 3339 strings in UTC with milliseconds
//! (`"2026-12-02T17:30:00.123Z"`, [`Timestamp::to_iso8601`]). With [`FieldLimits`], longer
//! fields are cut and the entry has `"truncated": true`.
//!
//! The shape only travels (to the manager page, on the command line's stdout); nothing stores
//! it or reads it back.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use credwell_core::{Credential, RecordId, StoredCredential, Timestamp};
use credwell_passkey::PasskeyRecord;
use serde_json::{Value, json};

/// The most bytes an entry's fields may have (on a character boundary); longer ones are cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldLimits {
    /// `id`.
    pub id: usize,
    /// `name`.
    pub name: usize,
    /// `iconURL`.
    pub icon_url: usize,
    /// `provider`.
    pub provider: usize,
}

impl FieldLimits {
    /// No limit: every field whole.
    pub const NONE: Self = Self {
        id: usize::MAX,
        name: usize::MAX,
        icon_url: usize::MAX,
        provider: usize::MAX,
    };
}

/// A credential's entry.
pub fn credential_entry(record: &StoredCredential, limits: &FieldLimits) -> Value {
    let c = &record.credential;
    let mut cut = Cut::default();
    let (provider, protocol) = match c {
        Credential::Federated(f) => (
            Some(cut.field(&f.provider, limits.provider)),
            f.protocol.as_deref(),
        ),
        _ => (None, None),
    };
    let mut entry = json!({
        "record": record.record.0,
        "type": c.credential_type().as_str(),
        "origin": c.origin().to_string(),
        "id": cut.field(c.id(), limits.id),
        "name": cut.field(c.name(), limits.name),
        "iconURL": cut.field(c.icon_url(), limits.icon_url),
        "provider": provider,
        "protocol": protocol,
        "created": record.created.to_iso8601(),
        "updated": record.updated.to_iso8601(),
    });
    cut.mark(&mut entry);
    entry
}

/// A passkey's entry.
pub fn passkey_entry(record: RecordId, passkey: &PasskeyRecord, limits: &FieldLimits) -> Value {
    let mut cut = Cut::default();
    let mut entry = json!({
        "record": record.0,
        "type": "public-key",
        "rpId": passkey.rp_id,
        "credentialId": URL_SAFE_NO_PAD.encode(&passkey.credential_id),
        "id": cut.field(&passkey.user_name, limits.id),
        "name": cut.field(&passkey.user_display_name, limits.name),
        "algorithm": algorithm_name(passkey),
        "created": Timestamp(passkey.created_at).to_iso8601(),
        "hidden": passkey.hidden,
    });
    cut.mark(&mut entry);
    entry
}

/// The passkey's algorithm by its COSE name: `ES256`, `EdDSA` (or `other`).
pub fn algorithm_name(passkey: &PasskeyRecord) -> &'static str {
    match passkey.algorithm.cose_id() {
        -7 => "ES256",
        -8 => "EdDSA",
        _ => "other",
    }
}

/// Whether an entry had a field cut.
#[derive(Default)]
struct Cut(bool);

impl Cut {
    fn field<'a>(&mut self, text: &'a str, max: usize) -> &'a str {
        if text.len() <= max {
            return text;
        }
        self.0 = true;
        &text[..text.floor_char_boundary(max)]
    }

    /// `"truncated": true` on an entry with a field cut.
    fn mark(self, entry: &mut Value) {
        if self.0 {
            entry["truncated"] = Value::Bool(true);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // A failure should panic right there.
mod tests {
    use credwell_core::{FederatedCredential, Origin};

    use super::*;

    #[test]
    fn a_federated_credential_names_its_provider_and_long_fields_are_cut_on_a_boundary() {
        let record = StoredCredential {
            record: RecordId(3),
            credential: Credential::Federated(FederatedCredential {
                id: "ä".repeat(10),
                provider: "https://idp.example".into(),
                protocol: Some("openidconnect".into()),
                name: String::new(),
                icon_url: String::new(),
                origin: Origin::parse("https://rp.example").unwrap(),
            }),
            created: Timestamp(1),
            updated: Timestamp(1_796_232_600_123),
            history: Vec::new(),
            extras: Default::default(),
        };
        let whole = credential_entry(&record, &FieldLimits::NONE);
        assert_eq!(whole["record"], 3);
        assert_eq!(whole["type"], "federated");
        assert_eq!(whole["provider"], "https://idp.example");
        assert_eq!(whole["protocol"], "openidconnect");
        assert_eq!(whole["created"], "1970-01-01T00:00:00.001Z");
        assert_eq!(whole["updated"], "2026-12-02T17:30:00.123Z");
        assert!(whole.get("truncated").is_none());
        let limits = FieldLimits {
            id: 5,
            ..FieldLimits::NONE
        };
        let cut = credential_entry(&record, &limits);
        assert_eq!(cut["id"], "ää");
        assert_eq!(cut["truncated"], true);
    }
}
