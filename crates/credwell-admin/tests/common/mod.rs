//! What the vault sync tests share: an in-memory sync server and a device's client from the
//! state its vault saved.

// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use credwell_admin::sync::{Item, VaultSyncError, sync_vault};
use credwell_sync::client::{Client, Pushed, Report, State, Transport, TransportError};
use credwell_sync::protocol::{ConflictReply, PullReply, PushReply, PushRequest, Record};
use credwell_sync::{AccountId, AccountKey, DeviceId, RecordId as SyncId};
use credwell_vault::{KdfParams, Vault};

/// The server's side, in memory, as `credwell-sync-server` behaves (stale pushes refused).
#[derive(Default)]
pub(crate) struct Memory {
    cursor: u64,
    records: BTreeMap<SyncId, Record>,
}

/// A device's link to the shared [`Memory`].
#[derive(Clone, Default)]
pub(crate) struct Server(Rc<RefCell<Memory>>);

impl Server {
    /// `vault`'s sync at `now` as device `device` (its client from the state `vault` saved),
    /// through this server.
    pub(crate) fn sync(
        &self,
        vault: &Vault,
        device: u8,
        now: u64,
    ) -> Result<Report, VaultSyncError> {
        sync_vault(vault, &mut client(vault, device, self.clone()), now)
    }
}

impl Transport for Server {
    fn pull(&mut self, since: u64, limit: u32) -> Result<PullReply, TransportError> {
        let server = self.0.borrow();
        let mut records: Vec<Record> = (server.records.values())
            .filter(|r| r.revision > since)
            .cloned()
            .collect();
        records.sort_by_key(|r| r.revision);
        let more = records.len() > limit as usize;
        records.truncate(limit as usize);
        let cursor = match records.last() {
            Some(last) if more => last.revision,
            _ => server.cursor,
        };
        Ok(PullReply {
            records,
            cursor,
            more,
            horizon: 0,
        })
    }

    fn push(&mut self, request: &PushRequest) -> Result<Pushed, TransportError> {
        let mut server = self.0.borrow_mut();
        let conflicts: Vec<SyncId> = (request.records.iter())
            .filter(|r| server.records.get(&r.id).map_or(0, |s| s.revision) != r.base)
            .map(|r| r.id)
            .collect();
        if !conflicts.is_empty() {
            let error = "stale".into();
            return Ok(Pushed::Conflict(ConflictReply { error, conflicts }));
        }
        let mut revisions = Vec::new();
        for r in &request.records {
            server.cursor += 1;
            let record = Record {
                id: r.id,
                revision: server.cursor,
                deleted: r.deleted,
                sealed: r.sealed.clone(),
            };
            server.records.insert(r.id, record);
            revisions.push(server.cursor);
        }
        let cursor = server.cursor;
        Ok(Pushed::Applied(PushReply { revisions, cursor }))
    }
}

pub(crate) const ACCOUNT: AccountId = AccountId([7; 16]);

/// The account key every test device holds.
pub(crate) const KEY: [u8; 32] = [42; 32];

/// Device `device`'s client, from the state `vault` saved (none: a new device).
pub(crate) fn client<X: Transport>(vault: &Vault, device: u8, transport: X) -> Client<Item, X> {
    let key = AccountKey::from_bytes(&KEY);
    let device = DeviceId([device; 16]);
    match vault.sync_value("state").unwrap() {
        Some(saved) => Client::resume(ACCOUNT, device, key, transport, &saved).unwrap(),
        None => Client::new(ACCOUNT, device, key, transport, State::default()),
    }
}

/// A new vault `name` in `dir` (test key derivation).
pub(crate) fn new_vault(dir: &std::path::Path, name: &str) -> Vault {
    Vault::create(&dir.join(name), b"pass", KdfParams::INSECURE_FOR_TESTS).unwrap()
}

/// Two devices' new vaults, `a.sqlite` and `b.sqlite` in `dir`.
pub(crate) fn two_vaults(dir: &std::path::Path) -> (Vault, Vault) {
    (new_vault(dir, "a.sqlite"), new_vault(dir, "b.sqlite"))
}
