//! The authenticator's user interaction: consent to create, choosing an account, and user
//! verification. The embedder implements [`PasskeyUi`] (credwell-host forwards the prompts to
//! the extension); [`ScriptedUi`] answers from a script, for tests and demos.

use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

/// What the user is asked to approve in authenticatorMakeCredential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatePrompt {
    /// The RP ID the passkey will be scoped to.
    pub rp_id: String,
    /// `rp.name`.
    pub rp_name: String,
    /// `user.name`.
    pub user_name: String,
    /// `user.displayName`.
    pub user_display_name: String,
    /// A passkey from the RP's `excludeCredentials` is already here. Confirming then creates
    /// nothing: the RP is told the authenticator is already registered (`InvalidStateError`);
    /// refusing makes the ceremony fail as cancelled. The UI should say so.
    pub already_registered: bool,
}

/// One account in the chooser. Never carries key material.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountSummary {
    /// The passkey's credential id.
    pub credential_id: Vec<u8>,
    /// `user.name` at creation.
    pub user_name: String,
    /// `user.displayName` at creation.
    pub user_display_name: String,
    /// Creation time, in milliseconds since the Unix epoch.
    pub created_at: u64,
}

/// Why the user is asked to verify themselves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyPurpose {
    /// To create a passkey.
    Create,
    /// To sign in with a passkey.
    SignIn,
}

/// A user verification request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyPrompt {
    /// Why.
    pub purpose: VerifyPurpose,
    /// The RP ID.
    pub rp_id: String,
    /// The account concerned.
    pub user_name: String,
}

/// The user interface of the passkey authenticator.
///
/// Every method is one user interaction and may take as long as the user does; the client's
/// `lifetimeTimer` and abort signal end it by dropping the future, which must close the prompt.
pub trait PasskeyUi: Send + Sync {
    /// Whether this UI can verify the user (an unlock with the vault passphrase, a PIN, a
    /// biometric). Without it the authenticator reports no user verification capability.
    fn can_verify_user(&self) -> bool;

    /// Asks the user to approve creating a passkey (the test of user presence of
    /// authenticatorMakeCredential). `true` if they approved.
    fn confirm_create(&self, prompt: CreatePrompt) -> impl Future<Output = bool> + Send;

    /// Shows the RP's accounts, most recent first, and asks the user to pick one. It is shown
    /// even for one account: picking is the test of user presence of
    /// authenticatorGetAssertion. `None` if the user cancelled.
    fn choose_account(
        &self,
        rp_id: String,
        accounts: Vec<AccountSummary>,
    ) -> impl Future<Output = Option<usize>> + Send;

    /// Verifies the user (unlock, PIN, biometric). `true` only if the user was verified: the
    /// authenticator sets the UV flag exactly when this returned `true` in the same ceremony.
    fn verify_user(&self, prompt: VerifyPrompt) -> impl Future<Output = bool> + Send;

    /// `mediation: "conditional"`: offers the RP's accounts in the page's autofill (no modal
    /// prompt) and waits until the user picks one, which is the test of user presence. `None`
    /// if the offer was withdrawn. The default shows the ordinary chooser.
    fn offer_autofill(
        &self,
        rp_id: String,
        accounts: Vec<AccountSummary>,
    ) -> impl Future<Output = Option<usize>> + Send {
        self.choose_account(rp_id, accounts)
    }
}

/// One prompt a [`ScriptedUi`] was shown.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UiEvent {
    /// [`PasskeyUi::confirm_create`].
    ConfirmCreate(CreatePrompt),
    /// [`PasskeyUi::choose_account`].
    ChooseAccount {
        /// The RP ID.
        rp_id: String,
        /// The accounts shown.
        accounts: Vec<AccountSummary>,
    },
    /// [`PasskeyUi::verify_user`].
    VerifyUser(VerifyPrompt),
    /// [`PasskeyUi::offer_autofill`].
    OfferAutofill {
        /// The RP ID.
        rp_id: String,
        /// The accounts offered.
        accounts: Vec<AccountSummary>,
    },
}

/// A [`PasskeyUi`] with fixed answers that records what it was asked. By default it can verify
/// the user, approves every creation, picks the first account and verifies successfully.
///
/// ```
/// use credwell_passkey::ScriptedUi;
/// let ui = ScriptedUi::new().choosing(Some(1)).verifying(false);
/// assert!(ui.events().is_empty());
/// ```
#[derive(Clone, Debug)]
pub struct ScriptedUi {
    state: Arc<Mutex<ScriptState>>,
}

#[derive(Debug)]
struct ScriptState {
    can_verify: bool,
    confirm: bool,
    choice: Option<usize>,
    verify: bool,
    events: Vec<UiEvent>,
}

impl Default for ScriptedUi {
    fn default() -> Self {
        Self {
            state: Arc::new(Mutex::new(ScriptState {
                can_verify: true,
                confirm: true,
                choice: Some(0),
                verify: true,
                events: Vec::new(),
            })),
        }
    }
}

impl ScriptedUi {
    /// The default script (see the type's documentation).
    pub fn new() -> Self {
        Self::default()
    }

    /// A UI without user verification capability.
    pub fn without_user_verification(self) -> Self {
        self.lock().can_verify = false;
        self
    }

    /// The answer to [`PasskeyUi::confirm_create`].
    pub fn confirming(self, approve: bool) -> Self {
        self.lock().confirm = approve;
        self
    }

    /// The answer to [`PasskeyUi::choose_account`] (`None` cancels).
    pub fn choosing(self, choice: Option<usize>) -> Self {
        self.lock().choice = choice;
        self
    }

    /// The answer to [`PasskeyUi::verify_user`].
    pub fn verifying(self, verified: bool) -> Self {
        self.lock().verify = verified;
        self
    }

    /// The prompts shown so far, in order.
    pub fn events(&self) -> Vec<UiEvent> {
        self.lock().events.clone()
    }

    fn lock(&self) -> MutexGuard<'_, ScriptState> {
        // Every critical section is a single read or push: a poisoned lock is still consistent.
        credwell_core::sync::lock(&self.state)
    }
}

impl PasskeyUi for ScriptedUi {
    fn can_verify_user(&self) -> bool {
        self.lock().can_verify
    }

    async fn confirm_create(&self, prompt: CreatePrompt) -> bool {
        let mut state = self.lock();
        state.events.push(UiEvent::ConfirmCreate(prompt));
        state.confirm
    }

    async fn choose_account(&self, rp_id: String, accounts: Vec<AccountSummary>) -> Option<usize> {
        let mut state = self.lock();
        state
            .events
            .push(UiEvent::ChooseAccount { rp_id, accounts });
        state.choice
    }

    async fn verify_user(&self, prompt: VerifyPrompt) -> bool {
        let mut state = self.lock();
        state.events.push(UiEvent::VerifyUser(prompt));
        state.verify
    }

    async fn offer_autofill(&self, rp_id: String, accounts: Vec<AccountSummary>) -> Option<usize> {
        let mut state = self.lock();
        state
            .events
            .push(UiEvent::OfferAutofill { rp_id, accounts });
        state.choice
    }
}

impl<T: PasskeyUi> PasskeyUi for Arc<T> {
    fn can_verify_user(&self) -> bool {
        (**self).can_verify_user()
    }

    fn confirm_create(&self, prompt: CreatePrompt) -> impl Future<Output = bool> + Send {
        (**self).confirm_create(prompt)
    }

    fn choose_account(
        &self,
        rp_id: String,
        accounts: Vec<AccountSummary>,
    ) -> impl Future<Output = Option<usize>> + Send {
        (**self).choose_account(rp_id, accounts)
    }

    fn verify_user(&self, prompt: VerifyPrompt) -> impl Future<Output = bool> + Send {
        (**self).verify_user(prompt)
    }

    fn offer_autofill(
        &self,
        rp_id: String,
        accounts: Vec<AccountSummary>,
    ) -> impl Future<Output = Option<usize>> + Send {
        (**self).offer_autofill(rp_id, accounts)
    }
}
