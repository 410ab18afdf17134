//! A password credential's extras (notes, TOTP secret, custom fields, folder, favourite): sealed
//! like every field, kept by every change that does not replace them, and absent from records
//! written before them.

#![allow(clippy::unwrap_used)] // Test helpers: a failure should panic right there.

mod common;

use common::new_vault;

use std::path::Path;

use credwell_core::{
    Credential, CustomField, DatedCredential, Extras, FederatedCredential, Origin, Password,
    PasswordCredential, RecordId, SecretText, Timestamp,
};
use credwell_vault::{Change, KdfParams, Vault, VaultError};

fn password(id: &str, pw: &str) -> Credential {
    Credential::Password(PasswordCredential {
        id: id.into(),
        password: Password::new(pw),
        name: String::new(),
        icon_url: String::new(),
        origin: Origin::parse("https://a.example").unwrap(),
    })
}

fn extras() -> Extras {
    Extras {
        notes: SecretText::new("NOTE-MARKER recovery codes"),
        totp: SecretText::new("otpauth://totp/a?secret=TOTPMARKERSECRET"),
        fields: vec![CustomField {
            name: "FIELDNAME-MARKER".into(),
            value: SecretText::new("FIELDVALUE-MARKER"),
            hidden: true,
        }],
        folder: "FOLDER-MARKER".into(),
        favorite: true,
    }
}

fn extras_of(vault: &Vault, record: RecordId) -> Extras {
    vault.get(record).unwrap().unwrap().extras
}

#[test]
fn extras_are_sealed_kept_by_updates_and_survive_a_key_rotation() {
    let (dir, path, mut vault) = new_vault();
    let added = vault
        .apply(
            &[Change::AddDated(DatedCredential {
                credential: password("alice", "first"),
                created: Timestamp(1),
                updated: Timestamp(2),
                history: Vec::new(),
                extras: extras(),
            })],
            Timestamp(5),
            &mut || {},
        )
        .unwrap();
    let id = added[0];
    assert_eq!(extras_of(&vault, id), extras());
    // A new password through Update (a site's store(), `credwell edit`) keeps them.
    vault
        .update_credential(id, &password("alice", "second"), Timestamp(10))
        .unwrap();
    let stored = vault.get(id).unwrap().unwrap();
    assert_eq!(stored.extras, extras());
    assert_eq!(stored.history.len(), 1);
    drop(stored);
    common::assert_no_marker_in_files(
        dir.path(),
        &[
            "NOTE-MARKER",
            "TOTPMARKERSECRET",
            "FIELDNAME-MARKER",
            "FIELDVALUE-MARKER",
            "FOLDER-MARKER",
        ],
        "after writing extras",
    );
    // UpdateWithExtras replaces them (and still keeps the replaced password).
    let fewer = Extras {
        notes: SecretText::new("only a note"),
        ..Extras::default()
    };
    vault
        .apply(
            &[Change::UpdateWithExtras(
                id,
                password("alice", "third"),
                fewer.clone(),
            )],
            Timestamp(20),
            &mut || {},
        )
        .unwrap();
    let stored = vault.get(id).unwrap().unwrap();
    assert_eq!(stored.extras, fewer);
    assert_eq!(stored.history.len(), 2);
    assert_eq!(stored.updated, Timestamp(20));
    drop(stored);
    vault
        .rotate_key(b"another", KdfParams::INSECURE_FOR_TESTS, &mut |_, _| {})
        .unwrap();
    drop(vault);
    let vault = Vault::open(&path, b"another").unwrap();
    assert_eq!(extras_of(&vault, id), fewer);
    assert!(vault.check(&mut |_, _| {}).unwrap().is_clean());
    // UpdateWithExtras of a record that is not there fails the batch, like Update.
    let err = vault
        .apply(
            &[Change::UpdateWithExtras(
                RecordId(999),
                password("x", "y"),
                Extras::default(),
            )],
            Timestamp(30),
            &mut || {},
        )
        .unwrap_err();
    assert!(matches!(err, VaultError::NoSuchRecord(999)), "{err:?}");
}

#[test]
fn extras_on_a_federated_credential_are_refused_not_dropped() {
    let (_dir, _path, vault) = new_vault();
    let federated = Credential::Federated(FederatedCredential {
        id: "u".into(),
        provider: "https://idp.example".into(),
        protocol: None,
        name: String::new(),
        icon_url: String::new(),
        origin: Origin::parse("https://a.example").unwrap(),
    });
    let err = vault
        .apply(
            &[Change::AddDated(DatedCredential {
                credential: federated.clone(),
                created: Timestamp(1),
                updated: Timestamp(1),
                history: Vec::new(),
                extras: extras(),
            })],
            Timestamp(1),
            &mut || {},
        )
        .unwrap_err();
    assert!(matches!(err, VaultError::UnsupportedCredential), "{err:?}");
    assert!(vault.all().unwrap().is_empty());
    let id = vault.add_credential(&federated, Timestamp(1)).unwrap();
    assert!(extras_of(&vault, id).is_empty());
}

#[test]
fn records_written_before_extras_open_with_none_and_take_some() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("format1.sqlite");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/format1.sqlite"),
        &path,
    )
    .unwrap();
    let vault = Vault::open(&path, b"format 1 fixture").unwrap();
    let all = vault.all().unwrap();
    assert!(!all.is_empty());
    assert!(all.iter().all(|r| r.extras.is_empty()));
    let alice = vault.get(RecordId(1)).unwrap().unwrap();
    vault
        .apply(
            &[Change::UpdateWithExtras(
                RecordId(1),
                alice.credential.clone(),
                extras(),
            )],
            Timestamp(50),
            &mut || {},
        )
        .unwrap();
    drop(vault);
    let vault = Vault::open(&path, b"format 1 fixture").unwrap();
    let stored = vault.get(RecordId(1)).unwrap().unwrap();
    assert_eq!(stored.extras, extras());
    assert_eq!(stored.credential, alice.credential);
    assert!(vault.check(&mut |_, _| {}).unwrap().is_clean());
}
