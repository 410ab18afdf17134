//! `credwell sync ...`: the sync server, and this vault's side of sync.
//!
//! Nothing these commands print holds a credential field, a device token or the account key:
//! ids, counts, names and times only.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use credwell_admin::sync::SyncAccount;
use credwell_core::Timestamp;
use credwell_sync::client::http::HttpTransport;
use credwell_vault::Vault;
use serde_json::json;

use crate::backend::{self, now};
use crate::global::Global;
use crate::output::print_json;

mod rotate;
mod serve;
mod signin;

/// `credwell sync`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum SyncCommand {
    /// Runs a sync server (SQLite under the data directory by default, loopback only).
    Serve(serve::ServeArgs),
    /// Signs this vault in to a sync server: a new account with a new sync passphrase, an
    /// existing account (--account) with its sync passphrase, or (--join) the account of the
    /// device that wrote the join file with `credwell sync invite`.
    Login(signin::LoginArgs),
    /// Sets a new sync passphrase for the account (asked twice, or --passphrase-file): a new
    /// OPAQUE registration, the account key wrapped under its export key.
    Passphrase(signin::PassphraseArgs),
    /// Writes a join file for a new device (owner-only; it holds the new device's token and the
    /// account key: move it to the new device, `credwell sync login --join FILE` deletes it).
    Invite(InviteArgs),
    /// Syncs now: pulls, merges, pushes.
    Now,
    /// Shows whether and where this vault syncs, and what it holds (no server contact).
    Status,
    /// Lists the account's devices.
    Devices,
    /// Revokes a device of the account: its token stops working at once, and the account key
    /// is rotated (asks the sync passphrase) so that the device cannot read what comes after.
    Revoke(rotate::RevokeArgs),
    /// Signs this vault out (revoking this device on the server when it can be reached); the
    /// vault's records stay.
    Logout,
}

/// Options of `credwell sync invite`.
#[derive(Debug, clap::Args)]
pub(crate) struct InviteArgs {
    /// The new device's name.
    #[arg(long, value_name = "NAME")]
    device_name: String,
    /// The join file to write (must not exist).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// Runs a `credwell sync` command.
pub(crate) fn run(global: &Global, command: SyncCommand, out: &mut impl Write) -> Result<()> {
    match command {
        SyncCommand::Serve(args) => serve::serve(&args, out),
        SyncCommand::Login(args) => signin::login(global, &args, out),
        SyncCommand::Passphrase(args) => signin::passphrase(global, &args, out),
        SyncCommand::Invite(args) => invite(global, &args, out),
        SyncCommand::Now => sync_now(global, out),
        SyncCommand::Status => status(global, out),
        SyncCommand::Devices => devices(global, out),
        SyncCommand::Revoke(args) => rotate::revoke(global, &args, out),
        SyncCommand::Logout => logout(global, out),
    }
}

/// The vault and the account it is signed in to.
pub(super) fn signed_in(global: &Global) -> Result<(Vault, SyncAccount)> {
    let vault = backend::open(global)?;
    let account = SyncAccount::load(&vault)?
        .context("this vault is not signed in to a sync server; use `credwell sync login`")?;
    Ok((vault, account))
}

pub(super) fn transport(account: &SyncAccount) -> Result<HttpTransport> {
    Ok(HttpTransport::with_ca(
        &account.server,
        account.token.clone(),
        account.ca_pem(),
    )?)
}

fn invite(global: &Global, args: &InviteArgs, out: &mut impl Write) -> Result<()> {
    let (_vault, account) = signed_in(global)?;
    let enrolled = transport(&account)?
        .add_device(&args.device_name)
        .context("the server did not add the device")?;
    // The new device's own account: the inviter's server and key, its own id and token.
    let bytes = SyncAccount {
        server: account.server.clone(),
        account: enrolled.account,
        device: enrolled.device,
        token: enrolled.token,
        key: account.key.clone(),
        ca: account.ca.clone(),
    }
    .to_json()?;
    credwell_vault::owner_only::create_new_file(&args.out)
        .with_context(|| format!("cannot create {} (it must not exist)", args.out.display()))?;
    std::fs::write(&args.out, &*bytes)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    writeln!(
        out,
        "device {} added; {} holds its token and the account key: move it to the new device \
         and run `credwell sync login --server {} --join FILE` there",
        enrolled.device,
        args.out.display(),
        account.server
    )?;
    Ok(())
}

fn sync_now(global: &Global, out: &mut impl Write) -> Result<()> {
    let (vault, mut account) = signed_in(global)?;
    let (report, fetched) = rotate::sync_fetching_key(&vault, &mut account)?;
    if global.json {
        let value = json!({
            "received": report.received.len(),
            "pushed": report.pushed,
            "keyVersionFetched": fetched,
        });
        return print_json(out, &value);
    }
    if let Some(version) = fetched {
        writeln!(
            out,
            "the account key was rotated (a device was revoked): this device now has \
             version {version}"
        )?;
    }
    writeln!(
        out,
        "synced with {}: {} received, {} pushed",
        account.server,
        report.received.len(),
        report.pushed
    )?;
    Ok(())
}

fn status(global: &Global, out: &mut impl Write) -> Result<()> {
    let vault = backend::open(global)?;
    let Some(account) = SyncAccount::load(&vault)? else {
        if global.json {
            return print_json(out, &json!({"signedIn": false}));
        }
        writeln!(out, "not signed in to a sync server")?;
        return Ok(());
    };
    let client = account.client(&vault, transport(&account)?)?;
    let state = client.state();
    // Live records, whether their bodies are in the saved state or only in the vault.
    let records = state.records.values().filter(|e| e.live()).count();
    let pending = state.records.values().filter(|e| e.pending).count();
    if global.json {
        let value = json!({
            "signedIn": true,
            "server": account.server,
            "account": account.account.to_string(),
            "device": account.device.to_string(),
            "cursor": state.cursor,
            "records": records,
            "pending": pending,
            "keyVersion": client.key_version(),
        });
        return print_json(out, &value);
    }
    writeln!(out, "server:  {}", account.server)?;
    writeln!(out, "account: {}", account.account)?;
    writeln!(out, "device:  {}", account.device)?;
    writeln!(
        out,
        "synced:  {records} records up to revision {}",
        state.cursor
    )?;
    writeln!(out, "pending: {pending} changes not yet pushed")?;
    writeln!(
        out,
        "key:     account key version {} (one more at each revocation)",
        client.key_version()
    )?;
    Ok(())
}

fn devices(global: &Global, out: &mut impl Write) -> Result<()> {
    let (_vault, account) = signed_in(global)?;
    let devices = transport(&account)?.devices()?;
    let time = |ms: u64| Timestamp(ms).to_iso8601();
    if global.json {
        let list: Vec<_> = devices
            .iter()
            .map(|d| {
                json!({
                    "id": d.id.to_string(),
                    "name": d.name,
                    "joined": time(d.created),
                    "revoked": d.revoked.map(time),
                    "thisDevice": d.id == account.device,
                })
            })
            .collect();
        return print_json(out, &json!(list));
    }
    for d in &devices {
        let this = if d.id == account.device {
            " (this device)"
        } else {
            ""
        };
        let revoked = d
            .revoked
            .map(|r| format!(", revoked {}", time(r)))
            .unwrap_or_default();
        writeln!(
            out,
            "{}  {}{this}  joined {}{revoked}",
            d.id,
            d.name,
            time(d.created)
        )?;
    }
    Ok(())
}

fn logout(global: &Global, out: &mut impl Write) -> Result<()> {
    let (vault, account) = signed_in(global)?;
    let revoked = transport(&account)?.revoke(account.device);
    SyncAccount::remove(&vault, now().0)?;
    match revoked {
        Ok(()) => writeln!(
            out,
            "signed out; device {} revoked on the server",
            account.device
        )?,
        Err(e) => writeln!(
            out,
            "signed out here; the server could not revoke device {} ({e}): revoke it from \
             another device with `credwell sync revoke {}`",
            account.device, account.device
        )?,
    }
    Ok(())
}
