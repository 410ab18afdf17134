//! The agent process (`credwell agent`, started by `credwell unlock`; hidden from `--help`).
//!
//! It reads the passphrase from its stdin, opens the vault, takes the vault's lock file and
//! binds its socket (0600), then says `ready` (or `error: ...`) on its stdout to `unlock` and
//! serves until it locks: after `--timeout-seconds` without a request (each request starts the
//! time again, as rbw's agent does), on `credwell lock`, on SIGTERM, SIGINT or SIGHUP, when
//! another process changed the vault's key (`credwell vault passwd`), or when another file took
//! the vault's path (a restored backup: the agent would go on serving the old one). Locking
//! drops the vault (its keys are zeroized) and the records it held (their passwords too), and
//! removes the socket. Its stderr is its log: what it did and what it refused, never a secret.
//!
//! Fresh data: every request first reads the vault's write generation (one SQLite read, sealed
//! under the vault key); when another process has written since, the records are read again.
//! Otherwise the decrypted records of the last read serve the request (for 100,000 records,
//! reading them all takes about half a second, a query over them a few milliseconds).
//! Requests are read and answered on one thread, and the vault work is done on one other.

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use credwell_admin::{AdminError, AdminResult, Change, Readable, VaultAdmin};
use credwell_core::sync::lock;
use credwell_core::{Credential, Password, RecordId, StoredCredential, Timestamp};
use credwell_passkey::PasskeyRecord;
use credwell_vault::{Vault, VaultError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::time::Instant;
use zeroize::Zeroizing;

use super::protocol::{self, MAX_REQUEST, Reply, Request, Secret};
use super::socket::{self, Paths};
use crate::backend::{self, Backend};
use crate::entries;
use crate::find::{self, Index};
use crate::global::Global;
use crate::listing;
use crate::transfer;

/// Options of the hidden `credwell agent`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Lock after this many seconds without a request.
    #[arg(long)]
    pub(crate) timeout_seconds: u64,
}

/// How long a connection may take to send its request.
const REQUEST_TIME: Duration = Duration::from_secs(10);

/// A new, owner-only log file at `path` (an old one is emptied).
pub(crate) fn new_log(path: &Path) -> Result<File> {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create the agent's log {}", path.display()))?;
    // An older file keeps its mode through `open`.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    Ok(file)
}

/// `credwell agent`: see the module's documentation.
pub(crate) fn serve(global: &Global, args: &ServeArgs) -> Result<ExitCode> {
    // A session of its own: the terminal's signals and hang-up are not the agent's. Fails only
    // when already a session leader.
    let _ = rustix::process::setsid();
    not_dumpable("the agent");
    let timeout = Duration::from_secs(args.timeout_seconds);
    let mut passphrase = Zeroizing::new(String::new());
    std::io::stdin().read_to_string(&mut passphrase)?;
    let passphrase = passphrase;
    let started = start(global, &passphrase, timeout);
    drop(passphrase);
    let mut stdout = std::io::stdout();
    let (agent, listener, _lock) = match started {
        Ok(started) => started,
        Err(error) => {
            writeln!(stdout, "error: {error:#}")?;
            eprintln!("not started: {error:#}");
            return Ok(ExitCode::FAILURE);
        }
    };
    eprintln!(
        "agent PID {} for {}: unlocked; locks after {} s without use",
        std::process::id(),
        agent.vault.path().display(),
        timeout.as_secs()
    );
    // One thread does the vault work: requests wait for the vault's one connection anyway, and
    // one thread's allocations reuse the memory of the records it read before (each thread has
    // its own malloc arena: records read again on changing threads kept 300 MiB for 100,000
    // credentials, not 90).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(1)
        .build()?;
    let why = runtime.block_on(async {
        let listener = UnixListener::from_std(listener)?;
        writeln!(stdout, "ready")?;
        stdout.flush()?;
        run(agent.clone(), listener).await
    });
    // Whatever happened, the socket goes; the vault and the records go with the last
    // reference (a request still running on a blocking thread holds one until it ends).
    let _ = std::fs::remove_file(&agent.paths.socket);
    drop(agent);
    runtime.shutdown_timeout(Duration::from_secs(5));
    match why {
        Ok(why) => {
            eprintln!("locked: {why}");
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("locked after an error: {error:#}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Makes the process not dumpable: no core dump, and its memory readable only by a process that
/// may trace any (root, `CAP_SYS_PTRACE`). On other systems core dumps are the system's setting.
pub(crate) fn not_dumpable(what: &str) {
    #[cfg(target_os = "linux")]
    if let Err(e) =
        rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
    {
        eprintln!("warning: cannot make {what} not dumpable: {e}");
    }
}

/// Opens the vault, takes its agent lock and binds the socket.
fn start(
    global: &Global,
    passphrase: &Zeroizing<String>,
    timeout: Duration,
) -> Result<(Arc<Agent>, std::os::unix::net::UnixListener, File)> {
    let path = backend::existing_vault(global)?;
    let paths = Paths::for_vault(&path)?;
    paths.make_dir()?;
    let lock_file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&paths.lock)
        .with_context(|| format!("cannot open {}", paths.lock.display()))?;
    if lock_file.try_lock().is_err() {
        bail!("an agent is already running for {}", path.display());
    }
    let vault = backend::unlock_with(&path, passphrase)?;
    // The lock is ours: a socket left there is stale.
    match std::fs::remove_file(&paths.socket) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(e).with_context(|| format!("cannot remove {}", paths.socket.display()));
        }
        _ => {}
    }
    let listener = std::os::unix::net::UnixListener::bind(&paths.socket)
        .with_context(|| format!("cannot listen on {}", paths.socket.display()))?;
    std::fs::set_permissions(&paths.socket, std::fs::Permissions::from_mode(0o600))?;
    listener.set_nonblocking(true)?;
    let file = file_id(vault.path())?;
    let agent = Arc::new(Agent {
        vault,
        file,
        paths,
        index: Mutex::new(None),
        timeout,
        deadline: Mutex::new(Instant::now() + timeout),
        locked: tokio::sync::Notify::new(),
    });
    Ok((agent, listener, lock_file))
}

/// The agent's state.
#[derive(Debug)]
struct Agent {
    vault: Vault,
    /// The vault file's device and inode when it was opened.
    file: (u64, u64),
    paths: Paths,
    /// The records as of a write generation.
    index: Mutex<Option<(u64, Arc<Index>)>>,
    timeout: Duration,
    /// When it locks unless used again.
    deadline: Mutex<Instant>,
    /// Told to lock (`credwell lock`, a changed key).
    locked: tokio::sync::Notify,
}

/// Serves connections until the agent locks; why it locked.
async fn run(agent: Arc<Agent>, listener: UnixListener) -> Result<&'static str> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    loop {
        let deadline = *lock(&agent.deadline);
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = accepted?;
                tokio::spawn(connection(agent.clone(), stream));
            }
            () = tokio::time::sleep_until(deadline) => {
                if *lock(&agent.deadline) <= Instant::now() {
                    return Ok("not used for the timeout");
                }
            }
            () = agent.locked.notified() => return Ok("told to lock"),
            _ = term.recv() => return Ok("SIGTERM"),
            _ = int.recv() => return Ok("SIGINT"),
            _ = hup.recv() => return Ok("SIGHUP"),
        }
    }
}

/// One connection: the peer checked, one request read and answered.
async fn connection(agent: Arc<Agent>, mut stream: UnixStream) {
    // tokio's reading of SO_PEERCRED: a peer whose PID this namespace cannot see has none.
    let peer = match stream.peer_cred() {
        Ok(cred) => socket::Peer {
            uid: cred.uid(),
            pid: cred.pid().unwrap_or(0),
        },
        Err(e) => {
            eprintln!("refused a connection: cannot read its credentials: {e}");
            return;
        }
    };
    if let Err(refused) = socket::check_peer(peer, socket::own_uid()) {
        eprintln!("refused a connection: {refused}");
        return;
    }
    let request = match tokio::time::timeout(REQUEST_TIME, read_request(&mut stream)).await {
        Ok(Ok(request)) => request,
        Ok(Err(e)) => {
            eprintln!("a bad request from PID {}: {e}", peer.pid);
            return;
        }
        Err(_) => {
            eprintln!("PID {} sent no request within {REQUEST_TIME:?}", peer.pid);
            return;
        }
    };
    *lock(&agent.deadline) = Instant::now() + agent.timeout;
    let (reply, then_lock) = match request {
        Request::Status => (
            Reply::Status {
                vault: agent.vault.path().display().to_string(),
                pid: std::process::id(),
                locks_in_seconds: agent.timeout.as_secs(),
                timeout_seconds: agent.timeout.as_secs(),
            },
            false,
        ),
        Request::Lock => (Reply::Locked, true),
        request => {
            let worker = agent.clone();
            match tokio::task::spawn_blocking(move || worker.execute(request)).await {
                Ok(done) => done,
                Err(e) => (
                    Reply::Failed {
                        message: format!("the agent failed: {e}"),
                        stderr: String::new(),
                    },
                    false,
                ),
            }
        }
    };
    match protocol::encode(&reply) {
        Ok(frame) => {
            if let Err(e) = stream.write_all(&frame).await {
                eprintln!("cannot answer PID {}: {e}", peer.pid);
            }
        }
        Err(e) => eprintln!("cannot answer PID {}: {e}", peer.pid),
    }
    // Only once the reply is sent: locking ends the process.
    if then_lock {
        agent.locked.notify_one();
    }
}

/// Reads one request frame.
async fn read_request(stream: &mut UnixStream) -> Result<Request, protocol::FrameError> {
    let mut prefix = [0; 4];
    stream.read_exact(&mut prefix).await?;
    let mut json = Zeroizing::new(vec![0; protocol::length(prefix, MAX_REQUEST)?]);
    stream.read_exact(&mut json).await?;
    let mut request = protocol::decode(&json)?;
    // An import's file follows in a frame of its own, bounded by the most an import reads.
    if let Request::Import { file, .. } = &mut request {
        stream.read_exact(&mut prefix).await?;
        let mut bytes = Zeroizing::new(vec![0; protocol::length(prefix, protocol::MAX_FILE)?]);
        stream.read_exact(&mut bytes).await?;
        file.0 = bytes;
    }
    Ok(request)
}

impl Agent {
    /// Runs a command's request over the vault: its output or its error, and whether the agent
    /// must lock once it has answered (the vault's key changed).
    fn execute(&self, request: Request) -> (Reply, bool) {
        if file_id(self.vault.path()).ok() != Some(self.file) {
            eprintln!("the vault file was replaced or removed; locking");
            let message = format!(
                "{} was replaced since `credwell unlock` (a restored backup, a new vault); the \
                 agent has locked: run `credwell unlock` again",
                self.vault.path().display()
            );
            let stderr = String::new();
            return (Reply::Failed { message, stderr }, true);
        }
        let served = Served {
            agent: self,
            warnings: Mutex::new(String::new()),
        };
        let mut out = Zeroizing::new(Vec::with_capacity(64 * 1024));
        let result = served.execute(request, &mut out);
        let stderr = std::mem::take(&mut *lock(&served.warnings));
        let result = result.and_then(|()| Ok(Secret::from_utf8(std::mem::take(&mut *out))?));
        match result {
            Ok(stdout) => (Reply::Output { stdout, stderr }, false),
            Err(error) => {
                let changed = key_changed(&error);
                if changed {
                    eprintln!("the vault's key was changed by another process; locking");
                }
                let message = format!("{error:#}");
                (Reply::Failed { message, stderr }, changed)
            }
        }
    }
}

/// A file's device and inode: another file renamed to its path has others.
fn file_id(path: &Path) -> std::io::Result<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path)?;
    Ok((meta.dev(), meta.ino()))
}

/// Whether `error` is the vault's key changed by another process: the agent can open nothing
/// more.
fn key_changed(error: &anyhow::Error) -> bool {
    error.chain().any(|e| {
        matches!(e.downcast_ref(), Some(VaultError::KeyChanged))
            || matches!(
                e.downcast_ref(),
                Some(AdminError::Vault(VaultError::KeyChanged))
            )
    })
}

/// The agent's vault as one request sees it: its warnings are kept for the reply.
struct Served<'a> {
    agent: &'a Agent,
    warnings: Mutex<String>,
}

impl Served<'_> {
    fn execute(&self, request: Request, out: &mut Vec<u8>) -> Result<()> {
        match request {
            Request::Get(args) => find::get_in(self, &args, out),
            Request::Totp { query, at, json } => find::totp_in(self, &query, at, json, out),
            Request::Search { args, json, plain } => find::search_in(self, json, plain, &args, out),
            Request::List { args, json, plain } => listing::list_in(self, json, plain, &args, out),
            Request::Show { args, json } => find::show_in(self, json, &args, out),
            Request::Add {
                new,
                print_password,
                json,
            } => entries::add_in(self, json, new.credential()?, print_password, out),
            Request::Editable { id } => entries::editable_with_password(self, &id),
            Request::Edit {
                args,
                password,
                extras,
                json,
            } => {
                let password = password.map(|p| Password::new(p.expose()));
                entries::edit_in(self, json, &args, password, &extras, out)
            }
            Request::Rm { args, json } => entries::rm_in(self, json, &args, out),
            Request::Import { args, json, file } => {
                transfer::import_bytes(self, json, &args, &file.0, out)
            }
            Request::Status | Request::Lock => bail!("not a command"),
        }
    }
}

impl Backend for Served<'_> {
    fn index(&self) -> Result<Arc<Index>> {
        let vault = &self.agent.vault;
        // Read before the records: records read after it are at least as new.
        let generation = vault.generation()?;
        let mut cached = lock(&self.agent.index);
        if let Some((at, index)) = &*cached
            && *at == generation
        {
            return Ok(index.clone());
        }
        // The old records go first: the new ones are read without both in memory at once.
        *cached = None;
        let index = Arc::new(Index::new(vault.readable()?));
        *cached = Some((generation, index.clone()));
        Ok(index)
    }

    fn warn(&self, message: &str) {
        let mut warnings = lock(&self.warnings);
        warnings.push_str("warning: ");
        warnings.push_str(message);
        warnings.push('\n');
    }
}

/// Every operation is the vault's own.
impl VaultAdmin for Served<'_> {
    fn all_credentials(&self) -> AdminResult<Vec<StoredCredential>> {
        self.agent.vault.all_credentials()
    }
    fn credentials_page(
        &self,
        after: RecordId,
        limit: usize,
    ) -> AdminResult<Vec<StoredCredential>> {
        self.agent.vault.credentials_page(after, limit)
    }
    fn credential(&self, record: RecordId) -> AdminResult<Option<StoredCredential>> {
        self.agent.vault.credential(record)
    }
    fn insert_credential(&self, credential: Credential, now: Timestamp) -> AdminResult<RecordId> {
        self.agent.vault.insert_credential(credential, now)
    }
    fn replace_credential(
        &self,
        record: RecordId,
        credential: Credential,
        now: Timestamp,
    ) -> AdminResult<bool> {
        self.agent.vault.replace_credential(record, credential, now)
    }
    fn delete_credential(&self, record: RecordId) -> AdminResult<bool> {
        self.agent.vault.delete_credential(record)
    }
    fn apply_changes(
        &self,
        changes: Vec<Change>,
        now: Timestamp,
        progress: &mut dyn FnMut(),
    ) -> AdminResult<()> {
        self.agent.vault.apply_changes(changes, now, progress)
    }
    fn passkey_records(&self) -> AdminResult<Vec<(RecordId, PasskeyRecord)>> {
        self.agent.vault.passkey_records()
    }
    fn delete_passkey(&self, credential_id: &[u8]) -> AdminResult<bool> {
        self.agent.vault.delete_passkey(credential_id)
    }
    fn delete_passkey_record(&self, record: RecordId) -> AdminResult<bool> {
        self.agent.vault.delete_passkey_record(record)
    }
    fn readable(&self) -> AdminResult<Readable> {
        self.agent.vault.readable()
    }
    fn delete_damaged(&self, record: RecordId) -> AdminResult<bool> {
        self.agent.vault.delete_damaged(record)
    }
}
