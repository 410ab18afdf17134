//! The server's database: one trait ([`Storage`], with its sign-in part [`SignInStorage`]), two
//! engines.
//!
//! - [`sqlite::SqliteStorage`]: one file, the default of `credwell sync serve`;
//! - [`postgres::PostgresStorage`]: PostgreSQL, for more than one instance and more than one
//!   machine.
//!
//! Both keep the same tables. Every table but one is keyed by the account id first (so that
//! the schema distributes as it is on a PostgreSQL-compatible engine that shards by a column,
//! such as Citus with `account_id` as the distribution column):
//!
//! - `accounts (account_id, cursor, created, horizon)`: the account's cursor is the revision
//!   of its newest change, its horizon the revision of the newest deletion swept
//!   ([`Storage::sweep_tombstones`]);
//! - `devices (account_id, device_id, token_hash, name, created, revoked)`;
//! - `records (account_id, record_id, revision, deleted, sealed, device_id, updated)`, with an
//!   index on `(account_id, revision)` for pulls and one on `updated` of the deletions only
//!   (a partial index) for sweeping them;
//! - `opaque (account_id, record, key_version, wrapped, updated)`: the account's OPAQUE
//!   registration record and the account key wrapped under the export key;
//! - `logins (account_id, login_id, state, created)`: sign-ins between OPAQUE's KE2 and KE3
//!   (`state` is emptied when the finish takes it, so each finishes once) and, until their
//!   window passes, the count of attempts; an index on `created` for sweeping old rows.
//!
//! The one exception is `server_setup (id, setup)`: one row, the server's own OPAQUE setup
//! (OPRF seed and key pair), the same for every account (on Citus, a reference table).
//!
//! Nothing in them is a credential field, a passphrase or a key of the account: `sealed` and
//! `wrapped` are opaque, the OPAQUE record is what RFC 9807 lets a server hold (each guess
//! against it costs an Argon2id run), and the rest is ids, counters, sizes and times
//! (`docs/sync.md` lists what the server learns).

use async_trait::async_trait;
use credwell_sync::protocol::{
    Bytes, DeviceInfo, LOGIN_SECONDS, LOGIN_WINDOW_SECONDS, MAX_LOGIN_ATTEMPTS, PushRecord, Record,
    WrappedKey,
};
use credwell_sync::{AccountId, DeviceId, LoginId, RecordId, TokenHash};
use zeroize::Zeroizing;

pub mod postgres;
pub mod sqlite;

/// What went wrong in the database. Never holds a record's bytes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The account already exists (with another first device, token or name).
    #[error("the account already exists")]
    AccountExists,
    /// No such account.
    #[error("no such account")]
    NoAccount,
    /// No such device in the account.
    #[error("no such device")]
    NoDevice,
    /// The account has a device of that id with another token or name.
    #[error("the account has a device of that id already, with another token or name")]
    DeviceExists,
    /// The account's key version is not the one a registration replaces: another device
    /// changed it first.
    #[error(
        "the server holds account key version {stored}, not the one this device started from: \
         another device changed it first"
    )]
    KeyChanged {
        /// The stored version (0: none).
        stored: u32,
    },
    /// Too many sign-ins of the account failed or were left unfinished lately.
    #[error("too many sign-in attempts for this account; try again in 15 minutes")]
    TooManyAttempts,
    /// The database failed (connection, disk, constraint...).
    #[error("the database failed: {0}")]
    Database(String),
}

/// A device as the server keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceRecord {
    /// The SHA-256 of its token's secret.
    pub token_hash: TokenHash,
    /// When it was revoked (milliseconds since the Unix epoch), if it was.
    pub revoked: Option<u64>,
}

/// An account's OPAQUE registration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpaqueRecord {
    /// The registration record (RFC 9807's `RegistrationRecord`).
    pub record: Vec<u8>,
    /// The account key, wrapped under the export key.
    pub wrapped: WrappedKey,
}

impl OpaqueRecord {
    /// A row of the `opaque` table back, from its `record`, `key_version` and `wrapped`
    /// columns.
    pub(crate) fn from_row(record: Vec<u8>, version: i64, wrapped: Vec<u8>) -> Self {
        Self {
            record,
            wrapped: WrappedKey {
                version: key_version(version),
                sealed: Bytes(wrapped),
            },
        }
    }
}

/// Whether a device the account holds (its token hash and name) is the one a repeated
/// `add_device` asks for: its `created` time if so, else [`StorageError::DeviceExists`].
pub(crate) fn same_device(
    stored: (TokenHash, &str, u64),
    token_hash: TokenHash,
    name: &str,
) -> Result<u64, StorageError> {
    let (hash, stored_name, created) = stored;
    if hash.matches(&token_hash) && stored_name == name {
        Ok(created)
    } else {
        Err(StorageError::DeviceExists)
    }
}

/// Whether an existing account (created at `account_created`) is the one a repeated
/// `create_account` asks for: its first device, made with it, is the one asked for, with the
/// same token hash and name (`stored`: the account's device of that id, if any). Its `created`
/// time if so, else [`StorageError::AccountExists`]: a request that names an existing account
/// never changes it, so nobody takes an account over by sending its id.
pub(crate) fn same_account(
    account_created: u64,
    stored: Option<(TokenHash, &str, u64)>,
    token_hash: TokenHash,
    name: &str,
) -> Result<u64, StorageError> {
    match stored {
        Some(stored) if stored.2 == account_created => {
            same_device(stored, token_hash, name).map_err(|_| StorageError::AccountExists)
        }
        _ => Err(StorageError::AccountExists),
    }
}

/// Refuses a registration that replaces key version `previous` when the account's stored
/// `key_version` (`None`: no registration, version 0) is another.
pub(crate) fn replaces(stored: Option<i64>, previous: u32) -> Result<(), StorageError> {
    let stored = stored.map_or(0, key_version);
    if stored != previous {
        return Err(StorageError::KeyChanged { stored });
    }
    Ok(())
}

/// The times that bound the sign-ins of the `logins` table at a moment, as the databases
/// store them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LoginCutoffs {
    /// Rows created before it are out of the attempts' window: swept.
    pub(crate) window: i64,
    /// Sign-ins created before it can no longer be finished: their state is swept.
    pub(crate) fresh: i64,
}

impl LoginCutoffs {
    /// The cutoffs at `now`.
    pub(crate) fn at(now: u64) -> Self {
        Self {
            window: to_db(now.saturating_sub(LOGIN_WINDOW_SECONDS * 1000)),
            fresh: to_db(now.saturating_sub(LOGIN_SECONDS * 1000)),
        }
    }
}

/// Refuses a new sign-in of an account that has `attempts` rows within the window already.
pub(crate) fn may_attempt(attempts: i64) -> Result<(), StorageError> {
    if from_db(attempts) >= MAX_LOGIN_ATTEMPTS {
        return Err(StorageError::TooManyAttempts);
    }
    Ok(())
}

/// A device to add, with its token's hash and name.
#[derive(Clone, Copy, Debug)]
pub struct NewDevice<'a> {
    /// The device.
    pub device: DeviceId,
    /// The SHA-256 of its token's secret.
    pub token_hash: TokenHash,
    /// Its name.
    pub name: &'a str,
}

/// The result of a push.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PushOutcome {
    /// Every record was written: their revisions, in the push's order, and the new cursor.
    Applied {
        /// Each record's new revision.
        revisions: Vec<u64>,
        /// The account's cursor after the push.
        cursor: u64,
    },
    /// Nothing was written: these records' `base` is not their current revision.
    Conflict(Vec<RecordId>),
}

/// One page of a pull.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    /// The records, by revision, oldest first.
    pub records: Vec<Record>,
    /// Whether more follow the last one.
    pub more: bool,
    /// The account's cursor when the page was read.
    pub cursor: u64,
    /// The account's horizon when the page was read (the same snapshot): every deletion at or
    /// below it was swept.
    pub horizon: u64,
}

/// The server's database. Every method is one transaction.
#[async_trait]
pub trait Storage: SignInStorage + Send + Sync + std::fmt::Debug {
    /// Creates an account with its first device; when the account exists with that first
    /// device, token hash and name (the same request again), creates nothing. When it was
    /// created (the first time), or [`StorageError::AccountExists`] if the account exists with
    /// another first device, token or name (it is left as it is).
    async fn create_account(
        &self,
        account: AccountId,
        device: DeviceId,
        token_hash: TokenHash,
        device_name: &str,
        now: u64,
    ) -> Result<u64, StorageError>;

    /// Adds a device to an existing account; when the account has it already with the same
    /// token hash and name (the same request again), adds nothing. When it was added (the
    /// first time), or [`StorageError::DeviceExists`] if the account has that id for another
    /// token or name.
    async fn add_device(
        &self,
        account: AccountId,
        device: DeviceId,
        token_hash: TokenHash,
        name: &str,
        now: u64,
    ) -> Result<u64, StorageError>;

    /// A device of an account, or `None`.
    async fn device(
        &self,
        account: AccountId,
        device: DeviceId,
    ) -> Result<Option<DeviceRecord>, StorageError>;

    /// Every device of an account, in the order they joined.
    async fn devices(&self, account: AccountId) -> Result<Vec<DeviceInfo>, StorageError>;

    /// Marks a device revoked (its token stops working); revoking twice keeps the first time.
    async fn revoke(
        &self,
        account: AccountId,
        device: DeviceId,
        now: u64,
    ) -> Result<(), StorageError>;

    /// Writes every record, or none when one's `base` is not its current revision (0: absent).
    /// The records get consecutive revisions after the account's cursor, which moves to the
    /// last of them. The caller has checked the request's limits.
    async fn push(
        &self,
        account: AccountId,
        device: DeviceId,
        records: &[PushRecord],
        now: u64,
    ) -> Result<PushOutcome, StorageError>;

    /// At most `limit` records with a revision above `since`, oldest first.
    async fn pull(&self, account: AccountId, since: u64, limit: u32) -> Result<Page, StorageError>;

    /// The account's cursor.
    async fn cursor(&self, account: AccountId) -> Result<u64, StorageError>;

    /// Sweeps the deletions (tombstones) of every account written before `before`
    /// (milliseconds since the Unix epoch), raising each account's horizon to the newest
    /// revision swept, in the same transaction per account: pushes and other sweeps of that
    /// account wait for it, and a second sweep with the same `before` sweeps nothing. How many
    /// tombstones it swept.
    async fn sweep_tombstones(&self, before: u64) -> Result<u64, StorageError>;
}

/// The server's database for signing in (OPAQUE): its setup, the accounts' registrations and
/// sign-ins in progress. Every method is one transaction.
#[async_trait]
pub trait SignInStorage: Send + Sync {
    /// The server's OPAQUE setup: `fresh` stored first if there is none yet (the first
    /// instance to ask stores its own; every instance then reads the same).
    async fn server_setup(&self, fresh: &[u8]) -> Result<Zeroizing<Vec<u8>>, StorageError>;

    /// Stores the account's OPAQUE record and wrapped key in place of the registration of key
    /// version `previous` (0: none), which must be the one stored
    /// ([`StorageError::KeyChanged`] if not): two devices that change it at once do not both
    /// succeed.
    async fn set_opaque(
        &self,
        account: AccountId,
        record: &[u8],
        wrapped: &WrappedKey,
        previous: u32,
        now: u64,
    ) -> Result<(), StorageError>;

    /// The account's OPAQUE registration, or `None` (no account, or none registered).
    async fn opaque(&self, account: AccountId) -> Result<Option<OpaqueRecord>, StorageError>;

    /// Keeps a started sign-in's server state, unless the account (known or not) already has
    /// [`MAX_LOGIN_ATTEMPTS`] sign-ins within the window ([`StorageError::TooManyAttempts`]).
    /// Sweeps rows older than the window, and the state of sign-ins too old to finish.
    async fn begin_login(
        &self,
        account: AccountId,
        login: LoginId,
        state: &[u8],
        now: u64,
    ) -> Result<(), StorageError>;

    /// Takes a started sign-in's state, once: `None` when it is unknown, already taken or
    /// older than [`LOGIN_SECONDS`]. The attempt still counts until the account succeeds.
    async fn take_login(
        &self,
        account: AccountId,
        login: LoginId,
        now: u64,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError>;

    /// A sign-in succeeded: forgets the account's attempts and adds `device` if given.
    async fn end_login(
        &self,
        account: AccountId,
        device: Option<NewDevice<'_>>,
        now: u64,
    ) -> Result<(), StorageError>;
}

/// A revision or time as the databases store it (a signed 64-bit integer).
pub(crate) fn to_db(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// A stored revision or time back; a negative value (never written) reads as 0.
pub(crate) fn from_db(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// A stored key version back (never written out of range).
fn key_version(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

/// A stored token hash, which must be 32 bytes.
pub(crate) fn token_hash(bytes: Vec<u8>) -> Result<TokenHash, StorageError> {
    let hash: [u8; 32] = bytes
        .try_into()
        .map_err(|_| StorageError::Database("a token hash is not 32 bytes".into()))?;
    Ok(TokenHash(hash))
}

/// A page from up to `limit + 1` records read (the extra one says whether more follow), with
/// the account's cursor and horizon as stored.
pub(crate) fn page(mut records: Vec<Record>, limit: u32, cursor: i64, horizon: i64) -> Page {
    let more = records.len() > limit as usize;
    records.truncate(limit as usize);
    Page {
        records,
        more,
        cursor: from_db(cursor),
        horizon: from_db(horizon),
    }
}

/// The ids of `records` whose base differs from `current` (their current revisions, in order).
pub(crate) fn stale(records: &[PushRecord], current: &[u64]) -> Vec<RecordId> {
    records
        .iter()
        .zip(current)
        .filter(|(r, now)| r.base != **now)
        .map(|(r, _)| r.id)
        .collect()
}
