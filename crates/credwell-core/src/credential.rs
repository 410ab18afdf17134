//! The credential objects: [`PasswordCredential`] and [`FederatedCredential`], and the
//! secret-holding [`Password`].
//!
//! Spec: [The `Credential` Interface][the-credential-interface],
//! [`PasswordCredential`][passwordcredential-interface],
//! [`FederatedCredential`][federatedcredential-interface].
//!
//! [the-credential-interface]:
//! https://w3c.github.io/webappsec-credential-management/#the-credential-interface
//! [passwordcredential-interface]:
//! https://w3c.github.io/webappsec-credential-management/#passwordcredential-interface
//! [federatedcredential-interface]:
//! https://w3c.github.io/webappsec-credential-management/#federatedcredential-interface

use std::fmt;

use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::origin::Origin;

/// A credential type, the value of a credential interface's `[[type]]` slot, in the order of the
/// [Credential Type Registry][sctn-cred-type-registry].
///
/// [sctn-cred-type-registry]:
/// https://w3c.github.io/webappsec-credential-management/#sctn-cred-type-registry
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum CredentialType {
    /// `"federated"`: [`FederatedCredential`].
    Federated,
    /// `"password"`: [`PasswordCredential`].
    Password,
    /// `"public-key"`: `PublicKeyCredential` (WebAuthn).
    PublicKey,
}

impl CredentialType {
    /// The `[[type]]` string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Federated => "federated",
            Self::Password => "password",
            Self::PublicKey => "public-key",
        }
    }

    /// The interface name, for messages.
    pub fn interface_name(self) -> &'static str {
        match self {
            Self::Federated => "FederatedCredential",
            Self::Password => "PasswordCredential",
            Self::PublicKey => "PublicKeyCredential",
        }
    }

    /// The `CredentialRequestOptions` member that requests this type (the registry's "Options
    /// Member Identifier").
    pub fn options_member(self) -> &'static str {
        match self {
            Self::Federated => "federated",
            Self::Password => "password",
            Self::PublicKey => "publicKey",
        }
    }

    /// The registry's "Types allowed in the same get() request": every type may be combined with
    /// itself; password and federated may be combined with each other; public-key with nothing.
    pub fn may_combine_with(self, other: Self) -> bool {
        use CredentialType::{Federated, Password};
        self == other || matches!((self, other), (Password, Federated) | (Federated, Password))
    }

    /// `[[discovery]]` is "credential store" (as opposed to "remote"): what makes options
    /// [matchable a priori][matchable-a-priori].
    ///
    /// [matchable-a-priori]:
    /// https://w3c.github.io/webappsec-credential-management/#matchable-a-priori
    pub fn discovered_from_credential_store(self) -> bool {
        matches!(self, Self::Federated | Self::Password)
    }

    /// Whether the interface overrides `isConditionalMediationAvailable()` to resolve `true`.
    pub fn supports_conditional_mediation(self) -> bool {
        self == Self::PublicKey
    }

    /// Whether the interface supports `uiMode: "immediate"`.
    pub fn supports_immediate_ui(self) -> bool {
        matches!(self, Self::Password | Self::PublicKey)
    }
}

impl fmt::Display for CredentialType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A password: zeroized when dropped, never shown by `Debug` or `Display`.
///
/// ```
/// use credwell_core::Password;
/// let p = Password::new("hunter2");
/// assert_eq!(format!("{p:?}"), "Password(<redacted>)");
/// assert_eq!(p.expose(), "hunter2");
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Password(Zeroizing<String>);

impl Password {
    /// Wraps a password.
    pub fn new(password: impl Into<String>) -> Self {
        Self(Zeroizing::new(password.into()))
    }

    /// The password in clear. Call only to hand it to the page or to seal it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the password is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A [`PasswordCredential`][passwordcredential]:
/// a username (`id`) and password for one origin.
///
/// [passwordcredential]: https://w3c.github.io/webappsec-credential-management/#passwordcredential
#[derive(Clone, Debug, PartialEq)]
pub struct PasswordCredential {
    /// `id`: the username.
    pub id: String,
    /// `password`.
    pub password: Password,
    /// `name`: a display name, `""` when not given.
    pub name: String,
    /// `iconURL`: an avatar, `""` when not given.
    pub icon_url: String,
    /// `[[origin]]`: the origin the credential belongs to.
    pub origin: Origin,
}

/// A [`FederatedCredential`][federatedcredential]:
/// "this user signs in to this origin with that identity provider".
///
/// [federatedcredential]:
/// https://w3c.github.io/webappsec-credential-management/#federatedcredential
#[derive(Clone, Debug, PartialEq)]
pub struct FederatedCredential {
    /// `id`: the account identifier at the provider.
    pub id: String,
    /// `provider`: the provider's origin, ASCII-serialized with no trailing slash.
    pub provider: String,
    /// `protocol`, when the site gave one.
    pub protocol: Option<String>,
    /// `name`, `""` when not given.
    pub name: String,
    /// `iconURL`, `""` when not given.
    pub icon_url: String,
    /// `[[origin]]`.
    pub origin: Origin,
}

/// A credential the engine stores and returns.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Credential {
    /// A [`PasswordCredential`].
    Password(PasswordCredential),
    /// A [`FederatedCredential`].
    Federated(FederatedCredential),
    /// A `PublicKeyCredential` (WebAuthn), in its `toJSON()` form.
    PublicKey(crate::webauthn::PublicKeyCredential),
}

impl Credential {
    /// The `[[type]]`.
    pub fn credential_type(&self) -> CredentialType {
        match self {
            Self::Password(_) => CredentialType::Password,
            Self::Federated(_) => CredentialType::Federated,
            Self::PublicKey(_) => CredentialType::PublicKey,
        }
    }

    /// The `id` attribute.
    pub fn id(&self) -> &str {
        match self {
            Self::Password(c) => &c.id,
            Self::Federated(c) => &c.id,
            Self::PublicKey(c) => &c.id,
        }
    }

    /// The `name` attribute.
    pub fn name(&self) -> &str {
        match self {
            Self::Password(c) => &c.name,
            Self::Federated(c) => &c.name,
            Self::PublicKey(_) => "",
        }
    }

    /// The `iconURL` attribute.
    pub fn icon_url(&self) -> &str {
        match self {
            Self::Password(c) => &c.icon_url,
            Self::Federated(c) => &c.icon_url,
            Self::PublicKey(_) => "",
        }
    }

    /// The `[[origin]]` slot.
    pub fn origin(&self) -> &Origin {
        match self {
            Self::Password(c) => &c.origin,
            Self::Federated(c) => &c.origin,
            Self::PublicKey(c) => &c.origin,
        }
    }

    /// The object as the page sees it, for embedders whose bindings take JSON:
    /// `{"type", "id", "name", "iconURL", "password"}` or `{"type", "id", "name", "iconURL",
    /// "provider", "protocol"}`. This holds the password in clear: hand it only to the page.
    pub fn to_page_json(&self) -> Value {
        match self {
            Self::Password(c) => json!({
                "type": "password",
                "id": c.id,
                "name": c.name,
                "iconURL": c.icon_url,
                "password": c.password.expose(),
            }),
            Self::Federated(c) => json!({
                "type": "federated",
                "id": c.id,
                "name": c.name,
                "iconURL": c.icon_url,
                "provider": c.provider,
                "protocol": c.protocol,
            }),
            Self::PublicKey(c) => c.json.clone(),
        }
    }
}
