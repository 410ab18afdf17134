//! credwell's software platform authenticator: passkeys, behind
//! [`credwell_core::Authenticator`].
//!
//! [`PasskeyAuthenticator`] runs the operations of
//! [WebAuthn §6.3](https://w3c.github.io/webauthn/#sctn-authenticator-ops) over a
//! [`PasskeyStore`] (where passkeys live; [`MemoryPasskeyStore`] in memory) and a [`PasskeyUi`]
//! (consent, the account chooser and user verification; [`ScriptedUi`] for tests). Its CTAP2
//! core, key generation and signatures are [passkey-rs](https://github.com/1Password/passkey-rs)
//! 0.6 (`passkey-authenticator`, with `passkey-crypto`'s RustCrypto backend: p256 0.14 and
//! ed25519-dalek 3); credwell's store and UI traits reach it through its `CredentialStore` and
//! `UserValidationMethod` traits.
//!
//! ```
//! use credwell_core::{Engine, ManualClock, MemoryStore, ScriptedMediator};
//! use credwell_passkey::{MemoryPasskeyStore, PasskeyAuthenticator, ScriptedUi};
//!
//! let authenticator = PasskeyAuthenticator::new(MemoryPasskeyStore::new(), ScriptedUi::new());
//! let engine = Engine::new(MemoryStore::new(), ScriptedMediator::default(), ManualClock::new(0))
//!     .with_authenticator(authenticator);
//! # let _ = engine;
//! ```
//!
//! # Storage
//!
//! [`PasskeyRecord::to_vault_payload`] and [`PasskeyRecord::from_vault_payload`] are the stable
//! serialization of a passkey (version [`VAULT_PAYLOAD_VERSION`]: JSON, key material in
//! base64url; see [`PayloadError`] for what reading refuses). With the cargo feature `vault`,
//! [`vault::VaultPasskeyStore`] keeps passkeys in a credwell vault as sealed passkey records
//! whose payload is that serialization.
//!
//! # Policies
//!
//! - **Keys.** ES256 (COSE `-7`, P-256) and EdDSA (`-8`, Ed25519): the first of the RP's
//!   `pubKeyCredParams` that is one of them; none of them is `NotSupported`. Credential ids are
//!   16 random bytes.
//! - **Discoverable credentials only.** Every passkey is a discoverable credential that stores
//!   its user handle, `user.name` and `user.displayName` (so `credProps.rk` is `true`); a new
//!   passkey replaces the RP's previous one for the same user handle
//!   ([authenticatorMakeCredential](https://w3c.github.io/webauthn/#sctn-op-make-cred) step 6).
//!   Assertions always return the user handle.
//! - **Flags** ([authenticator data](https://w3c.github.io/webauthn/#sctn-authenticator-data)):
//!   UP is always set (credwell always collects user presence: the creation prompt or the account
//!   chooser). UV is set exactly when [`PasskeyUi::verify_user`] returned `true` in the same
//!   ceremony, which the authenticator asks only when the client requires user verification; it
//!   is never claimed otherwise. BE and BS are always set: passkeys live in the vault, which is
//!   meant to be synced and backed up. AT is set on registration and never on assertions. ED is
//!   never set (no signed authenticator extension outputs).
//! - **Signature counter: always 0.** A synced passkey is used from several copies of the vault,
//!   so a per-credential counter would go backwards and make relying parties that check it
//!   reject a legitimate sign-in. Like the platform passkey providers, credwell reports 0 on
//!   every registration and assertion and never stores a counter; a relying party skips its
//!   counter check when both the stored and the received value are 0
//!   ([verifying an assertion](https://w3c.github.io/webauthn/#sctn-verifying-assertion); see
//!   also [signature counter considerations](https://w3c.github.io/webauthn/#sctn-sign-counter)).
//! - **Attestation.** The first of the request's `attestationFormats` among `packed` and `none`;
//!   `none` otherwise. `packed` is self attestation (the credential key signs
//!   `authData || clientDataHash`, no certificate) and the AAGUID is all zero ([`AAGUID`]).
//! - **Excluded credentials.** A credential from `excludeCredentials` stored for the RP (for any
//!   user) makes the authenticator ask the user's consent to create ([`CreatePrompt`] with
//!   `already_registered`); consent gives `InvalidState`, refusal `Cancelled`.
//! - **Allowed credentials.** Entries whose id is unknown or bound to another RP are ignored;
//!   when none is left the result is `NoCredentials`, without prompting.
//! - **Several accounts.** The user picks one in [`PasskeyUi::choose_account`], which is shown
//!   even for one account.
//! - **Extensions.** `prf`, through passkey-rs's hmac-secret: a passkey created with `prf` in its
//!   request gets two random 32-byte secrets, and an output is
//!   HMAC-SHA-256(secret, SHA-256("WebAuthn PRF" || 0x00 || input)) with the secret for a
//!   verified user or the one for an unverified user (CTAP2 hmac-secret semantics: the outputs
//!   differ with and without user verification). Its outputs are unsigned client extension
//!   outputs, so ED stays clear. `credProps` is the client's (credwell-core). Other extension
//!   inputs are ignored.
//! - **Concurrency.** Ceremonies on one authenticator run one after the other.
//!
//! # Secrets
//!
//! [`PrivateKey`] is zeroized on drop and redacted in `Debug`. passkey-rs handles keys as
//! `coset` COSE_Key values and RustCrypto signing keys while it signs; those transient copies
//! are not zeroized by passkey-rs.

#![forbid(unsafe_code)]

mod attestation;
mod authenticator;
mod bridge;
mod crypto;
mod large_blob;
pub mod payload;
mod prf;
mod record;
mod store;
mod ui;
#[cfg(feature = "vault")]
pub mod vault;

pub use attestation::AttestationFormat;
pub use authenticator::{AAGUID, PasskeyAuthenticator};
pub use large_blob::LARGE_BLOB_MAX;
pub use payload::{PayloadError, VAULT_PAYLOAD_VERSION};
pub use record::{Algorithm, KeyError, PasskeyRecord, PrfSecrets, PrivateKey};
pub use store::{MemoryPasskeyStore, PasskeyStore, PasskeyStoreError};
pub use ui::{
    AccountSummary, CreatePrompt, PasskeyUi, ScriptedUi, UiEvent, VerifyPrompt, VerifyPurpose,
};
