//! A sync of more records than one thread's run (step 4, each record's changes, is taken in
//! runs on the machine's cores): a new vault gets every one, edits and deletions arrive, and
//! the result is what the records one after the other give.

#![allow(clippy::unwrap_used)] // A test: a failure panics right there.

use std::collections::BTreeSet;

use credwell_core::{Credential, Origin, Password, PasswordCredential, Timestamp};
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
