//! The key header: the vault key wrapped under a key derived from the passphrase.
//!
//! passphrase → Argon2id (salt and [`KdfParams`] stored beside the wrapped key) → a key that
//! wraps the random vault key with XChaCha20-Poly1305, whose associated data binds the vault id,
//! the salt, the parameters and the envelope format. Every other key derives from the vault key
//! ([`VaultKeys`](crate::crypto::VaultKeys)).

use rusqlite::{Connection, params};

use crate::crypto::Key;
use crate::schema::Header;
use crate::{ENVELOPE_FORMAT, KdfParams, VaultError, random};

/// The header values that wrap the vault key under a passphrase.
pub(crate) struct KeyHeader {
    salt: [u8; 16],
    kdf: KdfParams,
    wrapped: Vec<u8>,
}

impl KeyHeader {
    /// Wraps `vault_key` under `passphrase` with a new salt (Argon2id: the slow part). The
    /// callers that take parameters from outside check them first ([`refuse_weak`]).
    pub(crate) fn wrap(
        vault_id: &[u8; 16],
        vault_key: &Key,
        passphrase: &[u8],
        kdf: KdfParams,
    ) -> Result<Self, VaultError> {
        let salt: [u8; 16] = random()?;
        let kek =
            Key::derive_kek(passphrase, &salt, kdf).map_err(|e| VaultError::Kdf(e.to_string()))?;
        let wrapped = kek
            .seal(vault_key.as_bytes(), &header_aad(vault_id, &salt, kdf))
            .map_err(|_| VaultError::Random)?;
        Ok(Self { salt, kdf, wrapped })
    }

    /// Stores it (in place of the old one, if any), inside the caller's write transaction.
    pub(crate) fn write(&self, tx: &Connection) -> Result<(), VaultError> {
        let kdf_json = serde_json::to_vec(&self.kdf).map_err(|e| VaultError::Kdf(e.to_string()))?;
        for (key, value) in [
            ("salt", self.salt.to_vec()),
            ("kdf", kdf_json),
            ("wrapped_key", self.wrapped.clone()),
        ] {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )?;
        }
        Ok(())
    }
}

/// The vault key `header` wraps, unwrapped with `passphrase`; [`VaultError::WrongPassphrase`]
/// when it does not open.
pub(crate) fn unwrap_key(header: &Header, passphrase: &[u8]) -> Result<Key, VaultError> {
    let kek = Key::derive_kek(passphrase, &header.salt, header.kdf)
        .map_err(|e| VaultError::Kdf(e.to_string()))?;
    let vault_key = kek
        .open(
            &header.wrapped_key,
            &header_aad(&header.vault_id, &header.salt, header.kdf),
        )
        .map_err(|_| VaultError::WrongPassphrase)?;
    Key::from_bytes(&vault_key).ok_or_else(|| VaultError::BadHeader("wrapped key length".into()))
}

/// [`VaultError::Kdf`] for parameters a vault must not use ([`KdfParams::is_acceptable`]).
pub(crate) fn refuse_weak(kdf: KdfParams) -> Result<(), VaultError> {
    if kdf.is_acceptable() {
        return Ok(());
    }
    Err(VaultError::Kdf(format!(
        "{kdf:?} is weaker than the minimum {:?} (OWASP's for Argon2id)",
        KdfParams::MINIMUM
    )))
}

fn header_aad(vault_id: &[u8; 16], salt: &[u8], kdf: KdfParams) -> Vec<u8> {
    let mut aad = b"credwell-vault key v1".to_vec();
    aad.extend_from_slice(vault_id);
    aad.extend_from_slice(salt);
    aad.extend_from_slice(&kdf.m_cost_kib.to_be_bytes());
    aad.extend_from_slice(&kdf.t_cost.to_be_bytes());
    aad.extend_from_slice(&kdf.p_cost.to_be_bytes());
    aad.extend_from_slice(&ENVELOPE_FORMAT.to_be_bytes());
    aad
}
