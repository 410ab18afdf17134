//! Secrets in the host's memory (Linux): another process of the same user reads the host's
//! memory through `/proc/<pid>/mem` after the vault is locked, looking for a site password and
//! the vault passphrase. The host wipes what carried them and is not dumpable: no core dump, and
//! only a process that may trace any process (root) can read its memory at all.

#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used)] // Test helpers: a failure should panic right there.

use std::os::unix::fs::{FileExt, MetadataExt};
use std::os::unix::process::CommandExt;
use std::process::Command;

use serde_json::{Value, json};

mod common;
use common::child::Host;

const PASSWORD: &str = "CanaryPassword-8d1c47e2";
const PASSPHRASE: &str = "CanaryPassphrase-5f3a9e61";

fn caller() -> Value {
    common::caller("https://example.com", 1)
}

/// A `Uid:` of `/proc/<pid>/status`: the real user id.
fn uid_of(pid: &str) -> u32 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// How many times `needle` occurs in the readable memory of process `pid`; `None` when its
/// memory cannot be opened (the kernel refuses: the process is not dumpable).
fn occurrences_in_memory(pid: u32, needle: &[u8]) -> Option<usize> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).ok()?;
    let mem = match std::fs::File::open(format!("/proc/{pid}/mem")) {
        Ok(mem) => mem,
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => return None,
        Err(e) => panic!("cannot open the host's memory: {e}"),
    };
    let mut found = 0;
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let (range, perms) = (fields.next().unwrap(), fields.next().unwrap());
        if !perms.starts_with('r') || line.ends_with("[vvar]") || line.ends_with("[vsyscall]") {
            continue;
        }
        let (start, end) = range.split_once('-').unwrap();
        let start = u64::from_str_radix(start, 16).unwrap();
        let end = u64::from_str_radix(end, 16).unwrap();
        let mut region = vec![0u8; usize::try_from(end - start).unwrap()];
        // Some mappings (guard pages, device memory) cannot be read: skip them.
        if mem.read_exact_at(&mut region, start).is_ok() {
            found += region
                .windows(needle.len())
                .filter(|w| *w == needle)
                .count();
        }
    }
    Some(found)
}

/// The attack: the host unlocks the vault, saves a site's password, gives it back to the page,
/// and is locked; then its memory is read for the password and the passphrase.
#[test]
fn after_lock_the_hosts_memory_holds_neither_the_password_nor_the_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let mut host = Host::with_vault(&dir.path().join("vault.sqlite"));
    let unlocked = host.call(1, "vault.unlock", json!({"passphrase": PASSPHRASE}));
    assert_eq!(unlocked["result"]["locked"], false, "{unlocked}");
    let credential = json!({"type": "password", "id": "alice", "password": PASSWORD});
    let stored = host.call(
        2,
        "credentials.store",
        json!({"caller": caller(), "credential": credential}),
    );
    assert_eq!(stored["result"], Value::Null, "{stored}");
    let options = json!({"password": true, "mediation": "silent"});
    let got = host.call(
        3,
        "credentials.get",
        json!({"caller": caller(), "options": options}),
    );
    assert_eq!(
        got["result"]["password"], PASSWORD,
        "the host handed it out: {got}"
    );
    assert_eq!(
        host.call(4, "vault.lock", json!({}))["result"]["locked"],
        true
    );
    // One more round trip: whatever the lock's task held has been dropped.
    assert_eq!(
        host.call(5, "vault.status", json!({}))["result"]["locked"],
        true
    );

    let found: Vec<_> = [PASSWORD, PASSPHRASE]
        .iter()
        .map(|canary| occurrences_in_memory(host.pid(), canary.as_bytes()))
        .collect();
    if found.contains(&None) {
        // Not root: the kernel refuses to open a non-dumpable process's memory.
        assert_ne!(uid_of("self"), 0, "root may read any process's memory");
    } else {
        assert_eq!(
            found,
            [Some(0), Some(0)],
            "copies of the password and of the passphrase in the locked host's memory"
        );
    }
    host.stop();
}

/// The host is not dumpable: the kernel gives its `/proc/<pid>` files to root, so a process of
/// the same user can neither open its memory nor attach to it, and no core dump is written.
/// (Root may read anything, so as root the host runs under the `nobody` user here.)
#[test]
fn the_host_is_not_dumpable() {
    use std::os::unix::fs::PermissionsExt;
    let me = uid_of("self");
    let dir = tempfile::tempdir().unwrap();
    let mut command = if me == 0 {
        // A copy `nobody` may run, wherever the build is (root's home may be closed to others).
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let copy = dir.path().join("credwell-host");
        // Copied by `cp`, in a process of its own: a copy this process held open for writing
        // could be inherited by another test's child between its fork and exec, and running the
        // copy would then fail with ETXTBSY ("Text file busy").
        let copied = std::process::Command::new("cp")
            .arg(env!("CARGO_BIN_EXE_credwell-host"))
            .arg(&copy)
            .status()
            .unwrap();
        assert!(copied.success());
        let mut command = Command::new(copy);
        command.uid(65534).gid(65534);
        command
    } else {
        Command::new(env!("CARGO_BIN_EXE_credwell-host"))
    };
    command.env("CREDWELL_EPHEMERAL", "1").current_dir("/");
    let user = if me == 0 { 65534 } else { me };
    let mut host = Host::start(&mut command);
    // Serving: past the start-up, where the host makes itself undumpable.
    assert_eq!(
        host.call(1, "vault.status", json!({}))["result"]["locked"],
        true
    );
    let pid = host.pid().to_string();
    assert_eq!(uid_of(&pid), user, "the host runs as {user}");
    let owner = std::fs::metadata(format!("/proc/{pid}/mem")).unwrap().uid();
    assert_eq!(
        owner, 0,
        "the host's memory belongs to its user ({owner}), who may read it"
    );
    if me != 0 {
        let open = std::fs::File::open(format!("/proc/{pid}/mem"));
        assert_eq!(
            open.unwrap_err().kind(),
            std::io::ErrorKind::PermissionDenied
        );
    }
    host.stop();
}
