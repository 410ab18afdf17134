//! # credwell-core
//!
//! The [W3C Credential Management API](https://w3c.github.io/webappsec-credential-management/)
//! (`navigator.credentials`) as an engine a browser can embed: the spec's algorithms for
//! `get()`, `store()`, `create()` and `preventSilentAccess()`, for `PasswordCredential` and
//! `FederatedCredential`, in the spec's step order and with its exact exception names.
//!
//! The crate does no I/O. The embedder supplies:
//! - a [`CredentialStore`] (an in-memory [`MemoryStore`] is included; `credwell-vault` is the
//!   encrypted SQLite one),
//! - a [`Mediator`] for the user's decisions (the account chooser, save and update prompts;
//!   [`ScriptedMediator`] answers from a script),
//! - a [`Clock`] ([`SystemClock`], [`ManualClock`]),
//! - optionally, [`RelatedOrigins`]: how to fetch a relying party's `.well-known/webauthn` for
//!   WebAuthn's related origin requests ([`NoRelatedOrigins`], the default, does not support
//!   them; [`ScriptedRelatedOrigins`] answers from a script),
//! - and, per call, a trusted [`Caller`]: the calling frame's origin, secure-context and
//!   fully-active state and whether it is same-origin with its ancestors, as the *browser*
//!   reports them, never as the page claims.
//!
//! Options arrive as JSON in the shape of the WebIDL dictionaries, so an embedder can pass on
//! what the page passed; results are a [`Credential`], `null`, or an error that converts into a
//! [`Rejection`] carrying the exact `DOMException` name.
//!
//! ```
//! use credwell_core::*;
//! use serde_json::json;
//!
//! # futures::executor::block_on(async {
//! let mediator = ScriptedMediator::new([Scripted::Save(SaveDecision::Save)]);
//! let engine = Engine::new(MemoryStore::new(), mediator, SystemClock);
//! let origin = Origin::parse("https://example.com").unwrap();
//! let page = |n| Caller::new(origin.clone(), ClientId(1), RequestId(n));
//!
//! // store(new PasswordCredential({id, password})) with the user's consent...
//! engine.store(&page(1), &json!({"type": "password", "id": "alice", "password": "pencil"}))
//!     .await.unwrap();
//! // ...then get() signs the user straight back in...
//! let got = engine.get(&page(2), &json!({"password": true, "mediation": "silent"}), None)
//!     .await.unwrap();
//! assert_eq!(got.unwrap().id(), "alice");
//! // ...until the site signs out with preventSilentAccess().
//! engine.prevent_silent_access(&page(3)).await.unwrap();
//! let got = engine.get(&page(4), &json!({"password": true, "mediation": "silent"}), None)
//!     .await.unwrap();
//! assert!(got.is_none());
//!
//! // The tutorial's plain object is a TypeError that says what to do instead.
//! let err = engine.store(&page(5), &json!({"username": "alice", "password": "pencil"}))
//!     .await.unwrap_err();
//! assert_eq!(Rejection::from(err).name(), Some(ErrorName::TypeError));
//! # });
//! ```
//!
//! See `docs/embedding.md` for the full embedding guide and `docs/conformance.md` for each spec
//! point's status.

/// The embedding guide, compiled and run as a doc test.
#[doc = include_str!("../../../docs/embedding.md")]
#[cfg(doctest)]
pub struct EmbeddingGuide;

mod abort;
mod caller;
mod clock;
mod credential;
mod engine;
mod errors;
mod exception;
mod extras;
mod federated;
mod idl;
mod mediation;
mod mediator;
mod options;
mod origin;
mod password;
mod store;
pub mod sync;
mod webauthn;

pub use abort::{AbortController, AbortReason, AbortSignal};
pub use caller::{Caller, ClientId, RequestId, same_origin_with_ancestors};
pub use clock::{Clock, ManualClock, SystemClock, Timestamp};
pub use credential::{
    Credential, CredentialType, FederatedCredential, Password, PasswordCredential,
};
pub use engine::{
    Engine, EngineConfig, IMMEDIATE_CALLS, IMMEDIATE_WINDOW_MS, StoreConsent, StoreSource,
};
pub use errors::{ConstructError, CreateError, GetError, PreventSilentAccessError, StoreError};
pub use exception::{ErrorName, Rejection};
pub use extras::{CustomField, Extras, SecretText};
pub use idl::{ConversionError, MAX_SEQUENCE_LEN, MAX_STRING_BYTES};
pub use mediation::Mediation;
pub use mediator::{
    Account, Asked, ChooserOutcome, ChooserRequest, Mediator, Offer, SaveDecision, Scripted,
    ScriptedMediator, StorePrompt, UpdateDecision,
};
pub use options::{
    CredentialCreationOptions, CredentialRequestOptions, FederatedCredentialInit,
    FederatedCredentialRequestOptions, FormField, FormSnapshot, PasswordCredentialData,
    PasswordCredentialInit, UiMode, credential_from_object, normalize_provider,
};
pub use origin::{Origin, OriginError, Site};
pub use store::{
    CredentialStore, DatedCredential, DelegatingStore, MAX_PASSWORD_HISTORY, MemoryStore,
    OriginFlags, PastPassword, RecordId, StoreFailure, StoreResult, StoredCredential,
    retire_password, trim_history,
};
pub use webauthn::{
    Assertion, AttestedCredential, Authenticator, AuthenticatorError, AuthenticatorInfo,
    AuthenticatorSelection, CONDITIONAL_CREATE_WINDOW_MS, ClientDataType, CollectedClientData,
    CredentialDescriptor, DEFAULT_ALGORITHMS, DEFAULT_TIMEOUT_MS, DiscoverableCredential,
    GetAssertionRequest, MAX_DOCUMENT_BYTES, MAX_LABELS, MakeCredentialRequest, NoAuthenticator,
    NoRelatedOrigins, PasswordSignIn, PublicKeyCreationOptions, PublicKeyCredential,
    PublicKeyOptionsError, PublicKeyRequestOptions, RelatedOrigins, RelatedOriginsError, RpId,
    RpIdError, ScriptedRelatedOrigins, Signal, SignalError, SignalMethod, TIMEOUT_RANGE_MS,
    WebAuthnError, WellKnownFetchError, WellKnownResponse, origins_from_response,
    origins_list_allows, signal_from_json,
};
