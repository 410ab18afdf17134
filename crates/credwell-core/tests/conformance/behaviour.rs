//! L. The behaviour of `get()` per option combination, one test per row of the checklist's
//! table, plus the `preventSilentAccess()` note under it.

use std::pin::pin;

use credwell_core::{ErrorName, RequestId, Scripted};
use serde_json::json;

use crate::support::*;

const SITE: &str = "https://example.com";

#[test]
fn get_behaviour_l1_one_credential_flag_false_optional_or_silent_returns_it_without_ui() {
    for mediation in [None, Some("optional"), Some("silent")] {
        let h = Harness::new([Scripted::Cancel]);
        h.add_password(SITE, "alice", "pw");
        h.set_prevent_silent_access(SITE, false);
        let mut options = json!({"password": true});
        if let Some(m) = mediation {
            options["mediation"] = json!(m);
        }
        let got = h.get(&h.caller(SITE), options).expect("resolves");
        assert_eq!(id_of(&got), Some("alice"), "{mediation:?}");
        assert!(h.choosers().is_empty(), "{mediation:?}");
    }
}

#[test]
fn get_behaviour_l2_flag_true_or_several_credentials_chooser_or_null_when_silent() {
    // Flag true, one credential.
    let h = Harness::new([Scripted::Choose(0)]);
    h.add_password(SITE, "alice", "pw");
    assert_eq!(
        id_of(
            &h.get(&h.caller(SITE), json!({"password": true}))
                .expect("ok")
        ),
        Some("alice")
    );
    assert_eq!(h.choosers().len(), 1);
    // Flag false, several credentials.
    let h = Harness::new([Scripted::Choose(1)]);
    h.add_password(SITE, "alice", "pw");
    h.add_password(SITE, "carol", "pw");
    h.set_prevent_silent_access(SITE, false);
    let got = h
        .get(&h.caller(SITE), json!({"password": true}))
        .expect("ok");
    assert_eq!(id_of(&got), Some(h.choosers()[0].accounts[1].id.as_str()));
    // Silent in both situations: null.
    assert_eq!(
        h.get(
            &h.caller(SITE),
            json!({"password": true, "mediation": "silent"})
        )
        .ok(),
        Some(None)
    );
    assert_eq!(h.choosers().len(), 1);
}

#[test]
fn get_behaviour_l3_required_always_shows_the_chooser() {
    let h = Harness::new([Scripted::Choose(0), Scripted::Choose(0)]);
    h.add_password(SITE, "alice", "pw");
    h.set_prevent_silent_access(SITE, false);
    for _ in 0..2 {
        let got = h
            .get(
                &h.caller(SITE),
                json!({"password": true, "mediation": "required"}),
            )
            .expect("ok");
        assert_eq!(id_of(&got), Some("alice"));
    }
    assert_eq!(h.choosers().len(), 2);
}

#[test]
fn get_behaviour_l4_no_credentials_resolves_null() {
    for mediation in ["optional", "silent", "required"] {
        let h = Harness::new([]);
        h.set_prevent_silent_access(SITE, false);
        assert_eq!(
            h.get(
                &h.caller(SITE),
                json!({"password": true, "mediation": mediation})
            )
            .ok(),
            Some(None),
            "{mediation}"
        );
        assert!(h.mediator.asked().is_empty());
    }
}

#[test]
fn get_behaviour_l5_password_and_federated_offer_the_union() {
    let h = Harness::new([Scripted::Cancel]);
    h.add_password(SITE, "alice", "pw");
    h.add_federated(SITE, "bob", "https://idp.example", None);
    h.add_federated(SITE, "dave", "https://elsewhere.example", None);
    let _ = h.get(
        &h.caller(SITE),
        json!({"password": true, "federated": {"providers": ["https://idp.example"]}}),
    );
    let mut ids: Vec<_> = h.choosers()[0]
        .accounts
        .iter()
        .map(|a| a.id.clone())
        .collect();
    ids.sort();
    assert_eq!(ids, ["alice", "bob"]);
}

#[test]
fn get_behaviour_l6_password_with_public_key_is_not_supported_error() {
    let h = Harness::new([]);
    assert_rejects(
        h.get(
            &h.caller(SITE),
            json!({"password": true, "publicKey": {"challenge": "AAAA"}}),
        ),
        ErrorName::NotSupportedError,
    );
}

#[test]
fn get_behaviour_l7_federated_conditional_is_type_error() {
    let h = Harness::new([]);
    assert_rejects(
        h.get(
            &h.caller(SITE),
            json!({"federated": {"providers": ["https://idp.example"]}, "mediation": "conditional"}),
        ),
        ErrorName::TypeError,
    );
}

#[test]
fn get_behaviour_l8_any_password_or_federated_get_in_a_cross_origin_frame_is_not_allowed() {
    let h = Harness::new([]);
    let caller = h
        .caller("https://widget.example")
        .with_ancestors(&[origin(SITE)]);
    for options in [
        json!({"password": true}),
        json!({"password": true, "mediation": "required"}),
        json!({"federated": {"providers": ["https://idp.example"]}}),
    ] {
        assert_rejects(h.get(&caller, options), ErrorName::NotAllowedError);
    }
}

#[test]
fn get_behaviour_l9_concurrent_password_get_is_not_allowed_error() {
    let h = Harness::new([Scripted::Hang]);
    h.add_password(SITE, "alice", "pw");
    let caller = h.caller(SITE);
    let mut first = pin!(h.engine.get(&caller, leak(json!({"password": true})), None));
    poll_pending(first.as_mut());
    let mut second = caller.clone();
    second.request = RequestId(fresh_id());
    assert_rejects(
        h.get(&second, json!({"password": true})),
        ErrorName::NotAllowedError,
    );
}

#[test]
fn get_behaviour_l10_prevent_silent_access_then_optional_shows_chooser_and_silent_is_null() {
    let h = Harness::new([Scripted::Choose(0)]);
    h.add_password(SITE, "alice", "pw");
    h.set_prevent_silent_access(SITE, false);
    futures::executor::block_on(h.engine.prevent_silent_access(&h.caller(SITE))).expect("resolves");
    assert_eq!(
        h.get(
            &h.caller(SITE),
            json!({"password": true, "mediation": "silent"})
        )
        .ok(),
        Some(None)
    );
    let got = h
        .get(&h.caller(SITE), json!({"password": true}))
        .expect("ok");
    assert_eq!(id_of(&got), Some("alice"));
    assert_eq!(h.choosers().len(), 1);
}
