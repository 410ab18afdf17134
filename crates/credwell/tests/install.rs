//! `credwell install` / `uninstall` into throwaway profiles.

#![allow(clippy::unwrap_used)] // Test helpers: a failure should panic right there.

use assert_cmd::Command;
use serde_json::Value;

fn repo() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn install_registers_the_host_in_a_chromium_profile_and_a_firefox_home() {
    let home = tempfile::tempdir().unwrap();
    let profile = tempfile::tempdir().unwrap();
    let host = home.path().join("credwell-host");
    std::fs::write(&host, "#!/bin/sh\n").unwrap();
    let out = Command::cargo_bin("credwell")
        .unwrap()
        .env("HOME", home.path())
        .args(["--json", "install", "--chromium-profile"])
        .arg(profile.path())
        .arg("--firefox-home")
        .arg(home.path())
        .arg("--extension")
        .arg(repo().join("extension"))
        .arg("--host")
        .arg(&host)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let report: Value = serde_json::from_slice(&out).unwrap();
    let id = report["chromiumExtensionId"].as_str().unwrap();
    let expected_id = std::fs::read_to_string(repo().join("extension/src/id.js")).unwrap();
    assert!(
        expected_id.contains(id),
        "the id matches the extension's own constant"
    );
    let chromium: Value = serde_json::from_str(
        &std::fs::read_to_string(
            profile
                .path()
                .join("NativeMessagingHosts/org.credwell.host.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        chromium["allowed_origins"][0],
        format!("chrome-extension://{id}/")
    );
    assert_eq!(chromium["path"], host.to_str().unwrap());
    let firefox: Value = serde_json::from_str(
        &std::fs::read_to_string(
            home.path()
                .join(".mozilla/native-messaging-hosts/org.credwell.host.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert!(
        firefox["allowed_extensions"][0]
            .as_str()
            .unwrap()
            .contains('@')
    );

    let out = Command::cargo_bin("credwell")
        .unwrap()
        .env("HOME", home.path())
        .args(["uninstall", "--chromium-profile"])
        .arg(profile.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(String::from_utf8(out).unwrap().contains("removed"));
    assert!(
        !profile
            .path()
            .join("NativeMessagingHosts/org.credwell.host.json")
            .exists()
    );
}

#[test]
fn install_explains_a_missing_host_in_one_sentence() {
    let home = tempfile::tempdir().unwrap();
    let err = Command::cargo_bin("credwell")
        .unwrap()
        .env("HOME", home.path())
        .args(["install", "--chromium-profile"])
        .arg(home.path())
        .arg("--extension")
        .arg(repo().join("extension"))
        .args(["--host", "/nonexistent/credwell-host"])
        .assert()
        .failure()
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(err).unwrap();
    assert!(
        err.contains("does not exist") && err.lines().count() == 1,
        "{err}"
    );
}

/// An extension directory whose generated content scripts are missing (a source checkout
/// before `node extension/build.mjs --content-scripts`): install says what to run, and says
/// nothing once they are there.
#[test]
fn install_names_the_content_scripts_that_are_not_built_yet() {
    let home = tempfile::tempdir().unwrap();
    let extension = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo().join("extension/manifest.json"),
        extension.path().join("manifest.json"),
    )
    .unwrap();
    let host = home.path().join("credwell-host");
    std::fs::write(&host, "#!/bin/sh\n").unwrap();
    let run = || {
        let out = Command::cargo_bin("credwell")
            .unwrap()
            .env("HOME", home.path())
            .args(["install", "--firefox-home"])
            .arg(home.path())
            .arg("--extension")
            .arg(extension.path())
            .arg("--host")
            .arg(&host)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out).unwrap()
    };
    let before = run();
    assert!(
        before.contains("content scripts are missing (gen/main-world.js, gen/isolated.js"),
        "{before}"
    );
    assert!(
        before.contains("node extension/build.mjs --content-scripts"),
        "{before}"
    );
    std::fs::create_dir(extension.path().join("gen")).unwrap();
    std::fs::create_dir(extension.path().join("src")).unwrap();
    for file in ["gen/main-world.js", "gen/isolated.js", "src/autofill.js"] {
        std::fs::write(extension.path().join(file), "").unwrap();
    }
    let after = run();
    assert!(!after.contains("are missing"), "{after}");
}
