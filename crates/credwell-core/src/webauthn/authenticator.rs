//! The authenticator the client algorithms drive, as a trait: credwell's software passkey
//! authenticator implements it; tests use scripted ones.
//!
//! The operations follow [authenticatorMakeCredential][sctn-op-make-cred]
//! and [authenticatorGetAssertion](https://w3c.github.io/webauthn/#sctn-op-get-assertion). The
//! authenticator owns its user interaction (consent, user verification, choosing among several
//! discoverable credentials).
//!
//! [sctn-op-make-cred]: https://w3c.github.io/webauthn/#sctn-op-make-cred

use std::future::Future;

use serde_json::{Map, Value};

use super::options::CredentialDescriptor;
use super::rp_id::RpId;
use super::signals::Signal;

/// What an authenticator can do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthenticatorInfo {
    /// `"platform"` or `"cross-platform"`.
    pub attachment: &'static str,
    /// Transports it is reachable over, such as `"internal"` and `"hybrid"`.
    pub transports: Vec<String>,
    /// Whether it can store discoverable (resident) credentials.
    pub discoverable_credentials: bool,
    /// Whether it can verify the user.
    pub user_verification: bool,
}

/// The input of authenticatorMakeCredential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MakeCredentialRequest {
    /// SHA-256 of `clientDataJSON`.
    pub client_data_hash: [u8; 32],
    /// The validated RP ID.
    pub rp_id: RpId,
    /// `rp.name`.
    pub rp_name: String,
    /// `user.id`.
    pub user_id: Vec<u8>,
    /// `user.name`.
    pub user_name: String,
    /// `user.displayName`.
    pub user_display_name: String,
    /// Create a discoverable credential.
    pub require_resident_key: bool,
    /// Collect user presence. False only for a conditional `create()` (an automatic passkey
    /// upgrade), whose consent the client already has: the authenticator then shows nothing at
    /// all (no prompt, no unlock), sets neither UP nor UV in the authenticator data, answers an
    /// excluded credential with [`AuthenticatorError::InvalidState`] at once, and fails rather
    /// than ask the user anything.
    pub require_user_presence: bool,
    /// Collect user verification.
    pub require_user_verification: bool,
    /// Acceptable COSE algorithms, in the RP's order of preference.
    pub algorithms: Vec<i64>,
    /// Credentials that must not already exist on the authenticator.
    pub exclude_credentials: Vec<CredentialDescriptor>,
    /// Whether enterprise attestation may be returned.
    pub enterprise_attestation_possible: bool,
    /// Preferred attestation statement formats (`["none"]` when the RP wants none).
    pub attestation_formats: Vec<String>,
    /// Authenticator extension inputs, by identifier.
    pub extensions: Map<String, Value>,
}

/// The output of authenticatorMakeCredential, plus what the client reports about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttestedCredential {
    /// The credential id.
    pub credential_id: Vec<u8>,
    /// The CBOR attestation object.
    pub attestation_object: Vec<u8>,
    /// The authenticator data inside it.
    pub authenticator_data: Vec<u8>,
    /// The credential public key as a DER SubjectPublicKeyInfo, when the algorithm has one.
    pub public_key: Option<Vec<u8>>,
    /// The credential's COSE algorithm.
    pub public_key_algorithm: i64,
    /// Whether a discoverable credential was created (for `credProps.rk`).
    pub resident_key: bool,
    /// Client extension outputs, by identifier.
    pub extension_results: Map<String, Value>,
}

/// The input of authenticatorGetAssertion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetAssertionRequest {
    /// The validated RP ID.
    pub rp_id: RpId,
    /// SHA-256 of `clientDataJSON`.
    pub client_data_hash: [u8; 32],
    /// Acceptable credentials; empty means "any discoverable credential for this RP".
    pub allow_credentials: Vec<CredentialDescriptor>,
    /// Collect user verification.
    pub require_user_verification: bool,
    /// Authenticator extension inputs.
    pub extensions: Map<String, Value>,
    /// `mediation: "conditional"`: offer the credentials in the page's autofill rather than a
    /// modal chooser, fail without any UI when there is nothing to offer, and expect the client
    /// to keep the page's promise pending on any failure.
    pub conditional: bool,
    /// The user already picked this credential in the client's own chooser (`uiMode:
    /// "immediate"`, where one chooser lists passwords and passkeys together):
    /// `allow_credentials` holds exactly that credential, and the pick was the test of user
    /// presence, so the authenticator must not show its own account chooser again. User
    /// verification is still collected when `require_user_verification` asks for it.
    pub user_selected: bool,
}

/// A discoverable credential an authenticator holds for an RP ID, as the client's chooser
/// shows it ([`Authenticator::discoverable_credentials`]). Never carries key material.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoverableCredential {
    /// The credential id.
    pub credential_id: Vec<u8>,
    /// `user.name` at creation.
    pub user_name: String,
    /// `user.displayName` at creation.
    pub user_display_name: String,
}

/// The output of authenticatorGetAssertion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assertion {
    /// The credential used.
    pub credential_id: Vec<u8>,
    /// The authenticator data.
    pub authenticator_data: Vec<u8>,
    /// The signature over `authenticatorData || clientDataHash`.
    pub signature: Vec<u8>,
    /// The user handle of a discoverable credential.
    pub user_handle: Option<Vec<u8>>,
    /// Client extension outputs.
    pub extension_results: Map<String, Value>,
}

/// How an authenticator operation failed. Only [`InvalidState`](Self::InvalidState) reaches the
/// page as itself; everything else becomes a `NotAllowedError`, so that a page learns nothing
/// about the authenticator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthenticatorError {
    /// A credential in `exclude_credentials` exists here, and the user consented to say so.
    #[error("a credential in excludeCredentials is already registered on this authenticator")]
    InvalidState,
    /// The user cancelled or refused.
    #[error("the user cancelled")]
    Cancelled,
    /// A required capability is missing (resident keys, user verification).
    #[error("the authenticator cannot satisfy the request's constraints")]
    Constraint,
    /// None of the algorithms is supported.
    #[error("no requested algorithm is supported")]
    NotSupported,
    /// No credential matched (assertions).
    #[error("no matching credential")]
    NoCredentials,
    /// Anything else.
    #[error("the authenticator failed")]
    Unknown,
}

/// An authenticator.
pub trait Authenticator: Send + Sync {
    /// Whether public-key requests are served at all (`false` only for [`NoAuthenticator`]).
    fn available(&self) -> bool {
        true
    }

    /// Its capabilities.
    fn info(&self) -> AuthenticatorInfo;

    /// authenticatorMakeCredential. Dropping the future cancels the operation.
    fn make_credential(
        &self,
        request: MakeCredentialRequest,
    ) -> impl Future<Output = Result<AttestedCredential, AuthenticatorError>> + Send;

    /// authenticatorGetAssertion. Dropping the future cancels the operation.
    fn get_assertion(
        &self,
        request: GetAssertionRequest,
    ) -> impl Future<Output = Result<Assertion, AuthenticatorError>> + Send;

    /// Whether this authenticator may hold a credential scoped to `rp_id`: false only when it
    /// knows, without asking the user (a locked store cannot tell), that it holds none. A signal
    /// naming an RP ID outside the caller's site fetches that RP's related origins only when
    /// this is true ([`RelatedOrigins::fetch_for_signal`](super::RelatedOrigins)). The default,
    /// true, keeps the spec's behaviour.
    fn may_hold_credentials_for(&self, rp_id: &str) -> impl Future<Output = bool> + Send {
        let _ = rp_id;
        std::future::ready(true)
    }

    /// The discoverable credentials it holds for `rp_id` that a `get()` may use (hidden ones
    /// left out), listed without any user interaction, for the client's own chooser
    /// (`uiMode: "immediate"`). `None` when it cannot tell without asking the user (a locked
    /// store must not prompt for this); the default, for an authenticator that cannot list,
    /// is `None`.
    fn discoverable_credentials(
        &self,
        rp_id: &str,
    ) -> impl Future<Output = Option<Vec<DiscoverableCredential>>> + Send {
        let _ = rp_id;
        std::future::ready(None)
    }

    /// The [authenticator action](https://w3c.github.io/webauthn/#sctn-signal-methods) of a
    /// validated signal: remove, hide, unhide or update stored credentials. Its outcome is not
    /// reported to the page; the default does nothing (an authenticator that stores nothing).
    fn signal(&self, signal: Signal) -> impl Future<Output = ()> + Send {
        drop(signal);
        std::future::ready(())
    }
}

/// The authenticator of an engine that serves no public-key credentials: every `publicKey`
/// request is a `NotSupportedError`.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoAuthenticator;

impl Authenticator for NoAuthenticator {
    fn available(&self) -> bool {
        false
    }

    fn info(&self) -> AuthenticatorInfo {
        AuthenticatorInfo {
            attachment: "platform",
            transports: Vec::new(),
            discoverable_credentials: false,
            user_verification: false,
        }
    }

    async fn make_credential(
        &self,
        _request: MakeCredentialRequest,
    ) -> Result<AttestedCredential, AuthenticatorError> {
        Err(AuthenticatorError::NotSupported)
    }

    async fn get_assertion(
        &self,
        _request: GetAssertionRequest,
    ) -> Result<Assertion, AuthenticatorError> {
        Err(AuthenticatorError::NotSupported)
    }
}
