//! Looking after the file: counts ([`Vault::info`]), the full check ([`Vault::check`]), the
//! removal of a damaged record and backups.

use credwell_core::RecordId;
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{ROW_COLUMNS, Row, delete_row, passkey, read_row, sync, to_i64};
use crate::record::{self, RecordKind};
use crate::{CheckReport, Vault, VaultError, VaultInfo, hex};

impl Vault {
    /// Counts and parameters; nothing secret.
    pub fn info(&self) -> Result<VaultInfo, VaultError> {
        let conn = self.lock();
        let count = |kind: i64| -> Result<u64, VaultError> {
            let n: i64 = conn.query_row(
                "SELECT COUNT(*) FROM records WHERE kind = ?1",
                [kind],
                |r| r.get(0),
            )?;
            Ok(u64::try_from(n).unwrap_or(0))
        };
        let header = crate::schema::read_header(&conn, &self.path)?;
        let schema_version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        Ok(VaultInfo {
            path: self.path.clone(),
            format_version: header.format,
            schema_version,
            vault_id: hex(&self.vault_id),
            kdf: header.kdf,
            passwords: count(1)?,
            federated: count(2)?,
            origins_with_flags: count(3)?,
            passkeys: count(RecordKind::Passkey as i64)?,
            generation: self.read_state(&conn)?.generation,
        })
    }

    /// Decrypts and verifies every record, and the integrity accumulator. `progress` is called
    /// once per record with (done, total).
    pub fn check(&self, progress: &mut dyn FnMut(u64, u64)) -> Result<CheckReport, VaultError> {
        // A handle whose key was replaced would call every record damaged.
        if let VaultError::KeyChanged = self.stale_or(VaultError::IntegrityMismatch) {
            return Err(VaultError::KeyChanged);
        }
        let rows = self.query_rows("ORDER BY id", [])?;
        let total = rows.len() as u64;
        let mut report = CheckReport::default();
        for (done, row) in rows.iter().enumerate() {
            let verified = self.verifies(row);
            if verified {
                report.ok += 1;
            } else {
                report.tampered.push(row.meta.id);
            }
            progress(done as u64 + 1, total);
        }
        report.integrity_ok = self.integrity_matches()?;
        Ok(report)
    }

    /// Whether a row opens and holds what its kind says.
    fn verifies(&self, row: &Row) -> bool {
        match RecordKind::from_i64(row.meta.kind) {
            Some(RecordKind::OriginFlags) => self
                .open_row(row)
                .ok()
                .and_then(|p| record::decode_flags(&p))
                .is_some(),
            Some(RecordKind::Passkey) => self.open_row(row).is_ok_and(|p| passkey::verifies(&p)),
            Some(RecordKind::SyncValue) => {
                self.open_row(row).is_ok_and(|p| sync::decode(&p).is_some())
            }
            Some(kind) => self
                .open_row(row)
                .ok()
                .and_then(|p| record::decode_credential(&p, kind, None))
                .is_some(),
            None => false,
        }
    }

    /// Removes a record that fails to open or verify (one [`Vault::check`] reports), whatever
    /// its kind; `false` when there is no such record. A record that verifies is
    /// [`VaultError::NotDamaged`]: it is removed through [`Vault::remove_credential`] or
    /// [`Vault::remove_passkey`], which check what they remove.
    pub fn remove_damaged(&self, record: RecordId) -> Result<bool, VaultError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row = tx
            .query_row(
                &format!("SELECT {ROW_COLUMNS} FROM records WHERE id = ?1"),
                params![to_i64(record.0)],
                read_row,
            )
            .optional()?;
        let Some(row) = row else {
            return Ok(false);
        };
        if self.verifies(&row) {
            return Err(VaultError::NotDamaged(record.0));
        }
        let mut pending = self.begin_write(&tx)?;
        delete_row(&tx, row.meta.id)?;
        pending.toggle(self.integrity_term(&row.meta));
        self.finish_write(&tx, pending)?;
        tx.commit()?;
        Ok(true)
    }

    /// Writes a consistent copy of the (still encrypted) vault to `to`, which must not exist.
    ///
    /// The copy is created exclusively and, on Unix, owner-only, like [`Vault::create`]'s file;
    /// a copy that fails part-way is removed. Paths that are not valid UTF-8 are refused
    /// (`VACUUM INTO` takes the name as SQL text, and a lossy conversion would write elsewhere).
    pub fn backup(&self, to: &std::path::Path) -> Result<(), VaultError> {
        let Some(name) = to.to_str() else {
            return Err(VaultError::Io {
                path: to.to_owned(),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "a backup path must be valid UTF-8",
                ),
            });
        };
        crate::create_private_file(to)?;
        // `VACUUM INTO` accepts an empty existing file and keeps its mode.
        let conn = self.lock();
        conn.execute("VACUUM INTO ?1", params![name])
            .map(drop)
            .map_err(|e| {
                let _ = std::fs::remove_file(to);
                VaultError::from(e)
            })
    }
}
