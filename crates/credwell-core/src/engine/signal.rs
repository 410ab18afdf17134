//! WebAuthn's [signal methods](https://w3c.github.io/webauthn/#sctn-signal-methods), which
//! reach the authenticator through the engine.

use serde_json::Value;

use super::{Engine, abortable};
use crate::caller::Caller;
use crate::clock::Clock;
use crate::mediator::Mediator;
use crate::store::CredentialStore;
use crate::webauthn::{
    Authenticator, RelatedOrigins, SignalError, SignalMethod, WellKnownFetchError,
    WellKnownResponse, signal_from_json,
};

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
            let related = SignalOrigins {
                related: &self.related_origins,
                authenticator: &self.authenticator,
            };
            let signal = signal_from_json(method, options, &caller.origin, &related).await?;
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

/// The related origins a signal's RP ID validation sees: the engine's, asked through
/// [`RelatedOrigins::fetch_for_signal`] with whether the authenticator may hold a credential for
/// the RP ID, so that a page's signal makes no fetch for an RP the vault knows nothing of.
struct SignalOrigins<'a, R, A> {
    related: &'a R,
    authenticator: &'a A,
}

impl<R: RelatedOrigins, A: Authenticator> RelatedOrigins for SignalOrigins<'_, R, A> {
    fn supported(&self) -> bool {
        self.related.supported()
    }

    async fn fetch(&self, rp_id: &str) -> Result<WellKnownResponse, WellKnownFetchError> {
        // Only an available authenticator can hold anything; asked only here, for an RP ID
        // outside the caller's site (the one case that fetches).
        let may_hold = self.authenticator.available()
            && self.authenticator.may_hold_credentials_for(rp_id).await;
        self.related.fetch_for_signal(rp_id, may_hold).await
    }
}
