//! The HTTP API on both engines: device tokens, push and pull, limits, live notices, and two
//! instances on one PostgreSQL database.

#![allow(clippy::unwrap_used)] // A test: a failure panics right there.

mod common;

use std::time::{Duration, Instant};

use common::{Engine, start_postgres_instance, start_server};
use credwell_sync::protocol::page;
use credwell_sync::protocol::{
    AddDevice, AddedDevice, Bytes, ConflictReply, CreateAccount, CreatedAccount, CursorReply,
    DevicesReply, ErrorReply, MAX_PUSH_RECORDS, MAX_SEALED_BYTES, PullReply, PushRecord, PushReply,
    PushRequest, WrappedKey,
};
use credwell_sync::{AccountId, DeviceId, DeviceToken, RecordId};
use credwell_sync_server::Notices;
use reqwest::header::{ACCEPT, CONTENT_TYPE, VARY};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

struct Device {
    base: String,
    token: String,
    device: DeviceId,
}

async fn new_account(http: &Client, base: &str) -> Device {
    let reply: Value = http
        .post(format!("{base}/v1/accounts"))
        .json(&json!({"device_name": "laptop"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Device {
        base: base.to_owned(),
        token: reply["token"].as_str().unwrap().to_owned(),
        device: DeviceId::parse(reply["device"].as_str().unwrap()).unwrap(),
    }
}

fn push_body(records: &[(u8, u64, &[u8])]) -> PushRequest {
    PushRequest {
        records: records
            .iter()
            .map(|&(id, base, body)| PushRecord {
                id: RecordId([id; 16]),
                base,
                deleted: false,
                sealed: Bytes(body.to_vec()),
            })
            .collect(),
    }
}

impl Device {
    async fn push(&self, http: &Client, body: &PushRequest) -> reqwest::Response {
        http.post(format!("{}/v1/records", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    async fn pull(&self, http: &Client, since: u64) -> PullReply {
        let reply = http
            .get(format!("{}/v1/records?since={since}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), StatusCode::OK);
        reply.json().await.unwrap()
    }
}

/// The account's devices, as the device of `token` lists them.
async fn devices(http: &Client, base: &str, token: &str) -> DevicesReply {
    let reply = http
        .get(format!("{base}/v1/devices"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::OK);
    reply.json().await.unwrap()
}

async fn error_of(reply: reqwest::Response, status: StatusCode) -> String {
    assert_eq!(reply.status(), status);
    reply.json::<ErrorReply>().await.unwrap().error
}

#[tokio::test(flavor = "multi_thread")]
async fn push_and_pull_over_http_with_stale_writes_refused() {
    let http = Client::new();
    for engine in Engine::both().await {
        let base = start_server(engine.storage.clone(), Notices::new()).await;
        let laptop = new_account(&http, &base).await;
        let reply = laptop
            .push(&http, &push_body(&[(1, 0, b"v1"), (2, 0, b"w1")]))
            .await;
        assert_eq!(reply.status(), StatusCode::OK, "{}", engine.name);
        let pushed: PushReply = reply.json().await.unwrap();
        assert_eq!((pushed.revisions, pushed.cursor), (vec![1, 2], 2));
        let conflict = laptop.push(&http, &push_body(&[(1, 0, b"v0")])).await;
        assert_eq!(conflict.status(), StatusCode::CONFLICT);
        let conflict: ConflictReply = conflict.json().await.unwrap();
        assert_eq!(conflict.conflicts, vec![RecordId([1; 16])]);
        let pulled = laptop.pull(&http, 0).await;
        assert_eq!(pulled.cursor, 2);
        assert!(!pulled.more);
        assert_eq!(pulled.records[0].sealed, Bytes(b"v1".to_vec()));
        // Nothing newer: the cursor stays where the device is.
        assert_eq!(laptop.pull(&http, 2).await.records.len(), 0);
        // A device ahead of the account (restored from an older backup) is told the account's
        // own cursor, so that it can refuse the older state.
        let ahead = laptop.pull(&http, 9).await;
        assert_eq!((ahead.records.len(), ahead.cursor), (0, 2));
    }
}

/// The `Content-Type` of an answer.
fn content_type(reply: &reqwest::Response) -> &str {
    reply
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// A device that names the binary page in `Accept` gets the very page a device that does not
/// gets as JSON, in the binary form and with its `Content-Type`; a wildcard, JSON or the form
/// with `q=0` gets JSON; errors (400, 401, 410) are JSON whatever was asked.
#[tokio::test(flavor = "multi_thread")]
async fn a_pull_answers_the_binary_page_to_a_device_that_names_it_and_the_same_page_as_json() {
    let http = Client::new();
    for engine in Engine::both().await {
        let name = engine.name;
        let base = start_server(engine.storage.clone(), Notices::new()).await;
        let laptop = new_account(&http, &base).await;
        let mut body = push_body(&[(1, 0, b"v1"), (2, 0, b"\0\"\\\xff"), (3, 0, b"gone")]);
        body.records[2].deleted = true;
        let reply = laptop.push(&http, &body).await;
        assert_eq!(reply.status(), StatusCode::OK, "{name}");
        let get = |since: u64, limit: u32, accept: Option<&str>| {
            let mut request = http
                .get(format!("{base}/v1/records?since={since}&limit={limit}"))
                .bearer_auth(&laptop.token);
            if let Some(accept) = accept {
                request = request.header(ACCEPT, accept);
            }
            request.send()
        };
        // A page with more after it, the last page with a deletion, a page from the middle,
        // and an empty page (a device ahead of the account).
        for (since, limit, records, more) in [
            (0, 2, 2, true),
            (0, 1000, 3, false),
            (2, 1000, 1, false),
            (9, 1000, 0, false),
        ] {
            let what = format!("{name}, since {since}, limit {limit}");
            let reply = get(since, limit, None).await.unwrap();
            assert_eq!(reply.status(), StatusCode::OK, "{what}");
            assert_eq!(content_type(&reply), "application/json", "{what}");
            let json_bytes = reply.bytes().await.unwrap();
            let json: PullReply = serde_json::from_slice(&json_bytes).unwrap();
            assert_eq!((json.records.len(), json.more), (records, more), "{what}");
            for accept in [
                page::ACCEPT,
                page::MEDIA_TYPE,
                "*/*, application/vnd.credwell.page",
            ] {
                let reply = get(since, limit, Some(accept)).await.unwrap();
                assert_eq!(reply.status(), StatusCode::OK, "{what}, {accept}");
                assert_eq!(content_type(&reply), page::MEDIA_TYPE, "{what}, {accept}");
                assert_eq!(reply.headers()[VARY], "accept");
                let binary = reply.bytes().await.unwrap();
                assert_eq!(page::decode(&binary).unwrap(), json, "{what}, {accept}");
                assert!(binary.len() < json_bytes.len(), "{what}");
            }
            for accept in [
                "*/*",
                "application/json",
                "application/vnd.credwell.page;q=0",
            ] {
                let reply = get(since, limit, Some(accept)).await.unwrap();
                assert_eq!(content_type(&reply), "application/json", "{what}, {accept}");
                assert_eq!(reply.json::<PullReply>().await.unwrap(), json, "{what}");
            }
        }
        // Errors: a limit out of range, no token, a cursor below the horizon.
        let reply = get(0, 0, Some(page::ACCEPT)).await.unwrap();
        assert_eq!(content_type(&reply), "application/json");
        assert!(
            error_of(reply, StatusCode::BAD_REQUEST)
                .await
                .contains("limit")
        );
        let reply = http
            .get(format!("{base}/v1/records"))
            .header(ACCEPT, page::ACCEPT)
            .send()
            .await
            .unwrap();
        assert_eq!(content_type(&reply), "application/json");
        error_of(reply, StatusCode::UNAUTHORIZED).await;
        assert_eq!(engine.storage.sweep_tombstones(u64::MAX).await.unwrap(), 1);
        let reply = get(1, 1000, Some(page::ACCEPT)).await.unwrap();
        assert_eq!(content_type(&reply), "application/json", "{name}");
        assert!(
            error_of(reply, StatusCode::GONE).await.contains("swept"),
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_without_a_valid_device_token_are_refused() {
    let http = Client::new();
    for engine in Engine::both().await {
        let base = start_server(engine.storage.clone(), Notices::new()).await;
        let laptop = new_account(&http, &base).await;
        let url = format!("{base}/v1/records");
        let none = http.get(&url).send().await.unwrap();
        assert!(
            error_of(none, StatusCode::UNAUTHORIZED)
                .await
                .contains("no device token")
        );
        let basic = http
            .get(&url)
            .basic_auth("a", Some("b"))
            .send()
            .await
            .unwrap();
        error_of(basic, StatusCode::UNAUTHORIZED).await;
        let garbage = http.get(&url).bearer_auth("cw1.x").send().await.unwrap();
        error_of(garbage, StatusCode::UNAUTHORIZED).await;
        // The right account and device with another secret.
        let parsed = DeviceToken::parse(&laptop.token).unwrap();
        let forged = DeviceToken::generate(parsed.account, parsed.device)
            .unwrap()
            .to_text();
        let reply = http.get(&url).bearer_auth(&*forged).send().await.unwrap();
        let error = error_of(reply, StatusCode::UNAUTHORIZED).await;
        assert_eq!(error, "the device token is not valid", "{}", engine.name);
        // A revoked device is shut out, and says so.
        let phone = new_account(&http, &base).await;
        let reply = http
            .delete(format!("{base}/v1/devices/{}", laptop.device))
            .bearer_auth(&laptop.token)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), StatusCode::NO_CONTENT);
        let after = http
            .get(&url)
            .bearer_auth(&laptop.token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            error_of(after, StatusCode::UNAUTHORIZED).await,
            "this device was revoked"
        );
        // Another account's device is unaffected, and cannot see this account's devices.
        let listed = devices(&http, &base, &phone.token).await;
        assert_eq!(listed.devices.len(), 1);
        assert_eq!(listed.devices[0].id, phone.device);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_duplicate_and_malformed_pushes_are_refused_and_write_nothing() {
    let http = Client::new();
    let engine = Engine::sqlite();
    let base = start_server(engine.storage.clone(), Notices::new()).await;
    let laptop = new_account(&http, &base).await;
    let big = vec![0u8; MAX_SEALED_BYTES + 1];
    let reply = laptop.push(&http, &push_body(&[(1, 0, &big)])).await;
    assert!(
        error_of(reply, StatusCode::PAYLOAD_TOO_LARGE)
            .await
            .contains("bytes")
    );
    let reply = laptop
        .push(&http, &push_body(&[(1, 0, b"a"), (1, 0, b"b")]))
        .await;
    assert!(
        error_of(reply, StatusCode::BAD_REQUEST)
            .await
            .contains("twice")
    );
    let many: Vec<(u8, u64, &[u8])> = (0..=MAX_PUSH_RECORDS)
        .map(|i| ((i % 256) as u8, 0, &b"x"[..]))
        .collect();
    let reply = laptop.push(&http, &push_body(&many)).await;
    error_of(reply, StatusCode::BAD_REQUEST).await;
    let reply = laptop.push(&http, &PushRequest { records: vec![] }).await;
    error_of(reply, StatusCode::BAD_REQUEST).await;
    let secret = "S3cr3t-in-a-bad-body";
    let reply = http
        .post(format!("{base}/v1/records"))
        .bearer_auth(&laptop.token)
        .header("content-type", "application/json")
        .body(format!("{{\"records\": [{{\"id\": \"{secret}\"}}]}}"))
        .send()
        .await
        .unwrap();
    let error = error_of(reply, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(!error.contains(secret), "{error}");
    let reply = http
        .get(format!("{base}/v1/records?limit=0"))
        .bearer_auth(&laptop.token)
        .send()
        .await
        .unwrap();
    error_of(reply, StatusCode::BAD_REQUEST).await;
    assert_eq!(laptop.pull(&http, 0).await.records.len(), 0);
}

/// `GET /v1/wait` answers as soon as another device pushes, on one instance and (PostgreSQL)
/// across two instances through LISTEN/NOTIFY.
#[tokio::test(flavor = "multi_thread")]
async fn a_waiting_device_hears_a_push_at_once_also_from_another_instance() {
    let http = Client::new();
    let sqlite = Engine::sqlite();
    let postgres = Engine::postgres().await;
    let url = postgres.url.clone().unwrap();
    let cases = [
        {
            let base = start_server(sqlite.storage.clone(), Notices::new()).await;
            (base.clone(), base)
        },
        (
            start_postgres_instance(&url).await,
            start_postgres_instance(&url).await,
        ),
    ];
    for (writer_base, waiter_base) in cases {
        let writer = new_account(&http, &writer_base).await;
        // The same device's token, on the other instance.
        let waiter = Device {
            base: waiter_base.clone(),
            token: writer.token.clone(),
            device: writer.device,
        };
        let wait = {
            let http = http.clone();
            let url = format!("{}/v1/wait?since=0", waiter.base);
            let token = waiter.token.clone();
            tokio::spawn(async move {
                let reply = http.get(url).bearer_auth(token).send().await.unwrap();
                (Instant::now(), reply.json::<CursorReply>().await.unwrap())
            })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!wait.is_finished(), "wait returned before any change");
        let pushed_at = Instant::now();
        let reply = writer.push(&http, &push_body(&[(1, 0, b"v1")])).await;
        assert_eq!(reply.status(), StatusCode::OK);
        let (heard_at, cursor) = wait.await.unwrap();
        assert_eq!(cursor.cursor, 1);
        // Far below the 25 s a wait lasts without a notice: the notice, not the timeout.
        assert!(heard_at.duration_since(pushed_at) < Duration::from_secs(10));
        assert_eq!(waiter.pull(&http, 0).await.records.len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn adding_a_device_twice_adds_it_once_with_the_same_answer() {
    let http = Client::new();
    for engine in Engine::both().await {
        let base = start_server(engine.storage.clone(), Notices::new()).await;
        let laptop = new_account(&http, &base).await;
        let account = DeviceToken::parse(&laptop.token).unwrap().account;
        let phone = DeviceId::random().unwrap();
        let token = DeviceToken::generate(account, phone).unwrap();
        let body = |name: &str, token: &DeviceToken| AddDevice {
            device_name: name.into(),
            device: phone,
            token_hash: Bytes(token.hash().0.to_vec()),
        };
        let add = |body: AddDevice| {
            http.post(format!("{base}/v1/devices"))
                .bearer_auth(&laptop.token)
                .json(&body)
                .send()
        };
        let first = add(body("phone", &token)).await.unwrap();
        assert_eq!(first.status(), StatusCode::OK, "{}", engine.name);
        let first: AddedDevice = first.json().await.unwrap();
        // The same request again (a retry after a lost answer): the same answer, no device.
        let again = add(body("phone", &token)).await.unwrap();
        assert_eq!(again.status(), StatusCode::OK, "{}", engine.name);
        assert_eq!(again.json::<AddedDevice>().await.unwrap(), first);
        // The id with another token, or another name: refused, the device left as it was.
        let other = DeviceToken::generate(account, phone).unwrap();
        for body in [body("phone", &other), body("tablet", &token)] {
            let error = error_of(add(body).await.unwrap(), StatusCode::CONFLICT).await;
            assert!(error.contains("another token or name"), "{error}");
        }
        let listed = devices(&http, &base, &laptop.token).await;
        let names: Vec<_> = listed.devices.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["laptop", "phone"], "{}", engine.name);
        // The token whose hash was sent first works; the other does not.
        let url = format!("{base}/v1/records");
        let works = http.get(&url).bearer_auth(&*token.to_text()).send().await;
        assert_eq!(works.unwrap().status(), StatusCode::OK);
        let refused = http.get(&url).bearer_auth(&*other.to_text()).send().await;
        error_of(refused.unwrap(), StatusCode::UNAUTHORIZED).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn creating_an_account_twice_creates_it_once_and_nobody_takes_one_over() {
    let http = Client::new();
    for engine in Engine::both().await {
        let base = start_server(engine.storage.clone(), Notices::new()).await;
        let account = AccountId::random().unwrap();
        let laptop = DeviceId::random().unwrap();
        let token = DeviceToken::generate(account, laptop).unwrap();
        let body = |device: DeviceId, name: &str, token: &DeviceToken| CreateAccount {
            device_name: name.into(),
            account: Some(account),
            device: Some(device),
            token_hash: Some(Bytes(token.hash().0.to_vec())),
        };
        let create =
            |body: &CreateAccount| http.post(format!("{base}/v1/accounts")).json(body).send();
        let first = create(&body(laptop, "laptop", &token)).await.unwrap();
        assert_eq!(first.status(), StatusCode::OK, "{}", engine.name);
        let first: CreatedAccount = first.json().await.unwrap();
        assert_eq!((first.account, first.device), (account, laptop));
        assert!(first.token.is_none(), "the device chose its token");
        let wrapped = WrappedKey {
            version: 1,
            sealed: Bytes(vec![7; 40]),
        };
        engine
            .storage
            .set_opaque(account, b"registration", &wrapped, 0, 1)
            .await
            .unwrap();
        // The same request again (a retry after a lost answer): the same answer, nothing made.
        let again = create(&body(laptop, "laptop", &token)).await.unwrap();
        assert_eq!(again.status(), StatusCode::OK, "{}", engine.name);
        assert_eq!(again.json::<CreatedAccount>().await.unwrap(), first);
        // Whoever knows the account id (it is the sign-in handle) and sends another first
        // device, token or name is refused, and the account is left as it was.
        let stranger = DeviceId::random().unwrap();
        let theirs = DeviceToken::generate(account, stranger).unwrap();
        let other = DeviceToken::generate(account, laptop).unwrap();
        for attempt in [
            body(stranger, "laptop", &theirs),
            body(laptop, "laptop", &other),
            body(laptop, "tablet", &token),
        ] {
            let error = error_of(create(&attempt).await.unwrap(), StatusCode::CONFLICT).await;
            assert!(error.contains("already exists"), "{error}");
        }
        let opaque = engine.storage.opaque(account).await.unwrap().unwrap();
        assert_eq!(
            (opaque.record, opaque.wrapped),
            (b"registration".to_vec(), wrapped)
        );
        let url = format!("{base}/v1/devices");
        let listed = devices(&http, &base, &token.to_text()).await;
        let names: Vec<_> = listed.devices.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["laptop"], "{}", engine.name);
        for refused in [theirs, other] {
            let reply = http.get(&url).bearer_auth(&*refused.to_text()).send().await;
            error_of(reply.unwrap(), StatusCode::UNAUTHORIZED).await;
        }
        // Some of the chosen values without the others, or a hash that is not 32 bytes.
        let mut partial = body(DeviceId::random().unwrap(), "x", &token);
        partial.account = Some(AccountId::random().unwrap());
        partial.token_hash = None;
        let error = error_of(create(&partial).await.unwrap(), StatusCode::BAD_REQUEST).await;
        assert!(error.contains("together"), "{error}");
        partial.token_hash = Some(Bytes(vec![1; 31]));
        let error = error_of(create(&partial).await.unwrap(), StatusCode::BAD_REQUEST).await;
        assert!(error.contains("32 bytes"), "{error}");
        // The device name alone (the older form): the server chooses, and answers the token.
        let older = CreateAccount {
            device_name: "older".into(),
            account: None,
            device: None,
            token_hash: None,
        };
        let made: CreatedAccount = create(&older).await.unwrap().json().await.unwrap();
        let token = DeviceToken::parse(made.token.as_deref().unwrap()).unwrap();
        assert_eq!((token.account, token.device), (made.account, made.device));
    }
}
