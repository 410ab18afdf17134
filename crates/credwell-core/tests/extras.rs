//! A record's extras (notes, TOTP secret, custom fields, folder, favourite) never reach a page
//! through the Credential Management API, and a page's `store()` never drops them.

use credwell_core::{
    Caller, ClientId, Credential, CredentialStore, CredentialType, CustomField, DatedCredential,
    Engine, Extras, ManualClock, MemoryStore, Origin, Password, PasswordCredential, RequestId,
    SaveDecision, Scripted, ScriptedMediator, SecretText, Timestamp, UpdateDecision,
};
use futures::executor::block_on;
use serde_json::json;

const SITE: &str = "https://example.com";

fn extras() -> Extras {
    Extras {
        notes: SecretText::new("recovery: 1111-2222"),
        totp: SecretText::new("otpauth://totp/x?secret=GEZDGNBVGY3TQOJQ"),
        fields: vec![CustomField {
            name: "PIN".into(),
            value: SecretText::new("4711"),
            hidden: true,
        }],
        folder: "Banking".into(),
        favorite: true,
    }
}

#[test]
fn a_page_gets_id_password_name_and_icon_only_and_its_store_keeps_the_extras() {
    let store = MemoryStore::new();
    let origin = Origin::parse(SITE).unwrap();
    store.insert_dated(DatedCredential {
        credential: Credential::Password(PasswordCredential {
            id: "alice".into(),
            password: Password::new("pencil"),
            name: "Alice".into(),
            icon_url: String::new(),
            origin: origin.clone(),
        }),
        created: Timestamp(1),
        updated: Timestamp(1),
        history: Vec::new(),
        extras: extras(),
    });
    let mediator = ScriptedMediator::new([
        Scripted::Choose(0),
        Scripted::Update(UpdateDecision::Update),
        Scripted::Save(SaveDecision::Save),
    ]);
    let engine = Engine::new(store.clone(), mediator, ManualClock::new(10));
    let caller = |n| Caller::new(origin.clone(), ClientId(n), RequestId(n));

    let got = block_on(engine.get(&caller(1), &json!({"password": true}), None))
        .unwrap()
        .unwrap();
    let page = got.to_page_json();
    let mut keys: Vec<&str> = page
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["iconURL", "id", "name", "password", "type"]);
    let text = page.to_string();
    for extra in ["1111-2222", "GEZDGNBV", "4711", "PIN", "Banking"] {
        assert!(!text.contains(extra), "{text}");
    }

    // The site stores a new password: the record's extras stay.
    block_on(engine.store(
        &caller(2),
        &json!({"type": "password", "id": "alice", "password": "pen", "name": "Alice"}),
    ))
    .unwrap();
    let stored = store.all().remove(0);
    assert!(matches!(&stored.credential, Credential::Password(p) if p.password.expose() == "pen"));
    assert_eq!(stored.extras, extras());
    assert_eq!(stored.history.len(), 1);

    // A new credential the site stores has none.
    block_on(engine.store(
        &caller(3),
        &json!({"type": "password", "id": "bob", "password": "pw"}),
    ))
    .unwrap();
    let list = block_on(store.list_without_asking(&origin, CredentialType::Password))
        .unwrap()
        .unwrap();
    let bob = list.iter().find(|r| r.credential.id() == "bob").unwrap();
    assert!(bob.extras.is_empty());
}
