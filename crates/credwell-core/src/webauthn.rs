//! The WebAuthn client side (`PublicKeyCredential`): the parts of
//! [`[[Create]]`](https://w3c.github.io/webauthn/#sctn-createCredential) and
//! [`[[DiscoverFromExternalSource]]`](https://w3c.github.io/webauthn/#sctn-discover-from-external-source)
//! that do not need an authenticator: RP ID validation and `clientDataJSON`.

mod client_data;
mod rp_id;

pub use client_data::{ClientDataType, CollectedClientData};
pub use rp_id::{RpId, RpIdError};
