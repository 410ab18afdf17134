//! KeePass databases (`.kdbx`, KDBX 3.1 and 4, as KeePass 2 and KeePassXC write them), read
//! directly with the database's own password and/or key file ([`KdbxKey`]), through the
//! `keepass` crate. Read only: credwell does not write KeePass databases.
//!
//! Each entry with a password and a web URL gives a login: its title, user name, password, URL,
//! notes, creation and last modification times (`Times`), its group path below the root as its
//! folder, its tags as one custom field `Tags`, and its other string fields as custom fields
//! (protected ones hidden). Its TOTP secret is KeePassXC's `otp` field (an `otpauth://` URI, or
//! KeeOtp's `key=...&step=...&size=...`), else the `TOTP Seed` and `TOTP Settings` fields of
//! KeeTrayTOTP (and KeePassXC before 2.6), else KeePass 2.47's `TimeOtp-Secret-Base32` with its
//! `TimeOtp-Length`, `TimeOtp-Period` and `TimeOtp-Algorithm`. The passwords of the entry's
//! history (KeePass keeps each earlier version) are its password history, each replaced when
//! the next version was saved.
//!
//! Entries in the recycle bin (the group the database's metadata names as such, in whatever
//! language its name is) are skipped. A KeePass database has no lines: an entry's `line` is its
//! position in the database, counted from 1 in the order KeePass lists them (a group's entries,
//! then its groups').
//!
//! A wrong password or key file is told apart from a damaged file (KDBX 4 checks the key with
//! an HMAC of the header; KDBX 3.1 with the first bytes of the decrypted stream); no error names
//! a secret. The crate keeps the decrypted XML in a buffer it does not wipe; protected values
//! (passwords) are held apart and wiped when the database is dropped.

use std::collections::HashMap;
use std::fmt;

use credwell_core::{CustomField, Password, PastPassword, SecretText};
use keepass::db::{Entry, GroupRef, fields};
use keepass::error::{DatabaseKeyError, DatabaseOpenError};
use keepass::{Database, DatabaseKey};
use zeroize::Zeroizing;

use super::{
    FormatError, ImportedLogin, LoginExtras, Parsed, SkipReason, kdbx_header, login_origin,
};

/// What opens a KeePass database: its password, its key file's bytes, or both.
#[derive(Clone, Default)]
pub struct KdbxKey {
    password: Option<Zeroizing<String>>,
    key_file: Option<Zeroizing<Vec<u8>>>,
}

impl KdbxKey {
    /// A key of a password and/or a key file's bytes (KeePass's "composite key").
    pub fn new(password: Option<Zeroizing<String>>, key_file: Option<Zeroizing<Vec<u8>>>) -> Self {
        Self { password, key_file }
    }

    /// The password, if the key has one.
    pub fn password(&self) -> Option<&str> {
        self.password.as_ref().map(|p| p.as_str())
    }

    /// The key file's bytes, if the key has one.
    pub fn key_file(&self) -> Option<&[u8]> {
        self.key_file.as_ref().map(|k| k.as_slice())
    }

    /// Whether the key has neither a password nor a key file.
    pub fn is_empty(&self) -> bool {
        self.password.is_none() && self.key_file.is_none()
    }

    /// The key as the crate takes it (it wipes its copy when dropped).
    fn database_key(&self) -> Result<DatabaseKey, FormatError> {
        let mut key = DatabaseKey::new();
        if let Some(password) = &self.password {
            key = key.with_password(password);
        }
        if let Some(bytes) = &self.key_file {
            key = key
                .with_keyfile(&mut bytes.as_slice())
                .map_err(|_| FormatError {
                    line: None,
                    reason: "the key file cannot be read".into(),
                })?;
        }
        Ok(key)
    }
}

impl fmt::Debug for KdbxKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KdbxKey")
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("key_file", &self.key_file.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The first 8 bytes of every KeePass 2 database (KDBX 2 to 4): two little-endian signatures,
/// `0x9AA2D903` and `0xB54BFB67`.
pub(super) const SIGNATURE: [u8; 8] = [0x03, 0xd9, 0xa2, 0x9a, 0x67, 0xfb, 0x4b, 0xb5];

/// What a wrong key is told.
pub(super) const WRONG_KEY: &str = "wrong password or key file for the KeePass database";

/// Refuses bytes that do not start as a KeePass 2 database does.
pub(super) fn check_signature(bytes: &[u8]) -> Result<(), FormatError> {
    if bytes.starts_with(&SIGNATURE) {
        return Ok(());
    }
    Err(FormatError {
        line: None,
        reason: "the file is not a KeePass database (.kdbx): it does not start with KeePass's \
                 signature"
            .into(),
    })
}

/// Refuses a database whose key derivation asks for more memory than credwell allows (its
/// outer header, read in clear before the database is opened: [`kdbx_header`]).
pub(super) fn check_cost(bytes: &[u8]) -> Result<(), FormatError> {
    match kdbx_header::kdf_cost(bytes).refusal() {
        Some(reason) => Err(FormatError { line: None, reason }),
        None => Ok(()),
    }
}

/// Reads every login of a KeePass database opened with `key`.
/// ([`super::check_kind`] has checked its signature.)
pub(super) fn read(bytes: &[u8], key: &KdbxKey) -> Result<Parsed, FormatError> {
    if key.is_empty() {
        return Err(Problem::NoKey.into());
    }
    let kdbx3 = matches!(
        Database::get_version(&mut &bytes[..]),
        Ok(keepass::config::DatabaseVersion::KDB3(_))
    );
    let database = Database::parse(bytes, key.database_key()?)
        .map_err(|e| FormatError::from(open_error(&e, kdbx3)))?;
    read_database(&database)
}

/// Why a database did not open, in words that quote nothing of it. (The crate's own messages
/// may quote the XML.)
fn open_error(error: &DatabaseOpenError, kdbx3: bool) -> Problem {
    use keepass::error::{CryptographyError, DatabaseVersionParseError};
    match error {
        DatabaseOpenError::Key(DatabaseKeyError::IncorrectKey) => Problem::WrongKey,
        // KDBX 3.1 has no HMAC: a wrong key decrypts to bytes whose padding is wrong, more
        // often than to a wrong start of the stream.
        DatabaseOpenError::Cryptography(CryptographyError::InvalidPadding(_)) if kdbx3 => {
            Problem::WrongKey
        }
        // The crate takes any file as a key file (its SHA-256 is the key): kept apart in case
        // it ever refuses one.
        DatabaseOpenError::Key(_) => Problem::KeyFile,
        DatabaseOpenError::Io(_)
        | DatabaseOpenError::UnexpectedEof
        | DatabaseOpenError::VersionParse(DatabaseVersionParseError::UnexpectedEof) => {
            Problem::Truncated
        }
        // A KDBX 5, or a version field that was damaged.
        DatabaseOpenError::UnsupportedVersion | DatabaseOpenError::VersionParse(_) => {
            Problem::Version
        }
        _ => Problem::Damaged,
    }
}

/// What went wrong opening a database.
#[derive(Debug, PartialEq, Eq)]
enum Problem {
    WrongKey,
    NoKey,
    KeyFile,
    Version,
    Truncated,
    Damaged,
}

impl From<Problem> for FormatError {
    fn from(problem: Problem) -> Self {
        let reason = match problem {
            Problem::WrongKey => WRONG_KEY,
            Problem::NoKey => "the KeePass database needs its password or key file",
            Problem::KeyFile => "the key file is not a KeePass key file credwell can read",
            Problem::Version => {
                "this KeePass database's format version is not one credwell reads (KDBX 3.1 and \
                 4)"
            }
            Problem::Truncated => "the KeePass database is cut short (an incomplete copy?)",
            Problem::Damaged => {
                "the KeePass database is damaged or cut short: a checksum or its decrypted \
                 content is wrong"
            }
        };
        FormatError {
            line: None,
            reason: reason.to_owned(),
        }
    }
}

/// Reads the entries of an opened database, in KeePass's order.
fn read_database(database: &Database) -> Result<Parsed, FormatError> {
    let bin = database.recycle_bin().map(|g| g.id());
    let mut parsed = Parsed::default();
    let mut position = 0;
    // (group, its path below the root, whether it is in the recycle bin)
    let mut stack = vec![(database.root(), String::new(), false)];
    while let Some((group, path, binned)) = stack.pop() {
        for entry in group.entries() {
            position += 1;
            if binned {
                parsed.skip(position, SkipReason::InRecycleBin);
                continue;
            }
            read_entry(&entry, &path, position, &mut parsed)?;
        }
        let children: Vec<GroupRef<'_>> = (group.group_ids())
            .filter_map(|id| database.group(id))
            .collect();
        for child in children.into_iter().rev() {
            let child_path = match path.as_str() {
                "" => child.name.clone(),
                parent => format!("{parent}/{}", child.name),
            };
            let child_binned = binned || Some(child.id()) == bin;
            stack.push((child, child_path, child_binned));
        }
    }
    Ok(parsed)
}

/// The fields credwell reads as the login itself; every other field is a custom field (or the
/// TOTP secret).
const STANDARD: [&str; 5] = [
    fields::TITLE,
    fields::USERNAME,
    fields::PASSWORD,
    fields::URL,
    fields::NOTES,
];

fn read_entry(entry: &Entry, folder: &str, n: u64, parsed: &mut Parsed) -> Result<(), FormatError> {
    let field = |name: &str| entry.get(name).unwrap_or_default();
    let title = field(fields::TITLE);
    let password = field(fields::PASSWORD);
    let url = field(fields::URL);
    let at = |why: String| FormatError {
        line: None,
        reason: format!("entry {n} ({title:?}): {why}"),
    };
    let Some(origin) = login_origin(url, n, "URL field").map_err(|e| at(e.reason))? else {
        parsed.skip(n, SkipReason::NoWebOrigin(url.to_owned()));
        return Ok(());
    };
    if password.is_empty() {
        parsed.skip(n, SkipReason::NoPassword);
        return Ok(());
    }
    let (totp, used) = totp(entry);
    let mut custom: Vec<(&String, &keepass::db::Value<String>)> = (entry.fields.iter())
        .filter(|(name, value)| {
            !STANDARD.contains(&name.as_str())
                && !used.contains(&name.as_str())
                && !value.is_empty()
        })
        .collect();
    // The crate keeps fields in a map: sorted by name, an entry's fields read the same each time.
    custom.sort_by(|a, b| a.0.cmp(b.0));
    let mut extras = LoginExtras {
        totp: SecretText::new(totp.as_str()),
        folder: folder.to_owned(),
        ..LoginExtras::default()
    };
    for (name, value) in custom {
        extras.fields.push(CustomField {
            name: name.clone(),
            value: SecretText::new(value.as_str()),
            hidden: value.is_protected(),
        });
    }
    if !entry.tags.is_empty() {
        extras
            .fields
            .push(super::tags::tags_field(entry.tags.join(", ")));
    }
    let [created, updated] = parsed.times_in_seconds(
        n,
        [entry.times.creation, entry.times.last_modification]
            .map(|t| t.map(|t| t.and_utc().timestamp())),
    );
    let mut login = ImportedLogin::new(origin, field(fields::USERNAME), Password::new(password));
    login.url = url.to_owned();
    login.name = title.to_owned();
    login.notes = field(fields::NOTES).to_owned();
    login.created = created;
    login.updated = updated;
    login.history = history(entry);
    login.extras = extras;
    login.line = n;
    parsed.logins.push(login);
    Ok(())
}

/// The passwords of an entry's earlier versions, oldest first, each replaced when the next
/// version was saved (a version that kept its password adds nothing).
fn history(entry: &Entry) -> Vec<PastPassword> {
    let mut versions: Vec<&Entry> = entry
        .history
        .as_ref()
        .map(|h| h.get_entries().iter().collect())
        .unwrap_or_default();
    versions.sort_by_key(|v| v.times.last_modification);
    versions.push(entry);
    let mut history = Vec::new();
    for pair in versions.windows(2) {
        let [old, new] = pair else { continue };
        let password = old.get(fields::PASSWORD).unwrap_or_default();
        let replaced = new.times.last_modification.map(|t| t.and_utc().timestamp());
        let Some(replaced) = replaced.and_then(super::from_seconds) else {
            continue;
        };
        if !password.is_empty() && Some(password) != new.get(fields::PASSWORD) {
            history.push(PastPassword {
                password: Password::new(password),
                replaced,
            });
        }
    }
    history
}

/// An entry's TOTP secret (an `otpauth://` URI or a bare base32 secret, `""` when none), and
/// the fields it was read from (left out of the custom fields).
fn totp(entry: &Entry) -> (Zeroizing<String>, Vec<&'static str>) {
    let field = |name: &str| entry.get(name).map(str::trim).filter(|v| !v.is_empty());
    if let Some(otp) = field("otp") {
        return (keeotp_uri(otp), vec!["otp"]);
    }
    if let Some(seed) = field("TOTP Seed") {
        let settings = field("TOTP Settings").unwrap_or("30;6");
        // `period;digits`, or `period;S` for Steam's codes, which credwell does not compute:
        // the fields stay as they are.
        if let Some((period, digits)) = settings.split_once(';')
            && let (Ok(period), Ok(digits)) = (period.parse::<u64>(), digits.parse::<u32>())
        {
            let uri = otpauth(
                seed,
                &[
                    ("digits", digits.to_string()),
                    ("period", period.to_string()),
                ],
            );
            return (uri, vec!["TOTP Seed", "TOTP Settings"]);
        }
        return (Zeroizing::new(String::new()), Vec::new());
    }
    if let Some(secret) = field("TimeOtp-Secret-Base32") {
        let mut params = Vec::new();
        let mut used = vec!["TimeOtp-Secret-Base32"];
        for (name, key) in [("TimeOtp-Length", "digits"), ("TimeOtp-Period", "period")] {
            if let Some(value) = field(name).filter(|v| v.parse::<u64>().is_ok()) {
                params.push((key, value.to_owned()));
                used.push(name);
            }
        }
        if let Some(algorithm) = field("TimeOtp-Algorithm") {
            let name = match algorithm {
                "HMAC-SHA-1" => Some("SHA1"),
                "HMAC-SHA-256" => Some("SHA256"),
                "HMAC-SHA-512" => Some("SHA512"),
                _ => None,
            };
            if let Some(name) = name {
                params.push(("algorithm", name.to_owned()));
                used.push("TimeOtp-Algorithm");
            }
        }
        return (otpauth(secret, &params), used);
    }
    (Zeroizing::new(String::new()), Vec::new())
}

/// KeeOtp's `key=SECRET&step=30&size=6&otpHashMode=Sha256` as an `otpauth://` URI; anything
/// else (an `otpauth://` URI, a bare secret) as it is.
fn keeotp_uri(otp: &str) -> Zeroizing<String> {
    let pairs: HashMap<&str, &str> = otp.split('&').filter_map(|p| p.split_once('=')).collect();
    let secret = pairs.get("key").filter(|_| otp.starts_with("key="));
    let Some(secret) = secret else {
        return Zeroizing::new(otp.to_owned());
    };
    let mut params = Vec::new();
    for (from, to) in [("size", "digits"), ("step", "period")] {
        if let Some(value) = pairs.get(from) {
            params.push((to, (*value).to_owned()));
        }
    }
    if let Some(mode) = pairs.get("otpHashMode") {
        params.push(("algorithm", mode.to_uppercase()));
    }
    otpauth(secret, &params)
}

/// An `otpauth://totp/` URI of a base32 `secret` and its `params`.
fn otpauth(secret: &str, params: &[(&str, String)]) -> Zeroizing<String> {
    let secret = Zeroizing::new(
        (secret.chars())
            .filter(|c| !c.is_whitespace() && *c != '=')
            .flat_map(char::to_uppercase)
            .collect::<String>(),
    );
    let mut uri = Zeroizing::new(format!("otpauth://totp/?secret={}", secret.as_str()));
    for (key, value) in params {
        uri.push_str(&format!("&{key}={value}"));
    }
    uri
}
