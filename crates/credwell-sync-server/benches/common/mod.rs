//! What the sync server's benches share: the credentials they sync and the percentiles they
//! print. Each bench includes it with `mod common;`.

// Not every bench uses every item, and the benches are not a library.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::time::Duration;

use credwell_admin::sync::{Item, Secret};

/// A password credential for `origin` and the user name `user`, shown as `name`.
pub fn credential(origin: &str, user: &str, name: &str, password: &str) -> Item {
    let json = serde_json::json!({
        "k": "password",
        "origin": origin,
        "id": user,
        "password": "",
        "name": name,
        "icon": "",
        "history": [],
    });
    let mut item: Item = serde_json::from_value(json).unwrap();
    // The password goes in through `Secret`, not through the JSON, as the vault's own items do.
    if let Item::Password { password: p, .. } = &mut item {
        *p = Secret::new(password);
    }
    item
}

/// Credential number `n` of a bench account: its own origin and user name, so that every `n`
/// is a record of its own.
pub fn numbered(n: usize, password: &str) -> Item {
    credential(
        &format!("https://site{n}.example.com"),
        &format!("user{n}@mail.example.com"),
        &format!("User {n}"),
        password,
    )
}

/// The `q`th percentile of `sorted` (nearest rank).
pub fn percentile(sorted: &[Duration], q: usize) -> Duration {
    sorted[(sorted.len() * q).div_ceil(100).max(1) - 1]
}

/// Median, p95 and p99 of `times`.
pub fn percentiles(mut times: Vec<Duration>) -> [Duration; 3] {
    times.sort();
    [
        times[times.len() / 2],
        percentile(&times, 95),
        percentile(&times, 99),
    ]
}
