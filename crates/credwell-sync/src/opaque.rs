//! Signing in with the sync passphrase: OPAQUE ([RFC 9807]), an augmented PAKE, through the
//! `opaque-ke` crate, and the account key wrapped under OPAQUE's export key.
//!
//! The configuration ([RFC 9807 §7]): ristretto255 for the OPRF and the 3DH key exchange,
//! SHA-512, and Argon2id as the key stretching function with [`KsfParams::DEFAULT`] (the
//! vault's own: 64 MiB, 3 passes, 1 lane). The credential identifier and the client identity
//! are the account id; the context is [`CONTEXT`].
//!
//! What the server keeps per account is the registration record ([RFC 9807 §5]) and the
//! wrapped account key. Checking one guess of the passphrase against them costs a full
//! Argon2id run *and* the server's OPRF key: a copy of the database without the server's
//! setup gives no offline attack at all, and with it every guess costs Argon2id. Nothing a
//! sign-in sends lets the server or an eavesdropper check a guess more cheaply.
//!
//! - Registration ([RFC 9807 §5]), in four steps: 1. the client blinds the passphrase
//!   ([`Registration::start`]); 2. the server evaluates it under the account's OPRF key
//!   ([`ServerKeys::registration_response`]); 3. the client stretches the result with Argon2id,
//!   seals its envelope and makes the record ([`Registration::finish`]), and wraps the account
//!   key under a key derived from the export key ([`ExportKey::wrap`]); 4. the server stores the
//!   record ([`server_record`]).
//! - Login ([RFC 9807 §6]), in four steps: 1. KE1 ([`Login::start`]); 2. KE2 from the record,
//!   or from a fake one when the account is unknown, so that both look alike
//!   ([`ServerKeys::login_start`], [RFC 9807 §10.9]); 3. KE3 and the export key
//!   ([`Login::finish`]: a wrong passphrase is found here, on the device, before anything more
//!   is sent); 4. the server checks KE3 ([`server_login_finish`]).
//!
//! [RFC 9807]: https://www.rfc-editor.org/rfc/rfc9807
//! [RFC 9807 §7]: https://www.rfc-editor.org/rfc/rfc9807#section-7
//! [RFC 9807 §5]: https://www.rfc-editor.org/rfc/rfc9807#section-5
//! [RFC 9807 §6]: https://www.rfc-editor.org/rfc/rfc9807#section-6
//! [RFC 9807 §10.9]: https://www.rfc-editor.org/rfc/rfc9807#section-10.9

use std::fmt;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use opaque_ke::argon2::{Algorithm, Argon2, Params, Version};
use opaque_ke::{
    CipherSuite, ClientLogin, ClientLoginFinishParameters, ClientRegistration,
    ClientRegistrationFinishParameters, CredentialFinalization, CredentialRequest,
    CredentialResponse, Identifiers, RegistrationRequest, RegistrationResponse, RegistrationUpload,
    ServerLogin, ServerLoginParameters, ServerRegistration, ServerSetup,
};
use rand_core_opaque::OsRng;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::AccountId;
use crate::protocol::{Bytes, WrappedKey};

/// The OPAQUE context both sides bind into the key exchange's transcript ([RFC 9807 §6]).
///
/// [RFC 9807 §6]: https://www.rfc-editor.org/rfc/rfc9807#section-6
pub const CONTEXT: &[u8] = b"credwell-sync OPAQUE v1";

/// The most bytes a wrapped account key may have on the wire (a key ring of 64 keys and the
/// envelope around it).
pub const MAX_WRAPPED_BYTES: usize = 64 * 32 + 64;

/// The environment variable with which test suites ask for the test-only parameters (the
/// vault's): honoured only in builds with the `insecure-test-kdf` feature.
pub const INSECURE_KDF_ENV: &str = "CREDWELL_DANGER_INSECURE_KDF";

/// credwell's OPAQUE configuration: ristretto255, 3DH with SHA-512, Argon2id.
#[derive(Debug, Clone, Copy)]
pub struct Suite;

impl CipherSuite for Suite {
    type OprfCs = opaque_ke::Ristretto255;
    type KeyExchange = opaque_ke::TripleDh<opaque_ke::Ristretto255, sha2_opaque::Sha512>;
    type Ksf = Argon2<'static>;
}

/// Why a sign-in step failed. Never holds the passphrase or a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpaqueError {
    /// The passphrase does not open the account's record: it is wrong, or the account does not
    /// exist on this server (OPAQUE answers both alike).
    #[error("wrong passphrase for this sync account (or no account with this id on this server)")]
    WrongPassphrase,
    /// A message of the other side is not an OPAQUE message of this configuration.
    #[error("the sign-in message is malformed")]
    Malformed,
    /// The wrapped account key does not open under the export key: altered, or wrapped for
    /// another account or key version.
    #[error("the server's copy of the account key does not open (altered or not this account's)")]
    KeyDoesNotOpen,
    /// The test-only parameters were asked for in a build without them.
    #[error(
        "the test-only key derivation (CREDWELL_DANGER_INSECURE_KDF=1) exists only in test builds \
         (the `insecure-test-kdf` feature); this build refuses it: unset the variable"
    )]
    InsecureKdfUnavailable,
    /// OPAQUE failed inside (Argon2id could not allocate its memory, or randomness failed).
    #[error("the sign-in computation failed")]
    Internal,
}

/// Argon2id's cost for OPAQUE's key stretching. Both sides of one account must use the same:
/// they are constants of the client, never taken from the server (a server that could lower
/// them would get a cheap guessing oracle).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KsfParams {
    /// Memory, in KiB.
    pub m_cost_kib: u32,
    /// Passes.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
}

impl KsfParams {
    /// 64 MiB, 3 passes, 1 lane: the vault's default (above OWASP's minimum for Argon2id).
    pub const DEFAULT: Self = Self {
        m_cost_kib: 64 * 1024,
        t_cost: 3,
        p_cost: 1,
    };

    /// Very cheap parameters (64 KiB, 1 pass), **only** for tests, as the vault's: an account
    /// registered with them is as weak as its passphrase against its server.
    #[cfg(feature = "insecure-test-kdf")]
    pub const INSECURE_FOR_TESTS: Self = Self {
        m_cost_kib: 64,
        t_cost: 1,
        p_cost: 1,
    };

    /// [`DEFAULT`](Self::DEFAULT), or the test-only parameters when `test_only` is asked for
    /// or the environment sets [`INSECURE_KDF_ENV`]`=1`; a build without the
    /// `insecure-test-kdf` feature refuses those ([`OpaqueError::InsecureKdfUnavailable`]).
    pub fn current(test_only: bool) -> Result<Self, OpaqueError> {
        let asked = test_only || std::env::var_os(INSECURE_KDF_ENV).is_some_and(|v| v == "1");
        if !asked {
            return Ok(Self::DEFAULT);
        }
        #[cfg(feature = "insecure-test-kdf")]
        return Ok(Self::INSECURE_FOR_TESTS);
        #[cfg(not(feature = "insecure-test-kdf"))]
        return Err(OpaqueError::InsecureKdfUnavailable);
    }

    fn argon2(&self) -> Result<Argon2<'static>, OpaqueError> {
        let params = Params::new(self.m_cost_kib, self.t_cost, self.p_cost, None)
            .map_err(|_| OpaqueError::Internal)?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

fn identifiers(account: &AccountId) -> Identifiers<'_> {
    Identifiers {
        client: Some(&account.0),
        server: None,
    }
}

fn malformed<T>(_: T) -> OpaqueError {
    OpaqueError::Malformed
}

/// OPAQUE's export key (the envelope's, RFC 9807's key recovery): known only to a client that
/// had the passphrase, never to the server. It wraps the account key.
pub struct ExportKey(Zeroizing<Vec<u8>>);

impl fmt::Debug for ExportKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ExportKey(..)")
    }
}

const WRAP_NONCE: usize = 24;

impl ExportKey {
    fn cipher(&self) -> XChaCha20Poly1305 {
        let hk = hkdf::Hkdf::<Sha256>::new(None, &self.0);
        let mut key = Zeroizing::new([0; 32]);
        // 32 bytes is far below HKDF-SHA256's limit: expanding cannot fail.
        let _ = hk.expand(b"credwell-sync account key wrap v1", &mut *key);
        XChaCha20Poly1305::new(&(*key).into())
    }

    /// Wraps `material` (the account key's bytes) as `version` of `account`'s key:
    /// XChaCha20-Poly1305 under HKDF-SHA256(export key), the associated data binding the
    /// account id and the version.
    pub fn wrap(
        &self,
        account: AccountId,
        version: u32,
        material: &[u8],
    ) -> Result<WrappedKey, OpaqueError> {
        let mut nonce = [0; WRAP_NONCE];
        getrandom::fill(&mut nonce).map_err(|_| OpaqueError::Internal)?;
        let aad = wrap_aad(account, version);
        let sealed = self
            .cipher()
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: material,
                    aad: &aad,
                },
            )
            .map_err(|_| OpaqueError::Internal)?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        Ok(WrappedKey {
            version,
            sealed: Bytes(bytes),
        })
    }

    /// The account key's bytes from `wrapped`, which must be `account`'s.
    pub fn unwrap(
        &self,
        account: AccountId,
        wrapped: &WrappedKey,
    ) -> Result<Zeroizing<Vec<u8>>, OpaqueError> {
        let bytes = &wrapped.sealed.0;
        if bytes.len() < WRAP_NONCE {
            return Err(OpaqueError::KeyDoesNotOpen);
        }
        let (nonce, sealed) = bytes.split_at(WRAP_NONCE);
        let nonce: [u8; WRAP_NONCE] = nonce.try_into().map_err(|_| OpaqueError::KeyDoesNotOpen)?;
        let aad = wrap_aad(account, wrapped.version);
        self.cipher()
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| OpaqueError::KeyDoesNotOpen)
    }
}

fn wrap_aad(account: AccountId, version: u32) -> Vec<u8> {
    let mut aad = b"credwell-sync wrapped account key v1".to_vec();
    aad.extend_from_slice(&account.0);
    aad.extend_from_slice(&version.to_be_bytes());
    aad
}

/// An OPAQUE exchange in progress on the device, a [`Registration`] or a [`Login`]: the state
/// opaque-ke keeps between its two steps, and the key stretching parameters it finishes with.
pub struct InProgress<S> {
    state: S,
    ksf: KsfParams,
}

impl<S> fmt::Debug for InProgress<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InProgress").finish_non_exhaustive()
    }
}

impl<S> InProgress<S> {
    /// The exchange started with `state`, and its first message for the server.
    fn started(state: S, message: Vec<u8>, ksf: KsfParams) -> (Self, Vec<u8>) {
        (Self { state, ksf }, message)
    }
}

/// What a finished exchange gives: its last message for the server and the export key.
fn finished(message: Vec<u8>, export_key: &[u8]) -> (Vec<u8>, ExportKey) {
    (message, ExportKey(Zeroizing::new(export_key.to_vec())))
}

/// A registration in progress on the device.
pub type Registration = InProgress<ClientRegistration<Suite>>;

/// A login in progress on the device.
pub type Login = InProgress<ClientLogin<Suite>>;

impl Registration {
    /// Step 1 (`CreateRegistrationRequest`): blinds `passphrase`; the request for the server.
    pub fn start(passphrase: &[u8], ksf: KsfParams) -> Result<(Self, Vec<u8>), OpaqueError> {
        let started = ClientRegistration::<Suite>::start(&mut OsRng, passphrase)
            .map_err(|_| OpaqueError::Internal)?;
        let request = started.message.serialize().to_vec();
        Ok(Self::started(started.state, request, ksf))
    }

    /// Step 3 (`FinalizeRegistrationRequest`): from the server's response, the record to
    /// upload and the export key.
    pub fn finish(
        self,
        passphrase: &[u8],
        account: AccountId,
        response: &[u8],
    ) -> Result<(Vec<u8>, ExportKey), OpaqueError> {
        let response = RegistrationResponse::<Suite>::deserialize(response).map_err(malformed)?;
        let argon2 = self.ksf.argon2()?;
        let params = ClientRegistrationFinishParameters::new(identifiers(&account), Some(&argon2));
        let finished = self
            .state
            .finish(&mut OsRng, passphrase, response, params)
            .map_err(|e| match e {
                opaque_ke::errors::ProtocolError::ReflectedValueError => OpaqueError::Malformed,
                _ => OpaqueError::Internal,
            })?;
        let upload = finished.message.serialize().to_vec();
        Ok(self::finished(upload, &finished.export_key))
    }
}

impl Login {
    /// `GenerateKE1`: the request for the server.
    pub fn start(passphrase: &[u8], ksf: KsfParams) -> Result<(Self, Vec<u8>), OpaqueError> {
        let started = ClientLogin::<Suite>::start(&mut OsRng, passphrase)
            .map_err(|_| OpaqueError::Internal)?;
        let request = started.message.serialize().to_vec();
        Ok(Self::started(started.state, request, ksf))
    }

    /// `GenerateKE3`: from the server's KE2, the finalization for the server and the export
    /// key; [`OpaqueError::WrongPassphrase`] when the passphrase does not open the account's
    /// envelope (or the account is unknown: the server answered with a fake record).
    pub fn finish(
        self,
        passphrase: &[u8],
        account: AccountId,
        response: &[u8],
    ) -> Result<(Vec<u8>, ExportKey), OpaqueError> {
        let response = CredentialResponse::<Suite>::deserialize(response).map_err(malformed)?;
        let argon2 = self.ksf.argon2()?;
        let params =
            ClientLoginFinishParameters::new(Some(CONTEXT), identifiers(&account), Some(&argon2));
        let finished = self
            .state
            .finish(&mut OsRng, passphrase, response, params)
            .map_err(|e| match e {
                opaque_ke::errors::ProtocolError::InvalidLoginError => OpaqueError::WrongPassphrase,
                opaque_ke::errors::ProtocolError::ReflectedValueError
                | opaque_ke::errors::ProtocolError::SerializationError => OpaqueError::Malformed,
                _ => OpaqueError::Internal,
            })?;
        let finalization = finished.message.serialize().to_vec();
        Ok(self::finished(finalization, &finished.export_key))
    }
}

/// The server's OPAQUE setup (RFC 9807's server setup): the OPRF seed and the server's key
/// pair, made once per server and kept in its database. `Debug` shows nothing.
#[derive(Clone)]
pub struct ServerKeys(ServerSetup<Suite>);

impl fmt::Debug for ServerKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerKeys(..)")
    }
}

impl ServerKeys {
    /// A new random setup.
    pub fn generate() -> Self {
        Self(ServerSetup::new(&mut OsRng))
    }

    /// Its bytes, to store.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.0.serialize().to_vec())
    }

    /// The setup from its stored bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, OpaqueError> {
        ServerSetup::deserialize(bytes).map(Self).map_err(malformed)
    }

    /// Step 2 of registration (`CreateRegistrationResponse`) for `account`.
    pub fn registration_response(
        &self,
        account: AccountId,
        request: &[u8],
    ) -> Result<Vec<u8>, OpaqueError> {
        let request = RegistrationRequest::<Suite>::deserialize(request).map_err(malformed)?;
        let response = ServerRegistration::<Suite>::start(&self.0, request, &account.0)
            .map_err(|_| OpaqueError::Malformed)?;
        Ok(response.message.serialize().to_vec())
    }

    /// `GenerateKE2` for `account` from its stored `record` (`None`: no such account, or no
    /// passphrase registered: a fake record answers, indistinguishable from a real one
    /// ([RFC 9807 §10.9])). The server's state to keep until the finish, and the response.
    ///
    /// [RFC 9807 §10.9]: https://www.rfc-editor.org/rfc/rfc9807#section-10.9
    pub fn login_start(
        &self,
        account: AccountId,
        record: Option<&[u8]>,
        request: &[u8],
    ) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>), OpaqueError> {
        let request = CredentialRequest::<Suite>::deserialize(request).map_err(malformed)?;
        let record = record
            .map(ServerRegistration::<Suite>::deserialize)
            .transpose()
            .map_err(malformed)?;
        let started = ServerLogin::start(
            &mut OsRng,
            &self.0,
            record,
            request,
            &account.0,
            server_parameters(&account),
        )
        .map_err(|_| OpaqueError::Malformed)?;
        Ok((
            Zeroizing::new(started.state.serialize().to_vec()),
            started.message.serialize().to_vec(),
        ))
    }
}

fn server_parameters(account: &AccountId) -> ServerLoginParameters<'_, '_> {
    ServerLoginParameters {
        context: Some(CONTEXT),
        identifiers: identifiers(account),
    }
}

/// Step 4 of registration (`StoreUserRecord`): the record to store from the client's upload
/// (refused when it is not one).
pub fn server_record(upload: &[u8]) -> Result<Vec<u8>, OpaqueError> {
    let upload = RegistrationUpload::<Suite>::deserialize(upload).map_err(malformed)?;
    Ok(ServerRegistration::<Suite>::finish(upload)
        .serialize()
        .to_vec())
}

/// `ServerFinish`: whether the client's KE3 proves it opened `account`'s record
/// ([`OpaqueError::WrongPassphrase`] if not).
pub fn server_login_finish(
    account: AccountId,
    state: &[u8],
    finalization: &[u8],
) -> Result<(), OpaqueError> {
    let state = ServerLogin::<Suite>::deserialize(state).map_err(malformed)?;
    let finalization =
        CredentialFinalization::<Suite>::deserialize(finalization).map_err(malformed)?;
    state
        .finish(finalization, server_parameters(&account))
        .map(|_| ())
        .map_err(|_| OpaqueError::WrongPassphrase)
}

#[cfg(test)]
mod tests;
