//! # credwell-host
//!
//! credwell's [native messaging][nm] host. The browser extension connects one long-lived port per
//! profile; the host runs the `credwell-core` engine against the vault and speaks the protocol
//! in `docs/protocol.md`.
//!
//! [nm]: https://developer.chrome.com/docs/extensions/develop/concepts/native-messaging
//!
//! - [`framing`]: the 4-byte native-endian length prefix, with the browser's limits.
//! - [`protocol`]: requests, replies and events (version 1).
//! - [`serve`]: the event loop: concurrent requests, cancellation, one reply per request, UI
//!   requests to the extension, locking and unlocking, and passkeys: credwell-passkey's
//!   authenticator over the unlocked store's passkeys ([`ManagedStore::passkeys`]), its
//!   prompts shown by the extension, user verification by the vault passphrase; WebAuthn's
//!   related origin requests, with `.well-known/webauthn` fetched by the extension.
//! - [`bounds`]: what a page may store (field sizes, credentials per origin).
//! - [`recent_sign_ins`]: the user's recent sign-ins with a saved password, per origin, which
//!   allow a conditional `create()` (an automatic passkey upgrade) without a prompt.
//! - Background sync ([`BackgroundSync`]): while the vault is unlocked and signed in, the
//!   host syncs it, at once after a write, on the server's live notice and at an interval;
//!   `vault.status` reports how it went.
//! - [`MemoryVault`]: an in-memory store of credentials and passkeys (ephemeral mode, tests).
//! - [`WipedJson`]: JSON that may hold a secret, wiped when dropped (`secret` wipes what carried
//!   passwords and passphrases: frames, parsed JSON, reply text).
//!
//! Inside, one concern a module: `server` (the loop and the dispatch of requests), `config`
//! (its settings), `store` (what the host runs against), `lockable` (the vault behind its
//! lock), `idle` (the idle lock), `ui` (the engine's prompts), `passkeys` (the authenticator's
//! store and prompts),
//! `related_origins`, `manager` (the manager page's methods), `outbox` (messages to the
//! browser, and exchanges awaiting an answer), `background_sync` (the sync loop) and
//! `vault_sync` (the vault's side of it).

mod background_sync;
pub mod bounds;
mod config;
mod fill;
pub mod framing;
mod idle;
mod lockable;
mod manager;
mod outbox;
mod passkeys;
pub mod protocol;
pub mod recent_sign_ins;
mod related_origins;
mod secret;
mod server;
mod store;
mod ui;
mod vault_sync;

pub use background_sync::{BackgroundSync, NoticeWait, SyncDone, SyncFailure};
pub use config::HostConfig;
pub use secret::WipedJson;
pub use server::serve;
pub use store::{ManagedStore, MemoryVault, UnlockError, VaultOpener};
