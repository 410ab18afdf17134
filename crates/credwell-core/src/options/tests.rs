use super::*;
use serde_json::json;

fn request(v: Value) -> Result<CredentialRequestOptions, ConversionError> {
    CredentialRequestOptions::from_json(&v)
}

fn creation(v: Value) -> Result<CredentialCreationOptions, ConversionError> {
    CredentialCreationOptions::from_json(&v)
}

#[test]
fn empty_and_unknown_options_request_nothing() {
    for v in [
        json!({}),
        json!(null),
        json!({"x": "y"}),
        json!({"mediation": "required"}),
        json!({"password": false}),
        json!({"password": 0}),
        json!({"identity": {}, "otp": {}, "digital": {}}),
    ] {
        let o = request(v.clone()).unwrap();
        assert!(o.relevant_types().is_empty(), "{v}");
    }
}

#[test]
fn truthy_password_and_present_federated_are_relevant() {
    let o = request(json!({"password": "yes", "federated": null})).unwrap();
    assert_eq!(
        o.relevant_types(),
        [CredentialType::Federated, CredentialType::Password]
    );
    assert!(o.matchable_a_priori());
}

#[test]
fn mediation_defaults_to_optional_and_rejects_unknown_values() {
    assert_eq!(request(json!({})).unwrap().mediation, Mediation::Optional);
    for m in ["silent", "optional", "conditional", "required"] {
        assert_eq!(
            request(json!({"mediation": m})).unwrap().mediation.as_str(),
            m
        );
    }
    for bad in [
        json!("sometimes"),
        json!(null),
        json!(1),
        json!(""),
        json!("Silent"),
    ] {
        let err = request(json!({"mediation": bad})).unwrap_err();
        assert_eq!(err.context, "CredentialRequestOptions.mediation");
    }
}

#[test]
fn options_must_be_a_dictionary() {
    for bad in [json!("password"), json!(1), json!(true)] {
        assert!(request(bad.clone()).is_err(), "{bad}");
        assert!(creation(bad.clone()).is_err(), "{bad}");
    }
    // An array is an object: it converts to a dictionary with none of the members.
    assert!(request(json!([1])).unwrap().relevant_types().is_empty());
}

#[test]
fn federated_members_are_typed_and_providers_normalized() {
    let o = request(json!({"federated": {
        "providers": ["https://IDP.example:443/path", "not a url"],
        "protocols": ["openidconnect"],
    }}))
    .unwrap();
    let f = o.federated.unwrap();
    assert_eq!(f.providers.unwrap(), ["https://idp.example", "not a url"]);
    assert_eq!(f.protocols.unwrap(), ["openidconnect"]);
    assert!(request(json!({"federated": "bogus"})).is_err());
    assert!(request(json!({"federated": {"providers": "https://idp.example"}})).is_err());
}

#[test]
fn ui_mode_immediate_is_recognized_and_other_strings_ignored() {
    assert_eq!(
        request(json!({"uiMode": "immediate"})).unwrap().ui_mode,
        Some(UiMode::Immediate)
    );
    assert_eq!(request(json!({"uiMode": "other"})).unwrap().ui_mode, None);
}

#[test]
fn public_key_requires_a_challenge() {
    let err = request(json!({"publicKey": {}})).unwrap_err();
    assert_eq!(err.context, "CredentialRequestOptions.publicKey.challenge");
    let o = request(json!({"publicKey": {"challenge": "AAAA"}})).unwrap();
    assert_eq!(o.relevant_types(), [CredentialType::PublicKey]);
    assert!(!o.matchable_a_priori());
}

#[test]
fn password_credential_data_requires_id_and_password_but_not_origin() {
    let d = PasswordCredentialData::from_json(Some(&json!({"id": "a", "password": "p"}))).unwrap();
    assert_eq!((d.id.as_str(), d.password.expose()), ("a", "p"));
    let err = PasswordCredentialData::from_json(Some(&json!({"password": "p"}))).unwrap_err();
    assert_eq!(err.context, "PasswordCredentialData.id");
    let err = PasswordCredentialData::from_json(Some(&json!({"id": "a"}))).unwrap_err();
    assert_eq!(err.context, "PasswordCredentialData.password");
    // Members convert with ToString, as WebIDL USVString does.
    let d = PasswordCredentialData::from_json(Some(&json!({"id": 42, "password": true}))).unwrap();
    assert_eq!((d.id.as_str(), d.password.expose()), ("42", "true"));
}

#[test]
fn creation_options_convert_members_in_lexicographic_order() {
    // federated is converted before password, so its error is the one reported.
    let err = creation(json!({"password": "bogus", "federated": "bogus"})).unwrap_err();
    assert_eq!(err.context, "FederatedCredentialInit");
    let o = creation(json!({
        "password": {"id": "a", "password": "p"},
        "federated": {"id": "a", "provider": "https://i.example"},
    }))
    .unwrap();
    assert_eq!(o.relevant_types().len(), 2);
}

#[test]
fn forms_are_read_from_their_snapshot() {
    let o = creation(json!({"password": {"htmlFormElement": {
        "elements": [{"name": "u", "autocomplete": "username"}, {"name": "x"}],
        "entries": [["u", "alice"], ["x", "1"]],
    }}}))
    .unwrap();
    let Some(PasswordCredentialInit::Form(form)) = o.password else {
        panic!("expected a form");
    };
    assert_eq!(form.get("u"), Some("alice"));
    assert!(form.has("x") && !form.has("y"));
    assert_eq!(form.elements[1].autocomplete, None);
    assert!(
        !format!("{form:?}").contains("alice"),
        "Debug must not show entry values"
    );
    let bad = creation(json!({"password": {"htmlFormElement": {"entries": [["only-name"]]}}}));
    assert!(bad.unwrap_err().context.contains("entries[0]"));
}
