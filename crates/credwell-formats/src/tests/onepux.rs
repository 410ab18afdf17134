//! 1Password's 1PUX: a zip built here from `tests/fixtures/1pux_export.data` (written from
//! 1Password's published description of the format), read through `read`.

use super::*;

fn onepux(data: &[u8]) -> Vec<u8> {
    let attributes = b"{\"version\": 3, \"description\": \"1Password Unencrypted Export\", \
                       \"createdAt\": 1619468230}";
    zip_of(&[
        ("export.attributes", attributes),
        ("export.data", data),
        ("files/", b""),
    ])
}

#[test]
fn onepux_logins_with_everything_they_carry() {
    let parsed = read(
        Format::Onepux,
        onepux(&fixture("1pux_export.data")).as_slice(),
    )
    .unwrap();
    assert_eq!(
        summary(&parsed),
        [
            row(
                23,
                "https://login.example.com",
                "alice@example.com",
                "pw-1pux-full"
            ),
            row(123, "https://other.example", "bob", "pw-1pux-plain"),
        ]
    );
    let full = &parsed.logins[0];
    assert_eq!(full.name, "Example");
    assert_eq!(full.url, "https://login.example.com/signin");
    assert_eq!(full.notes, "full item note");
    assert_eq!(full.created, Some(Timestamp(1_619_467_985_000)));
    assert_eq!(full.updated, Some(Timestamp(1_619_468_230_000)));
    assert_eq!(
        full.extras.totp.expose(),
        "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example"
    );
    assert_eq!(full.extras.folder, "Personal");
    assert!(full.extras.favorite);
    assert_eq!(
        fields(full),
        [
            field("remember", "✓", false),
            field("Security: PIN", "1234", true),
            field("Security: Branch", "Main Street", false),
            field("Security: Recovery e-mail", "r@example.com", false),
            field("Security: Since", "1609459200", false),
            field("Security: Backup code", "GEZDGNBVGY3TQOJQ", true),
            field("Tags", "work, finance", false),
        ]
    );
    let history: Vec<_> = full
        .history
        .iter()
        .map(|h| (h.password.expose().to_owned(), h.replaced))
        .collect();
    assert_eq!(
        history,
        [
            ("pw-1pux-older".to_owned(), Timestamp(1_600_000_000_000)),
            ("pw-1pux-old".to_owned(), Timestamp(1_610_000_000_000)),
        ]
    );
    let plain = &parsed.logins[1];
    assert_eq!(plain.extras.folder, "Shared");
    assert!(!plain.extras.favorite && plain.extras.fields.is_empty());
    // The Android app URL, the credit card and the login without a password are skipped.
    assert_eq!(
        skipped(&parsed),
        [
            (
                23,
                SkipReason::NoWebOrigin("android://com.example.app".into())
            ),
            (108, SkipReason::NotALogin),
            (138, SkipReason::NoPassword),
        ]
    );
}

#[test]
fn onepux_is_read_only_and_named_by_its_entries() {
    let archive = onepux(&fixture("1pux_export.data"));
    // Given under another format's name, the archive is named for what it is.
    let error = read(Format::OnepasswordCsv, archive.as_slice()).unwrap_err();
    assert!(error.reason.contains("it is 1password-1pux"), "{error}");
    // A JSON file is not a 1PUX archive.
    let error = read(Format::Onepux, fixture("bitwarden.json").as_slice()).unwrap_err();
    assert!(error.reason.contains("bitwarden-json"), "{error}");
    // Read only.
    assert!(!Format::Onepux.can_write());
}

#[test]
fn malformed_onepux_archives_are_refused_naming_the_entry_and_item() {
    let data = String::from_utf8(fixture("1pux_export.data")).unwrap();
    for (archive, want) in [
        (
            b"PK\x03\x04 truncated".to_vec(),
            "the file is a zip archive that cannot be read",
        ),
        (
            zip_of(&[("export.attributes", b"{}")]),
            "the archive has no export.data entry",
        ),
        (
            onepux(b"{\"accounts\": [ {\"vaults\": "),
            "export.data, line 1: it ends in the middle of the JSON",
        ),
        (
            onepux(b"{\"accounts\": 5}"),
            "export.data, line 1: it is not a 1PUX export",
        ),
        (
            onepux(
                data.replace(
                    "\"createdAt\": 1700000000,\n              \"updatedAt\": 1700000100",
                    "\"createdAt\": \"1234\"",
                )
                .as_bytes(),
            ),
            "export.data, line 123: item itemloginplain has a value of the wrong type",
        ),
        (
            onepux(
                data.replace("\"other.example\"", "\"https:/www.bank.com\"")
                    .as_bytes(),
            ),
            "export.data, line 123: the URL of item itemloginplain is not a usable URL",
        ),
        (
            onepux(b"\xff\xfe"),
            "export.data, line 1: it is not UTF-8 text",
        ),
    ] {
        let error = read(Format::Onepux, archive.as_slice()).unwrap_err();
        assert!(error.reason.contains(want), "{want}: {error}");
        assert_eq!(error.line, None, "{error}");
        for secret in ["pw-1pux", "1234"] {
            assert!(!error.reason.contains(secret), "{error}");
        }
    }
}

#[test]
fn an_entry_that_inflates_past_the_cap_is_refused_without_reading_it_all() {
    // 4 MiB of zeros deflate to a few KiB: a bomb against a 1 MiB cap.
    let bomb = zip_of(&[("export.data", &vec![0_u8; 4 << 20])]);
    assert!(bomb.len() < 64 * 1024, "{}", bomb.len());
    let mut archive = crate::archive::Archive::open(&bomb).unwrap();
    let error = archive.read("export.data", 1 << 20).unwrap_err();
    assert!(
        error.reason.contains("inflates to more than 1 MiB"),
        "{error}"
    );
    // A header that lies about the size (says 16 bytes) is caught by the bytes themselves.
    let lying = lie_about_sizes(bomb.clone(), 16);
    let mut archive = crate::archive::Archive::open(&lying).unwrap();
    let error = archive.read("export.data", 1 << 20).unwrap_err();
    assert!(
        error.reason.contains("inflates to more than 1 MiB")
            || error.reason.contains("cannot be inflated"),
        "{error}"
    );
    // Through `read`, with the real cap: the header's size alone refuses it.
    let huge = lie_about_sizes(bomb, u32::MAX);
    let error = read(Format::Onepux, huge.as_slice()).unwrap_err();
    assert!(
        error
            .reason
            .contains("the archive's entry export.data: it inflates to more than 256 MiB"),
        "{error}"
    );
}

/// `zip` with every entry's uncompressed size, in its local header and in the central
/// directory, replaced by `size`.
fn lie_about_sizes(mut zip: Vec<u8>, size: u32) -> Vec<u8> {
    let find = |zip: &[u8], magic: &[u8; 4]| -> Vec<usize> {
        zip.windows(4)
            .enumerate()
            .filter(|(_, w)| w == magic)
            .map(|(i, _)| i)
            .collect()
    };
    for at in find(&zip, b"PK\x03\x04") {
        zip[at + 22..at + 26].copy_from_slice(&size.to_le_bytes());
    }
    for at in find(&zip, b"PK\x01\x02") {
        zip[at + 24..at + 28].copy_from_slice(&size.to_le_bytes());
    }
    zip
}
