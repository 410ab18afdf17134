//! `credwell-host`: the native-messaging host the browser starts for credwell's extension.
//!
//! The browser launches it with fixed arguments (Chromium: the extension's origin; Firefox: the
//! manifest path and the extension id), so settings come from the environment:
//!
//! - `CREDWELL_VAULT`: the vault file (default: `$XDG_DATA_HOME/credwell/vault.sqlite`); the
//!   first unlock creates it when it does not exist.
//! - `CREDWELL_EPHEMERAL=1`: no file at all; an in-memory vault whose passphrase is set by the
//!   first unlock and which is forgotten when the browser closes the port (throwaway profiles,
//!   tests).
//! - `CREDWELL_STORE_CONSENT=ask|always|never`: whether `store()` asks before saving (default
//!   `ask`).
//! - `CREDWELL_IDLE_LOCK_SECS`: lock after this many seconds without a user action (default
//!   900; 0 disables); page calls do not count (`docs/protocol.md`, "Locking").
//! - `CREDWELL_SYNC_INTERVAL_SECS`: while the vault is unlocked and signed in to a sync server
//!   (`credwell sync login`), sync at least this often (default 60; 0 disables background
//!   sync); a write is pushed at once, and a change from another device is pulled on the
//!   server's live notice.
//! - `CREDWELL_SIGNAL_RELATED_MS`: how long a WebAuthn signal naming an RP ID outside the
//!   caller's site takes to settle, fetch or not (default 3000; test suites shorten it).
//! - `CREDWELL_TEST_UPGRADE_WINDOW_MS`: test suites only: how long after a password sign-in
//!   an automatic passkey upgrade (a conditional `create()`) is allowed, shorter than the 5
//!   minutes users get (a longer value is cut to 5 minutes), so that a suite can see it pass.
//! - `CREDWELL_DANGER_INSECURE_KDF=1`: create new vaults with test-only key-derivation
//!   parameters (test suites only; a build without credwell-vault's `insecure-test-kdf` feature,
//!   such as every release build, refuses to create a vault while it is set).
//! - `CREDWELL_LOG`: a `tracing` filter for the log on stderr (default `warn`). stdout carries
//!   only native-messaging frames.
//!
//! On Linux the host makes itself not dumpable before it reads anything (`PR_SET_DUMPABLE` 0):
//! no core dump holds a password, and other processes of the same user can neither attach to
//! it nor read `/proc/<pid>/mem` (`docs/architecture.md`, "Secrets in memory").

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use credwell_core::{EngineConfig, Password, StoreConsent};
use credwell_host::{HostConfig, MemoryVault, UnlockError, VaultOpener, serve};
use credwell_vault::{KdfParams, Vault, VaultError};

fn main() -> std::process::ExitCode {
    let undumpable = not_dumpable();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CREDWELL_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    match undumpable {
        Ok(()) => tracing::info!("core dumps and same-user memory reads are off for this process"),
        Err(e) => tracing::warn!("cannot turn core dumps off: {e}"),
    }
    let config = match host_config() {
        Ok(c) => c,
        Err(message) => {
            tracing::error!("{message}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // One thread: a request is a chain of short steps (parse, a vault read, a signature), and
    // every hand-off between worker threads costs a futex wake-up that is longer than the step.
    // Slow work (Argon2id at unlock) goes to the blocking pool.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let ephemeral = std::env::var("CREDWELL_EPHEMERAL").is_ok_and(|v| v == "1");
    let result = runtime.block_on(async {
        let (stdin, stdout) = stdio::open();
        if ephemeral {
            serve(stdin, stdout, EphemeralVault::default(), config).await
        } else {
            serve(stdin, stdout, VaultFile { path: vault_path() }, config).await
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Makes the process not dumpable: no core dump, and its memory readable only by a process that
/// may trace any (root, `CAP_SYS_PTRACE`).
#[cfg(target_os = "linux")]
fn not_dumpable() -> std::io::Result<()> {
    use rustix::process::{DumpableBehavior, set_dumpable_behavior};
    set_dumpable_behavior(DumpableBehavior::NotDumpable).map_err(std::io::Error::from)
}

/// Elsewhere core dumps are the system's setting.
#[cfg(not(target_os = "linux"))]
fn not_dumpable() -> std::io::Result<()> {
    Ok(())
}

/// `CREDWELL_VAULT`, else `$XDG_DATA_HOME/credwell/vault.sqlite` (`~/.local/share/...`).
fn vault_path() -> PathBuf {
    if let Some(path) = std::env::var_os("CREDWELL_VAULT") {
        return PathBuf::from(path);
    }
    credwell_vault::default_path().unwrap_or_else(|| PathBuf::from("credwell").join("vault.sqlite"))
}

/// The vault file. The first unlock of a vault that does not exist yet creates it with that
/// passphrase (the extension's unlock page says so).
struct VaultFile {
    path: PathBuf,
}

impl VaultOpener for VaultFile {
    type Store = Vault;

    fn open(&self, passphrase: &Password) -> Result<Vault, UnlockError> {
        let secret = passphrase.expose().as_bytes();
        let opened = if self.path.exists() {
            Vault::open(&self.path, secret)
        } else {
            if let Some(dir) = self.path.parent() {
                credwell_vault::owner_only::create_dir_all(dir)
                    .map_err(|e| UnlockError::Unavailable(format!("{}: {e}", dir.display())))?;
            }
            tracing::info!("creating a new vault at {}", self.path.display());
            // The test-only parameters when `CREDWELL_DANGER_INSECURE_KDF=1`, in test builds only.
            KdfParams::for_new_vault(false).and_then(|kdf| {
                if kdf.is_test_only() {
                    tracing::warn!("the new vault is only as strong as its passphrase (test KDF)");
                }
                Vault::create(&self.path, secret, kdf)
            })
        };
        opened.map_err(|e| match e {
            VaultError::WrongPassphrase => UnlockError::WrongPassphrase,
            other => UnlockError::Unavailable(other.to_string()),
        })
    }

    /// Opens the existing vault only: verifying never creates one.
    fn verify(&self, passphrase: &Password) -> bool {
        self.path.exists() && Vault::open(&self.path, passphrase.expose().as_bytes()).is_ok()
    }
}

fn host_config() -> Result<HostConfig, String> {
    let store_consent = match std::env::var("CREDWELL_STORE_CONSENT").as_deref() {
        Err(_) | Ok("ask") => StoreConsent::Ask,
        Ok("always") => StoreConsent::Always,
        Ok("never") => StoreConsent::Never,
        Ok(other) => {
            return Err(format!(
                "CREDWELL_STORE_CONSENT must be ask, always or never, not {other:?}"
            ));
        }
    };
    let idle_lock = match std::env::var("CREDWELL_IDLE_LOCK_SECS") {
        Err(_) => Some(Duration::from_secs(900)),
        Ok(v) => match v.parse::<u64>() {
            Ok(0) => None,
            Ok(secs) => Some(Duration::from_secs(secs)),
            Err(_) => {
                return Err(format!(
                    "CREDWELL_IDLE_LOCK_SECS must be a number of seconds, not {v:?}"
                ));
            }
        },
    };
    let mut config = HostConfig {
        engine: EngineConfig {
            store_consent,
            ..EngineConfig::default()
        },
        idle_lock,
        ..HostConfig::default()
    };
    if let Ok(v) = std::env::var("CREDWELL_SYNC_INTERVAL_SECS") {
        let secs = v.parse::<u64>().map_err(|_| {
            format!("CREDWELL_SYNC_INTERVAL_SECS must be a number of seconds, not {v:?}")
        })?;
        config.sync_interval = (secs > 0).then(|| Duration::from_secs(secs));
    }
    if let Ok(v) = std::env::var("CREDWELL_SIGNAL_RELATED_MS") {
        let ms = v.parse::<u64>().map_err(|_| {
            format!("CREDWELL_SIGNAL_RELATED_MS must be a number of milliseconds, not {v:?}")
        })?;
        config.signal_related_time = Duration::from_millis(ms);
    }
    if let Ok(v) = std::env::var("CREDWELL_TEST_UPGRADE_WINDOW_MS") {
        let ms = v.parse::<u64>().map_err(|_| {
            format!("CREDWELL_TEST_UPGRADE_WINDOW_MS must be a number of milliseconds, not {v:?}")
        })?;
        config.upgrade_window = Duration::from_millis(ms);
    }
    Ok(config)
}

/// An in-memory vault (credentials and passkeys): the first unlock sets its passphrase.
#[derive(Default)]
struct EphemeralVault {
    store: MemoryVault,
    passphrase: Mutex<Option<Password>>,
}

impl VaultOpener for EphemeralVault {
    type Store = MemoryVault;

    fn verify(&self, passphrase: &Password) -> bool {
        let set = credwell_core::sync::lock(&self.passphrase);
        set.as_ref() == Some(passphrase)
    }

    fn open(&self, passphrase: &Password) -> Result<MemoryVault, UnlockError> {
        let mut set = credwell_core::sync::lock(&self.passphrase);
        match &*set {
            None => {
                *set = Some(passphrase.clone());
                Ok(self.store.clone())
            }
            Some(p) if p == passphrase => Ok(self.store.clone()),
            Some(_) => Err(UnlockError::WrongPassphrase),
        }
    }
}

/// Standard input and output for the async runtime.
///
/// The browser connects the host through pipes (Chromium, Firefox) or socket pairs (Node's
/// `child_process`, used by the test drivers). Those are polled by the runtime directly;
/// `tokio::io::stdin()` would instead hand every read to a blocking-pool thread, which costs
/// two thread wake-ups per message. Anything else (a terminal, a file) falls back to that.
#[cfg(unix)]
mod stdio {
    use std::os::fd::{AsFd, OwnedFd};
    use std::os::unix::fs::FileTypeExt;

    use tokio::io::{AsyncRead, AsyncWrite};

    pub(crate) type Reader = Box<dyn AsyncRead + Unpin + Send>;
    pub(crate) type Writer = Box<dyn AsyncWrite + Unpin + Send>;

    pub(crate) fn open() -> (Reader, Writer) {
        let reader = std::io::stdin()
            .as_fd()
            .try_clone_to_owned()
            .ok()
            .and_then(polled_reader)
            .unwrap_or_else(|| Box::new(tokio::io::stdin()));
        let writer = std::io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .ok()
            .and_then(polled_writer)
            .unwrap_or_else(|| Box::new(tokio::io::stdout()));
        (reader, writer)
    }

    fn polled_reader(fd: OwnedFd) -> Option<Reader> {
        let file = std::fs::File::from(fd);
        let kind = file.metadata().ok()?.file_type();
        if kind.is_fifo() {
            let pipe = tokio::net::unix::pipe::Receiver::from_file(file).ok()?;
            return Some(Box::new(pipe));
        }
        if kind.is_socket() {
            return socket(file.into()).map(|s| Box::new(s) as Reader);
        }
        None
    }

    fn polled_writer(fd: OwnedFd) -> Option<Writer> {
        let file = std::fs::File::from(fd);
        let kind = file.metadata().ok()?.file_type();
        if kind.is_fifo() {
            let pipe = tokio::net::unix::pipe::Sender::from_file(file).ok()?;
            return Some(Box::new(pipe));
        }
        if kind.is_socket() {
            return socket(file.into()).map(|s| Box::new(s) as Writer);
        }
        None
    }

    fn socket(fd: OwnedFd) -> Option<tokio::net::UnixStream> {
        let stream = std::os::unix::net::UnixStream::from(fd);
        stream.set_nonblocking(true).ok()?;
        tokio::net::UnixStream::from_std(stream).ok()
    }
}

/// Elsewhere, tokio's standard input and output (read and written on its blocking pool).
#[cfg(not(unix))]
mod stdio {
    use tokio::io::{AsyncRead, AsyncWrite};

    pub(crate) type Reader = Box<dyn AsyncRead + Unpin + Send>;
    pub(crate) type Writer = Box<dyn AsyncWrite + Unpin + Send>;

    pub(crate) fn open() -> (Reader, Writer) {
        (Box::new(tokio::io::stdin()), Box::new(tokio::io::stdout()))
    }
}
