//! [Prevent Silent Access][algorithm-prevent-silent-access]:
//! `preventSilentAccess()`.
//!
//! [algorithm-prevent-silent-access]:
//! https://w3c.github.io/webappsec-credential-management/#algorithm-prevent-silent-access

use super::{Engine, abortable};
use crate::caller::Caller;
use crate::clock::Clock;
use crate::errors::PreventSilentAccessError;
use crate::mediator::Mediator;
use crate::store::CredentialStore;
use crate::webauthn::{Authenticator, RelatedOrigins};

impl<S: CredentialStore, M: Mediator, C: Clock, A: Authenticator, R: RelatedOrigins>
    Engine<S, M, C, A, R>
{
    /// [`preventSilentAccess()`][framework-credential-management]:
    /// [Prevent Silent Access][algorithm-prevent-silent-access].
    ///
    /// [framework-credential-management]:
    /// https://w3c.github.io/webappsec-credential-management/#framework-credential-management
    /// [algorithm-prevent-silent-access]:
    /// https://w3c.github.io/webappsec-credential-management/#algorithm-prevent-silent-access
    pub async fn prevent_silent_access(
        &self,
        caller: &Caller,
    ) -> Result<(), PreventSilentAccessError> {
        if !caller.secure_context {
            return Err(PreventSilentAccessError::InsecureContext);
        }
        // 1. Let origin be settings's origin.
        // 2. If the relevant global object's associated Document is not fully active, return a
        //    promise rejected with an "InvalidStateError" DOMException.
        if !caller.fully_active {
            return Err(PreventSilentAccessError::NotFullyActive);
        }
        // 3. Let p be a new promise. 4. In parallel: set origin's prevent silent access flag in
        //    the credential store; resolve p with undefined. (An opaque origin has no stored
        //    state to protect: nothing is written.)
        //    The call can be cancelled (tab closed) while it waits for the store.
        if caller.origin.is_opaque() {
            return Ok(());
        }
        let in_flight = self.register(caller.request);
        let work = self.update_flags(&caller.origin, |f| f.prevent_silent_access = true);
        match abortable(work, None, &in_flight.signal).await {
            Ok(Err(e)) if e.is_unlock_declined() => Ok(()),
            Ok(result) => result.map_err(PreventSilentAccessError::Store),
            Err(reason) => Err(PreventSilentAccessError::Aborted(reason)),
        }
    }
}
