//! How a [`Client`](super::Client) reaches its server, and what that can fail at.

use crate::protocol::{ConflictReply, PullReply, PushReply, PushRequest};

/// What a transport failed at. Never holds a token or a record's bytes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The server could not be reached, or the connection broke.
    #[error("the sync server cannot be reached: {0}")]
    Unreachable(String),
    /// The server refused the device's token (revoked, or not this server's).
    #[error("the sync server refused this device: {0}")]
    Unauthorized(String),
    /// The server answered with an error.
    #[error("the sync server answered {status}: {message}")]
    Server {
        /// The HTTP status.
        status: u16,
        /// The server's sentence.
        message: String,
    },
    /// The answer is not what the protocol says.
    #[error("the sync server's answer is malformed: {0}")]
    Malformed(String),
    /// The server swept deletions this device has not seen (its cursor is below the account's
    /// horizon): it must pull everything again, from 0. The client does so itself.
    #[error(
        "the sync server swept deletions this device has not seen; it must pull everything again"
    )]
    ResyncNeeded,
    /// The certificate authority given for the server (`--ca`) is not a PEM certificate.
    #[error("the sync server's certificate authority cannot be used: {0}")]
    Ca(String),
}

/// What the server did with a push.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pushed {
    /// Written.
    Applied(PushReply),
    /// Refused: some records changed since the device saw them.
    Conflict(ConflictReply),
}

/// How a client reaches its server.
pub trait Transport {
    /// `GET /v1/records?since=..&limit=..`.
    fn pull(&mut self, since: u64, limit: u32) -> Result<PullReply, TransportError>;
    /// `POST /v1/records`.
    fn push(&mut self, request: &PushRequest) -> Result<Pushed, TransportError>;
    /// A hint that the next call is `pull(since, limit)`: a transport may send that request
    /// now, so that its answer is on its way while the client checks the page before it. The
    /// answer is then what [`pull`](Self::pull) with the same arguments returns, if that is
    /// the next call; anything else (a push, a pull of another page) throws it away, so an
    /// answer older than a push is never used. The default does nothing.
    fn pull_ahead(&mut self, since: u64, limit: u32) {
        let _ = (since, limit);
    }
}
