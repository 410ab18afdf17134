//! The client's HTTP transport: the sync API ([`crate::protocol`]) over a blocking HTTP client.

use std::fmt;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use reqwest::Certificate;
use reqwest::StatusCode;
use reqwest::blocking::{Client as Http, RequestBuilder, Response};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use super::{Pushed, Transport, TransportError};
use crate::protocol::page;
use crate::protocol::{
    AddDevice, AddedDevice, Bytes, ConflictReply, CreateAccount, CreatedAccount, CursorReply,
    DeviceInfo, DevicesReply, ErrorReply, PullReply, PushRequest, WAIT_SECONDS,
};
use crate::{AccountId, DeviceId, DeviceToken};

mod signin;

pub use signin::{SignInError, SignedIn};

/// How many times [`HttpTransport::add_device`] and [`HttpTransport::create_account`] send
/// their request when the connection breaks (both are idempotent).
pub const RETRY_ATTEMPTS: u32 = 3;

/// How long one request may take (a wait takes up to [`WAIT_SECONDS`] more).
const TIMEOUT: Duration = Duration::from_secs(60);

/// A new account's first device, or a device added to an account, as the server made it.
pub struct Enrolled {
    /// The account.
    pub account: AccountId,
    /// The device.
    pub device: DeviceId,
    /// The device's token (`cw1....`).
    pub token: Zeroizing<String>,
}

impl fmt::Debug for Enrolled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Enrolled")
            .field("account", &self.account)
            .field("device", &self.device)
            .finish_non_exhaustive()
    }
}

/// A device's connection to its sync server.
pub struct HttpTransport {
    base: String,
    token: Zeroizing<String>,
    http: Http,
    /// The pull sent ahead ([`Transport::pull_ahead`]), if any.
    ahead: Option<Ahead>,
}

/// A pull sent ahead of its call: the page it asks for, and the thread that waits for the
/// answer.
struct Ahead {
    since: u64,
    limit: u32,
    answer: JoinHandle<Result<PullReply, TransportError>>,
}

/// `GET /v1/records?since=..&limit=..` for the device whose token is `token`, asking for the
/// binary form ([`page`]) and reading whichever form the answer's `Content-Type` names (a
/// server that does not know the binary form answers JSON).
fn pull_page(
    http: &Http,
    base: &str,
    token: &str,
    since: u64,
    limit: u32,
) -> Result<PullReply, TransportError> {
    let request = http
        .get(format!("{base}/v1/records?since={since}&limit={limit}"))
        .header(ACCEPT, page::ACCEPT)
        .bearer_auth(token);
    let response = send(request)?;
    if response.status() == StatusCode::GONE {
        return Err(TransportError::ResyncNeeded);
    }
    let response = succeeded(response)?;
    let binary = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(page::is_page);
    let body = body_of(response)?;
    if binary {
        return page::decode(&body)
            .map_err(|e| TransportError::Malformed(format!("the page is not valid: {e}")));
    }
    parse(&body, NOT_JSON)
}

impl fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpTransport")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// The HTTP client: `https://` URLs are checked against the system's root certificates and,
/// when given, the PEM certificate authority `ca` (a private CA); rustls, TLS 1.2 and 1.3.
fn http(ca: Option<&[u8]>) -> Result<Http, TransportError> {
    let mut builder = Http::builder().timeout(TIMEOUT).use_rustls_tls();
    if let Some(pem) = ca {
        let certificates =
            Certificate::from_pem_bundle(pem).map_err(|e| TransportError::Ca(e.to_string()))?;
        if certificates.is_empty() {
            return Err(TransportError::Ca("no PEM certificate in it".into()));
        }
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
    }
    builder
        .build()
        .map_err(|e| TransportError::Unreachable(e.to_string()))
}

/// The server's base URL without a trailing slash; only `http` and `https` URLs.
fn base_of(url: &str) -> Result<String, TransportError> {
    let base = url.trim_end_matches('/');
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(TransportError::Malformed(
            "the server's address must start with http:// or https://".into(),
        ));
    }
    Ok(base.to_owned())
}

fn send(request: RequestBuilder) -> Result<Response, TransportError> {
    // reqwest's error text names the URL, never a header: no token in it. Its causes (a
    // refused connection, a certificate rustls refused and why) are named after it.
    request.send().map_err(|e| {
        let e = e.without_url();
        let mut message = e.to_string();
        let mut cause = std::error::Error::source(&e);
        while let Some(c) = cause {
            message.push_str(": ");
            message.push_str(&c.to_string());
            cause = c.source();
        }
        TransportError::Unreachable(message)
    })
}

/// Sends the request `build` makes, again when the connection breaks before the answer, up to
/// [`RETRY_ATTEMPTS`] times in all: for idempotent requests only.
fn send_retrying<T: DeserializeOwned>(
    build: impl Fn() -> RequestBuilder,
) -> Result<T, TransportError> {
    let mut attempt = 1;
    loop {
        match send(build()).and_then(answer::<T>) {
            Err(TransportError::Unreachable(_)) if attempt < RETRY_ATTEMPTS => attempt += 1,
            other => return other,
        }
    }
}

/// A new random device id and its token in `account`.
fn new_device(account: AccountId) -> Result<(DeviceId, DeviceToken), TransportError> {
    let no_randomness = || TransportError::Unreachable("no randomness".into());
    let device = DeviceId::random().map_err(|_| no_randomness())?;
    let token = DeviceToken::generate(account, device).map_err(|_| no_randomness())?;
    Ok((device, token))
}

/// Refuses an answer about another account or device than the one asked for.
fn same_ids(
    asked: (AccountId, DeviceId),
    answered: (AccountId, DeviceId),
    what: &str,
) -> Result<(), TransportError> {
    if asked != answered {
        return Err(TransportError::Malformed(format!(
            "the server {what} another account or device than the one asked for"
        )));
    }
    Ok(())
}

/// What [`TransportError::Malformed`] says of a whole answer that is not the JSON expected.
const NOT_JSON: &str = "the answer is not the expected JSON";

/// The body of a successful answer, or the server's error.
fn answer<T: DeserializeOwned>(response: Response) -> Result<T, TransportError> {
    json_of(succeeded(response)?, NOT_JSON)
}

/// A successful answer, or the server's error.
fn succeeded(response: Response) -> Result<Response, TransportError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    Err(error_of(status, response))
}

/// An answer's JSON body, read whole before it is parsed: a connection that breaks before the
/// body's end is [`TransportError::Unreachable`] (try again), a body that is whole but not
/// `T` is [`TransportError::Malformed`] with `malformed`.
fn json_of<T: DeserializeOwned>(response: Response, malformed: &str) -> Result<T, TransportError> {
    parse(&body_of(response)?, malformed)
}

/// An answer's body, whole: a connection that breaks before its end is
/// [`TransportError::Unreachable`], never a body cut short.
fn body_of(response: Response) -> Result<impl std::ops::Deref<Target = [u8]>, TransportError> {
    response.bytes().map_err(|e| {
        TransportError::Unreachable(format!(
            "the connection broke in the middle of the answer ({})",
            e.without_url()
        ))
    })
}

/// A whole body as the JSON of `T`, or [`TransportError::Malformed`] with `malformed`.
fn parse<T: DeserializeOwned>(body: &[u8], malformed: &str) -> Result<T, TransportError> {
    serde_json::from_slice(body).map_err(|_| TransportError::Malformed(malformed.into()))
}

fn error_of(status: StatusCode, response: Response) -> TransportError {
    let message = response
        .json::<ErrorReply>()
        .map_or_else(|_| "no explanation".to_owned(), |e| e.error);
    if status == StatusCode::UNAUTHORIZED {
        TransportError::Unauthorized(message)
    } else {
        TransportError::Server {
            status: status.as_u16(),
            message,
        }
    }
}

impl HttpTransport {
    /// A connection to the server at `url` for the device whose token is `token`.
    pub fn new(url: &str, token: Zeroizing<String>) -> Result<Self, TransportError> {
        Self::with_ca(url, token, None)
    }

    /// [`new`](Self::new), trusting the PEM certificate authority `ca` for an `https://`
    /// server as well as the system's roots.
    pub fn with_ca(
        url: &str,
        token: Zeroizing<String>,
        ca: Option<&[u8]>,
    ) -> Result<Self, TransportError> {
        DeviceToken::parse(&token)
            .map_err(|_| TransportError::Malformed("the device token is not valid".into()))?;
        Ok(Self {
            base: base_of(url)?,
            token,
            http: http(ca)?,
            ahead: None,
        })
    }

    /// Creates an account on the server at `url`, with this device as its first. This device
    /// chooses the account's id, its own and its token (the server gets the token's hash), so
    /// the request can be sent again: when the connection breaks before the answer
    /// ([`TransportError::Unreachable`]), it is, up to [`RETRY_ATTEMPTS`] times in all, and the
    /// server creates the account once.
    pub fn create_account(url: &str, device_name: &str) -> Result<Enrolled, TransportError> {
        Self::create_account_with_ca(url, None, device_name)
    }

    /// [`create_account`](Self::create_account), trusting the PEM certificate authority `ca`
    /// as well as the system's roots.
    pub fn create_account_with_ca(
        url: &str,
        ca: Option<&[u8]>,
        device_name: &str,
    ) -> Result<Enrolled, TransportError> {
        let base = base_of(url)?;
        let http = http(ca)?;
        let account =
            AccountId::random().map_err(|_| TransportError::Unreachable("no randomness".into()))?;
        let (device, token) = new_device(account)?;
        let body = CreateAccount {
            device_name: device_name.to_owned(),
            account: Some(account),
            device: Some(device),
            token_hash: Some(Bytes(token.hash().0.to_vec())),
        };
        let created: CreatedAccount =
            send_retrying(|| http.post(format!("{base}/v1/accounts")).json(&body))?;
        same_ids(
            (account, device),
            (created.account, created.device),
            "created",
        )?;
        Ok(Enrolled {
            account,
            device,
            token: token.to_text(),
        })
    }

    /// Adds a device to this device's account: its id and token, for the new device. This
    /// device chooses both (the server gets the token's hash), so the request can be sent
    /// again: when the connection breaks before the answer ([`TransportError::Unreachable`]),
    /// it is, up to [`RETRY_ATTEMPTS`] times in all, and the server adds the device once.
    pub fn add_device(&self, device_name: &str) -> Result<Enrolled, TransportError> {
        let ours = DeviceToken::parse(&self.token)
            .map_err(|_| TransportError::Malformed("the device token is not valid".into()))?;
        let (device, token) = new_device(ours.account)?;
        let body = AddDevice {
            device_name: device_name.to_owned(),
            device,
            token_hash: Bytes(token.hash().0.to_vec()),
        };
        let added: AddedDevice = send_retrying(|| {
            self.http
                .post(format!("{}/v1/devices", self.base))
                .bearer_auth(&*self.token)
                .json(&body)
        })?;
        same_ids(
            (ours.account, device),
            (added.account, added.device),
            "added",
        )?;
        Ok(Enrolled {
            account: added.account,
            device,
            token: token.to_text(),
        })
    }

    /// The account's devices.
    pub fn devices(&self) -> Result<Vec<DeviceInfo>, TransportError> {
        let request = self
            .http
            .get(format!("{}/v1/devices", self.base))
            .bearer_auth(&*self.token);
        answer::<DevicesReply>(send(request)?).map(|r| r.devices)
    }

    /// Revokes a device of the account (this one too).
    pub fn revoke(&self, device: DeviceId) -> Result<(), TransportError> {
        let request = self
            .http
            .delete(format!("{}/v1/devices/{device}", self.base))
            .bearer_auth(&*self.token);
        let response = send(request)?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        Err(error_of(status, response))
    }

    /// Waits until the account's cursor passes `since`, or [`WAIT_SECONDS`]: the cursor.
    pub fn wait(&self, since: u64) -> Result<u64, TransportError> {
        let request = self
            .http
            .get(format!("{}/v1/wait?since={since}", self.base))
            .timeout(TIMEOUT + Duration::from_secs(WAIT_SECONDS))
            .bearer_auth(&*self.token);
        answer::<CursorReply>(send(request)?).map(|r| r.cursor)
    }
}

impl Transport for HttpTransport {
    fn pull(&mut self, since: u64, limit: u32) -> Result<PullReply, TransportError> {
        // The answer sent ahead for this very page, if that was asked for; one for another
        // page is thrown away (its thread finishes on its own).
        if let Some(ahead) = self.ahead.take()
            && (ahead.since, ahead.limit) == (since, limit)
        {
            return ahead.answer.join().unwrap_or_else(|_| {
                Err(TransportError::Unreachable(
                    "the page asked for ahead was lost".into(),
                ))
            });
        }
        pull_page(&self.http, &self.base, &self.token, since, limit)
    }

    fn pull_ahead(&mut self, since: u64, limit: u32) {
        let (http, base, token) = (self.http.clone(), self.base.clone(), self.token.clone());
        // A thread that cannot start leaves the pull to its call.
        self.ahead = thread::Builder::new()
            .name("credwell-pull-ahead".into())
            .spawn(move || pull_page(&http, &base, &token, since, limit))
            .ok()
            .map(|answer| Ahead {
                since,
                limit,
                answer,
            });
    }

    fn push(&mut self, request: &PushRequest) -> Result<Pushed, TransportError> {
        // A page sent ahead is older than this push: never used after it.
        self.ahead = None;
        let builder = self
            .http
            .post(format!("{}/v1/records", self.base))
            .bearer_auth(&*self.token)
            .json(request);
        let response = send(builder)?;
        if response.status() == StatusCode::CONFLICT {
            return json_of::<ConflictReply>(response, "a conflict answer is malformed")
                .map(Pushed::Conflict);
        }
        answer(response).map(Pushed::Applied)
    }
}
