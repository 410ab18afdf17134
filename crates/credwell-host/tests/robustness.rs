//! Hostile input never panics the host's parsers: arbitrary bytes as a message, arbitrary JSON
//! as a request, arbitrary byte streams as frames.

use credwell_host::framing::{self, Incoming};
use credwell_host::protocol::Request;
use proptest::prelude::*;
use serde_json::{Map, Value};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,40}".prop_map(Value::String),
        prop_oneof![
            Just("credentials.get"),
            Just("credentials.store"),
            Just("credentials.create"),
            Just("cancel"),
            Just("ui.respond"),
            Just("vault.unlock"),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("id".to_owned()),
                        Just("method".to_owned()),
                        Just("params".to_owned()),
                        Just("caller".to_owned()),
                        Just("origin".to_owned()),
                        Just("signal".to_owned()),
                        "[a-z]{1,8}"
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_the_request_parser(body in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = Request::parse(&body);
    }

    #[test]
    fn arbitrary_json_gets_a_request_or_a_protocol_error(value in json_value()) {
        match Request::parse(value.to_string().as_bytes()) {
            Ok(request) => prop_assert_eq!(Some(request.id), value["id"].as_u64()),
            Err(e) => {
                let reply = e.to_reply().to_json();
                prop_assert_eq!(&reply["error"]["name"], "ProtocolError");
            }
        }
    }

    #[test]
    fn arbitrary_streams_never_panic_the_frame_reader(stream in prop::collection::vec(any::<u8>(), 0..512)) {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let mut input: &[u8] = &stream;
        rt.block_on(async {
            for _ in 0..64 {
                match framing::read_frame(&mut input).await {
                    Ok(Incoming::Closed) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        });
    }
}
