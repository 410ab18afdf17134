//! Protocol requests of the native-messaging host: `protocol::Request::parse` on a frame body,
//! then the caller description each request carries turned into the engine's `Caller`.
//!
//! Contract: never panics; every refusal is a `ProtocolError` whose reply serializes to JSON
//! naming the request id when the id could be read.
#![no_main]

use credwell_host::protocol::{Method, Request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match Request::parse(data) {
        Ok(request) => {
            let caller = match &request.method {
                Method::Get { caller, .. }
                | Method::Store { caller, .. }
                | Method::Create { caller, .. }
                | Method::PreventSilentAccess { caller, .. }
                | Method::Signal { caller, .. } => Some(caller),
                _ => None,
            };
            if let Some(caller) = caller
                && let Err(e) = caller.to_caller(request.id)
            {
                let reply = e.to_reply().to_json();
                assert!(reply.is_object());
            }
        }
        Err(e) => {
            let reply = e.to_reply().to_json();
            assert!(reply.is_object());
            // The message is JSON the browser can take back.
            assert!(serde_json::to_vec(&reply).is_ok());
        }
    }
});
