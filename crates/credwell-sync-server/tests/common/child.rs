//! The sync server in a process of its own, for the tests that kill it and for the load bench
//! (which includes this file): the crate's test-only binary `sync-server-process`
//! (`src/bin/sync-server-process.rs`), which serves the database it is given, as `credwell sync
//! serve` does, until it is killed.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

/// A running server process, killed (SIGKILL) when dropped.
pub struct ServerProcess {
    child: Child,
    /// Where it listens.
    pub address: SocketAddr,
}

impl ServerProcess {
    /// Starts a server process on `database` and waits until it listens.
    pub fn start(database: &str) -> ServerProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sync-server-process"))
            .arg(database)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let address = loop {
            let line = lines
                .next()
                .expect("the server process ended before it listened")
                .unwrap();
            if let Some((_, address)) = line.split_once("listening on ") {
                break address.trim().parse().unwrap();
            }
        };
        // Whatever else it prints is read and dropped, so that it never blocks on the pipe.
        std::thread::spawn(move || lines.for_each(drop));
        ServerProcess { child, address }
    }

    /// Its process id (to read its memory from `/proc`).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Kills it with SIGKILL (no chance to finish anything) and waits until it is gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
