//! The [signal methods](https://w3c.github.io/webauthn/#sctn-signal-methods) of
//! `PublicKeyCredential`: a relying party tells the authenticators that a credential is unknown
//! to it, which credentials of a user it still accepts, or a user's current name.
//!
//! The client steps (base64url decoding, the asynchronous RP ID validation) are here; the
//! authenticator actions are [`Authenticator::signal`](super::Authenticator::signal).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use super::related_origins::RelatedOrigins;
use super::rp_id::{RpId, RpIdError};
use crate::abort::AbortReason;
use crate::exception::ErrorName;
use crate::idl::{self, ConversionError};
use crate::origin::Origin;

/// Which signal method the page called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignalMethod {
    /// `PublicKeyCredential.signalUnknownCredential(options)`.
    UnknownCredential,
    /// `PublicKeyCredential.signalAllAcceptedCredentials(options)`.
    AllAcceptedCredentials,
    /// `PublicKeyCredential.signalCurrentUserDetails(options)`.
    CurrentUserDetails,
}

impl SignalMethod {
    /// The method with this JavaScript name (`"signalUnknownCredential"`, ...).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "signalUnknownCredential" => Some(Self::UnknownCredential),
            "signalAllAcceptedCredentials" => Some(Self::AllAcceptedCredentials),
            "signalCurrentUserDetails" => Some(Self::CurrentUserDetails),
            _ => None,
        }
    }
}

/// A validated signal, as the authenticators receive it
/// ([authenticator actions](https://w3c.github.io/webauthn/#sctn-signal-methods)).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Signal {
    /// `unknownCredentialId`: remove or hide the credential `credential_id` of `rp_id`.
    UnknownCredential {
        /// The validated RP ID.
        rp_id: RpId,
        /// The credential the RP does not know.
        credential_id: Vec<u8>,
    },
    /// `allAcceptedCredentialIds`: of the credentials of `rp_id` whose user handle is `user_id`,
    /// remove or hide those not in `accepted`, unhide those in it.
    AllAcceptedCredentials {
        /// The validated RP ID.
        rp_id: RpId,
        /// The user handle.
        user_id: Vec<u8>,
        /// Every credential id the RP still accepts for that user.
        accepted: Vec<Vec<u8>>,
    },
    /// `currentUserDetails`: update the name and display name of the credentials of `rp_id`
    /// whose user handle is `user_id`.
    CurrentUserDetails {
        /// The validated RP ID.
        rp_id: RpId,
        /// The user handle.
        user_id: Vec<u8>,
        /// The user's current `name`.
        name: String,
        /// The user's current `displayName`.
        display_name: String,
    },
}

/// Why a signal method rejected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignalError {
    /// Called from a non-secure context (`SecurityError`).
    #[error("PublicKeyCredential is only available in secure contexts (https:// or localhost)")]
    InsecureContext,
    /// The options are not the method's dictionary, or a base64url member does not decode
    /// (`TypeError`).
    #[error(transparent)]
    Conversion(#[from] ConversionError),
    /// The RP ID does not belong to the caller and related origins do not allow it, or the
    /// caller has no domain (`SecurityError`).
    #[error(transparent)]
    RpId(RpIdError),
    /// The call was cancelled (its document went away) before it settled: reject with the
    /// reason.
    #[error("the signal was aborted")]
    Aborted(AbortReason),
}

impl SignalError {
    /// The exception name the page sees.
    pub fn name(&self) -> ErrorName {
        match self {
            Self::Conversion(_) => ErrorName::TypeError,
            Self::InsecureContext | Self::RpId(_) => ErrorName::SecurityError,
            Self::Aborted(_) => ErrorName::AbortError,
        }
    }
}

impl From<SignalError> for crate::exception::Rejection {
    fn from(error: SignalError) -> Self {
        match error {
            SignalError::Aborted(reason) => Self::Aborted(reason),
            other => Self::exception(other.name(), other.to_string()),
        }
    }
}

/// Runs the client steps of `method` on `options` (the page's dictionary, as JSON) for a
/// caller at `origin`: the signal to hand to every authenticator, or the rejection. A foreign
/// RP ID goes through `related`'s related origin requests
/// ([`NoRelatedOrigins`](super::NoRelatedOrigins): none).
pub async fn signal_from_json<R: RelatedOrigins>(
    method: SignalMethod,
    options: &Value,
    origin: &Origin,
    related: &R,
) -> Result<Signal, SignalError> {
    match method {
        SignalMethod::UnknownCredential => unknown_credential(options, origin, related).await,
        SignalMethod::AllAcceptedCredentials => {
            all_accepted_credentials(options, origin, related).await
        }
        SignalMethod::CurrentUserDetails => current_user_details(options, origin, related).await,
    }
}

/// [`signalUnknownCredential(options)`][sctn-signalUnknownCredential].
///
/// [sctn-signalUnknownCredential]: https://w3c.github.io/webauthn/#sctn-signalUnknownCredential
async fn unknown_credential<R: RelatedOrigins>(
    options: &Value,
    origin: &Origin,
    related: &R,
) -> Result<Signal, SignalError> {
    const CTX: &str = "UnknownCredentialOptions";
    let dict = members(options, CTX)?;
    let rp_id = required_string(dict, "rpId", CTX)?;
    // 1. Let credentialId be the result of base64url decoding options.credentialId.
    // 2. If credentialId is failure, return a promise rejected with a TypeError.
    let credential_id = base64url(required(dict, "credentialId", CTX)?, CTX, "credentialId")?;
    // 3. Let p be the result of executing the Asynchronous RP ID validation algorithm with
    //    options.rpId.
    let rp_id = validate_rp_id(&rp_id, origin, related).await?;
    // 4. Upon fulfillment of p, run the unknownCredentialId authenticator action in parallel
    //    (the caller hands the signal to every authenticator). 5. Return p.
    Ok(Signal::UnknownCredential {
        rp_id,
        credential_id,
    })
}

/// [`signalAllAcceptedCredentials(options)`][sctn-signalAllAcceptedCredentials].
///
/// [sctn-signalAllAcceptedCredentials]:
/// https://w3c.github.io/webauthn/#sctn-signalAllAcceptedCredentials
async fn all_accepted_credentials<R: RelatedOrigins>(
    options: &Value,
    origin: &Origin,
    related: &R,
) -> Result<Signal, SignalError> {
    const CTX: &str = "AllAcceptedCredentialsOptions";
    let dict = members(options, CTX)?;
    let rp_id = required_string(dict, "rpId", CTX)?;
    // 1. Let userId be the result of base64url decoding options.userId.
    // 2. If userId is failure, return a promise rejected with a TypeError.
    let user_id = base64url(required(dict, "userId", CTX)?, CTX, "userId")?;
    let ids = idl::string_sequence(
        required(dict, "allAcceptedCredentialIds", CTX)?,
        &format!("{CTX}.allAcceptedCredentialIds"),
    )?;
    // 3. For each credentialId in options.allAcceptedCredentialIds: base64url decode it; if that
    //    is failure, return a promise rejected with a TypeError.
    let accepted = ids
        .iter()
        .enumerate()
        .map(|(i, id)| decode(id, &format!("{CTX}.allAcceptedCredentialIds[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    // 4. Let p be the result of executing the Asynchronous RP ID validation algorithm with
    //    options.rpId.
    let rp_id = validate_rp_id(&rp_id, origin, related).await?;
    // 5. Upon fulfillment of p, run the allAcceptedCredentialIds authenticator action in
    //    parallel. 6. Return p.
    Ok(Signal::AllAcceptedCredentials {
        rp_id,
        user_id,
        accepted,
    })
}

/// [`signalCurrentUserDetails(options)`][sctn-signalCurrentUserDetails].
///
/// [sctn-signalCurrentUserDetails]: https://w3c.github.io/webauthn/#sctn-signalCurrentUserDetails
async fn current_user_details<R: RelatedOrigins>(
    options: &Value,
    origin: &Origin,
    related: &R,
) -> Result<Signal, SignalError> {
    const CTX: &str = "CurrentUserDetailsOptions";
    let dict = members(options, CTX)?;
    let rp_id = required_string(dict, "rpId", CTX)?;
    // 1. Let userId be the result of base64url decoding options.userId.
    // 2. If userId is failure, return a promise rejected with a TypeError.
    let user_id = base64url(required(dict, "userId", CTX)?, CTX, "userId")?;
    let name = required_string(dict, "name", CTX)?;
    let display_name = required_string(dict, "displayName", CTX)?;
    // 3. Let p be the result of executing the Asynchronous RP ID validation algorithm with
    //    options.rpId.
    let rp_id = validate_rp_id(&rp_id, origin, related).await?;
    // 4. Upon fulfillment of p, run the currentUserDetails authenticator action in parallel.
    // 5. Return p.
    Ok(Signal::CurrentUserDetails {
        rp_id,
        user_id,
        name,
        display_name,
    })
}

/// The [asynchronous RP ID validation algorithm][sctn-signal-methods-async-rp-id-validation].
///
/// [sctn-signal-methods-async-rp-id-validation]:
/// https://w3c.github.io/webauthn/#sctn-signal-methods-async-rp-id-validation
async fn validate_rp_id<R: RelatedOrigins>(
    rp_id: &str,
    origin: &Origin,
    related: &R,
) -> Result<RpId, SignalError> {
    // 1. Let effectiveDomain be the caller's origin's effective domain. If it is not a valid
    //    domain, reject with a "SecurityError" DOMException (an opaque origin has none).
    // 2. If rpId is a registrable domain suffix of or is equal to effectiveDomain, resolve.
    // 3. If the client does not support related origin requests, reject with a
    //    "SecurityError" DOMException.
    // 4.-6. Otherwise, in parallel: if the related origins validation procedure with the
    //    caller's origin and rpId returns true, resolve; else reject with a "SecurityError"
    //    DOMException. (`RpId::for_caller` runs steps 2 to 6.)
    let rp_id = RpId::for_caller(origin, Some(rp_id), related).await;
    // (An opaque origin has no effective domain: "SecurityError", not "NotAllowedError".)
    rp_id.map_err(SignalError::RpId)
}

/// The dictionary's members; a required member missing is a `TypeError`, so an absent or null
/// dictionary is one too.
fn members<'a>(options: &'a Value, ctx: &str) -> Result<&'a Map<String, Value>, ConversionError> {
    idl::dictionary(Some(options), ctx)?.ok_or_else(|| ConversionError::new(ctx, "is required"))
}

fn required<'a>(
    dict: &'a Map<String, Value>,
    member: &str,
    ctx: &str,
) -> Result<&'a Value, ConversionError> {
    match dict.get(member) {
        None | Some(Value::Null) => Err(ConversionError::new(
            format!("{ctx}.{member}"),
            "is required",
        )),
        Some(value) => Ok(value),
    }
}

fn required_string(
    dict: &Map<String, Value>,
    member: &str,
    ctx: &str,
) -> Result<String, ConversionError> {
    idl::string(required(dict, member, ctx)?, &format!("{ctx}.{member}"))
}

/// A `Base64URLString` member, decoded.
fn base64url(value: &Value, ctx: &str, member: &str) -> Result<Vec<u8>, ConversionError> {
    let context = format!("{ctx}.{member}");
    decode(&idl::string(value, &context)?, &context)
}

/// Base64url decoding: the URL-safe alphabet, padding optional.
fn decode(text: &str, context: &str) -> Result<Vec<u8>, ConversionError> {
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|e| ConversionError::new(context, format!("is not valid base64url: {e}")))
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;
    use serde_json::json;

    use super::*;
    use crate::webauthn::related_origins::{
        NoRelatedOrigins, ScriptedRelatedOrigins, WellKnownResponse,
    };

    fn origin() -> Origin {
        Origin::parse("https://login.example.com").unwrap()
    }

    fn run(method: SignalMethod, options: Value) -> Result<Signal, SignalError> {
        block_on(signal_from_json(
            method,
            &options,
            &origin(),
            &NoRelatedOrigins,
        ))
    }

    #[test]
    fn each_method_decodes_its_options_and_validates_the_rp_id() {
        let unknown = run(
            SignalMethod::UnknownCredential,
            json!({"rpId": "example.com", "credentialId": "AQID"}),
        )
        .unwrap();
        assert_eq!(
            unknown,
            Signal::UnknownCredential {
                rp_id: RpId::for_origin(&origin(), Some("example.com")).unwrap(),
                credential_id: vec![1, 2, 3],
            }
        );
        let accepted = run(
            SignalMethod::AllAcceptedCredentials,
            json!({"rpId": "login.example.com", "userId": "dXNlcg",
                   "allAcceptedCredentialIds": ["AQID", "BAU="]}),
        )
        .unwrap();
        assert!(matches!(
            accepted,
            Signal::AllAcceptedCredentials { ref user_id, ref accepted, .. }
                if user_id == b"user" && accepted == &[vec![1, 2, 3], vec![4, 5]]
        ));
        let details = run(
            SignalMethod::CurrentUserDetails,
            json!({"rpId": "example.com", "userId": "dXNlcg", "name": "alice",
                   "displayName": "Alice"}),
        )
        .unwrap();
        assert!(matches!(
            details,
            Signal::CurrentUserDetails { ref name, ref display_name, .. }
                if name == "alice" && display_name == "Alice"
        ));
    }

    #[test]
    fn bad_base64url_and_missing_members_are_type_errors() {
        for (method, options) in [
            (
                SignalMethod::UnknownCredential,
                json!({"rpId": "example.com", "credentialId": "not base64!"}),
            ),
            (
                SignalMethod::UnknownCredential,
                json!({"rpId": "example.com"}),
            ),
            (SignalMethod::UnknownCredential, json!(null)),
            (SignalMethod::UnknownCredential, json!("a string")),
            (
                SignalMethod::AllAcceptedCredentials,
                json!({"rpId": "example.com", "userId": "*",
                       "allAcceptedCredentialIds": []}),
            ),
            (
                SignalMethod::AllAcceptedCredentials,
                json!({"rpId": "example.com", "userId": "dXNlcg",
                       "allAcceptedCredentialIds": ["AQID", "%%"]}),
            ),
            (
                SignalMethod::AllAcceptedCredentials,
                json!({"rpId": "example.com", "userId": "dXNlcg",
                       "allAcceptedCredentialIds": "AQID"}),
            ),
            (
                SignalMethod::CurrentUserDetails,
                json!({"rpId": "example.com", "userId": "dXNlcg", "name": "a"}),
            ),
            (
                SignalMethod::CurrentUserDetails,
                json!({"rpId": "example.com", "userId": "+/+/", "name": "a",
                       "displayName": "A"}),
            ),
        ] {
            let error = run(method, options.clone()).unwrap_err();
            assert_eq!(error.name(), ErrorName::TypeError, "{options}: {error}");
        }
    }

    #[test]
    fn a_foreign_rp_id_or_a_domainless_origin_is_a_security_error_after_decoding() {
        let foreign = run(
            SignalMethod::UnknownCredential,
            json!({"rpId": "other.example", "credentialId": "AQID"}),
        )
        .unwrap_err();
        assert_eq!(foreign.name(), ErrorName::SecurityError);
        // A TypeError wins over the RP ID: decoding comes first.
        let both = run(
            SignalMethod::UnknownCredential,
            json!({"rpId": "other.example", "credentialId": "!!"}),
        )
        .unwrap_err();
        assert_eq!(both.name(), ErrorName::TypeError);
        let ip = Origin::parse("https://127.0.0.1").unwrap();
        let error = block_on(signal_from_json(
            SignalMethod::UnknownCredential,
            &json!({"rpId": "127.0.0.1", "credentialId": "AQID"}),
            &ip,
            &NoRelatedOrigins,
        ))
        .unwrap_err();
        assert_eq!(error.name(), ErrorName::SecurityError);
        let opaque = Origin::new_opaque();
        let error = block_on(signal_from_json(
            SignalMethod::UnknownCredential,
            &json!({"rpId": "example.com", "credentialId": "AQID"}),
            &opaque,
            &NoRelatedOrigins,
        ))
        .unwrap_err();
        assert_eq!(error.name(), ErrorName::SecurityError);
    }

    #[test]
    fn related_origins_apply_to_every_signal_method() {
        let related = ScriptedRelatedOrigins::new().with(
            "example.net",
            WellKnownResponse::json(r#"{"origins": ["https://login.example.com"]}"#),
        );
        let unrelated = ScriptedRelatedOrigins::new().with(
            "example.org",
            WellKnownResponse::json(r#"{"origins": ["https://elsewhere.example"]}"#),
        );
        for (method, options) in [
            (
                SignalMethod::UnknownCredential,
                json!({"credentialId": "AQID"}),
            ),
            (
                SignalMethod::AllAcceptedCredentials,
                json!({"userId": "dXNlcg", "allAcceptedCredentialIds": []}),
            ),
            (
                SignalMethod::CurrentUserDetails,
                json!({"userId": "dXNlcg", "name": "a", "displayName": "A"}),
            ),
        ] {
            let mut listed = options.clone();
            listed["rpId"] = json!("example.net");
            let signal = block_on(signal_from_json(method, &listed, &origin(), &related)).unwrap();
            let rp_id = match signal {
                Signal::UnknownCredential { rp_id, .. }
                | Signal::AllAcceptedCredentials { rp_id, .. }
                | Signal::CurrentUserDetails { rp_id, .. } => rp_id,
            };
            assert_eq!(rp_id.as_str(), "example.net");
            let mut unlisted = options.clone();
            unlisted["rpId"] = json!("example.org");
            let error =
                block_on(signal_from_json(method, &unlisted, &origin(), &unrelated)).unwrap_err();
            assert_eq!(error.name(), ErrorName::SecurityError, "{error}");
            assert!(matches!(
                error,
                SignalError::RpId(RpIdError::NotRelated { .. })
            ));
            // Without related origin requests the same RP ID is refused without a fetch.
            let error = block_on(signal_from_json(
                method,
                &listed,
                &origin(),
                &NoRelatedOrigins,
            ))
            .unwrap_err();
            assert!(matches!(
                error,
                SignalError::RpId(RpIdError::NotASuffix { .. })
            ));
        }
        // Decoding still comes first: a TypeError never reaches the fetch.
        let error = block_on(signal_from_json(
            SignalMethod::UnknownCredential,
            &json!({"rpId": "example.net", "credentialId": "!!"}),
            &origin(),
            &related,
        ))
        .unwrap_err();
        assert_eq!(error.name(), ErrorName::TypeError);
        assert_eq!(related.fetched(), ["example.net"; 3]);
    }

    #[test]
    fn method_names_are_the_javascript_ones() {
        assert_eq!(
            SignalMethod::from_name("signalAllAcceptedCredentials"),
            Some(SignalMethod::AllAcceptedCredentials)
        );
        assert_eq!(SignalMethod::from_name("signalUnknown"), None);
    }
}
