//! What the host runs against: the [`VaultOpener`] that unlocks, and the [`ManagedStore`] it
//! unlocks (the engine's store plus what the manager page and the authenticator need), over
//! the vault or [`MemoryVault`], an in-memory one.

use std::sync::Arc;

pub use credwell_admin::MemoryVault;
use credwell_admin::VaultAdmin;
use credwell_core::{CredentialStore, Password};
use credwell_passkey::MemoryPasskeyStore;
use credwell_passkey::vault::VaultPasskeyStore;

use crate::background_sync::BackgroundSync;

/// Opens the store once the user has given the passphrase.
pub trait VaultOpener: Send + Sync + 'static {
    /// The unlocked store.
    type Store: ManagedStore + 'static;

    /// Unlocks; called on a blocking thread, since key derivation is deliberately slow.
    fn open(&self, passphrase: &Password) -> Result<Self::Store, UnlockError>;

    /// Whether `passphrase` unlocks the vault: the user verification of passkey ceremonies
    /// (the `verify` prompt). Called on a blocking thread while the vault is unlocked. The
    /// default opens the vault a second time and drops it.
    fn verify(&self, passphrase: &Password) -> bool {
        self.open(passphrase).is_ok()
    }
}

/// What the host runs against: the engine's store, what the manager page does to the vault
/// ([`VaultAdmin`], shared with the command line), the passkeys of the unlocked store for
/// the authenticator, and its background sync ([`BackgroundSync`]: a trait of its own so that
/// the sync loop can be tested against a store that is nothing else).
pub trait ManagedStore: CredentialStore + VaultAdmin + BackgroundSync + Sized {
    /// The unlocked store's passkeys.
    type Passkeys: credwell_passkey::PasskeyStore + 'static;

    /// The passkeys of this unlocked store; dropped when the request using them ends, and with
    /// them any hold on the store.
    fn passkeys(this: &Arc<Self>) -> Self::Passkeys;
}

impl ManagedStore for credwell_vault::Vault {
    type Passkeys = VaultPasskeyStore;

    fn passkeys(this: &Arc<Self>) -> VaultPasskeyStore {
        VaultPasskeyStore::new(Arc::clone(this))
    }
}

/// Why the vault did not unlock.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UnlockError {
    /// The passphrase is wrong.
    #[error("the passphrase is wrong")]
    WrongPassphrase,
    /// The vault cannot be opened for another reason (named in the message).
    #[error("the vault cannot be opened: {0}")]
    Unavailable(String),
}

/// In memory (ephemeral mode): never signed in, so its sync is `off`.
impl BackgroundSync for MemoryVault {}

impl ManagedStore for MemoryVault {
    type Passkeys = Arc<MemoryPasskeyStore>;

    fn passkeys(this: &Arc<Self>) -> Self::Passkeys {
        Arc::clone(this.passkey_store())
    }
}
