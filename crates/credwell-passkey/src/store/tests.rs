//! The in-memory store, including every error it returns.

use futures::executor::block_on;

use super::*;
use crate::record::{Algorithm, PrivateKey};

fn record(rp_id: &str, id: u8) -> PasskeyRecord {
    PasskeyRecord {
        rp_id: rp_id.into(),
        credential_id: vec![id; 16],
        user_handle: vec![id],
        user_name: format!("user{id}"),
        user_display_name: format!("User {id}"),
        algorithm: Algorithm::Es256,
        private_key: PrivateKey::from_bytes(vec![id; 32]),
        created_at: u64::from(id),
        prf: None,
        large_blob: None,
        hidden: false,
    }
}

#[test]
fn insert_list_find_update_delete() {
    let store = MemoryPasskeyStore::new();
    assert!(store.is_empty());
    block_on(async {
        store.insert(record("a.example", 1)).await.unwrap();
        store.insert(record("b.example", 2)).await.unwrap();
        store.insert(record("a.example", 3)).await.unwrap();
        let ids = |v: Vec<PasskeyRecord>| {
            v.into_iter()
                .map(|r| r.credential_id[0])
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(store.list("a.example").await.unwrap()), [1, 3]);
        assert_eq!(ids(store.list("example").await.unwrap()), Vec::<u8>::new());
        assert_eq!(
            store.find(&[2; 16]).await.unwrap().unwrap().rp_id,
            "b.example"
        );
        assert!(store.find(&[4; 16]).await.unwrap().is_none());

        let mut renamed = record("a.example", 3);
        renamed.user_name = "renamed".into();
        store.update(renamed).await.unwrap();
        assert_eq!(
            store.find(&[3; 16]).await.unwrap().unwrap().user_name,
            "renamed"
        );

        // Moving a passkey to another RP ID moves it in the index.
        store.update(record("c.example", 3)).await.unwrap();
        assert_eq!(ids(store.list("a.example").await.unwrap()), [1]);
        assert_eq!(ids(store.list("c.example").await.unwrap()), [3]);
        store.update(record("a.example", 3)).await.unwrap();
        assert!(store.list("c.example").await.unwrap().is_empty());
        assert_eq!(ids(store.list("a.example").await.unwrap()), [1, 3]);

        assert!(store.delete(&[1; 16]).await.unwrap());
        assert!(!store.delete(&[1; 16]).await.unwrap());
        assert_eq!(ids(store.all()), [2, 3]);
        assert_eq!(store.len(), 2);
    });
}

#[test]
fn duplicate_ids_and_missing_records_are_errors() {
    let store = MemoryPasskeyStore::new();
    block_on(async {
        store.insert(record("a.example", 1)).await.unwrap();
        assert_eq!(
            store.insert(record("b.example", 1)).await,
            Err(PasskeyStoreError::DuplicateCredentialId)
        );
        assert_eq!(
            store.update(record("a.example", 2)).await,
            Err(PasskeyStoreError::NotFound)
        );
    });
    assert_eq!(store.len(), 1);
}

#[test]
fn an_arc_is_the_store_it_points_to() {
    let store = std::sync::Arc::new(MemoryPasskeyStore::new());
    block_on(async {
        store.insert(record("a.example", 1)).await.unwrap();
        PasskeyStore::update(&store, record("a.example", 1))
            .await
            .unwrap();
        assert_eq!(
            PasskeyStore::list(&store, "a.example").await.unwrap().len(),
            1
        );
        assert!(
            PasskeyStore::find(&store, &[1; 16])
                .await
                .unwrap()
                .is_some()
        );
        assert!(PasskeyStore::delete(&store, &[1; 16]).await.unwrap());
    });
    assert!(store.is_empty());
}
