//! The devices' side of sync: a [`Client`] keeps one device's copy of its account's records,
//! pushes its changes, pulls the others', merges, and checks everything the server says.
//!
//! The server is not trusted with anything but storage and delivery, and it is checked on
//! every reply (steps in [`Client::sync`]). What a device keeps between syncs ([`State`]) is
//! its **high-water mark**: the account's cursor and, for each record, the revision and the
//! version number it has seen, with the record's content; [`Client::save`] seals it under the
//! account key (the caller stores it in the device's vault, sealed again under the vault key).
//! A body the device's own store keeps ([`Body::kept_by_device`]) is saved as a digest only,
//! and given back from that store after [`Client::resume`] ([`Client::restore`]; `saved`).
//! Every push also writes the **account manifest**, a sealed digest over every record's
//! (id, version number), which a device compares with what it holds after each complete pull.
//! A lying server is found and named ([`SyncError`]):
//!
//! - an altered byte, a record moved to another id, a flipped deletion flag: the seal does not
//!   open ([`SyncError::Tampered`]);
//! - an older version of a record: its number is not above the one seen
//!   ([`SyncError::Replayed`]);
//! - a record left out, or a deleted one brought back: the manifest's digest (over the live
//!   records) differs ([`SyncError::Dropped`]);
//! - an older state of the account: its cursor is below the one seen, or a refused push has
//!   nothing newer to pull ([`SyncError::RolledBack`]);
//! - a page reordered or outside the range asked for: revisions not increasing, or not above
//!   the cursor ([`SyncError::Reordered`]);
//! - a record twice in one answer ([`SyncError::Duplicated`]).
//!
//! After a rotation of the account key ([`Client::set_key`]), every sync seals again, as a new
//! version with the same content, each record whose server copy is under an older key; a device
//! that pulls a record under a key newer than its own stops with [`SyncError::KeyRotated`] and
//! applies nothing until it has the new key.
//!
//! What no device can detect alone: a server that withholds every change made after some
//! point from one device (a freeze), or shows two devices two different histories (a fork)
//! and never lets them compare. Both are denial of service, not forgery: nothing is accepted
//! that a device of the account did not write.
//!
//! The HTTP transport is `http::HttpTransport` (feature `http`); tests put other
//! [`Transport`]s in front of the client.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::merge::{Body, Stamp, Version, merge};
use crate::protocol::{Bytes, MAX_PUSH_RECORDS, PushRecord, PushRequest};
use crate::{AccountId, AccountKey, DeviceId, RecordId};
use saved::BodyDigest;

mod check;
mod error;
#[cfg(feature = "http")]
pub mod http;
mod parallel;
mod resync;
mod saved;
mod state;
#[cfg(test)]
mod tests;
mod transport;

pub use error::SyncError;
pub use parallel::SPLIT;
pub use state::{Entry, ManifestSeen, State};
pub use transport::{Pushed, Transport, TransportError};

/// How many push attempts one [`Client::sync`] makes before it gives up: each refused push
/// is followed by a pull and a merge, so only devices that keep writing the same records
/// faster than this one can merge keep it out.
const MAX_ATTEMPTS: usize = 8;

/// The records one push carries besides the manifest.
const PUSH_CHUNK: usize = MAX_PUSH_RECORDS - 1;

/// What one sync changed on this device.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Records whose content came from other devices (new, changed or deleted).
    pub received: Vec<RecordId>,
    /// How many records this device pushed.
    pub pushed: usize,
}

/// One device's sync client for an account.
#[derive(Debug)]
pub struct Client<T, X> {
    account: AccountId,
    device: DeviceId,
    key: AccountKey,
    transport: X,
    state: State<T>,
}

/// A version as it is sealed: when, by whom, and the body (`None`: a deletion).
#[derive(Serialize, Deserialize)]
#[serde(bound = "T: Serialize + DeserializeOwned")]
struct Sealed<T> {
    m: u64,
    w: DeviceId,
    b: Option<T>,
}

/// The account manifest's sealed content. `live`: it lists live records only (absent in
/// manifests written before tombstones were swept, which list deletions too).
#[derive(Serialize, Deserialize)]
struct Manifest {
    count: u64,
    digest: [u8; 32],
    #[serde(default)]
    live: bool,
}

/// A client's state and key, borrowed to seal the state ([`Client::saving`]).
pub struct Saving<'a, T> {
    account: AccountId,
    key: &'a AccountKey,
    state: &'a State<T>,
}

impl<T> fmt::Debug for Saving<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the key, nor the records.
        f.debug_struct("Saving")
            .field("account", &self.account)
            .field("cursor", &self.state.cursor)
            .finish_non_exhaustive()
    }
}

impl<T: Body + Serialize> Saving<'_, T> {
    /// [`Client::save`].
    pub fn save(&self) -> Result<Zeroizing<Vec<u8>>, SyncError> {
        let plain = Zeroizing::new(saved::encode(self.state)?);
        let id = state_id(self.key);
        let sealed = self
            .key
            .seal(self.account, id, self.state.cursor, false, &plain)?;
        Ok(Zeroizing::new(sealed))
    }
}

impl<T, X> Client<T, X>
where
    T: Body + Serialize + DeserializeOwned,
    X: Transport,
{
    /// A client for `device` of `account`, starting from `state` (`State::default()` for a
    /// device that has never synced).
    pub fn new(
        account: AccountId,
        device: DeviceId,
        key: AccountKey,
        transport: X,
        state: State<T>,
    ) -> Self {
        Self {
            account,
            device,
            key,
            transport,
            state,
        }
    }

    /// A client from the state [`Client::save`] sealed (or an older version of credwell did,
    /// every body in it). The bodies the device's own store keeps were left out: give each
    /// back with [`Client::restore`], or replace it with [`Client::change`], before
    /// [`Client::sync`] ([`SyncError::Unrestored`]); until then [`Client::records`] leaves
    /// them out.
    pub fn resume(
        account: AccountId,
        device: DeviceId,
        key: AccountKey,
        transport: X,
        saved: &[u8],
    ) -> Result<Self, SyncError> {
        let opened = key
            .open(account, state_id(&key), false, saved)
            .map_err(|_| SyncError::StateDamaged)?;
        let state: State<T> = saved::decode(&opened.plain)?;
        if opened.number != state.cursor {
            return Err(SyncError::StateDamaged);
        }
        Ok(Self::new(account, device, key, transport, state))
    }

    /// The device's state, sealed under the account key (bound to the account and the
    /// cursor), for the device's vault: each body the device keeps itself
    /// ([`Body::kept_by_device`], not pending) as a digest only (`saved`).
    pub fn save(&self) -> Result<Zeroizing<Vec<u8>>, SyncError> {
        self.saving().save()
    }

    /// What [`save`](Self::save) seals, without the transport: to seal the state on another
    /// thread while this one goes on (a vault writes its rows meanwhile).
    pub fn saving(&self) -> Saving<'_, T> {
        Saving {
            account: self.account,
            key: &self.key,
            state: &self.state,
        }
    }

    /// The device's records and high-water mark.
    pub fn state(&self) -> &State<T> {
        &self.state
    }

    /// The account key's version this device seals under.
    pub fn key_version(&self) -> u32 {
        self.key.version()
    }

    /// Replaces the account key by a newer ring of the same account (the device rotated it,
    /// or fetched the rotated one): from the next sync on, every record whose server copy is
    /// sealed under an older version is sealed again under the new one. A ring that is not
    /// this one's, or older, is refused ([`SyncError::NotThisAccountsKey`]).
    pub fn set_key(&mut self, key: AccountKey) -> Result<(), SyncError> {
        let probe = ("credwell-sync", &b"manifest"[..]);
        if key.version() < self.key.version()
            || key.record_id(probe.0, probe.1) != self.key.record_id(probe.0, probe.1)
        {
            return Err(SyncError::NotThisAccountsKey);
        }
        self.key = key;
        Ok(())
    }

    /// The transport, e.g. to ask the server for its devices.
    pub fn transport(&mut self) -> &mut X {
        &mut self.transport
    }

    /// The record id of natural key `key` in namespace `kind` ([`AccountKey::record_id`]).
    pub fn record_id(&self, kind: &str, key: &[u8]) -> RecordId {
        self.key.record_id(kind, key)
    }

    /// Gives back the body of record `id` that the saved state left out, from the device's own
    /// store: taken when its digest is the one saved (the version the device last synced),
    /// refused otherwise (the store changed it since: then it is a local change,
    /// [`Client::change`]). Whether it was taken.
    pub fn restore(&mut self, id: RecordId, body: &T) -> bool {
        let Some(entry) = self.state.records.get_mut(&id) else {
            return false;
        };
        if entry.missing.is_none() || BodyDigest::of(body).ok() != entry.missing {
            return false;
        }
        entry.version.body = Some(body.clone());
        entry.missing = None;
        true
    }

    /// The current content of every record, deletions (and bodies not yet restored) left out.
    pub fn records(&self) -> impl Iterator<Item = (RecordId, &T)> {
        self.state
            .records
            .iter()
            .filter_map(|(id, e)| e.version.body.as_ref().map(|b| (*id, b)))
    }

    /// Records a local change: `body` (or `None` to delete) made at `modified` (this device's
    /// clock, milliseconds since the Unix epoch), pushed by the next [`Client::sync`]. An edit
    /// keeps what is worth keeping of the body it replaces ([`Body::keep_from`]: a credential's
    /// old password goes into its history). A change to the content the record already has is
    /// not recorded.
    pub fn change(&mut self, id: RecordId, mut body: Option<T>, modified: u64) {
        let stamp = Stamp {
            modified,
            writer: self.device,
        };
        match self.state.records.get_mut(&id) {
            Some(entry) if entry.missing.is_some() => {
                // Its body was left out of the saved state and not restored: only its digest
                // tells a change, and nothing of the replaced body can be kept.
                let same = body.as_ref().and_then(|b| BodyDigest::of(b).ok()) == entry.missing;
                entry.missing = None;
                if same {
                    entry.version.body = body;
                    return;
                }
                entry.supersede(stamp, body);
            }
            Some(entry) if entry.version.body == body => {}
            Some(entry) => {
                if let (Some(new), Some(old)) = (body.as_mut(), entry.version.body.as_ref()) {
                    new.keep_from(old);
                    if entry.version.body == body {
                        return;
                    }
                }
                entry.supersede(stamp, body);
            }
            None if body.is_none() => {}
            None => {
                let version = Version {
                    number: 1,
                    stamp,
                    body,
                };
                let entry = Entry {
                    revision: 0,
                    seen: 0,
                    version,
                    pending: true,
                    key: self.key.version(),
                    server_deleted: false,
                    missing: None,
                };
                self.state.records.insert(id, entry);
            }
        }
    }

    /// Pulls every change since the cursor, merges, and pushes this device's changes until
    /// the server has them all:
    ///
    /// 1. Pull pages since the cursor (from 0 when the server answers that it swept deletions
    ///    after the cursor: what the device holds and the server no longer has is gone,
    ///    `resync`); check each page before anything of it is used ([`SyncError`] names what
    ///    is wrong); merge each new version into the device's copy (`crate::merge`).
    /// 2. After the last page, check the copy against the account manifest; only then does
    ///    it replace the device's state.
    /// 3. Every record whose server copy is sealed under an older account key than the
    ///    device's becomes a change: a new version, same content.
    /// 4. Push the changes not yet acknowledged, each with its base revision, together with
    ///    the new manifest, in chunks. A refused push must name records the server now has
    ///    newer (else the server went back in time); it sends the device back to step 1, at
    ///    most 8 times.
    ///
    /// A body left out of the saved state and neither restored nor replaced stops it before
    /// anything is sent ([`SyncError::Unrestored`]): it could be neither merged nor sealed again.
    pub fn sync(&mut self) -> Result<Report, SyncError> {
        if let Some((id, _)) = self.state.records.iter().find(|(_, e)| e.is_missing()) {
            return Err(SyncError::Unrestored { record: *id });
        }
        let mut report = Report::default();
        let mut stale: Vec<(RecordId, u64)> = Vec::new();
        resync::purge_dropped(&mut self.state);
        for _ in 0..MAX_ATTEMPTS {
            self.pull_all(&mut report)?;
            for (id, base) in stale.drain(..) {
                let now = self.revision_of(id);
                // A deletion the server swept meanwhile: the record is gone, pushed as new.
                let swept = now == 0 && base <= self.state.horizon;
                if now <= base && !swept {
                    return Err(SyncError::RolledBack {
                        seen: base,
                        got: now,
                    });
                }
            }
            self.reseal_older();
            loop {
                let chunk: Vec<RecordId> = self
                    .state
                    .records
                    .iter()
                    .filter(|(_, e)| e.pending)
                    .map(|(id, _)| *id)
                    .take(PUSH_CHUNK)
                    .collect();
                if chunk.is_empty() {
                    return Ok(report);
                }
                match self.push_chunk(&chunk)? {
                    Some(refused) => {
                        stale = refused;
                        break;
                    }
                    None => report.pushed += chunk.len(),
                }
            }
        }
        Err(SyncError::Busy)
    }

    /// Step 3 of [`Client::sync`].
    fn reseal_older(&mut self) {
        let current = self.key.version();
        for entry in self.state.records.values_mut() {
            if !entry.pending && entry.revision > 0 && entry.key < current {
                entry.version.number = entry.seen + 1;
                entry.pending = true;
            }
        }
    }

    /// The revision of record `id` (the manifest's too) as the device has seen it.
    fn revision_of(&self, id: RecordId) -> u64 {
        if id == self.manifest_id() {
            return self.state.manifest.revision;
        }
        self.state.records.get(&id).map_or(0, |e| e.revision)
    }

    fn manifest_id(&self) -> RecordId {
        self.key.record_id("credwell-sync", b"manifest")
    }

    /// Pushes `chunk` with the new manifest: `None` when written, or the records the server
    /// called stale with the base revision this device sent.
    fn push_chunk(
        &mut self,
        chunk: &[RecordId],
    ) -> Result<Option<Vec<(RecordId, u64)>>, SyncError> {
        let mut records = Vec::with_capacity(chunk.len() + 1);
        for id in chunk {
            let entry = &self.state.records[id];
            let version = &entry.version;
            let plain = Zeroizing::new(
                serde_json::to_vec(&Sealed {
                    m: version.stamp.modified,
                    w: version.stamp.writer,
                    b: version.body.clone(),
                })
                .map_err(|_| SyncError::Random)?,
            );
            let deleted = version.body.is_none();
            let sealed = self
                .key
                .seal(self.account, *id, version.number, deleted, &plain)?;
            records.push(push_record(*id, entry.revision, deleted, sealed));
        }
        let (count, digest) = self.state.digest(chunk, true);
        let manifest = Manifest {
            count,
            digest,
            live: true,
        };
        let number = self.state.manifest.number + 1;
        let plain = serde_json::to_vec(&manifest).map_err(|_| SyncError::Random)?;
        let id = self.manifest_id();
        let sealed = self.key.seal(self.account, id, number, false, &plain)?;
        records.push(push_record(id, self.state.manifest.revision, false, sealed));
        let request = PushRequest { records };
        match self.transport.push(&request)? {
            Pushed::Applied(reply) => {
                check::push_reply(&self.state, &request, &reply)?;
                for (id, revision) in chunk.iter().zip(&reply.revisions) {
                    if let Some(entry) = self.state.records.get_mut(id) {
                        entry.revision = *revision;
                        entry.seen = entry.version.number;
                        entry.pending = false;
                        entry.key = self.key.version();
                        entry.server_deleted = entry.version.body.is_none();
                    }
                }
                self.state.manifest = ManifestSeen {
                    revision: reply.cursor,
                    number,
                    count,
                    digest,
                    live: true,
                };
                Ok(None)
            }
            Pushed::Conflict(reply) => {
                let mut stale = Vec::with_capacity(reply.conflicts.len());
                for id in reply.conflicts {
                    let sent = request.records.iter().find(|r| r.id == id).ok_or_else(|| {
                        TransportError::Malformed("a conflict names a record not pushed".into())
                    })?;
                    stale.push((id, sent.base));
                }
                if stale.is_empty() {
                    return Err(TransportError::Malformed(
                        "a conflict names no record".into(),
                    ))?;
                }
                Ok(Some(stale))
            }
        }
    }
}

/// Takes a checked version from the server into `state`: merged with a local change not yet
/// pushed, or in place of what the device had; `key` is the key version it was sealed under.
/// Whether the record's content changed.
fn apply<T: Body>(
    state: &mut State<T>,
    id: RecordId,
    revision: u64,
    remote: Version<T>,
    key: u32,
) -> bool {
    let number = remote.number;
    let deleted = remote.body.is_none();
    match state.records.get_mut(&id) {
        Some(entry) => {
            let before = entry.version.body.clone();
            if entry.pending {
                let merged = merge(&entry.version, &remote);
                entry.pending = !merged.same_content(&remote);
                entry.version = if entry.pending { merged } else { remote };
            } else {
                entry.version = remote;
            }
            entry.revision = revision;
            entry.seen = number;
            entry.key = key;
            entry.server_deleted = deleted;
            entry.version.body != before
        }
        None => {
            let changed = remote.body.is_some();
            let entry = Entry {
                revision,
                seen: number,
                version: remote,
                pending: false,
                key,
                server_deleted: deleted,
                missing: None,
            };
            state.records.insert(id, entry);
            changed
        }
    }
}

/// The id the device's own state is sealed under (never sent to the server).
fn state_id(key: &AccountKey) -> RecordId {
    key.record_id("credwell-sync", b"device state")
}

/// The manifest's digest over `(id, number)` pairs, in id order, and their count.
fn digest<'a>(pairs: impl Iterator<Item = (&'a RecordId, u64)>) -> (u64, [u8; 32]) {
    let mut hash = Sha256::new();
    hash.update(b"credwell-sync manifest v1");
    let mut count = 0u64;
    for (id, number) in pairs {
        hash.update(id.0);
        hash.update(number.to_be_bytes());
        count += 1;
    }
    (count, hash.finalize().into())
}

fn push_record(id: RecordId, base: u64, deleted: bool, sealed: Vec<u8>) -> PushRecord {
    PushRecord {
        id,
        base,
        deleted,
        sealed: Bytes(sealed),
    }
}
