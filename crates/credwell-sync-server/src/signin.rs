//! The sign-in routes (`credwell_sync::protocol` lists their bodies): a device of the account
//! registers the sync passphrase with OPAQUE; a device with the passphrase logs in, gets the
//! wrapped account key and, if it asks, a token of its own (`credwell_sync::opaque` has the
//! steps of RFC 9807 each side runs).
//!
//! The server's state between KE2 and KE3 is in the database (`logins`), so any instance can
//! take the finish; it is taken once, and only within `LOGIN_SECONDS`. Every login start
//! counts against the account until one succeeds, at most `MAX_LOGIN_ATTEMPTS` within
//! `LOGIN_WINDOW_SECONDS`: a device learns whether its guess was right from KE2 alone, so the
//! start is what an online guesser must repeat. Unknown accounts get a fake record and the same
//! limit, so that they answer like known ones.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use credwell_sync::opaque::{
    MAX_WRAPPED_BYTES, OpaqueError, ServerKeys, server_login_finish, server_record,
};
use credwell_sync::protocol::{
    Bytes, LoginFinish, LoginFinishReply, LoginStart, LoginStartReply, MAX_OPAQUE_MESSAGE_BYTES,
    RegisterFinish, RegisterStart, RegisterStartReply,
};
use credwell_sync::{DeviceId, DeviceToken, LoginId};

use crate::api::{ApiError, AppState, Device, check_device_name, now_ms};
use crate::storage::NewDevice;

/// The answer to a login that does not prove the passphrase, or proves it for a sign-in that is
/// not open.
const WRONG: &str = "wrong passphrase for this sync account";

/// The server's OPAQUE setup: read from the database once (made and stored there by the first
/// instance that needed it).
async fn keys(state: &AppState) -> Result<&ServerKeys, ApiError> {
    state
        .keys
        .get_or_try_init(|| async {
            let fresh = ServerKeys::generate().to_bytes();
            let stored = state.storage.server_setup(&fresh).await?;
            ServerKeys::from_bytes(&stored).map_err(|_| {
                tracing::error!("sync storage: the stored OPAQUE setup cannot be read");
                ApiError(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the server's sign-in keys are damaged".into(),
                )
            })
        })
        .await
}

fn check_message(what: &str, message: &Bytes) -> Result<(), ApiError> {
    if message.0.is_empty() || message.0.len() > MAX_OPAQUE_MESSAGE_BYTES {
        return Err(ApiError::bad(format!(
            "the {what} is not an OPAQUE message of this server's configuration"
        )));
    }
    Ok(())
}

fn refused(what: &str) -> impl Fn(OpaqueError) -> ApiError + '_ {
    move |_| {
        ApiError::bad(format!(
            "the {what} is not an OPAQUE message of this server's configuration"
        ))
    }
}

fn random() -> ApiError {
    ApiError(StatusCode::INTERNAL_SERVER_ERROR, "no randomness".into())
}

/// `POST /v1/opaque/register/start`: RFC 9807's `CreateRegistrationResponse` for the
/// device's account.
pub(crate) async fn register_start(
    State(state): State<AppState>,
    device: Device,
    body: Result<Json<RegisterStart>, JsonRejection>,
) -> Result<Json<RegisterStartReply>, ApiError> {
    let Json(body) = body?;
    check_message("registration request", &body.request)?;
    let response = keys(&state)
        .await?
        .registration_response(device.account, &body.request.0)
        .map_err(refused("registration request"))?;
    Ok(Json(RegisterStartReply {
        response: Bytes(response),
    }))
}

/// `POST /v1/opaque/register/finish`: stores the record and the wrapped key in place of the
/// registration of key version `previous`, which must still be the stored one.
pub(crate) async fn register_finish(
    State(state): State<AppState>,
    device: Device,
    body: Result<Json<RegisterFinish>, JsonRejection>,
) -> Result<axum::http::StatusCode, ApiError> {
    let Json(body) = body?;
    check_message("registration upload", &body.upload)?;
    if body.wrapped.version == 0 || body.wrapped.sealed.0.len() > MAX_WRAPPED_BYTES {
        return Err(ApiError::bad(format!(
            "a wrapped key has a version from 1 and at most {MAX_WRAPPED_BYTES} bytes"
        )));
    }
    let (previous, version) = (body.previous, body.wrapped.version);
    if version != previous && Some(version) != previous.checked_add(1) {
        return Err(ApiError::bad(format!(
            "a registration keeps key version {previous} or rotates it to the next, not to \
             {version}"
        )));
    }
    let record = server_record(&body.upload.0).map_err(refused("registration upload"))?;
    state
        .storage
        .set_opaque(device.account, &record, &body.wrapped, previous, now_ms())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/opaque/login/start`: KE2 from the account's record (a fake one when it has none),
/// the server's state kept for the finish. Counts against the account's attempts.
pub(crate) async fn login_start(
    State(state): State<AppState>,
    body: Result<Json<LoginStart>, JsonRejection>,
) -> Result<Json<LoginStartReply>, ApiError> {
    let Json(body) = body?;
    check_message("login request", &body.request)?;
    let keys = keys(&state).await?;
    let record = state.storage.opaque(body.account).await?;
    let (server_state, response) = keys
        .login_start(
            body.account,
            record.as_ref().map(|r| &r.record[..]),
            &body.request.0,
        )
        .map_err(refused("login request"))?;
    let login = LoginId::random().map_err(|_| random())?;
    state
        .storage
        .begin_login(body.account, login, &server_state, now_ms())
        .await?;
    Ok(Json(LoginStartReply {
        login,
        response: Bytes(response),
    }))
}

/// `POST /v1/opaque/login/finish`: checks KE3 against the state its start kept (taken once);
/// then the wrapped key and, when asked for, a new device and its token.
pub(crate) async fn login_finish(
    State(state): State<AppState>,
    body: Result<Json<LoginFinish>, JsonRejection>,
) -> Result<Json<LoginFinishReply>, ApiError> {
    let Json(body) = body?;
    check_message("login finalization", &body.finalization)?;
    if let Some(name) = &body.device_name {
        check_device_name(name)?;
    }
    let unauthorized = |why: &str| ApiError(StatusCode::UNAUTHORIZED, why.to_owned());
    let account = body.account;
    let Some(server_state) = state
        .storage
        .take_login(account, body.login, now_ms())
        .await?
    else {
        return Err(unauthorized(
            "this sign-in is unknown, expired or already finished; start again",
        ));
    };
    server_login_finish(account, &server_state, &body.finalization.0)
        .map_err(|_| unauthorized(WRONG))?;
    // A fake record never passes the check above: the account has its record.
    let record = state
        .storage
        .opaque(account)
        .await?
        .ok_or_else(|| unauthorized(WRONG))?;
    let (device, token) = match &body.device_name {
        Some(name) => {
            let device = DeviceId::random().map_err(|_| random())?;
            let token = DeviceToken::generate(account, device).map_err(|_| random())?;
            let new = NewDevice {
                device,
                token_hash: token.hash(),
                name,
            };
            state
                .storage
                .end_login(account, Some(new), now_ms())
                .await?;
            (Some(device), Some(token.to_text().to_string()))
        }
        None => {
            state.storage.end_login(account, None, now_ms()).await?;
            (None, None)
        }
    };
    Ok(Json(LoginFinishReply {
        wrapped: record.wrapped,
        device,
        token,
    }))
}
