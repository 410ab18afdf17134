//! `get()` against an in-memory store of 1,000,000 credentials across 250,000 origins.
//!
//! Origin `i` holds `1 + i % 7` password credentials (4 on average), four origins share each
//! registrable domain, so the chooser path also gathers sibling-subdomain offers. Measured:
//! - `silent_auto_sign_in`: `get({password: true, mediation: "silent"})` on an origin holding
//!   exactly one credential whose flag is cleared (the auto sign-in path);
//! - `optional_chooser_1_to_3`: `get({password: true})` on origins holding 1 to 3 credentials,
//!   with auto sign-in off so that every call shows the chooser (which also gathers the
//!   sibling-subdomain offers) and a chooser that picks the first account at once;
//! - `baseline_store_list`: the store lookup alone, the floor the engine adds to.
//!
//! Besides criterion's statistics, `cargo bench` prints the median, p95 and p99 of 200,000
//! individually timed calls of each, and their ratio to the baseline measured in the same run.

// A benchmark reports on stdout.
#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use credwell_core::{
    Caller, ChooserOutcome, ChooserRequest, ClientId, Credential, CredentialRequestOptions,
    CredentialStore, CredentialType, Engine, EngineConfig, ManualClock, Mediator, MemoryStore,
    Origin, OriginFlags, Password, PasswordCredential, RequestId, SaveDecision, StorePrompt,
    UpdateDecision,
};
use criterion::Criterion;
use futures::executor::block_on;

const ORIGINS: usize = 250_000;
const CREDENTIALS: usize = 1_000_000;

/// A chooser that picks the first account immediately.
struct FirstAccount;

impl Mediator for FirstAccount {
    async fn choose(&self, _request: ChooserRequest) -> ChooserOutcome {
        ChooserOutcome::Chosen(0)
    }
    async fn confirm_save(&self, _prompt: StorePrompt) -> SaveDecision {
        SaveDecision::Save
    }
    async fn confirm_update(&self, _prompt: StorePrompt) -> UpdateDecision {
        UpdateDecision::Update
    }
}

fn origin(i: usize) -> Origin {
    Origin::parse(&format!("https://app{}.site{}.example", i % 4, i / 4)).expect("valid origin")
}

fn credentials_at(i: usize) -> usize {
    // 1 + i % 7 over 250,000 origins gives 999,995; origin 6 takes the last five.
    if i == 6 { 12 } else { 1 + i % 7 }
}

struct Fixture {
    engine: Engine<MemoryStore, FirstAccount, ManualClock>,
    /// Auto sign-in off: every `optional` call takes the chooser path.
    chooser_engine: Engine<MemoryStore, FirstAccount, ManualClock>,
    store: MemoryStore,
    /// Origins with exactly one credential, flag cleared.
    single: Vec<Origin>,
    /// Origins with one to three credentials, flag set.
    few: Vec<Origin>,
}

fn fixture() -> Fixture {
    let store = MemoryStore::new();
    let mut total = 0;
    let mut single = Vec::new();
    let mut few = Vec::new();
    for i in 0..ORIGINS {
        let o = origin(i);
        for n in 0..credentials_at(i) {
            store.insert(
                Credential::Password(PasswordCredential {
                    id: format!("user{n}@site{i}"),
                    password: Password::new(format!("pw-{i}-{n}")),
                    name: format!("User {n}"),
                    icon_url: String::new(),
                    origin: o.clone(),
                }),
                0,
            );
            total += 1;
        }
        match credentials_at(i) {
            1 if single.len() < 10_000 => single.push(o),
            2 | 3 if few.len() < 10_000 => few.push(o),
            _ => {}
        }
    }
    assert_eq!(total, CREDENTIALS);
    for o in &single {
        let flags = OriginFlags {
            prevent_silent_access: false,
            never_save: false,
        };
        block_on(store.set_origin_flags(o, flags)).expect("memory store");
    }
    let engine = Engine::new(store.clone(), FirstAccount, ManualClock::new(0));
    let config = EngineConfig {
        auto_sign_in: false,
        ..EngineConfig::default()
    };
    let chooser_engine =
        Engine::with_config(store.clone(), FirstAccount, ManualClock::new(0), config);
    Fixture {
        engine,
        chooser_engine,
        store,
        single,
        few,
    }
}

fn silent(f: &Fixture, options: &CredentialRequestOptions, i: usize) -> Option<Credential> {
    let caller = Caller::new(
        f.single[i % f.single.len()].clone(),
        ClientId(1),
        RequestId(i as u64),
    );
    block_on(f.engine.request_credential(&caller, options, None)).expect("get")
}

fn optional(f: &Fixture, options: &CredentialRequestOptions, i: usize) -> Option<Credential> {
    let o = &f.few[i % f.few.len()];
    let caller = Caller::new(o.clone(), ClientId(1), RequestId(i as u64));
    block_on(f.chooser_engine.request_credential(&caller, options, None)).expect("get")
}

fn baseline(f: &Fixture, i: usize) -> usize {
    let o = &f.few[i % f.few.len()];
    block_on(f.store.list(o, CredentialType::Password))
        .expect("memory store")
        .len()
}

fn options(json: serde_json::Value) -> CredentialRequestOptions {
    CredentialRequestOptions::from_json(&json).expect("valid options")
}

fn bench_get(c: &mut Criterion, f: &Fixture) {
    let silent_options = options(serde_json::json!({"password": true, "mediation": "silent"}));
    let optional_options = options(serde_json::json!({"password": true}));
    let mut group = c.benchmark_group("get_1m_credentials");
    let mut i = 0;
    group.bench_function("baseline_store_list", |b| {
        b.iter(|| {
            i += 1;
            black_box(baseline(f, i))
        })
    });
    group.bench_function("silent_auto_sign_in", |b| {
        b.iter(|| {
            i += 1;
            black_box(silent(f, &silent_options, i))
        })
    });
    group.bench_function("optional_chooser_1_to_3", |b| {
        b.iter(|| {
            i += 1;
            black_box(optional(f, &optional_options, i))
        })
    });
    group.finish();
}

/// Times `n` calls one by one and returns (median, p95, p99).
fn percentiles(n: usize, mut call: impl FnMut(usize)) -> (Duration, Duration, Duration) {
    let mut samples: Vec<Duration> = (0..n)
        .map(|i| {
            let start = Instant::now();
            call(i);
            start.elapsed()
        })
        .collect();
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    (at(0.50), at(0.95), at(0.99))
}

fn report_percentiles(f: &Fixture, n: usize) {
    let silent_options = options(serde_json::json!({"password": true, "mediation": "silent"}));
    let optional_options = options(serde_json::json!({"password": true}));
    let base = percentiles(n, |i| {
        black_box(baseline(f, i));
    });
    let rows = [
        ("baseline_store_list", base),
        (
            "silent_auto_sign_in",
            percentiles(n, |i| {
                assert!(silent(f, &silent_options, i).is_some());
            }),
        ),
        (
            "optional_chooser_1_to_3",
            percentiles(n, |i| {
                assert!(optional(f, &optional_options, i).is_some());
            }),
        ),
    ];
    println!("\nper-call latency over {n} calls (1,000,000 credentials, 250,000 origins)");
    println!(
        "{:<26} {:>10} {:>10} {:>10} {:>14}",
        "case", "median", "p95", "p99", "p99/baseline"
    );
    for (name, (p50, p95, p99)) in rows {
        println!(
            "{name:<26} {:>8.2}µs {:>8.2}µs {:>8.2}µs {:>13.1}x",
            p50.as_secs_f64() * 1e6,
            p95.as_secs_f64() * 1e6,
            p99.as_secs_f64() * 1e6,
            p99.as_secs_f64() / base.2.as_secs_f64().max(1e-9),
        );
    }
}

fn main() {
    let start = Instant::now();
    let f = fixture();
    eprintln!(
        "fixture: {CREDENTIALS} credentials in {:?}",
        start.elapsed()
    );
    // `cargo bench` passes --bench; `cargo test --benches` does not, and gets a quick smoke run.
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let mut criterion = Criterion::default().configure_from_args();
    if benchmarking {
        criterion = criterion.measurement_time(Duration::from_secs(5));
    }
    // CREDWELL_BENCH_PERCENTILES_ONLY=1 skips criterion's runs (quicker iterations).
    if std::env::var_os("CREDWELL_BENCH_PERCENTILES_ONLY").is_none() {
        bench_get(&mut criterion, &f);
        criterion.final_summary();
    }
    report_percentiles(&f, if benchmarking { 200_000 } else { 1_000 });
}
