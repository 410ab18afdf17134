//! Rollback, resurrection and deletion spliced together from older copies of the file (backups,
//! sync history): the attacker has no passphrase, only the current file and two older copies
//! that differ by the one change to re-apply, and may copy or combine any row and any header
//! value. Every such mix fails to open; and format-1 vaults are migrated at unlock.

#![allow(clippy::unwrap_used)] // Test helpers: a failure should panic right there.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{PASS, new_vault, raw};
use credwell_core::{Credential, Origin, Password, PasswordCredential, RecordId, Timestamp};
use credwell_vault::{Vault, VaultError};

fn password(user: &str, pw: &str) -> Credential {
    Credential::Password(PasswordCredential {
        id: user.into(),
        password: Password::new(pw),
        name: String::new(),
        icon_url: String::new(),
        origin: Origin::parse("https://a.example").unwrap(),
    })
}

fn password_of(vault: &Vault, record: RecordId) -> Option<String> {
    match vault.get(record).unwrap()?.credential {
        Credential::Password(p) => Some(p.password.expose().to_owned()),
        other => panic!("{other:?}"),
    }
}

/// The file's history: copies taken along the way, and the current file.
struct History {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    current: PathBuf,
    /// alice: "first" in `before_update`, "second" from `after_update` on.
    alice: RecordId,
    /// carol: present up to `before_delete`, deleted in `after_delete`.
    carol: RecordId,
    /// dave: added after `after_delete`, present in `after_add`.
    dave: RecordId,
    before_update: PathBuf,
    after_update: PathBuf,
    after_delete: PathBuf,
    after_add: PathBuf,
}

fn history() -> History {
    let (dir, current, vault) = new_vault();
    let root = dir.path().to_owned();
    let path = |name: &str| root.join(name);
    let alice = vault
        .add_credential(&password("alice", "first"), Timestamp(1))
        .unwrap();
    let bob = vault
        .add_credential(&password("bob", "pw"), Timestamp(2))
        .unwrap();
    let carol = vault
        .add_credential(&password("carol", "pw"), Timestamp(3))
        .unwrap();
    vault.backup(&path("1.sqlite")).unwrap();
    vault
        .update_credential(alice, &password("alice", "second"), Timestamp(4))
        .unwrap();
    // Also the copy from just before the delete: the two copies differ by the delete only.
    vault.backup(&path("2.sqlite")).unwrap();
    assert!(vault.remove_credential(carol).unwrap());
    vault.backup(&path("3.sqlite")).unwrap();
    // Later changes the attacker wants to keep, dave's addition with a copy on either side.
    let dave = vault
        .add_credential(&password("dave", "pw"), Timestamp(5))
        .unwrap();
    vault.backup(&path("4.sqlite")).unwrap();
    vault
        .update_credential(bob, &password("bob", "changed"), Timestamp(6))
        .unwrap();
    drop(vault);
    History {
        dir: root.clone(),
        _dir: dir,
        current,
        alice,
        carol,
        dave,
        before_update: path("1.sqlite"),
        after_update: path("2.sqlite"),
        after_delete: path("3.sqlite"),
        after_add: path("4.sqlite"),
    }
}

fn meta(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let conn = raw(path);
    let mut stmt = conn.prepare("SELECT key, value FROM meta").unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Every header the attacker can build from the current file and the two copies: the current
/// one, each copy's, and every value XORed as `current ^ older ^ newer` (which re-applies the
/// copies' difference to an XOR accumulator kept in clear).
fn candidate_headers(current: &Path, older: &Path, newer: &Path) -> Vec<BTreeMap<String, Vec<u8>>> {
    let (c, o, n) = (meta(current), meta(older), meta(newer));
    let mut xored = c.clone();
    for (key, value) in xored.iter_mut() {
        if let (Some(ov), Some(nv)) = (o.get(key), n.get(key))
            && ov.len() == value.len()
            && nv.len() == value.len()
        {
            for ((v, a), b) in value.iter_mut().zip(ov).zip(nv) {
                *v ^= a ^ b;
            }
        }
    }
    vec![c, o, n, xored]
}

/// A copy of the current file with record `id`'s row taken from `source` (inserted if the
/// current file no longer has it, deleted if `source` does not have it) and the header replaced
/// by `header`.
fn splice(
    h: &History,
    case: &str,
    id: RecordId,
    source: &Path,
    header: &BTreeMap<String, Vec<u8>>,
) -> PathBuf {
    let forged = h.dir.join(format!("forged-{case}.sqlite"));
    std::fs::copy(&h.current, &forged).unwrap();
    let conn = raw(&forged);
    conn.execute("ATTACH DATABASE ?1 AS old", [source.to_str().unwrap()])
        .unwrap();
    conn.execute_batch(&format!(
        "DELETE FROM records WHERE id = {0};
         INSERT INTO records SELECT * FROM old.records WHERE id = {0};
         DELETE FROM meta;",
        id.0
    ))
    .unwrap();
    for (key, value) in header {
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)",
            rusqlite::params![key, value],
        )
        .unwrap();
    }
    forged
}

/// Tries every header with the spliced row; panics naming the one that opened and verified.
fn assert_every_splice_refused(
    h: &History,
    id: RecordId,
    source: &Path,
    older: &Path,
    newer: &Path,
    what: &str,
) {
    for (n, header) in candidate_headers(&h.current, older, newer)
        .iter()
        .enumerate()
    {
        let forged = splice(h, &format!("{what}-{n}"), id, source, header);
        match Vault::open(&forged, PASS) {
            Err(VaultError::IntegrityMismatch) => {}
            Err(other) => panic!("{what}, header {n}: refused with another error: {other}"),
            Ok(vault) => {
                let report = vault.check(&mut |_, _| {}).unwrap();
                panic!(
                    "{what}, header {n}: the spliced vault opened (check clean: {}, record {} reads {:?})",
                    report.is_clean(),
                    id.0,
                    password_of(&vault, id)
                );
            }
        }
    }
}

#[test]
fn a_deleted_record_cannot_be_brought_back_from_older_copies() {
    let h = history();
    assert_every_splice_refused(
        &h,
        h.carol,
        &h.after_update,
        &h.after_update,
        &h.after_delete,
        "resurrection",
    );
}

#[test]
fn one_record_cannot_be_rolled_back_while_later_changes_stay() {
    let h = history();
    assert_every_splice_refused(
        &h,
        h.alice,
        &h.before_update,
        &h.before_update,
        &h.after_update,
        "rollback",
    );
}

#[test]
fn a_record_cannot_be_deleted_by_replaying_an_older_header() {
    let h = history();
    // dave's row taken from the copy before he was added (that is, deleted).
    assert_every_splice_refused(
        &h,
        h.dave,
        &h.after_delete,
        &h.after_delete,
        &h.after_add,
        "deletion",
    );
}

#[test]
fn the_error_says_what_to_do_and_the_whole_file_rollback_is_the_one_left() {
    let h = history();
    let header = meta(&h.current);
    let forged = splice(&h, "message", h.carol, &h.after_update, &header);
    let message = Vault::open(&forged, PASS).unwrap_err().to_string();
    assert!(message.contains("credwell vault backup"), "{message}");
    // A whole older file is an authentic vault: only its generation tells it is older.
    let now = Vault::open(&h.current, PASS).unwrap().generation().unwrap();
    let old = Vault::open(&h.after_update, PASS).unwrap();
    assert!(old.generation().unwrap() < now);
    assert_eq!(password_of(&old, h.carol).as_deref(), Some("pw"));
}

#[test]
fn every_write_moves_the_generation_on() {
    let (_dir, _path, vault) = new_vault();
    let g0 = vault.generation().unwrap();
    let id = vault
        .add_credential(&password("a", "1"), Timestamp(1))
        .unwrap();
    let g1 = vault.generation().unwrap();
    vault
        .update_credential(id, &password("a", "2"), Timestamp(2))
        .unwrap();
    let g2 = vault.generation().unwrap();
    vault.remove_credential(id).unwrap();
    let g3 = vault.generation().unwrap();
    assert!(g0 < g1 && g1 < g2 && g2 < g3, "{g0} {g1} {g2} {g3}");
}

/// A vault written by the format-1 code (clear accumulator and id counter): alice (updated
/// once), bob (federated), flags for a.example, one passkey, and carol added then deleted
/// (record 5), so the counter is ahead of the largest id.
fn format1_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("format1.sqlite");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/format1.sqlite"),
        &path,
    )
    .unwrap();
    (dir, path)
}

const FORMAT1_PASS: &[u8] = b"format 1 fixture";

#[test]
fn a_format_1_vault_is_migrated_at_unlock() {
    let (_dir, path) = format1_copy();
    assert_eq!(meta(&path)["format"], 1u32.to_be_bytes());
    let vault = Vault::open(&path, FORMAT1_PASS).unwrap();
    assert_eq!(vault.info().unwrap().format_version, 2);
    assert_eq!(vault.generation().unwrap(), 1);
    assert_eq!(password_of(&vault, RecordId(1)).as_deref(), Some("second"));
    assert_eq!(vault.all().unwrap().len(), 2);
    assert_eq!(vault.all_passkeys().unwrap().len(), 1);
    let flags = vault
        .flags(&Origin::parse("https://a.example").unwrap())
        .unwrap();
    assert!(flags.prevent_silent_access);
    assert!(vault.check(&mut |_, _| {}).unwrap().is_clean());
    // The counter survived: record 5 was deleted and its id is not handed out again.
    assert_eq!(
        vault
            .add_credential(&password("erin", "pw"), Timestamp(7))
            .unwrap(),
        RecordId(6)
    );
    drop(vault);
    let header = meta(&path);
    assert_eq!(header["format"], 2u32.to_be_bytes());
    assert!(header.contains_key("state"));
    assert!(!header.contains_key("integrity") && !header.contains_key("next_id"));
    let vault = Vault::open(&path, FORMAT1_PASS).unwrap();
    assert_eq!(vault.generation().unwrap(), 2);
}

#[test]
fn a_tampered_format_1_vault_is_refused_not_migrated() {
    let (_dir, path) = format1_copy();
    raw(&path)
        .execute("DELETE FROM records WHERE id = 2", [])
        .unwrap();
    assert!(matches!(
        Vault::open(&path, FORMAT1_PASS),
        Err(VaultError::IntegrityMismatch)
    ));
    assert_eq!(meta(&path)["format"], 1u32.to_be_bytes(), "left as it was");
    assert!(!meta(&path).contains_key("state"));
}
