//! Proton Pass's JSON export, as a file and inside its zip (built here from the same text).

use super::*;

fn check(parsed: &Parsed) {
    assert_eq!(
        summary(parsed),
        [
            row(12, "https://login.example.com", "alice", "pw-proton-full"),
            row(
                65,
                "https://work.example",
                "bob@work.example",
                "pw-proton-old"
            ),
        ]
    );
    let full = &parsed.logins[0];
    assert_eq!(full.name, "Example login");
    assert_eq!(full.notes, "proton note");
    assert_eq!(full.created, Some(Timestamp(1_689_182_868_000)));
    assert_eq!(full.updated, Some(Timestamp(1_689_182_999_000)));
    assert_eq!(
        full.extras.totp.expose(),
        "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example"
    );
    assert_eq!(full.extras.folder, "Personal");
    assert!(full.extras.favorite);
    assert_eq!(
        fields(full),
        [
            field("Email", "alice@example.com", false),
            field("Branch", "Main Street", false),
            field("PIN", "1234", true),
            field("Backup 2FA", "GEZDGNBVGY3TQOJQ", true),
        ]
    );
    let old = &parsed.logins[1];
    assert_eq!(old.extras.folder, "Work");
    assert!(old.extras.totp.is_empty() && old.extras.fields.is_empty());
    assert_eq!(
        skipped(parsed),
        [
            (12, SkipReason::NoWebOrigin("android://com.example".into())),
            (44, SkipReason::NotALogin),
            (84, SkipReason::InRecycleBin),
        ]
    );
}

#[test]
fn proton_json_and_its_zip_are_read_alike() {
    let json = fixture("proton.json");
    check(&read(Format::ProtonJson, json.as_slice()).unwrap());
    let zip = zip_of(&[("Proton Pass/data.json", &json)]);
    check(&read(Format::ProtonJson, zip.as_slice()).unwrap());
    // Named for what they are under another format's name; read only.
    for bytes in [&json, &zip] {
        let error = read(Format::ProtonCsv, bytes.as_slice()).unwrap_err();
        assert!(error.reason.contains("it is proton-json"), "{error}");
    }
    assert!(!Format::ProtonJson.can_write());
}

#[test]
fn encrypted_proton_exports_are_refused_saying_to_export_unencrypted() {
    let json = String::from_utf8(fixture("proton.json")).unwrap();
    let encrypted = json.replace("\"encrypted\": false", "\"encrypted\": true");
    let pgp = "-----BEGIN PGP MESSAGE-----\n\nwcBMA0pw-proton-full\n-----END PGP MESSAGE-----\n";
    let zip_pgp = zip_of(&[("Proton Pass/data.pgp", pgp.as_bytes())]);
    // A PGP message is named so whatever format it is given as; the encrypted JSON and zip are
    // Proton Pass's by their keys and entries, which proton-json refuses.
    let any = [Format::ProtonJson, Format::ProtonCsv, Format::ChromeCsv];
    for (bytes, line, formats) in [
        (encrypted.as_bytes(), Some(1), &any[..1]),
        (pgp.as_bytes(), Some(1), &any[..]),
        (zip_pgp.as_slice(), None, &any[..1]),
    ] {
        for &format in formats {
            let error = read(format, bytes).unwrap_err();
            assert!(
                error.reason.contains("encrypted") && error.reason.contains("without encryption"),
                "{format}: {error}"
            );
            if format == Format::ProtonJson {
                assert_eq!(error.line, line, "{error}");
            }
            assert!(!error.reason.contains("pw-proton"), "{error}");
        }
    }
}

#[test]
fn malformed_proton_exports_name_the_item_and_line() {
    let json = String::from_utf8(fixture("proton.json")).unwrap();
    let zipped = |text: &str| zip_of(&[("Proton Pass/data.json", text.as_bytes())]);
    let bad_url = json.replace("\"work.example\"", "\"https:/www.bank.com\"");
    let bad_password = json.replace("\"pw-proton-old\"", "1234");
    for (text, line, want) in [
        (
            &bad_url,
            65,
            "the URL of item itemprotonold is not a usable URL",
        ),
        (
            &bad_password,
            65,
            "item itemprotonold: its content has a value of the wrong type",
        ),
        (
            &"{\"vaults\": {".to_owned(),
            1,
            "it ends in the middle of the JSON",
        ),
    ] {
        let error = read(Format::ProtonJson, text.as_bytes()).unwrap_err();
        assert_eq!(error.line, Some(line), "{error}");
        assert!(error.reason.contains(want), "{error}");
        assert!(!error.reason.contains("1234"), "{error}");
        // In the zip, the entry and the line are named.
        let error = read(Format::ProtonJson, zipped(text).as_slice()).unwrap_err();
        assert_eq!(error.line, None, "{error}");
        let entry = format!("the archive's entry Proton Pass/data.json, line {line}: {want}");
        assert!(error.reason.contains(&entry), "{error}");
    }
    let error = read(
        Format::ProtonJson,
        zip_of(&[("other.json", b"{}")]).as_slice(),
    )
    .unwrap_err();
    assert!(
        error
            .reason
            .contains("a zip archive but not an export credwell reads")
            || error.reason.contains("has no Proton Pass/data.json entry"),
        "{error}"
    );
}
