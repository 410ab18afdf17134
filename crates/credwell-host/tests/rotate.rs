//! A vault re-keyed by another process (`credwell vault passwd`) while the host has it
//! unlocked: the host locks and asks to unlock again, instead of failing the request.

#![allow(clippy::unwrap_used)] // Test helpers: a failure should panic right there.

use credwell_core::{Credential, Origin, Password, PasswordCredential, Timestamp};
use credwell_host::HostConfig;
use credwell_vault::{Change, KdfParams, Vault};
use serde_json::{Value, json};

mod common;
use common::{FileOpener, Port};

type Task = tokio::task::JoinHandle<Result<(), credwell_host::framing::FrameError>>;

fn caller(client: u64) -> Value {
    common::caller("https://example.com", client)
}

async fn unlock(port: &mut Port, id: u64, passphrase: &str) {
    port.send(json!({"id": id, "method": "vault.unlock", "params": {"passphrase": passphrase}}))
        .await;
    assert_eq!(port.reply_to(id).await["result"]["locked"], false);
}

/// A vault holding alice's password, served by a host that has it unlocked; then a second
/// handle rotates the key (what `credwell vault passwd` does in another process).
async fn unlocked_then_rotated() -> (tempfile::TempDir, Port, Task) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.sqlite");
    let vault = Vault::create(&path, b"old passphrase", KdfParams::INSECURE_FOR_TESTS).unwrap();
    let alice = Credential::Password(PasswordCredential {
        id: "alice".to_owned(),
        password: Password::new("pw".to_owned()),
        name: String::new(),
        icon_url: String::new(),
        origin: Origin::parse("https://example.com").unwrap(),
    });
    vault
        .apply(&[Change::Add(alice)], Timestamp::default(), &mut || {})
        .unwrap();
    drop(vault);

    let config = HostConfig {
        idle_lock: None,
        ..HostConfig::default()
    };
    let (mut port, task) = Port::start(FileOpener(path.clone()), config, 64 * 1024);
    unlock(&mut port, 1, "old passphrase").await;

    let mut other = Vault::open(&path, b"old passphrase").unwrap();
    other
        .rotate_key(
            b"new passphrase",
            KdfParams::INSECURE_FOR_TESTS,
            &mut |_, _| {},
        )
        .unwrap();
    drop(other);
    (dir, port, task)
}

/// The host locked and asks for the unlock page (not a store error for the waiting request).
async fn expect_lock_and_unlock_page(port: &mut Port) {
    assert_eq!(port.recv().await, json!({"event": "vault.locked"}));
    let show = port.recv().await;
    assert_eq!(show["event"], "ui.show", "{show}");
    assert_eq!(show["kind"], "unlock", "{show}");
}

#[tokio::test]
async fn a_request_after_the_key_was_rotated_locks_and_waits_for_the_unlock() {
    let (_dir, mut port, _task) = unlocked_then_rotated().await;
    let get = json!({"caller": caller(2), "options": {"password": true}});
    port.send(json!({"id": 2, "method": "credentials.get", "params": get}))
        .await;
    // Not a store error: the host locks, then shows the unlock page for the waiting request.
    expect_lock_and_unlock_page(&mut port).await;
    port.send(json!({"id": 3, "method": "vault.status"})).await;
    assert_eq!(port.reply_to(3).await["result"]["locked"], true);

    // Unlocked with the new passphrase, the same request goes on and reads the vault.
    unlock(&mut port, 4, "new passphrase").await;
    let chooser = loop {
        let m = port.recv().await;
        assert_ne!(m["id"], 2, "the request settled without the chooser: {m}");
        if m["event"] == "ui.show" {
            break m;
        }
    };
    port.send(json!({"id": 5, "method": "ui.respond",
                     "params": {"ui": chooser["ui"], "answer": {"choose": 0}}}))
        .await;
    let reply = port.reply_to(2).await;
    assert_eq!(reply["result"]["id"], "alice", "{reply}");
}

/// The manager page's list after a rotation: before, every record failed to open under the
/// old key and the page answered with a store error; now the host locks and lists after the
/// unlock with the new passphrase.
#[tokio::test]
async fn the_manager_list_after_the_key_was_rotated_locks_and_lists_after_the_unlock() {
    let (_dir, mut port, _task) = unlocked_then_rotated().await;
    port.send(json!({"id": 2, "method": "vault.list"})).await;
    expect_lock_and_unlock_page(&mut port).await;
    unlock(&mut port, 3, "new passphrase").await;
    let reply = port.reply_to(2).await;
    let items = reply["result"]["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{reply}"));
    assert_eq!(items.len(), 1, "{reply}");
    assert_eq!(items[0]["id"], "alice", "{reply}");
}

/// Deleting a passkey from the manager after a rotation waits for the unlock the same way.
#[tokio::test]
async fn a_manager_delete_after_the_key_was_rotated_locks_and_runs_after_the_unlock() {
    let (_dir, mut port, _task) = unlocked_then_rotated().await;
    port.send(json!({"id": 2, "method": "vault.delete",
                     "params": {"credentialId": "AAAA"}}))
        .await;
    expect_lock_and_unlock_page(&mut port).await;
    unlock(&mut port, 3, "new passphrase").await;
    let reply = port.reply_to(2).await;
    assert_eq!(reply["result"]["deleted"], false, "{reply}");
}
