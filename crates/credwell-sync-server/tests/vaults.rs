//! Three vault files synced through the server on both engines: every kind of record the
//! vault holds, added, edited and deleted on different devices, edited offline on two, and the
//! vaults compared record by record; nothing of a record in the server's database.

#![allow(clippy::unwrap_used)] // A test: a failure panics right there.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::serve;
use credwell_admin::sync::{Item, SyncAccount, restore_from_vault, sync_vault};
use credwell_core::{
    Credential, CustomField, DatedCredential, Extras, FederatedCredential, Origin, OriginFlags,
    Password, PasswordCredential, SecretText, Timestamp,
};
use credwell_sync::AccountKey;
use credwell_sync::client::Report;
use credwell_sync::client::http::HttpTransport;
use credwell_vault::{Change, KdfParams, PasskeyEntry, Vault};
use zeroize::Zeroizing;

const CANARIES: [&str; 4] = [
    "canary-password-1",
    "canary-user-alice",
    "canary-site.example",
    "canary-passkey-payload",
];

/// Three vaults signed in to one new account.
fn three_vaults(dir: &Path, base: &str) -> Vec<Vault> {
    let (_, key) = AccountKey::generate().unwrap();
    let first = HttpTransport::create_account(base, "a").unwrap();
    let transport = HttpTransport::new(base, first.token.clone()).unwrap();
    let mut enrolled = vec![first];
    for name in ["b", "c"] {
        enrolled.push(transport.add_device(name).unwrap());
    }
    enrolled
        .into_iter()
        .enumerate()
        .map(|(n, e)| {
            let path = dir.join(format!("vault{n}.sqlite"));
            let vault = Vault::create(&path, b"pass", KdfParams::INSECURE_FOR_TESTS).unwrap();
            let account = SyncAccount {
                server: base.to_owned(),
                account: e.account,
                device: e.device,
                token: e.token,
                key: Zeroizing::new(key.to_vec()),
                ca: None,
            };
            account.save(&vault, 1).unwrap();
            vault
        })
        .collect()
}

fn sync(vault: &Vault, now: u64) -> Report {
    let account = SyncAccount::load(vault).unwrap().unwrap();
    let transport = HttpTransport::new(&account.server, account.token.clone()).unwrap();
    let mut client = account.client(vault, transport).unwrap();
    sync_vault(vault, &mut client, now).unwrap()
}

/// The synced copy of each record, as the device's client holds it.
fn synced(vault: &Vault) -> Vec<Item> {
    let account = SyncAccount::load(vault).unwrap().unwrap();
    let transport = HttpTransport::new(&account.server, account.token.clone()).unwrap();
    let mut client = account.client(vault, transport).unwrap();
    restore_from_vault(vault, &mut client).unwrap();
    client.records().map(|(_, item)| item.clone()).collect()
}

/// Everything the vault holds, as items (each kind, sorted).
fn contents(vault: &Vault) -> BTreeSet<String> {
    let mut all = BTreeSet::new();
    for c in vault.all().unwrap() {
        all.insert(format!(
            "{:?}",
            Item::of_credential(&c.credential, &c.extras).map(|i| expose(&i))
        ));
    }
    for p in vault.all_passkeys().unwrap() {
        all.insert(format!("{:?}{:?}", p.entry.rp_id, &p.entry.payload[..]));
    }
    for f in vault.all_flags().unwrap() {
        all.insert(format!("{} {:?}", f.origin, f.flags));
    }
    all
}

fn expose(item: &Item) -> String {
    match item {
        Item::Password {
            origin,
            id,
            password,
            extras,
            ..
        } => {
            // The extras' JSON holds their secrets in clear: the vaults compare them too.
            let extras = extras.as_ref().map(|x| serde_json::to_string(x).unwrap());
            format!("{origin} {id} {} {extras:?}", password.expose())
        }
        other => format!("{other:?}"),
    }
}

fn password_of(vault: &Vault) -> String {
    match &vault.all().unwrap()[0].credential {
        Credential::Password(c) => c.password.expose().to_owned(),
        _ => panic!("not a password"),
    }
}

fn all_sync(vaults: &[Vault], now: u64) {
    for _ in 0..2 {
        for vault in vaults {
            sync(vault, now);
        }
    }
    let first = contents(&vaults[0]);
    for vault in &vaults[1..] {
        assert_eq!(contents(vault), first);
    }
}

#[test]
fn three_vaults_sync_every_kind_of_record_on_both_engines() {
    for engine_name in ["sqlite", "postgres"] {
        let (base, _runtime, engine) = serve(engine_name);
        let dir = tempfile::tempdir().unwrap();
        let v = three_vaults(dir.path(), &base);
        let site = Origin::parse(&format!("https://{}", CANARIES[2])).unwrap();
        let password = PasswordCredential {
            id: CANARIES[1].into(),
            password: Password::new(CANARIES[0]),
            name: "Alice".into(),
            icon_url: String::new(),
            origin: site.clone(),
        };
        v[0].add_credential(&Credential::Password(password.clone()), Timestamp(1_000))
            .unwrap();
        let federated = FederatedCredential {
            id: "alice@idp".into(),
            provider: "https://idp.example".into(),
            protocol: None,
            name: String::new(),
            icon_url: String::new(),
            origin: site.clone(),
        };
        v[0].add_credential(&Credential::Federated(federated), Timestamp(1_000))
            .unwrap();
        let passkey = PasskeyEntry {
            rp_id: "passkeys.example".into(),
            credential_id: vec![9; 16],
            payload: Zeroizing::new(CANARIES[3].as_bytes().to_vec()),
        };
        v[1].add_passkey(&passkey, 1_000).unwrap();
        let never = OriginFlags {
            prevent_silent_access: true,
            never_save: true,
        };
        let other = Origin::parse("https://never.example").unwrap();
        v[2].set_flags(&other, never, Timestamp(1_000)).unwrap();
        let quiet = OriginFlags {
            prevent_silent_access: false,
            never_save: false,
        };
        v[2].set_flags(&site, quiet, Timestamp(1_000)).unwrap();
        all_sync(&v, 2_000);
        for vault in &v {
            assert_eq!(vault.all().unwrap().len(), 2, "{engine_name}");
            assert_eq!(vault.passkey(&[9; 16]).unwrap().unwrap().entry, passkey);
            assert_eq!(vault.flags(&other).unwrap(), never);
            assert_eq!(vault.flags(&site).unwrap(), quiet);
        }
        // Edit on b, delete the federated credential and the flags on c.
        let record = v[1]
            .all()
            .unwrap()
            .into_iter()
            .find(|c| matches!(c.credential, Credential::Password(_)))
            .unwrap()
            .record;
        let edited = PasswordCredential {
            password: Password::new("second"),
            ..password.clone()
        };
        v[1].update_credential(
            record,
            &Credential::Password(edited.clone()),
            Timestamp(3_000),
        )
        .unwrap();
        let federated_record = v[2]
            .all()
            .unwrap()
            .into_iter()
            .find(|c| matches!(c.credential, Credential::Federated(_)))
            .unwrap()
            .record;
        v[2].remove_credential(federated_record).unwrap();
        v[2].set_flags(&other, OriginFlags::default(), Timestamp(3_000))
            .unwrap();
        v[0].remove_passkey(&[9; 16]).unwrap();
        all_sync(&v, 4_000);
        for vault in &v {
            assert_eq!(vault.all().unwrap().len(), 1, "{engine_name}");
            assert_eq!(password_of(vault), "second");
            assert_eq!(vault.flags(&other).unwrap(), OriginFlags::default());
            assert!(vault.passkey(&[9; 16]).unwrap().is_none());
        }
        // Offline, a and b change the same password; b's change is later.
        for (n, (text, at)) in [("from-a", 5_000), ("from-b", 6_000)]
            .into_iter()
            .enumerate()
        {
            let record = v[n].all().unwrap()[0].record;
            let changed = PasswordCredential {
                password: Password::new(text),
                ..password.clone()
            };
            v[n].update_credential(record, &Credential::Password(changed), Timestamp(at))
                .unwrap();
        }
        all_sync(&v, 7_000);
        for vault in &v {
            assert_eq!(password_of(vault), "from-b", "{engine_name}");
            let items = synced(vault);
            let Some(Item::Password { history, .. }) =
                items.iter().find(|i| matches!(i, Item::Password { .. }))
            else {
                panic!("no password synced");
            };
            let history: Vec<&str> = history.iter().map(|s| s.expose()).collect();
            for lost in ["from-a", "second", CANARIES[0]] {
                assert!(history.contains(&lost), "{engine_name}: {lost} kept");
            }
        }
        // Nothing readable of any record on the server.
        if let Some(file) = &engine.file {
            let mut bytes = std::fs::read(file).unwrap();
            let wal = file.with_file_name("sync.sqlite-wal");
            bytes.extend(std::fs::read(wal).unwrap_or_default());
            for canary in CANARIES {
                let found = bytes.windows(canary.len()).any(|w| w == canary.as_bytes());
                assert!(!found, "{canary} in the server's database");
            }
        }
    }
}

/// The password of `user`'s credential in `vault`, and its record, if it holds one.
fn credential_of(vault: &Vault, user: &str) -> Option<(String, credwell_core::RecordId)> {
    vault
        .all()
        .unwrap()
        .into_iter()
        .find_map(|c| match c.credential {
            Credential::Password(p) if p.id == user => {
                Some((p.password.expose().to_owned(), c.record))
            }
            _ => None,
        })
}

/// The synced history of `user`'s password on `vault`.
fn history_of(vault: &Vault, user: &str) -> Vec<String> {
    synced(vault)
        .iter()
        .find_map(|item| match item {
            Item::Password { id, history, .. } if id == user => {
                Some(history.iter().map(|s| s.expose().to_owned()).collect())
            }
            _ => None,
        })
        .unwrap_or_default()
}

#[test]
fn vaults_whose_clocks_differ_by_hours_converge_by_the_writers_clocks() {
    const MINUTE: u64 = 60_000;
    const HOUR: u64 = 60 * MINUTE;
    let t: u64 = 1_750_000_000_000;
    // a's clock is right, b's five hours behind, c's five hours ahead; `at(n, m)` is device
    // n's clock m minutes into the test.
    let skew = [0i64, -5, 5];
    let at = |n: usize, minutes: u64| {
        t.saturating_add_signed(skew[n] * i64::try_from(HOUR).unwrap()) + minutes * MINUTE
    };
    for engine_name in ["sqlite", "postgres"] {
        let (base, _runtime, _engine) = serve(engine_name);
        let dir = tempfile::tempdir().unwrap();
        let v = three_vaults(dir.path(), &base);
        let everyone_syncs = |minutes: u64| {
            for _ in 0..2 {
                for (n, vault) in v.iter().enumerate() {
                    sync(vault, at(n, minutes));
                }
            }
            let first = contents(&v[0]);
            for vault in &v[1..] {
                assert_eq!(contents(vault), first, "{engine_name}: not converged");
            }
        };
        let site = Origin::parse("https://clocks.example").unwrap();
        let credential = |user: &str, password: &str| {
            Credential::Password(PasswordCredential {
                id: user.into(),
                password: Password::new(password),
                name: String::new(),
                icon_url: String::new(),
                origin: site.clone(),
            })
        };
        let edit = |n: usize, user: &str, password: &str, minutes: u64| {
            let (_, record) = credential_of(&v[n], user).unwrap();
            v[n].update_credential(
                record,
                &credential(user, password),
                Timestamp(at(n, minutes)),
            )
            .unwrap();
        };
        for user in ["edited", "edited-offline", "deleted-slow", "deleted-fast"] {
            v[0].add_credential(&credential(user, "first"), Timestamp(at(0, 0)))
                .unwrap();
        }
        everyone_syncs(1);
        // c (ahead) changes a password; a minute later b (behind) changes it too, after c
        // synced: c's change is stamped five hours after b's and is current everywhere; b's
        // password, and the first, are in its history on every device. The same when c, still
        // offline, is the last to sync.
        edit(2, "edited", "from-c", 2);
        sync(&v[2], at(2, 2));
        edit(2, "edited-offline", "from-c", 2);
        edit(1, "edited", "from-b", 3);
        edit(1, "edited-offline", "from-b", 3);
        everyone_syncs(4);
        for vault in &v {
            for user in ["edited", "edited-offline"] {
                assert_eq!(credential_of(vault, user).unwrap().0, "from-c", "{user}");
                let history = history_of(vault, user);
                for lost in ["from-b", "first"] {
                    assert!(history.iter().any(|h| h == lost), "{engine_name}: {lost}");
                }
            }
        }
        // a edits a credential; then b, whose clock is behind, deletes it: the deletion is
        // stamped before the edit, so the edit wins and the credential is back on b.
        edit(0, "deleted-slow", "edited-by-a", 5);
        sync(&v[0], at(0, 5));
        let (_, record) = credential_of(&v[1], "deleted-slow").unwrap();
        v[1].remove_credential(record).unwrap();
        everyone_syncs(6);
        for vault in &v {
            let (password, _) = credential_of(vault, "deleted-slow").unwrap();
            assert_eq!(password, "edited-by-a", "{engine_name}");
        }
        // c, whose clock is ahead, deletes a credential; then a edits it: the edit is stamped
        // before the deletion, which wins everywhere (the writer's clock decides).
        let (_, record) = credential_of(&v[2], "deleted-fast").unwrap();
        v[2].remove_credential(record).unwrap();
        sync(&v[2], at(2, 7));
        edit(0, "deleted-fast", "edited-after", 8);
        everyone_syncs(9);
        for vault in &v {
            assert!(
                credential_of(vault, "deleted-fast").is_none(),
                "{engine_name}"
            );
        }
    }
}

#[test]
fn a_note_written_on_one_device_arrives_on_the_others_sealed_on_both_engines() {
    const NOTE: &str = "canary-note-recovery-codes";
    const TOTP: &str = "otpauth://totp/a?secret=CANARYTOTPSECRET";
    for engine_name in ["sqlite", "postgres"] {
        let (base, _runtime, engine) = serve(engine_name);
        let dir = tempfile::tempdir().unwrap();
        let v = three_vaults(dir.path(), &base);
        let credential = Credential::Password(PasswordCredential {
            id: "alice".into(),
            password: Password::new("pw"),
            name: String::new(),
            icon_url: String::new(),
            origin: Origin::parse("https://notes.example").unwrap(),
        });
        let id = v[0].add_credential(&credential, Timestamp(1_000)).unwrap();
        all_sync(&v, 2_000);
        // Device a writes a note, a TOTP secret, a field, a folder and a favourite mark.
        let extras = Extras {
            notes: SecretText::new(NOTE),
            totp: SecretText::new(TOTP),
            fields: vec![CustomField {
                name: "PIN".into(),
                value: SecretText::new("canary-field-value"),
                hidden: true,
            }],
            folder: "Work".into(),
            favorite: true,
        };
        let with =
            |extras: &Extras| Change::UpdateWithExtras(id, credential.clone(), extras.clone());
        v[0].apply(&[with(&extras)], Timestamp(3_000), &mut || {})
            .unwrap();
        all_sync(&v, 4_000);
        for vault in &v {
            let stored = vault.all().unwrap().remove(0);
            assert_eq!(stored.extras, extras, "{engine_name}");
        }
        // Device b edits the password only: the extras stay everywhere. Device c changes the
        // note: it arrives on a and b.
        let b_record = v[1].all().unwrap()[0].record;
        let changed = Credential::Password(PasswordCredential {
            password: Password::new("pw2"),
            ..match &credential {
                Credential::Password(p) => p.clone(),
                _ => unreachable!(),
            }
        });
        v[1].update_credential(b_record, &changed, Timestamp(5_000))
            .unwrap();
        all_sync(&v, 6_000);
        let c_record = v[2].all().unwrap()[0].record;
        let mut edited = extras.clone();
        edited.notes = SecretText::new("canary-note-edited-on-c");
        v[2].apply(
            &[Change::UpdateWithExtras(
                c_record,
                changed.clone(),
                edited.clone(),
            )],
            Timestamp(7_000),
            &mut || {},
        )
        .unwrap();
        all_sync(&v, 8_000);
        for vault in &v {
            let stored = vault.all().unwrap().remove(0);
            assert_eq!(stored.credential, changed, "{engine_name}");
            assert_eq!(stored.extras, edited, "{engine_name}");
        }
        // A credential added with extras on b arrives with them.
        let added = DatedCredential {
            credential: Credential::Password(PasswordCredential {
                id: "bob".into(),
                password: Password::new("pw"),
                name: String::new(),
                icon_url: String::new(),
                origin: Origin::parse("https://notes.example").unwrap(),
            }),
            created: Timestamp(9_000),
            updated: Timestamp(9_000),
            history: Vec::new(),
            extras: extras.clone(),
        };
        v[1].apply(&[Change::AddDated(added)], Timestamp(9_000), &mut || {})
            .unwrap();
        all_sync(&v, 10_000);
        for vault in &v {
            let bob = vault
                .all()
                .unwrap()
                .into_iter()
                .find(|c| c.credential.id() == "bob");
            assert_eq!(bob.unwrap().extras, extras, "{engine_name}");
        }
        if let Some(file) = &engine.file {
            let mut bytes = std::fs::read(file).unwrap();
            let wal = file.with_file_name("sync.sqlite-wal");
            bytes.extend(std::fs::read(wal).unwrap_or_default());
            for canary in [
                NOTE,
                "CANARYTOTPSECRET",
                "canary-field-value",
                "canary-note-edited",
            ] {
                let found = bytes.windows(canary.len()).any(|w| w == canary.as_bytes());
                assert!(!found, "{canary} in the server's database");
            }
        }
    }
}
