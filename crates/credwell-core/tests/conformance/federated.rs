//! K. `FederatedCredential`: the constructor, provider identification,
//! `[[CollectFromCredentialStore]]` filtering and `[[Create]]`. `[[Store]]` (K35) is in
//! `store.rs`.

use credwell_core::{Credential, ErrorName, FederatedCredential, Scripted, normalize_provider};
use serde_json::{Value, json};

use crate::support::*;

const SITE: &str = "https://example.com";

fn created_federated(h: &Harness, init: Value) -> FederatedCredential {
    match h.create(&h.caller(SITE), json!({"federated": init})) {
        Ok(Credential::Federated(f)) => f,
        other => panic!("expected a FederatedCredential, got {other:?}"),
    }
}

/// The ids the chooser offered for `options`, with every federated credential below stored.
fn offered_ids(options: Value) -> Vec<String> {
    let h = Harness::new([Scripted::Cancel]);
    h.add_federated(
        SITE,
        "g",
        "https://accounts.google.com",
        Some("openidconnect"),
    );
    h.add_federated(SITE, "f", "https://www.facebook.com", None);
    h.add_federated(SITE, "i", "https://idp.example", Some("saml"));
    h.add_password(SITE, "pw", "pw");
    let _ = h.get(&h.caller(SITE), options);
    let mut ids: Vec<String> = h
        .choosers()
        .first()
        .map(|c| c.accounts.iter().map(|a| a.id.clone()).collect())
        .unwrap_or_default();
    ids.sort();
    ids
}

// K30/K31. The constructor.

#[test]
fn federated_credential_k30_origin_member_is_optional_and_ignored() {
    let h = Harness::new([]);
    let f = created_federated(&h, json!({"id": "a", "provider": "https://idp.example"}));
    assert_eq!(f.origin, origin(SITE));
    let f = created_federated(
        &h,
        json!({"id": "a", "provider": "https://idp.example", "origin": "https://evil.example"}),
    );
    assert_eq!(f.origin, origin(SITE));
}

#[test]
fn federated_credential_k31_empty_id_or_provider_is_type_error() {
    let h = Harness::new([]);
    assert_rejects_naming(
        h.create(
            &h.caller(SITE),
            json!({"federated": {"id": "", "provider": "https://idp.example"}}),
        ),
        ErrorName::TypeError,
        &["id", "empty"],
    );
    assert_rejects_naming(
        h.create(
            &h.caller(SITE),
            json!({"federated": {"id": "a", "provider": ""}}),
        ),
        ErrorName::TypeError,
        &["provider", "empty"],
    );
}

#[test]
fn federated_credential_k31_missing_required_members_are_type_errors() {
    let h = Harness::new([]);
    for init in [
        json!({"id": "a"}),
        json!({"provider": "https://idp.example"}),
        json!({}),
    ] {
        assert_rejects_naming(
            h.create(&h.caller(SITE), json!({"federated": init.clone()})),
            ErrorName::TypeError,
            &["required"],
        );
    }
}

#[test]
fn federated_credential_k31_provider_that_is_not_a_url_is_syntax_error() {
    // As Chromium: providers are origins, so text that is not a URL is a SyntaxError.
    let h = Harness::new([]);
    for provider in ["idp.example", "not a url", "/relative", "data:text/plain,x"] {
        assert_rejects_naming(
            h.create(
                &h.caller(SITE),
                json!({"federated": {"id": "a", "provider": provider}}),
            ),
            ErrorName::SyntaxError,
            &["provider"],
        );
    }
}

#[test]
fn federated_credential_k31_protocol_is_exposed_and_null_when_absent() {
    let h = Harness::new([]);
    let f = created_federated(
        &h,
        json!({"id": "a", "provider": "https://idp.example", "protocol": "openidconnect"}),
    );
    assert_eq!(f.protocol.as_deref(), Some("openidconnect"));
    let f = created_federated(&h, json!({"id": "a", "provider": "https://idp.example"}));
    assert_eq!(f.protocol, None);
    assert_eq!(
        Credential::Federated(f).to_page_json(),
        json!({"type": "federated", "id": "a", "name": "", "iconURL": "",
               "provider": "https://idp.example", "protocol": null})
    );
}

#[test]
fn federated_credential_k31_name_and_icon_are_copied() {
    let h = Harness::new([]);
    let f = created_federated(
        &h,
        json!({"id": "a", "provider": "https://idp.example", "name": "A",
               "iconURL": "https://idp.example/a.png"}),
    );
    assert_eq!(
        (f.name.as_str(), f.icon_url.as_str()),
        ("A", "https://idp.example/a.png")
    );
    assert_rejects(
        h.create(
            &h.caller(SITE),
            json!({"federated": {"id": "a", "provider": "https://idp.example", "iconURL": "::"}}),
        ),
        ErrorName::SyntaxError,
    );
}

// K32. Identifying providers.

#[test]
fn federated_credential_k32_provider_is_normalized_to_its_origin() {
    let h = Harness::new([]);
    for (given, expected) in [
        ("https://example.com/", "https://example.com"),
        ("https://accounts.google.com", "https://accounts.google.com"),
        ("https://IDP.Example:443/login?x=1#y", "https://idp.example"),
        ("https://idp.example:8443/", "https://idp.example:8443"),
    ] {
        let f = created_federated(&h, json!({"id": "a", "provider": given}));
        assert_eq!(f.provider, expected, "{given}");
        assert_eq!(normalize_provider(given), expected);
    }
}

#[test]
fn federated_credential_k32_request_providers_accept_a_trailing_slash() {
    assert_eq!(
        offered_ids(json!({"federated": {"providers": ["https://idp.example/"]}})),
        ["i"]
    );
    assert_eq!(
        offered_ids(json!({"federated": {"providers": ["HTTPS://ACCOUNTS.GOOGLE.COM:443"]}})),
        ["g"]
    );
}

// K33. [[CollectFromCredentialStore]].

#[test]
fn federated_credential_k33_no_filter_returns_every_federated_credential() {
    assert_eq!(offered_ids(json!({"federated": {}})), ["f", "g", "i"]);
}

#[test]
fn federated_credential_k33_providers_filter() {
    assert_eq!(
        offered_ids(
            json!({"federated": {"providers": ["https://accounts.google.com",
                                                        "https://www.facebook.com"]}})
        ),
        ["f", "g"]
    );
    assert_eq!(
        offered_ids(json!({"federated": {"providers": ["https://unknown.example"]}})),
        Vec::<String>::new()
    );
    assert_eq!(
        offered_ids(json!({"federated": {"providers": []}})),
        Vec::<String>::new()
    );
    // Provider strings that are not URLs match nothing, and are not an error in get().
    assert_eq!(
        offered_ids(json!({"federated": {"providers": ["idp.example", ""]}})),
        Vec::<String>::new()
    );
}

#[test]
fn federated_credential_k33_protocols_filter() {
    assert_eq!(
        offered_ids(json!({"federated": {"protocols": ["openidconnect"]}})),
        ["g"]
    );
    assert_eq!(
        offered_ids(json!({"federated": {"protocols": ["saml", "openidconnect"]}})),
        ["g", "i"]
    );
    // A credential without a protocol never matches a protocols filter.
    assert_eq!(
        offered_ids(json!({"federated": {"protocols": ["", "null"]}})),
        Vec::<String>::new()
    );
    assert_eq!(
        offered_ids(json!({"federated": {"protocols": []}})),
        Vec::<String>::new()
    );
}

#[test]
fn federated_credential_k33_providers_and_protocols_must_both_match() {
    assert_eq!(
        offered_ids(json!({"federated": {"providers": ["https://idp.example"],
                                         "protocols": ["openidconnect"]}})),
        Vec::<String>::new()
    );
    assert_eq!(
        offered_ids(
            json!({"federated": {"providers": ["https://accounts.google.com"],
                                         "protocols": ["openidconnect"]}})
        ),
        ["g"]
    );
}

#[test]
fn federated_credential_k33_federated_absent_means_no_federated_credentials() {
    assert_eq!(offered_ids(json!({"password": true})), ["pw"]);
}

#[test]
fn federated_credential_k33_cross_origin_frame_is_not_allowed_error() {
    let h = Harness::new([]);
    h.add_federated("https://widget.example", "a", "https://idp.example", None);
    let caller = h
        .caller("https://widget.example")
        .with_ancestors(&[origin(SITE)]);
    assert_rejects_naming(
        h.get(
            &caller,
            json!({"federated": {"providers": ["https://idp.example"]}}),
        ),
        ErrorName::NotAllowedError,
        &["FederatedCredential"],
    );
}

#[test]
fn federated_credential_k33_only_same_origin_credentials_are_collected() {
    let h = Harness::new([]);
    h.add_federated(SITE, "a", "https://idp.example", None);
    h.add_federated("https://example.org", "b", "https://idp.example", None);
    h.set_prevent_silent_access(SITE, false);
    let got = h
        .get(
            &h.caller(SITE),
            json!({"federated": {"providers": ["https://idp.example"]}, "mediation": "silent"}),
        )
        .expect("resolves");
    match got {
        Some(Credential::Federated(f)) => {
            assert_eq!(f.id, "a");
            assert_eq!(f.provider, "https://idp.example");
            assert_eq!(f.origin, origin(SITE));
        }
        other => panic!("{other:?}"),
    }
}

// K34. [[Create]].

#[test]
fn federated_credential_k34_create_sets_origin_and_normalizes_provider() {
    let h = Harness::new([]);
    let caller = h.caller("https://www.example.com");
    match h.create(
        &caller,
        json!({"federated": {"id": "a", "provider": "https://idp.example/"}}),
    ) {
        Ok(Credential::Federated(f)) => {
            assert_eq!(f.origin, origin("https://www.example.com"));
            assert_eq!(f.provider, "https://idp.example");
        }
        other => panic!("{other:?}"),
    }
}
