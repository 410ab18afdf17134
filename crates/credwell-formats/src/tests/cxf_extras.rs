//! CXF's `totp` and `custom-fields` credentials: read into a login's extras, written back.

use super::*;

#[test]
fn cxf_totp_and_custom_fields_are_kept_with_the_items_logins() {
    let parsed = parse(Format::Cxf, "cxf_totp_fields.json");
    assert_eq!(
        summary(&parsed),
        [
            row(14, "https://sections.example", "alice", "pw-sections"),
            row(59, "https://sha256.example", "bob", "pw-sha256"),
            row(92, "https://md5.example", "carol", "pw-md5"),
        ]
    );
    let [sections, sha256, md5] = &parsed.logins[..] else {
        panic!("three logins");
    };
    assert_eq!(
        sections.extras.totp.expose(),
        "otpauth://totp/Sections%20Inc:alice%40sections.example?secret=JBSWY3DPEHPK3PXP&\
         issuer=Sections%20Inc&algorithm=SHA1&digits=6&period=30"
    );
    assert_eq!(
        fields(sections),
        [
            field("Security questions: First pet", "Rex", false),
            field("Security questions: PIN", "1234", true),
            field("Recovery", "alice@recovery.example", false),
            field("Member number", "42", false),
            field("Verified", "true", false),
            field("Since", "2024-02-29", false),
            field("Card expiry", "2027-11", false),
            field("", "no label", false),
        ]
    );
    assert!(sections.extras.favorite);
    assert_eq!(sections.notes, "sections note");
    assert_eq!(sections.updated, Some(Timestamp(1_706_745_600_000)));
    // Spaces and lower case in a secret are read as base32 does; the second TOTP of the item
    // is kept as a hidden field; a field of a type CXF does not define keeps its text.
    assert_eq!(
        sha256.extras.totp.expose(),
        "otpauth://totp/?secret=GEZDGNBVGY3TQOJQ&algorithm=SHA256&digits=8&period=60"
    );
    assert_eq!(
        fields(sha256),
        [
            field("TOTP", "JBSWY3DPEHPK3PXP", true),
            field("Colours: Favourite", "teal", false)
        ]
    );
    assert!(!sha256.extras.favorite);
    // An algorithm CXF does not define is ignored, as CXF says, with a warning; a TOTP item
    // with no password is not a login.
    assert!(md5.extras.totp.is_empty());
    assert_eq!(
        skipped(&parsed),
        [
            (
                92,
                SkipReason::Unsupported(
                    "a TOTP credential's algorithm is not SHA-1, SHA-256 or SHA-512 (CXF says \
                     to ignore it)"
                        .into()
                )
            ),
            (111, SkipReason::NotALogin),
        ]
    );
    assert!(parsed.unstored.is_empty(), "{:?}", parsed.unstored);
}

#[test]
fn cxf_totp_and_custom_fields_round_trip() {
    let first = parse(Format::Cxf, "cxf_totp_fields.json");
    let mut written = Vec::new();
    write(Format::Cxf, &first.logins, &[], &mut written).unwrap();
    let text = String::from_utf8(written.clone()).unwrap();
    // Written as CXF's own credentials, the favourite mark on the item.
    assert!(text.contains("\"type\": \"totp\""), "{text}");
    assert!(text.contains("\"issuer\": \"Sections Inc\""), "{text}");
    assert!(text.contains("\"type\": \"custom-fields\""), "{text}");
    assert!(text.contains("\"favorite\": true"), "{text}");
    let second = read(Format::Cxf, written.as_slice()).unwrap();
    assert!(second.skipped.is_empty(), "{:?}", second.skipped);
    let all = |p: &Parsed| {
        p.logins
            .iter()
            .map(|l| (comparable(Format::Cxf, l), fields(l)))
            .collect::<Vec<_>>()
    };
    assert_eq!(all(&first), all(&second));
}

#[test]
fn totp_text_cxf_has_no_place_for_round_trips_as_a_marked_field() {
    let origin = Origin::parse("https://example.com").unwrap();
    let mut logins = Vec::new();
    for totp in [
        "JBSWY3DPEHPK3PXP",
        "not base32!",
        "otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=7",
        "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=300",
    ] {
        let mut login = ImportedLogin::new(origin.clone(), totp, Password::new("pw"));
        login.extras.totp = SecretText::new(totp);
        login.extras.fields.push(CustomField {
            name: "TOTP".into(),
            value: SecretText::new("a field of the user's, named TOTP"),
            hidden: true,
        });
        logins.push(login);
    }
    let mut written = Vec::new();
    write(Format::Cxf, &logins, &[], &mut written).unwrap();
    let text = String::from_utf8(written.clone()).unwrap();
    assert_eq!(text.matches("\"type\": \"totp\"").count(), 1, "{text}");
    let back = read(Format::Cxf, written.as_slice()).unwrap();
    for (a, b) in logins.iter().zip(&back.logins) {
        assert_eq!(a.extras.totp.expose(), b.extras.totp.expose());
        assert_eq!(fields(a), fields(b));
    }
}

#[test]
fn malformed_cxf_totp_and_custom_fields_are_refused_with_their_item() {
    for (name, want) in [
        (
            "fail_cxf_totp_secret.json",
            "item aXRlbS0y: credential 2 (\"totp\") has a value of the wrong type",
        ),
        (
            "fail_cxf_custom_field.json",
            "item aXRlbS0y: a custom-fields credential has no \"fields\" list",
        ),
    ] {
        let error = parse_err(Format::Cxf, name);
        assert_eq!(error.line, Some(26), "{name}: {error}");
        assert!(error.reason.contains(want), "{name}: {error}");
        assert!(!error.reason.contains("1234"), "{name}: {error}");
    }
}

#[test]
fn cxf_extras_read_the_same_typed_and_item_by_item() {
    let text = String::from_utf8(fixture("cxf_totp_fields.json")).unwrap();
    let typed = read(Format::Cxf, text.as_bytes()).unwrap();
    // A time that cannot be sends the whole file through the item-by-item reading.
    let forced = text.replace("\"timestamp\": 1735689600", "\"timestamp\": -1");
    assert_ne!(forced, text);
    let by_item = read(Format::Cxf, forced.as_bytes()).unwrap();
    let all = |p: &Parsed| {
        p.logins
            .iter()
            .map(|l| (comparable(Format::Cxf, l), fields(l)))
            .collect::<Vec<_>>()
    };
    assert_eq!(all(&by_item), all(&typed));
    assert_eq!(skipped(&by_item), skipped(&typed));
}
