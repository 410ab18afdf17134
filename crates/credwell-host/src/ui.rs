//! The extension's UI for the engine and the authenticator: every prompt is a `ui.show`
//! exchange, answered by `ui.respond` and closed by `ui.close` when its request ends first.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use credwell_core::{
    Account, ChooserOutcome, ChooserRequest, Mediator, Origin, Password, RequestId, SaveDecision,
    StorePrompt, UpdateDecision,
};
use serde_json::Value;

use crate::outbox::{Exchanges, Outbox};
use crate::protocol::{Event, Prompt};

/// How long an `autoSignIn` notice waits behind its call's reply.
const AUTO_SIGN_IN_DELAY: std::time::Duration = std::time::Duration::from_millis(20);

/// The engine's mediator: asks the extension to show UI and waits for `ui.respond`.
#[derive(Clone)]
pub(crate) struct HostMediator {
    outbox: Outbox,
    prompts: Exchanges<UiAnswer>,
}

/// A `ui.respond` answer.
pub(crate) struct UiAnswer {
    /// The answer, without its `passphrase` member.
    pub(crate) value: Value,
    /// The passphrase the user typed (a `verify` prompt); zeroized when dropped.
    pub(crate) passphrase: Option<Password>,
}

impl HostMediator {
    /// A mediator numbering its UIs from `next_ui` (shared with the unlock page).
    pub(crate) fn new(outbox: Outbox, next_ui: Arc<AtomicU64>) -> Self {
        let prompts = Exchanges::new(outbox.clone(), next_ui, |ui| Event::UiClose { ui });
        Self { outbox, prompts }
    }

    /// Delivers an answer to the UI `ui`; false if no such UI is open.
    pub(crate) fn respond(&self, ui: u64, answer: UiAnswer) -> bool {
        self.prompts.deliver(ui, answer)
    }

    /// Shows a UI and waits for its answer. If the call is dropped first (aborted, cancelled),
    /// the extension is told to close the UI.
    pub(crate) async fn ask(&self, prompt: Prompt) -> Option<UiAnswer> {
        self.prompts
            .open(|ui| Event::UiShow { ui, prompt })?
            .answer()
            .await
    }
}

impl Mediator for HostMediator {
    async fn choose(&self, request: ChooserRequest) -> ChooserOutcome {
        let choice = self
            .ask(Prompt::Chooser(request))
            .await
            .and_then(|a| a.value.get("choose").and_then(Value::as_u64))
            .and_then(|i| usize::try_from(i).ok());
        choice.map_or(ChooserOutcome::Cancelled, ChooserOutcome::Chosen)
    }

    async fn confirm_save(&self, prompt: StorePrompt) -> SaveDecision {
        let answer = self.ask(Prompt::Save(prompt)).await;
        match answer
            .as_ref()
            .and_then(|a| a.value.get("save"))
            .and_then(Value::as_str)
        {
            Some("save") => SaveDecision::Save,
            Some("never") => SaveDecision::NeverForThisSite,
            _ => SaveDecision::Dismiss,
        }
    }

    async fn confirm_update(&self, prompt: StorePrompt) -> UpdateDecision {
        let answer = self.ask(Prompt::Update(prompt)).await;
        match answer
            .as_ref()
            .and_then(|a| a.value.get("update"))
            .and_then(Value::as_bool)
        {
            Some(true) => UpdateDecision::Update,
            _ => UpdateDecision::Dismiss,
        }
    }

    fn notify_auto_sign_in(&self, request: RequestId, origin: &Origin, account: &Account) {
        let event = Event::AutoSignIn {
            request,
            origin: origin.clone(),
            id: account.id.clone(),
            name: account.name.clone(),
        };
        // The notice goes out just after the call's reply, so that the browser handles the
        // page's answer first (the notice's storage and badge updates would delay it).
        let outbox = self.outbox.clone();
        tokio::spawn(async move {
            tokio::time::sleep(AUTO_SIGN_IN_DELAY).await;
            outbox.send(event);
        });
    }
}

impl std::fmt::Debug for HostMediator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostMediator").finish_non_exhaustive()
    }
}
