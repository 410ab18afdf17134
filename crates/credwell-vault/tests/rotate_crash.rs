//! Crash safety of `Vault::rotate_key`: the rotating process is killed with SIGKILL at fixed
//! points (after the first record, after the second, half-way, after the last, after everything
//! is written but before the commit) and at random moments. Each time the file must open with
//! exactly one of the two passphrases and hold every record, unchanged: the old vault or the
//! new one, never a mix.
//!
//! The rotating process is this test binary itself, re-run as a child (`harness = false`): its
//! progress callback, the test hook, stops at the named point and waits to be killed.

// A test binary: it panics and reports on stdout.
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use credwell_core::{
    Credential, CredentialType, Origin, OriginFlags, Password, PasswordCredential, Timestamp,
};
use credwell_vault::{KdfParams, PasskeyEntry, Vault, VaultError};

const PASSES: [&[u8]; 2] = [b"first passphrase", b"second passphrase"];
const CHILD_ENV: &str = "CREDWELL_ROTATE_CHILD_VAULT";
const RECORDS: u64 = 120;

fn main() {
    match std::env::var_os(CHILD_ENV) {
        Some(path) => rotating_child(Path::new(&path)),
        None => {
            let (old, new) = a_killed_rotation_leaves_the_old_or_the_new_vault();
            println!(
                "test a_killed_rotation_leaves_the_old_or_the_new_vault ... ok \
                 ({old} kills left the old vault, {new} the new one)"
            );
        }
    }
}

/// The child: rotates from passphrase `from` to the other; with `CREDWELL_ROTATE_STOP=n` the
/// progress callback announces the n-th call and waits there to be killed.
fn rotating_child(path: &Path) {
    let from: usize = std::env::var("CREDWELL_ROTATE_FROM")
        .unwrap()
        .parse()
        .unwrap();
    let stop: Option<u64> = std::env::var("CREDWELL_ROTATE_STOP")
        .ok()
        .map(|s| s.parse().unwrap());
    let mut vault = Vault::open(path, PASSES[from]).unwrap();
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready").unwrap();
    out.flush().unwrap();
    let mut calls = 0;
    vault
        .rotate_key(
            PASSES[1 - from],
            KdfParams::INSECURE_FOR_TESTS,
            &mut |_, _| {
                calls += 1;
                if Some(calls) == stop {
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "stopped").unwrap();
                    out.flush().unwrap();
                    std::thread::sleep(Duration::from_secs(600));
                }
            },
        )
        .unwrap();
    writeln!(out, "done").unwrap();
}

/// Everything a reader sees, to compare before and after.
fn snapshot(vault: &Vault) -> (Vec<String>, Vec<Vec<u8>>, bool) {
    let credentials = vault
        .all()
        .unwrap()
        .into_iter()
        .map(|c| match c.credential {
            Credential::Password(p) => format!("{} {} {}", c.record.0, p.id, p.password.expose()),
            other => panic!("{other:?}"),
        })
        .collect();
    let passkeys = vault
        .all_passkeys()
        .unwrap()
        .into_iter()
        .map(|p| p.entry.credential_id)
        .collect();
    let origin = Origin::parse("https://site0.example").unwrap();
    assert_eq!(
        vault
            .list_origin(&origin, CredentialType::Password)
            .unwrap()
            .len() as u64,
        RECORDS / 7 + 1,
        "lookups by blind index work"
    );
    (
        credentials,
        passkeys,
        vault.flags(&origin).unwrap().prevent_silent_access,
    )
}

fn build(path: &Path) -> (Vec<String>, Vec<Vec<u8>>, bool) {
    let vault = Vault::create(path, PASSES[0], KdfParams::INSECURE_FOR_TESTS).unwrap();
    for n in 0..RECORDS {
        let origin = Origin::parse(&format!("https://site{}.example", n % 7)).unwrap();
        vault
            .add_credential(
                &Credential::Password(PasswordCredential {
                    id: format!("user{n}"),
                    password: Password::new(format!("pw{n}")),
                    name: String::new(),
                    icon_url: String::new(),
                    origin,
                }),
                Timestamp(n),
            )
            .unwrap();
    }
    for n in 0..3u8 {
        let entry = PasskeyEntry {
            rp_id: "site0.example".into(),
            credential_id: vec![n; 16],
            payload: zeroize::Zeroizing::new(vec![n; 64]),
        };
        vault.add_passkey(&entry, 0).unwrap();
    }
    let flags = OriginFlags {
        prevent_silent_access: true,
        never_save: false,
    };
    vault
        .set_flags(
            &Origin::parse("https://site0.example").unwrap(),
            flags,
            Timestamp(0),
        )
        .unwrap();
    snapshot(&vault)
}

/// Runs a child that rotates from passphrase `from` to the other, to its end; returns how long
/// the rotation took, seen from here.
fn rotate_fully(path: &Path, from: usize) -> Duration {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(CHILD_ENV, path)
        .env("CREDWELL_ROTATE_FROM", from.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    let start = std::time::Instant::now();
    assert_eq!(lines.next().unwrap().unwrap(), "done");
    let span = start.elapsed();
    assert!(child.wait().unwrap().success());
    span
}

/// Returns how many kills left the old vault and how many the new one.
fn a_killed_rotation_leaves_the_old_or_the_new_vault() -> (u32, u32) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.sqlite");
    let original = build(&path);
    let total = RECORDS + 3 + 1;
    // Progress calls: 1..=total after each record, total + 1 after everything is written.
    let fixed = [1, 2, total / 2, total, total + 1];
    let mut current = 0;
    // How long a whole rotation takes here (debug build, machine load), the longest of three:
    // the random kills fall within twice that after the child has opened the vault, so that
    // about half land before the commit and half after.
    let mut span = Duration::ZERO;
    for _ in 0..3 {
        span = span.max(rotate_fully(&path, current));
        current = 1 - current;
    }
    let mut seed: u64 = 0x5eed_0000_0000_0013;
    let (mut old, mut new) = (0u32, 0u32);
    for round in 0..fixed.len() + 30 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let stop = fixed.get(round).copied();
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .env(CHILD_ENV, &path)
            .env("CREDWELL_ROTATE_FROM", current.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(stop) = stop {
            command.env("CREDWELL_ROTATE_STOP", stop.to_string());
        }
        let mut child = command.spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        assert_eq!(lines.next().unwrap().unwrap(), "ready", "round {round}");
        match stop {
            Some(_) => assert_eq!(lines.next().unwrap().unwrap(), "stopped", "round {round}"),
            // A random moment within the rotation or just after it.
            None => std::thread::sleep(span.mul_f64((seed % 1000) as f64 / 500.0)),
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let opened: Vec<(usize, Result<Vault, VaultError>)> =
            (0..2).map(|i| (i, Vault::open(&path, PASSES[i]))).collect();
        let mut ok = opened.into_iter().filter_map(|(i, r)| match r {
            Ok(v) => Some((i, v)),
            Err(VaultError::WrongPassphrase) => None,
            Err(e) => panic!("round {round}: {e}"),
        });
        let (i, vault) = ok
            .next()
            .unwrap_or_else(|| panic!("round {round}: no passphrase opens"));
        assert!(ok.next().is_none(), "round {round}: both passphrases open");
        assert_eq!(snapshot(&vault), original, "round {round}");
        assert!(
            vault.check(&mut |_, _| {}).unwrap().is_clean(),
            "round {round}"
        );
        if stop.is_some() {
            assert_eq!(
                i, current,
                "round {round}: killed before the commit, the old vault"
            );
        }
        if i == current {
            old += 1;
        } else {
            new += 1;
        }
        current = i;
    }
    // Both outcomes occurred: kills before and after the commit.
    assert!(
        old as usize > fixed.len() && new > 0,
        "old {old}, new {new}"
    );
    (old, new)
}
