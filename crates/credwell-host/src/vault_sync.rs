//! The vault's side of background sync: the account it is signed in to (`SyncAccount`, sealed
//! in the vault), read again for each sync and each long poll, so that nothing of the token
//! outlives them; the sync itself is `credwell_admin::sync`'s.

use credwell_admin::sync::{SyncAccount, VaultSyncError, sync_vault_generation};
use credwell_sync::client::SyncError;
use credwell_sync::client::http::HttpTransport;
use credwell_vault::Vault;

use crate::background_sync::{BackgroundSync, NoticeWait, SyncDone, SyncFailure};

/// A failure whose words are enough (they never hold a token, key or record).
fn failed(server: Option<&str>, error: &impl ToString) -> SyncFailure {
    SyncFailure::Failed {
        server: server.map(str::to_owned),
        message: error.to_string(),
    }
}

impl BackgroundSync for Vault {
    fn sync(&self, now: u64) -> Result<SyncDone, SyncFailure> {
        let account = SyncAccount::load(self)
            .map_err(|e| failed(None, &e))?
            .ok_or(SyncFailure::NotSignedIn)?;
        let server = account.server.as_str();
        let transport = HttpTransport::with_ca(server, account.token.clone(), account.ca_pem())
            .map_err(|e| failed(Some(server), &e))?;
        let mut client = account
            .client(self, transport)
            .map_err(|e| failed(Some(server), &e))?;
        match sync_vault_generation(self, &mut client, now) {
            Ok(synced) => Ok(SyncDone {
                server: server.to_owned(),
                received: synced.report.received.len(),
                pushed: synced.report.pushed,
                generation: synced.generation,
                // What the device has seen: the last pull's cursor, or its own push's after
                // (a push that succeeded had nothing of another device's before it: each push
                // carries the account manifest, and a push over a newer one is refused).
                cursor: client.state().cursor.max(client.state().manifest.revision),
            }),
            Err(VaultSyncError::VaultChanged) => Err(SyncFailure::VaultChanged),
            Err(VaultSyncError::Sync(SyncError::KeyRotated { .. })) => {
                Err(SyncFailure::KeyRotated {
                    server: server.to_owned(),
                })
            }
            Err(e) => Err(failed(Some(server), &e)),
        }
    }

    fn generation(&self) -> Option<u64> {
        Vault::generation(self).ok()
    }

    fn notice_waiter(&self) -> Option<NoticeWait> {
        let account = SyncAccount::load(self).ok()??;
        let (server, token, ca) = (
            account.server.clone(),
            account.token.clone(),
            account.ca.clone(),
        );
        drop(account);
        // The HTTP client is made, used and dropped on the waiting thread (a blocking client
        // must not be dropped on the runtime).
        Some(Box::new(move |since| {
            let ca = ca.as_deref().map(str::as_bytes);
            let transport =
                HttpTransport::with_ca(&server, token, ca).map_err(|e| e.to_string())?;
            transport.wait(since).map_err(|e| e.to_string())
        }))
    }
}
