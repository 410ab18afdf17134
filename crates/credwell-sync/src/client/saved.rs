//! The state a device saves between syncs ([`super::Client::save`]), and reading it back.
//!
//! What the merge needs from one sync to the next is the high-water mark (cursor, manifest,
//! horizon) and, per record: the revision and version number seen, the current version's
//! number and stamp, whether it is pending, the key version and deletion flag of the server's
//! copy, and the body, to tell a local change and to give a replaced body to
//! [`crate::merge::Body::keep_from`]. A body the device's own store keeps exactly
//! ([`Body::kept_by_device`]: a vault's credential) is not saved again: the state keeps a
//! SHA-256 digest of it instead, and the caller gives the body back from its store
//! ([`super::Client::restore`]), which the digest checks. Any other body (a pending change, a
//! credential with a sync history the vault does not keep) is saved whole.
//!
//! Three forms are read: the binary one written now (form 3, `binary`), and the two JSON ones
//! written before it: the compact one (`{"v":2,...}`, the same fields as form 3) and the first,
//! the whole [`State`] as JSON with every body. All are sealed alike (under the account key, as
//! the device's own state id, bound to the account and the cursor).

use std::collections::BTreeMap;
use std::io;

mod binary;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest as _, Sha256};

use super::{Entry, ManifestSeen, State, SyncError};
use crate::merge::{Body, Stamp, Version};
use crate::{DeviceId, RecordId};

/// The compact JSON form's version, its first key.
const COMPACT: u32 = 2;

/// The digest of a body left out of a saved state. `Debug` does not show it (it is a hash of
/// secrets).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct BodyDigest(pub(super) [u8; 32]);

impl std::fmt::Debug for BodyDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BodyDigest(<redacted>)")
    }
}

impl BodyDigest {
    /// SHA-256 over a domain tag and the body's JSON (serde's field order: the same body
    /// always gives the same bytes).
    pub(super) fn of<T: Serialize>(body: &T) -> Result<Self, SyncError> {
        struct Hashing(Sha256);
        impl io::Write for Hashing {
            fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
                self.0.update(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut hashing = Hashing(Sha256::new());
        hashing.0.update(b"credwell-sync body v1\0");
        serde_json::to_writer(&mut hashing, body).map_err(|_| SyncError::StateDamaged)?;
        Ok(Self(hashing.0.finalize().into()))
    }
}

impl<'de> Deserialize<'de> for BodyDigest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <&str>::deserialize(d)?;
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(serde::de::Error::custom)?;
        bytes
            .try_into()
            .map(Self)
            .map_err(|_| serde::de::Error::custom("a body digest is 32 bytes"))
    }
}

/// The compact JSON form (form 2) as read.
#[derive(Deserialize)]
#[serde(bound = "T: DeserializeOwned", deny_unknown_fields)]
struct CompactIn<T> {
    v: u32,
    cursor: u64,
    manifest: ManifestSeen,
    horizon: u64,
    records: Vec<RowIn<T>>,
}

/// One record in the compact JSON form (form 2). Short keys: a first sync saved thousands.
/// `i` id, `r` revision, `n` version number, `s` number seen (absent: `n`), `m` and `w` the
/// stamp, `k` key version, `p` pending, `d` the server's copy is a deletion, and the body:
/// `b` whole, `h` its digest (left out), or neither (a deletion).
#[derive(Deserialize)]
#[serde(bound = "T: DeserializeOwned", deny_unknown_fields)]
struct RowIn<T> {
    i: RecordId,
    r: u64,
    n: u64,
    #[serde(default)]
    s: Option<u64>,
    m: u64,
    w: DeviceId,
    k: u32,
    #[serde(default)]
    p: bool,
    #[serde(default)]
    d: bool,
    #[serde(default = "Option::default")]
    b: Option<T>,
    #[serde(default)]
    h: Option<BodyDigest>,
}

/// `state` as it is saved now: the binary form (`binary`).
pub(super) fn encode<T: Body + Serialize>(state: &State<T>) -> Result<Vec<u8>, SyncError> {
    binary::encode(state)
}

/// The digest that stands for `e`'s body in a saved state, if it is left out: one the state
/// still misses, or a body the device keeps itself and has no change pending.
fn left_out<T: Body + Serialize>(e: &Entry<T>) -> Result<Option<BodyDigest>, SyncError> {
    match (&e.version.body, e.missing) {
        (_, Some(digest)) => Ok(Some(digest)),
        (Some(body), None) if !e.pending && body.kept_by_device() => BodyDigest::of(body).map(Some),
        _ => Ok(None),
    }
}

/// A saved state, in any of its forms, read back; the bodies left out are missing
/// ([`Entry::missing`]) until the caller restores them.
pub(super) fn decode<T>(plain: &[u8]) -> Result<State<T>, SyncError>
where
    T: Serialize + DeserializeOwned,
{
    if plain.starts_with(binary::MAGIC) {
        return binary::decode(plain);
    }
    if !plain.starts_with(b"{\"v\":") {
        // The form written before: the whole state, every body in it.
        return serde_json::from_slice(plain).map_err(|_| SyncError::StateDamaged);
    }
    let compact: CompactIn<T> =
        serde_json::from_slice(plain).map_err(|_| SyncError::StateDamaged)?;
    if compact.v != COMPACT {
        return Err(SyncError::StateDamaged);
    }
    let mut records = BTreeMap::new();
    for row in compact.records {
        if row.b.is_some() && row.h.is_some() {
            return Err(SyncError::StateDamaged);
        }
        let entry = Entry {
            revision: row.r,
            seen: row.s.unwrap_or(row.n),
            version: Version {
                number: row.n,
                stamp: Stamp {
                    modified: row.m,
                    writer: row.w,
                },
                body: row.b,
            },
            pending: row.p,
            key: row.k,
            server_deleted: row.d,
            missing: row.h,
        };
        if records.insert(row.i, entry).is_some() {
            return Err(SyncError::StateDamaged);
        }
    }
    Ok(State {
        cursor: compact.cursor,
        manifest: compact.manifest,
        records,
        horizon: compact.horizon,
    })
}
