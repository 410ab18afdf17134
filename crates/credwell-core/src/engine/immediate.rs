//! `get()` with [`uiMode: "immediate"`][cm-ui-mode]: one modal chooser of what credwell already
//! holds for the caller (its passwords and its passkeys together), or a `NotAllowedError` at
//! once, without any UI, when it holds nothing.
//!
//! Spec: Credential Management [UI Mode][cm-ui-mode] (`CredentialUiMode`, w3c/webappsec-
//! credential-management PR #272) and WebAuthn's immediate mediation (w3c/webauthn PR #2291),
//! as Chrome ships them. Where the PRs leave a choice, credwell does what Chrome does:
//!
//! - `password` and `publicKey` may share one request only in this mode (the registry's "types
//!   allowed in the same `get()` request" refuses `publicKey` with any other type otherwise:
//!   kept for every other request). [DEVIATION] from the registry, per PR #272 and Chrome.
//! - The user dismissing the chooser is a `NotAllowedError`, not `null` (Chrome).
//! - `mediation` with `uiMode: "immediate"`: PR #272 says the mode sets the UI "when the user
//!   agent performs user mediation", that whether UI is shown depends on `mediation`, and that
//!   not every pair makes sense; the mode itself "either show[s] a modal credential selection
//!   dialog to the user, or the operation will immediately complete without providing
//!   credentials". So `optional` (the default) and `required` show the chooser alike (even for
//!   one credential: never the silent auto sign-in); `silent`, which forbids user mediation,
//!   leaves only the second outcome: a `NotAllowedError` at once, before anything is looked
//!   up, not counted by the rate (the answer says nothing of what is held); `conditional` is a
//!   `NotSupportedError` (WPT getcredential-ui-mode-immediate); an unknown value is a
//!   `TypeError` like anywhere (E18); and an interface without the mode (federated) is a
//!   `TypeError` (PR #272's step of Request a Credential).
//! - A store that cannot tell what it holds without asking the user (a locked vault, whose
//!   index is keyed by the vault key) is treated as holding nothing: immediate mode must not
//!   prompt the user to do something (unlock) before showing what exists, and the page must not
//!   learn whether the vault is locked. The same message ends all three cases.
//!
//! [cm-ui-mode]: https://w3c.github.io/webappsec-credential-management/#ui-mode

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use serde_json::Value;

use super::Engine;
use crate::caller::{Caller, ClientId};
use crate::clock::{Clock, Timestamp};
use crate::credential::{Credential, CredentialType};
use crate::errors::GetError;
use crate::mediation::Mediation;
use crate::mediator::{Account, ChooserOutcome, ChooserRequest, Mediator, Offer};
use crate::options::{CredentialRequestOptions, UiMode};
use crate::store::CredentialStore;
use crate::sync::lock;
use crate::webauthn::{
    self, Authenticator, DiscoverableCredential, PublicKeyRequestOptions, RelatedOrigins, RpId,
    WebAuthnError,
};

/// How many `uiMode: "immediate"` calls one document may make in
/// [`IMMEDIATE_WINDOW_MS`]; the next one is a `NotAllowedError` without UI (Chrome's limit).
pub const IMMEDIATE_CALLS: usize = 2;

/// The window of [`IMMEDIATE_CALLS`], in milliseconds.
pub const IMMEDIATE_WINDOW_MS: u64 = 5_000;

/// How many documents' recent immediate calls are remembered at most. Beyond it, after the
/// calls older than the window are forgotten, a new document's immediate call is refused: the
/// memory stays bounded and the limit cannot be escaped by flooding it.
const RATE_DOCUMENTS: usize = 1024;

/// The recent immediate calls of each document, by the engine's [`Clock`].
#[derive(Debug, Default)]
pub(super) struct ImmediateRate {
    calls: Mutex<HashMap<ClientId, VecDeque<Timestamp>>>,
}

impl ImmediateRate {
    /// Counts a call by `client` at `now`, or says it is over the rate (and does not count it).
    fn admit(&self, client: ClientId, now: Timestamp) -> bool {
        let mut calls = lock(&self.calls);
        let recent = |t: &Timestamp| t.saturating_add(IMMEDIATE_WINDOW_MS) > now;
        if !calls.contains_key(&client) && calls.len() >= RATE_DOCUMENTS {
            calls.retain(|_, times| times.iter().any(recent));
            if calls.len() >= RATE_DOCUMENTS {
                return false;
            }
        }
        let times = calls.entry(client).or_default();
        times.retain(recent);
        if times.len() >= IMMEDIATE_CALLS {
            return false;
        }
        times.push_back(now);
        true
    }

    #[cfg(test)]
    pub(super) fn documents(&self) -> usize {
        lock(&self.calls).len()
    }
}

/// One entry of the immediate chooser, in the order shown.
enum Entry {
    Password(Credential),
    Passkey(Vec<u8>),
}

impl<S: CredentialStore, M: Mediator, C: Clock, A: Authenticator, R: RelatedOrigins>
    Engine<S, M, C, A, R>
{
    /// The checks of an immediate request made before anything is looked up, in order; `Ok`
    /// carries the converted `publicKey` options, if any.
    ///
    /// 1. `mediation: "conditional"` → `NotSupportedError` (made by the caller, before the
    ///    per-interface checks, as WPT's getcredential-ui-mode-immediate expects).
    /// 2. The `publicKey` options convert (`TypeError`).
    /// 3. An opaque origin → `SecurityError`, as for collecting from the store.
    /// 4. `mediation: "silent"` → `NotAllowedError`: no chooser may be shown, so the operation
    ///    completes without providing credentials (see the module's notes).
    /// 5. Not same-origin with its ancestors → `NotAllowedError`.
    /// 6. No transient activation → `NotAllowedError`.
    /// 7. A non-empty `allowCredentials` → `NotAllowedError`: the mode lists what is held.
    /// 8. More than [`IMMEDIATE_CALLS`] calls in [`IMMEDIATE_WINDOW_MS`] from the document →
    ///    `NotAllowedError`; a call that passes counts.
    pub(super) fn immediate_checks(
        &self,
        caller: &Caller,
        options: &CredentialRequestOptions,
        interfaces: &[CredentialType],
    ) -> Result<Option<PublicKeyRequestOptions>, GetError> {
        let public_key = options
            .public_key
            .as_ref()
            .map(|pk| PublicKeyRequestOptions::from_json(&Value::Object(pk.clone())))
            .transpose()
            .map_err(|e| GetError::WebAuthn(e.into()))?;
        if caller.origin.is_opaque() {
            let first = interfaces
                .first()
                .copied()
                .unwrap_or(CredentialType::Password);
            return Err(GetError::OpaqueOrigin(first));
        }
        if options.mediation == Mediation::Silent {
            return Err(GetError::ImmediateSilent);
        }
        if !caller.same_origin_with_ancestors {
            return Err(GetError::ImmediateNotSameOriginWithAncestors);
        }
        if !caller.transient_activation {
            return Err(GetError::ImmediateNeedsUserActivation);
        }
        if public_key
            .as_ref()
            .is_some_and(|pk| !pk.allow_credentials.is_empty())
        {
            return Err(GetError::ImmediateWithAllowCredentials);
        }
        if !self.immediate_rate.admit(caller.client, self.clock.now()) {
            return Err(GetError::ImmediateRateLimited);
        }
        Ok(public_key)
    }

    /// The immediate request, in parallel (after [`immediate_checks`](Self::immediate_checks)).
    ///
    /// 1. With `publicKey`: the RP ID, validated as `[[DiscoverFromExternalSource]]` steps 3-7
    ///    do (`SecurityError`).
    /// 2. The caller's exact-origin passwords (`password: true`) and the authenticator's
    ///    discoverable credentials for the RP ID (`publicKey`), both without asking the user.
    ///    Either one unknown (a locked store) → `NotAllowedError`, no UI.
    /// 3. Nothing held → `NotAllowedError`, no UI.
    /// 4. One chooser with the passwords, then the passkeys. Dismissed → `NotAllowedError`.
    /// 5. A password: the user mediated, so the origin's prevent silent access flag is
    ///    cleared; resolve with it.
    /// 6. A passkey: `[[DiscoverFromExternalSource]]` for that credential alone, the pick being
    ///    the test of user presence (user verification is still asked when required).
    pub(super) async fn request_immediately(
        &self,
        caller: &Caller,
        options: &CredentialRequestOptions,
        public_key: Option<&PublicKeyRequestOptions>,
    ) -> Result<Option<Credential>, GetError> {
        // 1.
        let rp_id = match public_key {
            Some(pk) => Some(
                RpId::for_caller(&caller.origin, pk.rp_id.as_deref(), &self.related_origins)
                    .await
                    .map_err(|e| GetError::WebAuthn(e.into()))?,
            ),
            None => None,
        };
        // 2.
        let passwords = if options.password {
            let listed = self
                .store
                .list_without_asking(&caller.origin, CredentialType::Password)
                .await
                .map_err(GetError::Store)?
                .ok_or(GetError::ImmediateLocked)?;
            listed
                .into_iter()
                .map(|r| r.credential)
                .filter(|c| c.origin().same_origin(&caller.origin))
                .collect()
        } else {
            Vec::new()
        };
        let passkeys: Vec<DiscoverableCredential> = match &rp_id {
            Some(rp_id) => self
                .authenticator
                .discoverable_credentials(rp_id.as_str())
                .await
                .ok_or(GetError::ImmediateLocked)?,
            None => Vec::new(),
        };
        // 3.
        if passwords.is_empty() && passkeys.is_empty() {
            return Err(GetError::ImmediateNothingHeld);
        }
        // 4.
        let mut accounts: Vec<Account> = passwords
            .iter()
            .map(|c| Account::of(c, Offer::ExactOrigin))
            .collect();
        accounts.extend(passkeys.iter().map(|p| Account {
            credential_type: CredentialType::PublicKey,
            id: p.user_name.clone(),
            name: p.user_display_name.clone(),
            icon_url: String::new(),
            origin: caller.origin.clone(),
            provider: None,
            offer: Offer::ExactOrigin,
        }));
        let mut entries: Vec<Entry> = passwords.into_iter().map(Entry::Password).collect();
        entries.extend(
            passkeys
                .into_iter()
                .map(|p| Entry::Passkey(p.credential_id)),
        );
        let request = ChooserRequest {
            request: caller.request,
            origin: caller.origin.clone(),
            accounts,
            mediation: options.mediation,
            ui_mode: Some(UiMode::Immediate),
            rp_id: rp_id.as_ref().map(|r| r.as_str().to_owned()),
        };
        let ChooserOutcome::Chosen(index) = self.mediator.choose(request).await else {
            return Err(GetError::ImmediateDismissed);
        };
        // A chooser answering with an index it was never shown is treated as a dismissal.
        match entries.into_iter().nth(index) {
            None => Err(GetError::ImmediateDismissed),
            // 5.
            Some(Entry::Password(credential)) => {
                self.update_flags(&caller.origin, |f| f.prevent_silent_access = false)
                    .await
                    .map_err(GetError::Store)?;
                Ok(Some(credential))
            }
            // 6.
            Some(Entry::Passkey(credential_id)) => {
                let json = options
                    .public_key
                    .clone()
                    .map(Value::Object)
                    .ok_or(GetError::WebAuthn(WebAuthnError::NotAllowed))?;
                let found = webauthn::discover(
                    &self.authenticator,
                    &self.clock,
                    &self.related_origins,
                    caller,
                    options.mediation,
                    &json,
                    Some(&credential_id),
                )
                .await
                .map_err(GetError::WebAuthn)?;
                Ok(Some(Credential::PublicKey(found)))
            }
        }
    }
}

#[cfg(test)]
mod tests;
