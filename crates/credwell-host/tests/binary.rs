//! The `credwell-host` executable with a real vault file, as the browser runs it.

#![allow(clippy::unwrap_used)] // Test helpers: a failure should panic right there.

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

mod common;
use common::child::Host;

fn caller() -> Value {
    common::caller("https://example.com", 1)
}

#[test]
fn the_host_creates_unlocks_and_persists_the_vault() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("sub").join("vault.sqlite");
    let mut host = Host::with_vault(&vault);
    host.send(json!({"id": 1, "method": "hello", "params": {"protocol": 1}}));
    assert_eq!(host.reply(1)["result"]["locked"], true);
    // The first unlock creates the vault.
    host.send(
        json!({"id": 2, "method": "vault.unlock", "params": {"passphrase": "correct horse"}}),
    );
    assert_eq!(host.reply(2)["result"]["locked"], false);
    assert!(vault.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode(vault.parent().unwrap()),
            0o700,
            "the vault's directory is private"
        );
        assert_eq!(mode(&vault), 0o600, "the vault file is private");
    }
    host.send(
        json!({"id": 3, "method": "credentials.store", "params": {"caller": caller(),
        "credential": {"type": "password", "id": "alice", "password": "pencil"}}}),
    );
    let show = loop {
        let m = host.recv();
        if m["event"] == "ui.show" {
            break m;
        }
    };
    host.send(json!({"id": 4, "method": "ui.respond", "params": {"ui": show["ui"], "answer": {"save": "save"}}}));
    assert_eq!(host.reply(3)["result"], Value::Null);
    host.stop();

    // A new host process (the browser restarted): locked, then the same vault.
    let mut host = Host::with_vault(&vault);
    host.send(json!({"id": 1, "method": "vault.unlock", "params": {"passphrase": "wrong"}}));
    assert_eq!(host.reply(1)["error"]["name"], "WrongPassphrase");
    host.send(
        json!({"id": 2, "method": "vault.unlock", "params": {"passphrase": "correct horse"}}),
    );
    assert_eq!(host.reply(2)["result"]["locked"], false);
    host.send(
        json!({"id": 3, "method": "credentials.get", "params": {"caller": caller(),
        "options": {"password": true, "mediation": "silent"}}}),
    );
    let got = host.reply(3);
    assert_eq!(got["result"]["id"], "alice");
    assert_eq!(got["result"]["password"], "pencil");
    host.stop();

    // Nothing readable on disk.
    for entry in std::fs::read_dir(vault.parent().unwrap()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!bytes.windows(6).any(|w| w == b"pencil"));
        assert!(!bytes.windows(11).any(|w| w == b"example.com"));
    }
}

#[test]
fn a_damaged_vault_is_reported_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("vault.sqlite");
    std::fs::write(&vault, b"not a vault at all, but somebody's file").unwrap();
    let mut host = Host::with_vault(&vault);
    host.send(json!({"id": 1, "method": "vault.unlock", "params": {"passphrase": "x"}}));
    let r = host.reply(1);
    assert_eq!(r["error"]["name"], "VaultUnavailable");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a credwell vault")
    );
    assert_eq!(
        std::fs::read(&vault).unwrap(),
        b"not a vault at all, but somebody's file"
    );
    host.stop();
}

fn frame(message: &Value) -> Vec<u8> {
    let body = message.to_string();
    let mut out = (body.len() as u32).to_ne_bytes().to_vec();
    out.extend_from_slice(body.as_bytes());
    out
}

fn frames(mut bytes: &[u8]) -> Vec<Value> {
    let mut out = Vec::new();
    while bytes.len() >= 4 {
        let len = u32::from_ne_bytes(bytes[..4].try_into().unwrap()) as usize;
        out.push(serde_json::from_slice(&bytes[4..4 + len]).unwrap());
        bytes = &bytes[4 + len..];
    }
    assert!(bytes.is_empty(), "a partial frame at the end");
    out
}

/// Test drivers (Node's `child_process`) connect the host through socket pairs, not pipes: the
/// host polls those directly too.
#[cfg(unix)]
#[test]
fn the_host_serves_a_socket_pair() {
    use std::os::unix::net::UnixStream;
    let dir = tempfile::tempdir().unwrap();
    let (mut ours, theirs) = UnixStream::pair().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_credwell-host"))
        .arg("chrome-extension://abcdefghijklmnopabcdefghijklmnop/")
        .env("CREDWELL_VAULT", dir.path().join("vault.sqlite"))
        .env("CREDWELL_EPHEMERAL", "1")
        .stdin(Stdio::from(std::os::fd::OwnedFd::from(
            theirs.try_clone().unwrap(),
        )))
        .stdout(Stdio::from(std::os::fd::OwnedFd::from(theirs)))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for id in 1..=3 {
        ours.write_all(&frame(&json!({"id": id, "method": "vault.status"})))
            .unwrap();
        let mut len = [0u8; 4];
        ours.read_exact(&mut len).unwrap();
        let mut body = vec![0u8; u32::from_ne_bytes(len) as usize];
        ours.read_exact(&mut body).unwrap();
        let reply: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(reply["id"], id);
        assert_eq!(reply["result"]["locked"], true);
    }
    ours.shutdown(std::net::Shutdown::Write).unwrap();
    assert!(child.wait().unwrap().success());
}

/// Standard input and output that cannot be polled (files here; a terminal by hand) go
/// through the runtime's blocking reads and writes instead, with the same replies.
#[test]
fn the_host_serves_files_as_standard_input_and_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    let output = dir.path().join("out");
    let mut requests = Vec::new();
    for id in 1..=3 {
        requests.extend(frame(&json!({"id": id, "method": "vault.status"})));
    }
    std::fs::write(&input, requests).unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_credwell-host"))
        .arg("chrome-extension://abcdefghijklmnopabcdefghijklmnop/")
        .env("CREDWELL_VAULT", dir.path().join("vault.sqlite"))
        .env("CREDWELL_EPHEMERAL", "1")
        .stdin(std::fs::File::open(&input).unwrap())
        .stdout(std::fs::File::create(&output).unwrap())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let replies = frames(&std::fs::read(&output).unwrap());
    let ids: Vec<&Value> = replies.iter().map(|r| &r["id"]).collect();
    assert_eq!(ids, [&json!(1), &json!(2), &json!(3)]);
    assert!(replies.iter().all(|r| r["result"]["locked"] == true));
}
