//! The authenticator actions of the WebAuthn [signal methods](https://w3c.github.io/webauthn/#sctn-signal-methods).
//!
//! The spec lets an authenticator "remove or hide" what a relying party no longer accepts.
//! credwell removes: a hidden passkey would still sit in the vault and in exports, unusable,
//! with nothing in the UI to bring it back. The page never learns what happened.

use credwell_core::Signal;

use super::PasskeyAuthenticator;
use crate::store::{PasskeyStore, PasskeyStoreError};
use crate::ui::PasskeyUi;

impl<S: PasskeyStore, U: PasskeyUi, K> PasskeyAuthenticator<S, U, K> {
    /// Applies a validated signal to the store.
    pub(super) async fn apply_signal(&self, signal: Signal) -> Result<(), PasskeyStoreError> {
        match signal {
            // unknownCredentialId: remove the credential source whose rpId and id match.
            Signal::UnknownCredential {
                rp_id,
                credential_id,
            } => {
                let found = self.store.find(&credential_id).await?;
                if found.is_some_and(|p| p.rp_id == rp_id.as_str()) {
                    self.store.delete(&credential_id).await?;
                }
            }
            // allAcceptedCredentialIds: of the sources of (rpId, userId), remove those whose id
            // is not listed. (Listed ones are never hidden here, so there is nothing to unhide.)
            Signal::AllAcceptedCredentials {
                rp_id,
                user_id,
                accepted,
            } => {
                for passkey in self.store.list(rp_id.as_str()).await? {
                    if passkey.user_handle == user_id && !accepted.contains(&passkey.credential_id)
                    {
                        self.store.delete(&passkey.credential_id).await?;
                    }
                }
            }
            // currentUserDetails: update the name and displayName of the sources of
            // (rpId, userId).
            Signal::CurrentUserDetails {
                rp_id,
                user_id,
                name,
                display_name,
            } => {
                for mut passkey in self.store.list(rp_id.as_str()).await? {
                    if passkey.user_handle == user_id
                        && (passkey.user_name != name || passkey.user_display_name != display_name)
                    {
                        passkey.user_name.clone_from(&name);
                        passkey.user_display_name.clone_from(&display_name);
                        self.store.update(passkey).await?;
                    }
                }
            }
            // A signal this build does not know changes nothing.
            _ => {}
        }
        Ok(())
    }
}
