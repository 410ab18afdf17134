//! `credwell unlock` and `credwell lock` end to end: the agent process, its socket and its
//! error paths. Every test has its own runtime directory (`XDG_RUNTIME_DIR`), so its agent's
//! socket is its own; every agent a test starts is locked (or killed by its PID) before the
//! test ends.

#![allow(clippy::unwrap_used)] // Test helpers: a failure should panic right there.

mod common;

use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{Home, PASSPHRASE, kdbx};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Each test's temporary home (see `common::Home`).
type Env = Home;

impl Env {
    /// A new vault (test key derivation) holding two passwords for github.com.
    fn with_vault() -> Self {
        let env = Self::new();
        env.init();
        env.add_password("https://github.com", "alice", "pw-alice-1");
        env.add_password("https://github.com", "bob", "pw-bob-1");
        env
    }

    /// A command without the passphrase (through the agent) that must succeed; its stdout.
    fn agent_ok(&self, args: &[&str], stdin: &str) -> String {
        let (ok, stdout, stderr) = Self::run(self.bare(), args, stdin);
        assert!(ok, "credwell {args:?} failed: {stderr}{stdout}");
        stdout
    }

    /// A command without the passphrase that must fail; its stderr.
    fn agent_fails(&self, args: &[&str]) -> String {
        let (ok, stdout, stderr) = Self::run(self.bare(), args, "");
        assert!(!ok, "credwell {args:?} succeeded: {stdout}");
        assert!(stderr.starts_with("error: "), "{stderr}");
        stderr
    }

    /// `credwell unlock` with the passphrase file and `extra` options; the agent's PID.
    fn unlock(&self, extra: &[&str]) -> Agent {
        let mut args = vec!["--json", "unlock"];
        args.extend_from_slice(extra);
        let status: Value = serde_json::from_str(&self.ok(&args)).unwrap();
        let pid = status["agentPid"].as_u64().unwrap();
        Agent { pid }
    }

    /// The agent's directory and files, computed as credwell does.
    fn agent_file(&self, ext: &str) -> PathBuf {
        let canonical = std::fs::canonicalize(&self.vault).unwrap();
        let digest = Sha256::digest(canonical.as_os_str().as_encoded_bytes());
        let name: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        self.path("run")
            .join("credwell")
            .join(format!("agent-{name}.{ext}"))
    }

    fn socket(&self) -> PathBuf {
        self.agent_file("sock")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.agent_file("log")).unwrap()
    }
}

/// A running agent: locked (or killed) when dropped.
struct Agent {
    pid: u64,
}

impl Agent {
    fn alive(&self) -> bool {
        // A zombie (exited, not yet reaped by its parent) is not alive.
        std::fs::read_to_string(format!("/proc/{}/stat", self.pid))
            .is_ok_and(|stat| !stat.contains(") Z "))
    }

    fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill")
            .args([signal, &self.pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits until the agent process has ended (its socket removed unless it was killed).
    fn wait_gone(&self) {
        let start = Instant::now();
        while self.alive() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the agent {} is still running",
                self.pid
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        if self.alive() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &self.pid.to_string()])
                .status();
        }
    }
}

#[test]
fn unlock_once_and_every_command_goes_through_the_agent() {
    let env = Env::with_vault();
    // Locked: no passphrase, no terminal, no agent.
    let err = env.agent_fails(&["get", "alice"]);
    assert!(
        err.contains("the vault is locked (no agent: `credwell unlock` starts one)"),
        "{err}"
    );
    let agent = env.unlock(&[]);
    assert!(agent.alive());
    // The socket and its directory are the user's alone.
    let socket = std::fs::metadata(env.socket()).unwrap();
    assert_eq!(socket.mode() & 0o777, 0o600);
    let dir = std::fs::metadata(env.path("run/credwell")).unwrap();
    assert_eq!(dir.mode() & 0o777, 0o700);

    assert_eq!(env.agent_ok(&["get", "github", "bob"], ""), "pw-bob-1\n");
    assert_eq!(env.agent_ok(&["get", "ALICE"], ""), "pw-alice-1\n");
    let err = env.agent_fails(&["get", "github.com"]);
    assert!(err.contains("matches 2 credentials"), "{err}");
    assert!(!err.contains("pw-"), "{err}");
    let found: Value =
        serde_json::from_str(&env.agent_ok(&["--json", "search", "GitHub"], "")).unwrap();
    assert_eq!(found.as_array().unwrap().len(), 2, "{found}");
    // Not a terminal: plain lines, as without the agent.
    let listed = env.agent_ok(&["list"], "");
    assert_eq!(listed.lines().count(), 2, "{listed}");
    assert!(
        listed.starts_with("1\tpassword\thttps://github.com\talice"),
        "{listed}"
    );
    let shown = env.agent_ok(&["show", "bob", "--reveal"], "");
    assert!(shown.contains("Password: pw-bob-1"), "{shown}");

    env.agent_ok(
        &[
            "add",
            "password",
            "--origin",
            "https://bank.example",
            "--username",
            "carol",
            "--password-stdin",
        ],
        "pw-carol-1\n",
    );
    assert_eq!(env.agent_ok(&["get", "bank"], ""), "pw-carol-1\n");
    let generated = env.agent_ok(
        &[
            "--json",
            "add",
            "password",
            "--origin",
            "https://gen.example",
            "--username",
            "dan",
            "--generate",
            "--length",
            "30",
        ],
        "",
    );
    let generated: Value = serde_json::from_str(&generated).unwrap();
    let password = generated["password"].as_str().unwrap();
    assert_eq!(password.len(), 30);
    assert_eq!(env.agent_ok(&["get", "dan"], ""), format!("{password}\n"));
    env.agent_ok(
        &[
            "add",
            "federated",
            "--origin",
            "https://rp.example",
            "--id",
            "erin",
            "--provider",
            "https://idp.example",
        ],
        "",
    );
    let err = env.agent_fails(&[
        "add",
        "federated",
        "--origin",
        "ftp://x",
        "--id",
        "e",
        "--provider",
        "https://idp.example",
    ]);
    assert!(err.contains("--origin"), "{err}");

    env.agent_ok(&["edit", "bob", "--password-stdin"], "pw-bob-2\n");
    assert_eq!(env.agent_ok(&["get", "bob"], ""), "pw-bob-2\n");
    env.agent_ok(&["edit", "alice", "--name", "Alice"], "");
    let alice: Value =
        serde_json::from_str(&env.agent_ok(&["--json", "show", "alice"], "")).unwrap();
    assert_eq!(alice["name"], "Alice");
    // A federated credential has no password: said before a password is read.
    let err = env.agent_fails(&["edit", "erin", "--password-stdin"]);
    assert!(err.contains("federated and has no password"), "{err}");
    env.agent_ok(&["rm", "carol"], "");
    let err = env.agent_fails(&["get", "carol"]);
    assert!(err.contains("no credential matches \"carol\""), "{err}");

    // A second unlock finds the agent and asks for nothing.
    let again = env.agent_ok(&["unlock"], "");
    assert!(
        again.contains("already unlocked") && again.contains("15 min"),
        "{again}"
    );

    // Everything really is in the vault: without the agent, with the passphrase, it is there.
    assert_eq!(
        env.agent_ok(&["lock"], "").trim_end(),
        format!("{} locked.", env.vault.display())
    );
    agent.wait_gone();
    assert!(!env.socket().exists(), "the socket is removed");
    assert_eq!(env.ok(&["get", "bob"]), "pw-bob-2\n");
    let err = env.agent_fails(&["get", "bob"]);
    assert!(err.contains("the vault is locked"), "{err}");
    let log = env.log();
    assert!(log.contains("locked: told to lock"), "{log}");
    for secret in [
        "pw-alice-1",
        "pw-bob-1",
        "pw-bob-2",
        "pw-carol-1",
        password,
        PASSPHRASE,
    ] {
        assert!(!log.contains(secret), "the log holds a secret: {log}");
    }
    // Locking a locked vault says so.
    assert!(env.agent_ok(&["lock"], "").contains("is not unlocked"));
}

#[test]
fn a_wrong_passphrase_starts_no_agent() {
    let env = Env::with_vault();
    std::fs::write(env.path("wrong"), "not the passphrase\n").unwrap();
    let (ok, _, stderr) = Env::run(
        {
            let mut cmd = env.bare();
            cmd.env("CREDWELL_PASSPHRASE_FILE", env.path("wrong"));
            cmd
        },
        &["unlock"],
        "",
    );
    assert!(!ok);
    assert_eq!(
        stderr.trim_end(),
        format!(
            "error: cannot unlock {}: the passphrase is wrong",
            env.vault.display()
        )
    );
    assert!(!env.socket().exists());
    assert!(
        env.agent_fails(&["get", "alice"])
            .contains("the vault is locked")
    );
}

#[test]
fn the_agent_locks_after_its_timeout() {
    let env = Env::with_vault();
    let agent = env.unlock(&["--timeout", "3s"]);
    agent.wait_gone();
    assert!(!env.socket().exists());
    let err = env.agent_fails(&["get", "alice"]);
    assert!(err.contains("the vault is locked"), "{err}");
    assert!(env.log().contains("locked: not used for the timeout"));
    let (ok, _, stderr) = Env::run(env.cmd(), &["unlock", "--timeout", "0s"], "");
    assert!(!ok && stderr.contains("from 1s to 24h"), "{stderr}");
}

#[test]
fn sigterm_locks_and_a_killed_agents_socket_is_stale() {
    let env = Env::with_vault();
    let agent = env.unlock(&[]);
    agent.signal("-TERM");
    agent.wait_gone();
    assert!(!env.socket().exists());
    assert!(env.log().contains("locked: SIGTERM"));

    // Killed outright: its socket stays behind, stale. Commands fall back to the passphrase,
    // and the next unlock replaces the socket.
    let agent = env.unlock(&[]);
    agent.signal("-KILL");
    agent.wait_gone();
    assert!(env.socket().exists());
    assert!(
        env.agent_fails(&["get", "alice"])
            .contains("the vault is locked")
    );
    assert_eq!(env.ok(&["get", "alice"]), "pw-alice-1\n");
    let agent = env.unlock(&[]);
    assert_eq!(env.agent_ok(&["get", "alice"], ""), "pw-alice-1\n");
    env.agent_ok(&["lock"], "");
    agent.wait_gone();
}

#[test]
fn another_process_changing_the_vault_is_seen_and_a_new_key_locks() {
    let env = Env::with_vault();
    let agent = env.unlock(&[]);
    assert_eq!(env.agent_ok(&["get", "alice"], ""), "pw-alice-1\n");
    // Another process writes to the vault (the browser's host would): the agent reads again.
    let mut edit = env.cmd();
    edit.env("XDG_RUNTIME_DIR", env.path("elsewhere"));
    let (ok, _, stderr) = Env::run(edit, &["edit", "alice", "--password-stdin"], "pw-alice-2\n");
    assert!(ok, "{stderr}");
    assert_eq!(env.agent_ok(&["get", "alice"], ""), "pw-alice-2\n");
    env.add_password("https://new.example", "frank", "pw-frank-1");
    assert_eq!(env.agent_ok(&["get", "frank"], ""), "pw-frank-1\n");

    // Another process changes the passphrase and the key: the agent says so and locks.
    std::fs::write(env.path("new"), "a new passphrase entirely\n").unwrap();
    let mut passwd = env.cmd();
    passwd
        .env("XDG_RUNTIME_DIR", env.path("elsewhere"))
        .env("CREDWELL_NEW_PASSPHRASE_FILE", env.path("new"));
    let (ok, _, stderr) = Env::run(passwd, &["vault", "passwd"], "");
    assert!(ok, "{stderr}");
    let err = env.agent_fails(&["get", "alice"]);
    assert!(err.contains("the vault's key was replaced"), "{err}");
    agent.wait_gone();
    assert!(!env.socket().exists());
    assert!(
        env.agent_fails(&["get", "alice"])
            .contains("the vault is locked")
    );
}

#[test]
fn a_vault_file_replaced_under_the_agent_locks_it() {
    let env = Env::with_vault();
    // A consistent copy, as `vault backup` makes it; then the vault moves on.
    let backup = env.path("backup.sqlite");
    env.ok(&["vault", "backup", backup.to_str().unwrap()]);
    env.add_password("https://new.example", "gina", "pw-gina-1");
    let agent = env.unlock(&[]);
    assert_eq!(env.agent_ok(&["get", "gina"], ""), "pw-gina-1\n");
    // The backup is restored over the vault's path (no write is pending in the agent: SQLite
    // would apply one to whatever file then has the path): the agent would serve the old file.
    std::fs::rename(&backup, &env.vault).unwrap();
    let err = env.agent_fails(&["get", "gina"]);
    assert!(
        err.contains("was replaced since `credwell unlock`"),
        "{err}"
    );
    agent.wait_gone();
    let log = env.log();
    assert!(
        log.contains("the vault file was replaced or removed; locking"),
        "{log}"
    );
    // The restored file is what commands see now.
    assert_eq!(env.ok(&["get", "alice"]), "pw-alice-1\n");
    let (ok, _, stderr) = Env::run(env.cmd(), &["get", "gina"], "");
    assert!(!ok && stderr.contains("no credential matches"), "{stderr}");
}

#[test]
fn a_relative_vault_path_names_the_same_agent_which_runs_from_the_root() {
    let env = Env::with_vault();
    let mut unlock = assert_cmd::cargo::cargo_bin_cmd!("credwell");
    unlock
        .env_remove("CREDWELL_VAULT")
        .env("CREDWELL_PASSPHRASE_FILE", env.path("passphrase"))
        .env("XDG_RUNTIME_DIR", env.path("run"))
        .current_dir(env.dir.path())
        .args(["--json", "--vault", "vault.sqlite", "unlock"])
        .timeout(Duration::from_secs(60));
    let out = unlock.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    let agent = Agent {
        pid: status["agentPid"].as_u64().unwrap(),
    };
    // The command line with the absolute path finds it.
    assert_eq!(env.agent_ok(&["get", "alice"], ""), "pw-alice-1\n");
    let cwd = std::fs::read_link(format!("/proc/{}/cwd", agent.pid)).unwrap();
    assert_eq!(cwd, Path::new("/"));
    env.agent_ok(&["lock"], "");
    agent.wait_gone();
}

/// Sends raw bytes to the agent and reads what comes back until it closes (or resets the
/// connection, which it does when it closes before reading everything).
fn raw(socket: &Path, bytes: &[u8]) -> Vec<u8> {
    let mut stream = UnixStream::connect(socket).unwrap();
    let mut back = Vec::new();
    if stream.write_all(bytes).is_ok() {
        let _ = stream.shutdown(std::net::Shutdown::Write);
        let _ = stream.read_to_end(&mut back);
    }
    back
}

fn frame(json: &str) -> Vec<u8> {
    let mut bytes = (json.len() as u32).to_be_bytes().to_vec();
    bytes.extend_from_slice(json.as_bytes());
    bytes
}

#[test]
fn bad_frames_get_no_answer_and_the_agent_keeps_serving() {
    let env = Env::with_vault();
    let agent = env.unlock(&[]);
    let socket = env.socket();
    assert!(raw(&socket, &u32::MAX.to_be_bytes()).is_empty());
    assert!(raw(&socket, &frame("not json")).is_empty());
    assert!(raw(&socket, &frame(r#"{"v": 99, "body": "lock"}"#)).is_empty());
    assert!(
        raw(
            &socket,
            &frame(r#"{"v": 1, "body": {"get": {"query": 5}}}"#)
        )
        .is_empty()
    );
    assert!(raw(&socket, &[0, 0, 0, 9, b'{']).is_empty());
    // An import whose file frame is missing, cut short or too large: no answer, nothing written.
    let import = frame(
        r#"{"v": 1, "body": {"import": {"args": {"format": "chrome-csv", "fileName": "x.csv",
            "onConflict": "newer", "dryRun": false}, "json": false}}}"#,
    );
    assert!(raw(&socket, &import).is_empty());
    let csv = "name,url,username,password,note
X,https://x.example,xavier,pw-x,
";
    let mut cut = import.clone();
    cut.extend_from_slice(&(csv.len() as u32 + 1).to_be_bytes());
    cut.extend_from_slice(csv.as_bytes());
    assert!(raw(&socket, &cut).is_empty());
    let mut huge = import.clone();
    huge.extend_from_slice(&u32::MAX.to_be_bytes());
    assert!(raw(&socket, &huge).is_empty());
    // The same request with its whole file is answered.
    let mut whole = import.clone();
    whole.extend_from_slice(&(csv.len() as u32).to_be_bytes());
    whole.extend_from_slice(csv.as_bytes());
    let back = raw(&socket, &whole);
    let reply: Value = serde_json::from_slice(&back[4..]).unwrap();
    assert!(
        reply["body"]["output"]["stdout"]
            .as_str()
            .unwrap()
            .contains("1 added"),
        "{reply}"
    );
    assert_eq!(env.agent_ok(&["get", "xavier"], ""), "pw-x\n");
    // A well-formed status request is answered.
    let back = raw(&socket, &frame(r#"{"v": 1, "body": "status"}"#));
    let reply: Value = serde_json::from_slice(&back[4..]).unwrap();
    assert_eq!(reply["v"], 1);
    assert_eq!(reply["body"]["status"]["pid"], agent.pid);
    assert!(agent.alive());
    assert_eq!(env.agent_ok(&["get", "alice"], ""), "pw-alice-1\n");
    let log = env.log();
    assert!(log.contains("larger than the 1048576 bytes"), "{log}");
    assert!(log.contains("larger than the 268435456 bytes"), "{log}");
    assert!(log.contains("protocol version 99"), "{log}");
    assert!(log.contains("a malformed frame"), "{log}");
    env.agent_ok(&["lock"], "");
    agent.wait_gone();
}

#[test]
fn an_unsafe_directory_or_socket_is_refused_not_used() {
    let env = Env::with_vault();
    let dir = env.path("run/credwell");
    // A directory others may enter: refused by the command, which does not fall back.
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let err = env.agent_fails(&["get", "alice"]);
    assert!(err.contains("has mode 0755: others may use it"), "{err}");
    let (ok, _, stderr) = Env::run(env.cmd(), &["unlock"], "");
    assert!(!ok && stderr.contains("has mode 0755"), "{stderr}");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();

    // Not a socket where the socket belongs.
    std::fs::write(env.socket(), "").unwrap();
    std::fs::set_permissions(env.socket(), std::fs::Permissions::from_mode(0o600)).unwrap();
    let err = env.agent_fails(&["get", "alice"]);
    assert!(err.contains("is not a socket"), "{err}");
    std::fs::remove_file(env.socket()).unwrap();

    // A socket others may connect to (someone else's listener, say).
    let listener = UnixListener::bind(env.socket()).unwrap();
    std::fs::set_permissions(env.socket(), std::fs::Permissions::from_mode(0o666)).unwrap();
    let err = env.agent_fails(&["get", "alice"]);
    assert!(err.contains("has mode 0666"), "{err}");
    // Another user's socket: only root can make one to try.
    if rustix::process::geteuid().is_root() {
        std::fs::set_permissions(env.socket(), std::fs::Permissions::from_mode(0o600)).unwrap();
        std::os::unix::fs::chown(env.socket(), Some(65534), None).unwrap();
        let err = env.agent_fails(&["get", "alice"]);
        assert!(err.contains("belongs to uid 65534, not to you"), "{err}");
    }
    drop(listener);
}

#[test]
fn a_connection_from_another_user_is_refused_and_logged() {
    // Only root can become another user to try; elsewhere the check itself is tested with a
    // made-up peer (`agent::socket` unit tests).
    if !rustix::process::geteuid().is_root() {
        eprintln!("not root: the real other-user connection is not tried");
        return;
    }
    let env = Env::with_vault();
    let agent = env.unlock(&[]);
    // Let the other user reach the socket, as if its modes had been loosened: the check of the
    // peer's credentials still refuses it.
    let dirs = [
        env.dir.path().to_owned(),
        env.path("run"),
        env.path("run/credwell"),
    ];
    let chmod = |path: &Path, mode| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    for dir in &dirs {
        chmod(dir, 0o711);
    }
    chmod(&env.socket(), 0o666);
    let socket = env.socket();
    let back = std::thread::spawn(move || {
        // This thread alone becomes uid 65534 (nobody).
        rustix::thread::set_thread_uid(rustix::process::Uid::from_raw(65534)).unwrap();
        raw(&socket, &frame(r#"{"v": 1, "body": "status"}"#))
    })
    .join()
    .unwrap();
    assert!(back.is_empty(), "another user got an answer");
    let log = env.log();
    assert!(
        log.contains("refused a connection: a process of uid 65534"),
        "{log}"
    );
    for dir in &dirs {
        chmod(dir, 0o700);
    }
    chmod(&env.socket(), 0o600);
    assert_eq!(env.agent_ok(&["get", "alice"], ""), "pw-alice-1\n");
    env.agent_ok(&["lock"], "");
    agent.wait_gone();
}

/// The uid a process runs as (`self` for this one), from `/proc`.
fn uid_of(pid: &str) -> u32 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn the_agent_is_not_dumpable() {
    use std::os::unix::process::CommandExt;
    let me = uid_of("self");
    // Run as `nobody` when root (root's processes' /proc files are root's anyway), from a copy
    // of the binary and a directory that user may use.
    let user = if me == 0 { 65534 } else { me };
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let bin = dir.path().join("credwell");
    common::copy_executable(env!("CARGO_BIN_EXE_credwell"), &bin);
    let home = dir.path().join("home");
    std::fs::create_dir(&home).unwrap();
    std::fs::write(home.join("passphrase"), PASSPHRASE).unwrap();
    if me == 0 {
        for path in [home.clone(), home.join("passphrase")] {
            std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
        }
    }
    let run = |args: &[&str]| {
        let mut command = std::process::Command::new(&bin);
        if me == 0 {
            command.uid(65534).gid(65534);
        }
        let out = command
            .env_clear()
            .env("HOME", &home)
            .env("XDG_RUNTIME_DIR", home.join("run"))
            .env("CREDWELL_PASSPHRASE_FILE", home.join("passphrase"))
            .arg("--vault")
            .arg(home.join("vault.sqlite"))
            .args(args)
            .current_dir("/")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "credwell {args:?}: {stderr}");
        String::from_utf8(out.stdout).unwrap()
    };
    std::fs::create_dir(home.join("run")).unwrap();
    std::fs::set_permissions(home.join("run"), std::fs::Permissions::from_mode(0o700)).unwrap();
    if me == 0 {
        std::os::unix::fs::chown(home.join("run"), Some(65534), Some(65534)).unwrap();
    }
    run(&["vault", "init", "--danger-insecure-test-kdf"]);
    let status: Value = serde_json::from_str(&run(&["--json", "unlock"])).unwrap();
    let agent = Agent {
        pid: status["agentPid"].as_u64().unwrap(),
    };
    let pid = agent.pid.to_string();
    assert_eq!(uid_of(&pid), user, "the agent runs as {user}");
    let owner = std::fs::metadata(format!("/proc/{pid}/mem")).unwrap().uid();
    assert_eq!(
        owner, 0,
        "the agent's memory belongs to its user ({owner}), who may read it"
    );
    run(&["lock"]);
    agent.wait_gone();
}

#[test]
fn the_agent_serves_notes_totp_codes_folders_and_fields() {
    let env = Env::new();
    env.init();
    // RFC 6238's SHA-1 seed with 8 digits: 94287082 at 59 s.
    let file = env.path("bitwarden.json");
    std::fs::write(
        &file,
        r#"{"encrypted": false, "folders": [{"id": "f", "name": "Finance"}], "items": [
  {"type": 1, "name": "Bank", "notes": "a note", "folderId": "f",
   "fields": [{"name": "Card PIN", "value": "4711", "type": 1}],
   "login": {"uris": [{"uri": "https://bank.example"}], "username": "dave",
             "password": "pw-bank",
             "totp": "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8"}}]}"#,
    )
    .unwrap();
    env.ok(&["import", "bitwarden-json", file.to_str().unwrap()]);
    let _agent = env.unlock(&[]);
    assert_eq!(
        env.agent_ok(&["totp", "bank", "--at", "59"], ""),
        "94287082\n"
    );
    let json: Value =
        serde_json::from_str(&env.agent_ok(&["--json", "totp", "1", "--at", "59"], "")).unwrap();
    assert_eq!(
        (&json["code"], &json["remainingSeconds"]),
        (&json!("94287082"), &json!(1))
    );
    assert_eq!(
        env.agent_ok(
            &["get", "dave", "--field", "totp", "--at", "1111111109"],
            ""
        ),
        "07081804\n"
    );
    assert_eq!(
        env.agent_ok(&["get", "bank", "--field", "note"], ""),
        "a note\n"
    );
    let found: Value =
        serde_json::from_str(&env.agent_ok(&["--json", "search", "card pin"], "")).unwrap();
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    let shown = env.agent_ok(&["show", "finance"], "");
    assert!(shown.contains("Field:    Card PIN: ********"), "{shown}");
    assert!(
        !shown.contains("4711") && !shown.contains("GEZDGNBV"),
        "{shown}"
    );
    let err = env.agent_fails(&["totp", "nothing"]);
    assert!(err.contains("no credential matches"), "{err}");
}

#[test]
fn edit_sets_extras_and_search_finds_unicode_hosts_through_the_agent() {
    let env = Env::with_vault();
    env.add_password("https://xn--bcher-kva.example", "carol", "pw-carol-1");
    let _agent = env.unlock(&[]);
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    let out = env.agent_ok(
        &[
            "edit",
            "alice",
            "--totp-file",
            "-",
            "--note",
            "note-s3cret",
            "--field",
            "PIN=4711",
            "--folder",
            "Work",
            "--favorite",
        ],
        &format!("otpauth://totp/x?secret={secret}&digits=8\n"),
    );
    assert_eq!(out, "Updated credential 1.\n");
    assert_eq!(
        env.agent_ok(&["totp", "alice", "--at", "59"], ""),
        "94287082\n"
    );
    let shown: Value =
        serde_json::from_str(&env.agent_ok(&["--json", "show", "alice", "--reveal"], "")).unwrap();
    assert_eq!(shown["notes"], "note-s3cret", "{shown}");
    assert_eq!(shown["fields"][0]["value"], "4711");
    assert_eq!(
        (&shown["folder"], &shown["favorite"]),
        (&json!("Work"), &json!(true))
    );
    // The agent refuses a bad secret too, and says so without it.
    let (ok, _, err) = Env::run(
        env.bare(),
        &["edit", "alice", "--totp-file", "-"],
        "s3cret*not!base32",
    );
    assert!(
        !ok && err.contains("not base32") && !err.contains("s3cret"),
        "{err}"
    );
    let err = env.agent_fails(&["edit", "alice", "--remove-field", "Nope"]);
    assert!(err.contains("no custom field \"Nope\""), "{err}");
    env.agent_ok(
        &["edit", "alice", "--clear-totp", "--remove-field", "PIN"],
        "",
    );
    let shown: Value =
        serde_json::from_str(&env.agent_ok(&["--json", "show", "alice", "--reveal"], "")).unwrap();
    assert_eq!(
        (&shown["hasTotp"], &shown["fields"]),
        (&json!(false), &json!([]))
    );

    // A Unicode host, spelled either way.
    for query in ["bücher", "xn--bcher-kva"] {
        let found: Value =
            serde_json::from_str(&env.agent_ok(&["--json", "search", query], "")).unwrap();
        assert_eq!(found.as_array().unwrap().len(), 1, "{query}: {found}");
        assert_eq!(env.agent_ok(&["get", query], ""), "pw-carol-1\n");
    }
    // The agent's log holds none of it.
    let log = env.log();
    for secret in [secret, "note-s3cret", "4711", "s3cret*not"] {
        assert!(!log.contains(secret), "the log holds a secret: {log}");
    }
}

#[test]
fn import_goes_through_the_agent_whole_or_not_at_all() {
    let env = Env::with_vault();
    let _agent = env.unlock(&[]);
    let good = env.path("chrome.csv");
    std::fs::write(
        &good,
        "name,url,username,password,note\n\
         Bank,https://bank.example/login,carol,pw-carol-1,a note\n\
         GitHub,https://github.com,alice,pw-alice-2,\n\
         ,ftp://files.example,x,pw-x,\n",
    )
    .unwrap();
    let good = good.to_str().unwrap();
    // A malformed file: the agent reads it whole first, and nothing of it is written.
    let bad = env.path("bad.csv");
    std::fs::write(
        &bad,
        "name,url,username,password,note\n\
         Shop,https://shop.example,dave,pw-dave-1,\n\
         Short,https://short.example,erin\n",
    )
    .unwrap();
    let err = env.agent_fails(&["import", "chrome-csv", bad.to_str().unwrap()]);
    assert!(
        err.contains("bad.csv:3:") && err.contains("nothing was imported"),
        "{err}"
    );
    assert!(!err.contains("pw-dave-1"), "{err}");
    assert!(
        env.agent_fails(&["get", "dave"])
            .contains("no credential matches")
    );
    // A dry run changes nothing and says what it would do.
    let dry: Value = serde_json::from_str(
        &env.agent_ok(&["--json", "import", "chrome-csv", good, "--dry-run"], ""),
    )
    .unwrap();
    assert_eq!(
        (&dry["added"], &dry["dryRun"]),
        (&json!(1), &json!(true)),
        "{dry}"
    );
    assert!(
        env.agent_fails(&["get", "carol"])
            .contains("no credential matches")
    );
    // Without the passphrase (no passphrase file, no terminal): the agent imports it. Its
    // warnings come back on stderr, not into its log.
    let (ok, stdout, stderr) = Env::run(
        env.bare(),
        &[
            "--json",
            "import",
            "chrome-csv",
            good,
            "--on-conflict",
            "theirs",
        ],
        "",
    );
    assert!(ok, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (&report["added"], &report["updated"], &report["skipped"]),
        (&json!(1), &json!(1), &json!(1)),
        "{report}"
    );
    assert!(
        report["file"].as_str().unwrap().ends_with("chrome.csv"),
        "{report}"
    );
    assert!(
        stderr.contains("warning: skipped 1 entry with no web origin"),
        "{stderr}"
    );
    assert_eq!(env.agent_ok(&["get", "carol"], ""), "pw-carol-1\n");
    assert_eq!(
        env.agent_ok(&["get", "github", "alice"], ""),
        "pw-alice-2\n"
    );
    assert_eq!(
        env.agent_ok(&["get", "carol", "--field", "note"], ""),
        "a note\n"
    );
    // From stdin, named as stdin.
    let (ok, stdout, stderr) = Env::run(
        env.bare(),
        &["import", "chrome-csv", "-"],
        "name,url,username,password,note\nMail,https://mail.example,frank,pw-frank-1,\n",
    );
    assert!(
        ok && stdout.contains("stdin") && stdout.contains("1 added"),
        "{stdout}{stderr}"
    );
    assert_eq!(env.agent_ok(&["get", "frank"], ""), "pw-frank-1\n");
    let (ok, _, stderr) = Env::run(
        env.bare(),
        &["import", "chrome-csv", "-"],
        "name,url,username,password,note\nx,https://x.example,u\n",
    );
    assert!(!ok && stderr.contains("stdin:2: "), "{stderr}");
    // A file that is not there is said before anything is sent.
    let err = env.agent_fails(&[
        "import",
        "chrome-csv",
        env.path("nope.csv").to_str().unwrap(),
    ]);
    assert!(err.contains("cannot open"), "{err}");
    // Everything is in the vault itself, and the agent's log holds no password.
    let log = env.log();
    for secret in [
        "pw-carol-1",
        "pw-alice-2",
        "pw-dave-1",
        "pw-frank-1",
        "a note",
    ] {
        assert!(!log.contains(secret), "the log holds a secret: {log}");
    }
    env.agent_ok(&["lock"], "");
    assert_eq!(env.ok(&["get", "frank"]), "pw-frank-1\n");
    assert_eq!(env.ok(&["get", "github", "alice"]), "pw-alice-2\n");
}

#[test]
fn a_kdbx_import_through_the_agent_sends_the_databases_password_with_the_file() {
    let env = Env::with_vault();
    let _agent = env.unlock(&[]);
    let file = env.path("db.kdbx");
    std::fs::write(&file, kdbx::saved(&kdbx::sample(), kdbx::PASSWORD, None)).unwrap();
    let file = file.to_str().unwrap();
    let with_password = |password: &str| {
        let path = env.path("kdbx-password");
        std::fs::write(&path, format!("{password}\n")).unwrap();
        let mut cmd = env.bare();
        cmd.env("CREDWELL_KDBX_PASSWORD_FILE", path);
        cmd
    };
    let (ok, _, stderr) = Env::run(
        with_password("wrong-kdbx-pw"),
        &["import", "kdbx", file],
        "",
    );
    assert!(!ok, "{stderr}");
    assert!(
        stderr.contains("db.kdbx: wrong password or key file for the KeePass database"),
        "{stderr}"
    );
    let (ok, stdout, stderr) =
        Env::run(with_password(kdbx::PASSWORD), &["import", "kdbx", file], "");
    assert!(ok && stdout.contains("2 added"), "{stdout}{stderr}");
    assert!(
        stderr.contains("skipped 1 entry in the recycle bin"),
        "{stderr}"
    );
    assert_eq!(env.agent_ok(&["get", "mail.example"], ""), "pw-kdbx-mail\n");
    let log = env.log();
    for secret in [kdbx::PASSWORD, "wrong-kdbx-pw", "pw-kdbx"] {
        assert!(!log.contains(secret), "the log holds a secret: {log}");
    }
}

/// Whether `needle` occurs in `haystack`.
fn holds(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every regular file under `dir`, at any depth.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            found.extend(files_under(&entry.path()));
        } else if kind.is_file() {
            found.push(entry.path());
        }
    }
    found
}

/// The vault's passphrase, which the agent gets through a pipe, reaches no command line, no
/// environment and no file: the agent's `/proc` command line and environment, and every file
/// under the test's home and runtime directory (the agent's log, the vault and its WAL; the
/// passphrase file the test wrote aside), after unlocking and serving a command.
#[test]
fn the_passphrase_reaches_no_command_line_environment_or_file() {
    let env = Env::with_vault();
    let agent = env.unlock(&[]);
    assert_eq!(
        env.agent_ok(&["get", "github.com", "alice"], "").trim(),
        "pw-alice-1"
    );
    let secret = PASSPHRASE.as_bytes();
    for what in ["cmdline", "environ"] {
        let bytes = std::fs::read(format!("/proc/{}/{what}", agent.pid)).unwrap();
        assert!(!bytes.is_empty() || what == "environ", "no {what} read");
        assert!(
            !holds(&bytes, secret),
            "the agent's {what} holds the passphrase"
        );
    }
    let files = files_under(env.dir.path());
    for searched in [env.vault.clone(), env.agent_file("log")] {
        assert!(
            files.contains(&searched),
            "{searched:?} not among {files:?}"
        );
    }
    for file in files.iter().filter(|f| !f.ends_with("passphrase")) {
        let bytes = std::fs::read(file).unwrap();
        assert!(
            !holds(&bytes, secret),
            "{} holds the passphrase",
            file.display()
        );
    }
    env.ok(&["lock"]);
    agent.wait_gone();
}
