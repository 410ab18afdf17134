//! [Store a `Credential`][algorithm-store]:
//! `store()`, with the password and federated `[[Store]]` and the save and update prompts.
//!
//! [algorithm-store]: https://w3c.github.io/webappsec-credential-management/#algorithm-store

use serde_json::Value;

use super::{Engine, StoreConsent, StoreSource, abortable};
use crate::caller::Caller;
use crate::clock::Clock;
use crate::credential::{Credential, CredentialType, FederatedCredential, PasswordCredential};
use crate::errors::StoreError;
use crate::mediator::{Mediator, SaveDecision, StorePrompt, UpdateDecision};
use crate::options::credential_from_object;
use crate::origin::Origin;
use crate::store::{CredentialStore, StoredCredential};
use crate::webauthn::{Authenticator, RelatedOrigins};

impl<S: CredentialStore, M: Mediator, C: Clock, A: Authenticator, R: RelatedOrigins>
    Engine<S, M, C, A, R>
{
    /// `navigator.credentials.store(credential)`: reads the credential object from JSON, then
    /// [stores it](Self::store_credential).
    ///
    /// The JSON is the credential object the page passed, as the embedder's bindings read it
    /// from its internal slots: `{"type": "password", "id", "password", "name", "iconURL"}` or
    /// `{"type": "federated", "id", "provider", "protocol", "name", "iconURL"}`. Anything else,
    /// such as the plain `{username, password}` object of many tutorials, is a `TypeError`.
    pub async fn store(&self, caller: &Caller, credential: &Value) -> Result<(), StoreError> {
        let credential = credential_from_object(credential, &caller.origin)?;
        self.store_credential(caller, credential).await
    }

    /// [Store a `Credential`][algorithm-store].
    ///
    /// The credential's `[[origin]]` is replaced by the caller's: only the browser's view of the
    /// calling frame decides where a credential is saved.
    ///
    /// [algorithm-store]: https://w3c.github.io/webappsec-credential-management/#algorithm-store
    pub async fn store_credential(
        &self,
        caller: &Caller,
        credential: Credential,
    ) -> Result<(), StoreError> {
        self.store_credential_from(caller, credential, StoreSource::Page)
            .await
    }

    /// [Stores a `Credential`](Self::store_credential) that came from `source`: the same
    /// algorithm, prompts and consent, except that a password the user typed into a form
    /// ([`StoreSource::TypedForm`]) leaves a stored credential's name and icon as they are.
    pub async fn store_credential_from(
        &self,
        caller: &Caller,
        mut credential: Credential,
        source: StoreSource,
    ) -> Result<(), StoreError> {
        // 1. Let settings be the current settings object. 2. Assert: settings is a secure context.
        if !caller.secure_context {
            return Err(StoreError::InsecureContext);
        }
        // 3. If settings' relevant global object's associated Document is not fully active,
        //    then return a promise rejected with an "InvalidStateError" DOMException.
        if !caller.fully_active {
            return Err(StoreError::NotFullyActive);
        }
        set_origin(&mut credential, &caller.origin);
        // 4. Let sameOriginWithAncestors be true if the current settings object is same-origin
        //    with its ancestors, and false otherwise.
        // 5. If settings' active credential types contains credential's [[type]], return a
        //    promise rejected with a "NotAllowedError" DOMException. 6. Append it.
        let kind = credential.credential_type();
        let _active = self
            .activate(caller.client, &[kind])
            .map_err(StoreError::RequestPending)?;
        // 7. Let p be a new promise. 8. Run in parallel: execute credential's interface's
        //    [[Store]](credential, sameOriginWithAncestors); reject p with any exception,
        //    otherwise resolve p with undefined. (A cancelled call rejects with the reason.)
        let in_flight = self.register(caller.request);
        let work = self.store_internal(caller, credential, source);
        match abortable(work, None, &in_flight.signal).await {
            // The user closed the unlock page: as if they had dismissed the save prompt.
            Ok(Err(StoreError::Store(e))) if e.is_unlock_declined() => Ok(()),
            Ok(result) => result,
            Err(reason) => Err(StoreError::Aborted(reason)),
        }
        // 9. React to p: remove credential's [[type]] from the active credential types
        //    (`_active` is dropped here).
    }

    /// `PasswordCredential`'s and `FederatedCredential`'s
    /// `[[Store]](credential, sameOriginWithAncestors)`.
    async fn store_internal(
        &self,
        caller: &Caller,
        credential: Credential,
        source: StoreSource,
    ) -> Result<(), StoreError> {
        let kind = credential.credential_type();
        // (Pending w3c/...#304) Opaque origins: "SecurityError".
        if caller.origin.is_opaque() {
            return Err(StoreError::OpaqueOrigin(kind));
        }
        // 1. If sameOriginWithAncestors is false, throw a "NotAllowedError" DOMException.
        if !caller.same_origin_with_ancestors {
            return Err(StoreError::NotSameOriginWithAncestors(kind));
        }
        let stored = self
            .store
            .list(&caller.origin, kind)
            .await
            .map_err(StoreError::Store)?;
        match credential {
            Credential::Password(c) => self.store_password(caller, c, stored, source).await,
            Credential::Federated(c) => self.store_federated(caller, c, stored).await,
            Credential::PublicKey(_) => Err(StoreError::NotStorable(CredentialType::PublicKey)),
        }
    }

    /// Steps 2 and 3 of `PasswordCredential`'s [`[[Store]]`][passwordcredential-interface].
    ///
    /// [passwordcredential-interface]:
    /// https://w3c.github.io/webappsec-credential-management/#passwordcredential-interface
    async fn store_password(
        &self,
        caller: &Caller,
        mut credential: PasswordCredential,
        stored: Vec<StoredCredential>,
        source: StoreSource,
    ) -> Result<(), StoreError> {
        // 2. If the user agent's credential store contains a PasswordCredential (stored) whose id
        //    attribute is credential's id and whose [[origin]] slot is the same origin as
        //    credential's [[origin]], then:
        let existing = stored.into_iter().find(|r| {
            r.credential.id() == credential.id
                && r.credential.origin().same_origin(&credential.origin)
        });
        if let Some(existing) = existing {
            let Credential::Password(old) = &existing.credential else {
                return Ok(());
            };
            if source == StoreSource::TypedForm {
                // A typed password has no name or icon of its own: the stored ones stay.
                credential.name.clone_from(&old.name);
                credential.icon_url.clone_from(&old.icon_url);
            }
            if old.password == credential.password
                && old.name == credential.name
                && old.icon_url == credential.icon_url
            {
                // Nothing would change: no prompt.
                return Ok(());
            }
            // 2.1. If the user grants permission to update credentials (as discussed when
            //      defining user mediation), then: set stored's password to credential's
            //      password, name to credential's name, iconURL to credential's iconURL.
            let prompt = StorePrompt {
                request: caller.request,
                origin: caller.origin.clone(),
                credential_type: CredentialType::Password,
                id: credential.id.clone(),
                name: credential.name.clone(),
                provider: None,
            };
            let (update, mediated) = self.consent_to_update(prompt).await;
            if update {
                let now = self.clock.now();
                self.store
                    .update(existing.record, Credential::Password(credential), now)
                    .await
                    .map_err(StoreError::Store)?;
                if mediated {
                    // The user just confirmed this account: user mediation.
                    self.update_flags(&caller.origin, |f| f.prevent_silent_access = false)
                        .await
                        .map_err(StoreError::Store)?;
                }
            }
            return Ok(());
        }
        // 3. Otherwise, if the user grants permission to store credentials (as discussed when
        //    defining user mediation), then store a PasswordCredential in the credential store
        //    with id, name, iconURL, [[origin]] and password.
        self.save_new(caller, Credential::Password(credential))
            .await
    }

    /// Steps 2 and 3 of `FederatedCredential`'s [`[[Store]]`][federatedcredential-interface].
    ///
    /// [federatedcredential-interface]:
    /// https://w3c.github.io/webappsec-credential-management/#federatedcredential-interface
    async fn store_federated(
        &self,
        caller: &Caller,
        credential: FederatedCredential,
        stored: Vec<StoredCredential>,
    ) -> Result<(), StoreError> {
        // 2. If the user agent's credential store contains a FederatedCredential whose id
        //    attribute is credential's id and whose [[origin]] slot is the same origin as
        //    credential's [[origin]], and whose provider is credential's provider, then return.
        let duplicate = stored.iter().any(|r| match &r.credential {
            Credential::Federated(f) => {
                f.id == credential.id
                    && f.provider == credential.provider
                    && f.origin.same_origin(&credential.origin)
            }
            Credential::Password(_) | Credential::PublicKey(_) => false,
        });
        if duplicate {
            return Ok(());
        }
        // 3. If the user grants permission to store credentials, store a FederatedCredential
        //    with id, name, iconURL, provider, protocol and [[origin]].
        self.save_new(caller, Credential::Federated(credential))
            .await
    }

    /// Asks for consent (per [`StoreConsent`]) and adds a new credential.
    async fn save_new(&self, caller: &Caller, credential: Credential) -> Result<(), StoreError> {
        let flags = self
            .store
            .origin_flags(&caller.origin)
            .await
            .map_err(StoreError::Store)?;
        if flags.never_save {
            return Ok(());
        }
        // Only an answer to a prompt is user mediation; a standing "always" grant saves without
        // it, so it must not turn on silent sign-in («Requiring User Mediation» 2).
        let mediated = self.config.store_consent == StoreConsent::Ask;
        let decision = match self.config.store_consent {
            StoreConsent::Never => SaveDecision::Dismiss,
            StoreConsent::Always => SaveDecision::Save,
            StoreConsent::Ask => {
                let prompt = StorePrompt {
                    request: caller.request,
                    origin: caller.origin.clone(),
                    credential_type: credential.credential_type(),
                    id: credential.id().to_owned(),
                    name: credential.name().to_owned(),
                    provider: match &credential {
                        Credential::Federated(f) => Some(f.provider.clone()),
                        Credential::Password(_) | Credential::PublicKey(_) => None,
                    },
                };
                self.mediator.confirm_save(prompt).await
            }
        };
        match decision {
            SaveDecision::Save => {
                let now = self.clock.now();
                self.store
                    .add(credential, now)
                    .await
                    .map_err(StoreError::Store)?;
                if !mediated {
                    return Ok(());
                }
                // The user just said "save": user mediation, so they may now be signed in
                // without a chooser.
                self.update_flags(&caller.origin, |f| f.prevent_silent_access = false)
                    .await
                    .map_err(StoreError::Store)
            }
            SaveDecision::NeverForThisSite => self
                .update_flags(&caller.origin, |f| f.never_save = true)
                .await
                .map_err(StoreError::Store),
            SaveDecision::Dismiss => Ok(()),
        }
    }

    /// Whether to update, and whether the user was asked (user mediation).
    async fn consent_to_update(&self, prompt: StorePrompt) -> (bool, bool) {
        match self.config.store_consent {
            StoreConsent::Never => (false, false),
            StoreConsent::Always => (true, false),
            StoreConsent::Ask => (
                self.mediator.confirm_update(prompt).await == UpdateDecision::Update,
                true,
            ),
        }
    }
}

fn set_origin(credential: &mut Credential, origin: &Origin) {
    match credential {
        Credential::Password(c) => c.origin = origin.clone(),
        Credential::Federated(c) => c.origin = origin.clone(),
        Credential::PublicKey(c) => c.origin = origin.clone(),
    }
}
