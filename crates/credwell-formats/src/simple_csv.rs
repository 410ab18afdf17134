//! The CSV exports that are one login a row with a fixed header, read and written from a table
//! of their columns: Bitwarden's CSV, LastPass's, Apple Passwords' (and Safari's), 1Password's
//! and Proton Pass's. Each header is the one the product itself writes:
//!
//! - [`Format::BitwardenCsv`], header `folder,favorite,type,name,notes,fields,reprompt,`
//!   `login_uri,login_username,login_password,login_totp`;
//! - [`Format::LastpassCsv`], header `url,username,password,totp,extra,name,grouping,fav`;
//! - [`Format::AppleCsv`], header `Title,URL,Username,Password,Notes,OTPAuth`;
//! - [`Format::OnepasswordCsv`], header `Title,Url,Username,Password,OTPAuth,Favorite,`
//!   `Archived,Tags,Notes`;
//! - [`Format::ProtonCsv`], header `type,name,url,email,username,password,note,totp,`
//!   `createTime,modifyTime,vault`.
//!
//! Their quirks: Bitwarden's `type` column names the item's kind (only `login` rows are logins)
//! and `login_uri` lists an item's URIs separated by commas (one login per distinct origin, as
//! in its JSON); an organisation's export has `collections` where a person's has `folder`.
//! LastPass writes a secure note as a row whose `url` is `http://sn`. Proton Pass's `type` is
//! Bitwarden's, its `url` lists URLs separated by commas too, an older item has an `email`
//! where a newer one has a `username`, and its times are seconds since the Unix epoch; the
//! others have no times.
//!
//! What each keeps beside the credential, read and written back: the TOTP secret (as the file
//! has it, an `otpauth://` URI or a bare secret), the folder (Bitwarden's `folder`, or the first
//! of an organisation's `collections`; LastPass's `grouping`, whose `\` between nested groups
//! is credwell's `/`; Proton Pass's `vault`), the favourite mark (in each product's own
//! spelling), 1Password's `Tags` (as the custom field `Tags`, like its 1PUX export) and
//! Bitwarden's custom fields, one `name: value` line each as Bitwarden writes them.

use std::io::Write;

use super::tags::{TAGS_FIELD, tags_field};
use super::{Format, FormatError, ImportedLogin, LoginRow, Parsed, SkipReason, Unstored};
use super::{csv_table, title_or_host};
use credwell_core::{CustomField, SecretText, Timestamp};
use zeroize::Zeroizing;

/// What a column holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Url,
    Username,
    Password,
    Name,
    Notes,
    Totp,
    /// A folder or group path, its names separated by [`Spec::folder_separator`].
    Folder,
    /// An organisation's collections, separated by commas: the first is read as the folder.
    Collections,
    /// Tags, kept as the custom field [`TAGS_FIELD`].
    Tags,
    /// A favourite mark: set when the value is `1` or `true`, written as
    /// [`Spec::favourite`] says.
    Favourite,
    /// Custom fields, one `name: value` line each.
    CustomFields,
    /// The item's kind (Bitwarden's `type`): a login when empty or `login`.
    Kind,
    /// An e-mail address, the username when the username column is empty.
    Email,
    /// When the item was created, in seconds since the Unix epoch.
    Created,
    /// When the item was last changed, in seconds since the Unix epoch.
    Modified,
    /// Written with this value, read for nothing.
    Fixed(&'static str),
}

struct Spec {
    /// The header as written, with each column's role.
    columns: &'static [(&'static str, Role)],
    /// Columns read beside the header's (an organisation's Bitwarden export).
    extra: &'static [(&'static str, Role)],
    /// The URL column lists several URLs separated by commas.
    split_urls: bool,
    /// The URL that marks a row as a note, not a login.
    note_url: Option<&'static str>,
    /// The URL column, for errors.
    url_field: &'static str,
    /// What goes between the names of a folder path in the file (credwell's is `/`).
    folder_separator: char,
    /// The favourite column's values for a favourite and for not one, as the product writes
    /// them.
    favourite: [&'static str; 2],
}

const BITWARDEN: Spec = Spec {
    columns: &[
        ("folder", Role::Folder),
        ("favorite", Role::Favourite),
        ("type", Role::Kind),
        ("name", Role::Name),
        ("notes", Role::Notes),
        ("fields", Role::CustomFields),
        ("reprompt", Role::Fixed("0")),
        ("login_uri", Role::Url),
        ("login_username", Role::Username),
        ("login_password", Role::Password),
        ("login_totp", Role::Totp),
    ],
    extra: &[("collections", Role::Collections)],
    split_urls: true,
    note_url: None,
    url_field: "\"login_uri\" column",
    folder_separator: '/',
    // Bitwarden's export writes `1` for a favourite and leaves the others empty.
    favourite: ["1", ""],
};

const LASTPASS: Spec = Spec {
    columns: &[
        ("url", Role::Url),
        ("username", Role::Username),
        ("password", Role::Password),
        ("totp", Role::Totp),
        ("extra", Role::Notes),
        ("name", Role::Name),
        ("grouping", Role::Folder),
        ("fav", Role::Favourite),
    ],
    extra: &[],
    split_urls: false,
    note_url: Some("http://sn"),
    url_field: "\"url\" column",
    // LastPass nests groups with `\` (`Work\Mail`).
    folder_separator: '\\',
    favourite: ["1", "0"],
};

const APPLE: Spec = Spec {
    columns: &[
        ("Title", Role::Name),
        ("URL", Role::Url),
        ("Username", Role::Username),
        ("Password", Role::Password),
        ("Notes", Role::Notes),
        ("OTPAuth", Role::Totp),
    ],
    extra: &[],
    split_urls: false,
    note_url: None,
    url_field: "\"URL\" column",
    folder_separator: '/',
    favourite: ["", ""],
};

const ONEPASSWORD: Spec = Spec {
    columns: &[
        ("Title", Role::Name),
        ("Url", Role::Url),
        ("Username", Role::Username),
        ("Password", Role::Password),
        ("OTPAuth", Role::Totp),
        ("Favorite", Role::Favourite),
        ("Archived", Role::Fixed("false")),
        ("Tags", Role::Tags),
        ("Notes", Role::Notes),
    ],
    extra: &[],
    split_urls: false,
    note_url: None,
    url_field: "\"Url\" column",
    folder_separator: '/',
    favourite: ["true", "false"],
};

const PROTON: Spec = Spec {
    columns: &[
        ("type", Role::Kind),
        ("name", Role::Name),
        ("url", Role::Url),
        ("email", Role::Email),
        ("username", Role::Username),
        ("password", Role::Password),
        ("note", Role::Notes),
        ("totp", Role::Totp),
        ("createTime", Role::Created),
        ("modifyTime", Role::Modified),
        ("vault", Role::Folder),
    ],
    extra: &[],
    split_urls: true,
    note_url: None,
    url_field: "\"url\" column",
    folder_separator: '/',
    favourite: ["", ""],
};

fn spec(format: Format) -> &'static Spec {
    match format {
        Format::BitwardenCsv => &BITWARDEN,
        Format::LastpassCsv => &LASTPASS,
        Format::AppleCsv => &APPLE,
        Format::ProtonCsv => &PROTON,
        _ => &ONEPASSWORD,
    }
}

/// The roles read, in the order [`csv_table::read`] is given their columns: the URL, username
/// and password first (the columns a file must have).
const READ: [Role; 3] = [Role::Url, Role::Username, Role::Password];

/// Reads a file of one of the formats of this module.
pub(super) fn read(format: Format, bytes: &[u8]) -> Result<Parsed, FormatError> {
    let spec = spec(format);
    let columns: Vec<(&str, Role)> = spec.columns.iter().chain(spec.extra).copied().collect();
    let mut wanted: Vec<(&str, Role)> = READ
        .iter()
        .filter_map(|r| columns.iter().find(|(_, role)| role == r).copied())
        .collect();
    wanted.extend(columns.iter().filter(|(_, r)| !READ.contains(r)));
    let names: Vec<&str> = wanted.iter().map(|(n, _)| *n).collect();
    let mut parsed = Parsed::default();
    parsed.formula_guards = csv_table::read(bytes, &names, READ.len(), |row| {
        // The first non-empty value of the columns with `role`.
        let get = |role: Role| {
            (0..wanted.len())
                .filter(|&i| wanted[i].1 == role)
                .map(|i| row.get(i))
                .find(|v| !v.is_empty())
                .unwrap_or("")
        };
        let kind = get(Role::Kind).trim();
        let url = get(Role::Url);
        if !(kind.is_empty() || kind.eq_ignore_ascii_case("login"))
            || spec.note_url.is_some_and(|n| url.trim() == n)
        {
            parsed.skip(row.line, SkipReason::NotALogin);
            return Ok(());
        }
        let mut clamped = false;
        let mut time = |role: Role| -> Result<Option<Timestamp>, FormatError> {
            let text = get(role).trim();
            if text.is_empty() {
                return Ok(None);
            }
            let seconds: i64 = text.parse().map_err(|_| {
                let column = columns
                    .iter()
                    .find(|(_, r)| *r == role)
                    .map_or("", |(n, _)| n);
                FormatError::at(
                    row.line,
                    format!("the {column:?} column is not a time in seconds"),
                )
            })?;
            // A time before 1970 cannot be an item's: dropped, with a warning.
            clamped |= seconds < 0;
            Ok(u64::try_from(seconds)
                .ok()
                .map(|s| Timestamp(s.saturating_mul(1000))))
        };
        let created = time(Role::Created)?;
        let updated = time(Role::Modified)?;
        if clamped {
            parsed.clamped_times.push(row.line);
        }
        let username = match get(Role::Username) {
            "" => get(Role::Email),
            username => username,
        };
        let values = Values {
            line: row.line,
            url_field: spec.url_field,
            created,
            updated,
            username,
            password: get(Role::Password),
            name: get(Role::Name),
            notes: get(Role::Notes),
        };
        let urls: Vec<&str> = if spec.split_urls {
            url.split(',')
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .collect()
        } else {
            vec![url]
        };
        if values.password.is_empty() || urls.is_empty() {
            // One skip for the row, not one per URL.
            return parsed.push_login(values.row(url));
        }
        // One login per distinct web origin of the row's URLs; a row whose URLs have none is
        // skipped for its first.
        let before = parsed.logins.len();
        let mut origins = Vec::new();
        for url in &urls {
            if let Some(origin) = super::login_origin(url, row.line, spec.url_field)?
                && !origins.contains(&origin)
            {
                origins.push(origin);
                parsed.push_login(values.row(url))?;
            }
        }
        if origins.is_empty() {
            return parsed.push_login(values.row(urls[0]));
        }
        let favourite = (0..wanted.len())
            .filter(|&i| wanted[i].1 == Role::Favourite)
            .any(|i| {
                matches!(
                    row.get(i).trim().to_ascii_lowercase().as_str(),
                    "1" | "true"
                )
            });
        let (mut fields, unread) = read_fields(get(Role::CustomFields));
        parsed.unstored(row.line, Unstored::CustomFields, unread);
        if !get(Role::Tags).trim().is_empty() {
            fields.push(tags_field(get(Role::Tags)));
        }
        let folder = match get(Role::Folder) {
            "" => {
                // One folder per login: the other collections are left, with a warning.
                let mut collections = get(Role::Collections).split(',').map(str::trim);
                let first = collections.next().unwrap_or_default();
                parsed.unstored(row.line, Unstored::Folders, collections.next().is_some());
                first.to_owned()
            }
            folder => folder.replace(spec.folder_separator, "/"),
        };
        // What the row keeps beside the credential goes with each of its logins.
        for login in &mut parsed.logins[before..] {
            login.extras.totp = SecretText::new(get(Role::Totp).trim());
            login.extras.favorite = favourite;
            login.extras.folder.clone_from(&folder);
            login.extras.fields.clone_from(&fields);
        }
        Ok(())
    })?;
    Ok(parsed)
}

/// What a row gives every login it makes.
struct Values<'a> {
    line: u64,
    url_field: &'static str,
    created: Option<Timestamp>,
    updated: Option<Timestamp>,
    username: &'a str,
    password: &'a str,
    name: &'a str,
    notes: &'a str,
}

impl<'a> Values<'a> {
    fn row(&self, url: &'a str) -> LoginRow<'a> {
        LoginRow {
            line: self.line,
            url,
            url_field: self.url_field,
            username: self.username,
            password: self.password,
            name: self.name,
            notes: self.notes,
            created: self.created,
            updated: self.updated,
        }
    }
}

/// Bitwarden's CSV custom fields: a `name: value` line each (what Bitwarden's export writes).
/// A line without `": "` continues the value before it (a value of several lines); one before
/// any field cannot be placed, and is reported (`true`) rather than kept.
///
/// The name ends at the first `": "` (Bitwarden's own import takes the last): a value, free
/// text, holds one far more often than a name.
fn read_fields(text: &str) -> (Vec<CustomField>, bool) {
    let mut fields: Vec<(&str, Zeroizing<String>)> = Vec::new();
    let mut unread = false;
    if !text.is_empty() {
        for line in text.split('\n') {
            match (line.split_once(": "), fields.last_mut()) {
                (Some((name, value)), _) => fields.push((name, Zeroizing::new(value.to_owned()))),
                (None, Some((_, value))) => {
                    value.push('\n');
                    value.push_str(line);
                }
                (None, None) => unread |= !line.trim().is_empty(),
            }
        }
    }
    let fields = fields
        .into_iter()
        .map(|(name, value)| CustomField {
            name: name.to_owned(),
            value: SecretText::new(value.as_str()),
            hidden: false,
        })
        .collect();
    (fields, unread)
}

/// The text [`read_fields`] reads back as `fields` (their hidden mark aside, which the form has
/// no place for); a name with a line break or a `": "`, or a value with `": "` after a line
/// break, reads back otherwise.
fn write_fields(fields: &[CustomField]) -> Zeroizing<String> {
    let mut text = Zeroizing::new(String::new());
    for (n, field) in fields.iter().enumerate() {
        if n > 0 {
            text.push('\n');
        }
        text.push_str(&field.name);
        text.push_str(": ");
        text.push_str(field.value.expose());
    }
    text
}

/// What a login's row holds that is not one of its own values as it is.
struct Derived {
    title: String,
    url: String,
    created: String,
    modified: String,
    folder: String,
    /// Custom fields hold secrets (a PIN): wiped when dropped.
    fields: Zeroizing<String>,
}

/// Writes `logins` in one of the formats of this module.
pub(super) fn write(
    format: Format,
    logins: &[ImportedLogin],
    output: impl Write,
) -> std::io::Result<()> {
    let spec = spec(format);
    let titles: Vec<String> = logins.iter().map(title_or_host).collect();
    // A URL with a comma would read back as several where they are separated by commas: its
    // origin is written instead.
    let urls: Vec<String> = logins
        .iter()
        .map(|l| {
            if spec.split_urls && l.url.contains(',') {
                super::urls::unicode_origin(&l.origin)
            } else {
                l.url.clone()
            }
        })
        .collect();
    let header: Vec<&str> = spec.columns.iter().map(|(n, _)| *n).collect();
    let seconds = |t: Option<Timestamp>| t.map(|t| (t.0 / 1000).to_string()).unwrap_or_default();
    let has = |role: Role| spec.columns.iter().any(|(_, r)| *r == role);
    let separator = spec.folder_separator.to_string();
    let derived: Vec<Derived> = logins
        .iter()
        .zip(titles.into_iter().zip(urls))
        .map(|(l, (title, url))| Derived {
            title,
            url,
            created: seconds(l.created),
            modified: seconds(l.updated.or(l.created)),
            folder: l.extras.folder.replace('/', &separator),
            fields: if has(Role::CustomFields) {
                write_fields(&l.extras.fields)
            } else {
                Zeroizing::default()
            },
        })
        .collect();
    let rows = logins.iter().zip(&derived).map(|(l, d)| {
        spec.columns
            .iter()
            .map(|(_, role)| match role {
                Role::Url => d.url.as_str(),
                Role::Username => l.username.as_str(),
                Role::Password => l.password.expose(),
                Role::Name => d.title.as_str(),
                Role::Notes => l.notes.as_str(),
                Role::Totp => l.extras.totp.expose(),
                Role::Folder => d.folder.as_str(),
                Role::Favourite => spec.favourite[usize::from(!l.extras.favorite)],
                Role::CustomFields => d.fields.as_str(),
                Role::Tags => (l.extras.fields.iter())
                    .find(|f| f.name == TAGS_FIELD)
                    .map_or("", |f| f.value.expose()),
                Role::Kind => "login",
                Role::Created => d.created.as_str(),
                Role::Modified => d.modified.as_str(),
                Role::Fixed(value) => value,
                // Read only: the writer puts the folder in `folder`, and the username where
                // the reader looks first.
                Role::Collections | Role::Email => "",
            })
            .collect::<Vec<&str>>()
    });
    csv_table::write(output, &header, rows)
}
