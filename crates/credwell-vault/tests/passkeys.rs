//! Passkey records in the vault: lookups by RP ID and by credential id, every error path,
//! tampering, the integrity check, batches, and the bytes on disk.

#![allow(clippy::unwrap_used)] // Test helpers: a failure should panic right there.

mod common;

use common::{PASS, new_vault, raw};

use credwell_core::Timestamp;
use credwell_vault::{Change, PasskeyEntry, Vault, VaultError};
use rusqlite::params;
use zeroize::Zeroizing;

fn entry(rp: &str, id: &[u8], payload: &str) -> PasskeyEntry {
    PasskeyEntry {
        rp_id: rp.into(),
        credential_id: id.to_vec(),
        payload: Zeroizing::new(payload.as_bytes().to_vec()),
    }
}

fn payloads(vault: &Vault, rp: &str) -> Vec<String> {
    vault
        .passkeys_for_rp(rp)
        .unwrap()
        .into_iter()
        .map(|p| String::from_utf8(p.entry.payload.to_vec()).unwrap())
        .collect()
}

#[test]
fn passkeys_are_found_by_rp_id_and_by_credential_id() {
    let (_dir, path, vault) = new_vault();
    vault
        .add_passkey(&entry("example.com", b"id-1", "one"), 10)
        .unwrap();
    vault
        .add_passkey(&entry("example.com", b"id-2", "two"), 11)
        .unwrap();
    vault
        .add_passkey(&entry("other.example", b"id-3", "three"), 12)
        .unwrap();
    assert_eq!(payloads(&vault, "example.com"), ["one", "two"]);
    assert_eq!(payloads(&vault, "other.example"), ["three"]);
    // Exact RP ID only: no suffix or prefix matching.
    assert!(payloads(&vault, "login.example.com").is_empty());
    assert!(payloads(&vault, "com").is_empty());
    let found = vault.passkey(b"id-3").unwrap().unwrap();
    assert_eq!(found.entry, entry("other.example", b"id-3", "three"));
    assert_eq!((found.created, found.updated), (12, 12));
    assert!(vault.passkey(b"id-4").unwrap().is_none());
    assert_eq!(vault.all_passkeys().unwrap().len(), 3);
    // Passkeys are not credentials: the credential listing does not see them.
    assert!(vault.all().unwrap().is_empty());
    assert_eq!(vault.info().unwrap().passkeys, 3);
    drop(vault);
    let vault = Vault::open(&path, PASS).unwrap();
    assert_eq!(payloads(&vault, "example.com"), ["one", "two"]);
    let report = vault.check(&mut |_, _| {}).unwrap();
    assert!(report.tampered.is_empty() && report.integrity_ok);
    assert_eq!(report.ok, 3);
}

#[test]
fn duplicate_missing_and_removed_passkeys_have_their_own_errors() {
    let (_dir, _path, vault) = new_vault();
    vault
        .add_passkey(&entry("example.com", b"id-1", "one"), 1)
        .unwrap();
    assert!(matches!(
        vault.add_passkey(&entry("other.example", b"id-1", "again"), 2),
        Err(VaultError::DuplicateCredentialId)
    ));
    assert!(matches!(
        vault.update_passkey(&entry("example.com", b"nope", "x"), 2),
        Err(VaultError::NoSuchPasskey)
    ));
    vault
        .update_passkey(&entry("example.com", b"id-1", "one, updated"), 3)
        .unwrap();
    let updated = vault.passkey(b"id-1").unwrap().unwrap();
    assert_eq!(&**updated.entry.payload, b"one, updated");
    assert_eq!((updated.created, updated.updated), (1, 3));
    assert!(vault.remove_passkey(b"id-1").unwrap());
    assert!(!vault.remove_passkey(b"id-1").unwrap());
    assert!(vault.passkey(b"id-1").unwrap().is_none());
    assert!(payloads(&vault, "example.com").is_empty());
    // A passkey's record id is not a credential's: credential changes cannot reach it.
    vault
        .add_passkey(&entry("example.com", b"id-2", "two"), 4)
        .unwrap();
    let record = vault.passkey(b"id-2").unwrap().unwrap().record;
    assert!(matches!(
        vault.apply(&[Change::Remove(record)], Timestamp(5), &mut || {}),
        Err(VaultError::NoSuchRecord(_))
    ));
    assert!(!vault.remove_credential(record).unwrap());
    assert!(vault.get(record).unwrap().is_none());
}

#[test]
fn a_batch_with_a_failing_passkey_change_applies_nothing() {
    let (_dir, _path, vault) = new_vault();
    vault
        .add_passkey(&entry("example.com", b"taken", "old"), 1)
        .unwrap();
    let err = vault
        .apply(
            &[
                Change::AddPasskey(entry("example.com", b"new", "new")),
                Change::UpdatePasskey(entry("example.com", b"taken", "changed")),
                Change::AddPasskey(entry("example.com", b"taken", "duplicate")),
            ],
            Timestamp(2),
            &mut || {},
        )
        .unwrap_err();
    assert!(matches!(err, VaultError::DuplicateCredentialId));
    assert_eq!(payloads(&vault, "example.com"), ["old"]);
    assert!(matches!(
        vault.apply(
            &[Change::RemovePasskey(b"absent".to_vec())],
            Timestamp(3),
            &mut || {}
        ),
        Err(VaultError::NoSuchPasskey)
    ));
    assert!(vault.check(&mut |_, _| {}).unwrap().integrity_ok);
}

#[test]
fn swapped_altered_and_deleted_passkey_rows_are_detected() {
    let (_dir, path, vault) = new_vault();
    vault
        .add_passkey(&entry("a.example", b"id-a", "alpha"), 1)
        .unwrap();
    vault
        .add_passkey(&entry("b.example", b"id-b", "beta"), 1)
        .unwrap();
    let id_a = vault.passkey(b"id-a").unwrap().unwrap().record.0 as i64;
    let id_b = vault.passkey(b"id-b").unwrap().unwrap().record.0 as i64;
    drop(vault);
    let sealed = |id: i64| -> Vec<u8> {
        raw(&path)
            .query_row("SELECT sealed FROM records WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .unwrap()
    };
    let (a, b) = (sealed(id_a), sealed(id_b));

    // Seals swapped between the two rows: both fail to open, never each other's data.
    let conn = raw(&path);
    conn.execute(
        "UPDATE records SET sealed = ?1 WHERE id = ?2",
        params![b, id_a],
    )
    .unwrap();
    conn.execute(
        "UPDATE records SET sealed = ?1 WHERE id = ?2",
        params![a, id_b],
    )
    .unwrap();
    drop(conn);
    let vault = Vault::open(&path, PASS).unwrap();
    assert!(matches!(vault.passkey(b"id-a"), Err(VaultError::Tampered(id)) if id == id_a));
    assert!(
        matches!(vault.passkeys_for_rp("b.example"), Err(VaultError::Tampered(id)) if id == id_b)
    );
    let report = vault.check(&mut |_, _| {}).unwrap();
    assert_eq!(report.tampered, [id_a, id_b]);
    // An update never overwrites a tampered row.
    assert!(matches!(
        vault.update_passkey(&entry("a.example", b"id-a", "fresh"), 2),
        Err(VaultError::Tampered(_))
    ));
    drop(vault);

    // Index pointed at another RP: the accumulator and index checks refuse the unlock.
    let conn = raw(&path);
    conn.execute(
        "UPDATE records SET sealed = ?1 WHERE id = ?2",
        params![a, id_a],
    )
    .unwrap();
    conn.execute(
        "UPDATE records SET sealed = ?1 WHERE id = ?2",
        params![b, id_b],
    )
    .unwrap();
    let index_b: Vec<u8> = conn
        .query_row(
            "SELECT origin_index FROM records WHERE id = ?1",
            [id_b],
            |r| r.get(0),
        )
        .unwrap();
    conn.execute(
        "UPDATE records SET origin_index = ?1 WHERE id = ?2",
        params![index_b, id_a],
    )
    .unwrap();
    drop(conn);
    assert!(matches!(
        Vault::open(&path, PASS),
        Err(VaultError::IntegrityMismatch)
    ));

    // A deleted passkey row is noticed at unlock too.
    let conn = raw(&path);
    conn.execute("DELETE FROM records WHERE id = ?1", [id_a])
        .unwrap();
    drop(conn);
    assert!(matches!(
        Vault::open(&path, PASS),
        Err(VaultError::IntegrityMismatch)
    ));
}

#[test]
fn passkey_fields_never_reach_the_disk_and_debug_hides_the_payload() {
    let (dir, path, vault) = new_vault();
    let markers = [
        "markerrp.example",
        "MARKERCREDID",
        "MARKERPRIVATEKEY",
        "MARKERUSERHANDLE",
    ];
    let passkey = PasskeyEntry {
        rp_id: "markerrp.example".into(),
        credential_id: b"MARKERCREDID".to_vec(),
        payload: Zeroizing::new(
            b"{\"key\":\"MARKERPRIVATEKEY\",\"user\":\"MARKERUSERHANDLE\"}".to_vec(),
        ),
    };
    vault.add_passkey(&passkey, 0).unwrap();
    let shown = format!("{passkey:?} {:?}", vault.passkey(b"MARKERCREDID").unwrap());
    assert!(
        !shown.contains("MARKERPRIVATEKEY") && !shown.contains("MARKERUSERHANDLE"),
        "{shown}"
    );
    let scan = |when: &str| common::assert_no_marker_in_files(dir.path(), &markers, when);
    scan("with the WAL");
    drop(vault);
    scan("after close");
    assert!(path.exists());
}
