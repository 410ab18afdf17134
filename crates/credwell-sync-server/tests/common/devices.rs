//! Devices of one account for the fault tests: clients over HTTP whose records are notes
//! that keep the texts they replaced, and what the server holds of them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use credwell_sync::client::Client;
use credwell_sync::client::State;
use credwell_sync::client::http::HttpTransport;
use credwell_sync::merge::Body;
use credwell_sync::{AccountId, AccountKey, RecordId};
use credwell_sync_server::Storage;
use credwell_sync_server::storage::postgres::PostgresStorage;
use credwell_sync_server::storage::sqlite::SqliteStorage;
use serde::{Deserialize, Serialize};

/// A record's content: a text, and the texts that lost to it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub text: String,
    pub history: BTreeSet<String>,
}

impl Body for Note {
    fn keep_from(&mut self, loser: &Self) {
        self.history.extend(loser.history.iter().cloned());
        self.history.insert(loser.text.clone());
        self.history.remove(&self.text);
    }
}

/// A note with `text` and no history.
pub fn note(text: &str) -> Option<Note> {
    Some(Note {
        text: text.into(),
        history: BTreeSet::new(),
    })
}

pub type Device = Client<Note, HttpTransport>;

/// The account key every device of [`devices`] holds.
pub const KEY: [u8; 32] = [9; 32];

/// A new account on the server at `url` with one device per name (the first made the
/// account and added the others): the account and its devices.
pub fn devices(url: &str, names: &[&str]) -> (AccountId, Vec<Device>) {
    let first = HttpTransport::create_account(url, names[0]).unwrap();
    let transport = HttpTransport::new(url, first.token.clone()).unwrap();
    let account = first.account;
    let mut enrolled = vec![first];
    for name in &names[1..] {
        enrolled.push(transport.add_device(name).unwrap());
    }
    let devices = enrolled
        .into_iter()
        .map(|e| {
            let transport = HttpTransport::new(url, e.token).unwrap();
            let key = AccountKey::from_bytes(&KEY);
            Client::new(e.account, e.device, key, transport, State::default())
        })
        .collect();
    (account, devices)
}

/// The device's records, deletions left out.
pub fn content(device: &Device) -> BTreeMap<RecordId, Note> {
    device.records().map(|(id, b)| (id, b.clone())).collect()
}

/// Syncs every device twice over and checks that they hold the same records: those.
pub fn converged(devices: &mut [Device]) -> BTreeMap<RecordId, Note> {
    for _ in 0..2 {
        for device in devices.iter_mut() {
            device.sync().unwrap();
        }
    }
    let first = content(&devices[0]);
    for device in &devices[1..] {
        assert_eq!(content(device), first);
    }
    first
}

/// The changes `device` holds that the server acknowledged: each record's revision.
pub fn acknowledged(device: &Device) -> Vec<(RecordId, u64)> {
    let state = device.state();
    state
        .records
        .iter()
        .filter(|(_, e)| !e.pending && e.revision > 0)
        .map(|(id, e)| (*id, e.revision))
        .collect()
}

/// The changes `device` holds that the server has not acknowledged, in the order it pushes
/// them.
pub fn pending(device: &Device) -> Vec<RecordId> {
    let state = device.state();
    state
        .records
        .iter()
        .filter(|(_, e)| e.pending)
        .map(|(id, _)| *id)
        .collect()
}

/// What the server's database (a SQLite file's path or a PostgreSQL URL) holds of `account`,
/// read directly: each record's revision, and the account's cursor.
pub async fn stored(database: &str, account: AccountId) -> (HashMap<RecordId, u64>, u64) {
    let storage: Box<dyn Storage> = if database.starts_with("postgres://") {
        Box::new(PostgresStorage::connect(database).await.unwrap())
    } else {
        Box::new(SqliteStorage::open(Path::new(database)).unwrap())
    };
    let page = storage.pull(account, 0, 1_000_000).await.unwrap();
    assert!(!page.more);
    let revisions = page.records.iter().map(|r| (r.id, r.revision)).collect();
    (revisions, page.cursor)
}

/// Changes every record of `ids` on `device`, with texts of `round` (and `round` in the time).
pub fn change_all(device: &mut Device, ids: &[RecordId], round: u64) {
    for (n, id) in ids.iter().enumerate() {
        device.change(*id, note(&format!("round {round} note {n}")), 1_000 + round);
    }
}
