//! Passkey records: the authenticator's serialization of a passkey, sealed like every other
//! record and found through two blind indexes, by relying-party id and by credential id.
//!
//! The vault does not interpret a passkey beyond the two values it is looked up by: the
//! authenticator (`credwell-passkey`) owns the rest of the format. The row's `origin_index`
//! column holds HMAC("rp", RP ID) and its `site_index` column HMAC("credential", credential id),
//! so the existing indexes, the associated data and the integrity accumulator cover passkeys
//! with no schema change.

use credwell_core::Timestamp;
use rusqlite::{Connection, params};
use zeroize::Zeroizing;

use super::{Pending, Row, RowMeta, to_i64};
use crate::record::RecordKind;
use crate::{PasskeyEntry, StoredPasskey, Vault, VaultError};

/// The first bytes of a sealed passkey (version 1 of this layout).
const MAGIC: &[u8] = b"credwell passkey 1\0";

/// `MAGIC || len(rp) || rp || len(id) || id || payload`, lengths as big-endian u32.
pub(crate) fn encode(entry: &PasskeyEntry) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let len = |bytes: &[u8]| {
        u32::try_from(bytes.len())
            .map(u32::to_be_bytes)
            .map_err(|_| VaultError::PasskeyTooLarge)
    };
    let rp = entry.rp_id.as_bytes();
    // Sized once: growing would leave an unwiped copy of the private key behind.
    let mut out = Zeroizing::new(Vec::with_capacity(
        MAGIC.len() + 8 + rp.len() + entry.credential_id.len() + entry.payload.len(),
    ));
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&len(rp)?);
    out.extend_from_slice(rp);
    out.extend_from_slice(&len(&entry.credential_id)?);
    out.extend_from_slice(&entry.credential_id);
    out.extend_from_slice(&entry.payload);
    Ok(out)
}

/// The inverse of [`encode`]; `None` when the bytes are not a passkey.
pub(crate) fn decode(plain: &[u8]) -> Option<PasskeyEntry> {
    let rest = plain.strip_prefix(MAGIC)?;
    let (rp, rest) = take_prefixed(rest)?;
    let (credential_id, payload) = take_prefixed(rest)?;
    Some(PasskeyEntry {
        rp_id: String::from_utf8(rp.to_vec()).ok()?,
        credential_id: credential_id.to_vec(),
        payload: Zeroizing::new(payload.to_vec()),
    })
}

fn take_prefixed(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = bytes.split_first_chunk::<4>()?;
    let len = usize::try_from(u32::from_be_bytes(*len)).ok()?;
    (rest.len() >= len).then(|| rest.split_at(len))
}

/// Whether sealed bytes are a well-formed passkey (for [`Vault::check`]).
pub(super) fn verifies(plain: &[u8]) -> bool {
    decode(plain).is_some()
}

impl Vault {
    pub(super) fn rp_index(&self, rp_id: &str) -> Vec<u8> {
        self.keys.index.mac(&[b"rp", rp_id.as_bytes()]).to_vec()
    }

    pub(super) fn credential_index(&self, credential_id: &[u8]) -> Vec<u8> {
        self.keys
            .index
            .mac(&[b"credential", credential_id])
            .to_vec()
    }

    /// Opens a passkey row; the sealed values must be the ones it was looked up by.
    fn stored_passkey(
        &self,
        row: &Row,
        expect: impl Fn(&PasskeyEntry) -> bool,
    ) -> Result<StoredPasskey, VaultError> {
        let id = row.meta.id;
        let plain = self.open_row(row)?;
        let entry = decode(&plain).ok_or(VaultError::Tampered(id))?;
        // The sealed values decide, whatever the index said.
        if !expect(&entry) {
            return Err(VaultError::Tampered(id));
        }
        Ok(StoredPasskey {
            record: credwell_core::RecordId(
                u64::try_from(id).map_err(|_| VaultError::Tampered(id))?,
            ),
            entry,
            created: u64::try_from(row.meta.created).unwrap_or(0),
            updated: u64::try_from(row.meta.updated).unwrap_or(0),
        })
    }

    /// Every passkey scoped to exactly `rp_id`, oldest first.
    pub fn passkeys_for_rp(&self, rp_id: &str) -> Result<Vec<StoredPasskey>, VaultError> {
        let rows = self.query_rows(
            "WHERE origin_index = ?1 AND kind = ?2",
            params![self.rp_index(rp_id), RecordKind::Passkey as i64],
        )?;
        rows.iter()
            .map(|row| self.stored_passkey(row, |e| e.rp_id == rp_id))
            .collect()
    }

    /// The passkey with this credential id, whatever its RP.
    pub fn passkey(&self, credential_id: &[u8]) -> Result<Option<StoredPasskey>, VaultError> {
        let rows = self.query_rows(
            "WHERE site_index = ?1 AND kind = ?2",
            params![
                self.credential_index(credential_id),
                RecordKind::Passkey as i64
            ],
        )?;
        rows.first()
            .map(|row| self.stored_passkey(row, |e| e.credential_id == credential_id))
            .transpose()
    }

    /// The passkey with this record id (as `all_passkeys` reports it).
    pub fn passkey_record(
        &self,
        record: credwell_core::RecordId,
    ) -> Result<Option<StoredPasskey>, VaultError> {
        let rows = self.query_rows(
            "WHERE id = ?1 AND kind = ?2",
            params![to_i64(record.0), RecordKind::Passkey as i64],
        )?;
        rows.first()
            .map(|row| self.stored_passkey(row, |_| true))
            .transpose()
    }

    /// Every passkey, in record order.
    pub fn all_passkeys(&self) -> Result<Vec<StoredPasskey>, VaultError> {
        let rows = self.query_rows("WHERE kind = ?1", params![RecordKind::Passkey as i64])?;
        rows.iter()
            .map(|row| self.stored_passkey(row, |_| true))
            .collect()
    }

    /// Every passkey that opens, and the ids of those that do not.
    pub fn all_passkeys_readable(&self) -> Result<crate::Readable<StoredPasskey>, VaultError> {
        let rows = self.query_rows("WHERE kind = ?1", params![RecordKind::Passkey as i64])?;
        super::readable(&rows, |row| self.stored_passkey(row, |_| true))
    }

    /// Adds a passkey; [`VaultError::DuplicateCredentialId`] if its credential id is taken.
    pub fn add_passkey(&self, entry: &PasskeyEntry, now: u64) -> Result<(), VaultError> {
        self.apply(
            &[crate::Change::AddPasskey(entry.clone())],
            Timestamp(now),
            &mut || {},
        )
        .map(drop)
    }

    /// Replaces the passkey with the same credential id; [`VaultError::NoSuchPasskey`] if there
    /// is none.
    pub fn update_passkey(&self, entry: &PasskeyEntry, now: u64) -> Result<(), VaultError> {
        self.apply(
            &[crate::Change::UpdatePasskey(entry.clone())],
            Timestamp(now),
            &mut || {},
        )
        .map(drop)
    }

    /// Removes the passkey with this credential id; `false` if there was none.
    pub fn remove_passkey(&self, credential_id: &[u8]) -> Result<bool, VaultError> {
        match self.apply(
            &[crate::Change::RemovePasskey(credential_id.to_vec())],
            Timestamp(0),
            &mut || {},
        ) {
            Ok(_) => Ok(true),
            // Found by a blind index of this handle's key: after another handle replaced the
            // key, nothing is found, and "no such passkey" would be wrong.
            Err(VaultError::NoSuchPasskey) => match self.stale_or(VaultError::NoSuchPasskey) {
                VaultError::KeyChanged => Err(VaultError::KeyChanged),
                _ => Ok(false),
            },
            Err(e) => Err(e),
        }
    }

    /// The row of the passkey with this credential id, inside a write transaction; the seal is
    /// opened so that a tampered row is reported rather than overwritten.
    fn existing_passkey(
        &self,
        tx: &Connection,
        credential_id: &[u8],
    ) -> Result<Option<RowMeta>, VaultError> {
        let row = tx
            .prepare_cached(&format!(
                "SELECT {} FROM records WHERE site_index = ?1 AND kind = ?2",
                super::ROW_COLUMNS
            ))?
            .query_map(
                params![
                    self.credential_index(credential_id),
                    RecordKind::Passkey as i64
                ],
                super::read_row,
            )?
            .next()
            .transpose()?;
        let Some(row) = row else {
            return Ok(None);
        };
        self.stored_passkey(&row, |e| e.credential_id == credential_id)?;
        Ok(Some(row.meta))
    }

    /// Writes an added passkey inside the write begun with `pending`.
    pub(super) fn put_new_passkey(
        &self,
        tx: &Connection,
        pending: &mut Pending,
        entry: &PasskeyEntry,
        now: Timestamp,
    ) -> Result<(), VaultError> {
        if self.existing_passkey(tx, &entry.credential_id)?.is_some() {
            return Err(VaultError::DuplicateCredentialId);
        }
        let meta = RowMeta {
            id: self.next_id(tx, pending)?,
            kind: RecordKind::Passkey as i64,
            revision: 1,
            created: to_i64(now.0),
            updated: to_i64(now.0),
            origin_index: self.rp_index(&entry.rp_id),
            site_index: Some(self.credential_index(&entry.credential_id)),
        };
        self.put_sealed(tx, &meta, &encode(entry)?, None, pending.nonces())?;
        pending.toggle(self.integrity_term(&meta));
        Ok(())
    }

    /// Writes an updated passkey inside the write begun with `pending`.
    pub(super) fn put_updated_passkey(
        &self,
        tx: &Connection,
        pending: &mut Pending,
        entry: &PasskeyEntry,
        now: Timestamp,
    ) -> Result<(), VaultError> {
        let old = self
            .existing_passkey(tx, &entry.credential_id)?
            .ok_or(VaultError::NoSuchPasskey)?;
        let meta = RowMeta {
            revision: old.revision + 1,
            updated: to_i64(now.0),
            origin_index: self.rp_index(&entry.rp_id),
            ..old.clone()
        };
        self.put_sealed(tx, &meta, &encode(entry)?, Some(&old), pending.nonces())?;
        pending.toggle(self.integrity_term(&old));
        pending.toggle(self.integrity_term(&meta));
        Ok(())
    }

    /// Deletes a passkey inside the write begun with `pending`.
    pub(super) fn delete_passkey(
        &self,
        tx: &Connection,
        pending: &mut Pending,
        credential_id: &[u8],
    ) -> Result<(), VaultError> {
        let old = self
            .existing_passkey(tx, credential_id)?
            .ok_or(VaultError::NoSuchPasskey)?;
        super::delete_row(tx, old.id)?;
        pending.toggle(self.integrity_term(&old));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_round_trips_and_refuses_other_bytes() {
        let entry = PasskeyEntry {
            rp_id: "example.com".into(),
            credential_id: vec![1, 2, 3],
            payload: Zeroizing::new(b"{\"key\":1}".to_vec()),
        };
        let bytes = encode(&entry).unwrap();
        assert_eq!(decode(&bytes).unwrap(), entry);
        assert!(
            decode(&bytes[..MAGIC.len() + 3]).is_none(),
            "truncated length"
        );
        assert!(decode(&bytes[1..]).is_none(), "no magic");
        let mut long = bytes.to_vec();
        long[MAGIC.len()..MAGIC.len() + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(decode(&long).is_none(), "length beyond the end");
        assert!(decode(br#"{"k":"p"}"#).is_none());
    }
}
