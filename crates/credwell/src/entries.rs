//! `credwell add`, `edit` and `rm`: the credentials one at a time.

use std::io::Write;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use credwell_admin::Change;
use credwell_core::{
    Credential, FederatedCredential, Origin, Password, PasswordCredential, RecordId,
    StoredCredential, normalize_provider,
};
use credwell_formats::web_origin;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::agent::{Request, Secret};
use crate::backend::{self, Backend, Target, now};
use crate::edit_extras::{ExtrasArgs, ExtrasEdit};
use crate::find::{self, Found};
use crate::generate::GenerateOptions;
use crate::global::Global;
use crate::input;
use crate::output::print_json;
use crate::secrets;

/// `credwell add password|federated`.
#[derive(Debug, Subcommand)]
pub(crate) enum AddCommand {
    /// Adds a username and password for a web origin.
    Password(AddPasswordArgs),
    /// Adds a federated sign-in: this account signs in to the origin through an identity
    /// provider.
    Federated(AddFederatedArgs),
}

/// Options of `credwell add password`.
#[derive(Debug, Args)]
pub(crate) struct AddPasswordArgs {
    /// The site: its origin or any URL on it.
    #[arg(long, value_name = "URL")]
    pub(crate) origin: String,
    /// The username (the credential's `id`).
    #[arg(long, value_name = "NAME")]
    pub(crate) username: String,
    /// Read the password from the first line of stdin instead of asking on the terminal.
    #[arg(long, conflicts_with = "generate")]
    pub(crate) password_stdin: bool,
    /// Generate the password (as `credwell generate` does, with its options) and print it.
    #[arg(long)]
    pub(crate) generate: bool,
    #[command(flatten)]
    pub(crate) generate_options: GenerateOptions,
    /// A display name for the account.
    #[arg(long, value_name = "N", default_value = "")]
    pub(crate) name: String,
    /// An avatar URL for the account.
    #[arg(long, value_name = "URL", default_value = "")]
    pub(crate) icon: String,
}

/// Options of `credwell add federated`.
#[derive(Debug, Clone, Args, Serialize, Deserialize)]
pub(crate) struct AddFederatedArgs {
    /// The site: its origin or any URL on it.
    #[arg(long, value_name = "URL")]
    pub(crate) origin: String,
    /// The account identifier at the provider.
    #[arg(long, value_name = "ID")]
    pub(crate) id: String,
    /// The identity provider (its origin is stored).
    #[arg(long, value_name = "URL")]
    pub(crate) provider: String,
    /// The sign-in protocol, e.g. `openidconnect`.
    #[arg(long, value_name = "P")]
    pub(crate) protocol: Option<String>,
    /// A display name for the account.
    #[arg(long, value_name = "N", default_value = "")]
    pub(crate) name: String,
    /// An avatar URL for the account.
    #[arg(long, value_name = "URL", default_value = "")]
    pub(crate) icon: String,
}

/// Options of `credwell edit`: at least one change (none is a usage error).
#[derive(Debug, Clone, Args, Serialize, Deserialize)]
#[command(group(
    clap::ArgGroup::new("change")
        .required(true)
        .multiple(true)
        .args([
            "username", "password_stdin", "name", "icon", "note", "note_file", "clear_note",
            "totp_file", "clear_totp", "fields", "hidden_fields", "remove_fields", "folder",
            "favorite", "no_favorite",
        ])
))]
pub(crate) struct EditArgs {
    /// The credential's ID, as `credwell list` shows it, or a query that matches only it.
    pub(crate) id: String,
    /// A new username (account id).
    #[arg(long, value_name = "NAME")]
    pub(crate) username: Option<String>,
    /// Read a new password from the first line of stdin.
    #[arg(long)]
    pub(crate) password_stdin: bool,
    /// A new display name (`""` clears it).
    #[arg(long, value_name = "N")]
    pub(crate) name: Option<String>,
    /// A new avatar URL (`""` clears it).
    #[arg(long, value_name = "URL")]
    pub(crate) icon: Option<String>,
    /// The note, TOTP secret, custom fields, folder and favourite mark: read and checked by the
    /// command line, which sends the agent what they amount to.
    #[command(flatten)]
    #[serde(skip)]
    pub(crate) extras: ExtrasArgs,
}

/// Options of `credwell rm`.
#[derive(Debug, Clone, Args, Serialize, Deserialize)]
pub(crate) struct RmArgs {
    /// The credential's ID, as `credwell list` shows it (or a damaged record's, as `list` and
    /// `vault check` name it), or a query that matches only it.
    pub(crate) id: String,
}

/// `credwell add`.
pub(crate) fn add(global: &Global, command: AddCommand, out: &mut impl Write) -> Result<()> {
    // What can be checked without the vault is checked before its passphrase is asked for, and
    // the vault passphrase is asked for before a new password.
    let json = global.json;
    let (new, print_password) = match command {
        AddCommand::Password(args) => {
            let origin = check_password_args(&args)?;
            let generated = args
                .generate
                .then(|| args.generate_options.generate())
                .transpose()?;
            if args.password_stdin {
                input::take_stdin("--password-stdin")?;
            }
            let target = backend::connect(global)?;
            let print_password = generated.is_some();
            let password = match generated {
                Some(generated) => generated.password,
                None => secrets::new_password(
                    args.password_stdin,
                    &format!("Password for {} at {origin}", args.username),
                )?,
            };
            let new = NewCredential::Password {
                origin: origin.to_string(),
                username: args.username,
                name: args.name,
                icon: args.icon,
                password: Secret::new(password.expose()),
            };
            return add_to(target, json, new, print_password, out);
        }
        AddCommand::Federated(args) => (NewCredential::Federated(args), false),
    };
    // A federated credential is checked before the vault is opened.
    new.clone().credential()?;
    add_to(backend::connect(global)?, json, new, print_password, out)
}

/// Adds `new` through the agent or to the vault unlocked here.
fn add_to(
    target: Target,
    json: bool,
    new: NewCredential,
    print_password: bool,
    out: &mut impl Write,
) -> Result<()> {
    match target {
        Target::Agent(agent) => agent.run(
            Request::Add {
                new,
                print_password,
                json,
            },
            out,
        ),
        Target::Local(vault) => add_in(&vault, json, new.credential()?, print_password, out),
    }
}

/// `credwell edit`.
pub(crate) fn edit(global: &Global, args: &EditArgs, out: &mut impl Write) -> Result<()> {
    let json = global.json;
    // Files read and values checked before the passphrase is asked for.
    let extras = args.extras.read(args.password_stdin)?;
    if args.password_stdin {
        input::take_stdin("--password-stdin")?;
    }
    match backend::connect(global)? {
        Target::Agent(agent) => {
            let password = if args.password_stdin {
                // Say that a federated credential has no password before reading one.
                agent.run(
                    Request::Editable {
                        id: args.id.clone(),
                    },
                    out,
                )?;
                Some(Secret::new(
                    secrets::new_password(true, "New password")?.expose(),
                ))
            } else {
                None
            };
            let args = Box::new(args.clone());
            agent.run(
                Request::Edit {
                    args,
                    password,
                    extras,
                    json,
                },
                out,
            )
        }
        Target::Local(vault) => {
            let password = if args.password_stdin {
                editable_with_password(&vault, &args.id)?;
                Some(secrets::new_password(true, "New password")?)
            } else {
                None
            };
            edit_in(&vault, json, args, password, &extras, out)
        }
    }
}

/// `credwell rm`.
pub(crate) fn rm(global: &Global, args: &RmArgs, out: &mut impl Write) -> Result<()> {
    let json = global.json;
    match backend::connect(global)? {
        Target::Agent(agent) => agent.run(
            Request::Rm {
                args: args.clone(),
                json,
            },
            out,
        ),
        Target::Local(vault) => rm_in(&vault, json, args, out),
    }
}

/// A credential `credwell add` makes, as the command line gave it (also to the agent).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum NewCredential {
    /// `add password`: the origin is already checked.
    Password {
        /// The origin.
        origin: String,
        /// The username.
        username: String,
        /// The display name.
        name: String,
        /// The avatar URL.
        icon: String,
        /// The password.
        password: Secret,
    },
    /// `add federated`.
    Federated(AddFederatedArgs),
}

impl NewCredential {
    /// The credential to store.
    pub(crate) fn credential(self) -> Result<Credential> {
        match self {
            Self::Password {
                origin,
                username,
                name,
                icon,
                password,
            } => Ok(Credential::Password(PasswordCredential {
                origin: parse_origin(&origin, "--origin")?,
                id: username,
                password: Password::new(password.expose()),
                name,
                icon_url: icon,
            })),
            Self::Federated(args) => new_federated_credential(args),
        }
    }
}

/// The password credential `query` names: an error for a federated one, before a new password
/// is read for it.
pub(crate) fn editable_with_password(backend: &impl Backend, query: &str) -> Result<()> {
    if let Credential::Federated(_) = editable(backend, query)?.credential {
        bail!("credential {query} is federated and has no password");
    }
    Ok(())
}

pub(crate) fn parse_origin(url: &str, flag: &str) -> Result<Origin> {
    web_origin(url).with_context(|| format!("{flag} {url:?} is not an http or https URL"))
}

/// The origin of `add password`, once its options are checked.
fn check_password_args(args: &AddPasswordArgs) -> Result<Origin> {
    let origin = parse_origin(&args.origin, "--origin")?;
    if args.username.is_empty() {
        bail!("--username must not be empty");
    }
    if !args.generate && args.generate_options.any_given() {
        bail!(
            "--length, --words, --separator and --no-* choose how --generate makes a password; \
             add --generate"
        );
    }
    Ok(origin)
}

fn new_federated_credential(args: AddFederatedArgs) -> Result<Credential> {
    let origin = parse_origin(&args.origin, "--origin")?;
    if args.id.is_empty() {
        bail!("--id must not be empty");
    }
    let provider = parse_origin(&args.provider, "--provider")?;
    Ok(Credential::Federated(FederatedCredential {
        id: args.id,
        provider: normalize_provider(&provider.to_string()),
        protocol: args.protocol.filter(|p| !p.is_empty()),
        name: args.name,
        icon_url: args.icon,
        origin,
    }))
}

/// The password or federated credential `query` names (an ID or a query).
fn editable(backend: &impl Backend, query: &str) -> Result<StoredCredential> {
    match find::indexed(backend, "not searched")?.resolve(query, None)? {
        Found::Credential(record) => Ok(record.clone()),
        Found::Passkey(id, _) => bail!(
            "ID {} is a passkey; `credwell edit` changes passwords and federated credentials",
            id.0
        ),
    }
}

/// A credential of the same kind, origin and account as `credential` other than `except`.
fn same_account<'a>(
    all: &'a [StoredCredential],
    credential: &Credential,
    except: Option<RecordId>,
) -> Option<&'a StoredCredential> {
    all.iter().find(|r| {
        Some(r.record) != except
            && r.credential.credential_type() == credential.credential_type()
            && r.credential.origin().same_origin(credential.origin())
            && r.credential.id() == credential.id()
            && match (&r.credential, credential) {
                (Credential::Federated(a), Credential::Federated(b)) => a.provider == b.provider,
                _ => true,
            }
    })
}

/// Adds `credential`; with `print_password` (a generated one) its password is printed too.
pub(crate) fn add_in(
    backend: &impl Backend,
    json: bool,
    credential: Credential,
    print_password: bool,
    out: &mut impl Write,
) -> Result<()> {
    if let Some(other) = same_account(&backend.all_credentials()?, &credential, None) {
        bail!(
            "{} already has a {} credential for {:?} (ID {}); change it with `credwell edit {}`",
            credential.origin(),
            credential.credential_type(),
            credential.id(),
            other.record.0,
            other.record.0
        );
    }
    let summary = format!(
        "{} credential for {:?} at {}",
        credential.credential_type(),
        credential.id(),
        credential.origin()
    );
    let password = match (&credential, print_password) {
        (Credential::Password(p), true) => Some(p.password.clone()),
        _ => None,
    };
    let record = backend.insert_credential(credential, now())?;
    if json {
        // `record`, as `list`, `show` and `search` call the record number (`id` is the user
        // name there).
        let mut value = json!({"record": record.0});
        if let Some(password) = &password {
            value["password"] = json!(password.expose());
        }
        return print_json(out, &value);
    }
    writeln!(out, "Added {summary} with ID {}.", record.0)?;
    if let Some(password) = &password {
        writeln!(out, "Password: {}", password.expose())?;
    }
    Ok(())
}

pub(crate) fn edit_in(
    backend: &impl Backend,
    json: bool,
    args: &EditArgs,
    password: Option<credwell_core::Password>,
    extras_edit: &ExtrasEdit,
    out: &mut impl Write,
) -> Result<()> {
    let record = editable(backend, &args.id)?;
    let id = record.record.0;
    let mut credential = record.credential;
    let mut extras = record.extras;
    match &mut credential {
        Credential::Password(p) => {
            if let Some(username) = &args.username {
                p.id.clone_from(username);
            }
            if let Some(password) = password {
                p.password = password;
            }
            if let Some(name) = &args.name {
                p.name.clone_from(name);
            }
            if let Some(icon) = &args.icon {
                p.icon_url.clone_from(icon);
            }
        }
        Credential::Federated(f) => {
            if password.is_some() {
                bail!("credential {} is federated and has no password", id);
            }
            if !extras_edit.is_empty() {
                bail!(
                    "credential {id} is federated; notes, TOTP secrets, custom fields, folders \
                     and favourite marks are kept with password credentials only"
                );
            }
            if let Some(username) = &args.username {
                f.id.clone_from(username);
            }
            if let Some(name) = &args.name {
                f.name.clone_from(name);
            }
            if let Some(icon) = &args.icon {
                f.icon_url.clone_from(icon);
            }
        }
        _ => bail!("credential {} cannot be edited by this version", id),
    }
    extras_edit.apply(id, &mut extras)?;
    if credential.id().is_empty() {
        bail!("--username must not be empty");
    }
    if let Some(other) = same_account(
        &backend.all_credentials()?,
        &credential,
        Some(record.record),
    ) {
        bail!(
            "{} already has a credential for {:?} (ID {})",
            credential.origin(),
            credential.id(),
            other.record.0
        );
    }
    if extras_edit.is_empty() {
        if !backend.replace_credential(record.record, credential, now())? {
            bail!("there is no credential with ID {}", id);
        }
    } else {
        let change = Change::UpdateWithExtras(record.record, credential, extras);
        backend.apply_changes(vec![change], now(), &mut || {})?;
    }
    if json {
        return print_json(out, &json!({"record": id, "updated": true}));
    }
    writeln!(out, "Updated credential {}.", id)?;
    Ok(())
}

pub(crate) fn rm_in(
    backend: &impl Backend,
    json: bool,
    args: &RmArgs,
    out: &mut impl Write,
) -> Result<()> {
    // A number is an ID, of a damaged record (one `vault check` names) too; other text a query.
    let id = match args.id.parse::<u64>() {
        Ok(id) => RecordId(id),
        Err(_) => match find::indexed(backend, "not searched")?.resolve(&args.id, None)? {
            Found::Credential(record) => record.record,
            Found::Passkey(id, _) => id,
        },
    };
    if !backend.delete_credential(id)?
        && !backend.delete_passkey_record(id)?
        && !backend.delete_damaged(id)?
    {
        bail!("there is no credential with ID {}", id.0);
    }
    if json {
        return print_json(out, &json!({"record": id.0, "removed": true}));
    }
    writeln!(out, "Removed credential {}.", id.0)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::{ListArgs, list_in};
    use crate::output::HIDDEN;
    use credwell_admin::{MemoryVault, VaultAdmin};
    use find::{ShowArgs, show_in};
    use serde_json::Value;

    fn password(origin: &str, user: &str, pw: &str) -> Credential {
        Credential::Password(PasswordCredential {
            id: user.into(),
            password: Password::new(pw),
            name: String::new(),
            icon_url: String::new(),
            origin: Origin::parse(origin).unwrap(),
        })
    }

    fn text(f: impl FnOnce(&mut Vec<u8>) -> Result<()>) -> Result<String> {
        let mut out = Vec::new();
        f(&mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn add_list_show_edit_rm() {
        let b = MemoryVault::default();
        text(|o| {
            add_in(
                &b,
                false,
                password("https://a.example", "alice", "s3cret!"),
                false,
                o,
            )
        })
        .unwrap();
        let dup = text(|o| {
            add_in(
                &b,
                false,
                password("https://a.example/x", "alice", "x"),
                false,
                o,
            )
        });
        assert!(dup.unwrap_err().to_string().contains("already has"));

        let listed = text(|o| list_in(&b, false, false, &ListArgs { origin: None }, o)).unwrap();
        assert!(
            listed.contains("alice") && listed.contains("https://a.example"),
            "{listed}"
        );
        assert!(!listed.contains("s3cret!"), "{listed}");
        let json = text(|o| list_in(&b, true, false, &ListArgs { origin: None }, o)).unwrap();
        let value: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value[0]["id"], "alice");
        assert!(value[0].get("password").is_none());
        let other = ListArgs {
            origin: Some("https://b.example".into()),
        };
        let none = text(|o| list_in(&b, true, false, &other, o)).unwrap();
        assert_eq!(serde_json::from_str::<Value>(&none).unwrap(), json!([]));

        let id = value[0]["record"].as_u64().unwrap();
        let hidden = text(|o| {
            show_in(
                &b,
                false,
                &ShowArgs {
                    query: id.to_string(),
                    reveal: false,
                },
                o,
            )
        })
        .unwrap();
        assert!(
            hidden.contains(HIDDEN) && !hidden.contains("s3cret!"),
            "{hidden}"
        );
        let shown = text(|o| {
            show_in(
                &b,
                true,
                &ShowArgs {
                    query: id.to_string(),
                    reveal: true,
                },
                o,
            )
        })
        .unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&shown).unwrap()["password"],
            "s3cret!"
        );

        let edit = EditArgs {
            id: id.to_string(),
            username: Some("alice2".into()),
            password_stdin: false,
            name: Some("Alice".into()),
            icon: None,
            extras: ExtrasArgs::default(),
        };
        let no_extras = ExtrasEdit::default();
        text(|o| edit_in(&b, false, &edit, Some(Password::new("new")), &no_extras, o)).unwrap();
        let record = b.credential(RecordId(id)).unwrap().unwrap();
        assert_eq!(record.credential.id(), "alice2");
        assert_eq!(record.credential.name(), "Alice");
        match record.credential {
            Credential::Password(p) => assert_eq!(p.password.expose(), "new"),
            other => panic!("{other:?}"),
        }

        text(|o| rm_in(&b, false, &RmArgs { id: id.to_string() }, o)).unwrap();
        let gone = text(|o| rm_in(&b, false, &RmArgs { id: id.to_string() }, o)).unwrap_err();
        assert_eq!(
            gone.to_string(),
            format!("there is no credential with ID {id}")
        );
        let gone = text(|o| {
            show_in(
                &b,
                false,
                &ShowArgs {
                    query: id.to_string(),
                    reveal: false,
                },
                o,
            )
        });
        assert!(gone.is_err());
    }

    #[test]
    fn federated_credentials() {
        let credential = new_federated_credential(AddFederatedArgs {
            origin: "https://rp.example/signin".into(),
            id: "alice@idp".into(),
            provider: "https://idp.example/path".into(),
            protocol: Some("openidconnect".into()),
            name: String::new(),
            icon: String::new(),
        })
        .unwrap();
        let b = MemoryVault::default();
        text(|o| add_in(&b, false, credential, false, o)).unwrap();
        let shown = text(|o| {
            show_in(
                &b,
                false,
                &ShowArgs {
                    query: "1".into(),
                    reveal: true,
                },
                o,
            )
        })
        .unwrap();
        assert!(shown.contains("Provider: https://idp.example\n"), "{shown}");
        let edit = EditArgs {
            id: "1".into(),
            username: None,
            password_stdin: true,
            name: None,
            icon: None,
            extras: ExtrasArgs::default(),
        };
        let none = ExtrasEdit::default();
        let err =
            text(|o| edit_in(&b, false, &edit, Some(Password::new("x")), &none, o)).unwrap_err();
        assert!(err.to_string().contains("federated"));
        let bad = new_federated_credential(AddFederatedArgs {
            origin: "android://x".into(),
            id: "a".into(),
            provider: "https://idp.example".into(),
            protocol: None,
            name: String::new(),
            icon: String::new(),
        });
        assert!(bad.unwrap_err().to_string().contains("--origin"));
    }
}
