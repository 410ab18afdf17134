//! An honest sync server in memory, for the tests of this crate and of the crates that sync a
//! vault through it (behind the `testing` feature; never in a release build).
//!
//! It keeps the rules `credwell-sync-server` keeps, so that a client tested against it meets
//! the same answers: revisions numbered from one account-wide cursor, a push refused whole when
//! one of its records' base revisions is not the stored one, pages of at most the limit asked
//! for, and "resync needed" for a device whose cursor is below the horizon of swept deletions.
//! Lying servers are the tests' own: they wrap this one and change its answers.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::RecordId;
use crate::client::{Pushed, Transport, TransportError};
use crate::protocol::{ConflictReply, PullReply, PushReply, PushRequest, Record};

/// The server's state: its records and every version ever written (a lying test server replays
/// one of these).
#[derive(Clone, Debug, Default)]
pub struct Memory {
    /// The account's cursor: the last revision given out.
    pub cursor: u64,
    /// The newest version of each record.
    pub records: BTreeMap<RecordId, Record>,
    /// Every version written, in the order written.
    pub written: Vec<Record>,
    /// The newest revision of a swept deletion (0: none swept).
    pub horizon: u64,
}

impl Memory {
    /// Sweeps every deletion, as the server does once they are older than its retention.
    pub fn sweep(&mut self) {
        let swept = (self.records.values())
            .filter(|r| r.deleted)
            .map(|r| r.revision);
        self.horizon = self.horizon.max(swept.max().unwrap_or(0));
        self.records.retain(|_, r| !r.deleted);
    }

    /// `GET /v1/records?since=..&limit=..`: the records newer than `since`, oldest first, at
    /// most `limit` of them.
    ///
    /// # Errors
    /// [`TransportError::ResyncNeeded`] when `since` is above 0 and below the horizon.
    pub fn pull(&self, since: u64, limit: u32) -> Result<PullReply, TransportError> {
        if since > 0 && since < self.horizon {
            return Err(TransportError::ResyncNeeded);
        }
        let mut records: Vec<Record> = (self.records.values())
            .filter(|r| r.revision > since)
            .cloned()
            .collect();
        records.sort_by_key(|r| r.revision);
        let more = records.len() > limit as usize;
        records.truncate(limit as usize);
        let cursor = match records.last() {
            Some(last) if more => last.revision,
            _ => self.cursor,
        };
        Ok(PullReply {
            records,
            cursor,
            more,
            horizon: self.horizon,
        })
    }

    /// `POST /v1/records`: stores every record of `request` under a new revision, or none of
    /// them when one's base is not the revision stored (0 for a record the server lacks).
    pub fn push(&mut self, request: &PushRequest) -> Pushed {
        let conflicts: Vec<RecordId> = (request.records.iter())
            .filter(|r| self.records.get(&r.id).map_or(0, |s| s.revision) != r.base)
            .map(|r| r.id)
            .collect();
        if !conflicts.is_empty() {
            let error = "stale".into();
            return Pushed::Conflict(ConflictReply { error, conflicts });
        }
        let mut revisions = Vec::with_capacity(request.records.len());
        for r in &request.records {
            self.cursor += 1;
            let record = Record {
                id: r.id,
                revision: self.cursor,
                deleted: r.deleted,
                sealed: r.sealed.clone(),
            };
            self.written.push(record.clone());
            self.records.insert(r.id, record);
            revisions.push(self.cursor);
        }
        Pushed::Applied(PushReply {
            revisions,
            cursor: self.cursor,
        })
    }
}

/// A device's honest link to a [`Memory`] server; clones reach the same server.
#[derive(Clone, Debug, Default)]
pub struct Shared(pub Rc<RefCell<Memory>>);

impl Transport for Shared {
    fn pull(&mut self, since: u64, limit: u32) -> Result<PullReply, TransportError> {
        self.0.borrow().pull(since, limit)
    }

    fn push(&mut self, request: &PushRequest) -> Result<Pushed, TransportError> {
        Ok(self.0.borrow_mut().push(request))
    }
}
