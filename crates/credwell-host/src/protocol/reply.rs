//! What the host sends: replies (`{"id", "result"}` or `{"id", "error"}`), each built by one
//! constructor here, and [`Outgoing`], a reply or an [`Event`] on its way to the browser.

use credwell_core::Rejection;
use serde_json::{Value, json};

use super::{Event, ListCursor, PROTOCOL_VERSION};

/// The one reply to a request. A result may hold a password (`credentials.get`): its strings
/// are wiped when the reply is dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The request's id; `None` when it could not be read.
    id: Option<u64>,
    /// `Ok(result)` or `Err(error)`: the reply's `result` or `error` member.
    body: Result<Value, Value>,
}

impl Reply {
    /// `{"id", "result"}`.
    pub fn ok(id: u64, result: Value) -> Self {
        Self {
            id: Some(id),
            body: Ok(result),
        }
    }

    /// `{"id", "error": {"name", "message"}}`: an error the extension or the page sees by name.
    pub fn error(id: Option<u64>, name: &str, message: &str) -> Self {
        Self {
            id,
            body: Err(json!({"name": name, "message": message})),
        }
    }

    /// A rejected request: `{"id", "error": {"name", "message"}}` or
    /// `{"id", "error": {"abortReason": ...}}`.
    pub fn rejection(id: u64, rejection: &Rejection) -> Self {
        Self {
            id: Some(id),
            body: Err(rejection.to_json()),
        }
    }

    /// A request that could not be understood: `{"id", "error": {"name": "ProtocolError",
    /// "code", "message"}}`.
    pub(crate) fn protocol_error(id: Option<u64>, code: &str, message: &str) -> Self {
        Self {
            id,
            body: Err(json!({"name": "ProtocolError", "code": code, "message": message})),
        }
    }

    /// `hello`'s result.
    pub fn hello(id: u64, locked: bool, related_origins: bool) -> Self {
        let host = concat!("credwell-host ", env!("CARGO_PKG_VERSION"));
        Self::ok(
            id,
            json!({"protocol": PROTOCOL_VERSION, "host": host, "locked": locked,
                   "relatedOrigins": related_origins}),
        )
    }

    /// `vault.status`'s result; `sync` is the background sync's state (`docs/protocol.md`).
    pub fn status(id: u64, locked: bool, sync: Value) -> Self {
        Self::ok(
            id,
            json!({"protocol": PROTOCOL_VERSION, "locked": locked, "sync": sync}),
        )
    }

    /// `{"locked": bool}`: `vault.lock`'s and `vault.unlock`'s result.
    pub fn locked(id: u64, locked: bool) -> Self {
        Self::ok(id, json!({ "locked": locked }))
    }

    /// `{"delivered": bool}`: `ui.respond`'s and `wellKnown.result`'s result.
    pub fn delivered(id: u64, delivered: bool) -> Self {
        Self::ok(id, json!({ "delivered": delivered }))
    }

    /// `{"deleted": bool}`: `vault.delete`'s result.
    pub fn deleted(id: u64, deleted: bool) -> Self {
        Self::ok(id, json!({ "deleted": deleted }))
    }

    /// `{"cancelled": bool}`: `cancel`'s result.
    pub fn cancelled(id: u64, cancelled: bool) -> Self {
        Self::ok(id, json!({ "cancelled": cancelled }))
    }

    /// A `vault.list` page: `{"items": [...], "next": <cursor> | null}`.
    pub fn list_page(id: u64, items: Vec<Value>, next: Option<&ListCursor>) -> Self {
        let next = next.map(ToString::to_string);
        Self::ok(id, json!({"items": items, "next": next}))
    }

    /// A page's credential is over credwell's bounds: `{"name": "QuotaExceededError",
    /// "message"}`.
    pub fn quota_exceeded(id: u64, message: &str) -> Self {
        Self::error(Some(id), "QuotaExceededError", message)
    }

    /// The vault could not be read or written (the cause is logged, never sent).
    pub fn vault_unavailable(id: u64, message: &str) -> Self {
        Self::error(Some(id), "VaultUnavailable", message)
    }

    /// The request's id, when it could be read.
    pub fn id(&self) -> Option<u64> {
        self.id
    }

    /// The reply as sent.
    pub fn to_json(&self) -> Value {
        match &self.body {
            Ok(result) => json!({"id": self.id, "result": result}),
            Err(error) => json!({"id": self.id, "error": error}),
        }
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        match &mut self.body {
            Ok(value) | Err(value) => crate::secret::wipe(value),
        }
    }
}

/// A message on its way to the browser.
#[derive(Debug)]
pub enum Outgoing {
    /// A reply to a request.
    Reply(Reply),
    /// An event of the host's own.
    Event(Event),
}

impl Outgoing {
    /// The message as sent.
    pub fn to_json(&self) -> Value {
        match self {
            Self::Reply(reply) => reply.to_json(),
            Self::Event(event) => event.to_json(),
        }
    }

    /// What is sent instead when the message is over the browser's limit: an `UnknownError`
    /// reply for the same id (`null` for an event), so that a request still gets its one reply.
    pub fn too_large_for_the_browser(&self) -> Reply {
        let id = match self {
            Self::Reply(reply) => reply.id,
            Self::Event(_) => None,
        };
        Reply::error(
            id,
            "UnknownError",
            "the reply exceeds the browser's 1 MB message limit",
        )
    }
}

impl From<Reply> for Outgoing {
    fn from(reply: Reply) -> Self {
        Self::Reply(reply)
    }
}

impl From<Event> for Outgoing {
    fn from(event: Event) -> Self {
        Self::Event(event)
    }
}
