//! Records that fail to decrypt or verify: the commands that read many records name them and go
//! on (or, for an export, refuse unless told to skip them), never leave them out silently.

use anyhow::{Result, bail};
use credwell_admin::{Readable, VaultAdmin};
use credwell_core::{RecordId, StoredCredential};
use credwell_passkey::PasskeyRecord;

use crate::backend::Backend;

/// What to do about damaged records, said once for every command that reports them.
const ADVICE: &str = "restore the vault from a backup made with `credwell vault backup`, or \
                      remove them with `credwell rm ID` (`credwell vault check` lists them)";

/// `"records 3, 7"` or `"record 3"`.
fn named(ids: &[RecordId]) -> String {
    let list = ids
        .iter()
        .map(|id| id.0.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() == 1 {
        format!("record {list}")
    } else {
        format!("records {list}")
    }
}

/// Tells the user (through `backend`: on stderr) which records were `left_out` (e.g. "not
/// listed") because they are damaged.
pub(crate) fn warn(backend: &impl Backend, ids: &[RecordId], left_out: &str) {
    if let Some(warning) = warning(ids, left_out) {
        backend.warn(&warning);
    }
}

/// The warning [`warn`] gives, if any records are damaged.
pub(crate) fn warning(ids: &[RecordId], left_out: &str) -> Option<String> {
    (!ids.is_empty()).then(|| {
        format!(
            "{} {left_out}: damaged (fails to decrypt or verify: tampered with or corrupted); \
             {ADVICE}",
            named(ids)
        )
    })
}

/// Every credential and passkey that opens, and the ids of the damaged ones in record order.
pub(crate) fn readable(backend: &impl VaultAdmin) -> Result<Readable> {
    Ok(backend.readable()?)
}

/// The records an export writes, and the damaged ones it leaves out: with damaged records, an
/// error unless `skip_damaged` (then the export warns, [`warning`]).
pub(crate) fn for_export(
    backend: &impl Backend,
    skip_damaged: bool,
) -> Result<(Vec<StoredCredential>, Vec<PasskeyRecord>, Vec<RecordId>)> {
    let Readable {
        credentials,
        passkeys,
        damaged,
    } = readable(backend)?;
    if !damaged.is_empty() && !skip_damaged {
        bail!(
            "{} damaged (fails to decrypt or verify), nothing exported: pass --skip-damaged \
             to export the others; {ADVICE}",
            if damaged.len() == 1 {
                format!("{} is", named(&damaged))
            } else {
                format!("{} are", named(&damaged))
            }
        );
    }
    let passkeys = passkeys.into_iter().map(|(_, p)| p).collect();
    Ok((credentials, passkeys, damaged))
}
