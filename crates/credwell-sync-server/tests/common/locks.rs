//! Holding the PostgreSQL storage in the middle of a push: a row the test locks, and a wait
//! until a push waits for it.

use std::time::Duration;

use credwell_sync::{AccountId, RecordId};

/// A row of `records` locked by a transaction of the test's own, so that a push writing it
/// waits in the middle of its transaction.
pub async fn lock_row(url: &str, account: AccountId, record: RecordId) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client.batch_execute("BEGIN").await.unwrap();
    let rows = client
        .query(
            "SELECT 1 FROM records WHERE account_id = $1 AND record_id = $2 FOR UPDATE",
            &[&&account.0[..], &&record.0[..]],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "the row to lock is stored");
    client
}

/// Waits until a session of the database at `url` waits for a lock.
pub async fn lock_waited_for(url: &str) {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    for _ in 0..1_000 {
        let row = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity \
                 WHERE wait_event_type = 'Lock' AND datname = current_database()",
                &[],
            )
            .await
            .unwrap();
        if row.get::<_, i64>(0) > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no push came to wait for the locked row");
}
