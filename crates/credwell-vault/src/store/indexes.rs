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
//! cancelled out). Comparing the two lists of entries themselves is the equality of the two
//! multisets, with no collision at all. It also needs no HMAC per entry: four per row (two per
//! index, one per side) were most of the unlock's integrity check. Both lists are walked in the
//! index's order (the table's entries sorted, the index scanned in order), side by side:
//! looking each index entry's row up by id instead jumped around memory and cost more than the
//! HMACs had.

use rusqlite::Connection;
use rusqlite::types::ValueRef;

use super::RowMeta;
use crate::VaultError;

/// Whether both index b-trees hold exactly one entry for each of `rows` (the whole table, as
/// read without an index), with its values, and no other entry.
pub(super) fn match_table(conn: &Connection, rows: &[RowMeta]) -> Result<bool, VaultError> {
    Ok(
        index_matches(conn, rows, "records_by_origin", "origin_index", |row| {
            Some(&row.origin_index)
        })? && index_matches(conn, rows, "records_by_site", "site_index", |row| {
            row.site_index.as_deref()
        })?,
    )
}

/// One entry of an index: the row's value in the indexed column, its kind and its id, in the
/// order of SQLite's `ORDER BY column, kind, id` (NULL first, blobs byte by byte and a prefix
/// before what it starts, then the integers). `prefix` holds the value's first bytes, so that
/// sorting compares inline numbers and reaches the value only on a tie.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Entry<'a> {
    prefix: Option<u64>,
    value: Option<&'a [u8]>,
    kind: i64,
    id: i64,
}

impl<'a> Entry<'a> {
    fn new(value: Option<&'a [u8]>, kind: i64, id: i64) -> Self {
        // The first eight bytes, zero-padded: in the same order as the values (a zero byte is
        // the least there is), equal only when the value must decide.
        let prefix = value.map(|v| {
            let mut first = [0u8; 8];
            let n = v.len().min(8);
            first[..n].copy_from_slice(&v[..n]);
            u64::from_be_bytes(first)
        });
        Self {
            prefix,
            value,
            kind,
            id,
        }
    }
}

/// Whether the index `index` of `column` holds exactly the entries of `rows`, whose value in a
/// row is `value_of` the row.
///
/// 1. The rows' entries, sorted as the index orders them.
/// 2. Every entry of the index b-tree itself (a covering scan, in the index's order), each
///    equal to the next of step 1's, and none left over on either side.
fn index_matches(
    conn: &Connection,
    rows: &[RowMeta],
    index: &str,
    column: &str,
    value_of: impl Fn(&RowMeta) -> Option<&[u8]>,
) -> Result<bool, VaultError> {
    // 1.
    let mut expected: Vec<Entry<'_>> = rows
        .iter()
        .map(|row| Entry::new(value_of(row), row.kind, row.id))
        .collect();
    expected.sort_unstable();
    // 2.
    let mut expected = expected.into_iter();
    let mut stmt = conn.prepare(&format!(
        "SELECT {column}, kind, id FROM records INDEXED BY {index} ORDER BY {column}, kind, id"
    ))?;
    let mut scan = stmt.query([])?;
    while let Some(entry) = scan.next()? {
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
        match expected.next() {
            Some(want) if want.value == value && want.kind == kind && want.id == id => {}
            _ => return Ok(false),
        }
    }
    Ok(expected.next().is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The entries sort as SQLite orders them: NULL first, a value before a longer one it
    /// starts, values that differ only after their first eight bytes, zero bytes, kinds and ids
    /// breaking ties.
    #[test]
    fn entries_sort_as_sqlite_orders_them() {
        let values: Vec<Option<Vec<u8>>> = vec![
            Some(vec![1; 9]),
            None,
            Some(vec![]),
            Some(vec![0]),
            Some(vec![0, 0]),
            Some([vec![1; 8], vec![0]].concat()),
            Some(vec![1; 8]),
            Some([vec![1; 8], vec![2]].concat()),
            Some(vec![1, 0]),
            Some(vec![1]),
            Some(vec![255; 33]),
            Some(vec![1; 9]),
            None,
        ];
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (v BLOB, kind INTEGER NOT NULL, id INTEGER NOT NULL)")
            .unwrap();
        for (n, value) in values.iter().enumerate() {
            let kind = i64::try_from(n % 2).unwrap();
            let id = 100 - i64::try_from(n).unwrap();
            conn.execute(
                "INSERT INTO t VALUES (?1, ?2, ?3)",
                rusqlite::params![value, kind, id],
            )
            .unwrap();
        }
        let mut stmt = conn
            .prepare("SELECT v, kind, id FROM t ORDER BY v, kind, id")
            .unwrap();
        let by_sqlite: Vec<(Option<Vec<u8>>, i64, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut ours: Vec<Entry<'_>> = values
            .iter()
            .enumerate()
            .map(|(n, value)| {
                let kind = i64::try_from(n % 2).unwrap();
                let id = 100 - i64::try_from(n).unwrap();
                Entry::new(value.as_deref(), kind, id)
            })
            .collect();
        ours.sort_unstable();
        let ours: Vec<(Option<Vec<u8>>, i64, i64)> = ours
            .iter()
            .map(|e| (e.value.map(<[u8]>::to_vec), e.kind, e.id))
            .collect();
        assert_eq!(ours, by_sqlite);
    }
}
