//! First sync of 3,000 credentials to a new device, through a real server on SQLite over
//! loopback HTTP: time (median, p95) and bytes of the answers' bodies (the binary pages the
//! devices ask for, and the JSON the same pages would be, counted outside the timed runs);
//! baseline: the same pulls without the client's checks, opening and merging. And the same
//! first sync into a new vault file (`credwell_admin::sync::sync_vault`, writing every
//! credential).
//!
//! `cargo bench -p credwell-sync-server --bench first_sync`

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use credwell_admin::sync::{Item, SyncAccount, sync_vault};
use credwell_sync::AccountKey;
use credwell_sync::client::http::HttpTransport;
use credwell_sync::client::{Client, State, Transport};
use credwell_sync::protocol::{MAX_PULL_RECORDS, page};
use credwell_sync_server::storage::sqlite::SqliteStorage;
use credwell_sync_server::{Notices, Storage};
use credwell_vault::{KdfParams, Vault};
use zeroize::Zeroizing;

const CREDENTIALS: usize = 3_000;
const RUNS: usize = 15;

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
    let (mut binary_bytes, mut json_bytes) = (0, 0);
    for run in 0..RUNS {
        let added = writer.transport().add_device(&format!("new{run}")).unwrap();
        // Baseline: the pulls alone.
        let mut raw = HttpTransport::new(&base, added.token.clone()).unwrap();
        let started = Instant::now();
        let mut since = 0;
        let mut pages = Vec::new();
        loop {
            let page = raw.pull(since, MAX_PULL_RECORDS).unwrap();
            since = page.cursor;
            let more = page.more;
            pages.push(page);
            if !more {
                break;
            }
        }
        baseline.push(started.elapsed());
        // The bytes of the answers' bodies, out of the timing: the binary pages as the server
        // sends them, and the same pages as JSON, for comparison.
        binary_bytes = pages.iter().map(|p| page::encode(p).unwrap().len()).sum();
        json_bytes = pages
            .iter()
            .map(|p| serde_json::to_vec(p).unwrap().len())
            .sum();
        drop(pages);
        // The client: pulls, checks, opens, merges.
        let transport = HttpTransport::new(&base, added.token.clone()).unwrap();
        let key_copy = AccountKey::from_bytes(&key);
        let mut client: Client<Item, _> = Client::new(
            added.account,
            added.device,
            key_copy,
            transport,
            State::default(),
        );
        let started = Instant::now();
        let report = client.sync().unwrap();
        client_times.push(started.elapsed());
        assert_eq!(report.received.len(), CREDENTIALS);
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
        "answers' bodies: {binary_bytes} bytes binary ({:.2} MB), {json_bytes} as JSON \
         ({:.2}x); client / baseline {:.2}x, vault / baseline {:.2}x",
        binary_bytes as f64 / 1e6,
        binary_bytes as f64 / json_bytes as f64,
        client_median.as_secs_f64() / base_median.as_secs_f64(),
        vault_median.as_secs_f64() / base_median.as_secs_f64()
    );
}
