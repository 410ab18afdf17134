//! How passkey-rs's CTAP2 statuses reach the client.

use super::*;

#[test]
fn ctap2_statuses_map_to_authenticator_errors() {
    for (status, expected) in [
        (
            Ctap2Error::CredentialExcluded,
            AuthenticatorError::InvalidState,
        ),
        (Ctap2Error::OperationDenied, AuthenticatorError::Cancelled),
        (
            Ctap2Error::UnsupportedAlgorithm,
            AuthenticatorError::NotSupported,
        ),
        (Ctap2Error::NoCredentials, AuthenticatorError::NoCredentials),
        (
            Ctap2Error::UnsupportedOption,
            AuthenticatorError::Constraint,
        ),
        (Ctap2Error::Other, AuthenticatorError::Unknown),
        (Ctap2Error::InvalidCbor, AuthenticatorError::Unknown),
    ] {
        assert_eq!(from_status(status.into()), expected, "{status:?}");
    }
    assert_eq!(
        store_failed(crate::PasskeyStoreError::NotFound),
        AuthenticatorError::Unknown
    );
}
