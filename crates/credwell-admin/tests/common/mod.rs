//! What the vault sync tests share: a link to an in-memory sync server and a device's client
//! from the state its vault saved.

// Each test file uses its own part of this module.
#![allow(dead_code)]

use credwell_admin::sync::{Item, VaultSyncError, sync_vault};
use credwell_sync::client::{Client, Pushed, Report, State, Transport, TransportError};
use credwell_sync::protocol::{PullReply, PushRequest};
use credwell_sync::testing::Shared;
use credwell_sync::{AccountId, AccountKey, DeviceId};
use credwell_vault::{KdfParams, Vault};

/// A device's link to the test sync server (an honest one, in memory); clones reach the same
/// server.
#[derive(Clone, Default)]
pub(crate) struct Server(Shared);

impl Server {
    /// `vault`'s sync at `now` as device `device` (its client from the state `vault` saved),
    /// through this server.
    pub(crate) fn sync(
        &self,
        vault: &Vault,
        device: u8,
        now: u64,
    ) -> Result<Report, VaultSyncError> {
        sync_vault(vault, &mut client(vault, device, self.clone()), now)
    }
}

impl Transport for Server {
    fn pull(&mut self, since: u64, limit: u32) -> Result<PullReply, TransportError> {
        self.0.pull(since, limit)
    }

    fn push(&mut self, request: &PushRequest) -> Result<Pushed, TransportError> {
        self.0.push(request)
    }
}

pub(crate) const ACCOUNT: AccountId = AccountId([7; 16]);

/// The account key every test device holds.
pub(crate) const KEY: [u8; 32] = [42; 32];

/// Device `device`'s client, from the state `vault` saved (none: a new device).
pub(crate) fn client<X: Transport>(vault: &Vault, device: u8, transport: X) -> Client<Item, X> {
    let key = AccountKey::from_bytes(&KEY);
    let device = DeviceId([device; 16]);
    match vault.sync_value("state").unwrap() {
        Some(saved) => Client::resume(ACCOUNT, device, key, transport, &saved).unwrap(),
        None => Client::new(ACCOUNT, device, key, transport, State::default()),
    }
}

/// A new vault `name` in `dir` (test key derivation).
pub(crate) fn new_vault(dir: &std::path::Path, name: &str) -> Vault {
    Vault::create(&dir.join(name), b"pass", KdfParams::INSECURE_FOR_TESTS).unwrap()
}

/// Two devices' new vaults, `a.sqlite` and `b.sqlite` in `dir`.
pub(crate) fn two_vaults(dir: &std::path::Path) -> (Vault, Vault) {
    (new_vault(dir, "a.sqlite"), new_vault(dir, "b.sqlite"))
}
