//! The `CredentialsContainer` algorithms: `get()`, `store()`, `create()` and
//! `preventSilentAccess()`, in the spec's step order, with the password and federated internal
//! methods they call.
//!
//! Spec: [Core API](https://w3c.github.io/webappsec-credential-management/#core).
//!
//! One file per algorithm: [`get`](get.rs), [`store`](store.rs), [`create`](create.rs),
//! [`prevent_silent_access`](prevent_silent_access.rs), and WebAuthn's [`signal`](signal.rs)
//! methods. This file holds the engine itself: its configuration, the active credential types
//! and the calls in flight.

use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::sync::Mutex;

use futures::future::{Either, select};

use crate::abort::{AbortController, AbortReason, AbortSignal};
use crate::caller::{ClientId, RequestId};
use crate::clock::Clock;
use crate::credential::CredentialType;
use crate::mediator::Mediator;
use crate::origin::Origin;
use crate::store::{CredentialStore, OriginFlags, StoreFailure};
use crate::sync::lock;
use crate::webauthn::{Authenticator, NoAuthenticator, NoRelatedOrigins, RelatedOrigins};
use immediate::ImmediateRate;

pub use immediate::{IMMEDIATE_CALLS, IMMEDIATE_WINDOW_MS};

mod create;
mod get;
mod immediate;
mod prevent_silent_access;
mod signal;
mod store;

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

/// Where a credential to store comes from, which decides what it says about the stored account
/// besides its password.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum StoreSource {
    /// The page's `store()` (the spec): the credential's `name` and `iconURL` are the page's and
    /// replace the stored ones.
    #[default]
    Page,
    /// A password the user typed into an ordinary form, which the embedder saves (outside the
    /// spec): it has no name or icon of its own, so a stored credential of the same id keeps its
    /// name and icon, and one whose password is the same is left as it is without a prompt.
    TypedForm,
}

/// User preferences the engine honours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EngineConfig {
    /// Consent policy for `store()`.
    pub store_consent: StoreConsent,
    /// The global auto sign-in switch: when `false` every origin requires user mediation
    /// ([Requiring User Mediation][user-mediation-requirement], 1).
    ///
    /// [user-mediation-requirement]:
    /// https://w3c.github.io/webappsec-credential-management/#user-mediation-requirement
    pub auto_sign_in: bool,
    /// Also offer, in the chooser, credentials saved for *other* origins of the caller's site.
    /// Off by default: `get()` then sees only credentials of the caller's exact origin, which is
    /// what the spec returns.
    ///
    /// An embedder that turns it on takes on this contract:
    /// - Only another host of the caller's registrable domain with the same scheme and the same
    ///   port is offered ([`Origin::offerable_to`]): never across schemes or ports, never for an
    ///   IP address or `localhost` (every local server would otherwise see every other's
    ///   passwords).
    /// - Each such account is an [`Offer::CrossOrigin`](crate::Offer::CrossOrigin) carrying the
    ///   caller's origin and the credential's. The chooser lists them in a section of their own
    ///   that names both origins, after the caller's own accounts, and never preselects one.
    /// - One is never returned silently: not by `mediation: "silent"`, not as the single
    ///   candidate of an origin that may sign in without a chooser.
    /// - Choosing one is not enough: the engine asks
    ///   [`Mediator::confirm_cross_origin`](crate::Mediator::confirm_cross_origin) and hands the
    ///   credential over only on `true` (the default answer is `false`).
    pub offer_same_site: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            store_consent: StoreConsent::Ask,
            auto_sign_in: true,
            offer_same_site: false,
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
/// let origin = Origin::parse("https://example.com").unwrap();
/// let caller = Caller::new(origin, ClientId(1), RequestId(1));
/// let credential = json!({"type": "password", "id": "alice", "password": "pencil"});
/// engine.store(&caller, &credential).await.unwrap();
/// let silent = json!({"password": true, "mediation": "silent"});
/// let got = engine.get(&caller, &silent, None).await.unwrap();
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
    immediate_rate: ImmediateRate,
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
            immediate_rate: ImmediateRate::default(),
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
            immediate_rate: self.immediate_rate,
        }
    }
}

impl<S: CredentialStore, M: Mediator, C: Clock, A: Authenticator> Engine<S, M, C, A> {
    /// The same engine, supporting [related origin requests][sctn-related-origins]:
    /// a `publicKey` RP ID that is not the caller's effective domain or a registrable suffix of
    /// it is checked against the RP's `.well-known/webauthn` document, which `related` fetches.
    ///
    /// [sctn-related-origins]: https://w3c.github.io/webauthn/#sctn-related-origins
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
            immediate_rate: self.immediate_rate,
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

    async fn update_flags(
        &self,
        origin: &Origin,
        change: impl FnOnce(&mut OriginFlags),
    ) -> Result<(), StoreFailure> {
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
