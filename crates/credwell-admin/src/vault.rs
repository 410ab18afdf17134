//! [`VaultAdmin`] over the encrypted vault. Its passkeys are read and written through
//! `credwell_passkey::vault`, the one place their payload is (de)serialized.

use credwell_core::{Credential, RecordId, StoredCredential, Timestamp};
use credwell_passkey::PasskeyRecord;
use credwell_passkey::vault::{from_stored, to_entry};
use credwell_vault::{Vault, VaultError};

use crate::{AdminResult, Change, Readable, VaultAdmin};

impl VaultAdmin for Vault {
    fn all_credentials(&self) -> AdminResult<Vec<StoredCredential>> {
        Ok(self.all()?)
    }

    fn credentials_page(
        &self,
        after: RecordId,
        limit: usize,
    ) -> AdminResult<Vec<StoredCredential>> {
        Ok(Vault::credentials_after(self, after, limit)?)
    }

    fn credential(&self, record: RecordId) -> AdminResult<Option<StoredCredential>> {
        Ok(self.get(record)?)
    }

    fn insert_credential(&self, credential: Credential, now: Timestamp) -> AdminResult<RecordId> {
        Ok(self.add_credential(&credential, now)?)
    }

    fn replace_credential(
        &self,
        record: RecordId,
        credential: Credential,
        now: Timestamp,
    ) -> AdminResult<bool> {
        Ok(self.update_credential(record, &credential, now)?)
    }

    fn delete_credential(&self, record: RecordId) -> AdminResult<bool> {
        match self.remove_credential(record) {
            // A record that no longer opens is removed all the same.
            Err(VaultError::Tampered(_)) => self.delete_damaged(record),
            other => Ok(other?),
        }
    }

    fn apply_changes(
        &self,
        changes: Vec<Change>,
        now: Timestamp,
        progress: &mut dyn FnMut(),
    ) -> AdminResult<()> {
        let changes = changes
            .into_iter()
            .map(|c| {
                Ok(match c {
                    Change::Add(c) => credwell_vault::Change::Add(c),
                    Change::Update(r, c) => credwell_vault::Change::Update(r, c),
                    Change::UpdateWithExtras(r, c, x) => {
                        credwell_vault::Change::UpdateWithExtras(r, c, x)
                    }
                    Change::AddDated(d) => credwell_vault::Change::AddDated(d),
                    Change::UpdateDated(r, d) => credwell_vault::Change::UpdateDated(r, d),
                    Change::AddPasskey(p) => credwell_vault::Change::AddPasskey(to_entry(&p)?),
                    Change::UpdatePasskey(p) => {
                        credwell_vault::Change::UpdatePasskey(to_entry(&p)?)
                    }
                })
            })
            .collect::<AdminResult<Vec<_>>>()?;
        self.apply(&changes, now, progress)?;
        Ok(())
    }

    fn passkey_records(&self) -> AdminResult<Vec<(RecordId, PasskeyRecord)>> {
        self.all_passkeys()?
            .iter()
            .map(|stored| Ok((stored.record, from_stored(stored)?)))
            .collect()
    }

    fn delete_passkey(&self, credential_id: &[u8]) -> AdminResult<bool> {
        Ok(self.remove_passkey(credential_id)?)
    }

    fn delete_passkey_record(&self, record: RecordId) -> AdminResult<bool> {
        let stored = match self.passkey_record(record) {
            Err(VaultError::Tampered(_)) => return self.delete_damaged(record),
            other => other?,
        };
        let Some(stored) = stored else {
            return Ok(false);
        };
        Ok(self.remove_passkey(&stored.entry.credential_id)?)
    }

    fn readable(&self) -> AdminResult<Readable> {
        let credentials = self.all_readable()?;
        let passkeys = self.all_passkeys_readable()?;
        let mut damaged = credentials.damaged;
        damaged.extend(passkeys.damaged);
        let mut readable = Vec::with_capacity(passkeys.items.len());
        for stored in &passkeys.items {
            // Sealed intact but not a passkey this build can read: damaged all the same.
            match from_stored(stored) {
                Ok(passkey) => readable.push((stored.record, passkey)),
                Err(_) => damaged.push(stored.record),
            }
        }
        damaged.sort_unstable();
        Ok(Readable {
            credentials: credentials.items,
            passkeys: readable,
            damaged,
        })
    }

    fn delete_damaged(&self, record: RecordId) -> AdminResult<bool> {
        match self.remove_damaged(record) {
            Err(VaultError::NotDamaged(_)) => Ok(false),
            other => Ok(other?),
        }
    }
}
