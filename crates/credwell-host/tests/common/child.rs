//! The browser's end of a native port to the `credwell-host` executable: a child process that
//! reads and writes native-messaging frames on its standard input and output.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{Value, json};

/// A running `credwell-host`.
pub(crate) struct Host {
    child: Child,
    stdin: ChildStdin,
    stdout: ChildStdout,
}

impl Host {
    /// Starts `command` (a `credwell-host` executable) as a browser does, for a Chromium
    /// extension, with the test-only key derivation and no log.
    pub(crate) fn start(command: &mut Command) -> Self {
        let mut child = command
            .arg("chrome-extension://abcdefghijklmnopabcdefghijklmnop/")
            .env("CREDWELL_DANGER_INSECURE_KDF", "1")
            .env("CREDWELL_LOG", "off")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        Self {
            child,
            stdin,
            stdout,
        }
    }

    /// Starts this build's `credwell-host` over the vault file `vault`.
    pub(crate) fn with_vault(vault: &Path) -> Self {
        Self::start(
            Command::new(env!("CARGO_BIN_EXE_credwell-host"))
                .env("CREDWELL_VAULT", vault)
                .env_remove("CREDWELL_EPHEMERAL"),
        )
    }

    /// Sends one message as a frame.
    pub(crate) fn send(&mut self, message: Value) {
        let body = message.to_string();
        self.stdin
            .write_all(&u32::try_from(body.len()).unwrap().to_ne_bytes())
            .unwrap();
        self.stdin.write_all(body.as_bytes()).unwrap();
        self.stdin.flush().unwrap();
    }

    /// The next message from the host.
    pub(crate) fn recv(&mut self) -> Value {
        let mut len = [0u8; 4];
        self.stdout.read_exact(&mut len).unwrap();
        let mut body = vec![0u8; u32::from_ne_bytes(len) as usize];
        self.stdout.read_exact(&mut body).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    /// The reply to request `id`, skipping every other message.
    pub(crate) fn reply(&mut self, id: u64) -> Value {
        loop {
            let m = self.recv();
            if m["id"] == json!(id) {
                return m;
            }
        }
    }

    /// Sends a request and returns its reply; a prompt on the way is answered "save".
    pub(crate) fn call(&mut self, id: u64, method: &str, params: Value) -> Value {
        self.send(json!({"id": id, "method": method, "params": params}));
        loop {
            let message = self.recv();
            if message["id"] == json!(id) {
                return message;
            }
            if message["event"] == "ui.show" {
                let answer = json!({"ui": message["ui"], "answer": {"save": "save"}});
                self.send(json!({"id": id + 1000, "method": "ui.respond", "params": answer}));
            }
        }
    }

    /// The host's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Closes the port and waits for the host, which must exit cleanly.
    pub(crate) fn stop(mut self) {
        drop(self.stdin);
        assert!(
            self.child.wait().unwrap().success(),
            "the host exits cleanly when the port closes"
        );
    }
}
