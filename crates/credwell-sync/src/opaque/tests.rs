//! OPAQUE between a device and a server in memory: registration, login, a wrong passphrase, an
//! unknown account, a forged KE3, and the wrapped account key.

use super::*;

const ACCOUNT: AccountId = AccountId([4; 16]);

fn cheap() -> KsfParams {
    KsfParams::current(true).unwrap()
}

/// Registers `passphrase` for `account`: the record the server stores and the export key.
fn register(server: &ServerKeys, account: AccountId, passphrase: &[u8]) -> (Vec<u8>, ExportKey) {
    let (registration, request) = Registration::start(passphrase, cheap()).unwrap();
    let response = server.registration_response(account, &request).unwrap();
    let (upload, export) = registration.finish(passphrase, account, &response).unwrap();
    (server_record(&upload).unwrap(), export)
}

/// Logs in: the client's result, and the server's verdict when the client got a finalization.
fn login(
    server: &ServerKeys,
    account: AccountId,
    record: Option<&[u8]>,
    passphrase: &[u8],
) -> Result<ExportKey, OpaqueError> {
    let (login, request) = Login::start(passphrase, cheap()).unwrap();
    let (state, response) = server.login_start(account, record, &request).unwrap();
    let (finalization, export) = login.finish(passphrase, account, &response)?;
    server_login_finish(account, &state, &finalization).unwrap();
    Ok(export)
}

#[test]
fn a_registered_passphrase_logs_in_and_unwraps_the_account_key() {
    let server = ServerKeys::from_bytes(&ServerKeys::generate().to_bytes()).unwrap();
    let (record, export) = register(&server, ACCOUNT, b"correct horse");
    assert!(!record.windows(13).any(|w| w == b"correct horse"));
    let wrapped = export.wrap(ACCOUNT, 1, &[7; 32]).unwrap();
    assert!(!wrapped.sealed.0.windows(32).any(|w| w == [7; 32]));
    let again = login(&server, ACCOUNT, Some(&record), b"correct horse").unwrap();
    assert_eq!(*again.unwrap(ACCOUNT, &wrapped).unwrap(), vec![7; 32]);
    assert_eq!(
        format!("{again:?} {server:?}"),
        "ExportKey(..) ServerKeys(..)"
    );
}

#[test]
fn a_wrong_passphrase_and_an_unknown_account_look_alike() {
    let server = ServerKeys::generate();
    let (record, _) = register(&server, ACCOUNT, b"correct horse");
    let wrong = login(&server, ACCOUNT, Some(&record), b"correct hose").unwrap_err();
    assert_eq!(wrong, OpaqueError::WrongPassphrase);
    assert!(
        wrong
            .to_string()
            .contains("wrong passphrase for this sync account")
    );
    let unknown = login(&server, AccountId([5; 16]), None, b"correct horse").unwrap_err();
    assert_eq!(unknown, OpaqueError::WrongPassphrase);
    // The record is bound to its account: under another account id it opens nothing.
    let moved = login(&server, AccountId([5; 16]), Some(&record), b"correct horse");
    assert_eq!(moved.unwrap_err(), OpaqueError::WrongPassphrase);
    // A fake record's response is as long as a real one's.
    let (_, request) = Login::start(b"x", cheap()).unwrap();
    let real = server
        .login_start(ACCOUNT, Some(&record), &request)
        .unwrap()
        .1;
    let fake = server
        .login_start(AccountId([5; 16]), None, &request)
        .unwrap()
        .1;
    assert_eq!(real.len(), fake.len());
    // Another server's setup does not open the record either.
    let other = ServerKeys::generate();
    let elsewhere = login(&other, ACCOUNT, Some(&record), b"correct horse");
    assert_eq!(elsewhere.unwrap_err(), OpaqueError::WrongPassphrase);
}

#[test]
fn the_server_refuses_a_finalization_that_proves_nothing() {
    let server = ServerKeys::generate();
    let (record, _) = register(&server, ACCOUNT, b"correct horse");
    let (_, request) = Login::start(b"guess", cheap()).unwrap();
    let (state, _) = server
        .login_start(ACCOUNT, Some(&record), &request)
        .unwrap();
    // A client that did not open the envelope sends any 64 bytes as its KE3.
    let forged = [9u8; 64];
    assert_eq!(
        server_login_finish(ACCOUNT, &state, &forged),
        Err(OpaqueError::WrongPassphrase)
    );
    assert_eq!(
        server_login_finish(ACCOUNT, &state, &[1, 2, 3]),
        Err(OpaqueError::Malformed)
    );
    assert_eq!(
        server
            .login_start(ACCOUNT, Some(&record), &[0; 5])
            .unwrap_err(),
        OpaqueError::Malformed
    );
    assert_eq!(
        server.registration_response(ACCOUNT, &[0; 5]).unwrap_err(),
        OpaqueError::Malformed
    );
    assert_eq!(server_record(&[0; 5]).unwrap_err(), OpaqueError::Malformed);
    assert!(ServerKeys::from_bytes(&[0; 5]).is_err());
}

#[test]
fn a_wrapped_key_opens_only_for_its_account_and_version() {
    let server = ServerKeys::generate();
    let (_, export) = register(&server, ACCOUNT, b"pass");
    let wrapped = export.wrap(ACCOUNT, 2, &[3; 64]).unwrap();
    assert_eq!(*export.unwrap(ACCOUNT, &wrapped).unwrap(), vec![3; 64]);
    let refused = |wrapped: &WrappedKey, account| {
        assert_eq!(
            export.unwrap(account, wrapped).unwrap_err(),
            OpaqueError::KeyDoesNotOpen
        );
    };
    refused(&wrapped, AccountId([5; 16]));
    let mut older = wrapped.clone();
    older.version = 1;
    refused(&older, ACCOUNT);
    let mut flipped = wrapped.clone();
    flipped.sealed.0[30] ^= 1;
    refused(&flipped, ACCOUNT);
    let short = WrappedKey {
        version: 2,
        sealed: Bytes(vec![0; 10]),
    };
    refused(&short, ACCOUNT);
    // Another registration of the same passphrase has another export key.
    let (_, other) = register(&server, ACCOUNT, b"pass");
    assert_eq!(
        other.unwrap(ACCOUNT, &wrapped).unwrap_err(),
        OpaqueError::KeyDoesNotOpen
    );
}

#[test]
fn release_parameters_are_the_vaults_and_test_ones_are_asked_for() {
    assert_eq!(
        (KsfParams::DEFAULT.m_cost_kib, KsfParams::DEFAULT.t_cost),
        (64 * 1024, 3)
    );
    assert_eq!(
        KsfParams::current(true).unwrap(),
        KsfParams::INSECURE_FOR_TESTS
    );
    if std::env::var_os(INSECURE_KDF_ENV).is_none() {
        assert_eq!(KsfParams::current(false).unwrap(), KsfParams::DEFAULT);
    }
}
