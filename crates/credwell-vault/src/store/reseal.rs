//! The row loop of [`Vault::rotate_key`]: every record opened with the old keys and sealed
//! with the new ones, its blind indexes recomputed from what it holds.

use rusqlite::TransactionBehavior;

use super::{IntegrityState, ROW_COLUMNS, Row, RowMeta, passkey, read_row, sync};
use crate::crypto::Nonces;
use crate::header::KeyHeader;
use crate::record::{self, RecordKind};
use crate::{Rotation, Vault, VaultError, schema};

impl Vault {
    /// Re-seals every row of `old` (this vault's file, opened with the old keys) under this
    /// handle's keys, writes `header` and the new integrity state, in one write transaction.
    pub(crate) fn reseal_from(
        &self,
        old: &Vault,
        header: &KeyHeader,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Rotation, VaultError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let state = old.read_state(&tx)?;
        if old.recompute_accumulator(&tx)? != Some(state.acc) {
            return Err(VaultError::IntegrityMismatch);
        }
        let rows: Vec<Row> = tx
            .prepare(&format!("SELECT {ROW_COLUMNS} FROM records ORDER BY id"))?
            .query_map([], read_row)?
            .collect::<Result<_, _>>()?;
        let total = rows.len() as u64;
        // The blind indexes all change: both index b-trees are built again once, in order,
        // rather than updated entry by entry at random places (and, with `secure_delete`, each
        // freed entry overwritten).
        tx.execute_batch(schema::DROP_RECORD_INDEXES)?;
        let mut next = IntegrityState {
            generation: state.generation + 1,
            next_id: state.next_id,
            acc: [0; 32],
        };
        let mut nonces = Nonces::new();
        for (done, row) in rows.iter().enumerate() {
            let plain = old.open_row(row)?;
            let meta = self.reindexed(&row.meta, &plain)?;
            self.put_sealed(&tx, &meta, &plain, Some(&row.meta), &mut nonces)?;
            next.toggle(&[self.integrity_term(&meta)]);
            progress(done as u64 + 1, total);
        }
        tx.execute_batch(schema::CREATE_RECORD_INDEXES)?;
        header.write(&tx)?;
        self.write_state(&tx, &next)?;
        self.write_key_check(&tx)?;
        progress(total, total);
        tx.commit()?;
        Ok(Rotation {
            records: total,
            generation: next.generation,
        })
    }

    /// `meta` with its blind indexes computed with this handle's index key from the record's
    /// sealed content (`plain`).
    fn reindexed(&self, meta: &RowMeta, plain: &[u8]) -> Result<RowMeta, VaultError> {
        let tampered = VaultError::Tampered(meta.id);
        match RecordKind::from_i64(meta.kind) {
            Some(kind @ (RecordKind::Password | RecordKind::Federated)) => {
                let credential = record::decode_credential(plain, kind, None)
                    .ok_or(tampered)?
                    .credential;
                self.meta_for(
                    meta.id,
                    meta.revision,
                    meta.created,
                    meta.updated,
                    &credential,
                )
            }
            Some(RecordKind::OriginFlags) => {
                let (origin, _) = record::decode_flags(plain).ok_or(tampered)?;
                Ok(RowMeta {
                    origin_index: self.origin_index_of(&origin),
                    site_index: None,
                    ..meta.clone()
                })
            }
            Some(RecordKind::Passkey) => {
                let entry = passkey::decode(plain).ok_or(tampered)?;
                Ok(RowMeta {
                    origin_index: self.rp_index(&entry.rp_id),
                    site_index: Some(self.credential_index(&entry.credential_id)),
                    ..meta.clone()
                })
            }
            Some(RecordKind::SyncValue) => {
                let (name, _) = sync::decode(plain).ok_or(tampered)?;
                Ok(RowMeta {
                    origin_index: self.sync_index(name),
                    site_index: None,
                    ..meta.clone()
                })
            }
            None => Err(tampered),
        }
    }
}
