//! H. `create(options)`: «Create a Credential», with J26 and K34 (`[[Create]]`).

use std::pin::pin;

use credwell_core::{
    AbortReason, AbortSignal, Credential, ErrorName, Origin, Rejection, RequestId, Scripted,
};
use futures::executor::block_on;
use serde_json::{Value, json};

use crate::support::*;

const SITE: &str = "https://example.com";

fn create_with_signal(options: Value, signal: &AbortSignal) -> Result<Credential, Rejection> {
    let h = Harness::new([]);
    block_on(h.engine.create(&h.caller(SITE), &options, Some(signal))).map_err(Rejection::from)
}

#[test]
fn create_a_credential_h10_password_data_succeeds_with_empty_name_and_icon() {
    let h = Harness::new([]);
    let created = h
        .create(
            &h.caller(SITE),
            json!({"password": {"id": "id", "password": "pencil"}}),
        )
        .expect("created");
    match &created {
        Credential::Password(p) => {
            assert_eq!(p.id, "id");
            assert_eq!(p.password.expose(), "pencil");
            assert_eq!(p.name, "");
            assert_eq!(p.icon_url, "");
            assert_eq!(p.origin, origin(SITE));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        created.to_page_json(),
        json!({"type": "password", "id": "id", "name": "", "iconURL": "", "password": "pencil"})
    );
}

#[test]
fn create_a_credential_h10_creating_does_not_store_or_prompt() {
    let h = Harness::new([]);
    h.create(
        &h.caller(SITE),
        json!({"password": {"id": "id", "password": "pencil"}}),
    )
    .expect("created");
    h.create(
        &h.caller(SITE),
        json!({"federated": {"id": "id", "provider": "https://idp.example"}}),
    )
    .expect("created");
    assert!(h.store.is_empty());
    assert!(h.mediator.asked().is_empty());
}

#[test]
fn create_a_credential_h2_not_fully_active_is_invalid_state_error() {
    let h = Harness::new([]);
    let mut caller = h.caller(SITE);
    caller.fully_active = false;
    assert_rejects(
        h.create(&caller, json!({"password": {"id": "a", "password": "p"}})),
        ErrorName::InvalidStateError,
    );
    // Before the size check and the abort check.
    assert_rejects(
        h.create(
            &caller,
            json!({"password": {"id": "a", "password": "p"},
                   "federated": {"id": "a", "provider": "https://idp.example"}}),
        ),
        ErrorName::InvalidStateError,
    );
    let signal = AbortSignal::aborted_with(AbortReason::Default);
    assert_rejects(
        block_on(h.engine.create(&caller, &json!({}), Some(&signal))),
        ErrorName::InvalidStateError,
    );
}

#[test]
fn create_a_credential_h5_password_and_federated_is_not_supported_error() {
    let h = Harness::new([]);
    assert_rejects_naming(
        h.create(
            &h.caller(SITE),
            json!({"password": {"id": "a", "password": "p"},
                   "federated": {"id": "a", "provider": "https://idp.example"}}),
        ),
        ErrorName::NotSupportedError,
        &["exactly one", "2"],
    );
}

#[test]
fn create_a_credential_h5_size_check_comes_before_the_abort_check() {
    let signal = AbortSignal::aborted_with(AbortReason::Value(json!("why")));
    let r = create_with_signal(
        json!({"password": {"id": "a", "password": "p"},
               "federated": {"id": "a", "provider": "https://idp.example"}}),
        &signal,
    )
    .expect_err("rejects");
    assert_eq!(r.name(), Some(ErrorName::NotSupportedError));
}

#[test]
fn create_a_credential_h5_bogus_members_fail_conversion_first_with_type_error() {
    let h = Harness::new([]);
    for options in [
        json!({"password": "bogus", "federated": "bogus"}),
        json!({"password": "bogus"}),
        json!({"federated": "bogus"}),
        json!({"publicKey": "bogus"}),
        json!({"password": 1}),
        json!({"password": true}),
        json!({"password": {"id": "a", "password": "p"}, "federated": 7}),
    ] {
        let (name, message) = exception(h.create(&h.caller(SITE), options.clone()));
        assert_eq!(name, ErrorName::TypeError, "{options}");
        assert!(
            message.contains("CredentialCreationOptions")
                || message.contains("PasswordCredentialData")
                || message.contains("FederatedCredentialInit"),
            "the message names the member: {message}"
        );
    }
}

#[test]
fn create_a_credential_h5_bogus_conversion_beats_an_aborted_signal() {
    let signal = AbortSignal::aborted_with(AbortReason::Default);
    let r = create_with_signal(json!({"password": "bogus", "federated": "bogus"}), &signal)
        .expect_err("rejects");
    assert_eq!(r.name(), Some(ErrorName::TypeError));
}

#[test]
fn create_a_credential_h7_aborted_signal_rejects_with_its_reason() {
    for reason in [json!("str"), json!({}), json!([]), json!({"a": [1, 2]})] {
        let signal = AbortSignal::aborted_with(AbortReason::Value(reason.clone()));
        let r = create_with_signal(json!({"password": {"id": "a", "password": "p"}}), &signal)
            .expect_err("rejects");
        assert_eq!(r, Rejection::Aborted(AbortReason::Value(reason)));
    }
    let signal = AbortSignal::aborted_with(AbortReason::Default);
    let r = create_with_signal(
        json!({"federated": {"id": "a", "provider": "https://idp.example"}}),
        &signal,
    )
    .expect_err("rejects");
    assert_eq!(r.name(), Some(ErrorName::AbortError));
}

#[test]
fn create_a_credential_h7_aborted_signal_with_no_type_rejects_with_the_reason() {
    // WPT: create({signal}) with an aborted signal rejects with the reason, not
    // NotSupportedError.
    for options in [json!({}), json!(null), json!({"bogus_key": 1})] {
        let signal = AbortSignal::aborted_with(AbortReason::Value(json!("reason")));
        let r = create_with_signal(options, &signal).expect_err("rejects");
        assert_eq!(r, Rejection::Aborted(AbortReason::Value(json!("reason"))));
    }
    let signal = AbortSignal::aborted_with(AbortReason::Default);
    let r = create_with_signal(json!({}), &signal).expect_err("rejects");
    assert_eq!(r.name(), Some(ErrorName::AbortError));
}

#[test]
fn create_a_credential_h8_no_type_is_not_supported_error() {
    let h = Harness::new([]);
    for options in [
        json!(null),
        json!({}),
        json!({"bogus_key": 1}),
        json!({"mediation": "optional"}),
        json!({"mediation": "silent", "signal": {}}),
        json!([]),
    ] {
        assert_rejects_naming(
            h.create(&h.caller(SITE), options.clone()),
            ErrorName::NotSupportedError,
            &["password", "federated"],
        );
    }
}

#[test]
fn create_a_credential_h9_pending_request_of_the_same_type_is_not_allowed_error() {
    let h = Harness::new([Scripted::Hang]);
    h.add_password(SITE, "alice", "pw");
    let caller = h.caller(SITE);
    let mut pending = pin!(h.engine.get(&caller, leak(json!({"password": true})), None));
    poll_pending(pending.as_mut());
    let mut again = caller.clone();
    again.request = RequestId(fresh_id());
    assert_rejects_naming(
        h.create(&again, json!({"password": {"id": "a", "password": "p"}})),
        ErrorName::NotAllowedError,
        &["pending"],
    );
    // Federated is not active in this document.
    h.create(
        &again,
        json!({"federated": {"id": "a", "provider": "https://idp.example"}}),
    )
    .expect("created");
    // And another document may create a password credential.
    h.create(
        &h.caller(SITE),
        json!({"password": {"id": "a", "password": "p"}}),
    )
    .expect("created");
}

#[test]
fn create_a_credential_h11_type_is_released_after_create() {
    let h = Harness::new([]);
    let caller = h.caller(SITE);
    for _ in 0..3 {
        h.create(&caller, json!({"password": {"id": "a", "password": "p"}}))
            .expect("created");
    }
    assert_rejects(
        h.create(&caller, json!({"password": {"id": "", "password": "p"}})),
        ErrorName::TypeError,
    );
    h.create(&caller, json!({"password": {"id": "a", "password": "p"}}))
        .expect("released after a rejection too");
}

#[test]
fn create_a_credential_h3_works_in_a_cross_origin_frame() {
    // sameOriginWithAncestors is unused by [[Create]] (J26, K34).
    let h = Harness::new([]);
    let caller = h
        .caller("https://widget.example")
        .with_ancestors(&[origin(SITE)]);
    let p = h
        .create(&caller, json!({"password": {"id": "a", "password": "p"}}))
        .expect("created");
    assert_eq!(p.origin(), &origin("https://widget.example"));
    let f = h
        .create(
            &caller,
            json!({"federated": {"id": "a", "provider": "https://idp.example"}}),
        )
        .expect("created");
    assert_eq!(f.origin(), &origin("https://widget.example"));
}

#[test]
fn create_a_credential_h10_opaque_origin_is_security_error() {
    // [PENDING PR #304]
    let h = Harness::new([]);
    let mut caller = h.caller(SITE);
    caller.origin = Origin::new_opaque();
    assert_rejects_naming(
        h.create(&caller, json!({"password": {"id": "a", "password": "p"}})),
        ErrorName::SecurityError,
        &["opaque"],
    );
    assert_rejects(
        h.create(
            &caller,
            json!({"federated": {"id": "a", "provider": "https://idp.example"}}),
        ),
        ErrorName::SecurityError,
    );
}

#[test]
fn create_a_credential_h12_mediation_is_converted_as_an_enum() {
    let h = Harness::new([]);
    assert_rejects_naming(
        h.create(
            &h.caller(SITE),
            json!({"password": {"id": "a", "password": "p"}, "mediation": "sometimes"}),
        ),
        ErrorName::TypeError,
        &["mediation", "sometimes"],
    );
    for mediation in ["silent", "optional", "required"] {
        h.create(
            &h.caller(SITE),
            json!({"password": {"id": "a", "password": "p"}, "mediation": mediation}),
        )
        .expect("mediation does not matter to password create");
    }
}
