//! The values sync keeps in the vault: sealed, found by name, checked, rotated, removed; and
//! the listing of every origin's flags.

#![allow(clippy::unwrap_used)] // A test: a failure panics right there.

use credwell_core::{Origin, OriginFlags, Timestamp};
use credwell_vault::{KdfParams, Vault, VaultError};

#[test]
fn sync_values_are_sealed_found_by_name_rotated_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.sqlite");
    let vault = Vault::create(&path, b"pass", KdfParams::INSECURE_FOR_TESTS).unwrap();
    assert_eq!(vault.sync_value("account").unwrap(), None);
    let secret = b"canary-account-key-0123456789";
    vault
        .set_sync_value("account", Some(secret), Timestamp(1))
        .unwrap();
    vault
        .set_sync_value("state", Some(b"s1"), Timestamp(1))
        .unwrap();
    vault
        .set_sync_value("state", Some(b"s2"), Timestamp(2))
        .unwrap();
    assert_eq!(&vault.sync_value("account").unwrap().unwrap()[..], secret);
    assert_eq!(&vault.sync_value("state").unwrap().unwrap()[..], b"s2");
    assert!(vault.check(&mut |_, _| {}).unwrap().is_clean());
    // Not in the file in clear, and not counted as credentials.
    drop(vault);
    let bytes = std::fs::read(&path).unwrap();
    assert!(!bytes.windows(secret.len()).any(|w| w == secret));
    let mut vault = Vault::open(&path, b"pass").unwrap();
    assert_eq!(vault.all().unwrap().len(), 0);
    // A key rotation re-seals them with everything else.
    vault
        .rotate_key(b"new", KdfParams::INSECURE_FOR_TESTS, &mut |_, _| {})
        .unwrap();
    drop(vault);
    let vault = Vault::open(&path, b"new").unwrap();
    assert_eq!(&vault.sync_value("account").unwrap().unwrap()[..], secret);
    vault.set_sync_value("account", None, Timestamp(3)).unwrap();
    vault.set_sync_value("nothing", None, Timestamp(3)).unwrap();
    assert_eq!(vault.sync_value("account").unwrap(), None);
    assert_eq!(&vault.sync_value("state").unwrap().unwrap()[..], b"s2");
    assert!(vault.check(&mut |_, _| {}).unwrap().is_clean());
}

#[test]
fn a_sync_value_moved_to_another_name_does_not_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.sqlite");
    let vault = Vault::create(&path, b"pass", KdfParams::INSECURE_FOR_TESTS).unwrap();
    vault
        .set_sync_value("a", Some(b"one"), Timestamp(1))
        .unwrap();
    vault
        .set_sync_value("b", Some(b"two"), Timestamp(1))
        .unwrap();
    drop(vault);
    // Swap the two rows' sealed values: each is bound to its own row.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "UPDATE records SET sealed = (SELECT sealed FROM records r WHERE r.id = \
         (SELECT MAX(id) FROM records)) WHERE id = (SELECT MIN(id) FROM records)",
    )
    .unwrap();
    drop(conn);
    let vault = Vault::open(&path, b"pass");
    assert!(
        matches!(vault, Err(VaultError::IntegrityMismatch)) || {
            let vault = vault.unwrap();
            matches!(vault.sync_value("a"), Err(VaultError::Tampered(_)))
        }
    );
}

#[test]
fn every_origins_flags_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::create(
        &dir.path().join("vault.sqlite"),
        b"pass",
        KdfParams::INSECURE_FOR_TESTS,
    )
    .unwrap();
    let a = Origin::parse("https://a.example").unwrap();
    let b = Origin::parse("https://b.example").unwrap();
    let never = OriginFlags {
        prevent_silent_access: true,
        never_save: true,
    };
    vault.set_flags(&a, never, Timestamp(5)).unwrap();
    vault
        .set_flags(&b, OriginFlags::default(), Timestamp(6))
        .unwrap();
    let listed = vault.all_flags().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(
        (&listed[0].origin, listed[0].flags, listed[0].updated),
        (&a, never, 5)
    );
    assert_eq!(listed[1].origin, b);
}
