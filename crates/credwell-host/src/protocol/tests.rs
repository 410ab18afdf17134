//! Request parsing: every method, every malformed shape, and no secret in `Debug`.

use credwell_core::{
    AbortReason, MAX_DOCUMENT_BYTES, RequestId, WellKnownFetchError, WellKnownResponse,
};
use serde_json::{Value, json};

use super::{Method, ProtocolError, Request};

fn parse(v: Value) -> Result<Request, ProtocolError> {
    Request::parse(v.to_string().as_bytes())
}

fn caller() -> Value {
    json!({"origin": "https://example.com", "secureContext": true, "fullyActive": true,
           "client": 3})
}

#[test]
fn parses_a_get_request() {
    let r = parse(json!({"id": 7, "method": "credentials.get", "params": {
        "caller": caller(), "options": {"password": true},
        "signal": {"aborted": true, "reason": "x"}}}))
    .unwrap();
    assert_eq!(r.id, 7);
    let Method::Get {
        caller,
        options,
        aborted,
    } = r.method
    else {
        panic!("not a get");
    };
    assert_eq!(caller.client, 3);
    assert_eq!(options, json!({"password": true}));
    assert_eq!(aborted, Some(AbortReason::Value(json!("x"))));
}

#[test]
fn malformed_messages_get_precise_codes() {
    assert_eq!(Request::parse(b"{").unwrap_err().code, "malformed-json");
    assert_eq!(parse(json!([1])).unwrap_err().code, "not-an-object");
    assert_eq!(
        parse(json!({"method": "vault.status"})).unwrap_err().code,
        "bad-id"
    );
    assert_eq!(
        parse(json!({"id": -1, "method": "vault.status"}))
            .unwrap_err()
            .code,
        "bad-id"
    );
    let e = parse(json!({"id": 1, "method": "rm -rf"})).unwrap_err();
    assert_eq!((e.id, e.code), (Some(1), "unknown-method"));
    let e =
        parse(json!({"id": 2, "method": "credentials.get", "params": {"caller": {"origin": 5}}}))
            .unwrap_err();
    assert_eq!((e.id, e.code), (Some(2), "bad-params"));
    let e = parse(json!({"id": 3, "method": "credentials.get", "params": []})).unwrap_err();
    assert_eq!(e.code, "bad-params");
    let e = parse(json!({"id": 4, "method": "credentials.get",
        "params": {"caller": caller(), "signal": {"aborted": "yes"}}}))
    .unwrap_err();
    assert_eq!(e.code, "bad-params");
}

#[test]
fn well_known_results_and_hello_parse() {
    let r = parse(json!({"id": 1, "method": "hello", "params": {"protocol": 1}})).unwrap();
    assert!(matches!(
        r.method,
        Method::Hello {
            protocol: 1,
            related_origins: false
        }
    ));
    let r = parse(json!({"id": 1, "method": "hello",
        "params": {"protocol": 1, "relatedOrigins": true}}))
    .unwrap();
    assert!(matches!(
        r.method,
        Method::Hello {
            related_origins: true,
            ..
        }
    ));
    let e = parse(json!({"id": 1, "method": "hello",
        "params": {"protocol": 1, "relatedOrigins": "yes"}}))
    .unwrap_err();
    assert_eq!(e.code, "bad-params");

    // credentials.store: `typedForm` says a form the user typed into; a page's by default.
    let store = |extra: Value| {
        let mut params = json!({"caller": caller(), "credential": {"type": "password"}});
        if let Value::Object(more) = extra {
            params.as_object_mut().unwrap().extend(more);
        }
        parse(json!({"id": 3, "method": "credentials.store", "params": params}))
    };
    for (extra, source) in [
        (json!({}), credwell_core::StoreSource::Page),
        (
            json!({"typedForm": false}),
            credwell_core::StoreSource::Page,
        ),
        (
            json!({"typedForm": true}),
            credwell_core::StoreSource::TypedForm,
        ),
    ] {
        let r = store(extra).unwrap();
        assert!(matches!(r.method, Method::Store { source: s, .. } if s == source));
    }
    let e = store(json!({"typedForm": "yes"})).unwrap_err();
    assert_eq!(e.code, "bad-params");
    assert!(e.message.contains("typedForm"), "{}", e.message);

    let result = |params: Value| match parse(
        json!({"id": 2, "method": "wellKnown.result", "params": params}),
    ) {
        Ok(Request {
            method: Method::WellKnownResult { fetch, result },
            ..
        }) => {
            assert_eq!(fetch, 4);
            Ok(result)
        }
        Ok(other) => panic!("{other:?}"),
        Err(e) => Err(e.code),
    };
    assert_eq!(
        result(
            json!({"fetch": 4, "status": 200, "contentType": "application/json",
            "url": "https://shopping.com/.well-known/webauthn", "body": "{}"})
        ),
        Ok(Ok(
            WellKnownResponse::json("{}").with_url("https://shopping.com/.well-known/webauthn")
        ))
    );
    assert_eq!(
        result(json!({"fetch": 4, "status": 404, "body": ""})),
        Ok(Ok(WellKnownResponse::new(404, None, "")))
    );
    assert_eq!(
        result(json!({"fetch": 4, "error": "too-large"})),
        Ok(Err(WellKnownFetchError::TooLarge))
    );
    assert_eq!(
        result(json!({"fetch": 4, "error": "timeout"})),
        Ok(Err(WellKnownFetchError::TimedOut))
    );
    assert_eq!(
        result(json!({"fetch": 4, "error": "network", "message": "TypeError: Failed to fetch"})),
        Ok(Err(WellKnownFetchError::Failed(
            "TypeError: Failed to fetch".into()
        )))
    );
    let big = "x".repeat(MAX_DOCUMENT_BYTES + 1);
    assert_eq!(
        result(json!({"fetch": 4, "status": 200, "contentType": "application/json", "body": big})),
        Ok(Err(WellKnownFetchError::TooLarge))
    );
    for bad in [
        json!({"status": 200, "body": "{}"}),
        json!({"fetch": 4, "body": "{}"}),
        json!({"fetch": 4, "status": 70000, "body": "{}"}),
        json!({"fetch": 4, "status": 200}),
        json!({"fetch": 4, "status": 200, "body": 5}),
        json!({"fetch": 4, "status": 200, "body": "{}", "contentType": 5}),
        json!({"fetch": 4, "error": true}),
    ] {
        assert_eq!(result(bad.clone()), Err("bad-params"), "{bad}");
    }
}

#[test]
fn caller_ancestry_comes_from_the_reported_frame_tree() {
    let mut c = caller();
    c["ancestors"] = json!(["https://top.example"]);
    let r = parse(
        json!({"id": 1, "method": "credentials.preventSilentAccess", "params": {"caller": c}}),
    )
    .unwrap();
    let Method::PreventSilentAccess { caller } = r.method else {
        panic!();
    };
    let caller = caller.to_caller(1).unwrap();
    assert!(!caller.same_origin_with_ancestors);
    assert_eq!(caller.request, RequestId(1));
}

#[test]
fn passphrases_are_not_in_debug_output() {
    let r = parse(json!({"id": 1, "method": "vault.unlock", "params": {"passphrase": "hunter2"}}))
        .unwrap();
    assert!(matches!(r.method, Method::Unlock { .. }));
    assert!(!format!("{r:?}").contains("hunter2"));
    let r = parse(json!({"id": 2, "method": "ui.respond",
        "params": {"ui": 7, "answer": {"passphrase": "hunter2"}}}))
    .unwrap();
    assert!(!format!("{r:?}").contains("hunter2"));
    let Method::UiRespond {
        ui,
        answer,
        passphrase,
    } = r.method
    else {
        panic!();
    };
    assert_eq!((ui, answer), (7, json!({})));
    assert_eq!(passphrase.unwrap().expose(), "hunter2");
    let e = parse(json!({"id": 3, "method": "ui.respond",
        "params": {"ui": 7, "answer": {"passphrase": 5}}}))
    .unwrap_err();
    assert_eq!(e.code, "bad-params");
}
