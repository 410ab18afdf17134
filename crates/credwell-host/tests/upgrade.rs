//! Automatic passkey upgrades through the host protocol: a `credentials.create` with
//! `mediation: "conditional"` is allowed only after the host handed the same origin a password
//! from `credentials.get`; it shows no prompt (not even the unlock page), makes a passkey whose
//! authenticator data has neither UP nor UV, sends a `passkey.upgraded` notice after its reply,
//! and the passkey is listed and removable like any other.

#![allow(clippy::unwrap_used)] // Test helpers: a failure should panic right there.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use credwell_host::HostConfig;
use serde_json::{Value, json};

mod common;
use common::{FileOpener, PASSPHRASE, Port, caller};

const ORIGIN: &str = "https://example.com";
const UP: u8 = 0x01;
const UV: u8 = 0x04;
const AT: u8 = 0x40;

struct Browser {
    port: Port,
    next_id: u64,
    /// Every event seen so far, in order.
    events: Vec<Value>,
    _dir: tempfile::TempDir,
}

impl Browser {
    async fn start() -> Self {
        Self::with_config(HostConfig {
            idle_lock: None,
            ..HostConfig::default()
        })
        .await
    }

    async fn with_config(config: HostConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let opener = FileOpener(dir.path().join("vault.sqlite"));
        let (port, _task) = Port::start(opener, config, 256 * 1024);
        Self {
            port,
            next_id: 1,
            events: Vec::new(),
            _dir: dir,
        }
    }

    /// Sends a request; answers `ui.show` events with `answer` (None: leave it open, which
    /// fails the test if the reply never comes); returns the reply and the prompts shown.
    async fn call(
        &mut self,
        method: &str,
        params: Value,
        answer: &mut dyn FnMut(&Value) -> Option<Value>,
    ) -> (Value, Vec<Value>) {
        let id = self.next_id;
        self.next_id += 2;
        self.port
            .send(json!({"id": id, "method": method, "params": params}))
            .await;
        let mut shown = Vec::new();
        loop {
            let m = self.port.recv().await;
            if m["id"] == json!(id) {
                return (m, shown);
            }
            if m.get("event").is_some() {
                self.events.push(m.clone());
            }
            if m["event"] == "ui.show" {
                shown.push(m.clone());
                if let Some(a) = answer(&m) {
                    let respond = self.next_id + 1;
                    self.next_id += 2;
                    self.port
                        .send(json!({"id": respond, "method": "ui.respond",
                            "params": {"ui": m["ui"], "answer": a}}))
                        .await;
                }
            }
        }
    }

    async fn unlock(&mut self) {
        let (r, _) = self
            .call(
                "vault.unlock",
                json!({"passphrase": PASSPHRASE}),
                &mut |_| None,
            )
            .await;
        assert_eq!(r["result"]["locked"], false);
    }

    async fn lock(&mut self) {
        let (r, _) = self.call("vault.lock", json!({}), &mut |_| None).await;
        assert_eq!(r["result"]["locked"], true);
    }

    /// Saves a password for `origin` through the save prompt.
    async fn save_password(&mut self, origin: &str) {
        let credential = json!({"type": "password", "id": "alice", "password": "pencil"});
        let (r, shown) = self
            .call(
                "credentials.store",
                json!({"caller": caller(origin, 1), "credential": credential}),
                &mut |_| Some(json!({"save": "save"})),
            )
            .await;
        assert_eq!(r["result"], Value::Null, "{r}");
        assert_eq!(shown.len(), 1);
    }

    /// `get({password: true})` from `origin`, picking the first account in the chooser.
    async fn sign_in(&mut self, origin: &str) -> Value {
        let (r, _) = self
            .call(
                "credentials.get",
                json!({"caller": caller(origin, 1), "options": {"password": true}}),
                &mut |_| Some(json!({"choose": 0})),
            )
            .await;
        r
    }

    /// A conditional create from `origin`: the reply and the prompts shown.
    async fn upgrade(&mut self, origin: &str, public_key: Value) -> (Value, Vec<Value>) {
        self.call(
            "credentials.create",
            json!({"caller": caller(origin, 1),
                   "options": {"publicKey": public_key, "mediation": "conditional"}}),
            &mut |m| panic!("a conditional create showed {m}"),
        )
        .await
    }

    /// The next `passkey.upgraded` event (it follows the reply).
    async fn notice(&mut self) -> Value {
        if let Some(n) = self
            .events
            .iter()
            .find(|e| e["event"] == "passkey.upgraded")
        {
            return n.clone();
        }
        loop {
            let m = self.port.recv().await;
            if m.get("event").is_some() {
                self.events.push(m.clone());
            }
            if m["event"] == "passkey.upgraded" {
                return m;
            }
        }
    }

    /// Waits a moment for any late event, then counts the `passkey.upgraded` notices seen.
    async fn count_notices(&mut self) -> usize {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        self.call("vault.status", json!({}), &mut |_| None).await;
        self.notices()
    }

    fn notices(&self) -> usize {
        self.events
            .iter()
            .filter(|e| e["event"] == "passkey.upgraded")
            .count()
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn creation(user: &str, uv: &str) -> Value {
    json!({
        "rp": {"name": "Example", "id": "example.com"},
        "user": {"id": b64(user.as_bytes()), "name": format!("{user}@example.com"),
                 "displayName": user.to_uppercase()},
        "challenge": b64(b"upgrade"),
        "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
        "authenticatorSelection": {"residentKey": "required", "userVerification": uv},
    })
}

fn error_name(reply: &Value) -> &str {
    reply["error"]["name"].as_str().unwrap_or("(resolved)")
}

#[tokio::test]
async fn after_a_password_sign_in_a_conditional_create_makes_a_passkey_without_a_prompt() {
    let mut b = Browser::start().await;
    b.unlock().await;
    b.save_password(ORIGIN).await;

    // No sign-in yet: NotAllowedError, nothing shown, nothing made.
    let (r, shown) = b.upgrade(ORIGIN, creation("alice", "preferred")).await;
    assert_eq!(error_name(&r), "NotAllowedError", "{r}");
    assert!(shown.is_empty());

    // The page gets the password from get(): now the upgrade goes through, silently.
    let got = b.sign_in(ORIGIN).await;
    assert_eq!(got["result"]["password"], "pencil");
    let (r, shown) = b.upgrade(ORIGIN, creation("alice", "preferred")).await;
    assert!(shown.is_empty(), "{shown:?}");
    let created = &r["result"];
    assert_eq!(created["type"], "public-key", "{r}");
    let auth_data = URL_SAFE_NO_PAD
        .decode(created["response"]["authenticatorData"].as_str().unwrap())
        .unwrap();
    assert_eq!(auth_data[32] & (UP | UV), 0, "neither UP nor UV");
    assert_eq!(auth_data[32] & AT, AT);

    // The user is told afterwards.
    let notice = b.notice().await;
    assert_eq!(notice["origin"], ORIGIN);
    assert_eq!(notice["rpId"], "example.com");
    assert_eq!(notice["userName"], "alice@example.com");
    assert_eq!(notice["credentialId"], created["id"]);
    assert!(!notice.to_string().contains("pencil"));

    // The manager lists it and removes it.
    let (listed, _) = b.call("vault.list", json!({}), &mut |_| None).await;
    let items = listed["result"]["items"].as_array().unwrap();
    let passkey = items
        .iter()
        .find(|i| i["type"] == "public-key")
        .expect("the passkey is listed");
    assert_eq!(passkey["credentialId"], created["id"]);
    let (deleted, _) = b
        .call(
            "vault.delete",
            json!({"credentialId": created["id"]}),
            &mut |_| None,
        )
        .await;
    assert!(deleted.get("error").is_none(), "{deleted}");
}

#[tokio::test]
async fn a_conditional_create_refuses_what_it_cannot_do_silently() {
    let mut b = Browser::start().await;
    b.unlock().await;
    b.save_password(ORIGIN).await;
    b.save_password("https://www.example.com").await;

    // A sign-in on another origin of the same site counts for that origin only.
    b.sign_in("https://www.example.com").await;
    let (r, _) = b.upgrade(ORIGIN, creation("alice", "preferred")).await;
    assert_eq!(error_name(&r), "NotAllowedError", "{r}");

    b.sign_in(ORIGIN).await;
    // userVerification "required": ConstraintError, no prompt.
    let (r, shown) = b.upgrade(ORIGIN, creation("alice", "required")).await;
    assert_eq!(error_name(&r), "ConstraintError", "{r}");
    assert!(shown.is_empty());

    // A passkey the RP lists in excludeCredentials: InvalidStateError, no prompt.
    let (made, _) = b.upgrade(ORIGIN, creation("alice", "discouraged")).await;
    let id = made["result"]["id"].clone();
    assert_eq!(b.notice().await["credentialId"], id);
    let mut excluded = creation("bob", "discouraged");
    excluded["excludeCredentials"] = json!([{"type": "public-key", "id": id}]);
    let (r, shown) = b.upgrade(ORIGIN, excluded).await;
    assert_eq!(error_name(&r), "InvalidStateError", "{r}");
    assert!(shown.is_empty());

    // The same user again, not excluded: never replaced silently (NotAllowedError).
    let (r, _) = b.upgrade(ORIGIN, creation("alice", "discouraged")).await;
    assert_eq!(error_name(&r), "NotAllowedError", "{r}");

    // A locked vault: NotAllowedError at once, not the unlock page.
    b.lock().await;
    let (r, shown) = b.upgrade(ORIGIN, creation("carol", "discouraged")).await;
    assert_eq!(error_name(&r), "NotAllowedError", "{r}");
    assert!(shown.is_empty());
    assert_eq!(
        b.count_notices().await,
        1,
        "only the one passkey made was noticed"
    );
}

#[tokio::test]
async fn a_password_that_was_not_handed_out_allows_nothing() {
    let mut b = Browser::start().await;
    b.unlock().await;
    b.save_password(ORIGIN).await;
    // The user dismisses the chooser: get() resolves null, no sign-in is noted.
    let (r, _) = b
        .call(
            "credentials.get",
            json!({"caller": caller(ORIGIN, 1),
                   "options": {"password": true, "mediation": "required"}}),
            &mut |_| Some(json!({"cancel": true})),
        )
        .await;
    assert_eq!(r["result"], Value::Null);
    let (r, _) = b.upgrade(ORIGIN, creation("alice", "preferred")).await;
    assert_eq!(error_name(&r), "NotAllowedError", "{r}");
    // A modal create() still asks, as before.
    let (r, shown) = b
        .call(
            "credentials.create",
            json!({"caller": caller(ORIGIN, 1),
                   "options": {"publicKey": creation("alice", "discouraged")}}),
            &mut |m| match m["kind"].as_str().unwrap() {
                "passkey.create" => Some(json!({"create": true})),
                other => panic!("unexpected {other}"),
            },
        )
        .await;
    assert_eq!(r["result"]["type"], "public-key", "{r}");
    assert_eq!(shown.len(), 1);
    assert_eq!(b.count_notices().await, 0, "a modal create() is no upgrade");
}

#[tokio::test]
async fn once_the_window_has_passed_a_conditional_create_is_not_allowed_and_shows_nothing() {
    // A window of 2 s (test suites shorten it; users get the engine's 5 minutes).
    let mut b = Browser::with_config(HostConfig {
        idle_lock: None,
        upgrade_window: std::time::Duration::from_secs(2),
        ..HostConfig::default()
    })
    .await;
    b.unlock().await;
    b.save_password(ORIGIN).await;
    let got = b.sign_in(ORIGIN).await;
    assert_eq!(got["result"]["password"], "pencil");
    tokio::time::sleep(std::time::Duration::from_millis(2_200)).await;
    let (r, shown) = b.upgrade(ORIGIN, creation("alice", "preferred")).await;
    assert_eq!(error_name(&r), "NotAllowedError", "{r}");
    assert!(shown.is_empty(), "{shown:?}");
    assert_eq!(b.count_notices().await, 0);

    // A new sign-in opens the window again.
    b.sign_in(ORIGIN).await;
    let (r, shown) = b.upgrade(ORIGIN, creation("alice", "preferred")).await;
    assert_eq!(r["result"]["type"], "public-key", "{r}");
    assert!(shown.is_empty(), "{shown:?}");
}
