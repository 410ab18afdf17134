//! What a rejected promise carries back to the page: a `DOMException` by its exact name, an
//! ECMAScript `TypeError`, or whatever the page gave as its `AbortSignal`'s reason.
//!
//! Each operation has its own error enum ([`GetError`](crate::GetError),
//! [`StoreError`](crate::StoreError), ...). They all convert into a [`Rejection`] in one place
//! so that an embedder has a single shape to hand to its JavaScript bindings.

use std::fmt;

use serde::Serialize;

use crate::abort::AbortReason;

/// The name of the exception a promise rejects with.
///
/// Every name but [`ErrorName::TypeError`] is a
/// [`DOMException` name](https://webidl.spec.whatwg.org/#idl-DOMException-error-names);
/// `TypeError` is the ECMAScript error that WebIDL conversions throw.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum ErrorName {
    /// The operation was aborted and the signal carried no other reason.
    AbortError,
    /// A requirement cannot be met in this mode (WebAuthn's conditional create with
    /// `userVerification: "required"`).
    ConstraintError,
    /// The object is in an invalid state (a document that is not fully active).
    InvalidStateError,
    /// The request is not allowed in this context (cross-origin frames, concurrent requests).
    NotAllowedError,
    /// The operation is not supported (no credential type requested, types that cannot mix).
    NotSupportedError,
    /// The operation is insecure (opaque origins, non-secure contexts).
    SecurityError,
    /// A string did not parse (an `iconURL` or `provider` that is not a URL).
    SyntaxError,
    /// The arguments do not convert to the WebIDL types the method takes.
    TypeError,
    /// The user agent failed for a reason the page cannot act on (the store failed).
    UnknownError,
}

impl ErrorName {
    /// The name as JavaScript sees it in `error.name`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AbortError => "AbortError",
            Self::ConstraintError => "ConstraintError",
            Self::InvalidStateError => "InvalidStateError",
            Self::NotAllowedError => "NotAllowedError",
            Self::NotSupportedError => "NotSupportedError",
            Self::SecurityError => "SecurityError",
            Self::SyntaxError => "SyntaxError",
            Self::TypeError => "TypeError",
            Self::UnknownError => "UnknownError",
        }
    }

    /// Whether this is a `DOMException` (as opposed to an ECMAScript `TypeError`).
    pub fn is_dom_exception(self) -> bool {
        self != Self::TypeError
    }
}

impl fmt::Display for ErrorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a promise returned to the page is rejected.
///
/// ```
/// use credwell_core::{ErrorName, Rejection};
/// let r = Rejection::exception(ErrorName::NotSupportedError, "no credential type was requested");
/// assert_eq!(r.to_json()["name"], "NotSupportedError");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Rejection {
    /// A `DOMException` or `TypeError` with a message for the web developer.
    Exception {
        /// The exception's name.
        name: ErrorName,
        /// What went wrong and what to fix, for the web developer. Never holds a secret.
        message: String,
    },
    /// The request was aborted: reject with the signal's abort reason, whatever it is.
    Aborted(AbortReason),
}

impl Rejection {
    /// A rejection with an exception of the given name.
    pub fn exception(name: ErrorName, message: impl Into<String>) -> Self {
        Self::Exception {
            name,
            message: message.into(),
        }
    }

    /// The exception name, or `AbortError` for an abort with the default reason, or `None` for
    /// an abort whose reason is an arbitrary page value.
    pub fn name(&self) -> Option<ErrorName> {
        match self {
            Self::Exception { name, .. } => Some(*name),
            Self::Aborted(AbortReason::Default) => Some(ErrorName::AbortError),
            Self::Aborted(AbortReason::Value(_)) => None,
        }
    }

    /// The JSON shape embedders pass to their bindings:
    /// `{"name": ..., "message": ...}` or `{"abortReason": <value>}`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Exception { name, message } => {
                serde_json::json!({ "name": name.as_str(), "message": message })
            }
            Self::Aborted(AbortReason::Default) => serde_json::json!({
                "name": "AbortError",
                "message": "The operation was aborted.",
            }),
            Self::Aborted(AbortReason::Value(value)) => serde_json::json!({ "abortReason": value }),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exception { name, message } => write!(f, "{name}: {message}"),
            Self::Aborted(AbortReason::Default) => {
                f.write_str("AbortError: The operation was aborted.")
            }
            Self::Aborted(AbortReason::Value(v)) => write!(f, "aborted with reason {v}"),
        }
    }
}

impl std::error::Error for Rejection {}
