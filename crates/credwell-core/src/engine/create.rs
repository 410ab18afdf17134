//! [Create a `Credential`][algorithm-create]:
//! `create()`, with the password and federated `[[Create]]`.
//!
//! [algorithm-create]: https://w3c.github.io/webappsec-credential-management/#algorithm-create

use serde_json::Value;

use super::{Engine, abortable};
use crate::abort::AbortSignal;
use crate::caller::Caller;
use crate::clock::Clock;
use crate::credential::{Credential, CredentialType, FederatedCredential, PasswordCredential};
use crate::errors::CreateError;
use crate::mediator::Mediator;
use crate::options::{CredentialCreationOptions, PasswordCredentialInit};
use crate::store::CredentialStore;
use crate::webauthn::{self, Authenticator, RelatedOrigins};

impl<S: CredentialStore, M: Mediator, C: Clock, A: Authenticator, R: RelatedOrigins>
    Engine<S, M, C, A, R>
{
    /// `navigator.credentials.create(options)`: converts `options` from JSON, then
    /// [creates a credential](Self::create_credential).
    pub async fn create(
        &self,
        caller: &Caller,
        options: &Value,
        signal: Option<&AbortSignal>,
    ) -> Result<Credential, CreateError> {
        let options =
            CredentialCreationOptions::from_json(options).map_err(CreateError::InvalidOptions)?;
        self.create_credential(caller, options, signal).await
    }

    /// [Create a `Credential`][algorithm-create].
    ///
    /// Creating a password or federated credential only builds the object; the page saves it
    /// with `store()`.
    ///
    /// [algorithm-create]: https://w3c.github.io/webappsec-credential-management/#algorithm-create
    pub async fn create_credential(
        &self,
        caller: &Caller,
        options: CredentialCreationOptions,
        signal: Option<&AbortSignal>,
    ) -> Result<Credential, CreateError> {
        // 1. Let settings be the current settings object. 2. Assert: settings is a secure context.
        if !caller.secure_context {
            return Err(CreateError::InsecureContext);
        }
        // 3. Let global be settings' global object. 4. Let document be the relevant global
        //    object's associated Document.
        // 5. If document is not fully active, then return a promise rejected with an
        //    "InvalidStateError" DOMException.
        if !caller.fully_active {
            return Err(CreateError::NotFullyActive);
        }
        // 6. Let sameOriginWithAncestors be true if settings is same-origin with its ancestors.
        // 7. Let interfaces be the set of options' relevant credential interface objects.
        let interfaces = options.relevant_types();
        // 8. Return a promise rejected with NotSupportedError if any of the following statements
        //    are true: global does not have an associated Document; interfaces' size is greater
        //    than 1.
        if interfaces.len() > 1 {
            return Err(CreateError::TooManyTypes(interfaces.len()));
        }
        // 9. For each interface in interfaces: if its Create Permissions Policy is not null and
        //    document is not allowed to use it, reject with "NotAllowedError". (Only public-key
        //    has one: "publickey-credentials-create".)
        if interfaces.first() == Some(&CredentialType::PublicKey) {
            if !self.authenticator.available() {
                return Err(CreateError::PublicKeyUnavailable);
            }
            if !caller.public_key_create_allowed {
                return Err(CreateError::PermissionsPolicy(
                    "publickey-credentials-create",
                ));
            }
        }
        // 10. If options.signal is aborted, then return a promise rejected with options.signal's
        //     abort reason.
        if let Some(reason) = signal.and_then(AbortSignal::reason) {
            return Err(CreateError::Aborted(reason));
        }
        // (Spec gap, WPT credentialscontainer-create-basics) No relevant interface:
        // "NotSupportedError".
        let Some(&interface) = interfaces.first() else {
            return Err(CreateError::NoCredentialTypes);
        };
        // 11. Let type be interfaces[0]'s [[type]].
        // 12. If settings' active credential types contains type, return a promise rejected with
        //     a "NotAllowedError" DOMException. 13. Append type.
        let _active = self
            .activate(caller.client, &[interface])
            .map_err(CreateError::RequestPending)?;
        // 14. Let origin be settings's origin. 15. Let p be a new promise.
        // 16. Run in parallel: let r be the result of interfaces[0]'s [[Create]](origin, options,
        //     sameOriginWithAncestors); reject p with an exception, or resolve p with r.
        let in_flight = self.register(caller.request);
        let work = async {
            match (interface, &options.public_key) {
                (CredentialType::PublicKey, Some(public_key)) => {
                    let public_key = serde_json::Value::Object(public_key.clone());
                    webauthn::create(
                        &self.authenticator,
                        &self.clock,
                        &self.related_origins,
                        caller,
                        options.mediation,
                        &public_key,
                    )
                    .await
                    .map(Credential::PublicKey)
                    .map_err(CreateError::WebAuthn)
                }
                _ => create_internal(caller, options, interface),
            }
        };
        match abortable(work, signal, &in_flight.signal).await {
            Ok(result) => result,
            Err(reason) => Err(CreateError::Aborted(reason)),
        }
        // 17. React to p: remove type from settings' active credential types.
    }
}

/// The `[[Create]]` internal methods of `PasswordCredential` and `FederatedCredential`.
fn create_internal(
    caller: &Caller,
    options: CredentialCreationOptions,
    interface: CredentialType,
) -> Result<Credential, CreateError> {
    // (Pending w3c/...#304) Opaque origins: "SecurityError".
    if caller.origin.is_opaque() && interface != CredentialType::PublicKey {
        return Err(CreateError::OpaqueOrigin(interface));
    }
    let origin = &caller.origin;
    match (interface, options.password, options.federated) {
        // PasswordCredential [[Create]]: 1. If options.password is an HTMLFormElement, return
        // the result of creating a PasswordCredential from it. 2. If options.password is a
        // PasswordCredentialData, return the result of creating one from that. 3. Throw a
        // TypeError.
        (CredentialType::Password, Some(PasswordCredentialInit::Form(form)), _) => {
            PasswordCredential::from_form(&form, origin).map(Credential::Password)
        }
        (CredentialType::Password, Some(PasswordCredentialInit::Data(data)), _) => {
            PasswordCredential::from_data(data, origin).map(Credential::Password)
        }
        // FederatedCredential [[Create]]: 1. Assert: options["federated"] exists. 2. Set
        // options["federated"]["origin"] to origin. 3. Return the result of creating a
        // FederatedCredential from options["federated"], rethrowing any exception.
        (CredentialType::Federated, _, Some(init)) => {
            FederatedCredential::from_init(init, origin).map(Credential::Federated)
        }
        _ => return Err(CreateError::PublicKeyUnavailable),
    }
    .map_err(CreateError::InvalidCredential)
}
