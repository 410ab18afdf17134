//! `forms.fill`: a sign-in form's field offers the caller's exact origin's password accounts in
//! the page's account list, and the pick hands out that account's password; nothing to a
//! cross-origin frame, an opaque origin, or while the vault is locked (and no unlock page).

#![allow(clippy::unwrap_used)] // Test helpers: a failure should panic right there.

use credwell_core::{
    Credential, CredentialStore, Origin, OriginFlags, Password, PasswordCredential, Timestamp,
};
use credwell_host::{HostConfig, MemoryVault};
use serde_json::{Value, json};

mod common;
use common::{MemoryOpener, PASSPHRASE, Port, caller};

fn password(origin: &str, id: &str, secret: &str, name: &str) -> Credential {
    Credential::Password(PasswordCredential {
        id: id.into(),
        password: Password::new(secret),
        name: name.into(),
        icon_url: String::new(),
        origin: Origin::parse(origin).unwrap(),
    })
}

/// A host over a vault holding accounts of `https://example.com`, another origin of its site,
/// its `http:` origin, and `https://only-https.example`.
fn start() -> (Port, MemoryVault) {
    let vault = MemoryVault::new();
    for (origin, id, secret, name) in [
        ("https://example.com", "alice", "alice-pw", "Alice"),
        ("https://example.com", "bob", "bob-pw", ""),
        ("https://login.example.com", "carol", "carol-pw", ""),
        ("http://example.com", "dave", "dave-pw", ""),
        ("https://only-https.example", "erin", "erin-pw", ""),
    ] {
        vault
            .credentials()
            .insert(password(origin, id, secret, name), Timestamp(1));
    }
    let config = HostConfig {
        idle_lock: None,
        ..HostConfig::default()
    };
    let (port, _task) = Port::start(MemoryOpener(vault.clone()), config, 64 * 1024);
    (port, vault)
}

async fn unlock(port: &mut Port, id: u64) {
    port.send(json!({"id": id, "method": "vault.unlock", "params": {"passphrase": PASSPHRASE}}))
        .await;
    assert_eq!(port.reply_to(id).await["result"]["locked"], false);
}

async fn fill(port: &mut Port, id: u64, caller: Value) {
    port.send(json!({"id": id, "method": "forms.fill", "params": {"caller": caller}}))
        .await;
}

/// The next message, which must be the offer (a `ui.show` of `password.autofill`).
async fn offer(port: &mut Port) -> Value {
    let show = port.recv().await;
    assert_eq!(show["event"], "ui.show", "{show}");
    assert_eq!(show["kind"], "password.autofill");
    show
}

fn ids(show: &Value) -> Vec<&str> {
    show["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect()
}

async fn choose(port: &mut Port, id: u64, show: &Value, index: u64) {
    port.send(json!({"id": id, "method": "ui.respond", "params": {"ui": show["ui"], "answer": {"choose": index}}}))
        .await;
}

/// The reply to `id`, which must come before any `ui.show` (nothing was offered).
async fn nothing_offered(port: &mut Port, id: u64) {
    let first = port.recv().await;
    assert_eq!(first, json!({"id": id, "result": null}), "offered: {first}");
}

#[tokio::test]
async fn the_exact_origins_accounts_are_offered_without_passwords_and_the_pick_is_handed_out() {
    let (mut port, _) = start();
    unlock(&mut port, 1).await;
    fill(&mut port, 2, caller("https://example.com", 1)).await;
    let show = offer(&mut port).await;
    assert_eq!(show["request"], 2);
    assert_eq!(show["origin"], "https://example.com");
    // Not login.example.com's (same site), not http://example.com's.
    assert_eq!(ids(&show), ["alice", "bob"]);
    assert_eq!(show["accounts"][0]["name"], "Alice");
    assert!(
        !show.to_string().contains("-pw"),
        "the offer carries no password: {show}"
    );
    choose(&mut port, 3, &show, 1).await;
    assert_eq!(
        port.reply_to(2).await,
        json!({"id": 2, "result": {"id": "bob", "password": "bob-pw"}})
    );
}

#[tokio::test]
async fn an_http_page_gets_only_its_own_origins_accounts_never_the_https_ones() {
    let (mut port, _) = start();
    unlock(&mut port, 1).await;
    let mut http = caller("http://only-https.example", 1);
    http["secureContext"] = json!(false);
    fill(&mut port, 2, http).await;
    nothing_offered(&mut port, 2).await;
    let mut http = caller("http://example.com", 1);
    http["secureContext"] = json!(false);
    fill(&mut port, 3, http).await;
    let show = offer(&mut port).await;
    assert_eq!(ids(&show), ["dave"]);
}

#[tokio::test]
async fn a_frame_not_same_origin_with_its_ancestors_gets_nothing_a_same_origin_one_does() {
    let (mut port, _) = start();
    unlock(&mut port, 1).await;
    let mut framed = caller("https://example.com", 1);
    framed["ancestors"] = json!(["https://top.example"]);
    fill(&mut port, 2, framed).await;
    nothing_offered(&mut port, 2).await;
    // Same origin as its parent, but not as the top-level document.
    let mut nested = caller("https://example.com", 1);
    nested["ancestors"] = json!(["https://example.com", "https://top.example"]);
    fill(&mut port, 3, nested).await;
    nothing_offered(&mut port, 3).await;
    let mut opaque = caller("null", 1);
    opaque["secureContext"] = json!(false);
    fill(&mut port, 4, opaque).await;
    nothing_offered(&mut port, 4).await;
    let mut gone = caller("https://example.com", 1);
    gone["fullyActive"] = json!(false);
    fill(&mut port, 5, gone).await;
    nothing_offered(&mut port, 5).await;
    let mut same = caller("https://example.com", 1);
    same["ancestors"] = json!(["https://example.com", "https://example.com"]);
    fill(&mut port, 6, same).await;
    assert_eq!(ids(&offer(&mut port).await), ["alice", "bob"]);
}

#[tokio::test]
async fn a_locked_vault_offers_nothing_and_shows_no_unlock_page() {
    let (mut port, _) = start();
    // Locked: an origin with accounts gets the very reply of one without (the page cannot tell).
    fill(&mut port, 1, caller("https://example.com", 1)).await;
    nothing_offered(&mut port, 1).await;
    fill(&mut port, 2, caller("https://nothing.example", 1)).await;
    nothing_offered(&mut port, 2).await;
    port.send(json!({"id": 3, "method": "vault.status"})).await;
    assert_eq!(port.recv().await["result"]["locked"], true);
    unlock(&mut port, 4).await;
    fill(&mut port, 5, caller("https://nothing.example", 1)).await;
    nothing_offered(&mut port, 5).await;
}

#[tokio::test]
async fn cancel_ends_the_offer_and_closes_the_list() {
    let (mut port, _) = start();
    unlock(&mut port, 1).await;
    fill(&mut port, 2, caller("https://example.com", 1)).await;
    let show = offer(&mut port).await;
    port.send(json!({"id": 3, "method": "cancel", "params": {"target": 2, "reason": "gone"}}))
        .await;
    let mut seen = Vec::new();
    while seen.len() < 3 {
        seen.push(port.recv().await);
    }
    assert!(
        seen.contains(&json!({"id": 3, "result": {"cancelled": true}})),
        "{seen:?}"
    );
    assert!(
        seen.contains(&json!({"id": 2, "error": {"abortReason": "gone"}})),
        "{seen:?}"
    );
    assert!(
        seen.contains(&json!({"event": "ui.close", "ui": show["ui"]})),
        "{seen:?}"
    );
    // A pick of the closed offer hands nothing out.
    choose(&mut port, 4, &show, 0).await;
    assert_eq!(port.reply_to(4).await["result"]["delivered"], false);
    // The same id again is a new request; a duplicate in flight is a protocol error.
    fill(&mut port, 2, caller("https://example.com", 1)).await;
    offer(&mut port).await;
    fill(&mut port, 2, caller("https://example.com", 1)).await;
    assert_eq!(port.reply_to(2).await["error"]["code"], "duplicate-id");
}

#[tokio::test]
async fn prevent_silent_access_and_never_for_this_site_do_not_stop_a_fill() {
    let (mut port, vault) = start();
    unlock(&mut port, 1).await;
    port.send(json!({"id": 2, "method": "credentials.preventSilentAccess", "params": {"caller": caller("https://example.com", 1)}}))
        .await;
    assert_eq!(port.reply_to(2).await["result"], Value::Null);
    let flags = OriginFlags {
        prevent_silent_access: true,
        never_save: true,
    };
    let origin = Origin::parse("https://example.com").unwrap();
    vault.set_origin_flags(&origin, flags).await.unwrap();
    fill(&mut port, 3, caller("https://example.com", 1)).await;
    let show = offer(&mut port).await;
    choose(&mut port, 4, &show, 0).await;
    assert_eq!(port.reply_to(3).await["result"]["password"], "alice-pw");
    // The flag is left as it was: a silent get() still returns nothing.
    port.send(json!({"id": 5, "method": "credentials.get", "params": {
        "caller": caller("https://example.com", 1), "options": {"password": true, "mediation": "silent"}}}))
        .await;
    assert_eq!(port.reply_to(5).await["result"], Value::Null);
    assert_eq!(vault.origin_flags(&origin).await.unwrap(), flags);
}

#[tokio::test]
async fn a_pick_after_the_vault_locked_asks_to_unlock_then_hands_out_the_account() {
    let (mut port, _) = start();
    unlock(&mut port, 1).await;
    fill(&mut port, 2, caller("https://example.com", 1)).await;
    let show = offer(&mut port).await;
    port.send(json!({"id": 3, "method": "vault.lock"})).await;
    port.reply_to(3).await;
    choose(&mut port, 4, &show, 0).await;
    let mut unlock_page = None;
    while unlock_page.is_none() {
        let m = port.recv().await;
        assert_ne!(m["id"], 2, "answered while locked: {m}");
        if m["event"] == "ui.show" && m["kind"] == "unlock" {
            unlock_page = Some(m);
        }
    }
    unlock(&mut port, 5).await;
    assert_eq!(port.reply_to(2).await["result"]["id"], "alice");
}

#[tokio::test]
async fn a_deleted_account_or_a_pick_out_of_range_hands_out_nothing() {
    let (mut port, vault) = start();
    unlock(&mut port, 1).await;
    fill(&mut port, 2, caller("https://example.com", 1)).await;
    let show = offer(&mut port).await;
    let alice = vault
        .credentials()
        .all()
        .into_iter()
        .find(|s| s.credential.id() == "alice")
        .unwrap();
    assert!(vault.remove(alice.record).await.unwrap());
    choose(&mut port, 3, &show, 0).await;
    assert_eq!(port.reply_to(2).await["result"], Value::Null);
    fill(&mut port, 4, caller("https://example.com", 1)).await;
    let show = offer(&mut port).await;
    assert_eq!(ids(&show), ["bob"]);
    choose(&mut port, 5, &show, 7).await;
    assert_eq!(port.reply_to(4).await["result"], Value::Null);
}

/// A conditional `create()` (an automatic passkey upgrade) from `origin`, answering any prompt
/// with a failure: its reply.
async fn upgrade(port: &mut Port, id: u64, origin: &str) -> Value {
    let public_key = json!({
        "rp": {"name": "Example", "id": "example.com"},
        "user": {"id": "YWxpY2U", "name": "alice@example.com", "displayName": "Alice"},
        "challenge": "dXBncmFkZQ",
        "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
        "authenticatorSelection": {"residentKey": "required", "userVerification": "preferred"},
    });
    port.send(json!({"id": id, "method": "credentials.create", "params": {
        "caller": caller(origin, 1), "options": {"publicKey": public_key, "mediation": "conditional"}}}))
        .await;
    loop {
        let m = port.recv().await;
        assert_ne!(m["event"], "ui.show", "a conditional create showed {m}");
        if m["id"] == json!(id) {
            return m;
        }
    }
}

#[tokio::test]
async fn a_fill_is_a_password_sign_in_after_which_a_conditional_create_upgrades_silently() {
    let (mut port, _) = start();
    unlock(&mut port, 1).await;
    // No sign-in yet: refused.
    assert_eq!(
        upgrade(&mut port, 2, "https://example.com").await["error"]["name"],
        "NotAllowedError"
    );
    // An offer cancelled hands nothing out: still no sign-in.
    fill(&mut port, 3, caller("https://example.com", 1)).await;
    offer(&mut port).await;
    port.send(json!({"id": 4, "method": "cancel", "params": {"target": 3}}))
        .await;
    port.reply_to(3).await;
    assert_eq!(
        upgrade(&mut port, 5, "https://example.com").await["error"]["name"],
        "NotAllowedError"
    );
    // The user picks: a password sign-in of that origin, and of no other.
    fill(&mut port, 6, caller("https://example.com", 1)).await;
    let show = offer(&mut port).await;
    choose(&mut port, 7, &show, 0).await;
    assert_eq!(port.reply_to(6).await["result"]["id"], "alice");
    let created = upgrade(&mut port, 8, "https://example.com").await;
    assert_eq!(created["result"]["type"], "public-key", "{created}");
    assert_eq!(
        upgrade(&mut port, 9, "https://login.example.com").await["error"]["name"],
        "NotAllowedError"
    );
}
