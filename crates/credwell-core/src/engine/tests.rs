//! Data-driven engine tests: every case in `testdata/engine_cases.json` sets up a store, a caller
//! and a scripted user, makes one call, and checks the result, the exception name, and what the
//! user was asked.

use serde_json::{Map, Value};

use crate::*;

const CASES: &str = include_str!("../../testdata/engine_cases.json");

fn s<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn origin_of(v: &Value) -> Origin {
    Origin::parse(s(v, "origin").unwrap_or("https://example.com")).unwrap()
}

fn stored_credential(v: &Value) -> Credential {
    let origin = origin_of(v);
    match s(v, "type") {
        Some("federated") => Credential::Federated(FederatedCredential {
            id: s(v, "id").unwrap().into(),
            provider: normalize_provider(s(v, "provider").unwrap()),
            protocol: s(v, "protocol").map(Into::into),
            name: s(v, "name").unwrap_or("").into(),
            icon_url: String::new(),
            origin,
        }),
        _ => Credential::Password(PasswordCredential {
            id: s(v, "id").unwrap().into(),
            password: Password::new(s(v, "password").unwrap_or("pw")),
            name: s(v, "name").unwrap_or("").into(),
            icon_url: String::new(),
            origin,
        }),
    }
}

fn script(case: &Value) -> Vec<Scripted> {
    let Some(items) = case.get("script").and_then(Value::as_array) else {
        return Vec::new();
    };
    items
        .iter()
        .map(|item| match (item.as_str(), item.get("choose")) {
            (_, None) if item.get("confirm_cross_origin").is_some() => {
                Scripted::ConfirmCrossOrigin(item["confirm_cross_origin"] == true)
            }
            (Some("cancel"), _) => Scripted::Cancel,
            (Some("save"), _) => Scripted::Save(SaveDecision::Save),
            (Some("never"), _) => Scripted::Save(SaveDecision::NeverForThisSite),
            (Some("dismiss"), _) => Scripted::Save(SaveDecision::Dismiss),
            (Some("update"), _) => Scripted::Update(UpdateDecision::Update),
            (Some("keep"), _) => Scripted::Update(UpdateDecision::Dismiss),
            (_, Some(i)) => Scripted::Choose(usize::try_from(i.as_u64().unwrap()).unwrap()),
            _ => panic!("unknown script item {item}"),
        })
        .collect()
}

fn config(case: &Value) -> EngineConfig {
    let mut config = EngineConfig::default();
    if let Some(c) = case.get("config") {
        if let Some(consent) = s(c, "store_consent") {
            config.store_consent = match consent {
                "always" => StoreConsent::Always,
                "never" => StoreConsent::Never,
                _ => StoreConsent::Ask,
            };
        }
        if let Some(b) = c.get("auto_sign_in").and_then(Value::as_bool) {
            config.auto_sign_in = b;
        }
        if let Some(b) = c.get("offer_same_site").and_then(Value::as_bool) {
            config.offer_same_site = b;
        }
    }
    config
}

fn caller(case: &Value) -> Caller {
    let origin = match s(case, "origin") {
        Some("opaque") => Origin::new_opaque(),
        Some(o) => Origin::parse(o).unwrap(),
        None => Origin::parse("https://example.com").unwrap(),
    };
    let ancestors: Vec<Origin> = case
        .get("ancestors")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|o| Origin::parse(o.as_str().unwrap()).unwrap())
                .collect()
        })
        .unwrap_or_default();
    let mut caller = Caller::new(origin, ClientId(1), RequestId(1)).with_ancestors(&ancestors);
    caller.fully_active = case
        .get("fully_active")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    caller.secure_context = case
        .get("secure_context")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    caller
}

fn asked_kinds(mediator: &ScriptedMediator) -> Vec<&'static str> {
    mediator
        .asked()
        .iter()
        .map(|a| match a {
            Asked::Chooser(_) => "chooser",
            Asked::Save(_) => "save",
            Asked::Update(_) => "update",
            Asked::AutoSignIn(_) => "auto-sign-in",
            Asked::CrossOrigin(_) => "cross-origin",
        })
        .collect()
}

/// Runs one case; returns a description of the first mismatch.
fn run(case: &Value) -> Result<(), String> {
    let store = MemoryStore::new();
    for c in case
        .get("stored")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        store.insert(stored_credential(c), 0);
    }
    let empty = Map::new();
    let flags = case
        .get("flags")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for (origin, f) in flags {
        let flags = OriginFlags {
            prevent_silent_access: f
                .get("prevent_silent_access")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            never_save: f
                .get("never_save")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        };
        futures::executor::block_on(store.set_origin_flags(&Origin::parse(origin).unwrap(), flags))
            .unwrap();
    }
    let mediator = ScriptedMediator::new(script(case));
    let engine = Engine::with_config(
        store.clone(),
        mediator.clone(),
        ManualClock::new(0),
        config(case),
    );
    let caller = caller(case);
    let argument = case.get("argument").cloned().unwrap_or(Value::Null);
    let signal = case.get("abort_reason").map(|r| {
        AbortSignal::aborted_with(if r.is_null() {
            AbortReason::Default
        } else {
            AbortReason::Value(r.clone())
        })
    });
    let outcome: Result<Value, Rejection> = futures::executor::block_on(async {
        match s(case, "call").unwrap() {
            "get" => engine
                .get(&caller, &argument, signal.as_ref())
                .await
                .map(|c| c.map_or(Value::Null, |c| c.to_page_json()))
                .map_err(Rejection::from),
            "store" => engine
                .store(&caller, &argument)
                .await
                .map(|()| Value::Null)
                .map_err(Rejection::from),
            "create" => engine
                .create(&caller, &argument, signal.as_ref())
                .await
                .map(|c| c.to_page_json())
                .map_err(Rejection::from),
            "preventSilentAccess" => engine
                .prevent_silent_access(&caller)
                .await
                .map(|()| Value::Null)
                .map_err(Rejection::from),
            other => panic!("unknown call {other}"),
        }
    });
    let expect = &case["expect"];
    match (&outcome, expect.get("error"), expect.get("abortReason")) {
        (Err(r), Some(name), _) => {
            let got = r.name().map(ErrorName::as_str);
            if got != name.as_str() {
                return Err(format!("expected {name}, got {r}"));
            }
            if let Some(fragment) = s(expect, "message_contains")
                && !r.to_string().contains(fragment)
            {
                return Err(format!("message {r:?} lacks {fragment:?}"));
            }
        }
        (Err(Rejection::Aborted(reason)), None, Some(want)) => {
            let got = match reason {
                AbortReason::Default => Value::Null,
                AbortReason::Value(v) => v.clone(),
            };
            if &got != want {
                return Err(format!("expected abort reason {want}, got {got}"));
            }
        }
        (Ok(value), None, None) => {
            let want = expect.get("result").unwrap_or(&Value::Null);
            // Compare only the members the case names.
            match (want, value) {
                (Value::Null, Value::Null) => {}
                (Value::Object(w), Value::Object(g)) => {
                    for (k, v) in w {
                        if g.get(k) != Some(v) {
                            return Err(format!("member {k}: expected {v}, got {:?}", g.get(k)));
                        }
                    }
                }
                _ => return Err(format!("expected {want}, got {value}")),
            }
        }
        _ => return Err(format!("expected {expect}, got {outcome:?}")),
    }
    if let Some(want) = expect.get("asked").and_then(Value::as_array) {
        let want: Vec<&str> = want.iter().filter_map(Value::as_str).collect();
        let got = asked_kinds(&mediator);
        if got != want {
            return Err(format!("user was asked {got:?}, expected {want:?}"));
        }
    }
    if let Some(n) = expect.get("stored_count").and_then(Value::as_u64)
        && store.len() as u64 != n
    {
        return Err(format!("store holds {}, expected {n}", store.len()));
    }
    if let Some(want) = expect.get("prevent_silent_access").and_then(Value::as_bool) {
        let flags = futures::executor::block_on(store.origin_flags(&caller.origin)).unwrap();
        if flags.prevent_silent_access != want {
            return Err(format!(
                "prevent silent access flag is {}, expected {want}",
                flags.prevent_silent_access
            ));
        }
    }
    Ok(())
}

#[test]
fn engine_cases_from_testdata() {
    let cases: Vec<Value> = serde_json::from_str(CASES).unwrap();
    assert!(cases.len() >= 40, "the case file lost cases");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            run(case)
                .err()
                .map(|e| format!("{} [{}]: {e}", case["name"], case["spec"]))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn engine_with(
    stored: &[&str],
    script: impl IntoIterator<Item = Scripted>,
) -> (Engine<MemoryStore, ScriptedMediator, ManualClock>, Origin) {
    let origin = Origin::parse("https://example.com").unwrap();
    let store = MemoryStore::new();
    for id in stored {
        store.insert(
            Credential::Password(PasswordCredential {
                id: (*id).into(),
                password: Password::new("pw"),
                name: String::new(),
                icon_url: String::new(),
                origin: origin.clone(),
            }),
            0,
        );
    }
    let engine = Engine::new(store, ScriptedMediator::new(script), ManualClock::new(0));
    (engine, origin)
}

#[test]
fn abort_while_the_chooser_is_open_rejects_with_the_reason_and_frees_the_type() {
    use futures::FutureExt;
    let (engine, origin) = engine_with(&["alice", "bob"], [Scripted::Hang, Scripted::Choose(0)]);
    let controller = AbortController::new();
    let signal = controller.signal();
    let caller = Caller::new(origin.clone(), ClientId(1), RequestId(1));
    let options = serde_json::json!({"password": true});
    let mut first = Box::pin(engine.get(&caller, &options, Some(&signal)));
    assert!(
        first.as_mut().now_or_never().is_none(),
        "the chooser is open"
    );
    // While it is open, a second password request from the same document is refused...
    let second = Caller::new(origin.clone(), ClientId(1), RequestId(2));
    let err = futures::executor::block_on(engine.get(&second, &options, None)).unwrap_err();
    assert_eq!(err.name(), ErrorName::NotAllowedError);
    // ...but another document may ask.
    let other = Caller::new(origin.clone(), ClientId(2), RequestId(3));
    let got = futures::executor::block_on(engine.get(&other, &options, None)).unwrap();
    assert_eq!(got.unwrap().id(), "alice");
    controller.abort(AbortReason::Value(serde_json::json!("user left")));
    let err = futures::executor::block_on(first).unwrap_err();
    assert_eq!(
        Rejection::from(err),
        Rejection::Aborted(AbortReason::Value(serde_json::json!("user left")))
    );
    // The type was released: the document may ask again.
    engine.mediator().push([Scripted::Cancel]);
    let again = Caller::new(origin, ClientId(1), RequestId(4));
    assert!(
        futures::executor::block_on(engine.get(&again, &options, None))
            .unwrap()
            .is_none()
    );
}

#[test]
fn cancel_by_request_id_closes_the_chooser() {
    use futures::FutureExt;
    let (engine, origin) = engine_with(&["alice"], [Scripted::Hang]);
    let caller = Caller::new(origin, ClientId(1), RequestId(42));
    let options = serde_json::json!({"password": true, "mediation": "required"});
    let mut pending = Box::pin(engine.get(&caller, &options, None));
    assert!(pending.as_mut().now_or_never().is_none());
    assert!(
        !engine.cancel(RequestId(7), AbortReason::Default),
        "no such call"
    );
    assert!(engine.cancel(RequestId(42), AbortReason::Default));
    let err = futures::executor::block_on(pending).unwrap_err();
    assert_eq!(Rejection::from(err).name(), Some(ErrorName::AbortError));
    assert!(
        !engine.cancel(RequestId(42), AbortReason::Default),
        "unregistered once settled"
    );
}

#[test]
fn cancel_while_the_save_prompt_is_open_saves_nothing() {
    use futures::FutureExt;
    let (engine, origin) = engine_with(&[], [Scripted::Hang]);
    let caller = Caller::new(origin, ClientId(1), RequestId(5));
    let credential = serde_json::json!({"type": "password", "id": "alice", "password": "pw"});
    let mut pending = Box::pin(engine.store(&caller, &credential));
    assert!(pending.as_mut().now_or_never().is_none());
    engine.cancel(
        RequestId(5),
        AbortReason::Value(serde_json::json!("tab closed")),
    );
    assert!(futures::executor::block_on(pending).is_err());
    assert!(engine.store_backend().is_empty());
}

#[test]
fn dropping_a_call_releases_its_active_type() {
    use futures::FutureExt;
    let (engine, origin) = engine_with(&["alice", "bob"], [Scripted::Hang]);
    let options = serde_json::json!({"password": true});
    let caller = Caller::new(origin.clone(), ClientId(1), RequestId(1));
    {
        let mut pending = Box::pin(engine.get(&caller, &options, None));
        assert!(pending.as_mut().now_or_never().is_none());
    }
    engine.mediator().push([Scripted::Choose(1)]);
    let got = futures::executor::block_on(engine.get(&caller, &options, None)).unwrap();
    assert_eq!(got.unwrap().id(), "bob");
}
