//! Chrome's password CSV (Settings → Passwords → Export passwords; also Chromium, Edge, Brave):
//! a header line `name,url,username,password,note` (older versions have no `note` column), then
//! one login per row, RFC 4180 quoting.

use std::io::Write;

use super::{FormatError, ImportedLogin, LoginRow, Parsed, csv_table, title_or_host};

const COLUMNS: [&str; 5] = ["url", "username", "password", "name", "note"];
const URL: usize = 0;
const USERNAME: usize = 1;
const PASSWORD: usize = 2;
const NAME: usize = 3;
const NOTE: usize = 4;

/// Reads a Chrome password CSV.
pub(super) fn read(bytes: &[u8]) -> Result<Parsed, FormatError> {
    let mut parsed = Parsed::default();
    parsed.formula_guards = csv_table::read(bytes, &COLUMNS, 3, |row| {
        parsed.push_login(LoginRow {
            line: row.line,
            url: row.get(URL),
            url_field: "\"url\" column",
            username: row.get(USERNAME),
            password: row.get(PASSWORD),
            name: row.get(NAME),
            notes: row.get(NOTE),
            created: None,
            updated: None,
        })
    })?;
    Ok(parsed)
}

/// Writes a Chrome password CSV.
pub(super) fn write(logins: &[ImportedLogin], output: impl Write) -> std::io::Result<()> {
    let titles: Vec<String> = logins.iter().map(title_or_host).collect();
    csv_table::write(
        output,
        &["name", "url", "username", "password", "note"],
        logins.iter().zip(&titles).map(|(l, title)| {
            vec![
                title.as_str(),
                l.url.as_str(),
                l.username.as_str(),
                l.password.expose(),
                l.notes.as_str(),
            ]
        }),
    )
}
