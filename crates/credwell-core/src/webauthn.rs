//! The WebAuthn client side (`PublicKeyCredential`): the parts of
//! [`[[Create]]`](https://w3c.github.io/webauthn/#sctn-createCredential) and
//! [`[[DiscoverFromExternalSource]]`][sctn-discover-from-external-source]
//! that do not need an authenticator: options conversion, RP ID validation (with
//! [related origin requests](https://w3c.github.io/webauthn/#sctn-related-origins)) and
//! `clientDataJSON`.
//!
//! [sctn-discover-from-external-source]:
//! https://w3c.github.io/webauthn/#sctn-discover-from-external-source

mod authenticator;
mod client;
mod client_data;
mod conditional_create;
mod options;
mod related_origins;
mod rp_id;
mod signals;

pub use authenticator::{
    Assertion, AttestedCredential, Authenticator, AuthenticatorError, AuthenticatorInfo,
    DiscoverableCredential, GetAssertionRequest, MakeCredentialRequest, NoAuthenticator,
};
pub use client::{PublicKeyCredential, WebAuthnError};
pub(crate) use client::{create, discover};
pub use client_data::{ClientDataType, CollectedClientData};
pub use conditional_create::{CONDITIONAL_CREATE_WINDOW_MS, PasswordSignIn};
pub use options::{
    AuthenticatorSelection, CredentialDescriptor, DEFAULT_ALGORITHMS, DEFAULT_TIMEOUT_MS,
    PublicKeyCreationOptions, PublicKeyOptionsError, PublicKeyRequestOptions, TIMEOUT_RANGE_MS,
};
pub use related_origins::{
    MAX_DOCUMENT_BYTES, MAX_LABELS, NoRelatedOrigins, RelatedOrigins, RelatedOriginsError,
    ScriptedRelatedOrigins, WellKnownFetchError, WellKnownResponse, origins_from_response,
    origins_list_allows,
};
pub use rp_id::{RpId, RpIdError};
pub use signals::{Signal, SignalError, SignalMethod, signal_from_json};
