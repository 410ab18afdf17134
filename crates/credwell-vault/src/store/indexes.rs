//! Whether the index b-trees hold exactly the table's rows.
//!
//! Lookups by origin and by site read the index b-trees (`records_by_origin`,
//! `records_by_site`), SQLite's copies of each row's blind index, kind and id. The integrity
//! accumulator covers the table's rows only, so an index entry removed, added or changed in
//! the file could hide a row from lookups, or show it under another origin, while every row
//! verifies. The unlock therefore checks that each index holds one entry per row of the table,
//! with the row's values, and nothing else.
//!
//! Why an exact comparison, and why it is as strong as the keyed one it replaced: both sides
//! are read from the same file, and neither is a secret. The table's side is bound to the key
//! by the accumulator (a row changed, added or removed without the key fails it, as before);
//! the question here is only whether the index equals the table. Before, each side was summed
//! into an XOR of HMACs of its entries and the two sums compared: a probabilistic comparison
//! (the key only made a collision as hard as a forgery, and two identical surplus entries
//! cancelled out). Matching every index entry to its own table row by id and comparing the
//! values themselves is the equality of the two multisets, with no collision at all. It also
//! needs no HMAC per entry: four per row (two per index, one per side) were most of the
//! unlock's integrity check.

use rusqlite::Connection;
use rusqlite::types::ValueRef;

use super::RowMeta;
use crate::VaultError;

/// Whether both index b-trees hold exactly one entry for each of `rows` (the whole table, as
/// read without an index), with its values, and no other entry.
///
/// 1. Sort the rows by id; two rows with one id (a damaged table b-tree) do not match.
/// 2. For each index, read every entry from the index b-tree itself (a covering scan), find the
///    row of the entry's id (a binary search), and require the same value and kind, and a row
///    not matched before.
/// 3. Require as many entries as rows: with step 2, every row is matched exactly once.
pub(super) fn match_table(conn: &Connection, mut rows: Vec<RowMeta>) -> Result<bool, VaultError> {
    // 1.
    rows.sort_unstable_by_key(|row| row.id);
    if rows.windows(2).any(|pair| pair[0].id == pair[1].id) {
        return Ok(false);
    }
    let table = Table {
        ids: rows.iter().map(|row| row.id).collect(),
        rows,
    };
    Ok(
        table.matches(conn, "records_by_origin", "origin_index", |row| {
            Some(&row.origin_index)
        })? && table.matches(conn, "records_by_site", "site_index", |row| {
            row.site_index.as_deref()
        })?,
    )
}

/// The table's rows in id order, and their ids alone (searched for each index entry).
struct Table {
    rows: Vec<RowMeta>,
    ids: Vec<i64>,
}

impl Table {
    /// Steps 2 and 3 of [`match_table`] for the index `index` of `column`, whose value in a row
    /// is `value_of` the row.
    fn matches(
        &self,
        conn: &Connection,
        index: &str,
        column: &str,
        value_of: impl Fn(&RowMeta) -> Option<&[u8]>,
    ) -> Result<bool, VaultError> {
        // 2.
        let mut matched = vec![false; self.rows.len()];
        let mut entries = 0_usize;
        let mut stmt = conn.prepare(&format!(
            "SELECT {column}, kind, id FROM records INDEXED BY {index}"
        ))?;
        let mut scan = stmt.query([])?;
        while let Some(entry) = scan.next()? {
            entries += 1;
            let value = match entry.get_ref(0)? {
                ValueRef::Null => None,
                ValueRef::Blob(blob) => Some(blob),
                _ => return Ok(false),
            };
            let (ValueRef::Integer(kind), ValueRef::Integer(id)) =
                (entry.get_ref(1)?, entry.get_ref(2)?)
            else {
                return Ok(false);
            };
            let Ok(at) = self.ids.binary_search(&id) else {
                return Ok(false);
            };
            let row = &self.rows[at];
            if matched[at] || row.kind != kind || value_of(row) != value {
                return Ok(false);
            }
            matched[at] = true;
        }
        // 3.
        Ok(entries == self.rows.len())
    }
}
