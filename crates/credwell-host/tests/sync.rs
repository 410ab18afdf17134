//! Background sync against a real sync server (in process, on SQLite): vault A is served by the
//! host, vault B is another device. A credential stored through the host reaches B without any
//! sync call on A; one B pushes reaches A's file on the server's live notice; `vault.status`
//! says how it went, and a server that cannot be reached shows as `failed`.

#![allow(clippy::unwrap_used)] // A test: a failure panics right there.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::{FileOpener, PASSPHRASE, Port, caller};
use credwell_admin::sync::{SyncAccount, sync_vault};
use credwell_core::{
    Clock, Credential, EngineConfig, Origin, Password, PasswordCredential, StoreConsent,
    SystemClock, Timestamp,
};
use credwell_host::HostConfig;
use credwell_sync::AccountKey;
use credwell_sync::client::http::{Enrolled, HttpTransport};
use credwell_sync_server::Notices;
use credwell_sync_server::storage::sqlite::SqliteStorage;
use credwell_vault::{KdfParams, Vault};
use serde_json::{Value, json};
use zeroize::Zeroizing;

/// A sync server on a loopback port over a new SQLite file: its base URL.
async fn start_server(dir: &Path) -> String {
    let storage = SqliteStorage::open(&dir.join("sync.sqlite")).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(credwell_sync_server::serve(
        listener,
        Arc::new(storage),
        Notices::new(),
    ));
    format!("http://{address}")
}

/// A new vault file at `path` (the host's passphrase), signed in as `enrolled` with `key`.
fn signed_in_vault(path: &Path, server: &str, enrolled: Enrolled, key: &[u8]) -> Vault {
    let vault = Vault::create(path, PASSPHRASE.as_bytes(), KdfParams::INSECURE_FOR_TESTS).unwrap();
    let account = SyncAccount {
        server: server.to_owned(),
        account: enrolled.account,
        device: enrolled.device,
        token: enrolled.token,
        key: Zeroizing::new(key.to_vec()),
        ca: None,
    };
    account.save(&vault, 1).unwrap();
    vault
}

/// Runs `f` on a blocking thread (the sync client is blocking).
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

fn now() -> u64 {
    SystemClock.now().0
}

/// One sync of `vault` (device B's `credwell sync now`).
fn sync(vault: &Vault) {
    let account = SyncAccount::load(vault).unwrap().unwrap();
    let transport = HttpTransport::new(&account.server, account.token.clone()).unwrap();
    let mut client = account.client(vault, transport).unwrap();
    sync_vault(vault, &mut client, now()).unwrap();
}

fn user_names(vault: &Vault) -> Vec<String> {
    let mut names: Vec<String> = (vault.all().unwrap().into_iter())
        .filter_map(|c| match c.credential {
            Credential::Password(p) => Some(p.id),
            _ => None,
        })
        .collect();
    names.sort();
    names
}

struct Host {
    port: Port,
    next: u64,
}

impl Host {
    /// A host over the vault file at `path`, unlocked; `store()` saves without asking; the
    /// interval is an hour, so every sync seen here came from a write or a notice.
    async fn start(path: &Path) -> Self {
        let config = HostConfig {
            idle_lock: None,
            engine: EngineConfig {
                store_consent: StoreConsent::Always,
                ..EngineConfig::default()
            },
            sync_interval: Some(Duration::from_secs(3600)),
            ..HostConfig::default()
        };
        let (port, _task) = Port::start(FileOpener(path.to_owned()), config, 1 << 20);
        let mut host = Self { port, next: 1 };
        let r = host
            .call("vault.unlock", json!({"passphrase": PASSPHRASE}))
            .await;
        assert_eq!(r["result"]["locked"], false, "{r}");
        host
    }

    async fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next;
        self.next += 1;
        self.port
            .send(json!({"id": id, "method": method, "params": params}))
            .await;
        self.port.reply_to(id).await
    }

    /// `vault.status`'s `sync`.
    async fn sync_status(&mut self) -> Value {
        self.call("vault.status", json!({})).await["result"]["sync"].clone()
    }

    /// Polls `vault.status` (up to 20 s) until `done` holds for its `sync`; the last one.
    async fn sync_status_until(&mut self, done: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..200 {
            let status = self.sync_status().await;
            if done(&status) {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("vault.status never got there: {}", self.sync_status().await);
    }
}

/// Polls (up to 20 s) until `done`.
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..200 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} never happened");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credential_stored_through_the_host_reaches_another_device_without_a_sync_call() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path()).await;
    let (a_path, b_path) = (dir.path().join("a.sqlite"), dir.path().join("b.sqlite"));
    let (url, a_file, b_file) = (server.clone(), a_path.clone(), b_path.clone());
    let b = blocking(move || {
        let (_, key) = AccountKey::generate().unwrap();
        let a = HttpTransport::create_account(&url, "a").unwrap();
        let transport = HttpTransport::new(&url, a.token.clone()).unwrap();
        let b = transport.add_device("b").unwrap();
        drop(signed_in_vault(&a_file, &url, a, &key[..]));
        signed_in_vault(&b_file, &url, b, &key[..])
    })
    .await;
    let b = Arc::new(b);

    let mut host = Host::start(&a_path).await;
    let status = host.sync_status_until(|s| s["state"] == "synced").await;
    assert_eq!(status["server"], server.as_str(), "{status}");

    // Stored through the host: pushed at once, no sync call.
    let stored = host
        .call(
            "credentials.store",
            json!({"caller": caller("https://example.com", 1),
                   "credential": {"type": "password", "id": "alice", "password": "pw"}}),
        )
        .await;
    assert!(stored.get("error").is_none(), "{stored}");
    let status = host
        .sync_status_until(|s| s["state"] == "synced" && s["pushed"].as_u64() >= Some(1))
        .await;
    let last = status["lastSync"].as_str().unwrap();
    assert!(last.ends_with('Z') && last.contains('.'), "{last}");
    assert!(status.get("lastError").is_none(), "{status}");
    let vault = Arc::clone(&b);
    blocking(move || sync(&vault)).await;
    assert_eq!(user_names(&b), ["alice"]);

    // B pushes; A's host pulls on the server's live notice (the interval is an hour).
    let vault = Arc::clone(&b);
    blocking(move || {
        let bob = Credential::Password(PasswordCredential {
            id: "bob".into(),
            password: Password::new("pw2"),
            name: String::new(),
            icon_url: String::new(),
            origin: Origin::parse("https://example.com").unwrap(),
        });
        vault.add_credential(&bob, Timestamp(now())).unwrap();
        sync(&vault);
    })
    .await;
    let reader = Vault::open(&a_path, PASSPHRASE.as_bytes()).unwrap();
    eventually("bob reaching A", || user_names(&reader) == ["alice", "bob"]).await;
    let status = host
        .sync_status_until(|s| s["state"] == "synced" && s["received"].as_u64() >= Some(1))
        .await;
    let shown = status.to_string();
    assert!(!shown.contains("pw") && !shown.contains("cw1."), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_cannot_be_reached_shows_as_failed_with_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sqlite");
    // Signed in to a server that is gone: nothing listens on its port any more.
    let gone = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let server = start_server(dir.path()).await;
    let enrolled = blocking(move || HttpTransport::create_account(&server, "a").unwrap()).await;
    drop(signed_in_vault(&path, &gone, enrolled, &[7; 32]));
    let mut host = Host::start(&path).await;
    let status = host.sync_status_until(|s| s["state"] == "failed").await;
    assert_eq!(status["server"], gone.as_str(), "{status}");
    let error = status["lastError"].as_str().unwrap();
    assert!(error.contains("cannot be reached"), "{error}");
    assert!(!error.contains("cw1."), "{error}");
    assert!(status.get("lastSync").is_none(), "{status}");
    // Locking turns it off.
    host.call("vault.lock", json!({})).await;
    assert_eq!(host.sync_status().await, json!({"state": "off"}));
}

#[tokio::test]
async fn a_vault_not_signed_in_is_off() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.sqlite");
    let mut host = Host::start(&path).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(host.sync_status().await, json!({"state": "off"}));
}
