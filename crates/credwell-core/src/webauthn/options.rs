//! `PublicKeyCredentialCreationOptions` and `PublicKeyCredentialRequestOptions`, read from their
//! JSON forms (`...OptionsJSON`: every `BufferSource` as base64url).
//!
//! Spec: [`PublicKeyCredentialCreationOptions`][dictdef-publickeycredentialcreationoptions],
//! [`PublicKeyCredentialRequestOptions`][dictdef-publickeycredentialrequestoptions],
//! [`parseCreationOptionsFromJSON`][sctn-parseCreationOptionsFromJSON].
//!
//! The enumerations WebAuthn declares as `DOMString` members (`residentKey`, `userVerification`,
//! `attestation`, `authenticatorAttachment`, `type`, transports, hints) are kept: unknown values
//! are ignored as the spec says, never a `TypeError`.
//!
//! [dictdef-publickeycredentialcreationoptions]:
//! https://w3c.github.io/webauthn/#dictdef-publickeycredentialcreationoptions
//! [dictdef-publickeycredentialrequestoptions]:
//! https://w3c.github.io/webauthn/#dictdef-publickeycredentialrequestoptions
//! [sctn-parseCreationOptionsFromJSON]:
//! https://w3c.github.io/webauthn/#sctn-parseCreationOptionsFromJSON

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::idl::{self, ConversionError, optional_string, required};

/// COSE algorithm identifiers used when `pubKeyCredParams` is empty: ES256 and RS256.
pub const DEFAULT_ALGORITHMS: [i64; 2] = [-7, -257];

/// The timeout range credwell allows, in milliseconds, and the default.
pub const TIMEOUT_RANGE_MS: (u64, u64) = (15_000, 600_000);
/// The timeout when the RP gives none (the spec's recommended default).
pub const DEFAULT_TIMEOUT_MS: u64 = 300_000;

/// [`PublicKeyCredentialDescriptor`][dictdef-publickeycredentialdescriptor].
///
/// [dictdef-publickeycredentialdescriptor]:
/// https://w3c.github.io/webauthn/#dictdef-publickeycredentialdescriptor
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialDescriptor {
    /// `type` (only `"public-key"` is known).
    pub kind: String,
    /// `id`.
    pub id: Vec<u8>,
    /// `transports`.
    pub transports: Option<Vec<String>>,
}

/// [`AuthenticatorSelectionCriteria`][dictdef-authenticatorselectioncriteria].
///
/// [dictdef-authenticatorselectioncriteria]:
/// https://w3c.github.io/webauthn/#dictdef-authenticatorselectioncriteria
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct AuthenticatorSelection {
    /// `authenticatorAttachment`.
    pub authenticator_attachment: Option<String>,
    /// `residentKey`.
    pub resident_key: Option<String>,
    /// `requireResidentKey` (default false).
    pub require_resident_key: bool,
    /// `userVerification` (default `"preferred"`).
    pub user_verification: String,
}

/// `PublicKeyCredentialCreationOptions`, converted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKeyCreationOptions {
    /// `rp.id`, if given.
    pub rp_id: Option<String>,
    /// `rp.name`.
    pub rp_name: String,
    /// `user.id`: 1 to 64 bytes.
    pub user_id: Vec<u8>,
    /// `user.name`.
    pub user_name: String,
    /// `user.displayName`.
    pub user_display_name: String,
    /// `challenge`.
    pub challenge: Vec<u8>,
    /// The usable algorithms, in the RP's order: the `public-key` entries of `pubKeyCredParams`,
    /// or [`DEFAULT_ALGORITHMS`] when it is empty.
    pub algorithms: Vec<i64>,
    /// The timeout, clamped to [`TIMEOUT_RANGE_MS`].
    pub timeout_ms: u64,
    /// `excludeCredentials`.
    pub exclude_credentials: Vec<CredentialDescriptor>,
    /// `authenticatorSelection`.
    pub authenticator_selection: Option<AuthenticatorSelection>,
    /// `hints`.
    pub hints: Vec<String>,
    /// `attestation` (default `"none"`).
    pub attestation: String,
    /// `extensions`, as given.
    pub extensions: Map<String, Value>,
}

/// Why creation or request options were refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PublicKeyOptionsError {
    /// A WebIDL conversion failed, or `user.id` has the wrong length (`TypeError`).
    #[error(transparent)]
    Conversion(#[from] ConversionError),
    /// No `pubKeyCredParams` entry names a known credential type (`NotSupportedError`).
    #[error("none of pubKeyCredParams names a supported credential type (\"public-key\")")]
    NoSupportedAlgorithm,
}

impl PublicKeyCreationOptions {
    /// Converts `CredentialCreationOptions.publicKey` in its JSON form and applies steps 3, 4
    /// and 8 of [`[[Create]]`](https://w3c.github.io/webauthn/#sctn-createCredential).
    ///
    /// ```
    /// use credwell_core::PublicKeyCreationOptions;
    /// let o = PublicKeyCreationOptions::from_json(&serde_json::json!({
    ///     "rp": {"name": "Example"}, "challenge": "AAAA",
    ///     "user": {"id": "dXNlcg", "name": "alice", "displayName": "Alice"},
    ///     "pubKeyCredParams": [],
    /// })).unwrap();
    /// assert_eq!(o.algorithms, [-7, -257]);
    /// assert_eq!(o.user_id, b"user");
    /// ```
    pub fn from_json(value: &Value) -> Result<Self, PublicKeyOptionsError> {
        const CTX: &str = "PublicKeyCredentialCreationOptions";
        let empty = Map::new();
        let map = idl::dictionary(Some(value), CTX)?.unwrap_or(&empty);
        let rp = required_dictionary(map, "rp", CTX)?;
        let user = required_dictionary(map, "user", CTX)?;
        let user_id = bytes(
            required(user, "id", "PublicKeyCredentialUserEntity")?,
            "PublicKeyCredentialUserEntity.id",
        )?;
        // 4. If the length of pkOptions.user.id is not between 1 and 64 bytes (inclusive) then
        //    throw a TypeError.
        if !(1..=64).contains(&user_id.len()) {
            return Err(ConversionError::new(
                "PublicKeyCredentialUserEntity.id",
                format!("must be 1 to 64 bytes long, not {}", user_id.len()),
            )
            .into());
        }
        let params = required(map, "pubKeyCredParams", CTX)?;
        let options = Self {
            rp_id: optional_string(rp, "id", "PublicKeyCredentialRpEntity")?,
            rp_name: idl::string(
                required(rp, "name", "PublicKeyCredentialRpEntity")?,
                "PublicKeyCredentialRpEntity.name",
            )?,
            user_id,
            user_name: idl::string(
                required(user, "name", "PublicKeyCredentialUserEntity")?,
                "PublicKeyCredentialUserEntity.name",
            )?,
            user_display_name: idl::string(
                required(user, "displayName", "PublicKeyCredentialUserEntity")?,
                "PublicKeyCredentialUserEntity.displayName",
            )?,
            challenge: bytes(
                required(map, "challenge", CTX)?,
                &format!("{CTX}.challenge"),
            )?,
            // 8. credTypesAndPubKeyAlgs.
            algorithms: algorithms(params)?,
            // 3. Clamp the timeout to a reasonable range, or use the default.
            timeout_ms: timeout(map.get("timeout"), CTX)?,
            exclude_credentials: descriptors(
                map.get("excludeCredentials"),
                &format!("{CTX}.excludeCredentials"),
            )?,
            authenticator_selection: map
                .get("authenticatorSelection")
                .map(selection)
                .transpose()?,
            hints: optional_sequence(map, "hints", CTX)?,
            attestation: optional_string(map, "attestation", CTX)?.unwrap_or_else(|| "none".into()),
            extensions: idl::dictionary(map.get("extensions"), &format!("{CTX}.extensions"))?
                .cloned()
                .unwrap_or_default(),
        };
        Ok(options)
    }
}

/// `PublicKeyCredentialRequestOptions`, converted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKeyRequestOptions {
    /// `challenge`.
    pub challenge: Vec<u8>,
    /// The timeout, clamped to [`TIMEOUT_RANGE_MS`].
    pub timeout_ms: u64,
    /// `rpId`, if given.
    pub rp_id: Option<String>,
    /// `allowCredentials` (entries of unknown type already dropped).
    pub allow_credentials: Vec<CredentialDescriptor>,
    /// `userVerification` (default `"preferred"`).
    pub user_verification: String,
    /// `hints`.
    pub hints: Vec<String>,
    /// `extensions`, as given.
    pub extensions: Map<String, Value>,
}

impl PublicKeyRequestOptions {
    /// Converts `CredentialRequestOptions.publicKey` in its JSON form.
    ///
    /// An `allowCredentials` list whose every entry has an unknown `type` is a `TypeError`: an
    /// empty list would mean "any discoverable credential" instead.
    pub fn from_json(value: &Value) -> Result<Self, PublicKeyOptionsError> {
        const CTX: &str = "PublicKeyCredentialRequestOptions";
        let empty = Map::new();
        let map = idl::dictionary(Some(value), CTX)?.unwrap_or(&empty);
        let given = descriptors(
            map.get("allowCredentials"),
            &format!("{CTX}.allowCredentials"),
        )?;
        let had_entries = !given.is_empty();
        let allow_credentials: Vec<_> = given
            .into_iter()
            .filter(|d| d.kind == "public-key")
            .collect();
        if had_entries && allow_credentials.is_empty() {
            return Err(ConversionError::new(
                format!("{CTX}.allowCredentials"),
                "has entries, but none of type \"public-key\"",
            )
            .into());
        }
        Ok(Self {
            challenge: bytes(
                required(map, "challenge", CTX)?,
                &format!("{CTX}.challenge"),
            )?,
            timeout_ms: timeout(map.get("timeout"), CTX)?,
            rp_id: optional_string(map, "rpId", CTX)?,
            allow_credentials,
            user_verification: optional_string(map, "userVerification", CTX)?
                .unwrap_or_else(|| "preferred".into()),
            hints: optional_sequence(map, "hints", CTX)?,
            extensions: idl::dictionary(map.get("extensions"), &format!("{CTX}.extensions"))?
                .cloned()
                .unwrap_or_default(),
        })
    }
}

fn required_dictionary<'a>(
    map: &'a Map<String, Value>,
    member: &str,
    ctx: &str,
) -> Result<&'a Map<String, Value>, ConversionError> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    let value = required(map, member, ctx)?;
    Ok(idl::dictionary(Some(value), &format!("{ctx}.{member}"))?
        .unwrap_or_else(|| EMPTY.get_or_init(Map::new)))
}

fn optional_sequence(
    map: &Map<String, Value>,
    member: &str,
    ctx: &str,
) -> Result<Vec<String>, ConversionError> {
    map.get(member)
        .map(|v| idl::string_sequence(v, &format!("{ctx}.{member}")))
        .transpose()
        .map(Option::unwrap_or_default)
}

/// A `BufferSource` in JSON form: base64url, padding optional.
fn bytes(value: &Value, ctx: &str) -> Result<Vec<u8>, ConversionError> {
    let Value::String(s) = value else {
        return Err(ConversionError::new(
            ctx,
            format!("must be base64url text, not {}", idl::describe(value)),
        ));
    };
    URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .map_err(|e| ConversionError::new(ctx, format!("is not valid base64url: {e}")))
}

fn algorithms(params: &Value) -> Result<Vec<i64>, PublicKeyOptionsError> {
    const CTX: &str = "PublicKeyCredentialCreationOptions.pubKeyCredParams";
    let Value::Array(items) = params else {
        return Err(ConversionError::new(
            CTX,
            format!("must be an array, not {}", idl::describe(params)),
        )
        .into());
    };
    // 8.1. If pkOptions.pubKeyCredParams's size is zero: append (public-key, ES256) and
    //      (public-key, RS256).
    if items.is_empty() {
        return Ok(DEFAULT_ALGORITHMS.to_vec());
    }
    // 8.2. Otherwise, for each current of pkOptions.pubKeyCredParams: if current.type does not
    //      contain a PublicKeyCredentialType supported by this implementation, continue; let alg
    //      be current.alg; append (current.type, alg).
    let mut algorithms = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let ctx = format!("{CTX}[{i}]");
        let map = idl::dictionary(Some(item), &ctx)?;
        let empty = Map::new();
        let map = map.unwrap_or(&empty);
        let alg = required(map, "alg", &ctx)?;
        let alg = alg
            .as_i64()
            .filter(|a| i32::try_from(*a).is_ok())
            .ok_or_else(|| {
                ConversionError::new(
                    format!("{ctx}.alg"),
                    "must be a 32-bit integer (a COSEAlgorithmIdentifier)",
                )
            })?;
        let kind = idl::string(required(map, "type", &ctx)?, &format!("{ctx}.type"))?;
        if kind == "public-key" {
            algorithms.push(alg);
        }
    }
    // 8.2 (end). If credTypesAndPubKeyAlgs is empty, throw a "NotSupportedError" DOMException.
    if algorithms.is_empty() {
        return Err(PublicKeyOptionsError::NoSupportedAlgorithm);
    }
    Ok(algorithms)
}

fn timeout(value: Option<&Value>, ctx: &str) -> Result<u64, ConversionError> {
    let Some(value) = value else {
        return Ok(DEFAULT_TIMEOUT_MS);
    };
    // `unsigned long`: ToNumber, then modulo 2^32 — JSON numbers that are not non-negative
    // integers are refused instead, which no well-formed page sends.
    let ms = value
        .as_u64()
        .filter(|ms| u32::try_from(*ms).is_ok())
        .ok_or_else(|| {
            ConversionError::new(
                format!("{ctx}.timeout"),
                "must be a non-negative integer of milliseconds",
            )
        })?;
    Ok(ms.clamp(TIMEOUT_RANGE_MS.0, TIMEOUT_RANGE_MS.1))
}

fn descriptors(
    value: Option<&Value>,
    ctx: &str,
) -> Result<Vec<CredentialDescriptor>, ConversionError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let Value::Array(items) = value else {
        return Err(ConversionError::new(
            ctx,
            format!("must be an array, not {}", idl::describe(value)),
        ));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let ctx = format!("{ctx}[{i}]");
            let Some(map) = idl::dictionary(Some(item), &ctx)? else {
                return Err(ConversionError::new(
                    &ctx,
                    "is missing its required members id and type",
                ));
            };
            Ok(CredentialDescriptor {
                id: bytes(required(map, "id", &ctx)?, &format!("{ctx}.id"))?,
                kind: idl::string(required(map, "type", &ctx)?, &format!("{ctx}.type"))?,
                transports: map
                    .get("transports")
                    .map(|t| idl::string_sequence(t, &format!("{ctx}.transports")))
                    .transpose()?,
            })
        })
        .collect()
}

fn selection(value: &Value) -> Result<AuthenticatorSelection, ConversionError> {
    const CTX: &str = "AuthenticatorSelectionCriteria";
    let empty = Map::new();
    let map = idl::dictionary(Some(value), CTX)?.unwrap_or(&empty);
    Ok(AuthenticatorSelection {
        authenticator_attachment: optional_string(map, "authenticatorAttachment", CTX)?,
        resident_key: optional_string(map, "residentKey", CTX)?,
        require_resident_key: map.get("requireResidentKey").is_some_and(idl::boolean),
        user_verification: optional_string(map, "userVerification", CTX)?
            .unwrap_or_else(|| "preferred".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Value {
        json!({
            "rp": {"id": "example.com", "name": "Example"},
            "user": {"id": "dXNlcg", "name": "alice", "displayName": "Alice"},
            "challenge": "AAECAw",
            "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
        })
    }

    fn create(v: Value) -> Result<PublicKeyCreationOptions, PublicKeyOptionsError> {
        PublicKeyCreationOptions::from_json(&v)
    }

    #[test]
    fn a_minimal_request_converts_with_defaults() {
        let o = create(base()).unwrap();
        assert_eq!(o.rp_id.as_deref(), Some("example.com"));
        assert_eq!(o.challenge, [0, 1, 2, 3]);
        assert_eq!(o.algorithms, [-7]);
        assert_eq!(o.timeout_ms, DEFAULT_TIMEOUT_MS);
        assert_eq!(o.attestation, "none");
        assert!(o.authenticator_selection.is_none());
    }

    #[test]
    fn required_members_are_type_errors() {
        for member in ["rp", "user", "challenge", "pubKeyCredParams"] {
            let mut v = base();
            v.as_object_mut().unwrap().remove(member);
            let Err(PublicKeyOptionsError::Conversion(e)) = create(v) else {
                panic!("{member} missing must be a TypeError");
            };
            assert!(e.context.ends_with(member), "{e}");
        }
        for (entity, member) in [
            ("rp", "name"),
            ("user", "name"),
            ("user", "displayName"),
            ("user", "id"),
        ] {
            let mut v = base();
            v[entity].as_object_mut().unwrap().remove(member);
            assert!(create(v).is_err(), "{entity}.{member}");
        }
    }

    #[test]
    fn user_id_must_be_1_to_64_bytes() {
        let mut v = base();
        v["user"]["id"] = json!("");
        assert!(create(v.clone()).is_err());
        v["user"]["id"] = json!(URL_SAFE_NO_PAD.encode([7u8; 64]));
        assert!(create(v.clone()).is_ok());
        v["user"]["id"] = json!(URL_SAFE_NO_PAD.encode([7u8; 65]));
        let err = create(v).unwrap_err().to_string();
        assert!(err.contains("65"), "{err}");
    }

    #[test]
    fn pub_key_cred_params_defaults_and_unknown_types() {
        let mut v = base();
        v["pubKeyCredParams"] = json!([]);
        assert_eq!(create(v.clone()).unwrap().algorithms, DEFAULT_ALGORITHMS);
        v["pubKeyCredParams"] =
            json!([{"type": "something-else", "alg": -7}, {"type": "public-key", "alg": -8}]);
        assert_eq!(create(v.clone()).unwrap().algorithms, [-8]);
        v["pubKeyCredParams"] = json!([{"type": "something-else", "alg": -7}]);
        assert_eq!(
            create(v.clone()).unwrap_err(),
            PublicKeyOptionsError::NoSupportedAlgorithm
        );
        v["pubKeyCredParams"] = json!([{"type": "public-key"}]);
        assert!(matches!(
            create(v.clone()),
            Err(PublicKeyOptionsError::Conversion(_))
        ));
        v["pubKeyCredParams"] = json!("public-key");
        assert!(matches!(
            create(v),
            Err(PublicKeyOptionsError::Conversion(_))
        ));
    }

    #[test]
    fn timeouts_are_clamped() {
        let mut v = base();
        v["timeout"] = json!(1);
        assert_eq!(create(v.clone()).unwrap().timeout_ms, TIMEOUT_RANGE_MS.0);
        v["timeout"] = json!(10_000_000);
        assert_eq!(create(v.clone()).unwrap().timeout_ms, TIMEOUT_RANGE_MS.1);
        v["timeout"] = json!(-5);
        assert!(create(v).is_err());
    }

    #[test]
    fn dom_string_enumerations_accept_unknown_values() {
        let mut v = base();
        v["authenticatorSelection"] = json!({
            "residentKey": "unknown",
            "userVerification": "",
            "authenticatorAttachment": "?",
        });
        v["attestation"] = json!("unknown");
        let o = create(v).unwrap();
        assert_eq!(
            o.authenticator_selection.unwrap().resident_key.as_deref(),
            Some("unknown")
        );
        assert_eq!(o.attestation, "unknown");
    }

    #[test]
    fn descriptors_with_bad_shapes_are_type_errors() {
        for bad in [
            json!("hi mom"),
            json!([{}]),
            json!(["hi mom"]),
            json!([{"type": "public-key", "id": "!!"}]),
        ] {
            let mut v = base();
            v["excludeCredentials"] = bad.clone();
            assert!(create(v).is_err(), "{bad}");
        }
    }

    #[test]
    fn request_options_drop_unknown_descriptor_types_but_not_all_of_them() {
        let r =
            PublicKeyRequestOptions::from_json(&json!({"challenge": "AAAA", "allowCredentials": [
            {"type": "public-key", "id": "AQ"}, {"type": "future", "id": "Ag"}]}))
            .unwrap();
        assert_eq!(r.allow_credentials.len(), 1);
        assert_eq!(r.user_verification, "preferred");
        assert!(
            PublicKeyRequestOptions::from_json(
                &json!({"challenge": "AAAA", "allowCredentials": [{"type": "future", "id": "Ag"}]})
            )
            .is_err()
        );
        assert!(PublicKeyRequestOptions::from_json(&json!({})).is_err());
    }
}
