//! [`Storage`] on PostgreSQL: for several server instances over one database, and for
//! PostgreSQL-compatible engines that distribute tables by their first key column.
//!
//! The SQL is plain PostgreSQL 15 (no extensions). Each push is one transaction that locks its
//! account's row (`FOR UPDATE`), so pushes to one account from any instance are serialized and
//! revisions stay dense and unique; pushes to different accounts do not wait for each other.
//! A push also sends `NOTIFY credwell_sync, '<account>'`, delivered at commit to every instance
//! that [`PostgresStorage::listen`]s.

use std::time::Duration;

use async_trait::async_trait;
use credwell_sync::protocol::{Bytes, DeviceInfo, PushRecord, Record};
use credwell_sync::{AccountId, DeviceId, RecordId, TokenHash};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use futures::StreamExt as _;
use tokio_postgres::{AsyncMessage, NoTls};

use super::{
    DeviceRecord, Page, PushOutcome, Storage, StorageError, from_db, page, same_account,
    same_device, stale, to_db, token_hash,
};
use crate::Notices;

/// The channel pushes notify on.
mod signin;

const CHANNEL: &str = "credwell_sync";

/// Serializes schema creation between instances starting at the same time (an arbitrary
/// constant: "cwsync" in ASCII).
const SCHEMA_LOCK: i64 = 0x63_77_73_79_6e_63;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS accounts (
    account_id BYTEA PRIMARY KEY,
    cursor     BIGINT NOT NULL,
    created    BIGINT NOT NULL,
    horizon    BIGINT NOT NULL DEFAULT 0
);
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS horizon BIGINT NOT NULL DEFAULT 0;
CREATE TABLE IF NOT EXISTS devices (
    account_id BYTEA NOT NULL,
    device_id  BYTEA NOT NULL,
    token_hash BYTEA NOT NULL,
    name       TEXT NOT NULL,
    created    BIGINT NOT NULL,
    revoked    BIGINT,
    PRIMARY KEY (account_id, device_id)
);
CREATE TABLE IF NOT EXISTS records (
    account_id BYTEA NOT NULL,
    record_id  BYTEA NOT NULL,
    revision   BIGINT NOT NULL,
    deleted    BOOLEAN NOT NULL,
    sealed     BYTEA NOT NULL,
    device_id  BYTEA NOT NULL,
    updated    BIGINT NOT NULL,
    PRIMARY KEY (account_id, record_id)
);
CREATE INDEX IF NOT EXISTS records_by_revision ON records (account_id, revision);
CREATE INDEX IF NOT EXISTS tombstones_by_time ON records (updated) WHERE deleted;
CREATE TABLE IF NOT EXISTS opaque (
    account_id  BYTEA PRIMARY KEY,
    record      BYTEA NOT NULL,
    key_version BIGINT NOT NULL,
    wrapped     BYTEA NOT NULL,
    updated     BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS logins (
    account_id BYTEA NOT NULL,
    login_id   BYTEA NOT NULL,
    state      BYTEA,
    created    BIGINT NOT NULL,
    PRIMARY KEY (account_id, login_id)
);
CREATE INDEX IF NOT EXISTS logins_by_time ON logins (created);
CREATE TABLE IF NOT EXISTS server_setup (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    setup BYTEA NOT NULL
);
";

/// The server's tables in a PostgreSQL database.
#[derive(Clone)]
pub struct PostgresStorage {
    pool: Pool,
    config: tokio_postgres::Config,
}

impl std::fmt::Debug for PostgresStorage {
    /// Not the configuration: it may hold a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStorage").finish_non_exhaustive()
    }
}

fn db(e: impl std::fmt::Display) -> StorageError {
    StorageError::Database(e.to_string())
}

impl PostgresStorage {
    /// Connects to `url` (`postgres://user@host:port/db`) and creates the tables if needed.
    pub async fn connect(url: &str) -> Result<Self, StorageError> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|_| StorageError::Database("the database URL is not valid".into()))?;
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager).max_size(16).build().map_err(db)?;
        let storage = Self { pool, config };
        let mut client = storage.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
            .await
            .map_err(db)?;
        tx.batch_execute(SCHEMA).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(storage)
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StorageError> {
        self.pool.get().await.map_err(db)
    }

    /// Forwards the database's change notices to `notices` until the process ends: a task with
    /// its own connection that `LISTEN`s, and reconnects (after a second) when the connection
    /// is lost, telling every waiter to look again since notices may have been missed.
    pub fn listen(&self, notices: Notices) {
        let config = self.config.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = forward(&config, &notices).await {
                    tracing::warn!("sync notices: {e}; reconnecting");
                }
                notices.anything_changed();
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
}

impl PostgresStorage {
    /// Sweeps one account's tombstones written before `before`, in one transaction on one
    /// account (one shard where the tables are distributed): the account's row locked first,
    /// as a push locks it, so a push and another instance's sweep wait; what another sweep
    /// already took is not there to take again.
    async fn sweep_account(&self, account: &[u8], before: i64) -> Result<u64, StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        tx.execute(
            "SELECT cursor FROM accounts WHERE account_id = $1 FOR UPDATE",
            &[&account],
        )
        .await
        .map_err(db)?;
        let swept = tx
            .query(
                "DELETE FROM records WHERE account_id = $1 AND deleted AND updated < $2 \
                 RETURNING revision",
                &[&account, &before],
            )
            .await
            .map_err(db)?;
        let newest = swept.iter().map(|r| r.get::<_, i64>(0)).max();
        if let Some(newest) = newest {
            tx.execute(
                "UPDATE accounts SET horizon = GREATEST(horizon, $2) WHERE account_id = $1",
                &[&account, &newest],
            )
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(swept.len() as u64)
    }
}

/// One listening connection: returns when it fails.
async fn forward(config: &tokio_postgres::Config, notices: &Notices) -> Result<(), StorageError> {
    let (client, mut connection) = config.connect(NoTls).await.map_err(db)?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(n)) => {
                    if tx.send(n.payload().to_owned()).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    });
    client
        .batch_execute(&format!("LISTEN {CHANNEL}"))
        .await
        .map_err(db)?;
    // Changes made before LISTEN took effect were not announced.
    notices.anything_changed();
    while let Some(payload) = rx.recv().await {
        match AccountId::parse(&payload) {
            Ok(account) => notices.account_changed(account),
            Err(_) => notices.anything_changed(),
        }
    }
    driver.abort();
    Err(StorageError::Database(
        "the notice connection closed".into(),
    ))
}

async fn account_cursor(
    client: &impl deadpool_postgres::GenericClient,
    account: AccountId,
    lock: bool,
) -> Result<u64, StorageError> {
    let sql = if lock {
        "SELECT cursor FROM accounts WHERE account_id = $1 FOR UPDATE"
    } else {
        "SELECT cursor FROM accounts WHERE account_id = $1"
    };
    let row = client
        .query_opt(sql, &[&&account.0[..]])
        .await
        .map_err(db)?
        .ok_or(StorageError::NoAccount)?;
    Ok(from_db(row.get(0)))
}

async fn insert_device(
    tx: &impl deadpool_postgres::GenericClient,
    account: AccountId,
    device: DeviceId,
    token_hash: TokenHash,
    name: &str,
    now: u64,
) -> Result<(), StorageError> {
    tx.execute(
        "INSERT INTO devices (account_id, device_id, token_hash, name, created) \
         VALUES ($1, $2, $3, $4, $5)",
        &[
            &&account.0[..],
            &&device.0[..],
            &&token_hash.0[..],
            &name,
            &to_db(now),
        ],
    )
    .await
    .map_err(db)?;
    Ok(())
}

/// The account's device `device` (token hash, name, created), if it has one.
async fn stored_device(
    tx: &impl deadpool_postgres::GenericClient,
    account: AccountId,
    device: DeviceId,
) -> Result<Option<(TokenHash, String, u64)>, StorageError> {
    let row = tx
        .query_opt(
            "SELECT token_hash, name, created FROM devices \
             WHERE account_id = $1 AND device_id = $2",
            &[&&account.0[..], &&device.0[..]],
        )
        .await
        .map_err(db)?;
    row.map(|row| Ok((token_hash(row.get(0))?, row.get(1), from_db(row.get(2)))))
        .transpose()
}

#[async_trait]
impl Storage for PostgresStorage {
    async fn create_account(
        &self,
        account: AccountId,
        device: DeviceId,
        token_hash: TokenHash,
        device_name: &str,
        now: u64,
    ) -> Result<u64, StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        // Two copies of one request: the second waits here for the first's row, then finds
        // it (a new statement sees what committed before it).
        let added = tx
            .execute(
                "INSERT INTO accounts (account_id, cursor, created) VALUES ($1, 0, $2) \
                 ON CONFLICT (account_id) DO NOTHING",
                &[&&account.0[..], &to_db(now)],
            )
            .await
            .map_err(db)?;
        if added == 0 {
            let row = tx
                .query_one(
                    "SELECT created FROM accounts WHERE account_id = $1",
                    &[&&account.0[..]],
                )
                .await
                .map_err(db)?;
            let stored = stored_device(&tx, account, device).await?;
            let stored = stored.as_ref().map(|(h, n, c)| (*h, n.as_str(), *c));
            return same_account(from_db(row.get(0)), stored, token_hash, device_name);
        }
        insert_device(&tx, account, device, token_hash, device_name, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(now)
    }

    async fn add_device(
        &self,
        account: AccountId,
        device: DeviceId,
        token_hash: TokenHash,
        name: &str,
        now: u64,
    ) -> Result<u64, StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        // The account's row locked: two copies of one request are serialized here.
        account_cursor(&tx, account, true).await?;
        if let Some((hash, stored_name, created)) = stored_device(&tx, account, device).await? {
            return same_device((hash, stored_name.as_str(), created), token_hash, name);
        }
        insert_device(&tx, account, device, token_hash, name, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(now)
    }

    async fn device(
        &self,
        account: AccountId,
        device: DeviceId,
    ) -> Result<Option<DeviceRecord>, StorageError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT token_hash, revoked FROM devices WHERE account_id = $1 AND device_id = $2",
                &[&&account.0[..], &&device.0[..]],
            )
            .await
            .map_err(db)?;
        row.map(|row| {
            Ok(DeviceRecord {
                token_hash: token_hash(row.get(0))?,
                revoked: row.get::<_, Option<i64>>(1).map(from_db),
            })
        })
        .transpose()
    }

    async fn devices(&self, account: AccountId) -> Result<Vec<DeviceInfo>, StorageError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT device_id, name, created, revoked FROM devices \
                 WHERE account_id = $1 ORDER BY created, device_id",
                &[&&account.0[..]],
            )
            .await
            .map_err(db)?;
        rows.iter()
            .map(|row| {
                Ok(DeviceInfo {
                    id: DeviceId::from_slice(row.get::<_, &[u8]>(0)).map_err(db)?,
                    name: row.get(1),
                    created: from_db(row.get(2)),
                    revoked: row.get::<_, Option<i64>>(3).map(from_db),
                })
            })
            .collect()
    }

    async fn revoke(
        &self,
        account: AccountId,
        device: DeviceId,
        now: u64,
    ) -> Result<(), StorageError> {
        let client = self.client().await?;
        let found = client
            .execute(
                "UPDATE devices SET revoked = COALESCE(revoked, $3) \
                 WHERE account_id = $1 AND device_id = $2",
                &[&&account.0[..], &&device.0[..], &to_db(now)],
            )
            .await
            .map_err(db)?;
        if found == 0 {
            return Err(StorageError::NoDevice);
        }
        Ok(())
    }

    async fn push(
        &self,
        account: AccountId,
        device: DeviceId,
        records: &[PushRecord],
        now: u64,
    ) -> Result<PushOutcome, StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        let cursor = account_cursor(&tx, account, true).await?;
        let ids: Vec<&[u8]> = records.iter().map(|r| &r.id.0[..]).collect();
        let rows = tx
            .query(
                "SELECT record_id, revision FROM records \
                 WHERE account_id = $1 AND record_id = ANY($2)",
                &[&&account.0[..], &ids],
            )
            .await
            .map_err(db)?;
        let found: std::collections::HashMap<Vec<u8>, u64> = rows
            .iter()
            .map(|row| (row.get::<_, Vec<u8>>(0), from_db(row.get(1))))
            .collect();
        let current: Vec<u64> = records
            .iter()
            .map(|r| found.get(&r.id.0[..]).copied().unwrap_or(0))
            .collect();
        let conflicts = stale(records, &current);
        if !conflicts.is_empty() {
            return Ok(PushOutcome::Conflict(conflicts));
        }
        let revisions: Vec<u64> = (1..).map(|n| cursor + n).take(records.len()).collect();
        let db_revisions: Vec<i64> = revisions.iter().map(|&r| to_db(r)).collect();
        let deleted: Vec<bool> = records.iter().map(|r| r.deleted).collect();
        let sealed: Vec<&[u8]> = records.iter().map(|r| &r.sealed.0[..]).collect();
        tx.execute(
            "INSERT INTO records \
             (account_id, record_id, revision, deleted, sealed, device_id, updated) \
             SELECT $1, r.id, r.revision, r.deleted, r.sealed, $6, $7 \
             FROM UNNEST($2::bytea[], $3::int8[], $4::bool[], $5::bytea[]) \
             AS r (id, revision, deleted, sealed) \
             ON CONFLICT (account_id, record_id) DO UPDATE SET \
             revision = excluded.revision, deleted = excluded.deleted, \
             sealed = excluded.sealed, device_id = excluded.device_id, \
             updated = excluded.updated",
            &[
                &&account.0[..],
                &ids,
                &db_revisions,
                &deleted,
                &sealed,
                &&device.0[..],
                &to_db(now),
            ],
        )
        .await
        .map_err(db)?;
        let cursor = revisions.last().copied().unwrap_or(cursor);
        tx.execute(
            "UPDATE accounts SET cursor = $2 WHERE account_id = $1",
            &[&&account.0[..], &to_db(cursor)],
        )
        .await
        .map_err(db)?;
        tx.execute(
            "SELECT pg_notify($1, $2)",
            &[&CHANNEL, &account.to_string()],
        )
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(PushOutcome::Applied { revisions, cursor })
    }

    async fn pull(&self, account: AccountId, since: u64, limit: u32) -> Result<Page, StorageError> {
        let mut client = self.client().await?;
        // One snapshot for the cursor and the rows (REPEATABLE READ): the page and the cursor
        // it reports agree even while another instance pushes.
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(db)?;
        let state = tx
            .query_opt(
                "SELECT cursor, horizon FROM accounts WHERE account_id = $1",
                &[&&account.0[..]],
            )
            .await
            .map_err(db)?
            .ok_or(StorageError::NoAccount)?;
        let rows = tx
            .query(
                "SELECT record_id, revision, deleted, sealed FROM records \
                 WHERE account_id = $1 AND revision > $2 ORDER BY revision LIMIT $3",
                &[&&account.0[..], &to_db(since), &(i64::from(limit) + 1)],
            )
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        let records = rows
            .iter()
            .map(|row| {
                Ok(Record {
                    id: RecordId::from_slice(row.get::<_, &[u8]>(0)).map_err(db)?,
                    revision: from_db(row.get(1)),
                    deleted: row.get(2),
                    sealed: Bytes(row.get(3)),
                })
            })
            .collect::<Result<Vec<_>, StorageError>>()?;
        Ok(page(records, limit, state.get(0), state.get(1)))
    }

    async fn cursor(&self, account: AccountId) -> Result<u64, StorageError> {
        let client = self.client().await?;
        account_cursor(&client, account, false).await
    }

    async fn sweep_tombstones(&self, before: u64) -> Result<u64, StorageError> {
        let before = to_db(before);
        let client = self.client().await?;
        let accounts = client
            .query(
                "SELECT DISTINCT account_id FROM records WHERE deleted AND updated < $1",
                &[&before],
            )
            .await
            .map_err(db)?;
        drop(client);
        let mut swept = 0;
        for row in accounts {
            let account: Vec<u8> = row.get(0);
            swept += self.sweep_account(&account, before).await?;
        }
        Ok(swept)
    }
}
