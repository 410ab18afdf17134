//! What a device keeps between syncs: its high-water mark and its copy of the records
//! ([`State`]).

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::saved::BodyDigest;
use crate::RecordId;
use crate::merge::{Stamp, Version};

/// One record as a device keeps it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Entry<T> {
    /// The server's revision of the version last seen (0: never on the server).
    pub revision: u64,
    /// The number of the version last seen on the server (0: none).
    pub seen: u64,
    /// The device's current version: the one seen, or a local change not yet pushed.
    pub version: Version<T>,
    /// Whether `version` is a change the server has not acknowledged.
    pub pending: bool,
    /// The account key version the server's copy is sealed under (a copy under an older one
    /// than the device's is sealed again by the next sync).
    #[serde(default = "first_key")]
    pub key: u32,
    /// Whether the server's copy (at `revision`) is a deletion; read only while `pending`
    /// (otherwise `version` is the server's copy).
    #[serde(default)]
    pub server_deleted: bool,
    /// The digest of the body `version` stands for when the saved state left the body out and
    /// it has not been given back yet ([`super::Client::restore`], [`super::Client::change`]);
    /// `version.body` is then `None` and means nothing.
    #[serde(skip)]
    pub(crate) missing: Option<BodyDigest>,
}

impl<T> Entry<T> {
    /// Whether the server's copy is a deletion.
    pub(super) fn deleted_on_server(&self) -> bool {
        if self.pending {
            self.server_deleted
        } else {
            !self.live()
        }
    }

    /// Whether the device's current version has a body (known, or left out of the saved state
    /// and not yet restored).
    pub fn live(&self) -> bool {
        self.version.body.is_some() || self.missing.is_some()
    }

    /// Whether the body was left out of the saved state and has not been given back yet
    /// ([`super::Client::restore`]).
    pub fn is_missing(&self) -> bool {
        self.missing.is_some()
    }

    /// A local change: `body` at `stamp` becomes the current version, numbered after the one
    /// last seen on the server, and waits to be pushed.
    pub(super) fn supersede(&mut self, stamp: Stamp, body: Option<T>) {
        self.version = Version {
            number: self.seen + 1,
            stamp,
            body,
        };
        self.pending = true;
    }
}

fn first_key() -> u32 {
    1
}

/// The account manifest as a device last saw it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestSeen {
    /// Its revision on the server (0: none yet).
    pub revision: u64,
    /// Its version number.
    pub number: u64,
    /// How many records it lists.
    pub count: u64,
    /// Its digest over every record's (id, version number).
    pub digest: [u8; 32],
    /// Whether it lists live records only (every manifest this version of credwell writes);
    /// older ones list deletions too.
    #[serde(default)]
    pub live: bool,
}

/// What a device keeps between syncs: its high-water mark and its copy of the records.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(bound = "T: Serialize + DeserializeOwned")]
pub struct State<T> {
    /// The cursor of the last complete pull.
    pub cursor: u64,
    /// The account manifest last seen.
    pub manifest: ManifestSeen,
    /// Every record the device knows, deletions included (until the server's horizon passes
    /// them), and records found gone at a full resync (a deletion at revision 0, kept until the
    /// next sync so that the device's vault drops them too).
    pub records: BTreeMap<RecordId, Entry<T>>,
    /// The account's horizon as last heard: the server swept every deletion at or below it.
    #[serde(default)]
    pub horizon: u64,
}

impl<T> Default for State<T> {
    fn default() -> Self {
        Self {
            cursor: 0,
            manifest: ManifestSeen::default(),
            records: BTreeMap::new(),
            horizon: 0,
        }
    }
}

impl<T> State<T> {
    /// The highest revision this device has seen anywhere: the server's cursor can never be
    /// below it again.
    pub(super) fn high_water(&self) -> u64 {
        let records = self.records.values().map(|e| e.revision).max().unwrap_or(0);
        self.cursor.max(self.manifest.revision).max(records)
    }

    /// The manifest of the server's records as this device holds them, with `pushing`'s
    /// numbers in place of the seen ones: of its live records only when `live` (the manifests
    /// written now), of its deletions too when not (those written before tombstones were
    /// swept).
    pub(super) fn digest(&self, pushing: &[RecordId], live: bool) -> (u64, [u8; 32]) {
        let pairs = self.records.iter().filter_map(|(id, e)| {
            let (number, deleted) = if pushing.contains(id) {
                (e.version.number, e.version.body.is_none())
            } else if e.revision > 0 {
                (e.seen, e.deleted_on_server())
            } else {
                return None;
            };
            (!(live && deleted)).then_some((id, number))
        });
        super::digest(pairs)
    }
}
