//! Automatic passkey upgrades: `create()` with `mediation: "conditional"`, the parts of
//! [`[[Create]]`][sctn-createCredential] that only a conditional request runs.
//!
//! A conditional create registers a passkey without prominent modal UI when the user agent has
//! recently mediated an authentication for the caller's origin and the user consents to this
//! kind of creation. credwell's rule: the user signed in to that exact origin with a password
//! credwell holds (a `get()` that returned one, or a fill of one into the page's form) within
//! the last [`CONDITIONAL_CREATE_WINDOW_MS`]. The embedder records those sign-ins and reports
//! the last one in [`Caller::password_sign_in`]; saving the password with credwell was the
//! user's consent. The authenticator is then asked for a credential with neither user presence
//! nor user verification, and shows nothing.
//!
//! Step numbers are those of the current text of [`[[Create]]`][sctn-createCredential]
//! (WebAuthn Level 3).
//!
//! [sctn-createCredential]: https://w3c.github.io/webauthn/#sctn-createCredential

use super::client::WebAuthnError;
use crate::caller::Caller;
use crate::clock::{Clock, Timestamp};
use crate::origin::Origin;

/// How long after a password sign-in the same origin may create a passkey without a prompt:
/// 5 minutes. A site offers the upgrade right after its sign-in succeeds (Chrome's own window
/// is of that order); a page loaded later must ask with a modal `create()`.
pub const CONDITIONAL_CREATE_WINDOW_MS: u64 = 5 * 60 * 1000;

/// A sign-in with a password credwell holds, as the embedder recorded it: a `get()` that
/// handed out a `PasswordCredential`, or the user filling a saved password into the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordSignIn {
    /// The exact origin signed in to.
    pub origin: Origin,
    /// When.
    pub at: Timestamp,
}

/// Step 19 of [`[[Create]]`][sctn-createCredential]: if `options.mediation` is `conditional`
/// and the user agent has not recently mediated an authentication, the origin of said
/// authentication is not `callerOrigin`, or the user does not consent to this type of
/// credential creation, throw a "NotAllowedError" DOMException.
///
/// 1. No password sign-in recorded for this document's caller: "NotAllowedError".
/// 2. The sign-in's origin is not `callerOrigin` (the same origin, never only the same site):
///    "NotAllowedError".
/// 3. It is older than [`CONDITIONAL_CREATE_WINDOW_MS`] (or dated in the future, a clock set
///    back: not "recent" either): "NotAllowedError".
///
/// [sctn-createCredential]: https://w3c.github.io/webauthn/#sctn-createCredential
pub(crate) fn check_recent_sign_in<C: Clock>(
    caller: &Caller,
    clock: &C,
) -> Result<(), WebAuthnError> {
    // 1.
    let Some(sign_in) = &caller.password_sign_in else {
        return Err(WebAuthnError::NoRecentSignIn);
    };
    // 2.
    if !sign_in.origin.same_origin(&caller.origin) {
        return Err(WebAuthnError::NoRecentSignIn);
    }
    // 3.
    let now = clock.now();
    if sign_in.at > now || now.0 - sign_in.at.0 > CONDITIONAL_CREATE_WINDOW_MS {
        return Err(WebAuthnError::NoRecentSignIn);
    }
    Ok(())
}

/// The user verification a conditional create asks of the authenticator, from step 22's
/// "effective user verification requirement for credential creation" and the section's rule
/// that the client MUST set both `requireUserPresence` and `requireUserVerification` to false
/// unless they may be explicitly performed during the ceremony (credwell performs neither: it
/// shows nothing).
///
/// 1. `userVerification` is `required`: user verification cannot be collected during the
///    ceremony, so throw a "ConstraintError" DOMException.
/// 2. `preferred` or `discouraged`: false.
pub(crate) fn user_verification(requirement: &str) -> Result<bool, WebAuthnError> {
    // 1.
    if requirement == "required" {
        return Err(WebAuthnError::ConditionalUserVerification);
    }
    // 2.
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::caller::{ClientId, RequestId};
    use crate::clock::ManualClock;

    fn caller(origin: &str, sign_in: Option<(&str, u64)>) -> Caller {
        let mut caller = Caller::new(Origin::parse(origin).unwrap(), ClientId(1), RequestId(1));
        caller.password_sign_in = sign_in.map(|(o, at)| PasswordSignIn {
            origin: Origin::parse(o).unwrap(),
            at: Timestamp(at),
        });
        caller
    }

    #[test]
    fn a_sign_in_of_the_same_origin_within_the_window_allows_it() {
        let clock = ManualClock::new(1_000_000);
        let at = 1_000_000 - CONDITIONAL_CREATE_WINDOW_MS;
        let c = caller("https://example.com", Some(("https://example.com", at)));
        assert_eq!(check_recent_sign_in(&c, &clock), Ok(()));
        clock.advance(1);
        assert_eq!(
            check_recent_sign_in(&c, &clock),
            Err(WebAuthnError::NoRecentSignIn),
            "one millisecond past the window"
        );
    }

    #[test]
    fn no_sign_in_another_origin_or_a_future_one_refuses() {
        let clock = ManualClock::new(1_000_000);
        for c in [
            caller("https://example.com", None),
            caller(
                "https://example.com",
                Some(("https://www.example.com", 999_999)),
            ),
            caller("https://example.com", Some(("http://example.com", 999_999))),
            caller(
                "https://example.com",
                Some(("https://example.com:8443", 999_999)),
            ),
            caller(
                "https://example.com",
                Some(("https://example.com", 1_000_001)),
            ),
        ] {
            let refused = check_recent_sign_in(&c, &clock).unwrap_err();
            assert_eq!(refused.name(), crate::ErrorName::NotAllowedError);
        }
    }

    #[test]
    fn user_verification_required_is_a_constraint_error() {
        let err = user_verification("required").unwrap_err();
        assert_eq!(err.name(), crate::ErrorName::ConstraintError);
        assert_eq!(user_verification("preferred"), Ok(false));
        assert_eq!(user_verification("discouraged"), Ok(false));
    }
}
