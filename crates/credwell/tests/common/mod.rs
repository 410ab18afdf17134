//! What the `credwell` binary's end-to-end tests share: a temporary home holding a passphrase
//! file, a vault path and a user-only runtime directory, and the commands run inside it. Nothing
//! a test runs reads or writes the real home, vault or agent socket.

#![allow(dead_code, unreachable_pub, missing_docs, clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

pub mod kdbx;

/// Copies the executable `from` to `to` with `cp`, in a process of its own. Not with
/// `std::fs::copy`: the copy's file would be open for writing in this process, where another
/// test's child, forked in the meantime and not yet exec'd, inherits it; running the copy while
/// that child still holds it fails with ETXTBSY ("Text file busy", seen under load).
pub fn copy_executable(from: impl AsRef<std::path::Path>, to: impl AsRef<std::path::Path>) {
    let status = std::process::Command::new("cp")
        .arg(from.as_ref())
        .arg(to.as_ref())
        .status()
        .unwrap();
    assert!(status.success(), "cp {:?} {:?}", from.as_ref(), to.as_ref());
}

/// The vault passphrase every test uses (in the file `passphrase` of its home).
pub const PASSPHRASE: &str = "correct horse battery staple";

/// A temporary home with a passphrase file, a vault path (the vault itself is not created) and a
/// runtime directory only its owner can enter, where an agent puts its socket.
pub struct Home {
    pub dir: TempDir,
    pub vault: PathBuf,
}

impl Home {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("passphrase"), format!("{PASSPHRASE}\n")).unwrap();
        std::fs::create_dir(dir.path().join("run")).unwrap();
        std::fs::set_permissions(
            dir.path().join("run"),
            std::fs::Permissions::from_mode(0o700),
        )
        .unwrap();
        let vault = dir.path().join("vault.sqlite");
        Self { dir, vault }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `credwell --vault <vault> ...` without a passphrase (only an agent can open the vault),
    /// with the home and XDG directories inside the temporary directory.
    pub fn bare(&self) -> Command {
        let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("credwell");
        cmd.env_remove("CREDWELL_PASSPHRASE_FILE")
            .env_remove("CREDWELL_VAULT")
            .env_remove("CREDWELL_NEW_PASSPHRASE_FILE")
            .env_remove("CREDWELL_DANGER_INSECURE_KDF")
            .env_remove("CREDWELL_KDBX_PASSWORD_FILE")
            .env("HOME", self.dir.path())
            .env("XDG_DATA_HOME", self.path("xdg-data"))
            // No agent (`credwell unlock`) of another test or of the user's is found.
            .env("XDG_RUNTIME_DIR", self.path("run"))
            .arg("--vault")
            .arg(&self.vault)
            .timeout(Duration::from_secs(60));
        cmd
    }

    /// The same with the passphrase file (`CREDWELL_PASSPHRASE_FILE`).
    pub fn cmd(&self) -> Command {
        let mut cmd = self.bare();
        cmd.env("CREDWELL_PASSPHRASE_FILE", self.path("passphrase"));
        cmd
    }

    /// Runs `cmd` with `args` and `stdin`; (success, stdout, stderr).
    pub fn run(mut cmd: Command, args: &[&str], stdin: &str) -> (bool, String, String) {
        let out = cmd.args(args).write_stdin(stdin).output().unwrap();
        let (stdout, stderr) = texts(&out);
        (out.status.success(), stdout, stderr)
    }

    /// A command with the passphrase file that must succeed; its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        self.ok_with_stdin(args, "")
    }

    /// The same with `stdin`.
    pub fn ok_with_stdin(&self, args: &[&str], stdin: &str) -> String {
        let (ok, stdout, stderr) = Self::run(self.cmd(), args, stdin);
        assert!(ok, "credwell {args:?} failed: {stderr}{stdout}");
        stdout
    }

    /// A command with the passphrase file that must fail with exit code 1 and a one-line
    /// `error: ...`; its stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).write_stdin("").output().unwrap();
        let (stdout, stderr) = texts(&out);
        assert_eq!(
            out.status.code(),
            Some(1),
            "credwell {args:?}: {stdout}{stderr}"
        );
        assert!(stderr.starts_with("error: "), "{stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
        stderr
    }

    /// `credwell --json ...` that must succeed; its output parsed.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let stdout = self.ok(&all);
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {stdout}"))
    }

    /// Creates the vault with the small key-derivation parameters meant for tests.
    pub fn init(&self) {
        self.ok(&["vault", "init", "--danger-insecure-test-kdf"]);
    }

    /// `credwell add password` with `password` on stdin.
    pub fn add_password(&self, origin: &str, username: &str, password: &str) {
        let args = [
            "add",
            "password",
            "--origin",
            origin,
            "--username",
            username,
            "--password-stdin",
        ];
        self.ok_with_stdin(&args, &format!("{password}\n"));
    }
}

/// A finished command's stdout and stderr as text.
pub fn texts(out: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
