//! E. The dictionaries and enums: `CredentialRequestOptions`, `CredentialCreationOptions`,
//! `CredentialMediationRequirement`, `CredentialUiMode`.

use credwell_core::{
    CredentialCreationOptions, CredentialRequestOptions, CredentialType, ErrorName, Mediation,
    PasswordCredentialInit, Scripted, UiMode,
};
use serde_json::json;

use crate::support::*;

const SITE: &str = "https://example.com";

#[test]
fn dictionaries_e16_request_options_defaults() {
    let o = CredentialRequestOptions::from_json(&json!({})).expect("converts");
    assert_eq!(o.mediation, Mediation::Optional);
    assert_eq!(o.ui_mode, None);
    assert!(!o.password);
    assert_eq!(o.federated, None);
    assert_eq!(o.public_key, None);
    assert!(o.relevant_types().is_empty());
    let null = CredentialRequestOptions::from_json(&json!(null)).expect("null is {}");
    assert_eq!(null, o);
}

#[test]
fn dictionaries_e16_members_and_relevant_types() {
    let o = CredentialRequestOptions::from_json(&json!({
        "password": true,
        "federated": {"providers": ["https://idp.example/"], "protocols": ["openidconnect"]},
        "mediation": "required",
        "uiMode": "immediate",
        "signal": {},
        "unknown": 1,
    }))
    .expect("converts");
    assert!(o.password);
    assert_eq!(o.mediation, Mediation::Required);
    assert_eq!(o.ui_mode, Some(UiMode::Immediate));
    let f = o.federated.clone().expect("federated");
    assert_eq!(
        f.providers.as_deref(),
        Some(&["https://idp.example".to_owned()][..])
    );
    assert_eq!(
        f.protocols.as_deref(),
        Some(&["openidconnect".to_owned()][..])
    );
    assert_eq!(
        o.relevant_types(),
        [CredentialType::Federated, CredentialType::Password]
    );
    assert!(o.matchable_a_priori());
}

#[test]
fn dictionaries_e16_public_key_is_relevant_and_not_matchable_a_priori() {
    let o = CredentialRequestOptions::from_json(&json!({"publicKey": {"challenge": "AAAA"}}))
        .expect("converts");
    assert_eq!(o.relevant_types(), [CredentialType::PublicKey]);
    assert!(!o.matchable_a_priori());
}

#[test]
fn dictionaries_e16_password_member_converts_with_to_boolean() {
    for (value, expected) in [
        (json!(true), true),
        (json!(1), true),
        (json!("no"), true),
        (json!({}), true),
        (json!(false), false),
        (json!(0), false),
        (json!(""), false),
        (json!(null), false),
    ] {
        let o = CredentialRequestOptions::from_json(&json!({"password": value}))
            .expect("booleans always convert");
        assert_eq!(o.password, expected, "{value}");
    }
}

#[test]
fn dictionaries_e16_federated_member_must_be_a_dictionary() {
    let h = Harness::new([]);
    for value in [json!("https://idp.example"), json!(1), json!(true)] {
        assert_rejects_naming(
            h.get(&h.caller(SITE), json!({"federated": value})),
            ErrorName::TypeError,
            &["FederatedCredentialRequestOptions"],
        );
    }
}

#[test]
fn dictionaries_e16_providers_and_protocols_must_be_sequences() {
    let h = Harness::new([]);
    for federated in [
        json!({"providers": "https://idp.example"}),
        json!({"providers": {"0": "https://idp.example"}}),
        json!({"providers": 3}),
        json!({"protocols": "openidconnect"}),
        json!({"protocols": {}}),
    ] {
        assert_rejects_naming(
            h.get(&h.caller(SITE), json!({"federated": federated.clone()})),
            ErrorName::TypeError,
            &["sequence"],
        );
    }
    // Sequence items are converted with ToString.
    let o = CredentialRequestOptions::from_json(&json!({"federated": {"protocols": [1, true]}}))
        .expect("converts");
    assert_eq!(
        o.federated.and_then(|f| f.protocols),
        Some(vec!["1".to_owned(), "true".to_owned()])
    );
}

#[test]
fn dictionaries_e17_creation_options_members() {
    let o = CredentialCreationOptions::from_json(&json!({
        "password": {"id": "a", "password": "p"},
        "mediation": "silent",
        "signal": {},
    }))
    .expect("converts");
    assert_eq!(o.mediation, Mediation::Silent);
    assert!(matches!(o.password, Some(PasswordCredentialInit::Data(_))));
    assert_eq!(o.relevant_types(), [CredentialType::Password]);
    let o = CredentialCreationOptions::from_json(&json!({
        "password": {"htmlFormElement": {"elements": [], "entries": []}}
    }))
    .expect("converts");
    assert!(matches!(o.password, Some(PasswordCredentialInit::Form(_))));
    let o = CredentialCreationOptions::from_json(&json!({
        "federated": {"id": "a", "provider": "https://idp.example"}
    }))
    .expect("converts");
    assert_eq!(o.relevant_types(), [CredentialType::Federated]);
    let o = CredentialCreationOptions::from_json(&json!({})).expect("converts");
    assert_eq!(o.mediation, Mediation::Optional);
    assert!(o.relevant_types().is_empty());
}

#[test]
fn dictionaries_e18_mediation_accepts_exactly_the_four_values() {
    for (value, expected) in [
        ("silent", Mediation::Silent),
        ("optional", Mediation::Optional),
        ("conditional", Mediation::Conditional),
        ("required", Mediation::Required),
    ] {
        let o =
            CredentialRequestOptions::from_json(&json!({"mediation": value})).expect("converts");
        assert_eq!(o.mediation, expected);
        assert_eq!(expected.as_str(), value);
    }
}

#[test]
fn dictionaries_e18_unknown_mediation_values_are_type_errors_naming_the_value() {
    let h = Harness::new([]);
    for value in [
        json!("SILENT"),
        json!("sometimes"),
        json!(""),
        json!(1),
        json!(true),
        json!(null),
        json!({}),
        json!(["silent", "x"]),
    ] {
        let (name, message) = exception(h.get(
            &h.caller(SITE),
            json!({"password": true, "mediation": value.clone()}),
        ));
        assert_eq!(name, ErrorName::TypeError, "{value}");
        assert!(message.contains("mediation"), "{message}");
        assert!(
            message.contains("silent"),
            "lists the allowed values: {message}"
        );
    }
    // ToString first: a one-element array is its element.
    let o = CredentialRequestOptions::from_json(&json!({"mediation": ["silent"]}))
        .expect("converts like JavaScript");
    assert_eq!(o.mediation, Mediation::Silent);
}

#[test]
fn dictionaries_e18_unknown_mediation_is_rejected_before_anything_else() {
    // WebIDL conversion happens before the algorithm: TypeError even when not fully active.
    let h = Harness::new([]);
    let mut caller = h.caller(SITE);
    caller.fully_active = false;
    assert_rejects(
        h.get(&caller, json!({"password": true, "mediation": "bogus"})),
        ErrorName::TypeError,
    );
}

#[test]
fn dictionaries_e19_ui_mode_immediate_is_parsed_and_other_strings_ignored() {
    let o = CredentialRequestOptions::from_json(&json!({"uiMode": "immediate"})).expect("ok");
    assert_eq!(o.ui_mode, Some(UiMode::Immediate));
    for other in [json!("Immediate"), json!("modal"), json!(1), json!({})] {
        let o = CredentialRequestOptions::from_json(&json!({"uiMode": other})).expect("ok");
        assert_eq!(o.ui_mode, None);
    }
}

#[test]
fn dictionaries_e20_unmediated_is_not_supported_and_ignored() {
    // The deprecated `unmediated: true` is not implemented: it does not mean silent.
    let h = Harness::new([Scripted::Cancel]);
    h.add_password(SITE, "alice", "pw");
    assert_eq!(
        h.get(
            &h.caller(SITE),
            json!({"password": true, "unmediated": true})
        )
        .ok(),
        Some(None)
    );
    assert_eq!(h.choosers().len(), 1, "treated as optional");
    assert_rejects(
        h.get(&h.caller(SITE), json!({"unmediated": true})),
        ErrorName::NotSupportedError,
    );
}
