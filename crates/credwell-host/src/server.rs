//! The host's event loop: reads requests, runs each on its own task against the engine, and
//! writes exactly one reply per request, plus the events the engine's mediator needs.

use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use credwell_core::sync::lock;
use credwell_core::{
    AbortReason, AbortSignal, Caller, Clock, Credential, Engine, Password, RecordId, Rejection,
    RequestId, SignalMethod, StoreSource, SystemClock, Timestamp, credential_from_object,
};
use credwell_passkey::PasskeyAuthenticator;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot};

use crate::background_sync::{self, SyncStatus};
use crate::bounds::{self, BoundError};
use crate::config::HostConfig;
use crate::fill::{self, FillRequests};
use crate::framing::{self, FrameError, Incoming};
use crate::idle::{self, UserActivity};
use crate::lockable::LockableStore;
use crate::manager;
use crate::outbox::Outbox;
use crate::passkeys::{CALL, CallContext, HostPasskeyUi, HostPasskeys};
use crate::protocol::{
    CallerInfo, Event, Method, Outgoing, PROTOCOL_VERSION, ProtocolError, Reply, Request,
};
use crate::recent_sign_ins::RecentSignIns;
use crate::related_origins::ExtensionFetcher;
use crate::secret::{self, WipedJson};
use crate::store::{UnlockError, VaultOpener};
use crate::ui::{HostMediator, UiAnswer};

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
    let (outbox, inbox) = Outbox::new();
    let (closing, closed) = oneshot::channel();
    let mut writer_task = tokio::spawn(write_loop(writer, inbox, closed));
    let host = Arc::new(Host::new(opener, config, outbox.clone()));
    let idle = config.idle_lock.map(|limit| {
        let store = host.store.clone();
        tokio::spawn(idle::lock_when_idle(store, host.activity.clone(), limit))
    });
    let sync = background_sync::spawn(&host.store, &host.sync, config.sync_interval);
    let result = loop {
        match framing::read_frame(&mut reader).await {
            Ok(Incoming::Message(body)) => host.dispatch(&body),
            Ok(Incoming::TooLarge(n)) => {
                outbox.send(ProtocolError::too_large(n, framing::MAX_INCOMING).to_reply());
            }
            Ok(Incoming::Closed) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    for task in [idle, sync].into_iter().flatten() {
        task.abort();
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

/// How long a `passkey.upgraded` notice waits behind its call's reply.
const NOTICE_DELAY: Duration = Duration::from_millis(20);

/// Whether request options say `mediation: "conditional"`.
fn is_conditional(options: &Value) -> bool {
    options.get("mediation").and_then(Value::as_str) == Some("conditional")
}

/// What a call may show the user about the vault (see [`CallContext`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Quiet {
    /// Anything: the unlock page when the vault is locked.
    No,
    /// A conditional `get()`: nothing until the user picks from its offer.
    UntilPicked,
    /// A conditional `create()`: nothing at all.
    Silent,
}

/// Writes the outbox to the browser until `closed` fires; then writes what is queued and ends.
async fn write_loop<W: AsyncWrite + Unpin>(
    mut writer: W,
    mut inbox: mpsc::UnboundedReceiver<Outgoing>,
    mut closed: oneshot::Receiver<()>,
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

/// Writes one message; false when the browser can no longer be written to. The message's JSON
/// and its text are wiped once written (a reply may hold a password).
async fn write_message<W: AsyncWrite + Unpin>(writer: &mut W, message: &Outgoing) -> bool {
    let mut json = message.to_json();
    let text = match secret::to_json_text(&json) {
        // Keep the one-reply promise: a reply too large for the browser becomes an error.
        Ok(text) if text.len() > framing::MAX_OUTGOING => {
            secret::to_json_text(&message.too_large_for_the_browser().to_json())
        }
        other => other,
    };
    secret::wipe(&mut json);
    let text = match text {
        Ok(text) => text,
        Err(e) => {
            tracing::error!("cannot write a message as JSON: {e}");
            return true;
        }
    };
    if let Err(e) = framing::write_frame(writer, &text).await {
        tracing::error!("cannot write to the browser: {e}");
        return false;
    }
    true
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
pub(crate) struct RuntimeClock;

impl Clock for RuntimeClock {
    fn now(&self) -> Timestamp {
        SystemClock.now()
    }

    fn sleep(&self, millis: u64) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(Duration::from_millis(millis))
    }
}

/// An engine call's outcome: the page's result, or why its promise rejects.
type CallResult = Result<Value, Refusal>;

/// Why a page's call rejects.
enum Refusal {
    /// As the spec says.
    Rejected(Rejection),
    /// The credential is over credwell's bounds (a `QuotaExceededError`).
    OverBound(BoundError),
}

impl From<Rejection> for Refusal {
    fn from(rejection: Rejection) -> Self {
        Self::Rejected(rejection)
    }
}

impl From<BoundError> for Refusal {
    fn from(bound: BoundError) -> Self {
        Self::OverBound(bound)
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
    /// The `forms.fill` requests waiting for a pick.
    fills: FillRequests,
    /// The user's last action, for the idle lock.
    activity: UserActivity,
    /// Password sign-ins, for conditional `create()` (automatic passkey upgrades).
    recent_sign_ins: Arc<RecentSignIns<RuntimeClock>>,
    /// How background sync is going, for `vault.status`.
    sync: SyncStatus,
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
        let related_origins = ExtensionFetcher::new(
            outbox.clone(),
            config.well_known_timeout,
            config.signal_related_time,
        );
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
            fills: FillRequests::default(),
            activity: UserActivity::new(),
            recent_sign_ins: Arc::new(RecentSignIns::with_window(
                RuntimeClock,
                u64::try_from(config.upgrade_window.as_millis()).unwrap_or(u64::MAX),
            )),
            sync: SyncStatus::default(),
        }
    }

    fn lock_vault(&self) {
        self.store.lock();
    }

    fn send(&self, message: impl Into<Outgoing>) {
        self.outbox.send(message);
    }

    fn dispatch(&self, body: &[u8]) {
        match Request::parse(body) {
            Ok(request) => self.handle(request),
            Err(e) => self.send(e.to_reply()),
        }
    }

    /// Answers the request at once, or starts the task that will.
    fn handle(&self, Request { id, method }: Request) {
        match method {
            Method::Hello {
                protocol,
                related_origins,
            } => self.hello(id, protocol, related_origins),
            Method::Status => {
                let locked = !self.store.is_unlocked();
                self.send(Reply::status(id, locked, self.sync.to_json(locked)));
            }
            Method::List {
                query,
                cursor,
                limit,
            } => {
                self.activity.touch();
                let store = self.store.clone();
                self.spawn_reply(
                    async move { manager::list(&store, id, query, cursor, limit).await },
                );
            }
            Method::Delete { record } => {
                self.activity.touch();
                let store = self.store.clone();
                self.spawn_reply(
                    async move { manager::delete(&store, id, RecordId(record)).await },
                );
            }
            Method::DeletePasskey { credential_id } => {
                self.activity.touch();
                let store = self.store.clone();
                self.spawn_reply(async move {
                    manager::delete_passkey(&store, id, &credential_id).await
                });
            }
            Method::RestorePasskey { credential_id } => {
                self.activity.touch();
                let store = self.store.clone();
                self.spawn_reply(async move {
                    manager::restore_passkey(&store, id, &credential_id).await
                });
            }
            Method::WellKnownResult { fetch, result } => {
                let delivered = self.related_origins.deliver(fetch, result);
                self.send(Reply::delivered(id, delivered));
            }
            Method::Lock => {
                self.lock_vault();
                self.send(Reply::locked(id, true));
            }
            Method::Unlock { passphrase } => self.unlock(id, passphrase),
            Method::Cancel { target, reason } => {
                let cancelled = self.engine.cancel(RequestId(target), reason.clone())
                    || self.fills.cancel(target, reason);
                self.send(Reply::cancelled(id, cancelled));
            }
            Method::UiRespond {
                ui,
                answer,
                passphrase,
            } => {
                let delivered = self.store.respond(ui, &answer)
                    || (self.mediator).respond(
                        ui,
                        UiAnswer {
                            value: answer,
                            passphrase,
                        },
                    );
                if delivered {
                    self.activity.touch();
                }
                self.send(Reply::delivered(id, delivered));
            }
            Method::Get {
                caller,
                options,
                aborted,
            } => self.get(id, caller, options, aborted),
            Method::Create {
                caller,
                options,
                aborted,
            } => self.create(id, caller, options, aborted),
            Method::Store {
                caller,
                credential,
                source,
            } => self.store(id, caller, credential, source),
            Method::PreventSilentAccess { caller } => {
                self.spawn_call(id, caller, Quiet::No, move |engine, caller| async move {
                    let prevented = engine.prevent_silent_access(&caller).await;
                    prevented.map_err(Rejection::from)?;
                    Ok(Value::Null)
                });
            }
            Method::Signal {
                caller,
                method,
                options,
            } => self.signal(id, caller, method, options),
            Method::FormsFill { caller } => self.fill(id, caller),
        }
    }

    /// `forms.fill` ([`fill`]): its own task, until the user picks or it is cancelled (which
    /// drops the offer, closing it with `ui.close`).
    fn fill(&self, id: u64, caller: CallerInfo) {
        let Some(cancelled) = self.fills.register(id) else {
            return self.send(ProtocolError::duplicate_id(id).to_reply());
        };
        let store = self.store.clone();
        let mediator = self.mediator.clone();
        let recent = Arc::clone(&self.recent_sign_ins);
        let fills = self.fills.clone();
        let outbox = self.outbox.clone();
        tokio::spawn(async move {
            let reply = tokio::select! {
                reply = fill::fill(&store, &mediator, &recent, id, &caller) => reply,
                reason = cancelled => match reason {
                    Ok(reason) => Reply::rejection(id, &Rejection::Aborted(reason)),
                    Err(_) => Reply::ok(id, Value::Null),
                },
            };
            fills.done(id);
            outbox.send(reply);
        });
    }

    fn hello(&self, id: u64, protocol: u64, related_origins: bool) {
        if protocol != PROTOCOL_VERSION {
            return self.send(ProtocolError::unsupported_version(id, protocol).to_reply());
        }
        self.related_origins.set_enabled(related_origins);
        let locked = !self.store.is_unlocked();
        self.send(Reply::hello(id, locked, related_origins));
    }

    /// `credentials.get`: a conditional one (`mediation: "conditional"`) does not show the unlock
    /// page until the user picks a passkey from its offer; it waits for the vault to be unlocked
    /// by something else.
    fn get(&self, id: u64, caller: CallerInfo, options: Value, aborted: Option<AbortReason>) {
        let conditional = is_conditional(&options);
        let recent = Arc::clone(&self.recent_sign_ins);
        let mode = if conditional {
            Quiet::UntilPicked
        } else {
            Quiet::No
        };
        self.spawn_call(id, caller, mode, move |engine, caller| async move {
            let signal = aborted.map(AbortSignal::aborted_with);
            let got = engine.get(&caller, &options, signal.as_ref()).await;
            let got = got.map_err(Rejection::from)?;
            // A password credwell holds, handed to the page: the user signs in with it.
            if let Some(Credential::Password(_)) = &got {
                recent.note(&caller.origin);
            }
            Ok(got.map_or(Value::Null, |c| c.to_page_json()))
        });
    }

    /// `credentials.create`. A conditional one (an automatic passkey upgrade) carries the
    /// caller's last password sign-in to the engine, shows nothing (a locked vault fails it),
    /// and once the passkey is made tells the user with a `passkey.upgraded` notice.
    fn create(&self, id: u64, caller: CallerInfo, options: Value, aborted: Option<AbortReason>) {
        let conditional = is_conditional(&options);
        let recent = Arc::clone(&self.recent_sign_ins);
        let outbox = self.outbox.clone();
        let mode = if conditional {
            Quiet::Silent
        } else {
            Quiet::No
        };
        self.spawn_call(id, caller, mode, move |engine, mut caller| async move {
            if conditional {
                caller.password_sign_in = recent.last(&caller.origin);
            }
            let signal = aborted.map(AbortSignal::aborted_with);
            let created = engine.create(&caller, &options, signal.as_ref()).await;
            let created = created.map_err(Rejection::from)?;
            if conditional && let Credential::PublicKey(passkey) = &created {
                let event =
                    Event::passkey_upgraded(caller.request, &caller.origin, &options, passkey);
                // After the call's reply, as the autoSignIn notice.
                tokio::spawn(async move {
                    tokio::time::sleep(NOTICE_DELAY).await;
                    outbox.send(event);
                });
            }
            Ok(created.to_page_json())
        });
    }

    /// `credentials.store`, within credwell's bounds on what pages store ([`bounds`]): each
    /// field's size is checked as the credential is read, the count per origin as it is added.
    fn store(&self, id: u64, caller: CallerInfo, credential: WipedJson, source: StoreSource) {
        self.spawn_call(id, caller, Quiet::No, move |engine, caller| async move {
            let object = credential;
            let credential =
                credential_from_object(&object, &caller.origin).map_err(Rejection::from)?;
            drop(object);
            bounds::check_fields(&credential)?;
            match engine
                .store_credential_from(&caller, credential, source)
                .await
            {
                Ok(()) => Ok(Value::Null),
                Err(e) => Err(match bounds::exceeded_in(&e) {
                    Some(bound) => Refusal::OverBound(bound.clone()),
                    None => Refusal::Rejected(e.into()),
                }),
            }
        });
    }

    fn signal(&self, id: u64, caller: CallerInfo, method: SignalMethod, options: Value) {
        self.spawn_call(id, caller, Quiet::No, move |engine, caller| async move {
            let signalled = engine.signal(&caller, method, &options).await;
            signalled.map_err(Rejection::from)?;
            Ok(Value::Null)
        });
    }

    /// Sends the reply `reply` resolves to, from its own task.
    fn spawn_reply(&self, reply: impl Future<Output = Reply> + Send + 'static) {
        let outbox = self.outbox.clone();
        tokio::spawn(async move {
            outbox.send(reply.await);
        });
    }

    /// Runs one engine call on its own task; its reply is sent exactly once. `quiet`: what it
    /// may show (see [`CallContext`]).
    fn spawn_call<F, Fut>(&self, id: u64, caller: CallerInfo, quiet: Quiet, call: F)
    where
        F: FnOnce(Arc<HostEngine<O>>, Caller) -> Fut + Send + 'static,
        Fut: Future<Output = CallResult> + Send + 'static,
    {
        let context = CallContext {
            request: id,
            origin: caller.origin.clone(),
            quiet: Arc::new(AtomicBool::new(quiet == Quiet::UntilPicked)),
            silent: quiet == Quiet::Silent,
        };
        let caller = match caller.to_caller(id) {
            Ok(c) => c,
            Err(e) => return self.send(e.to_reply()),
        };
        if !lock(&self.in_flight).insert(id) {
            return self.send(ProtocolError::duplicate_id(id).to_reply());
        }
        let engine = Arc::clone(&self.engine);
        let outbox = self.outbox.clone();
        let in_flight = Arc::clone(&self.in_flight);
        tokio::spawn(async move {
            let reply = match CALL.scope(context, call(engine, caller)).await {
                Ok(result) => Reply::ok(id, result),
                Err(Refusal::Rejected(rejection)) => Reply::rejection(id, &rejection),
                Err(Refusal::OverBound(bound)) => Reply::quota_exceeded(id, &bound.to_string()),
            };
            lock(&in_flight).remove(&id);
            outbox.send(reply);
        });
    }

    fn unlock(&self, id: u64, passphrase: Password) {
        let opener = Arc::clone(&self.opener);
        let store = self.store.clone();
        let activity = self.activity.clone();
        self.spawn_reply(async move {
            let opened = tokio::task::spawn_blocking(move || opener.open(&passphrase)).await;
            match opened {
                Ok(Ok(unlocked)) => {
                    // The idle time counts from the unlock, not from the passphrase's arrival.
                    activity.touch();
                    store.unlock(unlocked);
                    Reply::locked(id, false)
                }
                Ok(Err(e @ UnlockError::WrongPassphrase)) => {
                    Reply::error(Some(id), "WrongPassphrase", &e.to_string())
                }
                Ok(Err(e)) => Reply::vault_unavailable(id, &e.to_string()),
                Err(_) => Reply::vault_unavailable(id, "unlocking failed"),
            }
        });
    }
}
