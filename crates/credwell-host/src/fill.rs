//! Filling ordinary sign-in forms (`forms.fill`, `docs/protocol.md`): not part of the
//! Credential Management API, which only hands a credential to a page's own `get()`; this is the
//! password manager's half of "one store": a password saved from a form or with `store()` is
//! offered in the page's sign-in form, and filled there when the user picks it.
//!
//! 1. The caller must be a fully active document of a tuple origin that is same-origin with its
//!    ancestors (the extension builds `ancestors` from the browser's frame tree): else nothing is
//!    offered, as for a cross-origin frame's `store()`.
//! 2. A locked vault offers nothing and shows no unlock page: the answer is the same as for an
//!    origin with no credential, so the page cannot tell them apart (and loading or focusing a
//!    page never raises the passphrase prompt).
//! 3. Only the caller's exact origin's password credentials are offered (never another origin of
//!    its site, never `https:` ones to an `http:` page).
//! 4. The offer is a `ui.show` of kind `password.autofill` (the accounts' ids, names and icons;
//!    never a password), shown in the page's protected account list; the request waits there
//!    until the user picks (a `ui.respond` `{"choose": i}`), or it is cancelled.
//! 5. The picked record is read again from the vault (a vault locked meanwhile asks to be
//!    unlocked: the user just acted); gone or changed origin: nothing.
//! 6. The sign-in is noted for the origin ([`RecentSignIns::note`]: a conditional `create()`,
//!    an automatic passkey upgrade, may follow it), and the reply carries the account's id and
//!    password, for the extension to fill into the frame that asked.
//!
//! The prevent-silent-access flag does not apply: it governs what `get()` may hand out without
//! the user, and a fill always needs the user's pick. The flag is left as it is (a fill is not a
//! `get()`, so it does not clear it either). "Never for this site" is about saving: a site the
//! user never wants saved still gets the credentials the vault holds for it offered.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use credwell_core::sync::lock;
use credwell_core::{
    AbortReason, Clock, CredentialStore, CredentialType, Origin, RecordId, StoredCredential,
    same_origin_with_ancestors,
};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::lockable::LockableStore;
use crate::protocol::{CallerInfo, FillAccount, Prompt, Reply};
use crate::recent_sign_ins::RecentSignIns;
use crate::ui::HostMediator;

/// The `forms.fill` requests waiting for the user's pick, by request id: a `cancel` ends one.
#[derive(Clone, Default)]
pub(crate) struct FillRequests(Arc<Mutex<HashMap<u64, oneshot::Sender<AbortReason>>>>);

impl FillRequests {
    /// Registers request `id`; the receiver fires on its `cancel`. `None`: already in flight.
    pub(crate) fn register(&self, id: u64) -> Option<oneshot::Receiver<AbortReason>> {
        let mut pending = lock(&self.0);
        if pending.contains_key(&id) {
            return None;
        }
        let (tx, rx) = oneshot::channel();
        pending.insert(id, tx);
        Some(rx)
    }

    /// The request ended.
    pub(crate) fn done(&self, id: u64) {
        lock(&self.0).remove(&id);
    }

    /// Cancels request `id`; whether it was a fill in flight.
    pub(crate) fn cancel(&self, id: u64, reason: AbortReason) -> bool {
        lock(&self.0)
            .remove(&id)
            .is_some_and(|tx| tx.send(reason).is_ok())
    }
}

impl std::fmt::Debug for FillRequests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FillRequests").finish_non_exhaustive()
    }
}

/// Whether `caller` may be offered anything (step 1): its origin, else `None`.
pub(crate) fn fillable_origin(caller: &CallerInfo) -> Option<Origin> {
    let origin = Origin::parse(&caller.origin).ok()?;
    if origin.is_opaque() || !caller.fully_active {
        return None;
    }
    let ancestors = caller
        .ancestors
        .iter()
        .map(|a| Origin::parse(a).ok())
        .collect::<Option<Vec<_>>>()?;
    same_origin_with_ancestors(&origin, &ancestors).then_some(origin)
}

/// The password credentials of exactly `origin` among `stored`, as offered (step 3).
fn offered(origin: &Origin, stored: Vec<StoredCredential>) -> Vec<(RecordId, FillAccount)> {
    stored
        .into_iter()
        .filter_map(|s| match s.credential {
            credwell_core::Credential::Password(p) if p.origin.same_origin(origin) => Some((
                s.record,
                FillAccount {
                    id: p.id,
                    name: p.name,
                    icon_url: p.icon_url,
                },
            )),
            _ => None,
        })
        .collect()
}

/// Runs one `forms.fill` request to its reply (steps 1 to 6).
pub(crate) async fn fill<S: CredentialStore, C: Clock>(
    store: &LockableStore<S>,
    mediator: &HostMediator,
    recent: &RecentSignIns<C>,
    id: u64,
    caller: &CallerInfo,
) -> Reply {
    let Some(origin) = fillable_origin(caller) else {
        return Reply::ok(id, Value::Null);
    };
    // 2. Locked: the same answer as nothing to offer, and no unlock page.
    let Some(unlocked) = store.unlocked_now() else {
        return Reply::ok(id, Value::Null);
    };
    let listed = match unlocked.list(&origin, CredentialType::Password).await {
        Ok(listed) => listed,
        Err(e) => {
            tracing::warn!("forms.fill: the vault could not list: {e}");
            return Reply::ok(id, Value::Null);
        }
    };
    drop(unlocked);
    let (records, accounts): (Vec<_>, Vec<_>) = offered(&origin, listed).into_iter().unzip();
    if records.is_empty() {
        return Reply::ok(id, Value::Null);
    }
    // 4. The offer; no answer (the host is closing) or anything but a pick: nothing.
    let prompt = Prompt::PasswordAutofill {
        request: id,
        origin: origin.clone(),
        accounts,
    };
    let Some(answer) = mediator.ask(prompt).await else {
        return Reply::ok(id, Value::Null);
    };
    let choice = answer
        .value
        .get("choose")
        .and_then(Value::as_u64)
        .and_then(|i| usize::try_from(i).ok());
    let Some(&record) = choice.and_then(|i| records.get(i)) else {
        return Reply::ok(id, Value::Null);
    };
    // 5. Read again, through the lock (the user picked: an unlock may be asked for).
    let again = match store.list(&origin, CredentialType::Password).await {
        Ok(again) => again,
        Err(e) => {
            if !e.is_unlock_declined() {
                tracing::warn!("forms.fill: the vault could not list: {e}");
            }
            return Reply::ok(id, Value::Null);
        }
    };
    let picked = again.into_iter().find(|s| s.record == record);
    let Some(credwell_core::Credential::Password(p)) = picked.map(|s| s.credential) else {
        return Reply::ok(id, Value::Null);
    };
    if !p.origin.same_origin(&origin) {
        return Reply::ok(id, Value::Null);
    }
    // 6. The one place a fill hands a password out: the user is signing in to `origin` with a
    // password credwell holds.
    recent.note(&origin);
    Reply::ok(id, json!({"id": p.id, "password": p.password.expose()}))
}
