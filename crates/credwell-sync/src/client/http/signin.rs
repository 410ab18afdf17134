//! Signing in with the sync passphrase over HTTP: OPAQUE registration by a device of the
//! account, OPAQUE login by a device that has only the passphrase (`crate::opaque` has the
//! steps).

use std::fmt;

use zeroize::Zeroizing;

use super::{Enrolled, HttpTransport, TransportError, answer, base_of, error_of, http, send};
use crate::opaque::{KsfParams, Login, OpaqueError, Registration};
use crate::protocol::{
    Bytes, LoginFinish, LoginFinishReply, LoginStart, LoginStartReply, RegisterFinish,
    RegisterStart, RegisterStartReply,
};
use crate::{AccountId, DeviceToken};

/// Why signing in or registering the passphrase failed. Never holds the passphrase or a key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignInError {
    /// The server could not be asked, or refused.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// OPAQUE failed: a wrong passphrase (or an unknown account), or a malformed answer.
    #[error(transparent)]
    Opaque(#[from] OpaqueError),
}

/// What a login with the passphrase gives a device.
pub struct SignedIn {
    /// The new device, when one was asked for.
    pub enrolled: Option<Enrolled>,
    /// The account key's bytes, unwrapped.
    pub key: Zeroizing<Vec<u8>>,
    /// Its version.
    pub version: u32,
}

impl fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedIn")
            .field("enrolled", &self.enrolled)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl HttpTransport {
    /// Registers `passphrase` as this device's account's sync passphrase, with the account key
    /// `material` as `version`, wrapped under the new export key, in place of the registration
    /// of key version `previous` (0: none), which the server must still hold: two round trips
    /// (`/v1/opaque/register/start` and `/finish`).
    pub fn register(
        &self,
        passphrase: &[u8],
        ksf: KsfParams,
        previous: u32,
        version: u32,
        material: &[u8],
    ) -> Result<(), SignInError> {
        let account = DeviceToken::parse(&self.token)
            .map_err(|_| TransportError::Malformed("the device token is not valid".into()))?
            .account;
        let (registration, request) = Registration::start(passphrase, ksf)?;
        let started = self
            .http
            .post(format!("{}/v1/opaque/register/start", self.base))
            .bearer_auth(&*self.token)
            .json(&RegisterStart {
                request: Bytes(request),
            });
        let reply: RegisterStartReply = answer(send(started)?)?;
        let (upload, export) = registration.finish(passphrase, account, &reply.response.0)?;
        let wrapped = export.wrap(account, version, material)?;
        let finished = self
            .http
            .post(format!("{}/v1/opaque/register/finish", self.base))
            .bearer_auth(&*self.token)
            .json(&RegisterFinish {
                upload: Bytes(upload),
                previous,
                wrapped,
            });
        let response = send(finished)?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        Err(error_of(status, response).into())
    }

    /// Signs in to `account` on the server at `url` with `passphrase`: OPAQUE login (two round
    /// trips: `/v1/opaque/login/start` and `/finish`), the account key unwrapped with the
    /// export key; with `device_name`, the server adds this device and gives its token.
    /// A wrong passphrase is found on this device after the first round trip
    /// ([`OpaqueError::WrongPassphrase`]), and nothing more is sent.
    pub fn login(
        url: &str,
        account: AccountId,
        passphrase: &[u8],
        ksf: KsfParams,
        device_name: Option<&str>,
    ) -> Result<SignedIn, SignInError> {
        Self::login_with_ca(url, None, account, passphrase, ksf, device_name)
    }

    /// [`login`](Self::login), trusting the PEM certificate authority `ca` for an `https://`
    /// server as well as the system's roots.
    pub fn login_with_ca(
        url: &str,
        ca: Option<&[u8]>,
        account: AccountId,
        passphrase: &[u8],
        ksf: KsfParams,
        device_name: Option<&str>,
    ) -> Result<SignedIn, SignInError> {
        let base = base_of(url)?;
        let http = http(ca)?;
        let (login, request) = Login::start(passphrase, ksf)?;
        let started = http
            .post(format!("{base}/v1/opaque/login/start"))
            .json(&LoginStart {
                account,
                request: Bytes(request),
            });
        let reply: LoginStartReply = answer(send(started)?)?;
        let (finalization, export) = login.finish(passphrase, account, &reply.response.0)?;
        let finished = http
            .post(format!("{base}/v1/opaque/login/finish"))
            .json(&LoginFinish {
                account,
                login: reply.login,
                finalization: Bytes(finalization),
                device_name: device_name.map(str::to_owned),
            });
        let reply: LoginFinishReply = answer(send(finished)?)?;
        let key = export.unwrap(account, &reply.wrapped)?;
        let enrolled = match (reply.device, reply.token, device_name) {
            (Some(device), Some(token), Some(_)) => Some(Enrolled {
                account,
                device,
                token: Zeroizing::new(token),
            }),
            (None, None, None) => None,
            _ => {
                return Err(TransportError::Malformed(
                    "the sign-in answer's device does not match the request".into(),
                )
                .into());
            }
        };
        Ok(SignedIn {
            enrolled,
            key,
            version: reply.wrapped.version,
        })
    }
}
