//! Conformance suite for the Credential Management checklist (`docs/checklist.md`), sections
//! B, C, E–L: everything that applies to `PasswordCredential` and `FederatedCredential`.
//!
//! Every test is named after the checklist section and point it covers
//! (`request_a_credential_f4_...` is point 4 of section F, «Request a Credential»), drives the
//! engine through its public API only, and asserts the exact result or exception name.
//! `docs/conformance.md` maps each checklist point to its tests.

#[path = "conformance/support.rs"]
mod support;

#[path = "conformance/model.rs"]
mod model;

#[path = "conformance/options.rs"]
mod options;

#[path = "conformance/get.rs"]
mod get;

#[path = "conformance/abort.rs"]
mod abort;

#[path = "conformance/store.rs"]
mod store;

#[path = "conformance/create.rs"]
mod create;

#[path = "conformance/prevent_silent_access.rs"]
mod prevent_silent_access;

#[path = "conformance/password.rs"]
mod password;

#[path = "conformance/federated.rs"]
mod federated;

#[path = "conformance/behaviour.rs"]
mod behaviour;

#[path = "conformance/malformed.rs"]
mod malformed;

#[path = "conformance/properties.rs"]
mod properties;

#[path = "conformance/regressions.rs"]
mod regressions;
