//! Record operations, and `credwell_core::CredentialStore` over them.
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
    Clock, Credential, CredentialStore, CredentialType, Origin, OriginFlags, RecordId, Site,
    StoreFailure, StoreResult, StoredCredential, SystemClock, Timestamp,
};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::record::{self, RecordKind};
use crate::{Change, CheckReport, ENVELOPE_FORMAT, Readable, Vault, VaultError, VaultInfo, hex};

mod passkey;
mod reseal;
mod state;

pub(crate) use state::IntegrityState;

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

impl RowMeta {
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
        self.origin_index_of(&origin.to_string())
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

    /// The integrity accumulator's term for one row.
    fn integrity_term(&self, meta: &RowMeta) -> [u8; 32] {
        let mut input = Vec::with_capacity(192);
        meta.encode_into(&mut input);
        self.keys.integrity.mac(&[&input])
    }

    /// Whether the key check is this key's, the sealed integrity state opens and its
    /// accumulator matches the rows, and both blind indexes match the table (a damaged index
    /// could otherwise hide rows from lookups without any row changing).
    pub(crate) fn integrity_matches(&self) -> Result<bool, VaultError> {
        let guard = self.lock();
        // One read transaction: every read below sees the same snapshot. Without it a writer in
        // another process (the CLI beside the browser host) could commit between the read of the
        // state and the scan of the rows, and an intact vault would look tampered with.
        let conn = guard.unchecked_transaction()?;
        if !self.key_check_matches(&conn)? {
            return Ok(false);
        }
        let stored = match self.read_state(&conn) {
            Ok(state) => state.acc,
            // At unlock, a key check that is not this key's is a damaged header too.
            Err(VaultError::IntegrityMismatch | VaultError::KeyChanged) => return Ok(false),
            Err(e) => return Err(e),
        };
        Ok(self.recompute_accumulator(&conn)? == Some(stored))
    }

    /// The accumulator over the rows as they are, or `None` when an index b-tree disagrees with
    /// the table.
    pub(crate) fn recompute_accumulator(
        &self,
        conn: &Connection,
    ) -> Result<Option<[u8; 32]>, VaultError> {
        let mut acc = [0u8; 32];
        let mut origin_entries = [0u8; 32];
        let mut site_entries = [0u8; 32];
        let xor = |into: &mut [u8; 32], term: [u8; 32]| {
            into.iter_mut().zip(term).for_each(|(a, t)| *a ^= t)
        };
        let mut stmt = conn.prepare(&format!("SELECT {META_COLUMNS} FROM records NOT INDEXED"))?;
        let rows = stmt.query_map([], read_meta)?;
        for meta in rows {
            let meta = meta?;
            xor(&mut acc, self.integrity_term(&meta));
            xor(
                &mut origin_entries,
                self.index_entry(b"o", &meta.origin_index, meta.kind, meta.id),
            );
            let site = meta.site_index.as_deref().unwrap_or(&[]);
            xor(
                &mut site_entries,
                self.index_entry(b"s", site, meta.kind, meta.id),
            );
        }
        drop(stmt);
        // Covering scans read the values from the index b-trees themselves.
        for (index, column, tag, expected) in [
            ("records_by_origin", "origin_index", b"o", origin_entries),
            ("records_by_site", "site_index", b"s", site_entries),
        ] {
            let mut seen = [0u8; 32];
            let mut stmt = conn.prepare(&format!(
                "SELECT {column}, kind, id FROM records INDEXED BY {index}"
            ))?;
            let entries = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, Option<Vec<u8>>>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })?;
            for entry in entries {
                let (value, kind, id) = entry?;
                xor(
                    &mut seen,
                    self.index_entry(tag, value.as_deref().unwrap_or(&[]), kind, id),
                );
            }
            if seen != expected {
                return Ok(None);
            }
        }
        Ok(Some(acc))
    }

    fn index_entry(&self, tag: &[u8], value: &[u8], kind: i64, id: i64) -> [u8; 32] {
        self.keys
            .integrity
            .mac(&[b"index", tag, value, &kind.to_be_bytes(), &id.to_be_bytes()])
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
        let credential =
            record::decode_credential(&plain, kind, known).ok_or(VaultError::Tampered(id))?;
        Ok(StoredCredential {
            record: RecordId(u64::try_from(id).map_err(|_| VaultError::Tampered(id))?),
            credential,
            created: Timestamp(u64::try_from(row.meta.created).unwrap_or(0)),
            updated: Timestamp(u64::try_from(row.meta.updated).unwrap_or(0)),
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
        let serialized = origin.to_string();
        let rows = self.query_rows(
            "WHERE origin_index = ?1 AND kind = ?2",
            params![self.origin_index_of(&serialized), kind as i64],
        )?;
        rows.iter()
            .map(|row| {
                let stored = self.stored_known(row, Some((origin, &serialized)))?;
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
        rows.iter().map(|row| self.stored(row)).collect()
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

    /// Applies every change in one transaction: all of them or none. Returns the ids of added
    /// records, in order. `progress` is called after each change. An update or removal of a
    /// record that does not exist, or that is not a credential (an origin's flags), fails the
    /// whole batch with [`VaultError::NoSuchRecord`].
    pub fn apply(
        &self,
        changes: &[Change],
        now: Timestamp,
        progress: &mut dyn FnMut(),
    ) -> Result<Vec<RecordId>, VaultError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut added = Vec::new();
        let mut terms = Vec::new();
        for change in changes {
            match change {
                Change::Add(credential) => {
                    let id = self.next_id(&tx)?;
                    let meta = self.meta_for(id, 1, to_i64(now.0), to_i64(now.0), credential)?;
                    self.put(&tx, &meta, credential, None)?;
                    terms.push(self.integrity_term(&meta));
                    added.push(RecordId(u64::try_from(id).unwrap_or(0)));
                }
                Change::Update(record, credential) => {
                    let old = existing_credential_meta(&tx, *record)?;
                    let meta = self.meta_for(
                        old.id,
                        old.revision + 1,
                        old.created,
                        to_i64(now.0),
                        credential,
                    )?;
                    self.put(&tx, &meta, credential, Some(&old))?;
                    terms.push(self.integrity_term(&old));
                    terms.push(self.integrity_term(&meta));
                }
                Change::Remove(record) => {
                    let old = existing_credential_meta(&tx, *record)?;
                    tx.execute("DELETE FROM records WHERE id = ?1", params![old.id])?;
                    terms.push(self.integrity_term(&old));
                }
                Change::AddPasskey(entry) => {
                    terms.extend(self.put_new_passkey(&tx, entry, now)?);
                }
                Change::UpdatePasskey(entry) => {
                    terms.extend(self.put_updated_passkey(&tx, entry, now)?);
                }
                Change::RemovePasskey(credential_id) => {
                    terms.extend(self.delete_passkey(&tx, credential_id)?);
                }
            }
            progress();
        }
        self.commit_terms(&tx, &terms)?;
        tx.commit()?;
        Ok(added)
    }

    fn meta_for(
        &self,
        id: i64,
        revision: i64,
        created: i64,
        updated: i64,
        credential: &Credential,
    ) -> Result<RowMeta, VaultError> {
        let origin = credential.origin();
        if origin.is_opaque() {
            return Err(VaultError::OpaqueOrigin);
        }
        Ok(RowMeta {
            id,
            kind: kind_of_credential(credential)?,
            revision,
            created,
            updated,
            origin_index: self.origin_index(origin),
            site_index: origin.site().map(|s| self.site_index(s)),
        })
    }

    /// Seals and writes one credential row: a new row, or in place of `old`.
    fn put(
        &self,
        tx: &Connection,
        meta: &RowMeta,
        credential: &Credential,
        old: Option<&RowMeta>,
    ) -> Result<(), VaultError> {
        let plain =
            record::encode_credential(credential).ok_or(VaultError::UnsupportedCredential)?;
        self.put_sealed(tx, meta, &plain, old)
    }

    fn put_sealed(
        &self,
        tx: &Connection,
        meta: &RowMeta,
        plain: &[u8],
        old: Option<&RowMeta>,
    ) -> Result<(), VaultError> {
        let sealed = self
            .keys
            .record
            .seal(plain, &self.record_aad(meta))
            .map_err(|_| VaultError::Random)?;
        let columns = params![
            meta.id,
            meta.kind,
            meta.origin_index,
            meta.site_index,
            meta.revision,
            meta.created,
            meta.updated,
            sealed
        ];
        match old {
            // A plain INSERT: an id already in use is an error, never an overwrite.
            None => tx.prepare_cached(
                "INSERT INTO records
                 (id, kind, origin_index, site_index, revision, created, updated, sealed)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(columns)?,
            Some(old) => tx.prepare_cached(
                "UPDATE records SET kind = ?2, origin_index = ?3, site_index = ?4, revision = ?5,
                 created = ?6, updated = ?7, sealed = ?8 WHERE id = ?1 AND revision = ?9",
            )?
            .execute(params![
                    meta.id,
                    meta.kind,
                    meta.origin_index,
                    meta.site_index,
                    meta.revision,
                    meta.created,
                    meta.updated,
                    sealed,
                    old.revision
                ])?,
        };
        Ok(())
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
        if stored_origin != origin.to_string() {
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
        if origin.is_opaque() {
            return Err(VaultError::OpaqueOrigin);
        }
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let index = self.origin_index(origin);
        let existing: Option<i64> = tx
            .query_row(
                "SELECT id FROM records WHERE origin_index = ?1 AND kind = 3",
                params![index],
                |r| r.get(0),
            )
            .optional()?;
        let old = match existing {
            Some(id) => existing_meta(&tx, id)?,
            None => None,
        };
        let meta = RowMeta {
            id: match &old {
                Some(old) => old.id,
                None => self.next_id(&tx)?,
            },
            kind: RecordKind::OriginFlags as i64,
            revision: old.as_ref().map_or(1, |o| o.revision + 1),
            created: old.as_ref().map_or(to_i64(now.0), |o| o.created),
            updated: to_i64(now.0),
            origin_index: index,
            site_index: None,
        };
        self.put_sealed(
            &tx,
            &meta,
            &record::encode_flags(origin, flags),
            old.as_ref(),
        )?;
        let mut terms = vec![self.integrity_term(&meta)];
        if let Some(old) = &old {
            terms.push(self.integrity_term(old));
        }
        self.commit_terms(&tx, &terms)?;
        tx.commit()?;
        Ok(())
    }

    /// Counts and parameters; nothing secret.
    pub fn info(&self) -> Result<VaultInfo, VaultError> {
        let conn = self.lock();
        let count = |kind: i64| -> Result<u64, VaultError> {
            let n: i64 = conn.query_row(
                "SELECT COUNT(*) FROM records WHERE kind = ?1",
                [kind],
                |r| r.get(0),
            )?;
            Ok(u64::try_from(n).unwrap_or(0))
        };
        let header = crate::schema::read_header(&conn, &self.path)?;
        let schema_version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        Ok(VaultInfo {
            path: self.path.clone(),
            format_version: header.format,
            schema_version,
            vault_id: hex(&self.vault_id),
            kdf: header.kdf,
            passwords: count(1)?,
            federated: count(2)?,
            origins_with_flags: count(3)?,
            passkeys: count(RecordKind::Passkey as i64)?,
            generation: self.read_state(&conn)?.generation,
        })
    }

    /// Decrypts and verifies every record, and the integrity accumulator. `progress` is called
    /// once per record with (done, total).
    pub fn check(&self, progress: &mut dyn FnMut(u64, u64)) -> Result<CheckReport, VaultError> {
        // A handle whose key was replaced would call every record damaged.
        if let VaultError::KeyChanged = self.stale_or(VaultError::IntegrityMismatch) {
            return Err(VaultError::KeyChanged);
        }
        let rows = self.query_rows("ORDER BY id", [])?;
        let total = rows.len() as u64;
        let mut report = CheckReport::default();
        for (done, row) in rows.iter().enumerate() {
            let verified = self.verifies(row);
            if verified {
                report.ok += 1;
            } else {
                report.tampered.push(row.meta.id);
            }
            progress(done as u64 + 1, total);
        }
        report.integrity_ok = self.integrity_matches()?;
        Ok(report)
    }

    /// A record id never used before in this vault: ids are not reused after a delete, so an
    /// old sealed row can never pass for a new record with the same id and revision. The larger
    /// of the (sealed) counter and the largest id in use wins, so no id is handed out twice.
    fn next_id(&self, tx: &Connection) -> Result<i64, VaultError> {
        let mut state = self.read_state(tx)?;
        let in_use: i64 = tx
            .prepare_cached("SELECT COALESCE(MAX(id), 0) + 1 FROM records")?
            .query_row([], |r| r.get(0))?;
        let next = state.next_id.max(in_use);
        state.next_id = next + 1;
        self.write_state(tx, &state)?;
        Ok(next)
    }

    /// Whether a row opens and holds what its kind says.
    fn verifies(&self, row: &Row) -> bool {
        match RecordKind::from_i64(row.meta.kind) {
            Some(RecordKind::OriginFlags) => self
                .open_row(row)
                .ok()
                .and_then(|p| record::decode_flags(&p))
                .is_some(),
            Some(RecordKind::Passkey) => self.open_row(row).is_ok_and(|p| passkey::verifies(&p)),
            Some(kind) => self
                .open_row(row)
                .ok()
                .and_then(|p| record::decode_credential(&p, kind, None))
                .is_some(),
            None => false,
        }
    }

    /// Removes a record that fails to open or verify (one [`Vault::check`] reports), whatever
    /// its kind; `false` when there is no such record. A record that verifies is
    /// [`VaultError::NotDamaged`]: it is removed through [`Vault::remove_credential`] or
    /// [`Vault::remove_passkey`], which check what they remove.
    pub fn remove_damaged(&self, record: RecordId) -> Result<bool, VaultError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row = tx
            .query_row(
                &format!("SELECT {ROW_COLUMNS} FROM records WHERE id = ?1"),
                params![to_i64(record.0)],
                read_row,
            )
            .optional()?;
        let Some(row) = row else {
            return Ok(false);
        };
        if self.verifies(&row) {
            return Err(VaultError::NotDamaged(record.0));
        }
        tx.execute("DELETE FROM records WHERE id = ?1", params![row.meta.id])?;
        self.commit_terms(&tx, &[self.integrity_term(&row.meta)])?;
        tx.commit()?;
        Ok(true)
    }

    /// Writes a consistent copy of the (still encrypted) vault to `to`, which must not exist.
    ///
    /// The copy is created exclusively and, on Unix, owner-only, like [`Vault::create`]'s file;
    /// a copy that fails part-way is removed. Paths that are not valid UTF-8 are refused
    /// (`VACUUM INTO` takes the name as SQL text, and a lossy conversion would write elsewhere).
    pub fn backup(&self, to: &std::path::Path) -> Result<(), VaultError> {
        let Some(name) = to.to_str() else {
            return Err(VaultError::Io {
                path: to.to_owned(),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "a backup path must be valid UTF-8",
                ),
            });
        };
        crate::create_private_file(to)?;
        // `VACUUM INTO` accepts an empty existing file and keeps its mode.
        let conn = self.lock();
        conn.execute("VACUUM INTO ?1", params![name])
            .map(drop)
            .map_err(|e| {
                let _ = std::fs::remove_file(to);
                VaultError::from(e)
            })
    }
}

/// The row of credential `record`; [`VaultError::NoSuchRecord`] when there is no such row or it
/// holds something else (an origin's flags are changed only through [`Vault::set_flags`]).
fn existing_credential_meta(tx: &Connection, record: RecordId) -> Result<RowMeta, VaultError> {
    existing_meta(tx, to_i64(record.0))?
        .filter(|meta| {
            RecordKind::from_i64(meta.kind)
                .is_some_and(|k| matches!(k, RecordKind::Password | RecordKind::Federated))
        })
        .ok_or(VaultError::NoSuchRecord(record.0))
}

fn existing_meta(tx: &Connection, id: i64) -> Result<Option<RowMeta>, VaultError> {
    Ok(tx
        .query_row(
            &format!("SELECT {META_COLUMNS} FROM records WHERE id = ?1"),
            params![id],
            read_meta,
        )
        .optional()?)
}

/// Opens each row with `open`, setting aside those that are damaged ([`VaultError::Tampered`]);
/// any other error ends the listing.
fn readable<T>(
    rows: &[Row],
    open: impl Fn(&Row) -> Result<T, VaultError>,
) -> Result<Readable<T>, VaultError> {
    let mut listing = Readable {
        items: Vec::with_capacity(rows.len()),
        damaged: Vec::new(),
    };
    for row in rows {
        match open(row) {
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

fn failure(e: VaultError) -> StoreFailure {
    StoreFailure::new(e)
}

impl CredentialStore for Vault {
    async fn list(
        &self,
        origin: &Origin,
        kind: CredentialType,
    ) -> StoreResult<Vec<StoredCredential>> {
        self.list_origin(origin, kind).map_err(failure)
    }

    async fn list_same_site(
        &self,
        site: &Site,
        kind: CredentialType,
    ) -> StoreResult<Vec<StoredCredential>> {
        self.list_site(site, kind).map_err(failure)
    }

    async fn add(&self, credential: Credential, now: Timestamp) -> StoreResult<RecordId> {
        self.add_credential(&credential, now).map_err(failure)
    }

    async fn update(
        &self,
        record: RecordId,
        credential: Credential,
        now: Timestamp,
    ) -> StoreResult<bool> {
        self.update_credential(record, &credential, now)
            .map_err(failure)
    }

    async fn remove(&self, record: RecordId) -> StoreResult<bool> {
        self.remove_credential(record).map_err(failure)
    }

    async fn origin_flags(&self, origin: &Origin) -> StoreResult<OriginFlags> {
        if origin.is_opaque() {
            return Ok(OriginFlags::default());
        }
        self.flags(origin).map_err(failure)
    }

    async fn set_origin_flags(&self, origin: &Origin, flags: OriginFlags) -> StoreResult<()> {
        self.set_flags(origin, flags, SystemClock.now())
            .map_err(failure)
    }
}
