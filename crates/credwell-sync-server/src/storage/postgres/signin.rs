//! [`PostgresStorage`]'s side of signing in: the server's OPAQUE setup, the accounts' OPAQUE
//! records and wrapped keys, and sign-ins in progress with their per-account limit.

use async_trait::async_trait;
use credwell_sync::protocol::WrappedKey;
use credwell_sync::{AccountId, LoginId};
use zeroize::Zeroizing;

use super::{PostgresStorage, account_cursor, db, insert_device};
use crate::storage::{
    LoginCutoffs, NewDevice, OpaqueRecord, SignInStorage, StorageError, may_attempt, replaces,
    to_db,
};

#[async_trait]
impl SignInStorage for PostgresStorage {
    async fn server_setup(&self, fresh: &[u8]) -> Result<Zeroizing<Vec<u8>>, StorageError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO server_setup (id, setup) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
                &[&fresh],
            )
            .await
            .map_err(db)?;
        let row = client
            .query_one("SELECT setup FROM server_setup WHERE id = 1", &[])
            .await
            .map_err(db)?;
        Ok(Zeroizing::new(row.get(0)))
    }

    async fn set_opaque(
        &self,
        account: AccountId,
        record: &[u8],
        wrapped: &WrappedKey,
        previous: u32,
        now: u64,
    ) -> Result<(), StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        // The account's row, locked: two registrations of one account take turns.
        account_cursor(&tx, account, true).await?;
        let stored = tx
            .query_opt(
                "SELECT key_version FROM opaque WHERE account_id = $1",
                &[&&account.0[..]],
            )
            .await
            .map_err(db)?;
        replaces(stored.map(|row| row.get(0)), previous)?;
        tx.execute(
            "INSERT INTO opaque (account_id, record, key_version, wrapped, updated) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id) DO UPDATE SET \
         record = excluded.record, key_version = excluded.key_version, \
         wrapped = excluded.wrapped, updated = excluded.updated",
            &[
                &&account.0[..],
                &record,
                &i64::from(wrapped.version),
                &&wrapped.sealed.0[..],
                &to_db(now),
            ],
        )
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    async fn opaque(&self, account: AccountId) -> Result<Option<OpaqueRecord>, StorageError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT record, key_version, wrapped FROM opaque WHERE account_id = $1",
                &[&&account.0[..]],
            )
            .await
            .map_err(db)?;
        Ok(row.map(|row| OpaqueRecord::from_row(row.get(0), row.get(1), row.get(2))))
    }

    async fn begin_login(
        &self,
        account: AccountId,
        login: LoginId,
        state: &[u8],
        now: u64,
    ) -> Result<(), StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        // Sign-ins of one account (known or not: it may have no row to lock) take turns, so
        // that two cannot both pass the count below.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&login_lock(account)])
            .await
            .map_err(db)?;
        let cutoffs = LoginCutoffs::at(now);
        tx.execute("DELETE FROM logins WHERE created < $1", &[&cutoffs.window])
            .await
            .map_err(db)?;
        tx.execute(
            "UPDATE logins SET state = NULL WHERE created < $1 AND state IS NOT NULL",
            &[&cutoffs.fresh],
        )
        .await
        .map_err(db)?;
        let attempts: i64 = tx
            .query_one(
                "SELECT count(*) FROM logins WHERE account_id = $1",
                &[&&account.0[..]],
            )
            .await
            .map_err(db)?
            .get(0);
        may_attempt(attempts)?;
        tx.execute(
            "INSERT INTO logins (account_id, login_id, state, created) VALUES ($1, $2, $3, $4)",
            &[&&account.0[..], &&login.0[..], &state, &to_db(now)],
        )
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    async fn take_login(
        &self,
        account: AccountId,
        login: LoginId,
        now: u64,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, StorageError> {
        let client = self.client().await?;
        let fresh = LoginCutoffs::at(now).fresh;
        // One statement: of two finishes of one sign-in, only one gets the state.
        let row = client
            .query_opt(
                "UPDATE logins SET state = NULL WHERE account_id = $1 AND login_id = $2 \
             AND state IS NOT NULL AND created >= $3 \
             RETURNING (SELECT state FROM logins \
               WHERE account_id = $1 AND login_id = $2)",
                &[&&account.0[..], &&login.0[..], &fresh],
            )
            .await
            .map_err(db)?;
        Ok(row.map(|row| Zeroizing::new(row.get(0))))
    }

    async fn end_login(
        &self,
        account: AccountId,
        device: Option<NewDevice<'_>>,
        now: u64,
    ) -> Result<(), StorageError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db)?;
        account_cursor(&tx, account, true).await?;
        tx.execute(
            "DELETE FROM logins WHERE account_id = $1",
            &[&&account.0[..]],
        )
        .await
        .map_err(db)?;
        if let Some(d) = device {
            insert_device(&tx, account, d.device, d.token_hash, d.name, now).await?;
        }
        tx.commit().await.map_err(db)
    }
}

/// The advisory lock of an account's sign-ins: its id's first 8 bytes (two accounts sharing
/// one only take turns).
fn login_lock(account: AccountId) -> i64 {
    let mut first = [0; 8];
    first.copy_from_slice(&account.0[..8]);
    i64::from_be_bytes(first)
}
