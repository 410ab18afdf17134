//! [`SqliteStorage`]'s side of signing in: the server's OPAQUE setup, the accounts' OPAQUE
//! records and wrapped keys, and sign-ins in progress with their per-account limit.

use async_trait::async_trait;
use credwell_sync::protocol::WrappedKey;
use credwell_sync::{AccountId, LoginId};
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use zeroize::Zeroizing;

use super::{SqliteStorage, account_cursor, db, insert_device};
use crate::storage::{
    LoginCutoffs, NewDevice, OpaqueRecord, SignInStorage, StorageError, may_attempt, replaces,
    to_db,
};

#[async_trait]
impl SignInStorage for SqliteStorage {
    async fn server_setup(&self, fresh: &[u8]) -> Result<Zeroizing<Vec<u8>>, StorageError> {
        let fresh = Zeroizing::new(fresh.to_vec());
        self.with(move |conn| {
            conn.execute(
                "INSERT INTO server_setup (id, setup) VALUES (1, ?1) ON CONFLICT (id) DO NOTHING",
                [&*fresh],
            )
            .map_err(db)?;
            conn.query_row("SELECT setup FROM server_setup WHERE id = 1", [], |r| {
                r.get::<_, Vec<u8>>(0)
            })
            .map(Zeroizing::new)
            .map_err(db)
        })
        .await
    }

    async fn set_opaque(
        &self,
        account: AccountId,
        record: &[u8],
        wrapped: &WrappedKey,
        previous: u32,
        now: u64,
    ) -> Result<(), StorageError> {
        let (record, wrapped) = (record.to_vec(), wrapped.clone());
        self.with(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            account_cursor(&tx, account)?;
            let stored = tx
                .query_row(
                    "SELECT key_version FROM opaque WHERE account_id = ?1",
                    [account.0],
                    |r| r.get::<_, i64>(0),
                )
                .optional()
                .map_err(db)?;
            replaces(stored, previous)?;
            tx.execute(
                "INSERT INTO opaque (account_id, record, key_version, wrapped, updated) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (account_id) DO UPDATE SET \
             record = excluded.record, key_version = excluded.key_version, \
             wrapped = excluded.wrapped, updated = excluded.updated",
                params![
                    account.0,
                    record,
                    i64::from(wrapped.version),
                    wrapped.sealed.0,
                    to_db(now)
                ],
            )
            .map_err(db)?;
            tx.commit().map_err(db)
        })
        .await
    }

    async fn opaque(&self, account: AccountId) -> Result<Option<OpaqueRecord>, StorageError> {
        self.with(move |conn| {
            let row = conn
                .query_row(
                    "SELECT record, key_version, wrapped FROM opaque WHERE account_id = ?1",
                    [account.0],
                    |r| {
                        Ok((
                            r.get::<_, Vec<u8>>(0)?,
                            r.get::<_, i64>(1)?,
                            r.get::<_, Vec<u8>>(2)?,
                        ))
                    },
                )
                .optional()
                .map_err(db)?;
            Ok(row
                .map(|(record, version, wrapped)| OpaqueRecord::from_row(record, version, wrapped)))
        })
        .await
    }

    async fn begin_login(
        &self,
        account: AccountId,
        login: LoginId,
        state: &[u8],
        now: u64,
    ) -> Result<(), StorageError> {
        let state = state.to_vec();
        self.with(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            let cutoffs = LoginCutoffs::at(now);
            tx.execute("DELETE FROM logins WHERE created < ?1", [cutoffs.window])
                .map_err(db)?;
            tx.execute(
                "UPDATE logins SET state = NULL WHERE created < ?1 AND state IS NOT NULL",
                [cutoffs.fresh],
            )
            .map_err(db)?;
            let attempts = tx
                .query_row(
                    "SELECT count(*) FROM logins WHERE account_id = ?1",
                    [account.0],
                    |r| r.get::<_, i64>(0),
                )
                .map_err(db)?;
            may_attempt(attempts)?;
            tx.execute(
                "INSERT INTO logins (account_id, login_id, state, created) VALUES (?1, ?2, ?3, ?4)",
                params![account.0, login.0, state, to_db(now)],
            )
            .map_err(db)?;
            tx.commit().map_err(db)
        })
        .await
    }

    async fn take_login(
        &self,
        account: AccountId,
        login: LoginId,
        now: u64,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError> {
        self.with(move |conn| {
            let fresh = LoginCutoffs::at(now).fresh;
            // One transaction that holds the write lock: of two finishes of one sign-in, only one
            // gets the state.
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            let state = tx
                .query_row(
                    "SELECT state FROM logins WHERE account_id = ?1 AND login_id = ?2 \
                 AND state IS NOT NULL AND created >= ?3",
                    params![account.0, login.0, fresh],
                    |r| r.get::<_, Vec<u8>>(0).map(Zeroizing::new),
                )
                .optional()
                .map_err(db)?;
            if state.is_some() {
                tx.execute(
                    "UPDATE logins SET state = NULL WHERE account_id = ?1 AND login_id = ?2",
                    params![account.0, login.0],
                )
                .map_err(db)?;
                tx.commit().map_err(db)?;
            }
            Ok(state)
        })
        .await
    }

    async fn end_login(
        &self,
        account: AccountId,
        device: Option<NewDevice<'_>>,
        now: u64,
    ) -> Result<(), StorageError> {
        let device = device.map(|d| (d.device, d.token_hash, d.name.to_owned()));
        self.with(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            account_cursor(&tx, account)?;
            tx.execute("DELETE FROM logins WHERE account_id = ?1", [account.0])
                .map_err(db)?;
            if let Some((device, hash, name)) = device {
                insert_device(&tx, account, device, hash, &name, now)?;
            }
            tx.commit().map_err(db)
        })
        .await
    }
}
