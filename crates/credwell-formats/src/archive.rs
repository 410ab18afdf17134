//! The zip archives some exports are (1Password's 1PUX, Proton Pass's zip): one entry read by
//! name, bounded.
//!
//! The archive is already in memory (at most [`MAX_INPUT_BYTES`](super::MAX_INPUT_BYTES)); an
//! entry is decompressed into a buffer wiped when dropped, and never past
//! [`MAX_ENTRY_BYTES`], whatever its header says: a zip bomb (a small entry that inflates to
//! gigabytes, or one whose header lies about its size) is refused once it passes the cap.

use std::io::{Cursor, Read};

use zeroize::Zeroizing;
use zip::ZipArchive;
use zip::result::ZipError;

use super::FormatError;

/// The most bytes one entry may inflate to: as much as credwell reads of any file.
pub(super) const MAX_ENTRY_BYTES: u64 = super::MAX_INPUT_BYTES;

/// Whether `bytes` start as a zip archive does (a local file header).
pub(super) fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// An archive in memory, entries read by name.
pub(super) struct Archive<'a> {
    zip: ZipArchive<Cursor<&'a [u8]>>,
}

impl<'a> Archive<'a> {
    /// Opens the archive `bytes` are, or says why they are not one.
    pub(super) fn open(bytes: &'a [u8]) -> Result<Self, FormatError> {
        let zip = ZipArchive::new(Cursor::new(bytes)).map_err(|e| FormatError {
            line: None,
            reason: format!(
                "the file is a zip archive that cannot be read ({})",
                zip_error(&e)
            ),
        })?;
        Ok(Self { zip })
    }

    /// Whether the archive has an entry named `name`.
    pub(super) fn has(&self, name: &str) -> bool {
        self.zip.index_for_name(name).is_some()
    }

    /// The bytes of the entry `name`, inflated, at most `limit` of them.
    pub(super) fn read(
        &mut self,
        name: &str,
        limit: u64,
    ) -> Result<Zeroizing<Vec<u8>>, FormatError> {
        let error = |why: String| FormatError {
            line: None,
            reason: format!("the archive's entry {name}: {why}"),
        };
        let too_big = || {
            error(format!(
                "it inflates to more than {} MiB, the most credwell reads of an entry (a zip \
                 bomb, or not an export)",
                limit / (1024 * 1024)
            ))
        };
        let mut entry = self.zip.by_name(name).map_err(|e| match e {
            ZipError::FileNotFound => error("there is no such entry".into()),
            e => error(format!("it cannot be read ({})", zip_error(&e))),
        })?;
        // The header's size first (cheap), then the bytes themselves: a header can lie.
        if entry.size() > limit {
            return Err(too_big());
        }
        let mut bytes = Zeroizing::new(Vec::new());
        entry
            .by_ref()
            .take(limit.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| error(format!("it cannot be inflated ({e})")))?;
        if bytes.len() as u64 > limit {
            return Err(too_big());
        }
        Ok(bytes)
    }
}

/// What is wrong with an archive, in words that quote nothing of its content.
fn zip_error(error: &ZipError) -> String {
    match error {
        ZipError::Io(e) => format!("read error: {}", e.kind()),
        ZipError::InvalidArchive(why) => format!("invalid archive: {why}"),
        ZipError::UnsupportedArchive(why) => format!("unsupported archive: {why}"),
        ZipError::FileNotFound => "entry not found".into(),
        ZipError::InvalidPassword => "it is encrypted".into(),
        ZipError::CompressionMethodNotSupported(m) => format!("compression method {m}"),
        _ => "malformed".into(),
    }
}
