//! The binary form of a saved state (form 3), the one written now: fixed-width fields in
//! little-endian order, no text to format or parse but the bodies saved whole. A first sync
//! saves thousands of records, nearly all of them as an id, a few numbers and a digest: as JSON
//! (form 2) each was about 140 characters, with its ids and digest in base64; here 93 bytes.
//!
//! ```text
//! state:  MAGIC  cursor:u64  horizon:u64  manifest  count:u32  record*count
//! manifest:      revision:u64  number:u64  count:u64  digest:[32]  live:u8 (0 or 1)
//! record: id:[16]  revision:u64  number:u64  modified:u64  writer:[16]  key:u32  flags:u8
//!         [seen:u64, if SEEN]  [digest:[32], if LEFT_OUT | length:u32 body:JSON, if WHOLE]
//! ```
//!
//! Records come in increasing id order, each once; nothing follows the last one. Anything else
//! is a damaged state.

use std::collections::BTreeMap;
use std::io;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{BodyDigest, left_out};
use crate::client::{Entry, ManifestSeen, State, SyncError, parallel};
use crate::fields::{Reader, Short};
use crate::merge::{Body, Stamp, Version};
use crate::{DeviceId, RecordId};

/// The form's first bytes: a zero byte (a JSON form starts with `{`), a tag and the form's
/// number.
pub(super) const MAGIC: &[u8; 5] = b"\0cws\x03";

/// Flag: the device's version is a change the server has not acknowledged.
const PENDING: u8 = 1;
/// Flag: the server's copy is a deletion.
const SERVER_DELETED: u8 = 1 << 1;
/// Flag: the number seen differs from the version's number and follows the fixed fields.
const SEEN: u8 = 1 << 2;
/// Flag: the body is saved whole (a length and its JSON follow).
const WHOLE: u8 = 1 << 3;
/// Flag: the body is left out (its digest follows).
const LEFT_OUT: u8 = 1 << 4;
/// Every flag this form knows.
const KNOWN: u8 = PENDING | SERVER_DELETED | SEEN | WHOLE | LEFT_OUT;

/// A record's fixed fields: id, revision, number, modified, writer, key version and flags.
const FIXED: usize = 16 + 8 + 8 + 8 + 16 + 4 + 1;
/// The state's fields before its records.
const HEADER: usize = MAGIC.len() + 8 + 8 + (8 + 8 + 8 + 32 + 1) + 4;

/// How a record's body is saved.
enum Saved {
    /// A deletion: no body.
    None,
    /// Left out: its digest.
    LeftOut(BodyDigest),
    /// Whole: its JSON's length.
    Whole(usize),
}

/// `state` in this form.
///
/// 1. Find each record's body form, on the machine's cores (a first sync leaves out thousands
///    of bodies, each digested): left out, whole (its JSON's length, counted without keeping
///    it), or none.
/// 2. Allocate the exact size, so that the buffer never moves (a move would leave a copy of
///    the bodies saved whole behind, unzeroized).
/// 3. Write the header and each record, the bodies saved whole serialized in place.
pub(super) fn encode<T: Body + Serialize>(state: &State<T>) -> Result<Vec<u8>, SyncError> {
    let count = u32::try_from(state.records.len()).map_err(|_| SyncError::StateDamaged)?;
    // 1.
    let entries: Vec<(&RecordId, &Entry<T>)> = state.records.iter().collect();
    let forms = parallel::in_runs(&entries, |run| {
        run.iter().map(|(_, e)| saved_form(e)).collect()
    });
    let forms = forms.into_iter().collect::<Result<Vec<_>, _>>()?;
    // 2.
    let mut size = HEADER;
    for ((_, e), form) in entries.iter().zip(&forms) {
        size += FIXED + if e.seen == e.version.number { 0 } else { 8 };
        size += match form {
            Saved::None => 0,
            Saved::LeftOut(_) => 32,
            Saved::Whole(length) => 4 + length,
        };
    }
    let mut out = Vec::with_capacity(size);
    // 3.
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&state.cursor.to_le_bytes());
    out.extend_from_slice(&state.horizon.to_le_bytes());
    let manifest = &state.manifest;
    for n in [manifest.revision, manifest.number, manifest.count] {
        out.extend_from_slice(&n.to_le_bytes());
    }
    out.extend_from_slice(&manifest.digest);
    out.push(u8::from(manifest.live));
    out.extend_from_slice(&count.to_le_bytes());
    for ((id, e), form) in entries.into_iter().zip(forms) {
        let version = &e.version;
        out.extend_from_slice(&id.0);
        out.extend_from_slice(&e.revision.to_le_bytes());
        out.extend_from_slice(&version.number.to_le_bytes());
        out.extend_from_slice(&version.stamp.modified.to_le_bytes());
        out.extend_from_slice(&version.stamp.writer.0);
        out.extend_from_slice(&e.key.to_le_bytes());
        let seen = e.seen != version.number;
        let mut flags = match form {
            Saved::None => 0,
            Saved::LeftOut(_) => LEFT_OUT,
            Saved::Whole(_) => WHOLE,
        };
        if e.pending {
            flags |= PENDING;
        }
        if e.server_deleted {
            flags |= SERVER_DELETED;
        }
        if seen {
            flags |= SEEN;
        }
        out.push(flags);
        if seen {
            out.extend_from_slice(&e.seen.to_le_bytes());
        }
        match (form, &version.body) {
            (Saved::None, _) => {}
            (Saved::LeftOut(digest), _) => out.extend_from_slice(&digest.0),
            (Saved::Whole(_), Some(body)) => {
                // The length is the one written (the count above only sized the buffer).
                let at = out.len();
                out.extend_from_slice(&[0; 4]);
                serde_json::to_writer(&mut out, body).map_err(|_| SyncError::StateDamaged)?;
                let length =
                    u32::try_from(out.len() - at - 4).map_err(|_| SyncError::StateDamaged)?;
                out[at..at + 4].copy_from_slice(&length.to_le_bytes());
            }
            (Saved::Whole(_), None) => return Err(SyncError::StateDamaged),
        }
    }
    Ok(out)
}

/// Step 1 of [`encode`] for one record.
fn saved_form<T: Body + Serialize>(e: &Entry<T>) -> Result<Saved, SyncError> {
    if let Some(digest) = left_out(e)? {
        return Ok(Saved::LeftOut(digest));
    }
    let Some(body) = &e.version.body else {
        return Ok(Saved::None);
    };
    let mut counting = Counting(0);
    serde_json::to_writer(&mut counting, body).map_err(|_| SyncError::StateDamaged)?;
    Ok(Saved::Whole(counting.0))
}

/// Counts the bytes written to it, keeping none.
struct Counting(usize);

impl io::Write for Counting {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0 += bytes.len();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A state in this form (`plain` starts with [`MAGIC`]) read back; the bodies left out are
/// missing ([`Entry::missing`]) until the caller restores them. A state cut short, with bytes
/// after its last record, unknown flags, records out of order or a body that does not parse
/// is [`SyncError::StateDamaged`].
pub(super) fn decode<T>(plain: &[u8]) -> Result<State<T>, SyncError>
where
    T: Serialize + DeserializeOwned,
{
    let mut read = Reader::new(plain);
    if read.take(MAGIC.len()).map_err(damaged)? != MAGIC {
        return Err(SyncError::StateDamaged);
    }
    let cursor = read.u64().map_err(damaged)?;
    let horizon = read.u64().map_err(damaged)?;
    let manifest = ManifestSeen {
        revision: read.u64().map_err(damaged)?,
        number: read.u64().map_err(damaged)?,
        count: read.u64().map_err(damaged)?,
        digest: read.array().map_err(damaged)?,
        live: match read.u8().map_err(damaged)? {
            0 => false,
            1 => true,
            _ => return Err(SyncError::StateDamaged),
        },
    };
    let count = read.u32().map_err(damaged)?;
    // A count the bytes cannot hold is damage, not a reason to allocate.
    let count = usize::try_from(count).map_err(|_| SyncError::StateDamaged)?;
    if count > read.rest().len() / FIXED {
        return Err(SyncError::StateDamaged);
    }
    let mut records = Vec::with_capacity(count);
    for _ in 0..count {
        let record = record(&mut read)?;
        if records
            .last()
            .is_some_and(|(last, _): &(RecordId, _)| *last >= record.0)
        {
            return Err(SyncError::StateDamaged);
        }
        records.push(record);
    }
    if !read.rest().is_empty() {
        return Err(SyncError::StateDamaged);
    }
    Ok(State {
        cursor,
        manifest,
        // In increasing order, each once (checked above).
        records: records.into_iter().collect::<BTreeMap<_, _>>(),
        horizon,
    })
}

/// One record of [`decode`].
fn record<T: DeserializeOwned>(read: &mut Reader<'_>) -> Result<(RecordId, Entry<T>), SyncError> {
    let id = RecordId(read.array().map_err(damaged)?);
    let revision = read.u64().map_err(damaged)?;
    let number = read.u64().map_err(damaged)?;
    let modified = read.u64().map_err(damaged)?;
    let writer = DeviceId(read.array().map_err(damaged)?);
    let key = read.u32().map_err(damaged)?;
    let flags = read.u8().map_err(damaged)?;
    if flags & !KNOWN != 0 || flags & (WHOLE | LEFT_OUT) == WHOLE | LEFT_OUT {
        return Err(SyncError::StateDamaged);
    }
    let seen = if flags & SEEN != 0 {
        read.u64().map_err(damaged)?
    } else {
        number
    };
    let (body, missing) = if flags & LEFT_OUT != 0 {
        (None, Some(BodyDigest(read.array().map_err(damaged)?)))
    } else if flags & WHOLE != 0 {
        let length =
            usize::try_from(read.u32().map_err(damaged)?).map_err(|_| SyncError::StateDamaged)?;
        let json = read.take(length).map_err(damaged)?;
        let body = serde_json::from_slice(json).map_err(|_| SyncError::StateDamaged)?;
        (Some(body), None)
    } else {
        (None, None)
    };
    let entry = Entry {
        revision,
        seen,
        version: Version {
            number,
            stamp: Stamp { modified, writer },
            body,
        },
        pending: flags & PENDING != 0,
        key,
        server_deleted: flags & SERVER_DELETED != 0,
        missing,
    };
    Ok((id, entry))
}

/// A field of a state cut short: the state is damaged.
fn damaged(_: Short) -> SyncError {
    SyncError::StateDamaged
}

#[cfg(test)]
mod tests;
