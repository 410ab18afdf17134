//! The vault end to end: every `CredentialStore` method, every error path, tampering, the
//! on-disk bytes, passphrase change, backup, and two handles at once.

#![allow(clippy::unwrap_used)] // Test helpers: a failure should panic right there.

mod common;

use common::{PASS, flip_sealed_byte, new_vault, raw};

use std::path::Path;

use credwell_core::{
    Credential, CredentialStore, CredentialType, FederatedCredential, Origin, OriginFlags,
    Password, PasswordCredential, RecordId, Timestamp,
};
use credwell_vault::{Change, KdfParams, PasskeyEntry, Readable, SyncValue, Vault, VaultError};
use futures::executor::block_on;
use rusqlite::params;
use zeroize::Zeroizing;

fn origin(s: &str) -> Origin {
    Origin::parse(s).unwrap()
}

fn password(o: &str, id: &str, pw: &str) -> Credential {
    Credential::Password(PasswordCredential {
        id: id.into(),
        password: Password::new(pw),
        name: format!("{id} name"),
        icon_url: String::new(),
        origin: origin(o),
    })
}

#[test]
fn every_store_method_round_trips() {
    let (_dir, _path, vault) = new_vault();
    let a = block_on(vault.add(
        password("https://login.example.com", "alice", "pw1"),
        Timestamp(10),
    ))
    .unwrap();
    let b = block_on(vault.add(
        password("https://www.example.com", "bob", "pw2"),
        Timestamp(11),
    ))
    .unwrap();
    let fed = Credential::Federated(FederatedCredential {
        id: "carol".into(),
        provider: "https://idp.example".into(),
        protocol: Some("openidconnect".into()),
        name: String::new(),
        icon_url: String::new(),
        origin: origin("https://login.example.com"),
    });
    let c = block_on(vault.add(fed.clone(), Timestamp(12))).unwrap();
    let login = origin("https://login.example.com");
    let listed = block_on(vault.list(&login, CredentialType::Password)).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].credential,
        password("https://login.example.com", "alice", "pw1")
    );
    assert_eq!((listed[0].record, listed[0].created), (a, Timestamp(10)));
    assert_eq!(
        block_on(vault.list(&login, CredentialType::Federated)).unwrap()[0].credential,
        fed
    );
    let site = login.site().unwrap().clone();
    assert_eq!(
        block_on(vault.list_same_site(&site, CredentialType::Password))
            .unwrap()
            .len(),
        2
    );
    assert!(
        block_on(vault.list(
            &origin("http://login.example.com"),
            CredentialType::Password
        ))
        .unwrap()
        .is_empty()
    );

    assert!(
        block_on(vault.update(
            a,
            password("https://login.example.com", "alice", "new"),
            Timestamp(20)
        ))
        .unwrap()
    );
    let updated = vault.get(a).unwrap().unwrap();
    assert_eq!(
        (updated.created, updated.updated),
        (Timestamp(10), Timestamp(20))
    );
    assert!(matches!(&updated.credential, Credential::Password(p) if p.password.expose() == "new"));
    assert!(
        !block_on(vault.update(
            RecordId(999),
            password("https://x.example", "x", "x"),
            Timestamp(0)
        ))
        .unwrap()
    );

    assert!(block_on(vault.remove(b)).unwrap());
    assert!(!block_on(vault.remove(b)).unwrap());
    assert_eq!(
        vault
            .all()
            .unwrap()
            .iter()
            .map(|r| r.record)
            .collect::<Vec<_>>(),
        [a, c]
    );

    assert_eq!(
        block_on(vault.origin_flags(&login)).unwrap(),
        OriginFlags::default()
    );
    let cleared = OriginFlags {
        prevent_silent_access: false,
        never_save: true,
    };
    block_on(vault.set_origin_flags(&login, cleared)).unwrap();
    assert_eq!(block_on(vault.origin_flags(&login)).unwrap(), cleared);
    block_on(vault.set_origin_flags(&login, OriginFlags::default())).unwrap();
    assert_eq!(
        block_on(vault.origin_flags(&login)).unwrap(),
        OriginFlags::default()
    );
    assert!(vault.check(&mut |_, _| {}).unwrap().is_clean());
}

#[test]
fn the_engine_runs_on_the_vault() {
    use credwell_core::{Caller, ClientId, Engine, ManualClock, RequestId, ScriptedMediator};
    let (_dir, path, vault) = new_vault();
    let engine = Engine::new(vault, ScriptedMediator::default(), ManualClock::new(0));
    let caller = Caller::new(origin("https://example.com"), ClientId(1), RequestId(1));
    let credential = serde_json::json!({"type": "password", "id": "alice", "password": "pencil"});
    block_on(engine.store(&caller, &credential)).unwrap();
    drop(engine);
    let engine = Engine::new(
        Vault::open(&path, PASS).unwrap(),
        ScriptedMediator::default(),
        ManualClock::new(0),
    );
    let got = block_on(engine.get(
        &caller,
        &serde_json::json!({"password": true, "mediation": "silent"}),
        None,
    ))
    .unwrap();
    assert_eq!(
        got.unwrap().id(),
        "alice",
        "the save cleared the flag, persisted across reopen"
    );
}

#[test]
fn wrong_passphrase_not_a_vault_and_newer_format_are_distinct_errors() {
    let (dir, path, vault) = new_vault();
    drop(vault);
    assert!(matches!(
        Vault::open(&path, b"wrong"),
        Err(VaultError::WrongPassphrase)
    ));

    let text = dir.path().join("notes.txt");
    std::fs::write(
        &text,
        "this is not a database, but it is long enough to look like one....",
    )
    .unwrap();
    let before = std::fs::read(&text).unwrap();
    assert!(matches!(
        Vault::open(&text, PASS),
        Err(VaultError::NotAVault(_))
    ));
    assert_eq!(std::fs::read(&text).unwrap(), before, "nothing overwritten");

    let other_app = dir.path().join("other.sqlite");
    raw(&other_app)
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    let before = std::fs::read(&other_app).unwrap();
    assert!(matches!(
        Vault::open(&other_app, PASS),
        Err(VaultError::NotAVault(_))
    ));
    assert_eq!(
        std::fs::read(&other_app).unwrap(),
        before,
        "a foreign database is left alone"
    );

    assert!(matches!(
        Vault::open(&dir.path().join("missing"), PASS),
        Err(VaultError::NotAVault(_))
    ));

    raw(&path).pragma_update(None, "user_version", 99).unwrap();
    assert!(matches!(
        Vault::open(&path, PASS),
        Err(VaultError::NewerFormat { found: 99, .. })
    ));

    assert!(matches!(
        Vault::create(&path, PASS, KdfParams::INSECURE_FOR_TESTS),
        Err(VaultError::AlreadyExists(_))
    ));
}

fn sealed_of(path: &Path, id: i64) -> Vec<u8> {
    raw(path)
        .query_row("SELECT sealed FROM records WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .unwrap()
}

#[test]
fn an_altered_record_is_reported_by_record() {
    let (_dir, path, vault) = new_vault();
    let a = vault
        .add_credential(&password("https://a.example", "alice", "pw"), Timestamp(0))
        .unwrap();
    let b = vault
        .add_credential(&password("https://a.example", "bob", "pw"), Timestamp(0))
        .unwrap();
    let mut sealed = sealed_of(&path, b.0 as i64);
    let n = sealed.len();
    sealed[n / 2] ^= 0x01;
    raw(&path)
        .execute(
            "UPDATE records SET sealed = ?1 WHERE id = ?2",
            params![sealed, b.0 as i64],
        )
        .unwrap();
    assert!(vault.get(a).unwrap().is_some());
    assert!(matches!(vault.get(b), Err(VaultError::Tampered(id)) if id == b.0 as i64));
    let report = vault.check(&mut |_, _| {}).unwrap();
    assert_eq!(report.tampered, [b.0 as i64]);
    assert_eq!(report.ok, 1);
    assert!(block_on(vault.list(&origin("https://a.example"), CredentialType::Password)).is_err());
}

#[test]
fn one_damaged_record_is_listed_apart_and_can_be_removed() {
    let (_dir, path, vault) = new_vault();
    let ids: Vec<RecordId> = ["alice", "bob", "carol"]
        .iter()
        .map(|u| {
            vault
                .add_credential(&password("https://a.example", u, "pw"), Timestamp(0))
                .unwrap()
        })
        .collect();
    let passkey = |id: &[u8]| PasskeyEntry {
        rp_id: "a.example".into(),
        credential_id: id.to_vec(),
        payload: zeroize::Zeroizing::new(b"payload".to_vec()),
    };
    vault.add_passkey(&passkey(b"k1"), 0).unwrap();
    vault.add_passkey(&passkey(b"k2"), 0).unwrap();
    let passkeys = vault.all_passkeys().unwrap();
    flip_sealed_byte(&path, ids[1].0);
    flip_sealed_byte(&path, passkeys[0].record.0);

    // The all-or-nothing reads still refuse; the listings go on and name what they left out.
    assert!(matches!(vault.all(), Err(VaultError::Tampered(_))));
    let listed = vault.all_readable().unwrap();
    assert_eq!(
        listed.items.iter().map(|c| c.record).collect::<Vec<_>>(),
        [ids[0], ids[2]]
    );
    assert_eq!(listed.damaged, [ids[1]]);
    let Readable { items, damaged } = vault.all_passkeys_readable().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].entry.credential_id, b"k2");
    assert_eq!(damaged, [passkeys[0].record]);
    let message = vault.get(ids[1]).unwrap_err().to_string();
    assert!(
        message.contains("credwell vault backup")
            && message.contains(&format!("credwell rm {}", ids[1].0)),
        "{message}"
    );

    // Damaged records are removed explicitly; intact ones never through that door.
    assert!(matches!(
        vault.remove_credential(ids[1]),
        Err(VaultError::Tampered(_))
    ));
    assert!(matches!(
        vault.remove_damaged(ids[0]),
        Err(VaultError::NotDamaged(n)) if n == ids[0].0
    ));
    assert!(vault.remove_damaged(ids[1]).unwrap());
    assert!(vault.remove_damaged(passkeys[0].record).unwrap());
    assert!(!vault.remove_damaged(ids[1]).unwrap(), "already gone");
    assert!(vault.check(&mut |_, _| {}).unwrap().is_clean());
    drop(vault);
    let vault = Vault::open(&path, PASS).unwrap();
    assert_eq!(vault.all().unwrap().len(), 2);
    assert_eq!(vault.all_passkeys().unwrap().len(), 1);
}

#[test]
fn swapped_and_moved_rows_fail_to_open() {
    let (_dir, path, vault) = new_vault();
    let a = vault
        .add_credential(&password("https://a.example", "alice", "pw"), Timestamp(0))
        .unwrap()
        .0 as i64;
    let b = vault
        .add_credential(&password("https://a.example", "bob", "pw"), Timestamp(0))
        .unwrap()
        .0 as i64;
    let (sa, sb) = (sealed_of(&path, a), sealed_of(&path, b));
    let conn = raw(&path);
    conn.execute(
        "UPDATE records SET sealed = ?1 WHERE id = ?2",
        params![sb, a],
    )
    .unwrap();
    conn.execute(
        "UPDATE records SET sealed = ?1 WHERE id = ?2",
        params![sa, b],
    )
    .unwrap();
    let report = vault.check(&mut |_, _| {}).unwrap();
    assert_eq!(report.tampered, [a, b]);
    // Moving a row to another id breaks both its seal and the integrity check.
    conn.execute(
        "UPDATE records SET id = 77, sealed = ?1 WHERE id = ?2",
        params![sa, b],
    )
    .unwrap();
    let report = vault.check(&mut |_, _| {}).unwrap();
    assert!(report.tampered.contains(&77));
    assert!(!report.integrity_ok);
}

#[test]
fn a_row_replayed_from_an_older_copy_is_detected() {
    let (_dir, path, vault) = new_vault();
    let a = vault
        .add_credential(&password("https://a.example", "alice", "old"), Timestamp(0))
        .unwrap();
    let id = a.0 as i64;
    let columns = "revision, created, updated, origin_index, site_index, sealed";
    type OldRow = (i64, i64, i64, Vec<u8>, Option<Vec<u8>>, Vec<u8>);
    let old: OldRow = raw(&path)
        .query_row(
            &format!("SELECT {columns} FROM records WHERE id = ?1"),
            [id],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )
        .unwrap();
    vault
        .update_credential(
            a,
            &password("https://a.example", "alice", "new"),
            Timestamp(1),
        )
        .unwrap();
    // Replaying only the seal and revision breaks the seal (the timestamp moved on).
    let conn = raw(&path);
    conn.execute(
        "UPDATE records SET revision = ?1, sealed = ?2 WHERE id = ?3",
        params![old.0, old.5, id],
    )
    .unwrap();
    assert!(matches!(vault.get(a), Err(VaultError::Tampered(t)) if t == id));
    // Replaying the whole old row gives an authentic row, but the integrity check fails.
    conn.execute(
        "UPDATE records SET revision = ?1, created = ?2, updated = ?3, origin_index = ?4,
         site_index = ?5, sealed = ?6 WHERE id = ?7",
        params![old.0, old.1, old.2, old.3, old.4, old.5, id],
    )
    .unwrap();
    let report = vault.check(&mut |_, _| {}).unwrap();
    assert!(report.tampered.is_empty());
    assert!(!report.integrity_ok);
    drop(vault);
    assert!(matches!(
        Vault::open(&path, PASS),
        Err(VaultError::IntegrityMismatch)
    ));
    // Deleting a row is detected the same way.
    let (_dir2, path2, vault2) = new_vault();
    let b = vault2
        .add_credential(&password("https://a.example", "bob", "pw"), Timestamp(0))
        .unwrap();
    raw(&path2)
        .execute("DELETE FROM records WHERE id = ?1", [b.0 as i64])
        .unwrap();
    drop(vault2);
    assert!(matches!(
        Vault::open(&path2, PASS),
        Err(VaultError::IntegrityMismatch)
    ));
}

#[test]
fn nothing_readable_reaches_the_disk() {
    let (dir, path, vault) = new_vault();
    let markers = [
        "MARKERORIGIN.example",
        "MARKERUSER",
        "MARKERPASSWORD",
        "MARKERNAME",
        "MARKERICON",
        "MARKERIDP.example",
    ];
    vault
        .add_credential(
            &Credential::Password(PasswordCredential {
                id: "MARKERUSER".into(),
                password: Password::new("MARKERPASSWORD"),
                name: "MARKERNAME".into(),
                icon_url: "https://MARKERICON/".into(),
                origin: origin("https://MARKERORIGIN.example"),
            }),
            Timestamp(0),
        )
        .unwrap();
    vault
        .add_credential(
            &Credential::Federated(FederatedCredential {
                id: "MARKERUSER".into(),
                provider: "https://MARKERIDP.example".into(),
                protocol: None,
                name: "MARKERNAME".into(),
                icon_url: String::new(),
                origin: origin("https://MARKERORIGIN.example"),
            }),
            Timestamp(0),
        )
        .unwrap();
    block_on(vault.set_origin_flags(
        &origin("https://MARKERORIGIN.example"),
        OriginFlags::default(),
    ))
    .unwrap();
    let scan = |when: &str| common::assert_no_marker_in_files(dir.path(), &markers, when);
    scan("with the WAL");
    drop(vault);
    scan("after close");
    assert!(path.exists());
}

#[test]
fn changing_the_passphrase_rewraps_only_the_key() {
    let (_dir, path, vault) = new_vault();
    let a = vault
        .add_credential(&password("https://a.example", "alice", "pw"), Timestamp(0))
        .unwrap();
    let sealed_before = sealed_of(&path, a.0 as i64);
    vault
        .change_passphrase(b"new passphrase", KdfParams::INSECURE_FOR_TESTS)
        .unwrap();
    assert_eq!(
        sealed_of(&path, a.0 as i64),
        sealed_before,
        "records untouched"
    );
    drop(vault);
    assert!(matches!(
        Vault::open(&path, PASS),
        Err(VaultError::WrongPassphrase)
    ));
    let vault = Vault::open(&path, b"new passphrase").unwrap();
    assert!(vault.get(a).unwrap().is_some());
}

#[test]
fn backups_open_with_the_same_passphrase() {
    let (dir, _path, vault) = new_vault();
    vault
        .add_credential(&password("https://a.example", "alice", "pw"), Timestamp(0))
        .unwrap();
    let copy = dir.path().join("backup.sqlite");
    vault.backup(&copy).unwrap();
    assert!(matches!(
        vault.backup(&copy),
        Err(VaultError::AlreadyExists(_))
    ));
    let restored = Vault::open(&copy, PASS).unwrap();
    assert_eq!(restored.all().unwrap(), vault.all().unwrap());
}

#[test]
fn two_handles_write_at_once_without_losing_anything() {
    let (_dir, path, vault) = new_vault();
    let other = Vault::open(&path, PASS).unwrap();
    std::thread::scope(|s| {
        for (handle, who) in [(&vault, "cli"), (&other, "host")] {
            s.spawn(move || {
                for i in 0..25 {
                    handle
                        .add_credential(
                            &password("https://a.example", &format!("{who}{i}"), "pw"),
                            Timestamp(0),
                        )
                        .unwrap();
                }
            });
        }
    });
    assert_eq!(vault.all().unwrap().len(), 50);
    assert_eq!(other.all().unwrap().len(), 50);
    assert!(vault.check(&mut |_, _| {}).unwrap().is_clean());
}

#[test]
fn a_batch_applies_all_or_nothing() {
    let (_dir, _path, vault) = new_vault();
    let changes = [
        Change::Add(password("https://a.example", "alice", "pw")),
        Change::Update(
            RecordId(12345),
            password("https://a.example", "ghost", "pw"),
        ),
    ];
    assert!(vault.apply(&changes, Timestamp(0), &mut || {}).is_err());
    assert!(
        vault.all().unwrap().is_empty(),
        "the first change was rolled back"
    );
    let mut progress = 0;
    let ids = vault
        .apply(
            &[
                Change::Add(password("https://a.example", "a", "1")),
                Change::Add(password("https://b.example", "b", "2")),
            ],
            Timestamp(0),
            &mut || progress += 1,
        )
        .unwrap();
    assert_eq!((ids.len(), progress), (2, 2));
}

#[test]
fn opaque_origins_and_weak_parameters_are_refused() {
    let (dir, _path, vault) = new_vault();
    let opaque = Credential::Password(PasswordCredential {
        id: "a".into(),
        password: Password::new("b"),
        name: String::new(),
        icon_url: String::new(),
        origin: Origin::new_opaque(),
    });
    assert!(matches!(
        vault.add_credential(&opaque, Timestamp(0)),
        Err(VaultError::OpaqueOrigin)
    ));
    let weak = KdfParams {
        m_cost_kib: 1024,
        t_cost: 1,
        p_cost: 1,
    };
    assert!(matches!(
        Vault::create(&dir.path().join("weak"), PASS, weak),
        Err(VaultError::Kdf(_))
    ));
    assert_eq!(
        KdfParams::DEFAULT,
        KdfParams {
            m_cost_kib: 65536,
            t_cost: 3,
            p_cost: 1
        }
    );
}

#[test]
fn info_and_debug_show_nothing_secret() {
    let (_dir, _path, vault) = new_vault();
    vault
        .add_credential(
            &password("https://a.example", "alice", "s3cret"),
            Timestamp(0),
        )
        .unwrap();
    let info = vault.info().unwrap();
    assert_eq!(
        (
            info.passwords,
            info.federated,
            info.schema_version,
            info.format_version
        ),
        (1, 0, 1, credwell_vault::FORMAT_VERSION)
    );
    assert_eq!(info.generation, vault.generation().unwrap());
    assert_eq!(info.kdf, KdfParams::INSECURE_FOR_TESTS);
    let shown = format!("{vault:?} {info:?}");
    assert!(!shown.contains("s3cret") && !shown.contains("alice"));
}

#[test]
fn ids_are_never_reused_and_rows_moved_to_another_origin_are_tampered() {
    let (_dir, path, vault) = new_vault();
    let a = vault
        .add_credential(&password("https://a.example", "alice", "pw"), Timestamp(0))
        .unwrap();
    assert!(vault.remove_credential(a).unwrap());
    let b = vault
        .add_credential(&password("https://a.example", "bob", "pw"), Timestamp(0))
        .unwrap();
    assert_ne!(a, b);
    // Move bob's row under another origin's blind index.
    let c = vault
        .add_credential(&password("https://c.example", "carol", "pw"), Timestamp(0))
        .unwrap();
    let conn = raw(&path);
    let c_index: Vec<u8> = conn
        .query_row(
            "SELECT origin_index FROM records WHERE id = ?1",
            [c.0 as i64],
            |r| r.get(0),
        )
        .unwrap();
    conn.execute(
        "UPDATE records SET origin_index = ?1 WHERE id = ?2",
        params![c_index, b.0 as i64],
    )
    .unwrap();
    assert!(matches!(
        vault.list_origin(&origin("https://c.example"), CredentialType::Password),
        Err(VaultError::Tampered(id)) if id == b.0 as i64
    ));
}

#[test]
fn changes_never_reach_an_origins_flags_through_a_record_id() {
    let (_dir, _path, vault) = new_vault();
    let o = origin("https://a.example");
    let flags = OriginFlags {
        prevent_silent_access: false,
        never_save: true,
    };
    block_on(vault.set_origin_flags(&o, flags)).unwrap();
    // The flags row is the vault's only row, so it has the first id.
    let flags_row = RecordId(1);
    for change in [
        Change::Remove(flags_row),
        Change::Update(flags_row, password("https://b.example", "bob", "pw")),
    ] {
        assert!(matches!(
            vault.apply(&[change], Timestamp(0), &mut || {}),
            Err(VaultError::NoSuchRecord(1))
        ));
    }
    assert!(!vault.remove_credential(flags_row).unwrap());
    assert!(
        !vault
            .update_credential(
                flags_row,
                &password("https://b.example", "bob", "pw"),
                Timestamp(0)
            )
            .unwrap()
    );
    assert_eq!(vault.flags(&o).unwrap(), flags);
    assert!(vault.all().unwrap().is_empty());
    assert!(matches!(
        vault.apply(&[Change::Remove(RecordId(99))], Timestamp(0), &mut || {}),
        Err(VaultError::NoSuchRecord(99))
    ));
}

#[cfg(unix)]
#[test]
fn the_vault_and_its_backups_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, path, vault) = new_vault();
    vault
        .add_credential(&password("https://a.example", "alice", "pw"), Timestamp(0))
        .unwrap();
    let copy = dir.path().join("backup.sqlite");
    vault.backup(&copy).unwrap();
    for file in [&path, &copy] {
        let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }
    let wal = dir.path().join("vault.sqlite-wal");
    let mode = std::fs::metadata(&wal).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "SQLite gives the WAL the vault's mode");
    assert!(
        Vault::open(&copy, PASS)
            .unwrap()
            .check(&mut |_, _| {})
            .unwrap()
            .is_clean()
    );
}

#[test]
fn a_failed_create_leaves_no_file_and_an_existing_file_is_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "keep me").unwrap();
    assert!(matches!(
        Vault::create(&path, PASS, KdfParams::INSECURE_FOR_TESTS),
        Err(VaultError::AlreadyExists(_))
    ));
    assert_eq!(std::fs::read(&path).unwrap(), b"keep me");
    // Parameters Argon2 itself rejects (more lanes than it allows) fail after the file exists.
    let bad = KdfParams {
        p_cost: u32::MAX,
        ..KdfParams::MINIMUM
    };
    let fresh = dir.path().join("vault.sqlite");
    assert!(matches!(
        Vault::create(&fresh, PASS, bad),
        Err(VaultError::Kdf(_))
    ));
    assert!(!fresh.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn a_header_asking_for_absurd_key_derivation_costs_is_refused() {
    let (_dir, path, vault) = new_vault();
    drop(vault);
    let huge = serde_json::to_vec(&KdfParams {
        m_cost_kib: u32::MAX,
        t_cost: 1,
        p_cost: 1,
    })
    .unwrap();
    raw(&path)
        .execute(
            "UPDATE meta SET value = ?1 WHERE key = 'kdf'",
            params![huge],
        )
        .unwrap();
    assert!(matches!(
        Vault::open(&path, PASS),
        Err(VaultError::BadHeader(_))
    ));
}

/// The credentials (with their record ids) and the passkeys of a vault.
fn contents(vault: &Vault) -> (Vec<credwell_core::StoredCredential>, Vec<PasskeyEntry>) {
    let passkeys = vault
        .all_passkeys()
        .unwrap()
        .into_iter()
        .map(|p| p.entry)
        .collect();
    (vault.all().unwrap(), passkeys)
}

#[test]
fn a_batch_writes_what_the_same_changes_one_at_a_time_write() {
    // A write reads the integrity state once and hands out ids from it in memory: the ids,
    // rows and accumulator must come out as one write per change makes them.
    let passkey = |id: &[u8]| PasskeyEntry {
        rp_id: "a.example".into(),
        credential_id: id.to_vec(),
        payload: zeroize::Zeroizing::new(b"payload".to_vec()),
    };
    let first = vec![
        Change::Add(password("https://a.example", "alice", "1")),
        Change::AddPasskey(passkey(b"k1")),
        Change::Add(password("https://b.example", "bob", "2")),
        Change::Add(password("https://c.example", "carol", "3")),
    ];
    let (_d1, p1, batch) = new_vault();
    let (_d2, p2, single) = new_vault();
    let ids = batch.apply(&first, Timestamp(5), &mut || {}).unwrap();
    let mut one_by_one = Vec::new();
    for change in &first {
        let added = single.apply(std::slice::from_ref(change), Timestamp(5), &mut || {});
        one_by_one.extend(added.unwrap());
    }
    assert_eq!(ids, one_by_one);
    assert_eq!(ids, [RecordId(1), RecordId(3), RecordId(4)]);
    // Removals, an update and adds in one batch: no id of a removed row comes back.
    let second = vec![
        Change::Remove(ids[2]),
        Change::Update(ids[0], password("https://a.example", "alice", "new")),
        Change::RemovePasskey(b"k1".to_vec()),
        Change::Add(password("https://d.example", "dave", "4")),
        Change::AddPasskey(passkey(b"k2")),
    ];
    let more = batch.apply(&second, Timestamp(6), &mut || {}).unwrap();
    let mut one_by_one = Vec::new();
    for change in &second {
        let added = single.apply(std::slice::from_ref(change), Timestamp(6), &mut || {});
        one_by_one.extend(added.unwrap());
    }
    assert_eq!(more, one_by_one);
    assert_eq!(more, [RecordId(5)]);
    assert_eq!(contents(&batch), contents(&single));
    assert_eq!(contents(&batch).1[0].credential_id, b"k2");
    // One generation per write.
    assert_eq!(batch.generation().unwrap(), 3);
    assert_eq!(single.generation().unwrap(), 1 + 9);
    // Both accumulators match their rows, now and once reopened.
    for (vault, path) in [(batch, p1), (single, p2)] {
        assert!(vault.check(&mut |_, _| {}).unwrap().is_clean());
        drop(vault);
        let reopened = Vault::open(&path, PASS).unwrap();
        let next = reopened
            .add_credential(&password("https://e.example", "erin", "5"), Timestamp(7))
            .unwrap();
        assert_eq!(
            next,
            RecordId(7),
            "the id after the two passkeys' and five credentials'"
        );
    }
}

#[test]
fn a_failed_batch_hands_out_no_id_and_leaves_the_state_as_it_was() {
    let (_dir, path, vault) = new_vault();
    let kept = vault
        .add_credential(&password("https://a.example", "alice", "1"), Timestamp(0))
        .unwrap();
    let generation = vault.generation().unwrap();
    let failing = [
        Change::Add(password("https://b.example", "bob", "2")),
        Change::Add(password("https://c.example", "carol", "3")),
        Change::Remove(kept),
        Change::Update(RecordId(999), password("https://d.example", "ghost", "4")),
    ];
    assert!(matches!(
        vault.apply(&failing, Timestamp(1), &mut || {}),
        Err(VaultError::NoSuchRecord(999))
    ));
    assert_eq!(vault.generation().unwrap(), generation);
    assert_eq!(
        vault.all().unwrap().len(),
        1,
        "nothing of the batch was written"
    );
    assert!(vault.check(&mut |_, _| {}).unwrap().is_clean());
    // The ids the failed batch had taken were never written: the next write starts where it
    // did.
    let next = vault
        .add_credential(&password("https://b.example", "bob", "2"), Timestamp(2))
        .unwrap();
    assert_eq!(next, RecordId(kept.0 + 1));
    drop(vault);
    assert!(Vault::open(&path, PASS).is_ok());
}

/// A guarded write whose sync value `state` is `value` (none: removed).
fn guarded<'a>(
    changes: &'a [Change],
    flags: &'a [(Origin, OriginFlags)],
    value: Option<&'static [u8]>,
) -> credwell_vault::GuardedWrite<'a, impl FnOnce() -> Result<SyncValue, VaultError>> {
    credwell_vault::GuardedWrite {
        changes,
        flags,
        sync_value: Some(("state", move || {
            Ok(value.map(|v| Zeroizing::new(v.to_vec())))
        })),
    }
}

/// The error of a sync value that could not be made, or the vault's.
#[derive(Debug)]
enum Unmade {
    NoState,
    #[allow(dead_code)] // Only its presence matters: the vault's errors convert into it.
    Vault(VaultError),
}

impl From<VaultError> for Unmade {
    fn from(e: VaultError) -> Self {
        Unmade::Vault(e)
    }
}

#[test]
fn a_guarded_write_of_records_flags_and_a_sync_value_is_one_write() {
    let (_dir, path, vault) = new_vault();
    let generation = vault.generation().unwrap();
    let changes = [
        Change::Add(password("https://a.example", "alice", "1")),
        Change::Add(password("https://b.example", "bob", "2")),
    ];
    let flags = [(
        origin("https://a.example"),
        OriginFlags {
            prevent_silent_access: false,
            never_save: true,
        },
    )];
    let write = || guarded(&changes, &flags, Some(b"the client's state"));
    // A stale generation writes nothing.
    let stale = vault.apply_if_generation(generation + 1, write(), Timestamp(3));
    assert!(matches!(stale, Ok(None)));
    assert!(vault.all().unwrap().is_empty());
    // Nor does a sync value that cannot be made: its error comes back.
    let unmade = credwell_vault::GuardedWrite {
        changes: &changes,
        flags: &flags,
        sync_value: Some(("state", || Err(Unmade::NoState))),
    };
    let error = vault.apply_if_generation(generation, unmade, Timestamp(3));
    assert!(matches!(error, Err(Unmade::NoState)), "{error:?}");
    assert!(vault.all().unwrap().is_empty());
    assert_eq!(
        vault.flags(&origin("https://a.example")).unwrap(),
        OriginFlags::default()
    );
    assert_eq!(vault.generation().unwrap(), generation);
    let after = vault
        .apply_if_generation(generation, write(), Timestamp(3))
        .unwrap();
    assert_eq!(after, Some(generation + 1));
    assert_eq!(vault.generation().unwrap(), generation + 1);
    let records: Vec<u64> = vault.all().unwrap().iter().map(|r| r.record.0).collect();
    assert_eq!(records, [1, 2]);
    assert_eq!(
        vault.flags(&origin("https://a.example")).unwrap(),
        flags[0].1
    );
    assert_eq!(
        vault.sync_value("state").unwrap().unwrap().as_slice(),
        b"the client's state"
    );
    // The flags' and the sync value's rows took the next ids: the next credential's is 5.
    let next = vault
        .add_credential(&password("https://c.example", "carol", "3"), Timestamp(4))
        .unwrap();
    assert_eq!(next, RecordId(5));
    // A failure inside the guarded write (an update of no record) writes none of it.
    let failing = [Change::Update(
        RecordId(999),
        password("https://d.example", "ghost", "4"),
    )];
    let write = guarded(&failing, &[], None);
    let generation = vault.generation().unwrap();
    assert!(
        vault
            .apply_if_generation(generation, write, Timestamp(5))
            .is_err()
    );
    assert!(vault.sync_value("state").unwrap().is_some());
    assert_eq!(vault.generation().unwrap(), generation);
    assert!(vault.check(&mut |_, _| {}).unwrap().is_clean());
    drop(vault);
    assert!(Vault::open(&path, PASS).is_ok());
}
