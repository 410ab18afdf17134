//! The SQLite file: connection settings, schema versions and forward migrations, the header.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension};

use crate::VaultError;
use crate::crypto::KdfParams;

/// The newest schema this build knows (`PRAGMA user_version`).
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// The page cache of a connection during a large write, as `PRAGMA cache_size` takes it:
/// negative, in KiB.
const LARGE_WRITE_CACHE_KIB: i64 = -64 * 1024;
/// SQLite's default page cache (2 MiB), what a connection keeps between large writes.
const CACHE_KIB: i64 = -2 * 1024;
/// How many changes make a write large enough for [`LARGE_WRITE_CACHE_KIB`].
const LARGE_WRITE: usize = 1_000;

/// Opens the file with the settings every handle uses.
pub(crate) fn connect(path: &Path) -> Result<Connection, VaultError> {
    let conn = Connection::open(path)?;
    // Two processes (the CLI and the browser host) may hold the vault: wait for each other.
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // An acknowledged write survives a power cut (all but sync's: `not_waiting_for_disk`).
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Freed pages are overwritten, so old ciphertexts do not linger in the file.
    conn.pragma_update(None, "secure_delete", "ON")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "cache_size", CACHE_KIB)?;
    Ok(conn)
}

/// Runs `write` (one write transaction of `changes` changes) with a page cache of up to 64 MiB
/// when the write is large, then gives the memory back.
///
/// Why: with SQLite's 2 MiB, a write of many rows into a large vault (an import's updates, whose
/// blind indexes land on random index pages) spilled dirty pages to the WAL in the middle of its
/// transaction and read evicted pages back again and again. Pages are cached as they are on
/// disk, sealed, so nothing is in clear there; but a connection that lives long (the agent's,
/// the host's) would keep 64 MiB of pages for good, so the cache shrinks again after the write.
pub(crate) fn with_write_cache<T>(
    conn: &mut Connection,
    changes: usize,
    write: impl FnOnce(&mut Connection) -> Result<T, VaultError>,
) -> Result<T, VaultError> {
    if changes < LARGE_WRITE {
        return write(conn);
    }
    conn.pragma_update(None, "cache_size", LARGE_WRITE_CACHE_KIB)?;
    let written = write(conn);
    let narrowed = conn
        .pragma_update(None, "cache_size", CACHE_KIB)
        .and_then(|()| conn.execute_batch("PRAGMA shrink_memory"));
    let written = written?;
    narrowed?;
    Ok(written)
}

/// Runs `write` (one write transaction) committed without waiting for the disk
/// (`synchronous=NORMAL`), then puts the connection back to `synchronous=FULL` for every later
/// write, whatever `write` returned.
///
/// Why: only sync's guarded write ([`Vault::apply_if_generation`](crate::Vault)) is run so,
/// and it holds only what the sync server holds (the records it sent, this device's pushes it
/// acknowledged) and the client's state. In WAL mode a commit under `NORMAL` is still atomic
/// and survives the process being killed; a power cut or an operating-system crash soon after
/// may take it back, whole, to the vault as it was before that sync, whose next sync pulls it
/// again from the saved cursor. The `fsync` of the WAL it skips was about 2 of the 30 ms of a
/// first sync of 3,000 credentials into a new vault (docs/benchmarks.md). The WAL is synced
/// with the next `FULL` commit or checkpoint. A write the user made (a page's `store()`, the
/// command line, an import) keeps `FULL`.
pub(crate) fn not_waiting_for_disk<T>(
    conn: &mut Connection,
    write: impl FnOnce(&mut Connection) -> Result<T, VaultError>,
) -> Result<T, VaultError> {
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let written = write(conn);
    // Outside any transaction (the write's has ended), so this cannot be refused for that.
    let restored = conn.pragma_update(None, "synchronous", "FULL");
    let written = written?;
    restored?;
    Ok(written)
}

/// How `conn` commits now, as `PRAGMA synchronous` gives it (1: NORMAL, 2: FULL).
#[cfg(test)]
pub(crate) fn synchronous(conn: &Connection) -> i64 {
    conn.pragma_query_value(None, "synchronous", |row| row.get(0))
        .expect("synchronous reads")
}

/// The page cache `conn` has now, as `PRAGMA cache_size` gives it (negative: KiB).
#[cfg(test)]
pub(crate) fn cache_size(conn: &Connection) -> i64 {
    conn.pragma_query_value(None, "cache_size", |row| row.get(0))
        .expect("cache_size reads")
}

/// Looks at a file read-only, so that a file that is not a vault is never modified (setting the
/// journal mode would rewrite a foreign database's header).
pub(crate) fn probe(path: &Path) -> Result<(), VaultError> {
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|_| VaultError::NotAVault(path.to_owned()))?;
    check_version(&conn, path)?;
    let has_meta: bool = conn
        .query_row(
            "SELECT COUNT(*) = 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
            [],
            |r| r.get(0),
        )
        .map_err(|_| VaultError::NotAVault(path.to_owned()))?;
    if !has_meta {
        return Err(VaultError::NotAVault(path.to_owned()));
    }
    Ok(())
}

/// Refuses files of a newer schema and files that are not vaults.
pub(crate) fn check_version(conn: &Connection, path: &Path) -> Result<(), VaultError> {
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|_| VaultError::NotAVault(path.to_owned()))?;
    if version > SCHEMA_VERSION {
        return Err(VaultError::NewerFormat {
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    if version == 0 {
        // A file without our schema: never turn somebody's database into a vault.
        return Err(VaultError::NotAVault(path.to_owned()));
    }
    Ok(())
}

/// Brings the schema up to [`SCHEMA_VERSION`], one step per version, each in a transaction.
pub(crate) fn migrate(conn: &Connection, path: &Path) -> Result<(), VaultError> {
    migrate_with(conn, path, &MIGRATIONS)
}

/// Applies `migrations[v..]` to a file at version `v`, one step per transaction.
///
/// Each step takes the write lock first (`BEGIN IMMEDIATE`) and reads the version inside the
/// transaction, so two processes opening an old vault at once migrate it exactly once: the
/// second waits (busy timeout), then sees the new version and does nothing. A file newer than
/// `migrations` knows is refused, never downgraded.
fn migrate_with(conn: &Connection, path: &Path, migrations: &[&str]) -> Result<(), VaultError> {
    let supported = u32::try_from(migrations.len()).unwrap_or(u32::MAX);
    loop {
        let tx =
            rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
        let version: u32 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|_| VaultError::NotAVault(path.to_owned()))?;
        if version > supported {
            return Err(VaultError::NewerFormat {
                found: version,
                supported,
            });
        }
        let Some(step) = migrations.get(version as usize) else {
            return Ok(());
        };
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
    }
}

/// The indexes of `records`, as migration 0 creates them; a key rotation drops them and
/// creates them again from this (a migration that changes them must change this too).
macro_rules! record_indexes {
    () => {
        "CREATE INDEX records_by_origin ON records (origin_index, kind);
     CREATE INDEX records_by_site ON records (site_index, kind);"
    };
}

/// Drops the indexes [`CREATE_RECORD_INDEXES`] creates.
pub(crate) const DROP_RECORD_INDEXES: &str =
    "DROP INDEX records_by_origin; DROP INDEX records_by_site;";
pub(crate) const CREATE_RECORD_INDEXES: &str = record_indexes!();

/// `MIGRATIONS[n]` takes the schema from version `n` to `n + 1`.
const MIGRATIONS: [&str; SCHEMA_VERSION as usize] = [
    // 0 → 1: the header and the records.
    concat!(
        "CREATE TABLE meta (
         key   TEXT PRIMARY KEY NOT NULL,
         value BLOB NOT NULL
     ) STRICT;
     CREATE TABLE records (
         id           INTEGER PRIMARY KEY NOT NULL,
         kind         INTEGER NOT NULL,
         origin_index BLOB NOT NULL,
         site_index   BLOB,
         revision     INTEGER NOT NULL,
         created      INTEGER NOT NULL,
         updated      INTEGER NOT NULL,
         sealed       BLOB NOT NULL
     ) STRICT;
     ",
        record_indexes!()
    ),
];

/// The vault header, as stored in `meta`.
pub(crate) struct Header {
    pub(crate) format: u32,
    pub(crate) vault_id: [u8; 16],
    pub(crate) salt: Vec<u8>,
    pub(crate) kdf: KdfParams,
    pub(crate) wrapped_key: Vec<u8>,
}

pub(crate) fn read_header(conn: &Connection, path: &Path) -> Result<Header, VaultError> {
    Header::from_meta(|key| {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| {
            r.get::<_, Vec<u8>>(0)
        })
        .optional()
        .map_err(|_| VaultError::NotAVault(path.to_owned()))
    })
}

impl Header {
    /// The header from the `meta` table's values, which `get` returns by key (`None` when a
    /// key is missing). Only the lengths and the KDF JSON are checked here: what the values
    /// mean is checked by [`Header::check_openable`] and by the wrapped key's tag.
    pub(crate) fn from_meta(
        mut get: impl FnMut(&str) -> Result<Option<Vec<u8>>, VaultError>,
    ) -> Result<Header, VaultError> {
        let mut get = |key: &str| -> Result<Vec<u8>, VaultError> {
            get(key)?.ok_or_else(|| VaultError::BadHeader(format!("missing {key}")))
        };
        let format = get("format")?;
        let format = u32::from_be_bytes(
            format
                .try_into()
                .map_err(|_| VaultError::BadHeader("format".into()))?,
        );
        let vault_id: [u8; 16] = get("vault_id")?
            .try_into()
            .map_err(|_| VaultError::BadHeader("vault id".into()))?;
        let kdf: KdfParams = serde_json::from_slice(&get("kdf")?)
            .map_err(|e| VaultError::BadHeader(format!("kdf: {e}")))?;
        Ok(Header {
            format,
            vault_id,
            salt: get("salt")?,
            kdf,
            wrapped_key: get("wrapped_key")?,
        })
    }

    /// Refuses a header this build must not try to unlock: a newer format than it knows, or
    /// key derivation costs above [`KdfParams::MAXIMUM`] (a damaged or hostile header must not
    /// make the unlock allocate gigabytes or run for hours before the passphrase is checked).
    pub(crate) fn check_openable(&self) -> Result<(), VaultError> {
        if self.format > crate::FORMAT_VERSION {
            return Err(VaultError::NewerFormat {
                found: self.format,
                supported: crate::FORMAT_VERSION,
            });
        }
        if !KdfParams::MAXIMUM.is_at_least(&self.kdf) {
            return Err(VaultError::BadHeader(format!(
                "key derivation parameters {:?} exceed the maximum {:?}",
                self.kdf,
                KdfParams::MAXIMUM
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The write inside runs with `synchronous=NORMAL`; the connection is back at `FULL` after
    /// it, whether it succeeded or failed.
    #[test]
    fn a_write_not_waiting_for_disk_leaves_the_connection_waiting_again() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = connect(&dir.path().join("x.sqlite")).unwrap();
        assert_eq!(synchronous(&conn), 2);
        let inside = not_waiting_for_disk(&mut conn, |conn| Ok(synchronous(conn))).unwrap();
        assert_eq!(inside, 1);
        assert_eq!(synchronous(&conn), 2);
        let failed: Result<(), _> = not_waiting_for_disk(&mut conn, |_| Err(VaultError::Random));
        assert!(matches!(failed, Err(VaultError::Random)));
        assert_eq!(synchronous(&conn), 2);
    }

    /// The large cache is there during a large write only, and given back after one that
    /// fails too; a small write keeps the small one.
    #[test]
    fn the_write_cache_is_large_only_during_a_large_write() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = connect(&dir.path().join("c.sqlite")).unwrap();
        assert_eq!(cache_size(&conn), CACHE_KIB);
        let during = with_write_cache(&mut conn, LARGE_WRITE, |c| Ok(cache_size(c))).unwrap();
        assert_eq!(during, LARGE_WRITE_CACHE_KIB);
        assert_eq!(cache_size(&conn), CACHE_KIB);
        let small = with_write_cache(&mut conn, LARGE_WRITE - 1, |c| Ok(cache_size(c))).unwrap();
        assert_eq!(small, CACHE_KIB);
        let failed: Result<(), _> = with_write_cache(&mut conn, LARGE_WRITE, |c| {
            assert_eq!(cache_size(c), LARGE_WRITE_CACHE_KIB);
            Err(VaultError::NoSuchRecord(7))
        });
        assert!(matches!(failed, Err(VaultError::NoSuchRecord(_))));
        assert_eq!(cache_size(&conn), CACHE_KIB);
    }

    fn version(conn: &Connection) -> u32 {
        conn.query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap()
    }

    /// The real steps plus a hypothetical next one, to exercise a forward migration.
    fn with_next_step() -> Vec<&'static str> {
        let mut steps = MIGRATIONS.to_vec();
        steps.push("ALTER TABLE records ADD COLUMN extra BLOB;");
        steps
    }

    #[test]
    fn a_new_file_gets_every_step_and_a_second_run_does_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.sqlite");
        let conn = connect(&path).unwrap();
        migrate(&conn, &path).unwrap();
        assert_eq!(version(&conn), SCHEMA_VERSION);
        migrate(&conn, &path).unwrap();
        assert_eq!(version(&conn), SCHEMA_VERSION);
        let tables: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' \
                 AND name IN ('meta', 'records')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 2);
    }

    #[test]
    fn an_older_file_moves_forward_keeping_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.sqlite");
        let conn = connect(&path).unwrap();
        migrate(&conn, &path).unwrap();
        conn.execute(
            "INSERT INTO records (id, kind, origin_index, revision, created, updated, sealed) \
             VALUES (1, 1, x'00', 1, 0, 0, x'01')",
            [],
        )
        .unwrap();
        let steps = with_next_step();
        migrate_with(&conn, &path, &steps).unwrap();
        assert_eq!(version(&conn), SCHEMA_VERSION + 1);
        let (id, extra): (i64, Option<Vec<u8>>) = conn
            .query_row("SELECT id, extra FROM records", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((id, extra), (1, None));
        // This build's steps refuse the migrated file rather than use or downgrade it.
        assert!(matches!(
            migrate(&conn, &path),
            Err(VaultError::NewerFormat { found, supported })
                if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION
        ));
    }

    #[test]
    fn two_handles_migrating_at_once_apply_each_step_once() {
        let dir = tempfile::tempdir().unwrap();
        let steps = with_next_step();
        // A race shows only sometimes: try it a few times (milliseconds each).
        for round in 0..20 {
            let path = dir.path().join(format!("v{round}.sqlite"));
            migrate(&connect(&path).unwrap(), &path).unwrap();
            std::thread::scope(|s| {
                for _ in 0..2 {
                    s.spawn(|| {
                        let conn = connect(&path).unwrap();
                        // A step applied twice would fail: the column would already exist.
                        migrate_with(&conn, &path, &steps).unwrap();
                    });
                }
            });
            assert_eq!(version(&connect(&path).unwrap()), SCHEMA_VERSION + 1);
        }
    }
}
