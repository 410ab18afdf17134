//! `credwell edit` end to end: the note, TOTP secret, custom fields, folder and favourite mark
//! it sets and clears, and its error paths, which never quote the secret they refuse. (Through
//! the agent: `tests/agent.rs`.)

#![allow(clippy::unwrap_used)] // Test helpers: a failure should panic right there.

mod common;

use common::{Home, texts};
use serde_json::Value;

/// RFC 6238's SHA-1 seed, "12345678901234567890", in base32.
const SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

fn env() -> Home {
    let env = Home::new();
    env.init();
    env.add_password("https://bank.example", "alice", "pw-alice");
    env
}

fn file(env: &Home, name: &str, text: &str) -> String {
    let path = env.path(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

fn revealed(env: &Home) -> Value {
    env.json(&["show", "alice", "--reveal"])
}

#[test]
fn edit_sets_and_clears_the_note_totp_fields_folder_and_favourite() {
    let env = env();
    let uri = file(
        &env,
        "uri",
        &format!("otpauth://totp/Bank:alice?secret={SEED}&digits=8\n"),
    );
    let out = env.ok(&[
        "edit",
        "alice",
        "--note",
        "recovery: 1111-2222",
        "--totp-file",
        &uri,
        "--hidden-field",
        "PIN=4711",
        "--field",
        "Branch=Main Street",
        "--folder",
        "Finance/Banks",
        "--favorite",
    ]);
    assert_eq!(out, "Updated credential 1.\n");
    let shown = revealed(&env);
    assert_eq!(shown["notes"], "recovery: 1111-2222", "{shown}");
    assert_eq!(shown["folder"], "Finance/Banks");
    assert_eq!(shown["favorite"], true);
    // The --field ones first, then the --hidden-field ones.
    assert_eq!(shown["fields"][0]["name"], "Branch");
    assert_eq!(shown["fields"][0]["value"], "Main Street");
    assert_eq!(shown["fields"][0]["hidden"], false);
    assert_eq!(shown["fields"][1]["name"], "PIN");
    assert_eq!(shown["fields"][1]["value"], "4711");
    assert_eq!(shown["fields"][1]["hidden"], true);
    assert_eq!(env.ok(&["totp", "alice", "--at", "59"]), "94287082\n");
    // The password and its account are untouched.
    assert_eq!(env.ok(&["get", "alice"]), "pw-alice\n");
    // Not revealed, the secrets stay hidden.
    let hidden = env.ok(&["show", "alice"]);
    assert!(
        !hidden.contains("4711") && !hidden.contains(SEED),
        "{hidden}"
    );
    assert!(hidden.contains("Field:    Branch: Main Street"), "{hidden}");

    // A base32 secret from stdin, a note from a file, a field changed and one removed.
    let note = file(&env, "note", "line one\nline two\n");
    env.ok_with_stdin(
        &[
            "edit",
            "1",
            "--totp-file",
            "-",
            "--note-file",
            &note,
            "--field",
            "PIN=0000",
            "--remove-field",
            "Branch",
            "--no-favorite",
            "--folder",
            "",
        ],
        "gezd gnbv gy3t qojq gezd gnbv gy3t qojq\n",
    );
    let shown = revealed(&env);
    assert_eq!(shown["notes"], "line one\nline two", "{shown}");
    assert_eq!(shown["fields"].as_array().unwrap().len(), 1, "{shown}");
    assert_eq!(shown["fields"][0]["value"], "0000");
    assert_eq!(
        shown["fields"][0]["hidden"], true,
        "set again, still hidden"
    );
    assert_eq!(shown["favorite"], false);
    assert_eq!(shown["folder"], "");
    assert_eq!(env.ok(&["totp", "alice", "--at", "59"]), "287082\n");

    // Cleared.
    env.ok(&[
        "edit",
        "alice",
        "--clear-note",
        "--clear-totp",
        "--remove-field",
        "PIN",
    ]);
    let shown = revealed(&env);
    for key in ["notes", "totp", "fields", "folder"] {
        assert!(
            shown
                .get(key)
                .is_none_or(|v| v == "" || v == &Value::Array(vec![])),
            "{key} in {shown}"
        );
    }
    let err = env.fails(&["totp", "alice"]);
    assert!(err.contains("TOTP"), "{err}");
    // --json says what it updated.
    let json = env.json(&["edit", "alice", "--favourite"]);
    assert_eq!(json["updated"], true);
    assert_eq!(revealed(&env)["favorite"], true);
}

#[test]
fn bad_totp_secrets_and_fields_are_refused_before_the_vault_is_opened_and_never_quoted() {
    let env = env();
    let before = revealed(&env);
    let hotp = file(
        &env,
        "hotp",
        &format!("otpauth://hotp/x?secret={SEED}&counter=1\n"),
    );
    let bad_uri = file(
        &env,
        "bad-uri",
        &format!("otpauth://totp/x?secret={SEED}&digits=4"),
    );
    let no_secret = file(&env, "no-secret", "otpauth://totp/x?issuer=Bank");
    let bad_base32 = file(&env, "bad-base32", "s3cret*not!base32\n");
    for (path, want) in [
        (&hotp, "HOTP"),
        (&bad_uri, "6 to 10 digits"),
        (&no_secret, "no secret"),
        (&bad_base32, "not base32"),
    ] {
        let err = env.fails(&["edit", "alice", "--totp-file", path]);
        assert!(err.contains(want) && err.contains("--totp-file"), "{err}");
        assert!(!err.contains(SEED) && !err.contains("s3cret"), "{err}");
    }
    // From stdin too.
    let (ok, _, err) = Home::run(
        env.cmd(),
        &["edit", "alice", "--totp-file", "-"],
        "s3cret*not!base32",
    );
    assert!(
        !ok && err.contains("not base32") && !err.contains("s3cret"),
        "{err}"
    );
    // The wrong passphrase is not the error: the secret was refused before the vault opened.
    std::fs::write(env.path("wrong"), "not the passphrase\n").unwrap();
    let out = env
        .cmd()
        .env("CREDWELL_PASSPHRASE_FILE", env.path("wrong"))
        .args(["edit", "alice", "--totp-file", &bad_base32])
        .output()
        .unwrap();
    let (_, stderr) = texts(&out);
    assert!(stderr.contains("not base32"), "{stderr}");

    for (field, want) in [("s3cret-value", "no `=`"), ("=s3cret-value", "empty NAME")] {
        let err = env.fails(&["edit", "alice", "--field", field]);
        assert!(err.contains(want) && !err.contains("s3cret"), "{err}");
    }
    let err = env.fails(&["edit", "alice", "--remove-field", "Nope"]);
    assert!(err.contains("no custom field \"Nope\""), "{err}");
    let err = env.fails(&["edit", "alice", "--note-file", "-", "--totp-file", "-"]);
    assert!(err.contains("only one"), "{err}");
    let err = env.fails(&[
        "edit",
        "alice",
        "--note-file",
        &env.path("missing").display().to_string(),
    ]);
    assert!(err.contains("cannot read the note file"), "{err}");
    // Contradictory options are usage errors (exit 2), and quote no value.
    for args in [
        &["edit", "alice", "--note", "s3cret note", "--clear-note"][..],
        &["edit", "alice", "--favorite", "--no-favorite"],
        &["edit", "alice", "--totp-file", &bad_base32, "--clear-totp"],
    ] {
        let out = env.cmd().args(args).output().unwrap();
        let (_, stderr) = texts(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(!stderr.contains("s3cret"), "{stderr}");
    }
    // Nothing was changed by any of them.
    assert_eq!(revealed(&env), before);
    // Nothing to change is still a usage error, and names the new options too.
    let out = env.cmd().args(["edit", "alice"]).output().unwrap();
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--note") && stderr.contains("--field"),
        "{stderr}"
    );
}

#[test]
fn a_federated_credential_takes_no_extras_and_a_password_edit_keeps_them() {
    let env = env();
    env.ok(&[
        "add",
        "federated",
        "--origin",
        "https://shop.example",
        "--id",
        "bob",
        "--provider",
        "https://idp.example",
    ]);
    // The vault keeps extras with password credentials only: said, nothing changed.
    let err = env.fails(&["edit", "bob", "--folder", "Shops", "--note", "via idp"]);
    assert!(
        err.contains("federated") && err.contains("password credentials only"),
        "{err}"
    );
    assert!(!err.contains("via idp"), "{err}");
    env.ok(&["edit", "bob", "--name", "Bob"]);
    // A later edit of the credential alone keeps the extras.
    env.ok(&["edit", "alice", "--field", "PIN=1", "--note", "n"]);
    env.ok_with_stdin(&["edit", "alice", "--password-stdin"], "pw-new\n");
    env.ok(&["edit", "alice", "--name", "Alice"]);
    let shown = revealed(&env);
    assert_eq!(shown["fields"][0]["value"], "1", "{shown}");
    assert_eq!(shown["notes"], "n", "{shown}");
    assert_eq!(shown["name"], "Alice", "{shown}");
    assert_eq!(env.ok(&["get", "alice"]), "pw-new\n");
    // And an extras edit keeps the password.
    env.ok(&["edit", "alice", "--favorite"]);
    assert_eq!(env.ok(&["get", "alice"]), "pw-new\n");
}
