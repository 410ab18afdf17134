//! Random tampering: thousands of single-byte changes anywhere in the file, and random row swaps.
//! Reading either fails or returns exactly the original data; never wrong data.

#![allow(clippy::unwrap_used)] // Test helpers: a failure should panic right there.

use std::path::Path;

use credwell_core::{
    Credential, CredentialType, FederatedCredential, Origin, OriginFlags, Password,
    PasswordCredential, StoredCredential, Timestamp,
};
use credwell_vault::{KdfParams, Vault};

const PASS: &[u8] = b"tamper test passphrase";

/// xorshift64*: a deterministic generator, so a failure names a reproducible case.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const ORIGINS: [&str; 4] = [
    "https://a.example.com",
    "https://b.example.com",
    "https://c.example.org",
    "http://localhost:8080",
];

fn origin(s: &str) -> Origin {
    Origin::parse(s).unwrap()
}

/// Everything a reader can see.
#[derive(Debug, PartialEq)]
struct Snapshot {
    all: Vec<StoredCredential>,
    by_origin: Vec<Vec<StoredCredential>>,
    flags: Vec<OriginFlags>,
}

fn snapshot(vault: &Vault) -> Result<Snapshot, credwell_vault::VaultError> {
    let mut by_origin = Vec::new();
    let mut flags = Vec::new();
    for o in ORIGINS {
        let o = origin(o);
        let mut listed = vault.list_origin(&o, CredentialType::Password)?;
        listed.extend(vault.list_origin(&o, CredentialType::Federated)?);
        by_origin.push(listed);
        flags.push(vault.flags(&o)?);
    }
    Ok(Snapshot {
        all: vault.all()?,
        by_origin,
        flags,
    })
}

fn build(path: &Path) -> Snapshot {
    let vault = Vault::create(path, PASS, KdfParams::INSECURE_FOR_TESTS).unwrap();
    for (i, o) in ORIGINS.iter().enumerate() {
        for n in 0..3 {
            vault
                .add_credential(
                    &Credential::Password(PasswordCredential {
                        id: format!("user{n}"),
                        password: Password::new(format!("pw-{i}-{n}")),
                        name: format!("User {n}"),
                        icon_url: String::new(),
                        origin: origin(o),
                    }),
                    Timestamp(1000 + n),
                )
                .unwrap();
        }
        vault
            .add_credential(
                &Credential::Federated(FederatedCredential {
                    id: format!("fed{i}"),
                    provider: "https://idp.example".into(),
                    protocol: None,
                    name: String::new(),
                    icon_url: String::new(),
                    origin: origin(o),
                }),
                Timestamp(2000),
            )
            .unwrap();
        vault
            .set_flags(
                &origin(o),
                OriginFlags {
                    prevent_silent_access: i % 2 == 0,
                    never_save: i == 3,
                },
                Timestamp(3000),
            )
            .unwrap();
    }
    let original = snapshot(&vault).unwrap();
    drop(vault);
    assert!(
        !path.with_extension("sqlite-wal").exists(),
        "the WAL is checkpointed on close"
    );
    original
}

/// Opens a damaged copy and reads everything; `Err` when any step refused.
fn read_back(path: &Path) -> Option<Snapshot> {
    let vault = Vault::open(path, PASS).ok()?;
    snapshot(&vault).ok()
}

#[test]
fn thousands_of_single_byte_changes_never_yield_wrong_data() {
    let dir = tempfile::tempdir().unwrap();
    let pristine = dir.path().join("pristine.sqlite");
    let original = build(&pristine);
    let bytes = std::fs::read(&pristine).unwrap();
    let seed = std::env::var("CREDWELL_TAMPER_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_c0ff_ee00_0001);
    let mut rng = Rng(seed);
    let (mut refused, mut unchanged) = (0, 0);
    let copy = dir.path().join("copy.sqlite");
    for case in 0..2_000 {
        let mut damaged = bytes.clone();
        let at = rng.below(damaged.len());
        let flip = (rng.below(255) + 1) as u8;
        damaged[at] ^= flip;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", copy.display()));
        }
        std::fs::write(&copy, &damaged).unwrap();
        match read_back(&copy) {
            None => refused += 1,
            Some(seen) => {
                assert_eq!(
                    seen, original,
                    "case {case}: byte {at} ^= {flip:#04x} changed what is read"
                );
                unchanged += 1;
            }
        }
    }
    // Both outcomes occur: changes in records are refused, changes in free space are harmless.
    assert!(
        refused > 0 && unchanged > 0,
        "refused {refused}, unchanged {unchanged}"
    );
}

#[test]
fn random_row_swaps_are_always_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.sqlite");
    let original = build(&path);
    let mut rng = Rng(0xabad_1dea_0000_0002);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let ids: Vec<i64> = conn
        .prepare("SELECT id FROM records")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    drop(conn);
    let copy = dir.path().join("copy.sqlite");
    for case in 0..200 {
        std::fs::copy(&path, &copy).unwrap();
        let (a, b) = (ids[rng.below(ids.len())], ids[rng.below(ids.len())]);
        if a == b {
            continue;
        }
        let column = ["sealed", "origin_index", "revision", "created", "kind"][rng.below(5)];
        let conn = rusqlite::Connection::open(&copy).unwrap();
        conn.execute_batch(&format!(
            "UPDATE records SET {column} = CASE id WHEN {a} THEN (SELECT {column} FROM records WHERE id = {b})
                                              ELSE (SELECT {column} FROM records WHERE id = {a}) END
             WHERE id IN ({a}, {b});"
        ))
        .unwrap();
        drop(conn);
        if let Some(seen) = read_back(&copy) {
            // Swapping two equal values (same kind, same timestamp) changes nothing.
            assert_eq!(
                seen, original,
                "case {case}: swapping {column} of {a} and {b}"
            );
        }
        let _ = std::fs::remove_file(&copy);
    }
}
