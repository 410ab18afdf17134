//! Passkeys in the host: credwell-passkey's authenticator over the unlocked store's passkeys
//! (waiting for unlock like every other request), with its prompts shown by the extension.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use credwell_passkey::{
    AccountSummary, CreatePrompt, PasskeyRecord, PasskeyStore, PasskeyStoreError, PasskeyUi,
    VerifyPrompt,
};

use crate::lockable::LockableStore;
use crate::protocol::{Prompt, PromptCall};
use crate::store::{ManagedStore, VaultOpener};
use crate::ui::HostMediator;

/// How many times the `verify` prompt is shown before user verification fails.
pub(crate) const VERIFY_ATTEMPTS: u64 = 3;

/// The `credentials.*` request a task is running, for the prompts it opens.
#[derive(Clone, Debug)]
pub(crate) struct CallContext {
    /// The request id.
    pub(crate) request: u64,
    /// The caller's origin, as the browser reported it.
    pub(crate) origin: String,
    /// A conditional `get()` before the user picks from its autofill offer: it never asks to
    /// unlock (loading a page must not bring up the unlock page). Once the user has picked a
    /// passkey they wait for the sign-in, so a vault locked meanwhile asks to be unlocked.
    pub(crate) quiet: Arc<AtomicBool>,
    /// A conditional `create()` (an automatic passkey upgrade): nothing may be shown, not even
    /// the unlock page, and nothing waits for the user: a locked vault fails the call at once
    /// (as a declined unlock: `NotAllowedError`).
    pub(crate) silent: bool,
}

tokio::task_local! {
    /// Set around every `credentials.*` call: the authenticator's prompts name their request.
    pub(crate) static CALL: CallContext;
}

/// The request a passkey prompt belongs to (its `request` and `origin` members).
fn prompt_call() -> Option<PromptCall> {
    CALL.try_with(|call| PromptCall {
        request: call.request,
        origin: call.origin.clone(),
    })
    .ok()
}

/// The passkeys of the vault the host unlocks: every operation waits for the unlock (showing
/// the unlock page once per locked period), as password requests do.
pub(crate) struct HostPasskeys<S> {
    pub(crate) store: LockableStore<S>,
}

impl<S: ManagedStore + 'static> HostPasskeys<S> {
    async fn unlocked(&self) -> Result<S::Passkeys, PasskeyStoreError> {
        if CALL.try_with(|c| c.silent).unwrap_or(false) {
            let store = self
                .store
                .unlocked_now()
                .ok_or(PasskeyStoreError::Declined)?;
            return Ok(S::passkeys(&store));
        }
        let quiet = CALL
            .try_with(|c| c.quiet.load(Ordering::SeqCst))
            .unwrap_or(false);
        let current = if quiet {
            self.store.current_quietly().await
        } else {
            self.store.current().await
        };
        match current {
            Ok(store) => Ok(S::passkeys(&store)),
            Err(e) if e.is_unlock_declined() => Err(PasskeyStoreError::Declined),
            Err(e) => Err(PasskeyStoreError::Backend(e.to_string())),
        }
    }
}

impl<S: ManagedStore + 'static> PasskeyStore for HostPasskeys<S> {
    async fn list(&self, rp_id: &str) -> Result<Vec<PasskeyRecord>, PasskeyStoreError> {
        self.unlocked().await?.list(rp_id).await
    }

    async fn find(&self, credential_id: &[u8]) -> Result<Option<PasskeyRecord>, PasskeyStoreError> {
        self.unlocked().await?.find(credential_id).await
    }

    async fn insert(&self, record: PasskeyRecord) -> Result<(), PasskeyStoreError> {
        self.unlocked().await?.insert(record).await
    }

    async fn update(&self, record: PasskeyRecord) -> Result<(), PasskeyStoreError> {
        self.unlocked().await?.update(record).await
    }

    async fn delete(&self, credential_id: &[u8]) -> Result<bool, PasskeyStoreError> {
        self.unlocked().await?.delete(credential_id).await
    }

    async fn holds_any(&self, rp_id: &str) -> Option<bool> {
        // Never the unlock page: a page's signal must not raise it to learn an answer.
        let store = self.store.unlocked_now()?;
        S::passkeys(&store).holds_any(rp_id).await
    }

    async fn list_without_asking(&self, rp_id: &str) -> Option<Vec<PasskeyRecord>> {
        // Never the unlock page (uiMode "immediate" must not prompt before showing anything).
        let store = self.store.unlocked_now()?;
        S::passkeys(&store).list_without_asking(rp_id).await
    }
}

/// The authenticator's prompts as `ui.show` events (see `docs/protocol.md`): `passkey.create`,
/// `passkey.chooser` and `verify`. User verification is the vault passphrase, typed again and
/// checked by the host.
pub(crate) struct HostPasskeyUi<O> {
    pub(crate) mediator: HostMediator,
    pub(crate) opener: Arc<O>,
}

impl<O: VaultOpener> PasskeyUi for HostPasskeyUi<O> {
    fn can_verify_user(&self) -> bool {
        true
    }

    async fn confirm_create(&self, prompt: CreatePrompt) -> bool {
        let call = prompt_call();
        self.mediator
            .ask(Prompt::PasskeyCreate { call, prompt })
            .await
            .is_some_and(|a| a.value.get("create") == Some(&serde_json::Value::Bool(true)))
    }

    async fn choose_account(&self, rp_id: String, accounts: Vec<AccountSummary>) -> Option<usize> {
        let call = prompt_call();
        self.pick(Prompt::PasskeyChooser {
            call,
            rp_id,
            accounts,
        })
        .await
    }

    async fn offer_autofill(&self, rp_id: String, accounts: Vec<AccountSummary>) -> Option<usize> {
        let call = prompt_call();
        let picked = self
            .pick(Prompt::PasskeyAutofill {
                call,
                rp_id,
                accounts,
            })
            .await;
        if picked.is_some() {
            let _ = CALL.try_with(|c| c.quiet.store(false, Ordering::SeqCst));
        }
        picked
    }

    async fn verify_user(&self, prompt: VerifyPrompt) -> bool {
        for attempt in 1..=VERIFY_ATTEMPTS {
            let show = Prompt::Verify {
                call: prompt_call(),
                prompt: prompt.clone(),
                attempt,
                attempts: VERIFY_ATTEMPTS,
            };
            let Some(passphrase) = self.mediator.ask(show).await.and_then(|a| a.passphrase) else {
                return false;
            };
            let opener = Arc::clone(&self.opener);
            match tokio::task::spawn_blocking(move || opener.verify(&passphrase)).await {
                Ok(true) => return true,
                Ok(false) => tracing::info!("user verification: wrong passphrase"),
                Err(_) => return false,
            }
        }
        false
    }
}

impl<O> HostPasskeyUi<O> {
    /// Shows the accounts (the modal chooser, or the page's autofill) and waits for the user's
    /// pick.
    async fn pick(&self, prompt: Prompt) -> Option<usize> {
        let answer = self.mediator.ask(prompt).await?;
        let choice = answer.value.get("choose")?.as_u64()?;
        usize::try_from(choice).ok()
    }
}
