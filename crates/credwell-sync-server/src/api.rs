//! The HTTP API ([`credwell_sync::protocol`] lists the routes and bodies).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use credwell_sync::protocol::page;
use credwell_sync::protocol::{
    AddDevice, AddedDevice, Bytes, ConflictReply, CreateAccount, CreatedAccount, CursorReply,
    DevicesReply, ErrorReply, MAX_BODY_BYTES, MAX_DEVICE_NAME_BYTES, MAX_PULL_RECORDS,
    MAX_PUSH_RECORDS, MAX_SEALED_BYTES, PullReply, PushReply, PushRequest, WAIT_SECONDS,
};
use credwell_sync::{AccountId, DeviceId, DeviceToken, TokenHash};
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use crate::notices::Notice;
use crate::{Notices, PushOutcome, Storage, StorageError, signin};

#[derive(Clone, Debug)]
pub(crate) struct AppState {
    pub(crate) storage: Arc<dyn Storage>,
    notices: Notices,
    /// The server's OPAQUE setup, read from the database at the first sign-in.
    pub(crate) keys: Arc<tokio::sync::OnceCell<credwell_sync::opaque::ServerKeys>>,
}

/// The sync API over `storage`, announcing changes on `notices` (give the same channel to
/// [`crate::storage::postgres::PostgresStorage::listen`] when several instances share a
/// database).
pub fn router(storage: Arc<dyn Storage>, notices: Notices) -> Router {
    Router::new()
        .route("/v1/accounts", post(create_account))
        .route("/v1/records", get(pull).post(push))
        .route("/v1/wait", get(wait))
        .route("/v1/devices", get(devices).post(add_device))
        .route("/v1/devices/{id}", delete(revoke))
        .route("/v1/opaque/register/start", post(signin::register_start))
        .route("/v1/opaque/register/finish", post(signin::register_finish))
        .route("/v1/opaque/login/start", post(signin::login_start))
        .route("/v1/opaque/login/finish", post(signin::login_finish))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(AppState {
            storage,
            notices,
            keys: Arc::default(),
        })
}

/// An error reply: a status and one sentence.
#[derive(Debug)]
pub(crate) struct ApiError(pub(crate) StatusCode, pub(crate) String);

impl ApiError {
    pub(crate) fn bad(message: impl Into<String>) -> Self {
        Self(StatusCode::BAD_REQUEST, message.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(ErrorReply { error: self.1 })).into_response()
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NoAccount | StorageError::NoDevice => {
                Self(StatusCode::NOT_FOUND, e.to_string())
            }
            StorageError::AccountExists
            | StorageError::DeviceExists
            | StorageError::KeyChanged { .. } => Self(StatusCode::CONFLICT, e.to_string()),
            StorageError::TooManyAttempts => Self(StatusCode::TOO_MANY_REQUESTS, e.to_string()),
            _ => {
                tracing::error!("sync storage: {e}");
                Self(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the server's database is not available; try again".into(),
                )
            }
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        // The body text of serde's message may quote the request; keep the kind only.
        let what = match e {
            JsonRejection::JsonDataError(_) => "the body does not have the expected fields",
            JsonRejection::JsonSyntaxError(_) => "the body is not valid JSON",
            JsonRejection::MissingJsonContentType(_) => "the body is not application/json",
            _ => "the body cannot be read",
        };
        Self(e.status(), what.into())
    }
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The device a request's bearer token proves, checked against the database.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Device {
    pub(crate) account: AccountId,
    device: DeviceId,
}

impl FromRequestParts<AppState> for Device {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let unauthorized = |why: &str| ApiError(StatusCode::UNAUTHORIZED, why.to_owned());
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| unauthorized("no device token (Authorization: Bearer ...)"))?;
        let text = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| unauthorized("the Authorization header is not a bearer token"))?;
        let token = DeviceToken::parse(text).map_err(|e| unauthorized(&e.to_string()))?;
        let known = state.storage.device(token.account, token.device).await?;
        match known {
            Some(record) if record.token_hash.matches(&token.hash()) => {
                if record.revoked.is_some() {
                    return Err(unauthorized("this device was revoked"));
                }
                Ok(Device {
                    account: token.account,
                    device: token.device,
                })
            }
            // One answer for an unknown device and a wrong secret: no probing for ids.
            _ => Err(unauthorized("the device token is not valid")),
        }
    }
}

pub(crate) fn check_device_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty() || name.len() > MAX_DEVICE_NAME_BYTES || name.chars().any(char::is_control) {
        return Err(ApiError::bad(format!(
            "a device name is 1 to {MAX_DEVICE_NAME_BYTES} bytes without control characters"
        )));
    }
    Ok(())
}

/// A token hash as a request sends it: 32 bytes.
fn token_hash_of(bytes: &Bytes) -> Result<TokenHash, ApiError> {
    <[u8; 32]>::try_from(&bytes.0[..])
        .map(TokenHash)
        .map_err(|_| ApiError::bad("token_hash is 32 bytes"))
}

/// `POST /v1/accounts`: a new account with its first device. With the ids and the token's hash
/// chosen by the device, idempotent (the same request again creates nothing and gets the same
/// answer; an existing account id with another device, token or name is refused, `409`, and
/// that account is left as it is); with the device name alone, the server chooses them and
/// answers with the token.
async fn create_account(
    State(state): State<AppState>,
    body: Result<Json<CreateAccount>, JsonRejection>,
) -> Result<Json<CreatedAccount>, ApiError> {
    let Json(body) = body?;
    check_device_name(&body.device_name)?;
    let (account, device, hash, token) = match (body.account, body.device, &body.token_hash) {
        (Some(account), Some(device), Some(hash)) => (account, device, token_hash_of(hash)?, None),
        (None, None, None) => {
            let random = || ApiError(StatusCode::INTERNAL_SERVER_ERROR, "no randomness".into());
            let account = AccountId::random().map_err(|_| random())?;
            let device = DeviceId::random().map_err(|_| random())?;
            let token = DeviceToken::generate(account, device).map_err(|_| random())?;
            (account, device, token.hash(), Some(token))
        }
        _ => {
            return Err(ApiError::bad(
                "account, device and token_hash are given together or not at all",
            ));
        }
    };
    let created = state
        .storage
        .create_account(account, device, hash, &body.device_name, now_ms())
        .await?;
    Ok(Json(CreatedAccount {
        account,
        device,
        created,
        token: token.map(|t| t.to_text().to_string()),
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PullQuery {
    #[serde(default)]
    since: u64,
    limit: Option<u32>,
}

/// `GET /v1/records`: a page of the account's records, in the binary form
/// ([`credwell_sync::protocol::page`]) when the request's `Accept` names it, else as JSON.
async fn pull(
    State(state): State<AppState>,
    device: Device,
    headers: HeaderMap,
    Query(query): Query<PullQuery>,
) -> Result<Response, ApiError> {
    let limit = query.limit.unwrap_or(MAX_PULL_RECORDS);
    if limit == 0 || limit > MAX_PULL_RECORDS {
        return Err(ApiError::bad(format!("limit is 1 to {MAX_PULL_RECORDS}")));
    }
    let stored = state
        .storage
        .pull(device.account, query.since, limit)
        .await?;
    // Deletions after `since` may have been swept: the device must start again from 0 (where
    // nothing was seen, nothing was missed).
    if query.since > 0 && query.since < stored.horizon {
        return Err(ApiError(
            StatusCode::GONE,
            format!(
                "deletions up to revision {} were swept; this device saw up to {}: pull again \
                 from 0",
                stored.horizon, query.since
            ),
        ));
    }
    // The account's own cursor when the page is the last, even below `since`: a device that
    // has seen more refuses an account restored to an older state, so say so.
    let cursor = match stored.records.last() {
        Some(last) if stored.more => last.revision,
        _ => stored.cursor,
    };
    let reply = PullReply {
        records: stored.records,
        cursor,
        more: stored.more,
        horizon: stored.horizon,
    };
    let binary = headers
        .get_all(header::ACCEPT)
        .iter()
        .any(|value| value.to_str().is_ok_and(page::accepts));
    // Either form may answer the same URL: a cache must tell them apart.
    let vary = (header::VARY, "accept");
    if !binary {
        return Ok(([vary], Json(reply)).into_response());
    }
    // The storage keeps pushes within the form's limits: a page outside them is a fault here.
    let body = page::encode(&reply).map_err(|e| {
        tracing::error!("a pull page cannot be encoded: {e}");
        ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the page cannot be sent in the binary form".into(),
        )
    })?;
    Ok(([vary, (header::CONTENT_TYPE, page::MEDIA_TYPE)], body).into_response())
}

fn check_push(request: &PushRequest) -> Result<(), ApiError> {
    if request.records.is_empty() || request.records.len() > MAX_PUSH_RECORDS {
        return Err(ApiError::bad(format!(
            "a push has 1 to {MAX_PUSH_RECORDS} records"
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for record in &request.records {
        if record.sealed.0.len() > MAX_SEALED_BYTES {
            return Err(ApiError(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "record {} is {} bytes; the most is {MAX_SEALED_BYTES}",
                    record.id,
                    record.sealed.0.len()
                ),
            ));
        }
        if !seen.insert(record.id) {
            return Err(ApiError::bad(format!(
                "record {} appears twice in one push",
                record.id
            )));
        }
    }
    Ok(())
}

async fn push(
    State(state): State<AppState>,
    device: Device,
    body: Result<Json<PushRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(request) = body?;
    check_push(&request)?;
    let outcome = state
        .storage
        .push(device.account, device.device, &request.records, now_ms())
        .await?;
    Ok(match outcome {
        PushOutcome::Applied { revisions, cursor } => {
            state.notices.account_changed(device.account);
            Json(PushReply { revisions, cursor }).into_response()
        }
        PushOutcome::Conflict(conflicts) => (
            StatusCode::CONFLICT,
            Json(ConflictReply {
                error: format!(
                    "{} record(s) changed on the server since this device saw them; pull, \
                     merge and push again",
                    conflicts.len()
                ),
                conflicts,
            }),
        )
            .into_response(),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WaitQuery {
    #[serde(default)]
    since: u64,
}

async fn wait(
    State(state): State<AppState>,
    device: Device,
    Query(query): Query<WaitQuery>,
) -> Result<Json<CursorReply>, ApiError> {
    // Subscribe before reading the cursor: a push between the two is then still heard.
    let mut notices = state.notices.subscribe();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(WAIT_SECONDS);
    loop {
        let cursor = state.storage.cursor(device.account).await?;
        if cursor > query.since {
            return Ok(Json(CursorReply { cursor }));
        }
        loop {
            match tokio::time::timeout_at(deadline, notices.recv()).await {
                Err(_) => return Ok(Json(CursorReply { cursor })),
                Ok(Ok(Notice::Account(a))) if a != device.account => continue,
                Ok(Err(RecvError::Closed)) => return Ok(Json(CursorReply { cursor })),
                Ok(_) => break,
            }
        }
    }
}

async fn devices(
    State(state): State<AppState>,
    device: Device,
) -> Result<Json<DevicesReply>, ApiError> {
    let devices = state.storage.devices(device.account).await?;
    Ok(Json(DevicesReply { devices }))
}

/// `POST /v1/devices`: a device of the account adds another, whose id and token it chose
/// (it sends the token's hash only). Idempotent: the same request again adds nothing and gets
/// the same answer; an id the account has for another token or name is refused (`409`).
async fn add_device(
    State(state): State<AppState>,
    device: Device,
    body: Result<Json<AddDevice>, JsonRejection>,
) -> Result<Json<AddedDevice>, ApiError> {
    let Json(body) = body?;
    check_device_name(&body.device_name)?;
    let hash = token_hash_of(&body.token_hash)?;
    let created = state
        .storage
        .add_device(
            device.account,
            body.device,
            hash,
            &body.device_name,
            now_ms(),
        )
        .await?;
    Ok(Json(AddedDevice {
        account: device.account,
        device: body.device,
        created,
    }))
}

async fn revoke(
    State(state): State<AppState>,
    device: Device,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let target = DeviceId::parse(&id).map_err(|e| ApiError::bad(e.to_string()))?;
    state
        .storage
        .revoke(device.account, target, now_ms())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
