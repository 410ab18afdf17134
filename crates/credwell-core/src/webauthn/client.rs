//! The WebAuthn client algorithms: [`[[Create]]`][sctn-createCredential]
//! and [`[[DiscoverFromExternalSource]]`][sctn-discover-from-external-source],
//! for one authenticator.
//!
//! The Credential Management layer has already checked the document, the abort signal at call
//! time and the number of types, and it races the whole call against later aborts.
//!
//! [sctn-createCredential]: https://w3c.github.io/webauthn/#sctn-createCredential
//! [sctn-discover-from-external-source]:
//! https://w3c.github.io/webauthn/#sctn-discover-from-external-source

use std::pin::pin;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::future::{Either, select};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::authenticator::{
    Authenticator, AuthenticatorError, GetAssertionRequest, MakeCredentialRequest,
};
use super::client_data::{ClientDataType, CollectedClientData};
use super::options::{PublicKeyCreationOptions, PublicKeyOptionsError, PublicKeyRequestOptions};
use super::related_origins::RelatedOrigins;
use super::rp_id::{RpId, RpIdError};
use crate::caller::Caller;
use crate::clock::Clock;
use crate::exception::ErrorName;
use crate::mediation::Mediation;
use crate::origin::Origin;

/// A `PublicKeyCredential`, as the page receives it: its `toJSON()` form
/// (`RegistrationResponseJSON` or `AuthenticationResponseJSON`), every buffer base64url.
#[derive(Clone, Debug, PartialEq)]
pub struct PublicKeyCredential {
    /// The credential id, base64url.
    pub id: String,
    /// The origin the ceremony ran for.
    pub origin: Origin,
    /// The `toJSON()` object.
    pub json: Value,
}

/// Why a WebAuthn ceremony failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebAuthnError {
    /// Options did not convert (`TypeError`), or no algorithm is usable (`NotSupportedError`).
    #[error(transparent)]
    Options(#[from] PublicKeyOptionsError),
    /// The RP ID is not the caller's and related origins do not allow it (`SecurityError`), or
    /// the origin is opaque (`NotAllowedError`).
    #[error(transparent)]
    RpId(#[from] RpIdError),
    /// A cross-origin frame called `create()` without a user gesture (`NotAllowedError`).
    #[error(
        "create() in a cross-origin frame needs a user gesture (transient activation) in that frame"
    )]
    NoTransientActivation,
    /// `mediation: "conditional"` where it is not allowed (`NotAllowedError`).
    #[error("conditional mediation is not available for this request")]
    ConditionalNotAllowed,
    /// A conditional `create()` without a recent sign-in to the caller's origin with a password
    /// credwell holds (`NotAllowedError`).
    #[error(
        "conditional create is allowed only shortly after signing in to this origin with a saved \
         password"
    )]
    NoRecentSignIn,
    /// A conditional `create()` with `userVerification: "required"`: it cannot verify the user
    /// without UI (`ConstraintError`).
    #[error(
        "conditional create cannot verify the user: userVerification \"required\" needs a modal \
         create()"
    )]
    ConditionalUserVerification,
    /// An excluded credential exists on the authenticator (`InvalidStateError`).
    #[error("the authenticator already holds a credential from excludeCredentials")]
    Excluded,
    /// Timeout, cancellation, or an authenticator failure the page must not learn about
    /// (`NotAllowedError`).
    #[error("the operation either timed out or was not allowed")]
    NotAllowed,
    /// The `largeBlob` extension's inputs ask for something the ceremony cannot do
    /// (`NotSupportedError`): `read`/`write` at creation, `support` at assertion, `read` with
    /// `write`, or `write` without exactly one allowed credential.
    #[error("largeBlob: {0}")]
    LargeBlob(&'static str),
}

impl WebAuthnError {
    /// The exception name the page sees.
    pub fn name(&self) -> ErrorName {
        match self {
            Self::Options(PublicKeyOptionsError::NoSupportedAlgorithm) => {
                ErrorName::NotSupportedError
            }
            Self::Options(_) => ErrorName::TypeError,
            Self::RpId(RpIdError::OpaqueOrigin) => ErrorName::NotAllowedError,
            Self::RpId(_) => ErrorName::SecurityError,
            Self::Excluded => ErrorName::InvalidStateError,
            Self::LargeBlob(_) => ErrorName::NotSupportedError,
            Self::ConditionalUserVerification => ErrorName::ConstraintError,
            Self::NoTransientActivation
            | Self::ConditionalNotAllowed
            | Self::NoRecentSignIn
            | Self::NotAllowed => ErrorName::NotAllowedError,
        }
    }
}

/// Whether a dictionary member is present (not absent, not `undefined`/`null`).
fn present(dictionary: &Map<String, Value>, member: &str) -> bool {
    dictionary.get(member).is_some_and(|v| !v.is_null())
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `PublicKeyCredential`'s
/// [`[[Create]](origin, options, sameOriginWithAncestors)`][sctn-createCredential].
///
/// [sctn-createCredential]: https://w3c.github.io/webauthn/#sctn-createCredential
pub(crate) async fn create<A: Authenticator, C: Clock, R: RelatedOrigins>(
    authenticator: &A,
    clock: &C,
    related: &R,
    caller: &Caller,
    mediation: Mediation,
    public_key: &Value,
) -> Result<PublicKeyCredential, WebAuthnError> {
    // 1. Assert: options.publicKey is present.
    let options = PublicKeyCreationOptions::from_json(public_key)?;
    // 2. If sameOriginWithAncestors is false: conditional mediation → "NotAllowedError"; no
    //    transient activation → "NotAllowedError"; otherwise consume user activation (the
    //    embedder consumes it when it reports it).
    if !caller.same_origin_with_ancestors {
        if mediation == Mediation::Conditional {
            return Err(WebAuthnError::ConditionalNotAllowed);
        }
        if !caller.transient_activation {
            return Err(WebAuthnError::NoTransientActivation);
        }
    }
    // 3. Let pkOptions be options.publicKey; the timeout is clamped while converting.
    // 4. user.id's length was checked while converting (TypeError).
    // 5-7. callerOrigin, effectiveDomain and the RP ID; a foreign RP ID goes through the
    //      related origins validation procedure
    //      (https://w3c.github.io/webauthn/#sctn-related-origins).
    let rp_id = RpId::for_caller(&caller.origin, options.rp_id.as_deref(), related).await?;
    // 8. credTypesAndPubKeyAlgs: computed while converting (NotSupportedError when empty).
    // 9. Extensions: credProps is a client extension; the others go to the authenticator.
    let wants_cred_props = options
        .extensions
        .get("credProps")
        .is_some_and(crate::idl::boolean);
    // largeBlob (https://w3c.github.io/webauthn/#sctn-large-blob-extension), client extension
    // processing at registration: read or write present → "NotSupportedError".
    if let Some(Value::Object(large_blob)) = options.extensions.get("largeBlob")
        && (present(large_blob, "read") || present(large_blob, "write"))
    {
        return Err(WebAuthnError::LargeBlob(
            "read and write are for get(), not create()",
        ));
    }
    let authenticator_extensions: Map<String, Value> = options
        .extensions
        .iter()
        .filter(|(id, _)| matches!(id.as_str(), "prf" | "largeBlob" | "credProtect"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // 10. collectedClientData, clientDataJSON, clientDataHash.
    let client_data = client_data(ClientDataType::Create, &options.challenge, caller);
    let client_data_hash: [u8; 32] = Sha256::digest(&client_data).into();
    // 11. (The abort signal is checked by the Credential Management layer.)
    // 12. Conditional create (step 19 of the current text): a recent password sign-in to
    //     callerOrigin, else "NotAllowedError" (see conditional_create).
    let conditional = mediation == Mediation::Conditional;
    if conditional {
        super::conditional_create::check_recent_sign_in(caller, clock)?;
    }
    // 13. Start lifetimeTimer; while it runs, use the authenticator if it fits.
    let info = authenticator.info();
    let selection = options.authenticator_selection.clone().unwrap_or_default();
    let fits = selection
        .authenticator_attachment
        .as_deref()
        .is_none_or(|a| !matches!(a, "platform" | "cross-platform") || a == info.attachment)
        && (resident_key_required(&selection) <= info.discoverable_credentials)
        && (selection.user_verification != "required" || info.user_verification);
    if !fits {
        // No authenticator will ever become available: wait out the timer.
        clock.sleep(options.timeout_ms).await;
        return Err(WebAuthnError::NotAllowed);
    }
    // 13.2. requireResidentKey; 13.3. userVerification.
    let require_resident_key = match selection.resident_key.as_deref() {
        Some("required") => true,
        Some("preferred") => info.discoverable_credentials,
        Some("discouraged") => false,
        _ => selection.require_resident_key,
    };
    //       Conditional: "required" is a "ConstraintError" (it cannot be collected without UI),
    //       else false; user presence is not required either (the recent sign-in was the
    //       consent).
    let require_user_verification = if conditional {
        super::conditional_create::user_verification(&selection.user_verification)?
    } else {
        match selection.user_verification.as_str() {
            "required" => true,
            "discouraged" => false,
            _ => info.user_verification,
        }
    };
    // 13.5. attestationFormats: ["none"] when the RP asked for no attestation (unknown values
    //       count as "none").
    let attestation_formats = match options.attestation.as_str() {
        "direct" | "enterprise" | "indirect" => vec!["packed".to_owned()],
        _ => vec!["none".to_owned()],
    };
    let request = MakeCredentialRequest {
        client_data_hash,
        rp_id,
        rp_name: options.rp_name.clone(),
        user_id: options.user_id.clone(),
        user_name: options.user_name.clone(),
        user_display_name: options.user_display_name.clone(),
        require_resident_key,
        require_user_presence: !conditional,
        require_user_verification,
        algorithms: options.algorithms.clone(),
        exclude_credentials: options.exclude_credentials.clone(),
        enterprise_attestation_possible: false,
        attestation_formats,
        extensions: authenticator_extensions,
    };
    let made = with_timer(
        clock,
        options.timeout_ms,
        authenticator.make_credential(request),
    )
    .await?;
    let attested = match made {
        Ok(a) => a,
        // An excluded credential, after the user's consent (for a conditional create, the
        // consent it was allowed on): "InvalidStateError".
        Err(AuthenticatorError::InvalidState) => return Err(WebAuthnError::Excluded),
        // Every other authenticator error is hidden from the RP.
        Err(_) => return Err(WebAuthnError::NotAllowed),
    };
    // Success: build the PublicKeyCredential.
    let mut extension_results = attested.extension_results.clone();
    if wants_cred_props {
        extension_results.insert("credProps".into(), json!({"rk": attested.resident_key}));
    }
    let response = json!({
        "clientDataJSON": b64(&client_data),
        "authenticatorData": b64(&attested.authenticator_data),
        "transports": info.transports,
        "publicKey": attested.public_key.as_deref().map(b64),
        "publicKeyAlgorithm": attested.public_key_algorithm,
        "attestationObject": b64(&attested.attestation_object),
    });
    Ok(public_key_credential(
        caller,
        info.attachment,
        &attested.credential_id,
        response,
        extension_results,
    ))
}

/// The `PublicKeyCredential` a ceremony resolves with, in its JSON form
/// (`RegistrationResponseJSON` or `AuthenticationResponseJSON`, WebAuthn L3 §5.1.8 and §5.1.9:
/// <https://w3c.github.io/webauthn/#dom-publickeycredential-tojson>): `response` is the
/// ceremony's own part, the rest is the same for both.
fn public_key_credential(
    caller: &Caller,
    attachment: &str,
    credential_id: &[u8],
    response: Value,
    extension_results: Map<String, Value>,
) -> PublicKeyCredential {
    let id = b64(credential_id);
    let json = json!({
        "id": id,
        "rawId": id,
        "type": "public-key",
        "authenticatorAttachment": attachment,
        "response": response,
        "clientExtensionResults": extension_results,
    });
    PublicKeyCredential {
        id,
        origin: caller.origin.clone(),
        json,
    }
}

/// `PublicKeyCredential`'s
/// [`[[DiscoverFromExternalSource]](origin, options, sameOriginWithAncestors)`][discover].
///
/// `selected`: the credential the user already picked in the client's own chooser
/// (`uiMode: "immediate"`), which the authenticator then uses without asking again.
///
/// [discover]: https://w3c.github.io/webauthn/#sctn-discover-from-external-source
pub(crate) async fn discover<A: Authenticator, C: Clock, R: RelatedOrigins>(
    authenticator: &A,
    clock: &C,
    related: &R,
    caller: &Caller,
    mediation: Mediation,
    public_key: &Value,
    selected: Option<&[u8]>,
) -> Result<PublicKeyCredential, WebAuthnError> {
    // 1. Let pkOptions be options.publicKey.
    let options = PublicKeyRequestOptions::from_json(public_key)?;
    // 2. Conditional mediation: the authenticator offers its discoverable credentials in the
    //    page's autofill instead of a modal chooser, with no timer (step 19 below); the promise
    //    MUST NOT reveal that nothing was found or that the user looked away, so it settles only
    //    with an assertion, or by abort.
    let conditional = mediation == Mediation::Conditional;
    // 3-7. callerOrigin, effectiveDomain, rpId: if pkOptions.rpId is present and is not a
    //      registrable domain suffix of and is not equal to effectiveDomain, the related origins
    //      validation procedure with callerOrigin and rpIdRequested decides (false →
    //      "SecurityError"), when the client supports related origin requests.
    let rp_id = RpId::for_caller(&caller.origin, options.rp_id.as_deref(), related).await?;
    // 8-9. Extensions. largeBlob, client extension processing at authentication: support
    //      present, read with write, or write without exactly one allowed credential →
    //      "NotSupportedError".
    if let Some(Value::Object(large_blob)) = options.extensions.get("largeBlob") {
        if present(large_blob, "support") {
            return Err(WebAuthnError::LargeBlob(
                "support is for create(), not get()",
            ));
        }
        if present(large_blob, "read") && present(large_blob, "write") {
            return Err(WebAuthnError::LargeBlob(
                "read and write cannot be combined",
            ));
        }
        if present(large_blob, "write") && options.allow_credentials.len() != 1 {
            return Err(WebAuthnError::LargeBlob(
                "write needs exactly one credential in allowCredentials",
            ));
        }
    }
    let authenticator_extensions: Map<String, Value> = options
        .extensions
        .iter()
        .filter(|(id, _)| matches!(id.as_str(), "prf" | "largeBlob"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // 10-12. collectedClientData, clientDataJSON, clientDataHash.
    let client_data = client_data(ClientDataType::Get, &options.challenge, caller);
    let client_data_hash: [u8; 32] = Sha256::digest(&client_data).into();
    // 19. Issuing a credential request to an authenticator: userVerification required and the
    //     authenticator cannot verify → it never becomes available.
    let info = authenticator.info();
    if options.user_verification == "required" && !info.user_verification {
        if conditional {
            return std::future::pending().await;
        }
        clock.sleep(options.timeout_ms).await;
        return Err(WebAuthnError::NotAllowed);
    }
    // (uiMode "immediate") The user's pick in the client's chooser is the only credential the
    // authenticator may use, and it was the test of user presence.
    let allow_credentials = match selected {
        Some(id) => vec![super::options::CredentialDescriptor {
            kind: "public-key".to_owned(),
            id: id.to_vec(),
            transports: None,
        }],
        None => options.allow_credentials.clone(),
    };
    let request = GetAssertionRequest {
        rp_id,
        client_data_hash,
        allow_credentials,
        require_user_verification: match options.user_verification.as_str() {
            "required" => true,
            "discouraged" => false,
            _ => info.user_verification,
        },
        extensions: authenticator_extensions,
        conditional,
        user_selected: selected.is_some(),
    };
    let assertion = if conditional {
        match authenticator.get_assertion(request).await {
            Ok(assertion) => assertion,
            // Nothing to offer, or the user dismissed the offer: stay pending.
            Err(_) => return std::future::pending().await,
        }
    } else {
        with_timer(
            clock,
            options.timeout_ms,
            authenticator.get_assertion(request),
        )
        .await?
        .map_err(|_| WebAuthnError::NotAllowed)?
    };
    // The credential must be one the RP allowed (and the one the user picked).
    if selected.is_some_and(|id| id != assertion.credential_id.as_slice()) {
        return Err(WebAuthnError::NotAllowed);
    }
    if !options.allow_credentials.is_empty()
        && !options
            .allow_credentials
            .iter()
            .any(|d| d.id == assertion.credential_id)
    {
        return Err(WebAuthnError::NotAllowed);
    }
    let response = json!({
        "clientDataJSON": b64(&client_data),
        "authenticatorData": b64(&assertion.authenticator_data),
        "signature": b64(&assertion.signature),
        "userHandle": assertion.user_handle.as_deref().map(b64),
    });
    Ok(public_key_credential(
        caller,
        info.attachment,
        &assertion.credential_id,
        response,
        assertion.extension_results,
    ))
}

fn resident_key_required(selection: &super::options::AuthenticatorSelection) -> bool {
    match selection.resident_key.as_deref() {
        Some("required") => true,
        Some("preferred" | "discouraged") => false,
        _ => selection.require_resident_key,
    }
}

fn client_data(kind: ClientDataType, challenge: &[u8], caller: &Caller) -> Vec<u8> {
    let top = caller
        .top_origin
        .clone()
        .unwrap_or_else(|| caller.origin.clone());
    CollectedClientData::new(
        kind,
        challenge,
        &caller.origin,
        caller.same_origin_with_ancestors,
        &top,
    )
    .to_json_bytes()
}

/// Runs `operation` until it completes or `lifetimeTimer` expires ("NotAllowedError").
async fn with_timer<C: Clock, T>(
    clock: &C,
    timeout_ms: u64,
    operation: impl std::future::Future<Output = T>,
) -> Result<T, WebAuthnError> {
    match select(pin!(operation), pin!(clock.sleep(timeout_ms))).await {
        Either::Left((value, _)) => Ok(value),
        Either::Right(((), _)) => Err(WebAuthnError::NotAllowed),
    }
}

#[cfg(test)]
mod tests;
