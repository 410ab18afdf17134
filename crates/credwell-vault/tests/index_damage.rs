//! A damaged index b-tree is refused at unlock and by `check`, although every row of the table
//! still verifies: an entry missing, an entry too many, entries with other values.
//!
//! Each damage is made the way a file editor could: the index's definition in the schema is
//! changed (`writable_schema`) so that SQLite builds or maintains its b-tree for another
//! definition, then put back, leaving a b-tree that no longer matches the table.

#![allow(clippy::unwrap_used)] // Test helpers: a failure should panic right there.

use std::path::Path;

use credwell_core::{
    Credential, CredentialType, Origin, Password, PasswordCredential, RecordId, Timestamp,
};
use credwell_vault::{KdfParams, Vault, VaultError};

const PASS: &[u8] = b"index damage test";

/// The definitions of the two indexes, as the schema has them.
const BY_ORIGIN: &str = "CREATE INDEX records_by_origin ON records (origin_index, kind)";
const BY_SITE: &str = "CREATE INDEX records_by_site ON records (site_index, kind)";

fn login(origin: &str, user: &str) -> Credential {
    Credential::Password(PasswordCredential {
        id: user.into(),
        password: Password::new(format!("pw-{user}")),
        name: String::new(),
        icon_url: String::new(),
        origin: Origin::parse(origin).unwrap(),
    })
}

/// A vault of three credentials on two sites; the record ids.
fn vault(path: &Path) -> Vec<RecordId> {
    let vault = Vault::create(path, PASS, KdfParams::INSECURE_FOR_TESTS).unwrap();
    let ids = [
        ("https://a.example.com", "alice"),
        ("https://b.example.com", "bob"),
        ("https://c.example.org", "carol"),
    ]
    .iter()
    .map(|(origin, user)| {
        vault
            .add_credential(&login(origin, user), Timestamp(1))
            .unwrap()
    })
    .collect();
    assert!(vault.check(&mut |_, _| {}).unwrap().is_clean());
    ids
}

/// Gives index `name` the definition `sql` in the schema, leaving its b-tree as it is; the
/// next connection reads the new definition.
fn define(path: &Path, name: &str, sql: &str) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch("PRAGMA writable_schema = ON").unwrap();
    let changed = conn
        .execute(
            "UPDATE sqlite_schema SET sql = ?1 WHERE type = 'index' AND name = ?2",
            [sql, name],
        )
        .unwrap();
    assert_eq!(changed, 1);
}

/// Builds index `name` again as `built` (another index's columns, or a partial index), then
/// gives it back its own definition `sql` in the schema: its b-tree is then wrong for it.
fn rebuild_as(path: &Path, name: &str, built: &str, sql: &str) {
    run(path, &format!("DROP INDEX {name}; {built};"));
    define(path, name, sql);
}

/// Runs `sql` on the file.
fn run(path: &Path, sql: &str) {
    rusqlite::Connection::open(path)
        .unwrap()
        .execute_batch(sql)
        .unwrap();
}

/// The unlock refuses the vault, naming the integrity check.
fn assert_refused(path: &Path) {
    let error = Vault::open(path, PASS).unwrap_err();
    assert!(matches!(error, VaultError::IntegrityMismatch), "{error:?}");
}

/// Every row still opens: only the index is wrong.
fn assert_rows_intact(path: &Path, ids: &[RecordId]) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let rows: i64 = conn
        .query_row("SELECT COUNT(*) FROM records NOT INDEXED", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, ids.len() as i64);
}

#[test]
fn an_index_without_one_row_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.sqlite");
    let ids = vault(&path);
    // Built again as a partial index without the second row, then called whole again.
    rebuild_as(
        &path,
        "records_by_site",
        &format!("{BY_SITE} WHERE id <> {}", ids[1].0),
        BY_SITE,
    );
    assert_rows_intact(&path, &ids);
    // The damage is real: a lookup through the index misses the row.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let by_site: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM records INDEXED BY records_by_site WHERE site_index = \
             (SELECT site_index FROM records NOT INDEXED WHERE id = ?1)",
            [ids[1].0 as i64],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(by_site, 1, "only alice's row is found for example.com");
    drop(conn);
    assert_refused(&path);
}

#[test]
fn an_index_with_an_entry_too_many_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.sqlite");
    let ids = vault(&path);
    // A row added, its index entry kept when the row is deleted again: the table is as it
    // was (the accumulator matches), the index has an entry for a row that is not there.
    run(
        &path,
        "INSERT INTO records (id, kind, origin_index, site_index, revision, created, updated, \
         sealed) SELECT 99, kind, origin_index, site_index, revision, created, updated, sealed \
         FROM records WHERE id = 1",
    );
    define(
        &path,
        "records_by_origin",
        "CREATE INDEX records_by_origin ON records (origin_index, kind) WHERE id <> 99",
    );
    run(&path, "DELETE FROM records WHERE id = 99");
    define(&path, "records_by_origin", BY_ORIGIN);
    assert_rows_intact(&path, &ids);
    assert_refused(&path);
}

#[test]
fn an_index_of_other_values_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.sqlite");
    let ids = vault(&path);
    // Built over the origin column, then called the site's index: one entry per row, the
    // right ids and kinds, the wrong values.
    rebuild_as(
        &path,
        "records_by_site",
        "CREATE INDEX records_by_site ON records (origin_index, kind)",
        BY_SITE,
    );
    assert_rows_intact(&path, &ids);
    assert_refused(&path);
}

#[test]
fn a_damaged_index_built_again_opens_and_finds_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.sqlite");
    let ids = vault(&path);
    rebuild_as(
        &path,
        "records_by_origin",
        &format!("{BY_ORIGIN} WHERE id <> {}", ids[0].0),
        BY_ORIGIN,
    );
    assert_refused(&path);
    // SQLite builds the index again from the table: nothing to refuse any more.
    run(&path, "REINDEX records_by_origin");
    let vault = Vault::open(&path, PASS).unwrap();
    let report = vault.check(&mut |_, _| {}).unwrap();
    assert!(report.is_clean(), "{report:?}");
    for origin in [
        "https://a.example.com",
        "https://b.example.com",
        "https://c.example.org",
    ] {
        let found = vault
            .list_origin(&Origin::parse(origin).unwrap(), CredentialType::Password)
            .unwrap();
        assert_eq!(found.len(), 1, "{origin}");
    }
}
