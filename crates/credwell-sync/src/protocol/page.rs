//! The binary form of a pull's answer ([`PullReply`]), form 1: what `GET /v1/records` answers a
//! device that asks for it, instead of the JSON. Fixed-width fields in little-endian order and
//! each record's sealed bytes as they are: no base64 (which makes the JSON's sealed bytes 4/3 of
//! themselves) and no text to format, escape or parse on either side.
//!
//! ```text
//! page:   MAGIC  cursor:u64  horizon:u64  more:u8 (0 or 1)  count:u32  record*count
//! record: id:[16]  revision:u64  deleted:u8 (0 or 1)  length:u32  sealed:[length]
//! ```
//!
//! `MAGIC` is a zero byte (a JSON body starts with `{`), `cwp` and the form's number (1).
//! `count` is at most [`MAX_PULL_RECORDS`] and each `length` at most [`MAX_SEALED_BYTES`];
//! exactly `count` records follow, and nothing after the last. Anything else is refused, naming
//! the field and the byte where it starts ([`PageError`]); the decoder allocates for what the
//! body holds, never for what a count or a length claims. What the records say (their order,
//! their range, their seals) the client checks as it checks a JSON page.
//!
//! Negotiation is HTTP's: a device sends `Accept: application/vnd.credwell.page,
//! application/json` ([`ACCEPT`]); a server that knows this form answers it, with
//! `Content-Type: application/vnd.credwell.page` ([`MEDIA_TYPE`]); a request that does not name
//! the form (a wildcard does not) gets the JSON, and a device reads whichever form the
//! `Content-Type` of the answer names, so old servers and old devices keep working. Errors are
//! JSON ([`super::ErrorReply`]) whatever was asked.

use std::fmt;

use super::{Bytes, MAX_PULL_RECORDS, MAX_SEALED_BYTES, PullReply, Record};
use crate::RecordId;
use crate::fields::{Reader, Short};

/// The media type, written once for both constants below.
macro_rules! media_type {
    () => {
        "application/vnd.credwell.page"
    };
}

/// The media type of this form, in the answer's `Content-Type` and the request's `Accept`.
pub const MEDIA_TYPE: &str = media_type!();

/// The `Accept` header of a device's pull: this form, else JSON.
pub const ACCEPT: &str = concat!(media_type!(), ", application/json");

/// The form's first bytes: a zero byte, a tag and the form's number.
pub const MAGIC: &[u8; 5] = b"\0cwp\x01";

/// The page's fields before its records.
const HEADER: usize = MAGIC.len() + 8 + 8 + 1 + 4;

/// A record's fields before its sealed bytes.
const FIXED: usize = 16 + 8 + 1 + 4;

/// A field of a page, as an error names it; records are counted from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Field {
    /// The form's first bytes ([`MAGIC`]).
    Magic,
    /// The page's cursor.
    Cursor,
    /// The account's horizon.
    Horizon,
    /// Whether more records follow.
    More,
    /// How many records the page holds.
    Count,
    /// A record's id.
    Id(usize),
    /// A record's revision.
    Revision(usize),
    /// A record's deletion flag.
    Deleted(usize),
    /// The length of a record's sealed bytes.
    Length(usize),
    /// A record's sealed bytes.
    Sealed(usize),
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Magic => f.write_str("the magic"),
            Self::Cursor => f.write_str("the cursor"),
            Self::Horizon => f.write_str("the horizon"),
            Self::More => f.write_str("the more flag"),
            Self::Count => f.write_str("the record count"),
            Self::Id(n) => write!(f, "record {n}'s id"),
            Self::Revision(n) => write!(f, "record {n}'s revision"),
            Self::Deleted(n) => write!(f, "record {n}'s deleted flag"),
            Self::Length(n) => write!(f, "record {n}'s length"),
            Self::Sealed(n) => write!(f, "record {n}'s sealed bytes"),
        }
    }
}

/// Why bytes are not a page of this form (or a page cannot be written in it). Offsets are in
/// bytes from the start of the page.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PageError {
    /// The first bytes are not [`MAGIC`]: another form, or not a page at all.
    #[error("the page does not start with the binary page form's magic (form 1)")]
    Magic,
    /// The page ends before a field does.
    #[error("the page is cut short: {field}, from byte {offset}, is not all there")]
    Truncated {
        /// The field the page ends in (or before).
        field: Field,
        /// Where that field starts.
        offset: usize,
    },
    /// A flag is neither 0 nor 1.
    #[error("{field} at byte {offset} is {value}, not 0 or 1")]
    NotAFlag {
        /// The flag.
        field: Field,
        /// Where it is.
        offset: usize,
        /// Its value.
        value: u8,
    },
    /// More records than a pull returns.
    #[error(
        "the record count at byte {offset} is {count}; a pull returns at most \
         {MAX_PULL_RECORDS} records"
    )]
    TooMany {
        /// The count.
        count: u64,
        /// Where the count is.
        offset: usize,
    },
    /// A record's sealed bytes are longer than a record may be.
    #[error(
        "{field} at byte {offset} is {length} bytes; a record holds at most {MAX_SEALED_BYTES}"
    )]
    TooLarge {
        /// The record's length field.
        field: Field,
        /// Where it is.
        offset: usize,
        /// The length.
        length: u64,
    },
    /// Bytes after the last record.
    #[error("{extra} byte(s) follow the last record, from byte {offset}")]
    Trailing {
        /// Where the first extra byte is.
        offset: usize,
        /// How many there are.
        extra: usize,
    },
}

/// `reply` in this form. A page that a device would refuse (more than [`MAX_PULL_RECORDS`]
/// records, one longer than [`MAX_SEALED_BYTES`]) is refused here too, with the same error.
///
/// 1. Check the limits and count the exact size, so that the buffer is allocated once.
/// 2. Write the header, then each record.
pub fn encode(reply: &PullReply) -> Result<Vec<u8>, PageError> {
    // 1.
    let too_many = || PageError::TooMany {
        count: u64::try_from(reply.records.len()).unwrap_or(u64::MAX),
        offset: HEADER - 4,
    };
    let count = u32::try_from(reply.records.len()).map_err(|_| too_many())?;
    if count > MAX_PULL_RECORDS {
        return Err(too_many());
    }
    let mut size = HEADER;
    let mut lengths = Vec::with_capacity(reply.records.len());
    for (n, record) in reply.records.iter().enumerate() {
        let length = record.sealed.0.len();
        let field = Field::Length(n + 1);
        let offset = size + FIXED - 4;
        let too_large = PageError::TooLarge {
            field,
            offset,
            length: u64::try_from(length).unwrap_or(u64::MAX),
        };
        if length > MAX_SEALED_BYTES {
            return Err(too_large);
        }
        lengths.push(u32::try_from(length).map_err(|_| too_large)?);
        size += FIXED + length;
    }
    // 2.
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&reply.cursor.to_le_bytes());
    out.extend_from_slice(&reply.horizon.to_le_bytes());
    out.push(u8::from(reply.more));
    out.extend_from_slice(&count.to_le_bytes());
    for (record, length) in reply.records.iter().zip(lengths) {
        out.extend_from_slice(&record.id.0);
        out.extend_from_slice(&record.revision.to_le_bytes());
        out.push(u8::from(record.deleted));
        out.extend_from_slice(&length.to_le_bytes());
        out.extend_from_slice(&record.sealed.0);
    }
    Ok(out)
}

/// A page in this form read back. Every field is checked as it is read (see the module's
/// documentation); the first that is wrong is the error, and nothing panics.
///
/// 1. The magic: bytes that differ from it are another form; fewer, a page cut short.
/// 2. The header, its count within [`MAX_PULL_RECORDS`].
/// 3. Exactly `count` records, each length within [`MAX_SEALED_BYTES`] and within the body.
/// 4. Nothing after the last.
pub fn decode(body: &[u8]) -> Result<PullReply, PageError> {
    // 1.
    if !MAGIC.starts_with(body.get(..MAGIC.len()).unwrap_or(body)) {
        return Err(PageError::Magic);
    }
    let mut read = Reader::new(body);
    at(read.take(MAGIC.len()), Field::Magic)?;
    // 2.
    let cursor = at(read.u64(), Field::Cursor)?;
    let horizon = at(read.u64(), Field::Horizon)?;
    let more = flag(&mut read, Field::More)?;
    let offset = read.offset();
    let count = at(read.u32(), Field::Count)?;
    if count > MAX_PULL_RECORDS {
        return Err(PageError::TooMany {
            count: u64::from(count),
            offset,
        });
    }
    let count = usize::try_from(count).map_err(|_| PageError::TooMany {
        count: u64::from(count),
        offset,
    })?;
    // 3. A count the bytes cannot hold is found short below, not allocated for here.
    let mut records = Vec::with_capacity(count.min(read.rest().len() / FIXED));
    for n in 1..=count {
        let id = RecordId(at(read.array(), Field::Id(n))?);
        let revision = at(read.u64(), Field::Revision(n))?;
        let deleted = flag(&mut read, Field::Deleted(n))?;
        let field = Field::Length(n);
        let offset = read.offset();
        let length = at(read.u32(), field)?;
        let too_large = || PageError::TooLarge {
            field,
            offset,
            length: u64::from(length),
        };
        let length = usize::try_from(length).map_err(|_| too_large())?;
        if length > MAX_SEALED_BYTES {
            return Err(too_large());
        }
        let sealed = at(read.take(length), Field::Sealed(n))?.to_vec();
        records.push(Record {
            id,
            revision,
            deleted,
            sealed: Bytes(sealed),
        });
    }
    // 4.
    if !read.rest().is_empty() {
        return Err(PageError::Trailing {
            offset: read.offset(),
            extra: read.rest().len(),
        });
    }
    Ok(PullReply {
        records,
        cursor,
        more,
        horizon,
    })
}

/// Whether a request's `Accept` header value asks for this form: one of its media ranges is
/// [`MEDIA_TYPE`] (in any case), without `q=0` ([RFC 9110, section 12.5.1]). A wildcard
/// (`*/*`) does not: a client that does not name the form gets JSON, which every client reads.
///
/// [RFC 9110, section 12.5.1]: https://www.rfc-editor.org/rfc/rfc9110#section-12.5.1
pub fn accepts(accept: &str) -> bool {
    accept.split(',').any(|range| {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or_default().trim();
        media.eq_ignore_ascii_case(MEDIA_TYPE) && !parts.any(refuses)
    })
}

/// Whether a media range's parameter is a weight of 0: `q=0`, up to three decimals of 0
/// (RFC 9110, section 12.4.2), which marks the range "not acceptable".
fn refuses(parameter: &str) -> bool {
    let Some((name, value)) = parameter.split_once('=') else {
        return false;
    };
    name.trim().eq_ignore_ascii_case("q")
        && value.trim().strip_prefix('0').is_some_and(|rest| {
            rest.is_empty()
                || rest
                    .strip_prefix('.')
                    .is_some_and(|digits| digits.len() <= 3 && digits.bytes().all(|b| b == b'0'))
        })
}

/// Whether an answer's `Content-Type` value names this form (parameters aside).
pub fn is_page(content_type: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or_default().trim();
    media.eq_ignore_ascii_case(MEDIA_TYPE)
}

/// `read`'s answer for `field`: bytes that end before it are a page cut short there.
fn at<T>(read: Result<T, Short>, field: Field) -> Result<T, PageError> {
    read.map_err(|Short { offset }| PageError::Truncated { field, offset })
}

/// The next byte, `field`, which is 0 (false) or 1 (true).
fn flag(read: &mut Reader<'_>, field: Field) -> Result<bool, PageError> {
    let offset = read.offset();
    match at(read.u8(), field)? {
        0 => Ok(false),
        1 => Ok(true),
        value => Err(PageError::NotAFlag {
            field,
            offset,
            value,
        }),
    }
}

#[cfg(test)]
mod tests;
