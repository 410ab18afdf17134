//! The [`prf`](https://w3c.github.io/webauthn/#prf-extension) extension over passkey-rs's
//! hmac-secret: the client extension processing (decoding the JSON inputs and hashing them into
//! salts) and the outputs as JSON.
//!
//! Outputs follow CTAP2 hmac-secret semantics: each passkey created with `prf` gets two random
//! 32-byte secrets, one used when the user was verified in the ceremony and one when not, so the
//! same input gives different outputs with and without user verification.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use credwell_core::{AuthenticatorError, CredentialDescriptor};
use passkey_types::Bytes;
use passkey_types::ctap2::extensions::{AuthenticatorPrfInputs, AuthenticatorPrfValues};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// The extension identifier.
const PRF: &str = "prf";

/// The salt for one PRF input: SHA-256("WebAuthn PRF" || 0x00 || input).
fn salt(input: &[u8]) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(b"WebAuthn PRF\x00");
    hash.update(input);
    hash.finalize().into()
}

/// A BufferSource of the JSON options: a base64url string. Malformed input is the
/// authenticator's `UnknownError`.
fn buffer(value: &Value) -> Result<Vec<u8>, AuthenticatorError> {
    value
        .as_str()
        .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
        .ok_or(AuthenticatorError::Unknown)
}

/// `AuthenticationExtensionsPRFValues` {first, second?} as salts.
fn values(value: &Value) -> Result<AuthenticatorPrfValues, AuthenticatorError> {
    let map = value.as_object().ok_or(AuthenticatorError::Unknown)?;
    let first = salt(&buffer(
        map.get("first").ok_or(AuthenticatorError::Unknown)?,
    )?);
    let second = match map.get("second") {
        None | Some(Value::Null) => None,
        Some(v) => Some(salt(&buffer(v)?)),
    };
    Ok(AuthenticatorPrfValues { first, second })
}

fn eval(input: &Map<String, Value>) -> Result<Option<AuthenticatorPrfValues>, AuthenticatorError> {
    match input.get("eval") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => values(v).map(Some),
    }
}

fn input(
    extensions: &Map<String, Value>,
) -> Result<Option<&Map<String, Value>>, AuthenticatorError> {
    match extensions.get(PRF) {
        None => Ok(None),
        Some(v) => v.as_object().map(Some).ok_or(AuthenticatorError::Unknown),
    }
}

/// The registration input: `eval` only; `evalByCredential` is a `NotSupportedError`.
pub(crate) fn make_input(
    extensions: &Map<String, Value>,
) -> Result<Option<AuthenticatorPrfInputs>, AuthenticatorError> {
    let Some(input) = input(extensions)? else {
        return Ok(None);
    };
    if input.get("evalByCredential").is_some_and(|v| !v.is_null()) {
        return Err(AuthenticatorError::NotSupported);
    }
    Ok(Some(AuthenticatorPrfInputs {
        eval: eval(input)?,
        eval_by_credential: None,
    }))
}

/// The authentication input: `eval`, and `evalByCredential` keyed by credential ids that must
/// all be in a non-empty `allowCredentials`.
pub(crate) fn get_input(
    extensions: &Map<String, Value>,
    allow_credentials: &[CredentialDescriptor],
) -> Result<Option<AuthenticatorPrfInputs>, AuthenticatorError> {
    let Some(input) = input(extensions)? else {
        return Ok(None);
    };
    let by_credential = match input.get("evalByCredential") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let map = v.as_object().ok_or(AuthenticatorError::Unknown)?;
            if map.is_empty() {
                None
            } else if allow_credentials.is_empty() {
                return Err(AuthenticatorError::NotSupported);
            } else {
                let mut salts = std::collections::HashMap::with_capacity(map.len());
                for (id, values_json) in map {
                    let id = URL_SAFE_NO_PAD
                        .decode(id)
                        .map_err(|_| AuthenticatorError::Unknown)?;
                    if !allow_credentials.iter().any(|d| d.id == id) {
                        return Err(AuthenticatorError::Unknown);
                    }
                    salts.insert(Bytes::from(id), values(values_json)?);
                }
                Some(salts)
            }
        }
    };
    Ok(Some(AuthenticatorPrfInputs {
        eval: eval(input)?,
        eval_by_credential: by_credential,
    }))
}

fn results_json(values: &AuthenticatorPrfValues) -> Value {
    let mut results = json!({"first": URL_SAFE_NO_PAD.encode(values.first)});
    if let Some(second) = values.second {
        results["second"] = URL_SAFE_NO_PAD.encode(second).into();
    }
    results
}

/// The registration output `{enabled, results?}`.
pub(crate) fn make_output(
    enabled: bool,
    results: Option<&AuthenticatorPrfValues>,
) -> (String, Value) {
    let mut output = json!({ "enabled": enabled });
    if let Some(results) = results {
        output["results"] = results_json(results);
    }
    (PRF.to_owned(), output)
}

/// The authentication output `{results}`.
pub(crate) fn get_output(results: &AuthenticatorPrfValues) -> (String, Value) {
    (PRF.to_owned(), json!({ "results": results_json(results) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(prf: Value) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert(PRF.into(), prf);
        map
    }

    fn descriptor(id: &[u8]) -> CredentialDescriptor {
        CredentialDescriptor {
            kind: "public-key".into(),
            id: id.to_vec(),
            transports: None,
        }
    }

    #[test]
    fn salts_hash_the_inputs_with_the_prf_context() {
        let mut expected = Sha256::new();
        expected.update(b"WebAuthn PRF");
        expected.update([0]);
        expected.update([1, 2, 3]);
        let input = make_input(&ext(json!({"eval": {"first": "AQID", "second": ""}})))
            .unwrap()
            .unwrap();
        let eval = input.eval.unwrap();
        assert_eq!(eval.first, <[u8; 32]>::from(expected.finalize()));
        assert_eq!(eval.second, Some(salt(b"")));
        assert!(make_input(&Map::new()).unwrap().is_none());
        let empty = make_input(&ext(json!({}))).unwrap().unwrap();
        assert!(empty.eval.is_none() && empty.eval_by_credential.is_none());
    }

    #[test]
    fn registration_refuses_eval_by_credential() {
        assert_eq!(
            make_input(&ext(json!({"evalByCredential": {"AQID": {"first": "AA"}}}))).unwrap_err(),
            AuthenticatorError::NotSupported
        );
    }

    #[test]
    fn malformed_inputs_are_unknown_errors() {
        for bad in [
            json!("not an object"),
            json!({"eval": "AA"}),
            json!({"eval": {}}),
            json!({"eval": {"first": 3}}),
            json!({"eval": {"first": "not base64url!"}}),
            json!({"eval": {"first": "AA", "second": "%%"}}),
        ] {
            assert_eq!(
                make_input(&ext(bad.clone())).unwrap_err(),
                AuthenticatorError::Unknown,
                "{bad}"
            );
            assert_eq!(
                get_input(&ext(bad.clone()), &[]).unwrap_err(),
                AuthenticatorError::Unknown,
                "{bad}"
            );
        }
    }

    #[test]
    fn eval_by_credential_needs_the_allow_list() {
        let allow = [descriptor(&[1, 2, 3])];
        let by_cred = |m: Value| ext(json!({"evalByCredential": m}));
        let input = get_input(&by_cred(json!({"AQID": {"first": "AA"}})), &allow)
            .unwrap()
            .unwrap();
        let salts = input.eval_by_credential.unwrap();
        assert_eq!(salts[&Bytes::from(vec![1, 2, 3])].first, salt(&[0]));
        assert_eq!(
            get_input(&by_cred(json!({"AQID": {"first": "AA"}})), &[]).unwrap_err(),
            AuthenticatorError::NotSupported
        );
        for bad in [
            json!({"BAUG": {"first": "AA"}}),
            json!({"!!": {"first": "AA"}}),
            json!([]),
        ] {
            assert_eq!(
                get_input(&by_cred(bad.clone()), &allow).unwrap_err(),
                AuthenticatorError::Unknown,
                "{bad}"
            );
        }
        let empty = get_input(&by_cred(json!({})), &[]).unwrap().unwrap();
        assert!(empty.eval_by_credential.is_none());
    }

    #[test]
    fn outputs_are_base64url() {
        let values = AuthenticatorPrfValues {
            first: [0xff; 32],
            second: Some([0; 32]),
        };
        let (id, out) = make_output(true, Some(&values));
        assert_eq!(id, "prf");
        assert_eq!(out["enabled"], true);
        assert_eq!(out["results"]["first"], URL_SAFE_NO_PAD.encode([0xff; 32]));
        assert_eq!(out["results"]["second"], URL_SAFE_NO_PAD.encode([0; 32]));
        assert_eq!(make_output(false, None).1, json!({"enabled": false}));
        let one = AuthenticatorPrfValues {
            first: [1; 32],
            second: None,
        };
        assert_eq!(
            get_output(&one).1,
            json!({"results": {"first": URL_SAFE_NO_PAD.encode([1; 32])}})
        );
    }
}
