//! `Vault::rotate_key`: a passphrase change that replaces the vault key. The attack: a copy of
//! the vault from before the change (its header) and the old passphrase, which leaked.

#![allow(clippy::unwrap_used)] // Test helpers: a failure should panic right there.

mod common;

use std::path::Path;

use common::{PASS, flip_sealed_byte, new_vault, raw};
use credwell_core::{
    Credential, CredentialType, Origin, OriginFlags, Password, PasswordCredential, RecordId,
    Timestamp,
};
use credwell_vault::{KdfParams, PasskeyEntry, Vault, VaultError};

const NEW_PASS: &[u8] = b"a new passphrase";

fn origin() -> Origin {
    Origin::parse("https://a.example").unwrap()
}

fn password(user: &str, pw: &str) -> Credential {
    Credential::Password(PasswordCredential {
        id: user.into(),
        password: Password::new(pw),
        name: String::new(),
        icon_url: String::new(),
        origin: origin(),
    })
}

fn sealed(path: &Path) -> Vec<Vec<u8>> {
    let conn = raw(path);
    let mut stmt = conn
        .prepare("SELECT sealed FROM records ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Puts the key header (salt, parameters, wrapped key) of `copy` into `path`.
fn splice_header(path: &Path, copy: &Path) {
    let (from, to) = (raw(copy), raw(path));
    for key in ["salt", "kdf", "wrapped_key"] {
        let value: Vec<u8> = from
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .unwrap();
        to.execute(
            "UPDATE meta SET value = ?1 WHERE key = ?2",
            rusqlite::params![value, key],
        )
        .unwrap();
    }
}

fn password_of(
    read: Result<Option<credwell_core::StoredCredential>, VaultError>,
) -> Option<String> {
    match read.ok()??.credential {
        Credential::Password(p) => Some(p.password.expose().to_owned()),
        _ => None,
    }
}

/// What the attacker reads of a password written after the passphrase was changed (with
/// `change`), holding a copy of the vault from before the change and the old passphrase:
/// - by putting the old header (salt, parameters, wrapped key) into the file as it is now and
///   unlocking it with the old passphrase;
/// - by unlocking the old copy itself (a whole, consistent file, so the unlock's integrity check
///   passes) with the old passphrase, then copying the current rows into it: the old vault key
///   put to the new records.
fn old_copy_reads(change: impl FnOnce(&mut Vault)) -> [Option<String>; 2] {
    let (dir, path, mut vault) = new_vault();
    vault
        .add_credential(&password("alice", "before"), Timestamp(1))
        .unwrap();
    let copy = dir.path().join("copy.sqlite");
    vault.backup(&copy).unwrap();
    change(&mut vault);
    let later = vault
        .add_credential(&password("bob", "written after"), Timestamp(2))
        .unwrap();
    drop(vault);

    let attacker = Vault::open(&copy, PASS).unwrap();
    let conn = raw(&copy);
    conn.execute("ATTACH DATABASE ?1 AS now", [path.to_str().unwrap()])
        .unwrap();
    conn.execute(
        "INSERT OR REPLACE INTO main.records SELECT * FROM now.records",
        [],
    )
    .unwrap();
    let with_old_key = password_of(attacker.get(later));

    splice_header(&path, &copy);
    let with_old_header = Vault::open(&path, PASS)
        .ok()
        .and_then(|vault| password_of(vault.get(later)));
    [with_old_header, with_old_key]
}

#[test]
fn after_a_rotation_the_old_header_and_passphrase_read_nothing_written_later() {
    let read = old_copy_reads(|vault| {
        vault
            .rotate_key(NEW_PASS, KdfParams::INSECURE_FOR_TESTS, &mut |_, _| {})
            .unwrap();
    });
    assert_eq!(read, [None, None]);
    // What `--keep-key` (a re-wrap only, all `vault passwd` did before) leaves exposed: both
    // ways read the password.
    let read = old_copy_reads(|vault| {
        vault
            .change_passphrase(NEW_PASS, KdfParams::INSECURE_FOR_TESTS)
            .unwrap();
    });
    let exposed = Some("written after".to_owned());
    assert_eq!(read, [exposed.clone(), exposed]);
}

#[test]
fn a_rotation_reseals_every_record_and_keeps_every_lookup_working() {
    let (_dir, path, mut vault) = new_vault();
    let alice = vault
        .add_credential(&password("alice", "pw"), Timestamp(1))
        .unwrap();
    let flags = OriginFlags {
        prevent_silent_access: true,
        never_save: false,
    };
    vault.set_flags(&origin(), flags, Timestamp(2)).unwrap();
    let passkey = PasskeyEntry {
        rp_id: "a.example".into(),
        credential_id: vec![7; 16],
        payload: zeroize::Zeroizing::new(b"payload".to_vec()),
    };
    vault.add_passkey(&passkey, 3).unwrap();
    let before = sealed(&path);
    let generation = vault.generation().unwrap();
    let mut calls = Vec::new();
    let rotation = vault
        .rotate_key(
            NEW_PASS,
            KdfParams::INSECURE_FOR_TESTS,
            &mut |done, total| calls.push((done, total)),
        )
        .unwrap();
    assert_eq!(rotation.records, 3);
    assert_eq!(rotation.generation, generation + 1);
    assert_eq!(calls, [(1, 3), (2, 3), (3, 3), (3, 3)]);
    let after = sealed(&path);
    assert!(
        before.iter().zip(&after).all(|(b, a)| b != a),
        "every record re-sealed"
    );
    // The same handle and a new one both work with the new key.
    for vault in [vault, Vault::open(&path, NEW_PASS).unwrap()] {
        let listed = vault
            .list_origin(&origin(), CredentialType::Password)
            .unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].record, alice);
        assert_eq!(vault.flags(&origin()).unwrap(), flags);
        assert_eq!(vault.passkey(&[7; 16]).unwrap().unwrap().entry, passkey);
        assert_eq!(vault.passkeys_for_rp("a.example").unwrap().len(), 1);
        assert!(vault.check(&mut |_, _| {}).unwrap().is_clean());
        assert_eq!(vault.generation().unwrap(), generation + 1);
    }
    assert!(matches!(
        Vault::open(&path, PASS),
        Err(VaultError::WrongPassphrase)
    ));
}

#[test]
fn a_damaged_vault_is_not_rotated() {
    let (_dir, path, mut vault) = new_vault();
    vault
        .add_credential(&password("alice", "pw"), Timestamp(1))
        .unwrap();
    let bob = vault
        .add_credential(&password("bob", "pw"), Timestamp(1))
        .unwrap();
    flip_sealed_byte(&path, bob.0);
    assert!(matches!(
        vault.rotate_key(NEW_PASS, KdfParams::INSECURE_FOR_TESTS, &mut |_, _| {}),
        Err(VaultError::Tampered(id)) if id == bob.0 as i64
    ));
    drop(vault);
    // Untouched: still the old passphrase, and the intact record reads.
    let vault = Vault::open(&path, PASS).unwrap();
    assert!(vault.get(RecordId(1)).unwrap().is_some());
}

#[test]
fn another_handle_is_told_the_key_changed_not_that_records_are_damaged() {
    let (_dir, path, mut vault) = new_vault();
    let alice = vault
        .add_credential(&password("alice", "pw"), Timestamp(1))
        .unwrap();
    // The browser host holds the vault open while the CLI rotates the key.
    let host = Vault::open(&path, PASS).unwrap();
    vault
        .rotate_key(NEW_PASS, KdfParams::INSECURE_FOR_TESTS, &mut |_, _| {})
        .unwrap();
    assert!(matches!(host.get(alice), Err(VaultError::KeyChanged)));
    // Lookups by blind index: not "nothing stored" under the old index key.
    let origin = origin();
    assert!(matches!(
        host.list_origin(&origin, CredentialType::Password),
        Err(VaultError::KeyChanged)
    ));
    assert!(matches!(host.flags(&origin), Err(VaultError::KeyChanged)));
    assert!(matches!(
        host.add_credential(&password("bob", "pw"), Timestamp(2)),
        Err(VaultError::KeyChanged)
    ));
    assert!(matches!(
        host.check(&mut |_, _| {}),
        Err(VaultError::KeyChanged)
    ));
    assert!(vault.check(&mut |_, _| {}).unwrap().is_clean());
}
