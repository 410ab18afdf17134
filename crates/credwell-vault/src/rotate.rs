//! Passphrase changes: [`Vault::rotate_key`], which replaces the vault key, and
//! [`Vault::change_passphrase`], which only re-wraps it.
//!
//! Every sub-key derives from the vault key. Were it kept forever, a copy of the old header and
//! a leaked old passphrase would unwrap it and read everything written after the change, in any
//! later copy of the file. Rotation draws a new random vault key, re-seals every record under
//! the new record key, recomputes every blind index and the integrity state with the new keys,
//! and wraps the new key under the new passphrase, all in one SQLite write transaction: a crash
//! at any point leaves the old vault (old passphrase, old key) or the new one, never a mix.

use std::sync::Mutex;

use rusqlite::TransactionBehavior;

use crate::crypto::{Key, VaultKeys};
use crate::header::{KeyHeader, refuse_weak};
use crate::{KdfParams, Vault, VaultError, schema};

/// What [`Vault::rotate_key`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rotation {
    /// Records re-sealed under the new key (credentials, passkeys and origin flags), each with
    /// its blind indexes recomputed.
    pub records: u64,
    /// The vault's write generation after the rotation.
    pub generation: u64,
}

impl Vault {
    /// Changes the passphrase and replaces the vault key.
    ///
    /// A new random vault key is drawn; every record is re-sealed under the new record key,
    /// every blind index and the integrity state are recomputed with the new keys, and the new
    /// key is wrapped under the new passphrase, all in one SQLite write transaction: a crash at
    /// any point leaves the old vault (old passphrase, old key) or the new one, never a mix. A
    /// copy of the old header with the old passphrase then reads nothing written afterwards.
    ///
    /// Refused with [`VaultError::Tampered`] if any record fails to open (remove it with
    /// [`Vault::remove_damaged`] or restore a backup first) and with
    /// [`VaultError::IntegrityMismatch`] if the rows do not match the integrity state: a
    /// damaged vault is never re-sealed as if it were intact. `progress` is called with
    /// (records done, total) after each record, and once more when everything is written, just
    /// before the commit. Other processes that hold the vault open (the browser host) must
    /// unlock again afterwards: their key no longer opens it.
    pub fn rotate_key(
        &mut self,
        new_passphrase: &[u8],
        kdf: KdfParams,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Rotation, VaultError> {
        refuse_weak(kdf)?;
        let vault_key = Key::random().map_err(|_| VaultError::Random)?;
        // Argon2id before the write transaction: other processes are not kept waiting for it.
        let header = KeyHeader::wrap(&self.vault_id, &vault_key, new_passphrase, kdf)?;
        // The new keys work through a second connection to the same file, so that the rows are
        // opened with this handle's keys and sealed with the new ones in one transaction.
        let next = Vault {
            conn: Mutex::new(schema::connect(&self.path)?),
            path: self.path.clone(),
            vault_id: self.vault_id,
            keys: VaultKeys::from_vault_key(&vault_key),
            vault_key,
            kdf_upgraded_from: None,
        };
        let rotation = next.reseal_from(self, &header, progress)?;
        let Vault {
            vault_key, keys, ..
        } = next;
        self.vault_key = vault_key;
        self.keys = keys;
        Ok(rotation)
    }

    /// Re-wraps the vault key under a new passphrase; records are untouched.
    ///
    /// The key itself is kept: a copy of the file from before the change, with the old
    /// passphrase, still unwraps it, and so reads every record written to any later copy.
    /// [`Vault::rotate_key`] (what `credwell vault passwd` does by default) replaces the key.
    pub fn change_passphrase(
        &self,
        new_passphrase: &[u8],
        kdf: KdfParams,
    ) -> Result<(), VaultError> {
        refuse_weak(kdf)?;
        let header = KeyHeader::wrap(&self.vault_id, &self.vault_key, new_passphrase, kdf)?;
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        header.write(&tx)?;
        tx.commit()?;
        Ok(())
    }
}
