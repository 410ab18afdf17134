//! KeePassXC's CSV export (Database → Export → CSV File): a header line
//! `"Group","Title","Username","Password","URL","Notes","TOTP","Icon","Last Modified","Created"`,
//! then one entry per row, every field quoted, times in ISO 8601 UTC (one with an offset is
//! read too).
//!
//! KeePass URLs are often written without a scheme (`example.com`): read as `https://`, like
//! every format's. Entries in the recycle bin are skipped.

use std::io::Write;

use credwell_core::{SecretText, Timestamp};

use super::{FormatError, ImportedLogin, LoginRow, Parsed, SkipReason, csv_table, title_or_host};

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
        match recycle_bin(row.get(GROUP)) {
            Bin::Yes => {
                parsed.skip(row.line, SkipReason::InRecycleBin);
                return Ok(());
            }
            Bin::Maybe => parsed.maybe_recycle_bin.push(row.line),
            Bin::No => {}
        }
        // A time that cannot be used is dropped with the import's warning, as in every
        // format.
        let created = parsed.iso8601_time(row.line, Some(row.get(CREATED)));
        let updated = parsed.iso8601_time(row.line, Some(row.get(MODIFIED)));
        let before = parsed.logins.len();
        parsed.push_login(LoginRow {
            line: row.line,
            url: row.get(URL),
            url_field: "\"URL\" column",
            username: row.get(USERNAME),
            password: row.get(PASSWORD),
            name: row.get(TITLE),
            notes: row.get(NOTES),
            created,
            updated,
        })?;
        if let Some(login) = parsed.logins.get_mut(before) {
            login.extras.totp = SecretText::new(row.get(TOTP).trim());
            // The group path starts with the root group: below it, a folder.
            let folder = row.get(GROUP).split_once('/').map(|(_, below)| below);
            login.extras.folder = folder.unwrap_or_default().to_owned();
        }
        Ok(())
    })?;
    Ok(parsed)
}

/// The name KeePassXC gives the recycle bin it creates, in each of its translations
/// (`share/translations/keepassxc_*.ts` and the older `keepassx_*.ts`, the source text
/// "Recycle Bin"); a database keeps the name of the language it was created in.
const RECYCLE_BIN_NAMES: [&str; 47] = [
    "Recycle Bin",
    "Papierkorb",
    "Corbeille",
    "Bac de Recyclage",
    "Papelera",
    "Papelera de reciclaje",
    "Paperera",
    "Cestino",
    "Prullenbak",
    "Kosz",
    "Koš",
    "Kôš",
    "Koš za smeće",
    "Kuka",
    "Papirkurv",
    "Skraldespand",
    "Papperskorg",
    "Roskakori",
    "Prügikast",
    "Šiukšlinė",
    "Lixeira",
    "Reciclagem",
    "Coș de gunoi",
    "Çöp kutusu",
    "Geri Dönüşüm Kutusu",
    "Keranjang Sampah",
    "Tong Sampah",
    "Kosh Hedhurinash",
    "Zakarrontzia",
    "Κάδος Ανακύκλωσης",
    "Καλάθι ανακύκλωσης",
    "Корзина",
    "Кошче",
    "Смітник",
    "Корпа за отпатке",
    "Қоқыс шелегі",
    "סל־מחזור",
    "סל המחזור",
    "سلة المهملات",
    "রিসাইকেল বিন",
    "ถังขยะ",
    "အမှိုက်ပုံး",
    "ធុងសំរាម",
    "ゴミ箱",
    "回收站",
    "回收桶",
    "휴지통",
];

/// Whether an entry's group is the recycle bin.
#[derive(Debug, PartialEq, Eq)]
enum Bin {
    /// The group right below the root has KeePassXC's recycle bin name (where KeePassXC puts
    /// it): skipped.
    Yes,
    /// A group that looks like one but is not where KeePassXC puts it, or a name it does not
    /// use (`Trash`, `Deleted`): imported, with a warning.
    Maybe,
    No,
}

/// Where a group path (`Root/Papierkorb/Old`) stands. The CSV export carries only the path; the
/// database's own mark of its recycle bin (`RecycleBinUUID`) is not in it.
fn recycle_bin(group: &str) -> Bin {
    let known = |g: &str| {
        let g = g.trim();
        RECYCLE_BIN_NAMES
            .iter()
            .any(|name| name.to_lowercase() == g.to_lowercase())
    };
    let mut path = group.split('/');
    let _root = path.next();
    if path.next().is_some_and(known) {
        return Bin::Yes;
    }
    let looks_like = |g: &str| {
        let g = g.to_lowercase();
        known(&g)
            || ["trash", "recycle", "deleted"]
                .iter()
                .any(|w| g.contains(w))
    };
    if group.split('/').skip(1).any(looks_like) {
        Bin::Maybe
    } else {
        Bin::No
    }
}

/// Writes a KeePassXC CSV export, every entry in the group `Root` or its folder below it.
pub(super) fn write(logins: &[ImportedLogin], output: impl Write) -> std::io::Result<()> {
    let extra: Vec<[String; 4]> = logins
        .iter()
        .map(|l| {
            let created = l.created.map(Timestamp::to_iso8601_seconds);
            let modified = l.updated.or(l.created).map(Timestamp::to_iso8601_seconds);
            let group = match l.extras.folder.as_str() {
                "" => "Root".to_owned(),
                folder => format!("Root/{folder}"),
            };
            [
                group,
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
            .map(|(l, [group, title, modified, created])| {
                vec![
                    group.as_str(),
                    title.as_str(),
                    l.username.as_str(),
                    l.password.expose(),
                    l.url.as_str(),
                    l.notes.as_str(),
                    l.extras.totp.expose(),
                    "0",
                    modified.as_str(),
                    created.as_str(),
                ]
            }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recycle_bin_is_recognised_in_every_language_and_lookalikes_are_flagged() {
        for group in [
            "Root/Recycle Bin",
            "Root/recycle bin/Old",
            "Datenbank/Papierkorb",
            "Racine/Corbeille",
            "Root/Papelera",
            "Root/Cestino",
            "Root/Prullenbak",
            "Root/Kosz",
            "Root/Корзина",
            "Root/ゴミ箱",
            "Root/ Papierkorb ",
        ] {
            assert_eq!(recycle_bin(group), Bin::Yes, "{group}");
        }
        for group in [
            "Root/Archive/Papierkorb",
            "Root/Trash",
            "Root/Deleted items",
        ] {
            assert_eq!(recycle_bin(group), Bin::Maybe, "{group}");
        }
        for group in ["Root", "", "Root/Banking", "Papierkorb", "Root/Email/Work"] {
            assert_eq!(recycle_bin(group), Bin::No, "{group}");
        }
    }
}
