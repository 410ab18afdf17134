//! One error enum per operation, each mapped to the exception the page sees.
//!
//! Messages are written for the web developer: they say what was wrong and what to do. They never
//! contain a password, and store failures are reported to the page only as `UnknownError`.

use crate::abort::AbortReason;
use crate::credential::CredentialType;
use crate::exception::{ErrorName, Rejection};
use crate::idl::ConversionError;
use crate::store::StoreFailure;

/// Why a credential could not be constructed (`new PasswordCredential(...)`,
/// `new FederatedCredential(...)`, and `create()`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConstructError {
    /// A member the spec requires to be non-empty is empty (`TypeError`).
    #[error("{0} must not be empty")]
    EmptyMember(&'static str),
    /// A URL member does not parse (`SyntaxError`, as in Chromium).
    #[error("{member} {value:?} is not a valid absolute URL")]
    InvalidUrl {
        /// The member.
        member: &'static str,
        /// The value, shortened.
        value: String,
    },
}

impl ConstructError {
    /// The exception name.
    pub fn name(&self) -> ErrorName {
        match self {
            Self::EmptyMember(_) => ErrorName::TypeError,
            Self::InvalidUrl { .. } => ErrorName::SyntaxError,
        }
    }
}

/// What a `uiMode: "immediate"` request that ends without a credential says, whether nothing
/// was held, the store was locked or the user dismissed the chooser.
const IMMEDIATE_NOTHING_CHOSEN: &str = concat!(
    "uiMode 'immediate': no credential was chosen ",
    "(none is available, or the user dismissed the chooser)"
);

/// Why `navigator.credentials.get()` rejected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GetError {
    /// The options do not convert to `CredentialRequestOptions` (`TypeError`).
    #[error("Failed to execute 'get' on 'CredentialsContainer': {0}")]
    InvalidOptions(ConversionError),
    /// Called from a non-secure context (`SecurityError`).
    #[error("navigator.credentials is only available in secure contexts (https:// or localhost)")]
    InsecureContext,
    /// The document is not fully active (`InvalidStateError`).
    #[error("the document is not fully active")]
    NotFullyActive,
    /// The signal was aborted (rejects with its reason).
    #[error("the request was aborted")]
    Aborted(AbortReason),
    /// No credential type was requested (`NotSupportedError`).
    #[error(
        "no credential type was requested: pass at least one of password: true, federated: \
         {{...}} or publicKey: {{...}}"
    )]
    NoCredentialTypes,
    /// Two requested types may not be combined in one request (`NotSupportedError`).
    #[error("'{0}' and '{1}' credentials cannot be requested in the same get() call")]
    TypesCannotBeCombined(CredentialType, CredentialType),
    /// `mediation: "conditional"` with a type that does not support it (`TypeError`).
    #[error(
        "mediation 'conditional' is not supported for {} (only PublicKeyCredential supports it)",
        .0.interface_name()
    )]
    ConditionalNotSupported(CredentialType),
    /// `uiMode: "immediate"` with a type that does not support it (`TypeError`).
    #[error("uiMode 'immediate' is not supported for {}", .0.interface_name())]
    ImmediateNotSupported(CredentialType),
    /// A request of this type is already in flight in this document (`NotAllowedError`).
    #[error(
        "a '{0}' credential request is already pending in this document; wait for it to settle"
    )]
    RequestPending(CredentialType),
    /// The caller's origin is opaque (`SecurityError`).
    #[error(
        "{} cannot be used from an opaque origin (a sandboxed frame without allow-same-origin)",
        .0.interface_name()
    )]
    OpaqueOrigin(CredentialType),
    /// The caller is not same-origin with its ancestors (`NotAllowedError`).
    #[error(
        "{} cannot be retrieved from a frame that is not same-origin with all its ancestors",
        .0.interface_name()
    )]
    NotSameOriginWithAncestors(CredentialType),
    /// Public-key credentials are not served by this engine (`NotSupportedError`).
    #[error("publicKey requests are not supported by this credential manager")]
    PublicKeyUnavailable,
    /// The document's permissions policy does not allow the feature (`NotAllowedError`).
    #[error(
        "the permissions policy does not allow \"{0}\" in this document (add allow=\"{0}\" to the \
         iframe)"
    )]
    PermissionsPolicy(&'static str),
    /// `uiMode: "immediate"` with `mediation: "conditional"` (`NotSupportedError`, as WPT's
    /// getcredential-ui-mode-immediate expects).
    #[error("uiMode 'immediate' cannot be combined with mediation 'conditional'")]
    ImmediateWithConditional,
    /// `uiMode: "immediate"` with `mediation: "silent"` (`NotAllowedError`, no UI): the chooser
    /// is the mode's only way to provide a credential, and `silent` forbids it.
    #[error(
        "uiMode 'immediate' shows a chooser or provides nothing, and mediation 'silent' forbids \
         the chooser"
    )]
    ImmediateSilent,
    /// `uiMode: "immediate"` without transient activation (`NotAllowedError`).
    #[error("uiMode 'immediate' needs a user gesture (transient activation) in the calling frame")]
    ImmediateNeedsUserActivation,
    /// `uiMode: "immediate"` with a non-empty `allowCredentials` (`NotAllowedError`).
    #[error(
        "uiMode 'immediate' lists the discoverable credentials it holds: allowCredentials must \
         be empty"
    )]
    ImmediateWithAllowCredentials,
    /// `uiMode: "immediate"` from a frame that is not same-origin with its ancestors
    /// (`NotAllowedError`).
    #[error("uiMode 'immediate' is only available to frames same-origin with all their ancestors")]
    ImmediateNotSameOriginWithAncestors,
    /// More `uiMode: "immediate"` calls from one document than the rate allows
    /// (`NotAllowedError`).
    #[error(
        "too many uiMode 'immediate' requests from this document: at most {} in {} seconds",
        crate::engine::IMMEDIATE_CALLS,
        crate::engine::IMMEDIATE_WINDOW_MS / 1000
    )]
    ImmediateRateLimited,
    /// `uiMode: "immediate"` and nothing is held for the caller (`NotAllowedError`, no UI).
    /// The message is the dismissal's: the page must not tell the two apart.
    #[error("{IMMEDIATE_NOTHING_CHOSEN}")]
    ImmediateNothingHeld,
    /// `uiMode: "immediate"` while the store cannot tell what it holds without asking the user
    /// (locked): `NotAllowedError`, no UI, the dismissal's message.
    #[error("{IMMEDIATE_NOTHING_CHOSEN}")]
    ImmediateLocked,
    /// `uiMode: "immediate"` and the user dismissed the chooser (`NotAllowedError`, as in
    /// Chrome).
    #[error("{IMMEDIATE_NOTHING_CHOSEN}")]
    ImmediateDismissed,
    /// The WebAuthn ceremony failed (its own exception name).
    #[error("{0}")]
    WebAuthn(crate::webauthn::WebAuthnError),
    /// The credential store failed (`UnknownError`).
    #[error("the credential store is unavailable")]
    Store(#[source] StoreFailure),
}

impl GetError {
    /// The exception name the page sees.
    pub fn name(&self) -> ErrorName {
        match self {
            Self::InvalidOptions(_)
            | Self::ConditionalNotSupported(_)
            | Self::ImmediateNotSupported(_) => ErrorName::TypeError,
            Self::InsecureContext | Self::OpaqueOrigin(_) => ErrorName::SecurityError,
            Self::NotFullyActive => ErrorName::InvalidStateError,
            Self::Aborted(_) => ErrorName::AbortError,
            Self::NoCredentialTypes
            | Self::TypesCannotBeCombined(..)
            | Self::PublicKeyUnavailable
            | Self::ImmediateWithConditional => ErrorName::NotSupportedError,
            Self::RequestPending(_)
            | Self::NotSameOriginWithAncestors(_)
            | Self::PermissionsPolicy(_)
            | Self::ImmediateSilent
            | Self::ImmediateNeedsUserActivation
            | Self::ImmediateWithAllowCredentials
            | Self::ImmediateNotSameOriginWithAncestors
            | Self::ImmediateRateLimited
            | Self::ImmediateNothingHeld
            | Self::ImmediateLocked
            | Self::ImmediateDismissed => ErrorName::NotAllowedError,
            Self::WebAuthn(e) => e.name(),
            Self::Store(_) => ErrorName::UnknownError,
        }
    }
}

/// Why `navigator.credentials.store()` rejected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The argument is not a `Credential` (`TypeError`).
    #[error(
        "Failed to execute 'store' on 'CredentialsContainer': parameter 1 is not of type \
         'Credential'.{0}"
    )]
    NotACredential(&'static str),
    /// The credential object's slots do not convert (`TypeError`).
    #[error("Failed to execute 'store' on 'CredentialsContainer': {0}")]
    InvalidObject(ConversionError),
    /// The credential object's data is invalid (`TypeError`, `SyntaxError`).
    #[error("Failed to execute 'store' on 'CredentialsContainer': {0}")]
    InvalidCredential(ConstructError),
    /// Called from a non-secure context (`SecurityError`).
    #[error("navigator.credentials is only available in secure contexts (https:// or localhost)")]
    InsecureContext,
    /// The document is not fully active (`InvalidStateError`).
    #[error("the document is not fully active")]
    NotFullyActive,
    /// A request of this type is already in flight in this document (`NotAllowedError`).
    #[error(
        "a '{0}' credential request is already pending in this document; wait for it to settle"
    )]
    RequestPending(CredentialType),
    /// The caller's origin is opaque (`SecurityError`).
    #[error(
        "{} cannot be stored from an opaque origin (a sandboxed frame without allow-same-origin)",
        .0.interface_name()
    )]
    OpaqueOrigin(CredentialType),
    /// The caller is not same-origin with its ancestors (`NotAllowedError`).
    #[error(
        "{} cannot be stored from a frame that is not same-origin with all its ancestors",
        .0.interface_name()
    )]
    NotSameOriginWithAncestors(CredentialType),
    /// The type cannot be stored through `store()` (`NotSupportedError`).
    #[error("{} objects cannot be stored with store(); use create()", .0.interface_name())]
    NotStorable(CredentialType),
    /// A credential type whose `[[Store]]` is the default one (`NotSupportedError`).
    #[error("'{0}' credentials cannot be stored with store()")]
    UnsupportedType(String),
    /// The embedder cancelled the request (the tab closed, the frame navigated away).
    #[error("the request was cancelled")]
    Aborted(AbortReason),
    /// The credential store failed (`UnknownError`).
    #[error("the credential store is unavailable")]
    Store(#[source] StoreFailure),
}

impl StoreError {
    /// The exception name the page sees.
    pub fn name(&self) -> ErrorName {
        match self {
            Self::NotACredential(_) | Self::InvalidObject(_) => ErrorName::TypeError,
            Self::InvalidCredential(e) => e.name(),
            Self::InsecureContext | Self::OpaqueOrigin(_) => ErrorName::SecurityError,
            Self::NotFullyActive => ErrorName::InvalidStateError,
            Self::RequestPending(_) | Self::NotSameOriginWithAncestors(_) => {
                ErrorName::NotAllowedError
            }
            Self::NotStorable(_) | Self::UnsupportedType(_) => ErrorName::NotSupportedError,
            Self::Aborted(_) => ErrorName::AbortError,
            Self::Store(_) => ErrorName::UnknownError,
        }
    }
}

/// Why `navigator.credentials.create()` rejected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CreateError {
    /// The options do not convert to `CredentialCreationOptions` (`TypeError`).
    #[error("Failed to execute 'create' on 'CredentialsContainer': {0}")]
    InvalidOptions(ConversionError),
    /// Called from a non-secure context (`SecurityError`).
    #[error("navigator.credentials is only available in secure contexts (https:// or localhost)")]
    InsecureContext,
    /// The document is not fully active (`InvalidStateError`).
    #[error("the document is not fully active")]
    NotFullyActive,
    /// More than one credential type was given (`NotSupportedError`).
    #[error("create() takes exactly one credential type, but {0} were given")]
    TooManyTypes(usize),
    /// The signal was aborted (rejects with its reason).
    #[error("the request was aborted")]
    Aborted(AbortReason),
    /// No credential type was given (`NotSupportedError`).
    #[error("no credential type was given: pass one of password, federated or publicKey")]
    NoCredentialTypes,
    /// A request of this type is already in flight in this document (`NotAllowedError`).
    #[error(
        "a '{0}' credential request is already pending in this document; wait for it to settle"
    )]
    RequestPending(CredentialType),
    /// The caller's origin is opaque (`SecurityError`).
    #[error(
        "{} cannot be created in an opaque origin (a sandboxed frame without allow-same-origin)",
        .0.interface_name()
    )]
    OpaqueOrigin(CredentialType),
    /// The data does not make a valid credential (`TypeError`, `SyntaxError`).
    #[error("Failed to execute 'create' on 'CredentialsContainer': {0}")]
    InvalidCredential(ConstructError),
    /// Public-key credentials are not served by this engine (`NotSupportedError`).
    #[error("publicKey requests are not supported by this credential manager")]
    PublicKeyUnavailable,
    /// The document's permissions policy does not allow the feature (`NotAllowedError`).
    #[error(
        "the permissions policy does not allow \"{0}\" in this document (add allow=\"{0}\" to the \
         iframe)"
    )]
    PermissionsPolicy(&'static str),
    /// The WebAuthn ceremony failed (its own exception name).
    #[error("{0}")]
    WebAuthn(crate::webauthn::WebAuthnError),
}

impl CreateError {
    /// The exception name the page sees.
    pub fn name(&self) -> ErrorName {
        match self {
            Self::InvalidOptions(_) => ErrorName::TypeError,
            Self::InvalidCredential(e) => e.name(),
            Self::InsecureContext | Self::OpaqueOrigin(_) => ErrorName::SecurityError,
            Self::NotFullyActive => ErrorName::InvalidStateError,
            Self::TooManyTypes(_) | Self::NoCredentialTypes | Self::PublicKeyUnavailable => {
                ErrorName::NotSupportedError
            }
            Self::Aborted(_) => ErrorName::AbortError,
            Self::RequestPending(_) | Self::PermissionsPolicy(_) => ErrorName::NotAllowedError,
            Self::WebAuthn(e) => e.name(),
        }
    }
}

/// Why `navigator.credentials.preventSilentAccess()` rejected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PreventSilentAccessError {
    /// Called from a non-secure context (`SecurityError`).
    #[error("navigator.credentials is only available in secure contexts (https:// or localhost)")]
    InsecureContext,
    /// The document is not fully active (`InvalidStateError`).
    #[error("the document is not fully active")]
    NotFullyActive,
    /// The embedder cancelled the request (the tab closed, the frame navigated away).
    #[error("the request was cancelled")]
    Aborted(AbortReason),
    /// The credential store failed (`UnknownError`).
    #[error("the credential store is unavailable")]
    Store(#[source] StoreFailure),
}

impl PreventSilentAccessError {
    /// The exception name the page sees.
    pub fn name(&self) -> ErrorName {
        match self {
            Self::InsecureContext => ErrorName::SecurityError,
            Self::NotFullyActive => ErrorName::InvalidStateError,
            Self::Aborted(_) => ErrorName::AbortError,
            Self::Store(_) => ErrorName::UnknownError,
        }
    }
}

macro_rules! into_rejection {
    ($($error:ident),*) => {$(
        impl From<$error> for Rejection {
            fn from(error: $error) -> Self {
                match error {
                    $error::Aborted(reason) => Rejection::Aborted(reason),
                    other => Rejection::exception(other.name(), other.to_string()),
                }
            }
        }
    )*};
}

into_rejection!(GetError, StoreError, CreateError, PreventSilentAccessError);

impl From<ConstructError> for Rejection {
    fn from(error: ConstructError) -> Self {
        Rejection::exception(error.name(), error.to_string())
    }
}
