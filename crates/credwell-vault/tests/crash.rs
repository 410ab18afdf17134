//! Crash safety: a writer is killed with SIGKILL at random moments, 200 times. Every
//! write it acknowledged before dying is in the vault afterwards, and the vault checks clean.
//!
//! The writer is this test binary itself, re-run as a child in "writer" mode: the binary has its
//! own `main` (`harness = false`), which writes when `CREDWELL_CRASH_WRITER_VAULT` is set and
//! runs the test otherwise.

#![allow(clippy::unwrap_used, clippy::print_stdout)] // A test binary: a failure panics right there, and it reports on stdout.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use credwell_core::{Credential, Origin, Password, PasswordCredential, Timestamp};
use credwell_vault::{KdfParams, Vault};

const PASS: &[u8] = b"crash test";
const WRITER_ENV: &str = "CREDWELL_CRASH_WRITER_VAULT";

fn credential(n: u64) -> Credential {
    Credential::Password(PasswordCredential {
        id: format!("user{n}"),
        password: Password::new(format!("pw{n}")),
        name: String::new(),
        icon_url: String::new(),
        origin: Origin::parse(&format!("https://site{}.example", n % 7)).unwrap(),
    })
}

fn main() {
    match std::env::var_os(WRITER_ENV) {
        Some(path) => crash_writer_child(Path::new(&path)),
        None => {
            acknowledged_writes_survive_sigkill();
            println!("test acknowledged_writes_survive_sigkill ... ok");
        }
    }
}

/// The child: writes forever, printing "ack <id> <n>" after each committed write.
fn crash_writer_child(path: &Path) {
    let vault = Vault::open(path, PASS).unwrap();
    let start: u64 = std::env::var("CREDWELL_CRASH_START")
        .unwrap()
        .parse()
        .unwrap();
    let mut out = std::io::stdout().lock();
    for n in start.. {
        let id = if n % 5 == 4 {
            // Some batches of three, to kill transactions with several rows in flight.
            let changes: Vec<_> = (0..3)
                .map(|k| credwell_vault::Change::Add(credential(n * 10 + k)))
                .collect();
            vault.apply(&changes, Timestamp(n), &mut || {}).unwrap()[0]
        } else {
            vault
                .add_credential(&credential(n * 10), Timestamp(n))
                .unwrap()
        };
        writeln!(out, "ack {} {n}", id.0).unwrap();
        out.flush().unwrap();
    }
}

fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.sqlite");
    drop(Vault::create(&path, PASS, KdfParams::INSECURE_FOR_TESTS).unwrap());
    let mut acknowledged: Vec<(u64, u64)> = Vec::new();
    let mut seed: u64 = 0x0c0f_fee5_0000_0003;
    let rounds = 200;
    for round in 0..rounds {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(WRITER_ENV, &path)
            .env("CREDWELL_CRASH_START", (round * 1_000_000).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (first_ack, first_ack_seen) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut acks = Vec::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let mut parts = match line.strip_prefix("ack ") {
                    Some(rest) => rest.split(' '),
                    None => continue,
                };
                if let (Some(Ok(id)), Some(Ok(n))) = (
                    parts.next().map(str::parse::<u64>),
                    parts.next().map(str::parse::<u64>),
                ) {
                    if acks.is_empty() {
                        let _ = first_ack.send(());
                    }
                    acks.push((id, n));
                }
            }
            acks
        });
        // Kill it at a random moment once it is writing: waiting for its first acknowledgement
        // (rather than a fixed delay from the spawn) keeps every round meaningful on a loaded
        // machine, where opening the vault alone can take longer than any fixed delay.
        if first_ack_seen
            .recv_timeout(Duration::from_secs(120))
            .is_err()
        {
            let _ = child.kill();
            panic!("round {round}: the writer acknowledged nothing in 120 s");
        }
        std::thread::sleep(Duration::from_millis(seed % 30));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        acknowledged.extend(reader.join().unwrap());
        let vault = Vault::open(&path, PASS).unwrap_or_else(|e| panic!("round {round}: {e}"));
        for (id, n) in &acknowledged {
            let stored = vault
                .get(credwell_core::RecordId(*id))
                .unwrap_or_else(|e| panic!("round {round}: record {id}: {e}"))
                .unwrap_or_else(|| {
                    panic!("round {round}: acknowledged record {id} (write {n}) is missing")
                });
            assert_eq!(stored.updated, Timestamp(*n));
        }
    }
    let vault = Vault::open(&path, PASS).unwrap();
    assert!(vault.check(&mut |_, _| {}).unwrap().is_clean());
    // At least one acknowledged write per round, or the rounds killed nothing in flight.
    assert!(
        acknowledged.len() >= rounds,
        "the writer got to write: {}",
        acknowledged.len()
    );
}
