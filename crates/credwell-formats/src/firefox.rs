//! Firefox's logins CSV (about:logins → ⋯ → Export Logins): a header line
//! `"url","username","password","httpRealm","formActionOrigin","guid",`
//! `"timeCreated","timeLastUsed","timePasswordChanged"`,
//! then one login per row, every field quoted; times are milliseconds since the Unix epoch. A
//! row with an `httpRealm` is an HTTP authentication login (the browser's own dialog, not a
//! form): it is skipped with a warning.

use std::io::Write;

use credwell_core::Timestamp;

use super::{FormatError, ImportedLogin, LoginRow, Parsed, SkipReason, csv_table};

const COLUMNS: [&str; 9] = [
    "url",
    "username",
    "password",
    "httpRealm",
    "formActionOrigin",
    "guid",
    "timeCreated",
    "timeLastUsed",
    "timePasswordChanged",
];
const URL: usize = 0;
const USERNAME: usize = 1;
const PASSWORD: usize = 2;
const HTTP_REALM: usize = 3;
const CREATED: usize = 6;
const LAST_USED: usize = 7;
const CHANGED: usize = 8;

/// Reads a Firefox logins CSV.
pub(super) fn read(bytes: &[u8]) -> Result<Parsed, FormatError> {
    let mut parsed = Parsed::default();
    parsed.formula_guards = csv_table::read(bytes, &COLUMNS, 3, |row| {
        // A login for the browser's own HTTP authentication dialog, not for a form: credwell
        // fills forms only, and would offer this password to the site's sign-in form.
        // (A realm on a URL with no web origin, as Firefox's own `chrome://` accounts have, is
        // skipped for that.)
        let web = matches!(
            super::urls::read(row.get(URL)),
            super::urls::Reading::Web(_)
        );
        if web && !row.get(HTTP_REALM).trim().is_empty() {
            parsed.skip(row.line, SkipReason::HttpAuth);
            return Ok(());
        }
        let mut clamped = false;
        let mut time = |column: usize| -> Result<Option<Timestamp>, FormatError> {
            let text = row.get(column).trim();
            if text.is_empty() {
                return Ok(None);
            }
            // The value is not quoted: in a misaligned row it could be anything.
            let ms: i64 = text.parse().map_err(|_| {
                FormatError::at(
                    row.line,
                    format!("{} is not a time in milliseconds", COLUMNS[column]),
                )
            })?;
            // A time before 1970 cannot be a login's: dropped, with a warning.
            clamped |= ms < 0;
            Ok(u64::try_from(ms).ok().map(Timestamp))
        };
        let created = time(CREATED)?;
        let last_used = time(LAST_USED)?;
        let updated = time(CHANGED)?;
        if clamped {
            parsed.clamped_times.push(row.line);
        }
        let before = parsed.logins.len();
        parsed.push_login(LoginRow {
            line: row.line,
            url: row.get(URL),
            url_field: "\"url\" column",
            username: row.get(USERNAME),
            password: row.get(PASSWORD),
            name: "",
            notes: "",
            created,
            updated,
        })?;
        if let Some(login) = parsed.logins.get_mut(before) {
            login.last_used = last_used;
        }
        Ok(())
    })?;
    Ok(parsed)
}

/// Writes a Firefox logins CSV. `formActionOrigin` is the login's origin (Firefox wants either it
/// or `httpRealm`); `guid` is left empty for Firefox to assign. `timeLastUsed` is when the login
/// was last used, or else last changed (Firefox sets both when it saves a changed password); a
/// login with neither has it empty, as every time the login has not: Firefox's storage gives a
/// login that comes without a time the time it is added. It is never made up from the creation
/// time, which says nothing of use.
pub(super) fn write(logins: &[ImportedLogin], output: impl Write) -> std::io::Result<()> {
    let rows: Vec<[String; 4]> = logins
        .iter()
        .map(|l| {
            let ms = |t: Option<Timestamp>| t.map(|t| t.0.to_string()).unwrap_or_default();
            [
                super::urls::unicode_origin(&l.origin),
                ms(l.created),
                ms(l.last_used.or(l.updated)),
                ms(l.updated.or(l.created)),
            ]
        })
        .collect();
    csv_table::write(
        output,
        &COLUMNS,
        logins
            .iter()
            .zip(&rows)
            .map(|(l, [origin, created, used, changed])| {
                vec![
                    l.url.as_str(),
                    l.username.as_str(),
                    l.password.expose(),
                    "",
                    origin.as_str(),
                    "",
                    created.as_str(),
                    used.as_str(),
                    changed.as_str(),
                ]
            }),
    )
}
