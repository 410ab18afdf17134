//! `credwell sync` end to end: a real server process (`credwell sync serve`, on SQLite and on
//! the throwaway PostgreSQL), three vaults signed in (with the sync passphrase, and through a
//! join file), a credential synced, devices listed and revoked, status and logout; no output
//! holds a password, the sync passphrase, a token or a key. Over HTTPS with a private CA, and
//! a server beyond loopback refused without a certificate.

#![allow(clippy::unwrap_used)] // A test: a failure panics right there.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};

use assert_cmd::Command;
use serde_json::Value;

use common::Home;

mod common;

const PASSWORD: &str = "sync-canary-s3cret";
const SYNC_PASSPHRASE: &str = "sync-passphrase-canary";

/// A running `credwell sync serve`, stopped when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(database: &str) -> Server {
    serve_with(database, &[])
}

/// `credwell sync serve` on loopback with `extra` options (TLS).
fn serve_with(database: &str, extra: &[&str]) -> Server {
    let mut child = Process::new(env!("CARGO_BIN_EXE_credwell"))
        .args([
            "sync",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            database,
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://") || w.starts_with("https://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    Server { child, url }
}

/// A vault in a test home of its own (`common::Home`), with a sync passphrase file beside the
/// vault's.
struct Device {
    home: Home,
}

impl Device {
    fn new() -> Self {
        let home = Home::new();
        let sync = format!("{SYNC_PASSPHRASE}\n");
        std::fs::write(home.path("sync-passphrase"), sync).unwrap();
        home.init();
        Self { home }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.home.path(name)
    }

    fn cmd(&self, args: &[&str]) -> std::process::Output {
        self.command(args).output().unwrap()
    }

    /// `credwell ARGS` on this vault, its passphrases from files, not yet run.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = self.home.cmd();
        command
            .env(
                "CREDWELL_SYNC_PASSPHRASE_FILE",
                self.path("sync-passphrase"),
            )
            .env("CREDWELL_DANGER_INSECURE_KDF", "1")
            .args(args);
        command
    }

    /// Runs a command that must succeed; its stdout. No output may hold a secret.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd(args);
        let (stdout, stderr) = texts(&out);
        assert!(out.status.success(), "credwell {args:?}: {stderr}{stdout}");
        stdout
    }

    fn fails(&self, args: &[&str]) -> String {
        let out = self.cmd(args);
        let (stdout, stderr) = texts(&out);
        assert!(
            !out.status.success(),
            "credwell {args:?} succeeded: {stdout}"
        );
        stderr
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.ok(&all)).unwrap()
    }

    /// Adds the login `username` at `origin` with `password`.
    fn add(&self, origin: &str, username: &str, password: &str) {
        self.home.add_password(origin, username, password);
    }
}

/// A finished command's stdout and stderr, neither of which may hold a password, the sync
/// passphrase or a device token.
fn texts(out: &std::process::Output) -> (String, String) {
    let (stdout, stderr) = common::texts(out);
    for text in [&stdout, &stderr] {
        assert!(!text.contains(PASSWORD), "a password in the output: {text}");
        assert!(
            !text.contains(SYNC_PASSPHRASE),
            "the passphrase in the output: {text}"
        );
        assert!(
            !text.contains("cw1."),
            "a device token in the output: {text}"
        );
    }
    (stdout, stderr)
}

fn postgres_url() -> String {
    std::env::var("CREDWELL_TEST_POSTGRES").unwrap_or_else(|_| {
        panic!(
            "CREDWELL_TEST_POSTGRES is not set: run the sync tests through \
             scripts/with-postgres.sh, e.g. `scripts/with-postgres.sh cargo test -p credwell \
             --test sync`"
        )
    })
}

fn scenario(server: &Server, join_dir: &Path) {
    let (a, b, c) = (Device::new(), Device::new(), Device::new());
    let url = server.url.as_str();
    assert_eq!(a.json(&["sync", "status"])["signedIn"], false);
    // Ids may start with a hyphen: they are still ids, not options.
    let hyphen = "-AAAAAAAAAAAAAAAAAAAAA";
    let out = a.fails(&["sync", "revoke", hyphen]);
    assert!(out.contains("not signed in"), "{out}");
    let unknown = a.fails(&["sync", "login", "--server", url, "--account", hyphen]);
    assert!(
        unknown.contains("wrong passphrase for this sync account"),
        "an unknown account is refused like a wrong passphrase: {unknown}"
    );
    let first = a.ok(&["sync", "login", "--server", url, "--device-name", "laptop"]);
    assert!(first.contains("--account"), "{first}");
    let account = a.json(&["sync", "status"])["account"]
        .as_str()
        .unwrap()
        .to_owned();
    let again = a.fails(&["sync", "login", "--server", url]);
    assert!(again.contains("already signed in"), "{again}");
    a.add("https://sync.example", "alice", PASSWORD);
    let pushed = a.json(&["sync", "now"]);
    assert_eq!(pushed["pushed"], 1);
    // A second device joins through a join file.
    let file = join_dir.join("join.json");
    let file_arg = file.to_str().unwrap();
    a.ok(&[
        "sync",
        "invite",
        "--device-name",
        "phone",
        "--out",
        file_arg,
    ]);
    let wrong = b.fails(&[
        "sync",
        "login",
        "--server",
        "http://127.0.0.1:9",
        "--join",
        file_arg,
    ]);
    assert!(wrong.contains("joins the account on"), "{wrong}");
    let joined = b.json(&["sync", "login", "--server", url, "--join", file_arg]);
    assert_eq!(joined["received"], 1);
    assert!(!file.exists(), "the join file is deleted once read");
    // A join file on stdin (`--join -`): joined the same, nothing to delete.
    a.ok(&[
        "sync",
        "invite",
        "--device-name",
        "tablet",
        "--out",
        file_arg,
    ]);
    let tablet = Device::new();
    let out = tablet
        .command(&["--json", "sync", "login", "--server", url, "--join", "-"])
        .write_stdin(std::fs::read(&file).unwrap())
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    let joined: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(joined["received"], 1, "{joined}");
    assert!(file.exists() && !tablet.path("-").exists());
    std::fs::remove_file(&file).unwrap();
    let listed = b.json(&["list"]);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["id"], "alice", "{listed}");
    let status = b.json(&["sync", "status"]);
    assert_eq!(
        (status["signedIn"].clone(), status["records"].clone()),
        (true.into(), 1.into())
    );
    assert_eq!(status["pending"], 0);
    // Devices: both listed; revoking the phone shuts it out.
    // A third joins with the account id and the sync passphrase alone.
    let join = ["sync", "login", "--server", url, "--account", &account];
    std::fs::write(c.path("sync-passphrase"), "a wrong guess\n").unwrap();
    let wrong = c.fails(&join);
    assert!(
        wrong.contains("wrong passphrase for this sync account"),
        "{wrong}"
    );
    let sync = format!("{SYNC_PASSPHRASE}\n");
    std::fs::write(c.path("sync-passphrase"), &sync).unwrap();
    let bad = c.fails(&["sync", "login", "--server", url, "--account", "nope"]);
    assert!(bad.contains("not an account id"), "{bad}");
    let joined = c.json(&[&join[..], &["--device-name", "desktop"]].concat());
    assert_eq!(
        (joined["account"].as_str(), joined["received"].as_u64()),
        (Some(&*account), Some(1))
    );
    assert_eq!(c.json(&["list"])[0]["id"], "alice");
    // A new sync passphrase: the old one no longer joins.
    std::fs::write(a.path("sync-passphrase"), "the new one\n").unwrap();
    assert!(a.ok(&["sync", "passphrase"]).contains("changed"));
    let d = Device::new();
    let old = d.fails(&join);
    assert!(old.contains("wrong passphrase"), "{old}");
    std::fs::write(d.path("sync-passphrase"), "the new one\n").unwrap();
    d.ok(&join);
    let devices = a.json(&["sync", "devices"]);
    let devices = devices.as_array().unwrap();
    // laptop, phone, tablet, desktop and d's.
    assert_eq!(devices.len(), 5);
    let phone = devices.iter().find(|d| d["name"] == "phone").unwrap();
    assert_eq!(phone["thisDevice"], false);
    assert!(a.ok(&["sync", "devices"]).contains("(this device)"));
    let this = a.json(&["sync", "status"])["device"]
        .as_str()
        .unwrap()
        .to_owned();
    let own = a.fails(&["sync", "revoke", &this]);
    assert!(own.contains("logout"), "{own}");
    // Revoking rotates the account key (with the sync passphrase): every record sealed again.
    std::fs::write(a.path("newest"), "the newest one\n").unwrap();
    let newest = a.path("newest");
    let phone_id = phone["id"].as_str().unwrap();
    let revoke = ["sync", "revoke", phone_id, "--new-passphrase-file"];
    let revoked = a.ok(&[&revoke[..], &[newest.to_str().unwrap()]].concat());
    assert!(
        revoked.contains("now version 2: 1 records sealed again"),
        "{revoked}"
    );
    let refused = b.fails(&["sync", "now"]);
    assert!(refused.contains("revoked"), "{refused}");
    // Another device fetches the new key with the sync passphrase on its next sync, and gets
    // what is written after.
    a.add("https://after.example", "bob", &format!("{PASSWORD}-after"));
    assert_eq!(a.json(&["sync", "now"])["pushed"], 1);
    let asked = c
        .command(&["sync", "now"])
        .env_remove("CREDWELL_SYNC_PASSPHRASE_FILE")
        .output()
        .unwrap();
    let (_, asked) = texts(&asked);
    assert!(asked.contains("the sync passphrase is needed"), "{asked}");
    std::fs::remove_file(c.path("sync-passphrase")).unwrap();
    let unread = c.fails(&["sync", "now"]);
    assert!(
        unread.contains("cannot read the sync passphrase"),
        "{unread}"
    );
    std::fs::write(c.path("sync-passphrase"), &sync).unwrap();
    let stale = c.fails(&["sync", "now"]);
    assert!(stale.contains("rotated to version 2"), "{stale}");
    assert!(stale.contains("wrong passphrase"), "{stale}");
    // A device that has not fetched the rotated key cannot register its older one over it.
    let behind = c.fails(&["sync", "passphrase"]);
    assert!(behind.contains("run `credwell sync now` first"), "{behind}");
    assert!(behind.contains("version 2"), "{behind}");
    std::fs::write(c.path("sync-passphrase"), "the newest one\n").unwrap();
    let fetched = c.json(&["sync", "now"]);
    assert_eq!(
        (
            fetched["keyVersionFetched"].as_u64(),
            fetched["received"].as_u64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(c.json(&["list"]).as_array().unwrap().len(), 2);
    assert_eq!(c.json(&["sync", "now"])["keyVersionFetched"], Value::Null);
    assert_eq!(c.json(&["sync", "status"])["keyVersion"], 2);
    assert!(c.ok(&["sync", "status"]).contains("account key version 2"));
    let bad = a.fails(&["sync", "revoke", "not-a-device"]);
    assert!(bad.contains("not a device id"), "{bad}");
    // Logout: the records stay, the account goes.
    assert!(a.ok(&["sync", "logout"]).contains("revoked on the server"));
    assert_eq!(a.json(&["sync", "status"])["signedIn"], false);
    assert_eq!(a.json(&["list"]).as_array().unwrap().len(), 2);
    let out = a.fails(&["sync", "now"]);
    assert!(out.contains("not signed in"), "{out}");
}

#[test]
fn two_vaults_sync_through_a_server_process_on_sqlite_and_postgresql() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = dir.path().join("server.sqlite");
    let server = serve(sqlite.to_str().unwrap());
    scenario(&server, dir.path());
    drop(server);
    let mut bytes = std::fs::read(&sqlite).unwrap();
    bytes.extend(std::fs::read(dir.path().join("server.sqlite-wal")).unwrap_or_default());
    for canary in [PASSWORD, SYNC_PASSPHRASE, "alice", "sync.example"] {
        assert!(
            !bytes.windows(canary.len()).any(|w| w == canary.as_bytes()),
            "{canary}"
        );
    }
    let server = serve(&postgres_url());
    scenario(&server, dir.path());
}

#[test]
fn beyond_loopback_the_server_needs_a_certificate_and_key() {
    let device = Device::new();
    let db = device.path("server.sqlite");
    let out = device.fails(&[
        "sync",
        "serve",
        "--listen",
        "0.0.0.0:0",
        "--database",
        db.to_str().unwrap(),
    ]);
    assert!(
        out.contains("(not loopback) needs TLS: pass --tls-cert FILE and --tls-key FILE"),
        "{out}"
    );
    // One without the other is refused by the options themselves.
    let half = device.fails(&["sync", "serve", "--listen", "0.0.0.0:0", "--tls-cert", "c"]);
    assert!(half.contains("--tls-key"), "{half}");
}

#[test]
fn a_tombstone_retention_under_a_day_is_refused() {
    let device = Device::new();
    let db = device.path("server.sqlite");
    let db = db.to_str().unwrap();
    let out = device.fails(&[
        "sync",
        "serve",
        "--database",
        db,
        "--tombstone-retention",
        "0",
    ]);
    assert!(
        out.contains("--tombstone-retention: the tombstone retention is at least 1 day"),
        "{out}"
    );
}

/// A private CA's certificate and a server certificate for `localhost` it issued, with the
/// server's key: their PEM files in `dir` (ca.pem, cert.pem, key.pem).
fn private_pki(dir: &Path) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    (params.distinguished_name).push(DnType::CommonName, "credwell CLI test CA");
    let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
}

#[test]
fn over_https_vaults_sign_in_with_a_private_ca_and_sync() {
    let pki = tempfile::tempdir().unwrap();
    private_pki(pki.path());
    let file = |name: &str| pki.path().join(name).to_str().unwrap().to_owned();
    let db = pki.path().join("server.sqlite");
    let server = serve_with(
        db.to_str().unwrap(),
        &[
            "--tls-cert",
            &file("cert.pem"),
            "--tls-key",
            &file("key.pem"),
        ],
    );
    // The certificate names localhost.
    let port = server.url.rsplit(':').next().unwrap();
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    let url = format!("https://localhost:{port}");
    let (a, b) = (Device::new(), Device::new());
    // Without the CA, the certificate is refused and nothing is signed in.
    let refused = a.fails(&["sync", "login", "--server", &url]);
    assert!(refused.contains("invalid peer certificate"), "{refused}");
    assert_eq!(a.json(&["sync", "status"])["signedIn"], false);
    a.ok(&["sync", "login", "--server", &url, "--ca", &file("ca.pem")]);
    let account = a.json(&["sync", "status"])["account"]
        .as_str()
        .unwrap()
        .to_owned();
    a.add("https://tls.example", "alice", PASSWORD);
    // The CA is kept with the account: later syncs use it.
    assert_eq!(a.json(&["sync", "now"])["pushed"], 1);
    let ca = file("ca.pem");
    let login = [
        "sync",
        "login",
        "--server",
        &url,
        "--account",
        &account,
        "--ca",
        &ca,
    ];
    assert_eq!(b.json(&login)["received"], 1);
    assert_eq!(b.json(&["list"])[0]["id"], "alice");
    assert_eq!(b.json(&["sync", "now"])["received"], 0);
}
