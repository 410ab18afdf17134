//! Passkeys through the host protocol, over a real vault file: `credentials.create` and
//! `credentials.get` with `publicKey` JSON options, the extension answering the authenticator's
//! `ui.show` prompts (`passkey.create`, `passkey.chooser`, `verify`), the spec's error names,
//! and every signature verified independently (p256, ed25519-dalek).

#![allow(clippy::unwrap_used)] // Test helpers: a failure should panic right there.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use credwell_host::HostConfig;
use credwell_vault::Vault;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

mod common;
use common::{FileOpener, PASSPHRASE, Port};

struct Browser {
    port: Port,
    next_id: u64,
    _dir: tempfile::TempDir,
    vault: PathBuf,
}

/// How the extension answers a `ui.show`: `None` leaves it open.
type Answers<'a> = &'a mut dyn FnMut(&Value) -> Option<Value>;

const UP: u8 = 0x01;
const UV: u8 = 0x04;
const BE: u8 = 0x08;
const BS: u8 = 0x10;
const AT: u8 = 0x40;

fn caller() -> Value {
    common::caller("https://example.com", 7)
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(v: &Value) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(v.as_str().unwrap()).unwrap()
}

/// The port's own `send`, `recv` and `reply_to`.
impl std::ops::Deref for Browser {
    type Target = Port;

    fn deref(&self) -> &Port {
        &self.port
    }
}

impl std::ops::DerefMut for Browser {
    fn deref_mut(&mut self) -> &mut Port {
        &mut self.port
    }
}

impl Browser {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let vault = dir.path().join("vault.sqlite");
        let opener = FileOpener(vault.clone());
        let config = HostConfig {
            idle_lock: None,
            ..HostConfig::default()
        };
        let (port, _task) = Port::start(opener, config, 256 * 1024);
        let mut b = Self {
            port,
            next_id: 1,
            _dir: dir,
            vault,
        };
        let r = b
            .call(
                "vault.unlock",
                json!({"passphrase": PASSPHRASE}),
                &mut |_| None,
            )
            .await
            .0;
        assert_eq!(r["result"]["locked"], false);
        b
    }

    /// Sends a request without waiting for its reply; returns its id.
    async fn begin(&mut self, method: &str, params: Value) -> u64 {
        let id = self.next_id;
        self.next_id += 2;
        self.send(json!({"id": id, "method": method, "params": params}))
            .await;
        id
    }

    /// The next `ui.show` event, skipping anything else.
    async fn next_prompt(&mut self) -> Value {
        loop {
            let m = self.recv().await;
            if m["event"] == "ui.show" {
                return m;
            }
        }
    }

    /// Registers an ES256 passkey for `user` with consent only (no attestation, no user
    /// verification); returns the reply.
    async fn register(&mut self, user: &str) -> Value {
        self.create(
            creation(user, -7, "none", "discouraged"),
            &mut approve(0, PASSPHRASE),
        )
        .await
        .0
    }

    /// Sends a request and answers its prompts until its reply; returns the reply and every
    /// `ui.show` seen.
    async fn call(
        &mut self,
        method: &str,
        params: Value,
        answers: Answers<'_>,
    ) -> (Value, Vec<Value>) {
        let id = self.begin(method, params).await;
        let mut shown = Vec::new();
        loop {
            let m = self.recv().await;
            if m["id"] == json!(id) {
                return (m, shown);
            }
            if m["event"] == "ui.show" {
                shown.push(m.clone());
                if let Some(answer) = answers(&m) {
                    let respond = self.next_id + 1;
                    self.next_id += 2;
                    self.send(json!({"id": respond, "method": "ui.respond",
                        "params": {"ui": m["ui"], "answer": answer}}))
                        .await;
                }
            }
        }
    }

    async fn create(&mut self, public_key: Value, answers: Answers<'_>) -> (Value, Vec<Value>) {
        self.call(
            "credentials.create",
            json!({"caller": caller(), "options": {"publicKey": public_key}}),
            answers,
        )
        .await
    }

    async fn get(&mut self, public_key: Value, answers: Answers<'_>) -> (Value, Vec<Value>) {
        self.call(
            "credentials.get",
            json!({"caller": caller(), "options": {"publicKey": public_key}}),
            answers,
        )
        .await
    }
}

/// Approves every creation, picks `choice` in choosers, types `passphrase` when verifying.
fn approve(choice: u64, passphrase: &'static str) -> impl FnMut(&Value) -> Option<Value> {
    move |m| match m["kind"].as_str().unwrap() {
        "passkey.create" => Some(json!({"create": true})),
        "passkey.chooser" => Some(json!({"choose": choice})),
        "verify" => Some(json!({"passphrase": passphrase})),
        "unlock" => None,
        other => panic!("unexpected prompt {other}"),
    }
}

fn creation(user: &str, alg: i64, attestation: &str, uv: &str) -> Value {
    json!({
        "rp": {"name": "Example", "id": "example.com"},
        "user": {"id": b64(user.as_bytes()), "name": format!("{user}@example.com"),
                 "displayName": user.to_uppercase()},
        "challenge": b64(format!("create {user}").as_bytes()),
        "pubKeyCredParams": [{"type": "public-key", "alg": alg}],
        "authenticatorSelection": {"residentKey": "required", "userVerification": uv},
        "attestation": attestation,
    })
}

fn request(allow: &[&Value], uv: &str) -> Value {
    json!({
        "challenge": b64(b"sign in"),
        "rpId": "example.com",
        "userVerification": uv,
        "allowCredentials": allow.iter().map(|id| json!({"type": "public-key", "id": id}))
            .collect::<Vec<_>>(),
    })
}

/// A verified public key: the credential public key from the attested credential data.
enum PublicKey {
    Es256(p256::ecdsa::VerifyingKey),
    EdDsa(ed25519_dalek::VerifyingKey),
}

impl PublicKey {
    fn verify(&self, message: &[u8], signature: &[u8]) {
        match self {
            Self::Es256(key) => {
                let sig = p256::ecdsa::Signature::from_der(signature).unwrap();
                p256::ecdsa::signature::Verifier::verify(key, message, &sig).unwrap();
            }
            Self::EdDsa(key) => {
                let sig = ed25519_dalek::Signature::from_slice(signature).unwrap();
                key.verify_strict(message, &sig).unwrap();
            }
        }
    }
}

/// Checks a registration byte by byte: RP ID hash, flags, zero counter, zero AAGUID, the
/// COSE key (CTAP2 canonical), the attestation statement (verified when packed) and the client
/// data. Returns the credential's public key.
fn check_registration(created: &Value, alg: i64, packed: bool, uv: bool) -> PublicKey {
    let response = &created["response"];
    let auth_data = unb64(&response["authenticatorData"]);
    assert_eq!(&auth_data[..32], &Sha256::digest(b"example.com")[..]);
    let flags = UP | BE | BS | AT | if uv { UV } else { 0 };
    assert_eq!(auth_data[32], flags, "flags");
    assert_eq!(auth_data[33..37], [0, 0, 0, 0], "counter");
    assert_eq!(auth_data[37..53], [0; 16], "AAGUID");
    let id_len = usize::from(u16::from_be_bytes([auth_data[53], auth_data[54]]));
    assert_eq!(&auth_data[55..55 + id_len], &unb64(&created["rawId"])[..]);
    let cose = &auth_data[55 + id_len..];
    let key = match alg {
        -7 => {
            assert_eq!(cose.len(), 77);
            assert_eq!(
                &cose[..10],
                &[0xa5, 1, 2, 3, 0x26, 0x20, 1, 0x21, 0x58, 0x20]
            );
            assert_eq!(&cose[42..45], &[0x22, 0x58, 0x20]);
            let mut point = vec![4];
            point.extend(&cose[10..42]);
            point.extend(&cose[45..77]);
            PublicKey::Es256(p256::ecdsa::VerifyingKey::from_sec1_bytes(&point).unwrap())
        }
        -8 => {
            assert_eq!(cose.len(), 42);
            assert_eq!(
                &cose[..10],
                &[0xa4, 1, 1, 3, 0x27, 0x20, 6, 0x21, 0x58, 0x20]
            );
            let bytes: [u8; 32] = cose[10..].try_into().unwrap();
            PublicKey::EdDsa(ed25519_dalek::VerifyingKey::from_bytes(&bytes).unwrap())
        }
        _ => unreachable!(),
    };
    assert_eq!(response["publicKeyAlgorithm"], alg);
    let client_data_json = unb64(&response["clientDataJSON"]);
    let client_data: Value = serde_json::from_slice(&client_data_json).unwrap();
    assert_eq!(client_data["type"], "webauthn.create");
    assert_eq!(client_data["origin"], "https://example.com");
    let attestation = unb64(&response["attestationObject"]);
    if packed {
        // {"fmt": "packed", "attStmt": {"alg": alg, "sig": h'..'}, "authData": h'..'}
        assert!(attestation.starts_with(b"\xa3\x63fmt\x66packed\x67attStmt\xa2\x63alg"));
        let at = 1 + 4 + 7 + 8 + 1 + 4 + 1 + 4;
        assert_eq!(attestation[at], 0x58);
        let len = usize::from(attestation[at + 1]);
        let sig = &attestation[at + 2..at + 2 + len];
        let mut message = auth_data.clone();
        message.extend(Sha256::digest(&client_data_json));
        key.verify(&message, sig);
    } else {
        assert!(attestation.starts_with(b"\xa3\x63fmt\x64none\x67attStmt\xa0"));
    }
    key
}

/// Checks an assertion and verifies its signature with `key`.
fn check_assertion(got: &Value, key: &PublicKey, user: &str, uv: bool) {
    let response = &got["response"];
    let auth_data = unb64(&response["authenticatorData"]);
    assert_eq!(auth_data.len(), 37);
    assert_eq!(&auth_data[..32], &Sha256::digest(b"example.com")[..]);
    assert_eq!(
        auth_data[32],
        UP | BE | BS | if uv { UV } else { 0 },
        "flags"
    );
    assert_eq!(auth_data[33..37], [0, 0, 0, 0], "counter");
    assert_eq!(unb64(&response["userHandle"]), user.as_bytes());
    let client_data_json = unb64(&response["clientDataJSON"]);
    let client_data: Value = serde_json::from_slice(&client_data_json).unwrap();
    assert_eq!(client_data["type"], "webauthn.get");
    assert_eq!(client_data["challenge"], b64(b"sign in"));
    let mut message = auth_data;
    message.extend(Sha256::digest(&client_data_json));
    key.verify(&message, &unb64(&response["signature"]));
}

fn kinds(shown: &[Value]) -> Vec<&str> {
    shown.iter().map(|m| m["kind"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn create_then_get_es256_with_packed_attestation_and_user_verification() {
    let mut b = Browser::start().await;
    // A wrong passphrase first: the verify prompt comes back, and the second try verifies.
    let mut tries = 0;
    let (r, shown) = b
        .create(
            creation("alice", -7, "direct", "required"),
            &mut |m| match m["kind"].as_str().unwrap() {
                "passkey.create" => Some(json!({"create": true})),
                "verify" => {
                    tries += 1;
                    Some(json!({"passphrase": if tries == 1 { "wrong" } else { PASSPHRASE }}))
                }
                other => panic!("unexpected {other}"),
            },
        )
        .await;
    assert_eq!(kinds(&shown), ["passkey.create", "verify", "verify"]);
    let prompt = &shown[0];
    assert_eq!(
        (
            &prompt["rpId"],
            &prompt["userName"],
            &prompt["alreadyRegistered"]
        ),
        (
            &json!("example.com"),
            &json!("alice@example.com"),
            &json!(false)
        )
    );
    assert_eq!(prompt["origin"], "https://example.com");
    assert!(prompt["request"].is_u64());
    assert_eq!(
        (
            &shown[1]["purpose"],
            &shown[1]["attempt"],
            &shown[2]["attempt"]
        ),
        (&json!("create"), &json!(1), &json!(2))
    );
    let created = &r["result"];
    assert_eq!(created["type"], "public-key", "{r}");
    let key = check_registration(created, -7, true, true);

    // Verified sign-in: the chooser (one account), then the passphrase.
    let (r, shown) = b
        .get(
            request(&[&created["rawId"]], "required"),
            &mut approve(0, PASSPHRASE),
        )
        .await;
    assert_eq!(kinds(&shown), ["passkey.chooser", "verify"]);
    assert_eq!(shown[0]["accounts"][0]["credentialId"], created["rawId"]);
    assert_eq!(shown[0]["accounts"][0]["userName"], "alice@example.com");
    assert_eq!(shown[1]["purpose"], "signIn");
    check_assertion(&r["result"], &key, "alice", true);

    // Without user verification, no passphrase is asked and UV is not claimed.
    let (r, shown) = b
        .get(request(&[], "discouraged"), &mut approve(0, PASSPHRASE))
        .await;
    assert_eq!(kinds(&shown), ["passkey.chooser"]);
    check_assertion(&r["result"], &key, "alice", false);

    // Three wrong passphrases: not verified, NotAllowedError.
    let (r, shown) = b
        .get(request(&[], "required"), &mut approve(0, "wrong"))
        .await;
    assert_eq!(
        kinds(&shown),
        ["passkey.chooser", "verify", "verify", "verify"]
    );
    assert_eq!(r["error"]["name"], "NotAllowedError");

    // The passkey is in the vault file, and a locked vault waits for the unlock page.
    let lock = b.call("vault.lock", json!({}), &mut |_| None).await.0;
    assert_eq!(lock["result"]["locked"], true);
    let id = b
        .begin(
            "credentials.get",
            json!({"caller": caller(), "options": {"publicKey": request(&[], "discouraged")}}),
        )
        .await;
    let unlock = b.next_prompt().await;
    assert_eq!(unlock["kind"], "unlock");
    b.send(json!({"id": 1000, "method": "vault.unlock", "params": {"passphrase": PASSPHRASE}}))
        .await;
    let chooser = b.next_prompt().await;
    assert_eq!(chooser["kind"], "passkey.chooser");
    b.send(json!({"id": 1001, "method": "ui.respond", "params": {"ui": chooser["ui"], "answer": {"choose": 0}}}))
        .await;
    let reply = b.reply_to(id).await;
    check_assertion(&reply["result"], &key, "alice", false);
    let vault = Vault::open(&b.vault, PASSPHRASE.as_bytes()).unwrap();
    assert_eq!(vault.all_passkeys().unwrap().len(), 1);
}

#[tokio::test]
async fn create_then_get_eddsa_with_none_attestation() {
    let mut b = Browser::start().await;
    let (r, shown) = b
        .create(
            creation("bob", -8, "none", "discouraged"),
            &mut approve(0, PASSPHRASE),
        )
        .await;
    assert_eq!(kinds(&shown), ["passkey.create"]);
    let key = check_registration(&r["result"], -8, false, false);
    // "preferred" (the default): the host can verify, so it does.
    let (r, shown) = b
        .get(
            json!({"challenge": b64(b"sign in"), "rpId": "example.com"}),
            &mut approve(0, PASSPHRASE),
        )
        .await;
    assert_eq!(kinds(&shown), ["passkey.chooser", "verify"]);
    check_assertion(&r["result"], &key, "bob", true);
}

#[tokio::test]
async fn the_chooser_offers_every_account_of_the_rp_most_recent_first() {
    let mut b = Browser::start().await;
    let mut keys = Vec::new();
    for user in ["alice", "bob"] {
        let (r, _) = b
            .create(
                creation(user, -7, "none", "discouraged"),
                &mut approve(0, PASSPHRASE),
            )
            .await;
        keys.push((
            check_registration(&r["result"], -7, false, false),
            r["result"]["rawId"].clone(),
        ));
        // Distinct creation times.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for (choice, user, key) in [(1, "alice", &keys[0].0), (0, "bob", &keys[1].0)] {
        let (r, shown) = b
            .get(
                request(&[], "discouraged"),
                &mut approve(choice, PASSPHRASE),
            )
            .await;
        assert_eq!(kinds(&shown), ["passkey.chooser"]);
        let accounts = shown[0]["accounts"].as_array().unwrap();
        let names: Vec<&str> = accounts
            .iter()
            .map(|a| a["userName"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["bob@example.com", "alice@example.com"]);
        assert_eq!(accounts[1]["credentialId"], keys[0].1);
        assert_eq!(shown[0]["rpId"], "example.com");
        check_assertion(&r["result"], key, user, false);
    }
}

#[tokio::test]
async fn refusals_are_not_allowed_errors() {
    let mut b = Browser::start().await;
    let (r, shown) = b
        .create(creation("alice", -7, "none", "discouraged"), &mut |_| {
            Some(json!({"create": false}))
        })
        .await;
    assert_eq!(kinds(&shown), ["passkey.create"]);
    assert_eq!(r["error"]["name"], "NotAllowedError");
    let (r, _) = b
        .create(
            creation("alice", -7, "none", "required"),
            &mut |m| match m["kind"].as_str() {
                Some("verify") => Some(json!({"cancel": true})),
                _ => Some(json!({"create": true})),
            },
        )
        .await;
    assert_eq!(r["error"]["name"], "NotAllowedError");
    let vault = Vault::open(&b.vault, PASSPHRASE.as_bytes()).unwrap();
    assert!(vault.all_passkeys().unwrap().is_empty(), "nothing stored");

    b.register("alice").await;
    let (r, shown) = b
        .get(request(&[], "discouraged"), &mut |_| {
            Some(json!({"cancel": true}))
        })
        .await;
    assert_eq!(kinds(&shown), ["passkey.chooser"]);
    assert_eq!(r["error"]["name"], "NotAllowedError");
}

#[tokio::test]
async fn an_excluded_credential_is_an_invalid_state_error() {
    let mut b = Browser::start().await;
    let r = b.register("alice").await;
    let id = r["result"]["rawId"].clone();
    let mut again = creation("alice2", -7, "none", "discouraged");
    again["excludeCredentials"] = json!([{"type": "public-key", "id": id}]);
    let (r, shown) = b.create(again, &mut approve(0, PASSPHRASE)).await;
    assert_eq!(kinds(&shown), ["passkey.create"]);
    assert_eq!(shown[0]["alreadyRegistered"], true);
    assert_eq!(r["error"]["name"], "InvalidStateError");
    let vault = Vault::open(&b.vault, PASSPHRASE.as_bytes()).unwrap();
    assert_eq!(vault.all_passkeys().unwrap().len(), 1);
}

#[tokio::test]
async fn an_rp_id_that_is_not_the_callers_is_a_security_error() {
    let mut b = Browser::start().await;
    let mut foreign = creation("alice", -7, "none", "discouraged");
    foreign["rp"]["id"] = json!("example.org");
    let (r, shown) = b.create(foreign, &mut approve(0, PASSPHRASE)).await;
    assert_eq!(r["error"]["name"], "SecurityError");
    assert!(shown.is_empty());
    let mut foreign = request(&[], "discouraged");
    foreign["rpId"] = json!("login.example.com");
    let (r, shown) = b.get(foreign, &mut approve(0, PASSPHRASE)).await;
    assert_eq!(r["error"]["name"], "SecurityError");
    assert!(shown.is_empty());
}

#[tokio::test]
async fn unknown_allowed_credentials_are_not_allowed_without_a_prompt() {
    let mut b = Browser::start().await;
    b.register("alice").await;
    let unknown = json!(b64(&[9; 16]));
    let (r, shown) = b
        .get(
            request(&[&unknown], "discouraged"),
            &mut approve(0, PASSPHRASE),
        )
        .await;
    assert_eq!(r["error"]["name"], "NotAllowedError");
    assert!(shown.is_empty());
}

#[tokio::test]
async fn declining_to_unlock_ends_a_passkey_request() {
    let mut b = Browser::start().await;
    b.call("vault.lock", json!({}), &mut |_| None).await;
    let (r, shown) = b
        .get(request(&[], "discouraged"), &mut |m| {
            assert_eq!(m["kind"], "unlock");
            Some(json!({"cancel": true}))
        })
        .await;
    assert_eq!(kinds(&shown), ["unlock"]);
    assert_eq!(r["error"]["name"], "NotAllowedError");
}

#[tokio::test]
async fn cancelling_a_ceremony_closes_its_prompt() {
    let mut b = Browser::start().await;
    b.register("alice").await;
    b.send(json!({"id": 500, "method": "credentials.get",
        "params": {"caller": caller(), "options": {"publicKey": request(&[], "discouraged")}}}))
        .await;
    let chooser = b.next_prompt().await;
    assert_eq!(chooser["kind"], "passkey.chooser");
    assert_eq!(chooser["request"], 500);
    b.send(json!({"id": 501, "method": "cancel", "params": {"target": 500, "reason": "gone"}}))
        .await;
    let (mut replied, mut closed) = (None, false);
    while replied.is_none() || !closed {
        let m = b.recv().await;
        if m["id"] == 500 {
            replied = Some(m);
        } else if m["event"] == "ui.close" {
            assert_eq!(m["ui"], chooser["ui"]);
            closed = true;
        }
    }
    assert_eq!(replied.unwrap()["error"]["abortReason"], "gone");
    // The prompt is gone: a late answer is not delivered, and the next ceremony runs.
    b.send(json!({"id": 502, "method": "ui.respond",
        "params": {"ui": chooser["ui"], "answer": {"choose": 0}}}))
        .await;
    let late = b.reply_to(502).await;
    assert_eq!(late["result"]["delivered"], false);
    let (r, _) = b
        .get(request(&[], "discouraged"), &mut approve(0, PASSPHRASE))
        .await;
    assert_eq!(r["result"]["type"], "public-key");
}

#[tokio::test]
async fn signals_hide_and_update_passkeys_and_reject_bad_options() {
    let mut b = Browser::start().await;
    let alice = b.register("alice").await;
    let bob = b.register("bob").await;
    let alice_id = alice["result"]["rawId"].clone();
    let bob_id = bob["result"]["rawId"].clone();
    let signal = |method: &str, options: Value| json!({"caller": caller(), "method": method, "options": options});

    // currentUserDetails: the chooser shows the new name.
    let (r, shown) = b
        .call(
            "credentials.signal",
            signal(
                "signalCurrentUserDetails",
                json!({"rpId": "example.com", "userId": b64(b"bob"),
                       "name": "robert@example.com", "displayName": "Robert"}),
            ),
            &mut |_| None,
        )
        .await;
    assert_eq!(r["result"], Value::Null, "{r}");
    assert!(shown.is_empty(), "a signal shows no UI");
    let vault = Vault::open(&b.vault, PASSPHRASE.as_bytes()).unwrap();
    let names: Vec<String> = vault
        .all_passkeys()
        .unwrap()
        .iter()
        .map(|p| {
            credwell_passkey::PasskeyRecord::from_vault_payload(&p.entry.payload)
                .unwrap()
                .user_name
        })
        .collect();
    assert!(
        names.contains(&"robert@example.com".to_owned()),
        "{names:?}"
    );
    drop(vault);

    // unknownCredential: alice's passkey is hidden, so signing in with it finds nothing.
    let (r, _) = b
        .call(
            "credentials.signal",
            signal(
                "signalUnknownCredential",
                json!({"rpId": "example.com", "credentialId": alice_id}),
            ),
            &mut |_| None,
        )
        .await;
    assert_eq!(r["result"], Value::Null, "{r}");
    let (r, shown) = b
        .get(
            request(&[&alice_id], "discouraged"),
            &mut approve(0, PASSPHRASE),
        )
        .await;
    assert_eq!(r["error"]["name"], "NotAllowedError");
    assert!(shown.is_empty());
    let (r, _) = b
        .get(
            request(&[&bob_id], "discouraged"),
            &mut approve(0, PASSPHRASE),
        )
        .await;
    assert_eq!(r["result"]["rawId"], bob_id, "{r}");

    // Bad options: their exact exception names, and nothing removed.
    for (method, options, name) in [
        (
            "signalUnknownCredential",
            json!({"rpId": "example.com", "credentialId": "%%%"}),
            "TypeError",
        ),
        (
            "signalAllAcceptedCredentials",
            json!({"rpId": "example.org", "userId": b64(b"bob"), "allAcceptedCredentialIds": []}),
            "SecurityError",
        ),
    ] {
        let (r, _) = b
            .call("credentials.signal", signal(method, options), &mut |_| None)
            .await;
        assert_eq!(r["error"]["name"], name, "{r}");
    }
    let (r, _) = b
        .call(
            "credentials.signal",
            signal("signalEverything", json!({})),
            &mut |_| None,
        )
        .await;
    assert!(r["error"].is_object(), "{r}");
    assert_eq!(
        hidden_passkeys(&mut b).await,
        vec![
            ("alice@example.com".to_owned(), true),
            ("robert@example.com".to_owned(), false)
        ]
    );

    // allAcceptedCredentials without bob's id: bob's passkey is hidden too.
    let (r, _) = b
        .call(
            "credentials.signal",
            signal(
                "signalAllAcceptedCredentials",
                json!({"rpId": "example.com", "userId": b64(b"bob"), "allAcceptedCredentialIds": []}),
            ),
            &mut |_| None,
        )
        .await;
    assert_eq!(r["result"], Value::Null, "{r}");
    // Neither is offered, both are kept: a signal wipes nothing for good.
    let (r, shown) = b
        .get(request(&[], "discouraged"), &mut approve(0, PASSPHRASE))
        .await;
    assert_eq!(r["error"]["name"], "NotAllowedError", "{r}");
    assert!(shown.is_empty());
    assert_eq!(
        hidden_passkeys(&mut b).await,
        vec![
            ("alice@example.com".to_owned(), true),
            ("robert@example.com".to_owned(), true)
        ]
    );
    let vault = Vault::open(&b.vault, PASSPHRASE.as_bytes()).unwrap();
    assert_eq!(vault.all_passkeys().unwrap().len(), 2);
    drop(vault);

    // The manager restores alice's (she signs in again) and purges bob's.
    let (r, _) = b
        .call(
            "vault.restore",
            json!({"credentialId": alice_id}),
            &mut |_| None,
        )
        .await;
    assert_eq!(r["result"]["restored"], true, "{r}");
    let (r, _) = b
        .call(
            "vault.restore",
            json!({"credentialId": alice_id}),
            &mut |_| None,
        )
        .await;
    assert_eq!(r["result"]["restored"], false, "not hidden any more: {r}");
    let (r, _) = b
        .call("vault.delete", json!({"credentialId": bob_id}), &mut |_| {
            None
        })
        .await;
    assert_eq!(r["result"]["deleted"], true, "{r}");
    let (r, _) = b
        .get(request(&[], "discouraged"), &mut approve(0, PASSPHRASE))
        .await;
    assert_eq!(r["result"]["rawId"], alice_id, "{r}");
    assert_eq!(
        hidden_passkeys(&mut b).await,
        vec![("alice@example.com".to_owned(), false)]
    );
    let (r, _) = b
        .call("vault.restore", json!({"credentialId": "%%"}), &mut |_| {
            None
        })
        .await;
    assert_eq!(r["error"]["code"], "bad-params", "{r}");
}

/// `vault.list`'s passkeys: (user name, hidden), by user name.
async fn hidden_passkeys(b: &mut Browser) -> Vec<(String, bool)> {
    let (r, _) = b.call("vault.list", json!({}), &mut |_| None).await;
    assert_eq!(r["result"]["next"], Value::Null, "one page: {r}");
    let mut out: Vec<(String, bool)> = r["result"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "public-key")
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_owned(),
                e["hidden"].as_bool().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn the_manager_lists_and_deletes_passkeys_without_their_keys() {
    let mut b = Browser::start().await;
    let alice = b.register("alice").await;
    let id = alice["result"]["rawId"].clone();
    let (r, _) = b.call("vault.list", json!({}), &mut |_| None).await;
    assert_eq!(r["result"]["next"], Value::Null, "one page: {r}");
    let list = r["result"]["items"].as_array().unwrap().clone();
    assert_eq!(list.len(), 1, "{r}");
    assert_eq!(list[0]["type"], "public-key");
    assert_eq!(list[0]["rpId"], "example.com");
    assert_eq!(list[0]["id"], "alice@example.com");
    assert_eq!(list[0]["name"], "ALICE");
    assert_eq!(list[0]["credentialId"], id);
    assert!(
        list[0]
            .as_object()
            .unwrap()
            .keys()
            .all(|k| !k.to_lowercase().contains("key")),
        "{r}"
    );
    let (r, _) = b
        .call("vault.list", json!({"query": "nobody"}), &mut |_| None)
        .await;
    assert_eq!(r["result"], json!({"items": [], "next": null}));
    let (r, _) = b
        .call("vault.delete", json!({"credentialId": "%%"}), &mut |_| None)
        .await;
    assert!(r["error"].is_object(), "{r}");
    let (r, _) = b
        .call("vault.delete", json!({"credentialId": id}), &mut |_| None)
        .await;
    assert_eq!(r["result"]["deleted"], true, "{r}");
    let (r, _) = b
        .call("vault.delete", json!({"credentialId": id}), &mut |_| None)
        .await;
    assert_eq!(r["result"]["deleted"], false, "{r}");
    let vault = Vault::open(&b.vault, PASSPHRASE.as_bytes()).unwrap();
    assert!(vault.all_passkeys().unwrap().is_empty());
}

#[tokio::test]
async fn conditional_requests_offer_passkeys_in_autofill_and_never_settle_early() {
    let mut b = Browser::start().await;
    let conditional = |public_key: Value| json!({"caller": caller(), "options": {"mediation": "conditional", "publicKey": public_key}});
    // Nothing stored: no UI at all, and the request stays pending until the page aborts it.
    let id = b
        .begin("credentials.get", conditional(request(&[], "discouraged")))
        .await;
    let still = tokio::time::timeout(Duration::from_millis(300), b.recv()).await;
    assert!(still.is_err(), "nothing may arrive: {still:?}");
    b.begin("cancel", json!({"target": id})).await;
    let mut replies = Vec::new();
    while replies.len() < 2 {
        let m = b.recv().await;
        assert_ne!(m["event"], "ui.show", "{m}");
        if m.get("id").is_some() {
            replies.push(m);
        }
    }
    let reply = replies.iter().find(|m| m["id"] == json!(id)).unwrap();
    assert_eq!(reply["error"]["name"], "AbortError", "{reply}");

    // A passkey stored: it is offered as autofill, and picking it signs in.
    let created = b.register("alice").await;
    let (r, shown) = b
        .call(
            "credentials.get",
            conditional(request(&[], "discouraged")),
            &mut |m| {
                assert_eq!(m["kind"], "passkey.autofill", "{m}");
                assert_eq!(m["accounts"][0]["userName"], "alice@example.com");
                Some(json!({"choose": 0}))
            },
        )
        .await;
    assert_eq!(kinds(&shown), ["passkey.autofill"]);
    assert_eq!(r["result"]["rawId"], created["result"]["rawId"], "{r}");

    // Locked: a conditional request does not show the unlock page; it offers the passkey once
    // the vault is unlocked by other means.
    b.call("vault.lock", json!({}), &mut |_| None).await;
    let id = b
        .begin("credentials.get", conditional(request(&[], "discouraged")))
        .await;
    let quiet = tokio::time::timeout(Duration::from_millis(300), b.recv()).await;
    assert!(quiet.is_err(), "no unlock page: {quiet:?}");
    let (unlocked, shown) = b
        .call(
            "vault.unlock",
            json!({"passphrase": PASSPHRASE}),
            &mut |_| None,
        )
        .await;
    assert_eq!(unlocked["result"]["locked"], false);
    let offer = match shown.first() {
        Some(offer) => offer.clone(),
        None => b.next_prompt().await,
    };
    assert_eq!(offer["kind"], "passkey.autofill", "{offer}");
    b.begin(
        "ui.respond",
        json!({"ui": offer["ui"], "answer": {"choose": 0}}),
    )
    .await;
    let reply = b.reply_to(id).await;
    assert_eq!(
        reply["result"]["rawId"], created["result"]["rawId"],
        "{reply}"
    );
}

#[tokio::test]
async fn a_cross_origin_frame_needs_the_permissions_policy_and_for_create_a_gesture() {
    let mut b = Browser::start().await;
    let frame = |extra: Value| {
        let mut c = json!({"origin": "https://example.com", "secureContext": true,
                           "fullyActive": true, "client": 9, "ancestors": ["https://shop.example"]});
        c.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        c
    };
    let create_in = |caller: Value| json!({"caller": caller, "options": {"publicKey": creation("alice", -7, "none", "discouraged")}});
    // No policy reported: the default allowlist ('self') refuses a cross-origin frame.
    let (r, shown) = b
        .call(
            "credentials.create",
            create_in(frame(json!({}))),
            &mut approve(0, PASSPHRASE),
        )
        .await;
    assert_eq!(r["error"]["name"], "NotAllowedError", "{r}");
    assert!(shown.is_empty());
    // Allowed by the embedder but without a user gesture: still refused for create.
    let (r, _) = b
        .call(
            "credentials.create",
            create_in(frame(json!({"publicKeyCreateAllowed": true}))),
            &mut approve(0, PASSPHRASE),
        )
        .await;
    assert_eq!(r["error"]["name"], "NotAllowedError", "{r}");
    // Allowed and with a gesture: created, and the client data says cross-origin.
    let (r, _) = b
        .call(
            "credentials.create",
            create_in(frame(
                json!({"publicKeyCreateAllowed": true, "transientActivation": true}),
            )),
            &mut approve(0, PASSPHRASE),
        )
        .await;
    assert!(r["result"].is_object(), "{r}");
    let client_data: Value =
        serde_json::from_slice(&unb64(&r["result"]["response"]["clientDataJSON"])).unwrap();
    assert_eq!(client_data["crossOrigin"], true);
    assert_eq!(client_data["topOrigin"], "https://shop.example");
    // get: refused without the policy, served with it.
    let get_in = |caller: Value| json!({"caller": caller, "options": {"publicKey": request(&[], "discouraged")}});
    let (r, _) = b
        .call(
            "credentials.get",
            get_in(frame(json!({}))),
            &mut approve(0, PASSPHRASE),
        )
        .await;
    assert_eq!(r["error"]["name"], "NotAllowedError", "{r}");
    let (r, _) = b
        .call(
            "credentials.get",
            get_in(frame(json!({"publicKeyGetAllowed": true}))),
            &mut approve(0, PASSPHRASE),
        )
        .await;
    assert!(r["result"].is_object(), "{r}");
    // A same-origin frame the embedder denied the feature to is refused.
    let (r, _) = b
        .call(
            "credentials.get",
            get_in(
                json!({"origin": "https://example.com", "secureContext": true,
                          "fullyActive": true, "client": 10, "ancestors": ["https://example.com"],
                          "publicKeyGetAllowed": false}),
            ),
            &mut approve(0, PASSPHRASE),
        )
        .await;
    assert_eq!(r["error"]["name"], "NotAllowedError", "{r}");
    // Not a boolean: a protocol error.
    let (r, _) = b
        .call(
            "credentials.get",
            get_in(frame(json!({"publicKeyGetAllowed": "yes"}))),
            &mut |_| None,
        )
        .await;
    assert!(r["error"].is_object(), "{r}");
}

/// A conditional request's offer can outlive the unlock (the idle lock does not wait for
/// pending requests): once the user picks from it, the sign-in needs the
/// vault, so the unlock page is shown and the sign-in completes after the unlock.
#[tokio::test]
async fn a_pick_from_an_offer_that_outlived_the_unlock_asks_to_unlock() {
    let mut b = Browser::start().await;
    let created = b.register("alice").await;
    let id = b
        .begin(
            "credentials.get",
            json!({"caller": caller(), "options": {"mediation": "conditional",
                "publicKey": request(&[], "discouraged")}}),
        )
        .await;
    let offer = b.next_prompt().await;
    assert_eq!(offer["kind"], "passkey.autofill", "{offer}");
    b.call("vault.lock", json!({}), &mut |_| None).await;
    b.begin(
        "ui.respond",
        json!({"ui": offer["ui"], "answer": {"choose": 0}}),
    )
    .await;
    let unlock = b.next_prompt().await;
    assert_eq!(unlock["kind"], "unlock", "{unlock}");
    let (r, _) = b
        .call(
            "vault.unlock",
            json!({"passphrase": PASSPHRASE}),
            &mut |_| None,
        )
        .await;
    assert_eq!(r["result"]["locked"], false);
    let reply = b.reply_to(id).await;
    assert_eq!(
        reply["result"]["rawId"], created["result"]["rawId"],
        "{reply}"
    );
}

/// `vault.list` pages run through the credentials, then the passkeys, each exactly once.
#[tokio::test]
async fn the_managers_pages_reach_every_credential_then_every_passkey_once() {
    let mut b = Browser::start().await;
    let mut ids = std::collections::BTreeSet::new();
    for user in ["alice", "bob", "carol"] {
        let created = b.register(user).await;
        ids.insert(created["result"]["rawId"].as_str().unwrap().to_owned());
    }
    let (r, _) = b
        .call(
            "credentials.store",
            json!({"caller": caller(), "credential": {"type": "password", "id": "dave",
                   "password": "pw"}}),
            &mut |m| Some(json!({"save": "save"})).filter(|_| m["kind"] == "save"),
        )
        .await;
    assert_eq!(r["result"], Value::Null, "{r}");
    let mut params = json!({"limit": 1});
    let mut seen = Vec::new();
    loop {
        let (r, _) = b.call("vault.list", params.clone(), &mut |_| None).await;
        let items = r["result"]["items"].as_array().unwrap();
        assert!(items.len() <= 1, "{r}");
        seen.extend(items.iter().cloned());
        match &r["result"]["next"] {
            Value::String(next) => params["cursor"] = json!(next),
            _ => break,
        }
    }
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert_eq!(seen[0]["id"], "dave", "credentials first");
    let passkeys: std::collections::BTreeSet<String> = seen[1..]
        .iter()
        .map(|p| p["credentialId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(passkeys, ids);
}

/// `uiMode: "immediate"` through the host: nothing held → NotAllowedError with no `ui.show`;
/// then one `chooser` with the password and the passkey (the passkey labelled by type and RP
/// ID), whose passkey pick signs without `passkey.chooser`; while locked, NotAllowedError and
/// no unlock page.
#[tokio::test]
async fn immediate_requests_show_one_chooser_of_passwords_and_passkeys_and_never_unlock() {
    let mut b = Browser::start().await;
    // Each phase from its own document: at most two immediate calls per document in 5 s.
    let immediate = |client: u64| {
        let mut caller = common::caller("https://example.com", client);
        caller["transientActivation"] = json!(true);
        json!({"caller": caller, "options": {"password": true, "uiMode": "immediate",
               "publicKey": request(&[], "discouraged")}})
    };
    let no_ui = &mut |m: &Value| -> Option<Value> { panic!("no UI expected: {m}") };
    let (r, shown) = b.call("credentials.get", immediate(100), no_ui).await;
    assert_eq!(r["error"]["name"], "NotAllowedError", "{r}");
    assert!(shown.is_empty());

    let created = b.register("alice").await;
    let credential = json!({"type": "password", "id": "bob", "password": "pencil"});
    let (stored, _) = b
        .call(
            "credentials.store",
            json!({"caller": caller(), "credential": credential}),
            &mut |m| {
                assert_eq!(m["kind"], "save", "{m}");
                Some(json!({"save": "save"}))
            },
        )
        .await;
    assert_eq!(stored["result"], Value::Null, "{stored}");

    let mut chooser = Value::Null;
    let (r, shown) = b
        .call("credentials.get", immediate(101), &mut |m| {
            chooser = m.clone();
            Some(json!({"choose": 1}))
        })
        .await;
    assert_eq!(
        kinds(&shown),
        ["chooser"],
        "no passkey.chooser after the pick"
    );
    assert_eq!(chooser["uiMode"], "immediate");
    assert_eq!(chooser["rpId"], "example.com");
    let accounts: Vec<_> = chooser["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["type"].as_str().unwrap(), a["id"].as_str().unwrap()))
        .collect();
    assert_eq!(
        accounts,
        [("password", "bob"), ("public-key", "alice@example.com")]
    );
    assert!(!chooser.to_string().contains("pencil"), "no password in UI");
    assert_eq!(r["result"]["rawId"], created["result"]["rawId"], "{r}");
    assert_eq!(r["result"]["type"], "public-key");

    // The password, from the same chooser.
    let (r, _) = b
        .call("credentials.get", immediate(101), &mut |_| {
            Some(json!({"choose": 0}))
        })
        .await;
    assert_eq!(
        (
            &r["result"]["type"],
            &r["result"]["id"],
            &r["result"]["password"]
        ),
        (&json!("password"), &json!("bob"), &json!("pencil"))
    );

    // Locked: NotAllowedError at once, no unlock page.
    b.call("vault.lock", json!({}), &mut |_| None).await;
    let (r, shown) = b.call("credentials.get", immediate(102), no_ui).await;
    assert_eq!(r["error"]["name"], "NotAllowedError", "{r}");
    assert!(shown.is_empty(), "{shown:?}");
}
