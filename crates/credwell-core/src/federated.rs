//! The `FederatedCredential` constructor.
//!
//! Spec: [`FederatedCredential` algorithms][federatedcredential-interface].
//!
//! [federatedcredential-interface]:
//! https://w3c.github.io/webappsec-credential-management/#federatedcredential-interface

use crate::credential::FederatedCredential;
use crate::errors::ConstructError;
use crate::options::{FederatedCredentialInit, normalize_provider};
use crate::origin::Origin;
use crate::password::check_icon_url;

impl FederatedCredential {
    /// [Create a `FederatedCredential` from `FederatedCredentialInit`][from-init].
    ///
    /// ```
    /// use credwell_core::{FederatedCredential, FederatedCredentialInit, Origin};
    /// let origin = Origin::parse("https://example.com").unwrap();
    /// let init = FederatedCredentialInit { id: "alice".into(),
    ///     provider: "https://idp.example/".into(), ..Default::default() };
    /// let c = FederatedCredential::from_init(init, &origin).unwrap();
    /// assert_eq!(c.provider, "https://idp.example");
    /// assert_eq!(c.protocol, None);
    /// ```
    ///
    /// [from-init]:
    /// https://w3c.github.io/webappsec-credential-management/#construct-federatedcredential-data
    pub fn from_init(
        init: FederatedCredentialInit,
        origin: &Origin,
    ) -> Result<Self, ConstructError> {
        // 1. Let c be a new FederatedCredential object.
        // 2. If any of the following are the empty string, throw a TypeError exception:
        //    init.id's value; init.provider's value.
        if init.id.is_empty() {
            return Err(ConstructError::EmptyMember("FederatedCredentialInit.id"));
        }
        if init.provider.is_empty() {
            return Err(ConstructError::EmptyMember(
                "FederatedCredentialInit.provider",
            ));
        }
        // Providers are identified by the ASCII serialization of their origin (§ Identifying
        // Providers); Chromium throws SyntaxError for a provider that is not a URL.
        let provider = match url::Url::parse(&init.provider) {
            Ok(url) if url.origin().is_tuple() => normalize_provider(&init.provider),
            _ => {
                return Err(ConstructError::InvalidUrl {
                    member: "provider",
                    value: crate::origin::shorten(&init.provider),
                });
            }
        };
        let icon_url = init.icon_url.unwrap_or_default();
        check_icon_url(&icon_url)?;
        // 3-7. Set c's provider, iconURL, name, [[origin]] (and protocol, which the spec forgets
        //      to copy but the interface exposes).
        Ok(Self {
            id: init.id,
            provider,
            protocol: init.protocol,
            name: init.name.unwrap_or_default(),
            icon_url,
            origin: origin.clone(),
        })
    }
}
