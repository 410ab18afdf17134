//! The authenticator actions of the WebAuthn [signal methods].
//!
//! [signal methods]: https://w3c.github.io/webauthn/#sctn-signal-methods
//!
//! The spec lets an authenticator "remove or hide" what a relying party no longer accepts.
//! credwell hides: any origin the RP ID accepts (its related origins too) can send these
//! signals, and one that knows a user handle must not be able to wipe that user's passkeys for
//! good. A hidden passkey stays in the vault but is never offered to a page; the manager shows
//! it with Restore and Purge. The page never learns what happened.

use credwell_core::Signal;

use super::PasskeyAuthenticator;
use crate::store::{PasskeyStore, PasskeyStoreError};
use crate::ui::PasskeyUi;

impl<S: PasskeyStore, U: PasskeyUi, K> PasskeyAuthenticator<S, U, K> {
    /// Applies a validated signal to the store.
    pub(super) async fn apply_signal(&self, signal: Signal) -> Result<(), PasskeyStoreError> {
        match signal {
            // unknownCredentialId: hide the credential source whose rpId and id match.
            Signal::UnknownCredential {
                rp_id,
                credential_id,
            } => {
                if let Some(passkey) = self.store.find(&credential_id).await?
                    && passkey.rp_id == rp_id.as_str()
                {
                    self.set_hidden(passkey, true).await?;
                }
            }
            // allAcceptedCredentialIds: of the sources of (rpId, userId), hide those whose id is
            // not listed, and unhide hidden ones that are listed.
            Signal::AllAcceptedCredentials {
                rp_id,
                user_id,
                accepted,
            } => {
                for passkey in self.store.list(rp_id.as_str()).await? {
                    if passkey.user_handle == user_id {
                        let hide = !accepted.contains(&passkey.credential_id);
                        self.set_hidden(passkey, hide).await?;
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

    /// Hides or unhides `passkey` (written only when that changes it).
    async fn set_hidden(
        &self,
        mut passkey: crate::PasskeyRecord,
        hidden: bool,
    ) -> Result<(), PasskeyStoreError> {
        if passkey.hidden != hidden {
            passkey.hidden = hidden;
            self.store.update(passkey).await?;
        }
        Ok(())
    }
}
