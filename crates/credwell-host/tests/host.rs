//! The host end to end over an in-memory pipe: framing, protocol, concurrency, cancellation,
//! UI round trips, locking.

#![allow(clippy::unwrap_used)] // Test helpers: a failure should panic right there.

use std::time::Duration;

use credwell_host::framing;
use credwell_host::{HostConfig, MemoryVault};
use serde_json::{Value, json};

mod common;
use common::{MemoryOpener, Port, caller};

struct Browser {
    port: Port,
    task: tokio::task::JoinHandle<Result<(), framing::FrameError>>,
}

impl Browser {
    fn start(config: HostConfig) -> Self {
        let opener = MemoryOpener(MemoryVault::new());
        let (port, task) = Port::start(opener, config, 64 * 1024);
        Self { port, task }
    }

    async fn send(&mut self, message: Value) {
        self.port.send(message).await;
    }

    async fn send_raw(&mut self, body: &[u8]) {
        self.port.send_raw(body).await;
    }

    async fn recv(&mut self) -> Value {
        self.port.recv().await
    }

    /// Receives until a message matching `pred` arrives; returns it and the ones skipped.
    async fn recv_until(&mut self, pred: impl Fn(&Value) -> bool) -> (Value, Vec<Value>) {
        let mut skipped = Vec::new();
        loop {
            let m = self.recv().await;
            if pred(&m) {
                return (m, skipped);
            }
            skipped.push(m);
        }
    }

    async fn reply(&mut self, id: u64) -> Value {
        self.port.reply_to(id).await
    }

    async fn unlock(&mut self, id: u64) {
        self.send(
            json!({"id": id, "method": "vault.unlock", "params": {"passphrase": "correct horse"}}),
        )
        .await;
        assert_eq!(self.reply(id).await["result"]["locked"], json!(false));
    }
}

fn config() -> HostConfig {
    HostConfig {
        idle_lock: None,
        ..HostConfig::default()
    }
}

#[tokio::test]
async fn hello_negotiates_the_protocol_version() {
    let mut b = Browser::start(config());
    b.send(json!({"id": 1, "method": "hello", "params": {"protocol": 1}}))
        .await;
    let r = b.recv().await;
    assert_eq!(r["result"]["protocol"], 1);
    assert_eq!(r["result"]["locked"], true);
    b.send(json!({"id": 2, "method": "hello", "params": {"protocol": 99}}))
        .await;
    assert_eq!(b.recv().await["error"]["code"], "unsupported-version");
}

#[tokio::test]
async fn bad_input_gets_an_error_reply_and_the_host_keeps_serving() {
    let mut b = Browser::start(config());
    b.send_raw(b"{not json").await;
    assert_eq!(b.recv().await["error"]["code"], "malformed-json");
    b.send(json!({"id": 5, "method": "format.disk"})).await;
    let r = b.recv().await;
    assert_eq!(
        (r["id"].clone(), r["error"]["code"].clone()),
        (json!(5), json!("unknown-method"))
    );
    b.send(json!({"id": 6, "method": "credentials.get", "params": {"caller": {"origin": 1}}}))
        .await;
    assert_eq!(b.recv().await["error"]["code"], "bad-params");
    b.send(
        json!({"id": 7, "method": "credentials.get", "params": {"caller": caller("not a url", 1)}}),
    )
    .await;
    assert_eq!(b.recv().await["error"]["code"], "bad-params");
    b.send_raw(&vec![b' '; framing::MAX_INCOMING + 1]).await;
    assert_eq!(b.recv().await["error"]["code"], "too-large");
    b.send(json!({"id": 8, "method": "vault.status"})).await;
    assert_eq!(b.recv().await["result"]["locked"], true);
}

#[tokio::test]
async fn a_request_while_locked_asks_for_unlock_and_then_completes() {
    let mut b = Browser::start(config());
    b.send(json!({"id": 1, "method": "credentials.get", "params": {
        "caller": caller("https://example.com", 1), "options": {"password": true, "mediation": "silent"}}}))
        .await;
    assert_eq!(b.recv().await["kind"], "unlock");
    b.send(json!({"id": 2, "method": "vault.unlock", "params": {"passphrase": "wrong"}}))
        .await;
    assert_eq!(b.reply(2).await["error"]["name"], "WrongPassphrase");
    b.unlock(3).await;
    let r = b.reply(1).await;
    assert_eq!(
        r["result"],
        Value::Null,
        "silent get with an empty vault resolves null"
    );
}

#[tokio::test]
async fn store_with_a_save_prompt_then_silent_get_then_prevent_silent_access() {
    let mut b = Browser::start(config());
    b.unlock(1).await;
    let credential =
        json!({"type": "password", "id": "alice", "password": "pencil", "name": "Alice"});
    b.send(json!({"id": 2, "method": "credentials.store", "params": {
        "caller": caller("https://example.com", 1), "credential": credential}}))
        .await;
    let (show, _) = b.recv_until(|m| m["event"] == "ui.show").await;
    assert_eq!(show["kind"], "save");
    assert_eq!(show["origin"], "https://example.com");
    assert_eq!(show["request"], 2);
    assert!(
        !show.to_string().contains("pencil"),
        "the prompt never carries the password"
    );
    b.send(json!({"id": 3, "method": "ui.respond", "params": {"ui": show["ui"], "answer": {"save": "save"}}})).await;
    let (reply, _) = b.recv_until(|m| m["id"] == 2).await;
    assert_eq!(reply, json!({"id": 2, "result": null}));

    b.send(json!({"id": 4, "method": "credentials.get", "params": {
        "caller": caller("https://example.com", 1), "options": {"password": true, "mediation": "silent"}}}))
        .await;
    let r = b.reply(4).await;
    assert_eq!(r["result"]["id"], "alice");
    assert_eq!(r["result"]["password"], "pencil");

    b.send(json!({"id": 5, "method": "credentials.preventSilentAccess", "params": {"caller": caller("https://example.com", 1)}})).await;
    assert_eq!(b.reply(5).await["result"], Value::Null);
    b.send(json!({"id": 6, "method": "credentials.get", "params": {
        "caller": caller("https://example.com", 1), "options": {"password": true, "mediation": "silent"}}}))
        .await;
    assert_eq!(b.reply(6).await["result"], Value::Null);
}

/// Every local development server is one "site" (a site ignores the port): the host must offer
/// a page on localhost:4000 nothing of what was saved for localhost:3000, not even in a chooser.
#[tokio::test]
async fn another_localhost_port_is_offered_nothing_of_this_one() {
    let mut b = Browser::start(config());
    b.unlock(1).await;
    let credential = json!({"type": "password", "id": "admin", "password": "local secret"});
    b.send(json!({"id": 2, "method": "credentials.store", "params": {
        "caller": caller("http://localhost:3000", 1), "credential": credential}}))
        .await;
    let (show, _) = b.recv_until(|m| m["event"] == "ui.show").await;
    b.send(json!({"id": 3, "method": "ui.respond", "params": {"ui": show["ui"], "answer": {"save": "save"}}})).await;
    let (reply, _) = b.recv_until(|m| m["id"] == 2).await;
    assert_eq!(reply["result"], Value::Null);
    b.send(json!({"id": 4, "method": "credentials.get", "params": {
        "caller": caller("http://localhost:4000", 2), "options": {"password": true}}}))
        .await;
    // The reply comes first: a chooser (which would wait for the user) is a failure.
    let (first, _) = b
        .recv_until(|m| m["id"] == 4 || m["event"] == "ui.show")
        .await;
    assert_eq!(first, json!({"id": 4, "result": null}));
}

#[tokio::test]
async fn cross_origin_frames_are_refused_with_the_exact_name() {
    let mut b = Browser::start(config());
    b.unlock(1).await;
    let mut c = caller("https://widget.example", 1);
    c["ancestors"] = json!(["https://top.example"]);
    b.send(json!({"id": 2, "method": "credentials.get", "params": {"caller": c, "options": {"password": true}}})).await;
    assert_eq!(b.reply(2).await["error"]["name"], "NotAllowedError");
}

async fn store_two(b: &mut Browser) {
    for (i, id) in ["alice", "bob"].into_iter().enumerate() {
        let rid = 100 + i as u64;
        b.send(json!({"id": rid, "method": "credentials.store", "params": {
            "caller": caller("https://example.com", 9), "credential": {"type": "password", "id": id, "password": "pw"}}}))
            .await;
        let (show, _) = b.recv_until(|m| m["event"] == "ui.show").await;
        b.send(json!({"id": rid + 50, "method": "ui.respond", "params": {"ui": show["ui"], "answer": {"save": "save"}}})).await;
        b.recv_until(|m| m["id"] == json!(rid)).await;
    }
}

#[tokio::test]
async fn cancel_closes_the_open_chooser_and_other_requests_go_on() {
    let mut b = Browser::start(config());
    b.unlock(1).await;
    store_two(&mut b).await;
    b.send(json!({"id": 10, "method": "credentials.get", "params": {
        "caller": caller("https://example.com", 1), "options": {"password": true}}}))
        .await;
    let (show, _) = b.recv_until(|m| m["event"] == "ui.show").await;
    assert_eq!(show["kind"], "chooser");
    assert_eq!(show["accounts"].as_array().unwrap().len(), 2);
    assert!(
        !show.to_string().contains("\"pw\""),
        "the chooser never carries passwords"
    );
    // Another document's request is served while the chooser is open.
    b.send(json!({"id": 11, "method": "credentials.get", "params": {
        "caller": caller("https://other.example", 2), "options": {"password": true}}}))
        .await;
    assert_eq!(b.reply(11).await["result"], Value::Null);
    // The same document may not start a second password request meanwhile.
    b.send(json!({"id": 12, "method": "credentials.get", "params": {
        "caller": caller("https://example.com", 1), "options": {"password": true}}}))
        .await;
    assert_eq!(b.reply(12).await["error"]["name"], "NotAllowedError");
    // A duplicate id in flight is a protocol error.
    b.send(json!({"id": 10, "method": "credentials.get", "params": {
        "caller": caller("https://example.com", 3), "options": {"password": true}}}))
        .await;
    assert_eq!(b.reply(10).await["error"]["code"], "duplicate-id");
    b.send(json!({"id": 13, "method": "cancel", "params": {"target": 10, "reason": "tab closed"}}))
        .await;
    let (reply, skipped) = b.recv_until(|m| m["id"] == 10).await;
    assert_eq!(reply["error"], json!({"abortReason": "tab closed"}));
    let mut rest = skipped;
    if !rest.iter().any(|m| m["event"] == "ui.close") {
        rest.push(b.recv_until(|m| m["event"] == "ui.close").await.0);
    }
    let close = rest.iter().find(|m| m["event"] == "ui.close").unwrap();
    assert_eq!(close["ui"], show["ui"]);
    // Answering the closed UI now is harmless.
    b.send(json!({"id": 14, "method": "ui.respond", "params": {"ui": show["ui"], "answer": {"choose": 0}}})).await;
    assert_eq!(b.reply(14).await["result"]["delivered"], false);
}

#[tokio::test]
async fn chooser_pick_returns_the_credential() {
    let mut b = Browser::start(config());
    b.unlock(1).await;
    store_two(&mut b).await;
    b.send(json!({"id": 20, "method": "credentials.get", "params": {
        "caller": caller("https://example.com", 1), "options": {"password": true, "mediation": "required"}}}))
        .await;
    let (show, _) = b.recv_until(|m| m["event"] == "ui.show").await;
    let bob = show["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .position(|a| a["id"] == "bob")
        .unwrap();
    b.send(json!({"id": 21, "method": "ui.respond", "params": {"ui": show["ui"], "answer": {"choose": bob}}})).await;
    let r = b.reply(20).await;
    assert_eq!(r["result"]["id"], "bob");
}

#[tokio::test(start_paused = true)]
async fn the_vault_locks_itself_when_idle() {
    let mut b = Browser::start(HostConfig {
        idle_lock: Some(Duration::from_secs(10)),
        ..HostConfig::default()
    });
    b.unlock(1).await;
    let (event, _) = b.recv_until(|m| m["event"] == "vault.locked").await;
    assert_eq!(event, json!({"event": "vault.locked"}));
    b.send(json!({"id": 2, "method": "vault.status"})).await;
    assert_eq!(b.reply(2).await["result"]["locked"], true);
}

#[tokio::test]
async fn closing_the_port_ends_the_host() {
    let b = Browser::start(config());
    let Browser { port, task } = b;
    drop(port);
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn prevent_silent_access_waiting_for_unlock_can_be_cancelled() {
    let mut b = Browser::start(config());
    b.send(json!({"id": 1, "method": "credentials.preventSilentAccess", "params": {"caller": caller("https://example.com", 1)}}))
        .await;
    assert_eq!(b.recv().await["kind"], "unlock");
    b.send(json!({"id": 2, "method": "cancel", "params": {"target": 1, "reason": "tab closed"}}))
        .await;
    assert_eq!(
        b.reply(1).await["error"],
        json!({"abortReason": "tab closed"})
    );
}

#[tokio::test]
async fn auto_sign_in_notices_name_their_request() {
    let mut b = Browser::start(config());
    b.unlock(1).await;
    b.send(json!({"id": 2, "method": "credentials.store", "params": {
        "caller": caller("https://example.com", 1), "credential": {"type": "password", "id": "alice", "password": "pw"}}}))
        .await;
    let (show, _) = b.recv_until(|m| m["event"] == "ui.show").await;
    b.send(json!({"id": 3, "method": "ui.respond", "params": {"ui": show["ui"], "answer": {"save": "save"}}})).await;
    b.reply(2).await;
    b.send(json!({"id": 4, "method": "credentials.get", "params": {
        "caller": caller("https://example.com", 1), "options": {"password": true}}}))
        .await;
    // The reply comes first; the notice follows it.
    assert_eq!(b.reply(4).await["result"]["id"], "alice");
    let (notice, _) = b.recv_until(|m| m["event"] == "autoSignIn").await;
    assert_eq!(
        (notice["request"].clone(), notice["id"].clone()),
        (json!(4), json!("alice"))
    );
}

#[tokio::test]
async fn the_manager_lists_without_passwords_filters_and_deletes() {
    let mut b = Browser::start(config());
    b.unlock(1).await;
    store_two(&mut b).await;
    b.send(json!({"id": 2, "method": "vault.list"})).await;
    let page = b.reply(2).await["result"].clone();
    assert_eq!(page["next"], Value::Null, "one page");
    let all = page["items"].clone();
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert!(
        !all.to_string().contains("\"pw\""),
        "no passwords in the list"
    );
    assert_eq!(all[0]["origin"], "https://example.com");
    b.send(json!({"id": 3, "method": "vault.list", "params": {"query": "BOB"}}))
        .await;
    let bob = b.reply(3).await["result"]["items"].clone();
    assert_eq!(bob.as_array().unwrap().len(), 1);
    b.send(json!({"id": 4, "method": "vault.delete", "params": {"record": bob[0]["record"]}}))
        .await;
    assert_eq!(b.reply(4).await["result"]["deleted"], true);
    b.send(json!({"id": 5, "method": "vault.delete", "params": {"record": bob[0]["record"]}}))
        .await;
    assert_eq!(b.reply(5).await["result"]["deleted"], false);
    b.send(json!({"id": 6, "method": "vault.list", "params": {"query": 5}}))
        .await;
    assert_eq!(b.reply(6).await["error"]["code"], "bad-params");
}

#[tokio::test]
async fn declining_the_unlock_page_resolves_the_waiting_calls_as_declined() {
    let mut b = Browser::start(config());
    let get = json!({"caller": caller("https://example.com", 1), "options": {"password": true}});
    b.send(json!({"id": 1, "method": "credentials.get", "params": get}))
        .await;
    let show = b.recv().await;
    assert_eq!(show["kind"], "unlock");
    b.send(json!({"id": 2, "method": "credentials.store", "params": {"caller": caller("https://example.com", 2),
        "credential": {"type": "password", "id": "alice", "password": "pw"}}}))
        .await;
    // A round trip lets the store call reach the locked vault before the user declines.
    b.send(json!({"id": 9, "method": "vault.status"})).await;
    b.reply(9).await;
    b.send(json!({"id": 3, "method": "ui.respond", "params": {"ui": show["ui"], "answer": {"cancel": true}}})).await;
    // Three replies, in whatever order the tasks finish.
    let mut replies = std::collections::BTreeMap::new();
    while replies.len() < 3 {
        let m = b.recv().await;
        if let Some(id) = m["id"].as_u64() {
            replies.insert(id, m);
        }
    }
    assert_eq!(replies[&3]["result"]["delivered"], true);
    assert_eq!(
        replies[&1],
        json!({"id": 1, "result": null}),
        "get: as if the chooser was dismissed"
    );
    assert_eq!(
        replies[&2],
        json!({"id": 2, "result": null}),
        "store: as if the prompt was dismissed"
    );
    // The next call asks again, with a new page.
    b.send(json!({"id": 4, "method": "credentials.get", "params": get}))
        .await;
    let again = b.recv().await;
    assert_eq!(again["kind"], "unlock");
    assert_ne!(again["ui"], show["ui"]);
}

/// A page's conditional `get()` for passkeys: it settles only by a pick or an abort.
fn conditional_get(client: u64) -> Value {
    json!({"caller": caller("https://example.com", client), "options": {
        "mediation": "conditional",
        "publicKey": {"challenge": "c2lnbiBpbg", "rpId": "example.com"}}})
}

fn idle_lock_after(limit: Duration) -> HostConfig {
    HostConfig {
        idle_lock: Some(limit),
        ..HostConfig::default()
    }
}

impl Browser {
    /// `vault.status`'s `locked`, and the messages that came before its reply.
    async fn locked(&mut self, id: u64) -> (bool, Vec<Value>) {
        self.send(json!({"id": id, "method": "vault.status"})).await;
        let (reply, skipped) = self.recv_until(|m| m["id"] == json!(id)).await;
        (reply["result"]["locked"].as_bool().unwrap(), skipped)
    }
}

/// The attack: every message reset the idle timer and a request in flight held the
/// lock off, so a page calling now and then, or one conditional `get()` (which never settles on
/// its own), kept the vault unlocked forever. Only the user's actions count now. (Paused time:
/// the runtime's clock moves only when every task waits, so the timings are exact.)
#[tokio::test(start_paused = true)]
async fn page_calls_and_a_pending_conditional_get_do_not_keep_the_vault_unlocked() {
    let limit = Duration::from_secs(60);
    let mut b = Browser::start(idle_lock_after(limit));
    b.unlock(1).await;
    let unlocked_at = tokio::time::Instant::now();
    b.send(json!({"id": 2, "method": "credentials.get", "params": conditional_get(1)}))
        .await;
    // The page calls every 5 seconds, from another document.
    let silent = json!({"caller": caller("https://example.com", 2),
        "options": {"password": true, "mediation": "silent"}});
    let mut id = 10;
    while unlocked_at.elapsed() < limit - Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_secs(5)).await;
        b.send(json!({"id": id, "method": "credentials.get", "params": silent}))
            .await;
        assert_eq!(b.reply(id).await["result"], Value::Null);
        id += 1;
    }
    assert!(!b.locked(3).await.0, "not before the limit");
    tokio::time::sleep_until(unlocked_at + limit + Duration::from_secs(2)).await;
    let (locked, before) = b.locked(4).await;
    assert!(
        locked,
        "locked on time, with the page calling and a get pending"
    );
    assert!(
        before.contains(&json!({"event": "vault.locked"})),
        "{before:?}"
    );
    // The conditional get is still pending, and settles as the spec says: by an abort.
    assert!(before.iter().all(|m| m["id"] != 2), "{before:?}");
    b.send(json!({"id": 5, "method": "cancel", "params": {"target": 2}}))
        .await;
    assert_eq!(b.reply(2).await["error"]["name"], "AbortError");
}

#[tokio::test(start_paused = true)]
async fn the_users_actions_put_off_the_idle_lock() {
    let limit = Duration::from_secs(60);
    let mut b = Browser::start(idle_lock_after(limit));
    b.unlock(1).await;
    let start = tokio::time::Instant::now();
    let at = |secs| start + Duration::from_secs(secs);
    // The manager page at 50 s.
    tokio::time::sleep_until(at(50)).await;
    b.send(json!({"id": 2, "method": "vault.list"})).await;
    assert!(b.reply(2).await["result"]["items"].is_array());
    tokio::time::sleep_until(at(100)).await;
    assert!(
        !b.locked(3).await.0,
        "60 s after the manager page, not after unlock"
    );
    // A save prompt answered at 105 s.
    b.send(json!({"id": 4, "method": "credentials.store", "params": {
        "caller": caller("https://example.com", 1),
        "credential": {"type": "password", "id": "alice", "password": "pw"}}}))
        .await;
    let (show, _) = b.recv_until(|m| m["event"] == "ui.show").await;
    tokio::time::sleep_until(at(105)).await;
    b.send(json!({"id": 5, "method": "ui.respond",
        "params": {"ui": show["ui"], "answer": {"save": "save"}}}))
        .await;
    assert_eq!(b.reply(4).await["result"], Value::Null);
    tokio::time::sleep_until(at(160)).await;
    assert!(!b.locked(6).await.0, "60 s after the answer");
    tokio::time::sleep_until(at(167)).await;
    assert!(b.locked(7).await.0);
}

#[tokio::test(start_paused = true)]
async fn a_request_whose_prompt_outlives_the_unlock_waits_for_the_next_unlock() {
    let mut b = Browser::start(idle_lock_after(Duration::from_secs(60)));
    b.unlock(1).await;
    b.send(json!({"id": 2, "method": "credentials.store", "params": {
        "caller": caller("https://example.com", 1),
        "credential": {"type": "password", "id": "alice", "password": "pw"}}}))
        .await;
    let (show, _) = b.recv_until(|m| m["event"] == "ui.show").await;
    assert_eq!(show["kind"], "save");
    // Nobody answers: the vault locks with the prompt open.
    tokio::time::sleep(Duration::from_secs(61)).await;
    b.recv_until(|m| m["event"] == "vault.locked").await;
    b.send(json!({"id": 3, "method": "ui.respond",
        "params": {"ui": show["ui"], "answer": {"save": "save"}}}))
        .await;
    // Saving needs the vault: the unlock page, then the save.
    let (unlock, _) = b.recv_until(|m| m["event"] == "ui.show").await;
    assert_eq!(unlock["kind"], "unlock");
    b.unlock(4).await;
    assert_eq!(b.reply(2).await["result"], Value::Null);
    b.send(json!({"id": 5, "method": "credentials.get", "params": {
        "caller": caller("https://example.com", 1),
        "options": {"password": true, "mediation": "silent"}}}))
        .await;
    assert_eq!(b.reply(5).await["result"]["id"], "alice");
}
