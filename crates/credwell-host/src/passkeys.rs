//! Passkeys in the host: credwell-passkey's authenticator over the unlocked store's passkeys
//! (waiting for unlock like every other request), with its prompts shown by the extension.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use credwell_core::{
    CredentialStore, CredentialType, MemoryStore, Origin, OriginFlags, RecordId, Site, StoreResult,
    StoredCredential, Timestamp,
};
use credwell_passkey::{
    AccountSummary, CreatePrompt, MemoryPasskeyStore, PasskeyRecord, PasskeyStore,
    PasskeyStoreError, PasskeyUi, VerifyPrompt, VerifyPurpose,
};
use serde_json::{Value, json};

use crate::server::{HostMediator, LockableStore, ManagedStore, VaultOpener};

/// How many times the `verify` prompt is shown before user verification fails.
pub(crate) const VERIFY_ATTEMPTS: u64 = 3;

/// The `credentials.*` request a task is running, for the prompts it opens.
#[derive(Clone, Debug)]
pub(crate) struct CallContext {
    /// The request id.
    pub(crate) request: u64,
    /// The caller's origin, as the browser reported it.
    pub(crate) origin: String,
    /// A conditional `get()`: its prompts are autofill offers, and it never asks to unlock.
    pub(crate) conditional: bool,
}

tokio::task_local! {
    /// Set around every `credentials.*` call: the authenticator's prompts name their request.
    pub(crate) static CALL: CallContext;
}

/// The request and origin members of a passkey prompt.
fn with_context(mut show: Value) -> Value {
    if let Ok(call) = CALL.try_with(CallContext::clone) {
        show["request"] = json!(call.request);
        show["origin"] = json!(call.origin);
    }
    show
}

/// The passkeys of the vault the host unlocks: every operation waits for the unlock (showing
/// the unlock page once per locked period), as password requests do.
pub(crate) struct HostPasskeys<S> {
    pub(crate) store: LockableStore<S>,
}

impl<S: ManagedStore + 'static> HostPasskeys<S> {
    async fn unlocked(&self) -> Result<S::Passkeys, PasskeyStoreError> {
        let conditional = CALL.try_with(|c| c.conditional).unwrap_or(false);
        let current = if conditional {
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
        let show = with_context(json!({
            "kind": "passkey.create",
            "rpId": prompt.rp_id,
            "rpName": prompt.rp_name,
            "userName": prompt.user_name,
            "userDisplayName": prompt.user_display_name,
            "alreadyRegistered": prompt.already_registered,
        }));
        self.mediator
            .ask(show)
            .await
            .is_some_and(|a| a.value.get("create") == Some(&Value::Bool(true)))
    }

    async fn choose_account(&self, rp_id: String, accounts: Vec<AccountSummary>) -> Option<usize> {
        self.pick("passkey.chooser", rp_id, &accounts).await
    }

    async fn offer_autofill(&self, rp_id: String, accounts: Vec<AccountSummary>) -> Option<usize> {
        self.pick("passkey.autofill", rp_id, &accounts).await
    }

    async fn verify_user(&self, prompt: VerifyPrompt) -> bool {
        let purpose = match prompt.purpose {
            VerifyPurpose::Create => "create",
            _ => "signIn",
        };
        for attempt in 1..=VERIFY_ATTEMPTS {
            let show = with_context(json!({
                "kind": "verify",
                "purpose": purpose,
                "rpId": prompt.rp_id,
                "userName": prompt.user_name,
                "attempt": attempt,
                "attempts": VERIFY_ATTEMPTS,
            }));
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
    /// Shows the accounts as `kind` (the modal chooser, or the page's autofill) and waits for
    /// the user's pick.
    async fn pick(&self, kind: &str, rp_id: String, accounts: &[AccountSummary]) -> Option<usize> {
        let listed: Vec<Value> = accounts
            .iter()
            .map(|a| {
                json!({
                    "credentialId": URL_SAFE_NO_PAD.encode(&a.credential_id),
                    "userName": a.user_name,
                    "userDisplayName": a.user_display_name,
                    "created": a.created_at,
                })
            })
            .collect();
        let show = with_context(json!({
            "kind": kind,
            "rpId": rp_id,
            "accounts": listed,
        }));
        let choice = self
            .mediator
            .ask(show)
            .await?
            .value
            .get("choose")
            .and_then(Value::as_u64)?;
        usize::try_from(choice).ok()
    }
}

/// An in-memory store of credentials and passkeys: what `CREDWELL_EPHEMERAL=1` unlocks, and a
/// store for tests. Clones share their contents.
#[derive(Clone, Debug, Default)]
pub struct MemoryVault {
    credentials: MemoryStore,
    passkeys: Arc<MemoryPasskeyStore>,
}

impl MemoryVault {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Its password and federated credentials.
    pub fn credentials(&self) -> &MemoryStore {
        &self.credentials
    }

    /// Its passkeys.
    pub fn passkey_store(&self) -> &Arc<MemoryPasskeyStore> {
        &self.passkeys
    }
}

impl CredentialStore for MemoryVault {
    async fn list(
        &self,
        origin: &Origin,
        kind: CredentialType,
    ) -> StoreResult<Vec<StoredCredential>> {
        self.credentials.list(origin, kind).await
    }

    async fn list_same_site(
        &self,
        site: &Site,
        kind: CredentialType,
    ) -> StoreResult<Vec<StoredCredential>> {
        self.credentials.list_same_site(site, kind).await
    }

    async fn add(
        &self,
        credential: credwell_core::Credential,
        now: Timestamp,
    ) -> StoreResult<RecordId> {
        self.credentials.add(credential, now).await
    }

    async fn update(
        &self,
        record: RecordId,
        credential: credwell_core::Credential,
        now: Timestamp,
    ) -> StoreResult<bool> {
        self.credentials.update(record, credential, now).await
    }

    async fn remove(&self, record: RecordId) -> StoreResult<bool> {
        self.credentials.remove(record).await
    }

    async fn origin_flags(&self, origin: &Origin) -> StoreResult<OriginFlags> {
        self.credentials.origin_flags(origin).await
    }

    async fn set_origin_flags(&self, origin: &Origin, flags: OriginFlags) -> StoreResult<()> {
        self.credentials.set_origin_flags(origin, flags).await
    }
}

impl ManagedStore for MemoryVault {
    type Passkeys = Arc<MemoryPasskeyStore>;

    fn all_credentials(&self) -> StoreResult<Vec<StoredCredential>> {
        Ok(self.credentials.all())
    }

    fn passkeys(this: &Arc<Self>) -> Self::Passkeys {
        Arc::clone(&this.passkeys)
    }

    fn all_passkeys(&self) -> StoreResult<Vec<credwell_passkey::PasskeyRecord>> {
        Ok(self.passkeys.all())
    }

    fn delete_passkey(&self, credential_id: &[u8]) -> StoreResult<bool> {
        Ok(self.passkeys.remove(credential_id))
    }
}
