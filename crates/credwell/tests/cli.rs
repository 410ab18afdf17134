//! The `credwell` binary end to end: every command against a vault in a temporary directory,
//! unlocked through `CREDWELL_PASSPHRASE_FILE`.

#![allow(clippy::unwrap_used)] // Test helpers: a failure should panic right there.

mod common;

use std::path::Path;

use common::{Home, PASSPHRASE, texts};
use credwell_admin::VaultAdmin as _;
use credwell_admin::entry::{self, FieldLimits};
use serde_json::{Value, json};

/// Every password the tests store; none may appear in output that did not ask for it.
const SECRETS: [&str; 4] = ["s3cret-alice", "s3cret-bob", "s3cret-new", "Grüße-123"];

/// Each test's temporary home (see `common::Home`).
type Env = Home;

impl Env {
    fn list(&self) -> Value {
        self.json(&["list"])
    }
}

/// The format test vectors, kept beside the parsers in `credwell-formats`.
fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../credwell-formats/tests/fixtures")
}

fn fixture(name: &str) -> String {
    fixtures().join(name).display().to_string()
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} printed a password: {text}");
    }
}

/// (origin, username) of every listed credential, sorted.
fn accounts(list: &Value) -> Vec<(String, String)> {
    let mut v: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["origin"].as_str().unwrap().to_owned(),
                c["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn help_version_and_completions_need_no_vault() {
    let env = Env::new();
    let help = env.ok(&["--help"]);
    for command in [
        "vault",
        "list",
        "show",
        "add",
        "edit",
        "rm",
        "import",
        "export",
        "completions",
        "demo",
    ] {
        assert!(
            help.contains(command),
            "{command} missing from --help: {help}"
        );
    }
    for args in [
        &["vault", "--help"][..],
        &["vault", "init", "--help"],
        &["vault", "check", "--help"],
        &["add", "password", "--help"],
        &["add", "federated", "--help"],
        &["import", "--help"],
        &["export", "--help"],
    ] {
        assert!(env.ok(args).contains("Usage: credwell"), "{args:?}");
    }
    let import_help = env.ok(&["import", "--help"]);
    for format in [
        "chrome-csv",
        "firefox-csv",
        "bitwarden-json",
        "keepassxc-csv",
    ] {
        assert!(import_help.contains(format), "{import_help}");
    }
    assert!(env.ok(&["--version"]).starts_with("credwell "));
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef credwell"),
        ("fish", "complete -c credwell"),
    ] {
        let script = env.ok(&["completions", shell]);
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(script.contains("import"), "{shell}");
    }
    // Usage errors are clap's: exit code 2.
    let out = env
        .cmd()
        .args(["import", "dashlane-csv", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = env.cmd().arg("frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn demo_still_runs() {
    let env = Env::new();
    let out = env.ok(&["demo", "--engine"]);
    assert!(out.contains("resolved null"), "{out}");
    assert!(!out.contains("correct horse"));
}

#[test]
fn commands_fail_clearly_without_a_vault() {
    let env = Env::new();
    let err = env.fails(&["list"]);
    assert!(
        err.contains("no vault at") && err.contains("vault init"),
        "{err}"
    );
    // The default location is the XDG data directory.
    let out = assert_cmd::cargo::cargo_bin_cmd!("credwell")
        .env("CREDWELL_PASSPHRASE_FILE", env.path("passphrase"))
        .env_remove("CREDWELL_VAULT")
        .env("HOME", env.dir.path())
        .env("XDG_DATA_HOME", env.path("xdg-data"))
        .args(["vault", "info"])
        .output()
        .unwrap();
    let (_, stderr) = texts(&out);
    let want = env.path("xdg-data").join("credwell").join("vault.sqlite");
    assert!(stderr.contains(&want.display().to_string()), "{stderr}");
    // `vault init` creates it there, in a directory only the owner can enter.
    let xdg = || {
        let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("credwell");
        cmd.env("CREDWELL_PASSPHRASE_FILE", env.path("passphrase"))
            .env("CREDWELL_DANGER_INSECURE_KDF", "1")
            .env_remove("CREDWELL_VAULT")
            .env("HOME", env.dir.path())
            .env("XDG_DATA_HOME", env.path("xdg-data"));
        cmd
    };
    assert!(
        xdg()
            .args(["vault", "init"])
            .output()
            .unwrap()
            .status
            .success()
    );
    assert!(want.is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(want.parent().unwrap()), 0o700);
        assert_eq!(mode(&want), 0o600);
    }
    let listed = xdg().args(["--json", "list"]).output().unwrap();
    assert!(listed.status.success());
    assert_eq!(
        serde_json::from_slice::<Value>(&listed.stdout).unwrap(),
        json!([])
    );
    // CREDWELL_VAULT comes before it.
    let out = assert_cmd::cargo::cargo_bin_cmd!("credwell")
        .env("CREDWELL_PASSPHRASE_FILE", env.path("passphrase"))
        .env("CREDWELL_VAULT", env.path("elsewhere.sqlite"))
        .env("HOME", env.dir.path())
        .args(["list"])
        .output()
        .unwrap();
    let (_, stderr) = texts(&out);
    assert!(stderr.contains("elsewhere.sqlite"), "{stderr}");
}

#[test]
fn a_malformed_import_is_reported_before_the_vault_is_opened() {
    let env = Env::new();
    let err = env.fails(&[
        "import",
        "chrome-csv",
        &fixture("fail_chrome_short_row.csv"),
    ]);
    assert!(
        err.contains("fail_chrome_short_row.csv:3:") && err.contains("expected 5 fields"),
        "{err}"
    );
}

#[test]
fn a_stale_export_never_reverts_a_newer_password() {
    let env = Env::new();
    env.init();
    let newer = fixture("conflict_firefox_2026.csv");
    let stale = fixture("conflict_firefox_2019.csv");
    env.json(&["import", "firefox-csv", &newer]);
    // The file's own times are the credential's.
    let bank = &env.list()[0];
    assert_eq!(
        (bank["created"].as_str(), bank["updated"].as_str()),
        (
            Some("2019-01-01T00:00:00.000Z"),
            Some("2026-03-01T00:00:00.000Z")
        ),
        "{bank}"
    );
    let password = |env: &Env| {
        let id = env.list()[0]["record"].to_string();
        env.json(&["show", &id, "--reveal"])["password"].clone()
    };
    // --dry-run: what would happen, row by row, and nothing changes.
    let before = env.list();
    let dry = env.json(&["import", "firefox-csv", &stale, "--dry-run"]);
    assert_eq!(
        (
            &dry["added"],
            &dry["updated"],
            &dry["unchanged"],
            &dry["skipped"]
        ),
        (&json!(1), &json!(0), &json!(0), &json!(1)),
        "{dry}"
    );
    assert_eq!(dry["entries"][0]["action"], "skip", "{dry}");
    assert_eq!(dry["entries"][0]["line"], 2, "{dry}");
    assert_eq!(dry["entries"][1]["action"], "add", "{dry}");
    assert_eq!(env.list(), before, "a dry run changed the vault");
    let text = env.ok(&["import", "firefox-csv", &stale, "--dry-run"]);
    assert!(
        text.contains("skip   line 2") && text.contains("nothing was changed"),
        "{text}"
    );
    // The import itself: the 2019 row is refused, the new login added.
    let out = env
        .cmd()
        .args(["import", "firefox-csv", &stale])
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("1 added, 0 updated"), "{stdout}");
    assert!(
        stderr.contains("kept the vault's password over 1 row (line 2; --on-conflict newer"),
        "{stderr}"
    );
    assert_eq!(password(&env), "changed-in-2026");
    // ours keeps it too; theirs replaces it.
    let ours = env.json(&["import", "firefox-csv", &stale, "--on-conflict", "ours"]);
    assert_eq!(ours["skipped"], 1, "{ours}");
    let theirs = env.json(&["import", "firefox-csv", &stale, "--on-conflict", "theirs"]);
    assert_eq!(theirs["updated"], 1, "{theirs}");
    assert_eq!(password(&env), "stale-from-2019");
    // The replaced password is in the vault's history, and a Bitwarden export carries it.
    let exported = env.ok(&["export", "bitwarden-json", "--yes"]);
    let exported: Value = serde_json::from_str(&exported).unwrap();
    let bank = exported["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["login"]["uris"][0]["uri"] == "https://bank.example")
        .unwrap()
        .clone();
    assert_eq!(
        bank["passwordHistory"][0]["password"], "changed-in-2026",
        "{bank}"
    );
    // `theirs` dated its change now: the 2026 row is older than that, and kept out.
    let back = env.json(&["import", "firefox-csv", &newer]);
    assert_eq!(back["skipped"], 1, "{back}");
}

#[test]
fn the_whole_file_is_checked_before_the_passphrase_is_asked_for() {
    let env = Env::new();
    env.init();
    let before = env.list();
    // The passphrase file is gone: asking for the passphrase would fail on that instead.
    std::fs::remove_file(env.path("passphrase")).unwrap();
    for (format, file, want) in [
        (
            "chrome-csv",
            "fail_chrome_malformed_url.csv",
            "fail_chrome_malformed_url.csv:3: the \"url\" column is not a usable URL",
        ),
        (
            "bitwarden-json",
            "fail_bitwarden_malformed_uri.json",
            "fail_bitwarden_malformed_uri.json:5: the \"uri\" 2 of item 2 is not a usable URL",
        ),
        (
            "firefox-csv",
            "chrome.csv",
            "chrome.csv:1: this is not a firefox-csv file: its column names say it is chrome-csv",
        ),
        (
            "keepassxc-csv",
            "lastpass.csv",
            "lastpass.csv:1: this is not a keepassxc-csv file: its column names say it is \
             lastpass-csv",
        ),
    ] {
        let err = env.fails(&["import", format, &fixture(file)]);
        assert!(
            err.contains(want) && err.contains("nothing was imported"),
            "{err}"
        );
        assert!(!err.contains("passphrase"), "{err}");
    }
    // A passphrase in its file is read, and the vault opened, while the file is read: a wrong
    // one is still not what a malformed file's import says.
    std::fs::write(env.path("passphrase"), "not the passphrase\n").unwrap();
    let err = env.fails(&[
        "import",
        "chrome-csv",
        &fixture("fail_chrome_malformed_url.csv"),
    ]);
    assert!(
        err.contains("fail_chrome_malformed_url.csv:3: the \"url\" column is not a usable URL"),
        "{err}"
    );
    assert!(!err.contains("passphrase"), "{err}");
    std::fs::write(env.path("passphrase"), format!("{PASSPHRASE}\n")).unwrap();
    assert_eq!(env.list(), before);
    // The same files under their own names: a URL without a scheme is https everywhere.
    let ok = env.json(&[
        "import",
        "keepassxc-csv",
        &fixture("schemeless_keepassxc.csv"),
    ]);
    assert_eq!(ok["added"], 2, "{ok}");
    let same = env.json(&["import", "cxf", &fixture("schemeless_cxf.json")]);
    assert_eq!(same["unchanged"], 2, "{same}");
    // Recycle bins in other languages, and what credwell does not store, are reported.
    let out = env
        .cmd()
        .args([
            "import",
            "keepassxc-csv",
            &fixture("keepassxc_recycle_bins.csv"),
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("3 added"), "{stdout}");
    assert!(
        stderr.contains("skipped 3 entries in the recycle bin (lines 2, 3, 4)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("imported 2 entries from a group that looks like a recycle bin")
            && stderr.contains("(lines 5, 6)"),
        "{stderr}"
    );
    // Notes, TOTP secrets and groups are kept with the credentials now.
    assert!(!stderr.contains("does not store"), "{stderr}");
    let carol = env.json(&["show", "carol"]);
    assert_eq!(
        (&carol["folder"], &carol["notes"], &carol["hasTotp"]),
        (
            &json!("Banking"),
            &json!("Kontonummer im Safe"),
            &json!(true)
        ),
        "{carol}"
    );
}

#[test]
fn export_refuses_without_yes_when_stdin_is_not_a_terminal() {
    let env = Env::new();
    let out = env
        .cmd()
        .args(["export", "chrome-csv"])
        .write_stdin("yes\n")
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("in clear"), "{stderr}");
    assert!(stderr.contains("--yes"), "{stderr}");
}

/// `export --force` over a file others can read leaves a file only its owner can read, and an
/// export never writes through a symbolic link.
#[cfg(unix)]
#[test]
fn export_replaces_loose_files_with_private_ones_and_refuses_links() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let env = Env::new();
    env.init();
    env.add_password("https://a.example", "alice", "s3cret-alice");
    let loose = env.path("loose.csv");
    std::fs::write(&loose, "an older export\n").unwrap();
    std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).unwrap();
    let loose_arg = loose.to_str().unwrap();
    env.ok(&["export", "chrome-csv", loose_arg, "--yes", "--force"]);
    assert_eq!(mode(&loose), 0o600, "the export is readable by others");
    assert!(
        std::fs::read_to_string(&loose)
            .unwrap()
            .contains("s3cret-alice")
    );

    let target = env.path("elsewhere.txt");
    std::fs::write(&target, "not an export\n").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
    let link = env.path("link.csv");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    for force in [&["--force"][..], &[]] {
        let mut args = vec!["export", "chrome-csv", link.to_str().unwrap(), "--yes"];
        args.extend_from_slice(force);
        let err = env.fails(&args);
        assert!(err.contains("symbolic link"), "{err}");
        assert_no_secret("a refused export", &err);
    }
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "not an export\n");
    assert_eq!(mode(&target), 0o644);
    // No temporary file is left next to either.
    let left: Vec<String> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// One vault through its whole life: init, add, list, show, edit, import (good and bad),
/// export, passwd, backup, check, rm.
#[test]
fn a_vault_from_init_to_rm() {
    let env = Env::new();
    env.init();
    assert!(env.vault.exists());
    let again = env.fails(&["vault", "init", "--danger-insecure-test-kdf"]);
    assert!(again.contains("exists"), "{again}");
    assert_eq!(env.list(), json!([]));

    // add
    let out = env.ok_with_stdin(
        &[
            "add",
            "password",
            "--origin",
            "https://a.example/login",
            "--username",
            "alice",
            "--password-stdin",
            "--name",
            "Alice",
        ],
        "s3cret-alice\n",
    );
    assert!(out.contains("Added"), "{out}");
    let added = env
        .cmd()
        .args([
            "--json",
            "add",
            "password",
            "--origin",
            "https://b.example",
            "--username",
            "bob",
            "--password-stdin",
        ])
        .write_stdin("s3cret-bob\n")
        .output()
        .unwrap();
    assert!(added.status.success());
    let bob: Value = serde_json::from_slice(&added.stdout).unwrap();
    let bob_id = bob["record"].as_u64().unwrap();
    let fed = env.json(&[
        "add",
        "federated",
        "--origin",
        "https://a.example",
        "--id",
        "alice@idp",
        "--provider",
        "https://idp.example/auth",
        "--protocol",
        "openidconnect",
    ]);
    let fed_id = fed["record"].as_u64().unwrap();
    let dup = env
        .cmd()
        .args([
            "add",
            "password",
            "--origin",
            "https://a.example",
            "--username",
            "alice",
            "--password-stdin",
        ])
        .write_stdin("other\n")
        .output()
        .unwrap();
    assert_eq!(dup.status.code(), Some(1));
    let err = env.fails(&[
        "add",
        "password",
        "--origin",
        "https://a.example",
        "--username",
        "zed",
    ]);
    assert!(err.contains("--password-stdin"), "{err}");
    let err = env.fails(&[
        "add",
        "password",
        "--origin",
        "not a url",
        "--username",
        "zed",
        "--password-stdin",
    ]);
    assert!(err.contains("--origin"), "{err}");

    // list
    let list = env.list();
    assert_eq!(list.as_array().unwrap().len(), 3);
    assert_no_secret("list --json", &list.to_string());
    let table = env.ok(&["list"]);
    assert!(
        table.contains("alice") && table.contains("https://b.example"),
        "{table}"
    );
    assert_no_secret("list", &table);
    let only_a = env.json(&["list", "--origin", "https://a.example/some/page"]);
    assert_eq!(only_a.as_array().unwrap().len(), 2);
    let fed_entry = only_a
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "federated")
        .unwrap();
    assert_eq!(fed_entry["provider"], "https://idp.example");
    assert_eq!(fed_entry["protocol"], "openidconnect");

    // show
    let id = bob_id.to_string();
    let shown = env.ok(&["show", &id]);
    assert!(
        shown.contains("bob") && shown.contains("********"),
        "{shown}"
    );
    assert_no_secret("show", &shown);
    let shown = env.json(&["show", &id]);
    assert!(shown.get("password").is_none(), "{shown}");
    assert_eq!(
        env.json(&["show", &id, "--reveal"])["password"],
        "s3cret-bob"
    );
    assert!(env.ok(&["show", &id, "--reveal"]).contains("s3cret-bob"));
    let err = env.fails(&["show", "999"]);
    assert!(err.contains("no credential with ID 999"), "{err}");

    // edit
    let out = env.ok_with_stdin(
        &[
            "edit",
            &id,
            "--username",
            "bobby",
            "--name",
            "Bob",
            "--password-stdin",
        ],
        "s3cret-new\n",
    );
    assert_no_secret("edit", &out);
    let shown = env.json(&["show", &id, "--reveal"]);
    assert_eq!(
        (
            shown["id"].as_str(),
            shown["name"].as_str(),
            shown["password"].as_str()
        ),
        (Some("bobby"), Some("Bob"), Some("s3cret-new"))
    );
    let err = env.fails(&["edit", &fed_id.to_string(), "--password-stdin"]);
    assert!(err.contains("federated"), "{err}");

    // A failed import leaves the vault exactly as it was.
    let before = env.list();
    for (format, file) in [
        ("chrome-csv", "fail_chrome_short_row.csv"),
        ("firefox-csv", "fail_firefox_bad_time.csv"),
        ("keepassxc-csv", "fail_keepassxc_extra_field.csv"),
        ("bitwarden-json", "fail_bitwarden_login_missing.json"),
    ] {
        let err = env.fails(&["import", format, &fixture(file)]);
        assert!(
            err.contains(file) && err.contains("nothing was imported"),
            "{err}"
        );
        assert_eq!(env.list(), before, "{file} changed the vault");
    }

    // import: every format, with skipped entries reported and duplicates merged.
    let summary = env.json(&["import", "chrome-csv", &fixture("chrome.csv")]);
    assert_eq!(summary["read"], 5, "{summary}");
    assert_eq!(summary["added"], 5, "{summary}");
    assert_eq!(summary["skipped"], 3, "{summary}");
    assert_eq!(summary["skippedEntries"][0]["line"], 7, "{summary}");
    let out = env
        .cmd()
        .args(["import", "firefox-csv", &fixture("firefox.csv")])
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    // alice@example.com and jürgen are already there with the same passwords: merged.
    assert!(
        stdout.contains("3 logins") && stdout.contains("1 added") && stdout.contains("2 unchanged"),
        "{stdout}"
    );
    assert!(
        stderr.contains("skipped 1 entry with no web origin (line 6)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("skipped 1 entry for HTTP authentication (httpRealm; credwell fills forms only) (line 4)"),
        "{stderr}"
    );
    // No progress bar when stderr is not a terminal: only the warning lines.
    assert!(
        stderr.lines().all(|l| l.starts_with("warning: ")),
        "{stderr}"
    );
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
    assert_no_secret("import", &format!("{stdout}{stderr}"));
    let n = env.list().as_array().unwrap().len();
    let again = env.json(&["import", "firefox-csv", &fixture("firefox.csv")]);
    assert_eq!(
        (again["added"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(3))
    );
    assert_eq!(
        env.list().as_array().unwrap().len(),
        n,
        "a second import doubled entries"
    );
    let kp = env.json(&["import", "keepassxc-csv", &fixture("keepassxc.csv")]);
    assert_eq!(kp["skipped"], 3, "{kp}");
    let bw = env.json(&["import", "bitwarden-json", &fixture("bitwarden.json")]);
    assert_eq!(bw["read"], 5, "{bw}");
    assert_eq!(bw["skipped"], 5, "{bw}");
    // A changed password updates the stored credential instead of adding one.
    std::fs::write(
        env.path("changed.csv"),
        "name,url,username,password,note\nx,https://example.com,alice,s3cret-changed,\n",
    )
    .unwrap();
    let changed_csv = env.path("changed.csv");
    let changed_csv = changed_csv.to_str().unwrap();
    // Chrome's file has no times: by default its row cannot replace the stored password.
    let kept = env.json(&["import", "chrome-csv", changed_csv]);
    assert_eq!(
        (kept["updated"].as_u64(), kept["skipped"].as_u64()),
        (Some(0), Some(1)),
        "{kept}"
    );
    assert!(
        kept["skippedEntries"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("--on-conflict theirs"),
        "{kept}"
    );
    let changed = env.json(&[
        "import",
        "chrome-csv",
        changed_csv,
        "--on-conflict",
        "theirs",
    ]);
    assert_eq!(
        (changed["added"].as_u64(), changed["updated"].as_u64()),
        (Some(0), Some(1))
    );
    let list = env.list();
    let alice: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["origin"] == "https://example.com" && c["id"] == "alice")
        .collect();
    assert_eq!(alice.len(), 1);
    let shown = env.json(&["show", &alice[0]["record"].to_string(), "--reveal"]);
    assert_eq!(shown["password"], "s3cret-changed");

    // export: refuses without --yes, writes with it, and re-imports to the same accounts.
    let passwords_before: Vec<_> = accounts(&env.list()).into_iter().collect();
    let password_count = env
        .list()
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "password")
        .count();
    let fresh = Env::new();
    // The environment variable `credwell-host` also reads asks for the test-only parameters too.
    let made = fresh
        .cmd()
        .env("CREDWELL_DANGER_INSECURE_KDF", "1")
        .args(["--json", "vault", "init"])
        .output()
        .unwrap();
    assert!(made.status.success());
    assert_eq!(fresh.json(&["vault", "info"])["kdf"]["memoryKib"], 64);
    let mut first = true;
    for format in [
        "chrome-csv",
        "firefox-csv",
        "bitwarden-json",
        "keepassxc-csv",
    ] {
        let file = env.path(&format!("export-{format}"));
        let file = file.to_str().unwrap();
        let err = env.fails(&["export", format, file]);
        assert!(err.contains("--yes"), "{err}");
        assert!(!Path::new(file).exists());
        let out = env
            .cmd()
            .args(["export", format, file, "--yes"])
            .output()
            .unwrap();
        let (stdout, stderr) = texts(&out);
        assert!(out.status.success(), "{stderr}");
        assert!(stdout.is_empty());
        assert!(
            stderr.contains("in clear") && stderr.contains("1 federated credential not exported"),
            "{stderr}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(file).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{format} export is readable by others");
        }
        assert!(
            std::fs::read_to_string(file)
                .unwrap()
                .contains("s3cret-alice")
        );
        let err = env.fails(&["export", format, file, "--yes"]);
        assert!(err.contains("--force"), "{err}");
        // Round trip: importing the export into the same vault changes nothing...
        let back = env.json(&["import", format, file]);
        assert_eq!(
            (back["added"].as_u64(), back["updated"].as_u64()),
            (Some(0), Some(0)),
            "{format}: {back}"
        );
        assert_eq!(
            back["read"].as_u64(),
            Some(password_count as u64),
            "{format}: {back}"
        );
        // ...and into a new vault gives the same accounts: the first format adds them all, every
        // later format finds each with the same password.
        let into_fresh = fresh.json(&["import", format, file]);
        let (added, unchanged) = if first {
            (password_count, 0)
        } else {
            (0, password_count)
        };
        assert_eq!(
            into_fresh["added"].as_u64(),
            Some(added as u64),
            "{format}: {into_fresh}"
        );
        // Bitwarden's file also carries the password history, which the credentials the
        // formats before it added lack: those are updated (history only), not changed.
        let history_only = if format == "bitwarden-json" && !first {
            into_fresh["updated"].as_u64().unwrap()
        } else {
            0
        };
        assert_eq!(
            into_fresh["unchanged"].as_u64().map(|n| n + history_only),
            Some(unchanged as u64),
            "{format}: {into_fresh}"
        );
        assert_eq!(
            into_fresh["updated"].as_u64(),
            Some(history_only),
            "{format}: {into_fresh}"
        );
        // The vault replaced passwords above (an import and an edit): their history travels.
        assert!(
            format != "bitwarden-json" || first || history_only > 0,
            "{into_fresh}"
        );
        first = false;
    }
    let mut want = passwords_before.clone();
    want.retain(|(o, u)| !(o == "https://a.example" && u == "alice@idp"));
    assert_eq!(accounts(&fresh.list()), want);
    let stdout = env.ok(&["export", "bitwarden-json", "--yes"]);
    let exported: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(exported["items"].as_array().unwrap().len(), password_count);

    // vault info, passwd, backup, check
    let info = env.json(&["vault", "info"]);
    assert_eq!(info["kdf"]["algorithm"], "argon2id", "{info}");
    assert_eq!(info["kdf"]["memoryKib"], 64, "{info}");
    assert_eq!(
        info["records"].as_u64(),
        Some(password_count as u64 + 1),
        "{info}"
    );
    assert!(
        env.ok(&["vault", "info"])
            .contains(env.vault.to_str().unwrap())
    );
    let check = env.json(&["vault", "check"]);
    assert_eq!(check["bad"], json!([]), "{check}");
    for args in [
        &["vault", "info"][..],
        &["vault", "check"],
        &["--json", "vault", "info"],
    ] {
        assert_no_secret("vault info/check", &env.ok(args));
    }
    let backup = env.path("backup.sqlite");
    env.ok(&["vault", "backup", backup.to_str().unwrap()]);
    assert!(backup.exists());
    std::fs::write(env.path("new-passphrase"), "a new passphrase\n").unwrap();
    let changed = env.ok(&[
        "vault",
        "passwd",
        "--new-passphrase-file",
        env.path("new-passphrase").to_str().unwrap(),
    ]);
    // It says what it did: a new key, every record re-encrypted.
    assert!(
        changed.contains("replaced its vault key")
            && changed.contains(&format!("re-encrypted {} record(s)", password_count + 1)),
        "{changed}"
    );
    let err = env.fails(&["list"]);
    assert!(err.contains("passphrase"), "{err}");
    std::fs::copy(env.path("new-passphrase"), env.path("passphrase")).unwrap();
    assert_eq!(env.list().as_array().unwrap().len(), password_count + 1);
    // The backup still opens with the old passphrase and holds the same records.
    std::fs::write(env.path("passphrase"), format!("{PASSPHRASE}\n")).unwrap();
    let from_backup = assert_cmd::cargo::cargo_bin_cmd!("credwell")
        .env("CREDWELL_PASSPHRASE_FILE", env.path("passphrase"))
        .env("CREDWELL_VAULT", &backup)
        .args(["--json", "list"])
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&from_backup);
    assert!(from_backup.status.success(), "{stderr}");
    let backed_up: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(backed_up.as_array().unwrap().len(), password_count + 1);
    let err = env.fails(&["vault", "backup", backup.to_str().unwrap()]);
    assert!(err.contains("exists"), "{err}");

    // rm
    std::fs::copy(env.path("new-passphrase"), env.path("passphrase")).unwrap();
    env.ok(&["rm", &id]);
    let err = env.fails(&["rm", &id]);
    assert!(
        err.contains(&format!("no credential with ID {id}")),
        "{err}"
    );
    assert_eq!(env.list().as_array().unwrap().len(), password_count);
}

#[test]
fn generate_makes_passwords_and_passphrases_and_add_stores_one() {
    let env = Env::new();
    // No vault needed.
    let password = env.ok(&["generate"]);
    let password = password.trim_end();
    assert_eq!(password.chars().count(), 20, "{password}");
    assert!(
        password.chars().any(|c| c.is_ascii_punctuation()),
        "{password}"
    );
    let digits = env.ok(&["generate", "--length", "12", "--no-symbols", "--no-upper"]);
    assert!(
        digits
            .trim_end()
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
        "{digits}"
    );
    let words = env.json(&["generate", "--words", "5", "--separator", "."]);
    assert_eq!(words["password"].as_str().unwrap().split('.').count(), 5);
    let bits = words["entropyBits"].as_f64().unwrap();
    assert!((bits - 64.6).abs() < 0.1, "{bits}");
    assert!(
        env.fails(&["generate", "--length", "2"])
            .contains("--length 2")
    );
    let err = env.fails(&[
        "generate",
        "--no-upper",
        "--no-lower",
        "--no-digits",
        "--no-symbols",
    ]);
    assert!(err.contains("every character class"), "{err}");

    env.init();
    let added = env.json(&[
        "add",
        "password",
        "--origin",
        "https://gen.example",
        "--username",
        "g",
        "--generate",
        "--length",
        "32",
    ]);
    let generated = added["password"].as_str().unwrap();
    assert_eq!(generated.chars().count(), 32);
    let id = added["record"].as_u64().unwrap().to_string();
    let shown = env.json(&["show", &id, "--reveal"]);
    assert_eq!(shown["password"], generated);
    let err = env.fails(&[
        "add",
        "password",
        "--origin",
        "https://gen.example",
        "--username",
        "h",
        "--length",
        "9",
    ]);
    assert!(err.contains("add --generate"), "{err}");
}

#[test]
fn get_search_and_queries_in_place_of_ids() {
    let env = Env::new();
    env.init();
    env.add_password("https://github.com", "alice", "s3cret-alice");
    env.add_password("https://github.com", "bob", "s3cret-bob");
    assert_eq!(env.ok(&["get", "github", "bob"]), "s3cret-bob\n");
    assert_eq!(env.ok(&["get", "ALICE"]), "s3cret-alice\n");
    assert_eq!(env.ok(&["get", "1", "--field", "username"]), "alice\n");
    let err = env.fails(&["get", "github.com"]);
    assert!(
        err.contains("matches 2 credentials") && err.contains("ID 2"),
        "{err}"
    );
    assert_no_secret("an ambiguous query", &err);
    let found = env.json(&["search", "GitHub"]);
    assert_eq!(found.as_array().unwrap().len(), 2, "{found}");
    let table = env.ok(&["search", "bo"]);
    assert!(table.contains("bob") && !table.contains("alice"), "{table}");
    assert_no_secret("search", &table);

    // edit and rm take queries too.
    env.ok_with_stdin(&["edit", "bob", "--password-stdin"], "s3cret-new\n");
    assert_eq!(env.ok(&["get", "bob"]), "s3cret-new\n");
    let err = env.fails(&["edit", "github", "--name", "x"]);
    assert!(err.contains("matches 2 credentials"), "{err}");
    env.ok(&["edit", "alice", "--name", "Alice"]);
    assert_eq!(env.json(&["show", "alice"])["name"], "Alice");

    // Passkeys: found, shown (without their keys), and no password to get.
    env.ok(&["import", "cxf", &fixture("cxf.json")]);
    let shown = env.ok(&["show", "other.example"]);
    assert!(shown.contains("Type:          passkey"), "{shown}");
    assert!(shown.contains("User name:     bob"), "{shown}");
    assert!(shown.contains("Algorithm:"), "{shown}");
    let json = env.json(&["show", "alice@example.com"]);
    assert_eq!(json["type"], "public-key", "{json}");
    assert!(json.get("privateKey").is_none(), "{json}");
    let err = env.fails(&["get", "other.example"]);
    assert!(err.contains("is a passkey and has no password"), "{err}");
    assert_eq!(
        env.ok(&["get", "other.example", "--field", "username"]),
        "bob\n"
    );
    env.ok(&["rm", "other.example"]);
    assert!(
        env.fails(&["show", "other.example"])
            .contains("no credential matches")
    );
}

#[test]
fn totp_prints_the_code_of_a_secret_file_or_uri() {
    let env = Env::new();
    // RFC 6238's SHA-1 seed, "12345678901234567890", in base32; no vault needed.
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    std::fs::write(
        env.path("uri"),
        format!("otpauth://totp/Ex:alice?secret={secret}&digits=8\n"),
    )
    .unwrap();
    let uri = env.path("uri");
    let uri = uri.to_str().unwrap();
    assert_eq!(
        env.ok(&["totp", "--secret-file", uri, "--at", "59"]),
        "94287082\n"
    );
    let json = env.json(&["totp", "--secret-file", uri, "--at", "1111111109"]);
    assert_eq!(
        json,
        json!({"code": "07081804", "period": 30, "remainingSeconds": 1})
    );
    let code = env.ok_with_stdin(&["totp", "--secret-file", "-", "--at", "59"], secret);
    assert_eq!(code, "287082\n");
    let now = env.ok(&["totp", "--secret-file", uri]);
    assert!(now.trim_end().len() == 8 && now.trim_end().bytes().all(|b| b.is_ascii_digit()));
    std::fs::write(env.path("bad"), "otpauth://hotp/x?secret=GEZDGNBV\n").unwrap();
    let err = env.fails(&["totp", "--secret-file", env.path("bad").to_str().unwrap()]);
    assert!(err.contains("HOTP") && !err.contains("GEZDGNBV"), "{err}");
}

#[test]
fn everyday_polish_edit_needs_a_change_passphrase_first_plain_list() {
    let env = Env::new();
    env.init();
    env.add_password("https://a.example", "alice", "s3cret-alice");
    env.ok(&[
        "add",
        "federated",
        "--origin",
        "https://a.example",
        "--id",
        "al\tice",
        "--provider",
        "https://idp.example",
    ]);
    // Nothing to change is a usage error (exit 2) that names the options.
    let out = env.cmd().args(["edit", "1"]).output().unwrap();
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--username") && stderr.contains("--password-stdin"),
        "{stderr}"
    );
    // The vault passphrase comes first: a wrong one is reported before the password is read.
    std::fs::write(env.path("wrong"), "not the passphrase\n").unwrap();
    let out = env
        .cmd()
        .env("CREDWELL_PASSPHRASE_FILE", env.path("wrong"))
        .args([
            "add",
            "password",
            "--origin",
            "https://b.example",
            "--username",
            "b",
        ])
        .arg("--password-stdin")
        .output()
        .unwrap();
    let (_, stderr) = texts(&out);
    assert!(stderr.contains("the passphrase is wrong"), "{stderr}");
    // Piped, `list` prints one tab-separated line a record, with no frame or header.
    let listed = env.ok(&["list"]);
    assert_eq!(
        listed,
        "1\tpassword\thttps://a.example\talice\t\t\n\
         2\tfederated\thttps://a.example\tal ice\t\thttps://idp.example\n"
    );
    assert_eq!(env.ok(&["search", "nothing"]), "");
}

#[cfg(target_os = "linux")]
#[test]
fn a_vault_another_process_is_writing_names_that_process() {
    let env = Env::new();
    env.init();
    env.add_password("https://a.example", "alice", "s3cret-alice");
    // This test process takes SQLite's write lock, as a browser host in a write would.
    let conn = rusqlite::Connection::open(&env.vault).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    // Unlocking writes too: the command says who it waits for, then who kept it waiting.
    let out = env.cmd().args(["list"]).output().unwrap();
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let me = std::process::id();
    assert!(
        stderr.contains(&format!("(PID {me}) is writing to")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("(PID {me}) was still writing")),
        "{stderr}"
    );
    conn.execute_batch("ROLLBACK").unwrap();
    let out = env.cmd().args(["list"]).output().unwrap();
    let (stdout, stderr) = texts(&out);
    assert!(
        stdout.contains("alice") && !stderr.contains("writing"),
        "{stderr}"
    );
}

#[test]
fn a_weak_vault_passphrase_is_warned_about_not_refused() {
    let env = Env::new();
    std::fs::write(env.path("passphrase"), "password1\n").unwrap();
    let out = env
        .cmd()
        .args(["vault", "init", "--danger-insecure-test-kdf"])
        .output()
        .unwrap();
    let (_, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("the vault passphrase is weak"), "{stderr}");
    assert!(stderr.contains("common password"), "{stderr}");
    assert!(!stderr.contains("password1"), "{stderr}");
    std::fs::write(env.path("new"), "qwertyuiop\n").unwrap();
    let out = env
        .cmd()
        .args(["vault", "passwd", "--keep-key", "--new-passphrase-file"])
        .arg(env.path("new"))
        .output()
        .unwrap();
    let (_, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("the vault passphrase is weak"), "{stderr}");
    assert!(!stderr.contains("qwertyuiop"), "{stderr}");
    // A strong one draws no warning.
    std::fs::write(env.path("new2"), "R7#qv!2Lx9@mZp4w-yonder\n").unwrap();
    std::fs::copy(env.path("new"), env.path("passphrase")).unwrap();
    let out = env
        .cmd()
        .args(["vault", "passwd", "--keep-key", "--new-passphrase-file"])
        .arg(env.path("new2"))
        .output()
        .unwrap();
    let (_, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("weak"), "{stderr}");
}

/// Flips one byte of the sealed record `id` in the vault file, outside credwell.
fn damage_record(vault: &Path, id: u64) {
    let conn = rusqlite::Connection::open(vault).unwrap();
    let mut sealed: Vec<u8> = conn
        .query_row(
            "SELECT sealed FROM records WHERE id = ?1",
            [id as i64],
            |r| r.get(0),
        )
        .unwrap();
    let last = sealed.len() - 1;
    sealed[last] ^= 0x01;
    let changed = conn
        .execute(
            "UPDATE records SET sealed = ?1 WHERE id = ?2",
            rusqlite::params![sealed, id as i64],
        )
        .unwrap();
    assert_eq!(changed, 1);
}

#[test]
fn vault_check_names_each_damaged_record_and_exits_non_zero() {
    let env = Env::new();
    env.init();
    env.ok(&["import", "chrome-csv", &fixture("chrome.csv")]);
    let check = env.json(&["vault", "check"]);
    assert_eq!(check["clean"], true, "{check}");
    assert_eq!(check["ok"], 5, "{check}");
    assert!(env.ok(&["vault", "check"]).contains("intact"));

    let ids: Vec<u64> = env
        .list()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["record"].as_u64().unwrap())
        .collect();
    damage_record(&env.vault, ids[1]);
    damage_record(&env.vault, ids[3]);

    let out = env
        .cmd()
        .args(["--json", "vault", "check"])
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["bad"], json!([ids[1], ids[3]]), "{report}");
    assert_eq!(report["ok"], 3, "{report}");
    assert_eq!(report["clean"], false);
    assert!(stderr.contains("2 bad record(s)"), "{stderr}");

    let out = env.cmd().args(["vault", "check"]).output().unwrap();
    let (stdout, _) = texts(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout.contains(&format!("Record {}: DAMAGED", ids[1])),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("Record {}: DAMAGED", ids[3])),
        "{stdout}"
    );

    // The others still work.
    assert_eq!(env.json(&["show", &ids[0].to_string()])["id"], "alice");
}

#[test]
fn one_damaged_record_does_not_block_list_export_or_rm() {
    let env = Env::new();
    env.init();
    env.ok(&["import", "chrome-csv", &fixture("chrome.csv")]);
    let ids: Vec<u64> = env
        .list()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["record"].as_u64().unwrap())
        .collect();
    damage_record(&env.vault, ids[2]);
    let damaged = ids[2].to_string();

    // `list` shows the others and names the damaged record on stderr, with what to do.
    for json in [false, true] {
        let mut args = vec!["list"];
        if json {
            args.insert(0, "--json");
        }
        let out = env.cmd().args(&args).output().unwrap();
        let (stdout, stderr) = texts(&out);
        assert!(out.status.success(), "{args:?}: {stdout}{stderr}");
        assert!(
            stderr.contains(&format!("record {damaged} not listed: damaged"))
                && stderr.contains("credwell vault backup")
                && stderr.contains("credwell rm"),
            "{stderr}"
        );
        if json {
            let listed: Value = serde_json::from_str(&stdout).unwrap();
            assert_eq!(listed.as_array().unwrap().len(), ids.len() - 1);
        }
    }

    // An export refuses (naming the record and the way out) unless told to skip it.
    let file = env.path("export.csv");
    let file = file.to_str().unwrap();
    let err = env.fails(&["export", "chrome-csv", file, "--yes"]);
    assert!(
        err.contains(&format!("record {damaged} is damaged")) && err.contains("--skip-damaged"),
        "{err}"
    );
    assert!(!Path::new(file).exists());
    let out = env
        .cmd()
        .args(["export", "chrome-csv", file, "--yes", "--skip-damaged"])
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!("record {damaged} not exported: damaged")),
        "{stderr}"
    );
    let rows = std::fs::read_to_string(file).unwrap().lines().count();
    assert_eq!(
        rows,
        ids.len(),
        "a header and every record but the damaged one"
    );
    // With --json and the export on stdout, stderr holds the report alone, the damaged record
    // counted and named in it.
    let out = env
        .cmd()
        .args([
            "--json",
            "export",
            "chrome-csv",
            "-",
            "--yes",
            "--skip-damaged",
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stdout, std::fs::read_to_string(file).unwrap());
    let report: Value = serde_json::from_str(&stderr).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert_eq!(report["notExported"]["damaged"], 1, "{report}");
    let named = format!("record {damaged} not exported: damaged");
    assert!(
        report["warnings"][0].as_str().unwrap().starts_with(&named),
        "{report}"
    );

    // `rm` removes the damaged record; afterwards the vault is intact.
    env.ok(&["rm", &damaged]);
    assert!(env.ok(&["vault", "check"]).contains("intact"));
    assert_eq!(env.list().as_array().unwrap().len(), ids.len() - 1);
    let err = env.fails(&["rm", &damaged]);
    assert!(err.contains("there is no credential"), "{err}");
}

/// Bitwarden JSON carries passkeys both ways; a bare CXF account is read; what credwell cannot
/// hold or use as it was is named on stderr, and the rest is imported.
#[test]
fn passkeys_travel_through_bitwarden_json_and_bare_cxf_accounts() {
    let env = Env::new();
    env.init();
    let out = env
        .cmd()
        .args(["--json", "import", "bitwarden-json"])
        .arg(fixture("bitwarden_passkeys.json"))
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["passkeys"]["added"], 2, "{report}");
    assert_eq!(report["added"], 2, "{report}");
    assert_eq!(report["passkeyCounters"], json!([34]), "{report}");
    assert_eq!(report["timesDropped"], json!([83]), "{report}");
    assert!(
        stderr.contains("skipped the entry at line 59: the passkey's key is a P-384 key"),
        "{stderr}"
    );
    assert!(
        stderr.contains("skipped the entry at line 83: the passkey has no user handle"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 passkey has a signature counter above 0 (line 34)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 entry has a time that cannot be"),
        "{stderr}"
    );
    assert_eq!(env.json(&["vault", "info"])["passkeys"], 2);

    // Out as Bitwarden JSON and into a new vault: the same passkeys.
    let file = env.path("bitwarden.json");
    let exported = env
        .cmd()
        .args(["export", "bitwarden-json"])
        .arg(&file)
        .arg("--yes")
        .output()
        .unwrap();
    let (_, stderr) = texts(&exported);
    assert!(exported.status.success(), "{stderr}");
    assert!(
        stderr.contains("2 password credentials and 2 passkeys")
            && !stderr.contains("not exported"),
        "{stderr}"
    );
    let other = Env::new();
    other.init();
    let report = other.json(&["import", "bitwarden-json", file.to_str().unwrap()]);
    assert_eq!(report["passkeys"]["added"], 2, "{report}");
    assert_eq!(report["added"], 2, "{report}");
    assert_eq!(report["skipped"], 0, "{report}");
    let keys = |env: &Env| {
        let mut listed: Vec<String> = env
            .list()
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["type"] == "passkey")
            .map(|c| format!("{} {} {}", c["rpId"], c["id"], c["algorithm"]))
            .collect();
        listed.sort();
        listed
    };
    assert_eq!(keys(&other), keys(&env));

    // A passkey's prf secrets have no place in Bitwarden JSON: said so.
    other.json(&["import", "cxf", &fixture("cxf.json")]);
    let exported = other
        .cmd()
        .args(["export", "bitwarden-json", "--yes"])
        .output()
        .unwrap();
    let (_, stderr) = texts(&exported);
    assert!(exported.status.success(), "{stderr}");
    assert!(
        stderr.contains("the prf secrets of 1 passkey not exported"),
        "{stderr}"
    );

    // A CXF account without the exchange header, with Google's negative times.
    let bare = Env::new();
    bare.init();
    let out = bare
        .cmd()
        .args(["--json", "import", "cxf"])
        .arg(fixture("cxf_bare_account.json"))
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["added"], 1, "{report}");
    assert_eq!(report["passkeys"]["added"], 1, "{report}");
    assert_eq!(report["timesDropped"], json!([8, 38]), "{report}");
    assert!(
        stderr.contains("line 22: the passkey's key is a P-384 key"),
        "{stderr}"
    );
    // A passkey that breaks the format names its item, credential and field.
    let err = bare.fails(&["import", "cxf", &fixture("fail_cxf_passkey_field.json")]);
    assert!(
        err.contains(
            "fail_cxf_passkey_field.json:26: item aXRlbS0y: credential 1 (\"passkey\") has a \
             missing field `rpId`"
        ),
        "{err}"
    );
}

/// Bitwarden's, LastPass's, Apple's and 1Password's CSV exports come in, and go out and back.
#[test]
fn more_csv_formats_import_and_round_trip() {
    for (format, file, added) in [
        ("bitwarden-csv", "bitwarden.csv", 4),
        ("lastpass-csv", "lastpass.csv", 3),
        ("apple-csv", "apple.csv", 3),
        ("1password-csv", "1password.csv", 3),
        ("proton-csv", "proton.csv", 3),
    ] {
        let env = Env::new();
        env.init();
        let report = env.json(&["import", format, &fixture(file)]);
        assert_eq!(report["added"], added, "{format}: {report}");
        let out = env.path("out.csv");
        let out = out.to_str().unwrap();
        env.ok(&["export", format, out, "--yes"]);
        let again = env.json(&["import", format, out]);
        assert_eq!(
            (again["added"].as_u64(), again["unchanged"].as_u64()),
            (Some(0), Some(added)),
            "{format}: {again}"
        );
        let fresh = Env::new();
        fresh.init();
        let back = fresh.json(&["import", format, out]);
        assert_eq!(back["added"], added, "{format}: {back}");
        assert_eq!(back["skipped"], 0, "{format}: {back}");
    }
}

/// `-` is stdin for an import and stdout for an export; internationalised hosts are listed,
/// shown and exported in Unicode.
#[test]
fn dash_is_stdin_and_stdout_and_hosts_read_in_unicode() {
    let env = Env::new();
    env.init();
    let chrome = std::fs::read_to_string(fixture("chrome.csv")).unwrap();
    let out = env
        .cmd()
        .args(["--json", "import", "chrome-csv", "-"])
        .write_stdin(chrome.as_str())
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["added"], 5, "{report}");
    assert_eq!(report["file"], "stdin", "{report}");
    // A malformed file on stdin is named as stdin, with its line.
    let out = env
        .cmd()
        .args(["import", "chrome-csv", "-"])
        .write_stdin("name,url,username,password,note\nx,https://a.example,u\n")
        .output()
        .unwrap();
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("stdin:2: "), "{stderr}");

    // The stored origin is ASCII; people read and other tools write the Unicode host.
    let list = env.ok(&["list"]);
    assert!(list.contains("https://bücher.example"), "{list}");
    assert!(!list.contains("xn--"), "{list}");
    let stored = env.list();
    let jurgen = stored
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["origin"] == "https://xn--bcher-kva.example")
        .unwrap_or_else(|| panic!("{stored}"));
    let shown = env.ok(&["show", &jurgen["record"].to_string()]);
    assert!(
        shown.contains("Origin:   https://bücher.example"),
        "{shown}"
    );
    // Searched for in Unicode or in punycode, it is found.
    for query in ["bücher", "Bücher.Example", "xn--bcher-kva"] {
        let found = env.json(&["search", query]);
        assert_eq!(found.as_array().unwrap().len(), 1, "{query}: {found}");
        assert_eq!(found[0]["record"], jurgen["record"], "{query}: {found}");
    }
    for format in [
        "chrome-csv",
        "firefox-csv",
        "keepassxc-csv",
        "bitwarden-json",
        "cxf",
    ] {
        let exported = env.ok(&["export", format, "-", "--yes"]);
        assert!(exported.contains("bücher.example"), "{format}: {exported}");
        assert!(!exported.contains("xn--"), "{format}: {exported}");
    }
    assert!(!env.path("-").exists());
}

#[test]
fn passkeys_travel_in_and_out_through_cxf() {
    let env = Env::new();
    env.init();
    // A malformed passkey aborts the whole file: not even its valid login is imported.
    let err = env.fails(&["import", "cxf", &fixture("fail_cxf_bad_key.json")]);
    assert!(err.contains("fail_cxf_bad_key.json:"), "{err}");
    assert!(err.contains("not a PKCS#8"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(env.list(), json!([]));
    assert_eq!(env.json(&["vault", "info"])["passkeys"], 0);

    let report = env.json(&["import", "cxf", &fixture("cxf.json")]);
    assert_eq!(report["added"], 1, "{report}");
    assert_eq!(report["passkeys"]["added"], 2, "{report}");
    assert_eq!(env.json(&["vault", "info"])["passkeys"], 2);
    let check = env.json(&["vault", "check"]);
    assert_eq!(check["clean"], true, "{check}");
    assert_eq!(check["ok"], 3, "{check}");

    // The same file again merges: nothing doubles.
    let again = env.json(&["import", "cxf", &fixture("cxf.json")]);
    assert_eq!(again["passkeys"]["unchanged"], 2, "{again}");
    assert_eq!(again["unchanged"], 1, "{again}");
    assert_eq!(env.json(&["vault", "info"])["passkeys"], 2);

    // Export: the passkeys come out with their keys, and a fresh vault takes them back.
    let out = env.path("export.json");
    let exported = env
        .cmd()
        .args(["export", "cxf"])
        .arg(&out)
        .arg("--yes")
        .output()
        .unwrap();
    let (_, stderr) = texts(&exported);
    assert!(exported.status.success(), "{stderr}");
    assert!(
        stderr.contains("1 password credential and 2 passkeys"),
        "{stderr}"
    );
    assert!(stderr.contains("private key in clear text"), "{stderr}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("\"rpId\": \"other.example\""), "{text}");

    let other = Env::new();
    other.init();
    let report = other.json(&["import", "cxf", out.to_str().unwrap()]);
    assert_eq!(report["passkeys"]["added"], 2, "{report}");
    assert_eq!(report["added"], 1, "{report}");

    // A format without passkeys says what it left out.
    let csv = env
        .cmd()
        .args(["export", "chrome-csv", "--yes"])
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&csv);
    assert!(csv.status.success(), "{stderr}");
    assert!(stdout.contains("login.example.com"), "{stdout}");
    assert!(stderr.contains("2 passkeys not exported"), "{stderr}");

    // `list` shows passkeys (never their keys), `--origin` finds those usable there, `rm` takes
    // them out.
    let listed = env.list();
    let passkeys: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "public-key")
        .collect();
    assert_eq!(passkeys.len(), 2, "{listed}");
    assert_eq!(passkeys[0]["rpId"], "example.com");
    assert_eq!(passkeys[0]["id"], "alice@example.com");
    assert_eq!(passkeys[0]["algorithm"], "ES256");
    assert_eq!(passkeys[1]["algorithm"], "EdDSA");
    assert!(
        !listed.to_string().contains("MIGHAgEA"),
        "a key in {listed}"
    );
    // The shape the manager page reads: credwell-admin's entries, record for record.
    let vault = credwell_vault::Vault::open(&env.vault, PASSPHRASE.as_bytes()).unwrap();
    let whole = FieldLimits::NONE;
    let credentials = vault.all_credentials().unwrap();
    let stored_passkeys = vault.passkey_records().unwrap();
    let expected: Vec<Value> = credentials
        .iter()
        .map(|r| entry::credential_entry(r, &whole))
        .chain(
            stored_passkeys
                .iter()
                .map(|(r, p)| entry::passkey_entry(*r, p, &whole)),
        )
        .collect();
    drop(vault);
    assert_eq!(listed, Value::Array(expected));
    let table = env.ok(&["list"]);
    assert!(table.contains("\tpasskey\tother.example\tbob\t"), "{table}");
    let here = env.json(&["list", "--origin", "https://login.example.com"]);
    let rps: Vec<&str> = here
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["rpId"].as_str())
        .collect();
    assert_eq!(rps, ["example.com"], "{here}");
    let id = passkeys[1]["record"].as_u64().unwrap().to_string();
    assert!(env.ok(&["rm", &id]).contains("Removed"));
    assert_eq!(env.json(&["vault", "info"])["passkeys"], 1);
    assert!(env.fails(&["rm", &id]).contains("no credential with ID"));
}

/// Canary strings in every credential field, written through the command line: none may reach
/// the vault file or its WAL, nor anything the command line prints on stderr; the password's may
/// reach stdout only through `show --reveal`.
#[test]
fn canaries_never_reach_the_disk_or_stderr() {
    let env = Env::new();
    env.init();
    let canaries = [
        "canaryorigin.example",
        "CANARYUSER",
        "CANARYPASSWORD",
        "CANARYNAME",
        "canaryicon.example",
        "canaryprovider.example",
        "CANARYPROTOCOL",
        "CANARYEDITED",
    ];
    let mut stderr_all = String::new();
    let mut stdout_all = String::new();
    let mut run = |args: &[&str], stdin: &str| -> String {
        let out = env.cmd().args(args).write_stdin(stdin).output().unwrap();
        let (stdout, stderr) = texts(&out);
        assert!(out.status.success(), "{args:?}: {stderr}");
        stderr_all += &stderr;
        stdout_all += &stdout;
        stdout
    };
    let origin = "https://canaryorigin.example";
    run(
        &[
            "add",
            "password",
            "--origin",
            origin,
            "--username",
            "CANARYUSER",
            "--password-stdin",
            "--name",
            "CANARYNAME",
            "--icon",
            "https://canaryicon.example/i.png",
        ],
        "CANARYPASSWORD\n",
    );
    run(
        &[
            "add",
            "federated",
            "--origin",
            origin,
            "--id",
            "CANARYUSER",
            "--provider",
            "https://canaryprovider.example",
            "--protocol",
            "CANARYPROTOCOL",
            "--name",
            "CANARYNAME",
        ],
        "",
    );
    let csv = env.path("canary.csv");
    std::fs::write(
        &csv,
        "name,url,username,password,note\nCANARYNAME,https://canaryorigin.example/x,CANARYEDITED,CANARYPASSWORD,\n",
    )
    .unwrap();
    run(&["import", "chrome-csv", csv.to_str().unwrap()], "");
    std::fs::remove_file(&csv).unwrap();
    let listed: Value = serde_json::from_str(&run(&["--json", "list"], "")).unwrap();
    let first = listed[0]["record"].as_u64().unwrap().to_string();
    run(&["edit", &first, "--name", "CANARYEDITED"], "");
    run(&["show", &first], "");
    run(&["vault", "info"], "");
    run(&["vault", "check"], "");
    let revealed = run(&["show", &first, "--reveal"], "");
    assert!(revealed.contains("CANARYPASSWORD"), "{revealed}");
    let last = listed[2]["record"].as_u64().unwrap().to_string();
    run(&["rm", &last], "");
    for canary in canaries {
        assert!(
            !stderr_all.contains(canary),
            "{canary} on stderr: {stderr_all}"
        );
    }
    // Only the one `--reveal` shows the password.
    assert_eq!(
        stdout_all.matches("CANARYPASSWORD").count(),
        1,
        "{stdout_all}"
    );

    let scan = |when: &str| {
        for file in std::fs::read_dir(env.dir.path()).unwrap() {
            let file = file.unwrap().path();
            if !file.to_string_lossy().contains("vault.sqlite") {
                continue;
            }
            let bytes = std::fs::read(&file).unwrap().to_ascii_lowercase();
            for canary in canaries {
                let needle = canary.to_ascii_lowercase().into_bytes();
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_slice()),
                    "{canary} in clear in {} ({when})",
                    file.display()
                );
            }
        }
    };
    scan("after the commands");
}

/// No import, failed or not, prints a password on stderr or stdout. Every
/// file of `tests/fixtures/canary/` (one per error path and warning of each format, named after
/// its format) holds passwords with `CANARYpw` in them; an export after the successful ones says
/// nothing of them either.
#[test]
fn no_import_prints_a_password() {
    const CANARY: &str = "CANARYpw";
    let env = Env::new();
    env.init();
    let dir = fixtures().join("canary");
    let mut runs = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let format = [
            "chrome-csv",
            "firefox-csv",
            "bitwarden-json",
            "keepassxc-csv",
            "cxf",
        ]
        .into_iter()
        .find(|f| name.starts_with(f.split('-').next().unwrap()))
        .unwrap_or_else(|| panic!("{name} names no format"));
        for json in [false, true] {
            let mut cmd = env.cmd();
            if json {
                cmd.arg("--json");
            }
            let out = cmd
                .args(["import", format, path.to_str().unwrap()])
                .output()
                .unwrap();
            let (stdout, stderr) = texts(&out);
            assert!(!stderr.contains(CANARY), "{name}: {stderr}");
            assert!(!stdout.contains(CANARY), "{name}: {stdout}");
            assert!(!stderr.contains("panicked"), "{name}: {stderr}");
            runs += 1;
        }
    }
    assert!(runs >= 60, "{runs}");
    let out = env
        .cmd()
        .args([
            "export",
            "chrome-csv",
            env.path("out.csv").to_str().unwrap(),
            "--yes",
        ])
        .output()
        .unwrap();
    let (_, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains(CANARY), "{stderr}");
}

/// The command line and other processes writing the vault at the same time lose nothing: each
/// waits for the others' write lock (busy timeout) instead of failing or overwriting.
#[test]
fn concurrent_writers_in_separate_processes_lose_nothing() {
    let env = Env::new();
    env.init();
    const WRITERS: usize = 4;
    const EACH: usize = 6;
    let children: Vec<_> = (0..WRITERS)
        .map(|w| {
            let csv = env.path(&format!("w{w}.csv"));
            let rows: String = (0..EACH)
                .map(|n| format!("site,https://w{w}.example,user{n},pw-{w}-{n},\n"))
                .collect();
            std::fs::write(&csv, format!("name,url,username,password,note\n{rows}")).unwrap();
            // Half import a file (one transaction), half add one credential at a time.
            let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("credwell"));
            cmd.env("CREDWELL_PASSPHRASE_FILE", env.path("passphrase"))
                .env("HOME", env.dir.path())
                .arg("--vault")
                .arg(&env.vault)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            if w % 2 == 0 {
                cmd.args(["import", "chrome-csv"]).arg(&csv);
                vec![cmd.spawn().unwrap()]
            } else {
                (0..EACH)
                    .map(|n| {
                        let mut one =
                            std::process::Command::new(assert_cmd::cargo::cargo_bin!("credwell"));
                        one.env("CREDWELL_PASSPHRASE_FILE", env.path("passphrase"))
                            .env("HOME", env.dir.path())
                            .arg("--vault")
                            .arg(&env.vault)
                            .args(["add", "password", "--origin"])
                            .arg(format!("https://w{w}.example"))
                            .args(["--username", &format!("user{n}"), "--password-stdin"])
                            .stdin(std::process::Stdio::piped())
                            .stdout(std::process::Stdio::piped())
                            .stderr(std::process::Stdio::piped());
                        let mut child = one.spawn().unwrap();
                        use std::io::Write as _;
                        child
                            .stdin
                            .take()
                            .unwrap()
                            .write_all(format!("pw-{w}-{n}\n").as_bytes())
                            .unwrap();
                        child
                    })
                    .collect()
            }
        })
        .collect();
    for child in children.into_iter().flatten() {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a writer failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut got = accounts(&env.list());
    got.sort();
    let mut want: Vec<(String, String)> = (0..WRITERS)
        .flat_map(|w| (0..EACH).map(move |n| (format!("https://w{w}.example"), format!("user{n}"))))
        .collect();
    want.sort();
    assert_eq!(got, want);
    let check = env.json(&["vault", "check"]);
    assert_eq!(check["clean"], true, "{check}");
}

/// Every key of `value`, at any depth, is camelCase: no underscore, a lower-case first letter.
fn assert_camel_case(what: &str, value: &Value) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let lower_first = key.chars().next().is_some_and(|c| c.is_ascii_lowercase());
                assert!(lower_first && !key.contains('_'), "{what}: key {key:?}");
                assert_camel_case(what, inner);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| assert_camel_case(what, v)),
        _ => {}
    }
}

/// Every time of `value`, at any depth, is an RFC 3339 string in UTC with milliseconds, as
/// `Timestamp::to_iso8601` writes it: an entry's `created` and `updated` (elsewhere the names
/// are also counts, an import's, and a flag, `edit`'s `updated: true`), and any string that
/// starts as a date. Every `record` is a record number, and an `id` beside it is a user name,
/// never a number.
fn assert_times_and_records(what: &str, value: &Value) {
    let rfc3339 = |text: &str| {
        let parsed = credwell_core::Timestamp::parse_iso8601(text)
            .unwrap_or_else(|| panic!("{what}: {text:?} is not RFC 3339"));
        assert_eq!(parsed.to_iso8601(), text, "{what}: UTC, milliseconds");
    };
    let looks_like_a_date = |text: &str| {
        let b = text.as_bytes();
        b.len() >= 11 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[10] == b'T'
    };
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let entry = map.contains_key("record") && map.contains_key("type");
                match (key.as_str(), inner) {
                    ("created" | "updated", Value::String(text)) => rfc3339(text),
                    ("created" | "updated", other) if entry => panic!("{what}: {key} is {other}"),
                    ("record", record) => assert!(record.is_u64(), "{what}: {value}"),
                    ("id", id) if map.contains_key("record") => {
                        assert!(id.is_string(), "{what}: {value}");
                    }
                    _ => {}
                }
                assert_times_and_records(what, inner);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| assert_times_and_records(what, v)),
        Value::String(text) if looks_like_a_date(text) => rfc3339(text),
        _ => {}
    }
}

#[test]
fn json_output_has_one_key_case_and_rfc3339_times() {
    let env = Env::new();
    env.init();
    let now = || credwell_core::Clock::now(&credwell_core::SystemClock).0;
    let before = now();
    let imported = env.json(&["import", "firefox-csv", &fixture("firefox.csv")]);
    let with_passkeys = env.json(&["import", "cxf", &fixture("cxf.json")]);
    let list = env.list();
    let after = now();
    let first = list[0]["record"].to_string();
    std::fs::write(env.path("second"), "second passphrase\n").unwrap();
    let second = env.path("second");
    let added = env.json(&[
        "add",
        "password",
        "--origin",
        "https://new.example",
        "--username",
        "nina",
        "--generate",
    ]);
    let record = added["record"].to_string();
    std::fs::write(env.path("totp"), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n").unwrap();
    let totp = env.path("totp");
    let export = env.path("export.json");
    let mut outputs = vec![
        ("vault info", env.json(&["vault", "info"])),
        ("vault check", env.json(&["vault", "check"])),
        ("import", imported),
        ("import cxf", with_passkeys),
        ("show", env.json(&["show", &first])),
        ("add", added.clone()),
        ("edit", env.json(&["edit", &record, "--name", "Nina"])),
        ("search", env.json(&["search", "nina"])),
        ("generate", env.json(&["generate"])),
        (
            "totp",
            env.json(&["totp", "--secret-file", totp.to_str().unwrap()]),
        ),
        (
            "export",
            env.json(&[
                "export",
                "bitwarden-json",
                export.to_str().unwrap(),
                "--yes",
            ]),
        ),
        ("rm", env.json(&["rm", &record])),
    ];
    outputs.push((
        "vault passwd",
        env.json(&[
            "vault",
            "passwd",
            "--new-passphrase-file",
            second.to_str().unwrap(),
        ]),
    ));
    outputs.push(("list", list.clone()));
    for (what, output) in &outputs {
        assert_camel_case(what, output);
        assert_times_and_records(what, output);
    }
    // add, edit and rm name the record number as list, show and search do.
    for what in ["add", "edit", "rm"] {
        let (_, output) = outputs.iter().find(|(w, _)| *w == what).unwrap();
        assert_eq!(output["record"], added["record"], "{what}: {output}");
        assert!(output.get("id").is_none(), "{what}: {output}");
    }
    let (_, found) = outputs.iter().find(|(w, _)| *w == "search").unwrap();
    assert_eq!(found[0]["record"], added["record"], "{found}");
    assert_eq!(found[0]["id"], "nina", "{found}");
    let entries = list.as_array().unwrap();
    assert!(entries.iter().any(|e| e["type"] == "public-key"), "{list}");
    for entry in entries {
        let times = ["created", "updated"].map(|key| entry.get(key));
        assert!(times[0].is_some(), "{entry}");
        for time in times.into_iter().flatten() {
            let text = time
                .as_str()
                .unwrap_or_else(|| panic!("not a string: {entry}"));
            let parsed = credwell_core::Timestamp::parse_iso8601(text).unwrap();
            assert_eq!(
                parsed.to_iso8601(),
                text,
                "RFC 3339, UTC, milliseconds: {entry}"
            );
            // The logins keep the files' own times (Firefox's `timeCreated` and
            // `timePasswordChanged`, CXF's `creationAt`), all before the import; the one
            // Firefox row without times (the username-less one) is stamped at the import.
            if entry["type"] == "password" && entry["id"] == "" {
                assert!((before..=after).contains(&parsed.0), "{entry}");
            } else if entry["type"] == "password" {
                assert!(parsed.0 < before, "{entry}");
            }
        }
    }
    // A passkey keeps the file's creation time (CXF `creationAt`, 1704153600 seconds).
    let passkey = entries.iter().find(|e| e["rpId"] == "example.com").unwrap();
    assert_eq!(passkey["created"], "2024-01-02T00:00:00.000Z", "{passkey}");
}

#[test]
fn passwd_says_what_it_did_and_keep_key_what_it_leaves_exposed() {
    let env = Env::new();
    env.init();
    env.add_password("https://a.example", "alice", "s3cret-alice");
    std::fs::write(env.path("second"), "second passphrase\n").unwrap();
    let rotated = env.json(&[
        "vault",
        "passwd",
        "--new-passphrase-file",
        env.path("second").to_str().unwrap(),
    ]);
    assert_eq!(rotated["keyRotated"], true, "{rotated}");
    assert_eq!(rotated["records"], 1, "{rotated}");
    std::fs::copy(env.path("second"), env.path("passphrase")).unwrap();
    std::fs::write(env.path("third"), "third passphrase\n").unwrap();
    let out = env
        .cmd()
        .args([
            "vault",
            "passwd",
            "--keep-key",
            "--new-passphrase-file",
            env.path("third").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("vault key kept"), "{stdout}");
    assert!(
        stderr
            .contains("old passphrase can still unwrap the key and read everything written later"),
        "{stderr}"
    );
    std::fs::copy(env.path("third"), env.path("passphrase")).unwrap();
    assert_eq!(env.list().as_array().unwrap().len(), 1);
}

/// A Bitwarden export with everything a credential carries: notes, a TOTP secret (RFC 6238's
/// SHA-1 seed, 8 digits: 94287082 at 59 s), a hidden and a visible field, a folder and a
/// favourite mark.
const WITH_EXTRAS: &str = r#"{
  "encrypted": false,
  "folders": [{"id": "f1", "name": "Finance/Banks"}],
  "items": [
    {"type": 1, "name": "Bank", "notes": "recovery: 1111-2222\nsecond line",
     "favorite": true, "folderId": "f1",
     "fields": [{"name": "Card PIN", "value": "4711", "type": 1},
                {"name": "Branch", "value": "Main Street", "type": 0}],
     "login": {"uris": [{"uri": "https://bank.example"}], "username": "dave",
               "password": "pw-bank",
               "totp": "otpauth://totp/Bank:dave?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8"}}
  ]
}"#;

#[test]
fn notes_totp_fields_and_folders_are_imported_shown_used_exported_and_imported_again() {
    let env = Env::new();
    env.init();
    let file = env.path("bitwarden.json");
    std::fs::write(&file, WITH_EXTRAS).unwrap();
    let file = file.to_str().unwrap();
    let out = env
        .cmd()
        .args(["import", "bitwarden-json", file])
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("1 added"), "{stdout}");
    assert!(!stderr.contains("not stored"), "{stderr}");
    // show: the folder, mark, fields and notes; the TOTP secret and the PIN only revealed.
    let shown = env.ok(&["show", "bank"]);
    for line in [
        "Folder:   Finance/Banks",
        "Favorite: yes",
        "TOTP:     ********",
        "Field:    Card PIN: ********",
        "Field:    Branch: Main Street",
        "Notes:    recovery: 1111-2222",
    ] {
        assert!(shown.contains(line), "{line} in {shown}");
    }
    assert!(
        !shown.contains("4711") && !shown.contains("GEZDGNBV"),
        "{shown}"
    );
    let revealed = env.json(&["show", "bank", "--reveal"]);
    assert_eq!(revealed["fields"][0]["value"], "4711", "{revealed}");
    assert!(revealed["totp"].as_str().unwrap().contains("GEZDGNBV"));
    // get --field, totp ID|QUERY, search by folder and field name.
    assert_eq!(
        env.ok(&["get", "bank", "--field", "note"]),
        "recovery: 1111-2222\nsecond line\n"
    );
    assert_eq!(
        env.ok(&["get", "bank", "--field", "totp", "--at", "59"]),
        "94287082\n"
    );
    assert_eq!(env.ok(&["totp", "bank", "--at", "59"]), "94287082\n");
    assert_eq!(env.ok(&["totp", "1", "--at", "1111111109"]), "07081804\n");
    let json = env.json(&["totp", "dave", "--at", "59"]);
    assert_eq!(json["code"], "94287082");
    assert_eq!(accounts(&env.json(&["search", "banks"])).len(), 1);
    assert_eq!(accounts(&env.json(&["search", "card pin"])).len(), 1);
    assert!(accounts(&env.json(&["search", "4711"])).is_empty());
    let err = env.fails(&["totp", "nothing-matches"]);
    assert!(err.contains("no credential matches"), "{err}");
    // The same file again changes nothing.
    let again = env.json(&["import", "bitwarden-json", file]);
    assert_eq!(
        (again["added"].clone(), again["updated"].clone()),
        (json!(0), json!(0))
    );
    // Exported and imported into another vault: everything is there.
    let exported = env.ok(&["export", "bitwarden-json", "--yes"]);
    let item = &serde_json::from_str::<Value>(&exported).unwrap()["items"][0];
    assert_eq!(item["notes"], "recovery: 1111-2222\nsecond line", "{item}");
    assert!(item["login"]["totp"].as_str().unwrap().contains("GEZDGNBV"));
    assert_eq!(item["favorite"], true);
    let other = Env::new();
    other.init();
    let copy = other.path("copy.json");
    std::fs::write(&copy, &exported).unwrap();
    other.ok(&["import", "bitwarden-json", copy.to_str().unwrap()]);
    let mut back = other.json(&["show", "bank", "--reveal"]);
    let mut first = revealed.clone();
    for key in ["record", "created", "updated"] {
        back[key] = Value::Null;
        first[key] = Value::Null;
    }
    assert_eq!(back, first);
    // A format without a place for them says what it leaves out.
    let out = env
        .cmd()
        .args(["export", "firefox-csv", "--yes"])
        .output()
        .unwrap();
    let (_, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    for kind in [
        "notes",
        "TOTP secrets",
        "custom fields",
        "folders",
        "favourite marks",
    ] {
        let want = format!("the {kind} of 1 password credential not exported: firefox-csv");
        assert!(stderr.contains(&want), "{want} in {stderr}");
    }
    // A KeePassXC round trip keeps the notes, the TOTP secret and the folder.
    let keepass = env.ok(&["export", "keepassxc-csv", "--yes"]);
    assert!(keepass.contains("\"Root/Finance/Banks\""), "{keepass}");
    let third = Env::new();
    third.init();
    let csv = third.path("keepass.csv");
    std::fs::write(&csv, &keepass).unwrap();
    third.ok(&["import", "keepassxc-csv", csv.to_str().unwrap()]);
    assert_eq!(third.ok(&["totp", "bank", "--at", "59"]), "94287082\n");
    let shown = third.json(&["show", "bank"]);
    assert_eq!(shown["folder"], "Finance/Banks", "{shown}");
    assert_eq!(shown["notes"], "recovery: 1111-2222\nsecond line");
}

/// CXF's `totp` and `custom-fields` credentials come in with their logins, give codes, and go
/// out and in again unchanged.
#[test]
fn cxf_totp_and_custom_fields_are_imported_used_and_exported_again() {
    let env = Env::new();
    env.init();
    let out = env
        .cmd()
        .args(["import", "cxf", &fixture("cxf_totp_fields.json")])
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("3 added"), "{stdout}");
    assert!(!stderr.contains("not stored"), "{stderr}");
    let shown = env.ok(&["show", "sections.example"]);
    for line in [
        "Favorite: yes",
        "TOTP:     ********",
        "Field:    Security questions: PIN: ********",
        "Field:    Security questions: First pet: Rex",
    ] {
        assert!(shown.contains(line), "{line} in {shown}");
    }
    let codes = |env: &Env| {
        ["sections.example", "sha256.example"].map(|q| env.ok(&["totp", q, "--at", "59"]))
    };
    let first_codes = codes(&env);
    assert_eq!(first_codes[0].trim().len(), 6, "{first_codes:?}");
    assert_eq!(first_codes[1].trim().len(), 8, "{first_codes:?}");
    let exported = env.ok(&["export", "cxf", "--yes"]);
    let other = Env::new();
    other.init();
    let copy = other.path("copy.json");
    std::fs::write(&copy, &exported).unwrap();
    other.ok(&["import", "cxf", copy.to_str().unwrap()]);
    assert_eq!(codes(&other), first_codes);
    for query in ["sections.example", "sha256.example", "md5.example"] {
        let mut back = other.json(&["show", query, "--reveal"]);
        let mut first = env.json(&["show", query, "--reveal"]);
        for key in ["record", "created", "updated"] {
            back[key] = Value::Null;
            first[key] = Value::Null;
        }
        assert_eq!(back, first, "{query}");
    }
}

/// `export --json` says what it wrote and what the format had no place for, per kind, as one
/// JSON object: on stdout beside a file export; on stderr, alone, when the export itself is on
/// stdout, which then holds the export and nothing else.
#[test]
fn export_json_reports_what_was_written_and_left_out() {
    let env = Env::new();
    env.init();
    let file = env.path("bitwarden.json");
    std::fs::write(&file, WITH_EXTRAS).unwrap();
    env.ok(&["import", "bitwarden-json", file.to_str().unwrap()]);
    env.ok(&["import", "cxf", &fixture("cxf.json")]);
    let want_left_out = json!({
        "notes": 1, "totp": 1, "customFields": 1, "folders": 1, "favourites": 1, "passkeys": 2,
    });

    let out = env.path("export.csv");
    let exported = env
        .cmd()
        .args([
            "--json",
            "export",
            "firefox-csv",
            out.to_str().unwrap(),
            "--yes",
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&exported);
    assert!(exported.status.success(), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(report["file"], out.to_str().unwrap(), "{report}");
    assert_eq!(report["format"], "firefox-csv", "{report}");
    assert_eq!(report["passwords"], 2, "{report}");
    assert_eq!(report["passkeys"], 0, "{report}");
    assert_eq!(report["notExported"], want_left_out, "{report}");
    let warnings = report["warnings"].as_array().unwrap();
    assert!(
        warnings[0].as_str().unwrap().contains("in clear text"),
        "{report}"
    );
    assert!(
        warnings.iter().any(|w| w
            .as_str()
            .unwrap()
            .starts_with("the TOTP secrets of 1 password credential not exported")),
        "{report}"
    );
    // The warnings are on stderr too, as an import's are; the summary is the JSON alone.
    assert!(
        stderr.contains("warning: 2 passkeys not exported"),
        "{stderr}"
    );
    assert!(!stderr.contains("Exported"), "{stderr}");
    assert!(std::fs::read_to_string(&out).unwrap().contains("dave"));
    assert_no_secret("export --json's report", &stdout);

    let plain = env.ok(&["export", "firefox-csv", "-", "--yes"]);
    let exported = env
        .cmd()
        .args(["--json", "export", "firefox-csv", "-", "--yes"])
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&exported);
    assert!(exported.status.success(), "{stderr}");
    assert_eq!(stdout, plain, "stdout holds the export and nothing else");
    let report: Value =
        serde_json::from_str(&stderr).unwrap_or_else(|e| panic!("one object: {e}: {stderr}"));
    assert_eq!(report["file"], "stdout", "{report}");
    assert_eq!(report["passwords"], 2, "{report}");
    assert_eq!(report["notExported"], want_left_out, "{report}");
    assert_no_secret("export --json's report", &stderr);

    // cxf has a place for everything: nothing left out, no warning but the clear text's.
    let all = env.path("all.json");
    let report = env.json(&["export", "cxf", all.to_str().unwrap(), "--yes"]);
    assert_eq!(report["notExported"], json!({}), "{report}");
    assert_eq!(report["passkeys"], 2, "{report}");
    assert_eq!(report["warnings"].as_array().unwrap().len(), 1, "{report}");
}

/// What an import says, at the command line: a dry run's `keep` and `update` rows beside its
/// `add`s; a login repeated with other passwords (`conflictingRepeats`); what credwell does not
/// store, per kind (`notStored`). No message quotes a password.
#[test]
fn import_warnings_and_dry_run_rows_are_said_in_text_and_json() {
    let env = Env::new();
    env.init();
    let csv = |name: &str, rows: &str| {
        let path = env.path(name);
        std::fs::write(&path, format!("name,url,username,password,note\n{rows}")).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let first = csv(
        "first.csv",
        "A,https://a.example,ann,pw-ann-1,\nB,https://b.example,ben,pw-ben-1,\n",
    );
    env.ok(&["import", "chrome-csv", &first]);

    // A dry run: each row's fate, in file order, and nothing changes.
    let second = csv(
        "second.csv",
        "A,https://a.example,ann,pw-ann-1,\nB,https://b.example,ben,pw-ben-2,\n\
         C,https://c.example,cid,pw-cid-1,\n",
    );
    let before = env.list();
    let dry = [
        "import",
        "chrome-csv",
        &second,
        "--dry-run",
        "--on-conflict",
        "theirs",
    ];
    let text = env.ok(&dry);
    let rows: Vec<&str> = text.lines().take(3).collect();
    assert_eq!(
        rows,
        [
            "keep   line 2      https://a.example \"ann\"",
            "update line 3      https://b.example \"ben\": --on-conflict theirs",
            "add    line 4      https://c.example \"cid\"",
        ],
        "{text}"
    );
    assert!(
        text.contains("1 added, 1 updated, 1 unchanged, 0 skipped"),
        "{text}"
    );
    let json = env.json(&dry);
    let actions: Vec<(&str, u64)> = (json["entries"].as_array().unwrap().iter())
        .map(|e| (e["action"].as_str().unwrap(), e["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(actions, [("keep", 2), ("update", 3), ("add", 4)], "{json}");
    assert_eq!(
        json["entries"][1]["reason"], "--on-conflict theirs",
        "{json}"
    );
    assert_eq!(env.list(), before, "a dry run changed the vault");
    assert_no_import_password(&text);

    // One login twice with different passwords: the newest (here the last) is imported, the
    // other goes into its history, and both are said.
    let repeated = csv(
        "repeated.csv",
        "D,https://d.example,dora,pw-dora-1,\nD,https://d.example,dora,pw-dora-2,\n",
    );
    let out = env
        .cmd()
        .args(["import", "chrome-csv", &repeated])
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    let want = "lines 2, 3 for https://d.example as \"dora\" have different passwords: line 3 \
                (the newest) is imported, the others' passwords go into its password history";
    assert!(stderr.contains(want), "{want} in {stderr}");
    assert_no_import_password(&stderr);
    assert!(stdout.contains("1 added"), "{stdout}");
    let json = env.json(&["import", "chrome-csv", &repeated, "--dry-run"]);
    assert_eq!(
        json["conflictingRepeats"],
        json!([{"origin": "https://d.example", "username": "dora", "lines": [2, 3],
                "current": 3}]),
        "{json}"
    );
    assert_eq!(json["repeated"], 1, "{json}");
    assert_eq!(env.ok(&["get", "dora"]), "pw-dora-2\n");

    // Bitwarden's linked fields, which credwell does not keep: said per kind, with a count.
    let linked = env.path("linked.json");
    let item = |name: &str, user: &str| {
        json!({"type": 1, "name": name,
               "login": {"uris": [{"uri": format!("https://{name}.example")}],
                         "username": user, "password": format!("pw-{user}")},
               "fields": [{"name": "Link", "value": null, "type": 3, "linkedId": 100}]})
    };
    let file = json!({"encrypted": false, "folders": [],
                      "items": [item("e", "eve"), item("f", "fay")]});
    // Pretty, as Bitwarden writes it: entries are told apart by their lines.
    std::fs::write(&linked, serde_json::to_string_pretty(&file).unwrap()).unwrap();
    let linked = linked.to_str().unwrap();
    let json = env.json(&["import", "bitwarden-json", linked, "--dry-run"]);
    assert_eq!(json["notStored"], json!({"customFields": 2}), "{json}");
    let out = env
        .cmd()
        .args(["import", "bitwarden-json", linked])
        .output()
        .unwrap();
    let (_, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    let want = "credwell does not store custom fields: those of 2 entries were not imported (";
    assert!(stderr.contains(want), "{want} in {stderr}");
    assert!(
        !stderr.contains("pw-eve") && !stderr.contains("pw-fay"),
        "{stderr}"
    );
    // A login keeps one folder: a row filed in two collections keeps the first, and the
    // warning says the others were left, not that folders are not stored.
    let filed = env.path("organisation.csv");
    std::fs::write(
        &filed,
        "collections,type,name,notes,fields,reprompt,login_uri,login_username,login_password,\
         login_totp\n\"Finance,Shared\",login,Bank,,,0,https://bank.example,gil,pw-gil-1,\n",
    )
    .unwrap();
    let out = env
        .cmd()
        .args(["import", "bitwarden-csv", filed.to_str().unwrap()])
        .output()
        .unwrap();
    let (_, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    let want = "credwell keeps one folder per login: the other folders of 1 entry were not \
                imported (line 2)";
    assert!(stderr.contains(want), "{want} in {stderr}");
    assert!(!stderr.contains("does not store folders"), "{stderr}");
    let shown = env.json(&["show", "bank.example"]);
    assert_eq!(shown["folder"], "Finance", "{shown}");
}

/// No password of the import tests' CSV files is in `text`.
fn assert_no_import_password(text: &str) {
    for user in ["ann", "ben", "cid", "dora"] {
        assert!(
            !text.contains(&format!("pw-{user}")),
            "a password printed: {text}"
        );
    }
}
