//! Password history and dated writes: a replaced password is kept, sealed like every field;
//! imports write the times they are given; records written before the history open as before.

#![allow(clippy::unwrap_used)] // Test helpers: a failure should panic right there.

mod common;

use common::{PASS, new_vault};

use std::path::Path;

use credwell_core::{
    Credential, DatedCredential, Origin, Password, PasswordCredential, PastPassword, RecordId,
    Timestamp,
};
use credwell_vault::{Change, KdfParams, Vault};

fn password(id: &str, pw: &str) -> Credential {
    Credential::Password(PasswordCredential {
        id: id.into(),
        password: Password::new(pw),
        name: String::new(),
        icon_url: String::new(),
        origin: Origin::parse("https://a.example").unwrap(),
    })
}

fn history(vault: &Vault, record: RecordId) -> Vec<(String, u64)> {
    vault
        .get(record)
        .unwrap()
        .unwrap()
        .history
        .iter()
        .map(|h| (h.password.expose().to_owned(), h.replaced.0))
        .collect()
}

#[test]
fn an_update_keeps_the_replaced_password_and_survives_a_key_rotation() {
    let (dir, path, mut vault) = new_vault();
    let id = vault
        .add_credential(&password("alice", "first"), Timestamp(10))
        .unwrap();
    assert!(history(&vault, id).is_empty());
    // The same password again (a rename): nothing to keep.
    vault
        .update_credential(id, &password("alice", "first"), Timestamp(15))
        .unwrap();
    assert!(history(&vault, id).is_empty());
    vault
        .update_credential(id, &password("alice", "second"), Timestamp(20))
        .unwrap();
    vault
        .update_credential(id, &password("alice", "third"), Timestamp(30))
        .unwrap();
    let want = [("first".to_owned(), 20), ("second".to_owned(), 30)];
    assert_eq!(history(&vault, id), want);
    let stored = vault.get(id).unwrap().unwrap();
    assert_eq!(
        (stored.created, stored.updated),
        (Timestamp(10), Timestamp(30))
    );
    // Sealed: no password of the history is in the file in clear.
    drop(stored);
    common::assert_no_marker_in_files(dir.path(), &["first", "second"], "after updates");
    vault
        .rotate_key(
            b"another passphrase",
            KdfParams::INSECURE_FOR_TESTS,
            &mut |_, _| {},
        )
        .unwrap();
    drop(vault);
    let vault = Vault::open(&path, b"another passphrase").unwrap();
    assert_eq!(history(&vault, id), want);
    assert!(vault.check(&mut |_, _| {}).unwrap().is_clean());
}

#[test]
fn dated_changes_write_the_times_and_history_they_are_given() {
    let (_dir, path, vault) = new_vault();
    let dated = |pw: &str, created: u64, updated: u64, past: &[(&str, u64)]| DatedCredential {
        credential: password("bob", pw),
        created: Timestamp(created),
        updated: Timestamp(updated),
        history: past
            .iter()
            .map(|(p, t)| PastPassword {
                password: Password::new(*p),
                replaced: Timestamp(*t),
            })
            .collect(),
        extras: Default::default(),
    };
    let added = vault
        .apply(
            &[Change::AddDated(dated(
                "b1",
                1_000,
                2_000,
                &[("b0", 2_000)],
            ))],
            Timestamp(99_999),
            &mut || {},
        )
        .unwrap();
    let id = added[0];
    let stored = vault.get(id).unwrap().unwrap();
    assert_eq!(
        (stored.created, stored.updated),
        (Timestamp(1_000), Timestamp(2_000))
    );
    assert_eq!(history(&vault, id), [("b0".to_owned(), 2_000)]);
    let update = dated("b2", 500, 3_000, &[("b0", 2_000), ("b1", 3_000)]);
    vault
        .apply(
            &[Change::UpdateDated(id, update)],
            Timestamp(99_999),
            &mut || {},
        )
        .unwrap();
    let stored = vault.get(id).unwrap().unwrap();
    assert_eq!(
        (stored.created, stored.updated),
        (Timestamp(500), Timestamp(3_000))
    );
    assert_eq!(history(&vault, id).len(), 2);
    // A dated update of a record that is not there fails the whole batch.
    let err = vault
        .apply(
            &[
                Change::AddDated(dated("c", 1, 1, &[])),
                Change::UpdateDated(RecordId(999), dated("d", 1, 1, &[])),
            ],
            Timestamp(1),
            &mut || {},
        )
        .unwrap_err();
    assert!(
        matches!(err, credwell_vault::VaultError::NoSuchRecord(999)),
        "{err:?}"
    );
    assert_eq!(vault.all().unwrap().len(), 1);
    drop(vault);
    // The times are bound to the record: they open as written after a reopen.
    let vault = Vault::open(&path, PASS).unwrap();
    assert!(vault.check(&mut |_, _| {}).unwrap().is_clean());
    assert_eq!(vault.get(id).unwrap().unwrap().updated, Timestamp(3_000));
}

#[test]
fn a_vault_written_before_the_history_opens_and_gains_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("format1.sqlite");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/format1.sqlite"),
        &path,
    )
    .unwrap();
    let vault = Vault::open(&path, b"format 1 fixture").unwrap();
    // alice was updated once by the old code: no history was kept then.
    let alice = vault.get(RecordId(1)).unwrap().unwrap();
    assert!(alice.history.is_empty());
    let mut changed = alice.credential.clone();
    if let Credential::Password(p) = &mut changed {
        p.password = Password::new("third");
    }
    vault
        .update_credential(RecordId(1), &changed, Timestamp(50))
        .unwrap();
    assert_eq!(history(&vault, RecordId(1)), [("second".to_owned(), 50)]);
    assert!(vault.check(&mut |_, _| {}).unwrap().is_clean());
}
