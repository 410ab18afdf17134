//! J. `PasswordCredential`: the constructors (data and form), `[[CollectFromCredentialStore]]`,
//! `[[Create]]` and matching. `[[Store]]` (J27) is in `store.rs`.

use credwell_core::{Credential, ErrorName, PasswordCredential, Scripted};
use serde_json::{Value, json};

use crate::support::*;

const SITE: &str = "https://example.com";

fn created_password(h: &Harness, options: Value) -> PasswordCredential {
    match h.create(&h.caller(SITE), options) {
        Ok(Credential::Password(p)) => p,
        other => panic!("expected a PasswordCredential, got {other:?}"),
    }
}

/// `create({password: form})` for a form snapshot of `(name, autocomplete)` elements and
/// `(name, value)` entries.
fn form(elements: &[(&str, Option<&str>)], entries: &[(&str, &str)]) -> Value {
    let elements: Vec<Value> = elements
        .iter()
        .map(|(name, autocomplete)| match autocomplete {
            Some(a) => json!({"name": name, "autocomplete": a}),
            None => json!({"name": name}),
        })
        .collect();
    let entries: Vec<Value> = entries.iter().map(|(n, v)| json!([n, v])).collect();
    json!({"password": {"htmlFormElement": {"elements": elements, "entries": entries}}})
}

fn from_form(elements: &[(&str, Option<&str>)], entries: &[(&str, &str)]) -> PasswordCredential {
    created_password(&Harness::new([]), form(elements, entries))
}

// J22/J23. From PasswordCredentialData.

#[test]
fn password_credential_j22_origin_member_is_optional_and_ignored() {
    let h = Harness::new([]);
    let p = created_password(&h, json!({"password": {"id": "a", "password": "p"}}));
    assert_eq!(p.origin, origin(SITE));
    let p = created_password(
        &h,
        json!({"password": {"id": "a", "password": "p", "origin": "https://evil.example"}}),
    );
    assert_eq!(p.origin, origin(SITE), "[[origin]] comes from the caller");
    // Even an empty origin member, which the spec's letter makes a TypeError.
    let p = created_password(
        &h,
        json!({"password": {"id": "a", "password": "p", "origin": ""}}),
    );
    assert_eq!(p.origin, origin(SITE));
}

#[test]
fn password_credential_j23_empty_id_or_password_is_type_error() {
    let h = Harness::new([]);
    assert_rejects_naming(
        h.create(
            &h.caller(SITE),
            json!({"password": {"id": "", "password": "p"}}),
        ),
        ErrorName::TypeError,
        &["id", "empty"],
    );
    assert_rejects_naming(
        h.create(
            &h.caller(SITE),
            json!({"password": {"id": "a", "password": ""}}),
        ),
        ErrorName::TypeError,
        &["password", "empty"],
    );
}

#[test]
fn password_credential_j23_missing_required_members_are_type_errors() {
    let h = Harness::new([]);
    for data in [
        json!({"id": "a"}),
        json!({"password": "p"}),
        json!({}),
        json!(null),
    ] {
        assert_rejects_naming(
            h.create(&h.caller(SITE), json!({"password": data.clone()})),
            ErrorName::TypeError,
            &["required"],
        );
    }
}

#[test]
fn password_credential_j23_name_and_icon_are_copied_and_default_to_empty() {
    let h = Harness::new([]);
    let p = created_password(
        &h,
        json!({"password": {"id": "a", "password": "p", "name": "Alice",
                            "iconURL": "https://example.com/a.png"}}),
    );
    assert_eq!(
        (p.name.as_str(), p.icon_url.as_str()),
        ("Alice", "https://example.com/a.png")
    );
    let p = created_password(&h, json!({"password": {"id": "a", "password": "p"}}));
    assert_eq!((p.name.as_str(), p.icon_url.as_str()), ("", ""));
}

#[test]
fn password_credential_j23_icon_url_that_is_not_a_url_is_syntax_error() {
    // [DEVIATION A5] No algorithm parses iconURL; credwell follows Chromium.
    let h = Harness::new([]);
    assert_rejects_naming(
        h.create(
            &h.caller(SITE),
            json!({"password": {"id": "a", "password": "p", "iconURL": "not a url"}}),
        ),
        ErrorName::SyntaxError,
        &["iconURL", "not a url"],
    );
}

#[test]
fn password_credential_j23_members_convert_with_to_string() {
    let p = created_password(
        &Harness::new([]),
        json!({"password": {"id": 42, "password": true, "name": null}}),
    );
    assert_eq!(
        (p.id.as_str(), p.password.expose(), p.name.as_str()),
        ("42", "true", "null")
    );
}

// J24. From an HTMLFormElement.

#[test]
fn password_credential_j24_form_reads_username_password_photo_and_name() {
    // WPT: username, current-password, photo and name tokens plus a field without autocomplete.
    let p = from_form(
        &[
            ("theId", Some("username")),
            ("thePassword", Some("current-password")),
            ("theIcon", Some("photo")),
            ("theName", Some("name")),
            ("theExtraField", None),
        ],
        &[
            ("theId", "musterman"),
            ("thePassword", "sekrit"),
            ("theIcon", "https://example.com/photo"),
            ("theName", "friendly name"),
            ("theExtraField", "extra"),
        ],
    );
    assert_eq!(p.id, "musterman");
    assert_eq!(p.password.expose(), "sekrit");
    assert_eq!(p.icon_url, "https://example.com/photo");
    assert_eq!(p.name, "friendly name");
    assert_eq!(p.origin, origin(SITE));
}

#[test]
fn password_credential_j24_nickname_sets_name() {
    let p = from_form(
        &[
            ("u", Some("username")),
            ("p", Some("current-password")),
            ("n", Some("nickname")),
        ],
        &[("u", "alice"), ("p", "pw"), ("n", "Ally")],
    );
    assert_eq!(p.name, "Ally");
}

#[test]
fn password_credential_j24_new_password_beats_current_password_in_either_order() {
    let new_first = from_form(
        &[
            ("u", Some("username")),
            ("new", Some("new-password")),
            ("cur", Some("current-password")),
        ],
        &[("u", "alice"), ("new", "fresh"), ("cur", "stale")],
    );
    assert_eq!(new_first.password.expose(), "fresh");
    let current_first = from_form(
        &[
            ("u", Some("username")),
            ("cur", Some("current-password")),
            ("new", Some("new-password")),
        ],
        &[("u", "alice"), ("cur", "stale"), ("new", "fresh")],
    );
    assert_eq!(current_first.password.expose(), "fresh");
}

#[test]
fn password_credential_j24_fields_without_autocomplete_are_ignored() {
    let h = Harness::new([]);
    // The only password field has no autocomplete attribute: empty password, TypeError.
    assert_rejects(
        h.create(
            &h.caller(SITE),
            form(
                &[("u", Some("username")), ("p", None)],
                &[("u", "alice"), ("p", "pw")],
            ),
        ),
        ErrorName::TypeError,
    );
    // An explicit null autocomplete is no attribute either.
    let elements = json!([
        {"name": "u", "autocomplete": "username"},
        {"name": "p", "autocomplete": null},
        {"name": "q", "autocomplete": "current-password"},
    ]);
    let p = created_password(
        &h,
        json!({"password": {"htmlFormElement": {
            "elements": elements, "entries": [["u", "alice"], ["p", "wrong"], ["q", "right"]]
        }}}),
    );
    assert_eq!(p.password.expose(), "right");
}

#[test]
fn password_credential_j24_fields_not_in_the_entry_list_are_ignored() {
    // A disabled or unchecked field is a submittable element with no form data entry.
    let p = from_form(
        &[
            ("u", Some("username")),
            ("p", Some("current-password")),
            ("p2", Some("new-password")),
        ],
        &[("u", "alice"), ("p", "pw")],
    );
    assert_eq!(p.password.expose(), "pw", "p2 is not in the form data");
    let h = Harness::new([]);
    assert_rejects(
        h.create(
            &h.caller(SITE),
            form(
                &[("u", Some("username")), ("p", Some("current-password"))],
                &[("p", "pw")],
            ),
        ),
        ErrorName::TypeError,
    );
}

#[test]
fn password_credential_j24_tokens_are_ascii_case_insensitive() {
    let p = from_form(
        &[
            ("u", Some("UserName")),
            ("p", Some("CURRENT-PASSWORD")),
            ("n", Some("Name")),
        ],
        &[("u", "alice"), ("p", "pw"), ("n", "Alice")],
    );
    assert_eq!(
        (p.id.as_str(), p.password.expose(), p.name.as_str()),
        ("alice", "pw", "Alice")
    );
}

#[test]
fn password_credential_j24_multiple_tokens_are_each_considered() {
    let p = from_form(
        &[
            ("u", Some("section-login shipping username")),
            ("p", Some("section-login  current-password")),
        ],
        &[("u", "alice"), ("p", "pw")],
    );
    assert_eq!((p.id.as_str(), p.password.expose()), ("alice", "pw"));
}

#[test]
fn password_credential_j24_unknown_tokens_and_empty_autocomplete_do_nothing() {
    let h = Harness::new([]);
    assert_rejects(
        h.create(
            &h.caller(SITE),
            form(
                &[("u", Some("email")), ("p", Some("")), ("q", Some("on"))],
                &[("u", "alice"), ("p", "pw"), ("q", "x")],
            ),
        ),
        ErrorName::TypeError,
    );
}

#[test]
fn password_credential_j24_form_data_get_returns_the_first_entry_of_a_name() {
    let p = from_form(
        &[("u", Some("username")), ("p", Some("current-password"))],
        &[("u", "first"), ("p", "pw"), ("u", "second")],
    );
    assert_eq!(p.id, "first");
}

#[test]
fn password_credential_j24_later_fields_overwrite_earlier_ones() {
    let p = from_form(
        &[
            ("u1", Some("username")),
            ("u2", Some("username")),
            ("p", Some("current-password")),
            ("n1", Some("name")),
            ("n2", Some("nickname")),
        ],
        &[
            ("u1", "a"),
            ("u2", "b"),
            ("p", "pw"),
            ("n1", "N1"),
            ("n2", "N2"),
        ],
    );
    assert_eq!((p.id.as_str(), p.name.as_str()), ("b", "N2"));
}

#[test]
fn password_credential_j24_form_photo_must_be_a_url() {
    let h = Harness::new([]);
    assert_rejects(
        h.create(
            &h.caller(SITE),
            form(
                &[
                    ("u", Some("username")),
                    ("p", Some("current-password")),
                    ("i", Some("photo")),
                ],
                &[("u", "alice"), ("p", "pw"), ("i", "not a url")],
            ),
        ),
        ErrorName::SyntaxError,
    );
}

#[test]
fn password_credential_j24_malformed_form_snapshots_are_type_errors() {
    let h = Harness::new([]);
    for snapshot in [
        json!(null),
        json!("form"),
        json!({"elements": "x"}),
        json!({"entries": [["only-name"]]}),
        json!({"entries": [{"u": "alice"}]}),
        json!({"elements": [null]}),
        json!({"elements": [7]}),
    ] {
        assert_rejects_naming(
            h.create(
                &h.caller(SITE),
                json!({"password": {"htmlFormElement": snapshot.clone()}}),
            ),
            ErrorName::TypeError,
            &["HTMLFormElement"],
        );
    }
}

// J25/J28. [[CollectFromCredentialStore]] and matching.

#[test]
fn password_credential_j25_collects_only_same_origin_passwords() {
    let h = Harness::new([Scripted::Cancel]);
    h.add_password(SITE, "alice", "pw");
    h.add_password("https://example.com:8443", "port", "pw");
    h.add_password("https://www.example.com", "sibling", "pw");
    h.add_federated(SITE, "bob", "https://idp.example", None);
    h.set_prevent_silent_access(SITE, false);
    let got = h
        .get(&h.caller(SITE), json!({"password": true}))
        .expect("resolves");
    // The single exact-origin password is the only match: silent sign-in, no chooser.
    assert_eq!(id_of(&got), Some("alice"));
    assert!(h.choosers().is_empty());
}

#[test]
fn password_credential_j28_passwords_match_only_when_password_is_true() {
    let h = Harness::new([]);
    h.add_password(SITE, "alice", "pw");
    h.set_prevent_silent_access(SITE, false);
    assert_eq!(
        h.get(&h.caller(SITE), json!({"federated": {}})).ok(),
        Some(None),
        "federated-only requests never see passwords"
    );
    assert!(h.mediator.asked().is_empty());
}

// J26. [[Create]]: neither data nor form is a TypeError (conversion).

#[test]
fn password_credential_j26_password_member_of_the_wrong_type_is_type_error() {
    let h = Harness::new([]);
    for value in [json!("bogus"), json!(5), json!(false)] {
        assert_rejects(
            h.create(&h.caller(SITE), json!({"password": value})),
            ErrorName::TypeError,
        );
    }
}
