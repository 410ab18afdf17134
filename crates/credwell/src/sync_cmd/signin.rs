//! `credwell sync login` and `credwell sync passphrase`: signing a vault in to a sync account
//! with the sync passphrase (OPAQUE: the server never sees it, and checks a guess only at
//! Argon2id's cost), or through a join file.
//!
//! The sync passphrase is the account's, not a vault's: each device's vault keeps its own
//! passphrase (and changes it alone), and the server's OPAQUE record holds nothing about any
//! vault passphrase.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use credwell_admin::sync::SyncAccount;
use credwell_sync::client::http::{Enrolled, HttpTransport};
use credwell_sync::opaque::KsfParams;
use credwell_sync::{AccountId, AccountKey};
use serde_json::json;
use zeroize::Zeroizing;

use super::{signed_in, transport};
use crate::backend::{self, now};
use crate::global::Global;
use crate::input;
use crate::output::print_json;
use crate::secrets;

/// The environment variable naming a file that holds the sync passphrase.
pub(super) const SYNC_PASSPHRASE_FILE_ENV: &str = "CREDWELL_SYNC_PASSPHRASE_FILE";

/// Options of `credwell sync login`.
#[derive(Debug, clap::Args)]
pub(crate) struct LoginArgs {
    /// The server's URL, e.g. http://127.0.0.1:8845 (an https:// URL for a server beyond
    /// loopback).
    #[arg(long, value_name = "URL")]
    server: String,
    /// A private certificate authority (PEM) the `https://` server's certificate is checked
    /// against, beside the system's roots; kept with the account for every later sync (`-`:
    /// stdin).
    #[arg(long, value_name = "FILE")]
    ca: Option<PathBuf>,
    /// This device's name on the server.
    #[arg(long, default_value = "credwell", value_name = "NAME")]
    device_name: String,
    /// Join this existing account (its id, as the first device's login and `credwell sync
    /// status` print it) with the sync passphrase, instead of creating one. (Ids may start
    /// with `-`.)
    #[arg(
        long,
        value_name = "ID",
        conflicts_with = "join",
        allow_hyphen_values = true
    )]
    account: Option<String>,
    /// A file holding the sync passphrase (else it is asked on the terminal: twice for a new
    /// account).
    #[arg(long, env = SYNC_PASSPHRASE_FILE_ENV, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    /// Join the account a join file (from `credwell sync invite`) names, instead of creating
    /// one; the file is deleted once read (`-`: stdin).
    #[arg(long, value_name = "FILE")]
    join: Option<PathBuf>,
}

/// Options of `credwell sync passphrase`.
#[derive(Debug, clap::Args)]
pub(crate) struct PassphraseArgs {
    /// A file holding the new sync passphrase (else it is asked twice on the terminal).
    #[arg(long, env = SYNC_PASSPHRASE_FILE_ENV, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
}

/// The Argon2id cost of OPAQUE's key stretching: the release one, or the test-only one where
/// the build has it and the environment asks for it.
pub(super) fn ksf() -> Result<KsfParams> {
    Ok(KsfParams::current(false)?)
}

/// The sync passphrase: from `file`, else from the file `CREDWELL_SYNC_PASSPHRASE_FILE` names,
/// else asked once on the terminal.
pub(super) fn sync_passphrase(file: Option<&Path>) -> Result<secrets::Passphrase> {
    let from_env = std::env::var_os(SYNC_PASSPHRASE_FILE_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    let file = file.or(from_env.as_deref());
    secrets::existing_passphrase(file, "--passphrase-file", "Sync passphrase").with_context(|| {
        match file {
            Some(_) => "cannot read the sync passphrase".to_owned(),
            None => format!(
                "the sync passphrase is needed: a terminal to ask it on, or a file named by \
             --passphrase-file or {SYNC_PASSPHRASE_FILE_ENV}"
            ),
        }
    })
}

pub(crate) fn login(global: &Global, args: &LoginArgs, out: &mut impl Write) -> Result<()> {
    let vault = backend::open(global)?;
    if SyncAccount::load(&vault)?.is_some() {
        bail!("this vault is already signed in; `credwell sync logout` first");
    }
    let server = args.server.trim_end_matches('/').to_owned();
    let file = args.passphrase_file.as_deref();
    let ca = match &args.ca {
        Some(path) => Some(input::read_text(path, "--ca", "CA")?.as_str().to_owned()),
        None => None,
    };
    let ca_pem = ca.as_deref().map(str::as_bytes);
    let mut account = match (&args.join, &args.account) {
        (Some(path), _) => read_join_file(path, &server)?,
        (None, Some(id)) => {
            let id = AccountId::parse(id).context(
                "not an account id (22 characters, as `credwell sync status` prints it)",
            )?;
            let passphrase = sync_passphrase(file)?;
            let signed_in = HttpTransport::login_with_ca(
                &server,
                ca_pem,
                id,
                passphrase.as_bytes(),
                ksf()?,
                Some(&args.device_name),
            )
            .with_context(|| format!("cannot sign in to account {id}"))?;
            let enrolled = signed_in
                .enrolled
                .context("the server added no device for this sign-in")?;
            AccountKey::from_material(&signed_in.key)
                .context("the account key from the server is not a key")?;
            account_of(&server, enrolled, signed_in.key, ca.clone())
        }
        (None, None) => {
            let passphrase =
                secrets::new_passphrase(file, "--passphrase-file", "New sync passphrase")?;
            let ksf = ksf()?;
            let enrolled =
                HttpTransport::create_account_with_ca(&server, ca_pem, &args.device_name)
                    .context("cannot create an account on the server")?;
            let (key, _) = AccountKey::generate().context("no randomness")?;
            let account = account_of(&server, enrolled, key.material(), ca.clone());
            transport(&account)?
                .register(passphrase.as_bytes(), ksf, 0, key.version(), &account.key)
                .context("the account was created, but its sync passphrase was not registered")?;
            account
        }
    };
    if ca.is_some() {
        // A join file carries the inviter's CA; one given here replaces it.
        account.ca = ca;
    }
    account.save(&vault, now().0)?;
    let report = super::rotate::sync_again_while_changed(&vault, &account)
        .context("signed in, but the first sync failed; try `credwell sync now`")?;
    if global.json {
        let value = json!({
            "account": account.account.to_string(),
            "device": account.device.to_string(),
            "received": report.received.len(),
            "pushed": report.pushed,
        });
        return print_json(out, &value);
    }
    writeln!(
        out,
        "signed in to {} as device {} of account {}; first sync: {} received, {} pushed",
        account.server,
        account.device,
        account.account,
        report.received.len(),
        report.pushed
    )?;
    if args.join.is_none() && args.account.is_none() {
        writeln!(
            out,
            "other devices join with `credwell sync login --server {} --account {}` and the \
             sync passphrase",
            account.server, account.account
        )?;
    }
    Ok(())
}

fn account_of(
    server: &str,
    enrolled: Enrolled,
    key: Zeroizing<Vec<u8>>,
    ca: Option<String>,
) -> SyncAccount {
    SyncAccount {
        server: server.to_owned(),
        account: enrolled.account,
        device: enrolled.device,
        token: enrolled.token,
        key,
        ca,
    }
}

/// A join file (`-`: stdin) read, checked against `server` and deleted: it holds the account's
/// key, and is used once.
fn read_join_file(path: &Path, server: &str) -> Result<SyncAccount> {
    let name = input::name(path);
    let cannot = |e: &std::io::Error| format!("cannot read {name}: {e}");
    let bytes = input::read_bytes(path, "--join", u64::MAX, &cannot)?;
    let file = SyncAccount::from_json(&bytes)
        .ok()
        .with_context(|| format!("{name} is not a credwell join file"))?;
    if file.server != server {
        bail!("{name} joins the account on {}, not {server}", file.server);
    }
    // Stdin leaves nothing behind to delete.
    if !input::is_stdin(path) {
        std::fs::remove_file(path).with_context(|| format!("cannot delete {name}"))?;
    }
    Ok(file)
}

pub(crate) fn passphrase(
    global: &Global,
    args: &PassphraseArgs,
    out: &mut impl Write,
) -> Result<()> {
    let (_vault, account) = signed_in(global)?;
    let passphrase = secrets::new_passphrase(
        args.passphrase_file.as_deref(),
        "--passphrase-file",
        "New sync passphrase",
    )?;
    let version = account.account_key()?.version();
    transport(&account)?
        .register(
            passphrase.as_bytes(),
            ksf()?,
            version,
            version,
            &account.key,
        )
        .with_context(|| {
            format!(
                "the sync passphrase was not changed (if the account key was rotated by another \
                 device, run `credwell sync now` first: this device holds version {version})"
            )
        })?;
    writeln!(
        out,
        "the sync passphrase of account {} is changed: new devices join with it",
        account.account
    )?;
    Ok(())
}
