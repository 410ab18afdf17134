//! The manager page's `vault.list` a page at a time, and the bounds on what pages store
//! (one reply over 1 MB used to make the manager fail for every record).

#![allow(clippy::unwrap_used)] // Test helpers: a failure should panic right there.

use std::collections::BTreeSet;

use credwell_core::{
    Credential, EngineConfig, Origin, Password, PasswordCredential, StoreConsent, Timestamp,
};
use credwell_host::bounds::{
    MAX_ICON_URL_BYTES, MAX_ID_BYTES, MAX_NAME_BYTES, MAX_PASSWORD_BYTES, MAX_PER_ORIGIN,
    MAX_PROVIDER_BYTES,
};
use credwell_host::protocol::{DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT};
use credwell_host::{HostConfig, MemoryVault, framing};
use serde_json::{Value, json};

mod common;
use common::{FileOpener, MemoryOpener, PASSPHRASE, Port};

/// A password credential saved for `origin` (as the vault held it, whatever its size).
fn saved(vault: &MemoryVault, origin: &str, id: &str) {
    vault.credentials().insert(
        Credential::Password(PasswordCredential {
            id: id.to_owned(),
            password: Password::new("pw".to_owned()),
            name: String::new(),
            icon_url: String::new(),
            origin: Origin::parse(origin).unwrap(),
        }),
        Timestamp::default(),
    );
}

struct Manager {
    port: Port,
    next_id: u64,
}

impl Manager {
    /// A host over `vault`, unlocked; `store()` saves without asking.
    async fn start(vault: &MemoryVault) -> Self {
        let config = HostConfig {
            idle_lock: None,
            engine: EngineConfig {
                store_consent: StoreConsent::Always,
                ..EngineConfig::default()
            },
            ..HostConfig::default()
        };
        let (port, _task) = Port::start(MemoryOpener(vault.clone()), config, 4 << 20);
        let mut m = Self { port, next_id: 1 };
        let r = m
            .call("vault.unlock", json!({"passphrase": PASSPHRASE}))
            .await;
        assert_eq!(r["result"]["locked"], false, "{r}");
        m
    }

    async fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let message = json!({"id": id, "method": method, "params": params});
        self.port.send(message).await;
        self.port.reply_to(id).await
    }

    /// Every page of `vault.list` with `params`: the entries, and the pages' sizes in bytes.
    async fn list_all(&mut self, params: Value) -> (Vec<Value>, Vec<usize>) {
        let mut params = params;
        let mut items = Vec::new();
        let mut sizes = Vec::new();
        loop {
            let r = self.call("vault.list", params.clone()).await;
            sizes.push(r.to_string().len());
            let page = &r["result"];
            items.extend(page["items"].as_array().unwrap().iter().cloned());
            match &page["next"] {
                Value::Null => return (items, sizes),
                Value::String(next) => params["cursor"] = json!(next),
                other => panic!("next: {other}"),
            }
        }
    }

    async fn store(&mut self, origin: &str, credential: Value) -> Value {
        let caller = json!({"origin": origin, "secureContext": true, "fullyActive": true,
                            "ancestors": [], "client": self.next_id});
        self.call(
            "credentials.store",
            json!({"caller": caller, "credential": credential}),
        )
        .await
    }
}

fn records(items: &[Value]) -> Vec<u64> {
    items
        .iter()
        .map(|i| i["record"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_vault_of_many_pages_is_listed_with_every_record_exactly_once() {
    let vault = MemoryVault::new();
    let total = 2_345;
    for i in 0..total {
        saved(
            &vault,
            &format!("https://site{}.example", i % 7),
            &format!("user{i}"),
        );
    }
    let mut m = Manager::start(&vault).await;
    // The default page size, and a small one.
    for (params, limit) in [
        (json!({}), DEFAULT_LIST_LIMIT),
        (json!({"limit": 100}), 100),
    ] {
        let (items, sizes) = m.list_all(params).await;
        assert!(sizes.len() > total / limit, "{} pages", sizes.len());
        let ids = records(&items);
        let unique: BTreeSet<u64> = ids.iter().copied().collect();
        assert_eq!(ids.len(), total, "every record once");
        assert_eq!(unique.len(), total, "no record twice");
    }
    // With a query: exactly the matching records, across pages.
    let (items, _) = m.list_all(json!({"query": "SITE3.", "limit": 50})).await;
    assert_eq!(items.len(), (0..total).filter(|i| i % 7 == 3).count());
    assert!(items.iter().all(|i| i["origin"] == "https://site3.example"));
    // Records deleted between pages do not make the others skip or repeat.
    let first = m.call("vault.list", json!({"limit": 10})).await["result"].clone();
    let deleted = m
        .call(
            "vault.delete",
            json!({"record": first["items"][0]["record"]}),
        )
        .await;
    assert_eq!(deleted["result"]["deleted"], true);
    let mut rest = first["items"].as_array().unwrap()[1..].to_vec();
    let (more, _) = m.list_all(json!({"cursor": first["next"]})).await;
    rest.extend(more);
    assert_eq!(records(&rest).len(), total - 1);
    assert_eq!(
        records(&rest).into_iter().collect::<BTreeSet<_>>().len(),
        total - 1
    );
}

#[tokio::test]
async fn oversized_records_saved_before_the_bounds_still_fit_in_pages_under_1_mb() {
    let vault = MemoryVault::new();
    // Six records with the largest strings the engine used to accept (64 KiB), of characters
    // that JSON escapes six times over: one list of them was far over 1 MB.
    let huge = "\u{1}".repeat(64 * 1024);
    for i in 0..6 {
        saved(&vault, "https://example.com", &format!("{i}{huge}"));
    }
    saved(&vault, "https://example.com", "alice");
    let mut m = Manager::start(&vault).await;
    let (items, sizes) = m.list_all(json!({"limit": MAX_LIST_LIMIT})).await;
    assert_eq!(items.len(), 7);
    assert!(
        sizes.iter().all(|&s| s < framing::MAX_OUTGOING),
        "{sizes:?}"
    );
    for item in &items[..6] {
        assert_eq!(item["truncated"], true);
        assert!(item["id"].as_str().unwrap().len() <= MAX_ID_BYTES);
    }
    assert_eq!(items[6]["id"], "alice");
    assert!(items[6].get("truncated").is_none());
}

#[tokio::test]
async fn bad_cursors_and_limits_are_protocol_errors() {
    let vault = MemoryVault::new();
    let mut m = Manager::start(&vault).await;
    for params in [
        json!({"cursor": "x1"}),
        json!({"cursor": "c-1"}),
        json!({"cursor": "p%%"}),
        json!({"cursor": 5}),
        json!({"limit": 0}),
        json!({"limit": MAX_LIST_LIMIT + 1}),
        json!({"limit": "10"}),
    ] {
        let r = m.call("vault.list", params.clone()).await;
        assert_eq!(r["error"]["code"], "bad-params", "{params}: {r}");
    }
}

/// A credential a page stores, with one field of `len` bytes.
fn with_field(field: &str, len: usize) -> (Value, &'static str) {
    let mut credential = json!({"type": "password", "id": "alice", "password": "pw"});
    match field {
        "id" | "name" | "password" => credential[field] = json!("a".repeat(len)),
        "iconURL" => {
            let prefix = "https://example.com/";
            credential[field] = json!(format!("{prefix}{}", "a".repeat(len - prefix.len())));
        }
        "provider" => {
            // A host of dot-separated labels: its origin is `len` bytes.
            let scheme = "https://";
            let mut host = String::new();
            while scheme.len() + host.len() < len {
                let label = (len - scheme.len() - host.len()).min(60);
                host.push_str(&"a".repeat(label));
                if scheme.len() + host.len() < len {
                    host.pop();
                    host.push('.');
                }
            }
            credential = json!({"type": "federated", "id": "alice",
                                "provider": format!("{scheme}{host}")});
        }
        _ => unreachable!(),
    }
    (
        credential,
        if field == "provider" {
            "federated"
        } else {
            "password"
        },
    )
}

#[tokio::test]
async fn each_field_a_page_stores_is_bounded() {
    let vault = MemoryVault::new();
    let mut m = Manager::start(&vault).await;
    for (field, max) in [
        ("id", MAX_ID_BYTES),
        ("name", MAX_NAME_BYTES),
        ("password", MAX_PASSWORD_BYTES),
        ("iconURL", MAX_ICON_URL_BYTES),
        ("provider", MAX_PROVIDER_BYTES),
    ] {
        let origin = format!("https://{}.example", field.to_lowercase());
        let (at_bound, kind) = with_field(field, max);
        let r = m.store(&origin, at_bound).await;
        assert_eq!(r["result"], Value::Null, "{field} at {max} bytes: {r}");
        let (over, _) = with_field(field, max + 1);
        let r = m.store(&origin, over).await;
        assert_eq!(r["error"]["name"], "QuotaExceededError", "{field}: {r}");
        let message = r["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(field) && message.contains(&max.to_string()),
            "{message}"
        );
        let listed = m.call("vault.list", json!({"query": field})).await;
        let items = listed["result"]["items"].as_array().unwrap().clone();
        assert_eq!(items.len(), 1, "only the one within bounds: {listed}");
        assert_eq!(items[0]["type"], kind);
    }
}

#[tokio::test]
async fn an_origin_has_a_bounded_number_of_credentials() {
    let vault = MemoryVault::new();
    for i in 0..MAX_PER_ORIGIN - 1 {
        saved(&vault, "https://example.com", &format!("user{i}"));
    }
    let mut m = Manager::start(&vault).await;
    let new = |id: &str| json!({"type": "password", "id": id, "password": "pw"});
    assert_eq!(
        m.store("https://example.com", new("last")).await["result"],
        Value::Null
    );
    let r = m.store("https://example.com", new("one-too-many")).await;
    assert_eq!(r["error"]["name"], "QuotaExceededError", "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&MAX_PER_ORIGIN.to_string()),
        "{r}"
    );
    // Updating a saved one is not one more; federated ones count too; another origin is apart.
    let update = json!({"type": "password", "id": "user0", "password": "new"});
    assert_eq!(
        m.store("https://example.com", update).await["result"],
        Value::Null
    );
    let federated = json!({"type": "federated", "id": "alice", "provider": "https://idp.example"});
    let r = m.store("https://example.com", federated).await;
    assert_eq!(r["error"]["name"], "QuotaExceededError", "{r}");
    assert_eq!(
        m.store("https://other.example", new("one-too-many")).await["result"],
        Value::Null
    );
    assert_eq!(vault.credentials().len(), MAX_PER_ORIGIN + 1);
}

/// A vault file of many credentials, listed page by page through the host: every record
/// exactly once, every reply under the browser's 1 MB. Prints the time per page (median, p95,
/// p99) and in all. 5,000 records in every test run (several pages); the measurement of
/// 100,000: `CREDWELL_LIST_RECORDS=100000 cargo test --release -p credwell-host --test manager
/// -- --nocapture a_large_vault`.
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_large_vault_is_listed_page_by_page() {
    use credwell_vault::{Change, KdfParams, Vault};

    let total: usize = std::env::var("CREDWELL_LIST_RECORDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.sqlite");
    let vault = Vault::create(&path, b"x", KdfParams::INSECURE_FOR_TESTS).unwrap();
    let changes: Vec<Change> = (0..total)
        .map(|i| {
            Change::Add(Credential::Password(PasswordCredential {
                id: format!("user{i}@example.com"),
                password: Password::new(format!("password {i}")),
                name: format!("User {i}"),
                icon_url: String::new(),
                origin: Origin::parse(&format!("https://site{}.example", i % 1000)).unwrap(),
            }))
        })
        .collect();
    vault
        .apply(&changes, Timestamp::default(), &mut || {})
        .unwrap();
    drop(vault);

    let config = HostConfig {
        idle_lock: None,
        ..HostConfig::default()
    };
    let (port, _task) = Port::start(FileOpener(path), config, 4 << 20);
    let mut m = Manager { port, next_id: 1 };
    let r = m.call("vault.unlock", json!({"passphrase": "x"})).await;
    assert_eq!(r["result"]["locked"], false, "{r}");
    let mut params = json!({});
    let mut seen = BTreeSet::new();
    let mut times = Vec::new();
    let started = std::time::Instant::now();
    loop {
        let asked = std::time::Instant::now();
        let r = m.call("vault.list", params.clone()).await;
        times.push(asked.elapsed());
        assert!(r.to_string().len() < framing::MAX_OUTGOING);
        for item in r["result"]["items"].as_array().unwrap() {
            assert!(
                seen.insert(item["record"].as_u64().unwrap()),
                "twice: {item}"
            );
        }
        match &r["result"]["next"] {
            Value::String(next) => params["cursor"] = json!(next),
            _ => break,
        }
    }
    let all = started.elapsed();
    assert_eq!(seen.len(), total);
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "{total} records, {} pages of {DEFAULT_LIST_LIMIT}: per page median {:?}, p95 {:?}, \
         p99 {:?}; all pages {all:?}",
        times.len(),
        at(0.5),
        at(0.95),
        at(0.99),
    );
}

/// The manager page's entries are credwell-admin's, the shape `credwell list --json` prints too:
/// a password credential, a federated one and a passkey, each exactly as `entry` shapes it.
#[tokio::test]
async fn entries_have_the_one_shape_the_command_line_shows() {
    use credwell_admin::entry::{FieldLimits, credential_entry, passkey_entry};
    use credwell_admin::{Change, VaultAdmin as _};

    let vault = MemoryVault::new();
    saved(&vault, "https://a.example", "alice");
    let federated = Credential::Federated(credwell_core::FederatedCredential {
        id: "bob".into(),
        provider: "https://idp.example".into(),
        protocol: Some("openidconnect".into()),
        name: "Bob".into(),
        icon_url: String::new(),
        origin: Origin::parse("https://b.example").unwrap(),
    });
    let passkey = credwell_passkey::PasskeyRecord {
        rp_id: "example.com".into(),
        credential_id: vec![7; 16],
        user_handle: vec![7],
        user_name: "carol".into(),
        user_display_name: "Carol".into(),
        algorithm: credwell_passkey::Algorithm::Es256,
        private_key: credwell_passkey::PrivateKey::from_bytes(vec![7; 32]),
        created_at: 9,
        prf: None,
        large_blob: None,
        hidden: true,
    };
    let changes = vec![Change::Add(federated), Change::AddPasskey(passkey)];
    vault
        .apply_changes(changes, Timestamp(3), &mut || {})
        .unwrap();
    let whole = FieldLimits::NONE;
    let expected: Vec<Value> = vault
        .all_credentials()
        .unwrap()
        .iter()
        .map(|r| credential_entry(r, &whole))
        .chain(
            vault
                .passkey_records()
                .unwrap()
                .iter()
                .map(|(r, p)| passkey_entry(*r, p, &whole)),
        )
        .collect();
    assert_eq!(expected.len(), 3);
    assert_eq!(expected[1]["protocol"], "openidconnect");
    assert_eq!(expected[2]["hidden"], true);
    let mut m = Manager::start(&vault).await;
    let (items, _) = m.list_all(json!({})).await;
    assert_eq!(items, expected);
}
