//! The host's event loop: reads requests, runs each on its own task against the engine, and
//! writes exactly one reply per request, plus the UI events the engine's mediator needs.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use credwell_core::{
    ChooserOutcome, ChooserRequest, Clock, CredentialStore, CredentialType, Engine, EngineConfig,
    Mediator, Origin, OriginFlags, Password, RecordId, Rejection, RequestId, SaveDecision, Site,
    StoreFailure, StorePrompt, StoreResult, StoredCredential, SystemClock, Timestamp,
    UpdateDecision,
};
use credwell_passkey::PasskeyAuthenticator;
use credwell_passkey::vault::VaultPasskeyStore;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot, watch};

use crate::framing::{self, FrameError, Incoming};
use crate::passkeys::{CALL, CallContext, HostPasskeyUi, HostPasskeys};
use crate::protocol::{self, Method, PROTOCOL_VERSION, ProtocolError, Request};
use crate::related_origins::ExtensionFetcher;

/// Opens the store once the user has given the passphrase.
pub trait VaultOpener: Send + Sync + 'static {
    /// The unlocked store.
    type Store: ManagedStore + 'static;

    /// Unlocks; called on a blocking thread, since key derivation is deliberately slow.
    fn open(&self, passphrase: &Password) -> Result<Self::Store, UnlockError>;

    /// Whether `passphrase` unlocks the vault: the user verification of passkey ceremonies
    /// (the `verify` prompt). Called on a blocking thread while the vault is unlocked. The
    /// default opens the vault a second time and drops it.
    fn verify(&self, passphrase: &Password) -> bool {
        self.open(passphrase).is_ok()
    }
}

/// What the host needs beyond the engine's store: every record for the manager page, and the
/// passkeys of the unlocked store for the authenticator.
pub trait ManagedStore: CredentialStore + Sized {
    /// The unlocked store's passkeys.
    type Passkeys: credwell_passkey::PasskeyStore + 'static;

    /// Every credential, in record order.
    fn all_credentials(&self) -> StoreResult<Vec<StoredCredential>>;

    /// The passkeys of this unlocked store; dropped when the request using them ends, and with
    /// them any hold on the store.
    fn passkeys(this: &Arc<Self>) -> Self::Passkeys;

    /// Every passkey, for the manager page.
    fn all_passkeys(&self) -> StoreResult<Vec<credwell_passkey::PasskeyRecord>>;

    /// Deletes the passkey with this credential id (the manager page); whether there was one.
    fn delete_passkey(&self, credential_id: &[u8]) -> StoreResult<bool>;
}

impl ManagedStore for credwell_vault::Vault {
    type Passkeys = VaultPasskeyStore;

    fn all_credentials(&self) -> StoreResult<Vec<StoredCredential>> {
        self.all().map_err(StoreFailure::new)
    }

    fn passkeys(this: &Arc<Self>) -> VaultPasskeyStore {
        VaultPasskeyStore::new(Arc::clone(this))
    }

    fn all_passkeys(&self) -> StoreResult<Vec<credwell_passkey::PasskeyRecord>> {
        self.all_passkeys()
            .map_err(StoreFailure::new)?
            .iter()
            .map(|stored| {
                credwell_passkey::PasskeyRecord::from_vault_payload(&stored.entry.payload)
                    .map_err(StoreFailure::new)
            })
            .collect()
    }

    fn delete_passkey(&self, credential_id: &[u8]) -> StoreResult<bool> {
        self.remove_passkey(credential_id)
            .map_err(StoreFailure::new)
    }
}

/// Why the vault did not unlock.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UnlockError {
    /// The passphrase is wrong.
    #[error("the passphrase is wrong")]
    WrongPassphrase,
    /// The vault cannot be opened for another reason (named in the message).
    #[error("the vault cannot be opened: {0}")]
    Unavailable(String),
}

/// Host settings.
#[derive(Debug, Clone, Copy)]
pub struct HostConfig {
    /// The engine's user preferences.
    pub engine: EngineConfig,
    /// Lock the vault after this long without a request.
    pub idle_lock: Option<Duration>,
    /// How long WebAuthn's related origin requests wait for the extension's `wellKnown.result`
    /// before the RP ID is refused (`SecurityError`).
    pub well_known_timeout: Duration,
}

impl Default for HostConfig {
    fn default() -> Self {
        Self {
            engine: EngineConfig::default(),
            idle_lock: Some(Duration::from_secs(15 * 60)),
            well_known_timeout: Duration::from_secs(10),
        }
    }
}

type Outbox = mpsc::UnboundedSender<Value>;

/// Serves one native-messaging port until the browser closes it.
///
/// Returns when the input ends; every key the host held is dropped (and zeroized by the store)
/// on return.
pub async fn serve<R, W, O>(
    mut reader: R,
    writer: W,
    opener: O,
    config: HostConfig,
) -> Result<(), FrameError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
    O: VaultOpener,
{
    let (outbox, inbox) = mpsc::unbounded_channel();
    let (closing, closed) = tokio::sync::oneshot::channel();
    let mut writer_task = tokio::spawn(write_loop(writer, inbox, closed));
    let host = Arc::new(Host::new(opener, config, outbox.clone()));
    let idle = config
        .idle_lock
        .map(|limit| tokio::spawn(idle_locker(Arc::clone(&host), limit)));
    let result = loop {
        match framing::read_frame(&mut reader).await {
            Ok(Incoming::Message(body)) => host.dispatch(&body),
            Ok(Incoming::TooLarge(n)) => {
                let e = ProtocolError {
                    id: None,
                    code: "too-large",
                    message: format!(
                        "a message of {n} bytes exceeds the host's {} byte limit",
                        framing::MAX_INCOMING
                    ),
                };
                let _ = outbox.send(e.to_reply());
            }
            Ok(Incoming::Closed) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    if let Some(idle) = idle {
        idle.abort();
    }
    host.lock_vault();
    drop(host);
    drop(outbox);
    // Replies already made are written (the input may end right after its last request, as
    // when it is a file); replies of tasks still running are not awaited: the browser has
    // closed the port.
    let _ = closing.send(());
    if tokio::time::timeout(DRAIN_LIMIT, &mut writer_task)
        .await
        .is_err()
    {
        writer_task.abort();
    }
    result
}

/// How long a closing host keeps writing the replies it has already made.
const DRAIN_LIMIT: Duration = Duration::from_secs(1);

/// Writes the outbox to the browser until `closed` fires; then writes what is queued and ends.
async fn write_loop<W: AsyncWrite + Unpin>(
    mut writer: W,
    mut inbox: mpsc::UnboundedReceiver<Value>,
    mut closed: tokio::sync::oneshot::Receiver<()>,
) {
    loop {
        let message = tokio::select! {
            biased;
            message = inbox.recv() => message,
            _ = &mut closed => inbox.try_recv().ok(),
        };
        let Some(message) = message else { return };
        if !write_message(&mut writer, &message).await {
            return;
        }
    }
}

/// Writes one message; false when the browser can no longer be written to.
async fn write_message<W: AsyncWrite + Unpin>(writer: &mut W, message: &Value) -> bool {
    let body = message.to_string();
    let body = if body.len() > framing::MAX_OUTGOING {
        // Keep the one-reply promise: a reply too large for the browser becomes an error.
        json!({"id": message.get("id"), "error": {"name": "UnknownError",
                "message": "the reply exceeds the browser's 1 MB message limit"}})
        .to_string()
    } else {
        body
    };
    if let Err(e) = framing::write_frame(writer, body.as_bytes()).await {
        tracing::error!("cannot write to the browser: {e}");
        return false;
    }
    true
}

async fn idle_locker<O: VaultOpener>(host: Arc<Host<O>>, limit: Duration) {
    let tick = limit.min(Duration::from_secs(1));
    loop {
        tokio::time::sleep(tick).await;
        let idle_for = host
            .last_activity
            .lock()
            .map(|t| t.elapsed())
            .unwrap_or_default();
        if idle_for >= limit && !host.in_flight_is_busy() && host.store.is_unlocked() {
            tracing::info!("locking the vault after {limit:?} without requests");
            host.lock_vault();
        }
    }
}

/// The host's engine: the vault behind its lock, the extension's UI, the passkey
/// authenticator over the vault's passkeys, and related origins fetched by the extension.
type HostEngine<O> = Engine<
    LockableStore<<O as VaultOpener>::Store>,
    HostMediator,
    RuntimeClock,
    PasskeyAuthenticator<HostPasskeys<<O as VaultOpener>::Store>, HostPasskeyUi<O>>,
    ExtensionFetcher,
>;

/// The wall clock, with the runtime's timers: WebAuthn's lifetime timer is then an entry in
/// tokio's timer wheel, dropped with its request, instead of [`SystemClock`]'s thread per
/// request (whose spawn alone costs more than the rest of a passkey sign-in's host work).
#[derive(Clone, Copy, Debug, Default)]
struct RuntimeClock;

impl Clock for RuntimeClock {
    fn now(&self) -> Timestamp {
        SystemClock.now()
    }

    fn sleep(&self, millis: u64) -> impl std::future::Future<Output = ()> + Send {
        tokio::time::sleep(Duration::from_millis(millis))
    }
}

struct Host<O: VaultOpener> {
    opener: Arc<O>,
    store: LockableStore<O::Store>,
    engine: Arc<HostEngine<O>>,
    mediator: HostMediator,
    related_origins: ExtensionFetcher,
    outbox: Outbox,
    in_flight: Arc<Mutex<HashSet<u64>>>,
    last_activity: Mutex<tokio::time::Instant>,
}

impl<O: VaultOpener> Host<O> {
    fn new(opener: O, config: HostConfig, outbox: Outbox) -> Self {
        let opener = Arc::new(opener);
        let next_ui = Arc::new(AtomicU64::new(1));
        let store = LockableStore::new(outbox.clone(), Arc::clone(&next_ui));
        let mediator = HostMediator::new(outbox.clone(), next_ui);
        let authenticator = PasskeyAuthenticator::new(
            HostPasskeys {
                store: store.clone(),
            },
            HostPasskeyUi {
                mediator: mediator.clone(),
                opener: Arc::clone(&opener),
            },
        );
        let related_origins = ExtensionFetcher::new(outbox.clone(), config.well_known_timeout);
        let engine =
            Engine::with_config(store.clone(), mediator.clone(), RuntimeClock, config.engine)
                .with_authenticator(authenticator)
                .with_related_origins(related_origins.clone());
        Self {
            opener,
            store,
            engine: Arc::new(engine),
            mediator,
            related_origins,
            outbox,
            in_flight: Arc::default(),
            last_activity: Mutex::new(tokio::time::Instant::now()),
        }
    }

    fn in_flight_is_busy(&self) -> bool {
        !lock(&self.in_flight).is_empty()
    }

    fn lock_vault(&self) {
        self.store.lock();
    }

    fn send(&self, message: Value) {
        // A closed outbox means the port is gone; there is no one left to tell.
        let _ = self.outbox.send(message);
    }

    fn dispatch(&self, body: &[u8]) {
        if let Ok(mut t) = self.last_activity.lock() {
            *t = tokio::time::Instant::now();
        }
        let request = match Request::parse(body) {
            Ok(r) => r,
            Err(e) => return self.send(e.to_reply()),
        };
        let id = request.id;
        match request.method {
            Method::Hello { protocol, related_origins } => self.send(if protocol == PROTOCOL_VERSION {
                self.related_origins.set_enabled(related_origins);
                protocol::ok_reply(id, json!({"protocol": PROTOCOL_VERSION, "host": concat!("credwell-host ", env!("CARGO_PKG_VERSION")), "locked": !self.store.is_unlocked(), "relatedOrigins": related_origins}))
            } else {
                ProtocolError {
                    id: Some(id),
                    code: "unsupported-version",
                    message: format!("this host speaks protocol {PROTOCOL_VERSION}, not {protocol}"),
                }
                .to_reply()
            }),
            Method::Status => self.send(protocol::ok_reply(
                id,
                json!({"protocol": PROTOCOL_VERSION, "locked": !self.store.is_unlocked()}),
            )),
            Method::List { query } => {
                let store = self.store.clone();
                let outbox = self.outbox.clone();
                tokio::spawn(async move {
                    // Decrypting every record of a large vault takes long enough (about 2 s
                    // for 100,000) to stall the host's one thread: the page calls waiting
                    // behind it are served meanwhile.
                    let listed = match store.current().await {
                        Ok(s) => tokio::task::spawn_blocking(move || {
                            Ok((s.all_credentials()?, s.all_passkeys()?))
                        })
                        .await
                        .unwrap_or_else(|e| Err(StoreFailure::new(e))),
                        Err(e) => Err(e),
                    };
                    let reply = match listed {
                        Ok((all, passkeys)) => {
                            let mut list = manager_list(&all, query.as_deref());
                            list.extend(manager_passkeys(&passkeys, query.as_deref()));
                            protocol::ok_reply(id, Value::Array(list))
                        }
                        Err(e) => store_error_reply(id, &e),
                    };
                    let _ = outbox.send(reply);
                });
            }
            Method::DeletePasskey { credential_id } => {
                let store = self.store.clone();
                let outbox = self.outbox.clone();
                tokio::spawn(async move {
                    let deleted = store
                        .current()
                        .await
                        .and_then(|s| s.delete_passkey(&credential_id));
                    let reply = match deleted {
                        Ok(deleted) => protocol::ok_reply(id, json!({"deleted": deleted})),
                        Err(e) => store_error_reply(id, &e),
                    };
                    let _ = outbox.send(reply);
                });
            }
            Method::Delete { record } => {
                let store = self.store.clone();
                let outbox = self.outbox.clone();
                tokio::spawn(async move {
                    let reply = match store.remove(RecordId(record)).await {
                        Ok(deleted) => protocol::ok_reply(id, json!({"deleted": deleted})),
                        Err(e) => store_error_reply(id, &e),
                    };
                    let _ = outbox.send(reply);
                });
            }
            Method::WellKnownResult { fetch, result } => {
                let delivered = self.related_origins.deliver(fetch, result);
                self.send(protocol::ok_reply(id, json!({"delivered": delivered})));
            }
            Method::Lock => {
                self.lock_vault();
                self.send(protocol::ok_reply(id, json!({"locked": true})));
            }
            Method::Unlock { passphrase } => self.unlock(id, passphrase),
            Method::Cancel { target, reason } => {
                let cancelled = self.engine.cancel(RequestId(target), reason);
                self.send(protocol::ok_reply(id, json!({"cancelled": cancelled})));
            }
            Method::UiRespond {
                ui,
                answer,
                passphrase,
            } => {
                let delivered = self.store.respond(ui, &answer)
                    || self.mediator.respond(ui, UiAnswer { value: answer, passphrase });
                self.send(protocol::ok_reply(id, json!({"delivered": delivered})));
            }
            Method::Get { caller, options, aborted } => {
                let conditional = options.get("mediation").and_then(Value::as_str) == Some("conditional");
                self.spawn_call_in(id, caller, conditional, move |engine, caller| async move {
                    let signal = aborted.map(credwell_core::AbortSignal::aborted_with);
                    engine
                        .get(&caller, &options, signal.as_ref())
                        .await
                        .map(|c| c.map_or(Value::Null, |c| c.to_page_json()))
                        .map_err(Rejection::from)
                });
            }
            Method::Store { caller, credential } => {
                self.spawn_call(id, caller, move |engine, caller| async move {
                    engine.store(&caller, &credential).await.map(|()| Value::Null).map_err(Rejection::from)
                });
            }
            Method::Create { caller, options, aborted } => {
                self.spawn_call(id, caller, move |engine, caller| async move {
                    let signal = aborted.map(credwell_core::AbortSignal::aborted_with);
                    engine
                        .create(&caller, &options, signal.as_ref())
                        .await
                        .map(|c| c.to_page_json())
                        .map_err(Rejection::from)
                });
            }
            Method::PreventSilentAccess { caller } => {
                self.spawn_call(id, caller, move |engine, caller| async move {
                    engine.prevent_silent_access(&caller).await.map(|()| Value::Null).map_err(Rejection::from)
                });
            }
            Method::Signal { caller, method, options } => {
                self.spawn_call(id, caller, move |engine, caller| async move {
                    engine.signal(&caller, method, &options).await.map(|()| Value::Null).map_err(Rejection::from)
                });
            }
        }
    }

    /// Runs one engine call on its own task; its reply is sent exactly once.
    fn spawn_call<F, Fut>(&self, id: u64, caller: crate::protocol::CallerInfo, call: F)
    where
        F: FnOnce(Arc<HostEngine<O>>, credwell_core::Caller) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<Value, Rejection>> + Send + 'static,
    {
        self.spawn_call_in(id, caller, false, call);
    }

    /// [`spawn_call`](Self::spawn_call) for a request that may be conditional (`get()` with
    /// `mediation: "conditional"`): such a request never shows the unlock page; it waits for
    /// the vault to be unlocked by something else.
    fn spawn_call_in<F, Fut>(
        &self,
        id: u64,
        caller: crate::protocol::CallerInfo,
        conditional: bool,
        call: F,
    ) where
        F: FnOnce(Arc<HostEngine<O>>, credwell_core::Caller) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<Value, Rejection>> + Send + 'static,
    {
        let context = CallContext {
            request: id,
            origin: caller.origin.clone(),
            conditional,
        };
        let caller = match caller.to_caller(id) {
            Ok(c) => c,
            Err(e) => return self.send(e.to_reply()),
        };
        if !lock(&self.in_flight).insert(id) {
            return self.send(
                ProtocolError {
                    id: Some(id),
                    code: "duplicate-id",
                    message: format!("request {id} is already in flight"),
                }
                .to_reply(),
            );
        }
        let engine = Arc::clone(&self.engine);
        let outbox = self.outbox.clone();
        let in_flight = Arc::clone(&self.in_flight);
        tokio::spawn(async move {
            let reply = match CALL.scope(context, call(engine, caller)).await {
                Ok(result) => protocol::ok_reply(id, result),
                Err(rejection) => protocol::rejection_reply(id, &rejection),
            };
            lock(&in_flight).remove(&id);
            let _ = outbox.send(reply);
        });
    }

    fn unlock(&self, id: u64, passphrase: Password) {
        let opener = Arc::clone(&self.opener);
        let store = self.store.clone();
        let outbox = self.outbox.clone();
        tokio::spawn(async move {
            let opened = tokio::task::spawn_blocking(move || opener.open(&passphrase)).await;
            let reply = match opened {
                Ok(Ok(unlocked)) => {
                    store.unlock(unlocked);
                    protocol::ok_reply(id, json!({"locked": false}))
                }
                Ok(Err(e)) => json!({"id": id, "error": {"name": match e {
                    UnlockError::WrongPassphrase => "WrongPassphrase",
                    _ => "VaultUnavailable",
                }, "message": e.to_string()}}),
                Err(_) => {
                    json!({"id": id, "error": {"name": "VaultUnavailable", "message": "unlocking failed"}})
                }
            };
            let _ = outbox.send(reply);
        });
    }
}

/// The manager page's list: no passwords, filtered by a case-insensitive substring of the
/// origin, the id or the name.
/// The manager page's passkey entries: what identifies each one, never its key.
fn manager_passkeys(
    passkeys: &[credwell_passkey::PasskeyRecord],
    query: Option<&str>,
) -> Vec<Value> {
    use base64::Engine as _;
    let query = query.map(str::to_lowercase).filter(|q| !q.is_empty());
    passkeys
        .iter()
        .filter(|p| matches_query(query.as_deref(), &[&p.rp_id, &p.user_name, &p.user_display_name]))
        .map(|p| {
            json!({
                "type": "public-key",
                "rpId": p.rp_id,
                "credentialId": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&p.credential_id),
                "id": p.user_name,
                "name": p.user_display_name,
                "created": p.created_at,
            })
        })
        .collect()
}

fn manager_list(all: &[StoredCredential], query: Option<&str>) -> Vec<Value> {
    let query = query.map(str::to_lowercase).filter(|q| !q.is_empty());
    all.iter()
        .filter(|r| {
            let c = &r.credential;
            matches_query(
                query.as_deref(),
                &[&c.origin().to_string(), c.id(), c.name()],
            )
        })
        .map(|r| {
            let c = &r.credential;
            json!({
                "record": r.record.0,
                "type": c.credential_type().as_str(),
                "origin": c.origin().to_string(),
                "id": c.id(),
                "name": c.name(),
                "iconURL": c.icon_url(),
                "provider": match c {
                    credwell_core::Credential::Federated(f) => Some(f.provider.clone()),
                    _ => None,
                },
                "created": r.created,
                "updated": r.updated,
            })
        })
        .collect()
}

/// The manager page's filter: no query, or one of `fields` contains it (`query` is lower case).
fn matches_query(query: Option<&str>, fields: &[&str]) -> bool {
    query.is_none_or(|q| fields.iter().any(|field| field.to_lowercase().contains(q)))
}

fn store_error_reply(id: u64, error: &StoreFailure) -> Value {
    tracing::warn!("store failure: {error}");
    json!({"id": id, "error": {"name": "VaultUnavailable", "message": "the vault could not be read"}})
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded sets and maps are consistent after every statement.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A store that is either unlocked or waits for the user to unlock it.
///
/// While locked, every operation asks the extension (once) to show the unlock page and waits; a
/// request cancelled meanwhile simply stops waiting.
pub(crate) struct LockableStore<S> {
    state: Arc<watch::Sender<Option<Arc<S>>>>,
    /// Counts the times the user declined to unlock; waiters started before a bump give up.
    declined: Arc<watch::Sender<u64>>,
    outbox: Outbox,
    /// The `ui` id of the unlock page shown for the current locked period (0: none shown).
    unlock_ui: Arc<AtomicU64>,
    next_ui: Arc<AtomicU64>,
}

impl<S> Clone for LockableStore<S> {
    fn clone(&self) -> Self {
        Self {
            state: Arc::clone(&self.state),
            declined: Arc::clone(&self.declined),
            outbox: self.outbox.clone(),
            unlock_ui: Arc::clone(&self.unlock_ui),
            next_ui: Arc::clone(&self.next_ui),
        }
    }
}

impl<S: CredentialStore> LockableStore<S> {
    fn new(outbox: Outbox, next_ui: Arc<AtomicU64>) -> Self {
        Self {
            state: Arc::new(watch::Sender::new(None)),
            declined: Arc::new(watch::Sender::new(0)),
            outbox,
            unlock_ui: Arc::default(),
            next_ui,
        }
    }

    fn is_unlocked(&self) -> bool {
        self.state.borrow().is_some()
    }

    fn unlock(&self, store: S) {
        self.unlock_ui.store(0, Ordering::SeqCst);
        self.state.send_replace(Some(Arc::new(store)));
        let _ = self.outbox.send(json!({"event": "vault.unlocked"}));
    }

    fn lock(&self) {
        if self.state.send_replace(None).is_some() {
            let _ = self.outbox.send(json!({"event": "vault.locked"}));
        }
    }

    /// `ui.respond` for the unlock page: `{"cancel": true}` declines, which ends every request
    /// waiting for the unlock; the next request shows the page again. Returns whether `ui` was
    /// the unlock page.
    fn respond(&self, ui: u64, answer: &Value) -> bool {
        if ui == 0 || self.unlock_ui.load(Ordering::SeqCst) != ui {
            return false;
        }
        if answer.get("cancel") == Some(&Value::Bool(true)) {
            self.unlock_ui.store(0, Ordering::SeqCst);
            self.declined.send_modify(|n| *n += 1);
        }
        true
    }

    /// The unlocked store, once something else unlocks it: never shows the unlock page, and a
    /// declined unlock does not end the wait.
    pub(crate) async fn current_quietly(&self) -> StoreResult<Arc<S>> {
        let mut rx = self.state.subscribe();
        loop {
            if let Some(s) = rx.borrow_and_update().clone() {
                return Ok(s);
            }
            rx.changed().await.map_err(StoreFailure::new)?;
        }
    }

    pub(crate) async fn current(&self) -> StoreResult<Arc<S>> {
        let mut rx = self.state.subscribe();
        let mut declined = self.declined.subscribe();
        declined.borrow_and_update();
        if let Some(s) = rx.borrow_and_update().clone() {
            return Ok(s);
        }
        // Ask once per locked period (until unlocked or declined).
        let ui = self.next_ui.fetch_add(1, Ordering::SeqCst);
        if self
            .unlock_ui
            .compare_exchange(0, ui, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            let _ = self
                .outbox
                .send(json!({"event": "ui.show", "kind": "unlock", "ui": ui}));
        }
        loop {
            tokio::select! {
                changed = rx.changed() => {
                    changed.map_err(StoreFailure::new)?;
                    if let Some(s) = rx.borrow_and_update().clone() {
                        return Ok(s);
                    }
                }
                changed = declined.changed() => {
                    changed.map_err(StoreFailure::new)?;
                    return Err(StoreFailure::unlock_declined());
                }
            }
        }
    }
}

impl<S: CredentialStore> CredentialStore for LockableStore<S> {
    async fn list(
        &self,
        origin: &Origin,
        kind: CredentialType,
    ) -> StoreResult<Vec<StoredCredential>> {
        self.current().await?.list(origin, kind).await
    }

    async fn list_same_site(
        &self,
        site: &Site,
        kind: CredentialType,
    ) -> StoreResult<Vec<StoredCredential>> {
        self.current().await?.list_same_site(site, kind).await
    }

    async fn add(
        &self,
        credential: credwell_core::Credential,
        now: Timestamp,
    ) -> StoreResult<RecordId> {
        self.current().await?.add(credential, now).await
    }

    async fn update(
        &self,
        record: RecordId,
        credential: credwell_core::Credential,
        now: Timestamp,
    ) -> StoreResult<bool> {
        self.current().await?.update(record, credential, now).await
    }

    async fn remove(&self, record: RecordId) -> StoreResult<bool> {
        self.current().await?.remove(record).await
    }

    async fn origin_flags(&self, origin: &Origin) -> StoreResult<OriginFlags> {
        self.current().await?.origin_flags(origin).await
    }

    async fn set_origin_flags(&self, origin: &Origin, flags: OriginFlags) -> StoreResult<()> {
        self.current().await?.set_origin_flags(origin, flags).await
    }
}

/// The engine's mediator: asks the extension to show UI and waits for `ui.respond`.
#[derive(Clone)]
pub(crate) struct HostMediator {
    outbox: Outbox,
    next_ui: Arc<AtomicU64>,
    pending: Arc<Mutex<HashMap<u64, oneshot::Sender<UiAnswer>>>>,
}

/// A `ui.respond` answer.
pub(crate) struct UiAnswer {
    /// The answer, without its `passphrase` member.
    pub(crate) value: Value,
    /// The passphrase the user typed (a `verify` prompt); zeroized when dropped.
    pub(crate) passphrase: Option<Password>,
}

impl HostMediator {
    fn new(outbox: Outbox, next_ui: Arc<AtomicU64>) -> Self {
        Self {
            outbox,
            next_ui,
            pending: Arc::default(),
        }
    }

    /// Delivers an answer to the UI `ui`; false if no such UI is open.
    fn respond(&self, ui: u64, answer: UiAnswer) -> bool {
        lock(&self.pending)
            .remove(&ui)
            .is_some_and(|tx| tx.send(answer).is_ok())
    }

    /// Shows a UI and waits for its answer. If the call is dropped first (aborted, cancelled),
    /// the guard tells the extension to close the UI.
    pub(crate) async fn ask(&self, show: Value) -> Option<UiAnswer> {
        let ui = self.next_ui.fetch_add(1, Ordering::SeqCst);
        let (tx, rx) = oneshot::channel();
        lock(&self.pending).insert(ui, tx);
        let mut event = show;
        event["event"] = json!("ui.show");
        event["ui"] = json!(ui);
        let _ = self.outbox.send(event);
        let guard = UiGuard { mediator: self, ui };
        let answer = rx.await.ok();
        std::mem::forget(guard);
        answer
    }
}

struct UiGuard<'a> {
    mediator: &'a HostMediator,
    ui: u64,
}

impl Drop for UiGuard<'_> {
    fn drop(&mut self) {
        lock(&self.mediator.pending).remove(&self.ui);
        let _ = self
            .mediator
            .outbox
            .send(json!({"event": "ui.close", "ui": self.ui}));
    }
}

fn accounts_json(request: &ChooserRequest) -> Value {
    request
        .accounts
        .iter()
        .map(|a| {
            json!({
                "type": a.credential_type.as_str(),
                "id": a.id,
                "name": a.name,
                "iconURL": a.icon_url,
                "origin": a.origin.to_string(),
                "provider": a.provider,
                "exactOrigin": a.exact_origin,
            })
        })
        .collect()
}

impl Mediator for HostMediator {
    async fn choose(&self, request: ChooserRequest) -> ChooserOutcome {
        let show = json!({
            "kind": "chooser",
            "request": request.request.0,
            "origin": request.origin.to_string(),
            "mediation": request.mediation.as_str(),
            "accounts": accounts_json(&request),
        });
        match self
            .ask(show)
            .await
            .and_then(|a| a.value.get("choose").and_then(Value::as_u64))
        {
            Some(i) => usize::try_from(i).map_or(ChooserOutcome::Cancelled, ChooserOutcome::Chosen),
            None => ChooserOutcome::Cancelled,
        }
    }

    async fn confirm_save(&self, prompt: StorePrompt) -> SaveDecision {
        let show = prompt_json("save", &prompt);
        match self
            .ask(show)
            .await
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
        let show = prompt_json("update", &prompt);
        match self
            .ask(show)
            .await
            .as_ref()
            .and_then(|a| a.value.get("update"))
            .and_then(Value::as_bool)
        {
            Some(true) => UpdateDecision::Update,
            _ => UpdateDecision::Dismiss,
        }
    }

    fn notify_auto_sign_in(
        &self,
        request: RequestId,
        origin: &Origin,
        account: &credwell_core::Account,
    ) {
        let event = json!({
            "event": "autoSignIn",
            "request": request.0,
            "origin": origin.to_string(),
            "id": account.id,
            "name": account.name,
        });
        // The notice goes out just after the call's reply, so that the browser handles the
        // page's answer first (the notice's storage and badge updates would delay it).
        let outbox = self.outbox.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            let _ = outbox.send(event);
        });
    }
}

fn prompt_json(kind: &str, prompt: &StorePrompt) -> Value {
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

impl std::fmt::Debug for HostMediator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostMediator").finish_non_exhaustive()
    }
}

impl<S> std::fmt::Debug for LockableStore<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockableStore").finish_non_exhaustive()
    }
}
