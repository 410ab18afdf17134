//! credwell's sync protocol, shared by the server (`credwell-sync-server`) and the devices.
//!
//! The server stores records it cannot read: each is an id, a revision the server assigns, a
//! deletion flag and sealed bytes. Devices push changes against the revision they last saw and
//! pull everything newer than a cursor. This crate holds what both sides must agree on:
//!
//! - the identifiers ([`ids`]);
//! - the request and reply bodies and their limits ([`protocol`]);
//! - the device tokens a server hands out and checks ([`token`]);
//! - how devices seal records for the server ([`seal`]);
//! - signing in with the sync passphrase, OPAQUE, and the account key it wraps ([`opaque`]);
//! - the rule by which devices merge two versions of a record ([`merge`]);
//! - the devices' client, which pushes, pulls, merges and checks the server ([`client`]).
//!
//! It does no I/O of its own: the client reaches the server through a [`client::Transport`],
//! whose HTTP implementation is behind the `http` feature. An honest server in memory, for
//! tests, is behind the `testing` feature (the module `testing`).

pub mod client;
mod fields;
pub mod ids;
pub mod merge;
pub mod opaque;
pub mod protocol;
pub mod seal;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod token;

pub use ids::{AccountId, DeviceId, LoginId, RecordId};
pub use seal::{AccountKey, SealError};
pub use token::{DeviceToken, TokenError, TokenHash};
