//! Native-messaging frames: `framing::read_frame` over any byte stream.
//!
//! Contract: never panics; every read ends in a message, a skipped oversized frame, a clean
//! close or `Truncated`, and a message body is exactly the bytes its header announced, so a
//! stream re-encoded with `framing::encode` reads back the same messages.
#![no_main]

use std::sync::OnceLock;

use credwell_host::framing::{self, FrameError, Incoming, MAX_INCOMING};
use libfuzzer_sys::fuzz_target;
use tokio::runtime::Runtime;

fn runtime() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime")
    })
}

/// Reads frames until the stream closes or fails; returns the messages and how it ended.
async fn read_all(mut input: &[u8]) -> (Vec<Vec<u8>>, Result<(), FrameError>) {
    let mut messages = Vec::new();
    loop {
        match framing::read_frame(&mut input).await {
            Ok(Incoming::Message(body)) => {
                assert!(
                    body.len() <= MAX_INCOMING,
                    "a body over the cap was buffered"
                );
                // Copied out of its wiping buffer: fuzz input is no secret.
                messages.push(body.to_vec());
            }
            Ok(Incoming::TooLarge(n)) => {
                assert!(n > MAX_INCOMING as u64, "a frame under the cap was skipped");
            }
            Ok(Incoming::Closed) => return (messages, Ok(())),
            Err(e) => return (messages, Err(e)),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let rt = runtime();
    let (messages, end) = rt.block_on(read_all(data));
    if let Err(e) = &end {
        assert!(
            matches!(e, FrameError::Truncated),
            "reading a slice failed with {e}"
        );
    }
    // Round trip: the messages read, framed again, read back identically and end cleanly.
    let again: Vec<u8> = messages.iter().flat_map(|m| framing::encode(m)).collect();
    let (reread, end) = rt.block_on(read_all(&again));
    assert!(end.is_ok(), "re-encoded frames did not read back cleanly");
    assert_eq!(reread, messages);
});
