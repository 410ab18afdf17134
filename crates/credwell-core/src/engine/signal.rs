//! WebAuthn's [signal methods](https://w3c.github.io/webauthn/#sctn-signal-methods), which
//! reach the authenticator through the engine.

use serde_json::Value;

use super::{Engine, abortable};
use crate::caller::Caller;
use crate::clock::Clock;
use crate::mediator::Mediator;
use crate::store::CredentialStore;
use crate::webauthn::{Authenticator, RelatedOrigins, SignalError, SignalMethod, signal_from_json};

impl<S: CredentialStore, M: Mediator, C: Clock, A: Authenticator, R: RelatedOrigins>
    Engine<S, M, C, A, R>
{
    /// `PublicKeyCredential.signalUnknownCredential` / `signalAllAcceptedCredentials` /
    /// `signalCurrentUserDetails` ([signal methods][sctn-signal-methods]):
    /// runs the client steps on `options`, then the authenticator action. The promise resolves
    /// once the RP ID is validated, whatever the action does; the action is awaited here so that
    /// a `get()` made after the page's promise settles already sees its effect.
    ///
    /// The call is registered under `caller.request`: [`cancel`](Self::cancel) ends it (while the
    /// related origins fetch is in flight, say) with the reason given.
    ///
    /// [sctn-signal-methods]: https://w3c.github.io/webauthn/#sctn-signal-methods
    pub async fn signal(
        &self,
        caller: &Caller,
        method: SignalMethod,
        options: &Value,
    ) -> Result<(), SignalError> {
        if !caller.secure_context {
            return Err(SignalError::InsecureContext);
        }
        let in_flight = self.register(caller.request);
        let work = async {
            let signal =
                signal_from_json(method, options, &caller.origin, &self.related_origins).await?;
            if self.authenticator.available() {
                self.authenticator.signal(signal).await;
            }
            Ok(())
        };
        match abortable(work, None, &in_flight.signal).await {
            Ok(result) => result,
            Err(reason) => Err(SignalError::Aborted(reason)),
        }
    }
}
