//! The `mediation` member every `navigator.credentials` method takes.
//!
//! Spec: [Mediation Requirements][mediation-requirements].
//! Its own module because both the options dictionaries and WebAuthn's client read it, and
//! neither should depend on the other for it.
//!
//! [mediation-requirements]:
//! https://w3c.github.io/webappsec-credential-management/#mediation-requirements

use serde_json::{Map, Value};

use crate::idl::{self, ConversionError};

/// [`CredentialMediationRequirement`][enumdef-credentialmediationrequirement].
///
/// [enumdef-credentialmediationrequirement]:
/// https://w3c.github.io/webappsec-credential-management/#enumdef-credentialmediationrequirement
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Mediation {
    /// Never involve the user: resolve `null` rather than ask.
    Silent,
    /// Hand over a credential without the user when allowed, otherwise ask (the default).
    #[default]
    Optional,
    /// Offer credentials in non-modal UI (autofill); only `PublicKeyCredential` supports it.
    Conditional,
    /// Always ask the user, whatever the origin's prevent-silent-access flag says.
    Required,
}

impl Mediation {
    const VALUES: [&'static str; 4] = ["silent", "optional", "conditional", "required"];

    fn from_idl(s: &str) -> Self {
        match s {
            "silent" => Self::Silent,
            "conditional" => Self::Conditional,
            "required" => Self::Required,
            _ => Self::Optional,
        }
    }

    /// The IDL value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Silent => "silent",
            Self::Optional => "optional",
            Self::Conditional => "conditional",
            Self::Required => "required",
        }
    }

    /// Reads the `mediation` member of a `CredentialRequestOptions` or
    /// `CredentialCreationOptions` dictionary (`ctx`): `"optional"` when absent.
    pub(crate) fn from_member(
        map: &Map<String, Value>,
        ctx: &str,
    ) -> Result<Self, ConversionError> {
        match map.get("mediation") {
            None => Ok(Self::Optional),
            Some(v) => {
                let s = idl::enumeration(v, &Self::VALUES, &format!("{ctx}.mediation"))?;
                Ok(Self::from_idl(s))
            }
        }
    }
}
