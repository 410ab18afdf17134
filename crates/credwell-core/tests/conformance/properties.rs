//! Property tests: option parsing never panics, `silent` never asks the user, active credential
//! types are always released, and a credential never leaves its origin unless the embedder
//! opted in and the user picked it, then confirmed it, for another host of the caller's site.

use credwell_core::{
    Asked, Caller, ClientId, Credential, CredentialCreationOptions, CredentialRequestOptions,
    Engine, EngineConfig, ErrorName, FederatedCredential, ManualClock, MemoryStore, Offer, Origin,
    Password, PasswordCredential, Rejection, RequestId, Scripted, ScriptedMediator,
    credential_from_object,
};
use futures::executor::block_on;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use crate::support::*;

/// Member names the engine reads, mixed with junk, so that arbitrary JSON hits real paths.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "password", "federated", "publicKey", "mediation", "uiMode", "signal", "providers",
            "protocols", "id", "provider", "protocol", "name", "iconURL", "origin", "type",
            "htmlFormElement", "elements", "entries", "autocomplete", "challenge", "username",
        ])
        .prop_map(str::to_owned),
        1 => "[a-zA-Z]{0,8}",
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop::sample::select(vec![
            "silent",
            "optional",
            "conditional",
            "required",
            "immediate",
            "password",
            "federated",
            "public-key",
            "https://idp.example",
            "https://idp.example/",
            "https://example.com",
            "username",
            "current-password",
            "new-password",
            "photo",
            "name",
            "",
            "null",
            "openidconnect",
        ])
        .prop_map(|s| Value::String(s.to_owned())),
        "\\PC{0,16}".prop_map(Value::String),
    ]
}

/// Arbitrary JSON, biased towards the shapes of the options dictionaries.
fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

const ORIGINS: [&str; 12] = [
    "https://example.com",
    "https://www.example.com",
    "https://login.example.com",
    "http://example.com",
    "https://a.github.io",
    "https://b.github.io",
    "https://example.org",
    "https://example.com:8443",
    "http://localhost:3000",
    "http://localhost:4000",
    "http://127.0.0.1:3000",
    "http://127.0.0.1:4000",
];

#[derive(Clone, Debug)]
struct StoredSpec {
    origin: usize,
    federated: bool,
    id: u8,
    provider: usize,
    protocol: Option<usize>,
}

const PROVIDERS: [&str; 2] = ["https://idp.example", "https://other-idp.example"];
const PROTOCOLS: [&str; 2] = ["openidconnect", "saml"];

fn stored_spec() -> impl Strategy<Value = StoredSpec> {
    (
        0..ORIGINS.len(),
        any::<bool>(),
        0u8..4,
        0..PROVIDERS.len(),
        prop::option::of(0..PROTOCOLS.len()),
    )
        .prop_map(|(origin, federated, id, provider, protocol)| StoredSpec {
            origin,
            federated,
            id,
            provider,
            protocol,
        })
}

fn credential(spec: &StoredSpec) -> Credential {
    let origin = origin(ORIGINS[spec.origin]);
    let id = format!("user{}", spec.id);
    if spec.federated {
        Credential::Federated(FederatedCredential {
            id,
            provider: PROVIDERS[spec.provider].to_owned(),
            protocol: spec.protocol.map(|p| PROTOCOLS[p].to_owned()),
            name: String::new(),
            icon_url: String::new(),
            origin,
        })
    } else {
        Credential::Password(PasswordCredential {
            id,
            password: Password::new("pw"),
            name: String::new(),
            icon_url: String::new(),
            origin,
        })
    }
}

/// Request options over the password and federated members, with any mediation.
fn request_options(mediation: Option<&'static str>) -> impl Strategy<Value = Value> {
    let mediation = match mediation {
        Some(m) => Just(Some(m)).boxed(),
        None => {
            prop::option::of(prop::sample::select(vec!["silent", "optional", "required"])).boxed()
        }
    };
    (
        any::<bool>(),
        prop::option::of((
            prop::option::of(prop::collection::vec(0..PROVIDERS.len(), 0..3)),
            prop::option::of(prop::collection::vec(0..PROTOCOLS.len(), 0..3)),
        )),
        mediation,
    )
        .prop_map(|(password, federated, mediation)| {
            let mut o = Map::new();
            o.insert("password".into(), json!(password));
            if let Some((providers, protocols)) = federated {
                let mut f = Map::new();
                if let Some(p) = providers {
                    f.insert(
                        "providers".into(),
                        json!(
                            p.iter()
                                .map(|i| format!("{}/", PROVIDERS[*i]))
                                .collect::<Vec<_>>()
                        ),
                    );
                }
                if let Some(p) = protocols {
                    f.insert(
                        "protocols".into(),
                        json!(p.iter().map(|i| PROTOCOLS[*i]).collect::<Vec<_>>()),
                    );
                }
                o.insert("federated".into(), Value::Object(f));
            }
            if let Some(m) = mediation {
                o.insert("mediation".into(), json!(m));
            }
            Value::Object(o)
        })
}

fn engine_over(
    store: &MemoryStore,
    script: impl IntoIterator<Item = Scripted>,
) -> (
    Engine<MemoryStore, ScriptedMediator, ManualClock>,
    ScriptedMediator,
) {
    engine_with(store, script, EngineConfig::default())
}

fn engine_with(
    store: &MemoryStore,
    script: impl IntoIterator<Item = Scripted>,
    config: EngineConfig,
) -> (
    Engine<MemoryStore, ScriptedMediator, ManualClock>,
    ScriptedMediator,
) {
    let mediator = ScriptedMediator::new(script);
    let clock = ManualClock::new(0);
    let engine = Engine::with_config(store.clone(), mediator.clone(), clock, config);
    (engine, mediator)
}

fn fill(store: &MemoryStore, stored: &[StoredSpec], cleared: &[bool]) {
    for spec in stored {
        store.insert(credential(spec), 0);
    }
    for (i, clear) in cleared.iter().enumerate() {
        if *clear {
            let o = origin(ORIGINS[i % ORIGINS.len()]);
            let mut flags = block_on(credwell_core::CredentialStore::origin_flags(store, &o))
                .expect("memory store");
            flags.prevent_silent_access = false;
            block_on(credwell_core::CredentialStore::set_origin_flags(
                store, &o, flags,
            ))
            .expect("memory store");
        }
    }
}

/// Whether `client`'s active credential types are all free: same-origin requests of every type
/// must not be rejected as concurrent.
fn types_are_released(
    engine: &Engine<MemoryStore, ScriptedMediator, ManualClock>,
    client: ClientId,
) -> bool {
    let caller = Caller::new(origin("https://example.com"), client, RequestId(fresh_id()));
    let get = block_on(engine.get(
        &caller,
        &json!({"password": true, "federated": {}, "mediation": "silent"}),
        None,
    ));
    let create = block_on(engine.create(
        &caller,
        &json!({"password": {"id": "a", "password": "p"}}),
        None,
    ));
    let not_allowed =
        |r: Option<Rejection>| r.and_then(|r| r.name()) == Some(ErrorName::NotAllowedError);
    !not_allowed(get.err().map(Rejection::from)) && !not_allowed(create.err().map(Rejection::from))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn properties_option_parsing_never_panics_on_arbitrary_json(value in json_value()) {
        let _ = CredentialRequestOptions::from_json(&value);
        let _ = CredentialCreationOptions::from_json(&value);
        let _ = credential_from_object(&value, &origin("https://example.com"));
        let _ = credential_from_object(&value, &Origin::new_opaque());
    }

    #[test]
    fn properties_engine_calls_never_panic_and_always_release_active_types(
        value in json_value(),
        framed in any::<bool>(),
        fully_active in any::<bool>(),
        choice in prop::option::of(0usize..3),
    ) {
        let store = MemoryStore::new();
        store.insert(credential(&StoredSpec { origin: 0, federated: false, id: 0, provider: 0, protocol: None }), 0);
        store.insert(credential(&StoredSpec { origin: 0, federated: true, id: 1, provider: 0, protocol: Some(0) }), 0);
        let answer = choice.map_or(Scripted::Cancel, Scripted::Choose);
        let (engine, _) = engine_over(&store, [answer, answer, answer]);
        let client = ClientId(fresh_id());
        let mut caller = Caller::new(origin("https://example.com"), client, RequestId(fresh_id()));
        if framed {
            caller = caller.with_ancestors(&[origin("https://evil.example")]);
        }
        caller.fully_active = fully_active;
        // Wrapping in a dictionary member too, so that the value reaches nested converters.
        for options in [value.clone(), json!({"password": true, "federated": value.clone()})] {
            let got = block_on(engine.get(&caller, &options, None));
            if let Err(e) = got {
                prop_assert!(Rejection::from(e).name().is_some());
            }
            let created = block_on(engine.create(&caller, &options, None));
            if let Err(e) = created {
                prop_assert!(Rejection::from(e).name().is_some());
            }
            let stored = block_on(engine.store(&caller, &options));
            if let Err(e) = stored {
                prop_assert!(Rejection::from(e).name().is_some());
            }
            prop_assert!(types_are_released(&engine, client));
        }
    }

    #[test]
    fn properties_silent_never_asks_the_user(
        stored in prop::collection::vec(stored_spec(), 0..8),
        cleared in prop::collection::vec(any::<bool>(), 0..ORIGINS.len()),
        options in request_options(Some("silent")),
        caller_origin in 0..ORIGINS.len(),
        auto_sign_in in any::<bool>(),
    ) {
        let store = MemoryStore::new();
        fill(&store, &stored, &cleared);
        let mediator = ScriptedMediator::new([Scripted::Choose(0)]);
        let config = credwell_core::EngineConfig { auto_sign_in, ..Default::default() };
        let engine = Engine::with_config(store.clone(), mediator.clone(), ManualClock::new(0), config);
        let caller_origin = origin(ORIGINS[caller_origin]);
        let caller = Caller::new(caller_origin.clone(), ClientId(fresh_id()), RequestId(fresh_id()));
        let got = block_on(engine.get(&caller, &options, None));
        let got = match got {
            Ok(got) => got,
            // {password: false} without federated: no relevant type.
            Err(e) => {
                prop_assert_eq!(Rejection::from(e).name(), Some(ErrorName::NotSupportedError));
                None
            }
        };
        prop_assert!(mediator
            .asked()
            .iter()
            .all(|a| matches!(a, Asked::AutoSignIn(_))));
        if let Some(c) = got {
            prop_assert!(c.origin().same_origin(&caller_origin), "silent returns exact-origin only");
            prop_assert!(auto_sign_in);
        }
        prop_assert_eq!(mediator.remaining(), 1);
    }

    #[test]
    fn properties_credentials_leave_their_origin_only_when_opted_in_chosen_and_confirmed(
        stored in prop::collection::vec(stored_spec(), 0..10),
        cleared in prop::collection::vec(any::<bool>(), 0..ORIGINS.len()),
        calls in prop::collection::vec(
            (
                0..ORIGINS.len(),
                request_options(None),
                prop::option::of(0usize..6),
                any::<bool>(),
                any::<bool>(),
            ),
            1..6,
        ),
    ) {
        let store = MemoryStore::new();
        fill(&store, &stored, &cleared);
        for (caller_origin, options, choice, opted_in, confirms) in calls {
            let answer = choice.map_or(Scripted::Cancel, Scripted::Choose);
            // A fresh engine per call, over the same store (and flags): the user's answers.
            let config = EngineConfig { offer_same_site: opted_in, ..EngineConfig::default() };
            let script = [answer, Scripted::ConfirmCrossOrigin(confirms)];
            let (engine, mediator) = engine_with(&store, script, config);
            let b = origin(ORIGINS[caller_origin]);
            let caller = Caller::new(b.clone(), ClientId(fresh_id()), RequestId(fresh_id()));
            let Ok(Some(got)) = block_on(engine.get(&caller, &options, None)) else {
                continue;
            };
            let a = got.origin().clone();
            if a.same_origin(&b) {
                continue;
            }
            // Another origin's credential: the embedder opted in, the user confirmed...
            prop_assert!(opted_in, "another origin's credential without the opt-in");
            prop_assert!(confirms, "another origin's credential without the second confirmation");
            // ...A is another host of B's registrable domain: same scheme, same port, no IP
            // address, no localhost...
            prop_assert!(a.offerable_to(&b), "{} offered to {}", a, b);
            prop_assert_eq!(a.scheme(), b.scheme());
            prop_assert!(!a.to_string().contains("localhost") && !a.to_string().contains("127."));
            // ...and the user picked exactly that account, marked with both origins.
            let chooser = mediator.asked().into_iter().find_map(|q| match q {
                Asked::Chooser(c) => Some(c),
                _ => None,
            });
            prop_assert!(chooser.is_some(), "returned without the chooser");
            let chooser = chooser.expect("checked");
            let index = choice.expect("the user chose");
            let account = &chooser.accounts[index];
            let marked = Offer::CrossOrigin { caller: b.clone(), credential: a.clone() };
            prop_assert_eq!(&account.offer, &marked);
            prop_assert_eq!(&account.origin, &a);
            prop_assert_eq!(account.id.as_str(), got.id());
            prop_assert!(mediator.asked().contains(&Asked::CrossOrigin(account.clone())));
        }
    }
}
