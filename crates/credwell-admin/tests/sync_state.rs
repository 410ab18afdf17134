//! What a vault keeps of the sync client's state: the bodies the vault holds itself are left
//! out (a digest each), given back from the vault's rows at the next sync, and the merge, the
//! sync history of passwords and a state saved by the earlier form (every body in it) work as
//! before; a damaged state is refused by name, and nothing is lost.

#![allow(clippy::unwrap_used)] // A test: a failure panics right there.

use credwell_admin::sync::{Item, SyncAccount, VaultSyncError, restore_from_vault, sync_vault};
use credwell_core::{
    Credential, DatedCredential, Extras, Origin, Password, PasswordCredential, RecordId,
    SecretText, Timestamp,
};
use credwell_sync::client::SyncError;
use credwell_sync::{AccountKey, DeviceId};
use credwell_vault::{Change, Vault};
use zeroize::Zeroizing;

use common::{ACCOUNT, KEY, Server, client, two_vaults};

mod common;

fn login(password: &str, name: &str) -> Credential {
    Credential::Password(PasswordCredential {
        id: "alice".into(),
        password: Password::new(password),
        name: name.into(),
        icon_url: String::new(),
        origin: Origin::parse("https://site.example").unwrap(),
    })
}

/// The vault's one credential: its record, password and name.
fn the_login(vault: &Vault) -> (RecordId, String, String) {
    let all = vault.all().unwrap();
    assert_eq!(all.len(), 1);
    let Credential::Password(c) = &all[0].credential else {
        panic!("not a password")
    };
    (
        all[0].record,
        c.password.expose().to_owned(),
        c.name.clone(),
    )
}

/// The sync history of the one password the device's client holds (its copy made whole from
/// the vault).
fn synced_history(vault: &Vault, device: u8, server: &Server) -> Vec<String> {
    let mut device = client(vault, device, server.clone());
    restore_from_vault(vault, &mut device).unwrap();
    let items: Vec<Item> = device.records().map(|(_, i)| i.clone()).collect();
    assert_eq!(items.len(), 1);
    let Item::Password { history, .. } = &items[0] else {
        panic!("not a password")
    };
    history.iter().map(|p| p.expose().to_owned()).collect()
}

/// The state `vault` saved, opened under the account key: what the vault seals again.
fn saved_state(vault: &Vault) -> Vec<u8> {
    let key = AccountKey::from_bytes(&KEY);
    let id = key.record_id("credwell-sync", b"device state");
    let sealed = vault.sync_value("state").unwrap().unwrap();
    key.open(ACCOUNT, id, false, &sealed)
        .unwrap()
        .plain
        .to_vec()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn update(vault: &Vault, credential: Credential, at: u64) {
    let (record, ..) = the_login(vault);
    let change = [Change::Update(record, credential)];
    vault.apply(&change, Timestamp(at), &mut || {}).unwrap();
}

#[test]
fn the_state_leaves_out_what_the_vault_holds_and_edits_and_merges_keep_their_history() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_vaults(dir.path());
    let server = Server::default();
    let sync = |vault: &Vault, device: u8, now: u64| server.sync(vault, device, now).unwrap();
    let extras = Extras {
        notes: SecretText::new("NOTE-CANARY"),
        ..Extras::default()
    };
    let first = Change::AddDated(DatedCredential {
        credential: login("PASSWORD-CANARY", "site"),
        created: Timestamp(1_000),
        updated: Timestamp(1_000),
        history: Vec::new(),
        extras,
    });
    a.apply(&[first], Timestamp(1_000), &mut || {}).unwrap();
    sync(&a, 1, 1_100);
    sync(&b, 2, 1_200);
    // Neither the password nor the notes are in either device's saved state.
    for vault in [&a, &b] {
        let state = saved_state(vault);
        assert!(state.starts_with(b"\0cws\x03"));
        for canary in ["PASSWORD-CANARY", "NOTE-CANARY", "alice"] {
            assert!(!contains(&state, canary), "{canary} in the saved state");
        }
    }
    // An edit on a: the replaced password joins the synced history, on both devices.
    update(&a, login("second", "site"), 2_000);
    sync(&a, 1, 2_100);
    sync(&b, 2, 2_200);
    assert_eq!(the_login(&b).1, "second");
    for (vault, device) in [(&a, 1), (&b, 2)] {
        assert_eq!(synced_history(vault, device, &server), ["PASSWORD-CANARY"]);
    }
    // Both edit offline; b's is later and wins, and keeps a's and the replaced one.
    update(&a, login("from-a", "site"), 3_000);
    update(&b, login("from-b", "site"), 4_000);
    sync(&a, 1, 4_100);
    sync(&b, 2, 4_200);
    sync(&a, 1, 4_300);
    for (vault, device) in [(&a, 1), (&b, 2)] {
        assert_eq!(the_login(vault).1, "from-b");
        let history = synced_history(vault, device, &server);
        for kept in ["PASSWORD-CANARY", "second", "from-a"] {
            assert!(history.iter().any(|h| h == kept), "{kept} not kept");
        }
    }
    // An edit of more than the password (a base the vault's row cannot give back): it is still
    // a change, pushed and written everywhere.
    update(&b, login("third", "renamed"), 5_000);
    sync(&b, 2, 5_100);
    sync(&a, 1, 5_200);
    for vault in [&a, &b] {
        let (_, password, name) = the_login(vault);
        assert_eq!((password.as_str(), name.as_str()), ("third", "renamed"));
    }
    // A deletion of a row whose body the state left out reaches the other device.
    sync(&a, 1, 5_300);
    sync(&b, 2, 5_400);
    let (record, ..) = the_login(&b);
    b.apply(&[Change::Remove(record)], Timestamp(6_000), &mut || {})
        .unwrap();
    sync(&b, 2, 6_100);
    sync(&a, 1, 6_200);
    assert!(a.all().unwrap().is_empty());
}

#[test]
fn a_state_saved_in_the_earlier_form_still_loads_and_the_next_save_is_compact() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_vaults(dir.path());
    let server = Server::default();
    let sync = |vault: &Vault, device: u8, now: u64| server.sync(vault, device, now).unwrap();
    a.apply(
        &[Change::Add(login("first", ""))],
        Timestamp(1_000),
        &mut || {},
    )
    .unwrap();
    sync(&a, 1, 1_100);
    sync(&b, 2, 1_200);
    // b's state as the earlier code saved it: the whole state as JSON, sealed under the
    // account key at its cursor.
    let device = client(&b, 2, server.clone());
    let mut full = device;
    restore_from_vault(&b, &mut full).unwrap();
    let old = serde_json::to_vec(full.state()).unwrap();
    assert!(contains(&old, "first"));
    let key = AccountKey::from_bytes(&KEY);
    let id = key.record_id("credwell-sync", b"device state");
    let sealed = key
        .seal(ACCOUNT, id, full.state().cursor, false, &old)
        .unwrap();
    b.set_sync_value("state", Some(&sealed), Timestamp(1_300))
        .unwrap();
    // It loads with every body, and b edits, syncs and saves on.
    let loaded = client(&b, 2, server.clone());
    assert_eq!(loaded.records().count(), 1);
    update(&b, login("second", ""), 2_000);
    sync(&b, 2, 2_100);
    sync(&a, 1, 2_200);
    assert_eq!(the_login(&a).1, "second");
    assert_eq!(synced_history(&a, 1, &server), ["first"]);
    // Compact; the edited body is saved whole: it has a sync history ("first"), which the
    // vault does not keep.
    let state = saved_state(&b);
    assert!(state.starts_with(b"\0cws\x03") && contains(&state, "second"));
}

#[test]
fn a_damaged_state_is_refused_by_name_and_the_vault_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_vaults(dir.path());
    let server = Server::default();
    a.apply(
        &[Change::Add(login("first", ""))],
        Timestamp(1_000),
        &mut || {},
    )
    .unwrap();
    server.sync(&a, 1, 1_100).unwrap();
    let account = SyncAccount {
        server: "http://127.0.0.1:1".into(),
        account: ACCOUNT,
        device: DeviceId([2; 16]),
        token: Zeroizing::new("token".into()),
        key: Zeroizing::new(KEY.to_vec()),
        ca: None,
    };
    account.save(&b, 1_150).unwrap();
    let mut device = account.client(&b, server.clone()).unwrap();
    sync_vault(&b, &mut device, 1_200).unwrap();
    // b's state cut short (sealed again at its cursor, as a write cut off might leave it).
    let plain = saved_state(&b);
    let cursor = device.state().cursor;
    let key = AccountKey::from_bytes(&KEY);
    let id = key.record_id("credwell-sync", b"device state");
    let cut = key
        .seal(ACCOUNT, id, cursor, false, &plain[..plain.len() - 10])
        .unwrap();
    b.set_sync_value("state", Some(&cut), Timestamp(1_300))
        .unwrap();
    let error = account.client(&b, server.clone()).err().unwrap();
    assert!(matches!(
        error,
        VaultSyncError::Sync(SyncError::StateDamaged)
    ));
    assert_eq!(
        error.to_string(),
        "this device's saved sync state is damaged or belongs to another account"
    );
    // Nothing was lost: the credential and the damaged state are as they were.
    assert_eq!(the_login(&b).1, "first");
    assert_eq!(b.sync_value("state").unwrap().unwrap().to_vec(), cut);
}
