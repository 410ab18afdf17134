//! Finding credentials by what the user remembers: `credwell get`, `search` and `show`, and the
//! queries that `show`, `edit` and `rm` take in place of an ID.
//!
//! A query that is a number names the record with that ID. Any other text matches a credential
//! whose origin, host, username or display name (a passkey's RP ID, user name or display name)
//! contains it, ignoring case; when some of the matches equal the text exactly (the host, the
//! origin or the username), only those count. A query must match exactly one record: several
//! are an error that lists them, without their secrets.

use std::io::Write;

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use credwell_admin::VaultAdmin;
use credwell_admin::entry::{FieldLimits, algorithm_name, passkey_entry};
use credwell_core::{Credential, RecordId, StoredCredential, Timestamp};
use credwell_passkey::PasskeyRecord;

use crate::backend;
use crate::damaged;
use crate::entries::{list_readable, plain_output};
use crate::global::Global;
use crate::output::{HIDDEN, credential_json, print_json};

/// Options of `credwell show`.
#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// The credential's ID, as `credwell list` shows it, or a query (text in its origin,
    /// username or name) that matches only it.
    pub(crate) query: String,
    /// Show the password in clear.
    #[arg(long)]
    pub(crate) reveal: bool,
}

/// Options of `credwell get`.
#[derive(Debug, Args)]
pub(crate) struct GetArgs {
    /// The credential's ID, or text in its origin, username or name.
    pub(crate) query: String,
    /// The username, when the query matches several accounts.
    pub(crate) user: Option<String>,
    /// What to print.
    #[arg(long, value_enum, default_value_t = Field::Password)]
    pub(crate) field: Field,
}

/// A field `credwell get` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Field {
    /// The password.
    Password,
    /// The username (a passkey's user name).
    Username,
}

/// Options of `credwell search`.
#[derive(Debug, Args)]
pub(crate) struct SearchArgs {
    /// Text to find in origins, usernames and names (case-insensitive).
    pub(crate) text: String,
}

/// A record a query found.
#[derive(Debug)]
pub(crate) enum Found {
    /// A password or federated credential.
    Credential(StoredCredential),
    /// A passkey.
    Passkey(RecordId, PasskeyRecord),
}

impl Found {
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
                c.credential.origin()
            ),
            Self::Passkey(id, p) => {
                format!("ID {} (passkey, {:?} for {})", id.0, p.user_name, p.rp_id)
            }
        }
    }

    /// The texts a query is matched against, and those it must equal to be an exact match.
    fn texts(&self) -> (Vec<String>, Vec<String>) {
        match self {
            Self::Credential(c) => {
                let origin = c.credential.origin();
                let host = origin.host().unwrap_or_default();
                let origin = origin.to_string();
                let user = c.credential.id().to_owned();
                let exact = vec![host.clone(), origin.clone(), user.clone()];
                (vec![origin, user, c.credential.name().to_owned()], exact)
            }
            Self::Passkey(_, p) => (
                vec![
                    p.rp_id.clone(),
                    p.user_name.clone(),
                    p.user_display_name.clone(),
                ],
                vec![p.rp_id.clone(), p.user_name.clone()],
            ),
        }
    }

    fn username(&self) -> &str {
        match self {
            Self::Credential(c) => c.credential.id(),
            Self::Passkey(_, p) => &p.user_name,
        }
    }
}

/// Every readable record, credentials first, in record order within each kind.
fn all_records(backend: &impl VaultAdmin) -> Result<Vec<Found>> {
    let readable = damaged::readable(backend)?;
    damaged::warn(&readable.damaged, "not searched");
    let mut all: Vec<Found> = readable
        .credentials
        .into_iter()
        .map(Found::Credential)
        .collect();
    all.extend(
        readable
            .passkeys
            .into_iter()
            .map(|(id, p)| Found::Passkey(id, p)),
    );
    Ok(all)
}

/// The records whose texts contain `text`, ignoring case.
fn matching(all: Vec<Found>, text: &str) -> Vec<Found> {
    let needle = text.to_lowercase();
    all.into_iter()
        .filter(|f| {
            f.texts()
                .0
                .iter()
                .any(|t| t.to_lowercase().contains(&needle))
        })
        .collect()
}

/// The one record `query` (and `user`, when given) names; see the module's documentation.
pub(crate) fn resolve(backend: &impl VaultAdmin, query: &str, user: Option<&str>) -> Result<Found> {
    if query.is_empty() {
        bail!("the query is empty; give an ID or text in an origin, username or name");
    }
    let all = all_records(backend)?;
    if let Ok(id) = query.parse::<u64>() {
        return all
            .into_iter()
            .find(|f| f.record() == RecordId(id) && user.is_none_or(|u| f.username() == u))
            .ok_or_else(|| anyhow::anyhow!("there is no credential with ID {id}"));
    }
    let mut found = matching(all, query);
    if let Some(user) = user {
        found.retain(|f| f.username() == user);
    }
    let lower = query.to_lowercase();
    if found
        .iter()
        .any(|f| f.texts().1.iter().any(|t| t.to_lowercase() == lower))
    {
        found.retain(|f| f.texts().1.iter().any(|t| t.to_lowercase() == lower));
    }
    let for_user = user
        .map(|u| format!(" with username {u:?}"))
        .unwrap_or_default();
    match found.len() {
        0 => bail!("no credential matches {query:?}{for_user}"),
        1 => Ok(found.remove(0)),
        n => {
            let list: Vec<String> = found.iter().map(Found::describe).collect();
            bail!(
                "{query:?}{for_user} matches {n} credentials: {}; give an ID or a username",
                list.join(", ")
            )
        }
    }
}

/// `credwell get`.
pub(crate) fn get(global: &Global, args: &GetArgs, out: &mut impl Write) -> Result<()> {
    let backend = backend::open(global)?;
    get_in(&backend, args, out)
}

/// `credwell search`.
pub(crate) fn search(global: &Global, args: &SearchArgs, out: &mut impl Write) -> Result<()> {
    let backend = backend::open(global)?;
    search_in(&backend, global.json, args, out)
}

/// `credwell show`.
pub(crate) fn show(global: &Global, args: &ShowArgs, out: &mut impl Write) -> Result<()> {
    let backend = backend::open(global)?;
    show_in(&backend, global.json, args, out)
}

/// Prints only the asked-for field (and a newline), for scripts and pipes.
pub(crate) fn get_in(
    backend: &impl VaultAdmin,
    args: &GetArgs,
    out: &mut impl Write,
) -> Result<()> {
    let found = resolve(backend, &args.query, args.user.as_deref())?;
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
    backend: &impl VaultAdmin,
    json: bool,
    args: &SearchArgs,
    out: &mut impl Write,
) -> Result<()> {
    if args.text.is_empty() {
        bail!("the search text is empty");
    }
    let mut credentials = Vec::new();
    let mut passkeys = Vec::new();
    for found in matching(all_records(backend)?, &args.text) {
        match found {
            Found::Credential(c) => credentials.push(c),
            Found::Passkey(id, p) => passkeys.push((id, p)),
        }
    }
    list_readable(credentials, passkeys, None, json, plain_output(), out)
}

pub(crate) fn show_in(
    backend: &impl VaultAdmin,
    json: bool,
    args: &ShowArgs,
    out: &mut impl Write,
) -> Result<()> {
    let record = match resolve(backend, &args.query, None)? {
        Found::Credential(record) => record,
        Found::Passkey(id, passkey) => return show_passkey(id, &passkey, json, out),
    };
    if json {
        return print_json(out, &credential_json(&record, args.reveal));
    }
    let c = &record.credential;
    writeln!(out, "ID:       {}", record.record.0)?;
    writeln!(out, "Type:     {}", c.credential_type())?;
    writeln!(out, "Origin:   {}", c.origin())?;
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
    use credwell_admin::MemoryVault;
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
    fn search_matches_origins_usernames_and_names_in_any_case() {
        let b = vault(&ROWS);
        let search = |text: &str| {
            let mut out = Vec::new();
            search_in(&b, true, &SearchArgs { text: text.into() }, &mut out).unwrap();
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
