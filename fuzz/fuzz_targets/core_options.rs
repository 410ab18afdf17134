//! The engine's option parsers, as the host feeds them page-supplied JSON:
//! `CredentialRequestOptions` / `CredentialCreationOptions` (Credential Management, WebIDL
//! conversion), their `publicKey` members (`PublicKeyRequestOptions` /
//! `PublicKeyCreationOptions`, WebAuthn), and a `.well-known/webauthn` document
//! (`origins_from_response`).
//!
//! Contract: never panics; any JSON value is either converted or refused with an error.
#![no_main]

use credwell_core::{
    CredentialCreationOptions, CredentialRequestOptions, PublicKeyCreationOptions,
    PublicKeyRequestOptions, WellKnownResponse, origins_from_response,
};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = origins_from_response(&WellKnownResponse::json(text));
    }
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let _ = CredentialRequestOptions::from_json(&value);
    let _ = CredentialCreationOptions::from_json(&value);
    // The whole value as `publicKey`, and its `publicKey` member when it has one.
    let _ = PublicKeyRequestOptions::from_json(&value);
    let _ = PublicKeyCreationOptions::from_json(&value);
    if let Some(public_key) = value.get("publicKey") {
        let _ = PublicKeyRequestOptions::from_json(public_key);
        let _ = PublicKeyCreationOptions::from_json(public_key);
    }
});
