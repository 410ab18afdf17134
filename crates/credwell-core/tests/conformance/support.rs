//! Shared fixtures: an engine over a [`MemoryStore`], a [`ScriptedMediator`] and a
//! [`ManualClock`], with handles kept on each so that tests can inspect them afterwards.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};

use credwell_core::{
    Asked, Caller, ChooserRequest, ClientId, Credential, CredentialStore, Engine, EngineConfig,
    ErrorName, FederatedCredential, ManualClock, MemoryStore, Origin, OriginFlags, Password,
    PasswordCredential, Rejection, RequestId, Scripted, ScriptedMediator, StorePrompt,
};
use futures::FutureExt;
use futures::executor::block_on;
use serde_json::Value;

/// The engine type every test drives.
pub(crate) type TestEngine = Engine<MemoryStore, ScriptedMediator, ManualClock>;

static NEXT_ID: AtomicU64 = AtomicU64::new(1_000);

/// A fresh id, unique in this test binary (clients and requests alike).
pub(crate) fn fresh_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// Parses an origin, panicking on a typo in the test.
pub(crate) fn origin(s: &str) -> Origin {
    Origin::parse(s).expect("test origin parses")
}

/// An engine plus handles on its store, mediator and clock.
pub(crate) struct Harness {
    pub(crate) engine: TestEngine,
    pub(crate) store: MemoryStore,
    pub(crate) mediator: ScriptedMediator,
    pub(crate) clock: ManualClock,
}

impl Harness {
    /// The default configuration and the given user answers.
    pub(crate) fn new(script: impl IntoIterator<Item = Scripted>) -> Self {
        Self::with_config(script, EngineConfig::default())
    }

    /// A configuration and the given user answers.
    pub(crate) fn with_config(
        script: impl IntoIterator<Item = Scripted>,
        config: EngineConfig,
    ) -> Self {
        let store = MemoryStore::new();
        let mediator = ScriptedMediator::new(script);
        let clock = ManualClock::new(0);
        let engine = Engine::with_config(store.clone(), mediator.clone(), clock.clone(), config);
        Self {
            engine,
            store,
            mediator,
            clock,
        }
    }

    /// A new top-level document of `origin` (its own client), making one new request.
    pub(crate) fn caller(&self, origin_str: &str) -> Caller {
        Caller::new(
            origin(origin_str),
            ClientId(fresh_id()),
            RequestId(fresh_id()),
        )
    }

    /// Puts a password credential straight into the store (no prompt, flag untouched).
    pub(crate) fn add_password(&self, origin_str: &str, id: &str, password: &str) {
        self.store
            .insert(password_credential(origin_str, id, password), 0);
    }

    /// Puts a federated credential straight into the store.
    pub(crate) fn add_federated(
        &self,
        origin_str: &str,
        id: &str,
        provider: &str,
        protocol: Option<&str>,
    ) {
        self.store.insert(
            Credential::Federated(FederatedCredential {
                id: id.into(),
                provider: provider.into(),
                protocol: protocol.map(Into::into),
                name: String::new(),
                icon_url: String::new(),
                origin: origin(origin_str),
            }),
            0,
        );
    }

    /// The origin's flags in the store.
    pub(crate) fn flags(&self, origin_str: &str) -> OriginFlags {
        block_on(self.store.origin_flags(&origin(origin_str))).expect("memory store")
    }

    /// Sets the origin's prevent silent access flag, as a user mediation would.
    pub(crate) fn set_prevent_silent_access(&self, origin_str: &str, value: bool) {
        let mut flags = self.flags(origin_str);
        flags.prevent_silent_access = value;
        block_on(self.store.set_origin_flags(&origin(origin_str), flags)).expect("memory store");
    }

    /// `get(options)` from `caller`, run to completion.
    pub(crate) fn get(
        &self,
        caller: &Caller,
        options: Value,
    ) -> Result<Option<Credential>, credwell_core::GetError> {
        block_on(self.engine.get(caller, &options, None))
    }

    /// `store(credential)` from `caller`, run to completion.
    pub(crate) fn store(
        &self,
        caller: &Caller,
        credential: Value,
    ) -> Result<(), credwell_core::StoreError> {
        block_on(self.engine.store(caller, &credential))
    }

    /// `create(options)` from `caller`, run to completion.
    pub(crate) fn create(
        &self,
        caller: &Caller,
        options: Value,
    ) -> Result<Credential, credwell_core::CreateError> {
        block_on(self.engine.create(caller, &options, None))
    }

    /// Every chooser the user was shown.
    pub(crate) fn choosers(&self) -> Vec<ChooserRequest> {
        self.mediator
            .asked()
            .into_iter()
            .filter_map(|a| match a {
                Asked::Chooser(c) => Some(c),
                _ => None,
            })
            .collect()
    }

    /// Every save prompt the user was shown.
    pub(crate) fn save_prompts(&self) -> Vec<StorePrompt> {
        self.mediator
            .asked()
            .into_iter()
            .filter_map(|a| match a {
                Asked::Save(p) => Some(p),
                _ => None,
            })
            .collect()
    }

    /// Every update prompt the user was shown.
    pub(crate) fn update_prompts(&self) -> Vec<StorePrompt> {
        self.mediator
            .asked()
            .into_iter()
            .filter_map(|a| match a {
                Asked::Update(p) => Some(p),
                _ => None,
            })
            .collect()
    }

    /// Whether the user was shown anything at all (auto sign-in notices aside).
    pub(crate) fn user_was_asked(&self) -> bool {
        self.mediator
            .asked()
            .iter()
            .any(|a| !matches!(a, Asked::AutoSignIn(_)))
    }

    /// The stored password credentials of an origin, as `(id, password, name, iconURL)`.
    pub(crate) fn stored_passwords(
        &self,
        origin_str: &str,
    ) -> Vec<(String, String, String, String)> {
        let o = origin(origin_str);
        self.store
            .all()
            .into_iter()
            .filter_map(|r| match r.credential {
                Credential::Password(p) if p.origin.same_origin(&o) => Some((
                    p.id.clone(),
                    p.password.expose().to_owned(),
                    p.name.clone(),
                    p.icon_url.clone(),
                )),
                _ => None,
            })
            .collect()
    }
}

/// A password credential of `origin`.
pub(crate) fn password_credential(origin_str: &str, id: &str, password: &str) -> Credential {
    Credential::Password(PasswordCredential {
        id: id.into(),
        password: Password::new(password),
        name: String::new(),
        icon_url: String::new(),
        origin: origin(origin_str),
    })
}

/// The rejection a failed call hands to the page.
pub(crate) fn rejection<T: std::fmt::Debug, E: Into<Rejection>>(result: Result<T, E>) -> Rejection {
    match result {
        Ok(value) => panic!("expected a rejection, got {value:?}"),
        Err(e) => e.into(),
    }
}

/// The exception name of a failed call.
pub(crate) fn error_name<T: std::fmt::Debug, E: Into<Rejection>>(
    result: Result<T, E>,
) -> Option<ErrorName> {
    rejection(result).name()
}

/// The exception name and message of a failed call that rejected with an exception.
pub(crate) fn exception<T: std::fmt::Debug, E: Into<Rejection>>(
    result: Result<T, E>,
) -> (ErrorName, String) {
    match rejection(result) {
        Rejection::Exception { name, message } => (name, message),
        other => panic!("expected an exception, got {other:?}"),
    }
}

/// Asserts the call rejected with exactly this exception name.
#[track_caller]
pub(crate) fn assert_rejects<T: std::fmt::Debug, E: Into<Rejection>>(
    result: Result<T, E>,
    expected: ErrorName,
) {
    assert_eq!(error_name(result), Some(expected));
}

/// Asserts the call rejected with this exception name and a message that contains every one
/// of `words` (case-insensitively).
#[track_caller]
pub(crate) fn assert_rejects_naming<T: std::fmt::Debug, E: Into<Rejection>>(
    result: Result<T, E>,
    expected: ErrorName,
    words: &[&str],
) {
    let (name, message) = exception(result);
    assert_eq!(name, expected, "message: {message}");
    let lower = message.to_lowercase();
    for word in words {
        assert!(
            lower.contains(&word.to_lowercase()),
            "message {message:?} does not mention {word:?}"
        );
    }
}

/// Polls a future once, asserting it is still pending (stopped at a prompt or chooser).
#[track_caller]
pub(crate) fn poll_pending<F: Future>(future: Pin<&mut F>) {
    assert!(
        future.now_or_never().is_none(),
        "the call settled before it reached the user"
    );
}

/// The id of a returned credential.
pub(crate) fn id_of(result: &Option<Credential>) -> Option<&str> {
    result.as_ref().map(Credential::id)
}

/// Gives a JSON value the `'static` lifetime, for futures that outlive one statement.
pub(crate) fn leak(value: Value) -> &'static Value {
    Box::leak(Box::new(value))
}
