//! WebAuthn's related origin requests through the host: the test plays the extension, which
//! announces in `hello` that it fetches `.well-known/webauthn`, answers the host's
//! `wellKnown.fetch` events with `wellKnown.result` (or never), and sees `wellKnown.cancel` when
//! a fetch is no longer wanted.

#![allow(clippy::unwrap_used)] // Test helpers: a failure should panic right there.

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use credwell_core::MAX_DOCUMENT_BYTES;
use credwell_host::{HostConfig, MemoryVault};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

mod common;
use common::{MemoryOpener, PASSPHRASE, Port};

const UK: &str = "https://shopping.co.uk";

struct Extension {
    port: Port,
    next_id: u64,
}

fn caller(origin: &str) -> Value {
    common::caller(origin, 7)
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn creation(rp_id: &str) -> Value {
    json!({"publicKey": {
        "rp": {"name": "Shopping", "id": rp_id},
        "user": {"id": b64(b"alice"), "name": "alice", "displayName": "Alice"},
        "challenge": b64(b"create"),
        "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
        "authenticatorSelection": {"residentKey": "required", "userVerification": "discouraged"},
    }})
}

fn request(rp_id: &str) -> Value {
    json!({"publicKey": {"challenge": b64(b"sign in"), "rpId": rp_id,
                         "userVerification": "discouraged"}})
}

/// The document shopping.com serves.
fn listing(origins: &[&str]) -> Value {
    json!({"status": 200, "contentType": "application/json; charset=utf-8",
           "url": "https://shopping.com/.well-known/webauthn",
           "body": json!({"origins": origins}).to_string()})
}

/// The port's own `send`, `recv` and `reply_to`.
impl std::ops::Deref for Extension {
    type Target = Port;

    fn deref(&self) -> &Port {
        &self.port
    }
}

impl std::ops::DerefMut for Extension {
    fn deref_mut(&mut self) -> &mut Port {
        &mut self.port
    }
}

impl Extension {
    /// Starts a host; `related_origins` is what the extension's `hello` announces.
    async fn start(related_origins: bool, well_known_timeout: Duration) -> Self {
        Self::start_with(related_origins, well_known_timeout, SIGNAL_TIME).await
    }

    /// `signal_time`: how long a signal naming a foreign RP ID takes to settle.
    async fn start_with(
        related_origins: bool,
        well_known_timeout: Duration,
        signal_time: Duration,
    ) -> Self {
        let opener = MemoryOpener(MemoryVault::new());
        let config = HostConfig {
            idle_lock: None,
            well_known_timeout,
            signal_related_time: signal_time,
            ..HostConfig::default()
        };
        let (port, _task) = Port::start(opener, config, 256 * 1024);
        let mut e = Self { port, next_id: 1 };
        let id = e
            .begin(
                "hello",
                json!({"protocol": 1, "relatedOrigins": related_origins}),
            )
            .await;
        let hello = e.reply_to(id).await;
        assert_eq!(hello["result"]["relatedOrigins"], related_origins);
        let id = e
            .begin("vault.unlock", json!({"passphrase": PASSPHRASE}))
            .await;
        assert_eq!(e.reply_to(id).await["result"]["locked"], false);
        e
    }

    async fn begin(&mut self, method: &str, params: Value) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"id": id, "method": method, "params": params}))
            .await;
        id
    }

    /// The next message that is not a lock-state event.
    async fn next(&mut self) -> Value {
        loop {
            let m = self.recv().await;
            if !matches!(m["event"].as_str(), Some("vault.unlocked" | "vault.locked")) {
                return m;
            }
        }
    }

    /// Expects the host's `wellKnown.fetch` for `rp_id`; returns its fetch id.
    async fn expect_fetch(&mut self, rp_id: &str) -> u64 {
        let m = self.next().await;
        assert_eq!(m["event"], "wellKnown.fetch", "{m}");
        assert_eq!(m["rpId"], rp_id);
        m["fetch"].as_u64().unwrap()
    }

    /// Sends `wellKnown.result` for `fetch`; returns whether the host still wanted it.
    async fn answer(&mut self, fetch: u64, outcome: Value) -> bool {
        let mut params = outcome;
        params["fetch"] = json!(fetch);
        let id = self.begin("wellKnown.result", params).await;
        let reply = self.reply_to(id).await;
        reply["result"]["delivered"].as_bool().unwrap()
    }

    /// Registers a passkey for shopping.com from the related origin (the vault then holds one).
    async fn register(&mut self) -> Value {
        let id = self
            .begin(
                "credentials.create",
                json!({"caller": caller(UK), "options": creation("shopping.com")}),
            )
            .await;
        let fetch = self.expect_fetch("shopping.com").await;
        assert!(self.answer(fetch, listing(&[UK])).await);
        let created = self.finish(id).await;
        assert!(created["result"]["id"].is_string(), "{created}");
        created
    }

    /// Answers the authenticator's prompts until the reply to `id`.
    async fn finish(&mut self, id: u64) -> Value {
        loop {
            let m = self.next().await;
            if m["id"] == json!(id) {
                return m;
            }
            if m["event"] == "ui.show" {
                let answer = match m["kind"].as_str().unwrap() {
                    "passkey.create" => json!({"create": true}),
                    "passkey.chooser" => json!({"choose": 0}),
                    other => panic!("unexpected prompt {other}"),
                };
                let respond = self.next_id;
                self.next_id += 1;
                self.send(json!({"id": respond, "method": "ui.respond",
                    "params": {"ui": m["ui"], "answer": answer}}))
                    .await;
            }
        }
    }
}

/// How long a signal naming a foreign RP ID takes to settle in these tests.
const SIGNAL_TIME: Duration = Duration::from_millis(50);

fn unb64(v: &Value) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(v.as_str().unwrap()).unwrap()
}

fn error_name(reply: &Value) -> &str {
    reply["error"]["name"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_listed_origin_registers_and_signs_in_with_the_related_rp_id() {
    let mut e = Extension::start(true, Duration::from_secs(10)).await;
    let id = e
        .begin(
            "credentials.create",
            json!({"caller": caller(UK), "options": creation("shopping.com")}),
        )
        .await;
    let fetch = e.expect_fetch("shopping.com").await;
    assert!(
        e.answer(fetch, listing(&["https://shopping.com", UK]))
            .await
    );
    let created = e.finish(id).await;
    let response = &created["result"]["response"];
    assert_eq!(
        &unb64(&response["authenticatorData"])[..32],
        &Sha256::digest(b"shopping.com")[..]
    );
    let client_data: Value = serde_json::from_slice(&unb64(&response["clientDataJSON"])).unwrap();
    assert_eq!(client_data["origin"], UK);

    let id = e
        .begin(
            "credentials.get",
            json!({"caller": caller(UK), "options": request("shopping.com")}),
        )
        .await;
    let fetch = e.expect_fetch("shopping.com").await;
    assert!(e.answer(fetch, listing(&[UK])).await);
    let got = e.finish(id).await;
    assert_eq!(got["result"]["id"], created["result"]["id"]);
    assert_eq!(
        &unb64(&got["result"]["response"]["authenticatorData"])[..32],
        &Sha256::digest(b"shopping.com")[..]
    );

    // The signal methods validate the RP ID the same way.
    let id = e
        .begin(
            "credentials.signal",
            json!({"caller": caller(UK), "method": "signalUnknownCredential",
                   "options": {"rpId": "shopping.com", "credentialId": b64(b"unknown")}}),
        )
        .await;
    let fetch = e.expect_fetch("shopping.com").await;
    assert!(e.answer(fetch, listing(&[UK])).await);
    assert_eq!(e.reply_to(id).await["result"], Value::Null);
}

#[tokio::test]
async fn a_signal_fetches_only_for_an_rp_id_with_passkeys_and_settles_after_the_same_time() {
    // Attack: a page signals for RP IDs of its choosing to make the extension fetch any host's
    // `.well-known/webauthn`, or to time the answer and learn which RPs the user has passkeys
    // for. Now nothing is fetched for an RP ID without passkeys, and the answer comes after the
    // same configured time either way (a lower bound: the test cannot be rushed by the host).
    let signal_time = Duration::from_millis(400);
    let mut e = Extension::start_with(true, Duration::from_secs(10), signal_time).await;
    let signal = |rp_id: &str| {
        json!({"caller": caller(UK), "method": "signalUnknownCredential",
               "options": {"rpId": rp_id, "credentialId": b64(b"unknown")}})
    };
    // No passkey for shopping.com: no wellKnown.fetch; the reply (SecurityError) is the next
    // message, and not before the signal time.
    let started = Instant::now();
    let id = e.begin("credentials.signal", signal("shopping.com")).await;
    let reply = e.next().await;
    assert_eq!(reply["id"], json!(id), "a fetch was asked for: {reply}");
    assert_eq!(error_name(&reply), "SecurityError");
    assert!(started.elapsed() >= signal_time, "{:?}", started.elapsed());
    // The fixed message, naming neither the fetch nor the vault.
    let message = reply["error"]["message"].as_str().unwrap();
    assert!(
        !message.contains("fetched") && !message.contains("held"),
        "{message}"
    );

    // Locked: the vault cannot tell, so nothing is fetched, no unlock page is raised, and the
    // answer is the same.
    let id = e.begin("vault.lock", json!({})).await;
    e.reply_to(id).await;
    let id = e.begin("credentials.signal", signal("shopping.com")).await;
    let locked = e.next().await;
    assert_eq!(locked["id"], json!(id), "{locked}");
    assert_eq!(locked["error"], reply["error"]);
    let id = e
        .begin("vault.unlock", json!({"passphrase": PASSPHRASE}))
        .await;
    assert_eq!(e.reply_to(id).await["result"]["locked"], false);

    // With a passkey for shopping.com: the spec's fetch, and the same time even when the
    // extension answers at once.
    e.register().await;
    let started = Instant::now();
    let id = e.begin("credentials.signal", signal("shopping.com")).await;
    let fetch = e.expect_fetch("shopping.com").await;
    assert!(e.answer(fetch, listing(&[UK])).await);
    assert_eq!(e.reply_to(id).await["result"], Value::Null);
    assert!(started.elapsed() >= signal_time, "{:?}", started.elapsed());
    // An RP ID of the caller's own site needs no fetch and no wait.
    let id = e
        .begin("credentials.signal", signal("shopping.co.uk"))
        .await;
    assert_eq!(e.reply_to(id).await["result"], Value::Null);
}

#[tokio::test]
async fn refusals_and_failed_fetches_are_security_errors_without_a_prompt() {
    let mut e = Extension::start(true, Duration::from_secs(10)).await;
    let oversize = json!({"status": 200, "contentType": "application/json",
        "body": format!(r#"{{"origins": ["{UK}"]}}{}"#, " ".repeat(MAX_DOCUMENT_BYTES))});
    for outcome in [
        listing(&["https://shopping.com", "https://shopping.de"]),
        json!({"status": 404, "contentType": "text/html", "body": "not found"}),
        json!({"status": 200, "contentType": "text/plain", "body": json!({"origins": [UK]}).to_string()}),
        json!({"status": 200, "contentType": "application/json", "body": "[]"}),
        json!({"status": 200, "contentType": "application/json",
               "url": "http://shopping.com/.well-known/webauthn",
               "body": json!({"origins": [UK]}).to_string()}),
        oversize,
        json!({"error": "too-large"}),
        json!({"error": "network", "message": "TypeError: Failed to fetch"}),
    ] {
        let id = e
            .begin(
                "credentials.create",
                json!({"caller": caller(UK), "options": creation("shopping.com")}),
            )
            .await;
        let fetch = e.expect_fetch("shopping.com").await;
        assert!(e.answer(fetch, outcome.clone()).await);
        // The reply comes before any prompt: nothing reached the authenticator.
        let reply = e.next().await;
        assert_eq!(reply["id"], json!(id), "{reply}");
        assert_eq!(error_name(&reply), "SecurityError", "{outcome}");
    }
}

#[tokio::test]
async fn an_unanswered_fetch_times_out_as_a_security_error_and_is_cancelled() {
    let mut e = Extension::start(true, Duration::from_millis(200)).await;
    let id = e
        .begin(
            "credentials.get",
            json!({"caller": caller(UK), "options": request("shopping.com")}),
        )
        .await;
    let fetch = e.expect_fetch("shopping.com").await;
    let cancel = e.next().await;
    assert_eq!(cancel, json!({"event": "wellKnown.cancel", "fetch": fetch}));
    let reply = e.next().await;
    assert_eq!(reply["id"], json!(id));
    assert_eq!(error_name(&reply), "SecurityError");
    // A result after the timeout is not delivered.
    assert!(!e.answer(fetch, listing(&[UK])).await);
}

#[tokio::test]
async fn cancelling_the_request_cancels_its_fetch() {
    let mut e = Extension::start(true, Duration::from_secs(30)).await;
    for (method, options) in [
        ("credentials.create", creation("shopping.com")),
        ("credentials.get", request("shopping.com")),
    ] {
        let id = e
            .begin(method, json!({"caller": caller(UK), "options": options}))
            .await;
        let fetch = e.expect_fetch("shopping.com").await;
        let cancel = e
            .begin("cancel", json!({"target": id, "reason": "navigated away"}))
            .await;
        let mut seen = Vec::new();
        while seen.len() < 3 {
            seen.push(e.next().await);
        }
        assert!(seen.contains(&json!({"event": "wellKnown.cancel", "fetch": fetch})));
        assert!(seen.contains(&json!({"id": cancel, "result": {"cancelled": true}})));
        assert!(seen.contains(&json!({"id": id, "error": {"abortReason": "navigated away"}})));
        assert!(!e.answer(fetch, listing(&[UK])).await);
    }
    // A signal waiting for its fetch is cancelled too (the vault holds a passkey for the RP
    // ID, or the signal would fetch nothing).
    e.register().await;
    let id = e
        .begin(
            "credentials.signal",
            json!({"caller": caller(UK), "method": "signalUnknownCredential",
                   "options": {"rpId": "shopping.com", "credentialId": b64(b"x")}}),
        )
        .await;
    let fetch = e.expect_fetch("shopping.com").await;
    e.begin("cancel", json!({"target": id})).await;
    let mut seen = Vec::new();
    while seen.len() < 3 {
        seen.push(e.next().await);
    }
    assert!(seen.contains(&json!({"event": "wellKnown.cancel", "fetch": fetch})));
    assert!(
        seen.iter()
            .any(|m| m["id"] == json!(id) && m["error"]["name"] == "AbortError"),
        "{seen:?}"
    );
}

#[tokio::test]
async fn without_the_extensions_support_a_foreign_rp_id_is_refused_at_once() {
    let mut e = Extension::start(false, Duration::from_secs(30)).await;
    let id = e
        .begin(
            "credentials.get",
            json!({"caller": caller(UK), "options": request("shopping.com")}),
        )
        .await;
    // No wellKnown.fetch: the reply is the next message.
    let reply = e.next().await;
    assert_eq!(reply["id"], json!(id), "{reply}");
    assert_eq!(error_name(&reply), "SecurityError");
    // A result nobody asked for is not delivered.
    assert!(!e.answer(1, listing(&[UK])).await);
}
