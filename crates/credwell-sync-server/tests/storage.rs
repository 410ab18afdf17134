//! The storage contract, on SQLite and on a real PostgreSQL.

#![allow(clippy::unwrap_used)] // A test: a failure panics right there.

mod common;

use common::Engine;
use credwell_sync::protocol::{Bytes, PushRecord};
use credwell_sync::{AccountId, DeviceId, DeviceToken, RecordId};
use credwell_sync_server::{PushOutcome, StorageError};

fn record(id: u8, base: u64, body: &[u8]) -> PushRecord {
    PushRecord {
        id: RecordId([id; 16]),
        base,
        deleted: false,
        sealed: Bytes(body.to_vec()),
    }
}

async fn account(engine: &Engine, n: u8) -> (AccountId, DeviceId) {
    let (account, device) = (AccountId([n; 16]), DeviceId([n; 16]));
    let token = DeviceToken::generate(account, device).unwrap();
    engine
        .storage
        .create_account(account, device, token.hash(), "laptop", 1_000)
        .await
        .unwrap();
    (account, device)
}

#[tokio::test(flavor = "multi_thread")]
async fn pushes_get_dense_revisions_and_a_stale_push_writes_nothing() {
    for engine in Engine::both().await {
        let s = &engine.storage;
        let (a, d) = account(&engine, 1).await;
        let first = s
            .push(a, d, &[record(1, 0, b"one"), record(2, 0, b"two")], 5)
            .await
            .unwrap();
        assert_eq!(
            first,
            PushOutcome::Applied {
                revisions: vec![1, 2],
                cursor: 2
            },
            "{}",
            engine.name
        );
        // Record 1 changed at revision 1; a writer that last saw 0 is stale.
        let stale = s
            .push(a, d, &[record(3, 0, b"three"), record(1, 0, b"old")], 6)
            .await
            .unwrap();
        assert_eq!(stale, PushOutcome::Conflict(vec![RecordId([1; 16])]));
        let page = s.pull(a, 0, 100).await.unwrap();
        assert_eq!(
            page.cursor, 2,
            "{}: the refused push moved the cursor",
            engine.name
        );
        assert_eq!(
            page.records.len(),
            2,
            "{}: the refused push wrote",
            engine.name
        );
        // Against the current revision it goes through, and a deletion is a tombstone.
        let mut gone = record(2, 2, b"tombstone");
        gone.deleted = true;
        let next = s
            .push(a, d, &[record(1, 1, b"new"), gone], 7)
            .await
            .unwrap();
        assert_eq!(
            next,
            PushOutcome::Applied {
                revisions: vec![3, 4],
                cursor: 4
            }
        );
        let page = s.pull(a, 2, 100).await.unwrap();
        let seen: Vec<_> = page
            .records
            .iter()
            .map(|r| (r.id.0[0], r.revision, r.deleted, r.sealed.0.clone()))
            .collect();
        assert_eq!(
            seen,
            vec![
                (1, 3, false, b"new".to_vec()),
                (2, 4, true, b"tombstone".to_vec())
            ],
            "{}",
            engine.name
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn pulls_page_by_revision_and_accounts_are_apart() {
    for engine in Engine::both().await {
        let s = &engine.storage;
        let (a, d) = account(&engine, 1).await;
        let (b, e) = account(&engine, 2).await;
        let records: Vec<_> = (0..25).map(|i| record(i, 0, &[i])).collect();
        s.push(a, d, &records, 1).await.unwrap();
        s.push(b, e, &[record(99, 0, b"b's")], 1).await.unwrap();
        let mut since = 0;
        let mut seen = Vec::new();
        loop {
            let page = s.pull(a, since, 10).await.unwrap();
            assert!(page.records.len() <= 10);
            seen.extend(page.records.iter().map(|r| r.revision));
            since = page.records.last().map_or(since, |r| r.revision);
            if !page.more {
                break;
            }
        }
        assert_eq!(seen, (1..=25).collect::<Vec<_>>(), "{}", engine.name);
        let other = s.pull(b, 0, 10).await.unwrap();
        assert_eq!(other.records.len(), 1, "{}", engine.name);
        assert_eq!(
            other.records[0].revision, 1,
            "{}: revisions are per account",
            engine.name
        );
        assert!(matches!(
            s.pull(AccountId([9; 16]), 0, 10).await,
            Err(StorageError::NoAccount)
        ));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn devices_are_listed_and_revoked_once() {
    for engine in Engine::both().await {
        let s = &engine.storage;
        let (a, d) = account(&engine, 1).await;
        let phone = DeviceId([7; 16]);
        let token = DeviceToken::generate(a, phone).unwrap();
        let added = s.add_device(a, phone, token.hash(), "phone", 2_000).await;
        assert_eq!(added.unwrap(), 2_000);
        // The same device again: nothing added, its first time kept; another token or name for
        // its id: refused.
        let again = s.add_device(a, phone, token.hash(), "phone", 2_500).await;
        assert_eq!(again.unwrap(), 2_000, "{}", engine.name);
        let other = DeviceToken::generate(a, phone).unwrap();
        assert!(matches!(
            s.add_device(a, phone, other.hash(), "phone", 2_600).await,
            Err(StorageError::DeviceExists)
        ));
        assert!(matches!(
            s.add_device(a, phone, token.hash(), "tablet", 2_600).await,
            Err(StorageError::DeviceExists)
        ));
        assert!(matches!(
            s.create_account(a, d, token.hash(), "again", 3).await,
            Err(StorageError::AccountExists)
        ));
        // The account's creation again, exactly: nothing created, its first time kept. Its
        // first device with another token or name, another first device, or a device added
        // later named as the first: refused, and the account left as it was.
        let first = DeviceToken::generate(a, d).unwrap();
        let created = s.create_account(a, d, first.hash(), "laptop", 9_000).await;
        assert!(
            matches!(created, Err(StorageError::AccountExists)),
            "{}: another token for the first device",
            engine.name
        );
        let kept = s.device(a, d).await.unwrap().unwrap().token_hash;
        let again = s.create_account(a, d, kept, "laptop", 9_000).await;
        assert_eq!(again.unwrap(), 1_000, "{}", engine.name);
        for (device, hash, name) in [
            (d, kept, "tablet"),
            (DeviceId([9; 16]), kept, "laptop"),
            (phone, token.hash(), "phone"),
        ] {
            let refused = s.create_account(a, device, hash, name, 9_000).await;
            assert!(
                matches!(refused, Err(StorageError::AccountExists)),
                "{}: {name}: {refused:?}",
                engine.name
            );
        }
        assert!(matches!(
            s.add_device(AccountId([5; 16]), phone, token.hash(), "x", 3)
                .await,
            Err(StorageError::NoAccount)
        ));
        s.revoke(a, phone, 3_000).await.unwrap();
        s.revoke(a, phone, 4_000).await.unwrap();
        let devices = s.devices(a).await.unwrap();
        let listed: Vec<_> = devices
            .iter()
            .map(|x| (x.name.as_str(), x.created, x.revoked))
            .collect();
        assert_eq!(
            listed,
            vec![("laptop", 1_000, None), ("phone", 2_000, Some(3_000))],
            "{}",
            engine.name
        );
        let stored = s.device(a, phone).await.unwrap().unwrap();
        assert!(stored.token_hash.matches(&token.hash()));
        assert_eq!(stored.revoked, Some(3_000));
        assert!(s.device(a, DeviceId([8; 16])).await.unwrap().is_none());
        assert!(matches!(
            s.revoke(a, DeviceId([8; 16]), 5).await,
            Err(StorageError::NoDevice)
        ));
    }
}

/// Many writers at once on one account (on PostgreSQL: from two pools, as two instances
/// would): every acknowledged write is there, with a revision no other write has.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_pushes_never_share_a_revision_or_lose_an_acknowledged_write() {
    for engine in Engine::both().await {
        let (a, d) = account(&engine, 1).await;
        let second = match &engine.url {
            Some(url) => std::sync::Arc::new(
                credwell_sync_server::storage::postgres::PostgresStorage::connect(url)
                    .await
                    .unwrap(),
            ) as std::sync::Arc<dyn credwell_sync_server::Storage>,
            None => engine.storage.clone(),
        };
        let mut tasks = Vec::new();
        for writer in 0..8u8 {
            let s = if writer % 2 == 0 {
                engine.storage.clone()
            } else {
                second.clone()
            };
            tasks.push(tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                for n in 0..20u8 {
                    let id = writer * 20 + n;
                    let outcome = s.push(a, d, &[record(id, 0, &[id])], 1).await.unwrap();
                    let PushOutcome::Applied { revisions, .. } = outcome else {
                        panic!("a new record conflicted");
                    };
                    acknowledged.push((id, revisions[0]));
                }
                acknowledged
            }));
        }
        let mut acknowledged = Vec::new();
        for task in tasks {
            acknowledged.extend(task.await.unwrap());
        }
        let page = engine.storage.pull(a, 0, 1000).await.unwrap();
        let mut stored: Vec<_> = page
            .records
            .iter()
            .map(|r| (r.id.0[0], r.revision))
            .collect();
        stored.sort_unstable();
        acknowledged.sort_unstable();
        assert_eq!(stored, acknowledged, "{}", engine.name);
        let mut revisions: Vec<_> = stored.iter().map(|(_, r)| *r).collect();
        revisions.sort_unstable();
        assert_eq!(revisions, (1..=160).collect::<Vec<_>>(), "{}", engine.name);
        assert_eq!(page.cursor, 160);
    }
}
