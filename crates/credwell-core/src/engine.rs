//! The `CredentialsContainer` algorithms: `get()`, `store()`, `create()` and
//! `preventSilentAccess()`, in the spec's step order, with the password and federated internal
//! methods they call.
//!
//! Spec: [Core API](https://w3c.github.io/webappsec-credential-management/#core).

use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::sync::{Mutex, MutexGuard};

use futures::future::{Either, select};
use serde_json::Value;

use crate::abort::{AbortController, AbortReason, AbortSignal};
use crate::caller::{Caller, ClientId, RequestId};
use crate::clock::Clock;
use crate::credential::{Credential, CredentialType, FederatedCredential, PasswordCredential};
use crate::errors::{CreateError, GetError, PreventSilentAccessError, StoreError};
use crate::mediator::{
    Account, ChooserOutcome, ChooserRequest, Mediator, SaveDecision, StorePrompt, UpdateDecision,
};
use crate::options::{
    CredentialCreationOptions, CredentialRequestOptions, Mediation, PasswordCredentialInit,
};
use crate::origin::Origin;
use crate::store::{CredentialStore, OriginFlags, StoredCredential};
use crate::webauthn::{self, Authenticator, NoAuthenticator, NoRelatedOrigins, RelatedOrigins};

/// Whether `store()` asks the user before saving or updating.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StoreConsent {
    /// Ask every time (the default).
    #[default]
    Ask,
    /// Save and update without asking: the user's standing grant.
    Always,
    /// Never save or update.
    Never,
}

/// User preferences the engine honours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EngineConfig {
    /// Consent policy for `store()`.
    pub store_consent: StoreConsent,
    /// The global auto sign-in switch: when `false` every origin requires user mediation
    /// ([Requiring User Mediation](https://w3c.github.io/webappsec-credential-management/#user-mediation-requirement), 1).
    pub auto_sign_in: bool,
    /// Offer credentials saved on sibling subdomains (same scheme and registrable domain) in the
    /// chooser. They are never returned without the user picking them.
    pub offer_same_site: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            store_consent: StoreConsent::Ask,
            auto_sign_in: true,
            offer_same_site: true,
        }
    }
}

/// The Credential Management engine: one per browser profile.
///
/// It holds each document's *active credential types* and the calls in flight; the store, the
/// mediator and the clock come from the embedder.
///
/// ```
/// use credwell_core::*;
/// use serde_json::json;
/// # futures::executor::block_on(async {
/// let engine = Engine::new(MemoryStore::new(), ScriptedMediator::default(), ManualClock::new(0));
/// let caller = Caller::new(Origin::parse("https://example.com").unwrap(), ClientId(1), RequestId(1));
/// let credential = json!({"type": "password", "id": "alice", "password": "pencil"});
/// engine.store(&caller, &credential).await.unwrap();
/// let got = engine.get(&caller, &json!({"password": true, "mediation": "silent"}), None).await.unwrap();
/// assert_eq!(got.unwrap().id(), "alice");
/// # });
/// ```
#[derive(Debug)]
pub struct Engine<S, M, C, A = NoAuthenticator, R = NoRelatedOrigins> {
    store: S,
    mediator: M,
    clock: C,
    authenticator: A,
    related_origins: R,
    config: EngineConfig,
    active_types: Mutex<HashMap<ClientId, Vec<CredentialType>>>,
    in_flight: Mutex<HashMap<RequestId, AbortController>>,
}

impl<S: CredentialStore, M: Mediator, C: Clock> Engine<S, M, C> {
    /// An engine with the default configuration and no public-key authenticator.
    pub fn new(store: S, mediator: M, clock: C) -> Self {
        Self::with_config(store, mediator, clock, EngineConfig::default())
    }

    /// An engine with the given configuration and no public-key authenticator.
    pub fn with_config(store: S, mediator: M, clock: C, config: EngineConfig) -> Self {
        Engine {
            store,
            mediator,
            clock,
            authenticator: NoAuthenticator,
            related_origins: NoRelatedOrigins,
            config,
            active_types: Mutex::default(),
            in_flight: Mutex::default(),
        }
    }

    /// The same engine, serving `publicKey` requests with `authenticator`.
    pub fn with_authenticator<A: Authenticator>(self, authenticator: A) -> Engine<S, M, C, A> {
        Engine {
            store: self.store,
            mediator: self.mediator,
            clock: self.clock,
            authenticator,
            related_origins: self.related_origins,
            config: self.config,
            active_types: self.active_types,
            in_flight: self.in_flight,
        }
    }
}

impl<S: CredentialStore, M: Mediator, C: Clock, A: Authenticator> Engine<S, M, C, A> {
    /// The same engine, supporting [related origin requests](https://w3c.github.io/webauthn/#sctn-related-origins):
    /// a `publicKey` RP ID that is not the caller's effective domain or a registrable suffix of
    /// it is checked against the RP's `.well-known/webauthn` document, which `related` fetches.
    pub fn with_related_origins<R: RelatedOrigins>(self, related: R) -> Engine<S, M, C, A, R> {
        Engine {
            store: self.store,
            mediator: self.mediator,
            clock: self.clock,
            authenticator: self.authenticator,
            related_origins: related,
            config: self.config,
            active_types: self.active_types,
            in_flight: self.in_flight,
        }
    }
}

impl<S: CredentialStore, M: Mediator, C: Clock, A: Authenticator, R: RelatedOrigins>
    Engine<S, M, C, A, R>
{
    /// The public-key authenticator.
    pub fn authenticator(&self) -> &A {
        &self.authenticator
    }

    /// The related origins fetcher.
    pub fn related_origins(&self) -> &R {
        &self.related_origins
    }

    /// The store.
    pub fn store_backend(&self) -> &S {
        &self.store
    }

    /// The mediator.
    pub fn mediator(&self) -> &M {
        &self.mediator
    }

    /// The configuration.
    pub fn config(&self) -> EngineConfig {
        self.config
    }

    /// Cancels a call in flight (the tab closed, the frame navigated away, the page's signal
    /// fired): it rejects with `reason`, and any chooser or prompt it opened is dropped.
    /// Returns whether such a call was in flight.
    pub fn cancel(&self, request: RequestId, reason: AbortReason) -> bool {
        let controller = lock(&self.in_flight).get(&request).cloned();
        controller.is_some_and(|c| {
            c.abort(reason);
            true
        })
    }

    /// `navigator.credentials.get(options)`: converts `options` from JSON, then
    /// [requests a credential](Self::request_credential).
    pub async fn get(
        &self,
        caller: &Caller,
        options: &Value,
        signal: Option<&AbortSignal>,
    ) -> Result<Option<Credential>, GetError> {
        let options =
            CredentialRequestOptions::from_json(options).map_err(GetError::InvalidOptions)?;
        self.request_credential(caller, &options, signal).await
    }

    /// [Request a `Credential`](https://w3c.github.io/webappsec-credential-management/#algorithm-request).
    pub async fn request_credential(
        &self,
        caller: &Caller,
        options: &CredentialRequestOptions,
        signal: Option<&AbortSignal>,
    ) -> Result<Option<Credential>, GetError> {
        // 1. Let settings be the current settings object.
        // 2. Assert: settings is a secure context. (The embedder should not expose the API in a
        //    non-secure context; if it is called anyway, refuse.)
        if !caller.secure_context {
            return Err(GetError::InsecureContext);
        }
        // 3. Let document be settings's relevant global object's associated Document.
        // 4. If document is not fully active, then return a promise rejected with an
        //    "InvalidStateError" DOMException.
        if !caller.fully_active {
            return Err(GetError::NotFullyActive);
        }
        // 5. If options.signal is aborted, then return a promise rejected with options.signal's
        //    abort reason.
        if let Some(reason) = signal.and_then(AbortSignal::reason) {
            return Err(GetError::Aborted(reason));
        }
        // 6. Let interfaces be options's relevant credential interface objects.
        let interfaces = options.relevant_types();
        // 7. If interfaces is empty, then return a promise rejected with a "NotSupportedError".
        if interfaces.is_empty() {
            return Err(GetError::NoCredentialTypes);
        }
        // 8. For each pair of distinct interfaces, if type2 is not in type1's "types allowed in
        //    the same get() request", reject with a "NotSupportedError" (w3c/...#261).
        for (i, a) in interfaces.iter().enumerate() {
            if let Some(b) = interfaces[i + 1..]
                .iter()
                .find(|b| !a.may_combine_with(**b))
            {
                return Err(GetError::TypesCannotBeCombined(*a, *b));
            }
        }
        // 9. For each interface of interfaces:
        //    9.1. conditional mediation the interface does not support: "TypeError".
        //    9.2. uiMode immediate the interface does not support: "TypeError".
        //    9.3. settings' active credential types contains interface's [[type]]:
        //         "NotAllowedError".
        //    9.4. Append interface's [[type]] to settings' active credential types.
        for interface in &interfaces {
            if options.mediation == Mediation::Conditional
                && !interface.supports_conditional_mediation()
            {
                return Err(GetError::ConditionalNotSupported(*interface));
            }
            if options.ui_mode.is_some() && !interface.supports_immediate_ui() {
                return Err(GetError::ImmediateNotSupported(*interface));
            }
        }
        // (11. React to p: remove the types again, whichever way the call ends.)
        let _active = self
            .activate(caller.client, &interfaces)
            .map_err(GetError::RequestPending)?;
        // 10. Let origin be settings' origin; let sameOriginWithAncestors be true if settings is
        //     same-origin with its ancestors.
        // 10.x. Permissions policy: for each interface whose Get Permissions Policy is not null
        //     (public-key: "publickey-credentials-get"), if document is not allowed to use it,
        //     reject with a "NotAllowedError". Password and federated have none.
        if interfaces.contains(&CredentialType::PublicKey) {
            if !self.authenticator.available() {
                return Err(GetError::PublicKeyUnavailable);
            }
            if !caller.public_key_get_allowed {
                return Err(GetError::PermissionsPolicy("publickey-credentials-get"));
            }
        }
        // 12. Let p be a new promise; run the following steps in parallel. An abort at any point
        //     from here on rejects p with the signal's reason (DOM's "add an abort algorithm").
        let in_flight = self.register(caller.request);
        let work = self.request_in_parallel(caller, options, &interfaces);
        match abortable(work, signal, &in_flight.signal).await {
            // The user closed the unlock page: as if they had dismissed the chooser.
            Ok(Err(GetError::Store(e))) if e.is_unlock_declined() => Ok(None),
            Ok(result) => result,
            Err(reason) => Err(GetError::Aborted(reason)),
        }
    }

    /// Steps 12.1 to 12.7 of [Request a `Credential`](https://w3c.github.io/webappsec-credential-management/#algorithm-request).
    async fn request_in_parallel(
        &self,
        caller: &Caller,
        options: &CredentialRequestOptions,
        interfaces: &[CredentialType],
    ) -> Result<Option<Credential>, GetError> {
        let origin = &caller.origin;
        // 12.1. Let credentials be the result of collecting Credentials from the credential store,
        //       given origin, options, and sameOriginWithAncestors.
        // 12.2. If credentials is an exception, reject p with credentials.
        let credentials = self.collect_from_store(caller, options, interfaces).await?;
        // 12.3. If all of the following are true, resolve p with credentials[0]:
        //       credentials' size is 1; origin does not require user mediation; options is
        //       matchable a priori; mediation is not "required"; mediation is not "conditional".
        if credentials.len() == 1
            && options.matchable_a_priori()
            && !matches!(
                options.mediation,
                Mediation::Required | Mediation::Conditional
            )
            && !self.requires_user_mediation(origin).await?
        {
            let credential = credentials.into_iter().next().map(|r| r.credential);
            if let Some(c) = &credential {
                self.mediator
                    .notify_auto_sign_in(caller.request, origin, &Account::of(c, true));
            }
            return Ok(credential);
        }
        // 12.4. If options' mediation is "silent", resolve p with null.
        if options.mediation == Mediation::Silent {
            return Ok(None);
        }
        // 12.5. Let result be the result of asking the user to choose a Credential, given options
        //       and credentials. When the only relevant interface is PublicKeyCredential, which
        //       needs its own UI, the chooser is skipped and the result is its interface object.
        // 12.6. If result is an interface object, set result to the result of its
        //       [[DiscoverFromExternalSource]](origin, options, sameOriginWithAncestors),
        //       rejecting p with any exception.
        if let (Some(public_key), [CredentialType::PublicKey]) = (&options.public_key, interfaces) {
            let public_key = serde_json::Value::Object(public_key.clone());
            let found = webauthn::discover(
                &self.authenticator,
                &self.clock,
                &self.related_origins,
                caller,
                options.mediation,
                &public_key,
            )
            .await
            .map_err(GetError::WebAuthn)?;
            return Ok(Some(Credential::PublicKey(found)));
        }
        let result = self.ask_to_choose(caller, options, credentials).await?;
        // 12.7. Resolve p with result (a Credential, or null).
        Ok(result)
    }

    /// [Collect `Credential`s from the credential store](https://w3c.github.io/webappsec-credential-management/#algorithm-collect-known),
    /// with each interface's `[[CollectFromCredentialStore]]`.
    async fn collect_from_store(
        &self,
        caller: &Caller,
        options: &CredentialRequestOptions,
        interfaces: &[CredentialType],
    ) -> Result<Vec<StoredCredential>, GetError> {
        // 1. Let possible matches be an empty set.
        let mut possible_matches = Vec::new();
        // 2. For each interface in options' relevant credential interface objects: let r be the
        //    result of interface's [[CollectFromCredentialStore]](origin, options,
        //    sameOriginWithAncestors); if r is an exception, return it; otherwise add each
        //    credential in r to possible matches.
        for interface in interfaces {
            let r = self.collect_one(caller, options, *interface).await?;
            possible_matches.extend(r);
        }
        // 3. Return possible matches.
        Ok(possible_matches)
    }

    /// `PasswordCredential`'s and `FederatedCredential`'s `[[CollectFromCredentialStore]]`.
    async fn collect_one(
        &self,
        caller: &Caller,
        options: &CredentialRequestOptions,
        interface: CredentialType,
    ) -> Result<Vec<StoredCredential>, GetError> {
        // (Pending w3c/...#304) Origin-bound credentials are not available to opaque origins:
        // "SecurityError".
        if caller.origin.is_opaque() {
            return Err(GetError::OpaqueOrigin(interface));
        }
        // PublicKeyCredential's [[CollectFromCredentialStore]] returns the empty set: its
        // credentials are discovered from the authenticator.
        if interface == CredentialType::PublicKey {
            return Ok(Vec::new());
        }
        // 1. If sameOriginWithAncestors is false, throw a "NotAllowedError" DOMException.
        if !caller.same_origin_with_ancestors {
            return Err(GetError::NotSameOriginWithAncestors(interface));
        }
        // 2. Return the empty set if the type's options member is absent (options.password is not
        //    true; options.federated is not present).
        // 3. Return the stored credentials of this type whose [[origin]] is same origin with
        //    origin, and (federated) whose provider is in providers and protocol in protocols.
        let stored = self
            .store
            .list(&caller.origin, interface)
            .await
            .map_err(GetError::Store)?;
        Ok(stored
            .into_iter()
            .filter(|r| r.credential.origin().same_origin(&caller.origin))
            .filter(|r| matches_filter(&r.credential, options))
            .collect())
    }

    /// Whether origin [requires user mediation](https://w3c.github.io/webappsec-credential-management/#origin-requires-user-mediation):
    /// its prevent silent access flag is set, or the user turned auto sign-in off globally.
    async fn requires_user_mediation(&self, origin: &Origin) -> Result<bool, GetError> {
        if !self.config.auto_sign_in {
            return Ok(true);
        }
        let flags = self
            .store
            .origin_flags(origin)
            .await
            .map_err(GetError::Store)?;
        Ok(flags.prevent_silent_access)
    }

    /// [Ask the user to choose a `Credential`](https://w3c.github.io/webappsec-credential-management/#abstract-opdef-ask-the-user-to-choose-a-credential).
    ///
    /// The chooser lists the exact-origin credentials, then (when enabled) those of sibling
    /// subdomains of the same site. With nothing to offer it resolves `null` without showing UI.
    /// Picking an exact-origin credential is user mediation, so it clears the origin's prevent
    /// silent access flag.
    async fn ask_to_choose(
        &self,
        caller: &Caller,
        options: &CredentialRequestOptions,
        credentials: Vec<StoredCredential>,
    ) -> Result<Option<Credential>, GetError> {
        let mut offered: Vec<(Credential, bool)> = credentials
            .into_iter()
            .map(|r| (r.credential, true))
            .collect();
        if self.config.offer_same_site {
            offered.extend(
                self.same_site_offers(caller, options)
                    .await?
                    .into_iter()
                    .map(|c| (c, false)),
            );
        }
        if offered.is_empty() {
            return Ok(None);
        }
        let request = ChooserRequest {
            request: caller.request,
            origin: caller.origin.clone(),
            accounts: offered
                .iter()
                .map(|(c, exact)| Account::of(c, *exact))
                .collect(),
            mediation: options.mediation,
        };
        let ChooserOutcome::Chosen(index) = self.mediator.choose(request).await else {
            return Ok(None);
        };
        let Some((credential, exact)) = offered.into_iter().nth(index) else {
            // A chooser answering with an index it was never shown is treated as a dismissal.
            return Ok(None);
        };
        if exact {
            self.update_flags(&caller.origin, |f| f.prevent_silent_access = false)
                .await
                .map_err(GetError::Store)?;
        }
        Ok(Some(credential))
    }

    /// Credentials of other origins on the caller's site (same scheme, same registrable domain)
    /// that match options, for the chooser only.
    async fn same_site_offers(
        &self,
        caller: &Caller,
        options: &CredentialRequestOptions,
    ) -> Result<Vec<Credential>, GetError> {
        let Some(site) = caller.origin.site() else {
            return Ok(Vec::new());
        };
        let mut offers = Vec::new();
        for interface in options.relevant_types() {
            let stored = self
                .store
                .list_same_site(site, interface)
                .await
                .map_err(GetError::Store)?;
            offers.extend(
                stored
                    .into_iter()
                    .map(|r| r.credential)
                    .filter(|c| !c.origin().same_origin(&caller.origin))
                    .filter(|c| c.origin().site() == Some(site))
                    .filter(|c| matches_filter(c, options)),
            );
        }
        Ok(offers)
    }

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

    /// [Store a `Credential`](https://w3c.github.io/webappsec-credential-management/#abstract-opdef-store-a-credential).
    ///
    /// The credential's `[[origin]]` is replaced by the caller's: only the browser's view of the
    /// calling frame decides where a credential is saved.
    pub async fn store_credential(
        &self,
        caller: &Caller,
        mut credential: Credential,
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
        let work = self.store_internal(caller, credential);
        match abortable(work, None, &in_flight.signal).await {
            // The user closed the unlock page: as if they had dismissed the save prompt.
            Ok(Err(StoreError::Store(e))) if e.is_unlock_declined() => Ok(()),
            Ok(result) => result,
            Err(reason) => Err(StoreError::Aborted(reason)),
        }
        // 9. React to p: remove credential's [[type]] from the active credential types
        //    (`_active` is dropped here).
    }

    /// `PasswordCredential`'s and `FederatedCredential`'s `[[Store]](credential, sameOriginWithAncestors)`.
    async fn store_internal(
        &self,
        caller: &Caller,
        credential: Credential,
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
            Credential::Password(c) => self.store_password(caller, c, stored).await,
            Credential::Federated(c) => self.store_federated(caller, c, stored).await,
            Credential::PublicKey(_) => Err(StoreError::NotStorable(CredentialType::PublicKey)),
        }
    }

    /// Steps 2 and 3 of `PasswordCredential`'s [`[[Store]]`](https://w3c.github.io/webappsec-credential-management/#passwordcredential-interface).
    async fn store_password(
        &self,
        caller: &Caller,
        credential: PasswordCredential,
        stored: Vec<StoredCredential>,
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

    /// Steps 2 and 3 of `FederatedCredential`'s [`[[Store]]`](https://w3c.github.io/webappsec-credential-management/#federatedcredential-interface).
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

    /// [Create a `Credential`](https://w3c.github.io/webappsec-credential-management/#algorithm-create).
    ///
    /// Creating a password or federated credential only builds the object; the page saves it
    /// with `store()`.
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

    /// `PublicKeyCredential.signalUnknownCredential` / `signalAllAcceptedCredentials` /
    /// `signalCurrentUserDetails` ([signal methods](https://w3c.github.io/webauthn/#sctn-signal-methods)):
    /// runs the client steps on `options`, then the authenticator action. The promise resolves
    /// once the RP ID is validated, whatever the action does; the action is awaited here so that
    /// a `get()` made after the page's promise settles already sees its effect.
    ///
    /// The call is registered under `caller.request`: [`cancel`](Self::cancel) ends it (while the
    /// related origins fetch is in flight, say) with the reason given.
    pub async fn signal(
        &self,
        caller: &Caller,
        method: crate::webauthn::SignalMethod,
        options: &Value,
    ) -> Result<(), crate::webauthn::SignalError> {
        if !caller.secure_context {
            return Err(crate::webauthn::SignalError::InsecureContext);
        }
        let in_flight = self.register(caller.request);
        let work = async {
            let signal = crate::webauthn::signal_from_json(
                method,
                options,
                &caller.origin,
                &self.related_origins,
            )
            .await?;
            if self.authenticator.available() {
                self.authenticator.signal(signal).await;
            }
            Ok(())
        };
        match abortable(work, None, &in_flight.signal).await {
            Ok(result) => result,
            Err(reason) => Err(crate::webauthn::SignalError::Aborted(reason)),
        }
    }

    /// [`preventSilentAccess()`](https://w3c.github.io/webappsec-credential-management/#dom-credentialscontainer-preventsilentaccess):
    /// [Prevent Silent Access](https://w3c.github.io/webappsec-credential-management/#abstract-opdef-prevent-silent-access).
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

    async fn update_flags(
        &self,
        origin: &Origin,
        change: impl FnOnce(&mut OriginFlags),
    ) -> Result<(), crate::store::StoreFailure> {
        let mut flags = self.store.origin_flags(origin).await?;
        let before = flags;
        change(&mut flags);
        if flags != before {
            self.store.set_origin_flags(origin, flags).await?;
        }
        Ok(())
    }

    /// Appends `types` to the document's active credential types, or names the first one
    /// already there. The guard removes them again when the call settles or is dropped.
    fn activate(
        &self,
        client: ClientId,
        types: &[CredentialType],
    ) -> Result<ActiveTypes<'_>, CredentialType> {
        let mut active = lock(&self.active_types);
        let entry = active.entry(client).or_default();
        if let Some(busy) = types.iter().find(|t| entry.contains(t)) {
            return Err(*busy);
        }
        entry.extend_from_slice(types);
        Ok(ActiveTypes {
            map: &self.active_types,
            client,
            types: types.to_vec(),
        })
    }

    /// Registers a call so that [`cancel`](Self::cancel) can reach it.
    fn register(&self, request: RequestId) -> InFlight<'_> {
        let controller = AbortController::new();
        let signal = controller.signal();
        lock(&self.in_flight).insert(request, controller);
        InFlight {
            map: &self.in_flight,
            request,
            signal,
        }
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

/// Whether a stored credential passes the type's filter: `password: true` for passwords;
/// `providers` and `protocols` for federated credentials.
fn matches_filter(credential: &Credential, options: &CredentialRequestOptions) -> bool {
    match credential {
        Credential::Password(_) => options.password,
        Credential::PublicKey(_) => false,
        Credential::Federated(f) => {
            let Some(filter) = &options.federated else {
                return false;
            };
            let provider_ok = filter
                .providers
                .as_ref()
                .is_none_or(|p| p.contains(&f.provider));
            let protocol_ok = filter
                .protocols
                .as_ref()
                .is_none_or(|p| f.protocol.as_ref().is_some_and(|proto| p.contains(proto)));
            provider_ok && protocol_ok
        }
    }
}

/// Reads a credential object, as described on [`Engine::store`].
pub fn credential_from_object(value: &Value, origin: &Origin) -> Result<Credential, StoreError> {
    use crate::options::{FederatedCredentialInit, PasswordCredentialData};
    let Value::Object(map) = value else {
        return Err(StoreError::NotACredential(""));
    };
    let hint = if map.contains_key("password") || map.contains_key("username") {
        " Build one first: navigator.credentials.store(new PasswordCredential({id: username, password}))."
    } else {
        ""
    };
    let kind = map.get("type").and_then(Value::as_str);
    match kind {
        Some("password") => {
            let data = PasswordCredentialData::from_json(Some(value))
                .map_err(StoreError::InvalidObject)?;
            PasswordCredential::from_data(data, origin)
                .map(Credential::Password)
                .map_err(StoreError::InvalidCredential)
        }
        Some("federated") => {
            let init = FederatedCredentialInit::from_json(Some(value))
                .map_err(StoreError::InvalidObject)?;
            FederatedCredential::from_init(init, origin)
                .map(Credential::Federated)
                .map_err(StoreError::InvalidCredential)
        }
        Some("public-key") => Err(StoreError::NotStorable(CredentialType::PublicKey)),
        // Credential types credwell does not implement, whose [[Store]] is the default one
        // (w3c/webappsec-credential-management#218): "NotSupportedError".
        Some(other @ ("otp" | "identity" | "digital-credential")) => {
            Err(StoreError::UnsupportedType(other.to_owned()))
        }
        _ => Err(StoreError::NotACredential(hint)),
    }
}

fn set_origin(credential: &mut Credential, origin: &Origin) {
    match credential {
        Credential::Password(c) => c.origin = origin.clone(),
        Credential::Federated(c) => c.origin = origin.clone(),
        Credential::PublicKey(c) => c.origin = origin.clone(),
    }
}

/// Runs `work` until it completes or either signal aborts.
async fn abortable<T>(
    work: impl Future<Output = T>,
    page_signal: Option<&AbortSignal>,
    cancel_signal: &AbortSignal,
) -> Result<T, AbortReason> {
    let aborted = async {
        let cancelled = pin!(cancel_signal.until_aborted());
        match page_signal {
            Some(page) => {
                let page = pin!(page.until_aborted());
                select(page, cancelled).await.factor_first().0
            }
            None => cancelled.await,
        }
    };
    match select(pin!(work), pin!(aborted)).await {
        Either::Left((value, _)) => Ok(value),
        Either::Right((reason, _)) => Err(reason),
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The maps behind these locks are valid after every statement, so a panic elsewhere while
    // holding one leaves nothing half-done: keep going with the data.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// A document's active credential types for one call; removed on drop (step "React to p").
struct ActiveTypes<'a> {
    map: &'a Mutex<HashMap<ClientId, Vec<CredentialType>>>,
    client: ClientId,
    types: Vec<CredentialType>,
}

impl Drop for ActiveTypes<'_> {
    fn drop(&mut self) {
        let mut map = lock(self.map);
        if let Some(active) = map.get_mut(&self.client) {
            active.retain(|t| !self.types.contains(t));
            if active.is_empty() {
                map.remove(&self.client);
            }
        }
    }
}

/// A call registered for cancellation; unregistered on drop.
struct InFlight<'a> {
    map: &'a Mutex<HashMap<RequestId, AbortController>>,
    request: RequestId,
    signal: AbortSignal,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        lock(self.map).remove(&self.request);
    }
}
#[cfg(test)]
mod tests;
