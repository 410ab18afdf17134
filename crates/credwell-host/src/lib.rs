//! # credwell-host
//!
//! credwell's [native-messaging](https://developer.chrome.com/docs/extensions/develop/concepts/native-messaging)
//! host. The browser extension connects one long-lived port per profile; the host runs the
//! `credwell-core` engine against the vault and speaks the protocol in `docs/protocol.md`.
//!
//! - [`framing`]: the 4-byte native-endian length prefix, with the browser's limits.
//! - [`protocol`]: requests, replies and events (version 1).
//! - [`install`]: native-messaging manifests for Chromium, Chrome and Firefox.
//! - [`serve`]: the event loop: concurrent requests, cancellation, one reply per request, UI
//!   requests to the extension, locking and unlocking.

pub mod framing;
pub mod install;
pub mod protocol;
mod server;

pub use server::{HostConfig, ManagedStore, UnlockError, VaultOpener, serve};
