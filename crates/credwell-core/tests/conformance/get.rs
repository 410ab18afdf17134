//! F. `get(options)`: «Request a Credential», in the spec's step order.

use std::pin::pin;

use credwell_core::{
    AbortReason, AbortSignal, Asked, Credential, EngineConfig, ErrorName, Mediation, Rejection,
    Scripted,
};
use futures::executor::block_on;
use serde_json::json;

use crate::support::*;

const SITE: &str = "https://example.com";

// F1. Not fully active: InvalidStateError, before everything else.

#[test]
fn request_a_credential_f1_not_fully_active_is_invalid_state_error() {
    let h = Harness::new([]);
    h.add_password(SITE, "alice", "pw");
    let mut caller = h.caller(SITE);
    caller.fully_active = false;
    assert_rejects_naming(
        h.get(&caller, json!({"password": true})),
        ErrorName::InvalidStateError,
        &["fully active"],
    );
    assert!(!h.user_was_asked());
}

#[test]
fn request_a_credential_f1_not_fully_active_beats_an_aborted_signal() {
    let h = Harness::new([]);
    let mut caller = h.caller(SITE);
    caller.fully_active = false;
    let signal = AbortSignal::aborted_with(AbortReason::Value(json!("stop")));
    let result = block_on(
        h.engine
            .get(&caller, leak(json!({"password": true})), Some(&signal)),
    );
    assert_rejects(result, ErrorName::InvalidStateError);
}

#[test]
fn request_a_credential_f1_not_fully_active_beats_empty_interfaces() {
    let h = Harness::new([]);
    let mut caller = h.caller(SITE);
    caller.fully_active = false;
    assert_rejects(h.get(&caller, json!({})), ErrorName::InvalidStateError);
}

// F2. An aborted signal rejects with its reason, whatever it is.

fn get_with_aborted(reason: AbortReason, options: serde_json::Value) -> Rejection {
    let h = Harness::new([]);
    h.add_password(SITE, "alice", "pw");
    let caller = h.caller(SITE);
    let signal = AbortSignal::aborted_with(reason);
    let result = block_on(h.engine.get(&caller, &options, Some(&signal)));
    assert!(!h.user_was_asked());
    rejection(result)
}

#[test]
fn request_a_credential_f2_aborted_signal_rejects_with_a_string_reason() {
    let r = get_with_aborted(
        AbortReason::Value(json!("user left")),
        json!({"password": true}),
    );
    assert_eq!(
        r,
        Rejection::Aborted(AbortReason::Value(json!("user left")))
    );
    assert_eq!(r.name(), None);
    assert_eq!(r.to_json(), json!({"abortReason": "user left"}));
}

#[test]
fn request_a_credential_f2_aborted_signal_rejects_with_an_object_reason() {
    let reason = json!({"code": 42, "why": ["a", null]});
    let r = get_with_aborted(
        AbortReason::Value(reason.clone()),
        json!({"password": true}),
    );
    assert_eq!(r, Rejection::Aborted(AbortReason::Value(reason)));
}

#[test]
fn request_a_credential_f2_aborted_signal_rejects_with_empty_array_and_object_reasons() {
    for reason in [json!([]), json!({}), json!(null), json!(0)] {
        let r = get_with_aborted(
            AbortReason::Value(reason.clone()),
            json!({"password": true}),
        );
        assert_eq!(r, Rejection::Aborted(AbortReason::Value(reason)));
    }
}

#[test]
fn request_a_credential_f2_aborted_signal_without_reason_is_abort_error() {
    let r = get_with_aborted(AbortReason::Default, json!({"password": true}));
    assert_eq!(r.name(), Some(ErrorName::AbortError));
    assert_eq!(r.to_json()["name"], "AbortError");
}

#[test]
fn request_a_credential_f2_abort_is_checked_before_empty_interfaces() {
    // get({signal}) with an aborted signal: the reason, not NotSupportedError.
    let r = get_with_aborted(AbortReason::Value(json!("early")), json!({}));
    assert_eq!(r, Rejection::Aborted(AbortReason::Value(json!("early"))));
    let r = get_with_aborted(AbortReason::Default, json!({"mediation": "required"}));
    assert_eq!(r.name(), Some(ErrorName::AbortError));
}

#[test]
fn request_a_credential_f2_abort_is_checked_before_type_mixing_and_conditional() {
    let r = get_with_aborted(
        AbortReason::Value(json!("mix")),
        json!({"password": true, "publicKey": {"challenge": "AAAA"}}),
    );
    assert_eq!(r, Rejection::Aborted(AbortReason::Value(json!("mix"))));
    let r = get_with_aborted(
        AbortReason::Value(json!("cond")),
        json!({"password": true, "mediation": "conditional"}),
    );
    assert_eq!(r, Rejection::Aborted(AbortReason::Value(json!("cond"))));
}

#[test]
fn request_a_credential_f2_abort_is_checked_before_the_frame_check() {
    let h = Harness::new([]);
    let caller = h
        .caller("https://widget.example")
        .with_ancestors(&[origin(SITE)]);
    let signal = AbortSignal::aborted_with(AbortReason::Value(json!("x")));
    let result = block_on(
        h.engine
            .get(&caller, leak(json!({"password": true})), Some(&signal)),
    );
    assert_eq!(
        rejection(result),
        Rejection::Aborted(AbortReason::Value(json!("x")))
    );
}

#[test]
fn request_a_credential_f2_signal_not_aborted_changes_nothing() {
    let h = Harness::new([]);
    h.add_password(SITE, "alice", "pw");
    h.set_prevent_silent_access(SITE, false);
    let caller = h.caller(SITE);
    let signal = AbortSignal::default();
    let got = block_on(
        h.engine
            .get(&caller, leak(json!({"password": true})), Some(&signal)),
    );
    assert_eq!(id_of(&got.expect("resolves")), Some("alice"));
}

// F3/F4. Relevant credential interface objects; none is NotSupportedError.

#[test]
fn request_a_credential_f4_empty_interfaces_is_not_supported_error() {
    let h = Harness::new([]);
    h.add_password(SITE, "alice", "pw");
    for options in [
        json!(null),
        json!({}),
        json!({"x": "y"}),
        json!({"mediation": "required"}),
        json!({"mediation": "silent"}),
        json!({"mediation": "optional", "uiMode": "immediate"}),
        json!({"signal": {}}),
        json!({"password": false}),
        json!({"password": 0}),
        json!({"password": ""}),
        json!({"password": null}),
        json!({"passwords": true, "Federated": {}, "public_key": {}}),
        json!([]),
    ] {
        let caller = h.caller(SITE);
        let (name, message) = exception(h.get(&caller, options.clone()));
        assert_eq!(name, ErrorName::NotSupportedError, "{options}");
        assert!(
            message.contains("password") && message.contains("federated"),
            "the message should say what to request: {message}"
        );
    }
    assert!(!h.user_was_asked());
}

#[test]
fn request_a_credential_f3_password_false_is_not_a_relevant_interface() {
    // [DEVIATION, spec issue #270] password:false counts as absent, like Chromium.
    let h = Harness::new([]);
    h.add_password(SITE, "alice", "pw");
    h.add_federated(SITE, "bob", "https://idp.example", None);
    h.set_prevent_silent_access(SITE, false);
    let got = h
        .get(
            &h.caller(SITE),
            json!({"password": false, "federated": {}, "mediation": "silent"}),
        )
        .expect("resolves");
    // Only the federated credential was collected, so it is the single match.
    assert_eq!(id_of(&got), Some("bob"));
}

#[test]
fn request_a_credential_f3_truthy_password_values_are_relevant() {
    let h = Harness::new([]);
    h.add_password(SITE, "alice", "pw");
    h.set_prevent_silent_access(SITE, false);
    for truthy in [json!(true), json!(1), json!("false"), json!({}), json!([])] {
        let got = h
            .get(
                &h.caller(SITE),
                json!({"password": truthy, "mediation": "silent"}),
            )
            .expect("resolves");
        assert_eq!(id_of(&got), Some("alice"), "password: {truthy}");
    }
}

#[test]
fn request_a_credential_f3_null_federated_member_is_relevant() {
    // A present member whose value is null converts to an empty dictionary: present.
    let h = Harness::new([]);
    h.add_federated(SITE, "bob", "https://idp.example", None);
    h.set_prevent_silent_access(SITE, false);
    let got = h
        .get(
            &h.caller(SITE),
            json!({"federated": null, "mediation": "silent"}),
        )
        .expect("resolves");
    assert_eq!(id_of(&got), Some("bob"));
}

// F5. Which types may be requested together.

#[test]
fn request_a_credential_f5_password_and_federated_together_are_allowed() {
    let h = Harness::new([Scripted::Choose(1)]);
    h.add_password(SITE, "alice", "pw");
    h.add_federated(SITE, "bob", "https://idp.example", None);
    let got = h
        .get(
            &h.caller(SITE),
            json!({"password": true, "federated": {"providers": ["https://idp.example"]}}),
        )
        .expect("resolves");
    let choosers = h.choosers();
    assert_eq!(choosers.len(), 1);
    let mut ids: Vec<_> = choosers[0].accounts.iter().map(|a| a.id.clone()).collect();
    ids.sort();
    assert_eq!(ids, ["alice", "bob"]);
    let picked = &choosers[0].accounts[1];
    assert_eq!(id_of(&got), Some(picked.id.as_str()));
}

#[test]
fn request_a_credential_f5_public_key_with_password_is_not_supported_error() {
    let h = Harness::new([]);
    h.add_password(SITE, "alice", "pw");
    assert_rejects_naming(
        h.get(
            &h.caller(SITE),
            json!({"password": true, "publicKey": {"challenge": "AAAA"}}),
        ),
        ErrorName::NotSupportedError,
        &["password", "public-key"],
    );
    assert!(!h.user_was_asked());
}

#[test]
fn request_a_credential_f5_public_key_with_federated_is_not_supported_error() {
    let h = Harness::new([]);
    assert_rejects_naming(
        h.get(
            &h.caller(SITE),
            json!({"federated": {}, "publicKey": {"challenge": "AAAA"}}),
        ),
        ErrorName::NotSupportedError,
        &["federated", "public-key"],
    );
}

#[test]
fn request_a_credential_f5_mixing_is_checked_before_conditional() {
    // Step 5 (mixing) comes before step 6 (conditional support).
    let h = Harness::new([]);
    assert_rejects(
        h.get(
            &h.caller(SITE),
            json!({"password": true, "publicKey": {"challenge": "AAAA"}, "mediation": "conditional"}),
        ),
        ErrorName::NotSupportedError,
    );
}

// F6. Conditional and immediate support; the active credential types.

#[test]
fn request_a_credential_f6_conditional_password_is_type_error() {
    let h = Harness::new([]);
    h.add_password(SITE, "alice", "pw");
    assert_rejects_naming(
        h.get(
            &h.caller(SITE),
            json!({"password": true, "mediation": "conditional"}),
        ),
        ErrorName::TypeError,
        &["conditional", "PasswordCredential"],
    );
    assert!(!h.user_was_asked());
}

#[test]
fn request_a_credential_f6_conditional_federated_is_type_error() {
    let h = Harness::new([]);
    assert_rejects_naming(
        h.get(
            &h.caller(SITE),
            json!({"federated": {}, "mediation": "conditional"}),
        ),
        ErrorName::TypeError,
        &["conditional", "FederatedCredential"],
    );
    assert_rejects(
        h.get(
            &h.caller(SITE),
            json!({"password": true, "federated": {}, "mediation": "conditional"}),
        ),
        ErrorName::TypeError,
    );
}

#[test]
fn request_a_credential_f6_conditional_rejection_does_not_hold_the_type() {
    let h = Harness::new([]);
    h.add_password(SITE, "alice", "pw");
    h.set_prevent_silent_access(SITE, false);
    let caller = h.caller(SITE);
    assert_rejects(
        h.get(
            &caller,
            json!({"password": true, "mediation": "conditional"}),
        ),
        ErrorName::TypeError,
    );
    let got = h.get(&caller, json!({"password": true})).expect("resolves");
    assert_eq!(id_of(&got), Some("alice"));
}

#[test]
fn request_a_credential_f6_immediate_ui_mode_federated_is_type_error() {
    let h = Harness::new([]);
    assert_rejects_naming(
        h.get(
            &h.caller(SITE),
            json!({"federated": {}, "uiMode": "immediate"}),
        ),
        ErrorName::TypeError,
        &["immediate", "FederatedCredential"],
    );
}

#[test]
fn request_a_credential_f6_immediate_ui_mode_password_is_accepted() {
    // Accepted, and then immediate mode's own rules (engine/immediate.rs): with a user gesture
    // the chooser is shown even for one credential the origin could sign in with silently.
    let h = Harness::new([Scripted::Choose(0)]);
    h.add_password(SITE, "alice", "pw");
    h.set_prevent_silent_access(SITE, false);
    let mut caller = h.caller(SITE);
    caller.transient_activation = true;
    let got = h
        .get(&caller, json!({"password": true, "uiMode": "immediate"}))
        .expect("resolves");
    assert_eq!(id_of(&got), Some("alice"));
    assert_eq!(h.choosers().len(), 1);
}

#[test]
fn request_a_credential_f6_unknown_ui_mode_strings_are_ignored() {
    // uiMode is a DOMString member: values other than "immediate" mean nothing yet.
    let h = Harness::new([]);
    h.add_federated(SITE, "bob", "https://idp.example", None);
    h.set_prevent_silent_access(SITE, false);
    let got = h
        .get(
            &h.caller(SITE),
            json!({"federated": {}, "uiMode": "IMMEDIATE"}),
        )
        .expect("resolves");
    assert_eq!(id_of(&got), Some("bob"));
}

#[test]
fn request_a_credential_f6_concurrent_same_type_in_same_client_is_not_allowed_error() {
    let h = Harness::new([Scripted::Hang]);
    h.add_password(SITE, "alice", "pw");
    let first_caller = h.caller(SITE);
    let mut first = pin!(
        h.engine
            .get(&first_caller, leak(json!({"password": true})), None)
    );
    poll_pending(first.as_mut());
    assert_eq!(h.choosers().len(), 1, "the first call is at the chooser");

    let mut second_caller = first_caller.clone();
    second_caller.request = credwell_core::RequestId(fresh_id());
    assert_rejects_naming(
        h.get(&second_caller, json!({"password": true})),
        ErrorName::NotAllowedError,
        &["password", "pending"],
    );
    // Requesting password among other types is still a concurrent password request.
    assert_rejects(
        h.get(&second_caller, json!({"password": true, "federated": {}})),
        ErrorName::NotAllowedError,
    );
    assert_eq!(h.choosers().len(), 1, "the rejected calls showed nothing");
}

#[test]
fn request_a_credential_f6_concurrent_other_type_in_same_client_is_allowed() {
    let h = Harness::new([Scripted::Hang]);
    h.add_password(SITE, "alice", "pw");
    h.add_federated(SITE, "bob", "https://idp.example", None);
    h.set_prevent_silent_access(SITE, false);
    let caller = h.caller(SITE);
    let mut first = pin!(h.engine.get(
        &caller,
        leak(json!({"password": true, "mediation": "required"})),
        None
    ));
    poll_pending(first.as_mut());
    let mut other = caller.clone();
    other.request = credwell_core::RequestId(fresh_id());
    let got = h
        .get(&other, json!({"federated": {}}))
        .expect("federated is not active");
    assert_eq!(id_of(&got), Some("bob"));
}

#[test]
fn request_a_credential_f6_concurrent_same_type_in_another_client_is_allowed() {
    let h = Harness::new([Scripted::Hang]);
    h.add_password(SITE, "alice", "pw");
    h.set_prevent_silent_access(SITE, false);
    let first_caller = h.caller(SITE);
    let mut first = pin!(h.engine.get(
        &first_caller,
        leak(json!({"password": true, "mediation": "required"})),
        None
    ));
    poll_pending(first.as_mut());
    // Another document (another tab) of the same origin.
    let got = h
        .get(&h.caller(SITE), json!({"password": true}))
        .expect("another settings object has its own active types");
    assert_eq!(id_of(&got), Some("alice"));
}

#[test]
fn request_a_credential_f10_same_type_is_allowed_again_after_the_first_settles() {
    let h = Harness::new([Scripted::Hang]);
    h.add_password(SITE, "alice", "pw");
    let caller = h.caller(SITE);
    let controller = credwell_core::AbortController::new();
    let signal = controller.signal();
    {
        let mut first = pin!(
            h.engine
                .get(&caller, leak(json!({"password": true})), Some(&signal))
        );
        poll_pending(first.as_mut());
        controller.abort(AbortReason::Default);
        assert_rejects(block_on(first), ErrorName::AbortError);
    }
    h.mediator.push([Scripted::Choose(0)]);
    let got = h.get(&caller, json!({"password": true})).expect("released");
    assert_eq!(id_of(&got), Some("alice"));
}

#[test]
fn request_a_credential_f10_types_are_released_after_resolve_and_reject() {
    let h = Harness::new([Scripted::Cancel, Scripted::Cancel]);
    h.add_password(SITE, "alice", "pw");
    h.add_password(SITE, "carol", "pw");
    let caller = h.caller(SITE);
    // Resolves null (cancelled chooser), then again: nothing stayed active.
    assert_eq!(h.get(&caller, json!({"password": true})).ok(), Some(None));
    assert_eq!(h.get(&caller, json!({"password": true})).ok(), Some(None));
    // Rejects after the types were appended (the frame check), then a request still works.
    let framed = caller
        .clone()
        .with_ancestors(&[origin("https://evil.example")]);
    assert_rejects(
        h.get(&framed, json!({"password": true})),
        ErrorName::NotAllowedError,
    );
    assert_eq!(
        h.get(&caller, json!({"password": true, "mediation": "silent"}))
            .ok(),
        Some(None)
    );
}

#[test]
fn request_a_credential_f10_dropping_the_call_releases_the_types() {
    let h = Harness::new([Scripted::Hang]);
    h.add_password(SITE, "alice", "pw");
    let caller = h.caller(SITE);
    {
        let mut first = Box::pin(h.engine.get(&caller, leak(json!({"password": true})), None));
        poll_pending(first.as_mut());
    } // The embedder dropped the call (the frame went away).
    assert_eq!(
        h.get(&caller, json!({"password": true, "mediation": "silent"}))
            .ok(),
        Some(None)
    );
}

// F7/F8, J25, K33. Frames that are not same-origin with their ancestors, opaque origins.

#[test]
fn request_a_credential_f9_1_cross_origin_frame_is_not_allowed_error() {
    let h = Harness::new([]);
    h.add_password("https://widget.example", "alice", "pw");
    h.set_prevent_silent_access("https://widget.example", false);
    let caller = h
        .caller("https://widget.example")
        .with_ancestors(&[origin(SITE)]);
    for options in [
        json!({"password": true}),
        json!({"federated": {}}),
        json!({"password": true, "federated": {}}),
        json!({"password": true, "mediation": "silent"}),
    ] {
        assert_rejects_naming(
            h.get(&caller, options),
            ErrorName::NotAllowedError,
            &["ancestors"],
        );
    }
    assert!(!h.user_was_asked());
}

#[test]
fn request_a_credential_f9_1_opaque_origin_is_security_error() {
    let h = Harness::new([]);
    let mut caller = h.caller(SITE);
    caller.origin = credwell_core::Origin::new_opaque();
    assert_rejects_naming(
        h.get(&caller, json!({"password": true})),
        ErrorName::SecurityError,
        &["opaque"],
    );
    assert_rejects(
        h.get(&caller, json!({"federated": {}})),
        ErrorName::SecurityError,
    );
}

#[test]
fn request_a_credential_f9_1_opaque_origin_security_error_beats_not_allowed_error() {
    // A sandboxed frame (no allow-same-origin) inside a page: opaque and cross-origin.
    let h = Harness::new([]);
    let opaque = credwell_core::Origin::new_opaque();
    let caller = credwell_core::Caller::new(
        opaque,
        credwell_core::ClientId(fresh_id()),
        credwell_core::RequestId(fresh_id()),
    )
    .with_ancestors(&[origin(SITE)]);
    assert!(!caller.same_origin_with_ancestors);
    assert_rejects(
        h.get(&caller, json!({"password": true})),
        ErrorName::SecurityError,
    );
}

#[test]
fn request_a_credential_f9_1_sandboxed_frame_with_allow_same_origin_is_not_security_error() {
    // allow-same-origin keeps the frame's real origin: same-origin with its parent.
    let h = Harness::new([]);
    h.add_password(SITE, "alice", "pw");
    h.set_prevent_silent_access(SITE, false);
    let caller = h.caller(SITE).with_ancestors(&[origin(SITE)]);
    let got = h.get(&caller, json!({"password": true})).expect("resolves");
    assert_eq!(id_of(&got), Some("alice"));
}

// F9.2–F9.6. Silent auto sign-in, the chooser, and its outcomes.

#[test]
fn request_a_credential_f9_2_one_credential_and_cleared_flag_signs_in_silently() {
    for mediation in ["optional", "silent"] {
        let h = Harness::new([]);
        h.add_password(SITE, "alice", "pencil");
        h.set_prevent_silent_access(SITE, false);
        let got = h
            .get(
                &h.caller(SITE),
                json!({"password": true, "mediation": mediation}),
            )
            .expect("resolves");
        match got {
            Some(Credential::Password(p)) => {
                assert_eq!(p.id, "alice");
                assert_eq!(p.password.expose(), "pencil");
            }
            other => panic!("expected alice, got {other:?}"),
        }
        assert!(h.choosers().is_empty(), "{mediation}: no chooser");
        // «Requiring User Mediation» 3: the user is told they were signed in.
        assert!(
            h.mediator
                .asked()
                .iter()
                .any(|a| matches!(a, Asked::AutoSignIn(acc) if acc.id == "alice")),
            "{mediation}: auto sign-in notice"
        );
    }
}

#[test]
fn request_a_credential_f9_2_flag_set_shows_the_chooser_for_optional() {
    let h = Harness::new([Scripted::Cancel]);
    h.add_password(SITE, "alice", "pw");
    assert!(h.flags(SITE).prevent_silent_access, "the default is true");
    let got = h
        .get(&h.caller(SITE), json!({"password": true}))
        .expect("resolves");
    assert_eq!(got, None);
    assert_eq!(h.choosers().len(), 1);
}

#[test]
fn request_a_credential_f9_3_silent_with_flag_set_is_null_without_asking() {
    let h = Harness::new([Scripted::Choose(0)]);
    h.add_password(SITE, "alice", "pw");
    let got = h
        .get(
            &h.caller(SITE),
            json!({"password": true, "mediation": "silent"}),
        )
        .expect("resolves");
    assert_eq!(got, None);
    assert!(h.mediator.asked().is_empty(), "the mediator is never asked");
    assert_eq!(h.mediator.remaining(), 1);
}

#[test]
fn request_a_credential_f9_2_two_credentials_show_the_chooser() {
    let h = Harness::new([Scripted::Choose(1)]);
    h.add_password(SITE, "alice", "pw1");
    h.add_password(SITE, "carol", "pw2");
    h.set_prevent_silent_access(SITE, false);
    let got = h
        .get(&h.caller(SITE), json!({"password": true}))
        .expect("resolves");
    let choosers = h.choosers();
    assert_eq!(choosers.len(), 1);
    assert_eq!(choosers[0].accounts.len(), 2);
    assert_eq!(id_of(&got), Some(choosers[0].accounts[1].id.as_str()));
}

#[test]
fn request_a_credential_f9_3_two_credentials_silent_is_null_without_asking() {
    let h = Harness::new([Scripted::Choose(0)]);
    h.add_password(SITE, "alice", "pw1");
    h.add_password(SITE, "carol", "pw2");
    h.set_prevent_silent_access(SITE, false);
    let got = h
        .get(
            &h.caller(SITE),
            json!({"password": true, "mediation": "silent"}),
        )
        .expect("resolves");
    assert_eq!(got, None);
    assert!(h.mediator.asked().is_empty());
}

#[test]
fn request_a_credential_f9_2_password_and_federated_match_count_together() {
    // One password plus one federated credential: two matches, so no silent sign-in.
    let h = Harness::new([]);
    h.add_password(SITE, "alice", "pw");
    h.add_federated(SITE, "bob", "https://idp.example", None);
    h.set_prevent_silent_access(SITE, false);
    let got = h
        .get(
            &h.caller(SITE),
            json!({"password": true, "federated": {}, "mediation": "silent"}),
        )
        .expect("resolves");
    assert_eq!(got, None);
    assert!(h.mediator.asked().is_empty());
}

#[test]
fn request_a_credential_f9_2_required_shows_the_chooser_even_with_flag_cleared() {
    let h = Harness::new([Scripted::Choose(0), Scripted::Cancel]);
    h.add_password(SITE, "alice", "pw");
    h.set_prevent_silent_access(SITE, false);
    let got = h
        .get(
            &h.caller(SITE),
            json!({"password": true, "mediation": "required"}),
        )
        .expect("resolves");
    assert_eq!(id_of(&got), Some("alice"));
    let choosers = h.choosers();
    assert_eq!(choosers.len(), 1);
    assert_eq!(choosers[0].mediation, Mediation::Required);
    assert!(
        !h.flags(SITE).prevent_silent_access,
        "required does not set the flag"
    );
    // Dismissed this time: still the chooser, still no change to the flag.
    let got = h
        .get(
            &h.caller(SITE),
            json!({"password": true, "mediation": "required"}),
        )
        .expect("resolves");
    assert_eq!(got, None);
    assert_eq!(h.choosers().len(), 2);
    assert!(!h.flags(SITE).prevent_silent_access);
    // And the next optional call still signs in silently.
    let got = h
        .get(&h.caller(SITE), json!({"password": true}))
        .expect("resolves");
    assert_eq!(id_of(&got), Some("alice"));
    assert_eq!(h.choosers().len(), 2);
}

#[test]
fn request_a_credential_f9_2_required_cancel_keeps_flag_set() {
    let h = Harness::new([Scripted::Cancel]);
    h.add_password(SITE, "alice", "pw");
    let got = h
        .get(
            &h.caller(SITE),
            json!({"password": true, "mediation": "required"}),
        )
        .expect("resolves");
    assert_eq!(got, None);
    assert!(h.flags(SITE).prevent_silent_access);
}

#[test]
fn request_a_credential_f9_6_chooser_cancel_resolves_null_and_keeps_flag() {
    let h = Harness::new([Scripted::Cancel]);
    h.add_password(SITE, "alice", "pw");
    let got = h
        .get(&h.caller(SITE), json!({"password": true}))
        .expect("resolves");
    assert_eq!(got, None);
    assert!(h.flags(SITE).prevent_silent_access);
}

#[test]
fn request_a_credential_f9_6_chooser_pick_returns_it_and_clears_the_flag() {
    let h = Harness::new([Scripted::Choose(0)]);
    h.add_password(SITE, "alice", "pencil");
    let got = h
        .get(&h.caller(SITE), json!({"password": true}))
        .expect("resolves");
    match got {
        Some(Credential::Password(p)) => {
            assert_eq!((p.id.as_str(), p.password.expose()), ("alice", "pencil"));
            assert!(p.origin.same_origin(&origin(SITE)));
        }
        other => panic!("expected alice, got {other:?}"),
    }
    assert!(!h.flags(SITE).prevent_silent_access);
    // The user mediated once: the next silent request signs in without asking.
    let got = h
        .get(
            &h.caller(SITE),
            json!({"password": true, "mediation": "silent"}),
        )
        .expect("resolves");
    assert_eq!(id_of(&got), Some("alice"));
    assert_eq!(h.choosers().len(), 1);
}

#[test]
fn request_a_credential_f9_6_chooser_answer_out_of_range_is_null() {
    let h = Harness::new([Scripted::Choose(7)]);
    h.add_password(SITE, "alice", "pw");
    let got = h
        .get(&h.caller(SITE), json!({"password": true}))
        .expect("resolves");
    assert_eq!(got, None);
    assert!(h.flags(SITE).prevent_silent_access);
}

#[test]
fn request_a_credential_f9_4_no_credentials_is_null_without_the_chooser() {
    for mediation in ["optional", "required", "silent"] {
        let h = Harness::new([Scripted::Choose(0)]);
        h.add_password("https://other.example", "alice", "pw");
        let got = h
            .get(
                &h.caller(SITE),
                json!({"password": true, "federated": {}, "mediation": mediation}),
            )
            .expect("resolves");
        assert_eq!(got, None, "{mediation}");
        assert!(h.mediator.asked().is_empty(), "{mediation}: no UI");
    }
}

#[test]
fn request_a_credential_f9_4_chooser_shows_origin_and_every_credential() {
    // «Credential Selection»: the chooser MUST show the requesting origin and SHOULD list all
    // of its credentials; it never sees a password.
    let h = Harness::new([Scripted::Cancel]);
    h.add_password(SITE, "alice", "secret-1");
    h.add_password(SITE, "carol", "secret-2");
    h.add_federated(SITE, "bob", "https://idp.example", Some("openidconnect"));
    h.add_password("https://other.example", "mallory", "x");
    let caller = h.caller(SITE);
    let got = h
        .get(&caller, json!({"password": true, "federated": {}}))
        .expect("resolves");
    assert_eq!(got, None);
    let chooser = h.choosers().pop().expect("chooser");
    assert_eq!(chooser.origin, origin(SITE));
    assert_eq!(chooser.request, caller.request);
    assert_eq!(chooser.mediation, Mediation::Optional);
    let mut ids: Vec<_> = chooser.accounts.iter().map(|a| a.id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["alice", "bob", "carol"]);
    assert!(chooser.accounts.iter().all(|a| a.is_exact_origin()));
    let bob = chooser
        .accounts
        .iter()
        .find(|a| a.id == "bob")
        .expect("bob");
    assert_eq!(bob.provider.as_deref(), Some("https://idp.example"));
    assert!(!format!("{chooser:?}").contains("secret"));
}

#[test]
fn request_a_credential_f9_2_global_auto_sign_in_off_requires_mediation() {
    let config = EngineConfig {
        auto_sign_in: false,
        ..EngineConfig::default()
    };
    let h = Harness::with_config([Scripted::Choose(0)], config);
    h.add_password(SITE, "alice", "pw");
    h.set_prevent_silent_access(SITE, false);
    let got = h
        .get(
            &h.caller(SITE),
            json!({"password": true, "mediation": "silent"}),
        )
        .expect("resolves");
    assert_eq!(got, None);
    assert!(h.mediator.asked().is_empty());
    let got = h
        .get(&h.caller(SITE), json!({"password": true}))
        .expect("resolves");
    assert_eq!(id_of(&got), Some("alice"));
    assert_eq!(h.choosers().len(), 1, "optional went through the chooser");
}
