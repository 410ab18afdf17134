//! `credwell import` of the exports that are archives or databases rather than text: 1Password's
//! 1PUX (a zip), Proton Pass's JSON and its zip. Each is built here from the fixtures' text, so no binary fixture is needed.

#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::io::Write as _;
use std::path::Path;

use common::{Home, texts};
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
