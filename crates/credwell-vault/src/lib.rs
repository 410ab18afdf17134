//! # credwell-vault
//!
//! credwell's embedded credential store: one SQLite file in which nothing is readable without
//! the passphrase.
//!
//! - Every record (password and federated credentials, passkeys, per-origin flags) is sealed with
//!   XChaCha20-Poly1305; its associated data binds the vault id, record id, record kind, record
//!   revision and format version, so an altered record, or one swapped with another row or moved
//!   to another id, fails to open ([`VaultError::Tampered`]).
//! - Rows are found through keyed blind indexes: HMAC-SHA256 of the origin (and of the site, for
//!   sibling-subdomain offers). Origins, usernames, names, icons, passwords and providers never
//!   reach the file, the WAL or the logs in clear; timestamps, record kinds and counts do.
//! - A keyed integrity accumulator over every row's columns, sealed with the write generation
//!   and the next record id under a key derived from the vault key, is checked at unlock and by
//!   [`Vault::check`]: rows deleted, added, or rolled back to an older copy, one at a time or
//!   spliced together from several older copies, fail to open. Only the whole file replaced by
//!   an older whole file is beyond it; [`Vault::generation`] is what an outside anchor compares.
//! - Key hierarchy: passphrase → Argon2id ([`KdfParams`], stored in the header) → a key that
//!   wraps a random vault key → HKDF sub-keys. [`Vault::rotate_key`] changes the passphrase and
//!   replaces the vault key, re-sealing every record in one transaction;
//!   [`Vault::change_passphrase`] only re-wraps the existing key.
//! - WAL journal, `synchronous=FULL` (an acknowledged write survives a crash; sync's guarded
//!   write alone, which holds what the sync server holds, commits with `NORMAL`: a power cut
//!   may take it back whole, and the next sync pulls it again), a busy timeout so the CLI and
//!   the browser host can share the file.
//!
//! ```
//! use credwell_core::{
//!     Credential, CredentialType, Origin, Password, PasswordCredential, Timestamp,
//! };
//! use credwell_vault::{KdfParams, Vault};
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("vault.sqlite");
//! let vault = Vault::create(&path, b"correct horse", KdfParams::INSECURE_FOR_TESTS).unwrap();
//! let origin = Origin::parse("https://example.com").unwrap();
//! vault.add_credential(&Credential::Password(PasswordCredential {
//!     id: "alice".into(), password: Password::new("pencil"), name: String::new(),
//!     icon_url: String::new(), origin: origin.clone(),
//! }), Timestamp(0)).unwrap();
//! drop(vault);
//! let vault = Vault::open(&path, b"correct horse").unwrap();
//! assert_eq!(vault.list_origin(&origin, CredentialType::Password).unwrap().len(), 1);
//! assert!(Vault::open(&path, b"wrong").is_err());
//! ```

mod crypto;
#[doc(hidden)]
pub mod fuzzing;
mod header;
pub mod owner_only;
mod record;
mod rotate;
mod schema;
mod store;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use credwell_core::{Credential, DatedCredential, Extras, RecordId};
use rusqlite::{Connection, params};

pub use crypto::{INSECURE_KDF_ENV, KdfParams};
use crypto::{Key, VaultKeys};
use header::{KeyHeader, refuse_weak};
pub use record::RecordKind;
pub use rotate::Rotation;
pub use store::{GuardedWrite, StoredFlags, SyncValue};

/// Where the vault lives by default: `vault.sqlite` in the user's data directory
/// (`$XDG_DATA_HOME/credwell/`, else `~/.local/share/credwell/` on Linux); `None` without a home
/// directory. The CLI and the browser host both use it, so they open the same file.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "credwell")
        .map(|dirs| dirs.data_dir().join("vault.sqlite"))
}

/// The vault format this build writes and reads (`meta.format`). Format 2 seals the integrity
/// state (write generation, next record id, accumulator) under the vault key; format 1 kept them
/// in clear and is migrated at unlock.
pub const FORMAT_VERSION: u32 = 2;

/// The version of the record and key-wrap envelopes, bound into their associated data;
/// unchanged by format 2.
pub(crate) const ENVELOPE_FORMAT: u32 = 1;

/// Vault failures. Each names what is wrong; none is "repaired" silently.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// The passphrase does not unlock this vault.
    #[error("the passphrase is wrong")]
    WrongPassphrase,
    /// The file is not a credwell vault (not SQLite, or SQLite without a vault header).
    #[error("{0} is not a credwell vault")]
    NotAVault(PathBuf),
    /// The vault was written by a newer credwell.
    #[error(
        "the vault uses format {found}, but this credwell reads at most format {supported}; \
         upgrade credwell"
    )]
    NewerFormat {
        /// The vault's format.
        found: u32,
        /// The newest format this build reads.
        supported: u32,
    },
    /// A vault already exists at this path.
    #[error("{0} already exists; refusing to overwrite it")]
    AlreadyExists(PathBuf),
    /// A record failed authentication: altered, swapped, moved or replayed.
    #[error(
        "record {0} is damaged (tampered with or corrupted): restore the vault from a backup \
         made with `credwell vault backup`, or remove the record with `credwell rm {0}`"
    )]
    Tampered(i64),
    /// Another handle (the CLI's `vault passwd`) replaced the vault key since this one was
    /// unlocked: its key no longer opens the records.
    #[error(
        "the vault's key was replaced (`credwell vault passwd`) since it was unlocked here; \
         lock it and unlock it again with the new passphrase"
    )]
    KeyChanged,
    /// [`Vault::remove_damaged`] named a record that opens and verifies.
    #[error("record {0} is not damaged; it is removed like any other")]
    NotDamaged(u64),
    /// A change named a credential record that does not exist (or a record that is not a
    /// credential, such as an origin's flags).
    #[error("there is no credential record {0}")]
    NoSuchRecord(u64),
    /// Rows were removed, added or rolled back outside credwell.
    #[error(
        "the vault's records do not match its integrity check: rows were removed, added or \
         rolled back outside credwell; restore the whole vault from a backup made with \
         `credwell vault backup`"
    )]
    IntegrityMismatch,
    /// The header is damaged.
    #[error("the vault header is damaged: {0}")]
    BadHeader(String),
    /// Opaque origins are never stored.
    #[error("credentials of opaque origins are not stored")]
    OpaqueOrigin,
    /// Only password and federated credentials are stored here, and extras (notes, TOTP
    /// secrets, custom fields, folders) only with password credentials.
    #[error("this kind of credential is not stored in the vault")]
    UnsupportedCredential,
    /// A passkey with this credential id is already stored.
    #[error("a passkey with this credential id is already stored")]
    DuplicateCredentialId,
    /// No passkey has this credential id.
    #[error("there is no passkey with this credential id")]
    NoSuchPasskey,
    /// A passkey's RP ID or credential id is longer than 4 GiB.
    #[error("the passkey is too large to store")]
    PasskeyTooLarge,
    /// The key derivation parameters are invalid.
    #[error("invalid key derivation parameters: {0}")]
    Kdf(String),
    /// The test-only key derivation was asked for (`CREDWELL_DANGER_INSECURE_KDF=1` or a test
    /// flag) in a build that does not have it.
    #[error(
        "the test-only key derivation (CREDWELL_DANGER_INSECURE_KDF=1) exists only in test builds \
         (the `insecure-test-kdf` feature); this build refuses it: unset the variable"
    )]
    InsecureKdfUnavailable,
    /// The system's random number generator failed.
    #[error("the system random number generator failed")]
    Random,
    /// SQLite failed.
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// What [`Vault::info`] reports: nothing secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultInfo {
    /// The file.
    pub path: PathBuf,
    /// The envelope format.
    pub format_version: u32,
    /// The schema version (`PRAGMA user_version`).
    pub schema_version: u32,
    /// The vault's random id, hex.
    pub vault_id: String,
    /// Argon2id parameters.
    pub kdf: KdfParams,
    /// Number of password credentials.
    pub passwords: u64,
    /// Number of federated credentials.
    pub federated: u64,
    /// Number of origins with stored flags.
    pub origins_with_flags: u64,
    /// Number of passkeys.
    pub passkeys: u64,
    /// The write generation ([`Vault::generation`]).
    pub generation: u64,
}

/// What [`Vault::check`] found.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CheckReport {
    /// Records that opened and verified.
    pub ok: u64,
    /// Records that failed authentication, by record id.
    pub tampered: Vec<i64>,
    /// Whether the integrity accumulator matches the rows.
    pub integrity_ok: bool,
}

impl CheckReport {
    /// Whether everything verified.
    pub fn is_clean(&self) -> bool {
        self.tampered.is_empty() && self.integrity_ok
    }
}

/// What a listing that goes on past damaged records read ([`Vault::all_readable`],
/// [`Vault::all_passkeys_readable`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Readable<T> {
    /// The records that opened and verified, in record order.
    pub items: Vec<T>,
    /// The records of the same kinds that failed to (what [`VaultError::Tampered`] names), in
    /// record order.
    pub damaged: Vec<RecordId>,
}

/// One change of a batch applied as a single transaction ([`Vault::apply`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// Add a credential.
    Add(Credential),
    /// Replace a record's credential, keeping its creation time, password history (a
    /// replaced password joins the history) and extras.
    Update(RecordId, Credential),
    /// Replace a record's credential and its extras, keeping its creation time and password
    /// history (a replaced password joins the history).
    UpdateWithExtras(RecordId, Credential, Extras),
    /// Add a credential with the times, password history and extras it had elsewhere (an
    /// import).
    AddDated(DatedCredential),
    /// Replace a record's credential, times, password history and extras with these (an
    /// import that computed them from the stored record).
    UpdateDated(RecordId, DatedCredential),
    /// Remove a record.
    Remove(RecordId),
    /// Add a passkey ([`VaultError::DuplicateCredentialId`] if its credential id is taken).
    AddPasskey(PasskeyEntry),
    /// Replace the passkey with the same credential id ([`VaultError::NoSuchPasskey`] if none).
    UpdatePasskey(PasskeyEntry),
    /// Remove the passkey with this credential id ([`VaultError::NoSuchPasskey`] if none).
    RemovePasskey(Vec<u8>),
}

/// A passkey as the vault keeps it: the two values it is found by, and the authenticator's own
/// serialization of everything else (the private key included), which the vault seals without
/// reading. `Debug` shows neither the payload nor the user handle inside it.
#[derive(Clone, PartialEq, Eq)]
pub struct PasskeyEntry {
    /// The relying-party id the passkey is scoped to.
    pub rp_id: String,
    /// The credential id.
    pub credential_id: Vec<u8>,
    /// The authenticator's serialization of the passkey; zeroized when dropped.
    pub payload: zeroize::Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for PasskeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasskeyEntry")
            .field("rp_id", &self.rp_id)
            .field("credential_id", &hex(&self.credential_id))
            .field(
                "payload",
                &format_args!("<{} bytes, redacted>", self.payload.len()),
            )
            .finish()
    }
}

/// A passkey read from the vault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPasskey {
    /// Its record id (shared with credentials: ids are unique across kinds).
    pub record: RecordId,
    /// The passkey.
    pub entry: PasskeyEntry,
    /// When it was added (caller's clock, milliseconds since the Unix epoch).
    pub created: u64,
    /// When it last changed.
    pub updated: u64,
}

/// An unlocked vault. Keys are zeroized when it is dropped.
pub struct Vault {
    conn: Mutex<Connection>,
    path: PathBuf,
    vault_id: [u8; 16],
    vault_key: Key,
    keys: VaultKeys,
    /// Set by [`Vault::open`] when it upgraded weak key derivation.
    kdf_upgraded_from: Option<KdfParams>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn random<const N: usize>() -> Result<[u8; N], VaultError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|_| VaultError::Random)?;
    Ok(b)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Vault {
    /// Creates a new vault file protected by `passphrase`.
    ///
    /// The file is created exclusively (an existing file is never touched, even one that
    /// appears between a check and the creation) and, on Unix, readable and writable by its
    /// owner only: its header holds the Argon2id-wrapped vault key, which anyone who can read
    /// the file can attack offline. SQLite gives the `-wal` and `-shm` files the same mode. If
    /// creation fails part-way, the new file is removed again.
    pub fn create(path: &Path, passphrase: &[u8], kdf: KdfParams) -> Result<Self, VaultError> {
        refuse_weak(kdf)?;
        create_private_file(path)?;
        Self::initialize(path, passphrase, kdf).inspect_err(|_| {
            // The file is ours (created exclusively above) and holds no record yet.
            for suffix in ["", "-wal", "-shm"] {
                let mut name = path.as_os_str().to_owned();
                name.push(suffix);
                let _ = std::fs::remove_file(PathBuf::from(name));
            }
        })
    }

    /// Writes the schema and the header into the new, empty file at `path`.
    fn initialize(path: &Path, passphrase: &[u8], kdf: KdfParams) -> Result<Self, VaultError> {
        let conn = schema::connect(path)?;
        schema::migrate(&conn, path)?;
        let vault_id: [u8; 16] = random()?;
        let vault_key = Key::random().map_err(|_| VaultError::Random)?;
        let header = KeyHeader::wrap(&vault_id, &vault_key, passphrase, kdf)?;
        let keys = VaultKeys::from_vault_key(&vault_key);
        let vault = Self {
            conn: Mutex::new(conn),
            path: path.to_owned(),
            vault_id,
            vault_key,
            keys,
            kdf_upgraded_from: None,
        };
        {
            let conn = vault.lock();
            let tx = conn.unchecked_transaction()?;
            for (k, v) in [
                ("format", FORMAT_VERSION.to_be_bytes().to_vec()),
                ("vault_id", vault_id.to_vec()),
            ] {
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                    params![k, v],
                )?;
            }
            header.write(&tx)?;
            vault.write_state(&tx, &store::IntegrityState::EMPTY)?;
            vault.write_key_check(&tx)?;
            tx.commit()?;
        }
        Ok(vault)
    }

    /// Opens and unlocks an existing vault, checking its integrity accumulator.
    ///
    /// A vault whose key derivation is weaker than [`KdfParams::MINIMUM`] (made by a build that
    /// honoured the test-only parameters) is upgraded at once: its key is re-wrapped under
    /// [`KdfParams::DEFAULT`] with a new salt, and [`Vault::kdf_upgraded_from`] says so.
    pub fn open(path: &Path, passphrase: &[u8]) -> Result<Self, VaultError> {
        Self::open_upgrading_to(path, passphrase, KdfParams::DEFAULT)
    }

    /// [`open`](Self::open), upgrading weak key derivation to `upgrade_to` (tests use a cheaper
    /// target than [`KdfParams::DEFAULT`]).
    fn open_upgrading_to(
        path: &Path,
        passphrase: &[u8],
        upgrade_to: KdfParams,
    ) -> Result<Self, VaultError> {
        if !path.is_file() {
            return Err(VaultError::NotAVault(path.to_owned()));
        }
        schema::probe(path)?;
        let conn = schema::connect(path)?;
        let header = schema::read_header(&conn, path)?;
        header.check_openable()?;
        let vault_key = header::unwrap_key(&header, passphrase)?;
        // Only the owner of the passphrase upgrades the file's schema.
        schema::migrate(&conn, path)?;
        let mut vault = Self {
            conn: Mutex::new(conn),
            path: path.to_owned(),
            vault_id: header.vault_id,
            keys: VaultKeys::from_vault_key(&vault_key),
            vault_key,
            kdf_upgraded_from: None,
        };
        if header.format < FORMAT_VERSION {
            // Checks the old, unauthenticated accumulator first: a vault already tampered with
            // is refused, never blessed with a sealed state.
            vault.migrate_from_format_1()?;
        }
        if !vault.integrity_matches()? {
            // A rotation committed by another process between the header read and the check.
            let now = schema::read_header(&vault.lock(), path)?;
            if now.wrapped_key != header.wrapped_key {
                return Err(VaultError::KeyChanged);
            }
            return Err(VaultError::IntegrityMismatch);
        }
        if !header.kdf.is_acceptable() {
            vault.change_passphrase(passphrase, upgrade_to)?;
            vault.kdf_upgraded_from = Some(header.kdf);
        }
        Ok(vault)
    }

    /// The key derivation parameters the vault had before [`Vault::open`] upgraded them (they
    /// were below [`KdfParams::MINIMUM`]); `None` when nothing was upgraded. A copy of the file
    /// from before the upgrade is still as weak as it was: a passphrase that copy may have
    /// exposed should be changed.
    pub fn kdf_upgraded_from(&self) -> Option<KdfParams> {
        self.kdf_upgraded_from
    }

    /// The vault file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the connection leaves SQLite's own transaction state intact
        // (an unfinished transaction rolls back), so the connection is still usable.
        credwell_core::sync::lock(&self.conn)
    }
}

/// Creates an empty file at `path` that must not exist yet, owner-only on Unix.
pub(crate) fn create_private_file(path: &Path) -> Result<(), VaultError> {
    match owner_only::create_new_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(VaultError::AlreadyExists(path.to_owned()))
        }
        Err(source) => Err(VaultError::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Below OWASP's minimum, but not the test-only parameters: what a release host that
    /// honoured `CREDWELL_DANGER_INSECURE_KDF` could have made, or a hand-made header.
    const WEAK: KdfParams = KdfParams {
        m_cost_kib: 1024,
        t_cost: 1,
        p_cost: 1,
    };

    #[test]
    fn a_vault_below_the_minimum_is_upgraded_at_unlock() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("weak.sqlite");
        assert!(matches!(
            Vault::create(&path, b"pass", WEAK),
            Err(VaultError::Kdf(_))
        ));
        // `initialize` skips the check, as an older build's `create` did.
        create_private_file(&path).unwrap();
        drop(Vault::initialize(&path, b"pass", WEAK).unwrap());
        let vault = Vault::open_upgrading_to(&path, b"pass", KdfParams::MINIMUM).unwrap();
        assert_eq!(vault.kdf_upgraded_from(), Some(WEAK));
        assert_eq!(vault.info().unwrap().kdf, KdfParams::MINIMUM);
        drop(vault);
        // The header on disk is the upgraded one, the passphrase unchanged; nothing more to do.
        let conn = schema::connect(&path).unwrap();
        assert_eq!(
            schema::read_header(&conn, &path).unwrap().kdf,
            KdfParams::MINIMUM
        );
        drop(conn);
        let again = Vault::open_upgrading_to(&path, b"pass", KdfParams::MINIMUM).unwrap();
        assert_eq!(again.kdf_upgraded_from(), None);
        assert!(matches!(
            Vault::open_upgrading_to(&path, b"wrong", KdfParams::MINIMUM),
            Err(VaultError::WrongPassphrase)
        ));
    }

    #[test]
    fn the_test_only_parameters_are_asked_for_explicitly() {
        // This is a test build: the feature is on and the parameters exist.
        const { assert!(cfg!(feature = "insecure-test-kdf")) };
        assert_eq!(
            KdfParams::for_new_vault(true).unwrap(),
            KdfParams::INSECURE_FOR_TESTS
        );
        if std::env::var_os(INSECURE_KDF_ENV).is_none() {
            assert_eq!(KdfParams::for_new_vault(false).unwrap(), KdfParams::DEFAULT);
        }
    }
}
