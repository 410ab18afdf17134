//! What sync keeps in the vault: named values the sync client owns (the account's keys and
//! token, the device's sync state), sealed like every other record, and the listing of every
//! origin's flags that sync reads.
//!
//! A sync value is a row of kind [`RecordKind::SyncValue`] whose `origin_index` column holds
//! HMAC("sync", name): found by name, covered by the associated data, the integrity
//! accumulator, `check`, `backup` and key rotation like any record.

use credwell_core::{Origin, OriginFlags, Timestamp};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use zeroize::Zeroizing;

use super::{Pending, delete_row, existing_meta};
use crate::record::{self, RecordKind};
use crate::{Vault, VaultError};

/// The first bytes of a sealed sync value (version 1 of this layout).
const MAGIC: &[u8] = b"credwell sync value 1\0";

/// `MAGIC || len(name) (u32, big-endian) || name || value`.
pub(super) fn encode(name: &str, value: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let len = u32::try_from(name.len()).map_err(|_| VaultError::PasskeyTooLarge)?;
    let mut out = Zeroizing::new(Vec::with_capacity(
        MAGIC.len() + 4 + name.len() + value.len(),
    ));
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(value);
    Ok(out)
}

/// The name and value of a sealed sync value; `None` when the bytes are not one.
pub(super) fn decode(plain: &[u8]) -> Option<(&str, &[u8])> {
    let rest = plain.strip_prefix(MAGIC)?;
    let (len, rest) = rest.split_first_chunk::<4>()?;
    let len = usize::try_from(u32::from_be_bytes(*len)).ok()?;
    if rest.len() < len {
        return None;
    }
    let (name, value) = rest.split_at(len);
    Some((std::str::from_utf8(name).ok()?, value))
}

/// An origin's flags as stored, with when they last changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredFlags {
    /// The origin.
    pub origin: Origin,
    /// Its flags.
    pub flags: OriginFlags,
    /// When they last changed (caller's clock, milliseconds since the Unix epoch).
    pub updated: u64,
}

impl Vault {
    pub(super) fn sync_index(&self, name: &str) -> Vec<u8> {
        self.keys.index.mac(&[b"sync", name.as_bytes()]).to_vec()
    }

    /// The sync value called `name`, if one is stored.
    pub fn sync_value(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, VaultError> {
        let rows = self.query_rows(
            "WHERE origin_index = ?1 AND kind = ?2",
            params![self.sync_index(name), RecordKind::SyncValue as i64],
        )?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let plain = self.open_row(row)?;
        match decode(&plain) {
            // The sealed name decides, whatever the index said.
            Some((stored, value)) if stored == name => Ok(Some(Zeroizing::new(value.to_vec()))),
            _ => Err(VaultError::Tampered(row.meta.id)),
        }
    }

    /// Stores `value` as the sync value called `name`, or removes it (`None`), in one
    /// transaction.
    pub fn set_sync_value(
        &self,
        name: &str,
        value: Option<&[u8]>,
        now: Timestamp,
    ) -> Result<(), VaultError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut pending = self.begin_write(&tx)?;
        self.put_sync_value(&tx, &mut pending, name, value, now)?;
        if pending.touched() {
            self.finish_write(&tx, pending)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Writes or removes a sync value inside the caller's write transaction begun with
    /// `pending` (which is left untouched when there was nothing to remove).
    pub(super) fn put_sync_value(
        &self,
        tx: &Connection,
        pending: &mut Pending,
        name: &str,
        value: Option<&[u8]>,
        now: Timestamp,
    ) -> Result<(), VaultError> {
        let index = self.sync_index(name);
        let existing: Option<i64> = tx
            .query_row(
                "SELECT id FROM records WHERE origin_index = ?1 AND kind = ?2",
                params![index, RecordKind::SyncValue as i64],
                |r| r.get(0),
            )
            .optional()?;
        let old = match existing {
            Some(id) => existing_meta(tx, id)?,
            None => None,
        };
        if let Some(old) = &old {
            pending.toggle(self.integrity_term(old));
        }
        match value {
            None => {
                if let Some(old) = &old {
                    delete_row(tx, old.id)?;
                }
            }
            Some(value) => {
                let meta =
                    self.next_meta(tx, pending, old.as_ref(), RecordKind::SyncValue, index, now)?;
                self.put_sealed(
                    tx,
                    &meta,
                    &encode(name, value)?,
                    old.as_ref(),
                    pending.nonces(),
                )?;
                pending.toggle(self.integrity_term(&meta));
            }
        }
        Ok(())
    }

    /// Every origin's stored flags, in record order.
    pub fn all_flags(&self) -> Result<Vec<StoredFlags>, VaultError> {
        let rows = self.query_rows("WHERE kind = ?1", params![RecordKind::OriginFlags as i64])?;
        rows.iter()
            .map(|row| {
                let tampered = VaultError::Tampered(row.meta.id);
                let plain = self.open_row(row)?;
                let (origin, flags) = record::decode_flags(&plain).ok_or(tampered)?;
                let origin =
                    Origin::parse(&origin).map_err(|_| VaultError::Tampered(row.meta.id))?;
                Ok(StoredFlags {
                    origin,
                    flags,
                    updated: u64::try_from(row.meta.updated).unwrap_or(0),
                })
            })
            .collect()
    }
}
