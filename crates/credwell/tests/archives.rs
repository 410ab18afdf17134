//! `credwell import` of the exports that are archives or databases rather than text: 1Password's
//! 1PUX (a zip), Proton Pass's JSON and its zip, KeePass databases (.kdbx). Each is built here
//! (the zips from the fixtures' text, the databases with the `keepass` crate), so no binary
//! fixture is needed.

#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use common::{Home, PASSPHRASE, kdbx, texts};
use serde_json::Value;

fn fixture(name: &str) -> Vec<u8> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../credwell-formats/tests/fixtures");
    std::fs::read(dir.join(name)).unwrap()
}

/// A zip of `entries` (name, bytes), deflated.
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        zip.start_file(*name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[test]
fn a_1pux_export_is_imported_with_what_it_carries_and_never_written() {
    let home = Home::new();
    home.init();
    let file = home.path("export.1pux");
    let archive = zip_of(&[
        ("export.attributes", b"{\"version\": 3}".as_slice()),
        ("export.data", &fixture("1pux_export.data")),
    ]);
    std::fs::write(&file, &archive).unwrap();
    let file = file.to_str().unwrap();
    // Under another format's name, it is named for what it is, and nothing is imported.
    let err = home.fails(&["import", "1password-csv", file]);
    assert!(
        err.contains("its entries say it is 1password-1pux"),
        "{err}"
    );
    // A damaged archive names the file and the entry; nothing is imported either.
    let broken = home.path("broken.1pux");
    let data = String::from_utf8(fixture("1pux_export.data")).unwrap();
    let bad = data.replace("\"other.example\"", "\"https:/www.bank.com\"");
    std::fs::write(&broken, zip_of(&[("export.data", bad.as_bytes())])).unwrap();
    let err = home.fails(&["import", "1password-1pux", broken.to_str().unwrap()]);
    assert!(
        err.contains("broken.1pux: export.data, line 123: the URL of item itemloginplain"),
        "{err}"
    );
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(home.json(&["list"]).as_array().map(Vec::len), Some(0));
    // The export itself.
    let out = home
        .cmd()
        .args(["--json", "import", "1password-1pux", file])
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["added"], 2, "{report}");
    assert!(!stderr.contains("pw-1pux"), "{stderr}");
    let shown = home.json(&["show", "login.example.com", "--reveal"]);
    assert_eq!(shown["folder"], "Personal", "{shown}");
    assert_eq!(shown["favorite"], true, "{shown}");
    assert_eq!(shown["notes"], "full item note", "{shown}");
    assert!(shown["totp"].as_str().unwrap().contains("JBSWY3DPEHPK3PXP"));
    let fields = shown["fields"].as_array().unwrap();
    assert!(
        fields
            .iter()
            .any(|f| f["name"] == "Security: PIN" && f["value"] == "1234" && f["hidden"] == true),
        "{shown}"
    );
    // The file's own times decide a conflict: the same file again changes nothing.
    let again = home.json(&["import", "1password-1pux", file]);
    assert_eq!(
        (&again["added"], &again["updated"]),
        (&Value::from(0), &Value::from(0))
    );
    // Read only.
    let err = home.fails(&["export", "1password-1pux", "--yes"]);
    assert!(
        err.contains("credwell reads 1password-1pux files but does not write them"),
        "{err}"
    );
}

#[test]
fn a_proton_pass_zip_is_imported_and_an_encrypted_export_refused() {
    let home = Home::new();
    home.init();
    // Encrypted: refused, saying to export without encryption; nothing imported.
    let pgp = home.path("export.pgp");
    std::fs::write(
        &pgp,
        "-----BEGIN PGP MESSAGE-----\n\nwcBMA\n-----END PGP MESSAGE-----\n",
    )
    .unwrap();
    let err = home.fails(&["import", "proton-json", pgp.to_str().unwrap()]);
    assert!(err.contains("export.pgp:1:"), "{err}");
    assert!(err.contains("without encryption"), "{err}");
    assert_eq!(home.json(&["list"]).as_array().map(Vec::len), Some(0));
    let file = home.path("Proton Pass_export.zip");
    let zip = zip_of(&[("Proton Pass/data.json", &fixture("proton.json"))]);
    std::fs::write(&file, zip).unwrap();
    let file = file.to_str().unwrap();
    let err = home.fails(&["import", "proton-csv", file]);
    assert!(err.contains("its entries say it is proton-json"), "{err}");
    let report = home.json(&["import", "proton-json", file]);
    assert_eq!(report["added"], 2, "{report}");
    let shown = home.json(&["show", "login.example.com", "--reveal"]);
    assert_eq!(shown["folder"], "Personal", "{shown}");
    assert_eq!(shown["favorite"], true, "{shown}");
    assert_eq!(shown["notes"], "proton note", "{shown}");
    assert!(shown["totp"].as_str().unwrap().contains("JBSWY3DPEHPK3PXP"));
    // The plain JSON gives the same credentials: nothing changes.
    let json = home.path("proton.json");
    std::fs::write(&json, fixture("proton.json")).unwrap();
    let again = home.json(&["import", "proton-json", json.to_str().unwrap()]);
    assert_eq!(
        (&again["added"], &again["updated"]),
        (&Value::from(0), &Value::from(0))
    );
    let err = home.fails(&["export", "proton-json", "--yes"]);
    assert!(err.contains("does not write them"), "{err}");
}

/// A KeePass database file in `home` (`name`) and a file holding its password.
fn kdbx_files(home: &Home, name: &str, bytes: &[u8]) -> (String, String) {
    let file = home.path(name);
    std::fs::write(&file, bytes).unwrap();
    let password = home.path("kdbx-password");
    std::fs::write(&password, format!("{}\n", kdbx::PASSWORD)).unwrap();
    (
        file.to_str().unwrap().to_owned(),
        password.to_str().unwrap().to_owned(),
    )
}

#[test]
fn a_kdbx_database_is_imported_with_its_own_password_and_the_recycle_bin_left_out() {
    let home = Home::new();
    home.init();
    let (file, password) = kdbx_files(
        &home,
        "db.kdbx",
        &kdbx::saved(&kdbx::sample(), kdbx::PASSWORD, None),
    );
    // A dry run says what it would do and writes nothing.
    let mut cmd = home.cmd();
    cmd.env("CREDWELL_KDBX_PASSWORD_FILE", &password);
    let (ok, stdout, stderr) =
        Home::run(cmd, &["--json", "import", "kdbx", &file, "--dry-run"], "");
    assert!(ok, "{stderr}");
    let dry: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (&dry["added"], &dry["dryRun"]),
        (&Value::from(2), &Value::from(true)),
        "{dry}"
    );
    let mut cmd = home.cmd();
    cmd.env("CREDWELL_KDBX_PASSWORD_FILE", &password);
    let (ok, stdout, stderr) = Home::run(cmd, &["import", "kdbx", &file, "--dry-run"], "");
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("add    entry 3      https://mail.example"),
        "{stdout}"
    );
    assert_eq!(home.json(&["list"]).as_array().map(Vec::len), Some(0));
    // The import: the password from --password-file this time.
    let out = home
        .cmd()
        .args([
            "--json",
            "import",
            "kdbx",
            &file,
            "--password-file",
            &password,
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = texts(&out);
    assert!(out.status.success(), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (&report["added"], &report["skipped"]),
        (&Value::from(2), &Value::from(2)),
        "{report}"
    );
    // A database has no lines: its entries are placed by their position.
    assert!(
        stderr.contains("skipped 1 entry in the recycle bin (entry 4)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("skipped 1 entry with no web origin (entry 2)"),
        "{stderr}"
    );
    for secret in [kdbx::PASSWORD, "pw-kdbx"] {
        assert!(
            !stderr.contains(secret) && !stdout.contains(secret),
            "{stderr}{stdout}"
        );
    }
    let bank = home.json(&["show", "bank.example", "--reveal"]);
    assert_eq!(bank["notes"], "kdbx note", "{bank}");
    assert_eq!(bank["folder"], "", "{bank}");
    assert!(
        bank["totp"].as_str().unwrap().contains("JBSWY3DPEHPK3PXP"),
        "{bank}"
    );
    let fields = bank["fields"].as_array().unwrap();
    assert!(
        fields
            .iter()
            .any(|f| f["name"] == "PIN" && f["value"] == "4321" && f["hidden"] == true),
        "{bank}"
    );
    assert!(
        fields
            .iter()
            .any(|f| f["name"] == "Tags" && f["value"] == "money"),
        "{bank}"
    );
    let mail = home.json(&["show", "mail.example"]);
    assert_eq!(mail["folder"], "Work/Mail", "{mail}");
    assert_eq!(home.ok(&["get", "bank.example"]), "pw-kdbx-bank\n");
    // The earlier password is in the credential's history: a Bitwarden export carries it.
    let exported: Value =
        serde_json::from_str(&home.ok(&["export", "bitwarden-json", "--yes"])).unwrap();
    let items = exported["items"].as_array().unwrap();
    let bank = items
        .iter()
        .find(|i| i["login"]["username"] == "carol")
        .unwrap();
    assert_eq!(
        bank["passwordHistory"][0]["password"], "pw-kdbx-old",
        "{bank}"
    );
    // The database's own times decide: the same file again changes nothing.
    let mut cmd = home.cmd();
    cmd.env("CREDWELL_KDBX_PASSWORD_FILE", &password);
    let (ok, stdout, stderr) = Home::run(cmd, &["--json", "import", "kdbx", &file], "");
    assert!(ok, "{stderr}");
    let again: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (&again["added"], &again["updated"]),
        (&Value::from(0), &Value::from(0)),
        "{again}"
    );
    // Read only.
    let err = home.fails(&["export", "kdbx", "--yes"]);
    assert!(
        err.contains("credwell reads kdbx files but does not write them"),
        "{err}"
    );
}

#[test]
fn a_wrong_kdbx_password_or_a_damaged_database_imports_nothing_and_is_said_first() {
    let home = Home::new();
    home.init();
    let bytes = kdbx::saved(&kdbx::sample(), kdbx::PASSWORD, None);
    let (file, password) = kdbx_files(&home, "db.kdbx", &bytes);
    let wrong = home.path("wrong-password");
    std::fs::write(&wrong, "not-the-kdbx-password\n").unwrap();
    let wrong = wrong.to_str().unwrap();
    // The database's password is asked before the vault's: without the vault's passphrase (no
    // file, no terminal), a wrong one is still what is said.
    let (ok, _, stderr) = Home::run(
        home.bare(),
        &["import", "kdbx", &file, "--password-file", wrong],
        "",
    );
    assert!(!ok);
    assert_eq!(
        stderr.trim_end(),
        format!(
            "error: {file}: wrong password or key file for the KeePass database; nothing was imported"
        )
    );
    assert!(!stderr.contains("not-the-kdbx-password"));
    // With the right one, the vault's passphrase is asked next.
    let (ok, _, stderr) = Home::run(
        home.bare(),
        &["import", "kdbx", &file, "--password-file", &password],
        "",
    );
    assert!(!ok && stderr.contains("the vault is locked"), "{stderr}");
    // Without a password file and without a terminal, the variable is named.
    let err = home.fails(&["import", "kdbx", &file]);
    assert!(err.contains("CREDWELL_KDBX_PASSWORD_FILE"), "{err}");
    // A database cut short, or with a byte changed, names the file.
    let (cut, _) = kdbx_files(&home, "cut.kdbx", &bytes[..bytes.len() / 2]);
    let err = home.fails(&["import", "kdbx", &cut, "--password-file", &password]);
    assert!(
        err.contains("cut.kdbx: the KeePass database is") && err.contains("cut short"),
        "{err}"
    );
    let mut changed = bytes.clone();
    let at = changed.len() - 40;
    changed[at] ^= 0x55;
    let (changed, _) = kdbx_files(&home, "changed.kdbx", &changed);
    let err = home.fails(&["import", "kdbx", &changed, "--password-file", &password]);
    assert!(
        err.contains("changed.kdbx: the KeePass database is damaged"),
        "{err}"
    );
    // Another format's file is refused as kdbx before any password is asked (there is no
    // terminal and no password file: asking would fail), and a database as another format.
    let csv = home.path("logins.csv");
    std::fs::write(
        &csv,
        "name,url,username,password,note\nx,https://x.example,u,p,\n",
    )
    .unwrap();
    let err = home.fails(&["import", "kdbx", csv.to_str().unwrap()]);
    assert!(
        err.contains("not a kdbx file") && err.contains("`credwell import chrome-csv FILE`"),
        "{err}"
    );
    let err = home.fails(&["import", "keepassxc-csv", &file]);
    assert!(err.contains("its first bytes say it is kdbx"), "{err}");
    let err = home.fails(&[
        "import",
        "chrome-csv",
        csv.to_str().unwrap(),
        "--key-file",
        &file,
    ]);
    assert!(
        err.contains("--key-file is for `credwell import kdbx` only"),
        "{err}"
    );
    assert_eq!(home.json(&["list"]).as_array().map(Vec::len), Some(0));
}

/// A new vault in `home`, and a KeePass database of one login (`pw` for `host`) locked by a key
/// file and `password` (none when empty): the database's path, a password file holding
/// [`kdbx::PASSWORD`], and the key file's path.
fn keyed_kdbx(home: &Home, password: &str, host: &str, pw: &str) -> (String, String, PathBuf) {
    home.init();
    let mut db = kdbx::database();
    let url = format!("https://{host}");
    kdbx::login(&mut db.root_mut().add_entry(), host, "kim", pw, &url);
    let key = b"any file can be a KeePass key file";
    let (file, password) = kdbx_files(home, "keyed.kdbx", &kdbx::saved(&db, password, Some(key)));
    let key_file = home.path("db.key");
    std::fs::write(&key_file, key).unwrap();
    (file, password, key_file)
}

#[test]
fn a_kdbx_database_with_a_key_file_is_imported_with_it() {
    let home = Home::new();
    let (file, password, key_file) =
        keyed_kdbx(&home, kdbx::PASSWORD, "key.example", "pw-kdbx-key");
    let err = home.fails(&["import", "kdbx", &file, "--password-file", &password]);
    assert!(err.contains("wrong password or key file"), "{err}");
    let err = home.fails(&[
        "import",
        "kdbx",
        &file,
        "--password-file",
        &password,
        "--key-file",
        "nope.key",
    ]);
    assert!(err.contains("cannot read the key file nope.key"), "{err}");
    home.ok(&[
        "import",
        "kdbx",
        &file,
        "--password-file",
        &password,
        "--key-file",
        key_file.to_str().unwrap(),
    ]);
    assert_eq!(home.ok(&["get", "key.example"]), "pw-kdbx-key\n");
}

#[test]
fn a_kdbx_database_with_a_key_file_alone_is_imported_without_a_terminal() {
    let home = Home::new();
    let (file, password, key_file) = keyed_kdbx(&home, "", "only.example", "pw-key-only");
    let key_file = key_file.to_str().unwrap();
    // Without the key file an empty password file is refused, as it says.
    std::fs::write(&password, "").unwrap();
    let err = home.fails(&["import", "kdbx", &file, "--password-file", &password]);
    assert!(err.contains("is empty"), "{err}");
    // With it, an empty password file means the database has no password.
    let args = [
        "import",
        "kdbx",
        &file,
        "--password-file",
        &password,
        "--key-file",
        key_file,
    ];
    home.ok(&args);
    assert_eq!(home.ok(&["get", "only.example"]), "pw-key-only\n");
    // A password where the database has none is a wrong key.
    std::fs::write(&password, "not this\n").unwrap();
    let err = home.fails(&args);
    assert!(err.contains("wrong password or key file"), "{err}");
}

/// `cmd` with `args` and the bytes `stdin`: (success, stdout, stderr).
fn run_bytes(mut cmd: assert_cmd::Command, args: &[&str], stdin: &[u8]) -> (bool, String, String) {
    let out = cmd.args(args).write_stdin(stdin.to_vec()).output().unwrap();
    let (stdout, stderr) = texts(&out);
    (out.status.success(), stdout, stderr)
}

/// `-` is stdin for every file a command reads: a KeePass database (binary), its password and
/// key files, a new vault passphrase and `CREDWELL_PASSPHRASE_FILE`; two of them in one command
/// are refused, naming both, and what stdin held is never said.
#[test]
fn dash_is_stdin_for_every_file_and_only_one_can_read_it() {
    let home = Home::new();
    let (file, password, key_file) =
        keyed_kdbx(&home, kdbx::PASSWORD, "key.example", "pw-kdbx-key");
    let database = std::fs::read(&file).unwrap();
    let key = std::fs::read(&key_file).unwrap();
    let key_file = key_file.to_str().unwrap();
    let dry = ["--json", "import", "kdbx", "--dry-run"];
    let added =
        |stdout: &str| -> Value { serde_json::from_str::<Value>(stdout).unwrap()["added"].clone() };
    // The database on stdin, as bytes: nothing of it is text.
    let args = [
        &dry[..],
        &["-", "--password-file", &password, "--key-file", key_file],
    ]
    .concat();
    let (ok, stdout, stderr) = run_bytes(home.cmd(), &args, &database);
    assert!(ok, "{stderr}");
    assert_eq!(added(&stdout), 1, "{stdout}");
    // Its password on stdin.
    let args = [
        &dry[..],
        &[&file, "--password-file", "-", "--key-file", key_file],
    ]
    .concat();
    let (ok, stdout, stderr) = run_bytes(
        home.cmd(),
        &args,
        format!("{}\n", kdbx::PASSWORD).as_bytes(),
    );
    assert!(ok, "{stderr}");
    assert_eq!(added(&stdout), 1, "{stdout}");
    // Its key file on stdin.
    let args = [
        &dry[..],
        &[&file, "--password-file", &password, "--key-file", "-"],
    ]
    .concat();
    let (ok, stdout, stderr) = run_bytes(home.cmd(), &args, &key);
    assert!(ok, "{stderr}");
    assert_eq!(added(&stdout), 1, "{stdout}");
    // Two of them: refused, both named, nothing imported, stdin's bytes not quoted.
    for (args, first, second) in [
        (
            vec!["-", "--password-file", "-", "--key-file", key_file],
            "FILE",
            "--password-file",
        ),
        (
            vec!["-", "--password-file", &password, "--key-file", "-"],
            "FILE",
            "--key-file",
        ),
        (
            vec![&file, "--password-file", "-", "--key-file", "-"],
            "--password-file",
            "--key-file",
        ),
    ] {
        let args = [&["import", "kdbx"][..], &args].concat();
        let (ok, _, stderr) = run_bytes(home.cmd(), &args, kdbx::PASSWORD.as_bytes());
        assert!(!ok, "{args:?}");
        let want = format!("{first} and {second} both read stdin");
        assert!(stderr.contains(&want), "{want} in {stderr}");
        assert!(!stderr.contains(kdbx::PASSWORD), "{stderr}");
    }
    let mut with_dash = home.cmd();
    with_dash.env("CREDWELL_PASSPHRASE_FILE", "-");
    // The vault's passphrase is read once the file is: then refused.
    let csv = "name,url,username,password,note\nA,https://a.example,ann,pw-csv-ann,\n";
    let (ok, _, stderr) = Home::run(with_dash, &["import", "chrome-csv", "-"], csv);
    assert!(!ok);
    assert!(
        stderr.contains("FILE and CREDWELL_PASSPHRASE_FILE both read stdin"),
        "{stderr}"
    );
    assert!(!stderr.contains("pw-csv-ann"), "{stderr}");
    assert_eq!(home.json(&["list"]).as_array().map(Vec::len), Some(0));

    // A credential's password on stdin beside the vault's passphrase: refused.
    let mut with_dash = home.cmd();
    with_dash.env("CREDWELL_PASSPHRASE_FILE", "-");
    let add = [
        "add",
        "password",
        "--origin",
        "https://a.example",
        "--username",
        "ann",
    ];
    let add = [&add[..], &["--password-stdin"]].concat();
    let (ok, _, stderr) = Home::run(with_dash, &add, "pw-stdin-ann\n");
    assert!(!ok);
    let want = "--password-stdin and CREDWELL_PASSPHRASE_FILE both read stdin";
    assert!(stderr.contains(want), "{stderr}");
    assert!(!stderr.contains("pw-stdin-ann"), "{stderr}");

    // The vault's passphrase on stdin (CREDWELL_PASSPHRASE_FILE=-), and a new one.
    let mut with_dash = home.cmd();
    with_dash.env("CREDWELL_PASSPHRASE_FILE", "-");
    let (ok, stdout, stderr) =
        Home::run(with_dash, &["--json", "list"], &format!("{PASSPHRASE}\n"));
    assert!(ok, "{stderr}");
    assert_eq!(stdout.trim(), "[]");
    let mut with_dash = home.cmd();
    with_dash.env("CREDWELL_PASSPHRASE_FILE", "-");
    let passwd = ["vault", "passwd", "--new-passphrase-file", "-"];
    let (ok, _, stderr) = Home::run(with_dash, &passwd, "two passphrases\n");
    assert!(!ok);
    let want = "CREDWELL_PASSPHRASE_FILE and --new-passphrase-file both read stdin";
    assert!(stderr.contains(want), "{stderr}");
    let new = "a new passphrase from stdin";
    let (ok, _, stderr) = Home::run(home.cmd(), &passwd, &format!("{new}\n"));
    assert!(ok, "{stderr}");
    std::fs::write(home.path("passphrase"), format!("{new}\n")).unwrap();
    assert_eq!(home.json(&["list"]).as_array().map(Vec::len), Some(0));
}
