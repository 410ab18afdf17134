//! `credwell import` and `credwell export`: other password managers' files in and out.
//!
//! An import is all or nothing: the file is parsed completely first (a malformed entry aborts
//! with the file, line and reason before the passphrase is asked for), then every change is
//! applied in one vault transaction. A login whose origin and username are already stored is
//! merged by the times the file and the vault carry ([`plan`]): an older row never replaces a
//! newer credential unless asked to, and a replaced password is kept in the credential's
//! history.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use clap::Args;
use credwell_admin::{Change, VaultAdmin};
use credwell_core::{Credential, StoredCredential};
use credwell_formats::{self as formats, Format, ImportedLogin, KdbxKey};
use credwell_passkey::PasskeyRecord;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::agent::{self, FileBytes, Request, Secret};
use crate::backend::{self, Backend, now};
use crate::global::Global;
use crate::input;
use crate::output::{confirm, print_json, progress};
use crate::secrets;

mod export_report;
mod plan;
mod private_file;
mod report;

use export_report::{ExportReport, LeftOut};

pub(crate) use plan::OnConflict;

/// Options of `credwell import`.
#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The file's format.
    pub(crate) format: Format,
    /// The exported file (`-`: stdin; a file named `-` is `./-`).
    pub(crate) file: PathBuf,
    /// When a row and the stored credential for its origin and username have different
    /// passwords: `newer` replaces the credential only with a row the file dates after the
    /// credential's last change; `theirs` always replaces it, `ours` never does. A replaced
    /// password is kept in the credential's password history.
    #[arg(long, value_enum, default_value_t = OnConflict::Newer)]
    pub(crate) on_conflict: OnConflict,
    /// Show what the import would add, update, keep and skip, and change nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// kdbx: a file holding the KeePass database's password (else it is asked on the terminal);
    /// with --key-file, an empty file means the database has no password.
    #[arg(long, env = secrets::KDBX_PASSWORD_FILE_ENV, value_name = "FILE")]
    pub(crate) password_file: Option<PathBuf>,
    /// kdbx: the KeePass database's key file, when it has one.
    #[arg(long, value_name = "FILE")]
    pub(crate) key_file: Option<PathBuf>,
}

/// `credwell import` as the agent is asked for it (the file's bytes follow the request).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ImportRequest {
    /// The format's name, as the command line takes it.
    pub(crate) format: String,
    /// The file as messages name it (`stdin` for `-`).
    pub(crate) file_name: String,
    /// `--on-conflict`.
    pub(crate) on_conflict: OnConflict,
    /// `--dry-run`.
    pub(crate) dry_run: bool,
    /// A KeePass database's password (kdbx).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) kdbx_password: Option<Secret>,
    /// A KeePass database's key file, base64 (kdbx).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) kdbx_key_file: Option<Secret>,
}

/// Options of `credwell export`.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// The format to write.
    pub(crate) format: Format,
    /// Where to write: a new owner-only file, renamed into place once complete (never written
    /// through a symbolic link); stdout when absent or `-` (a file named `-` is `./-`).
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
        || title == login.origin.serialized()
        || as_host(title).is_some_and(|t| t == host || t.strip_prefix("www.") == Some(&host));
    if derived {
        String::new()
    } else {
        title.to_owned()
    }
}

/// Whether a FILE argument is `-`: stdin for an import, stdout for an export.
fn is_std_stream(path: &Path) -> bool {
    input::is_stdin(path)
}

/// A FILE argument as messages name it: `stdin` for `-`.
pub(crate) fn file_name(path: &Path) -> String {
    input::name(path)
}

/// A file's error as the command says it: the file (`name`), the line where known, the reason.
fn read_error(name: &str, e: formats::FormatError) -> anyhow::Error {
    match e.line {
        Some(line) => anyhow::anyhow!("{name}:{line}: {}; nothing was imported", e.reason),
        None => anyhow::anyhow!("{name}: {}; nothing was imported", e.reason),
    }
}

/// The key of the KeePass database `bytes` (kdbx, else none): asked once the file is known to be
/// one, so that another file is refused before a password is asked for.
fn kdbx_key(args: &ImportArgs, bytes: &[u8]) -> Result<KdbxKey> {
    if args.format != Format::Kdbx {
        return Ok(KdbxKey::default());
    }
    formats::check_kind(args.format, bytes).map_err(|e| read_error(&file_name(&args.file), e))?;
    secrets::kdbx_key(args.password_file.as_deref(), args.key_file.as_deref())
}

/// `credwell import`: through the vault's agent when one runs (`credwell unlock`), which is sent
/// the file's bytes, reads them whole and imports them as this process would; else here, the
/// file read whole before the passphrase is asked for. Either way nothing is written unless the
/// whole file reads. A KeePass database's own key is asked once the file is known to be one,
/// before the vault's passphrase, and goes to the agent with the file.
pub(crate) fn import(global: &Global, args: &ImportArgs, out: &mut impl Write) -> Result<()> {
    if args.format != Format::Kdbx && args.key_file.is_some() {
        bail!("--key-file is for `credwell import kdbx` only");
    }
    // Refused before the file is read. The vault's passphrase (`CREDWELL_PASSPHRASE_FILE=-`),
    // read only without an agent, is refused when it comes to be read.
    let reads_stdin = |file: &Option<PathBuf>| file.as_deref().is_some_and(input::is_stdin);
    input::one_stdin_reader(&[
        ("FILE", is_std_stream(&args.file)),
        ("--password-file", reads_stdin(&args.password_file)),
        ("--key-file", reads_stdin(&args.key_file)),
    ])?;
    let path = global.vault_path()?;
    if path.exists()
        && let Some(agent) = agent::Client::connect(&path)?
    {
        let bytes = read_whole(&args.file)?;
        let key = kdbx_key(args, &bytes)?;
        let request = Request::Import {
            args: ImportRequest {
                format: args.format.as_str().to_owned(),
                file_name: file_name(&args.file),
                on_conflict: args.on_conflict,
                dry_run: args.dry_run,
                kdbx_password: key.password().map(Secret::new),
                kdbx_key_file: key.key_file().map(|k| Secret::new(&BASE64.encode(k))),
            },
            json: global.json,
            file: FileBytes::default(),
        };
        return agent.run_with_file(request, &bytes, out);
    }
    let bytes = read_whole(&args.file)?;
    let key = kdbx_key(args, &bytes)?;
    let read = || {
        let parsed = formats::read_bytes(args.format, &bytes, &key)
            .map_err(|e| read_error(&file_name(&args.file), e));
        drop(bytes);
        parsed
    };
    if secrets::passphrase_file_from_env().is_none() {
        // The passphrase is asked on the terminal only once the whole file reads.
        let parsed = read()?;
        let backend = backend::open(global)?;
        let existing = backend.all_credentials()?;
        return import_in(&backend, &existing, global.json, args, parsed, out);
    }
    // Nothing to ask: the vault is opened and its credentials read on one core while the file
    // is read on the other (each was about a third of a large import). A malformed file is
    // still the error said, whatever the vault's.
    let (parsed, opened) = std::thread::scope(|scope| {
        let opened = scope.spawn(|| -> Result<_> {
            let backend = backend::open(global)?;
            let existing = backend.all_credentials()?;
            Ok((backend, existing))
        });
        let parsed = read();
        (parsed, opened.join())
    });
    let parsed = parsed?;
    let (backend, existing) = match opened {
        Ok(opened) => opened?,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    import_in(&backend, &existing, global.json, args, parsed, out)
}

/// A file (`-`: stdin) read whole, for the agent or to be read here, refused when larger than
/// any import can be.
fn read_whole(path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    let name = file_name(path);
    let limit = formats::MAX_INPUT_BYTES;
    let cannot = |e: &std::io::Error| {
        if is_std_stream(path) {
            format!("{name}: cannot read the file: {e}; nothing was imported")
        } else {
            format!("cannot open {}: {e}", path.display())
        }
    };
    let bytes = input::read_bytes(path, "FILE", limit, &cannot)?;
    if bytes.len() as u64 > limit {
        bail!(
            "{name}: the file is larger than {} MiB, the most credwell imports; nothing was \
             imported",
            limit / (1024 * 1024)
        );
    }
    Ok(bytes)
}

/// `credwell import` in the agent: the file's bytes as the command line sent them, read whole
/// before anything is written, then imported as [`import_in`] does.
pub(crate) fn import_bytes(
    backend: &impl Backend,
    json: bool,
    request: &ImportRequest,
    bytes: &[u8],
    out: &mut impl Write,
) -> Result<()> {
    use clap::ValueEnum as _;
    let format = Format::from_str(&request.format, false)
        .map_err(|_| anyhow::anyhow!("unknown import format {:?}", request.format))?;
    let name = &request.file_name;
    let key_file = match &request.kdbx_key_file {
        Some(k) => {
            Some(Zeroizing::new(BASE64.decode(k.expose()).map_err(|_| {
                anyhow::anyhow!("the key file sent is not base64")
            })?))
        }
        None => None,
    };
    let password = (request.kdbx_password.as_ref()).map(|p| Zeroizing::new(p.expose().to_owned()));
    let key = KdbxKey::new(password, key_file);
    let parsed = formats::read_bytes(format, bytes, &key).map_err(|e| read_error(name, e))?;
    let args = ImportArgs {
        format,
        file: PathBuf::from(name),
        on_conflict: request.on_conflict,
        dry_run: request.dry_run,
        password_file: None,
        key_file: None,
    };
    import_in(
        backend,
        &backend.all_credentials()?,
        json,
        &args,
        parsed,
        out,
    )
}

/// Plans a parsed file against `backend`, which holds `existing`, applies it (unless
/// `--dry-run`) and reports.
pub(crate) fn import_in(
    backend: &impl Backend,
    existing: &[StoredCredential],
    json: bool,
    args: &ImportArgs,
    parsed: formats::Parsed,
    out: &mut impl Write,
) -> Result<()> {
    let read = parsed.logins.len();
    let plan = plan::plan(existing, parsed.logins, args.on_conflict, now());
    let passkeys_read = parsed.passkeys.len();
    let (passkey_changes, passkey_summary) = if passkeys_read > 0 {
        plan_passkeys(&passkeys_of(backend)?, parsed.passkeys)
    } else {
        (Vec::new(), PasskeySummary::default())
    };
    if !args.dry_run {
        let mut changes = plan.changes;
        changes.extend(passkey_changes);
        let bar = progress(changes.len() as u64, "Importing");
        backend
            .apply_changes(changes, now(), &mut || bar.inc(1))
            .with_context(|| {
                format!(
                    "cannot import {}; nothing was imported",
                    file_name(&args.file)
                )
            })?;
        bar.finish_and_clear();
    }
    let report = report::Report {
        args,
        read,
        outcomes: &plan.outcomes,
        repeated: plan.repeated,
        conflicting_repeats: &plan.conflicting_repeats,
        future_times: plan.future_times,
        skipped: &parsed.skipped,
        unstored: &parsed.unstored,
        maybe_recycle_bin: &parsed.maybe_recycle_bin,
        formula_guards: &parsed.formula_guards,
        clamped_times: &parsed.clamped_times,
        passkey_counters: &parsed.passkey_counters,
        passkeys_read,
        passkeys: &passkey_summary,
    };
    report.warn(&|message| backend.warn(message));
    if json {
        return print_json(out, &report.json());
    }
    report.text(out)
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

pub(crate) fn plural(n: usize, word: &str) -> String {
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
                login.history = record.history;
                let extras = record.extras;
                login.notes = extras.notes.expose().to_owned();
                login.extras = credwell_formats::LoginExtras {
                    totp: extras.totp,
                    fields: extras.fields,
                    folder: extras.folder,
                    favorite: extras.favorite,
                };
                logins.push(login);
            }
            _ => others += 1,
        }
    }
    (logins, others)
}

/// `credwell export`.
pub(crate) fn export(global: &Global, args: &ExportArgs, out: &mut impl Write) -> Result<()> {
    if !args.format.can_write() {
        bail!(
            "credwell reads {} files but does not write them: export to cxf or bitwarden-json, \
             which keep the most",
            args.format
        );
    }
    let file = args.file.as_deref().filter(|f| !is_std_stream(f));
    let target = file.map_or_else(|| "stdout".to_owned(), |f| f.display().to_string());
    if !args.yes && !std::io::stdin().is_terminal() {
        bail!(
            "refusing to write passwords in clear text without confirmation (stdin is not a \
             terminal): pass --yes"
        );
    }
    if let Some(file) = file {
        private_file::check_destination(file, args.force)?;
    }
    let backend = backend::open(global)?;
    let (records, stored_passkeys, damaged) =
        crate::damaged::for_export(&backend, args.skip_damaged)?;
    let (logins, others) = exportable(records);
    let (passkeys, passkeys_left_out) = if args.format.carries_passkeys() {
        (stored_passkeys, 0)
    } else {
        (Vec::new(), stored_passkeys.len())
    };
    // What the format has no place for: the passkeys' prf secrets (bitwarden-json) and large
    // blobs (every format).
    let prf_left_out = if args.format.carries_prf() {
        0
    } else {
        passkeys.iter().filter(|p| p.prf.is_some()).count()
    };
    let blobs_left_out = passkeys.iter().filter(|p| p.large_blob.is_some()).count();
    let what = if passkeys.is_empty() {
        "password"
    } else {
        "password and passkey private key"
    };
    let clear_text = format!(
        "a {} export holds every {what} in clear text; anyone who can read {target} can read \
         them",
        args.format
    );
    // Said before anything is written, unless stderr is to carry nothing but the JSON report
    // (`--json` with the export on stdout) and no question follows: the report repeats them.
    let before: Vec<String> = (crate::damaged::warning(&damaged, "not exported").into_iter())
        .chain([clear_text])
        .collect();
    if !(global.json && file.is_none() && args.yes) {
        for warning in &before {
            eprintln!("warning: {warning}");
        }
    }
    let mut asked = plural(logins.len(), "password");
    if !passkeys.is_empty() {
        asked += &format!(" and {}", plural(passkeys.len(), "passkey"));
    }
    if !args.yes && !confirm(&format!("Write {asked} in clear to {target}?"), "--yes")? {
        bail!("export cancelled");
    }
    match file {
        Some(path) => private_file::write(path, args.force, |file| {
            formats::write(args.format, &logins, &passkeys, file)
        })?,
        None => formats::write(args.format, &logins, &passkeys, &mut *out)
            .context("cannot write stdout")?,
    }
    let mut left_out: Vec<(LeftOut, usize)> = formats::Unstored::ALL
        .into_iter()
        .filter(|&kind| !args.format.writes(kind))
        .map(|kind| {
            let n = logins.iter().filter(|l| l.has(kind)).count();
            (LeftOut::Extra(kind), n)
        })
        .collect();
    left_out.extend([
        (LeftOut::Passkeys, passkeys_left_out),
        (LeftOut::PrfSecrets, prf_left_out),
        (LeftOut::LargeBlobs, blobs_left_out),
        (LeftOut::Federated, others),
    ]);
    left_out.retain(|&(_, n)| n > 0);
    let report = ExportReport {
        format: args.format,
        target,
        passwords: logins.len(),
        passkeys: passkeys.len(),
        formula_guarded: formats::altered_sign_ins(args.format, &logins),
        left_out,
        damaged: damaged.len(),
    };
    report.say(global.json, file.is_none(), &before, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use credwell_admin::MemoryVault;
    use credwell_core::{Origin, Password, PasswordCredential, Timestamp};

    fn login(origin: &str, user: &str, pw: &str, name: &str) -> ImportedLogin {
        let mut l = ImportedLogin::new(Origin::parse(origin).unwrap(), user, Password::new(pw));
        l.name = name.into();
        l
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
        backend
            .insert_credential(
                Credential::Password(PasswordCredential {
                    id: "alice".into(),
                    password: Password::new("pw"),
                    name: "A".into(),
                    icon_url: String::new(),
                    origin: Origin::parse("https://a.example").unwrap(),
                }),
                Timestamp(0),
            )
            .unwrap();
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
