//! A write to the vault while it syncs is not lost: `sync_vault` writes what came back from the
//! server only if nothing was written since it read the vault, and otherwise fails with
//! `VaultChanged` (the next sync pushes the write). The race is made deterministic by a
//! transport that writes to the vault while the sync is "on the network".

#![allow(clippy::unwrap_used)] // A test: a failure panics right there.

use std::cell::Cell;

use credwell_admin::sync::{
    VAULT_CHANGED_ATTEMPTS, VaultSyncError, sync_vault, sync_vault_retrying,
};
use credwell_core::{Credential, Origin, Password, PasswordCredential, RecordId, Timestamp};
use credwell_sync::client::{Pushed, Transport, TransportError};
use credwell_sync::protocol::{PullReply, PushRequest};
use credwell_vault::{Change, Vault};

use common::{Server, client, new_vault, two_vaults};

mod common;

/// The link to the server that, on its first pull, runs `write` (the user saving a
/// credential while the sync is on the network).
struct Racing<'a> {
    server: Server,
    write: Option<Box<dyn FnOnce() + 'a>>,
}

impl Transport for Racing<'_> {
    fn pull(&mut self, since: u64, limit: u32) -> Result<PullReply, TransportError> {
        if let Some(write) = self.write.take() {
            write();
        }
        self.server.pull(since, limit)
    }

    fn push(&mut self, request: &PushRequest) -> Result<Pushed, TransportError> {
        self.server.push(request)
    }
}

fn login(password: &str) -> Credential {
    Credential::Password(PasswordCredential {
        id: "alice".into(),
        password: Password::new(password),
        name: String::new(),
        icon_url: String::new(),
        origin: Origin::parse("https://site.example").unwrap(),
    })
}

/// The vault's one credential: its record and password.
fn the_login(vault: &Vault) -> (RecordId, String) {
    let all = vault.all().unwrap();
    assert_eq!(all.len(), 1);
    let Credential::Password(c) = &all[0].credential else {
        panic!("not a password")
    };
    (all[0].record, c.password.expose().to_owned())
}

#[test]
fn a_write_while_the_vault_syncs_is_not_overwritten_and_the_next_sync_pushes_it() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_vaults(dir.path());
    let server = Server::default();
    let sync = |vault: &Vault, device: u8, now: u64| server.sync(vault, device, now);
    // Both devices hold "first"; then b changes it to "second" and pushes.
    a.apply(&[Change::Add(login("first"))], Timestamp(1_000), &mut || {})
        .unwrap();
    sync(&a, 1, 1_100).unwrap();
    sync(&b, 2, 1_200).unwrap();
    let (record_b, _) = the_login(&b);
    let second = [Change::Update(record_b, login("second"))];
    b.apply(&second, Timestamp(2_000), &mut || {}).unwrap();
    sync(&b, 2, 2_100).unwrap();

    // a syncs; while it is on the network the user changes the password to "third" on a
    // (later than b's "second": "third" is the newer and must end up current everywhere).
    let (record_a, _) = the_login(&a);
    let racing = Racing {
        server: server.clone(),
        write: Some(Box::new(|| {
            let third = [Change::Update(record_a, login("third"))];
            a.apply(&third, Timestamp(3_000), &mut || {}).unwrap();
        })),
    };
    let raced = sync_vault(&a, &mut client(&a, 1, racing), 3_100);
    // The user's write is still there.
    assert_eq!(
        the_login(&a).1,
        "third",
        "the write during the sync was overwritten"
    );
    // As the background sync does: sync again at once when the vault changed.
    if matches!(raced, Err(VaultSyncError::VaultChanged)) {
        sync(&a, 1, 3_200).unwrap();
    }
    sync(&b, 2, 3_300).unwrap();
    for vault in [&a, &b] {
        assert_eq!(the_login(vault).1, "third");
    }
    assert!(
        matches!(raced, Err(VaultSyncError::VaultChanged)),
        "{raced:?}"
    );
}

#[test]
fn a_sync_without_a_racing_write_writes_and_moves_the_generation_once() {
    let dir = tempfile::tempdir().unwrap();
    let vault = new_vault(dir.path(), "v.sqlite");
    let server = Server::default();
    vault
        .apply(&[Change::Add(login("first"))], Timestamp(1_000), &mut || {})
        .unwrap();
    let before = vault.generation().unwrap();
    let mut device = client(&vault, 1, server.clone());
    let synced = credwell_admin::sync::sync_vault_generation(&vault, &mut device, 1_100).unwrap();
    assert_eq!(synced.report.pushed, 1);
    // The sync's own write (its state) is one generation; it reports it.
    assert_eq!(synced.generation, before + 1);
    assert_eq!(vault.generation().unwrap(), synced.generation);
}

/// Two vaults that both synced "first", then `b` changed it to "second" and pushed.
fn two_devices(dir: &std::path::Path, server: &Server) -> (Vault, Vault) {
    let (a, b) = two_vaults(dir);
    let sync = |vault: &Vault, device: u8, now: u64| server.sync(vault, device, now);
    a.apply(&[Change::Add(login("first"))], Timestamp(1_000), &mut || {})
        .unwrap();
    sync(&a, 1, 1_100).unwrap();
    sync(&b, 2, 1_200).unwrap();
    let (record_b, _) = the_login(&b);
    let second = [Change::Update(record_b, login("second"))];
    b.apply(&second, Timestamp(2_000), &mut || {}).unwrap();
    sync(&b, 2, 2_100).unwrap();
    (a, b)
}

/// `sync_vault_retrying` on `a` whose first `raced` attempts each see the user write a new
/// password ("write 1", "write 2"...) on their first pull. How many attempts were made, and
/// the result.
fn retrying_with_writes(
    a: &Vault,
    server: &Server,
    raced: u32,
) -> (u32, Result<credwell_sync::client::Report, VaultSyncError>) {
    let attempts = Cell::new(0_u32);
    let (record, _) = the_login(a);
    let result = sync_vault_retrying(
        a,
        || {
            attempts.set(attempts.get() + 1);
            let n = attempts.get();
            let write: Option<Box<dyn FnOnce() + '_>> = (n <= raced).then(|| {
                Box::new(move || {
                    let change = [Change::Update(record, login(&format!("write {n}")))];
                    let at = Timestamp(3_000 + u64::from(n));
                    a.apply(&change, at, &mut || {}).unwrap();
                }) as Box<dyn FnOnce()>
            });
            let server = server.clone();
            Ok(client(a, 1, Racing { server, write }))
        },
        || 3_100 + u64::from(attempts.get()),
    );
    (attempts.get(), result)
}

#[test]
fn a_write_racing_the_sync_is_pulled_merged_and_pushed_by_the_next_attempt() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::default();
    let (a, b) = two_devices(dir.path(), &server);
    let (attempts, result) = retrying_with_writes(&a, &server, 1);
    let report = result.unwrap();
    // The first attempt was refused by the vault; the second pulled again, merged and pushed.
    assert_eq!(attempts, 2);
    assert_eq!(report.pushed, 1, "{report:?}");
    assert_eq!(the_login(&a).1, "write 1");
    // No second sync on a: the write is on the server already.
    server.sync(&b, 2, 3_300).unwrap();
    assert_eq!(the_login(&b).1, "write 1");
}

#[test]
fn a_vault_that_keeps_changing_stops_after_the_bounded_attempts_and_keeps_the_writes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::default();
    let (a, b) = two_devices(dir.path(), &server);
    let (attempts, result) = retrying_with_writes(&a, &server, u32::MAX);
    assert_eq!(attempts, VAULT_CHANGED_ATTEMPTS);
    match result {
        Err(e @ VaultSyncError::VaultKeptChanging { attempts: 5 }) => {
            let shown = e.to_string();
            assert!(shown.contains("each of 5 sync attempts"), "{shown}");
        }
        other => panic!("{other:?}"),
    }
    let last = format!("write {VAULT_CHANGED_ATTEMPTS}");
    assert_eq!(the_login(&a).1, last);
    // Once the vault is quiet, one sync pushes the last write and every device gets it.
    let (attempts, result) = retrying_with_writes(&a, &server, 0);
    result.unwrap();
    assert_eq!(attempts, 1);
    server.sync(&b, 2, 4_000).unwrap();
    for vault in [&a, &b] {
        assert_eq!(the_login(vault).1, last);
    }
}
