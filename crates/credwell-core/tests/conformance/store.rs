//! G. `store(credential)`: «Store a Credential», with J27 (`PasswordCredential` `[[Store]]`)
//! and K35 (`FederatedCredential` `[[Store]]`).

use std::pin::pin;

use credwell_core::{
    CredentialType, EngineConfig, ErrorName, Origin, RequestId, SaveDecision, Scripted,
    StoreConsent, StoreSource, UpdateDecision, credential_from_object,
};
use futures::executor::block_on;
use serde_json::json;

use crate::support::*;

const SITE: &str = "https://example.com";

fn alice() -> serde_json::Value {
    json!({"type": "password", "id": "alice", "password": "pencil"})
}

// G1. Secure context and fully active.

#[test]
fn store_a_credential_g1_not_fully_active_is_invalid_state_error() {
    let h = Harness::new([]);
    let mut caller = h.caller(SITE);
    caller.fully_active = false;
    assert_rejects_naming(
        h.store(&caller, alice()),
        ErrorName::InvalidStateError,
        &["fully active"],
    );
    assert!(h.store.is_empty());
    assert!(!h.user_was_asked());
}

// G2, J27.1, K35.1. Frames that are not same-origin with their ancestors.

#[test]
fn store_a_credential_g2_cross_origin_frame_is_not_allowed_error_and_store_unchanged() {
    let h = Harness::new([]);
    h.add_password("https://widget.example", "alice", "old");
    let caller = h
        .caller("https://widget.example")
        .with_ancestors(&[origin(SITE)]);
    assert_rejects_naming(
        h.store(
            &caller,
            json!({"type": "password", "id": "alice", "password": "new"}),
        ),
        ErrorName::NotAllowedError,
        &["PasswordCredential", "ancestors"],
    );
    assert_rejects_naming(
        h.store(
            &caller,
            json!({"type": "federated", "id": "bob", "provider": "https://idp.example"}),
        ),
        ErrorName::NotAllowedError,
        &["FederatedCredential"],
    );
    assert_eq!(h.store.len(), 1);
    assert_eq!(h.stored_passwords("https://widget.example")[0].1, "old");
    assert!(!h.user_was_asked());
}

#[test]
fn store_a_credential_g2_same_origin_frame_may_store() {
    let h = Harness::new([Scripted::Save(SaveDecision::Save)]);
    let caller = h.caller(SITE).with_ancestors(&[origin(SITE)]);
    h.store(&caller, alice()).expect("stored");
    assert_eq!(h.store.len(), 1);
}

// G3/G5. Active credential types.

#[test]
fn store_a_credential_g3_concurrent_same_type_is_not_allowed_error() {
    let h = Harness::new([Scripted::Hang]);
    let caller = h.caller(SITE);
    let mut first = pin!(h.engine.store(&caller, leak(alice())));
    poll_pending(first.as_mut());
    let mut second = caller.clone();
    second.request = RequestId(fresh_id());
    assert_rejects_naming(
        h.store(
            &second,
            json!({"type": "password", "id": "bob", "password": "pw"}),
        ),
        ErrorName::NotAllowedError,
        &["password", "pending"],
    );
    // get() and create() of the same type share the document's active types.
    assert_rejects(
        h.get(&second, json!({"password": true})),
        ErrorName::NotAllowedError,
    );
    assert_rejects(
        h.create(&second, json!({"password": {"id": "x", "password": "y"}})),
        ErrorName::NotAllowedError,
    );
    // Another type is fine.
    h.mediator.push([Scripted::Save(SaveDecision::Save)]);
    h.store(
        &second,
        json!({"type": "federated", "id": "bob", "provider": "https://idp.example"}),
    )
    .expect("federated is not active");
    // Another document is fine.
    h.mediator.push([Scripted::Save(SaveDecision::Save)]);
    h.store(
        &h.caller(SITE),
        json!({"type": "password", "id": "carol", "password": "pw"}),
    )
    .expect("another document");
}

#[test]
fn store_a_credential_g5_type_is_released_after_settling() {
    let h = Harness::new([
        Scripted::Save(SaveDecision::Dismiss),
        Scripted::Save(SaveDecision::Save),
    ]);
    let caller = h.caller(SITE);
    h.store(&caller, alice()).expect("dismissed resolves");
    h.store(&caller, alice()).expect("same document again");
    assert_eq!(h.store.len(), 1);
}

// G4, J27. The password [[Store]]: save, update, consent.

#[test]
fn store_a_credential_g4_new_password_with_consent_is_saved() {
    let h = Harness::new([Scripted::Save(SaveDecision::Save)]);
    h.store(
        &h.caller(SITE),
        json!({"type": "password", "id": "alice", "password": "pencil", "name": "Alice",
               "iconURL": "https://example.com/a.png"}),
    )
    .expect("resolves undefined");
    assert_eq!(
        h.stored_passwords(SITE),
        [(
            "alice".to_owned(),
            "pencil".to_owned(),
            "Alice".to_owned(),
            "https://example.com/a.png".to_owned()
        )]
    );
    assert_eq!(h.save_prompts().len(), 1);
}

#[test]
fn store_a_credential_g4_user_dismissal_resolves_and_stores_nothing() {
    let h = Harness::new([
        Scripted::Save(SaveDecision::Dismiss),
        Scripted::Save(SaveDecision::Save),
    ]);
    h.store(&h.caller(SITE), alice()).expect("not an error");
    assert!(h.store.is_empty());
    // Dismissal is "not now": the next store asks again.
    h.store(&h.caller(SITE), alice()).expect("stored");
    assert_eq!(h.save_prompts().len(), 2);
    assert_eq!(h.store.len(), 1);
}

#[test]
fn store_a_credential_g4_never_for_this_site_suppresses_later_prompts() {
    let h = Harness::new([
        Scripted::Save(SaveDecision::NeverForThisSite),
        Scripted::Save(SaveDecision::Save),
    ]);
    h.store(&h.caller(SITE), alice()).expect("resolves");
    assert!(h.flags(SITE).never_save);
    h.store(
        &h.caller(SITE),
        json!({"type": "password", "id": "bob", "password": "pw"}),
    )
    .expect("resolves");
    h.store(
        &h.caller(SITE),
        json!({"type": "federated", "id": "carol", "provider": "https://idp.example"}),
    )
    .expect("resolves");
    assert!(h.store.is_empty());
    assert_eq!(h.save_prompts().len(), 1, "never asked again");
    // Only for this site.
    h.store(&h.caller("https://example.org"), alice())
        .expect("stored");
    assert_eq!(h.save_prompts().len(), 2);
    assert_eq!(h.store.len(), 1);
}

#[test]
fn store_a_credential_g4_update_asks_and_overwrites_password_name_and_icon() {
    let h = Harness::new([
        Scripted::Save(SaveDecision::Save),
        Scripted::Update(UpdateDecision::Update),
    ]);
    h.store(&h.caller(SITE), alice()).expect("stored");
    h.store(
        &h.caller(SITE),
        json!({"type": "password", "id": "alice", "password": "pen", "name": "Alice A.",
               "iconURL": "https://example.com/alice.png"}),
    )
    .expect("updated");
    let prompts = h.update_prompts();
    assert_eq!(prompts.len(), 1);
    assert_eq!(prompts[0].id, "alice");
    assert_eq!(prompts[0].name, "Alice A.");
    assert!(!format!("{:?}", prompts[0]).contains("pen\""));
    assert_eq!(h.save_prompts().len(), 1, "an update is not a second save");
    assert_eq!(
        h.stored_passwords(SITE),
        [(
            "alice".to_owned(),
            "pen".to_owned(),
            "Alice A.".to_owned(),
            "https://example.com/alice.png".to_owned()
        )]
    );
}

#[test]
fn store_a_credential_g4_update_declined_leaves_the_stored_credential() {
    let h = Harness::new([Scripted::Update(UpdateDecision::Dismiss)]);
    h.add_password(SITE, "alice", "old");
    h.store(
        &h.caller(SITE),
        json!({"type": "password", "id": "alice", "password": "new"}),
    )
    .expect("declining is not an error");
    assert_eq!(h.stored_passwords(SITE)[0].1, "old");
    assert_eq!(h.store.len(), 1);
}

#[test]
fn store_a_credential_g4_only_the_name_changing_is_still_an_update() {
    let h = Harness::new([Scripted::Update(UpdateDecision::Update)]);
    h.add_password(SITE, "alice", "pw");
    h.store(
        &h.caller(SITE),
        json!({"type": "password", "id": "alice", "password": "pw", "name": "Alice"}),
    )
    .expect("updated");
    assert_eq!(h.update_prompts().len(), 1);
    assert_eq!(h.stored_passwords(SITE)[0].2, "Alice");
}

#[test]
fn store_a_credential_g4_identical_restore_does_not_prompt() {
    let h = Harness::new([Scripted::Save(SaveDecision::Save)]);
    h.store(&h.caller(SITE), alice()).expect("stored");
    h.store(&h.caller(SITE), alice()).expect("no-op");
    assert_eq!(h.mediator.asked().len(), 1);
    assert_eq!(h.store.len(), 1);
}

#[test]
fn store_a_credential_g4_same_id_on_another_origin_is_a_new_credential() {
    let h = Harness::new([]);
    h.add_password("https://example.org", "alice", "other");
    h.store(&h.caller(SITE), alice()).expect("stored");
    assert!(h.update_prompts().is_empty());
    assert_eq!(h.save_prompts().len(), 1);
    assert_eq!(h.store.len(), 2);
    assert_eq!(h.stored_passwords("https://example.org")[0].1, "other");
}

#[test]
fn store_a_credential_g4_origin_member_is_ignored_for_the_callers() {
    // [DEVIATION, PR #131] [[origin]] always comes from the caller.
    let h = Harness::new([]);
    h.store(
        &h.caller(SITE),
        json!({"type": "password", "id": "alice", "password": "pw",
               "origin": "https://evil.example"}),
    )
    .expect("stored");
    assert_eq!(h.stored_passwords(SITE).len(), 1);
    assert!(h.stored_passwords("https://evil.example").is_empty());
    assert_eq!(h.save_prompts()[0].origin, origin(SITE));
}

#[test]
fn store_a_credential_g4_standing_consent_via_engine_config() {
    let always = EngineConfig {
        store_consent: StoreConsent::Always,
        ..EngineConfig::default()
    };
    let h = Harness::with_config([Scripted::Save(SaveDecision::Dismiss)], always);
    h.store(&h.caller(SITE), alice()).expect("stored");
    assert_eq!(h.store.len(), 1);
    assert_eq!(h.mediator.remaining(), 1, "the script was not consulted");

    let never = EngineConfig {
        store_consent: StoreConsent::Never,
        ..EngineConfig::default()
    };
    let h = Harness::with_config([Scripted::Save(SaveDecision::Save)], never);
    h.store(&h.caller(SITE), alice()).expect("resolves");
    assert!(h.store.is_empty());
    assert_eq!(h.mediator.remaining(), 1);
}

// K35. The federated [[Store]].

#[test]
fn store_a_credential_k35_federated_duplicate_is_a_no_op_without_prompt() {
    let h = Harness::new([Scripted::Save(SaveDecision::Save)]);
    let bob = json!({"type": "federated", "id": "bob", "provider": "https://idp.example"});
    h.store(&h.caller(SITE), bob.clone()).expect("stored");
    h.store(&h.caller(SITE), bob).expect("duplicate");
    // Trailing slash: the same provider once normalized. A new name or protocol changes nothing.
    h.store(
        &h.caller(SITE),
        json!({"type": "federated", "id": "bob", "provider": "https://idp.example/",
               "name": "Bob", "protocol": "openidconnect"}),
    )
    .expect("duplicate");
    assert_eq!(h.store.len(), 1);
    assert_eq!(h.mediator.asked().len(), 1);
    assert!(h.update_prompts().is_empty());
}

#[test]
fn store_a_credential_k35_federated_other_provider_is_a_new_credential() {
    let h = Harness::new([]);
    h.add_federated(SITE, "bob", "https://idp.example", None);
    h.store(
        &h.caller(SITE),
        json!({"type": "federated", "id": "bob", "provider": "https://other-idp.example"}),
    )
    .expect("stored");
    assert_eq!(h.store.len(), 2);
    let prompt = h.save_prompts().pop().expect("asked");
    assert_eq!(prompt.credential_type, CredentialType::Federated);
    assert_eq!(
        prompt.provider.as_deref(),
        Some("https://other-idp.example")
    );
}

#[test]
fn store_a_credential_k35_federated_same_id_and_provider_on_another_origin_is_new() {
    let h = Harness::new([]);
    h.add_federated("https://example.org", "bob", "https://idp.example", None);
    h.store(
        &h.caller(SITE),
        json!({"type": "federated", "id": "bob", "provider": "https://idp.example"}),
    )
    .expect("stored");
    assert_eq!(h.store.len(), 2);
}

#[test]
fn store_a_credential_k35_federated_store_keeps_provider_and_protocol() {
    let h = Harness::new([]);
    h.store(
        &h.caller(SITE),
        json!({"type": "federated", "id": "bob", "provider": "https://IDP.example:443/path",
               "protocol": "openidconnect", "name": "Bob", "iconURL": "https://idp.example/b.png"}),
    )
    .expect("stored");
    match &h.store.all()[0].credential {
        credwell_core::Credential::Federated(f) => {
            assert_eq!(f.provider, "https://idp.example");
            assert_eq!(f.protocol.as_deref(), Some("openidconnect"));
            assert_eq!(f.name, "Bob");
            assert_eq!(f.icon_url, "https://idp.example/b.png");
            assert_eq!(f.origin, origin(SITE));
        }
        other => panic!("{other:?}"),
    }
}

// G6/G7. Types that cannot be stored; arguments that are not credentials.

#[test]
fn store_a_credential_g6_public_key_is_not_supported_error() {
    let h = Harness::new([]);
    assert_rejects_naming(
        h.store(
            &h.caller(SITE),
            json!({"type": "public-key", "id": "AAAA", "rawId": "AAAA"}),
        ),
        ErrorName::NotSupportedError,
        &["PublicKeyCredential"],
    );
    assert!(!h.user_was_asked());
}

#[test]
fn store_a_credential_g7_tutorial_plain_object_is_type_error_naming_password_credential() {
    let h = Harness::new([]);
    let (name, message) = exception(h.store(
        &h.caller(SITE),
        json!({"username": "alice", "password": "pencil"}),
    ));
    assert_eq!(name, ErrorName::TypeError);
    assert!(message.contains("PasswordCredential"), "{message}");
    assert!(message.contains("Credential"), "{message}");
    assert!(
        !message.contains("pencil"),
        "never echo the password: {message}"
    );
    assert!(h.store.is_empty());
}

#[test]
fn store_a_credential_g7_non_credentials_are_type_errors() {
    let h = Harness::new([]);
    for value in [
        json!(null),
        json!("alice"),
        json!(42),
        json!(true),
        json!([]),
        json!({}),
        json!({"type": "bogus", "id": "a"}),
        json!({"type": 1, "id": "a", "password": "p"}),
        json!({"id": "alice", "password": "pw"}),
    ] {
        assert_rejects_naming(
            h.store(&h.caller(SITE), value.clone()),
            ErrorName::TypeError,
            &["Credential"],
        );
    }
    assert!(h.store.is_empty());
}

#[test]
fn store_a_credential_g7_invalid_credential_objects_are_rejected() {
    let h = Harness::new([]);
    for (value, name) in [
        (
            json!({"type": "password", "id": "", "password": "p"}),
            ErrorName::TypeError,
        ),
        (
            json!({"type": "password", "id": "a", "password": ""}),
            ErrorName::TypeError,
        ),
        (json!({"type": "password", "id": "a"}), ErrorName::TypeError),
        (
            json!({"type": "password", "password": "p"}),
            ErrorName::TypeError,
        ),
        (
            json!({"type": "password", "id": "a", "password": "p", "iconURL": "not a url"}),
            ErrorName::SyntaxError,
        ),
        (
            json!({"type": "federated", "id": "a"}),
            ErrorName::TypeError,
        ),
        (
            json!({"type": "federated", "id": "", "provider": "https://idp.example"}),
            ErrorName::TypeError,
        ),
        (
            json!({"type": "federated", "id": "a", "provider": ""}),
            ErrorName::TypeError,
        ),
        (
            json!({"type": "federated", "id": "a", "provider": "idp"}),
            ErrorName::SyntaxError,
        ),
    ] {
        assert_rejects(h.store(&h.caller(SITE), value.clone()), name);
    }
    assert!(h.store.is_empty());
    assert!(!h.user_was_asked());
}

// G8. [PENDING PR #304] Opaque origins.

#[test]
fn store_a_credential_g8_opaque_origin_is_security_error() {
    let h = Harness::new([]);
    let mut caller = h.caller(SITE);
    caller.origin = Origin::new_opaque();
    assert_rejects_naming(
        h.store(&caller, alice()),
        ErrorName::SecurityError,
        &["opaque"],
    );
    assert_rejects(
        h.store(
            &caller,
            json!({"type": "federated", "id": "bob", "provider": "https://idp.example"}),
        ),
        ErrorName::SecurityError,
    );
    // Opaque and framed: SecurityError, not NotAllowedError.
    let framed = caller.with_ancestors(&[origin(SITE)]);
    assert_rejects(h.store(&framed, alice()), ErrorName::SecurityError);
    assert!(h.store.is_empty());
    assert!(!h.user_was_asked());
}

// Outside the spec: a password the user typed into an ordinary form, which the embedder saves
// as a `PasswordCredential` with no name or icon of its own (`StoreSource::TypedForm`).

/// Stores `{id, password}` typed into a form on `SITE`.
fn store_typed(h: &Harness, id: &str, password: &str) -> Result<(), credwell_core::StoreError> {
    let typed = json!({"type": "password", "id": id, "password": password});
    let credential = credential_from_object(&typed, &origin(SITE)).expect("a password credential");
    block_on(
        h.engine
            .store_credential_from(&h.caller(SITE), credential, StoreSource::TypedForm),
    )
}

fn alice_named() -> serde_json::Value {
    json!({"type": "password", "id": "alice", "password": "pencil", "name": "Alice A.",
           "iconURL": "https://example.com/alice.png"})
}

#[test]
fn typed_form_password_already_stored_keeps_the_account_without_a_prompt() {
    let h = Harness::new([Scripted::Save(SaveDecision::Save)]);
    h.store(&h.caller(SITE), alice_named()).expect("stored");
    store_typed(&h, "alice", "pencil").expect("nothing to do");
    assert_eq!(
        h.mediator.asked().len(),
        1,
        "no update prompt for the same password"
    );
    assert_eq!(
        h.stored_passwords(SITE),
        [(
            "alice".to_owned(),
            "pencil".to_owned(),
            "Alice A.".to_owned(),
            "https://example.com/alice.png".to_owned()
        )]
    );
}

#[test]
fn typed_form_new_password_updates_it_and_keeps_the_stored_name_and_icon() {
    let h = Harness::new([
        Scripted::Save(SaveDecision::Save),
        Scripted::Update(UpdateDecision::Update),
    ]);
    h.store(&h.caller(SITE), alice_named()).expect("stored");
    store_typed(&h, "alice", "pen").expect("updated");
    let prompts = h.update_prompts();
    assert_eq!(prompts.len(), 1);
    assert_eq!(
        prompts[0].name, "Alice A.",
        "the prompt names the account as stored"
    );
    assert_eq!(
        h.stored_passwords(SITE),
        [(
            "alice".to_owned(),
            "pen".to_owned(),
            "Alice A.".to_owned(),
            "https://example.com/alice.png".to_owned()
        )]
    );
    // The page's own store() still replaces them (the spec), as a control.
    let h = Harness::new([
        Scripted::Save(SaveDecision::Save),
        Scripted::Update(UpdateDecision::Update),
    ]);
    h.store(&h.caller(SITE), alice_named()).expect("stored");
    h.store(
        &h.caller(SITE),
        json!({"type": "password", "id": "alice", "password": "pen"}),
    )
    .expect("updated");
    assert_eq!(h.stored_passwords(SITE)[0].2, "");
}

#[test]
fn typed_form_new_account_is_saved_through_the_save_prompt() {
    let h = Harness::new([Scripted::Save(SaveDecision::Save)]);
    store_typed(&h, "bob", "hunter2").expect("saved");
    assert_eq!(h.save_prompts().len(), 1);
    assert_eq!(
        h.stored_passwords(SITE),
        [(
            "bob".to_owned(),
            "hunter2".to_owned(),
            String::new(),
            String::new()
        )]
    );
}
