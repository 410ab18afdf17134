//! KeePassXC's CSV export (Database → Export → CSV File): a header line
//! `"Group","Title","Username","Password","URL","Notes","TOTP","Icon","Last Modified","Created"`,
//! then one entry per row, every field quoted, times in ISO 8601 UTC.
//!
//! KeePass URLs are often written without a scheme (`example.com`); like KeePassXC-Browser, a
//! URL with no scheme is read as `https://`. Entries in the recycle bin are skipped.

use std::io::Write;

use credwell_core::Timestamp;

use super::{
    FormatError, ImportedLogin, LoginRow, Parsed, SkipReason, Unstored, csv_table, title_or_host,
};

const COLUMNS: [&str; 10] = [
    "Group",
    "Title",
    "Username",
    "Password",
    "URL",
    "Notes",
    "TOTP",
    "Icon",
    "Last Modified",
    "Created",
];
const GROUP: usize = 0;
const TITLE: usize = 1;
const USERNAME: usize = 2;
const PASSWORD: usize = 3;
const URL: usize = 4;
const NOTES: usize = 5;
const TOTP: usize = 6;
const MODIFIED: usize = 8;
const CREATED: usize = 9;

/// Reads a KeePassXC CSV export.
pub(super) fn read(bytes: &[u8]) -> Result<Parsed, FormatError> {
    let mut parsed = Parsed::default();
    parsed.formula_guards = csv_table::read(bytes, &COLUMNS, 5, |row| {
        if row
            .get(GROUP)
            .split('/')
            .any(|g| g.eq_ignore_ascii_case("Recycle Bin"))
        {
            parsed.skip(row.line, SkipReason::InRecycleBin);
            return Ok(());
        }
        let url = row.get(URL);
        let with_scheme;
        let parse_url = if !url.contains("://") && !url.trim().is_empty() {
            with_scheme = format!("https://{}", url.trim());
            with_scheme.as_str()
        } else {
            url
        };
        let before = parsed.logins.len();
        parsed.push_login(LoginRow {
            line: row.line,
            url,
            origin_url: parse_url,
            username: row.get(USERNAME),
            password: row.get(PASSWORD),
            name: row.get(TITLE),
            notes: row.get(NOTES),
            created: Timestamp::parse_iso8601(row.get(CREATED)),
            updated: Timestamp::parse_iso8601(row.get(MODIFIED)),
        });
        if parsed.logins.len() > before {
            parsed.unstored(row.line, Unstored::Totp, !row.get(TOTP).trim().is_empty());
            // The group path starts with the root group: below it, a folder.
            parsed.unstored(row.line, Unstored::Folders, row.get(GROUP).contains('/'));
        }
        Ok(())
    })?;
    Ok(parsed)
}

/// Writes a KeePassXC CSV export, every entry in the group `Root`.
pub(super) fn write(logins: &[ImportedLogin], output: impl Write) -> std::io::Result<()> {
    let extra: Vec<[String; 3]> = logins
        .iter()
        .map(|l| {
            let created = l.created.map(Timestamp::to_iso8601_seconds);
            let modified = l.updated.or(l.created).map(Timestamp::to_iso8601_seconds);
            [
                title_or_host(l),
                modified.unwrap_or_default(),
                created.unwrap_or_default(),
            ]
        })
        .collect();
    csv_table::write(
        output,
        &COLUMNS,
        logins
            .iter()
            .zip(&extra)
            .map(|(l, [title, modified, created])| {
                vec![
                    "Root",
                    title.as_str(),
                    l.username.as_str(),
                    l.password.expose(),
                    l.url.as_str(),
                    l.notes.as_str(),
                    "",
                    "0",
                    modified.as_str(),
                    created.as_str(),
                ]
            }),
    )
}
