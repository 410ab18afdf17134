//! The request and reply bodies of the sync API (JSON), and the limits both sides enforce.
//!
//! - `GET /v1/records?since=C&limit=N`: the account's records changed after cursor `C`, oldest
//!   first ([`PullReply`]; in the binary form of [`page`] when the request's `Accept` names
//!   it); `410 Gone` ([`ErrorReply`]) when `C` is above 0 and below the
//!   account's horizon (the server swept deletions after `C`): the device pulls again from 0.
//! - `POST /v1/records` ([`PushRequest`]): new versions of records, each against the revision
//!   its writer last saw. All or nothing: one stale record refuses the whole push with
//!   `409 Conflict` and [`ConflictReply`]; the device pulls, merges and pushes again.
//! - `GET /v1/wait?since=C`: returns as soon as the account's cursor passes `C`, or after
//!   [`WAIT_SECONDS`] ([`CursorReply`]): the live change notice.
//! - `POST /v1/accounts` ([`CreateAccount`]): a new account with its first device, whose ids
//!   and token the device chooses (idempotent) ([`CreatedAccount`]).
//! - `GET /v1/devices`, `DELETE /v1/devices/{id}`: the account's devices ([`DevicesReply`]);
//!   `POST /v1/devices` with `{"device_name": ...}`: a device adds another and receives its
//!   token, to hand over with the account key.
//! - Signing in with the sync passphrase (OPAQUE, [`crate::opaque`]):
//!   `POST /v1/opaque/register/start` ([`RegisterStart`]) and `/finish` ([`RegisterFinish`]):
//!   a device of the account registers the passphrase and the account key wrapped under the
//!   export key; `POST /v1/opaque/login/start` ([`LoginStart`]) and `/finish`
//!   ([`LoginFinish`]), without a token: a device with the passphrase gets the wrapped key and,
//!   when it asks, a device token of its own. At most [`MAX_LOGIN_ATTEMPTS`] sign-ins that do not
//!   succeed per account within [`LOGIN_WINDOW_SECONDS`] (`429 Too Many Requests`); a started
//!   sign-in must finish within [`LOGIN_SECONDS`], once.
//!
//! Every other request carries `Authorization: Bearer <device token>` ([`crate::DeviceToken`]).
//! Errors are `{"error": "<what is wrong>"}` with a 4xx or 5xx status ([`ErrorReply`]).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{AccountId, DeviceId, LoginId, RecordId};

pub mod page;

/// The most sealed bytes one record may hold (64 KiB): far above a credential with its
/// password history, and small enough that a page of records stays a few megabytes.
pub const MAX_SEALED_BYTES: usize = 64 * 1024;

/// The most records one push may carry.
pub const MAX_PUSH_RECORDS: usize = 500;

/// The most records one pull returns (a device asks again while `more` is true).
pub const MAX_PULL_RECORDS: u32 = 1000;

/// The largest request body a server reads: a full push of records of the largest size, with
/// base64's growth and the JSON around it.
pub const MAX_BODY_BYTES: usize = MAX_PUSH_RECORDS * (MAX_SEALED_BYTES * 4 / 3 + 256);

/// How long the server keeps a deletion (a tombstone) by default before sweeping it, in days:
/// a device offline longer pulls everything again when it returns.
pub const DEFAULT_TOMBSTONE_RETENTION_DAYS: u32 = 180;

/// How long `GET /v1/wait` waits for a change before it answers with the unchanged cursor.
pub const WAIT_SECONDS: u64 = 25;

/// The longest device name a server keeps, in bytes.
pub const MAX_DEVICE_NAME_BYTES: usize = 64;

/// The most sign-ins of one account that may start without succeeding within
/// [`LOGIN_WINDOW_SECONDS`]: online guessing of the passphrase gets this many guesses per window.
pub const MAX_LOGIN_ATTEMPTS: u64 = 10;

/// The window over which [`MAX_LOGIN_ATTEMPTS`] counts (15 minutes).
pub const LOGIN_WINDOW_SECONDS: u64 = 15 * 60;

/// How long a started sign-in may take to finish.
pub const LOGIN_SECONDS: u64 = 60;

/// The most bytes of one OPAQUE message (the largest, a registration upload, is 192).
pub const MAX_OPAQUE_MESSAGE_BYTES: usize = 512;

/// Bytes written as unpadded base64url in JSON.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Bytes(pub Vec<u8>);

impl std::fmt::Debug for Bytes {
    /// The length only: sealed bytes are opaque, and nothing gains from printing them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bytes({} bytes)", self.0.len())
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&URL_SAFE_NO_PAD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        URL_SAFE_NO_PAD
            .decode(text.as_bytes())
            .map(Bytes)
            .map_err(|_| serde::de::Error::custom("not unpadded base64url"))
    }
}

/// One record as the server stores and returns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// The record's id.
    pub id: RecordId,
    /// The revision the server gave this version: the account's cursor when it was written.
    /// Revisions only grow, and no two versions of an account share one.
    pub revision: u64,
    /// Whether this version is a deletion (a tombstone: its sealed bytes say when and by whom).
    pub deleted: bool,
    /// The sealed version, opaque to the server.
    pub sealed: Bytes,
}

/// One record in a push.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRecord {
    /// The record's id.
    pub id: RecordId,
    /// The revision the writer last saw for this record; 0 for a record new to the server.
    pub base: u64,
    /// Whether this version is a deletion.
    pub deleted: bool,
    /// The sealed version (at most [`MAX_SEALED_BYTES`]).
    pub sealed: Bytes,
}

/// `POST /v1/records`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    /// The new versions, at most [`MAX_PUSH_RECORDS`], each id at most once.
    pub records: Vec<PushRecord>,
}

/// The answer to an accepted push.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushReply {
    /// The revision each pushed record got, in the push's order.
    pub revisions: Vec<u64>,
    /// The account's cursor after the push.
    pub cursor: u64,
}

/// The answer to a refused push (`409 Conflict`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictReply {
    /// What is wrong, in words.
    pub error: String,
    /// The records whose `base` is not their current revision on the server.
    pub conflicts: Vec<RecordId>,
}

/// The answer to `GET /v1/records`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullReply {
    /// The records changed after the request's cursor, by revision, oldest first.
    pub records: Vec<Record>,
    /// Where the next pull starts: the last record's revision when `more` follow, else the
    /// account's cursor (below the request's if the account went back to an older state,
    /// which devices refuse).
    pub cursor: u64,
    /// Whether more records follow the cursor.
    pub more: bool,
    /// The account's horizon: the server swept every deletion at or below this revision
    /// (0: none swept; absent from older servers' answers).
    #[serde(default)]
    pub horizon: u64,
}

/// The answer to `GET /v1/wait`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CursorReply {
    /// The account's current cursor.
    pub cursor: u64,
}

/// A device of the account, as `GET /v1/devices` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// The device's id.
    pub id: DeviceId,
    /// The name the device gave itself.
    pub name: String,
    /// When it joined, in milliseconds since the Unix epoch (the server's clock).
    pub created: u64,
    /// When it was revoked, if it was.
    pub revoked: Option<u64>,
}

/// The answer to `GET /v1/devices`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevicesReply {
    /// Every device the account has had, in the order they joined.
    pub devices: Vec<DeviceInfo>,
}

/// `POST /v1/accounts`: a new account with its first device. The device chooses the account's
/// id, its own id and its token, and sends the token's SHA-256 only, so the request is
/// idempotent like [`AddDevice`]: the same one again (a retry after a lost answer) creates
/// nothing and gets the same answer; an account id that exists with another first device, token
/// or name is refused (`409`) and nothing of that account changes.
///
/// Servers also take `{"device_name"}` alone (the form devices sent before): the server then
/// chooses the ids and the token, and answers with the token; that form is not idempotent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateAccount {
    /// The first device's name.
    pub device_name: String,
    /// The new account's id (random, chosen by the device).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<AccountId>,
    /// The first device's id (random, chosen by the device).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceId>,
    /// The SHA-256 of the first device's token secret (32 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_hash: Option<Bytes>,
}

/// The answer to `POST /v1/accounts`, the same for a repeated request.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedAccount {
    /// The account.
    pub account: AccountId,
    /// Its first device.
    pub device: DeviceId,
    /// When it was created (the first time), in milliseconds since the Unix epoch.
    pub created: u64,
    /// The device's token, when the server chose it (a request with the device name alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl std::fmt::Debug for CreatedAccount {
    /// Not the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedAccount")
            .field("account", &self.account)
            .field("device", &self.device)
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

/// `POST /v1/devices`: a device of the account adds another. The adding device chooses the
/// new device's id and token and sends the token's SHA-256 only; the request is idempotent: the
/// same one again (a retry after a lost answer) adds nothing and gets the same answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddDevice {
    /// The new device's name.
    pub device_name: String,
    /// The new device's id (random, chosen by the adding device).
    pub device: DeviceId,
    /// The SHA-256 of the new device's token secret (32 bytes).
    pub token_hash: Bytes,
}

/// The answer to `POST /v1/devices`, the same for a repeated request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddedDevice {
    /// The account.
    pub account: AccountId,
    /// The device added.
    pub device: DeviceId,
    /// When it was added (the first time), in milliseconds since the Unix epoch.
    pub created: u64,
}

/// The account key wrapped under OPAQUE's export key ([`crate::opaque::ExportKey::wrap`]):
/// opaque to the server, which learns its version only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WrappedKey {
    /// The account key's version: 1 for the account's first key, one more at each rotation.
    pub version: u32,
    /// The sealed key.
    pub sealed: Bytes,
}

/// `POST /v1/opaque/register/start` (a device of the account).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterStart {
    /// OPAQUE's registration request.
    pub request: Bytes,
}

/// The answer to [`RegisterStart`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterStartReply {
    /// OPAQUE's registration response.
    pub response: Bytes,
}

/// `POST /v1/opaque/register/finish` (a device of the account): replaces the account's record
/// and wrapped key (`204`) if the server still holds key version `previous` (else `409`: another
/// device changed it first). The new key's version is `previous` (a new passphrase) or one more
/// (a rotation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterFinish {
    /// OPAQUE's registration upload (the record).
    pub upload: Bytes,
    /// The key version this registration replaces, as the device last saw it on the server
    /// (0: none registered yet).
    pub previous: u32,
    /// The account key wrapped under the export key.
    pub wrapped: WrappedKey,
}

/// `POST /v1/opaque/login/start` (no token).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginStart {
    /// The account to sign in to.
    pub account: AccountId,
    /// OPAQUE's KE1.
    pub request: Bytes,
}

/// The answer to [`LoginStart`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginStartReply {
    /// This sign-in, for the finish.
    pub login: LoginId,
    /// OPAQUE's KE2.
    pub response: Bytes,
}

/// `POST /v1/opaque/login/finish` (no token): `401` unless KE3 proves the passphrase.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginFinish {
    /// The account.
    pub account: AccountId,
    /// The sign-in [`LoginStartReply`] named.
    pub login: LoginId,
    /// OPAQUE's KE3.
    pub finalization: Bytes,
    /// The name of the new device to add, or none to get the wrapped key only (a device of
    /// the account fetching a rotated key).
    pub device_name: Option<String>,
}

/// The answer to [`LoginFinish`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginFinishReply {
    /// The account key, wrapped under the export key.
    pub wrapped: WrappedKey,
    /// The new device, when one was asked for.
    pub device: Option<DeviceId>,
    /// The new device's token, when one was asked for.
    pub token: Option<String>,
}

impl std::fmt::Debug for LoginFinishReply {
    /// Not the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginFinishReply")
            .field("wrapped", &self.wrapped)
            .field("device", &self.device)
            .finish_non_exhaustive()
    }
}

/// The body of every error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorReply {
    /// What is wrong, in one sentence.
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_push_round_trips_as_json_and_unknown_members_are_refused() {
        let push = PushRequest {
            records: vec![PushRecord {
                id: RecordId([1; 16]),
                base: 7,
                deleted: false,
                sealed: Bytes(vec![0, 255, 3]),
            }],
        };
        let json = serde_json::to_string(&push).unwrap();
        assert!(json.contains("\"sealed\":\"AP8D\""), "{json}");
        assert_eq!(serde_json::from_str::<PushRequest>(&json).unwrap(), push);
        let extra = json.replace("\"base\"", "\"origin\":\"x\",\"base\"");
        assert!(serde_json::from_str::<PushRequest>(&extra).is_err());
        let padded = json.replace("AP8D", "AP8D==");
        assert!(serde_json::from_str::<PushRequest>(&padded).is_err());
        assert_eq!(format!("{:?}", Bytes(vec![9; 40])), "Bytes(40 bytes)");
    }
}
