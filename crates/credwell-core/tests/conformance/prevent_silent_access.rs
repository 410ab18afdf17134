//! I. `preventSilentAccess()`, and A1: every method refuses a non-secure context.

use credwell_core::{ErrorName, Origin, Rejection, Scripted};
use futures::executor::block_on;
use serde_json::json;

use crate::support::*;

const SITE: &str = "https://example.com";

#[test]
fn prevent_silent_access_i2_resolves_undefined_and_sets_the_flag() {
    let h = Harness::new([Scripted::Cancel]);
    h.add_password(SITE, "alice", "pw");
    h.set_prevent_silent_access(SITE, false);
    let result: Result<(), _> = block_on(h.engine.prevent_silent_access(&h.caller(SITE)));
    assert!(result.is_ok());
    assert!(h.flags(SITE).prevent_silent_access);
    // A following silent get is null, and optional goes through the chooser.
    assert_eq!(
        h.get(
            &h.caller(SITE),
            json!({"password": true, "mediation": "silent"})
        )
        .ok(),
        Some(None)
    );
    assert!(h.mediator.asked().is_empty());
    assert_eq!(
        h.get(&h.caller(SITE), json!({"password": true})).ok(),
        Some(None)
    );
    assert_eq!(h.choosers().len(), 1);
}

#[test]
fn prevent_silent_access_i2_only_affects_the_callers_origin() {
    let h = Harness::new([]);
    h.add_password("https://www.example.com", "alice", "pw");
    h.set_prevent_silent_access("https://www.example.com", false);
    h.set_prevent_silent_access(SITE, false);
    block_on(h.engine.prevent_silent_access(&h.caller(SITE))).expect("resolves");
    assert!(h.flags(SITE).prevent_silent_access);
    assert!(!h.flags("https://www.example.com").prevent_silent_access);
    let got = h
        .get(
            &h.caller("https://www.example.com"),
            json!({"password": true, "mediation": "silent"}),
        )
        .expect("resolves");
    assert_eq!(id_of(&got), Some("alice"));
}

#[test]
fn prevent_silent_access_i2_is_idempotent_and_needs_no_credentials() {
    let h = Harness::new([]);
    for _ in 0..3 {
        block_on(h.engine.prevent_silent_access(&h.caller(SITE))).expect("resolves");
        assert!(h.flags(SITE).prevent_silent_access);
    }
    assert!(h.mediator.asked().is_empty());
}

#[test]
fn prevent_silent_access_i2_a_later_user_pick_clears_the_flag_again() {
    let h = Harness::new([Scripted::Choose(0)]);
    h.add_password(SITE, "alice", "pw");
    h.set_prevent_silent_access(SITE, false);
    block_on(h.engine.prevent_silent_access(&h.caller(SITE))).expect("resolves");
    let got = h
        .get(&h.caller(SITE), json!({"password": true}))
        .expect("resolves");
    assert_eq!(id_of(&got), Some("alice"));
    assert!(!h.flags(SITE).prevent_silent_access);
}

#[test]
fn prevent_silent_access_i2_works_from_a_cross_origin_frame() {
    // No sameOriginWithAncestors step: the frame's own origin gets the flag.
    let h = Harness::new([]);
    h.set_prevent_silent_access("https://widget.example", false);
    let caller = h
        .caller("https://widget.example")
        .with_ancestors(&[origin(SITE)]);
    block_on(h.engine.prevent_silent_access(&caller)).expect("resolves");
    assert!(h.flags("https://widget.example").prevent_silent_access);
}

#[test]
fn prevent_silent_access_i2_opaque_origin_resolves() {
    let h = Harness::new([]);
    let mut caller = h.caller(SITE);
    caller.origin = Origin::new_opaque();
    block_on(h.engine.prevent_silent_access(&caller)).expect("resolves");
}

#[test]
fn prevent_silent_access_i1_not_fully_active_is_invalid_state_error() {
    let h = Harness::new([]);
    h.set_prevent_silent_access(SITE, false);
    let mut caller = h.caller(SITE);
    caller.fully_active = false;
    assert_rejects_naming(
        block_on(h.engine.prevent_silent_access(&caller)),
        ErrorName::InvalidStateError,
        &["fully active"],
    );
    assert!(
        !h.flags(SITE).prevent_silent_access,
        "the flag is left alone"
    );
}

// A1. [SecureContext]: the embedder should not expose the API; if called anyway, refuse.

#[test]
fn exposure_a1_every_method_refuses_a_non_secure_context_with_security_error() {
    let h = Harness::new([Scripted::Choose(0)]);
    h.add_password("http://example.com", "alice", "pw");
    h.set_prevent_silent_access("http://example.com", false);
    let mut caller = h.caller("http://example.com");
    caller.secure_context = false;
    assert_rejects_naming(
        h.get(&caller, json!({"password": true})),
        ErrorName::SecurityError,
        &["secure context"],
    );
    assert_rejects_naming(
        h.store(
            &caller,
            json!({"type": "password", "id": "bob", "password": "pw"}),
        ),
        ErrorName::SecurityError,
        &["secure context"],
    );
    assert_rejects_naming(
        h.create(&caller, json!({"password": {"id": "a", "password": "p"}})),
        ErrorName::SecurityError,
        &["secure context"],
    );
    let r =
        Rejection::from(block_on(h.engine.prevent_silent_access(&caller)).expect_err("rejects"));
    assert_eq!(r.name(), Some(ErrorName::SecurityError));
    assert!(
        !h.flags("http://example.com").prevent_silent_access,
        "unchanged"
    );
    assert_eq!(h.store.len(), 1);
    assert!(h.mediator.asked().is_empty());
}

#[test]
fn exposure_a1_secure_context_check_comes_before_everything() {
    let h = Harness::new([]);
    let mut caller = h.caller(SITE);
    caller.secure_context = false;
    caller.fully_active = false;
    let signal = credwell_core::AbortSignal::aborted_with(credwell_core::AbortReason::Default);
    assert_rejects(
        block_on(h.engine.get(&caller, &json!({}), Some(&signal))),
        ErrorName::SecurityError,
    );
    assert_rejects(
        block_on(h.engine.create(&caller, &json!({}), Some(&signal))),
        ErrorName::SecurityError,
    );
}
