//! The user's decisions: choosing an account, and consenting to save or update a credential.
//!
//! Spec: [Credential Selection][user-mediated-selection]
//! and [Storing and Updating Credentials][user-mediated-storage].
//!
//! A [`Mediator`] never sees a password: the chooser gets [`Account`] summaries and answers with
//! an index. If the engine drops a mediator future before it completes, the request was aborted
//! or cancelled and the UI must close.
//!
//! [user-mediated-selection]:
//! https://w3c.github.io/webappsec-credential-management/#user-mediated-selection
//! [user-mediated-storage]:
//! https://w3c.github.io/webappsec-credential-management/#user-mediated-storage

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::caller::RequestId;
use crate::credential::{Credential, CredentialType};
use crate::mediation::Mediation;
use crate::options::UiMode;
use crate::origin::Origin;

/// One entry of the account chooser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// The credential type.
    pub credential_type: CredentialType,
    /// The username or account id.
    pub id: String,
    /// The display name, `""` when none.
    pub name: String,
    /// The avatar URL, `""` when none.
    pub icon_url: String,
    /// The origin the credential was saved for.
    pub origin: Origin,
    /// The identity provider of a federated credential.
    pub provider: Option<String>,
    /// Whether the credential is the caller's own or another origin's.
    pub offer: Offer,
}

/// Why an account is in the chooser.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Offer {
    /// Saved for the caller's exact origin: what the spec's `get()` returns.
    ExactOrigin,
    /// Saved for another origin of the caller's site, offered only because the embedder turned
    /// on [`EngineConfig::offer_same_site`](crate::EngineConfig::offer_same_site). Choosing it
    /// hands `credential`'s secret to `caller`: the chooser must list it in a section of its own
    /// that names both origins, never preselect it, and the engine asks
    /// [`Mediator::confirm_cross_origin`] before returning it.
    CrossOrigin {
        /// The origin that called `get()`.
        caller: Origin,
        /// The origin the credential was saved for.
        credential: Origin,
    },
}

impl Account {
    /// Whether the account was saved for the caller's exact origin.
    pub fn is_exact_origin(&self) -> bool {
        self.offer == Offer::ExactOrigin
    }

    pub(crate) fn of(credential: &Credential, offer: Offer) -> Self {
        Self {
            credential_type: credential.credential_type(),
            id: credential.id().to_owned(),
            name: credential.name().to_owned(),
            icon_url: credential.icon_url().to_owned(),
            origin: credential.origin().clone(),
            provider: match credential {
                Credential::Federated(f) => Some(f.provider.clone()),
                Credential::Password(_) | Credential::PublicKey(_) => None,
            },
            offer,
        }
    }
}

/// What the account chooser is asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChooserRequest {
    /// The call this chooser belongs to, so the embedder can show it in the right tab.
    pub request: RequestId,
    /// The requesting origin, which the chooser MUST show.
    pub origin: Origin,
    /// The accounts: the caller's own ([`Offer::ExactOrigin`]) first, then any
    /// [`Offer::CrossOrigin`] ones. The chooser must not preselect a cross-origin offer.
    /// With `uiMode: "immediate"` the caller's passkeys follow its passwords: accounts of type
    /// [`CredentialType::PublicKey`] whose `id` is the passkey's `user.name` and `name` its
    /// `user.displayName`, which the chooser must label as passkeys (of [`rp_id`](Self::rp_id)).
    pub accounts: Vec<Account>,
    /// The request's mediation.
    pub mediation: Mediation,
    /// The request's `uiMode`.
    pub ui_mode: Option<UiMode>,
    /// The RP ID the passkey accounts are scoped to, when the chooser lists passkeys.
    pub rp_id: Option<String>,
}

/// The chooser's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChooserOutcome {
    /// The user picked `accounts[index]`.
    Chosen(usize),
    /// The user dismissed the chooser.
    Cancelled,
}

/// What a save or update prompt shows. Never holds the password.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorePrompt {
    /// The call this prompt belongs to.
    pub request: RequestId,
    /// The origin the credential will be saved for.
    pub origin: Origin,
    /// The credential type.
    pub credential_type: CredentialType,
    /// The username or account id.
    pub id: String,
    /// The display name.
    pub name: String,
    /// The identity provider, for federated credentials.
    pub provider: Option<String>,
}

/// The answer to "Save this sign-in?".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaveDecision {
    /// Save it.
    Save,
    /// Do not save, and never ask again for this origin.
    NeverForThisSite,
    /// Not now.
    Dismiss,
}

/// The answer to "Update the saved password?".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateDecision {
    /// Update it.
    Update,
    /// Leave the stored credential as it is.
    Dismiss,
}

/// The user-facing side of the engine.
pub trait Mediator: Send + Sync {
    /// Shows the account chooser and waits for the user.
    fn choose(&self, request: ChooserRequest) -> impl Future<Output = ChooserOutcome> + Send;

    /// Asks whether to save a new credential.
    fn confirm_save(&self, prompt: StorePrompt) -> impl Future<Output = SaveDecision> + Send;

    /// Asks whether to update a stored credential with new details.
    fn confirm_update(&self, prompt: StorePrompt) -> impl Future<Output = UpdateDecision> + Send;

    /// The second confirmation for an [`Offer::CrossOrigin`] account the user chose: "Give
    /// `account.origin`'s password to `origin`?". Only `true` hands the credential over; the
    /// default refuses, so an embedder that turns the offers on without asking gets nothing.
    fn confirm_cross_origin(
        &self,
        _request: RequestId,
        _origin: &Origin,
        _account: &Account,
    ) -> impl Future<Output = bool> + Send {
        std::future::ready(false)
    }

    /// Tells the user they were signed in without being asked ("Signing in as alice").
    /// The spec's UA SHOULD; the default does nothing.
    fn notify_auto_sign_in(&self, _request: RequestId, _origin: &Origin, _account: &Account) {}
}

/// One scripted answer of a [`ScriptedMediator`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scripted {
    /// Pick the account at this index.
    Choose(usize),
    /// Dismiss the chooser.
    Cancel,
    /// Answer a save prompt.
    Save(SaveDecision),
    /// Answer an update prompt.
    Update(UpdateDecision),
    /// Answer the second confirmation of a cross-origin offer.
    ConfirmCrossOrigin(bool),
    /// Never answer: the prompt stays open until the request is aborted.
    Hang,
}

/// What a [`ScriptedMediator`] was asked, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Asked {
    /// The chooser was shown.
    Chooser(ChooserRequest),
    /// A save prompt was shown.
    Save(StorePrompt),
    /// An update prompt was shown.
    Update(StorePrompt),
    /// The second confirmation of a cross-origin offer was shown, for this account.
    CrossOrigin(Account),
    /// The user was told about an automatic sign-in.
    AutoSignIn(Account),
}

/// A [`Mediator`] that answers from a script and records every question, for tests and demos.
///
/// With an empty script, the chooser is cancelled, saves are accepted, updates are accepted and
/// cross-origin offers are refused.
///
/// ```
/// use credwell_core::{Scripted, ScriptedMediator};
/// let m = ScriptedMediator::new([Scripted::Choose(0)]);
/// assert!(m.asked().is_empty());
/// ```
#[derive(Clone, Debug, Default)]
pub struct ScriptedMediator {
    state: Arc<Mutex<ScriptState>>,
}

#[derive(Debug, Default)]
struct ScriptState {
    script: VecDeque<Scripted>,
    asked: Vec<Asked>,
}

impl ScriptedMediator {
    /// A mediator that will give these answers, in order.
    pub fn new(script: impl IntoIterator<Item = Scripted>) -> Self {
        let m = Self::default();
        m.push(script);
        m
    }

    /// Appends answers to the script.
    pub fn push(&self, answers: impl IntoIterator<Item = Scripted>) {
        self.lock().script.extend(answers);
    }

    /// Everything asked so far.
    pub fn asked(&self) -> Vec<Asked> {
        self.lock().asked.clone()
    }

    /// How many answers are left unused.
    pub fn remaining(&self) -> usize {
        self.lock().script.len()
    }

    fn next(&self, asked: Asked) -> Option<Scripted> {
        let mut state = self.lock();
        state.asked.push(asked);
        state.script.pop_front()
    }

    fn lock(&self) -> MutexGuard<'_, ScriptState> {
        // The state is a queue and a log, valid at every point: a poisoned lock is still usable.
        crate::sync::lock(&self.state)
    }
}

impl Mediator for ScriptedMediator {
    async fn choose(&self, request: ChooserRequest) -> ChooserOutcome {
        match self.next(Asked::Chooser(request)) {
            Some(Scripted::Choose(i)) => ChooserOutcome::Chosen(i),
            Some(Scripted::Hang) => std::future::pending().await,
            _ => ChooserOutcome::Cancelled,
        }
    }

    async fn confirm_save(&self, prompt: StorePrompt) -> SaveDecision {
        match self.next(Asked::Save(prompt)) {
            Some(Scripted::Save(d)) => d,
            Some(Scripted::Hang) => std::future::pending().await,
            None => SaveDecision::Save,
            Some(_) => SaveDecision::Dismiss,
        }
    }

    async fn confirm_update(&self, prompt: StorePrompt) -> UpdateDecision {
        match self.next(Asked::Update(prompt)) {
            Some(Scripted::Update(d)) => d,
            Some(Scripted::Hang) => std::future::pending().await,
            None => UpdateDecision::Update,
            Some(_) => UpdateDecision::Dismiss,
        }
    }

    async fn confirm_cross_origin(
        &self,
        _request: RequestId,
        _origin: &Origin,
        account: &Account,
    ) -> bool {
        match self.next(Asked::CrossOrigin(account.clone())) {
            Some(Scripted::ConfirmCrossOrigin(yes)) => yes,
            Some(Scripted::Hang) => std::future::pending().await,
            _ => false,
        }
    }

    fn notify_auto_sign_in(&self, _request: RequestId, _origin: &Origin, account: &Account) {
        self.lock().asked.push(Asked::AutoSignIn(account.clone()));
    }
}
