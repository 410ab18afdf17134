//! KeePass databases (`.kdbx`): KDBX 4 written here with the `keepass` crate's writer (as
//! KeePassXC and KeePass 2 lay them out: a root group, groups below it, a recycle bin the
//! metadata names, earlier versions of an entry in its history), then read through
//! `read_with_key`.

use keepass::Database;
use keepass::db::{Entry, EntryMut, History, fields};
use proptest::prelude::*;

use super::*;
use crate::kdbx_writer::{at, database, group, login, saved};

/// The password of the databases written here.
const PASSWORD: &str = "kdbx-master-Pa55";

fn key(password: &str) -> KdbxKey {
    KdbxKey::new(Some(Zeroizing::new(password.to_owned())), None)
}

/// A database as KeePassXC would hold one: entries in the root and in nested groups, one with
/// everything an entry carries and an earlier version of itself, TOTP secrets in each of the
/// three ways KeePass tools store them, a German recycle bin (with a group inside it), a group
/// merely named "Trash", and entries credwell cannot keep.
fn sample() -> Database {
    let mut db = database();
    let mut root = db.root_mut();
    root.name = "Datenbank".into();
    // 1: everything; its history has two earlier passwords.
    {
        let mut e = root.add_entry();
        login(&mut e, "Example", "alice", "pw-old-1", "example.com/login");
        e.times.last_modification = Some(at(1_600_000_000));
        let first: Entry = (*e).clone();
        e.set_protected(fields::PASSWORD, "pw-old-2");
        e.times.last_modification = Some(at(1_650_000_000));
        let second: Entry = (*e).clone();
        // A version that only changed the notes adds no password.
        e.set_unprotected(fields::NOTES, "changed notes only");
        e.times.last_modification = Some(at(1_660_000_000));
        let third: Entry = (*e).clone();
        e.set_protected(fields::PASSWORD, "pw-kdbx-full");
        e.set_unprotected(fields::NOTES, "line one\nline two");
        e.set_unprotected(
            "otp",
            "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example",
        );
        e.set_protected("PIN", "1234");
        e.set_unprotected("Branch", "Main Street");
        e.set_unprotected("Empty", "");
        e.tags = vec!["work".into(), "finance".into()];
        e.times.creation = Some(at(1_500_000_000));
        e.times.last_modification = Some(at(1_700_000_000));
        let mut history = History::default();
        for version in [first, second, third] {
            history.add_entry(version);
        }
        e.history = Some(history);
    }
    // 2: no URL; 3: no password.
    login(&mut root.add_entry(), "Wi-Fi", "", "wifi-pw", "");
    login(
        &mut root.add_entry(),
        "Note",
        "x",
        "",
        "https://note.example",
    );
    {
        let mut banking = group(&mut root, "Banking");
        let mut cards = group(&mut banking, "Cards");
        // 4: KeeTrayTOTP's seed and settings.
        let mut e = cards.add_entry();
        login(&mut e, "Card", "bob", "pw-card", "https://bank.example");
        e.set_protected("TOTP Seed", "jbsw y3dp ehpk 3pxp");
        e.set_unprotected("TOTP Settings", "60;8");
        e.times.creation = Some(at(-62_135_596_800));
    }
    {
        let mut bin = group(&mut root, "Papierkorb");
        // 5 and 6: deleted, the second in a group inside the bin.
        login(
            &mut bin.add_entry(),
            "Old",
            "carol",
            "pw-bin",
            "https://old.example",
        );
        let mut inner = group(&mut bin, "Alt");
        login(
            &mut inner.add_entry(),
            "Older",
            "dave",
            "pw-bin-2",
            "https://older.example",
        );
    }
    {
        let mut trash = group(&mut root, "Trash");
        // 7: KeePass 2.47's TimeOtp fields; a group named Trash is not the recycle bin.
        let mut e = trash.add_entry();
        login(&mut e, "Kept", "erin", "pw-trash", "https://trash.example");
        e.set_protected("TimeOtp-Secret-Base32", "GEZDGNBVGY3TQOJQ");
        e.set_unprotected("TimeOtp-Length", "8");
        e.set_unprotected("TimeOtp-Period", "60");
        e.set_unprotected("TimeOtp-Algorithm", "HMAC-SHA-256");
        // 8: KeeOtp's form of the `otp` field; 9: Steam codes, which stay fields.
        let mut e = trash.add_entry();
        login(
            &mut e,
            "KeeOtp",
            "frank",
            "pw-keeotp",
            "https://keeotp.example",
        );
        e.set_protected(
            "otp",
            "key=JBSWY3DPEHPK3PXP&size=8&step=45&otpHashMode=Sha512",
        );
        let mut e = trash.add_entry();
        login(&mut e, "Steam", "gina", "pw-steam", "https://steam.example");
        e.set_protected("TOTP Seed", "JBSWY3DPEHPK3PXP");
        e.set_unprotected("TOTP Settings", "30;S");
    }
    let bin = db.root().group_by_name("Papierkorb").unwrap().id();
    db.meta.recyclebin_uuid = Some(bin.uuid());
    db.meta.recyclebin_enabled = Some(true);
    db
}

#[test]
fn kdbx_entries_are_read_with_everything_they_carry_and_the_recycle_bin_skipped() {
    let bytes = saved(&sample(), PASSWORD, None);
    let parsed = read_with_key(Format::Kdbx, bytes.as_slice(), &key(PASSWORD)).unwrap();
    assert_eq!(
        summary(&parsed),
        [
            row(1, "https://example.com", "alice", "pw-kdbx-full"),
            row(4, "https://bank.example", "bob", "pw-card"),
            row(7, "https://trash.example", "erin", "pw-trash"),
            row(8, "https://keeotp.example", "frank", "pw-keeotp"),
            row(9, "https://steam.example", "gina", "pw-steam"),
        ]
    );
    assert_eq!(
        skipped(&parsed),
        [
            (2, SkipReason::NoWebOrigin(String::new())),
            (3, SkipReason::NoPassword),
            (5, SkipReason::InRecycleBin),
            (6, SkipReason::InRecycleBin),
        ]
    );
    let [full, card, time_otp, keeotp, steam] = &parsed.logins[..] else {
        panic!("five logins");
    };
    assert_eq!(full.name, "Example");
    assert_eq!(full.url, "example.com/login");
    assert_eq!(full.notes, "line one\nline two");
    assert_eq!(full.created, Some(Timestamp(1_500_000_000_000)));
    assert_eq!(full.updated, Some(Timestamp(1_700_000_000_000)));
    assert_eq!(full.extras.folder, "");
    assert_eq!(
        full.extras.totp.expose(),
        "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example"
    );
    assert_eq!(
        fields(full),
        [
            field("Branch", "Main Street", false),
            field("PIN", "1234", true),
            field("Tags", "work, finance", false),
        ]
    );
    let history: Vec<_> = (full.history.iter())
        .map(|h| (h.password.expose().to_owned(), h.replaced))
        .collect();
    assert_eq!(
        history,
        [
            ("pw-old-1".to_owned(), Timestamp(1_650_000_000_000)),
            ("pw-old-2".to_owned(), Timestamp(1_700_000_000_000)),
        ]
    );
    assert_eq!(card.extras.folder, "Banking/Cards");
    assert_eq!(
        card.extras.totp.expose(),
        "otpauth://totp/?secret=JBSWY3DPEHPK3PXP&digits=8&period=60"
    );
    assert!(fields(card).is_empty(), "{:?}", fields(card));
    // Year 1 cannot be a login's creation: dropped, with a note.
    assert_eq!(card.created, None);
    assert_eq!(parsed.clamped_times, [4]);
    assert_eq!(time_otp.extras.folder, "Trash");
    assert_eq!(
        time_otp.extras.totp.expose(),
        "otpauth://totp/?secret=GEZDGNBVGY3TQOJQ&digits=8&period=60&algorithm=SHA256"
    );
    assert!(fields(time_otp).is_empty(), "{:?}", fields(time_otp));
    assert_eq!(
        keeotp.extras.totp.expose(),
        "otpauth://totp/?secret=JBSWY3DPEHPK3PXP&digits=8&period=45&algorithm=SHA512"
    );
    assert!(steam.extras.totp.is_empty());
    assert_eq!(
        fields(steam),
        [
            field("TOTP Seed", "JBSWY3DPEHPK3PXP", true),
            field("TOTP Settings", "30;S", false),
        ]
    );
    // Nothing looked like a recycle bin by its name alone: the database says which it is.
    assert!(parsed.maybe_recycle_bin.is_empty());
}

#[test]
fn a_kdbx_recycle_bin_is_known_by_its_uuid_in_any_language_not_by_its_name() {
    for name in ["Recycle Bin", "ゴミ箱", "Corbeille", "Deleted stuff"] {
        let mut db = database();
        let mut root = db.root_mut();
        let mut bin = group(&mut root, name);
        login(
            &mut bin.add_entry(),
            "Gone",
            "u",
            "p",
            "https://gone.example",
        );
        let mut named = group(&mut root, "Recycle Bin (old)");
        login(
            &mut named.add_entry(),
            "Kept",
            "u",
            "p",
            "https://kept.example",
        );
        let bin = db.root().group_by_name(name).unwrap().id();
        db.meta.recyclebin_uuid = Some(bin.uuid());
        let bytes = saved(&db, PASSWORD, None);
        let parsed = read_with_key(Format::Kdbx, bytes.as_slice(), &key(PASSWORD)).unwrap();
        assert_eq!(skipped(&parsed), [(1, SkipReason::InRecycleBin)], "{name}");
        assert_eq!(summary(&parsed), [row(2, "https://kept.example", "u", "p")]);
    }
}

#[test]
fn a_wrong_kdbx_key_is_told_apart_from_a_damaged_or_truncated_file() {
    let bytes = saved(&sample(), PASSWORD, None);
    let reason = |bytes: &[u8], key: &KdbxKey| {
        let error = read_with_key(Format::Kdbx, bytes, key).unwrap_err();
        assert_eq!(error.line, None, "{error}");
        assert!(!error.reason.contains(PASSWORD), "{error}");
        error.reason
    };
    let wrong = reason(&bytes, &key("not-the-password"));
    assert_eq!(wrong, "wrong password or key file for the KeePass database");
    assert!(!wrong.contains("not-the-password"));
    let truncated = reason(&bytes[..bytes.len() / 2], &key(PASSWORD));
    assert!(truncated.contains("cut short"), "{truncated}");
    let truncated = reason(&bytes[..40], &key(PASSWORD));
    assert!(truncated.contains("cut short"), "{truncated}");
    // A byte of the encrypted content changed: its block's HMAC fails.
    let mut damaged = bytes.clone();
    let last = damaged.len() - 40;
    damaged[last] ^= 0x55;
    let reason_damaged = reason(&damaged, &key(PASSWORD));
    assert!(reason_damaged.contains("damaged"), "{reason_damaged}");
    // A format version credwell does not know (the major version after the signature).
    let mut future = bytes.clone();
    future[10..12].copy_from_slice(&5_u16.to_le_bytes());
    let version = reason(&future, &key(PASSWORD));
    assert!(
        version.contains("format version is not one credwell reads"),
        "{version}"
    );
    // A byte of the header changed: its SHA-256 fails.
    let mut header = bytes.clone();
    header[20] ^= 0x55;
    assert!(reason(&header, &key(PASSWORD)).contains("damaged"));
    // No key at all (`read`, which has none).
    let none = read(Format::Kdbx, bytes.as_slice()).unwrap_err();
    assert!(
        none.reason.contains("needs its password or key file"),
        "{none}"
    );
    // Not a KeePass database at all.
    let other = reason(b"hello, world", &key(PASSWORD));
    assert!(other.contains("not a KeePass database"), "{other}");
}

#[test]
fn a_kdbx_with_a_key_file_opens_with_it_and_not_without() {
    let mut db = database();
    login(
        &mut db.root_mut().add_entry(),
        "K",
        "u",
        "pw-key",
        "https://k.example",
    );
    let key_file = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<KeyFile><Meta><Version>2.0\
                     </Version></Meta><Key><Data Hash=\"A65F0C2D\">36057B1C 35037FD9 62257893 \
                     C0A22403 EE3F8FBB 504D9981 08B821CB 00D28F89</Data></Key></KeyFile>\n";
    let bytes = saved(&db, PASSWORD, Some(key_file));
    let with = |password: Option<&str>, file: Option<&[u8]>| {
        let key = KdbxKey::new(
            password.map(|p| Zeroizing::new(p.to_owned())),
            file.map(|f| Zeroizing::new(f.to_vec())),
        );
        read_with_key(Format::Kdbx, bytes.as_slice(), &key)
    };
    let parsed = with(Some(PASSWORD), Some(key_file)).unwrap();
    assert_eq!(
        summary(&parsed),
        [row(1, "https://k.example", "u", "pw-key")]
    );
    for (password, file) in [
        (Some(PASSWORD), None),
        (None, Some(key_file.as_slice())),
        (Some(PASSWORD), Some(b"another key file".as_slice())),
    ] {
        let error = with(password, file).unwrap_err();
        assert_eq!(error.reason, crate::kdbx::WRONG_KEY);
    }
    // The key's Debug shows neither part.
    let debug = format!("{:?}", key(PASSWORD));
    assert!(
        !debug.contains(PASSWORD) && debug.contains("redacted"),
        "{debug}"
    );
}

#[test]
fn a_kdbx_is_refused_as_any_other_format_and_other_files_as_kdbx() {
    let bytes = saved(&sample(), PASSWORD, None);
    for asked in Format::ALL.into_iter().filter(|f| *f != Format::Kdbx) {
        let error = read(asked, bytes.as_slice()).unwrap_err();
        assert_eq!(error.line, Some(1));
        assert!(
            error.reason.contains(&format!("not a {asked} file"))
                && error.reason.contains("`credwell import kdbx FILE`"),
            "{asked}: {error}"
        );
    }
    let error = read_with_key(Format::Kdbx, fixture("chrome.csv").as_slice(), &key("x"));
    let error = error.unwrap_err();
    assert!(
        error.reason.contains("not a kdbx file")
            && error.reason.contains("`credwell import chrome-csv FILE`"),
        "{error}"
    );
}

#[test]
fn a_malformed_kdbx_url_is_refused_with_its_entry_and_no_secret() {
    let mut db = database();
    let mut root = db.root_mut();
    login(
        &mut root.add_entry(),
        "Fine",
        "u",
        "pw-fine",
        "https://fine.example",
    );
    login(
        &mut root.add_entry(),
        "Broken",
        "u",
        "pw-secret",
        "https:bank.com",
    );
    let bytes = saved(&db, PASSWORD, None);
    let error = read_with_key(Format::Kdbx, bytes.as_slice(), &key(PASSWORD)).unwrap_err();
    assert_eq!(error.line, None);
    assert!(
        error
            .reason
            .starts_with("entry 2 (\"Broken\"): the URL field is not a usable URL"),
        "{error}"
    );
    assert!(!error.reason.contains("bank.com") && !error.reason.contains("pw-secret"));
}

/// Writes what credwell keeps of `l` into `entry`, its custom fields named `field N NAME` (a
/// database keeps one field per name).
fn fill(entry: &mut EntryMut<'_>, l: &ImportedLogin) {
    login(entry, &l.name, &l.username, l.password.expose(), &l.url);
    entry.set_unprotected(fields::NOTES, l.notes.as_str());
    if !l.extras.totp.is_empty() {
        entry.set_protected("otp", l.extras.totp.expose());
    }
    for (i, f) in l.extras.fields.iter().enumerate() {
        let name = format!("field {i} {}", f.name);
        match f.hidden {
            true => entry.set_protected(name, f.value.expose()),
            false => entry.set_unprotected(name, f.value.expose()),
        }
    }
    entry.times.creation = l.created.map(|t| at(t.0 as i64 / 1000));
    entry.times.last_modification = l.updated.map(|t| at(t.0 as i64 / 1000));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// What credwell keeps of a login, written into a KeePass database as KeePassXC lays one
    /// out, reads back the same.
    #[test]
    fn kdbx_round_trips_arbitrary_logins(
        logins in proptest::collection::vec(super::properties::login(), 0..4),
    ) {
        let mut db = database();
        for l in &logins {
            let mut root = db.root_mut();
            if l.extras.folder.is_empty() {
                fill(&mut root.add_entry(), l);
            } else {
                fill(&mut group(&mut root, &l.extras.folder).add_entry(), l);
            }
        }
        let bytes = saved(&db, PASSWORD, None);
        let back = read_with_key(Format::Kdbx, bytes.as_slice(), &key(PASSWORD)).unwrap();
        prop_assert!(back.skipped.is_empty());
        // The crate reads a value of white space only as no value (KeePass never writes one).
        let text = |s: &str| if s.trim().is_empty() { String::new() } else { s.to_owned() };
        let kept = |l: &ImportedLogin, named: bool| {
            let fields: Vec<_> = (l.extras.fields.iter().enumerate())
                .filter(|(_, f)| !f.value.expose().trim().is_empty())
                .map(|(i, f)| {
                    let name = if named { format!("field {i} {}", f.name) } else { f.name.clone() };
                    (name, f.value.expose().to_owned(), f.hidden)
                })
                .collect();
            (
                (l.origin.to_string(), text(&l.username), l.password.expose().to_owned()),
                (text(&l.name), text(&l.notes), l.created, l.updated),
                (l.extras.totp.expose().to_owned(), l.extras.folder.clone(), fields),
            )
        };
        // KeePass lists a group's entries before its groups'.
        let (root, grouped): (Vec<_>, Vec<_>) =
            logins.iter().partition(|l| l.extras.folder.is_empty());
        let a: Vec<_> = root.into_iter().chain(grouped).map(|l| kept(l, true)).collect();
        let b: Vec<_> = back.logins.iter().map(|l| kept(l, false)).collect();
        prop_assert_eq!(a, b);
    }
}

// ---- the key derivation's cost, read from the outer header before the database is opened ----

use crate::kdbx_header::{KdfCost, MAX_ARGON2_LANES, MAX_ARGON2_MEMORY, kdf_cost};

/// `bytes` with the value of the KDF parameter `name` (a variant dictionary item of `kind`,
/// `width` bytes wide) set to `value`.
fn with_kdf_parameter(bytes: &[u8], kind: u8, name: u8, width: u8, value: u64) -> Vec<u8> {
    let item = [kind, 1, 0, 0, 0, name, width, 0, 0, 0];
    let at = bytes
        .windows(item.len())
        .position(|w| w == item)
        .expect("the header names the parameter")
        + item.len();
    let mut out = bytes.to_vec();
    out[at..at + usize::from(width)].copy_from_slice(&value.to_le_bytes()[..usize::from(width)]);
    out
}

#[test]
fn a_kdbx_asking_for_too_much_key_derivation_memory_is_refused_before_any_key_is_asked_for() {
    let file = saved(&sample(), PASSWORD, None);
    // What the writer asked for (kdbx_writer: 64 KiB, one lane) is read from the header.
    assert_eq!(
        kdf_cost(&file),
        KdfCost {
            memory: Some(64 * 1024),
            lanes: Some(1),
            rounds: None
        }
    );
    for (patched, said) in [
        (
            with_kdf_parameter(&file, 0x05, b'M', 8, 1 << 40),
            "asks for 1048576 MiB of memory to derive its key, more than credwell allows \
             (4096 MiB)",
        ),
        (
            with_kdf_parameter(&file, 0x05, b'M', 8, MAX_ARGON2_MEMORY + 1),
            "asks for 4096 MiB of memory",
        ),
        (
            with_kdf_parameter(&file, 0x04, b'P', 4, MAX_ARGON2_LANES + 1),
            "asks for 257 Argon2 lanes to derive its key, more than credwell allows (256)",
        ),
    ] {
        // Refused by the kind check, before a key is needed (the command line asks for the
        // database's password after it), and by the read itself.
        let err = check_kind(Format::Kdbx, &patched).unwrap_err();
        assert!(err.reason.contains(said), "{err}");
        assert!(err.reason.ends_with("it was not opened"), "{err}");
        let err = read_with_key(Format::Kdbx, &patched[..], &key(PASSWORD)).unwrap_err();
        assert!(err.reason.contains(said), "{err}");
        assert!(!err.reason.contains(PASSWORD), "{err}");
    }
    // At the caps themselves: not refused (the header's HMAC no longer matches the patched
    // bytes, so the crate then finds the file damaged, which is its check, not this one).
    let at_cap = with_kdf_parameter(&file, 0x05, b'M', 8, MAX_ARGON2_MEMORY);
    assert!(check_kind(Format::Kdbx, &at_cap).is_ok());
    assert!(check_kind(Format::Kdbx, &file).is_ok());
}

/// A KDBX 3.1 outer header: signature, version 3.1, the given fields, the end field.
fn kdbx3_header(fields: &[(u8, &[u8])]) -> Vec<u8> {
    let mut out = crate::kdbx::SIGNATURE.to_vec();
    out.extend_from_slice(&[1, 0, 3, 0]);
    for (id, value) in fields {
        out.push(*id);
        out.extend_from_slice(&u16::try_from(value.len()).unwrap().to_le_bytes());
        out.extend_from_slice(value);
    }
    out.extend_from_slice(&[0, 4, 0, 13, 10, 13, 10]);
    out
}

#[test]
fn a_kdbx3_headers_aes_rounds_are_read_and_an_unknown_version_names_no_cost() {
    let rounds = 6_000_000_u64.to_le_bytes();
    let header = kdbx3_header(&[(2, &[0x31; 16]), (6, &rounds), (5, &[7; 32])]);
    assert_eq!(kdf_cost(&header).rounds, Some(6_000_000));
    assert_eq!(
        kdf_cost(&header).refusal(),
        None,
        "AES-KDF's rounds cost time, not memory"
    );
    // A version this reader does not know: nothing found, and the crate decides.
    let mut v5 = header.clone();
    v5[10] = 5;
    assert_eq!(kdf_cost(&v5), KdfCost::default());
}

proptest! {
    /// Any bytes after a KeePass signature, and any cut of a real header, are read without a
    /// panic; a cut gives at most what the whole header gives.
    #[test]
    fn a_kdbx_header_of_any_bytes_is_read_without_a_panic(
        major in prop_oneof![Just(3u8), Just(4u8), any::<u8>()],
        rest in proptest::collection::vec(any::<u8>(), 0..512),
        cut in 0usize..2048,
    ) {
        let mut bytes = crate::kdbx::SIGNATURE.to_vec();
        bytes.extend_from_slice(&[0, 0, major, 0]);
        bytes.extend_from_slice(&rest);
        let _ = kdf_cost(&bytes).refusal();
        let file = kdbx_header_sample();
        let whole = kdf_cost(file);
        let part = kdf_cost(&file[..cut.min(file.len())]);
        prop_assert!(part.memory.is_none() || part.memory == whole.memory);
        prop_assert!(part.lanes.is_none() || part.lanes == whole.lanes);
    }
}

/// A real KDBX 4 file's first bytes (its outer header and a little more), written once.
fn kdbx_header_sample() -> &'static [u8] {
    static FILE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    FILE.get_or_init(|| {
        let file = saved(&database(), PASSWORD, None);
        file[..file.len().min(2048)].to_vec()
    })
}

/// KDBX 3.1 databases as KeePass 2 and KeePassXC wrote them before KDBX 4 (AES-KDF, an inner
/// stream of Salsa20 or ChaCha20 for protected fields, a password or a key file): the `keepass`
/// crate's own test databases (MIT licence, see `tests/fixtures/README.md`), since its writer
/// makes KDBX 4 only.
#[test]
fn kdbx3_databases_are_read_with_a_password_or_a_key_file() {
    let with = |name: &str, password: Option<&str>, key_file: Option<&str>| {
        let key = KdbxKey::new(
            password.map(|p| Zeroizing::new(p.to_owned())),
            key_file.map(|f| Zeroizing::new(fixture(f))),
        );
        read_with_key(Format::Kdbx, fixture(name).as_slice(), &key)
    };
    // Salsa20 protects the passwords; entries in the root and in groups below it.
    let parsed = with("kdbx3_aes.kdbx", Some("demopass"), None).unwrap();
    assert_eq!(
        summary(&parsed),
        [
            row(1, "http://keepass.info", "User Name", "Password"),
            row(3, "http://keepass.info", "Michael321", "12345"),
            row(4, "http://keepass.info", "Michael3210", "12345"),
        ]
    );
    let no_url = SkipReason::NoWebOrigin(String::new());
    assert_eq!(
        skipped(&parsed),
        [
            (2, no_url.clone()),
            (5, no_url.clone()),
            (6, no_url.clone())
        ]
    );
    let [sample, second, _] = &parsed.logins[..] else {
        panic!("three logins");
    };
    assert_eq!(sample.name, "Sample Entry");
    assert_eq!(sample.notes, "Notes");
    // KDBX 3.1 writes its times as ISO 8601 text (KDBX 4 as base64 seconds).
    assert_eq!(sample.created, Some(Timestamp(1_452_677_673_000)));
    assert_eq!(sample.updated, Some(Timestamp(1_549_720_554_000)));
    assert_eq!(
        fields(sample),
        [field(
            "custom attribute",
            "data for custom attribute",
            false
        )]
    );
    assert_eq!(second.extras.folder, "General");
    // The header's AES-KDF rounds are what the cost check reads.
    let rounds = kdf_cost(&fixture("kdbx3_aes.kdbx")).rounds;
    assert!(rounds.is_some_and(|r| r > 0), "{rounds:?}");
    // ChaCha20 protects the fields; a binary key file instead of a password.
    for (name, password, key_file) in [
        ("kdbx3_chacha20.kdbx", Some("password"), None),
        ("kdbx3_key_file.kdbx", None, Some("kdbx3_key_file.key")),
    ] {
        let parsed = with(name, password, key_file).unwrap();
        assert_eq!(skipped(&parsed), [(1, no_url.clone())], "{name}");
        assert!(parsed.logins.is_empty(), "{name}");
    }
    // A wrong password or key file is told as such, in KDBX 3.1 too.
    for (name, password, key_file) in [
        ("kdbx3_aes.kdbx", Some("not-demopass"), None),
        ("kdbx3_chacha20.kdbx", Some("demopass"), None),
        ("kdbx3_key_file.kdbx", None, Some("kdbx3_aes.kdbx")),
        ("kdbx3_key_file.kdbx", Some("password"), None),
    ] {
        let error = with(name, password, key_file).unwrap_err();
        assert_eq!(error.reason, crate::kdbx::WRONG_KEY, "{name}");
    }
}
