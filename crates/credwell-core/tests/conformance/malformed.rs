//! Malformed input never panics: wrong JSON types for every member, unknown enum values, strings
//! over `MAX_STRING_BYTES`, sequences over `MAX_SEQUENCE_LEN`, invalid URLs and nested junk.
//! Each case also pins the exact exception where WebIDL (or credwell's documented limit) gives
//! one.

use credwell_core::{
    CredentialCreationOptions, CredentialRequestOptions, ErrorName, MAX_SEQUENCE_LEN,
    MAX_STRING_BYTES, Origin, Rejection, credential_from_object,
};
use serde_json::{Value, json};

use crate::support::*;

const SITE: &str = "https://example.com";

/// Every JSON type, including some awkward ones.
fn junk_values() -> Vec<Value> {
    vec![
        json!(null),
        json!(true),
        json!(false),
        json!(0),
        json!(-1),
        json!(1.5e300),
        json!(u64::MAX),
        json!(""),
        json!("x"),
        json!("\u{0}\u{fffd}\u{1f600}"),
        json!([]),
        json!([null, 1, "a", [], {}]),
        json!({}),
        json!({"nested": {"deeper": [1, {"x": null}]}}),
    ]
}

fn nested_junk(depth: usize) -> Value {
    let mut v = json!("leaf");
    for i in 0..depth {
        v = if i % 2 == 0 {
            Value::Array(vec![v, json!(i)])
        } else {
            json!({"password": v, "providers": [i]})
        };
    }
    v
}

/// Runs get/create/store on a fresh engine and returns the rejections' names; panics (failing
/// the test) only if the engine does.
fn run_all(options: &Value) -> [Option<Rejection>; 3] {
    let h = Harness::new([]);
    h.add_password(SITE, "alice", "pw");
    h.add_federated(SITE, "bob", "https://idp.example", None);
    let get = h
        .get(&h.caller(SITE), options.clone())
        .err()
        .map(Rejection::from);
    let create = h
        .create(&h.caller(SITE), options.clone())
        .err()
        .map(Rejection::from);
    let store = h
        .store(&h.caller(SITE), options.clone())
        .err()
        .map(Rejection::from);
    [get, create, store]
}

#[track_caller]
fn assert_exception(rejection: Option<Rejection>, context: &str) {
    if let Some(r) = rejection {
        assert!(
            matches!(r, Rejection::Exception { .. }),
            "{context}: only exceptions, never an abort: {r:?}"
        );
    }
}

#[test]
fn malformed_every_member_with_every_json_type_never_panics() {
    let members = [
        "password",
        "federated",
        "publicKey",
        "mediation",
        "uiMode",
        "signal",
        "type",
        "id",
        "provider",
        "protocol",
        "name",
        "iconURL",
        "origin",
        "username",
    ];
    for member in members {
        for value in junk_values() {
            let options = json!({ member: value.clone() });
            for r in run_all(&options) {
                assert_exception(r, &format!("{member}: {value}"));
            }
            // And inside the nested dictionaries.
            for outer in ["federated", "password"] {
                let options = json!({ outer: { member: value.clone() } });
                for r in run_all(&options) {
                    assert_exception(r, &format!("{outer}.{member}: {value}"));
                }
            }
            for (outer, inner) in [
                ("federated", "providers"),
                ("federated", "protocols"),
                ("htmlFormElement", "elements"),
                ("htmlFormElement", "entries"),
            ] {
                let options = json!({"password": {outer: {inner: value.clone()}},
                                     "federated": {inner: [value.clone()]}});
                for r in run_all(&options) {
                    assert_exception(r, &format!("{outer}.{inner}: {value}"));
                }
            }
        }
    }
}

#[test]
fn malformed_top_level_primitives_are_type_errors() {
    let h = Harness::new([]);
    for value in [json!(true), json!(1), json!("password")] {
        assert_rejects(h.get(&h.caller(SITE), value.clone()), ErrorName::TypeError);
        assert_rejects(
            h.create(&h.caller(SITE), value.clone()),
            ErrorName::TypeError,
        );
        assert_rejects(h.store(&h.caller(SITE), value), ErrorName::TypeError);
    }
}

#[test]
fn malformed_wrong_types_for_dictionary_members_are_type_errors() {
    let h = Harness::new([]);
    for options in [
        json!({"federated": 1}),
        json!({"federated": "x"}),
        json!({"federated": true}),
        json!({"publicKey": 1}),
        json!({"publicKey": {}}),
        json!({"federated": {"providers": 1}}),
        json!({"federated": {"protocols": "x"}}),
        json!({"password": true, "mediation": {}}),
    ] {
        assert_rejects(
            h.get(&h.caller(SITE), options.clone()),
            ErrorName::TypeError,
        );
    }
    for options in [
        json!({"federated": []}),
        json!({"federated": {"id": {}, "provider": []}}),
        json!({"password": 1}),
        json!({"password": {"id": "a"}}),
        json!({"password": {"htmlFormElement": 1}}),
        json!({"password": {"htmlFormElement": {"entries": [[1]]}}}),
        json!({"publicKey": []}),
        json!({"password": {"id": "a", "password": "p"}, "mediation": 3}),
    ] {
        assert_rejects(
            h.create(&h.caller(SITE), options.clone()),
            ErrorName::TypeError,
        );
    }
}

#[test]
fn malformed_strings_over_the_limit_are_type_errors_naming_the_limit() {
    let huge = "a".repeat(MAX_STRING_BYTES + 1);
    let limit = MAX_STRING_BYTES.to_string();
    let h = Harness::new([]);
    // An unknown enum value: TypeError, and the message quotes it shortened.
    let (name, message) = exception(h.get(
        &h.caller(SITE),
        json!({"password": true, "mediation": huge.clone()}),
    ));
    assert_eq!(name, ErrorName::TypeError);
    assert!(message.len() < 1_000, "the message is not the huge string");
    for options in [
        json!({"password": true, "uiMode": huge.clone()}),
        json!({"federated": {"providers": [huge.clone()]}}),
        json!({"federated": {"protocols": ["ok", huge.clone()]}}),
    ] {
        assert_rejects_naming(
            h.get(&h.caller(SITE), options),
            ErrorName::TypeError,
            &[&limit],
        );
    }
    for options in [
        json!({"password": {"id": huge.clone(), "password": "p"}}),
        json!({"password": {"id": "a", "password": huge.clone()}}),
        json!({"password": {"id": "a", "password": "p", "name": huge.clone()}}),
        json!({"password": {"id": "a", "password": "p", "iconURL": huge.clone()}}),
        json!({"federated": {"id": "a", "provider": huge.clone()}}),
        json!({"federated": {"id": "a", "provider": "https://idp.example", "protocol": huge.clone()}}),
        json!({"password": {"htmlFormElement": {"elements": [], "entries": [["u", huge.clone()]]}}}),
    ] {
        assert_rejects_naming(
            h.create(&h.caller(SITE), options),
            ErrorName::TypeError,
            &[&limit],
        );
    }
    assert_rejects_naming(
        h.store(
            &h.caller(SITE),
            json!({"type": "password", "id": huge.clone(), "password": "p"}),
        ),
        ErrorName::TypeError,
        &[&limit],
    );
    assert!(h.store.is_empty());
}

#[test]
fn malformed_strings_at_the_limit_are_accepted() {
    let at_limit = "a".repeat(MAX_STRING_BYTES);
    let h = Harness::new([]);
    let created = h
        .create(
            &h.caller(SITE),
            json!({"password": {"id": at_limit.clone(), "password": at_limit.clone()}}),
        )
        .expect("exactly the limit is fine");
    assert_eq!(created.id().len(), MAX_STRING_BYTES);
    // The limit is in bytes: multi-byte characters count fully.
    let multibyte = "é".repeat(MAX_STRING_BYTES / 2 + 1);
    assert_rejects(
        h.create(
            &h.caller(SITE),
            json!({"password": {"id": multibyte, "password": "p"}}),
        ),
        ErrorName::TypeError,
    );
}

#[test]
fn malformed_sequences_over_the_limit_are_type_errors() {
    let h = Harness::new([]);
    let too_many: Vec<String> = (0..=MAX_SEQUENCE_LEN)
        .map(|i| format!("https://idp{i}.example"))
        .collect();
    for member in ["providers", "protocols"] {
        assert_rejects_naming(
            h.get(
                &h.caller(SITE),
                json!({"federated": {member: too_many.clone()}}),
            ),
            ErrorName::TypeError,
            &[&MAX_SEQUENCE_LEN.to_string()],
        );
    }
    let at_limit = &too_many[..MAX_SEQUENCE_LEN];
    assert_eq!(
        h.get(
            &h.caller(SITE),
            json!({"federated": {"providers": at_limit, "protocols": at_limit}})
        )
        .ok(),
        Some(None)
    );
}

#[test]
fn malformed_huge_arrays_elsewhere_never_panic() {
    let big: Vec<Value> = (0..20_000).map(|i| json!(i)).collect();
    let h = Harness::new([]);
    for options in [
        json!({"password": big.clone()}),
        json!({"signal": big.clone()}),
        json!({"password": {"htmlFormElement": {"elements": big.clone()}}}),
        json!({"password": {"htmlFormElement": {"entries": big.clone()}}}),
        Value::Array(big.clone()),
    ] {
        for r in run_all(&options) {
            assert_exception(r, "huge array");
        }
    }
    // A large but valid form: many fields, one of each token that matters.
    let mut elements: Vec<Value> = (0..5_000)
        .map(|i| json!({"name": format!("f{i}"), "autocomplete": "off"}))
        .collect();
    elements.push(json!({"name": "u", "autocomplete": "username"}));
    elements.push(json!({"name": "p", "autocomplete": "current-password"}));
    let mut entries: Vec<Value> = (0..5_000).map(|i| json!([format!("f{i}"), "v"])).collect();
    entries.push(json!(["u", "alice"]));
    entries.push(json!(["p", "pw"]));
    let created = h
        .create(
            &h.caller(SITE),
            json!({"password": {"htmlFormElement": {"elements": elements, "entries": entries}}}),
        )
        .expect("created");
    assert_eq!(created.id(), "alice");
}

#[test]
fn malformed_invalid_urls_are_syntax_errors_or_match_nothing() {
    let h = Harness::new([]);
    for url in [
        "",
        " ",
        "::",
        "http://",
        "https://[::1",
        "javascript",
        "ht tp://x",
        "\u{0}",
    ] {
        // create: provider must be a URL (an empty one is the spec's TypeError).
        let expected = if url.is_empty() {
            ErrorName::TypeError
        } else {
            ErrorName::SyntaxError
        };
        assert_rejects(
            h.create(
                &h.caller(SITE),
                json!({"federated": {"id": "a", "provider": url}}),
            ),
            expected,
        );
        // get: provider filters that are not URLs are compared as given, never an error.
        assert_eq!(
            h.get(&h.caller(SITE), json!({"federated": {"providers": [url]}}))
                .ok(),
            Some(None),
            "{url:?}"
        );
    }
    for icon in ["::", "not a url", "/relative.png"] {
        assert_rejects(
            h.create(
                &h.caller(SITE),
                json!({"password": {"id": "a", "password": "p", "iconURL": icon}}),
            ),
            ErrorName::SyntaxError,
        );
    }
}

#[test]
fn malformed_deeply_nested_junk_never_panics() {
    for depth in [1, 10, 100, 1_000] {
        let junk = nested_junk(depth);
        for options in [
            junk.clone(),
            json!({"password": junk.clone()}),
            json!({"federated": junk.clone()}),
            json!({"mediation": junk.clone()}),
            json!({"uiMode": junk.clone()}),
            json!({"federated": {"providers": [junk.clone()]}}),
            json!({"password": {"id": junk.clone(), "password": junk.clone()}}),
            json!({"password": {"htmlFormElement": junk.clone()}}),
            json!({"type": "password", "id": junk.clone(), "password": "p"}),
        ] {
            for r in run_all(&options) {
                assert_exception(r, &format!("depth {depth}"));
            }
            let _ = CredentialRequestOptions::from_json(&options);
            let _ = CredentialCreationOptions::from_json(&options);
            let _ = credential_from_object(&options, &origin(SITE));
        }
    }
}

#[test]
fn malformed_json_as_parsed_at_the_deepest_level_serde_accepts_never_panics() {
    // Embedders parse the page's JSON with serde_json, which stops at 128 levels.
    let text = format!(
        "{{\"password\":true,\"mediation\":{}\"silent\"{}}}",
        "[".repeat(126),
        "]".repeat(126)
    );
    let options: Value = serde_json::from_str(&text).expect("within serde_json's limit");
    let h = Harness::new([]);
    // ToString of nested one-element arrays is the innermost string, as in JavaScript.
    assert_eq!(h.get(&h.caller(SITE), options).ok(), Some(None));
}

#[test]
fn malformed_opaque_origin_credentials_from_object_never_panic() {
    for value in junk_values() {
        let _ = credential_from_object(&value, &Origin::new_opaque());
        let _ = credential_from_object(
            &json!({"type": "federated", "id": value.clone(), "provider": value.clone()}),
            &Origin::new_opaque(),
        );
    }
}
