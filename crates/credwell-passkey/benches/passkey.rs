//! The passkey authenticator against the bare cost of its cryptography.
//!
//! Measured, for ES256 and EdDSA, through `credwell_core::Authenticator` with an in-memory store
//! and a UI that answers at once:
//! - `make_credential` with `none` attestation (the default) and with `packed` self attestation
//!   (each timed call also deletes the new passkey again, a hash-map removal, so that the store
//!   keeps its size);
//! - `get_assertion` with an empty allow list, on an RP holding one passkey among 1,000 passkeys
//!   of other RPs;
//! - `bare_keygen_sign`: one key generation plus one signature over a message of the size of
//!   `authenticatorData || clientDataHash`, with the same backend (passkey-crypto's RustCrypto
//!   backend), the floor the authenticator adds to;
//! - for `get_assertion` also `bare_sign`: one signature with a stored key read back through
//!   passkey-crypto (`from_cose_key` + `sign`), what signing an assertion costs without
//!   credwell's scalar-only ES256 path (which skips deriving the unused public key).
//!
//! Besides criterion's statistics, `cargo bench` prints the median, p95 and p99 of 20,000
//! individually timed calls of each case and of the baseline, timed alternately (one baseline
//! call, one case call) so that load from other processes hits both alike, and their ratios.

// A benchmark reports on stdout.
#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use credwell_core::{
    Authenticator, GetAssertionRequest, MakeCredentialRequest, Origin, RpId, SystemClock,
};
use credwell_passkey::{
    AccountSummary, CreatePrompt, MemoryPasskeyStore, PasskeyAuthenticator, PasskeyStore,
    PasskeyUi, VerifyPrompt,
};
use criterion::Criterion;
use futures::executor::block_on;
use passkey_crypto::coset::iana;
use passkey_crypto::rust_crypto::{RustCryptoBackend, RustCryptoSecretKey};
use passkey_crypto::{CryptoBackend, SecretKeyT};

/// A UI that approves, picks the first account and verifies, at once, recording nothing.
struct InstantUi;

impl PasskeyUi for InstantUi {
    fn can_verify_user(&self) -> bool {
        true
    }
    async fn confirm_create(&self, _prompt: CreatePrompt) -> bool {
        true
    }
    async fn choose_account(
        &self,
        _rp_id: String,
        _accounts: Vec<AccountSummary>,
    ) -> Option<usize> {
        Some(0)
    }
    async fn verify_user(&self, _prompt: VerifyPrompt) -> bool {
        true
    }
}

type Bench = PasskeyAuthenticator<MemoryPasskeyStore, InstantUi, SystemClock>;

fn rp_id(host: &str) -> RpId {
    RpId::for_origin(
        &Origin::parse(&format!("https://{host}")).expect("valid origin"),
        None,
    )
    .expect("valid RP ID")
}

fn make_request(alg: i64, format: &str) -> MakeCredentialRequest {
    MakeCredentialRequest {
        client_data_hash: [7; 32],
        rp_id: rp_id("bench.example"),
        rp_name: "Bench".into(),
        user_id: b"new-user".to_vec(),
        user_name: "new@bench.example".into(),
        user_display_name: "New".into(),
        require_resident_key: true,
        require_user_presence: true,
        require_user_verification: true,
        algorithms: vec![alg],
        exclude_credentials: Vec::new(),
        enterprise_attestation_possible: false,
        attestation_formats: vec![format.into()],
        extensions: serde_json::Map::new(),
    }
}

fn get_request(host: &str) -> GetAssertionRequest {
    GetAssertionRequest {
        rp_id: rp_id(host),
        client_data_hash: [9; 32],
        allow_credentials: Vec::new(),
        require_user_verification: true,
        extensions: serde_json::Map::new(),
        conditional: false,
        user_selected: false,
    }
}

/// An authenticator holding one passkey of `alg` on each of 1,000 RPs.
fn fixture(alg: i64) -> Bench {
    let authenticator = PasskeyAuthenticator::new(MemoryPasskeyStore::new(), InstantUi);
    for i in 0..1000 {
        let mut request = make_request(alg, "none");
        request.rp_id = rp_id(&format!("rp{i}.example"));
        block_on(authenticator.make_credential(request)).expect("make_credential");
    }
    authenticator
}

/// One make_credential; the new passkey is deleted again so that the store keeps its size.
fn make(a: &Bench, alg: i64, format: &str) {
    let made = block_on(a.make_credential(make_request(alg, format))).expect("make_credential");
    black_box(&made);
    block_on(a.store().delete(&made.credential_id)).expect("memory store");
}

fn get(a: &Bench, i: usize) {
    let assertion =
        block_on(a.get_assertion(get_request(&format!("rp{}.example", i % 1000)))).expect("get");
    black_box(assertion);
}

/// Key generation and one signature over 37 + 32 bytes with passkey-crypto's RustCrypto backend.
fn bare(alg: iana::Algorithm) {
    let mut key = RustCryptoBackend.generate_key(alg).expect("keygen");
    black_box(key.sign(black_box(&[5u8; 69])));
}

/// One signature with a stored key read back through passkey-crypto (`from_cose_key`, which for
/// ES256 also derives the public key), as a plain getAssertion over passkey-rs would sign.
fn bare_sign(stored: &passkey_crypto::coset::CoseKey) {
    let mut key = RustCryptoSecretKey::from_cose_key(stored).expect("stored key");
    black_box(key.sign(black_box(&[5u8; 69])));
}

fn iana(alg: i64) -> iana::Algorithm {
    if alg == -7 {
        iana::Algorithm::ES256
    } else {
        iana::Algorithm::EdDSA
    }
}

fn bench(c: &mut Criterion, alg: i64, name: &str, a: &Bench) {
    let mut group = c.benchmark_group(format!("passkey_{name}"));
    group.bench_function("bare_keygen_sign", |b| b.iter(|| bare(iana(alg))));
    group.bench_function("make_credential_none", |b| b.iter(|| make(a, alg, "none")));
    group.bench_function("make_credential_packed", |b| {
        b.iter(|| make(a, alg, "packed"))
    });
    let mut i = 0;
    group.bench_function("get_assertion", |b| {
        b.iter(|| {
            i += 1;
            get(a, i)
        })
    });
    group.finish();
}

type Percentiles = (Duration, Duration, Duration);

/// Times `n` calls of `baseline` and of `case`, alternately; (median, p95, p99) of each.
fn alternate(
    n: usize,
    baseline: impl Fn(usize),
    case: impl Fn(usize),
) -> (Percentiles, Percentiles) {
    let mut base = Vec::with_capacity(n);
    let mut measured = Vec::with_capacity(n);
    for i in 0..n {
        let start = Instant::now();
        baseline(i);
        base.push(start.elapsed());
        let start = Instant::now();
        case(i);
        measured.push(start.elapsed());
    }
    (percentiles(base), percentiles(measured))
}

fn percentiles(mut samples: Vec<Duration>) -> Percentiles {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    (at(0.50), at(0.95), at(0.99))
}

fn report(n: usize, alg: i64, name: &str, a: &Bench) {
    let base = |_| bare(iana(alg));
    let rows = [
        (
            "make_credential (none)",
            alternate(n, base, |_| make(a, alg, "none")),
        ),
        (
            "make_credential (packed)",
            alternate(n, base, |_| make(a, alg, "packed")),
        ),
        ("get_assertion", alternate(n, base, |i| get(a, i))),
    ];
    let stored = RustCryptoBackend
        .generate_key(iana(alg))
        .expect("keygen")
        .to_cose_key();
    let against_sign = alternate(n, |_| bare_sign(&stored), |i| get(a, i));
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!("\n{name}: per-call latency over {n} calls each, alternating with the baseline");
    println!(
        "{:<26} {:>10} {:>10} {:>10} {:>22}",
        "case", "median", "p95", "p99", "ratio p50 / p95 / p99"
    );
    let rows = rows
        .into_iter()
        .map(|(case, timings)| ("  bare keygen + sign", case, timings))
        .chain([("  bare sign (stored key)", "get_assertion", against_sign)]);
    for (baseline, case, ((b50, b95, b99), (p50, p95, p99))) in rows {
        println!(
            "{baseline:<26} {:>8.1}µs {:>8.1}µs {:>8.1}µs",
            us(b50),
            us(b95),
            us(b99)
        );
        println!(
            "{case:<26} {:>8.1}µs {:>8.1}µs {:>8.1}µs {:>8.2}x {:.2}x {:.2}x",
            us(p50),
            us(p95),
            us(p99),
            us(p50) / us(b50),
            us(p95) / us(b95),
            us(p99) / us(b99),
        );
    }
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` does not, and gets a quick smoke run.
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let mut criterion = Criterion::default().configure_from_args();
    if benchmarking {
        criterion = criterion.measurement_time(Duration::from_secs(5));
    }
    let n = if benchmarking { 20_000 } else { 50 };
    for (alg, name) in [(-7, "es256"), (-8, "eddsa")] {
        let a = fixture(alg);
        // CREDWELL_BENCH_PERCENTILES_ONLY=1 skips criterion's runs.
        if std::env::var_os("CREDWELL_BENCH_PERCENTILES_ONLY").is_none() {
            bench(&mut criterion, alg, name, &a);
        }
        report(n, alg, name, &a);
    }
    criterion.final_summary();
}
