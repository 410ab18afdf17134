//! `credwell unlock` and `credwell lock`: an agent that keeps one vault unlocked for a while, so
//! that `get`, `search`, `list`, `show`, `totp`, `add`, `edit`, `rm` and `import` do not ask for
//! the passphrase.
//!
//! The agent is a `credwell` process of its own (started by `unlock`, in a session of its own,
//! not dumpable). It gets the passphrase from `unlock` through a pipe, derives the key and
//! opens the vault itself, and from then on **does the work**: a command sends it the command
//! (its options, a password it read for `add` or `edit`, the file of an `import`) and prints what
//! the agent answers,
//! the same output the command would have printed itself, since the agent runs the same code
//! over its vault ([`crate::backend::Backend`]). The vault key never leaves the agent process:
//! not over the socket, not to disk, not into the environment. What a command is answered
//! with (a password for `get`, a listing) does go over the socket, to the same user.
//!
//! Who can talk to it and where: [`socket`]. The protocol: [`protocol`]. How it serves and when
//! it locks: [`server`].

use std::cell::RefCell;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;

use crate::backend::existing_vault;
use crate::global::Global;
use crate::secrets;

mod protocol;
mod server;
mod socket;

pub(crate) use protocol::{FileBytes, Request, Secret};
use protocol::{MAX_REPLY, Reply};
pub(crate) use server::{ServeArgs, not_dumpable, serve};
use socket::Paths;

/// Options of `credwell unlock`.
#[derive(Debug, Args)]
pub(crate) struct UnlockArgs {
    /// Lock again after this long without use: a number and a unit, `s`, `m` or `h` (`90s`,
    /// `15m`, `2h`; at most 24 hours). Every command the agent serves starts the time again.
    #[arg(long, default_value = "15m", value_parser = parse_timeout, value_name = "TIME")]
    pub(crate) timeout: Duration,
}

/// How long a command waits for the agent's answer (reading a vault of a million records again
/// takes seconds).
const ANSWER_TIME: Duration = Duration::from_secs(120);

/// The longest `--timeout`.
const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// `90s`, `15m`, `2h` (or seconds without a unit).
fn parse_timeout(text: &str) -> Result<Duration, String> {
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => {
            return Err(format!(
                "{text:?} is not a time: give a number and s, m or h"
            ));
        }
    };
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a time: give a number and s, m or h"))?;
    let timeout = Duration::from_secs(number.saturating_mul(seconds));
    if timeout.is_zero() || timeout > MAX_TIMEOUT {
        return Err(format!("{text:?}: the timeout must be from 1s to 24h"));
    }
    Ok(timeout)
}

/// A connection to the running agent of a vault, its socket and peer checked.
#[derive(Debug)]
pub(crate) struct Client {
    paths: Paths,
    /// The connection made to find the agent, for the first request.
    first: RefCell<Option<UnixStream>>,
}

impl Client {
    /// The running agent of the vault at `vault`; `None` when there is none (no socket, or a
    /// stale one). An unsafe directory or socket, or an agent of another user, is an error:
    /// falling back to the passphrase would hide it.
    pub(crate) fn connect(vault: &Path) -> Result<Option<Self>> {
        let paths = Paths::for_vault(vault)?;
        if !paths.check_dir()? || !paths.check_socket()? {
            return Ok(None);
        }
        let Some(stream) = Self::open(&paths)? else {
            return Ok(None);
        };
        Ok(Some(Self {
            paths,
            first: RefCell::new(Some(stream)),
        }))
    }

    /// Connects to the socket and checks who serves it; `None` when nobody listens.
    fn open(paths: &Paths) -> Result<Option<UnixStream>> {
        let stream = match UnixStream::connect(&paths.socket) {
            Ok(stream) => stream,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::NotFound
                ) =>
            {
                return Ok(None);
            }
            Err(e) => {
                return Err(e).with_context(|| {
                    format!("cannot reach the agent at {}", paths.socket.display())
                });
            }
        };
        let peer = socket::peer(&stream).context("cannot ask who serves the agent's socket")?;
        socket::check_peer(peer, socket::own_uid()).with_context(|| {
            format!(
                "refusing the agent at {}: it is not yours",
                paths.socket.display()
            )
        })?;
        Ok(Some(stream))
    }

    /// Sends `request` and reads the reply.
    fn call(&self, request: &Request) -> Result<Reply> {
        self.call_with(request, None)
    }

    /// Sends `request`, then `file` in a frame of its own when given, and reads the reply.
    fn call_with(&self, request: &Request, file: Option<&[u8]>) -> Result<Reply> {
        let first = self.first.borrow_mut().take();
        let mut stream = match first {
            Some(stream) => stream,
            None => Self::open(&self.paths)?.context("the agent has locked the vault")?,
        };
        stream.set_read_timeout(Some(ANSWER_TIME))?;
        let frame = protocol::encode(request)?;
        stream
            .write_all(&frame)
            .context("cannot send the request to the agent")?;
        if let Some(file) = file {
            stream
                .write_all(&protocol::file_prefix(file.len())?)
                .and_then(|()| stream.write_all(file))
                .context("cannot send the file to the agent")?;
        }
        protocol::read(&mut stream, MAX_REPLY).with_context(|| {
            format!(
                "no answer from the agent within {} s (its log: {})",
                ANSWER_TIME.as_secs(),
                self.paths.log.display()
            )
        })
    }

    /// Runs a command in the agent: its output goes to `out`, its warnings to stderr, and its
    /// error is this command's.
    pub(crate) fn run(&self, request: Request, out: &mut impl Write) -> Result<()> {
        self.run_with(&request, None, out)
    }

    /// Runs a command that sends a file (`credwell import`) in the agent, as [`Self::run`].
    pub(crate) fn run_with_file(
        &self,
        request: Request,
        file: &[u8],
        out: &mut impl Write,
    ) -> Result<()> {
        self.run_with(&request, Some(file), out)
    }

    fn run_with(&self, request: &Request, file: Option<&[u8]>, out: &mut impl Write) -> Result<()> {
        match self.call_with(request, file)? {
            Reply::Output { stdout, stderr } => {
                eprint!("{stderr}");
                out.write_all(stdout.expose().as_bytes())?;
                Ok(())
            }
            Reply::Failed { message, stderr } => {
                eprint!("{stderr}");
                Err(anyhow::anyhow!(message))
            }
            other => bail!("the agent answered with {other:?}, not a command's output"),
        }
    }
}

/// `credwell unlock`: starts the vault's agent, or says that it runs.
pub(crate) fn unlock(global: &Global, args: &UnlockArgs, out: &mut impl Write) -> Result<()> {
    let vault = existing_vault(global)?;
    if let Some(client) = Client::connect(&vault)? {
        return print_status(&client, "already unlocked", global.json, out);
    }
    // The agent runs from `/` (it keeps no directory busy), so it gets the vault's whole path.
    let vault = std::fs::canonicalize(&vault)
        .with_context(|| format!("cannot find {}", vault.display()))?;
    let paths = Paths::for_vault(&vault)?;
    let passphrase = secrets::unlock_passphrase()?;
    paths.make_dir()?;
    let log = server::new_log(&paths.log)?;
    let mut child = Command::new(std::env::current_exe().context("cannot find credwell itself")?)
        .arg("--vault")
        .arg(&vault)
        .arg("agent")
        .arg("--timeout-seconds")
        .arg(args.timeout.as_secs().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(log)
        .current_dir("/")
        .spawn()
        .context("cannot start the agent")?;
    let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        bail!("cannot talk to the agent it started");
    };
    stdin.write_all(passphrase.as_bytes())?;
    drop(stdin);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    match line.trim_end().strip_prefix("error: ") {
        _ if line.trim_end() == "ready" => {}
        Some(message) => {
            let _ = child.wait();
            bail!("{message}");
        }
        None => {
            let _ = child.wait();
            bail!(
                "the agent stopped before it was ready; its log: {}",
                paths.log.display()
            );
        }
    }
    let client = Client::connect(&vault)?.context("the agent is not listening")?;
    print_status(&client, "unlocked", global.json, out)
}

/// Prints the agent's status: `what` ("unlocked") and until when.
fn print_status(client: &Client, what: &str, json: bool, out: &mut impl Write) -> Result<()> {
    let Reply::Status {
        vault,
        pid,
        locks_in_seconds,
        timeout_seconds,
    } = client.call(&Request::Status)?
    else {
        bail!("the agent did not answer with its status");
    };
    if json {
        let status = serde_json::json!({
            "vault": vault, "agentPid": pid, "locksInSeconds": locks_in_seconds,
            "timeoutSeconds": timeout_seconds,
        });
        return crate::output::print_json(out, &status);
    }
    writeln!(
        out,
        "{vault} {what} (agent PID {pid}): it locks after {} without use, or with \
         `credwell lock`.",
        minutes(timeout_seconds)
    )?;
    Ok(())
}

/// "15 min", "90 s".
fn minutes(seconds: u64) -> String {
    if seconds.is_multiple_of(60) {
        format!("{} min", seconds / 60)
    } else {
        format!("{seconds} s")
    }
}

/// `credwell lock`: ends the vault's agent, which forgets the key.
pub(crate) fn lock(global: &Global, out: &mut impl Write) -> Result<()> {
    let vault = existing_vault(global)?;
    let Some(client) = Client::connect(&vault)? else {
        writeln!(
            out,
            "{} is not unlocked (no agent runs for it).",
            vault.display()
        )?;
        return Ok(());
    };
    match client.call(&Request::Lock)? {
        Reply::Locked => writeln!(out, "{} locked.", vault.display())?,
        other => bail!("the agent answered the lock with {other:?}"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_take_a_unit_and_stay_within_a_day() {
        assert_eq!(parse_timeout("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_timeout("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_timeout("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_timeout("45"), Ok(Duration::from_secs(45)));
        assert_eq!(parse_timeout("24h"), Ok(MAX_TIMEOUT));
        for bad in [
            "0s",
            "25h",
            "",
            "m",
            "15 m",
            "1d",
            "-5s",
            "99999999999999999999h",
        ] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
        assert_eq!(minutes(900), "15 min");
        assert_eq!(minutes(90), "90 s");
    }
}
