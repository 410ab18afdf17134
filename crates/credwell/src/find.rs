//! Finding credentials by what the user remembers: `credwell get`, `search` and `show`, and the
//! queries that `show`, `edit` and `rm` take in place of an ID.
//!
//! A query that is a number names the record with that ID. Any other text matches a credential
//! whose origin, host, username, display name, folder or custom field names (a passkey's RP ID,
//! user name or display name) contains it, ignoring case; when some of the matches equal the
//! text exactly (the host, the origin or the username), only those count. A query must match
//! exactly one record: several are an error that lists them, without their secrets.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};

use credwell_admin::Readable;
use credwell_admin::entry::{FieldLimits, algorithm_name, passkey_entry};
use credwell_core::{Credential, Extras, RecordId, StoredCredential, Timestamp};
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
use crate::totp::{self, Totp};

mod keys;

use keys::{Keys, ascii_query, unicode_origin};

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
    /// With `--field totp`: the code at this Unix time (seconds) instead of now.
    #[arg(long, value_name = "SECONDS")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) at: Option<u64>,
}

/// A field `credwell get` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Field {
    /// The password.
    Password,
    /// The username (a passkey's user name).
    Username,
    /// The current one-time code of its TOTP secret (RFC 6238).
    Totp,
    /// Its notes.
    Note,
}

/// Options of `credwell search`.
#[derive(Debug, Clone, Args, Serialize, Deserialize)]
pub(crate) struct SearchArgs {
    /// Text to find in origins, usernames, names, folders and custom field names
    /// (case-insensitive).
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
                let ascii = origin.to_string();
                let host = origin.host().unwrap_or_default();
                // An internationalised host is found in Unicode too (as `show` spells it): the
                // origin searched, the host matched exactly.
                let unicode = unicode_origin(&ascii, &host, origin);
                let unicode_host = unicode.as_ref().map(|(_, h)| h.as_str());
                let hosts = std::iter::once(host.as_str()).chain(unicode_host);
                let texts = [&ascii, c.credential.id(), c.credential.name()];
                let fields = c.extras.fields.iter().map(|f| f.name.as_str());
                let filed = std::iter::once(c.extras.folder.as_str())
                    .chain(fields)
                    .chain(unicode.as_ref().map(|(o, _)| o.as_str()));
                Keys::new(texts, filed, hosts)
            }
            Self::Passkey(_, p) => {
                let texts = [p.rp_id.as_str(), &p.user_name, &p.user_display_name];
                Keys::new(texts, std::iter::empty(), std::iter::empty())
            }
        }
    }

    fn username(&self) -> &str {
        match self {
            Self::Credential(c) => c.credential.id(),
            Self::Passkey(_, p) => &p.user_name,
        }
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
        let ascii = ascii_query(&needle);
        self.all()
            .zip(&self.keys)
            .filter(|(_, k)| k.contains(&needle) || ascii.as_ref().is_some_and(|a| k.contains(a)))
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
        let ascii = ascii_query(&lower).unwrap_or_default();
        let exact = |k: &Keys| k.is_exact(&lower) || (!ascii.is_empty() && k.is_exact(&ascii));
        if found.iter().any(|(_, k)| exact(k)) {
            found.retain(|(_, k)| exact(k));
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
    if args.at.is_some() && args.field != Field::Totp {
        bail!("--at applies only to --field totp");
    }
    match (args.field, &found) {
        (Field::Username, _) => writeln!(out, "{}", found.username())?,
        (Field::Totp, _) => {
            let totp = totp_of(&found)?;
            writeln!(out, "{}", totp.code_at(totp::unix_seconds(args.at)?))?;
        }
        (Field::Note, _) => {
            let notes = &extras_of(&found, "notes")?.notes;
            if notes.is_empty() {
                bail!("{} has no notes", found.describe());
            }
            writeln!(out, "{}", notes.expose())?;
        }
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

/// The extras of a found password credential; `wanted` names what the caller looks for.
fn extras_of<'a>(found: &Found<'a>, wanted: &str) -> Result<&'a Extras> {
    match found {
        Found::Credential(c) if matches!(c.credential, Credential::Password(_)) => Ok(&c.extras),
        Found::Credential(c) => bail!(
            "{} is a {} credential and has no {wanted}",
            found.describe(),
            c.credential.credential_type()
        ),
        Found::Passkey(..) => bail!("{} is a passkey and has no {wanted}", found.describe()),
    }
}

/// The TOTP generator of a found credential's stored secret. Errors name the credential and
/// what is wrong with the secret, never the secret.
fn totp_of(found: &Found<'_>) -> Result<Totp> {
    let secret = &extras_of(found, "TOTP secret")?.totp;
    if secret.is_empty() {
        bail!("{} has no TOTP secret", found.describe());
    }
    Totp::parse(secret.expose()).with_context(|| format!("the TOTP secret of {}", found.describe()))
}

/// `credwell totp ID|QUERY`: the current code of the TOTP secret stored with the credential the
/// query names.
pub(crate) fn totp_in(
    backend: &impl Backend,
    query: &str,
    at: Option<u64>,
    json: bool,
    out: &mut impl Write,
) -> Result<()> {
    let index = indexed(backend, "not searched")?;
    let found = index.resolve(query, None)?;
    totp::print(&totp_of(&found)?, at, json, out)
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
        let mut value = credential_json(record, args.reveal);
        if matches!(record.credential, Credential::Password(_)) {
            extras_json(&mut value, &record.extras, args.reveal);
        }
        return print_json(out, &value);
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
    show_extras(&record.extras, record.record, args.reveal, out)?;
    writeln!(out, "Created:  {}", record.created.to_iso8601_seconds())?;
    writeln!(out, "Updated:  {}", record.updated.to_iso8601_seconds())?;
    Ok(())
}

/// `show`'s lines for a credential's extras: the TOTP secret and hidden fields' values only
/// when `reveal`.
fn show_extras(extras: &Extras, id: RecordId, reveal: bool, out: &mut impl Write) -> Result<()> {
    if !extras.folder.is_empty() {
        writeln!(out, "Folder:   {}", extras.folder)?;
    }
    if extras.favorite {
        writeln!(out, "Favorite: yes")?;
    }
    if !extras.totp.is_empty() {
        if reveal {
            writeln!(out, "TOTP:     {}", extras.totp.expose())?;
        } else {
            writeln!(out, "TOTP:     {HIDDEN} (the code: credwell totp {})", id.0)?;
        }
    }
    for field in &extras.fields {
        let value = if field.hidden && !reveal {
            HIDDEN
        } else {
            field.value.expose()
        };
        writeln!(out, "Field:    {}: {value}", field.name)?;
    }
    let mut lines = extras.notes.expose().lines();
    if let Some(first) = lines.next() {
        writeln!(out, "Notes:    {first}")?;
        for line in lines {
            writeln!(out, "          {line}")?;
        }
    }
    Ok(())
}

/// `show --json`'s keys for a password credential's extras: `folder`, `favorite`, `notes`,
/// `hasTotp`, `fields` (`name`, `hidden`, and `value` unless hidden), and with `reveal` the
/// `totp` secret and hidden fields' values.
fn extras_json(value: &mut serde_json::Value, extras: &Extras, reveal: bool) {
    use serde_json::json;
    value["folder"] = json!(extras.folder);
    value["favorite"] = json!(extras.favorite);
    value["notes"] = json!(extras.notes.expose());
    value["hasTotp"] = json!(!extras.totp.is_empty());
    if reveal && !extras.totp.is_empty() {
        value["totp"] = json!(extras.totp.expose());
    }
    let fields: Vec<serde_json::Value> = extras
        .fields
        .iter()
        .map(|f| {
            let mut field = json!({"name": f.name, "hidden": f.hidden});
            if reveal || !f.hidden {
                field["value"] = json!(f.value.expose());
            }
            field
        })
        .collect();
    value["fields"] = json!(fields);
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
            at: None,
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
    fn an_internationalised_host_is_found_in_unicode_and_in_punycode() {
        let b = vault(&[
            ("https://xn--bcher-kva.example", "alice", "", "pw-buecher"),
            (
                "https://shop.xn--bcher-kva.example:8443",
                "bob",
                "",
                "pw-port",
            ),
            ("https://buecher.example", "carol", "", "pw-ascii"),
            // Cyrillic "раураl": a look-alike, shown in ASCII, found by its exact host only.
            (
                "https://xn--l-7sba6dbr.example",
                "mallory",
                "",
                "pw-lookalike",
            ),
        ]);
        let pw = Field::Password;
        let one = |q: &str, user| get(&b, q, user, pw).unwrap();
        for query in ["bücher", "BÜCHER", "büch", "xn--bcher-kva", "bu\u{308}cher"] {
            assert_eq!(one(query, Some("alice")), "pw-buecher\n", "{query}");
            let err = get(&b, query, None, pw).unwrap_err().to_string();
            assert!(err.contains("matches 2 credentials"), "{query}: {err}");
        }
        // The host exactly, in either spelling, wins over a host that only contains it.
        for query in ["bücher.example", "Bücher.Example", "xn--bcher-kva.example"] {
            assert_eq!(one(query, None), "pw-buecher\n", "{query}");
        }
        assert_eq!(one("https://shop.bücher.example:8443", None), "pw-port\n");
        assert_eq!(one("shop.bücher.example", None), "pw-port\n");
        assert_eq!(one("buecher", None), "pw-ascii\n");
        assert_eq!(one("раураl", None), "pw-lookalike\n");
        assert!(get(&b, "рау", None, pw).is_err());
        // search finds the same.
        let mut out = Vec::new();
        let args = SearchArgs {
            text: "bücher".into(),
        };
        search_in(&b, true, false, &args, &mut out).unwrap();
        let found: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(found.as_array().unwrap().len(), 2, "{found}");
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
        let search = |text: &str| search_ids(&b, text);
        assert_eq!(search("GITHUB"), ["alice", "bob", "carol"]);
        assert_eq!(search("bank"), ["dave"]);
        assert_eq!(search("LIC"), ["alice"]);
        assert_eq!(search("my b"), ["dave"]);
        assert!(search("nothing-here").is_empty());
    }

    /// RFC 6238's SHA-1 seed ("12345678901234567890") in base32, 8 digits: 94287082 at 59 s.
    const RFC_URI: &str =
        "otpauth://totp/Bank:dave?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Bank&digits=8";

    /// [`ROWS`], and dave's bank credential with extras.
    /// The ids `search --json TEXT` lists from `b`.
    fn search_ids(b: &MemoryVault, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        search_in(b, true, false, &SearchArgs { text: text.into() }, &mut out).unwrap();
        let list: serde_json::Value = serde_json::from_slice(&out).unwrap();
        list.as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect()
    }

    fn with_extras() -> MemoryVault {
        use credwell_admin::Change;
        use credwell_core::{CustomField, DatedCredential, SecretText};
        let b = vault(&ROWS[..3]);
        let credential = Credential::Password(PasswordCredential {
            id: "dave".into(),
            password: Password::new("pw-bank"),
            name: "My Bank".into(),
            icon_url: String::new(),
            origin: Origin::parse("https://bank.example").unwrap(),
        });
        let extras = Extras {
            notes: SecretText::new("first line\nsecond line"),
            totp: SecretText::new(RFC_URI),
            fields: vec![
                CustomField {
                    name: "Card PIN".into(),
                    value: SecretText::new("4711"),
                    hidden: true,
                },
                CustomField {
                    name: "Branch".into(),
                    value: SecretText::new("Main Street"),
                    hidden: false,
                },
            ],
            folder: "Finance/Private".into(),
            favorite: true,
        };
        let dated = DatedCredential {
            credential,
            created: Timestamp(0),
            updated: Timestamp(0),
            history: Vec::new(),
            extras,
        };
        b.apply_changes(vec![Change::AddDated(dated)], Timestamp(0), &mut || {})
            .unwrap();
        b
    }

    fn show(b: &MemoryVault, query: &str, json: bool, reveal: bool) -> String {
        let mut out = Vec::new();
        let args = ShowArgs {
            query: query.into(),
            reveal,
        };
        show_in(b, json, &args, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn show_prints_the_extras_and_their_secrets_only_when_revealed() {
        let b = with_extras();
        let text = show(&b, "bank", false, false);
        for line in [
            "Folder:   Finance/Private\n",
            "Favorite: yes\n",
            "TOTP:     ******** (the code: credwell totp 4)\n",
            "Field:    Card PIN: ********\n",
            "Field:    Branch: Main Street\n",
            "Notes:    first line\n          second line\n",
        ] {
            assert!(text.contains(line), "{line:?} in {text}");
        }
        assert!(
            !text.contains("GEZDGNBV") && !text.contains("4711"),
            "{text}"
        );
        let revealed = show(&b, "bank", false, true);
        assert!(
            revealed.contains(&format!("TOTP:     {RFC_URI}\n")),
            "{revealed}"
        );
        assert!(
            revealed.contains("Field:    Card PIN: 4711\n"),
            "{revealed}"
        );
        let json: serde_json::Value = serde_json::from_str(&show(&b, "bank", true, false)).unwrap();
        assert_eq!(json["folder"], "Finance/Private");
        assert_eq!(json["favorite"], true);
        assert_eq!(json["notes"], "first line\nsecond line");
        assert_eq!(json["hasTotp"], true);
        assert!(json.get("totp").is_none() && json.get("password").is_none());
        assert_eq!(
            json["fields"],
            serde_json::json!([{"name": "Card PIN", "hidden": true},
                {"name": "Branch", "hidden": false, "value": "Main Street"}])
        );
        let json: serde_json::Value = serde_json::from_str(&show(&b, "bank", true, true)).unwrap();
        assert_eq!(json["totp"], RFC_URI);
        assert_eq!(json["fields"][0]["value"], "4711");
        // A credential without extras shows none of these lines.
        let plain = show(&b, "carol", false, true);
        for label in ["Folder:", "Favorite:", "TOTP:", "Field:", "Notes:"] {
            assert!(!plain.contains(label), "{plain}");
        }
    }

    #[test]
    fn get_prints_the_note_or_the_totp_code_and_says_when_there_is_none() {
        let b = with_extras();
        let get_at = |query: &str, field, at| {
            let mut out = Vec::new();
            let args = GetArgs {
                query: query.into(),
                user: None,
                field,
                clipboard: false,
                clear_after: 45,
                at,
            };
            get_in(&b, &args, &mut out).map(|()| String::from_utf8(out).unwrap())
        };
        assert_eq!(
            get_at("bank", Field::Note, None).unwrap(),
            "first line\nsecond line\n"
        );
        assert_eq!(get_at("bank", Field::Totp, Some(59)).unwrap(), "94287082\n");
        assert_eq!(
            get_at("bank", Field::Totp, Some(1_111_111_109)).unwrap(),
            "07081804\n"
        );
        // Now: eight digits.
        let now = get_at("bank", Field::Totp, None).unwrap();
        assert!(
            now.len() == 9 && now.trim().bytes().all(|b| b.is_ascii_digit()),
            "{now}"
        );
        let err = get_at("carol", Field::Totp, None).unwrap_err().to_string();
        assert_eq!(
            err,
            "ID 3 (password, \"carol\" at https://gist.github.com) has no TOTP secret"
        );
        let err = get_at("carol", Field::Note, None).unwrap_err().to_string();
        assert!(err.ends_with("has no notes"), "{err}");
        let err = get_at("bank", Field::Password, Some(59))
            .unwrap_err()
            .to_string();
        assert_eq!(err, "--at applies only to --field totp");

        let totp = |query: &str, json| {
            let mut out = Vec::new();
            totp_in(&b, query, Some(59), json, &mut out).map(|()| String::from_utf8(out).unwrap())
        };
        assert_eq!(totp("4", false).unwrap(), "94287082\n");
        let json: serde_json::Value =
            serde_json::from_str(&totp("My Bank", true).unwrap()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "94287082", "period": 30, "remainingSeconds": 1})
        );
        assert!(
            totp("alice", false)
                .unwrap_err()
                .to_string()
                .ends_with("has no TOTP secret")
        );
    }

    #[test]
    fn a_damaged_totp_secret_is_named_without_quoting_it() {
        use credwell_admin::Change;
        use credwell_core::{DatedCredential, SecretText};
        let b = MemoryVault::default();
        let credential = Credential::Password(PasswordCredential {
            id: "erin".into(),
            password: Password::new("pw"),
            name: String::new(),
            icon_url: String::new(),
            origin: Origin::parse("https://otp.example").unwrap(),
        });
        let extras = Extras {
            totp: SecretText::new("otpauth://totp/x?secret=MFRGGZDFMZTWQ2LK&algorithm=MD5"),
            ..Extras::default()
        };
        let dated = DatedCredential {
            credential,
            created: Timestamp(0),
            updated: Timestamp(0),
            history: Vec::new(),
            extras,
        };
        b.apply_changes(vec![Change::AddDated(dated)], Timestamp(0), &mut || {})
            .unwrap();
        let mut out = Vec::new();
        let err = totp_in(&b, "erin", Some(59), false, &mut out).unwrap_err();
        let message = format!("{err:#}");
        assert!(
            message.starts_with("the TOTP secret of ID 1 (password"),
            "{message}"
        );
        assert!(message.contains("\"MD5\" is not SHA1"), "{message}");
        assert!(!message.contains("MFRGGZDF"), "{message}");
    }

    #[test]
    fn search_finds_folders_and_custom_field_names_but_never_their_values() {
        let b = with_extras();
        let search = |text: &str| search_ids(&b, text);
        assert_eq!(search("finance"), ["dave"]);
        assert_eq!(search("PRIVATE"), ["dave"]);
        assert_eq!(search("card pin"), ["dave"]);
        assert_eq!(search("branch"), ["dave"]);
        for value in ["4711", "main street", "second line", "gezdgnbv"] {
            assert!(search(value).is_empty(), "{value}");
        }
        // A folder's name is never an exact match: a query that is one still counts as a
        // substring, alongside the others it is in.
        let mut out = Vec::new();
        let args = GetArgs {
            query: "finance/private".into(),
            user: None,
            field: Field::Username,
            clipboard: false,
            clear_after: 45,
            at: None,
        };
        get_in(&b, &args, &mut out).unwrap();
        assert_eq!(out, b"dave\n");
    }
}
