//! What the host's integration tests share (each test binary uses some of it): the extension's
//! end of an in-memory port to a host ([`Port`]) or of a native port to the executable
//! ([`child::Host`]), the vault openers a host unlocks, and the calling frame.

#![allow(dead_code)]

pub(crate) mod child;

use std::path::PathBuf;
use std::time::Duration;

use credwell_core::Password;
use credwell_host::framing::{self, FrameError, Incoming};
use credwell_host::{HostConfig, MemoryVault, UnlockError, VaultOpener, serve};
use credwell_vault::{KdfParams, Vault, VaultError};
use serde_json::{Value, json};
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
            if m["id"] == json!(id) {
                return m;
            }
        }
    }
}

/// The passphrase the openers below accept.
pub(crate) const PASSPHRASE: &str = "correct horse";

/// A top-level document of `origin` in client (tab) `client`, as the extension reports it.
pub(crate) fn caller(origin: &str, client: u64) -> Value {
    json!({"origin": origin, "secureContext": true, "fullyActive": true, "ancestors": [],
           "client": client})
}

/// An in-memory vault that [`PASSPHRASE`] unlocks.
pub(crate) struct MemoryOpener(pub(crate) MemoryVault);

impl VaultOpener for MemoryOpener {
    type Store = MemoryVault;

    fn open(&self, passphrase: &Password) -> Result<MemoryVault, UnlockError> {
        if passphrase.expose() == PASSPHRASE {
            Ok(self.0.clone())
        } else {
            Err(UnlockError::WrongPassphrase)
        }
    }
}

/// A vault file; the first unlock creates it (as the host binary does), with the test-only key
/// derivation.
pub(crate) struct FileOpener(pub(crate) PathBuf);

impl VaultOpener for FileOpener {
    type Store = Vault;

    fn open(&self, passphrase: &Password) -> Result<Vault, UnlockError> {
        let secret = passphrase.expose().as_bytes();
        let opened = if self.0.exists() {
            Vault::open(&self.0, secret)
        } else {
            Vault::create(&self.0, secret, KdfParams::INSECURE_FOR_TESTS)
        };
        opened.map_err(|e| match e {
            VaultError::WrongPassphrase => UnlockError::WrongPassphrase,
            other => UnlockError::Unavailable(other.to_string()),
        })
    }
}
