//! Writing credential rows: [`Vault::apply`], the one transaction every change goes through.

use credwell_core::{
    Credential, Extras, Origin, OriginFlags, PastPassword, RecordId, Timestamp, retire_password,
};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{
    Pending, ROW_COLUMNS, Row, RowMeta, delete_row, existing_meta, kind_of_credential, read_row,
    to_i64,
};
use crate::crypto::Nonces;
use crate::record::{self, RecordKind};
use crate::schema::with_write_cache;
use crate::{Change, Vault, VaultError};

/// What [`Vault::apply_if_generation`] writes: sync's step that brings the vault to what the
/// server holds.
#[derive(Clone, Copy, Debug, Default)]
pub struct GuardedWrite<'a> {
    /// Credential and passkey changes, as [`Vault::apply`] takes them.
    pub changes: &'a [Change],
    /// Origins' flags to set ([`Vault::set_flags`]).
    pub flags: &'a [(Origin, OriginFlags)],
    /// A sync value to store or remove ([`Vault::set_sync_value`]): its name and value.
    pub sync_value: Option<(&'a str, Option<&'a [u8]>)>,
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
    /// written) when the generation moved.
    pub fn apply_if_generation(
        &self,
        expected: u64,
        write: &GuardedWrite<'_>,
        now: Timestamp,
    ) -> Result<Option<u64>, VaultError> {
        let mut conn = self.lock();
        let size = write.changes.len() + write.flags.len();
        with_write_cache(&mut conn, size, |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut pending = self.begin_write(&tx)?;
            if pending.generation() != expected {
                return Ok(None);
            }
            self.apply_in(&tx, write.changes, now, &mut || {}, &mut pending)?;
            for (origin, flags) in write.flags {
                self.put_flags(&tx, &mut pending, origin, *flags, now)?;
            }
            if let Some((name, value)) = write.sync_value {
                self.put_sync_value(&tx, &mut pending, name, value, now)?;
            }
            let generation = self.finish_write(&tx, pending)?;
            tx.commit()?;
            Ok(Some(generation))
        })
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
        for change in changes {
            match change {
                Change::Add(credential) => {
                    let times = (to_i64(now.0), to_i64(now.0));
                    let none = (&[][..], &Extras::default());
                    added.push(self.put_new(tx, pending, credential, times, none)?);
                }
                Change::AddDated(dated) => {
                    let times = (to_i64(dated.created.0), to_i64(dated.updated.0));
                    let kept = (&dated.history[..], &dated.extras);
                    added.push(self.put_new(tx, pending, &dated.credential, times, kept)?);
                }
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
        Ok(added)
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

    /// Writes a new credential row with `(created, updated)` times, `history` and `extras`;
    /// its id.
    fn put_new(
        &self,
        tx: &Connection,
        pending: &mut Pending,
        credential: &Credential,
        (created, updated): (i64, i64),
        kept: (&[PastPassword], &Extras),
    ) -> Result<RecordId, VaultError> {
        let id = self.next_id(tx, pending)?;
        let meta = self.meta_for(id, 1, created, updated, credential)?;
        self.put(tx, &meta, credential, kept, None, pending.nonces())?;
        pending.toggle(self.integrity_term(&meta));
        Ok(RecordId(u64::try_from(id).unwrap_or(0)))
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
        let sealed = self
            .keys
            .record
            .seal_from(plain, &self.record_aad(meta), nonces)
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
                tx.prepare_cached(
                    "UPDATE records SET kind = ?2, origin_index = ?3, site_index = ?4,
                     revision = ?5, created = ?6, updated = ?7, sealed = ?8
                     WHERE id = ?1 AND revision = ?9",
                )?
                .execute(values.as_slice())?
            }
        };
        Ok(())
    }
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
    use credwell_core::{Password, PasswordCredential};

    use super::*;
    use crate::KdfParams;
    use crate::schema::cache_size;

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
}
