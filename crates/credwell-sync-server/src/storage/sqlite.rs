//! [`Storage`] on one SQLite file: `credwell sync serve`'s default, for one instance.
//!
//! One connection behind a mutex, used from tokio's blocking pool: SQLite serializes writers
//! anyway, and a push is one short transaction.

use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use credwell_sync::protocol::{Bytes, DeviceInfo, PushRecord, Record};
use credwell_sync::{AccountId, DeviceId, RecordId, TokenHash};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{
    DeviceRecord, Page, PushOutcome, Storage, StorageError, from_db, page, same_account,
    same_device, stale, to_db, token_hash,
};

mod signin;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS accounts (
    account_id BLOB PRIMARY KEY NOT NULL,
    cursor     INTEGER NOT NULL,
    created    INTEGER NOT NULL,
    horizon    INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE TABLE IF NOT EXISTS devices (
    account_id BLOB NOT NULL,
    device_id  BLOB NOT NULL,
    token_hash BLOB NOT NULL,
    name       TEXT NOT NULL,
    created    INTEGER NOT NULL,
    revoked    INTEGER,
    PRIMARY KEY (account_id, device_id)
) STRICT;
CREATE TABLE IF NOT EXISTS records (
    account_id BLOB NOT NULL,
    record_id  BLOB NOT NULL,
    revision   INTEGER NOT NULL,
    deleted    INTEGER NOT NULL,
    sealed     BLOB NOT NULL,
    device_id  BLOB NOT NULL,
    updated    INTEGER NOT NULL,
    PRIMARY KEY (account_id, record_id)
) STRICT;
CREATE INDEX IF NOT EXISTS records_by_revision ON records (account_id, revision);
CREATE INDEX IF NOT EXISTS tombstones_by_time ON records (updated) WHERE deleted;
CREATE TABLE IF NOT EXISTS opaque (
    account_id  BLOB PRIMARY KEY NOT NULL,
    record      BLOB NOT NULL,
    key_version INTEGER NOT NULL,
    wrapped     BLOB NOT NULL,
    updated     INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS logins (
    account_id BLOB NOT NULL,
    login_id   BLOB NOT NULL,
    state      BLOB,
    created    INTEGER NOT NULL,
    PRIMARY KEY (account_id, login_id)
) STRICT;
CREATE INDEX IF NOT EXISTS logins_by_time ON logins (created);
CREATE TABLE IF NOT EXISTS server_setup (
    id    INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    setup BLOB NOT NULL
) STRICT;
";

/// The server's tables in one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStorage {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteStorage {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StorageError> {
        let conn = Connection::open(path).map_err(db)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(db)?;
        let tx = conn.unchecked_transaction().map_err(db)?;
        migrate(&tx)?;
        tx.execute_batch(SCHEMA).map_err(db)?;
        tx.commit().map_err(db)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` with the connection on tokio's blocking pool.
    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StorageError> + Send + 'static,
    ) -> Result<T, StorageError> {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            // A panic while the lock was held cannot leave a transaction half applied:
            // SQLite rolls it back when the transaction is dropped.
            let mut conn = conn.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut conn)
        })
        .await
        .map_err(|e| StorageError::Database(format!("the database task failed: {e}")))?
    }
}

fn db(e: rusqlite::Error) -> StorageError {
    StorageError::Database(e.to_string())
}

/// Brings a database made by an older server to the current tables: the accounts' horizon
/// (tombstones were kept for ever before it; 0 says none was swept).
fn migrate(tx: &Connection) -> Result<(), StorageError> {
    let columns: i64 = tx
        .query_row(
            "SELECT COUNT(*) FROM pragma_table_info('accounts') WHERE name = 'horizon'",
            [],
            |r| r.get(0),
        )
        .map_err(db)?;
    let accounts: i64 = tx
        .query_row(
            "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = 'accounts'",
            [],
            |r| r.get(0),
        )
        .map_err(db)?;
    if accounts == 1 && columns == 0 {
        tx.execute_batch("ALTER TABLE accounts ADD COLUMN horizon INTEGER NOT NULL DEFAULT 0")
            .map_err(db)?;
    }
    Ok(())
}

fn insert_device(
    tx: &Connection,
    account: AccountId,
    device: DeviceId,
    token_hash: TokenHash,
    name: &str,
    now: u64,
) -> Result<(), StorageError> {
    tx.execute(
        "INSERT INTO devices (account_id, device_id, token_hash, name, created) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![account.0, device.0, token_hash.0, name, to_db(now)],
    )
    .map_err(db)?;
    Ok(())
}

/// The account's device `device` (token hash, name, created), if it has one.
fn stored_device(
    tx: &Connection,
    account: AccountId,
    device: DeviceId,
) -> Result<Option<(TokenHash, String, u64)>, StorageError> {
    let row = tx
        .query_row(
            "SELECT token_hash, name, created FROM devices \
             WHERE account_id = ?1 AND device_id = ?2",
            params![account.0, device.0],
            |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            },
        )
        .optional()
        .map_err(db)?;
    row.map(|(hash, name, created)| Ok((token_hash(hash)?, name, from_db(created))))
        .transpose()
}

fn account_cursor(conn: &Connection, account: AccountId) -> Result<u64, StorageError> {
    conn.query_row(
        "SELECT cursor FROM accounts WHERE account_id = ?1",
        [account.0],
        |r| r.get::<_, i64>(0),
    )
    .optional()
    .map_err(db)?
    .map(from_db)
    .ok_or(StorageError::NoAccount)
}

#[async_trait]
impl Storage for SqliteStorage {
    async fn create_account(
        &self,
        account: AccountId,
        device: DeviceId,
        token_hash: TokenHash,
        device_name: &str,
        now: u64,
    ) -> Result<u64, StorageError> {
        let name = device_name.to_owned();
        self.with(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            let added = tx
                .execute(
                    "INSERT INTO accounts (account_id, cursor, created) VALUES (?1, 0, ?2) \
                     ON CONFLICT (account_id) DO NOTHING",
                    params![account.0, to_db(now)],
                )
                .map_err(db)?;
            if added == 0 {
                let created: i64 = tx
                    .query_row(
                        "SELECT created FROM accounts WHERE account_id = ?1",
                        [account.0],
                        |r| r.get(0),
                    )
                    .map_err(db)?;
                let stored = stored_device(&tx, account, device)?;
                let stored = stored.as_ref().map(|(h, n, c)| (*h, n.as_str(), *c));
                return same_account(from_db(created), stored, token_hash, &name);
            }
            insert_device(&tx, account, device, token_hash, &name, now)?;
            tx.commit().map_err(db)?;
            Ok(now)
        })
        .await
    }

    async fn add_device(
        &self,
        account: AccountId,
        device: DeviceId,
        token_hash: TokenHash,
        name: &str,
        now: u64,
    ) -> Result<u64, StorageError> {
        let name = name.to_owned();
        self.with(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            account_cursor(&tx, account)?;
            if let Some((hash, stored_name, created)) = stored_device(&tx, account, device)? {
                return same_device((hash, stored_name.as_str(), created), token_hash, &name);
            }
            insert_device(&tx, account, device, token_hash, &name, now)?;
            tx.commit().map_err(db)?;
            Ok(now)
        })
        .await
    }

    async fn device(
        &self,
        account: AccountId,
        device: DeviceId,
    ) -> Result<Option<DeviceRecord>, StorageError> {
        self.with(move |conn| {
            conn.query_row(
                "SELECT token_hash, revoked FROM devices WHERE account_id = ?1 AND device_id = ?2",
                params![account.0, device.0],
                |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Option<i64>>(1)?)),
            )
            .optional()
            .map_err(db)?
            .map(|(hash, revoked)| {
                Ok(DeviceRecord {
                    token_hash: token_hash(hash)?,
                    revoked: revoked.map(from_db),
                })
            })
            .transpose()
        })
        .await
    }

    async fn devices(&self, account: AccountId) -> Result<Vec<DeviceInfo>, StorageError> {
        self.with(move |conn| {
            let mut statement = conn
                .prepare(
                    "SELECT device_id, name, created, revoked FROM devices \
                     WHERE account_id = ?1 ORDER BY created, device_id",
                )
                .map_err(db)?;
            let rows = statement
                .query_map([account.0], |r| {
                    Ok((
                        r.get::<_, Vec<u8>>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Option<i64>>(3)?,
                    ))
                })
                .map_err(db)?;
            let mut devices = Vec::new();
            for row in rows {
                let (id, name, created, revoked) = row.map_err(db)?;
                devices.push(DeviceInfo {
                    id: DeviceId::from_slice(&id)
                        .map_err(|e| StorageError::Database(e.to_string()))?,
                    name,
                    created: from_db(created),
                    revoked: revoked.map(from_db),
                });
            }
            Ok(devices)
        })
        .await
    }

    async fn revoke(
        &self,
        account: AccountId,
        device: DeviceId,
        now: u64,
    ) -> Result<(), StorageError> {
        self.with(move |conn| {
            let found = conn
                .execute(
                    "UPDATE devices SET revoked = COALESCE(revoked, ?3) \
                     WHERE account_id = ?1 AND device_id = ?2",
                    params![account.0, device.0, to_db(now)],
                )
                .map_err(db)?;
            if found == 0 {
                return Err(StorageError::NoDevice);
            }
            Ok(())
        })
        .await
    }

    async fn push(
        &self,
        account: AccountId,
        device: DeviceId,
        records: &[PushRecord],
        now: u64,
    ) -> Result<PushOutcome, StorageError> {
        let records = records.to_vec();
        self.with(move |conn| {
            // IMMEDIATE: the write lock from the start, so the cursor read below is the one
            // this transaction moves (no other writer in between).
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            let cursor = account_cursor(&tx, account)?;
            let mut current = Vec::with_capacity(records.len());
            {
                let mut statement = tx
                    .prepare_cached(
                        "SELECT revision FROM records WHERE account_id = ?1 AND record_id = ?2",
                    )
                    .map_err(db)?;
                for record in &records {
                    let revision = statement
                        .query_row(params![account.0, record.id.0], |r| r.get::<_, i64>(0))
                        .optional()
                        .map_err(db)?;
                    current.push(revision.map_or(0, from_db));
                }
            }
            let conflicts = stale(&records, &current);
            if !conflicts.is_empty() {
                return Ok(PushOutcome::Conflict(conflicts));
            }
            let mut revisions = Vec::with_capacity(records.len());
            {
                let mut statement = tx
                    .prepare_cached(
                        "INSERT INTO records \
                         (account_id, record_id, revision, deleted, sealed, device_id, updated) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
                         ON CONFLICT (account_id, record_id) DO UPDATE SET \
                         revision = excluded.revision, deleted = excluded.deleted, \
                         sealed = excluded.sealed, device_id = excluded.device_id, \
                         updated = excluded.updated",
                    )
                    .map_err(db)?;
                for (n, record) in (1u64..).zip(&records) {
                    let revision = cursor + n;
                    statement
                        .execute(params![
                            account.0,
                            record.id.0,
                            to_db(revision),
                            record.deleted,
                            record.sealed.0,
                            device.0,
                            to_db(now)
                        ])
                        .map_err(db)?;
                    revisions.push(revision);
                }
            }
            let cursor = revisions.last().copied().unwrap_or(cursor);
            tx.execute(
                "UPDATE accounts SET cursor = ?2 WHERE account_id = ?1",
                params![account.0, to_db(cursor)],
            )
            .map_err(db)?;
            tx.commit().map_err(db)?;
            Ok(PushOutcome::Applied { revisions, cursor })
        })
        .await
    }

    async fn pull(&self, account: AccountId, since: u64, limit: u32) -> Result<Page, StorageError> {
        self.with(move |conn| {
            let tx = conn.transaction().map_err(db)?;
            let (cursor, horizon) = tx
                .query_row(
                    "SELECT cursor, horizon FROM accounts WHERE account_id = ?1",
                    [account.0],
                    |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
                )
                .optional()
                .map_err(db)?
                .ok_or(StorageError::NoAccount)?;
            let mut records = Vec::new();
            {
                let mut statement = tx
                    .prepare_cached(
                        "SELECT record_id, revision, deleted, sealed FROM records \
                         WHERE account_id = ?1 AND revision > ?2 ORDER BY revision LIMIT ?3",
                    )
                    .map_err(db)?;
                let rows = statement
                    .query_map(
                        params![account.0, to_db(since), i64::from(limit) + 1],
                        |r| {
                            Ok((
                                r.get::<_, Vec<u8>>(0)?,
                                r.get::<_, i64>(1)?,
                                r.get::<_, bool>(2)?,
                                r.get::<_, Vec<u8>>(3)?,
                            ))
                        },
                    )
                    .map_err(db)?;
                for row in rows {
                    let (id, revision, deleted, sealed) = row.map_err(db)?;
                    records.push(Record {
                        id: RecordId::from_slice(&id)
                            .map_err(|e| StorageError::Database(e.to_string()))?,
                        revision: from_db(revision),
                        deleted,
                        sealed: Bytes(sealed),
                    });
                }
            }
            Ok(page(records, limit, cursor, horizon))
        })
        .await
    }

    async fn cursor(&self, account: AccountId) -> Result<u64, StorageError> {
        self.with(move |conn| account_cursor(conn, account)).await
    }

    async fn sweep_tombstones(&self, before: u64) -> Result<u64, StorageError> {
        self.with(move |conn| {
            // One transaction for every account: SQLite has one writer at a time anyway.
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            let swept = tx
                .execute(
                    "UPDATE accounts SET horizon = MAX(horizon, s.newest) FROM \
                     (SELECT account_id, MAX(revision) AS newest FROM records \
                      WHERE deleted AND updated < ?1 GROUP BY account_id) AS s \
                     WHERE accounts.account_id = s.account_id",
                    [to_db(before)],
                )
                .map_err(db)?;
            let tombstones = tx
                .execute(
                    "DELETE FROM records WHERE deleted AND updated < ?1",
                    [to_db(before)],
                )
                .map_err(db)?;
            tx.commit().map_err(db)?;
            tracing::debug!("swept {tombstones} tombstones of {swept} accounts");
            Ok(tombstones as u64)
        })
        .await
    }
}
