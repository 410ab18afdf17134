//! Signing in with the sync passphrase (OPAQUE) on both engines: a first device registers, a
//! second joins with the passphrase alone and syncs; a wrong passphrase and an unknown account
//! are refused alike; a forged or replayed finish is refused; failed attempts are limited per
//! account; a sign-in's state expires; neither database ever holds the passphrase or the key.

#![allow(clippy::unwrap_used)] // A test: a failure panics right there.

mod common;

use common::{Engine, serve};
use credwell_sync::client::http::{HttpTransport, SignInError};
use credwell_sync::client::{Client, State, TransportError};
use credwell_sync::opaque::{KsfParams, Login, OpaqueError};
use credwell_sync::protocol::{
    Bytes, LoginFinish, LoginStart, LoginStartReply, MAX_LOGIN_ATTEMPTS, WrappedKey,
};
use credwell_sync::{AccountId, AccountKey, LoginId};
use credwell_sync_server::StorageError;
use reqwest::StatusCode;
use reqwest::blocking::Client as Http;
use serde_json::Value;

/// A record body for the sync through the joined device.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Note(String);

impl credwell_sync::merge::Body for Note {
    fn keep_from(&mut self, _: &Self) {}
}

const PASSPHRASE: &[u8] = b"canary sync passphrase 7Xq";
const KEY: [u8; 32] = [0xA7; 32];

fn cheap() -> KsfParams {
    KsfParams::current(true).unwrap()
}

/// A new account whose first device registered [`PASSPHRASE`] with [`KEY`]: its transport.
fn registered(base: &str) -> (AccountId, HttpTransport) {
    let first = HttpTransport::create_account(base, "laptop").unwrap();
    let transport = HttpTransport::new(base, first.token).unwrap();
    transport.register(PASSPHRASE, cheap(), 0, 1, &KEY).unwrap();
    (first.account, transport)
}

/// The names of the account's devices, as `device` lists them.
fn device_names(device: &HttpTransport) -> Vec<String> {
    let devices = device.devices().unwrap();
    devices.into_iter().map(|d| d.name).collect()
}

fn wrong_passphrase(result: Result<impl std::fmt::Debug, SignInError>) {
    match result {
        Err(SignInError::Opaque(OpaqueError::WrongPassphrase)) => {}
        other => panic!("not refused as a wrong passphrase: {other:?}"),
    }
}

#[test]
fn a_second_device_joins_with_the_passphrase_alone_and_syncs() {
    for engine in ["sqlite", "postgres"] {
        let (base, _runtime, _engine) = serve(engine);
        let (account, first) = registered(&base);
        let joined =
            HttpTransport::login(&base, account, PASSPHRASE, cheap(), Some("phone")).unwrap();
        assert_eq!((&joined.key[..], joined.version), (&KEY[..], 1), "{engine}");
        let enrolled = joined.enrolled.unwrap();
        assert_eq!(enrolled.account, account);
        let names = device_names(&first);
        assert_eq!(names, ["laptop", "phone"], "{engine}");
        // Its token works, and the key opens what the first device writes.
        let key: [u8; 32] = joined.key.as_slice().try_into().unwrap();
        let mut a = Client::new(
            account,
            first.devices().unwrap()[0].id,
            AccountKey::from_bytes(&KEY),
            first,
            State::default(),
        );
        let id = a.record_id("login", b"canary");
        a.change(id, Some(Note("body".into())), 1);
        a.sync().unwrap();
        let transport = HttpTransport::new(&base, enrolled.token).unwrap();
        let mut b: Client<Note, _> = Client::new(
            account,
            enrolled.device,
            AccountKey::from_bytes(&key),
            transport,
            State::default(),
        );
        b.sync().unwrap();
        assert_eq!(
            b.records().collect::<Vec<_>>(),
            [(id, &Note("body".into()))]
        );
        // Without a device name: the key only, no new device.
        let fetched = HttpTransport::login(&base, account, PASSPHRASE, cheap(), None).unwrap();
        assert!(fetched.enrolled.is_none());
        assert_eq!(*fetched.key, KEY.to_vec());
        assert_eq!(b.transport().devices().unwrap().len(), 2, "{engine}");
    }
}

#[test]
fn a_wrong_passphrase_and_an_unknown_account_are_refused_alike() {
    for engine in ["sqlite", "postgres"] {
        let (base, _runtime, _engine) = serve(engine);
        let (account, first) = registered(&base);
        let wrong = HttpTransport::login(&base, account, b"canary guess", cheap(), Some("x"));
        let message = wrong.as_ref().unwrap_err().to_string();
        assert!(
            message.contains("wrong passphrase for this sync account"),
            "{message}"
        );
        wrong_passphrase(wrong);
        let unknown = AccountId::random().unwrap();
        wrong_passphrase(HttpTransport::login(
            &base,
            unknown,
            PASSPHRASE,
            cheap(),
            Some("x"),
        ));
        // Nothing was added by either.
        assert_eq!(first.devices().unwrap().len(), 1, "{engine}");
        // An account without a registered passphrase answers like an unknown one.
        let bare = HttpTransport::create_account(&base, "bare").unwrap();
        wrong_passphrase(HttpTransport::login(
            &base,
            bare.account,
            PASSPHRASE,
            cheap(),
            None,
        ));
        // Registering needs a device of the account.
        let http = Http::new();
        let status = http
            .post(format!("{base}/v1/opaque/register/start"))
            .json(&serde_json::json!({"request": "AAAA"}))
            .send()
            .unwrap()
            .status();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{engine}");
    }
}

/// Starts a login of `account` with `passphrase` by hand: the server's reply and the client.
fn start(
    http: &Http,
    base: &str,
    account: AccountId,
    passphrase: &[u8],
) -> (LoginStartReply, Login) {
    let (login, request) = Login::start(passphrase, cheap()).unwrap();
    let reply = http
        .post(format!("{base}/v1/opaque/login/start"))
        .json(&LoginStart {
            account,
            request: Bytes(request),
        })
        .send()
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    (reply.json().unwrap(), login)
}

fn finish(http: &Http, base: &str, body: &LoginFinish) -> (StatusCode, Value) {
    let reply = http
        .post(format!("{base}/v1/opaque/login/finish"))
        .json(body)
        .send()
        .unwrap();
    (reply.status(), reply.json().unwrap())
}

#[test]
fn a_forged_or_replayed_finish_is_refused() {
    for engine in ["sqlite", "postgres"] {
        let (base, _runtime, _engine) = serve(engine);
        let (account, first) = registered(&base);
        let http = Http::new();
        // A guesser that cannot open the envelope sends a KE3 of its own making.
        let (started, _) = start(&http, &base, account, b"guess");
        let forged = LoginFinish {
            account,
            login: started.login,
            finalization: Bytes(vec![7; 64]),
            device_name: Some("intruder".into()),
        };
        let (status, body) = finish(&http, &base, &forged);
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{engine}");
        assert_eq!(body["error"], "wrong passphrase for this sync account");
        // The state was taken by that attempt: not even the right KE3 finishes it now.
        let (status, _) = finish(&http, &base, &forged);
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        // A real finish, then the same request again.
        let (started, login) = start(&http, &base, account, PASSPHRASE);
        let (finalization, _) = login
            .finish(PASSPHRASE, account, &started.response.0)
            .unwrap();
        let body = LoginFinish {
            account,
            login: started.login,
            finalization: Bytes(finalization),
            device_name: Some("tablet".into()),
        };
        let (status, reply) = finish(&http, &base, &body);
        assert_eq!(status, StatusCode::OK, "{engine}: {reply}");
        let (status, replayed) = finish(&http, &base, &body);
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{engine}");
        assert!(
            replayed["error"]
                .as_str()
                .unwrap()
                .contains("already finished"),
            "{replayed}"
        );
        // The same KE3 under another sign-in of the account proves nothing either.
        let (other, _) = start(&http, &base, account, PASSPHRASE);
        let moved = LoginFinish {
            login: other.login,
            ..body
        };
        assert_eq!(finish(&http, &base, &moved).0, StatusCode::UNAUTHORIZED);
        let names = device_names(&first);
        assert_eq!(names, ["laptop", "tablet"], "{engine}");
    }
}

#[test]
fn failed_sign_ins_are_limited_per_account_and_a_success_resets_the_count() {
    for engine in ["sqlite", "postgres"] {
        let (base, _runtime, _engine) = serve(engine);
        let (account, _first) = registered(&base);
        let (other, _) = registered(&base);
        let unknown = AccountId::random().unwrap();
        for _ in 0..MAX_LOGIN_ATTEMPTS {
            wrong_passphrase(HttpTransport::login(
                &base,
                account,
                b"guess",
                cheap(),
                None,
            ));
            wrong_passphrase(HttpTransport::login(
                &base,
                unknown,
                b"guess",
                cheap(),
                None,
            ));
        }
        for target in [account, unknown] {
            match HttpTransport::login(&base, target, PASSPHRASE, cheap(), None) {
                Err(SignInError::Transport(TransportError::Server {
                    status: 429,
                    message,
                })) => {
                    assert!(message.contains("too many sign-in attempts"), "{message}");
                }
                other => panic!("{engine}: not limited: {other:?}"),
            }
        }
        // Another account is not affected; its success clears its own count.
        for _ in 0..MAX_LOGIN_ATTEMPTS - 1 {
            wrong_passphrase(HttpTransport::login(&base, other, b"guess", cheap(), None));
        }
        HttpTransport::login(&base, other, PASSPHRASE, cheap(), None).unwrap();
        for _ in 0..MAX_LOGIN_ATTEMPTS - 1 {
            wrong_passphrase(HttpTransport::login(&base, other, b"guess", cheap(), None));
        }
        HttpTransport::login(&base, other, PASSPHRASE, cheap(), None).unwrap();
    }
}

#[tokio::test]
async fn a_started_sign_in_expires_and_old_attempts_stop_counting() {
    for engine in Engine::both().await {
        let storage = &engine.storage;
        let account = AccountId::random().unwrap();
        let t = 1_000_000_000;
        let login = LoginId::random().unwrap();
        storage
            .begin_login(account, login, b"state", t)
            .await
            .unwrap();
        let late = t + 61_000;
        assert_eq!(
            storage.take_login(account, login, late).await.unwrap(),
            None
        );
        let login = LoginId::random().unwrap();
        storage
            .begin_login(account, login, b"state", t)
            .await
            .unwrap();
        let taken = storage.take_login(account, login, t + 1000).await.unwrap();
        assert_eq!(
            taken.map(|t| t.to_vec()),
            Some(b"state".to_vec()),
            "{}",
            engine.name
        );
        assert_eq!(
            storage.take_login(account, login, t + 1000).await.unwrap(),
            None
        );
        for _ in 2..MAX_LOGIN_ATTEMPTS {
            let login = LoginId::random().unwrap();
            storage.begin_login(account, login, b"s", t).await.unwrap();
        }
        let refused = storage
            .begin_login(account, LoginId::random().unwrap(), b"s", t)
            .await;
        assert!(
            matches!(refused, Err(StorageError::TooManyAttempts)),
            "{refused:?}"
        );
        // After the window, the old attempts are swept.
        let later = t + 15 * 60 * 1000 + 1;
        storage
            .begin_login(account, LoginId::random().unwrap(), b"s", later)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_registration_replaces_only_the_key_version_it_started_from() {
    for engine in Engine::both().await {
        let storage = &engine.storage;
        let account = AccountId::random().unwrap();
        let device = credwell_sync::DeviceId::random().unwrap();
        let hash = credwell_sync::DeviceToken::generate(account, device)
            .unwrap()
            .hash();
        let wrapped = |version| WrappedKey {
            version,
            sealed: Bytes(vec![1; 40]),
        };
        let set = |record: &'static [u8], version, previous| {
            let wrapped = wrapped(version);
            async move {
                storage
                    .set_opaque(account, record, &wrapped, previous, 1)
                    .await
            }
        };
        let missing = set(b"r", 1, 0).await;
        assert!(
            matches!(missing, Err(StorageError::NoAccount)),
            "{missing:?}"
        );
        storage
            .create_account(account, device, hash, "a", 1)
            .await
            .unwrap();
        set(b"r1", 1, 0).await.unwrap();
        // Two devices that both started from "none", or both from version 1: one wins.
        let changed = |result: Result<(), StorageError>, stored: u32| {
            assert!(
                matches!(result, Err(StorageError::KeyChanged { stored: s }) if s == stored),
                "{}: {result:?}",
                engine.name
            );
        };
        changed(set(b"r2", 1, 0).await, 1);
        set(b"r3", 2, 1).await.unwrap();
        changed(set(b"r4", 2, 1).await, 2);
        // A new passphrase for the same key version.
        set(b"r5", 2, 2).await.unwrap();
        let stored = storage.opaque(account).await.unwrap().unwrap();
        assert_eq!(
            (stored.record, stored.wrapped),
            (b"r5".to_vec(), wrapped(2))
        );
    }
}

/// Every value in every table of a PostgreSQL database, as text (`bytea` as hex).
async fn postgres_text(url: &str) -> String {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let mut all = String::new();
    for table in [
        "accounts",
        "devices",
        "records",
        "opaque",
        "logins",
        "server_setup",
    ] {
        for row in client
            .query(&format!("SELECT t::text FROM {table} t"), &[])
            .await
            .unwrap()
        {
            all.push_str(row.get::<_, &str>(0));
        }
    }
    all
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn neither_database_ever_holds_the_passphrase_or_the_account_key() {
    for engine in ["sqlite", "postgres"] {
        let (base, runtime, engine) = serve(engine);
        let (account, _first) = registered(&base);
        HttpTransport::login(&base, account, PASSPHRASE, cheap(), Some("phone")).unwrap();
        wrong_passphrase(HttpTransport::login(
            &base,
            account,
            b"canary guess",
            cheap(),
            None,
        ));
        // A sign-in left open: its state stays in the database for now.
        start(&Http::new(), &base, account, PASSPHRASE);
        match (&engine.file, &engine.url) {
            (Some(file), _) => {
                let mut bytes = std::fs::read(file).unwrap();
                let wal = file.with_extension("sqlite-wal");
                bytes.extend(std::fs::read(wal).unwrap_or_default());
                for canary in [PASSPHRASE, &b"canary guess"[..], &KEY[..]] {
                    assert!(
                        !bytes.windows(canary.len()).any(|w| w == canary),
                        "sqlite holds {canary:?}"
                    );
                }
                // The scan sees the database's content: the account id is in it.
                assert!(bytes.windows(16).any(|w| w == account.0));
            }
            (None, Some(url)) => {
                let text = runtime.block_on(postgres_text(url));
                assert!(text.contains(&hex(&account.0)), "the scan reads the rows");
                for canary in [PASSPHRASE, &b"canary guess"[..], &KEY[..]] {
                    assert!(!text.contains(&hex(canary)), "postgres holds {canary:?}");
                }
                for canary in ["canary sync passphrase", "canary guess"] {
                    assert!(!text.contains(canary), "postgres holds {canary}");
                }
            }
            _ => unreachable!(),
        }
    }
}

#[test]
fn malformed_sign_in_requests_are_refused_by_name() {
    let (base, _runtime, _engine) = serve("sqlite");
    let first = HttpTransport::create_account(&base, "laptop").unwrap();
    let account = first.account.to_string();
    let http = Http::new();
    let post = |path: &str, body: Value, token: Option<&str>| {
        let mut request = http.post(format!("{base}{path}")).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let reply = request.send().unwrap();
        (
            reply.status(),
            reply.json::<Value>().unwrap()["error"].clone(),
        )
    };
    let token = Some(first.token.as_str());
    let garbage = serde_json::json!({"request": "AAAA"});
    let (status, error) = post("/v1/opaque/register/start", garbage.clone(), token);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error
            .as_str()
            .unwrap()
            .contains("registration request is not an OPAQUE"),
        "{error}"
    );
    let empty = serde_json::json!({"request": ""});
    assert_eq!(
        post("/v1/opaque/register/start", empty, token).0,
        StatusCode::BAD_REQUEST
    );
    let start = serde_json::json!({"account": account, "request": "AAAA"});
    let (status, error) = post("/v1/opaque/login/start", start, None);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error
            .as_str()
            .unwrap()
            .contains("login request is not an OPAQUE"),
        "{error}"
    );
    let finish = |name: Value| {
        serde_json::json!({
            "account": account, "login": LoginId([0; 16]), "finalization": "AAAA",
            "device_name": name,
        })
    };
    let (status, error) = post("/v1/opaque/login/finish", finish(Value::Null), None);
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        error.as_str().unwrap().contains("unknown, expired"),
        "{error}"
    );
    let (status, error) = post("/v1/opaque/login/finish", finish("\u{7}".into()), None);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error.as_str().unwrap().contains("device name"), "{error}");
    // A registration upload that is not one, and a key version 0.
    let upload = |version: u32| {
        serde_json::json!({
            "upload": "AAAA", "previous": 0,
            "wrapped": {"version": version, "sealed": "AAAA"},
        })
    };
    let (status, error) = post("/v1/opaque/register/finish", upload(1), token);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error.as_str().unwrap().contains("registration upload"),
        "{error}"
    );
    let (status, error) = post("/v1/opaque/register/finish", upload(0), token);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error.as_str().unwrap().contains("version from 1"),
        "{error}"
    );
    let (status, error) = post("/v1/opaque/register/finish", upload(2), token);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error.as_str().unwrap().contains("not to 2"), "{error}");
    // Nothing was registered by any of these.
    wrong_passphrase(HttpTransport::login(
        &base,
        first.account,
        PASSPHRASE,
        cheap(),
        None,
    ));
}

#[test]
fn a_wrapped_key_the_server_swaps_or_relabels_does_not_open() {
    let (base, runtime, engine) = serve("sqlite");
    let (account, _) = registered(&base);
    let (other, _) = registered(&base);
    let storage = &engine.storage;
    let mine = runtime.block_on(storage.opaque(account)).unwrap().unwrap();
    let theirs = runtime.block_on(storage.opaque(other)).unwrap().unwrap();
    // The server hands this account another account's wrapped key with this one's record.
    runtime
        .block_on(storage.set_opaque(account, &mine.record, &theirs.wrapped, 1, 2))
        .unwrap();
    match HttpTransport::login(&base, account, PASSPHRASE, cheap(), None) {
        Err(SignInError::Opaque(OpaqueError::KeyDoesNotOpen)) => {}
        other => panic!("a swapped key was accepted: {other:?}"),
    }
    // Or its own wrapped key, relabelled as another version.
    let relabelled = WrappedKey {
        version: 2,
        ..mine.wrapped.clone()
    };
    runtime
        .block_on(storage.set_opaque(account, &mine.record, &relabelled, 1, 3))
        .unwrap();
    match HttpTransport::login(&base, account, PASSPHRASE, cheap(), None) {
        Err(SignInError::Opaque(OpaqueError::KeyDoesNotOpen)) => {}
        other => panic!("a relabelled key was accepted: {other:?}"),
    }
    // Put back, it opens.
    runtime
        .block_on(storage.set_opaque(account, &mine.record, &mine.wrapped, 2, 4))
        .unwrap();
    let back = HttpTransport::login(&base, account, PASSPHRASE, cheap(), None).unwrap();
    assert_eq!(&back.key[..], &KEY[..]);
}
