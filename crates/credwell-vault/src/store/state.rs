//! The vault's integrity state: the write generation, the next record id and the accumulator
//! over every row, sealed together under a key derived from the vault key.
//!
//! Format 1 kept the accumulator (an XOR of per-row MACs) and the id counter in clear. Anyone
//! with two older copies of the file could then XOR their accumulators to learn the term of one
//! change and re-apply it to the current file (bring a deleted row back, roll one row back)
//! without the passphrase. Sealed, the accumulator is neither readable nor forgeable: any mix of
//! rows from different generations fails the check at unlock. What a seal cannot see is the
//! whole file replaced by an older whole file; [`Vault::generation`] is what an outside anchor
//! (a device that remembers the last generation it saw) compares against.

use rusqlite::{Connection, OptionalExtension, params};

use super::{META_COLUMNS, RowMeta, indexes, read_meta};
use crate::crypto::Nonces;
use crate::{Vault, VaultError};

/// The associated data of the sealed state: a state sealed for another vault does not open.
const STATE_AAD: &[u8] = b"credwell-vault state v2";
/// generation (8) || next id (8) || accumulator (32).
pub(crate) const STATE_LEN: usize = 48;

/// The decrypted integrity state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IntegrityState {
    /// Incremented by every committed write.
    pub(crate) generation: u64,
    /// The next record id to hand out (ids are never reused).
    pub(crate) next_id: i64,
    /// XOR of every row's integrity term.
    pub(crate) acc: [u8; 32],
}

impl IntegrityState {
    /// A new vault's: generation 1, no row, ids from 1.
    pub(crate) const EMPTY: Self = Self {
        generation: 1,
        next_id: 1,
        acc: [0; 32],
    };

    pub(crate) fn encode(&self) -> zeroize::Zeroizing<[u8; STATE_LEN]> {
        let mut out = zeroize::Zeroizing::new([0u8; STATE_LEN]);
        out[..8].copy_from_slice(&self.generation.to_be_bytes());
        out[8..16].copy_from_slice(&self.next_id.to_be_bytes());
        out[16..].copy_from_slice(&self.acc);
        out
    }

    pub(crate) fn decode(plain: &[u8]) -> Option<Self> {
        let plain: &[u8; STATE_LEN] = plain.try_into().ok()?;
        let (generation, rest) = plain.split_first_chunk::<8>()?;
        let (next_id, acc) = rest.split_first_chunk::<8>()?;
        Some(Self {
            generation: u64::from_be_bytes(*generation),
            next_id: i64::from_be_bytes(*next_id),
            acc: acc.try_into().ok()?,
        })
    }

    /// XORs `terms` into the accumulator.
    pub(crate) fn toggle(&mut self, terms: &[[u8; 32]]) {
        for term in terms {
            self.acc.iter_mut().zip(term).for_each(|(a, t)| *a ^= t);
        }
    }
}

/// One write transaction's change to the integrity state: read once when the write begins
/// ([`Vault::begin_write`]), changed in memory by every row written (the ids handed out, the
/// accumulator's terms) and sealed once when it ends ([`Vault::finish_write`]). Opening and
/// sealing the state again for every row was a large part of the cost of writing many rows.
#[derive(Debug)]
pub(crate) struct Pending {
    state: IntegrityState,
    /// Whether the largest id in use was read: once, before the first id is handed out.
    ids_checked: bool,
    /// How many rows' terms were toggled.
    rows: usize,
    /// The nonces the write's rows are sealed with.
    nonces: Nonces,
}

impl Pending {
    /// The write generation the write began at.
    pub(crate) fn generation(&self) -> u64 {
        self.state.generation
    }

    /// The nonces this write's rows are sealed with.
    pub(crate) fn nonces(&mut self) -> &mut Nonces {
        &mut self.nonces
    }

    /// XORs one row's integrity term into the accumulator (a row written or removed).
    pub(crate) fn toggle(&mut self, term: [u8; 32]) {
        self.state.toggle(&[term]);
        self.rows += 1;
    }

    /// Whether any row was written or removed.
    pub(crate) fn touched(&self) -> bool {
        self.rows > 0
    }
}

impl Vault {
    fn state_aad(&self) -> Vec<u8> {
        let mut aad = STATE_AAD.to_vec();
        aad.extend_from_slice(&self.vault_id);
        aad
    }

    /// The sealed state, opened; [`VaultError::IntegrityMismatch`] when it fails to open (altered,
    /// or copied from another vault or key) and [`VaultError::BadHeader`] when it is missing.
    pub(crate) fn read_state(&self, conn: &Connection) -> Result<IntegrityState, VaultError> {
        let sealed: Vec<u8> = conn
            .prepare_cached("SELECT value FROM meta WHERE key = 'state'")?
            .query_row([], |r| r.get(0))
            .optional()?
            .ok_or_else(|| VaultError::BadHeader("missing integrity state".into()))?;
        let plain = self
            .keys
            .state
            .open(&sealed, &self.state_aad())
            .map_err(|_| self.stale_or(VaultError::IntegrityMismatch))?;
        IntegrityState::decode(&plain).ok_or(VaultError::IntegrityMismatch)
    }

    /// A MAC of a constant under this handle's state key: stored as `meta.key_check`, it tells a
    /// handle whose key was replaced by another ([`Vault::rotate_key`]) from a damaged vault.
    fn key_check(&self) -> [u8; 32] {
        self.keys
            .state
            .mac(&[b"credwell-vault key check", &self.vault_id])
    }

    /// Stores this handle's [`key_check`](Self::key_check) (inside the caller's transaction).
    pub(crate) fn write_key_check(&self, conn: &Connection) -> Result<(), VaultError> {
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('key_check', ?1)",
            params![self.key_check().to_vec()],
        )?;
        Ok(())
    }

    /// Whether the file's key check, if it has one (vaults made before it have none until their
    /// first rotation), is this handle's.
    pub(crate) fn key_check_matches(&self, conn: &Connection) -> Result<bool, VaultError> {
        let stored: Option<Vec<u8>> = conn
            .prepare_cached("SELECT value FROM meta WHERE key = 'key_check'")?
            .query_row([], |r| r.get(0))
            .optional()?;
        Ok(stored.is_none_or(|stored| stored == self.key_check()))
    }

    /// [`VaultError::KeyChanged`] when the file's key check is another key's, else `error`.
    ///
    /// Called on the failure paths only, where this handle's connection may be inside a
    /// transaction (and locked): it reads through a connection of its own. The unlock checked
    /// the key check ([`Vault::integrity_matches`]), so a mismatch now means another handle
    /// replaced the key since.
    pub(crate) fn stale_or(&self, error: VaultError) -> VaultError {
        let matches = Connection::open_with_flags(
            &self.path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .ok()
        .and_then(|conn| self.key_check_matches(&conn).ok());
        match matches {
            Some(false) => VaultError::KeyChanged,
            _ => error,
        }
    }

    /// Seals and stores `state` (inside the caller's write transaction).
    pub(crate) fn write_state(
        &self,
        conn: &Connection,
        state: &IntegrityState,
    ) -> Result<(), VaultError> {
        let sealed = self
            .keys
            .state
            .seal(&*state.encode(), &self.state_aad())
            .map_err(|_| VaultError::Random)?;
        conn.prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES ('state', ?1)")?
            .execute(params![sealed])?;
        Ok(())
    }

    /// Begins a write inside the caller's write transaction: the state as it is now, to be
    /// changed in memory by the rows written and sealed once by [`Vault::finish_write`].
    pub(crate) fn begin_write(&self, tx: &Connection) -> Result<Pending, VaultError> {
        Ok(Pending {
            state: self.read_state(tx)?,
            ids_checked: false,
            rows: 0,
            nonces: Nonces::new(),
        })
    }

    /// Ends a write: moves to the next generation and seals the state with the ids handed out
    /// and the terms toggled; the new generation.
    pub(crate) fn finish_write(
        &self,
        tx: &Connection,
        mut pending: Pending,
    ) -> Result<u64, VaultError> {
        pending.state.generation += 1;
        self.write_state(tx, &pending.state)?;
        Ok(pending.state.generation)
    }

    /// Moves a format-1 vault to format 2 in one write transaction: checks the clear accumulator
    /// against the rows ([`VaultError::IntegrityMismatch`] if they differ), then seals it with
    /// the id counter as generation 1 and removes the clear values. A second process that
    /// migrated first is noticed inside the transaction, and nothing is done twice.
    pub(crate) fn migrate_from_format_1(&self) -> Result<(), VaultError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let meta = |key: &str| -> Result<Option<Vec<u8>>, VaultError> {
            Ok(tx
                .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()?)
        };
        let format = meta("format")?
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_be_bytes);
        if format != Some(1) {
            return Ok(());
        }
        let clear = meta("integrity")?;
        let acc = self.recompute_accumulator(&tx)?;
        let Some(acc) = acc.filter(|acc| clear.as_deref() == Some(acc.as_slice())) else {
            return Err(VaultError::IntegrityMismatch);
        };
        let counter = meta("next_id")?
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map_or(1, i64::from_be_bytes);
        let in_use: i64 =
            tx.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM records", [], |r| {
                r.get(0)
            })?;
        let state = IntegrityState {
            generation: 1,
            next_id: counter.max(in_use),
            acc,
        };
        self.write_state(&tx, &state)?;
        self.write_key_check(&tx)?;
        tx.execute("DELETE FROM meta WHERE key IN ('integrity', 'next_id')", [])?;
        tx.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'format'",
            params![crate::FORMAT_VERSION.to_be_bytes().to_vec()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The vault's write generation: 1 for a new (or just migrated) vault, one more after every
    /// committed write. Authenticated with the vault key, so it cannot be changed without the
    /// passphrase; a device that remembers the highest generation it has seen can tell when the
    /// whole file was replaced by an older copy, which nothing inside the file can.
    pub fn generation(&self) -> Result<u64, VaultError> {
        let conn = self.lock();
        Ok(self.read_state(&conn)?.generation)
    }
}

/// The accumulator over the rows and the id counter.
impl Vault {
    /// The integrity accumulator's term for one row.
    pub(super) fn integrity_term(&self, meta: &RowMeta) -> [u8; 32] {
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
    /// the table (`indexes::match_table`).
    pub(crate) fn recompute_accumulator(
        &self,
        conn: &Connection,
    ) -> Result<Option<[u8; 32]>, VaultError> {
        let mut acc = [0u8; 32];
        let mut stmt = conn.prepare(&format!("SELECT {META_COLUMNS} FROM records NOT INDEXED"))?;
        let rows: Vec<RowMeta> = stmt.query_map([], read_meta)?.collect::<Result<_, _>>()?;
        drop(stmt);
        for meta in &rows {
            let term = self.integrity_term(meta);
            acc.iter_mut().zip(term).for_each(|(a, t)| *a ^= t);
        }
        Ok(indexes::match_table(conn, &rows)?.then_some(acc))
    }

    /// A record id never used before in this vault: ids are not reused after a delete, so an
    /// old sealed row can never pass for a new record with the same id and revision. The larger
    /// of the (sealed) counter and the largest id in use wins, so no id is handed out twice. The
    /// largest id in use is read once per write: inside the write transaction only the ids
    /// handed out here are inserted.
    pub(super) fn next_id(
        &self,
        tx: &Connection,
        pending: &mut Pending,
    ) -> Result<i64, VaultError> {
        if !pending.ids_checked {
            let in_use: i64 = tx
                .prepare_cached("SELECT COALESCE(MAX(id), 0) + 1 FROM records")?
                .query_row([], |r| r.get(0))?;
            pending.state.next_id = pending.state.next_id.max(in_use);
            pending.ids_checked = true;
        }
        let next = pending.state.next_id;
        pending.state.next_id = next + 1;
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_round_trips() {
        let state = IntegrityState {
            generation: 7,
            next_id: 42,
            acc: [9; 32],
        };
        assert_eq!(IntegrityState::decode(&*state.encode()), Some(state));
        assert_eq!(IntegrityState::decode(&state.encode()[1..]), None);
    }
}
