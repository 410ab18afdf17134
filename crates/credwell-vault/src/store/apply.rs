//! Writing credential rows: [`Vault::apply`], the one transaction every change goes through.

use credwell_core::{
    Credential, Extras, Origin, OriginFlags, PastPassword, RecordId, Timestamp, retire_password,
};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use zeroize::Zeroizing;

use super::{
    Pending, ROW_COLUMNS, Row, RowMeta, delete_row, existing_meta, kind_of_credential, parallel,
    read_row, to_i64,
};
use crate::crypto::Nonces;
use crate::record::{self, RecordKind};
use crate::schema::{self, with_write_cache};
use crate::{Change, Vault, VaultError};

/// A sync value as [`GuardedWrite`] gets it: its bytes, or `None` to remove it.
pub type SyncValue = Option<Zeroizing<Vec<u8>>>;

/// What [`Vault::apply_if_generation`] writes: sync's step that brings the vault to what the
/// server holds.
pub struct GuardedWrite<'a, V> {
    /// Credential and passkey changes, as [`Vault::apply`] takes them.
    pub changes: &'a [Change],
    /// Origins' flags to set ([`Vault::set_flags`]).
    pub flags: &'a [(Origin, OriginFlags)],
    /// A sync value to store or remove ([`Vault::set_sync_value`]): its name, and what gives
    /// its value (`None`: remove it). That is called once the changes and flags are in, inside
    /// the transaction, so the value can be made on another thread while the rows go in (sync
    /// seals its state meanwhile); its error writes nothing.
    pub sync_value: Option<(&'a str, V)>,
}

impl<V> std::fmt::Debug for GuardedWrite<'_, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Counts and the value's name only: changes carry passwords.
        f.debug_struct("GuardedWrite")
            .field("changes", &self.changes.len())
            .field("flags", &self.flags.len())
            .field(
                "sync_value",
                &self.sync_value.as_ref().map(|(name, _)| name),
            )
            .finish()
    }
}

impl Vault {
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
        with_write_cache(&mut conn, changes.len(), |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut pending = self.begin_write(&tx)?;
            let added = self.apply_in(&tx, changes, now, progress, &mut pending)?;
            self.finish_write(&tx, pending)?;
            tx.commit()?;
            Ok(added)
        })
    }

    /// Sync's write ([`Vault::apply`], origins' flags and one sync value) in one transaction,
    /// made only if the vault's write generation is still `expected` inside it: what sync read
    /// is then still what the vault holds, and no write committed since (by this process or
    /// another) is overwritten. Returns the generation after the write, or `None` (nothing
    /// written) when the generation moved. When the sync value's maker fails, nothing is
    /// written and its error is returned.
    ///
    /// Its commit does not wait for the disk (`synchronous=NORMAL`, for this write only): it is
    /// atomic and survives the process being killed, but a power cut soon after may take it
    /// back, whole. Only for what a server holds again, as sync's write does.
    pub fn apply_if_generation<V, E>(
        &self,
        expected: u64,
        write: GuardedWrite<'_, V>,
        now: Timestamp,
    ) -> Result<Option<u64>, E>
    where
        V: FnOnce() -> Result<SyncValue, E>,
        E: From<VaultError>,
    {
        let mut conn = self.lock();
        let size = write.changes.len() + write.flags.len();
        // The maker's error comes out beside the vault's (`Ok(Err(_))`), its transaction
        // dropped without a commit: rolled back. What this writes is on the sync server: its
        // commit does not wait for the disk (`schema::not_waiting_for_disk`).
        let write_all = |conn: &mut Connection| {
            with_write_cache(conn, size, |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let mut pending = self.begin_write(&tx)?;
                if pending.generation() != expected {
                    return Ok(Ok(None));
                }
                self.apply_in(&tx, write.changes, now, &mut || {}, &mut pending)?;
                for (origin, flags) in write.flags {
                    self.put_flags(&tx, &mut pending, origin, *flags, now)?;
                }
                if let Some((name, value)) = write.sync_value {
                    let value = match value() {
                        Ok(value) => value,
                        Err(e) => return Ok(Err(e)),
                    };
                    let value = value.as_ref().map(|v| v.as_slice());
                    self.put_sync_value(&tx, &mut pending, name, value, now)?;
                }
                let generation = self.finish_write(&tx, pending)?;
                tx.commit()?;
                Ok(Ok(Some(generation)))
            })
        };
        schema::not_waiting_for_disk(&mut conn, write_all)?
    }

    /// The changes of [`Vault::apply`], inside the caller's write transaction begun with
    /// `pending`.
    fn apply_in(
        &self,
        tx: &Connection,
        changes: &[Change],
        now: Timestamp,
        progress: &mut dyn FnMut(),
        pending: &mut Pending,
    ) -> Result<Vec<RecordId>, VaultError> {
        let mut added = Vec::new();
        let no_extras = Extras::default();
        // Consecutive new credentials are written together (`put_new_rows`).
        let mut run = Vec::new();
        for change in changes {
            if let Some(new) = NewRow::of(change, now, &no_extras) {
                run.push(new);
                continue;
            }
            added.extend(self.put_new_rows(tx, pending, std::mem::take(&mut run), progress)?);
            match change {
                // Gathered into `run` above.
                Change::Add(_) | Change::AddDated(_) => {}
                Change::Update(record, credential) => {
                    self.update(tx, pending, *record, credential, None, now)?;
                }
                Change::UpdateWithExtras(record, credential, extras) => {
                    self.update(tx, pending, *record, credential, Some(extras), now)?;
                }
                Change::UpdateDated(record, dated) => {
                    let old = existing_credential_meta(tx, *record)?;
                    let times = (to_i64(dated.created.0), to_i64(dated.updated.0));
                    let kept = (&dated.history[..], &dated.extras);
                    self.put_over(tx, pending, &old, &dated.credential, times, kept)?;
                }
                Change::Remove(record) => {
                    let old = existing_credential_meta(tx, *record)?;
                    delete_row(tx, old.id)?;
                    pending.toggle(self.integrity_term(&old));
                }
                Change::AddPasskey(entry) => {
                    self.put_new_passkey(tx, pending, entry, now)?;
                }
                Change::UpdatePasskey(entry) => {
                    self.put_updated_passkey(tx, pending, entry, now)?;
                }
                Change::RemovePasskey(credential_id) => {
                    self.delete_passkey(tx, pending, credential_id)?;
                }
            }
            progress();
        }
        added.extend(self.put_new_rows(tx, pending, run, progress)?);
        Ok(added)
    }

    /// Writes new credential rows (consecutive adds of one write), in order; their ids.
    ///
    /// 1. Hand out each row's id, in order: the ids one add at a time would get.
    /// 2. Seal each row and compute its blind indexes and integrity term, on the machine's
    ///    cores (`parallel::streamed`), in chunks: the rows are independent, and this is most
    ///    of the cost of writing many rows. Each chunk draws nonces of its own ([`Nonces`]).
    /// 3. Insert the rows in order as their chunks are sealed, toggling each one's term into
    ///    the accumulator: SQLite takes one row at a time, so the other cores seal the next
    ///    chunks meanwhile. When the rows are many and at least as many as the vault held
    ///    before (a first sync, an import into a new vault: [`rebuilds_indexes`]), both index
    ///    b-trees are dropped first and created again once after the last row, inside the
    ///    same transaction.
    ///
    /// The first row that cannot be sealed or inserted, in row order, fails the write (rolled
    /// back with its transaction).
    fn put_new_rows(
        &self,
        tx: &Connection,
        pending: &mut Pending,
        mut rows: Vec<NewRow<'_>>,
        progress: &mut dyn FnMut(),
    ) -> Result<Vec<RecordId>, VaultError> {
        // 1.
        for row in &mut rows {
            row.id = self.next_id(tx, pending)?;
        }
        let rebuilt = rows
            .first()
            .is_some_and(|first| rebuilds_indexes(rows.len(), first.id));
        if rebuilt {
            tx.execute_batch(schema::DROP_RECORD_INDEXES)?;
        }
        // 2. and 3.
        let mut added = Vec::with_capacity(rows.len());
        let seal = |chunk: &[NewRow<'_>]| {
            let mut nonces = Nonces::new();
            chunk
                .iter()
                .map(|row| self.seal_new(row, &mut nonces))
                .collect()
        };
        parallel::streamed(&rows, seal, |sealed: Vec<Result<SealedRow, VaultError>>| {
            for row in sealed {
                let row = row?;
                self.write_row(tx, &row.meta, &row.sealed, None)?;
                pending.toggle(row.term);
                added.push(RecordId(u64::try_from(row.meta.id).unwrap_or(0)));
                progress();
            }
            Ok::<_, VaultError>(())
        })?;
        if rebuilt {
            tx.execute_batch(schema::CREATE_RECORD_INDEXES)?;
        }
        Ok(added)
    }

    /// Step 2 of [`put_new_rows`](Self::put_new_rows) for one row.
    fn seal_new(&self, row: &NewRow<'_>, nonces: &mut Nonces) -> Result<SealedRow, VaultError> {
        let (created, updated) = row.times;
        let meta = self.meta_for(row.id, 1, created, updated, row.credential)?;
        let (history, extras) = row.kept;
        let plain = record::encode_credential(row.credential, history, extras)
            .ok_or(VaultError::UnsupportedCredential)?;
        let sealed = self.seal_row(&meta, &plain, nonces)?;
        let term = self.integrity_term(&meta);
        Ok(SealedRow { meta, sealed, term })
    }

    /// Replaces credential `record` with `credential` at `now`, keeping its creation time and
    /// password history (the replaced password joins it), and its extras unless `extras` are
    /// given.
    fn update(
        &self,
        tx: &Connection,
        pending: &mut Pending,
        record: RecordId,
        credential: &Credential,
        extras: Option<&Extras>,
        now: Timestamp,
    ) -> Result<(), VaultError> {
        let old = existing_credential_row(tx, record)?;
        let mut opened = self.open_credential(&old)?;
        retire_password(&mut opened.history, &opened.credential, credential, now);
        let times = (old.meta.created, to_i64(now.0));
        let kept = (&opened.history[..], extras.unwrap_or(&opened.extras));
        self.put_over(tx, pending, &old.meta, credential, times, kept)
    }

    pub(super) fn meta_for(
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

    /// Writes `credential` over the row `old`, with `(created, updated)` times, `history` and
    /// `extras`.
    fn put_over(
        &self,
        tx: &Connection,
        pending: &mut Pending,
        old: &RowMeta,
        credential: &Credential,
        (created, updated): (i64, i64),
        kept: (&[PastPassword], &Extras),
    ) -> Result<(), VaultError> {
        let meta = self.meta_for(old.id, old.revision + 1, created, updated, credential)?;
        self.put(tx, &meta, credential, kept, Some(old), pending.nonces())?;
        pending.toggle(self.integrity_term(old));
        pending.toggle(self.integrity_term(&meta));
        Ok(())
    }

    /// The credential, password history and extras sealed in a credential row.
    fn open_credential(&self, row: &Row) -> Result<record::Opened, VaultError> {
        let id = row.meta.id;
        let kind = RecordKind::from_i64(row.meta.kind).ok_or(VaultError::Tampered(id))?;
        let plain = self.open_row(row)?;
        record::decode_credential(&plain, kind, None).ok_or(VaultError::Tampered(id))
    }

    /// Seals and writes one credential row: a new row, or in place of `old`.
    fn put(
        &self,
        tx: &Connection,
        meta: &RowMeta,
        credential: &Credential,
        (history, extras): (&[PastPassword], &Extras),
        old: Option<&RowMeta>,
        nonces: &mut Nonces,
    ) -> Result<(), VaultError> {
        let plain = record::encode_credential(credential, history, extras)
            .ok_or(VaultError::UnsupportedCredential)?;
        self.put_sealed(tx, meta, &plain, old, nonces)
    }

    /// Seals `plain` with the next of the write's `nonces` and writes it as the row `meta`: a
    /// new row, or in place of `old`.
    pub(super) fn put_sealed(
        &self,
        tx: &Connection,
        meta: &RowMeta,
        plain: &[u8],
        old: Option<&RowMeta>,
        nonces: &mut Nonces,
    ) -> Result<(), VaultError> {
        let sealed = self.seal_row(meta, plain, nonces)?;
        self.write_row(tx, meta, &sealed, old)
    }

    /// `plain` sealed as the row `meta` with the next of `nonces`.
    fn seal_row(
        &self,
        meta: &RowMeta,
        plain: &[u8],
        nonces: &mut Nonces,
    ) -> Result<Vec<u8>, VaultError> {
        self.keys
            .record
            .seal_from(plain, &self.record_aad(meta), nonces)
            .map_err(|_| VaultError::Random)
    }

    /// Writes `sealed` as the row `meta`: a new row, or in place of `old`.
    fn write_row(
        &self,
        tx: &Connection,
        meta: &RowMeta,
        sealed: &[u8],
        old: Option<&RowMeta>,
    ) -> Result<(), VaultError> {
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
            None => tx
                .prepare_cached(
                    "INSERT INTO records
                     (id, kind, origin_index, site_index, revision, created, updated, sealed)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?
                .execute(columns)?,
            // The same columns, guarded by the revision this transaction read.
            Some(old) => {
                let mut values = columns.to_vec();
                values.push(&old.revision);
                // SQLite rewrites the entries of every index whose column an UPDATE sets, even
                // to the value it had. An update that keeps the kind and both blind indexes (a
                // new password, times or extras for the same origin: nearly every one) leaves
                // those columns out, and the index b-trees alone: they were most of the work of
                // an import's updates. The row is the same either way.
                let sql = if old.same_index_columns(meta) {
                    "UPDATE records SET revision = ?5, created = ?6, updated = ?7, sealed = ?8
                     WHERE id = ?1 AND revision = ?9"
                } else {
                    "UPDATE records SET kind = ?2, origin_index = ?3, site_index = ?4,
                     revision = ?5, created = ?6, updated = ?7, sealed = ?8
                     WHERE id = ?1 AND revision = ?9"
                };
                tx.prepare_cached(sql)?.execute(values.as_slice())?
            }
        };
        Ok(())
    }
}

/// A new credential row of [`Vault::put_new_rows`]: its id (handed out in step 1), the
/// credential, its `(created, updated)` times and its password history and extras.
struct NewRow<'a> {
    id: i64,
    credential: &'a Credential,
    times: (i64, i64),
    kept: (&'a [PastPassword], &'a Extras),
}

impl<'a> NewRow<'a> {
    /// The new row an add writes (`None` for any other change), its id not yet handed out;
    /// `no_extras` for an add without any.
    fn of(change: &'a Change, now: Timestamp, no_extras: &'a Extras) -> Option<Self> {
        let (credential, times, kept) = match change {
            Change::Add(credential) => {
                let times = (to_i64(now.0), to_i64(now.0));
                (credential, times, (&[][..], no_extras))
            }
            Change::AddDated(dated) => {
                let times = (to_i64(dated.created.0), to_i64(dated.updated.0));
                (
                    &dated.credential,
                    times,
                    (&dated.history[..], &dated.extras),
                )
            }
            _ => return None,
        };
        Some(Self {
            id: 0,
            credential,
            times,
            kept,
        })
    }
}

/// From how many new rows of one write the index b-trees may be built again rather than
/// updated row by row ([`rebuilds_indexes`]).
const BULK_ROWS: usize = 1_000;

/// Whether a write of `new` rows, the first of which gets id `first_id`, drops both index
/// b-trees and creates them again after its inserts (as a key rotation does,
/// `store::reseal`), rather than adding each row's two entries at their places.
///
/// Why: each INSERT puts an entry into each index b-tree at the place its blind index (a keyed
/// hash, so a random place) sorts to; for a first sync into a new vault that was about a sixth
/// of the time. Built once after the inserts, an index is the table's entries sorted and
/// written page after page. The rebuild reads every row of the table, those the vault already
/// held too, so it is done only when the new rows are many ([`BULK_ROWS`]) and at least as many
/// as the rows already there. Ids are handed out in increasing order and never reused, so the
/// vault holds at most `first_id - 1` rows: the count needs no query, and a vault whose rows
/// were removed is only ever over-counted (then rows are added one by one, as before).
///
/// Everything happens inside the write's transaction: a write that fails after the drop rolls
/// back with it, and the indexes are there again, as they were.
fn rebuilds_indexes(new: usize, first_id: i64) -> bool {
    let held_at_most = usize::try_from(first_id.saturating_sub(1)).unwrap_or(usize::MAX);
    new >= BULK_ROWS && new >= held_at_most
}

/// A new row sealed, with its integrity term: ready to insert.
struct SealedRow {
    meta: RowMeta,
    sealed: Vec<u8>,
    term: [u8; 32],
}

/// The row of credential `record`; [`VaultError::NoSuchRecord`] when there is no such row or it
/// holds something else (an origin's flags are changed only through [`Vault::set_flags`]).
pub(super) fn existing_credential_meta(
    tx: &Connection,
    record: RecordId,
) -> Result<RowMeta, VaultError> {
    existing_meta(tx, to_i64(record.0))?
        .filter(is_credential)
        .ok_or(VaultError::NoSuchRecord(record.0))
}

/// The whole row of credential `record`, seal included (see [`existing_credential_meta`]).
fn existing_credential_row(tx: &Connection, record: RecordId) -> Result<Row, VaultError> {
    tx.prepare_cached(&format!("SELECT {ROW_COLUMNS} FROM records WHERE id = ?1"))?
        .query_row(params![to_i64(record.0)], read_row)
        .optional()?
        .filter(|row| is_credential(&row.meta))
        .ok_or(VaultError::NoSuchRecord(record.0))
}

/// Whether a row holds a credential (password or federated).
fn is_credential(meta: &RowMeta) -> bool {
    RecordKind::from_i64(meta.kind)
        .is_some_and(|k| matches!(k, RecordKind::Password | RecordKind::Federated))
}

#[cfg(test)]
mod tests {
    use credwell_core::{
        CredentialType, DatedCredential, Password, PasswordCredential, SecretText, StoredCredential,
    };

    use super::*;
    use crate::KdfParams;
    use crate::schema::{cache_size, synchronous};

    fn new_vault(dir: &tempfile::TempDir) -> Vault {
        Vault::create(
            &dir.path().join("v.sqlite"),
            b"pass",
            KdfParams::INSECURE_FOR_TESTS,
        )
        .unwrap()
    }

    /// Every row of the vault, seal included, in id order.
    fn rows(vault: &Vault) -> Vec<Row> {
        let conn = vault.lock();
        let mut stmt = conn
            .prepare(&format!("SELECT {ROW_COLUMNS} FROM records ORDER BY id"))
            .unwrap();
        stmt.query_map([], read_row)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// A credential of its own origin and site for each `n`, some with a history and extras.
    fn dated(n: usize) -> DatedCredential {
        let mut extras = Extras::default();
        if n.is_multiple_of(3) {
            extras.notes = SecretText::new(format!("note {n}"));
            extras.folder = "Work".into();
        }
        DatedCredential {
            credential: Credential::Password(PasswordCredential {
                id: format!("user{n}"),
                password: Password::new(format!("pw{n}")),
                name: format!("User {n}"),
                icon_url: String::new(),
                origin: Origin::parse(&format!("https://a{n}.example{}.com", n % 7)).unwrap(),
            }),
            created: Timestamp(10 + n as u64),
            updated: Timestamp(20 + n as u64),
            history: (0..n % 2)
                .map(|_| PastPassword {
                    password: Password::new("older"),
                    replaced: Timestamp(15),
                })
                .collect(),
            extras,
        }
    }

    /// Many new credentials written at once (sealed on the machine's cores) are the rows
    /// that writing each alone writes: the same ids in order, the same columns (blind indexes
    /// under the kept keyed HMAC state included), the same sealed content, and the integrity
    /// accumulator over them; only the nonces differ, each used once.
    #[test]
    fn many_new_rows_at_once_are_the_rows_one_at_a_time_writes() {
        let count = 1_100;
        let dir = tempfile::tempdir().unwrap();
        let vault = new_vault(&dir);
        // An update between two runs of adds: each run is written in order around it.
        let first = vault
            .apply(&[Change::AddDated(dated(0))], Timestamp(1), &mut || {})
            .unwrap();
        let mut changes: Vec<_> = (1..count).map(|n| Change::AddDated(dated(n))).collect();
        changes.insert(500, Change::Update(first[0], dated(0).credential));
        changes.push(Change::Add(credential(count)));
        let mut progressed = 0;
        let added = vault
            .apply(&changes, Timestamp(5), &mut || progressed += 1)
            .unwrap();
        assert_eq!(progressed, changes.len());
        let ids: Vec<u64> = added.iter().map(|r| r.0).collect();
        assert_eq!(ids, (2..=count as u64 + 1).collect::<Vec<_>>());
        assert!(vault.integrity_matches().unwrap());

        let written = rows(&vault);
        assert_eq!(written.len(), count + 1);
        let mut nonces = std::collections::HashSet::new();
        for (n, row) in written.iter().enumerate().skip(1) {
            let (expected, history, extras) = if n == count {
                (credential(count), Vec::new(), Extras::default())
            } else {
                let d = dated(n);
                (d.credential, d.history, d.extras)
            };
            let times = if n == count { (5, 5) } else { (10 + n, 20 + n) };
            let (created, updated) = (times.0 as i64, times.1 as i64);
            let meta = vault
                .meta_for(n as i64 + 1, 1, created, updated, &expected)
                .unwrap();
            assert_eq!(format!("{:?}", row.meta), format!("{meta:?}"), "row {n}");
            let plain = record::encode_credential(&expected, &history, &extras).unwrap();
            assert_eq!(*vault.open_row(row).unwrap(), *plain, "row {n}");
            assert!(
                nonces.insert(row.sealed[2..26].to_vec()),
                "a nonce used twice"
            );
        }
        // The rows one at a time, in another vault: the same content, and the same lookups
        // (the first vault's index b-trees were built again after its inserts, the other's
        // were added to row by row; `integrity_matches` compares each with its table).
        assert!(rebuilds_indexes(changes.len() - 1, 2));
        let other_dir = tempfile::tempdir().unwrap();
        let other = new_vault(&other_dir);
        other
            .apply(&[Change::AddDated(dated(0))], Timestamp(1), &mut || {})
            .unwrap();
        for change in &changes {
            other
                .apply(std::slice::from_ref(change), Timestamp(5), &mut || {})
                .unwrap();
        }
        assert_eq!(vault.all().unwrap(), other.all().unwrap());
        assert!(other.integrity_matches().unwrap());
        assert_same_lookups(&vault, &other, count);
    }

    /// What lookups by origin and by site find for each of `dated`'s first `count` origins
    /// and sites, in both vaults: the same (record ids aside), and something.
    fn assert_same_lookups(a: &Vault, b: &Vault, count: usize) {
        let found = |listed: Vec<StoredCredential>| -> Vec<StoredCredential> {
            listed
                .into_iter()
                .map(|stored| StoredCredential {
                    record: RecordId(0),
                    ..stored
                })
                .collect()
        };
        for n in (0..count).step_by(97) {
            let credential = dated(n).credential;
            let origin = credential.origin();
            let by_origin = found(a.list_origin(origin, CredentialType::Password).unwrap());
            assert!(!by_origin.is_empty(), "nothing for {origin}");
            let other = found(b.list_origin(origin, CredentialType::Password).unwrap());
            assert_eq!(by_origin, other);
            let site = origin.site().unwrap();
            let by_site = found(a.list_site(site, CredentialType::Password).unwrap());
            assert!(by_site.len() >= by_origin.len());
            let other = found(b.list_site(site, CredentialType::Password).unwrap());
            assert_eq!(by_site, other);
        }
    }

    /// The index b-trees of `vault`'s records, by name, as the schema lists them.
    fn index_names(vault: &Vault) -> Vec<String> {
        let conn = vault.lock();
        let mut stmt = conn
            .prepare(
                "SELECT name FROM sqlite_master
                 WHERE type = 'index' AND tbl_name = 'records' ORDER BY name",
            )
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// The index b-trees are built again only for a write of many rows into a vault that held
    /// at most as many (ids never reused: the first new id bounds what it held).
    #[test]
    fn the_index_b_trees_are_rebuilt_only_for_many_rows_into_a_vault_holding_fewer() {
        assert!(rebuilds_indexes(3_000, 1));
        assert!(rebuilds_indexes(3_000, 3_001));
        assert!(!rebuilds_indexes(3_000, 3_002));
        assert!(!rebuilds_indexes(BULK_ROWS - 1, 1));
        assert!(rebuilds_indexes(BULK_ROWS, 1));
        assert!(!rebuilds_indexes(1, i64::MAX));
    }

    /// Many rows added to a vault that holds more (its index b-trees kept and added to) give
    /// what the same rows written into a new vault (its b-trees built again) give.
    #[test]
    fn many_rows_into_a_larger_vault_are_indexed_as_into_a_new_one() {
        let count = 1_100;
        let changes: Vec<_> = (0..count).map(|n| Change::AddDated(dated(n))).collect();
        let filler: Vec<_> = (0..1_200).map(|n| Change::Add(credential(n))).collect();
        let large_dir = tempfile::tempdir().unwrap();
        let large = new_vault(&large_dir);
        large.apply(&filler, Timestamp(1), &mut || {}).unwrap();
        assert!(!rebuilds_indexes(count, 1_201));
        let added = large.apply(&changes, Timestamp(2), &mut || {}).unwrap();
        assert_eq!(added.first(), Some(&RecordId(1_201)));
        let new_dir = tempfile::tempdir().unwrap();
        let new = new_vault(&new_dir);
        new.apply(&changes, Timestamp(2), &mut || {}).unwrap();
        assert!(large.integrity_matches().unwrap() && new.integrity_matches().unwrap());
        assert_eq!(index_names(&large), index_names(&new));
        assert_same_lookups(&large, &new, count);
        let all = large.all().unwrap();
        let tail: Vec<_> = all[1_200..].iter().map(|s| &s.credential).collect();
        let fresh = new.all().unwrap();
        assert_eq!(
            tail,
            fresh.iter().map(|s| &s.credential).collect::<Vec<_>>()
        );
    }

    /// An INSERT that fails in the middle of a write whose index b-trees were dropped (a
    /// trigger refuses one row) leaves the vault as it was: nothing written, both indexes
    /// there and matching the table, lookups working, and the next write succeeding.
    #[test]
    fn a_failure_in_the_middle_of_a_bulk_insert_leaves_the_vault_and_its_indexes_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let vault = new_vault(&dir);
        let before = vec![Change::AddDated(dated(0))];
        vault.apply(&before, Timestamp(1), &mut || {}).unwrap();
        let indexes = index_names(&vault);
        assert_eq!(indexes, ["records_by_origin", "records_by_site"]);
        let generation = vault.generation().unwrap();
        vault
            .lock()
            .execute_batch(
                "CREATE TRIGGER refuse BEFORE INSERT ON records WHEN NEW.id = 700
                 BEGIN SELECT RAISE(ABORT, 'refused'); END;",
            )
            .unwrap();
        let changes: Vec<_> = (1..1_200).map(|n| Change::AddDated(dated(n))).collect();
        assert!(rebuilds_indexes(changes.len(), 2));
        let error = vault.apply(&changes, Timestamp(2), &mut || {}).unwrap_err();
        assert!(matches!(error, VaultError::Sqlite(_)), "{error:?}");
        assert_eq!(rows(&vault).len(), 1);
        assert_eq!(index_names(&vault), indexes);
        assert!(vault.integrity_matches().unwrap());
        assert_eq!(vault.generation().unwrap(), generation);
        let origin = dated(0).credential.origin().clone();
        assert_eq!(
            vault
                .list_origin(&origin, CredentialType::Password)
                .unwrap()
                .len(),
            1
        );
        vault.lock().execute_batch("DROP TRIGGER refuse").unwrap();
        vault.apply(&changes, Timestamp(3), &mut || {}).unwrap();
        assert_eq!(rows(&vault).len(), 1_200);
        assert_eq!(index_names(&vault), indexes);
        assert!(vault.integrity_matches().unwrap());
    }

    /// A new row that cannot be written, in the middle of many sealed at once, fails the whole
    /// write before anything is written.
    #[test]
    fn a_bad_row_among_many_new_ones_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let vault = new_vault(&dir);
        let mut changes: Vec<_> = (0..1_100).map(|n| Change::Add(credential(n))).collect();
        let mut opaque = dated(7);
        if let Credential::Password(c) = &mut opaque.credential {
            c.origin = Origin::parse("null").unwrap();
        }
        changes.insert(900, Change::AddDated(opaque));
        let error = vault.apply(&changes, Timestamp(1), &mut || {}).unwrap_err();
        assert!(matches!(error, VaultError::OpaqueOrigin), "{error:?}");
        assert!(rows(&vault).is_empty());
        assert!(vault.integrity_matches().unwrap());
        // The next write hands out the ids the failed one did not use.
        let added = vault
            .apply(&changes[..2], Timestamp(2), &mut || {})
            .unwrap();
        assert_eq!(added, [RecordId(1), RecordId(2)]);
    }

    fn credential(n: usize) -> Credential {
        Credential::Password(PasswordCredential {
            id: format!("user{n}"),
            password: Password::new("pw"),
            name: String::new(),
            icon_url: String::new(),
            origin: Origin::parse("https://cache.example").unwrap(),
        })
    }

    /// A large write gives its page cache back after, committed or not: a long-lived
    /// connection (the agent's, the host's) keeps SQLite's 2 MiB between writes.
    #[test]
    fn a_large_write_gives_its_page_cache_back() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::create(
            &dir.path().join("v.sqlite"),
            b"pass",
            KdfParams::INSECURE_FOR_TESTS,
        )
        .unwrap();
        assert_eq!(cache_size(&vault.lock()), -2048);
        let many: Vec<_> = (0..1_000).map(|n| Change::Add(credential(n))).collect();
        vault.apply(&many, Timestamp(1), &mut || {}).unwrap();
        assert_eq!(cache_size(&vault.lock()), -2048);
        // A large write that fails (an update of a record that does not exist) gives it back
        // too, and writes nothing.
        let mut failing = many.clone();
        failing.push(Change::Remove(RecordId(1 << 40)));
        let error = vault.apply(&failing, Timestamp(2), &mut || {}).unwrap_err();
        assert!(matches!(error, VaultError::NoSuchRecord(_)), "{error:?}");
        assert_eq!(cache_size(&vault.lock()), -2048);
        assert_eq!(vault.all().unwrap().len(), 1_000);
    }

    /// Sync's guarded write commits without waiting for the disk, and every later write waits
    /// for it again (`synchronous=FULL`), after a write made, one refused for its generation
    /// and one whose sync value could not be made.
    #[test]
    fn the_guarded_write_leaves_later_writes_waiting_for_the_disk() {
        let dir = tempfile::tempdir().unwrap();
        let vault = new_vault(&dir);
        const FULL: i64 = 2;
        assert_eq!(synchronous(&vault.lock()), FULL);
        let changes = [Change::Add(credential(1))];
        let write = |value: Result<SyncValue, VaultError>| GuardedWrite {
            changes: &changes,
            flags: &[],
            sync_value: Some(("state", move || value)),
        };
        let generation = vault.generation().unwrap();
        let stale = vault.apply_if_generation(generation + 1, write(Ok(None)), Timestamp(1));
        assert!(matches!(stale, Ok(None)), "{stale:?}");
        assert_eq!(synchronous(&vault.lock()), FULL);
        let unmade =
            vault.apply_if_generation(generation, write(Err(VaultError::Random)), Timestamp(1));
        assert!(matches!(unmade, Err(VaultError::Random)), "{unmade:?}");
        assert_eq!(synchronous(&vault.lock()), FULL);
        let made = vault.apply_if_generation(generation, write(Ok(None)), Timestamp(1));
        assert_eq!(made.unwrap(), Some(generation + 1));
        assert_eq!(synchronous(&vault.lock()), FULL);
        assert_eq!(vault.all().unwrap().len(), 1);
    }
}
