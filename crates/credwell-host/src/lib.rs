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
//!   requests to the extension, locking and unlocking, and passkeys: credwell-passkey's
//!   authenticator over the unlocked store's passkeys ([`ManagedStore::passkeys`]), its
//!   prompts shown by the extension, user verification by the vault passphrase; WebAuthn's
//!   related origin requests, with `.well-known/webauthn` fetched by the extension.
//! - [`MemoryVault`]: an in-memory store of credentials and passkeys (ephemeral mode, tests).

pub mod framing;
pub mod install;
mod passkeys;
pub mod protocol;
mod related_origins;
mod server;

pub use passkeys::MemoryVault;
pub use server::{HostConfig, ManagedStore, UnlockError, VaultOpener, serve};
