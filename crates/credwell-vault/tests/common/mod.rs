//! Helpers shared by the vault's integration tests.

#![allow(clippy::unwrap_used, dead_code)]

use std::path::{Path, PathBuf};

use credwell_vault::{KdfParams, Vault};

/// The passphrase of every test vault.
pub(crate) const PASS: &[u8] = b"correct horse battery staple";

/// A new vault (test key-derivation parameters) in a temporary directory.
pub(crate) fn new_vault() -> (tempfile::TempDir, PathBuf, Vault) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.sqlite");
    let vault = Vault::create(&path, PASS, KdfParams::INSECURE_FOR_TESTS).unwrap();
    (dir, path, vault)
}

/// The vault file as a plain SQLite database, to damage it from outside credwell.
pub(crate) fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

/// Fails if any marker appears (ASCII case-insensitively) in any file of `dir`: the vault, its
/// WAL and shared-memory file.
pub(crate) fn assert_no_marker_in_files(dir: &Path, markers: &[&str], when: &str) {
    for file in std::fs::read_dir(dir).unwrap() {
        let file = file.unwrap().path();
        let bytes = std::fs::read(&file).unwrap().to_ascii_lowercase();
        for marker in markers {
            let needle = marker.to_ascii_lowercase().into_bytes();
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_slice()),
                "{marker} found in clear in {} ({when})",
                file.display()
            );
        }
    }
}

/// Flips one byte in the middle of a record's ciphertext, from outside credwell.
pub(crate) fn flip_sealed_byte(path: &Path, id: u64) {
    let conn = raw(path);
    let mut sealed: Vec<u8> = conn
        .query_row(
            "SELECT sealed FROM records WHERE id = ?1",
            [id as i64],
            |r| r.get(0),
        )
        .unwrap();
    let n = sealed.len();
    sealed[n / 2] ^= 0x01;
    conn.execute(
        "UPDATE records SET sealed = ?1 WHERE id = ?2",
        rusqlite::params![sealed, id as i64],
    )
    .unwrap();
}
