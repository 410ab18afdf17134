//! B. The credential store model («Infrastructure», «User Mediation», «Cross-domain credential
//! access») and C. «Same-Origin with its Ancestors».

use credwell_core::{
    Asked, Caller, ClientId, Credential, EngineConfig, ErrorName, Offer, Origin, RequestId,
    SaveDecision, Scripted, StoreConsent, Timestamp, UpdateDecision, same_origin_with_ancestors,
};
use serde_json::json;

use crate::support::*;

const SITE: &str = "https://example.com";

// B7. Store, retrieve by filter, modify.

#[test]
fn infrastructure_b7_store_retrieve_and_modify_a_credential() {
    let h = Harness::new([
        Scripted::Save(SaveDecision::Save),
        Scripted::Update(UpdateDecision::Update),
    ]);
    let caller = h.caller(SITE);
    h.clock.advance(1_000);
    h.store(
        &caller,
        json!({"type": "password", "id": "alice", "password": "one"}),
    )
    .expect("stored");
    let first = h.store.all();
    assert_eq!(first.len(), 1);
    assert_eq!(
        (first[0].created, first[0].updated),
        (Timestamp(1_000), Timestamp(1_000))
    );

    h.clock.advance(500);
    h.store(
        &h.caller(SITE),
        json!({"type": "password", "id": "alice", "password": "two"}),
    )
    .expect("updated");
    let after = h.store.all();
    assert_eq!(after.len(), 1, "modified in place, not added");
    assert_eq!(after[0].record, first[0].record);
    assert_eq!(
        (after[0].created, after[0].updated),
        (Timestamp(1_000), Timestamp(1_500))
    );
    match &after[0].credential {
        Credential::Password(p) => assert_eq!(p.password.expose(), "two"),
        other => panic!("{other:?}"),
    }
}

// B8. The prevent silent access flag.

#[test]
fn infrastructure_b8_flag_defaults_to_requiring_user_mediation() {
    let h = Harness::new([Scripted::Cancel]);
    h.add_password(SITE, "alice", "pw");
    assert!(h.flags(SITE).prevent_silent_access);
    assert!(h.flags("https://never-seen.example").prevent_silent_access);
    // One credential is not enough to be signed in silently while the flag is set.
    assert_eq!(
        h.get(
            &h.caller(SITE),
            json!({"password": true, "mediation": "silent"})
        )
        .ok(),
        Some(None)
    );
    assert_eq!(
        h.get(&h.caller(SITE), json!({"password": true})).ok(),
        Some(None)
    );
    assert_eq!(h.choosers().len(), 1);
}

#[test]
fn infrastructure_b8_flag_is_per_origin() {
    let h = Harness::new([]);
    h.add_password(SITE, "alice", "pw");
    h.add_password("https://example.org", "alice", "pw");
    h.set_prevent_silent_access(SITE, false);
    let silent = json!({"password": true, "mediation": "silent"});
    assert_eq!(
        id_of(&h.get(&h.caller(SITE), silent.clone()).expect("resolves")),
        Some("alice")
    );
    assert_eq!(
        h.get(&h.caller("https://example.org"), silent).ok(),
        Some(None)
    );
    assert!(h.flags("https://example.org").prevent_silent_access);
}

#[test]
fn infrastructure_b8_flag_is_not_cleared_without_user_mediation() {
    // Dismissed chooser, dismissed save prompt, silent requests: nothing the user agreed to.
    let h = Harness::new([Scripted::Cancel, Scripted::Save(SaveDecision::Dismiss)]);
    h.add_password(SITE, "alice", "pw");
    let _ = h.get(&h.caller(SITE), json!({"password": true}));
    let _ = h.get(
        &h.caller(SITE),
        json!({"password": true, "mediation": "silent"}),
    );
    h.store(
        &h.caller(SITE),
        json!({"type": "password", "id": "bob", "password": "pw"}),
    )
    .expect("resolves");
    let _ = h.create(
        &h.caller(SITE),
        json!({"password": {"id": "carol", "password": "pw"}}),
    );
    assert!(h.flags(SITE).prevent_silent_access);
}

#[test]
fn infrastructure_b8_save_consent_clears_the_flag() {
    // credwell's choice: accepting the save prompt is user mediation for this origin.
    let h = Harness::new([Scripted::Save(SaveDecision::Save)]);
    h.store(
        &h.caller(SITE),
        json!({"type": "password", "id": "alice", "password": "pw"}),
    )
    .expect("stored");
    assert!(!h.flags(SITE).prevent_silent_access);
    let got = h
        .get(
            &h.caller(SITE),
            json!({"password": true, "mediation": "silent"}),
        )
        .expect("resolves");
    assert_eq!(id_of(&got), Some("alice"));
}

#[test]
fn infrastructure_b8_update_consent_clears_the_flag_and_dismissal_does_not() {
    let h = Harness::new([Scripted::Update(UpdateDecision::Dismiss)]);
    h.add_password(SITE, "alice", "old");
    h.store(
        &h.caller(SITE),
        json!({"type": "password", "id": "alice", "password": "new"}),
    )
    .expect("resolves");
    assert!(h.flags(SITE).prevent_silent_access);
    h.mediator.push([Scripted::Update(UpdateDecision::Update)]);
    h.store(
        &h.caller(SITE),
        json!({"type": "password", "id": "alice", "password": "new"}),
    )
    .expect("resolves");
    assert!(!h.flags(SITE).prevent_silent_access);
}

#[test]
fn infrastructure_b8_global_switch_requires_mediation_for_every_origin() {
    let config = EngineConfig {
        auto_sign_in: false,
        ..EngineConfig::default()
    };
    let h = Harness::with_config([], config);
    for site in [SITE, "https://example.org"] {
        h.add_password(site, "alice", "pw");
        h.set_prevent_silent_access(site, false);
        assert_eq!(
            h.get(
                &h.caller(site),
                json!({"password": true, "mediation": "silent"})
            )
            .ok(),
            Some(None),
            "{site}"
        );
    }
    assert!(h.mediator.asked().is_empty());
}

// B10. Storing and updating with user mediation.

#[test]
fn infrastructure_b10_save_prompt_describes_the_credential_without_its_password() {
    let h = Harness::new([Scripted::Save(SaveDecision::Save)]);
    let caller = h.caller(SITE);
    h.store(
        &caller,
        json!({"type": "password", "id": "alice", "password": "s3cret", "name": "Alice"}),
    )
    .expect("stored");
    let prompts = h.save_prompts();
    assert_eq!(prompts.len(), 1);
    let p = &prompts[0];
    assert_eq!(p.origin, origin(SITE));
    assert_eq!(p.request, caller.request);
    assert_eq!(p.id, "alice");
    assert_eq!(p.name, "Alice");
    assert_eq!(p.credential_type, credwell_core::CredentialType::Password);
    assert_eq!(p.provider, None);
    assert!(!format!("{p:?}").contains("s3cret"));
}

#[test]
fn infrastructure_b10_standing_consent_always_saves_and_updates_without_asking() {
    let config = EngineConfig {
        store_consent: StoreConsent::Always,
        ..EngineConfig::default()
    };
    let h = Harness::with_config([], config);
    h.store(
        &h.caller(SITE),
        json!({"type": "password", "id": "alice", "password": "one"}),
    )
    .expect("stored");
    h.store(
        &h.caller(SITE),
        json!({"type": "password", "id": "alice", "password": "two"}),
    )
    .expect("updated");
    h.store(
        &h.caller(SITE),
        json!({"type": "federated", "id": "bob", "provider": "https://idp.example"}),
    )
    .expect("stored");
    assert!(h.mediator.asked().is_empty());
    assert_eq!(h.store.len(), 2);
    assert_eq!(h.stored_passwords(SITE)[0].1, "two");
}

#[test]
fn infrastructure_b10_consent_never_saves_nothing_and_never_asks() {
    let config = EngineConfig {
        store_consent: StoreConsent::Never,
        ..EngineConfig::default()
    };
    let h = Harness::with_config([], config);
    h.add_password(SITE, "alice", "old");
    h.store(
        &h.caller(SITE),
        json!({"type": "password", "id": "bob", "password": "pw"}),
    )
    .expect("resolves undefined");
    h.store(
        &h.caller(SITE),
        json!({"type": "password", "id": "alice", "password": "new"}),
    )
    .expect("resolves undefined");
    assert!(h.mediator.asked().is_empty());
    assert_eq!(h.store.len(), 1);
    assert_eq!(h.stored_passwords(SITE)[0].1, "old");
    assert!(h.flags(SITE).prevent_silent_access);
}

// B12. Cross-domain credential access.

/// An engine whose embedder opted into cross-origin offers.
fn offering(script: impl IntoIterator<Item = Scripted>) -> Harness {
    let config = EngineConfig {
        offer_same_site: true,
        ..EngineConfig::default()
    };
    Harness::with_config(script, config)
}

fn cross_origin(caller: &str, credential: &str) -> Offer {
    Offer::CrossOrigin {
        caller: origin(caller),
        credential: origin(credential),
    }
}

/// The attack: a page on another port of localhost (nothing saved for it) asks for a password
/// and the user presses Enter in the chooser, even confirms. Every local development server is
/// one "site", so offering same-site credentials handed localhost:3000's password to whatever
/// listens on localhost:4000. By default only the caller's exact origin is offered.
#[test]
fn infrastructure_b12_another_localhost_port_gets_nothing_by_default() {
    let h = Harness::new([Scripted::Choose(0), Scripted::ConfirmCrossOrigin(true)]);
    h.add_password("http://localhost:3000", "admin", "local secret");
    let got = h
        .get(
            &h.caller("http://localhost:4000"),
            json!({"password": true}),
        )
        .expect("resolves");
    assert_eq!(id_of(&got), None);
    assert!(
        h.mediator.asked().is_empty(),
        "no chooser to press Enter in"
    );
    // The credential's own origin still gets it.
    let got = h
        .get(
            &h.caller("http://localhost:3000"),
            json!({"password": true}),
        )
        .expect("resolves");
    assert_eq!(id_of(&got), Some("admin"));
}

#[test]
fn infrastructure_b12_other_origins_of_the_site_are_not_offered_by_default() {
    let h = Harness::new([Scripted::Choose(0), Scripted::ConfirmCrossOrigin(true)]);
    h.add_password("https://login.example.com", "bob", "pw");
    h.add_password("https://example.com:8443", "carol", "pw");
    assert_eq!(
        h.get(
            &h.caller("https://www.example.com"),
            json!({"password": true})
        )
        .ok(),
        Some(None)
    );
    assert!(h.mediator.asked().is_empty());
}

#[test]
fn infrastructure_b12_opted_in_never_across_ports_schemes_ip_hosts_or_localhost() {
    // (credential's origin, caller's origin): same registrable "site" in the old sense, each
    // refused by one rule.
    let pairs = [
        ("https://example.com:8443", "https://example.com"),
        ("https://login.example.com:8443", "https://www.example.com"),
        ("http://login.example.com", "https://www.example.com"),
        ("https://login.example.com", "http://www.example.com"),
        ("http://127.0.0.1:3000", "http://127.0.0.1:4000"),
        ("http://127.0.0.2:3000", "http://127.0.0.1:3000"),
        ("http://[::1]:3000", "http://[::1]:4000"),
        ("http://localhost:3000", "http://localhost:4000"),
        ("http://a.localhost:3000", "http://b.localhost:3000"),
        ("http://app.localhost:3000", "http://localhost:3000"),
        ("https://a.github.io", "https://b.github.io"),
    ];
    for (credential, caller) in pairs {
        let h = offering([Scripted::Choose(0), Scripted::ConfirmCrossOrigin(true)]);
        h.add_password(credential, "victim", "secret");
        let got = h
            .get(&h.caller(caller), json!({"password": true}))
            .expect("resolves");
        assert_eq!(id_of(&got), None, "{credential} reached {caller}");
        assert!(
            h.mediator.asked().is_empty(),
            "{credential} offered to {caller}"
        );
    }
}

#[test]
fn infrastructure_b12_opted_in_sibling_subdomains_are_offered_marked_with_both_origins() {
    let www = "https://www.example.com";
    let login = "https://login.example.com";
    let h = offering([Scripted::Choose(1), Scripted::ConfirmCrossOrigin(true)]);
    h.add_password(www, "alice", "exact");
    h.add_password(login, "bob", "sibling");
    let got = h
        .get(&h.caller(www), json!({"password": true}))
        .expect("resolves");
    let chooser = h.choosers().pop().expect("chooser");
    assert_eq!(chooser.accounts.len(), 2);
    // The caller's own accounts first, then the cross-origin offer, carrying both origins.
    assert_eq!(chooser.accounts[0].offer, Offer::ExactOrigin);
    assert!(chooser.accounts[0].is_exact_origin());
    assert_eq!(chooser.accounts[0].id, "alice");
    assert_eq!(chooser.accounts[1].offer, cross_origin(www, login));
    assert!(!chooser.accounts[1].is_exact_origin());
    assert_eq!(chooser.accounts[1].origin, origin(login));
    // Choosing it asked for the second confirmation, about that account.
    assert!(
        h.mediator
            .asked()
            .contains(&Asked::CrossOrigin(chooser.accounts[1].clone()))
    );
    match got {
        Some(Credential::Password(p)) => {
            assert_eq!(p.id, "bob");
            assert_eq!(p.password.expose(), "sibling");
            assert_eq!(p.origin, origin(login));
        }
        other => panic!("expected bob, got {other:?}"),
    }
    // Picking a sibling's credential does not make the caller's origin silent-capable.
    assert!(h.flags(www).prevent_silent_access);
}

#[test]
fn infrastructure_b12_a_chosen_cross_origin_offer_needs_the_second_confirmation() {
    let www = "https://www.example.com";
    // Refused, and not answered at all (the mediator's default is to refuse).
    for script in [
        vec![Scripted::Choose(0), Scripted::ConfirmCrossOrigin(false)],
        vec![Scripted::Choose(0)],
    ] {
        let h = offering(script);
        h.add_password("https://login.example.com", "bob", "pw");
        let got = h
            .get(&h.caller(www), json!({"password": true}))
            .expect("resolves");
        assert_eq!(id_of(&got), None);
        assert_eq!(h.choosers().len(), 1);
        assert!(matches!(h.mediator.asked()[1], Asked::CrossOrigin(_)));
    }
}

#[test]
fn infrastructure_b12_sibling_subdomain_credentials_are_never_returned_silently() {
    let h = offering([Scripted::Cancel]);
    h.add_password("https://login.example.com", "bob", "pw");
    h.set_prevent_silent_access("https://www.example.com", false);
    h.set_prevent_silent_access("https://login.example.com", false);
    let www = "https://www.example.com";
    assert_eq!(
        h.get(
            &h.caller(www),
            json!({"password": true, "mediation": "silent"})
        )
        .ok(),
        Some(None)
    );
    assert!(h.mediator.asked().is_empty());
    // optional, flag cleared, exactly one candidate: still the chooser, since it is not exact.
    assert_eq!(
        h.get(&h.caller(www), json!({"password": true})).ok(),
        Some(None)
    );
    assert_eq!(h.choosers().len(), 1);
    assert!(!h.choosers()[0].accounts[0].is_exact_origin());
}

#[test]
fn infrastructure_b12_one_exact_credential_signs_in_despite_sibling_offers() {
    let h = offering([]);
    h.add_password("https://www.example.com", "alice", "pw");
    h.add_password("https://login.example.com", "bob", "pw");
    h.set_prevent_silent_access("https://www.example.com", false);
    let got = h
        .get(
            &h.caller("https://www.example.com"),
            json!({"password": true}),
        )
        .expect("resolves");
    assert_eq!(id_of(&got), Some("alice"));
    assert!(h.choosers().is_empty());
}

#[test]
fn infrastructure_b12_never_across_http_and_https() {
    let confirmed = [Scripted::Choose(0), Scripted::ConfirmCrossOrigin(true)];
    let h = offering(confirmed.into_iter().chain(confirmed));
    h.add_password("http://login.example.com", "insecure", "pw");
    h.add_password("http://example.com", "insecure-apex", "pw");
    h.add_password("https://login.example.com", "secure", "pw");
    // https caller: no http credential, not even for the same host.
    assert_eq!(
        h.get(&h.caller("https://example.com"), json!({"password": true}))
            .ok()
            .flatten()
            .map(|c| c.id().to_owned()),
        Some("secure".to_owned())
    );
    let offered: Vec<_> = h.choosers()[0]
        .accounts
        .iter()
        .map(|a| a.id.clone())
        .collect();
    assert_eq!(offered, ["secure"]);
    // http caller: no https credential either.
    let got = h
        .get(
            &h.caller("http://www.example.com"),
            json!({"password": true}),
        )
        .expect("resolves");
    let offered: Vec<_> = h.choosers()[1]
        .accounts
        .iter()
        .map(|a| a.id.clone())
        .collect();
    assert_eq!(offered.len(), 2);
    assert!(offered.iter().all(|id| id.starts_with("insecure")));
    assert!(got.is_some_and(|c| c.origin().scheme() == Some("http")));
}

#[test]
fn infrastructure_b12_never_across_registrable_domains() {
    let h = offering([Scripted::Choose(0), Scripted::ConfirmCrossOrigin(true)]);
    h.add_password("https://a.github.io", "alice", "pw");
    h.add_password("https://example.net", "eve", "pw");
    h.add_password("https://example.com.evil.example", "mallory", "pw");
    for caller in ["https://b.github.io", SITE] {
        assert_eq!(
            h.get(&h.caller(caller), json!({"password": true})).ok(),
            Some(None),
            "{caller}"
        );
    }
    assert!(h.mediator.asked().is_empty(), "nothing to offer");
}

#[test]
fn infrastructure_b12_sibling_federated_credentials_follow_the_provider_filter() {
    let h = offering([Scripted::Cancel]);
    h.add_federated(
        "https://login.example.com",
        "a",
        "https://idp.example",
        None,
    );
    h.add_federated(
        "https://login.example.com",
        "b",
        "https://other-idp.example",
        None,
    );
    let _ = h.get(
        &h.caller("https://www.example.com"),
        json!({"federated": {"providers": ["https://idp.example"]}}),
    );
    let ids: Vec<_> = h.choosers()[0]
        .accounts
        .iter()
        .map(|a| a.id.clone())
        .collect();
    assert_eq!(ids, ["a"]);
}

// C15. Same-origin with its ancestors.

#[test]
fn same_origin_with_ancestors_c15_top_level_and_same_origin_chains_are_allowed() {
    let h = Harness::new([]);
    h.add_password(SITE, "alice", "pw");
    h.set_prevent_silent_access(SITE, false);
    for ancestors in [
        vec![],
        vec![origin(SITE)],
        vec![origin(SITE), origin("https://example.com:443")],
    ] {
        let caller = h.caller(SITE).with_ancestors(&ancestors);
        assert!(caller.same_origin_with_ancestors);
        let got = h.get(&caller, json!({"password": true})).expect("resolves");
        assert_eq!(id_of(&got), Some("alice"));
    }
}

#[test]
fn same_origin_with_ancestors_c15_any_cross_origin_ancestor_is_not_allowed_error() {
    let h = Harness::new([]);
    h.add_password(SITE, "alice", "pw");
    h.set_prevent_silent_access(SITE, false);
    for ancestors in [
        vec![origin("https://evil.example")],
        // A same-origin frame nested in a cross-origin frame.
        vec![origin(SITE), origin("https://evil.example")],
        vec![origin("https://evil.example"), origin(SITE)],
        // Same site is not same origin; nor is another port or scheme.
        vec![origin("https://www.example.com")],
        vec![origin("https://example.com:8443")],
        vec![origin("http://example.com")],
    ] {
        let caller = h.caller(SITE).with_ancestors(&ancestors);
        assert!(!caller.same_origin_with_ancestors, "{ancestors:?}");
        assert_rejects(
            h.get(&caller, json!({"password": true})),
            ErrorName::NotAllowedError,
        );
    }
}

#[test]
fn same_origin_with_ancestors_c15_is_same_origin_not_same_origin_domain() {
    // WPT sets document.domain = "example.com" on both; the check still compares origins.
    let sub = origin("https://sub.example.com");
    let top = origin(SITE);
    assert!(!same_origin_with_ancestors(
        &sub,
        std::slice::from_ref(&top)
    ));
    assert!(same_origin_with_ancestors(&top, &[]));
    assert!(!same_origin_with_ancestors(
        &Origin::new_opaque(),
        std::slice::from_ref(&top)
    ));
    let caller =
        Caller::new(sub, ClientId(fresh_id()), RequestId(fresh_id())).with_ancestors(&[top]);
    let h = Harness::new([]);
    assert_rejects(
        h.get(&caller, json!({"federated": {}})),
        ErrorName::NotAllowedError,
    );
}
