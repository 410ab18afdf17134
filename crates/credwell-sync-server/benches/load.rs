//! Load: 1,000 simulated devices (250 accounts of 4) in this one process, each pushing one
//! record and pulling what changed since its cursor, round after round, at most 64 requests in
//! flight, against a server process on loopback (the crate's `sync-server-process`, so that its
//! memory is its own): on SQLite; on PostgreSQL; and with two server processes on one
//! PostgreSQL database (devices alternate between them) when `CREDWELL_TEST_POSTGRES` names a
//! cluster (`scripts/with-postgres.sh`). Prints requests per second, p50 and p99 of pushes and
//! of pulls, and each server process's resident memory (VmRSS) and its peak (VmHWM) at the end.
//!
//! `scripts/with-postgres.sh cargo bench -p credwell-sync-server --bench load`
//! (`cargo test --benches` runs it with 40 devices and one round).

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

mod common;
// The server process the fault tests start and kill: one starter for both, so that the bench
// waits for the same "listening on" line and drains the same pipe.
#[path = "../tests/common/child.rs"]
#[allow(dead_code, unreachable_pub)]
mod child;

use std::sync::Arc;
use std::time::{Duration, Instant};

use child::ServerProcess;
use credwell_sync::protocol::{AddDevice, Bytes, PullReply, PushRecord, PushReply, PushRequest};
use credwell_sync::{DeviceId, DeviceToken, RecordId};
use serde_json::Value;
use tokio::sync::Semaphore;

/// Devices per account.
const PER_ACCOUNT: usize = 4;
/// Requests in flight at most.
const IN_FLIGHT: usize = 64;
/// Bytes of each sealed record (a credential's envelope is about this size).
const SEALED: usize = 600;

/// VmRSS and VmHWM of `server` in MiB (Linux).
fn memory(server: &ServerProcess) -> (f64, f64) {
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", server.id())).unwrap_or_default();
    let field = |name: &str| {
        (status.lines())
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .map_or(f64::NAN, |kib| kib / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// One simulated device: its server, token, record, and what it has seen.
struct Device {
    base: String,
    token: String,
    record: RecordId,
    revision: u64,
    cursor: u64,
}

/// Creates `devices` devices (accounts of [`PER_ACCOUNT`]), device `n` on `bases[n % len]`.
async fn enroll(http: &reqwest::Client, bases: &[String], devices: usize) -> Vec<Device> {
    let mut all = Vec::with_capacity(devices);
    for a in 0..devices.div_ceil(PER_ACCOUNT) {
        let base = &bases[0];
        let created: Value = (http.post(format!("{base}/v1/accounts")))
            .json(&serde_json::json!({"device_name": format!("d{a}-0")}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = created["token"].as_str().unwrap().to_owned();
        let account = DeviceToken::parse(&token).unwrap().account;
        let mut tokens = vec![token.clone()];
        for d in 1..PER_ACCOUNT {
            let device = DeviceId::random().unwrap();
            let new = DeviceToken::generate(account, device).unwrap();
            let body = AddDevice {
                device_name: format!("d{a}-{d}"),
                device,
                token_hash: Bytes(new.hash().0.to_vec()),
            };
            let reply = (http.post(format!("{base}/v1/devices")))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert!(reply.status().is_success());
            tokens.push(new.to_text().to_string());
        }
        for token in tokens {
            let n = all.len();
            let mut record = [0; 16];
            record[..8].copy_from_slice(&(n as u64).to_le_bytes());
            all.push(Device {
                base: bases[n % bases.len()].clone(),
                token,
                record: RecordId(record),
                revision: 0,
                cursor: 0,
            });
        }
    }
    all.truncate(devices);
    all
}

/// One round of one device: push its record, then pull since its cursor (every page). The
/// latencies of the push and of each pull request.
async fn round(http: &reqwest::Client, device: &mut Device) -> (Duration, Vec<Duration>) {
    let push = PushRequest {
        records: vec![PushRecord {
            id: device.record,
            base: device.revision,
            deleted: false,
            sealed: Bytes(vec![7; SEALED]),
        }],
    };
    let started = Instant::now();
    let reply = (http.post(format!("{}/v1/records", device.base)))
        .bearer_auth(&device.token)
        .json(&push)
        .send()
        .await
        .unwrap();
    assert!(reply.status().is_success(), "{}", reply.status());
    let pushed: PushReply = reply.json().await.unwrap();
    let push_time = started.elapsed();
    device.revision = pushed.revisions[0];
    let mut pulls = Vec::new();
    loop {
        let started = Instant::now();
        let url = format!("{}/v1/records?since={}", device.base, device.cursor);
        let page: PullReply = (http.get(url).bearer_auth(&device.token).send().await)
            .unwrap()
            .json()
            .await
            .unwrap();
        pulls.push(started.elapsed());
        device.cursor = page.cursor;
        if !page.more {
            break;
        }
    }
    (push_time, pulls)
}

/// Runs `rounds` rounds of every device against `servers`; prints the figures.
fn measure(setup: &str, servers: &[ServerProcess], devices: usize, rounds: usize) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let bases: Vec<String> = (servers.iter())
        .map(|s| format!("http://{}", s.address))
        .collect();
    runtime.block_on(async {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(IN_FLIGHT)
            .build()
            .unwrap();
        let enrolled = Instant::now();
        let all = enroll(&http, &bases, devices).await;
        let enrolled = enrolled.elapsed();
        let limit = Arc::new(Semaphore::new(IN_FLIGHT));
        let started = Instant::now();
        let mut tasks = Vec::new();
        for mut device in all {
            let (http, limit) = (http.clone(), limit.clone());
            tasks.push(tokio::spawn(async move {
                let mut times = Vec::new();
                for _ in 0..rounds {
                    // One request in flight per permit: the push and the pulls of a round.
                    let _permit = limit.acquire().await.unwrap();
                    times.push(round(&http, &mut device).await);
                }
                times
            }));
        }
        let (mut pushes, mut pulls) = (Vec::new(), Vec::new());
        for task in tasks {
            for (push, pull) in task.await.unwrap() {
                pushes.push(push);
                pulls.extend(pull);
            }
        }
        let elapsed = started.elapsed();
        pushes.sort();
        pulls.sort();
        let requests = pushes.len() + pulls.len();
        let memory: Vec<String> = (servers.iter())
            .map(|s| {
                let (rss, peak) = memory(s);
                format!("{rss:.0} MiB (peak {peak:.0})")
            })
            .collect();
        println!(
            "{setup}: {devices} devices x {rounds} rounds, {IN_FLIGHT} in flight: {requests} \
             requests in {elapsed:.1?} = {:.0} requests/s; push p50 {:.1?} p99 {:.1?}; pull p50 \
             {:.1?} p99 {:.1?}; server RSS {} (enrolling took {enrolled:.1?})",
            requests as f64 / elapsed.as_secs_f64(),
            common::percentile(&pushes, 50),
            common::percentile(&pushes, 99),
            common::percentile(&pulls, 50),
            common::percentile(&pulls, 99),
            memory.join(", "),
        );
    });
}

/// A new database `bench_load_<what>_<pid>` in the cluster at `cluster`; its URL.
fn fresh_database(cluster: &str, what: &str) -> String {
    let name = format!("bench_load_{what}_{}", std::process::id());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(cluster, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(connection);
        // One statement each: DROP DATABASE refuses a multi-statement batch (a transaction).
        let drop = format!("DROP DATABASE IF EXISTS {name}");
        client.batch_execute(&drop).await.unwrap();
        let create = format!("CREATE DATABASE {name}");
        client.batch_execute(&create).await.unwrap();
    });
    let (prefix, _) = cluster.rsplit_once('/').unwrap();
    format!("{prefix}/{name}")
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` does not: a small run only.
    let (devices, rounds) = if std::env::args().any(|a| a == "--bench") {
        (1_000, 5)
    } else {
        (40, 1)
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = dir.path().join("sync.sqlite");
    let server = ServerProcess::start(sqlite.to_str().unwrap());
    measure("SQLite, one instance", &[server], devices, rounds);

    let Ok(cluster) = std::env::var("CREDWELL_TEST_POSTGRES") else {
        println!(
            "PostgreSQL: skipped (CREDWELL_TEST_POSTGRES is not set; scripts/with-postgres.sh sets it)"
        );
        return;
    };
    let one = ServerProcess::start(&fresh_database(&cluster, "one"));
    measure("PostgreSQL, one instance", &[one], devices, rounds);
    let url = fresh_database(&cluster, "two");
    let two = [ServerProcess::start(&url), ServerProcess::start(&url)];
    measure("PostgreSQL, two instances", &two, devices, rounds);
}
