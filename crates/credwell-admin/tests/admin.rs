//! The administrative operations give the same results over the encrypted vault and in memory:
//! the command line's unit tests run over `MemoryVault` and stand for the vault.

#![allow(clippy::unwrap_used)] // Test helpers: a failure should panic right there.

use credwell_admin::{AdminError, Change, MemoryVault, VaultAdmin};
use credwell_core::{Credential, Origin, Password, PasswordCredential, RecordId, Timestamp};
use credwell_passkey::{Algorithm, PasskeyRecord, PrivateKey};
use credwell_vault::{KdfParams, Vault};

fn password(origin: &str, user: &str, pw: &str) -> Credential {
    Credential::Password(PasswordCredential {
        id: user.into(),
        password: Password::new(pw),
        name: String::new(),
        icon_url: String::new(),
        origin: Origin::parse(origin).unwrap(),
    })
}

fn passkey(id: u8, name: &str) -> PasskeyRecord {
    PasskeyRecord {
        rp_id: "example.com".into(),
        credential_id: vec![id; 16],
        user_handle: vec![id],
        user_name: name.into(),
        user_display_name: String::new(),
        algorithm: Algorithm::Es256,
        private_key: PrivateKey::from_bytes(vec![id; 32]),
        created_at: u64::from(id),
        prf: None,
        large_blob: None,
        hidden: false,
    }
}

/// What a store holds, in a form both stores give alike: (user, password) per credential and
/// user name per passkey, in order.
type Contents = (Vec<(String, String)>, Vec<String>);

fn contents(store: &impl VaultAdmin) -> Contents {
    let credentials = store
        .all_credentials()
        .unwrap()
        .into_iter()
        .map(|r| match r.credential {
            Credential::Password(p) => (p.id, p.password.expose().to_owned()),
            other => panic!("{other:?}"),
        })
        .collect();
    let passkeys = store
        .passkey_records()
        .unwrap()
        .into_iter()
        .map(|(_, p)| p.user_name)
        .collect();
    (credentials, passkeys)
}

fn exercise(store: &impl VaultAdmin) -> Vec<Contents> {
    let mut seen = Vec::new();
    let now = Timestamp(5);
    let a = store
        .insert_credential(password("https://a.example", "alice", "one"), now)
        .unwrap();
    let b = store
        .insert_credential(password("https://b.example", "bob", "two"), now)
        .unwrap();
    assert_eq!(
        store.credentials_page(a, 10).unwrap()[0].record,
        b,
        "a page starts after the cursor"
    );
    assert_eq!(store.credentials_page(RecordId(0), 1).unwrap().len(), 1);
    assert!(
        store
            .replace_credential(a, password("https://a.example", "alice", "new"), now)
            .unwrap()
    );
    assert_eq!(store.credential(a).unwrap().unwrap().updated, now);
    seen.push(contents(store));

    let changes = vec![
        Change::Add(password("https://c.example", "carol", "three")),
        Change::AddPasskey(passkey(1, "first")),
        Change::AddPasskey(passkey(2, "second")),
    ];
    let mut steps = 0;
    store
        .apply_changes(changes, now, &mut || steps += 1)
        .unwrap();
    assert_eq!(steps, 3);
    seen.push(contents(store));

    // A batch with a change that cannot be made changes nothing.
    let refused = store.apply_changes(
        vec![
            Change::Add(password("https://d.example", "dave", "four")),
            Change::UpdatePasskey(passkey(9, "nobody")),
        ],
        now,
        &mut || {},
    );
    assert!(
        matches!(
            refused,
            Err(AdminError::NoSuchPasskey | AdminError::Vault(_))
        ),
        "{refused:?}"
    );
    let duplicate = store.apply_changes(
        vec![Change::AddPasskey(passkey(1, "again"))],
        now,
        &mut || {},
    );
    assert!(duplicate.is_err());
    seen.push(contents(store));

    store
        .apply_changes(
            vec![Change::UpdatePasskey(passkey(2, "renamed"))],
            now,
            &mut || {},
        )
        .unwrap();
    let (first, _) = store.passkey_records().unwrap()[0].clone();
    assert!(store.delete_passkey_record(first).unwrap());
    assert!(store.delete_passkey(&[2; 16]).unwrap());
    assert!(!store.delete_passkey(&[2; 16]).unwrap());
    assert!(store.delete_credential(b).unwrap());
    assert!(!store.delete_credential(b).unwrap());
    assert!(!store.delete_damaged(a).unwrap(), "nothing is damaged");
    let readable = store.readable().unwrap();
    assert!(readable.damaged.is_empty());
    assert_eq!(readable.credentials.len(), 2);
    seen.push(contents(store));
    seen
}

#[test]
fn the_vault_and_memory_administer_alike() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::create(
        &dir.path().join("vault.sqlite"),
        b"pass",
        KdfParams::INSECURE_FOR_TESTS,
    )
    .unwrap();
    let on_disk = exercise(&vault);
    let in_memory = exercise(&MemoryVault::new());
    assert_eq!(on_disk, in_memory);
    assert_eq!(
        on_disk.last().unwrap(),
        &(
            vec![
                ("alice".to_owned(), "new".to_owned()),
                ("carol".to_owned(), "three".to_owned())
            ],
            vec![]
        )
    );
}
