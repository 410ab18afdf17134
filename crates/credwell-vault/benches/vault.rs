//! The vault at scale: 1,000,000 credentials over 250,000 origins.
//!
//! Measured in one run, printed as a table:
//! - lookup by origin (`list_origin`), median / p95 / p99, against the same indexed query on a
//!   plain, unencrypted SQLite table of the same shape (the baseline);
//! - opening and unlocking, excluding Argon2id (the vault uses the test-only KDF parameters, so
//!   the time is the header, the integrity accumulator and the index checks);
//! - resident memory while serving lookups;
//! - a 100,000-credential import as one transaction (`Vault::apply`).
//!
//! `cargo bench -p credwell-vault --bench vault` runs it at full size; `cargo test --benches`
//! runs a 10,000-credential smoke version.

// A benchmark reports on stdout.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use credwell_core::{Credential, CredentialType, Origin, Password, PasswordCredential, Timestamp};
use credwell_vault::{Change, KdfParams, Vault};
use rusqlite::params;

fn origin_name(i: usize) -> String {
    format!("https://app{}.site{}.example", i % 4, i / 4)
}

fn credential(origin: &Origin, i: usize, n: usize) -> Credential {
    Credential::Password(PasswordCredential {
        id: format!("user{n}@site{i}"),
        password: Password::new(format!("password-{i}-{n}")),
        name: format!("User {n}"),
        icon_url: String::new(),
        origin: origin.clone(),
    })
}

fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration, Duration) {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    (at(0.5), at(0.95), at(0.99))
}

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

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    if let Some(dir) = std::env::var_os("CREDWELL_BENCH_SERVE") {
        return serve(std::path::Path::new(&dir), full);
    }
    let (origins, credentials, _, _) = if full {
        (250_000, 1_000_000, 100_000, 100_000)
    } else {
        (2_500, 10_000, 1_000, 1_000)
    };
    // CREDWELL_BENCH_KEEP=DIR builds into DIR and keeps it (for profiling the serve phase with
    // CREDWELL_BENCH_SERVE=DIR); by default a temporary directory is used.
    let temp = tempfile::tempdir().unwrap();
    let dir = std::env::var_os("CREDWELL_BENCH_KEEP")
        .map_or_else(|| temp.path().to_owned(), std::path::PathBuf::from);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("vault.sqlite");
    let plain_path = dir.join("plain.sqlite");

    // Build both stores with the same content: 4 credentials per origin.
    let start = Instant::now();
    let vault = Vault::create(&path, b"bench", KdfParams::INSECURE_FOR_TESTS).unwrap();
    let plain = rusqlite::Connection::open(&plain_path).unwrap();
    plain
        .execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
             CREATE TABLE logins (id INTEGER PRIMARY KEY, origin TEXT NOT NULL, username TEXT,
                                  password TEXT, name TEXT, created INTEGER, updated INTEGER);
             CREATE INDEX logins_by_origin ON logins (origin);",
        )
        .unwrap();
    let per_origin = credentials / origins;
    let mut changes = Vec::with_capacity(credentials);
    let tx = plain.unchecked_transaction().unwrap();
    for i in 0..origins {
        let origin = Origin::parse(&origin_name(i)).unwrap();
        for n in 0..per_origin {
            changes.push(Change::Add(credential(&origin, i, n)));
            tx.execute(
                "INSERT INTO logins (origin, username, password, name, created, updated)
                 VALUES (?1, ?2, ?3, ?4, 0, 0)",
                params![
                    origin_name(i),
                    format!("user{n}@site{i}"),
                    format!("password-{i}-{n}"),
                    format!("User {n}")
                ],
            )
            .unwrap();
        }
    }
    tx.commit().unwrap();
    for chunk in changes.chunks(100_000) {
        vault.apply(chunk, Timestamp(0), &mut || {}).unwrap();
    }
    drop(changes);
    println!(
        "built {credentials} credentials over {origins} origins in {:.1?}",
        start.elapsed()
    );
    drop(vault);
    drop(plain);

    // Serve from a fresh process, so that resident memory reflects serving, not building.
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(std::env::args().skip(1))
        .env("CREDWELL_BENCH_SERVE", &dir)
        .status()
        .unwrap();
    assert!(status.success());
}

fn serve(dir: &std::path::Path, full: bool) {
    let (origins, credentials, lookups, import) = if full {
        (250_000, 1_000_000, 100_000, 100_000)
    } else {
        (2_500, 10_000, 1_000, 1_000)
    };
    let per_origin = credentials / origins;
    let path = dir.join("vault.sqlite");
    let plain = rusqlite::Connection::open(dir.join("plain.sqlite")).unwrap();

    // Open and unlock (Argon2id negligible with the test parameters).
    let mut opens = Vec::new();
    for _ in 0..if full { 5 } else { 2 } {
        let t = Instant::now();
        let v = Vault::open(&path, b"bench").unwrap();
        opens.push(t.elapsed());
        drop(v);
    }
    let vault = Vault::open(&path, b"bench").unwrap();
    let rss_before = rss_kib();

    // Lookups, interleaved so that both see the same machine noise.
    let mut seed: u64 = 0x1234_5678_9abc_def1;
    let mut vault_times = Vec::with_capacity(lookups);
    let mut plain_times = Vec::with_capacity(lookups);
    let mut stmt = plain
        .prepare(
            "SELECT id, username, password, name, created, updated FROM logins WHERE origin = ?1",
        )
        .unwrap();
    for _ in 0..lookups {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let i = (seed % origins as u64) as usize;
        let origin = Origin::parse(&origin_name(i)).unwrap();
        let t = Instant::now();
        let found = vault
            .list_origin(&origin, CredentialType::Password)
            .unwrap();
        vault_times.push(t.elapsed());
        assert_eq!(found.len(), per_origin);
        let name = origin.to_string();
        let t = Instant::now();
        let rows: Vec<(i64, String, String, String, i64, i64)> = stmt
            .query_map([&name], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        plain_times.push(t.elapsed());
        assert_eq!(black_box(rows).len(), per_origin);
    }
    let rss_serving = rss_kib();
    let (v50, v95, v99) = percentiles(vault_times);
    let (p50, p95, p99) = percentiles(plain_times);

    // Import as one transaction.
    let import_changes: Vec<Change> = (0..import)
        .map(|k| {
            Change::Add(credential(
                &Origin::parse(&format!("https://import{}.example", k / 3)).unwrap(),
                k,
                0,
            ))
        })
        .collect();
    let t = Instant::now();
    vault
        .apply(&import_changes, Timestamp(0), &mut || {})
        .unwrap();
    let import_time = t.elapsed();

    let (o50, _, _) = percentiles(opens.clone());
    println!(
        "\n{credentials} credentials, {origins} origins, {lookups} lookups of {per_origin} credentials each"
    );
    println!(
        "{:<40} {:>10} {:>10} {:>10}",
        "lookup by origin", "median", "p95", "p99"
    );
    println!(
        "{:<40} {:>8.1}µs {:>8.1}µs {:>8.1}µs",
        "plain SQLite (baseline)",
        us(p50),
        us(p95),
        us(p99)
    );
    println!(
        "{:<40} {:>8.1}µs {:>8.1}µs {:>8.1}µs",
        "credwell vault (decrypt + verify)",
        us(v50),
        us(v95),
        us(v99)
    );
    println!(
        "{:<40} {:>9.2}x {:>9.2}x {:>9.2}x",
        "vault / plain",
        us(v50) / us(p50),
        us(v95) / us(p95),
        us(v99) / us(p99)
    );
    println!(
        "open + unlock without Argon2id: median {:.0?} over {} opens",
        o50,
        opens.len()
    );
    println!(
        "resident memory: {} MiB after unlock, {} MiB while serving lookups",
        rss_before / 1024,
        rss_serving / 1024
    );
    println!("import of {import} credentials in one transaction: {import_time:.2?}");
}
