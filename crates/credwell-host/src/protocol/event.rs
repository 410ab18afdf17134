//! Events: what the host sends of its own accord, `{"event": "...", ...}` (the table in
//! `docs/protocol.md`). None carries a password, a passphrase or key material.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use credwell_core::{Account, ChooserRequest, Origin, RequestId, StorePrompt, UiMode};
use credwell_passkey::{AccountSummary, CreatePrompt, VerifyPrompt, VerifyPurpose};
use serde_json::{Value, json};

/// An event.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// `ui.show`: show UI `ui`; the user's answer comes back as `ui.respond`.
    UiShow {
        /// The UI's id.
        ui: u64,
        /// What to show.
        prompt: Prompt,
    },
    /// `ui.close`: the request behind UI `ui` ended; close it.
    UiClose {
        /// The UI's id.
        ui: u64,
    },
    /// `autoSignIn`: a request signed the user in without asking.
    AutoSignIn {
        /// The request.
        request: RequestId,
        /// Its caller's origin.
        origin: Origin,
        /// The account's id.
        id: String,
        /// The account's display name.
        name: String,
    },
    /// `passkey.upgraded`: a conditional `create()` (an automatic passkey upgrade) made a
    /// passkey without asking; the user is told afterwards.
    PasskeyUpgraded {
        /// The request.
        request: RequestId,
        /// Its caller's origin.
        origin: Origin,
        /// The RP ID the passkey is scoped to.
        rp_id: String,
        /// `user.name`, as the page gave it.
        user_name: String,
        /// The passkey's credential id, base64url (the manager page's `credentialId`).
        credential_id: String,
    },
    /// `vault.unlocked`.
    VaultUnlocked,
    /// `vault.locked` (also the idle lock).
    VaultLocked,
    /// `wellKnown.fetch`: fetch `https://<rp_id>/.well-known/webauthn` for the host.
    WellKnownFetch {
        /// The fetch's id, echoed by `wellKnown.result`.
        fetch: u64,
        /// The domain, ASCII, lower case.
        rp_id: String,
    },
    /// `wellKnown.cancel`: the fetch is no longer wanted.
    WellKnownCancel {
        /// The fetch's id.
        fetch: u64,
    },
}

impl Event {
    /// The `passkey.upgraded` notice of a conditional `create()` that made `passkey` with
    /// `options` (its `publicKey.rp.id` and `publicKey.user.name`, which the engine accepted;
    /// the RP ID defaults to the caller's host).
    pub fn passkey_upgraded(
        request: RequestId,
        origin: &Origin,
        options: &Value,
        passkey: &credwell_core::PublicKeyCredential,
    ) -> Self {
        let text = |v: &Value| v.as_str().map(str::to_owned);
        let rp_id = text(&options["publicKey"]["rp"]["id"])
            .or_else(|| origin.host())
            .unwrap_or_default();
        Self::PasskeyUpgraded {
            request,
            origin: origin.clone(),
            rp_id,
            user_name: text(&options["publicKey"]["user"]["name"]).unwrap_or_default(),
            credential_id: passkey.id.clone(),
        }
    }
}

/// The `credentials.*` request a passkey prompt belongs to: its `request` and `origin` members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptCall {
    /// The request id.
    pub request: u64,
    /// The caller's origin, as the browser reported it.
    pub origin: String,
}

/// A password account offered to fill a form: what the list shows of it (never its password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FillAccount {
    /// The user name (the credential's `id`).
    pub id: String,
    /// Its display name, `""` when none.
    pub name: String,
    /// Its icon URL, `""` when none.
    pub icon_url: String,
}

/// What a `ui.show` asks (its `kind` and the members that go with it).
#[derive(Debug)]
#[non_exhaustive]
pub enum Prompt {
    /// `unlock`: the unlock page.
    Unlock,
    /// `chooser`: the password and federated account chooser.
    Chooser(ChooserRequest),
    /// `save`: save a credential?
    Save(StorePrompt),
    /// `update`: update a credential?
    Update(StorePrompt),
    /// `passkey.create`: create a passkey?
    PasskeyCreate {
        /// The request, when known.
        call: Option<PromptCall>,
        /// What the authenticator asks.
        prompt: CreatePrompt,
    },
    /// `passkey.chooser`: the passkey to sign in with.
    PasskeyChooser {
        /// The request, when known.
        call: Option<PromptCall>,
        /// The RP ID.
        rp_id: String,
        /// The passkeys offered.
        accounts: Vec<AccountSummary>,
    },
    /// `passkey.autofill`: passkeys offered in the page's autofill (a conditional `get()`).
    PasskeyAutofill {
        /// The request, when known.
        call: Option<PromptCall>,
        /// The RP ID.
        rp_id: String,
        /// The passkeys offered.
        accounts: Vec<AccountSummary>,
    },
    /// `password.autofill`: the caller's password accounts offered in the page's protected
    /// account list, to fill its sign-in form (`forms.fill`).
    PasswordAutofill {
        /// The `forms.fill` request.
        request: u64,
        /// The caller's origin (every account's: only the exact origin's are offered).
        origin: Origin,
        /// The accounts offered, without their passwords.
        accounts: Vec<FillAccount>,
    },
    /// `verify`: user verification by the vault passphrase.
    Verify {
        /// The request, when known.
        call: Option<PromptCall>,
        /// What the authenticator asks.
        prompt: VerifyPrompt,
        /// This attempt, from 1.
        attempt: u64,
        /// How many attempts there are.
        attempts: u64,
    },
}

impl Event {
    /// The event as sent.
    pub fn to_json(&self) -> Value {
        match self {
            Self::UiShow { ui, prompt } => {
                let mut show = prompt.to_json();
                show["event"] = json!("ui.show");
                show["ui"] = json!(ui);
                show
            }
            Self::UiClose { ui } => json!({"event": "ui.close", "ui": ui}),
            Self::AutoSignIn {
                request,
                origin,
                id,
                name,
            } => json!({
                "event": "autoSignIn",
                "request": request.0,
                "origin": origin.to_string(),
                "id": id,
                "name": name,
            }),
            Self::PasskeyUpgraded {
                request,
                origin,
                rp_id,
                user_name,
                credential_id,
            } => json!({
                "event": "passkey.upgraded",
                "request": request.0,
                "origin": origin.to_string(),
                "rpId": rp_id,
                "userName": user_name,
                "credentialId": credential_id,
            }),
            Self::VaultUnlocked => json!({"event": "vault.unlocked"}),
            Self::VaultLocked => json!({"event": "vault.locked"}),
            Self::WellKnownFetch { fetch, rp_id } => {
                json!({"event": "wellKnown.fetch", "fetch": fetch, "rpId": rp_id})
            }
            Self::WellKnownCancel { fetch } => json!({"event": "wellKnown.cancel", "fetch": fetch}),
        }
    }
}

impl Prompt {
    /// The `ui.show` members of this prompt, without `event` and `ui`.
    fn to_json(&self) -> Value {
        match self {
            Self::Unlock => json!({"kind": "unlock"}),
            Self::Chooser(request) => json!({
                "kind": "chooser",
                "request": request.request.0,
                "origin": request.origin.to_string(),
                "mediation": request.mediation.as_str(),
                "uiMode": request.ui_mode.map(UiMode::as_str),
                "rpId": request.rp_id,
                "accounts": request.accounts.iter().map(chooser_account).collect::<Vec<_>>(),
            }),
            Self::Save(prompt) => store_prompt("save", prompt),
            Self::Update(prompt) => store_prompt("update", prompt),
            Self::PasskeyCreate { call, prompt } => with_call(
                call.as_ref(),
                json!({
                    "kind": "passkey.create",
                    "rpId": prompt.rp_id,
                    "rpName": prompt.rp_name,
                    "userName": prompt.user_name,
                    "userDisplayName": prompt.user_display_name,
                    "alreadyRegistered": prompt.already_registered,
                }),
            ),
            Self::PasskeyChooser {
                call,
                rp_id,
                accounts,
            } => passkey_pick("passkey.chooser", call.as_ref(), rp_id, accounts),
            Self::PasskeyAutofill {
                call,
                rp_id,
                accounts,
            } => passkey_pick("passkey.autofill", call.as_ref(), rp_id, accounts),
            Self::PasswordAutofill {
                request,
                origin,
                accounts,
            } => {
                let origin = origin.to_string();
                let accounts: Vec<Value> = accounts
                    .iter()
                    .map(|a| {
                        json!({
                            "type": "password",
                            "id": a.id,
                            "name": a.name,
                            "iconURL": a.icon_url,
                            "origin": origin,
                            "exactOrigin": true,
                        })
                    })
                    .collect();
                json!({"kind": "password.autofill", "request": request, "origin": origin,
                       "accounts": accounts})
            }
            Self::Verify {
                call,
                prompt,
                attempt,
                attempts,
            } => with_call(
                call.as_ref(),
                json!({
                    "kind": "verify",
                    "purpose": match prompt.purpose {
                        VerifyPurpose::Create => "create",
                        _ => "signIn",
                    },
                    "rpId": prompt.rp_id,
                    "userName": prompt.user_name,
                    "attempt": attempt,
                    "attempts": attempts,
                }),
            ),
        }
    }
}

fn chooser_account(account: &Account) -> Value {
    json!({
        "type": account.credential_type.as_str(),
        "id": account.id,
        "name": account.name,
        "iconURL": account.icon_url,
        "origin": account.origin.to_string(),
        "provider": account.provider,
        "exactOrigin": account.is_exact_origin(),
    })
}

fn store_prompt(kind: &str, prompt: &StorePrompt) -> Value {
    json!({
        "kind": kind,
        "request": prompt.request.0,
        "origin": prompt.origin.to_string(),
        "type": prompt.credential_type.as_str(),
        "id": prompt.id,
        "name": prompt.name,
        "provider": prompt.provider,
    })
}

fn passkey_pick(
    kind: &str,
    call: Option<&PromptCall>,
    rp_id: &str,
    accounts: &[AccountSummary],
) -> Value {
    let accounts: Vec<Value> = accounts
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
    with_call(
        call,
        json!({"kind": kind, "rpId": rp_id, "accounts": accounts}),
    )
}

/// A passkey prompt's `request` and `origin` members, when it belongs to a known request.
fn with_call(call: Option<&PromptCall>, mut show: Value) -> Value {
    if let Some(call) = call {
        show["request"] = json!(call.request);
        show["origin"] = json!(call.origin);
    }
    show
}
