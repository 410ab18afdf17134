//! A sync of more records than one thread's run (step 4, each record's changes, is taken in
//! runs on the machine's cores): a new vault gets every one, edits and deletions arrive, and
//! the result is what the records one after the other give. And a first sync of more records
//! than the vault's bulk write (which builds its index b-trees again after the inserts) gives
//! a new vault what it gives a vault that already held more (whose b-trees are added to).

#![allow(clippy::unwrap_used)] // A test: a failure panics right there.

use std::collections::BTreeSet;

use credwell_core::{
    Credential, CredentialType, Origin, Password, PasswordCredential, Site, Timestamp,
};
use credwell_vault::{Change, Vault};

use common::{Server, two_vaults};

mod common;

/// More than the 256 records from which step 4 is split across threads.
const MANY: usize = 600;

fn login(n: usize, password: &str) -> Credential {
    Credential::Password(PasswordCredential {
        id: format!("user{n}"),
        password: Password::new(password),
        name: String::new(),
        icon_url: String::new(),
        origin: Origin::parse(&format!("https://site{n}.example")).unwrap(),
    })
}

/// More than the 1,000 new rows from which a vault write builds its index b-trees again.
const BULK: usize = 1_100;

/// Every credential of `vault` as (origin, user, password), sorted.
fn contents(vault: &Vault) -> BTreeSet<(String, String, String)> {
    vault
        .all()
        .unwrap()
        .into_iter()
        .map(|stored| {
            let Credential::Password(c) = &stored.credential else {
                panic!("not a password")
            };
            (
                c.origin.to_string(),
                c.id.clone(),
                c.password.expose().to_owned(),
            )
        })
        .collect()
}

#[test]
fn many_records_arrive_whole_in_a_new_vault_and_their_edits_and_deletions_follow() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_vaults(dir.path());
    let server = Server::default();
    let sync = |vault: &Vault, device: u8, now: u64| {
        server.sync(vault, device, now).unwrap();
    };
    let added: Vec<_> = (0..MANY)
        .map(|n| Change::Add(login(n, &format!("pw-{n}"))))
        .collect();
    a.apply(&added, Timestamp(1_000), &mut || {}).unwrap();
    sync(&a, 1, 1_000);
    sync(&b, 2, 1_001);
    assert_eq!(contents(&b).len(), MANY);
    assert_eq!(contents(&b), contents(&a));
    // Every third record edited, every fifth deleted, on a; b follows.
    let stored = a.all().unwrap();
    let mut changes = Vec::new();
    for (n, row) in stored.iter().enumerate() {
        if n % 5 == 0 {
            changes.push(Change::Remove(row.record));
        } else if n % 3 == 0 {
            changes.push(Change::Update(row.record, login(n, &format!("new-{n}"))));
        }
    }
    a.apply(&changes, Timestamp(2_000), &mut || {}).unwrap();
    sync(&a, 1, 2_000);
    sync(&b, 2, 2_001);
    assert_eq!(contents(&b).len(), MANY - MANY / 5);
    assert_eq!(contents(&b), contents(&a));
    assert!(contents(&b).contains(&(
        "https://site3.example".into(),
        "user3".into(),
        "new-3".into()
    )));
}

/// Credentials a lookup found, as (user, password).
type Found = Vec<(String, String)>;

/// What lookups by origin and by site find in `vault` for record `n`'s origin and site.
fn found(vault: &Vault, n: usize) -> (Found, Found) {
    let origin = Origin::parse(&format!("https://site{n}.example")).unwrap();
    let site: &Site = origin.site().unwrap();
    let pairs = |listed: Vec<credwell_core::StoredCredential>| {
        listed
            .into_iter()
            .map(|stored| {
                let Credential::Password(c) = stored.credential else {
                    panic!("not a password")
                };
                (c.id, c.password.expose().to_owned())
            })
            .collect::<Vec<_>>()
    };
    (
        pairs(
            vault
                .list_origin(&origin, CredentialType::Password)
                .unwrap(),
        ),
        pairs(vault.list_site(site, CredentialType::Password).unwrap()),
    )
}

#[test]
fn a_first_sync_into_a_new_vault_and_into_a_larger_one_write_the_same_records() {
    let dir = tempfile::tempdir().unwrap();
    let (a, new) = two_vaults(dir.path());
    let larger = common::new_vault(dir.path(), "c.sqlite");
    let server = Server::default();
    let added: Vec<_> = (0..BULK)
        .map(|n| Change::Add(login(n, &format!("pw-{n}"))))
        .collect();
    a.apply(&added, Timestamp(1_000), &mut || {}).unwrap();
    server.sync(&a, 1, 1_000).unwrap();
    // The larger vault holds more credentials of its own (other sites) than the sync brings.
    let own: Vec<_> = (BULK..BULK + 1_200)
        .map(|n| Change::Add(login(n, "own")))
        .collect();
    larger.apply(&own, Timestamp(1_000), &mut || {}).unwrap();
    server.sync(&new, 2, 1_001).unwrap();
    server.sync(&larger, 3, 1_002).unwrap();
    let synced = contents(&a);
    assert_eq!(contents(&new), synced);
    let theirs: BTreeSet<_> = contents(&larger)
        .into_iter()
        .filter(|(_, _, password)| password != "own")
        .collect();
    assert_eq!(theirs, synced);
    for vault in [&new, &larger] {
        assert!(vault.check(&mut |_, _| {}).unwrap().integrity_ok);
    }
    for n in (0..BULK).step_by(73) {
        let expected = vec![(format!("user{n}"), format!("pw-{n}"))];
        assert_eq!(found(&new, n), (expected.clone(), expected.clone()));
        assert_eq!(found(&larger, n), (expected.clone(), expected));
    }
}
