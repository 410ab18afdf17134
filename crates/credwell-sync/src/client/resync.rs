//! Deletions the server swept (`docs/sync.md`, "Tombstones and the horizon").
//!
//! The server keeps a deletion as a tombstone for its retention, then sweeps it and raises the
//! account's **horizon** to the revision of the newest it swept. Every pull answer names the
//! horizon; a device whose cursor is below it may have missed a swept deletion, and the server
//! answers its pull "resync needed" ([`super::TransportError::ResyncNeeded`]): the device pulls
//! everything from 0, and what it holds that the server no longer sends is gone.
//!
//! None of this weakens what the manifest finds: it lists live records only, so a live record
//! the server hides is still missing from the device's copy (`Dropped`), and an old version
//! of a deleted record replayed as new is a live record it does not list (`Dropped` too).

use std::collections::HashSet;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Client, Report, State, SyncError, Transport, TransportError, apply, check};
use crate::RecordId;
use crate::merge::Body;
use crate::protocol::MAX_PULL_RECORDS;

impl<T, X> Client<T, X>
where
    T: Body + Serialize + DeserializeOwned,
    X: Transport,
{
    /// Steps 1 and 2 of [`Client::sync`], from the cursor; from 0 when the server answers that
    /// it swept deletions this device has not seen (a full resync, `resync`).
    pub(super) fn pull_all(&mut self, report: &mut Report) -> Result<(), SyncError> {
        match self.pull_from(self.state.cursor, report) {
            Err(SyncError::Transport(TransportError::ResyncNeeded)) if self.state.cursor > 0 => {
                self.pull_from(0, report)
            }
            other => other,
        }
    }

    /// Pulls every page from `start`; from 0, every record the device holds that the server
    /// did not send is gone (`resync::gone`).
    fn pull_from(&mut self, start: u64, report: &mut Report) -> Result<(), SyncError> {
        let mut next = self.state.clone();
        next.cursor = start;
        let mut received = Vec::new();
        let mut sent = HashSet::new();
        loop {
            let since = next.cursor;
            let reply = self.transport.pull(since, MAX_PULL_RECORDS)?;
            // The next page travels while this one is checked and opened (its cursor is the
            // server's word, checked below: a wrong one only costs a request thrown away).
            if reply.more {
                self.transport.pull_ahead(reply.cursor, MAX_PULL_RECORDS);
            }
            // Before the page is checked: a record pushed as new after its deletion was swept
            // is then new to this device too.
            forget_swept(&mut next, reply.horizon);
            let page = check::page(self, &next, since, &reply)?;
            if start == 0 {
                sent.extend(reply.records.iter().map(|r| r.id));
            }
            for item in page {
                match item {
                    check::Opened::Manifest(seen) => next.manifest = seen,
                    check::Opened::Record(id, revision, remote, key) => {
                        if apply(&mut next, id, revision, remote, key) {
                            received.push(id);
                        }
                    }
                }
            }
            next.cursor = reply.cursor;
            if !reply.more {
                break;
            }
        }
        if start == 0 {
            received.extend(gone(&mut next, &sent));
        }
        let (held, digest) = next.digest(&[], next.manifest.live);
        if (held, digest) != (next.manifest.count, next.manifest.digest)
            && (held, next.manifest.revision) != (0, 0)
        {
            return Err(SyncError::Dropped {
                held,
                listed: next.manifest.count,
            });
        }
        self.state = next;
        received.sort();
        received.dedup();
        report.received.extend(received);
        Ok(())
    }
}

/// Forgets what the device holds of deletions at or below `horizon`, which the server swept: a
/// deletion it had applied becomes a dropped record (below); a local change on top of one is
/// pushed as a new record (base 0), since the server no longer has it.
pub(super) fn forget_swept<T>(state: &mut State<T>, horizon: u64) {
    state.horizon = state.horizon.max(horizon);
    for entry in state.records.values_mut() {
        if entry.revision > 0 && entry.revision <= horizon && entry.deleted_on_server() {
            gone_from_server(entry);
        }
    }
}

/// After a full pull (from 0), every record the device holds that the server did not send
/// (`sent`) is gone: its deletion was swept while the device was away. A record the device held
/// unchanged, or deleted, is dropped; its own unpushed edit of one is pushed as a new record.
/// The ids of the records whose content this removed.
pub(super) fn gone<T>(state: &mut State<T>, sent: &HashSet<RecordId>) -> Vec<RecordId> {
    let mut removed = Vec::new();
    for (id, entry) in &mut state.records {
        if entry.revision == 0 || sent.contains(id) {
            continue;
        }
        if !entry.pending && entry.version.body.is_some() {
            removed.push(*id);
        }
        gone_from_server(entry);
    }
    removed
}

/// The record is no longer on the server: an unpushed edit stays, to be pushed as new; anything
/// else becomes a dropped record, a deletion at revision 0 that no push sends, kept until the
/// next sync so that the device's vault (written after this sync) drops the record too.
fn gone_from_server<T>(entry: &mut super::Entry<T>) {
    entry.revision = 0;
    entry.seen = 0;
    entry.server_deleted = false;
    if !(entry.pending && entry.version.body.is_some()) {
        entry.pending = false;
        entry.version.body = None;
    }
}

/// Forgets the records dropped by an earlier sync ([`gone_from_server`]): the device's vault,
/// written after that sync, no longer holds them.
pub(super) fn purge_dropped<T>(state: &mut State<T>) {
    state
        .records
        .retain(|_, e| e.revision > 0 || e.pending || e.version.body.is_some());
}
