//! Relying Party identifiers and the HTML standard's domain-suffix check.
//!
//! Spec: [RP ID](https://w3c.github.io/webauthn/#rp-id), [is a registrable domain suffix of or
//! is equal to][registrable-suffix], with public suffixes from the compiled-in Public Suffix List
//! (`psl`).
//!
//! [registrable-suffix]:
//! https://html.spec.whatwg.org/#is-a-registrable-domain-suffix-of-or-is-equal-to

use std::fmt;

use super::related_origins::{RelatedOrigins, RelatedOriginsError, related_origins_validation};
use crate::origin::Origin;

/// A validated RP ID: a domain (ASCII, lower case) that is equal to, or a registrable domain
/// suffix of, the caller's effective domain.
///
/// ```
/// use credwell_core::{Origin, RpId};
/// let origin = Origin::parse("https://login.example.com:1337").unwrap();
/// assert_eq!(RpId::for_origin(&origin, Some("example.com")).unwrap().as_str(), "example.com");
/// assert_eq!(RpId::for_origin(&origin, None).unwrap().as_str(), "login.example.com");
/// assert!(RpId::for_origin(&origin, Some("m.login.example.com")).is_err());
/// assert!(RpId::for_origin(&origin, Some("com")).is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RpId(String);

/// Why an RP ID was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RpIdError {
    /// The caller's origin is opaque (`NotAllowedError`).
    #[error("public-key credentials cannot be used from an opaque origin")]
    OpaqueOrigin,
    /// The caller's effective domain is not a valid domain, e.g. an IP address (`SecurityError`).
    #[error("the origin's host {0:?} is not a domain; WebAuthn needs a domain name")]
    InvalidEffectiveDomain(String),
    /// The requested RP ID does not belong to the caller (`SecurityError`).
    #[error("the RP ID {rp_id:?} is not equal to or a registrable domain suffix of {host:?}")]
    NotASuffix {
        /// The requested RP ID.
        rp_id: String,
        /// The caller's effective domain.
        host: String,
    },
    /// The requested RP ID does not belong to the caller, and the related origins validation
    /// procedure did not allow it either (`SecurityError`).
    ///
    /// The message is the same whatever the `reason`: the page chose the RP ID, so the reason
    /// (the fetch's status, content type, final URL) would tell it what another host answers.
    #[error(
        "the RP ID {rp_id:?} is not equal to or a registrable domain suffix of {host:?}, and \
         related origins do not allow it"
    )]
    NotRelated {
        /// The requested RP ID.
        rp_id: String,
        /// The caller's effective domain.
        host: String,
        /// Why the procedure threw or returned false.
        reason: RelatedOriginsError,
    },
}

impl RpId {
    /// Steps 5 to 7 of `[[Create]]` (and 3 of `[[DiscoverFromExternalSource]]`): validates the
    /// requested RP ID against the caller's origin, or takes the origin's effective domain.
    pub fn for_origin(origin: &Origin, requested: Option<&str>) -> Result<Self, RpIdError> {
        // 5. If callerOrigin is an opaque origin, return a DOMException whose name is
        //    "NotAllowedError".
        let Some(host) = origin.tuple_host() else {
            return Err(RpIdError::OpaqueOrigin);
        };
        // 6. Let effectiveDomain be the callerOrigin's effective domain. If effective domain is
        //    not a valid domain, then return a DOMException whose name is "SecurityError".
        let url::Host::Domain(effective_domain) = host else {
            return Err(RpIdError::InvalidEffectiveDomain(host.to_string()));
        };
        match requested {
            // 7. If pkOptions.rp.id is present: if it is not a registrable domain suffix of and is
            //    not equal to effectiveDomain (and related origins do not apply: see
            //    `for_caller`), return a DOMException whose name is "SecurityError".
            Some(rp_id) => {
                let parsed = is_registrable_domain_suffix_of_or_equal_to(rp_id, effective_domain)
                    .ok_or_else(|| RpIdError::NotASuffix {
                    rp_id: crate::origin::shorten(rp_id),
                    host: effective_domain.clone(),
                })?;
                Ok(Self(parsed))
            }
            //    Otherwise set pkOptions.rp.id to effectiveDomain.
            None => Ok(Self(effective_domain.clone())),
        }
    }

    /// Steps 5 to 7 of `[[Create]]` (and the RP ID steps of `[[DiscoverFromExternalSource]]`)
    /// with [related origin requests](https://w3c.github.io/webauthn/#sctn-related-origins):
    /// as [`for_origin`](Self::for_origin), except that a requested RP ID that is not a
    /// registrable domain suffix of and is not equal to the effective domain is still allowed
    /// when `related` supports related origin requests and the related origins validation
    /// procedure returns true.
    pub(crate) async fn for_caller<R: RelatedOrigins>(
        origin: &Origin,
        requested: Option<&str>,
        related: &R,
    ) -> Result<Self, RpIdError> {
        let checked = Self::for_origin(origin, requested);
        // 7. If pkOptions.rp.id is present and is not a registrable domain suffix of and is not
        //    equal to effectiveDomain:
        let (Err(RpIdError::NotASuffix { rp_id, host }), Some(rp_id_requested)) =
            (&checked, requested)
        else {
            return checked;
        };
        //    If the client does not support related origin requests, throw a "SecurityError"
        //    DOMException.
        if !related.supported() {
            return checked;
        }
        //    If the client supports related origin requests:
        //    1. Let rpIdRequested be the value of pkOptions.rp.id.
        //    2. Run the related origins validation procedure with arguments callerOrigin and
        //       rpIdRequested. If the result is false, throw a "SecurityError" DOMException.
        match related_origins_validation(related, origin, rp_id_requested).await {
            Ok(rp_id) => Ok(Self(rp_id)),
            Err(reason) => Err(RpIdError::NotRelated {
                rp_id: rp_id.clone(),
                host: host.clone(),
                reason,
            }),
        }
    }

    /// The RP ID.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// [Is a registrable domain suffix of or is equal to][registrable-suffix],
/// returning the parsed `hostSuffixString` when it is. `original_host` is an ASCII domain.
///
/// [registrable-suffix]:
/// https://html.spec.whatwg.org/#is-a-registrable-domain-suffix-of-or-is-equal-to
fn is_registrable_domain_suffix_of_or_equal_to(
    host_suffix_string: &str,
    original_host: &str,
) -> Option<String> {
    // 1. If hostSuffixString is the empty string, then return false.
    if host_suffix_string.is_empty() {
        return None;
    }
    // 2. Let hostSuffix be the result of parsing hostSuffixString.
    // 3. If hostSuffix is failure, then return false.
    let host_suffix = url::Host::parse(host_suffix_string).ok()?;
    // 4. If hostSuffix is not equal to originalHost, then:
    let url::Host::Domain(host_suffix) = host_suffix else {
        // 4.1. If hostSuffix or originalHost is not a domain, then return false.
        return None;
    };
    if host_suffix != original_host {
        // 4.2. If hostSuffix, prefixed by U+002E (.), does not match the end of originalHost,
        //      then return false.
        if !original_host.ends_with(&format!(".{host_suffix}")) {
            return None;
        }
        // 4.3. If one of the following is true, then return false: hostSuffix equals hostSuffix's
        //      public suffix; hostSuffix, prefixed by U+002E (.), matches the end of
        //      originalHost's public suffix.
        let suffix_of_suffix = psl::suffix_str(&host_suffix).unwrap_or(&host_suffix);
        if host_suffix == suffix_of_suffix {
            return None;
        }
        let original_public_suffix = psl::suffix_str(original_host).unwrap_or(original_host);
        if original_public_suffix.ends_with(&format!(".{host_suffix}")) {
            return None;
        }
        // 4.4. Assert: originalHost's public suffix, prefixed by U+002E (.), matches the end of
        //      hostSuffix. (Holds by construction.)
    }
    // 5. Return true.
    Some(host_suffix)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rp(origin: &str, requested: Option<&str>) -> Result<String, RpIdError> {
        RpId::for_origin(&Origin::parse(origin).unwrap(), requested).map(|r| r.0)
    }

    #[test]
    fn the_specs_example() {
        let o = "https://login.example.com:1337";
        assert_eq!(
            rp(o, Some("login.example.com")).unwrap(),
            "login.example.com"
        );
        assert_eq!(rp(o, Some("example.com")).unwrap(), "example.com");
        assert!(matches!(
            rp(o, Some("m.login.example.com")),
            Err(RpIdError::NotASuffix { .. })
        ));
        assert!(matches!(
            rp(o, Some("com")),
            Err(RpIdError::NotASuffix { .. })
        ));
    }

    #[test]
    fn public_suffixes_and_unrelated_domains_are_refused() {
        assert!(rp("https://a.example.co.uk", Some("co.uk")).is_err());
        assert!(rp("https://a.github.io", Some("github.io")).is_err());
        assert!(rp("https://a.example.com", Some("google.com")).is_err());
        assert!(
            rp("https://notexample.com", Some("example.com")).is_err(),
            "label boundary"
        );
        assert!(rp("https://a.example.com", Some("")).is_err());
        assert!(rp("https://a.example.com", Some("a..b")).is_err());
    }

    #[test]
    fn host_parsing_canonicalizes_the_requested_id() {
        assert_eq!(
            rp("https://a.example.com", Some("EXAMPLE.com")).unwrap(),
            "example.com"
        );
        assert_eq!(
            rp("https://xn--bcher-kva.example", Some("bücher.example")).unwrap(),
            "xn--bcher-kva.example"
        );
    }

    #[test]
    fn localhost_is_a_valid_rp_id_and_ips_are_not() {
        assert_eq!(rp("http://localhost:8080", None).unwrap(), "localhost");
        assert_eq!(
            rp("http://localhost:8080", Some("localhost")).unwrap(),
            "localhost"
        );
        assert!(matches!(
            rp("https://127.0.0.1", None),
            Err(RpIdError::InvalidEffectiveDomain(_))
        ));
        assert!(matches!(
            rp("https://[::1]", None),
            Err(RpIdError::InvalidEffectiveDomain(_))
        ));
        assert!(matches!(
            rp("https://127.0.0.1", Some("127.0.0.1")),
            Err(RpIdError::InvalidEffectiveDomain(_))
        ));
    }

    #[test]
    fn opaque_origins_are_not_allowed() {
        assert_eq!(
            RpId::for_origin(&Origin::new_opaque(), None),
            Err(RpIdError::OpaqueOrigin)
        );
    }
}
