//! What one OPAQUE sign-in costs with the release parameters (Argon2id 64 MiB, 3 passes, 1
//! lane): registration and login, each side timed, the median of a few runs.
//!
//!   cargo bench -p credwell-sync --bench opaque_login

#![allow(missing_docs, clippy::unwrap_used, clippy::print_stdout)]

use std::time::{Duration, Instant};

use credwell_sync::AccountId;
use credwell_sync::opaque::{
    KsfParams, Login, Registration, ServerKeys, server_login_finish, server_record,
};

const RUNS: usize = 5;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let server = ServerKeys::generate();
    let account = AccountId([1; 16]);
    let passphrase = b"correct horse battery staple";
    let ksf = KsfParams::DEFAULT;
    let (mut register, mut client, mut serving) = (Vec::new(), Vec::new(), Vec::new());
    let mut record = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        let (registration, request) = Registration::start(passphrase, ksf).unwrap();
        let response = server.registration_response(account, &request).unwrap();
        let (upload, _) = registration.finish(passphrase, account, &response).unwrap();
        record = server_record(&upload).unwrap();
        register.push(start.elapsed());
    }
    for _ in 0..RUNS {
        let start = Instant::now();
        let (login, request) = Login::start(passphrase, ksf).unwrap();
        let server_start = Instant::now();
        let (state, response) = server
            .login_start(account, Some(&record), &request)
            .unwrap();
        let mut server_time = server_start.elapsed();
        let (finalization, _) = login.finish(passphrase, account, &response).unwrap();
        let server_finish = Instant::now();
        server_login_finish(account, &state, &finalization).unwrap();
        server_time += server_finish.elapsed();
        client.push(start.elapsed() - server_time);
        serving.push(server_time);
    }
    println!(
        "OPAQUE (ristretto255, Argon2id {} MiB t={} p={}), median of {RUNS}: registration {:?}; \
         login: device {:?}, server {:?}",
        ksf.m_cost_kib / 1024,
        ksf.t_cost,
        ksf.p_cost,
        median(register),
        median(client),
        median(serving)
    );
}
