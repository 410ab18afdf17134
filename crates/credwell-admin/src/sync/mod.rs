//! Syncing a vault: its records as [`Item`]s through `credwell_sync::client`, and what the
//! device keeps in its vault for sync.
//!
//! The device keeps two sync values in its vault (sealed under the vault key, like every
//! record; `credwell_vault::Vault::sync_value`): `account` ([`SyncAccount`]: the server, the
//! account and device ids, the device token and the account key) and `state` (the client's
//! high-water mark and its copy of the records, sealed under the account key as well). The copy
//! leaves out every body the vault itself holds as it is (`Item`'s
//! `credwell_sync::merge::Body::kept_by_device`), keeping its digest; the next sync gives it
//! back from the vault's row (step 2).
//!
//! [`sync_vault`] does one sync:
//!
//! 1. Read every credential, passkey and origin's flags from the vault (flags equal to the
//!    defaults count as none) and give each its record id (keyed hash of its natural key).
//! 2. Give the client back the bodies its saved state left out, from the vault's rows
//!    (`restore_bodies`). Record the differences with the device's copy as changes: an item
//!    that differs is a change stamped with the row's last-change time; a record the copy has
//!    and the vault does not is a deletion stamped now.
//! 3. Sync (pull, merge, push: `credwell_sync::client::Client::sync`).
//! 4. Write to the vault what differs from the copy (credentials, passkeys and flags) and
//!    save the client's state (step 5), in one transaction made only if the vault's write
//!    generation is still the one read in step 1 (`credwell_vault::Vault::apply_if_generation`).
//!    If anything was written to the vault since step 1 (the host storing a credential, the
//!    command line), nothing is written: the write is not overwritten, and the sync fails with
//!    [`VaultSyncError::VaultChanged`]; the next sync reads it and pushes it.
//! 5. (In step 4's transaction.) Save the client's state in the vault: sealed on another
//!    thread while step 4's rows are made and written, and stored after them.
//!
//! A crash or a changed vault between 3 and 4 leaves the server ahead of the saved state: the
//! next sync pulls again from the saved cursor, and pushes again what it had pushed (its base
//! revisions are then stale: the server refuses, the client merges and retries). Nothing is
//! lost.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use credwell_core::{
    DatedCredential, Origin, OriginFlags, PastPassword, RecordId as VaultRecord, Timestamp,
};
use credwell_sync::client::{Client, Report, State, SyncError, Transport};
use credwell_sync::{AccountId, AccountKey, DeviceId, RecordId};
use credwell_vault::{Change, GuardedWrite, Vault, VaultError};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

mod item;

pub use item::{Item, ItemExtras, ItemField, Secret, SecretBytes};

/// The vault's sync value holding the device's account.
const ACCOUNT: &str = "account";
/// The vault's sync value holding the client's state.
const STATE: &str = "state";

/// Why syncing the vault failed. Never quotes a record, a token or a key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultSyncError {
    /// The vault failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// Sync failed (the server could not be reached, or lied: the error names how).
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// The vault is not signed in to a sync server.
    #[error("this vault is not signed in to a sync server (`credwell sync login`)")]
    NotSignedIn,
    /// The stored account cannot be read.
    #[error("the sync account stored in the vault cannot be read")]
    AccountDamaged,
    /// Something was written to the vault while it synced: nothing the server sent was
    /// written (so that write is not overwritten). Syncing again pushes it.
    #[error("the vault changed while it synced; nothing was written: sync again")]
    VaultChanged,
    /// [`sync_vault_retrying`]: the vault changed during every one of its attempts. Nothing
    /// of the last attempt was written; the writes that raced it are in the vault and the next
    /// sync pushes them.
    #[error(
        "the vault changed during each of {attempts} sync attempts (something keeps writing \
         to it); nothing of the last one was written: sync again when it is idle"
    )]
    VaultKeptChanging {
        /// How many attempts were made.
        attempts: u32,
    },
}

/// How many times [`sync_vault_retrying`] syncs while the vault keeps changing under it.
pub const VAULT_CHANGED_ATTEMPTS: u32 = 5;

/// What [`sync_vault_generation`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Synced {
    /// What the sync changed.
    pub report: Report,
    /// The vault's write generation right after the sync's own write
    /// (`credwell_vault::Vault::generation`): a later one means a later write.
    pub generation: u64,
}

/// The account a vault syncs with: kept in the vault, sealed under the vault key. `Debug`
/// shows neither the token nor the key.
pub struct SyncAccount {
    /// The server's base URL.
    pub server: String,
    /// The account.
    pub account: AccountId,
    /// This device.
    pub device: DeviceId,
    /// This device's token.
    pub token: Zeroizing<String>,
    /// The account key's bytes: every version's 32 bytes, oldest first
    /// (`credwell_sync::AccountKey::material`).
    pub key: Zeroizing<Vec<u8>>,
    /// A private certificate authority the server's `https://` certificate is checked against
    /// (PEM, `credwell sync login --ca`), beside the system's roots.
    pub ca: Option<String>,
}

impl SyncAccount {
    /// [`ca`](Self::ca) as bytes, as the HTTP transport takes it.
    pub fn ca_pem(&self) -> Option<&[u8]> {
        self.ca.as_deref().map(str::as_bytes)
    }
}

impl fmt::Debug for SyncAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncAccount")
            .field("server", &self.server)
            .field("account", &self.account)
            .field("device", &self.device)
            .finish_non_exhaustive()
    }
}

/// [`SyncAccount`] as stored.
#[derive(Serialize, Deserialize)]
struct Stored {
    server: String,
    account: AccountId,
    device: DeviceId,
    token: String,
    key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ca: Option<String>,
}

impl Drop for Stored {
    fn drop(&mut self) {
        self.token.zeroize();
        self.key.zeroize();
    }
}

impl SyncAccount {
    /// The account the vault is signed in to, if any.
    pub fn load(vault: &Vault) -> Result<Option<Self>, VaultSyncError> {
        let Some(bytes) = vault.sync_value(ACCOUNT)? else {
            return Ok(None);
        };
        Self::from_json(&bytes).map(Some)
    }

    /// The account from its JSON form ([`to_json`](Self::to_json)): what the vault stores, and
    /// what a join file carries to a new device.
    pub fn from_json(bytes: &[u8]) -> Result<Self, VaultSyncError> {
        let stored: Stored =
            serde_json::from_slice(bytes).map_err(|_| VaultSyncError::AccountDamaged)?;
        let key = Zeroizing::new(
            URL_SAFE_NO_PAD
                .decode(stored.key.as_bytes())
                .map_err(|_| VaultSyncError::AccountDamaged)?,
        );
        AccountKey::from_material(&key).map_err(|_| VaultSyncError::AccountDamaged)?;
        Ok(Self {
            server: stored.server.clone(),
            account: stored.account,
            device: stored.device,
            token: Zeroizing::new(stored.token.clone()),
            key,
            ca: stored.ca.clone(),
        })
    }

    /// The account's JSON form, token and key included (zeroized when dropped).
    pub fn to_json(&self) -> Result<Zeroizing<Vec<u8>>, VaultSyncError> {
        let stored = Stored {
            server: self.server.clone(),
            account: self.account,
            device: self.device,
            token: self.token.to_string(),
            key: URL_SAFE_NO_PAD.encode(&*self.key),
            ca: self.ca.clone(),
        };
        Ok(Zeroizing::new(
            serde_json::to_vec(&stored).map_err(|_| VaultSyncError::AccountDamaged)?,
        ))
    }

    /// Stores this account in the vault, with a fresh sync state (a device that signs in
    /// again starts over).
    pub fn save(&self, vault: &Vault, now: u64) -> Result<(), VaultSyncError> {
        let bytes = self.to_json()?;
        vault.set_sync_value(STATE, None, Timestamp(now))?;
        vault.set_sync_value(ACCOUNT, Some(&bytes), Timestamp(now))?;
        Ok(())
    }

    /// Stores this account in the vault in place of the one there, keeping the sync state (a
    /// rotated account key: the state stays sealed under its older version, which the new ring
    /// still opens).
    pub fn update(&self, vault: &Vault, now: u64) -> Result<(), VaultSyncError> {
        vault.set_sync_value(ACCOUNT, Some(&self.to_json()?), Timestamp(now))?;
        Ok(())
    }

    /// The account key ring.
    pub fn account_key(&self) -> Result<AccountKey, VaultSyncError> {
        AccountKey::from_material(&self.key).map_err(|_| VaultSyncError::AccountDamaged)
    }

    /// Forgets the account and the sync state (the vault's records stay).
    pub fn remove(vault: &Vault, now: u64) -> Result<(), VaultSyncError> {
        vault.set_sync_value(STATE, None, Timestamp(now))?;
        vault.set_sync_value(ACCOUNT, None, Timestamp(now))?;
        Ok(())
    }

    /// The client for this account over `transport`, from the state saved in `vault`.
    pub fn client<X: Transport>(
        &self,
        vault: &Vault,
        transport: X,
    ) -> Result<Client<Item, X>, VaultSyncError> {
        let key = self.account_key()?;
        Ok(match vault.sync_value(STATE)? {
            Some(saved) => Client::resume(self.account, self.device, key, transport, &saved)?,
            None => Client::new(self.account, self.device, key, transport, State::default()),
        })
    }
}

/// Where an item lives in this vault.
enum Place {
    Credential(VaultRecord),
    Passkey(Vec<u8>),
    Flags,
}

struct Local {
    item: Item,
    updated: u64,
    place: Place,
    /// The passwords the vault's row replaced, oldest first (credentials only).
    past: Vec<PastPassword>,
}

/// Step 1 of the module's steps: every record of the vault, by record id.
fn read_vault<X: Transport>(
    vault: &Vault,
    client: &Client<Item, X>,
) -> Result<BTreeMap<RecordId, Local>, VaultSyncError> {
    let mut all = Vec::new();
    for stored in vault.all()? {
        if let Some(item) = Item::of_credential(&stored.credential, &stored.extras) {
            let place = Place::Credential(stored.record);
            all.push((item, stored.updated.0, place, stored.history));
        }
    }
    for stored in vault.all_passkeys()? {
        let item = Item::of_passkey(&stored.entry);
        let place = Place::Passkey(stored.entry.credential_id);
        all.push((item, stored.updated, place, Vec::new()));
    }
    for stored in vault.all_flags()? {
        if stored.flags != OriginFlags::default() {
            let item = Item::of_flags(&stored.origin, stored.flags);
            all.push((item, stored.updated, Place::Flags, Vec::new()));
        }
    }
    let mut locals = BTreeMap::new();
    for (item, updated, place, past) in all {
        let (kind, key) = item.natural_key();
        let id = client.record_id(kind, &key);
        // Two rows of one natural key: the later one speaks for both.
        if locals.get(&id).is_some_and(|l: &Local| l.updated > updated) {
            continue;
        }
        locals.insert(
            id,
            Local {
                item,
                updated,
                place,
                past,
            },
        );
    }
    Ok(locals)
}

/// Gives `client` back the bodies its saved state left out ([`Client::restore`]), from the
/// vault's rows `locals`:
///
/// 1. The row's item as it is: the row is as the last sync left it.
/// 2. Else, for a password, the row's item with each password the vault's own history kept,
///    newest first: the row's password was changed since (the vault put the replaced one in
///    its history), so the change keeps the replaced password in the item's sync history, as
///    a change to a body kept whole does.
///
/// A body neither gives back (a row changed in more than its password, or gone) stays
/// missing: `Client::change` then records the row as a change, or its absence as a deletion,
/// without keeping the replaced password in the sync history (the vault's history has it).
fn restore_bodies<X: Transport>(client: &mut Client<Item, X>, locals: &BTreeMap<RecordId, Local>) {
    let missing: Vec<RecordId> = client
        .state()
        .records
        .iter()
        .filter(|(_, e)| e.is_missing())
        .map(|(id, _)| *id)
        .collect();
    for id in missing {
        let Some(local) = locals.get(&id) else {
            continue;
        };
        // 1.
        if client.restore(id, &local.item) {
            continue;
        }
        // 2.
        for past in local.past.iter().rev() {
            if let Some(base) = local.item.with_password(past.password.expose())
                && client.restore(id, &base)
            {
                break;
            }
        }
    }
}

/// Gives `client`, resumed from the state saved in `vault`, the bodies that state left out
/// (step 2 of the module's steps, without the changes): what [`Client::records`] then lists is
/// the device's whole copy.
pub fn restore_from_vault<X: Transport>(
    vault: &Vault,
    client: &mut Client<Item, X>,
) -> Result<(), VaultSyncError> {
    let locals = read_vault(vault, client)?;
    restore_bodies(client, &locals);
    Ok(())
}

/// One sync of `vault` through `client` at `now` (this device's clock, milliseconds since the
/// Unix epoch): steps 1 to 5 of the module's documentation.
pub fn sync_vault<X: Transport>(
    vault: &Vault,
    client: &mut Client<Item, X>,
    now: u64,
) -> Result<Report, VaultSyncError> {
    sync_vault_generation(vault, client, now).map(|synced| synced.report)
}

/// [`sync_vault`], again while a write to the vault races it:
///
/// 1. Make a client from the state saved in the vault (`client`: the last attempt saved
///    nothing, so each attempt starts from the last completed sync).
/// 2. Sync (`sync_vault` at `now()`): pull again, merge, push. Its pushes of a refused attempt
///    reached the server already; this pull brings them back and their stale copies are
///    refused and merged (the module's documentation), so nothing is pushed twice.
/// 3. If the vault changed meanwhile ([`VaultSyncError::VaultChanged`]), go back to 1, at most
///    [`VAULT_CHANGED_ATTEMPTS`] attempts in all; then fail with
///    [`VaultSyncError::VaultKeptChanging`]. Any other failure ends at once.
pub fn sync_vault_retrying<X: Transport>(
    vault: &Vault,
    mut client: impl FnMut() -> Result<Client<Item, X>, VaultSyncError>,
    mut now: impl FnMut() -> u64,
) -> Result<Report, VaultSyncError> {
    for _ in 0..VAULT_CHANGED_ATTEMPTS {
        // 1.
        let mut attempt = client()?;
        // 2. and 3.
        match sync_vault(vault, &mut attempt, now()) {
            Err(VaultSyncError::VaultChanged) => continue,
            done => return done,
        }
    }
    Err(VaultSyncError::VaultKeptChanging {
        attempts: VAULT_CHANGED_ATTEMPTS,
    })
}

/// [`sync_vault`], with the vault's write generation after the sync's own write (what a
/// background sync compares later generations with, to tell a new write).
pub fn sync_vault_generation<X: Transport>(
    vault: &Vault,
    client: &mut Client<Item, X>,
    now: u64,
) -> Result<Synced, VaultSyncError> {
    // 1. (The generation first: a write during the reads moves it.)
    let generation = vault.generation()?;
    let locals = read_vault(vault, client)?;
    // 2.
    restore_bodies(client, &locals);
    // Each record the copy holds: whether it is live, and its body when known.
    let synced: BTreeMap<RecordId, (bool, Option<Item>)> = client
        .state()
        .records
        .iter()
        .map(|(id, e)| (*id, (e.live(), e.version.body.clone())))
        .collect();
    for (id, local) in &locals {
        let item = match synced.get(id) {
            Some((_, Some(held))) => local.item.clone().with_history_of(held),
            _ => local.item.clone(),
        };
        client.change(*id, Some(item), local.updated);
    }
    for (id, (live, _)) in &synced {
        if *live && !locals.contains_key(id) {
            client.change(*id, None, now);
        }
    }
    // 3.
    let report = client.sync()?;
    // 4. and 5. The state is sealed on another thread while the changes are made and the
    // rows go in (one core inserts rows, and the sealing of rows leaves the other part idle);
    // the write stores it last, in the same transaction.
    let saving = client.saving();
    let written = std::thread::scope(|scope| {
        let sealed = scope.spawn(move || saving.save());
        let (changes, flags) = vault_changes(client, &locals, now);
        let state = || -> Result<_, VaultSyncError> {
            match sealed.join() {
                Ok(state) => Ok(Some(state?)),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        };
        let write = GuardedWrite {
            changes: &changes,
            flags: &flags,
            sync_value: Some((STATE, state)),
        };
        vault.apply_if_generation(generation, write, Timestamp(now))
    })?;
    match written {
        Some(generation) => Ok(Synced { report, generation }),
        None => Err(VaultSyncError::VaultChanged),
    }
}

/// Step 4: what to write where the vault differs from what the client holds. Each record's part
/// is its own (most of its time an origin parsed into a credential), so the records are taken
/// in runs on the machine's cores (`credwell_par`, split as the sync client's work), the
/// changes in record order, as one after the other gives them.
fn vault_changes<X: Transport>(
    client: &Client<Item, X>,
    locals: &BTreeMap<RecordId, Local>,
    now: u64,
) -> (Vec<Change>, Vec<(Origin, OriginFlags)>) {
    let records: Vec<_> = client.state().records.iter().collect();
    let parts = credwell_par::in_runs(&records, credwell_sync::client::SPLIT, |run| {
        run.iter()
            .map(|(id, entry)| record_changes(locals.get(*id), entry.version.body.as_ref(), now))
            .collect()
    });
    let mut changes = Vec::new();
    let mut flags = Vec::new();
    for (change, flag) in parts {
        changes.extend(change);
        flags.extend(flag);
    }
    (changes, flags)
}

/// One record's part of step 4, from what the vault holds for it (`local`) and what the client
/// holds (`wanted`, none: deleted): at most one change, and at most one origin's flags.
fn record_changes(
    local: Option<&Local>,
    wanted: Option<&Item>,
    now: u64,
) -> (Option<Change>, Option<(Origin, OriginFlags)>) {
    if let (Some(wanted), Some(local)) = (wanted, local)
        && wanted.same_in_vault(&local.item)
    {
        return (None, None);
    }
    // An item this vault cannot hold (an origin it does not parse) changes nothing here: only a
    // deletion removes.
    let change = match (local.map(|l| &l.place), wanted) {
        (Some(Place::Credential(record)), None) => Some(Change::Remove(*record)),
        (Some(Place::Credential(record)), Some(item)) => item
            .to_credential()
            .map(|credential| Change::UpdateWithExtras(*record, credential, item.to_extras())),
        (Some(Place::Passkey(id)), None) => Some(Change::RemovePasskey(id.clone())),
        (Some(Place::Passkey(_)), Some(item)) => item.to_passkey().map(Change::UpdatePasskey),
        (Some(Place::Flags) | None, _) => None,
    };
    let Some(wanted) = wanted else {
        let flags = match local {
            Some(Local {
                place: Place::Flags,
                item,
                ..
            }) => item
                .to_flags()
                .map(|(origin, _)| (origin, OriginFlags::default())),
            _ => None,
        };
        return (change, flags);
    };
    if let Some(pair) = wanted.to_flags() {
        return (change, Some(pair));
    }
    if local.is_some() {
        return (change, None);
    }
    let added = match wanted.to_credential() {
        Some(credential) => Some(Change::AddDated(DatedCredential {
            credential,
            created: Timestamp(now),
            updated: Timestamp(now),
            history: Vec::new(),
            extras: wanted.to_extras(),
        })),
        None => wanted.to_passkey().map(Change::AddPasskey),
    };
    (added, None)
}

#[cfg(test)]
mod tests {
    use credwell_vault::KdfParams;

    use super::*;

    #[test]
    fn the_account_is_kept_in_the_vault_and_never_shown() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::create(
            &dir.path().join("v.sqlite"),
            b"pass",
            KdfParams::INSECURE_FOR_TESTS,
        )
        .unwrap();
        assert!(SyncAccount::load(&vault).unwrap().is_none());
        let token = concat!(
            "cw1.AAAAAAAAAAAAAAAAAAAAAA.AQEBAQEBAQEBAQEBAQEBAQ.",
            "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXM"
        );
        let account = SyncAccount {
            server: "http://127.0.0.1:1".into(),
            account: AccountId([0; 16]),
            device: DeviceId([1; 16]),
            token: Zeroizing::new(token.into()),
            key: Zeroizing::new(vec![7; 32]),
            ca: None,
        };
        account.save(&vault, 1).unwrap();
        let back = SyncAccount::load(&vault).unwrap().unwrap();
        assert_eq!((back.token.as_str(), &back.key[..]), (token, &[7; 32][..]));
        let shown = format!("{back:?}");
        assert!(
            !shown.contains("c2VjcmV0") && !shown.contains("BwcH"),
            "{shown}"
        );
        // A rotated key (a ring of two) is kept in place, with the state.
        let rotated = SyncAccount {
            key: Zeroizing::new(vec![8; 64]),
            ..back
        };
        vault
            .set_sync_value(STATE, Some(b"state"), Timestamp(2))
            .unwrap();
        rotated.update(&vault, 2).unwrap();
        let back = SyncAccount::load(&vault).unwrap().unwrap();
        assert_eq!(
            (back.key.len(), back.account_key().unwrap().version()),
            (64, 2)
        );
        assert_eq!(
            vault.sync_value(STATE).unwrap().map(|v| v.to_vec()),
            Some(b"state".to_vec())
        );
        // A key that is not a ring does not load.
        let mut json = rotated.to_json().unwrap().to_vec();
        let at = json.windows(6).position(|w| w == b"\"key\":").unwrap();
        json.splice(at + 7..at + 9, Vec::new());
        assert!(matches!(
            SyncAccount::from_json(&json),
            Err(VaultSyncError::AccountDamaged)
        ));
        SyncAccount::remove(&vault, 2).unwrap();
        assert!(SyncAccount::load(&vault).unwrap().is_none());
    }
}
