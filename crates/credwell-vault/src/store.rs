//! Record operations (`CredentialStore` over them in `engine.rs`).
//!
//! SQLite calls are synchronous and take microseconds to a few milliseconds (an fsync per
//! committed write): a local, single-user store. The async trait methods run them inline; the
//! host runs the engine on a multi-threaded runtime, so one slow disk write does not stall other
//! requests for long.
//!
//! Every column of a row is authenticated: the record's id, kind, revision, timestamps and blind
//! index values are bound into its seal's associated data, and all of them feed the vault's
//! integrity accumulator, so no column can change without a read or the unlock noticing.

use credwell_core::{
    Credential, CredentialType, Origin, OriginFlags, RecordId, Site, StoredCredential, Timestamp,
};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::record::{self, RecordKind};
use crate::{Change, ENVELOPE_FORMAT, Readable, Vault, VaultError};

mod apply;
mod engine;
mod indexes;
mod maintenance;
mod parallel;
pub(crate) mod passkey;
mod reseal;
pub(crate) mod state;
mod sync;

pub use apply::{GuardedWrite, SyncValue};
pub use sync::StoredFlags;

pub(crate) use state::{IntegrityState, Pending};

/// Everything about a row but its seal.
#[derive(Clone, Debug)]
struct RowMeta {
    id: i64,
    kind: i64,
    revision: i64,
    created: i64,
    updated: i64,
    origin_index: Vec<u8>,
    site_index: Option<Vec<u8>>,
}

/// One row as read from the table.
struct Row {
    meta: RowMeta,
    sealed: Vec<u8>,
}

/// The columns of [`RowMeta`], in the order [`read_meta`] reads them.
const META_COLUMNS: &str = "id, kind, revision, created, updated, origin_index, site_index";
const ROW_COLUMNS: &str = "id, kind, revision, created, updated, origin_index, site_index, sealed";

/// Reads [`META_COLUMNS`] (the first seven columns of a row).
fn read_meta(r: &rusqlite::Row<'_>) -> rusqlite::Result<RowMeta> {
    Ok(RowMeta {
        id: r.get(0)?,
        kind: r.get(1)?,
        revision: r.get(2)?,
        created: r.get(3)?,
        updated: r.get(4)?,
        origin_index: r.get(5)?,
        site_index: r.get(6)?,
    })
}

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok(Row {
        meta: read_meta(r)?,
        sealed: r.get(7)?,
    })
}

fn kind_of(credential_type: CredentialType) -> Option<RecordKind> {
    match credential_type {
        CredentialType::Password => Some(RecordKind::Password),
        CredentialType::Federated => Some(RecordKind::Federated),
        _ => None,
    }
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Vault {
    /// The metadata of a record without a site index written at `now`: the next revision of
    /// `old` (same id, same creation time), or a new record when there is none.
    fn next_meta(
        &self,
        tx: &Connection,
        pending: &mut Pending,
        old: Option<&RowMeta>,
        kind: RecordKind,
        origin_index: Vec<u8>,
        now: Timestamp,
    ) -> Result<RowMeta, VaultError> {
        Ok(RowMeta {
            id: match old {
                Some(old) => old.id,
                None => self.next_id(tx, pending)?,
            },
            kind: kind as i64,
            revision: old.map_or(1, |o| o.revision + 1),
            created: old.map_or(to_i64(now.0), |o| o.created),
            updated: to_i64(now.0),
            origin_index,
            site_index: None,
        })
    }
}

impl RowMeta {
    /// Whether `other` has the same values in the indexed columns (the kind and both blind
    /// indexes): then an update from one to the other changes no index entry.
    fn same_index_columns(&self, other: &RowMeta) -> bool {
        self.kind == other.kind
            && self.origin_index == other.origin_index
            && self.site_index == other.site_index
    }

    /// The row's columns, length-prefixed, for the seal's associated data and the accumulator.
    /// Writes the row's columns, each length-prefixed, into `out`: the seal's associated data
    /// and the accumulator's input.
    fn encode_into(&self, out: &mut Vec<u8>) {
        for int in [
            self.id,
            self.kind,
            self.revision,
            self.created,
            self.updated,
        ] {
            out.extend_from_slice(&8u64.to_be_bytes());
            out.extend_from_slice(&int.to_be_bytes());
        }
        out.extend_from_slice(&(self.origin_index.len() as u64).to_be_bytes());
        out.extend_from_slice(&self.origin_index);
        match &self.site_index {
            Some(site) => {
                out.extend_from_slice(&(site.len() as u64 + 1).to_be_bytes());
                out.push(0);
                out.extend_from_slice(site);
            }
            None => {
                out.extend_from_slice(&1u64.to_be_bytes());
                out.push(0xff);
            }
        }
    }
}

impl Vault {
    /// Associated data of a record: binds it to this vault, the format, and every column of its
    /// row.
    fn record_aad(&self, meta: &RowMeta) -> Vec<u8> {
        let mut aad = Vec::with_capacity(256);
        aad.extend_from_slice(b"credwell-vault record v1");
        aad.extend_from_slice(&self.vault_id);
        aad.extend_from_slice(&ENVELOPE_FORMAT.to_be_bytes());
        meta.encode_into(&mut aad);
        aad
    }

    fn origin_index(&self, origin: &Origin) -> Vec<u8> {
        self.origin_index_of(origin.serialized())
    }

    fn origin_index_of(&self, serialized: &str) -> Vec<u8> {
        self.keys
            .index
            .mac(&[b"origin", serialized.as_bytes()])
            .to_vec()
    }

    fn site_index(&self, site: &Site) -> Vec<u8> {
        self.keys
            .index
            .mac(&[b"site", site.to_string().as_bytes()])
            .to_vec()
    }

    fn open_row(&self, row: &Row) -> Result<zeroize::Zeroizing<Vec<u8>>, VaultError> {
        self.keys
            .record
            .open(&row.sealed, &self.record_aad(&row.meta))
            .map_err(|_| self.stale_or(VaultError::Tampered(row.meta.id)))
    }

    fn stored(&self, row: &Row) -> Result<StoredCredential, VaultError> {
        self.stored_known(row, None)
    }

    fn stored_known(
        &self,
        row: &Row,
        known: Option<(&Origin, &str)>,
    ) -> Result<StoredCredential, VaultError> {
        let id = row.meta.id;
        let kind = RecordKind::from_i64(row.meta.kind).ok_or(VaultError::Tampered(id))?;
        let plain = self.open_row(row)?;
        let opened =
            record::decode_credential(&plain, kind, known).ok_or(VaultError::Tampered(id))?;
        Ok(StoredCredential {
            record: RecordId(u64::try_from(id).map_err(|_| VaultError::Tampered(id))?),
            credential: opened.credential,
            created: Timestamp(u64::try_from(row.meta.created).unwrap_or(0)),
            updated: Timestamp(u64::try_from(row.meta.updated).unwrap_or(0)),
            history: opened.history,
            extras: opened.extras,
        })
    }

    fn query_rows(
        &self,
        sql_where: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<Row>, VaultError> {
        let conn = self.lock();
        let mut stmt =
            conn.prepare_cached(&format!("SELECT {ROW_COLUMNS} FROM records {sql_where}"))?;
        let mut rows: Vec<Row> = stmt
            .query_map(params, read_row)?
            .collect::<Result<_, _>>()?;
        // Sorted here rather than by `ORDER BY id`: with a bound parameter in the WHERE clause,
        // an `ORDER BY` makes SQLite (built with STAT4) re-prepare the statement on every
        // binding, which cost a quarter of each lookup.
        rows.sort_unstable_by_key(|row| row.meta.id);
        if rows.is_empty() && !self.key_check_matches(&conn)? {
            // Another handle replaced the key: this handle's blind indexes match nothing.
            return Err(VaultError::KeyChanged);
        }
        Ok(rows)
    }

    /// The credentials of `kind` stored for exactly `origin`.
    pub fn list_origin(
        &self,
        origin: &Origin,
        kind: CredentialType,
    ) -> Result<Vec<StoredCredential>, VaultError> {
        let Some(kind) = kind_of(kind) else {
            return Ok(Vec::new());
        };
        let serialized = origin.serialized();
        let rows = self.query_rows(
            "WHERE origin_index = ?1 AND kind = ?2",
            params![self.origin_index_of(serialized), kind as i64],
        )?;
        rows.iter()
            .map(|row| {
                let stored = self.stored_known(row, Some((origin, serialized)))?;
                // The sealed origin decides, whatever the index said.
                if stored.credential.origin().same_origin(origin) {
                    Ok(stored)
                } else {
                    Err(VaultError::Tampered(row.meta.id))
                }
            })
            .collect()
    }

    /// The credentials of `kind` stored for any origin of `site`.
    pub fn list_site(
        &self,
        site: &Site,
        kind: CredentialType,
    ) -> Result<Vec<StoredCredential>, VaultError> {
        let Some(kind) = kind_of(kind) else {
            return Ok(Vec::new());
        };
        let rows = self.query_rows(
            "WHERE site_index = ?1 AND kind = ?2",
            params![self.site_index(site), kind as i64],
        )?;
        rows.iter()
            .map(|row| {
                let stored = self.stored(row)?;
                if stored.credential.origin().site() == Some(site) {
                    Ok(stored)
                } else {
                    Err(VaultError::Tampered(row.meta.id))
                }
            })
            .collect()
    }

    /// Every credential, in record order; [`VaultError::Tampered`] when any fails to open.
    pub fn all(&self) -> Result<Vec<StoredCredential>, VaultError> {
        let rows = self.query_rows("WHERE kind IN (1, 2) ORDER BY id", [])?;
        parallel::open_each(&rows, |row| self.stored(row))
            .into_iter()
            .collect()
    }

    /// Every credential that opens, and the ids of those that do not: one damaged record does
    /// not hide the others (the caller reports the damaged ones).
    pub fn all_readable(&self) -> Result<Readable<StoredCredential>, VaultError> {
        let rows = self.query_rows("WHERE kind IN (1, 2) ORDER BY id", [])?;
        readable(&rows, |row| self.stored(row))
    }

    /// Up to `limit` credentials whose record id is above `after`, in record order: every
    /// credential, a page at a time (a manager's listing of a large vault).
    pub fn credentials_after(
        &self,
        after: RecordId,
        limit: usize,
    ) -> Result<Vec<StoredCredential>, VaultError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.query_rows(
            "WHERE kind IN (1, 2) AND id > ?1 ORDER BY id LIMIT ?2",
            params![to_i64(after.0), limit],
        )?;
        rows.iter().map(|row| self.stored(row)).collect()
    }

    /// One credential by record id.
    pub fn get(&self, record: RecordId) -> Result<Option<StoredCredential>, VaultError> {
        let rows = self.query_rows(
            "WHERE id = ?1 AND kind IN (1, 2)",
            params![to_i64(record.0)],
        )?;
        rows.first().map(|row| self.stored(row)).transpose()
    }

    /// Adds a credential; returns its record id.
    pub fn add_credential(
        &self,
        credential: &Credential,
        now: Timestamp,
    ) -> Result<RecordId, VaultError> {
        let mut ids = self.apply(&[Change::Add(credential.clone())], now, &mut || {})?;
        ids.pop().ok_or(VaultError::UnsupportedCredential)
    }

    /// Replaces a record's credential; `false` when there is no such record.
    ///
    /// A record that fails to open is [`VaultError::Tampered`], never overwritten.
    pub fn update_credential(
        &self,
        record: RecordId,
        credential: &Credential,
        now: Timestamp,
    ) -> Result<bool, VaultError> {
        if self.get(record)?.is_none() {
            return Ok(false);
        }
        // Another handle may remove the record between the check and the write.
        match self.apply(
            &[Change::Update(record, credential.clone())],
            now,
            &mut || {},
        ) {
            Ok(_) => Ok(true),
            Err(VaultError::NoSuchRecord(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Removes a record; `false` when there was no such record.
    ///
    /// A record that fails to open is [`VaultError::Tampered`], never removed: removing a
    /// damaged record is the explicit [`Vault::remove_damaged`].
    pub fn remove_credential(&self, record: RecordId) -> Result<bool, VaultError> {
        if self.get(record)?.is_none() {
            return Ok(false);
        }
        match self.apply(&[Change::Remove(record)], Timestamp(0), &mut || {}) {
            Ok(_) => Ok(true),
            Err(VaultError::NoSuchRecord(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The flags of `origin` (defaults when none are stored).
    pub fn flags(&self, origin: &Origin) -> Result<OriginFlags, VaultError> {
        let rows = self.query_rows(
            "WHERE origin_index = ?1 AND kind = 3",
            params![self.origin_index(origin)],
        )?;
        let Some(row) = rows.first() else {
            return Ok(OriginFlags::default());
        };
        let plain = self.open_row(row)?;
        let (stored_origin, flags) =
            record::decode_flags(&plain).ok_or(VaultError::Tampered(row.meta.id))?;
        if stored_origin != origin.serialized() {
            return Err(VaultError::Tampered(row.meta.id));
        }
        Ok(flags)
    }

    /// Stores the flags of `origin`.
    pub fn set_flags(
        &self,
        origin: &Origin,
        flags: OriginFlags,
        now: Timestamp,
    ) -> Result<(), VaultError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut pending = self.begin_write(&tx)?;
        self.put_flags(&tx, &mut pending, origin, flags, now)?;
        self.finish_write(&tx, pending)?;
        tx.commit()?;
        Ok(())
    }

    /// Writes `origin`'s flags inside the caller's write transaction begun with `pending`.
    fn put_flags(
        &self,
        tx: &Connection,
        pending: &mut Pending,
        origin: &Origin,
        flags: OriginFlags,
        now: Timestamp,
    ) -> Result<(), VaultError> {
        if origin.is_opaque() {
            return Err(VaultError::OpaqueOrigin);
        }
        let index = self.origin_index(origin);
        let existing: Option<i64> = tx
            .query_row(
                "SELECT id FROM records WHERE origin_index = ?1 AND kind = 3",
                params![index],
                |r| r.get(0),
            )
            .optional()?;
        let old = match existing {
            Some(id) => existing_meta(tx, id)?,
            None => None,
        };
        let meta = self.next_meta(
            tx,
            pending,
            old.as_ref(),
            RecordKind::OriginFlags,
            index,
            now,
        )?;
        self.put_sealed(
            tx,
            &meta,
            &record::encode_flags(origin, flags),
            old.as_ref(),
            pending.nonces(),
        )?;
        pending.toggle(self.integrity_term(&meta));
        if let Some(old) = &old {
            pending.toggle(self.integrity_term(old));
        }
        Ok(())
    }
}

fn existing_meta(tx: &Connection, id: i64) -> Result<Option<RowMeta>, VaultError> {
    Ok(tx
        .prepare_cached(&format!("SELECT {META_COLUMNS} FROM records WHERE id = ?1"))?
        .query_row(params![id], read_meta)
        .optional()?)
}

/// Deletes row `id` (inside the caller's write transaction).
fn delete_row(tx: &Connection, id: i64) -> Result<(), VaultError> {
    tx.prepare_cached("DELETE FROM records WHERE id = ?1")?
        .execute(params![id])?;
    Ok(())
}

/// Opens each row with `open`, setting aside those that are damaged ([`VaultError::Tampered`]);
/// any other error ends the listing.
fn readable<T: Send>(
    rows: &[Row],
    open: impl Fn(&Row) -> Result<T, VaultError> + Sync,
) -> Result<Readable<T>, VaultError> {
    let mut listing = Readable {
        items: Vec::with_capacity(rows.len()),
        damaged: Vec::new(),
    };
    for (row, opened) in rows.iter().zip(parallel::open_each(rows, open)) {
        match opened {
            Ok(item) => listing.items.push(item),
            Err(VaultError::Tampered(_)) => listing
                .damaged
                .push(RecordId(u64::try_from(row.meta.id).unwrap_or(0))),
            Err(e) => return Err(e),
        }
    }
    Ok(listing)
}

fn kind_of_credential(credential: &Credential) -> Result<i64, VaultError> {
    RecordKind::of(credential)
        .map(|k| k as i64)
        .ok_or(VaultError::UnsupportedCredential)
}
