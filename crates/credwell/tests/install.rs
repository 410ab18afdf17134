//! `credwell install` / `uninstall` into throwaway profiles.

#![allow(clippy::unwrap_used)] // Test helpers: a failure should panic right there.

mod common;

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

/// `credwell install` with `home` as HOME and `args`; (success, stdout, stderr).
fn install(home: &std::path::Path, args: &[&std::ffi::OsStr]) -> (bool, String, String) {
    let out = Command::cargo_bin("credwell")
        .unwrap()
        .env("HOME", home)
        .env_remove("CREDWELL_VAULT")
        .env_remove("XDG_DATA_HOME")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// A stand-in host executable in `dir` that prints the vault it was started on and its
/// arguments. (Written as a source, then copied into place by `cp`: a launcher runs it, and a
/// file this process wrote could still be open in another test's forked child, ETXTBSY.)
fn fake_host(dir: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let source = dir.join("credwell-host.sh");
    std::fs::write(
        &source,
        "#!/bin/sh\nprintf '%s|' \"${CREDWELL_VAULT:-default}\" \"$@\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&source, std::fs::Permissions::from_mode(0o755)).unwrap();
    let host = dir.join("credwell-host");
    common::copy_executable(&source, &host);
    host
}

#[test]
fn install_refuses_a_profile_directory_that_does_not_exist_and_writes_nothing() {
    let home = tempfile::tempdir().unwrap();
    let host = fake_host(home.path());
    let extension = repo().join("extension");
    for flag in ["--chromium-profile", "--firefox-home"] {
        let missing = home.path().join("no-such-profile");
        let (ok, _, err) = install(
            home.path(),
            &[
                "install".as_ref(),
                flag.as_ref(),
                missing.as_os_str(),
                "--extension".as_ref(),
                extension.as_os_str(),
                "--host".as_ref(),
                host.as_os_str(),
            ],
        );
        assert!(!ok);
        assert!(
            err.contains(&format!("{} does not exist", missing.display()))
                && err.trim_end().lines().count() == 1,
            "{flag}: {err}"
        );
        assert!(!missing.exists(), "{flag} created the profile");
    }
}

#[test]
fn install_registers_only_for_the_browsers_that_are_there_and_says_which_it_skipped() {
    let home = tempfile::tempdir().unwrap();
    let host = fake_host(home.path());
    let extension = repo().join("extension");
    let args = [
        "--json".as_ref(),
        "install".as_ref(),
        "--extension".as_ref(),
        extension.as_os_str(),
        "--host".as_ref(),
        host.as_os_str(),
    ];
    // No browser has ever run under this home.
    let (ok, _, err) = install(home.path(), &args);
    assert!(!ok);
    assert!(
        err.contains("no browser profile found") && err.contains(".config/chromium"),
        "{err}"
    );
    assert!(!home.path().join(".config").exists());
    assert!(!home.path().join(".mozilla").exists());
    // Firefox only.
    std::fs::create_dir(home.path().join(".mozilla")).unwrap();
    let (ok, stdout, err) = install(home.path(), &args);
    assert!(ok, "{err}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        report["manifests"],
        serde_json::json!([home
            .path()
            .join(".mozilla/native-messaging-hosts/org.credwell.host.json")])
    );
    let skipped: Vec<&str> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["browser"].as_str().unwrap())
        .collect();
    assert_eq!(skipped, ["Chromium", "Google Chrome"]);
    assert!(!home.path().join(".config").exists());
    // In words too.
    let (ok, stdout, _) = install(home.path(), &args[1..]);
    assert!(ok);
    assert!(
        stdout.contains("skipped Google Chrome: ") && stdout.contains("does not exist"),
        "{stdout}"
    );
}

#[test]
fn install_with_a_vault_registers_a_launcher_that_starts_the_host_on_that_vault() {
    let home = tempfile::tempdir().unwrap();
    let profile = tempfile::tempdir().unwrap();
    let host = fake_host(home.path());
    let extension = repo().join("extension");
    let vault = home.path().join("work's vault.sqlite");
    let manifest = profile
        .path()
        .join("NativeMessagingHosts/org.credwell.host.json");
    let launcher = profile
        .path()
        .join("NativeMessagingHosts/org.credwell.host-launcher");
    let run = |vault: Option<&std::path::Path>| {
        let mut args: Vec<&std::ffi::OsStr> = vec!["--json".as_ref()];
        if let Some(vault) = vault {
            args.extend(["--vault".as_ref(), vault.as_os_str()]);
        }
        args.extend([
            "install".as_ref(),
            "--chromium-profile".as_ref(),
            profile.path().as_os_str(),
            "--extension".as_ref(),
            extension.as_os_str(),
            "--host".as_ref(),
            host.as_os_str(),
        ]);
        let (ok, stdout, err) = install(home.path(), &args);
        assert!(ok, "{err}");
        let report: Value = serde_json::from_str(&stdout).unwrap();
        let written: Value =
            serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
        (report, written)
    };
    let (report, written) = run(Some(&vault));
    assert_eq!(report["vault"], vault.to_str().unwrap());
    assert_eq!(written["path"], launcher.to_str().unwrap());
    // What the browser does: start the manifest's program with the extension's origin.
    let out = std::process::Command::new(&launcher)
        .arg("chrome-extension://x/")
        .env_remove("CREDWELL_VAULT")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{}|chrome-extension://x/|", vault.display())
    );
    // Without --vault again: the host itself, and the launcher is gone.
    let (report, written) = run(None);
    assert_eq!(report["vault"], Value::Null);
    assert_eq!(written["path"], host.to_str().unwrap());
    assert!(!launcher.exists());
    // Uninstall removes both.
    run(Some(&vault));
    let (ok, _, err) = install(
        home.path(),
        &[
            "uninstall".as_ref(),
            "--chromium-profile".as_ref(),
            profile.path().as_os_str(),
        ],
    );
    assert!(ok, "{err}");
    assert!(!launcher.exists() && !manifest.exists());
}

#[test]
fn install_finds_the_extension_beside_an_installed_binary() {
    let prefix = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".mozilla")).unwrap();
    let bin = prefix.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let credwell = bin.join("credwell");
    common::copy_executable(assert_cmd::cargo::cargo_bin("credwell"), &credwell);
    let host = fake_host(&bin);
    let shared = prefix.path().join("share/credwell/extension");
    std::fs::create_dir_all(&shared).unwrap();
    std::fs::copy(
        repo().join("extension/manifest.json"),
        shared.join("manifest.json"),
    )
    .unwrap();
    let out = std::process::Command::new(&credwell)
        .env("HOME", home.path())
        .env_remove("XDG_DATA_HOME")
        .env_remove("CREDWELL_EXTENSION_DIR")
        .env_remove("CREDWELL_VAULT")
        .args(["--json", "install"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["extension"], shared.to_str().unwrap());
    assert_eq!(report["host"], host.to_str().unwrap());
    // Not there: the error says where it looked.
    std::fs::remove_dir_all(prefix.path().join("share")).unwrap();
    let out = std::process::Command::new(&credwell)
        .env("HOME", home.path())
        .env_remove("XDG_DATA_HOME")
        .env_remove("CREDWELL_EXTENSION_DIR")
        .args(["install"])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        !out.status.success()
            && err.contains("cannot find the unpacked extension")
            && err.contains("share/credwell/extension"),
        "{err}"
    );
}
