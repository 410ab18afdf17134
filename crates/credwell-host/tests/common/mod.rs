//! The extension's end of an in-memory port to a host, shared by the host's integration tests
//! (each test binary uses some of it).

#![allow(dead_code)]

use std::time::Duration;

use credwell_host::framing::{self, FrameError, Incoming};
use credwell_host::{HostConfig, VaultOpener, serve};
use serde_json::Value;
use tokio::io::{AsyncWriteExt, DuplexStream, ReadHalf, WriteHalf};
use tokio::task::JoinHandle;

/// A host serving over an in-memory pipe of `buffer` bytes, as the browser's native port.
pub(crate) struct Port {
    to_host: WriteHalf<DuplexStream>,
    from_host: ReadHalf<DuplexStream>,
}

impl Port {
    /// Starts `serve` with `opener` and `config`; returns the port and the host's task.
    pub(crate) fn start<O: VaultOpener>(
        opener: O,
        config: HostConfig,
        buffer: usize,
    ) -> (Self, JoinHandle<Result<(), FrameError>>) {
        let (browser, host) = tokio::io::duplex(buffer);
        let (host_read, host_write) = tokio::io::split(host);
        let task = tokio::spawn(serve(host_read, host_write, opener, config));
        let (from_host, to_host) = tokio::io::split(browser);
        (Self { to_host, from_host }, task)
    }

    /// Sends one message as a native-messaging frame.
    pub(crate) async fn send(&mut self, message: Value) {
        self.send_raw(message.to_string().as_bytes()).await;
    }

    /// Sends `body` as one frame, whatever it holds.
    pub(crate) async fn send_raw(&mut self, body: &[u8]) {
        self.to_host
            .write_all(&framing::encode(body))
            .await
            .expect("the host's port is open");
    }

    /// The next message from the host (a test fails after 30 s without one).
    pub(crate) async fn recv(&mut self) -> Value {
        let frame = tokio::time::timeout(
            Duration::from_secs(30),
            framing::read_frame(&mut self.from_host),
        )
        .await
        .expect("the host answers")
        .expect("a frame");
        match frame {
            Incoming::Message(body) => serde_json::from_slice(&body).expect("JSON"),
            other => panic!("unexpected {other:?}"),
        }
    }
}

impl Port {
    /// The reply to request `id`, skipping every other message.
    pub(crate) async fn reply_to(&mut self, id: u64) -> Value {
        loop {
            let m = self.recv().await;
            if m["id"] == serde_json::json!(id) {
                return m;
            }
        }
    }
}
