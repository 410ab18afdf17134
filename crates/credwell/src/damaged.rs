//! Records that fail to decrypt or verify: the commands that read many records name them and go
//! on (or, for an export, refuse unless told to skip them), never leave them out silently.

use anyhow::{Result, bail};
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

/// Says on stderr which records were `left_out` (e.g. "not listed") because they are damaged.
pub(crate) fn warn(ids: &[RecordId], left_out: &str) {
    if !ids.is_empty() {
        eprintln!(
            "warning: {} {left_out}: damaged (fails to decrypt or verify: tampered with or \
             corrupted); {ADVICE}",
            named(ids)
        );
    }
}

/// Every credential and passkey that opens, and the ids of the damaged ones in record order.
pub(crate) struct Readable {
    /// The credentials that open.
    pub(crate) credentials: Vec<StoredCredential>,
    /// The passkeys that open, with their record ids.
    pub(crate) passkeys: Vec<(RecordId, PasskeyRecord)>,
    /// The records of either kind that do not.
    pub(crate) damaged: Vec<RecordId>,
}

/// Reads [`Readable`] from `backend`.
pub(crate) fn readable(backend: &impl Backend) -> Result<Readable> {
    let (credentials, mut damaged) = backend.all_readable()?;
    let (passkeys, damaged_passkeys) = backend.passkey_records_readable()?;
    damaged.extend(damaged_passkeys);
    damaged.sort_unstable();
    Ok(Readable {
        credentials,
        passkeys,
        damaged,
    })
}

/// The records an export writes: with damaged records, an error unless `skip_damaged` (then a
/// warning naming them).
pub(crate) fn for_export(
    backend: &impl Backend,
    skip_damaged: bool,
) -> Result<(Vec<StoredCredential>, Vec<PasskeyRecord>)> {
    let Readable {
        credentials,
        passkeys,
        damaged,
    } = readable(backend)?;
    if !damaged.is_empty() {
        if !skip_damaged {
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
        warn(&damaged, "not exported");
    }
    Ok((credentials, passkeys.into_iter().map(|(_, p)| p).collect()))
}
