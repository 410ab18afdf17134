//! Requests from the extension: `{"id": <u64>, "method": "...", "params": {...}}`, parsed into
//! a [`Method`], or a [`ProtocolError`] naming what is wrong.

use credwell_core::{
    AbortReason, Caller, ClientId, MAX_DOCUMENT_BYTES, Origin, Password, RequestId,
    WellKnownFetchError, WellKnownResponse,
};
use serde_json::{Map, Value};

use super::{DEFAULT_LIST_LIMIT, ListCursor, MAX_LIST_LIMIT, PROTOCOL_VERSION, Reply};
use crate::secret::{self, WipedJson};

/// A parsed request.
#[derive(Debug)]
pub struct Request {
    /// The request id, unique among the requests in flight on this port.
    pub id: u64,
    /// What is asked.
    pub method: Method,
}

/// The trusted description of a calling frame, as the extension's background reports it.
#[derive(Debug, Clone)]
pub struct CallerInfo {
    /// `sender.origin` (or `"null"` for an opaque origin).
    pub origin: String,
    /// Whether the frame is a secure context.
    pub secure_context: bool,
    /// Whether the frame's document is fully active.
    pub fully_active: bool,
    /// The origins of the frame's ancestors, parent first.
    pub ancestors: Vec<String>,
    /// The document's id (tab, frame and document, folded into one number by the extension).
    pub client: u64,
    /// Whether the frame's permissions policy allows `publickey-credentials-get`, as the browser
    /// computed it for the frame (absent: the feature's default allowlist, `'self'`).
    pub public_key_get_allowed: Option<bool>,
    /// The same for `publickey-credentials-create`.
    pub public_key_create_allowed: Option<bool>,
    /// Whether the frame has transient activation (a recent user gesture); absent: none.
    pub transient_activation: Option<bool>,
}

/// A request's method and parameters.
#[derive(Debug)]
#[non_exhaustive]
pub enum Method {
    /// Version negotiation; the first message on a port.
    Hello {
        /// The extension's protocol version.
        protocol: u64,
        /// Whether the extension fetches `.well-known/webauthn` for the host
        /// (`wellKnown.fetch`): WebAuthn's related origin requests are then supported.
        related_origins: bool,
    },
    /// `navigator.credentials.get(options)`.
    Get {
        /// The calling frame.
        caller: CallerInfo,
        /// The options as the page passed them.
        options: Value,
        /// The page's signal, already aborted at call time.
        aborted: Option<AbortReason>,
    },
    /// `navigator.credentials.store(credential)`, or a password typed into a form.
    Store {
        /// The calling frame.
        caller: CallerInfo,
        /// The credential object's slots (its password among them: wiped when dropped).
        credential: WipedJson,
        /// What the credential came from (`"typedForm": true`: a form the user typed into).
        source: credwell_core::StoreSource,
    },
    /// `navigator.credentials.create(options)`.
    Create {
        /// The calling frame.
        caller: CallerInfo,
        /// The options as the page passed them.
        options: Value,
        /// The page's signal, already aborted at call time.
        aborted: Option<AbortReason>,
    },
    /// `navigator.credentials.preventSilentAccess()`.
    PreventSilentAccess {
        /// The calling frame.
        caller: CallerInfo,
    },
    /// `PublicKeyCredential.signalUnknownCredential(options)` and its siblings.
    Signal {
        /// The calling frame.
        caller: CallerInfo,
        /// Which signal method.
        method: credwell_core::SignalMethod,
        /// The options as the page passed them.
        options: Value,
    },
    /// Offer the caller's password accounts in its sign-in form, and hand out the one the user
    /// picks (the extension fills it in): not a page's call, the user's focus on a form field.
    FormsFill {
        /// The frame whose field the user focused.
        caller: CallerInfo,
    },
    /// Abort a request in flight (its signal fired, its tab closed, its frame navigated).
    Cancel {
        /// The request to abort.
        target: u64,
        /// The abort reason.
        reason: AbortReason,
    },
    /// The user answered a UI the host asked for.
    UiRespond {
        /// The UI's id from the `ui.show` event.
        ui: u64,
        /// The answer (`{"choose": n}`, `{"cancel": true}`, `{"save": "save"|"never"|"dismiss"}`,
        /// `{"update": true|false}`, `{"create": true|false}`), without its `passphrase` member.
        answer: Value,
        /// The answer's `passphrase` member (the answer to a `verify` prompt), taken out of
        /// `answer`: zeroized when dropped, redacted in `Debug`.
        passphrase: Option<Password>,
    },
    /// Unlock the vault with a passphrase.
    Unlock {
        /// The passphrase: zeroized when dropped, redacted in `Debug`.
        passphrase: Password,
    },
    /// The manager page: one page of the credentials and passkeys, without passwords or keys.
    List {
        /// A case-insensitive filter on origin, id and name.
        query: Option<String>,
        /// Where the page starts (the previous page's `next`).
        cursor: ListCursor,
        /// The most entries in the page, 1 to [`MAX_LIST_LIMIT`].
        limit: usize,
    },
    /// The manager page: delete one credential.
    Delete {
        /// The record id from `vault.list`.
        record: u64,
    },
    /// The manager page: delete one passkey.
    DeletePasskey {
        /// The credential id (`credentialId` from `vault.list`, base64url there).
        credential_id: Vec<u8>,
    },
    /// The manager page: show again a passkey a signal hid.
    RestorePasskey {
        /// The credential id (`credentialId` from `vault.list`, base64url there).
        credential_id: Vec<u8>,
    },
    /// The outcome of a `wellKnown.fetch` the host asked for.
    WellKnownResult {
        /// The fetch's id from the event.
        fetch: u64,
        /// The response, or why the fetch failed.
        result: Result<WellKnownResponse, WellKnownFetchError>,
    },
    /// Lock the vault: the host forgets the key.
    Lock,
    /// Report whether the vault is locked and the protocol version.
    Status,
}

/// A request that could not be understood: answered with a `ProtocolError`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ProtocolError {
    /// The request id, when it could be read.
    pub id: Option<u64>,
    /// A stable code: `malformed-json`, `not-an-object`, `bad-id`, `unknown-method`,
    /// `bad-params`, `too-large`, `unsupported-version`, `duplicate-id`.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
}

impl ProtocolError {
    fn new(id: Option<u64>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            id,
            code,
            message: message.into(),
        }
    }

    /// A message of `size` bytes, over the host's limit of `limit` (its id is unknown).
    pub fn too_large(size: u64, limit: usize) -> Self {
        Self::new(
            None,
            "too-large",
            format!("a message of {size} bytes exceeds the host's {limit} byte limit"),
        )
    }

    /// `hello` with another protocol version than [`PROTOCOL_VERSION`].
    pub fn unsupported_version(id: u64, protocol: u64) -> Self {
        Self::new(
            Some(id),
            "unsupported-version",
            format!("this host speaks protocol {PROTOCOL_VERSION}, not {protocol}"),
        )
    }

    /// A request whose id is already in flight.
    pub fn duplicate_id(id: u64) -> Self {
        Self::new(
            Some(id),
            "duplicate-id",
            format!("request {id} is already in flight"),
        )
    }

    /// The reply for this error.
    pub fn to_reply(&self) -> Reply {
        Reply::protocol_error(self.id, self.code, &self.message)
    }
}

impl Request {
    /// Parses one message body. The parsed JSON is wiped once the request is read from it (a
    /// password or a passphrase is then only in the request).
    pub fn parse(body: &[u8]) -> Result<Self, ProtocolError> {
        let mut value: Value = serde_json::from_slice(body).map_err(|e| {
            ProtocolError::new(
                None,
                "malformed-json",
                format!("the message is not JSON: {e}"),
            )
        })?;
        let request = Self::from_json(&value);
        secret::wipe(&mut value);
        request
    }

    fn from_json(value: &Value) -> Result<Self, ProtocolError> {
        let Value::Object(map) = value else {
            return Err(ProtocolError::new(
                None,
                "not-an-object",
                "a request must be a JSON object",
            ));
        };
        let id = map.get("id").and_then(Value::as_u64).ok_or_else(|| {
            ProtocolError::new(
                None,
                "bad-id",
                "a request needs a non-negative integer \"id\"",
            )
        })?;
        let method = map.get("method").and_then(Value::as_str).ok_or_else(|| {
            ProtocolError::new(
                Some(id),
                "unknown-method",
                "a request needs a string \"method\"",
            )
        })?;
        let empty = Map::new();
        let params = match map.get("params") {
            None | Some(Value::Null) => &empty,
            Some(Value::Object(p)) => p,
            Some(_) => {
                return Err(ProtocolError::new(
                    Some(id),
                    "bad-params",
                    "\"params\" must be an object",
                ));
            }
        };
        let p = Params { id, params };
        let method = match method {
            "hello" => Method::Hello {
                protocol: p.u64("protocol")?,
                related_origins: match params.get("relatedOrigins") {
                    None | Some(Value::Null) => false,
                    Some(Value::Bool(b)) => *b,
                    Some(_) => return Err(p.bad("\"relatedOrigins\" must be a boolean".into())),
                },
            },
            "wellKnown.result" => Method::WellKnownResult {
                fetch: p.u64("fetch")?,
                result: p.well_known_result()?,
            },
            "credentials.get" => Method::Get {
                caller: p.caller()?,
                options: p.value("options"),
                aborted: p.aborted()?,
            },
            "credentials.store" => Method::Store {
                caller: p.caller()?,
                credential: WipedJson::new(p.value("credential")),
                source: match params.get("typedForm") {
                    None | Some(Value::Null | Value::Bool(false)) => {
                        credwell_core::StoreSource::Page
                    }
                    Some(Value::Bool(true)) => credwell_core::StoreSource::TypedForm,
                    Some(_) => return Err(p.bad("\"typedForm\" must be a boolean".into())),
                },
            },
            "credentials.create" => Method::Create {
                caller: p.caller()?,
                options: p.value("options"),
                aborted: p.aborted()?,
            },
            "credentials.preventSilentAccess" => Method::PreventSilentAccess {
                caller: p.caller()?,
            },
            "credentials.signal" => Method::Signal {
                caller: p.caller()?,
                method: credwell_core::SignalMethod::from_name(&p.string("method")?).ok_or_else(
                    || {
                        p.bad(
                            "\"method\" must be signalUnknownCredential, \
                             signalAllAcceptedCredentials or signalCurrentUserDetails"
                                .into(),
                        )
                    },
                )?,
                options: p.value("options"),
            },
            "forms.fill" => Method::FormsFill {
                caller: p.caller()?,
            },
            "cancel" => Method::Cancel {
                target: p.u64("target")?,
                reason: abort_reason(params.get("reason")),
            },
            "ui.respond" => {
                let mut answer = p.value("answer");
                let passphrase = match answer.as_object_mut().and_then(|a| a.remove("passphrase")) {
                    None => None,
                    Some(Value::String(s)) => Some(Password::new(s)),
                    Some(_) => return Err(p.bad("\"passphrase\" must be a string".into())),
                };
                Method::UiRespond {
                    ui: p.u64("ui")?,
                    answer,
                    passphrase,
                }
            }
            "vault.unlock" => Method::Unlock {
                passphrase: Password::new(p.string("passphrase")?),
            },
            "vault.list" => Method::List {
                query: p.optional_string("query")?,
                cursor: match p.optional_string("cursor")? {
                    None => ListCursor::START,
                    Some(c) => ListCursor::parse(&c).ok_or_else(|| {
                        p.bad("\"cursor\" must be a previous page's \"next\"".into())
                    })?,
                },
                limit: match params.get("limit") {
                    None | Some(Value::Null) => DEFAULT_LIST_LIMIT,
                    Some(n) => n
                        .as_u64()
                        .and_then(|n| usize::try_from(n).ok())
                        .filter(|n| (1..=MAX_LIST_LIMIT).contains(n))
                        .ok_or_else(|| {
                            p.bad(format!(
                                "\"limit\" must be an integer from 1 to {MAX_LIST_LIMIT}"
                            ))
                        })?,
                },
            },
            "vault.delete" => match params.get("credentialId") {
                None | Some(Value::Null) => Method::Delete {
                    record: p.u64("record")?,
                },
                Some(_) => Method::DeletePasskey {
                    credential_id: p.credential_id()?,
                },
            },
            "vault.restore" => Method::RestorePasskey {
                credential_id: p.credential_id()?,
            },
            "vault.lock" => Method::Lock,
            "vault.status" => Method::Status,
            other => {
                return Err(ProtocolError::new(
                    Some(id),
                    "unknown-method",
                    format!(
                        "unknown method {:?}",
                        other.chars().take(64).collect::<String>()
                    ),
                ));
            }
        };
        Ok(Self { id, method })
    }
}

struct Params<'a> {
    id: u64,
    params: &'a Map<String, Value>,
}

impl Params<'_> {
    fn bad(&self, message: String) -> ProtocolError {
        ProtocolError::new(Some(self.id), "bad-params", message)
    }

    fn value(&self, key: &str) -> Value {
        self.params.get(key).cloned().unwrap_or(Value::Null)
    }

    fn u64(&self, key: &str) -> Result<u64, ProtocolError> {
        self.params
            .get(key)
            .and_then(Value::as_u64)
            .ok_or_else(|| self.bad(format!("\"{key}\" must be a non-negative integer")))
    }

    /// `credentialId`: a passkey's credential id, base64url as `vault.list` gives it.
    fn credential_id(&self) -> Result<Vec<u8>, ProtocolError> {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(self.string("credentialId")?)
            .map_err(|_| self.bad("\"credentialId\" must be base64url".into()))
    }

    fn string(&self, key: &str) -> Result<String, ProtocolError> {
        self.params
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| self.bad(format!("\"{key}\" must be a string")))
    }

    fn optional_string(&self, key: &str) -> Result<Option<String>, ProtocolError> {
        match self.params.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.bad(format!("\"{key}\" must be a string"))),
        }
    }

    /// `wellKnown.result`'s outcome: `{"error": "too-large" | "network" | ..., "message"?}`, or
    /// `{"status", "contentType"?, "url"?, "body"}`. A body over [`MAX_DOCUMENT_BYTES`] is
    /// not kept: it is the fetch's `TooLarge` failure.
    fn well_known_result(
        &self,
    ) -> Result<Result<WellKnownResponse, WellKnownFetchError>, ProtocolError> {
        if let Some(error) = self.optional_string("error")? {
            let message = self
                .optional_string("message")?
                .unwrap_or_else(|| error.clone());
            return Ok(Err(match error.as_str() {
                "too-large" => WellKnownFetchError::TooLarge,
                "timeout" => WellKnownFetchError::TimedOut,
                _ => WellKnownFetchError::Failed(message.chars().take(200).collect()),
            }));
        }
        let status = u16::try_from(self.u64("status")?)
            .map_err(|_| self.bad("\"status\" must be an HTTP status code".into()))?;
        let body = self.string("body")?;
        if body.len() > MAX_DOCUMENT_BYTES {
            return Ok(Err(WellKnownFetchError::TooLarge));
        }
        let mut response = WellKnownResponse::new(
            status,
            self.optional_string("contentType")?.as_deref(),
            body,
        );
        if let Some(url) = self.optional_string("url")? {
            response = response.with_url(url);
        }
        Ok(Ok(response))
    }

    fn aborted(&self) -> Result<Option<AbortReason>, ProtocolError> {
        match self.params.get("signal") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(s)) => match s.get("aborted") {
                Some(Value::Bool(true)) => Ok(Some(abort_reason(s.get("reason")))),
                Some(Value::Bool(false)) | None => Ok(None),
                Some(_) => Err(self.bad("\"signal.aborted\" must be a boolean".into())),
            },
            Some(_) => Err(self.bad("\"signal\" must be an object".into())),
        }
    }

    fn caller(&self) -> Result<CallerInfo, ProtocolError> {
        let Some(Value::Object(c)) = self.params.get("caller") else {
            return Err(self.bad("\"caller\" must be an object".into()));
        };
        let flag = |key: &str| match c.get(key) {
            Some(Value::Bool(b)) => Ok(*b),
            _ => Err(self.bad(format!("\"caller.{key}\" must be a boolean"))),
        };
        let optional_flag = |key: &str| match c.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            _ => Err(self.bad(format!("\"caller.{key}\" must be a boolean"))),
        };
        let ancestors = match c.get("ancestors") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|a| a.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| {
                    self.bad("\"caller.ancestors\" must be an array of strings".into())
                })?,
            Some(_) => {
                return Err(self.bad("\"caller.ancestors\" must be an array of strings".into()));
            }
        };
        Ok(CallerInfo {
            origin: c
                .get("origin")
                .and_then(Value::as_str)
                .ok_or_else(|| self.bad("\"caller.origin\" must be a string".into()))?
                .to_owned(),
            secure_context: flag("secureContext")?,
            fully_active: flag("fullyActive")?,
            ancestors,
            client: c.get("client").and_then(Value::as_u64).ok_or_else(|| {
                self.bad("\"caller.client\" must be a non-negative integer".into())
            })?,
            public_key_get_allowed: optional_flag("publicKeyGetAllowed")?,
            public_key_create_allowed: optional_flag("publicKeyCreateAllowed")?,
            transient_activation: optional_flag("transientActivation")?,
        })
    }
}

/// `{"reason": ...}` absent means `controller.abort()` with no argument.
fn abort_reason(reason: Option<&Value>) -> AbortReason {
    match reason {
        None => AbortReason::Default,
        Some(v) => AbortReason::Value(v.clone()),
    }
}

impl CallerInfo {
    /// The engine's [`Caller`], or an error naming the bad origin.
    pub fn to_caller(&self, request: u64) -> Result<Caller, ProtocolError> {
        let parse = |s: &str| {
            Origin::parse(s).map_err(|e| {
                ProtocolError::new(Some(request), "bad-params", format!("caller: {e}"))
            })
        };
        let origin = parse(&self.origin)?;
        let ancestors = self
            .ancestors
            .iter()
            .map(|a| parse(a))
            .collect::<Result<Vec<_>, _>>()?;
        let mut caller = Caller::new(origin, ClientId(self.client), RequestId(request))
            .with_ancestors(&ancestors);
        caller.secure_context = self.secure_context;
        caller.fully_active = self.fully_active;
        // The browser's own answer for the frame wins over the default allowlist ('self'): an
        // embedder's `allow` attribute can grant the features to a cross-origin frame, or take
        // them from a same-origin one.
        if let Some(allowed) = self.public_key_get_allowed {
            caller.public_key_get_allowed = allowed;
        }
        if let Some(allowed) = self.public_key_create_allowed {
            caller.public_key_create_allowed = allowed;
        }
        caller.transient_activation = self.transient_activation.unwrap_or(false);
        Ok(caller)
    }
}
