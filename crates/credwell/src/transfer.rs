//! `credwell import` and `credwell export`: other password managers' files in and out.
//!
//! An import is all or nothing: the file is parsed completely first (a malformed entry aborts
//! with the file, line and reason before the vault is touched), then every change is applied in
//! one vault transaction. A login whose origin and username are already stored is merged: the
//! same password changes nothing, a different one updates the stored credential.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use credwell_admin::{Change, VaultAdmin};
use credwell_core::{Credential, PasswordCredential, StoredCredential};
use credwell_formats::{self as formats, Format, ImportedLogin, Skipped};
use credwell_passkey::PasskeyRecord;
use serde_json::json;

use crate::backend::{self, now};
use crate::global::Global;
use crate::output::{confirm, print_json, progress};

mod private_file;

/// Options of `credwell import`.
#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The file's format.
    pub(crate) format: Format,
    /// The exported file.
    pub(crate) file: PathBuf,
}

/// Options of `credwell export`.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// The format to write.
    pub(crate) format: Format,
    /// Where to write: a new owner-only file, renamed into place once complete (never written
    /// through a symbolic link); stdout when absent.
    pub(crate) file: Option<PathBuf>,
    /// Write the passwords in clear without asking.
    #[arg(long, short = 'y')]
    pub(crate) yes: bool,
    /// Replace FILE if it exists.
    #[arg(long)]
    pub(crate) force: bool,
    /// Export the records that open when some are damaged (they fail to decrypt or verify),
    /// naming the damaged ones on stderr; without it such an export is refused.
    #[arg(long)]
    pub(crate) skip_damaged: bool,
}

/// What an import did.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Summary {
    /// New credentials.
    pub(crate) added: usize,
    /// Stored credentials whose password changed.
    pub(crate) updated: usize,
    /// Logins already stored with the same password (merged, nothing written).
    pub(crate) unchanged: usize,
    /// Logins that repeat an earlier entry of the same file (the later one wins).
    pub(crate) repeated: usize,
    /// Entries that had notes, which credwell does not store.
    pub(crate) notes_dropped: usize,
}

/// The changes that bring `existing` up to date with `logins`, and what they amount to.
pub(crate) fn plan(
    existing: &[StoredCredential],
    logins: Vec<ImportedLogin>,
) -> (Vec<Change>, Summary) {
    let mut summary = Summary::default();
    // (origin, username) → the stored record (the first, if several).
    let mut stored: HashMap<(String, String), &StoredCredential> = HashMap::new();
    for record in existing {
        if let Credential::Password(p) = &record.credential {
            stored
                .entry((p.origin.to_string(), p.id.clone()))
                .or_insert(record);
        }
    }
    // Collapse repeats within the file first: the last entry for an (origin, username) wins,
    // keeping an earlier entry's title when the last has none.
    let mut order: Vec<(String, String)> = Vec::new();
    let mut latest: HashMap<(String, String), (ImportedLogin, String)> = HashMap::new();
    let mut lines_with_notes = std::collections::HashSet::new();
    for login in logins {
        if !login.notes.is_empty() && lines_with_notes.insert(login.line) {
            summary.notes_dropped += 1;
        }
        let key = (login.origin.to_string(), login.username.clone());
        let mut name = display_name(&login);
        if let Some((_, earlier_name)) = latest.get_mut(&key) {
            summary.repeated += 1;
            if name.is_empty() {
                name = std::mem::take(earlier_name);
            }
        } else {
            order.push(key.clone());
        }
        latest.insert(key, (login, name));
    }
    let mut changes: Vec<Change> = Vec::new();
    for key in order {
        let Some((login, name)) = latest.remove(&key) else {
            continue;
        };
        match stored.get(&key).map(|r| (r.record, &r.credential)) {
            Some((_, Credential::Password(p))) if p.password == login.password => {
                summary.unchanged += 1;
            }
            Some((record, Credential::Password(p))) => {
                summary.updated += 1;
                let mut updated = p.clone();
                updated.password = login.password;
                if updated.name.is_empty() {
                    updated.name = name;
                }
                changes.push(Change::Update(record, Credential::Password(updated)));
            }
            _ => {
                summary.added += 1;
                changes.push(Change::Add(Credential::Password(PasswordCredential {
                    id: login.username,
                    password: login.password,
                    name,
                    icon_url: String::new(),
                    origin: login.origin,
                })));
            }
        }
    }
    (changes, summary)
}

/// The display name an imported entry gives its credential: its title, unless the title is just
/// the site's host or URL (what browsers fill in by themselves).
fn display_name(login: &ImportedLogin) -> String {
    let title = login.name.trim();
    let host = login.origin.host().unwrap_or_default();
    // The title as a host, in its ASCII form (browsers title entries with the Unicode host).
    let as_host = |t: &str| {
        url::Url::parse(&format!("https://{t}/"))
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
    };
    let derived = title.is_empty()
        || title == login.url
        || title == login.origin.to_string()
        || as_host(title).is_some_and(|t| t == host || t.strip_prefix("www.") == Some(&host));
    if derived {
        String::new()
    } else {
        title.to_owned()
    }
}

/// Reads and parses a whole file, or says where and why it is malformed.
pub(crate) fn parse_file(format: Format, path: &Path) -> Result<formats::Parsed> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    formats::read(format, BufReader::new(file)).map_err(|e| match e.line {
        Some(line) => anyhow::anyhow!(
            "{}:{line}: {}; nothing was imported",
            path.display(),
            e.reason
        ),
        None => anyhow::anyhow!("{}: {}; nothing was imported", path.display(), e.reason),
    })
}

/// `credwell import`.
pub(crate) fn import(global: &Global, args: &ImportArgs, out: &mut impl Write) -> Result<()> {
    let parsed = parse_file(args.format, &args.file)?;
    let backend = backend::open(global)?;
    import_in(&backend, global.json, args, parsed, out)
}

/// Applies a parsed file to `backend` and reports.
pub(crate) fn import_in(
    backend: &impl VaultAdmin,
    json: bool,
    args: &ImportArgs,
    parsed: formats::Parsed,
    out: &mut impl Write,
) -> Result<()> {
    let read = parsed.logins.len();
    let (mut changes, summary) = plan(&backend.all_credentials()?, parsed.logins);
    let passkeys_read = parsed.passkeys.len();
    let passkey_summary = if passkeys_read > 0 {
        let (passkey_changes, passkey_summary) =
            plan_passkeys(&passkeys_of(backend)?, parsed.passkeys);
        changes.extend(passkey_changes);
        passkey_summary
    } else {
        PasskeySummary::default()
    };
    let bar = progress(changes.len() as u64, "Importing");
    backend
        .apply_changes(changes, now(), &mut || bar.inc(1))
        .with_context(|| {
            format!(
                "cannot import {}; nothing was imported",
                args.file.display()
            )
        })?;
    bar.finish_and_clear();
    report_skipped(&parsed.skipped);
    if !parsed.formula_guards.is_empty() {
        eprintln!(
            "warning: removed the ' before values that start with =, +, -, @, a tab or a carriage \
             return ({}): credwell's CSV exports put it there so that spreadsheets show them as \
             text; if this file is not from credwell, check those entries",
            some_lines(&parsed.formula_guards)
        );
    }
    if summary.notes_dropped > 0 {
        eprintln!(
            "warning: the notes of {} were not imported (credwell stores no notes)",
            plural(summary.notes_dropped, "entry")
        );
    }
    if json {
        let skipped: Vec<_> = parsed
            .skipped
            .iter()
            .map(|s| json!({"line": s.line, "reason": s.reason.to_string()}))
            .collect();
        return print_json(
            out,
            &json!({
                "file": args.file.display().to_string(),
                "format": args.format.as_str(),
                "read": read,
                "added": summary.added,
                "updated": summary.updated,
                "unchanged": summary.unchanged,
                "repeated": summary.repeated,
                "skipped": parsed.skipped.len(),
                "skippedEntries": skipped,
                "notesDropped": summary.notes_dropped,
                "passkeys": {
                    "read": passkeys_read,
                    "added": passkey_summary.added,
                    "updated": passkey_summary.updated,
                    "unchanged": passkey_summary.unchanged,
                },
            }),
        );
    }
    writeln!(
        out,
        "Imported {} from {}: {} added, {} updated, {} unchanged, {} skipped.",
        plural(read, "login"),
        args.file.display(),
        summary.added,
        summary.updated,
        summary.unchanged + summary.repeated,
        parsed.skipped.len()
    )?;
    if passkeys_read > 0 {
        writeln!(
            out,
            "Imported {}: {} added, {} updated, {} unchanged.",
            plural(passkeys_read, "passkey"),
            passkey_summary.added,
            passkey_summary.updated,
            passkey_summary.unchanged
        )?;
    }
    Ok(())
}

/// What an import did to passkeys.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct PasskeySummary {
    /// New passkeys.
    pub(crate) added: usize,
    /// Stored passkeys (same credential id) whose other fields changed.
    pub(crate) updated: usize,
    /// Passkeys already stored exactly so.
    pub(crate) unchanged: usize,
}

/// The changes that bring `existing` passkeys up to date with `imported`: a passkey is the same
/// one when its credential id is (the id is unique per authenticator and RP). Repeats within the
/// file collapse to the last.
pub(crate) fn plan_passkeys(
    existing: &[PasskeyRecord],
    imported: Vec<PasskeyRecord>,
) -> (Vec<Change>, PasskeySummary) {
    let mut summary = PasskeySummary::default();
    // Hash maps by credential id, not searches: a file of many passkeys is planned in linear
    // time.
    let mut latest: Vec<PasskeyRecord> = Vec::with_capacity(imported.len());
    let mut position: HashMap<Vec<u8>, usize> = HashMap::with_capacity(imported.len());
    for passkey in imported {
        match position.get(&passkey.credential_id) {
            Some(&at) => latest[at] = passkey,
            None => {
                position.insert(passkey.credential_id.clone(), latest.len());
                latest.push(passkey);
            }
        }
    }
    let mut stored: HashMap<&[u8], &PasskeyRecord> = HashMap::with_capacity(existing.len());
    for passkey in existing {
        stored
            .entry(passkey.credential_id.as_slice())
            .or_insert(passkey);
    }
    let same = |a: &PasskeyRecord, b: &PasskeyRecord| {
        a.rp_id == b.rp_id
            && a.user_handle == b.user_handle
            && a.user_name == b.user_name
            && a.user_display_name == b.user_display_name
            && a.algorithm == b.algorithm
            && a.private_key.expose_bytes() == b.private_key.expose_bytes()
    };
    let mut changes = Vec::new();
    for passkey in latest {
        match stored.get(passkey.credential_id.as_slice()) {
            Some(stored) if same(stored, &passkey) => summary.unchanged += 1,
            Some(_) => {
                summary.updated += 1;
                changes.push(Change::UpdatePasskey(passkey));
            }
            None => {
                summary.added += 1;
                changes.push(Change::AddPasskey(passkey));
            }
        }
    }
    (changes, summary)
}

/// Every stored passkey.
fn passkeys_of(backend: &impl VaultAdmin) -> Result<Vec<PasskeyRecord>> {
    Ok(backend
        .passkey_records()?
        .into_iter()
        .map(|(_, p)| p)
        .collect())
}

/// One warning line per kind of skipped entry, with their lines.
fn report_skipped(skipped: &[Skipped]) {
    let mut by_kind: Vec<(&'static str, Vec<u64>)> = Vec::new();
    for s in skipped {
        let kind = match s.reason {
            formats::SkipReason::NoWebOrigin(_) => "with no web origin",
            formats::SkipReason::NoPassword => "with no password",
            formats::SkipReason::NotALogin => "that are not logins",
            formats::SkipReason::InRecycleBin => "in the recycle bin",
        };
        match by_kind.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, lines)) => lines.push(s.line),
            None => by_kind.push((kind, vec![s.line])),
        }
    }
    for (kind, lines) in by_kind {
        eprintln!(
            "warning: skipped {} {kind} ({})",
            plural(lines.len(), "entry"),
            some_lines(&lines)
        );
    }
}

/// `line 3` or `lines 3, 5, 8`, at most ten of them.
fn some_lines(lines: &[u64]) -> String {
    let shown: Vec<String> = lines.iter().take(10).map(u64::to_string).collect();
    let more = if lines.len() > 10 { ", ..." } else { "" };
    let word = if lines.len() == 1 { "line" } else { "lines" };
    format!("{word} {}{more}", shown.join(", "))
}

fn plural(n: usize, word: &str) -> String {
    match (n, word) {
        (1, _) => format!("1 {word}"),
        (_, "entry") => format!("{n} entries"),
        _ => format!("{n} {word}s"),
    }
}

/// The password credentials of `records` as logins for a writer, and how many others there were.
pub(crate) fn exportable(records: Vec<StoredCredential>) -> (Vec<ImportedLogin>, usize) {
    let mut logins = Vec::new();
    let mut others = 0;
    for record in records {
        match record.credential {
            Credential::Password(p) => {
                let mut login = ImportedLogin::new(p.origin, &p.id, p.password);
                login.name = p.name;
                login.created = Some(record.created);
                login.updated = Some(record.updated);
                logins.push(login);
            }
            _ => others += 1,
        }
    }
    (logins, others)
}

/// `credwell export`.
pub(crate) fn export(global: &Global, args: &ExportArgs, out: &mut impl Write) -> Result<()> {
    let target = args
        .file
        .as_ref()
        .map_or_else(|| "stdout".to_owned(), |f| f.display().to_string());
    if !args.yes && !std::io::stdin().is_terminal() {
        bail!(
            "refusing to write passwords in clear text without confirmation (stdin is not a \
             terminal): pass --yes"
        );
    }
    if let Some(file) = &args.file {
        private_file::check_destination(file, args.force)?;
    }
    let backend = backend::open(global)?;
    let (records, stored_passkeys) = crate::damaged::for_export(&backend, args.skip_damaged)?;
    let (logins, others) = exportable(records);
    let (passkeys, passkeys_left_out) = if args.format.carries_passkeys() {
        (stored_passkeys, 0)
    } else {
        (Vec::new(), stored_passkeys.len())
    };
    let what = if passkeys.is_empty() {
        "password"
    } else {
        "password and passkey private key"
    };
    eprintln!(
        "warning: a {} export holds every {what} in clear text; anyone who can read {target} \
         can read them",
        args.format
    );
    let mut asked = plural(logins.len(), "password");
    if !passkeys.is_empty() {
        asked += &format!(" and {}", plural(passkeys.len(), "passkey"));
    }
    if !args.yes && !confirm(&format!("Write {asked} in clear to {target}?"), "--yes")? {
        bail!("export cancelled");
    }
    match &args.file {
        Some(path) => private_file::write(path, args.force, |file| {
            formats::write(args.format, &logins, &passkeys, file)
        })?,
        None => formats::write(args.format, &logins, &passkeys, &mut *out)
            .context("cannot write stdout")?,
    }
    if passkeys.is_empty() {
        eprintln!(
            "Exported {} to {target}.",
            plural(logins.len(), "password credential")
        );
    } else {
        eprintln!(
            "Exported {} and {} to {target}.",
            plural(logins.len(), "password credential"),
            plural(passkeys.len(), "passkey")
        );
    }
    let altered = formats::altered_sign_ins(args.format, &logins);
    if altered > 0 {
        eprintln!(
            "warning: {} a username or password that starts with =, +, -, @, a tab or a \
             carriage return, written behind a ' so that spreadsheets do not run it as a formula; \
             `credwell import` removes the ', other password managers keep it (bitwarden-json \
             and cxf carry every value as it is)",
            if altered == 1 {
                "1 login has".to_owned()
            } else {
                format!("{altered} logins have")
            }
        );
    }
    if passkeys_left_out > 0 {
        eprintln!(
            "warning: {} not exported: {} has no place for passkeys (use `credwell export cxf`)",
            plural(passkeys_left_out, "passkey"),
            args.format
        );
    }
    if others > 0 {
        eprintln!(
            "warning: {} not exported: {} has no place for federated sign-ins",
            plural(others, "federated credential"),
            args.format
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use credwell_admin::MemoryVault;
    use credwell_core::{Origin, Password, Timestamp};

    fn login(origin: &str, user: &str, pw: &str, name: &str) -> ImportedLogin {
        let mut l = ImportedLogin::new(Origin::parse(origin).unwrap(), user, Password::new(pw));
        l.name = name.into();
        l
    }

    fn passwords(backend: &MemoryVault) -> Vec<(String, String, String, String)> {
        backend
            .all_credentials()
            .unwrap()
            .into_iter()
            .map(|r| match r.credential {
                Credential::Password(p) => (
                    p.origin.to_string(),
                    p.id,
                    p.password.expose().to_owned(),
                    p.name,
                ),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    fn import_logins(backend: &MemoryVault, logins: Vec<ImportedLogin>) -> Summary {
        let (changes, summary) = plan(&backend.all_credentials().unwrap(), logins);
        backend
            .apply_changes(changes, Timestamp(0), &mut || {})
            .unwrap();
        summary
    }

    #[test]
    fn imports_merge_duplicates_and_update_changed_passwords() {
        let backend = MemoryVault::default();
        let first = import_logins(
            &backend,
            vec![
                login("https://a.example/login", "alice", "one", "a.example"),
                login("https://b.example", "bob", "two", "Bob's bank"),
            ],
        );
        assert_eq!((first.added, first.updated, first.unchanged), (2, 0, 0));
        let second = import_logins(
            &backend,
            vec![
                login("https://a.example", "alice", "one", ""),
                login("https://b.example", "bob", "changed", ""),
                login("https://c.example", "carol", "three", ""),
            ],
        );
        assert_eq!((second.added, second.updated, second.unchanged), (1, 1, 1));
        assert_eq!(
            passwords(&backend),
            [
                (
                    "https://a.example".into(),
                    "alice".into(),
                    "one".into(),
                    String::new()
                ),
                (
                    "https://b.example".into(),
                    "bob".into(),
                    "changed".into(),
                    "Bob's bank".into()
                ),
                (
                    "https://c.example".into(),
                    "carol".into(),
                    "three".into(),
                    String::new()
                ),
            ]
        );
        // The same file again changes nothing.
        let again = import_logins(
            &backend,
            vec![login("https://c.example", "carol", "three", "")],
        );
        assert_eq!((again.added, again.updated, again.unchanged), (0, 0, 1));
        assert_eq!(backend.all_credentials().unwrap().len(), 3);
    }

    #[test]
    fn repeats_within_a_file_are_one_credential_and_the_last_wins() {
        let backend = MemoryVault::default();
        backend
            .insert_credential(
                Credential::Password(PasswordCredential {
                    id: "dave".into(),
                    password: Password::new("old"),
                    name: String::new(),
                    icon_url: String::new(),
                    origin: Origin::parse("https://d.example").unwrap(),
                }),
                Timestamp(0),
            )
            .unwrap();
        let summary = import_logins(
            &backend,
            vec![
                login("https://a.example", "alice", "first", ""),
                login("https://a.example", "alice", "second", ""),
                login("https://d.example", "dave", "old", ""),
                login("https://d.example", "dave", "new", ""),
            ],
        );
        assert_eq!(
            (
                summary.added,
                summary.updated,
                summary.unchanged,
                summary.repeated
            ),
            (1, 1, 0, 2)
        );
        let stored = passwords(&backend);
        assert_eq!(stored.len(), 2);
        assert!(stored.iter().any(|p| p.1 == "alice" && p.2 == "second"));
        assert!(stored.iter().any(|p| p.1 == "dave" && p.2 == "new"));
    }

    #[test]
    fn titles_that_only_repeat_the_site_are_not_display_names() {
        for (url, title, want) in [
            ("https://example.com/login", "example.com", ""),
            ("https://www.example.com", "www.example.com", ""),
            ("https://example.com/login", "https://example.com/login", ""),
            ("https://example.com", "Example", "Example"),
            ("https://bücher.example", "  Bücherei ", "Bücherei"),
            ("https://bücher.example/konto", "bücher.example", ""),
            ("https://example.com", "example.org", "example.org"),
        ] {
            let mut l = login(url, "u", "p", title);
            l.url = url.into();
            assert_eq!(display_name(&l), want, "{title}");
        }
    }

    fn passkey(id: u8, name: &str) -> PasskeyRecord {
        PasskeyRecord {
            rp_id: "example.com".into(),
            credential_id: vec![id; 16],
            user_handle: vec![id],
            user_name: name.into(),
            user_display_name: String::new(),
            algorithm: credwell_passkey::Algorithm::Es256,
            private_key: credwell_passkey::PrivateKey::from_bytes(vec![id; 32]),
            created_at: 0,
            prf: None,
            large_blob: None,
            hidden: false,
        }
    }

    #[test]
    fn passkeys_merge_by_credential_id_and_the_last_repeat_wins() {
        let existing = [passkey(1, "same"), passkey(2, "old")];
        let imported = vec![
            passkey(3, "first"),
            passkey(1, "same"),
            passkey(2, "new"),
            passkey(3, "last"),
        ];
        let (changes, summary) = plan_passkeys(&existing, imported);
        assert_eq!(
            summary,
            PasskeySummary {
                added: 1,
                updated: 1,
                unchanged: 1
            }
        );
        let names: Vec<(&str, &str)> = changes
            .iter()
            .map(|c| match c {
                Change::AddPasskey(p) => ("add", p.user_name.as_str()),
                Change::UpdatePasskey(p) => ("update", p.user_name.as_str()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(names, [("add", "last"), ("update", "new")]);
    }

    #[test]
    fn exports_only_password_credentials() {
        let backend = MemoryVault::default();
        import_logins(
            &backend,
            vec![login("https://a.example", "alice", "pw", "A")],
        );
        backend
            .insert_credential(
                Credential::Federated(credwell_core::FederatedCredential {
                    id: "fed".into(),
                    provider: "https://idp.example".into(),
                    protocol: None,
                    name: String::new(),
                    icon_url: String::new(),
                    origin: Origin::parse("https://a.example").unwrap(),
                }),
                Timestamp(0),
            )
            .unwrap();
        let (logins, others) = exportable(backend.all_credentials().unwrap());
        assert_eq!(others, 1);
        assert_eq!(logins.len(), 1);
        assert_eq!(logins[0].name, "A");
        assert_eq!(logins[0].password.expose(), "pw");
        assert!(logins[0].created.is_some());
    }
}
