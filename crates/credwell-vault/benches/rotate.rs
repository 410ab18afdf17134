//! `Vault::rotate_key` (what `credwell vault passwd` does) on 100,000 credentials: every record
//! and blind index re-sealed under a new key in one transaction.
//!
//! The vault uses the test-only key derivation, so the time is the re-seal, not Argon2id (the
//! default parameters add one derivation, about half a second). Each run rotates the same vault
//! again. Printed: each run, median and p95 of the rotation, and two baselines measured on the
//! same vault in the same run: `Vault::check` (open and verify every record, no write) and
//! `Vault::change_passphrase` (the `--keep-key` re-wrap); then resident memory.
//!
//! `cargo bench -p credwell-vault --bench rotate` runs it at full size (100,000 credentials,
//! 10 runs); `cargo test --benches` runs a 1,000-credential smoke version (3 runs).
//! `CREDWELL_BENCH_RECORDS` and `CREDWELL_BENCH_RUNS` override either.

// A benchmark reports on stdout.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use credwell_core::{Credential, Origin, Password, PasswordCredential, Timestamp};
use credwell_vault::{Change, KdfParams, Vault};

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// (median, p95) of `samples`.
fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).ceil() as usize];
    (at(0.5), at(0.95))
}

fn timed<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let start = Instant::now();
    let out = f();
    (start.elapsed(), out)
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let records = env_or("CREDWELL_BENCH_RECORDS", if full { 100_000 } else { 1_000 });
    let runs = env_or("CREDWELL_BENCH_RUNS", if full { 10 } else { 3 }).max(1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.sqlite");
    let mut vault = Vault::create(&path, b"pass 0", KdfParams::INSECURE_FOR_TESTS).unwrap();
    let changes: Vec<Change> = (0..records)
        .map(|i| {
            Change::Add(Credential::Password(PasswordCredential {
                id: format!("user{i}"),
                password: Password::new(format!("password-{i}")),
                name: format!("User {i}"),
                icon_url: String::new(),
                origin: Origin::parse(&format!("https://app{}.site{}.example", i % 4, i / 4))
                    .unwrap(),
            }))
        })
        .collect();
    let (built, _) = timed(|| vault.apply(&changes, Timestamp(0), &mut || {}).unwrap());
    drop(changes);
    println!("built {records} credentials in {built:.2?}");
    let (mut rotate, mut check, mut rewrap) = (Vec::new(), Vec::new(), Vec::new());
    for run in 1..=runs {
        let pass = format!("pass {run}");
        let (elapsed, rotation) = timed(|| {
            vault
                .rotate_key(
                    pass.as_bytes(),
                    KdfParams::INSECURE_FOR_TESTS,
                    &mut |_, _| {},
                )
                .unwrap()
        });
        assert_eq!(rotation.records, records);
        let (checked, report) = timed(|| vault.check(&mut |_, _| {}).unwrap());
        assert!(report.is_clean() && report.ok == records);
        let (rewrapped, ()) = timed(|| {
            vault
                .change_passphrase(pass.as_bytes(), KdfParams::INSECURE_FOR_TESTS)
                .unwrap()
        });
        println!(
            "run {run}: rotate_key {elapsed:.2?}, check {checked:.2?}, \
             change_passphrase {rewrapped:.2?}"
        );
        rotate.push(elapsed);
        check.push(checked);
        rewrap.push(rewrapped);
    }
    println!("{records} credentials, {runs} run(s):");
    for (name, samples) in [
        ("rotate_key (re-seal everything)", rotate),
        ("baseline: check (open and verify everything)", check),
        ("baseline: change_passphrase (re-wrap only)", rewrap),
    ] {
        let (median, p95) = percentiles(samples);
        println!("  {name}: median {median:.2?}, p95 {p95:.2?}");
    }
    println!("  resident memory after: {} MiB", rss_kib() / 1024);
    let reopened = Vault::open(&path, format!("pass {runs}").as_bytes()).unwrap();
    assert_eq!(reopened.all().unwrap().len() as u64, records);
}
