//! Password-manager export formats: parsers and writers over [`std::io::Read`] and
//! [`std::io::Write`], independent of any store.
//!
//! Every format reads into and writes from [`ImportedLogin`], one username and password for one
//! web origin. Reading never touches a vault: it either returns every login of the file (and what
//! it skipped, with why) or fails on the first malformed entry with its line and the reason, so
//! the caller can apply the whole file as one transaction or nothing.
//!
//! The formats:
//! - [`Format::ChromeCsv`]: Chrome / Chromium "Export passwords",
//!   `name,url,username,password,note`;
//! - [`Format::FirefoxCsv`]: Firefox "Export Logins", `url,username,password,httpRealm,`
//!   `formActionOrigin,guid,timeCreated,timeLastUsed,timePasswordChanged`;
//! - [`Format::BitwardenJson`]: Bitwarden's unencrypted JSON export
//!   (`{"encrypted": false, "items": [...]}`);
//! - [`Format::KeepassxcCsv`]: KeePassXC "Export to CSV", `"Group","Title","Username",`
//!   `"Password","URL","Notes","TOTP","Icon","Last Modified","Created"`;
//! - [`Format::Cxf`]: FIDO Credential Exchange Format 1.0, JSON: logins and passkeys;
//! - [`Format::BitwardenCsv`], [`Format::LastpassCsv`], [`Format::AppleCsv`] (Apple Passwords
//!   and Safari), [`Format::OnepasswordCsv`] and [`Format::ProtonCsv`]: the CSV exports of those
//!   products
//!   (`simple_csv`);
//! - [`Format::Onepux`]: 1Password's 1PUX export, a zip archive holding `export.data` (JSON),
//!   read only;
//! - [`Format::ProtonJson`]: Proton Pass's JSON export, or the zip holding it, read only;
//! - [`Format::Kdbx`]: a KeePass database (`.kdbx`), opened with its password or key file
//!   ([`KdbxKey`], [`read_with_key`]), read only.

use std::fmt;
use std::io::{Read, Write};

use credwell_core::{
    Clock as _, CustomField, Origin, Password, PastPassword, SecretText, SystemClock, Timestamp,
};
use credwell_passkey::PasskeyRecord;
use zeroize::Zeroizing;

pub use format::Format;
pub use kdbx::KdbxKey;
use times::from_seconds;

mod archive;
mod bitwarden;
mod bitwarden_fido2;
mod chrome;
mod csv_table;
mod cxf;
mod cxf_collections;
mod cxf_extras;
mod cxf_passkeys;
mod firefox;
mod format;
mod json_text;
mod kdbx;
mod kdbx_header;
#[cfg(any(test, feature = "kdbx-test-writer"))]
pub mod kdbx_writer;
mod keepassxc;
mod onepux;
mod passkeys;
mod proton_json;
mod simple_csv;
mod sniff;
mod tags;
mod times;
mod urls;

/// One login as the formats see it, in both directions: a username and password for one web
/// origin, with the entry's title and notes.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedLogin {
    /// The web origin the login is for.
    pub origin: Origin,
    /// The URL as the file wrote it (an origin, or a full page URL).
    pub url: String,
    /// The username (may be empty).
    pub username: String,
    /// The password (never empty on import).
    pub password: Password,
    /// The entry's title in the source tool (`""` when it had none).
    pub name: String,
    /// Free-text notes (`""` when none).
    pub notes: String,
    /// When the entry was created, if the file says.
    pub created: Option<Timestamp>,
    /// When the entry was last modified, if the file says.
    pub updated: Option<Timestamp>,
    /// When the entry was last used to sign in, if the file says (Firefox's `timeLastUsed`;
    /// credwell's vault does not keep it).
    pub last_used: Option<Timestamp>,
    /// The passwords the entry had before, oldest first, where the format keeps them
    /// (Bitwarden JSON's `passwordHistory`).
    pub history: Vec<PastPassword>,
    /// Its TOTP secret, custom fields, folder and favourite mark, where the format has a place
    /// for them.
    pub extras: LoginExtras,
    /// Where the entry starts in the file: a 1-based line number (0 when not read from a file;
    /// in a KeePass database, which has no lines, the entry's 1-based position).
    pub line: u64,
}

/// What a login carries beside its credential, title and notes, where the format has a place
/// for it: kept by the import with the credential (`credwell_core::Extras`) and written by the
/// export.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct LoginExtras {
    /// The TOTP secret: an `otpauth://` URI or a bare base32 secret (`""` when none).
    pub totp: SecretText,
    /// Custom fields, in the file's order.
    pub fields: Vec<CustomField>,
    /// The folder (group) path, `/` between names (`""` when none).
    pub folder: String,
    /// Whether the entry is a favourite.
    pub favorite: bool,
}

impl ImportedLogin {
    /// A login for `origin`, with no title, notes or times (for writers and tests); its URL is
    /// the origin as people read it ([`display_origin`]).
    pub fn new(origin: Origin, username: &str, password: Password) -> Self {
        Self {
            url: urls::unicode_origin(&origin),
            origin,
            username: username.to_owned(),
            password,
            name: String::new(),
            notes: String::new(),
            created: None,
            updated: None,
            last_used: None,
            history: Vec::new(),
            extras: LoginExtras::default(),
            line: 0,
        }
    }
}

/// Why an entry of a file was skipped rather than imported (a warning, not an error).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// The URL has no web (http or https tuple) origin: empty, `android://...`, not a URL...
    NoWebOrigin(String),
    /// The entry has no password (a passkey-only or username-only entry).
    NoPassword,
    /// The entry is not a login (a Bitwarden card, identity or secure note).
    NotALogin,
    /// The entry is in the source tool's recycle bin.
    InRecycleBin,
    /// An HTTP authentication login (Firefox's `httpRealm`): a browser's own sign-in dialog, not
    /// a form's, which credwell does not fill.
    HttpAuth,
    /// The entry is valid in its format but credwell cannot hold it (a passkey with a P-384
    /// key...): why, in words that quote no secret.
    Unsupported(String),
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::NoWebOrigin(url) if url.is_empty() => f.write_str("no URL"),
            SkipReason::NoWebOrigin(url) => write!(f, "{url:?} has no web origin"),
            SkipReason::NoPassword => f.write_str("no password"),
            SkipReason::NotALogin => f.write_str("not a login"),
            SkipReason::InRecycleBin => f.write_str("in the recycle bin"),
            SkipReason::HttpAuth => f.write_str("an HTTP authentication login (httpRealm)"),
            SkipReason::Unsupported(why) => f.write_str(why),
        }
    }
}

/// What a file's entries carry that credwell does not store: the import warns per kind, with
/// the number of entries that had it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unstored {
    /// Free-text notes where the import cannot keep them with a login.
    Notes,
    /// TOTP secrets (`otpauth://` URIs or bare secrets).
    Totp,
    /// Custom fields beside the username and password.
    CustomFields,
    /// Folders or groups the entry was filed in beyond the first, which a login keeps (an item
    /// in several collections).
    Folders,
    /// A favourite mark.
    Favourites,
}

impl Unstored {
    /// Every kind, in the order the import reports them.
    pub const ALL: [Unstored; 5] = [
        Unstored::Notes,
        Unstored::Totp,
        Unstored::CustomFields,
        Unstored::Folders,
        Unstored::Favourites,
    ];

    /// The kind in words, plural (`"TOTP secrets"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Unstored::Notes => "notes",
            Unstored::Totp => "TOTP secrets",
            Unstored::CustomFields => "custom fields",
            Unstored::Folders => "folders",
            Unstored::Favourites => "favourite marks",
        }
    }

    /// The kind as a JSON key (`"totp"`).
    pub fn key(self) -> &'static str {
        match self {
            Unstored::Notes => "notes",
            Unstored::Totp => "totp",
            Unstored::CustomFields => "customFields",
            Unstored::Folders => "folders",
            Unstored::Favourites => "favourites",
        }
    }
}

impl ImportedLogin {
    /// Whether the login has something of `kind`.
    pub fn has(&self, kind: Unstored) -> bool {
        match kind {
            Unstored::Notes => !self.notes.is_empty(),
            Unstored::Totp => !self.extras.totp.is_empty(),
            Unstored::CustomFields => !self.extras.fields.is_empty(),
            Unstored::Folders => !self.extras.folder.is_empty(),
            Unstored::Favourites => self.extras.favorite,
        }
    }
}

/// An entry that was read but not imported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// Where the entry starts in the file (1-based line; in a KeePass database, its 1-based
    /// position).
    pub line: u64,
    /// Why it was skipped.
    pub reason: SkipReason,
}

/// What a file held.
#[derive(Debug, Default)]
pub struct Parsed {
    /// The logins, in file order.
    pub logins: Vec<ImportedLogin>,
    /// The passkeys, in file order (only formats that carry passkeys have any).
    pub passkeys: Vec<PasskeyRecord>,
    /// The entries that were skipped, in file order.
    pub skipped: Vec<Skipped>,
    /// What imported entries carried that credwell does not store: the kind and the entry's
    /// line, once per entry and kind, in file order.
    pub unstored: Vec<(Unstored, u64)>,
    /// The lines of entries imported from a group that looks like a recycle bin but is not
    /// certainly one (KeePassXC CSV).
    pub maybe_recycle_bin: Vec<u64>,
    /// The lines of the rows that had a value behind the `'` that credwell's CSV exports put
    /// before values a spreadsheet would read as a formula; the `'` was removed.
    pub formula_guards: Vec<u64>,
    /// The lines of entries with a time that cannot be (negative, past 9999, not a time): it
    /// was dropped, as if the file had none.
    pub clamped_times: Vec<u64>,
    /// The lines of passkeys whose signature counter was above 0: credwell's passkeys sign with
    /// 0, which a site that checks counters may take for a cloned key.
    pub passkey_counters: Vec<u64>,
}

impl Parsed {
    fn skip(&mut self, line: u64, reason: SkipReason) {
        self.skipped.push(Skipped { line, reason });
    }

    /// Notes that an entry at `line` carries `kind`, when `has` (once per entry and kind).
    fn unstored(&mut self, line: u64, kind: Unstored, has: bool) {
        // An entry's marks are pushed together: only the last few need a look.
        let marked = self
            .unstored
            .iter()
            .rev()
            .take_while(|(_, l)| *l == line)
            .any(|(k, _)| *k == kind);
        if has && !marked {
            self.unstored.push((kind, line));
        }
    }

    /// Keeps a login read from a row of a table format, or records why it is skipped: the URL
    /// gives no web origin, or the password is empty; a malformed URL is an error.
    fn push_login(&mut self, row: LoginRow<'_>) -> Result<(), FormatError> {
        let Some(origin) = login_origin(row.url, row.line, row.url_field)? else {
            self.skip(row.line, SkipReason::NoWebOrigin(row.url.to_owned()));
            return Ok(());
        };
        if row.password.is_empty() {
            self.skip(row.line, SkipReason::NoPassword);
            return Ok(());
        }
        self.logins.push(ImportedLogin {
            origin,
            url: row.url.to_owned(),
            username: row.username.to_owned(),
            password: Password::new(row.password),
            name: row.name.to_owned(),
            notes: row.notes.to_owned(),
            created: row.created,
            updated: row.updated,
            last_used: None,
            history: Vec::new(),
            extras: LoginExtras::default(),
            line: row.line,
        });
        Ok(())
    }
}

/// The web origin of a URL of a file ([`urls`]: the same reading for every format), `None`
/// when it has none (the entry is skipped), or an error at `line` naming the `field` when it
/// is a malformed http or https URL. The field is put into words only for the error
/// (`format_args!`): a name built for each of a large file's URLs was a measurable part of
/// reading it.
fn login_origin(
    url: &str,
    line: u64,
    field: impl fmt::Display,
) -> Result<Option<Origin>, FormatError> {
    match urls::read(url) {
        urls::Reading::Web(origin) => Ok(Some(origin)),
        urls::Reading::NotWeb => Ok(None),
        urls::Reading::Malformed(why) => Err(FormatError::at(
            line,
            format!(
                "the {field} is not a usable URL: {why}; correct it in the file (credwell does \
                 not guess which site it means)"
            ),
        )),
    }
}

/// One login as a table format's row gives it, before the checks all formats share.
struct LoginRow<'a> {
    line: u64,
    /// The URL as the file wrote it (kept in the login).
    url: &'a str,
    /// The URL's field, for errors (`"url" column`).
    url_field: &'static str,
    username: &'a str,
    password: &'a str,
    name: &'a str,
    notes: &'a str,
    created: Option<Timestamp>,
    updated: Option<Timestamp>,
}

/// A malformed file: where and why. The caller adds the file name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatError {
    /// The 1-based line of the offending entry, when known.
    pub line: Option<u64>,
    /// What is wrong, in one sentence without secrets.
    pub reason: String,
}

impl FormatError {
    /// An error at 1-based `line` of the file.
    pub fn at(line: u64, reason: impl Into<String>) -> Self {
        Self {
            line: Some(line),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

impl std::error::Error for FormatError {}

/// The largest file credwell imports: 256 MiB. Every format is read whole into memory (CSV
/// rows and JSON documents are parsed from the complete text), and this is far above any real
/// export: about 400,000 CXF or Bitwarden items, 2 million CSV rows.
pub const MAX_INPUT_BYTES: u64 = 256 * 1024 * 1024;

/// Reads every login of a file in `format` ([`Format::Kdbx`], which needs a key, with
/// [`read_with_key`]).
pub fn read(format: Format, input: impl Read) -> Result<Parsed, FormatError> {
    read_with_key(format, input, &KdbxKey::default())
}

/// Reads every login of a file in `format`; `key` opens a KeePass database
/// ([`Format::Kdbx`]: a wrong one is an error saying so), the other formats have none.
pub fn read_with_key(
    format: Format,
    input: impl Read,
    key: &KdbxKey,
) -> Result<Parsed, FormatError> {
    let bytes = read_at_most(input, MAX_INPUT_BYTES)?;
    read_bytes(format, &bytes, key)
}

/// Reads every login of a file already read whole, as [`read_with_key`] does once it has read
/// `input`: a caller that holds the file's bytes (or knows its size, and reads it into a buffer
/// made that large at once) spares a copy of a large file.
pub fn read_bytes(format: Format, bytes: &[u8], key: &KdbxKey) -> Result<Parsed, FormatError> {
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_large(MAX_INPUT_BYTES));
    }
    check_kind(format, bytes)?;
    match format {
        Format::ChromeCsv => chrome::read(bytes),
        Format::FirefoxCsv => firefox::read(bytes),
        Format::BitwardenJson => bitwarden::read(bytes),
        Format::KeepassxcCsv => keepassxc::read(bytes),
        Format::Cxf => cxf::read(bytes),
        Format::BitwardenCsv
        | Format::LastpassCsv
        | Format::AppleCsv
        | Format::OnepasswordCsv
        | Format::ProtonCsv => simple_csv::read(format, bytes),
        Format::Onepux => onepux::read(bytes),
        Format::ProtonJson => proton_json::read(bytes),
        Format::Kdbx => kdbx::read(bytes, key),
    }
}

/// Refuses `bytes` that say they are not a file in `format`, naming what they are (the check
/// [`read_with_key`] starts with): for a KeePass database, made before its password is asked.
pub fn check_kind(format: Format, bytes: &[u8]) -> Result<(), FormatError> {
    match sniff::sniff(bytes) {
        Some(sniff::Kind::Known(actual)) if actual != format => {
            let evidence = if archive::is_zip(bytes) {
                "entries"
            } else if actual == Format::Kdbx {
                "first bytes"
            } else if actual.is_csv() {
                "column names"
            } else {
                "top-level keys"
            };
            return Err(FormatError::at(
                1,
                format!(
                    "this is not a {format} file: its {evidence} say it is {actual}; import it \
                     with `credwell import {actual} FILE`"
                ),
            ));
        }
        // A zip format's reader says best what is wrong with an archive.
        Some(sniff::Kind::Unsupported(what)) if !(format.is_zip() && archive::is_zip(bytes)) => {
            return Err(FormatError::at(1, format!("this is {what}")));
        }
        _ => {}
    }
    if format == Format::Kdbx {
        kdbx::check_signature(bytes)?;
        kdbx::check_cost(bytes)?;
    }
    Ok(())
}

/// All of `input`, in a buffer wiped when dropped, or an error if it holds more than `limit`
/// bytes.
fn read_at_most(input: impl Read, limit: u64) -> Result<Zeroizing<Vec<u8>>, FormatError> {
    let mut bytes = Zeroizing::new(Vec::new());
    input
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| FormatError {
            line: None,
            reason: format!("cannot read the file: {e}"),
        })?;
    if bytes.len() as u64 > limit {
        return Err(too_large(limit));
    }
    Ok(bytes)
}

/// The error for a file larger than `limit` bytes.
fn too_large(limit: u64) -> FormatError {
    FormatError {
        line: None,
        reason: format!(
            "the file is larger than {} MiB, the most credwell imports",
            limit / (1024 * 1024)
        ),
    }
}

/// A JSON format's bytes as text, or where they stop being UTF-8.
fn utf8_text(bytes: &[u8]) -> Result<&str, FormatError> {
    json_text::utf8(bytes).map_err(|line| FormatError::at(line, "the file is not UTF-8 text"))
}

/// Writes `logins` (and `passkeys`, when the format carries them) as a file in `format`. The
/// output holds every password and private key in clear. A format credwell only reads
/// ([`Format::can_write`]) is an [`std::io::ErrorKind::Unsupported`] error.
pub fn write(
    format: Format,
    logins: &[ImportedLogin],
    passkeys: &[PasskeyRecord],
    output: impl Write,
) -> std::io::Result<()> {
    match format {
        Format::Cxf => cxf::write(logins, passkeys, SystemClock.now(), output),
        Format::ChromeCsv => chrome::write(logins, output),
        Format::FirefoxCsv => firefox::write(logins, output),
        Format::BitwardenJson => bitwarden::write(logins, passkeys, output),
        Format::KeepassxcCsv => keepassxc::write(logins, output),
        Format::BitwardenCsv
        | Format::LastpassCsv
        | Format::AppleCsv
        | Format::OnepasswordCsv
        | Format::ProtonCsv => simple_csv::write(format, logins, output),
        Format::Onepux | Format::ProtonJson | Format::Kdbx => Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            format!("credwell reads {format} files but does not write them"),
        )),
    }
}

/// How many of `logins` an export in `format` writes with a username or password altered for
/// spreadsheets: behind a `'` that credwell's import removes, but another password manager's
/// keeps.
pub fn altered_sign_ins(format: Format, logins: &[ImportedLogin]) -> usize {
    if !format.is_csv() {
        return 0;
    }
    logins
        .iter()
        .filter(|l| {
            csv_table::needs_guard(&l.username) || csv_table::needs_guard(l.password.expose())
        })
        .count()
}

/// The web origin of a URL as a password manager wrote it: a tuple origin with an `http` or
/// `https` scheme, or `None` (`android://`, `chrome://`, empty, not a URL...).
pub fn web_origin(url: &str) -> Option<Origin> {
    let url = url.trim();
    if url.is_empty() {
        return None;
    }
    let origin = Origin::parse(url).ok()?;
    matches!(origin.scheme(), Some("http" | "https")).then_some(origin)
}

/// `origin` as people read it and other tools write it: an internationalised host in Unicode
/// (`https://bücher.example`, stored as `https://xn--bcher-kva.example`), unless a label could
/// pass for a Latin one (a homograph: mixed scripts, or Cyrillic letters drawn as Latin), which
/// stays in ASCII.
pub fn display_origin(origin: &Origin) -> String {
    urls::unicode_origin(origin)
}

/// The title a writer gives a login that has none: its host, as password managers do (in
/// Unicode, as [`display_origin`]).
fn title_or_host(login: &ImportedLogin) -> String {
    if login.name.is_empty() {
        urls::unicode_host(&login.origin).unwrap_or_default()
    } else {
        login.name.clone()
    }
}

#[cfg(test)]
mod tests;
