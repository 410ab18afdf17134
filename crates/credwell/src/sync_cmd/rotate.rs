//! Rotating the account key when a device is revoked (`credwell sync revoke`), and fetching
//! the rotated key on the other devices (`credwell sync now`).
//!
//! The new key reaches the other devices wrapped under OPAQUE's export key, as a new
//! registration of the sync passphrase: a device gets it by signing in with the passphrase,
//! which the revoked device cannot do once the passphrase has changed, and whose new export key
//! it never had. Both ends need the sync passphrase: the revoking device to register the new
//! key, every other device once, on its next sync, to fetch it.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use credwell_admin::sync::{SyncAccount, VaultSyncError, sync_vault_retrying};
use credwell_sync::DeviceId;
use credwell_sync::client::http::HttpTransport;
use credwell_sync::client::{Report, SyncError, TransportError};
use credwell_vault::Vault;

use super::signin::{SYNC_PASSPHRASE_FILE_ENV, ksf, sync_passphrase};
use super::{signed_in, transport};
use crate::backend::now;
use crate::global::Global;
use crate::secrets;

/// Options of `credwell sync revoke`.
#[derive(Debug, clap::Args)]
pub(crate) struct RevokeArgs {
    /// The device's id (as `credwell sync devices` lists it; it may start with `-`).
    #[arg(allow_hyphen_values = true)]
    device: String,
    /// A file holding the sync passphrase (else it is asked on the terminal): the new account
    /// key is registered with it.
    #[arg(long, env = SYNC_PASSPHRASE_FILE_ENV, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    /// Also change the sync passphrase (asked twice): do, if the revoked device's user knows
    /// the current one, else they can sign in again with it.
    #[arg(long)]
    change_passphrase: bool,
    /// A file holding the new sync passphrase (implies --change-passphrase).
    #[arg(long, value_name = "FILE")]
    new_passphrase_file: Option<PathBuf>,
}

/// `credwell sync revoke DEVICE`:
///
/// 1. Sign in with the sync passphrase (no new device): it is right, and the server's copy of
///    the account key is at least as new as this device's (else this device takes it).
/// 2. Revoke the device: its token stops working.
/// 3. Sync under the current key, so that this device holds every record.
/// 4. Add a new version to the key ring and register the sync passphrase again (or the new
///    one) with the new ring wrapped under the new export key (a new registration, so a new
///    export key: one the revoked device never had), in place of the version step 1 found
///    (refused if another device changed it meanwhile: nothing is rotated then); then keep the
///    new ring in the vault (should that fail, the next sync fetches it back from the server).
/// 5. Sync: every record is sealed again under the new version and pushed.
pub(crate) fn revoke(global: &Global, args: &RevokeArgs, out: &mut impl Write) -> Result<()> {
    let (vault, mut account) = signed_in(global)?;
    let device = DeviceId::parse(&args.device)
        .context("not a device id (22 characters, as `credwell sync devices` lists them)")?;
    if device == account.device {
        bail!("that is this device: `credwell sync logout` signs it out");
    }
    let passphrase = sync_passphrase(args.passphrase_file.as_deref())?;
    let ksf = ksf()?;
    // 1.
    let current = HttpTransport::login_with_ca(
        &account.server,
        account.ca_pem(),
        account.account,
        passphrase.as_bytes(),
        ksf,
        None,
    )
    .context("the sync passphrase is needed to rotate the account key")?;
    let registered = if args.change_passphrase || args.new_passphrase_file.is_some() {
        secrets::new_passphrase(
            args.new_passphrase_file.as_deref(),
            "--new-passphrase-file",
            "New sync passphrase",
        )?
    } else {
        passphrase
    };
    if current.version > account.account_key()?.version() {
        account.key = current.key;
        account.update(&vault, now().0)?;
    }
    // 2.
    transport(&account)?.revoke(device)?;
    // 3.
    sync_again_while_changed(&vault, &account)
        .context("the device is revoked, but the sync before rotating the key failed")?;
    // 4.
    let rotated = account
        .account_key()?
        .rotated()
        .context("the account key cannot be rotated")?;
    let version = rotated.version();
    let material = rotated.material();
    transport(&account)?
        .register(
            registered.as_bytes(),
            ksf,
            current.version,
            version,
            &material,
        )
        .context(
            "the device is revoked, but the account key was not rotated (another device may \
             have changed it meanwhile): run `credwell sync revoke` again",
        )?;
    account.key = material;
    account.update(&vault, now().0)?;
    // 5.
    let report = sync_again_while_changed(&vault, &account).context(
        "the device is revoked and the account key rotated, but sealing the records again \
         failed: run `credwell sync now`",
    )?;
    writeln!(
        out,
        "device {device} revoked: its token no longer works. The account key is now version \
         {version}: {} records sealed again under it. Other devices ask for the sync \
         passphrase once, on their next sync.",
        report.pushed
    )?;
    Ok(())
}

/// One sync of `vault`; when the server holds records under a newer account key (another
/// device revoked one), signs in with the sync passphrase (asked, or from
/// `CREDWELL_SYNC_PASSPHRASE_FILE`) for the new key, keeps it, and syncs again. The report,
/// and the key version fetched if one was.
pub(crate) fn sync_fetching_key(
    vault: &Vault,
    account: &mut SyncAccount,
) -> Result<(Report, Option<u32>)> {
    let first = sync_again_while_changed(vault, account);
    let needed = match first {
        Err(VaultSyncError::Sync(SyncError::KeyRotated { version })) => version,
        other => return Ok((other.context("sync failed")?, None)),
    };
    let passphrase = sync_passphrase(None::<&Path>)?;
    let signed_in = HttpTransport::login_with_ca(
        &account.server,
        account.ca_pem(),
        account.account,
        passphrase.as_bytes(),
        ksf()?,
        None,
    )
    .with_context(|| format!("the account key was rotated to version {needed}"))?;
    if signed_in.version < needed {
        bail!(
            "records are sealed under account key version {needed}, but the server holds \
             version {}: on the device that revoked, run `credwell sync passphrase`",
            signed_in.version
        );
    }
    account.key = signed_in.key;
    account.account_key()?;
    account.update(vault, now().0)?;
    let report = sync_again_while_changed(vault, account).context("sync failed")?;
    Ok((report, Some(signed_in.version)))
}

/// One sync of `vault`, made again (pull, merge, push) when a write to the vault raced it, a
/// bounded number of times (`credwell_admin::sync::sync_vault_retrying`).
pub(crate) fn sync_again_while_changed(
    vault: &Vault,
    account: &SyncAccount,
) -> Result<Report, VaultSyncError> {
    let client = || {
        let transport =
            HttpTransport::with_ca(&account.server, account.token.clone(), account.ca_pem())
                .map_err(|e: TransportError| VaultSyncError::Sync(e.into()))?;
        account.client(vault, transport)
    };
    sync_vault_retrying(vault, client, || now().0)
}
