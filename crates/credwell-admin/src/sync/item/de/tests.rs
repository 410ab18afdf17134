//! The one-pass reader accepts what serde's tagged reader accepted from an object, and refuses
//! the same, naming the field.

#![allow(clippy::unwrap_used)] // A test: a failure panics right there.

use super::super::{Item, ItemExtras, ItemField, Secret, SecretBytes};

fn every_kind() -> Vec<Item> {
    vec![
        Item::Password {
            origin: "https://a.example".into(),
            id: "alice".into(),
            password: Secret::new("pw \"quoted\" ü"),
            name: "A".into(),
            icon: "https://a.example/i.png".into(),
            history: vec![Secret::new("old")],
            extras: Some(ItemExtras {
                notes: Secret::new("note"),
                fields: vec![ItemField {
                    name: "pin".into(),
                    value: Secret::new("1234"),
                    hidden: true,
                }],
                ..ItemExtras::default()
            }),
        },
        Item::Password {
            origin: "https://b.example".into(),
            id: String::new(),
            password: Secret::new("p"),
            name: String::new(),
            icon: String::new(),
            history: Vec::new(),
            extras: None,
        },
        Item::Federated {
            origin: "https://a.example".into(),
            id: "alice".into(),
            provider: "https://idp.example".into(),
            protocol: Some("openidconnect".into()),
            name: String::new(),
            icon: String::new(),
        },
        Item::Federated {
            origin: "https://a.example".into(),
            id: "bob".into(),
            provider: "https://idp.example".into(),
            protocol: None,
            name: String::new(),
            icon: String::new(),
        },
        Item::Passkey {
            rp_id: "a.example".into(),
            credential_id: "AQID".into(),
            payload: serde_json::from_str::<SecretBytes>("\"cHJpdmF0ZQ\"").unwrap(),
        },
        Item::Flags {
            origin: "https://a.example".into(),
            prevent_silent_access: true,
            never_save: false,
        },
    ]
}

fn read(json: &str) -> Result<Item, String> {
    serde_json::from_str(json).map_err(|e| e.to_string())
}

#[test]
fn every_kind_reads_back_whatever_the_order_of_its_fields() {
    for item in every_kind() {
        let json = serde_json::to_value(&item).unwrap();
        assert_eq!(read(&json.to_string()).unwrap(), item, "{json}");
        // The kind last instead of first (serde_json's objects sort their keys: write by hand).
        let object = json.as_object().unwrap();
        let mut fields: Vec<String> = object
            .iter()
            .filter(|(k, _)| *k != "k")
            .map(|(k, v)| format!("{}:{v}", serde_json::to_string(k).unwrap()))
            .collect();
        fields.reverse();
        fields.push(format!("\"k\":{}", object["k"]));
        let reordered = format!("{{{}}}", fields.join(","));
        assert_eq!(read(&reordered).unwrap(), item, "{reordered}");
    }
    // Extras and protocol given as null are none, as when absent.
    let item = read(
        r#"{"k":"password","origin":"o","id":"","password":"p","name":"","icon":"",
            "history":[],"extras":null}"#,
    )
    .unwrap();
    assert!(matches!(item, Item::Password { extras: None, .. }));
    let item = read(
        r#"{"k":"federated","origin":"o","id":"","provider":"p","protocol":null,"name":"",
            "icon":""}"#,
    )
    .unwrap();
    assert!(matches!(item, Item::Federated { protocol: None, .. }));
}

#[test]
fn what_is_not_an_item_is_refused_by_the_field_it_concerns() {
    let flags = r#""origin":"o","prevent_silent_access":true,"never_save":false"#;
    let cases = [
        // No kind, and a kind that does not exist.
        (format!("{{{flags}}}"), "missing field `k`"),
        (
            format!(r#"{{"k":"note",{flags}}}"#),
            "unknown variant `note`",
        ),
        // A field no kind has, and one of another kind.
        (
            format!(r#"{{"k":"flags",{flags},"x":1}}"#),
            "unknown field `x`",
        ),
        (
            format!(r#"{{"k":"flags",{flags},"password":"p"}}"#),
            "unknown field `password`",
        ),
        // A field twice, the kind twice.
        (
            format!(r#"{{"k":"flags",{flags},"never_save":true}}"#),
            "duplicate field `never_save`",
        ),
        (
            format!(r#"{{"k":"flags","k":"flags",{flags}}}"#),
            "duplicate field `k`",
        ),
        // A field the kind needs, absent; a field of the wrong type.
        (
            r#"{"k":"flags","origin":"o","never_save":false}"#.into(),
            "missing field `prevent_silent_access`",
        ),
        (
            r#"{"k":"passkey","rp_id":"a","credential_id":"b"}"#.into(),
            "missing field `payload`",
        ),
        (
            format!(r#"{{"k":"flags",{}}}"#, flags.replace("true", "1")),
            "invalid type",
        ),
        // Not an object at all.
        (r#"["flags","o",true,false]"#.into(), "invalid type"),
        ("null".into(), "invalid type"),
    ];
    for (json, error) in cases {
        let got = read(&json).unwrap_err();
        assert!(got.contains(error), "{json}: {got}");
    }
}
