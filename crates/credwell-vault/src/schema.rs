//! The SQLite file: connection settings, schema versions and forward migrations, the header.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension};

use crate::VaultError;
use crate::crypto::KdfParams;

/// The newest schema this build knows (`PRAGMA user_version`).
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// Opens the file with the settings every handle uses.
pub(crate) fn connect(path: &Path) -> Result<Connection, VaultError> {
    let conn = Connection::open(path)?;
    // Two processes (the CLI and the browser host) may hold the vault: wait for each other.
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // An acknowledged write survives a power cut.
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Freed pages are overwritten, so old ciphertexts do not linger in the file.
    conn.pragma_update(None, "secure_delete", "ON")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
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
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|_| VaultError::NotAVault(path.to_owned()))?;
    for step in version..SCHEMA_VERSION {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(MIGRATIONS[step as usize])?;
        tx.pragma_update(None, "user_version", step + 1)?;
        tx.commit()?;
    }
    Ok(())
}

/// `MIGRATIONS[n]` takes the schema from version `n` to `n + 1`.
const MIGRATIONS: [&str; SCHEMA_VERSION as usize] = [
    // 0 → 1: the header and the records.
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
     CREATE INDEX records_by_origin ON records (origin_index, kind);
     CREATE INDEX records_by_site ON records (site_index, kind);",
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
    let get = |key: &str| -> Result<Vec<u8>, VaultError> {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| {
            r.get::<_, Vec<u8>>(0)
        })
        .optional()
        .map_err(|_| VaultError::NotAVault(path.to_owned()))?
        .ok_or_else(|| VaultError::BadHeader(format!("missing {key}")))
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
