//! credwell's store and UI traits seen through passkey-rs's `CredentialStore` and
//! `UserValidationMethod`, so that passkey-rs's CTAP2 authenticator runs over them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use credwell_core::Clock;
use passkey_authenticator::{
    CredentialStore, DiscoverabilitySupport, StoreInfo, UiHint, UserCheck, UserValidationMethod,
};
use passkey_types::Passkey;
use passkey_types::ctap2::make_credential::{
    Options, PublicKeyCredentialRpEntity, PublicKeyCredentialUserEntity,
};
use passkey_types::ctap2::{Ctap2Error, StatusCode};
use passkey_types::webauthn::PublicKeyCredentialDescriptor;

use crate::record::{PasskeyRecord, PrfSecrets};
use crate::store::PasskeyStore;
use crate::ui::{CreatePrompt, PasskeyUi, VerifyPrompt, VerifyPurpose};

/// A [`PasskeyStore`] as passkey-rs's `CredentialStore`. Every credential is discoverable.
pub(crate) struct StoreBridge<S, K> {
    pub(crate) store: Arc<S>,
    pub(crate) clock: Arc<K>,
}

/// A store failure as a CTAP2 status that [`crate::authenticator`] maps to
/// `AuthenticatorError::Cancelled` (the user declined to unlock the store) or
/// `AuthenticatorError::Unknown`.
fn store_failed(e: crate::store::PasskeyStoreError) -> StatusCode {
    match e {
        crate::store::PasskeyStoreError::Declined => Ctap2Error::OperationDenied.into(),
        _ => Ctap2Error::Other.into(),
    }
}

#[async_trait::async_trait]
impl<S: PasskeyStore, K: Clock> CredentialStore for StoreBridge<S, K> {
    type PasskeyItem = PasskeyRecord;

    async fn find_credentials(
        &self,
        ids: Option<&[PublicKeyCredentialDescriptor]>,
        rp_id: &str,
        _user_handle: Option<&[u8]>,
    ) -> Result<Vec<PasskeyRecord>, StatusCode> {
        let mut found = match ids {
            Some(ids) => {
                let mut found = Vec::with_capacity(ids.len());
                for id in ids {
                    if let Some(record) = self.store.find(&id.id).await.map_err(store_failed)?
                        && record.rp_id == rp_id
                    {
                        found.push(record);
                    }
                }
                found
            }
            None => self.store.list(rp_id).await.map_err(store_failed)?,
        };
        // Hidden by a signal: never used until the user restores it.
        found.retain(|r| !r.hidden);
        if found.is_empty() {
            return Err(Ctap2Error::NoCredentials.into());
        }
        // passkey-rs signs with the first one: the most recent, as CTAP2 orders them.
        found.sort_by_key(|r| std::cmp::Reverse(r.created_at));
        Ok(found)
    }

    async fn save_credential(
        &mut self,
        cred: Passkey,
        user: PublicKeyCredentialUserEntity,
        rp: PublicKeyCredentialRpEntity,
        _options: Options,
    ) -> Result<(), StatusCode> {
        let (algorithm, private_key) =
            PasskeyRecord::key_from_cose(&cred.key).map_err(|_| Ctap2Error::Other)?;
        let record = PasskeyRecord {
            rp_id: rp.id,
            credential_id: cred.credential_id.to_vec(),
            user_handle: user.id.to_vec(),
            user_name: user.name.unwrap_or_default(),
            user_display_name: user.display_name.unwrap_or_default(),
            algorithm,
            private_key,
            created_at: self.clock.now().0,
            prf: cred
                .extensions
                .hmac_secret
                .as_ref()
                .map(PrfSecrets::from_stored),
            large_blob: None,
            hidden: false,
        };
        // https://w3c.github.io/webauthn/#sctn-op-make-cred step 6: a discoverable credential
        // replaces any other credential source with the same RP ID and user handle.
        for old in self.store.list(&record.rp_id).await.map_err(store_failed)? {
            if old.user_handle == record.user_handle {
                self.store
                    .delete(&old.credential_id)
                    .await
                    .map_err(store_failed)?;
            }
        }
        self.store.insert(record).await.map_err(store_failed)
    }

    async fn update_credential(&mut self, cred: &PasskeyRecord) -> Result<(), StatusCode> {
        self.store.update(cred.clone()).await.map_err(store_failed)
    }

    async fn get_info(&self) -> StoreInfo {
        StoreInfo {
            discoverability: DiscoverabilitySupport::ForcedDiscoverable,
        }
    }
}

/// A [`PasskeyUi`] as passkey-rs's `UserValidationMethod`.
///
/// Invariant: only [`crate::PasskeyAuthenticator`] drives the passkey-rs authenticator, and it
/// has already collected user presence for an assertion (the account chooser) before passkey-rs
/// asks about an existing credential, and has handled excluded credentials itself.
pub(crate) struct UiBridge<U> {
    pub(crate) ui: Arc<U>,
    /// Set by [`crate::PasskeyAuthenticator`] around a creation whose consent the client
    /// already has (a conditional create, `requireUserPresence` false): no prompt at all.
    /// passkey-rs refuses `up: false` in authenticatorMakeCredential (CTAP2 makes it invalid
    /// there), so it is asked with `up: true`, answered here without asking the user, and the
    /// UP flag is cleared from the authenticator data afterwards.
    pub(crate) silent: Arc<AtomicBool>,
}

#[async_trait::async_trait]
impl<U: PasskeyUi> UserValidationMethod for UiBridge<U> {
    type PasskeyItem = PasskeyRecord;

    async fn check_user<'a>(
        &self,
        hint: UiHint<'a, PasskeyRecord>,
        presence: bool,
        verification: bool,
    ) -> Result<UserCheck, Ctap2Error> {
        let (purpose, rp_id, user_name) = match hint {
            UiHint::RequestNewCredential(..) if self.silent.load(Ordering::SeqCst) => {
                return Ok(UserCheck {
                    presence,
                    verification: false,
                });
            }
            UiHint::RequestNewCredential(user, rp) => {
                let prompt = CreatePrompt {
                    rp_id: rp.id.clone(),
                    rp_name: rp.name.clone().unwrap_or_default(),
                    user_name: user.name.clone().unwrap_or_default(),
                    user_display_name: user.display_name.clone().unwrap_or_default(),
                    already_registered: false,
                };
                if presence && !self.ui.confirm_create(prompt.clone()).await {
                    return Err(Ctap2Error::OperationDenied);
                }
                (VerifyPurpose::Create, prompt.rp_id, prompt.user_name)
            }
            // Presence was collected by the account chooser (see the invariant above).
            UiHint::RequestExistingCredential(record) => (
                VerifyPurpose::SignIn,
                record.rp_id.clone(),
                record.user_name.clone(),
            ),
            // Excluded credentials are handled before passkey-rs runs; a credential that vanished
            // between the chooser and the signature is simply not there.
            UiHint::InformExcludedCredentialFound(_) | UiHint::InformNoCredentialsFound => {
                return Err(Ctap2Error::NoCredentials);
            }
        };
        let verified = verification
            && self
                .ui
                .verify_user(VerifyPrompt {
                    purpose,
                    rp_id,
                    user_name,
                })
                .await;
        Ok(UserCheck {
            presence,
            verification: verified,
        })
    }

    fn is_presence_enabled(&self) -> bool {
        true
    }

    fn is_verification_enabled(&self) -> Option<bool> {
        self.ui.can_verify_user().then_some(true)
    }
}
