//! [`PasskeyAuthenticator`]: credwell's platform authenticator behind
//! `credwell_core::Authenticator`.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use credwell_core::{
    Assertion, AttestedCredential, Authenticator, AuthenticatorError, AuthenticatorInfo, Clock,
    DiscoverableCredential, GetAssertionRequest, MakeCredentialRequest, SystemClock,
};
use futures::lock::Mutex;
use passkey_authenticator::extensions::HmacSecretConfig;
use passkey_crypto::SecretKeyT as _;
use passkey_crypto::coset::{self, iana::EnumI64 as _};
use passkey_types::ctap2::{Aaguid, Ctap2Error, Flags, StatusCode, get_assertion, make_credential};
use passkey_types::webauthn::{
    PublicKeyCredentialDescriptor, PublicKeyCredentialParameters, PublicKeyCredentialType,
    PublicKeyCredentialUserEntity,
};
use serde_json::Map;

use crate::attestation::{AttestationFormat, attestation_object};
use crate::bridge::{StoreBridge, UiBridge};
use crate::crypto::{KeepingBackend, spki_der};
use crate::large_blob;
use crate::prf;
use crate::record::{Algorithm, PasskeyRecord};
use crate::store::PasskeyStore;
use crate::ui::{AccountSummary, CreatePrompt, PasskeyUi};

/// The AAGUID of credwell's passkeys: all zero, as self attestation requires, so that `packed`
/// self attestation survives the client's `attestation: "none"` processing unchanged.
pub const AAGUID: [u8; 16] = [0; 16];

type Ctap2Authenticator<S, U, K> =
    passkey_authenticator::Authenticator<StoreBridge<S, K>, UiBridge<U>, KeepingBackend>;

/// credwell's software platform authenticator: synced-style passkeys (see the crate
/// documentation for its flags, counter and attestation policies) in a [`PasskeyStore`], with
/// user interaction through a [`PasskeyUi`].
///
/// The CTAP2 core is passkey-rs's authenticator, which needs exclusive access for each
/// operation: ceremonies on one `PasskeyAuthenticator` run one at a time (a second one waits
/// while the first one's prompt is open), as on a platform authenticator with one user.
pub struct PasskeyAuthenticator<S, U, K = SystemClock> {
    store: Arc<S>,
    ui: Arc<U>,
    crypto: KeepingBackend,
    ctap2: Mutex<Ctap2Authenticator<S, U, K>>,
    /// The UI bridge's "consent already given" switch (see `UiBridge::silent`), set only while
    /// the `ctap2` lock is held.
    silent: Arc<AtomicBool>,
}

impl<S, U, K> fmt::Debug for PasskeyAuthenticator<S, U, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasskeyAuthenticator")
            .field("aaguid", &AAGUID)
            .finish_non_exhaustive()
    }
}

impl<S: PasskeyStore, U: PasskeyUi> PasskeyAuthenticator<S, U, SystemClock> {
    /// An authenticator over `store` and `ui`, stamping creation times from the system clock.
    pub fn new(store: S, ui: U) -> Self {
        Self::with_clock(store, ui, SystemClock)
    }
}

impl<S: PasskeyStore, U: PasskeyUi, K: Clock> PasskeyAuthenticator<S, U, K> {
    /// An authenticator whose passkeys' creation times come from `clock`.
    pub fn with_clock(store: S, ui: U, clock: K) -> Self {
        let store = Arc::new(store);
        let ui = Arc::new(ui);
        let crypto = KeepingBackend::default();
        let silent = Arc::new(AtomicBool::new(false));
        let mut ctap2 = passkey_authenticator::Authenticator::new(
            Aaguid(AAGUID),
            StoreBridge {
                store: Arc::clone(&store),
                clock: Arc::new(clock),
            },
            UiBridge {
                ui: Arc::clone(&ui),
                silent: Arc::clone(&silent),
            },
            crypto.clone(),
        )
        .hmac_secret(HmacSecretConfig::new_without_uv().enable_on_make_credential());
        // passkey-crypto also offers ML-DSA and the fully-specified ESP256/Ed25519 identifiers;
        // credwell's passkeys are ES256 and EdDSA only. `make` never asks passkey-rs for anything
        // else, so narrowing its list is belt and braces; it cannot fail either, as both are in
        // every passkey-crypto backend's list.
        let _ = ctap2.set_algorithms(&Algorithm::SUPPORTED.map(Algorithm::iana));
        Self {
            store,
            ui,
            crypto,
            ctap2: Mutex::new(ctap2),
            silent,
        }
    }

    /// The passkey store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The user interface.
    pub fn ui(&self) -> &U {
        &self.ui
    }

    /// [authenticatorMakeCredential](https://w3c.github.io/webauthn/#sctn-op-make-cred).
    async fn make(
        &self,
        request: MakeCredentialRequest,
    ) -> Result<AttestedCredential, AuthenticatorError> {
        // 1. The client's request is well-formed by construction, except for extension inputs.
        let prf_input = prf::make_input(&request.extensions)?;
        // 2. The first algorithm of the RP's list that this authenticator supports.
        let params: Vec<PublicKeyCredentialParameters> = request
            .algorithms
            .iter()
            .filter_map(|&id| Algorithm::from_cose_id(id))
            .map(|alg| PublicKeyCredentialParameters {
                ty: PublicKeyCredentialType::PublicKey,
                alg: alg.iana(),
            })
            .collect();
        if params.is_empty() {
            return Err(AuthenticatorError::NotSupported);
        }
        // A conditional create (requireUserPresence false): the client has the user's consent
        // and the authenticator shows nothing. It never verifies the user either: without UI
        // it cannot.
        let silent = !request.require_user_presence;
        if silent && request.require_user_verification {
            return Err(AuthenticatorError::Constraint);
        }
        // 3. An excluded credential of this RP (whatever its user): collect the user's consent
        //    to create a credential, then "InvalidStateError" if given, "NotAllowedError" if not.
        //    Done here rather than by passkey-rs so that the prompt names the RP and the user.
        for descriptor in request
            .exclude_credentials
            .iter()
            .filter(|d| d.kind == "public-key")
        {
            let found = self
                .store
                .find(&descriptor.id)
                .await
                .map_err(store_failed)?;
            if found.is_some_and(|r| r.rp_id == request.rp_id.as_str()) {
                // Silent: the consent was given before the ceremony; no prompt.
                if silent {
                    return Err(AuthenticatorError::InvalidState);
                }
                let consented = self
                    .ui
                    .confirm_create(CreatePrompt {
                        rp_id: request.rp_id.as_str().to_owned(),
                        rp_name: request.rp_name.clone(),
                        user_name: request.user_name.clone(),
                        user_display_name: request.user_display_name.clone(),
                        already_registered: true,
                    })
                    .await;
                return Err(if consented {
                    AuthenticatorError::InvalidState
                } else {
                    AuthenticatorError::Cancelled
                });
            }
        }
        // 4. Every credential is discoverable, so requireResidentKey is always satisfied; user
        //    verification needs a UI that can verify.
        if request.require_user_verification && !self.ui.can_verify_user() {
            return Err(AuthenticatorError::Constraint);
        }
        //    Silent: a passkey of this RP and user already here is never replaced without
        //    asking (step 6 would overwrite it): the ceremony fails as cancelled, and the RP may
        //    ask again with a modal create().
        if silent
            && self
                .store
                .list(request.rp_id.as_str())
                .await
                .map_err(store_failed)?
                .iter()
                .any(|r| r.user_handle == request.user_id)
        {
            return Err(AuthenticatorError::Cancelled);
        }
        // 5-8. Consent (and user verification when required), key generation, storage and the
        //       authenticator data: passkey-rs, over the store and UI bridges. Silent: passkey-rs
        //       is still asked with `up: true` (it refuses `up: false` here), the bridge answers
        //       without a prompt, and UP is cleared from the authenticator data below.
        let ctap_request = make_credential::Request {
            client_data_hash: request.client_data_hash.to_vec().into(),
            rp: make_credential::PublicKeyCredentialRpEntity {
                id: request.rp_id.as_str().to_owned(),
                name: Some(request.rp_name.clone()),
            },
            user: PublicKeyCredentialUserEntity {
                id: request.user_id.clone().into(),
                display_name: request.user_display_name.clone(),
                name: request.user_name.clone(),
            },
            pub_key_cred_params: params,
            exclude_list: None,
            extensions: prf_input.map(|prf| make_credential::ExtensionInputs {
                prf: Some(prf),
                ..make_credential::ExtensionInputs::default()
            }),
            options: make_credential::Options {
                rk: true,
                up: true,
                uv: request.require_user_verification,
            },
            pin_auth: None,
            pin_protocol: None,
        };
        let mut ctap2 = self.ctap2.lock().await;
        let quiet = Silence::set(&self.silent, silent);
        let response = ctap2.make_credential(ctap_request).await;
        drop(quiet);
        // The key passkey-rs generated in this call (or none, if it failed before): the guard
        // keeps every other ceremony out until it is taken.
        let new_key = self.crypto.take_generated();
        drop(ctap2);
        let mut response = response.map_err(from_status)?;
        if silent {
            // Neither a test of user presence nor user verification took place.
            response.auth_data.flags.remove(Flags::UP | Flags::UV);
        }
        let authenticator_data = response.auth_data.to_vec();
        let attested = response
            .auth_data
            .attested_credential_data
            .as_ref()
            .ok_or(AuthenticatorError::Unknown)?;
        let credential_id = attested.credential_id().to_vec();
        let algorithm = match &attested.key.alg {
            Some(coset::Algorithm::Assigned(alg)) => Algorithm::from_cose_id(alg.to_i64()),
            _ => None,
        }
        .ok_or(AuthenticatorError::Unknown)?;
        let public_key = spki_der(&attested.key);
        // 9-10. The attestation statement format and the attestation object.
        let format = AttestationFormat::choose(&request.attestation_formats);
        let signature = match format {
            AttestationFormat::None => Vec::new(),
            // Signed like an assertion, with the new credential's private key
            // (https://w3c.github.io/webauthn/#sctn-packed-attestation, self attestation).
            AttestationFormat::PackedSelf => {
                let mut key = new_key.ok_or(AuthenticatorError::Unknown)?;
                let mut target = authenticator_data.clone();
                target.extend_from_slice(&request.client_data_hash);
                key.sign(&target)
            }
        };
        let attestation_object =
            attestation_object(format, algorithm.cose_id(), &signature, &authenticator_data);
        let mut extension_results = Map::new();
        if let Some(out) = response
            .unsigned_extension_outputs
            .as_ref()
            .and_then(|u| u.prf.as_ref())
        {
            let (id, value) = prf::make_output(out.enabled, out.results.as_ref());
            extension_results.insert(id, value);
        }
        if let Some((id, value)) = large_blob::make_output(&request.extensions) {
            extension_results.insert(id, value);
        }
        Ok(AttestedCredential {
            credential_id,
            attestation_object,
            authenticator_data,
            public_key,
            public_key_algorithm: algorithm.cose_id(),
            resident_key: true,
            extension_results,
        })
    }

    /// [authenticatorGetAssertion](https://w3c.github.io/webauthn/#sctn-op-get-assertion).
    async fn assert(&self, request: GetAssertionRequest) -> Result<Assertion, AuthenticatorError> {
        if request.require_user_verification && !self.ui.can_verify_user() {
            return Err(AuthenticatorError::Constraint);
        }
        let prf_input = prf::get_input(&request.extensions, &request.allow_credentials)?;
        // 1. The credentials of allowCredentials found here and bound to the RP ID, or every
        //    discoverable credential of the RP ID when the list is empty.
        let rp_id = request.rp_id.as_str();
        let mut candidates: Vec<PasskeyRecord> = Vec::new();
        if request.allow_credentials.is_empty() {
            candidates = self.store.list(rp_id).await.map_err(store_failed)?;
        } else {
            for descriptor in request
                .allow_credentials
                .iter()
                .filter(|d| d.kind == "public-key")
            {
                if let Some(record) = self
                    .store
                    .find(&descriptor.id)
                    .await
                    .map_err(store_failed)?
                    && record.rp_id == rp_id
                    && !candidates
                        .iter()
                        .any(|c| c.credential_id == record.credential_id)
                {
                    candidates.push(record);
                }
            }
        }
        //    A passkey a signal hid is not offered (the user can restore it in the manager).
        candidates.retain(|r| !r.hidden);
        //    None: "NotAllowedError" (the client hides which failure it was).
        if candidates.is_empty() {
            return Err(AuthenticatorError::NoCredentials);
        }
        // 2. The user selects a credential (the most recent first); this is also the test of
        //    user presence.
        candidates.sort_by_key(|r| std::cmp::Reverse(r.created_at));
        let accounts = candidates
            .iter()
            .map(|r| AccountSummary {
                credential_id: r.credential_id.clone(),
                user_name: r.user_name.clone(),
                user_display_name: r.user_display_name.clone(),
                created_at: r.created_at,
            })
            .collect();
        //    With conditional mediation the accounts are offered in the page's autofill instead.
        //    When the user already picked the credential in the client's chooser (uiMode
        //    "immediate"), that pick was the test of user presence: no second chooser.
        let chosen = if request.user_selected {
            if candidates.len() != 1 {
                // The client names exactly the credential picked; anything else is its bug.
                return Err(AuthenticatorError::Unknown);
            }
            Some(0)
        } else if request.conditional {
            self.ui.offer_autofill(rp_id.to_owned(), accounts).await
        } else {
            self.ui.choose_account(rp_id.to_owned(), accounts).await
        }
        .ok_or(AuthenticatorError::Cancelled)?;
        // An index outside the list is a UI bug, not a user decision.
        if chosen >= candidates.len() {
            return Err(AuthenticatorError::Unknown);
        }
        let selected = candidates.swap_remove(chosen);
        // 2 (user verification), 3-4. passkey-rs signs with the selected credential.
        let ctap_request = get_assertion::Request {
            rp_id: rp_id.to_owned(),
            client_data_hash: request.client_data_hash.to_vec().into(),
            allow_list: Some(vec![PublicKeyCredentialDescriptor {
                ty: PublicKeyCredentialType::PublicKey,
                id: selected.credential_id.clone().into(),
                transports: None,
            }]),
            extensions: prf_input.map(|prf| get_assertion::ExtensionInputs {
                prf: Some(prf),
                ..get_assertion::ExtensionInputs::default()
            }),
            options: get_assertion::Options {
                up: true,
                uv: request.require_user_verification,
            },
            pin_auth: None,
            pin_protocol: None,
        };
        let response = self
            .ctap2
            .lock()
            .await
            .get_assertion(ctap_request)
            .await
            .map_err(from_status)?;
        // 5. The user handle is always returned: every credential is discoverable.
        let mut extension_results = Map::new();
        if let Some(out) = response
            .unsigned_extension_outputs
            .as_ref()
            .and_then(|u| u.prf.as_ref())
        {
            let (id, value) = prf::get_output(&out.results);
            extension_results.insert(id, value);
        }
        match large_blob::get_input(&request.extensions) {
            Some(large_blob::GetInput::Read) => {
                let (id, value) = large_blob::read_output(selected.large_blob.as_deref());
                extension_results.insert(id, value);
            }
            Some(large_blob::GetInput::Write(blob)) => {
                let written = match blob {
                    Some(blob) if blob.len() <= large_blob::LARGE_BLOB_MAX => {
                        let mut updated = selected.clone();
                        updated.large_blob = Some(blob);
                        // The signature stands whatever happens to the blob: a failed write is
                        // reported as `written: false`, not as a failed ceremony.
                        self.store.update(updated).await.is_ok()
                    }
                    _ => false,
                };
                let (id, value) = large_blob::write_output(written);
                extension_results.insert(id, value);
            }
            None => {}
        }
        Ok(Assertion {
            credential_id: selected.credential_id.clone(),
            authenticator_data: response.auth_data.to_vec(),
            signature: response.signature.to_vec(),
            user_handle: Some(selected.user_handle.clone()),
            extension_results,
        })
    }
}

impl<S: PasskeyStore, U: PasskeyUi, K: Clock> Authenticator for PasskeyAuthenticator<S, U, K> {
    fn info(&self) -> AuthenticatorInfo {
        AuthenticatorInfo {
            attachment: "platform",
            transports: vec!["internal".to_owned()],
            discoverable_credentials: true,
            user_verification: self.ui.can_verify_user(),
        }
    }

    async fn make_credential(
        &self,
        request: MakeCredentialRequest,
    ) -> Result<AttestedCredential, AuthenticatorError> {
        self.make(request).await
    }

    async fn get_assertion(
        &self,
        request: GetAssertionRequest,
    ) -> Result<Assertion, AuthenticatorError> {
        self.assert(request).await
    }

    async fn discoverable_credentials(&self, rp_id: &str) -> Option<Vec<DiscoverableCredential>> {
        // Without asking the user: a locked store cannot tell (None). Hidden ones are offered
        // to no page; the most recent first, as in the authenticator's own chooser.
        let mut records = self.store.list_without_asking(rp_id).await?;
        records.retain(|r| !r.hidden);
        records.sort_by_key(|r| std::cmp::Reverse(r.created_at));
        Some(
            records
                .into_iter()
                .map(|r| DiscoverableCredential {
                    credential_id: r.credential_id.clone(),
                    user_name: r.user_name.clone(),
                    user_display_name: r.user_display_name.clone(),
                })
                .collect(),
        )
    }

    async fn may_hold_credentials_for(&self, rp_id: &str) -> bool {
        // A store that cannot tell (locked) counts as holding none: a page's signal must fetch
        // nothing on its word, and must not learn by the outcome whether the vault is locked.
        self.store.holds_any(rp_id).await.unwrap_or(false)
    }

    async fn signal(&self, signal: credwell_core::Signal) {
        // The spec resolves the page's promise whatever the action does; a failure (a locked
        // store the user did not unlock, a damaged record) leaves the passkeys as they were.
        let _ = self.apply_signal(signal).await;
    }
}

/// Sets the UI bridge's silent switch for one passkey-rs call and clears it when dropped (the
/// ceremony's future may be dropped mid-call).
struct Silence<'a>(&'a AtomicBool);

impl<'a> Silence<'a> {
    fn set(switch: &'a AtomicBool, silent: bool) -> Self {
        switch.store(silent, Ordering::SeqCst);
        Self(switch)
    }
}

impl Drop for Silence<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// A store failure: the user declining to unlock the store is a cancellation, anything else
/// an unknown failure.
fn store_failed(e: crate::store::PasskeyStoreError) -> AuthenticatorError {
    match e {
        crate::store::PasskeyStoreError::Declined => AuthenticatorError::Cancelled,
        _ => AuthenticatorError::Unknown,
    }
}

/// A passkey-rs status as the client's authenticator error.
fn from_status(status: StatusCode) -> AuthenticatorError {
    match status {
        StatusCode::Known(Ctap2Error::CredentialExcluded) => AuthenticatorError::InvalidState,
        StatusCode::Known(Ctap2Error::OperationDenied) => AuthenticatorError::Cancelled,
        StatusCode::Known(Ctap2Error::UnsupportedAlgorithm) => AuthenticatorError::NotSupported,
        StatusCode::Known(Ctap2Error::NoCredentials) => AuthenticatorError::NoCredentials,
        StatusCode::Known(Ctap2Error::UnsupportedOption) => AuthenticatorError::Constraint,
        _ => AuthenticatorError::Unknown,
    }
}

mod signals;

#[cfg(test)]
mod tests;
