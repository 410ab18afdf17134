//! Finding credentials by what the user remembers: `credwell get`, `search` and `show`, and the
//! queries that `show`, `edit` and `rm` take in place of an ID.
//!
//! A query that is a number names the record with that ID. Any other text matches a credential
//! whose origin, host, username or display name (a passkey's RP ID, user name or display name)
//! contains it, ignoring case; when some of the matches equal the text exactly (the host, the
//! origin or the username), only those count. A query must match exactly one record: several
//! are an error that lists them, without their secrets.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};

use credwell_admin::Readable;
use credwell_admin::entry::{FieldLimits, algorithm_name, passkey_entry};
use credwell_core::{Credential, RecordId, StoredCredential, Timestamp};
use credwell_passkey::PasskeyRecord;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::agent::Request;
use crate::backend::{self, Backend, Target};
use crate::clipboard;
use crate::damaged;
use crate::global::Global;
use crate::listing::{list_readable, plain_output};
use crate::output::{HIDDEN, credential_json, print_json};

/// Options of `credwell show`.
#[derive(Debug, Clone, Args, Serialize, Deserialize)]
pub(crate) struct ShowArgs {
    /// The credential's ID, as `credwell list` shows it, or a query (text in its origin,
    /// username or name) that matches only it.
    pub(crate) query: String,
    /// Show the password in clear.
    #[arg(long)]
    pub(crate) reveal: bool,
}

/// Options of `credwell get`.
#[derive(Debug, Clone, Args, Serialize, Deserialize)]
pub(crate) struct GetArgs {
    /// The credential's ID, or text in its origin, username or name.
    pub(crate) query: String,
    /// The username, when the query matches several accounts.
    pub(crate) user: Option<String>,
    /// What to print.
    #[arg(long, value_enum, default_value_t = Field::Password)]
    pub(crate) field: Field,
    /// Copy it to the clipboard instead of printing it; the clipboard is emptied again after
    /// --clear-after seconds (or as soon as something else is copied).
    #[arg(long)]
    #[serde(skip)]
    pub(crate) clipboard: bool,
    /// With --clipboard: how long it stays there, in seconds.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = clipboard::DEFAULT_CLEAR_AFTER.as_secs(),
        requires = "clipboard"
    )]
    #[serde(skip)]
    pub(crate) clear_after: u64,
}

/// A field `credwell get` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Field {
    /// The password.
    Password,
    /// The username (a passkey's user name).
    Username,
}

/// Options of `credwell search`.
#[derive(Debug, Clone, Args, Serialize, Deserialize)]
pub(crate) struct SearchArgs {
    /// Text to find in origins, usernames and names (case-insensitive).
    pub(crate) text: String,
}

/// A record a query found, borrowed from the [`Index`] it was found in.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Found<'a> {
    /// A password or federated credential.
    Credential(&'a StoredCredential),
    /// A passkey.
    Passkey(RecordId, &'a PasskeyRecord),
}

impl Found<'_> {
    fn record(&self) -> RecordId {
        match self {
            Self::Credential(c) => c.record,
            Self::Passkey(id, _) => *id,
        }
    }

    /// "ID 3 (password, alice at https://a.example)": no secret.
    fn describe(&self) -> String {
        match self {
            Self::Credential(c) => format!(
                "ID {} ({}, {:?} at {})",
                c.record.0,
                c.credential.credential_type(),
                c.credential.id(),
                credwell_formats::display_origin(c.credential.origin())
            ),
            Self::Passkey(id, p) => {
                format!("ID {} (passkey, {:?} for {})", id.0, p.user_name, p.rp_id)
            }
        }
    }

    /// What a query is matched against.
    fn keys(&self) -> Keys {
        match self {
            Self::Credential(c) => {
                let origin = c.credential.origin();
                let host = origin.host().unwrap_or_default();
                let texts = [&origin.to_string(), c.credential.id(), c.credential.name()];
                Keys::new(texts, Some(&host))
            }
            Self::Passkey(_, p) => Keys::new([&p.rp_id, &p.user_name, &p.user_display_name], None),
        }
    }

    fn username(&self) -> &str {
        match self {
            Self::Credential(c) => c.credential.id(),
            Self::Passkey(_, p) => &p.user_name,
        }
    }
}

/// What a record is matched by, lower-cased once, in one allocation (an index of 100,000
/// records holds 100,000 of these).
#[derive(Debug)]
struct Keys {
    /// The origin, the username and the name (a passkey's RP ID, user name and display name),
    /// then a credential's host, lower-cased and joined by NUL (which no query holds: a NUL in a
    /// text becomes a space).
    text: Box<str>,
    /// The end of the three texts a query is found in (the host is only matched exactly).
    searched: usize,
}

impl Keys {
    fn new(texts: [&str; 3], host: Option<&str>) -> Self {
        let mut text = texts
            .map(|t| t.replace('\0', " ").to_lowercase())
            .join("\0");
        let searched = text.len();
        if let Some(host) = host {
            text.push('\0');
            text.push_str(&host.replace('\0', " ").to_lowercase());
        }
        Self {
            text: text.into_boxed_str(),
            searched,
        }
    }

    /// Whether `needle` (lower-cased) is in the origin, the username or the name.
    fn contains(&self, needle: &str) -> bool {
        !needle.contains('\0') && self.text[..self.searched].contains(needle)
    }

    /// Whether `query` (lower-cased) is exactly the origin, the username or the host (a
    /// passkey's RP ID or user name).
    fn is_exact(&self, query: &str) -> bool {
        (self.text.split('\0').enumerate()).any(|(i, text)| i != 2 && text == query)
    }
}

/// Every readable record of a vault with the texts queries are matched against, lower-cased
/// once. A command in this process builds one and drops it; the agent keeps its vault's while
/// the vault's write generation stays the same, so that a query against 100,000 records reads
/// and decrypts nothing.
#[derive(Debug)]
pub(crate) struct Index {
    readable: Readable,
    /// One per record: the credentials' in order, then the passkeys'.
    keys: Vec<Keys>,
}

impl Index {
    /// Indexes `readable`.
    pub(crate) fn new(readable: Readable) -> Self {
        let mut index = Self {
            readable,
            keys: Vec::new(),
        };
        index.keys = index.all().map(|f| f.keys()).collect();
        index
    }

    /// The records that open, and the ids of those that do not.
    pub(crate) fn readable(&self) -> &Readable {
        &self.readable
    }

    /// Every record, credentials first, in record order within each kind.
    fn all(&self) -> impl Iterator<Item = Found<'_>> {
        let credentials = self.readable.credentials.iter().map(Found::Credential);
        let passkeys = (self.readable.passkeys.iter()).map(|(id, p)| Found::Passkey(*id, p));
        credentials.chain(passkeys)
    }

    /// The records whose texts contain `text`, ignoring case.
    fn matching(&self, text: &str) -> Vec<(Found<'_>, &Keys)> {
        let needle = text.to_lowercase();
        self.all()
            .zip(&self.keys)
            .filter(|(_, k)| k.contains(&needle))
            .collect()
    }

    /// The one record `query` (and `user`, when given) names; see the module's documentation.
    pub(crate) fn resolve(&self, query: &str, user: Option<&str>) -> Result<Found<'_>> {
        if query.is_empty() {
            bail!("the query is empty; give an ID or text in an origin, username or name");
        }
        if let Ok(id) = query.parse::<u64>() {
            return self
                .all()
                .find(|f| f.record() == RecordId(id) && user.is_none_or(|u| f.username() == u))
                .ok_or_else(|| anyhow::anyhow!("there is no credential with ID {id}"));
        }
        let mut found = self.matching(query);
        if let Some(user) = user {
            found.retain(|(f, _)| f.username() == user);
        }
        let lower = query.to_lowercase();
        if found.iter().any(|(_, k)| k.is_exact(&lower)) {
            found.retain(|(_, k)| k.is_exact(&lower));
        }
        let for_user = user
            .map(|u| format!(" with username {u:?}"))
            .unwrap_or_default();
        match found.len() {
            0 => bail!("no credential matches {query:?}{for_user}"),
            1 => Ok(found[0].0),
            n => {
                let list: Vec<String> = found.iter().map(|(f, _)| f.describe()).collect();
                bail!(
                    "{query:?}{for_user} matches {n} credentials: {}; give an ID or a username",
                    list.join(", ")
                )
            }
        }
    }
}

/// The backend's index of readable records, after naming the damaged ones as `left_out`.
pub(crate) fn indexed(backend: &impl Backend, left_out: &str) -> Result<Arc<Index>> {
    let index = backend.index()?;
    damaged::warn(backend, &index.readable.damaged, left_out);
    Ok(index)
}

/// `credwell get`.
pub(crate) fn get(global: &Global, args: &GetArgs, out: &mut impl Write) -> Result<()> {
    if args.clipboard {
        // What would have been printed goes to the clipboard (clipboard.rs), and nowhere else.
        // Room for any field up front: a growing Vec would leave unwiped copies behind.
        let mut secret = Zeroizing::new(Vec::with_capacity(64 * 1024));
        get_printed(global, args, &mut *secret)?;
        clipboard::copy(&secret, Duration::from_secs(args.clear_after))?;
        writeln!(
            out,
            "copied to the clipboard; it is emptied in {} s",
            args.clear_after
        )?;
        return Ok(());
    }
    get_printed(global, args, out)
}

/// `credwell get` without `--clipboard`: through the agent, or from the vault.
fn get_printed(global: &Global, args: &GetArgs, out: &mut impl Write) -> Result<()> {
    match backend::connect(global)? {
        Target::Agent(agent) => agent.run(Request::Get(args.clone()), out),
        Target::Local(vault) => get_in(&vault, args, out),
    }
}

/// `credwell search`.
pub(crate) fn search(global: &Global, args: &SearchArgs, out: &mut impl Write) -> Result<()> {
    let (json, plain) = (global.json, plain_output());
    match backend::connect(global)? {
        Target::Agent(agent) => {
            let args = args.clone();
            agent.run(Request::Search { args, json, plain }, out)
        }
        Target::Local(vault) => search_in(&vault, json, plain, args, out),
    }
}

/// `credwell show`.
pub(crate) fn show(global: &Global, args: &ShowArgs, out: &mut impl Write) -> Result<()> {
    let json = global.json;
    match backend::connect(global)? {
        Target::Agent(agent) => agent.run(
            Request::Show {
                args: args.clone(),
                json,
            },
            out,
        ),
        Target::Local(vault) => show_in(&vault, json, args, out),
    }
}

/// Prints only the asked-for field (and a newline), for scripts and pipes.
pub(crate) fn get_in(backend: &impl Backend, args: &GetArgs, out: &mut impl Write) -> Result<()> {
    let index = indexed(backend, "not searched")?;
    let found = index.resolve(&args.query, args.user.as_deref())?;
    match (args.field, &found) {
        (Field::Username, _) => writeln!(out, "{}", found.username())?,
        (Field::Password, Found::Credential(c)) => match &c.credential {
            Credential::Password(p) => writeln!(out, "{}", p.password.expose())?,
            other => bail!(
                "{} is a {} credential and has no password",
                found.describe(),
                other.credential_type()
            ),
        },
        (Field::Password, Found::Passkey(..)) => {
            bail!("{} is a passkey and has no password", found.describe())
        }
    }
    Ok(())
}

pub(crate) fn search_in(
    backend: &impl Backend,
    json: bool,
    plain: bool,
    args: &SearchArgs,
    out: &mut impl Write,
) -> Result<()> {
    if args.text.is_empty() {
        bail!("the search text is empty");
    }
    let index = indexed(backend, "not searched")?;
    let mut credentials = Vec::new();
    let mut passkeys = Vec::new();
    for (found, _) in index.matching(&args.text) {
        match found {
            Found::Credential(c) => credentials.push(c),
            Found::Passkey(id, p) => passkeys.push((id, p)),
        }
    }
    list_readable(credentials, passkeys, None, json, plain, out)
}

pub(crate) fn show_in(
    backend: &impl Backend,
    json: bool,
    args: &ShowArgs,
    out: &mut impl Write,
) -> Result<()> {
    let index = indexed(backend, "not searched")?;
    let record = match index.resolve(&args.query, None)? {
        Found::Credential(record) => record,
        Found::Passkey(id, passkey) => return show_passkey(id, passkey, json, out),
    };
    if json {
        return print_json(out, &credential_json(record, args.reveal));
    }
    let c = &record.credential;
    writeln!(out, "ID:       {}", record.record.0)?;
    writeln!(out, "Type:     {}", c.credential_type())?;
    writeln!(
        out,
        "Origin:   {}",
        credwell_formats::display_origin(c.origin())
    )?;
    writeln!(out, "Username: {}", c.id())?;
    match c {
        Credential::Password(p) => {
            let shown = if args.reveal {
                p.password.expose()
            } else {
                HIDDEN
            };
            writeln!(out, "Password: {shown}")?;
        }
        Credential::Federated(f) => {
            writeln!(out, "Provider: {}", f.provider)?;
            if let Some(protocol) = &f.protocol {
                writeln!(out, "Protocol: {protocol}")?;
            }
        }
        _ => {}
    }
    if !c.name().is_empty() {
        writeln!(out, "Name:     {}", c.name())?;
    }
    if !c.icon_url().is_empty() {
        writeln!(out, "Icon:     {}", c.icon_url())?;
    }
    writeln!(out, "Created:  {}", record.created.to_iso8601_seconds())?;
    writeln!(out, "Updated:  {}", record.updated.to_iso8601_seconds())?;
    Ok(())
}

/// A passkey: what `list --json` shows of it; never its private key (`--reveal` has nothing to
/// add: the key leaves the vault only through `export cxf`).
fn show_passkey(
    id: RecordId,
    passkey: &PasskeyRecord,
    json: bool,
    out: &mut impl Write,
) -> Result<()> {
    let entry = passkey_entry(id, passkey, &FieldLimits::NONE);
    if json {
        return print_json(out, &entry);
    }
    writeln!(out, "ID:            {}", id.0)?;
    writeln!(out, "Type:          passkey")?;
    writeln!(out, "RP ID:         {}", passkey.rp_id)?;
    writeln!(out, "User name:     {}", passkey.user_name)?;
    if !passkey.user_display_name.is_empty() {
        writeln!(out, "Display name:  {}", passkey.user_display_name)?;
    }
    writeln!(out, "Algorithm:     {}", algorithm_name(passkey))?;
    writeln!(
        out,
        "Credential ID: {}",
        entry["credentialId"].as_str().unwrap_or_default()
    )?;
    writeln!(
        out,
        "Created:       {}",
        Timestamp(passkey.created_at).to_iso8601_seconds()
    )?;
    if passkey.hidden {
        writeln!(
            out,
            "Hidden:        yes (the site signalled it is no longer valid)"
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use credwell_admin::{MemoryVault, VaultAdmin};
    use credwell_core::{Origin, Password, PasswordCredential};

    fn vault(rows: &[(&str, &str, &str, &str)]) -> MemoryVault {
        let b = MemoryVault::default();
        for (origin, user, name, password) in rows {
            let credential = Credential::Password(PasswordCredential {
                id: (*user).into(),
                password: Password::new(*password),
                name: (*name).into(),
                icon_url: String::new(),
                origin: Origin::parse(origin).unwrap(),
            });
            b.insert_credential(credential, Timestamp(0)).unwrap();
        }
        b
    }

    fn get(b: &MemoryVault, query: &str, user: Option<&str>, field: Field) -> Result<String> {
        let mut out = Vec::new();
        let args = GetArgs {
            query: query.into(),
            user: user.map(Into::into),
            field,
            clipboard: false,
            clear_after: 45,
        };
        get_in(b, &args, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    const ROWS: [(&str, &str, &str, &str); 4] = [
        ("https://github.com", "alice", "", "pw-gh-alice"),
        ("https://github.com", "bob", "", "pw-gh-bob"),
        ("https://gist.github.com", "carol", "", "pw-gist"),
        ("https://bank.example", "dave", "My Bank", "pw-bank"),
    ];

    #[test]
    fn a_query_names_one_record_or_lists_the_candidates_without_secrets() {
        let b = vault(&ROWS);
        let pw = Field::Password;
        assert_eq!(get(&b, "bank", None, pw).unwrap(), "pw-bank\n");
        assert_eq!(get(&b, "my BANK", None, pw).unwrap(), "pw-bank\n");
        assert_eq!(get(&b, "4", None, pw).unwrap(), "pw-bank\n");
        assert_eq!(get(&b, "CAROL", None, pw).unwrap(), "pw-gist\n");
        assert_eq!(get(&b, "github", Some("bob"), pw).unwrap(), "pw-gh-bob\n");
        assert_eq!(get(&b, "4", None, Field::Username).unwrap(), "dave\n");
        // "github.com" is github.com's host exactly: gist.github.com only contains it.
        let err = get(&b, "github.com", None, pw).unwrap_err().to_string();
        assert!(err.contains("matches 2 credentials"), "{err}");
        assert!(
            err.contains("\"alice\"") && err.contains("\"bob\""),
            "{err}"
        );
        assert!(!err.contains("carol") && !err.contains("pw-"), "{err}");
        let err = get(&b, "git", None, pw).unwrap_err().to_string();
        assert!(err.contains("matches 3 credentials"), "{err}");
        assert!(!err.contains("pw-"), "{err}");
        let err = get(&b, "github", Some("zed"), pw).unwrap_err().to_string();
        assert_eq!(
            err,
            "no credential matches \"github\" with username \"zed\""
        );
        let err = get(&b, "9", None, pw).unwrap_err().to_string();
        assert_eq!(err, "there is no credential with ID 9");
        assert!(
            get(&b, "", None, pw)
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
    }

    #[test]
    fn a_query_never_spans_two_texts_and_a_name_is_never_an_exact_match() {
        let b = vault(&[
            ("https://bank.example", "dave", "github", "pw-bank"),
            ("https://github.com", "al\0ice", "", "pw-gh"),
        ]);
        let pw = Field::Password;
        // The origin ends where the username starts: no text holds "exampledave".
        let err = get(&b, "bank.exampledave", None, pw).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no credential matches \"bank.exampledave\""
        );
        assert!(get(&b, "example\0dave", None, pw).is_err());
        // "github" is the bank's name and in github.com's origin: neither is exact, both match.
        let err = get(&b, "github", None, pw).unwrap_err().to_string();
        assert!(err.contains("matches 2 credentials"), "{err}");
        // The host is exact; a NUL in a username is a space to queries.
        assert_eq!(get(&b, "GitHub.com", None, pw).unwrap(), "pw-gh\n");
        assert_eq!(get(&b, "al ice", None, pw).unwrap(), "pw-gh\n");
    }

    #[test]
    fn search_matches_origins_usernames_and_names_in_any_case() {
        let b = vault(&ROWS);
        let search = |text: &str| {
            let mut out = Vec::new();
            search_in(&b, true, false, &SearchArgs { text: text.into() }, &mut out).unwrap();
            let list: serde_json::Value = serde_json::from_slice(&out).unwrap();
            list.as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(search("GITHUB"), ["alice", "bob", "carol"]);
        assert_eq!(search("bank"), ["dave"]);
        assert_eq!(search("LIC"), ["alice"]);
        assert_eq!(search("my b"), ["dave"]);
        assert!(search("nothing-here").is_empty());
    }
}
