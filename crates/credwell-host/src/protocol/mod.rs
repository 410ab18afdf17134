//! The credwell native-messaging protocol, version 1 (written down in `docs/protocol.md`).
//!
//! Every message is one JSON object. The extension sends requests
//! `{"id": <u64>, "method": "...", "params": {...}}` ([`Request`]); the host answers each with
//! exactly one reply `{"id", "result"}` or `{"id", "error"}` ([`Reply`]), and sends events
//! `{"event": "...", ...}` of its own ([`Event`]: UI to show or close, lock changes, fetches).
//! Nothing a page wrote decides a caller's origin: the `caller` object is built by the
//! extension's background from `sender.origin` and the frame tree.

mod event;
mod list;
mod reply;
mod request;
#[cfg(test)]
mod tests;

pub use event::{Event, FillAccount, Prompt, PromptCall};
pub use list::{DEFAULT_LIST_LIMIT, ListCursor, MAX_LIST_LIMIT};
pub use reply::{Outgoing, Reply};
pub use request::{CallerInfo, Method, ProtocolError, Request};

/// The protocol version this host speaks.
pub const PROTOCOL_VERSION: u64 = 1;
