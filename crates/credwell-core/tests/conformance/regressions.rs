//! Regressions: spec points the engine once got wrong (found by this suite), named after the
//! checklist point.

use credwell_core::{
    Credential, CredentialStore, Engine, EngineConfig, ErrorName, ManualClock, MemoryStore, Origin,
    Password, PasswordCredential, Rejection, ScriptedMediator, StoreConsent,
};
use futures::executor::block_on;
use serde_json::json;

const SITE: &str = "https://example.com";

fn origin() -> Origin {
    Origin::parse(SITE).expect("origin")
}

fn caller(n: u64) -> credwell_core::Caller {
    credwell_core::Caller::new(
        origin(),
        credwell_core::ClientId(n),
        credwell_core::RequestId(n),
    )
}

/// B8 / «Requiring User Mediation» 2: "User agents MUST NOT set an origin's prevent silent
/// access flag to false without user mediation", and «User Mediation»: an action is unmediated
/// "if it takes place silently, without explicit user consent", such as a persistent grant.
/// A standing "always save" grant lets store() save without asking; it must not also turn on
/// silent sign-in for the origin.
#[test]
fn infrastructure_b8_standing_save_consent_does_not_clear_the_flag() {
    let config = EngineConfig {
        store_consent: StoreConsent::Always,
        ..EngineConfig::default()
    };
    let store = MemoryStore::new();
    let engine = Engine::with_config(
        store.clone(),
        ScriptedMediator::default(),
        ManualClock::new(0),
        config,
    );
    block_on(engine.store(
        &caller(1),
        &json!({"type": "password", "id": "alice", "password": "pw"}),
    ))
    .expect("stored without a prompt");
    assert!(
        engine.mediator().asked().is_empty(),
        "no user mediation happened"
    );
    let flags = block_on(store.origin_flags(&origin())).expect("memory store");
    assert!(
        flags.prevent_silent_access,
        "the flag was cleared without user mediation"
    );
    // So a silent get() must not sign the user in.
    let got = block_on(engine.get(
        &caller(2),
        &json!({"password": true, "mediation": "silent"}),
        None,
    ))
    .expect("resolves");
    assert_eq!(got, None);
}

/// Same as above for an update under the standing grant.
#[test]
fn infrastructure_b8_standing_update_consent_does_not_clear_the_flag() {
    let config = EngineConfig {
        store_consent: StoreConsent::Always,
        ..EngineConfig::default()
    };
    let store = MemoryStore::new();
    store.insert(
        Credential::Password(PasswordCredential {
            id: "alice".into(),
            password: Password::new("old"),
            name: String::new(),
            icon_url: String::new(),
            origin: origin(),
        }),
        0,
    );
    let engine = Engine::with_config(
        store.clone(),
        ScriptedMediator::default(),
        ManualClock::new(0),
        config,
    );
    block_on(engine.store(
        &caller(3),
        &json!({"type": "password", "id": "alice", "password": "new"}),
    ))
    .expect("updated without a prompt");
    let flags = block_on(store.origin_flags(&origin())).expect("memory store");
    assert!(flags.prevent_silent_access);
}

/// G6 (PR #218): Credential's default [[Store]] throws NotSupportedError, so storing an
/// OTPCredential, IdentityCredential or DigitalCredential rejects NotSupportedError (WPT
/// otpcredential-store).
#[test]
fn store_a_credential_g6_other_credential_types_are_not_supported_error() {
    let engine = Engine::new(
        MemoryStore::new(),
        ScriptedMediator::default(),
        ManualClock::new(0),
    );
    for kind in ["otp", "identity", "digital-credential"] {
        let result = block_on(engine.store(&caller(10), &json!({"type": kind, "id": "x"})));
        assert_eq!(
            Rejection::from(result.expect_err("rejects")).name(),
            Some(ErrorName::NotSupportedError),
            "{kind}"
        );
    }
}
