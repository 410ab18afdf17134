//! An update writes the indexed columns (the kind and the two blind indexes) only when they
//! change: a credential updated in place is still found through every index, one moved to
//! another origin only through its new ones, and the vault still verifies.

#![allow(clippy::unwrap_used)] // Test helpers: a failure should panic right there.

use std::path::Path;

use credwell_core::{
    Credential, CredentialType, Origin, Password, PasswordCredential, RecordId, Site, Timestamp,
};
use credwell_vault::{Change, KdfParams, Vault};

const PASS: &[u8] = b"index columns test";

fn login(origin: &str, user: &str, password: &str) -> Credential {
    Credential::Password(PasswordCredential {
        id: user.into(),
        password: Password::new(password),
        name: String::new(),
        icon_url: String::new(),
        origin: Origin::parse(origin).unwrap(),
    })
}

fn site(origin: &str) -> Site {
    Origin::parse(origin).unwrap().site().unwrap().clone()
}

/// The vault at `path` with a trigger that logs the id of every row an UPDATE writes the
/// indexed columns of: SQLite runs an `UPDATE OF column` trigger when the statement sets the
/// column, whatever the value (as it rewrites the column's index entries).
fn vault_logging_index_writes(path: &Path) -> Vault {
    drop(Vault::create(path, PASS, KdfParams::INSECURE_FOR_TESTS).unwrap());
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "CREATE TABLE index_writes (id INTEGER NOT NULL);
         CREATE TRIGGER log_index_writes AFTER UPDATE OF kind, origin_index, site_index
         ON records BEGIN INSERT INTO index_writes VALUES (new.id); END;",
    )
    .unwrap();
    drop(conn);
    Vault::open(path, PASS).unwrap()
}

fn index_writes(path: &Path) -> Vec<i64> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn.prepare("SELECT id FROM index_writes").unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The passwords stored for `origin`, and for `origin`'s site.
fn found(vault: &Vault, origin: &str) -> (Vec<String>, Vec<String>) {
    let passwords = |listed: Vec<credwell_core::StoredCredential>| -> Vec<String> {
        listed
            .into_iter()
            .map(|s| match s.credential {
                Credential::Password(p) => p.password.expose().to_owned(),
                other => panic!("not a password credential: {other:?}"),
            })
            .collect()
    };
    let by_origin = vault
        .list_origin(&Origin::parse(origin).unwrap(), CredentialType::Password)
        .unwrap();
    let by_site = vault
        .list_site(&site(origin), CredentialType::Password)
        .unwrap();
    (passwords(by_origin), passwords(by_site))
}

#[test]
fn an_update_for_the_same_origin_leaves_the_index_entries_and_is_found_by_each() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.sqlite");
    let vault = vault_logging_index_writes(&path);
    let alice = vault
        .add_credential(
            &login("https://a.example.com", "alice", "one"),
            Timestamp(1),
        )
        .unwrap();
    let bob = vault
        .add_credential(&login("https://b.example.net", "bob", "two"), Timestamp(1))
        .unwrap();
    // A single update, and many in one write (the import's), all for the same origins.
    assert!(
        vault
            .update_credential(
                alice,
                &login("https://a.example.com", "alice", "three"),
                Timestamp(2)
            )
            .unwrap()
    );
    let many: Vec<Change> = (0..3)
        .flat_map(|n| {
            [
                Change::Update(bob, login("https://b.example.net", "bob", &format!("b{n}"))),
                Change::Update(
                    alice,
                    login("https://a.example.com", "alice", &format!("a{n}")),
                ),
            ]
        })
        .collect();
    vault.apply(&many, Timestamp(3), &mut || {}).unwrap();
    assert_eq!(index_writes(&path), Vec::<i64>::new());

    assert_eq!(
        found(&vault, "https://a.example.com"),
        (vec!["a2".to_owned()], vec!["a2".to_owned()])
    );
    assert_eq!(
        found(&vault, "https://b.example.net"),
        (vec!["b2".to_owned()], vec!["b2".to_owned()])
    );
    let stored = vault.get(alice).unwrap().unwrap();
    assert_eq!(stored.created, Timestamp(1));
    assert_eq!(stored.updated, Timestamp(3));
    assert!(vault.check(&mut |_, _| {}).unwrap().is_clean());
    drop(vault);
    let vault = Vault::open(&path, PASS).unwrap();
    assert_eq!(
        found(&vault, "https://a.example.com"),
        (vec!["a2".to_owned()], vec!["a2".to_owned()])
    );
}

#[test]
fn an_update_to_another_origin_moves_its_index_entries() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.sqlite");
    let vault = vault_logging_index_writes(&path);
    let record = vault
        .add_credential(
            &login("https://a.example.com", "alice", "one"),
            Timestamp(1),
        )
        .unwrap();
    let id = i64::try_from(record.0).unwrap();
    // Another origin of the same site: the origin index changes, the site's does not.
    vault
        .apply(
            &[Change::Update(
                record,
                login("https://www.example.com", "alice", "two"),
            )],
            Timestamp(2),
            &mut || {},
        )
        .unwrap();
    assert_eq!(index_writes(&path), [id]);
    assert_eq!(
        found(&vault, "https://a.example.com"),
        (vec![], vec!["two".to_owned()])
    );
    assert_eq!(
        found(&vault, "https://www.example.com"),
        (vec!["two".to_owned()], vec!["two".to_owned()])
    );
    // Another site: both change.
    vault
        .apply(
            &[Change::Update(
                record,
                login("https://other.example.org", "alice", "three"),
            )],
            Timestamp(3),
            &mut || {},
        )
        .unwrap();
    assert_eq!(index_writes(&path), [id, id]);
    assert_eq!(found(&vault, "https://www.example.com"), (vec![], vec![]));
    assert_eq!(
        found(&vault, "https://other.example.org"),
        (vec!["three".to_owned()], vec!["three".to_owned()])
    );
    assert!(vault.check(&mut |_, _| {}).unwrap().is_clean());
    drop(vault);
    let vault = Vault::open(&path, PASS).unwrap();
    assert_eq!(
        vault.get(RecordId(record.0)).unwrap().unwrap().updated,
        Timestamp(3)
    );
}
