//! First sync of 3,000 credentials to a new device, through a real server on SQLite over
//! loopback HTTP: time (median, p95) and bytes of the answers' JSON bodies; baseline: the same
//! pulls without the client's checks, opening and merging. And the same first sync into a new
//! vault file (`credwell_admin::sync::sync_vault`, writing every credential).
//!
//! `cargo bench -p credwell-sync-server --bench first_sync`

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use credwell_admin::sync::{Item, SyncAccount, sync_vault};
use credwell_sync::AccountKey;
use credwell_sync::client::http::HttpTransport;
use credwell_sync::client::{Client, Pushed, State, Transport, TransportError};
use credwell_sync::protocol::{MAX_PULL_RECORDS, PullReply, PushRequest};
use credwell_sync_server::storage::sqlite::SqliteStorage;
use credwell_sync_server::{Notices, Storage};
use credwell_vault::{KdfParams, Vault};
use zeroize::Zeroizing;

const CREDENTIALS: usize = 3_000;
const RUNS: usize = 15;

/// Counts the bytes of the JSON bodies the server answered with.
struct Counting {
    inner: HttpTransport,
    bytes: usize,
}

impl Transport for Counting {
    fn pull(&mut self, since: u64, limit: u32) -> Result<PullReply, TransportError> {
        let reply = self.inner.pull(since, limit)?;
        self.bytes += serde_json::to_vec(&reply).unwrap().len();
        Ok(reply)
    }

    fn push(&mut self, request: &PushRequest) -> Result<Pushed, TransportError> {
        self.inner.push(request)
    }

    fn pull_ahead(&mut self, since: u64, limit: u32) {
        self.inner.pull_ahead(since, limit);
    }
}

fn stats(name: &str, times: Vec<Duration>) -> Duration {
    let runs = times.len();
    let [median, p95, _] = common::percentiles(times);
    println!("{name}: median {median:.1?}, p95 {p95:.1?} ({runs} runs)");
    median
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let storage: Arc<dyn Storage> =
        Arc::new(SqliteStorage::open(&dir.path().join("sync.sqlite")).unwrap());
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(credwell_sync_server::serve(
        listener,
        storage,
        Notices::new(),
    ));

    let (_, key) = AccountKey::generate().unwrap();
    let first = HttpTransport::create_account(&base, "bench").unwrap();
    let transport = HttpTransport::new(&base, first.token.clone()).unwrap();
    let mut writer = Client::new(
        first.account,
        first.device,
        AccountKey::from_bytes(&key),
        transport,
        State::default(),
    );
    for n in 0..CREDENTIALS {
        let item = common::numbered(n, &format!("pw-{n}-Xk29!aQ7_rT5"));
        let (kind, natural) = item.natural_key();
        let id = writer.record_id(kind, &natural);
        writer.change(id, Some(item), 1_000 + n as u64);
    }
    let started = Instant::now();
    writer.sync().unwrap();
    println!(
        "first push of {CREDENTIALS} credentials: {:.1?}",
        started.elapsed()
    );

    let mut baseline = Vec::new();
    let mut client_times = Vec::new();
    let mut vault_times = Vec::new();
    let mut bytes = 0;
    for run in 0..RUNS {
        let added = writer.transport().add_device(&format!("new{run}")).unwrap();
        // Baseline: the pulls alone.
        let mut raw = HttpTransport::new(&base, added.token.clone()).unwrap();
        let started = Instant::now();
        let mut since = 0;
        loop {
            let page = raw.pull(since, MAX_PULL_RECORDS).unwrap();
            since = page.cursor;
            if !page.more {
                break;
            }
        }
        baseline.push(started.elapsed());
        // The client: pulls, checks, opens, merges.
        let counting = Counting {
            inner: HttpTransport::new(&base, added.token.clone()).unwrap(),
            bytes: 0,
        };
        let key_copy = AccountKey::from_bytes(&key);
        let mut client: Client<Item, _> = Client::new(
            added.account,
            added.device,
            key_copy,
            counting,
            State::default(),
        );
        let started = Instant::now();
        let report = client.sync().unwrap();
        client_times.push(started.elapsed());
        assert_eq!(report.received.len(), CREDENTIALS);
        bytes = client.transport().bytes;
        // Into a new vault: the sync and writing every credential.
        let path = dir.path().join(format!("vault{run}.sqlite"));
        let vault = Vault::create(&path, b"bench", KdfParams::INSECURE_FOR_TESTS).unwrap();
        let joined = writer
            .transport()
            .add_device(&format!("vault{run}"))
            .unwrap();
        let account = SyncAccount {
            server: base.clone(),
            account: joined.account,
            device: joined.device,
            token: joined.token,
            key: Zeroizing::new(key.to_vec()),
            ca: None,
        };
        account.save(&vault, 1).unwrap();
        let transport = HttpTransport::new(&base, account.token.clone()).unwrap();
        let mut client = account.client(&vault, transport).unwrap();
        let started = Instant::now();
        sync_vault(&vault, &mut client, 2).unwrap();
        vault_times.push(started.elapsed());
        assert_eq!(vault.all().unwrap().len(), CREDENTIALS);
    }
    let base_median = stats("baseline: the pulls alone", baseline);
    let client_median = stats("client first sync (pull, check, open)", client_times);
    let vault_median = stats("first sync into a new vault (sync_vault)", vault_times);
    println!(
        "answers' JSON bodies: {bytes} bytes ({:.2} MB); client / baseline {:.2}x, vault / \
         baseline {:.2}x",
        bytes as f64 / 1e6,
        client_median.as_secs_f64() / base_median.as_secs_f64(),
        vault_median.as_secs_f64() / base_median.as_secs_f64()
    );
}
