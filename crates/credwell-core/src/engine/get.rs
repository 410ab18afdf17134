//! [Request a `Credential`][algorithm-request]:
//! `get()`, with the password and federated `[[CollectFromCredentialStore]]` and the chooser.
//!
//! [algorithm-request]: https://w3c.github.io/webappsec-credential-management/#algorithm-request

use serde_json::Value;

use super::{Engine, abortable};
use crate::abort::AbortSignal;
use crate::caller::Caller;
use crate::clock::Clock;
use crate::credential::{Credential, CredentialType};
use crate::errors::GetError;
use crate::mediation::Mediation;
use crate::mediator::{Account, ChooserOutcome, ChooserRequest, Mediator, Offer};
use crate::options::{CredentialRequestOptions, UiMode};
use crate::origin::Origin;
use crate::store::{CredentialStore, StoredCredential};
use crate::webauthn::{self, Authenticator, RelatedOrigins};

impl<S: CredentialStore, M: Mediator, C: Clock, A: Authenticator, R: RelatedOrigins>
    Engine<S, M, C, A, R>
{
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

    /// [Request a `Credential`][algorithm-request].
    ///
    /// [algorithm-request]:
    /// https://w3c.github.io/webappsec-credential-management/#algorithm-request
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
        //    [DEVIATION] With uiMode "immediate", password and publicKey may share a request
        //    (w3c/webappsec-credential-management PR #272, as Chrome ships it; see immediate.rs).
        let immediate = options.ui_mode == Some(UiMode::Immediate);
        for (i, a) in interfaces.iter().enumerate() {
            if let Some(b) = interfaces[i + 1..]
                .iter()
                .find(|b| !(a.may_combine_with(**b) || immediate && immediate_pair(*a, **b)))
            {
                return Err(GetError::TypesCannotBeCombined(*a, *b));
            }
        }
        // 8.1. (Immediate mode) uiMode "immediate" with mediation "conditional":
        //      "NotSupportedError" (WPT getcredential-ui-mode-immediate).
        if immediate && options.mediation == Mediation::Conditional {
            return Err(GetError::ImmediateWithConditional);
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
        // 10.y. (Immediate mode) the checks made before anything is looked up (immediate.rs).
        let immediate = match immediate {
            true => Some(self.immediate_checks(caller, options, &interfaces)?),
            false => None,
        };
        // 12. Let p be a new promise; run the following steps in parallel. An abort at any point
        //     from here on rejects p with the signal's reason (DOM's "add an abort algorithm").
        let in_flight = self.register(caller.request);
        let work = async {
            match &immediate {
                Some(public_key) => {
                    self.request_immediately(caller, options, public_key.as_ref())
                        .await
                }
                None => self.request_in_parallel(caller, options, &interfaces).await,
            }
        };
        match abortable(work, signal, &in_flight.signal).await {
            // The user closed the unlock page: as if they had dismissed the chooser.
            Ok(Err(GetError::Store(e))) if e.is_unlock_declined() && immediate.is_none() => {
                Ok(None)
            }
            // Immediate mode ends without a credential as a NotAllowedError, never null.
            Ok(Err(GetError::Store(e))) if e.is_unlock_declined() => {
                Err(GetError::ImmediateDismissed)
            }
            Ok(result) => result,
            Err(reason) => Err(GetError::Aborted(reason)),
        }
    }

    /// Steps 12.1 to 12.7 of [Request a `Credential`][algorithm-request].
    ///
    /// [algorithm-request]:
    /// https://w3c.github.io/webappsec-credential-management/#algorithm-request
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
                self.mediator.notify_auto_sign_in(
                    caller.request,
                    origin,
                    &Account::of(c, Offer::ExactOrigin),
                );
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
                None,
            )
            .await
            .map_err(GetError::WebAuthn)?;
            return Ok(Some(Credential::PublicKey(found)));
        }
        let result = self.ask_to_choose(caller, options, credentials).await?;
        // 12.7. Resolve p with result (a Credential, or null).
        Ok(result)
    }

    /// [Collect `Credential`s from the credential store][algorithm-collect-known],
    /// with each interface's `[[CollectFromCredentialStore]]`.
    ///
    /// [algorithm-collect-known]:
    /// https://w3c.github.io/webappsec-credential-management/#algorithm-collect-known
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

    /// Whether origin [requires user mediation][origin-requires-user-mediation]:
    /// its prevent silent access flag is set, or the user turned auto sign-in off globally.
    ///
    /// [origin-requires-user-mediation]:
    /// https://w3c.github.io/webappsec-credential-management/#origin-requires-user-mediation
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

    /// [Ask the user to choose a `Credential`][user-mediated-selection].
    ///
    /// The chooser lists the exact-origin credentials, then (only with
    /// [`EngineConfig::offer_same_site`](super::EngineConfig::offer_same_site)) cross-origin
    /// offers, each of which also needs the user's second confirmation. With nothing to offer it
    /// resolves `null` without showing UI. Picking an exact-origin credential is user mediation,
    /// so it clears the origin's prevent silent access flag.
    ///
    /// [user-mediated-selection]:
    /// https://w3c.github.io/webappsec-credential-management/#user-mediated-selection
    async fn ask_to_choose(
        &self,
        caller: &Caller,
        options: &CredentialRequestOptions,
        credentials: Vec<StoredCredential>,
    ) -> Result<Option<Credential>, GetError> {
        let mut offered: Vec<(Credential, Offer)> = credentials
            .into_iter()
            .map(|r| (r.credential, Offer::ExactOrigin))
            .collect();
        if self.config.offer_same_site {
            offered.extend(
                self.cross_origin_offers(caller, options)
                    .await?
                    .into_iter()
                    .map(|c| {
                        let credential = c.origin().clone();
                        let caller = caller.origin.clone();
                        (c, Offer::CrossOrigin { caller, credential })
                    }),
            );
        }
        if offered.is_empty() {
            return Ok(None);
        }
        let accounts: Vec<Account> = offered
            .iter()
            .map(|(c, offer)| Account::of(c, offer.clone()))
            .collect();
        let request = ChooserRequest {
            request: caller.request,
            origin: caller.origin.clone(),
            accounts: accounts.clone(),
            mediation: options.mediation,
            ui_mode: None,
            rp_id: None,
        };
        let ChooserOutcome::Chosen(index) = self.mediator.choose(request).await else {
            return Ok(None);
        };
        let (Some((credential, offer)), Some(account)) =
            (offered.into_iter().nth(index), accounts.get(index))
        else {
            // A chooser answering with an index it was never shown is treated as a dismissal.
            return Ok(None);
        };
        match offer {
            Offer::ExactOrigin => self
                .update_flags(&caller.origin, |f| f.prevent_silent_access = false)
                .await
                .map_err(GetError::Store)?,
            // Another origin's secret: one pick in a list is not consent to hand it over.
            Offer::CrossOrigin { .. } => {
                let confirm =
                    self.mediator
                        .confirm_cross_origin(caller.request, &caller.origin, account);
                if !confirm.await {
                    return Ok(None);
                }
            }
        }
        Ok(Some(credential))
    }

    /// Credentials of other origins the caller may be offered ([`Origin::offerable_to`]: another
    /// host of its registrable domain, same scheme, same port) that match options, for the
    /// chooser only.
    async fn cross_origin_offers(
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
                    .filter(|c| c.origin().offerable_to(&caller.origin))
                    .filter(|c| matches_filter(c, options)),
            );
        }
        Ok(offers)
    }
}

/// The pair of types only `uiMode: "immediate"` may request together: password and publicKey.
fn immediate_pair(a: CredentialType, b: CredentialType) -> bool {
    use CredentialType::{Password, PublicKey};
    matches!((a, b), (Password, PublicKey) | (PublicKey, Password))
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
