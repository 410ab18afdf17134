//! The checks a device makes on everything the server answers, before any of it is used.

use std::collections::HashSet;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{
    Client, Manifest, ManifestSeen, Sealed, State, SyncError, Transport, TransportError, parallel,
};
use crate::merge::{Body, Stamp, Version};
use crate::protocol::{PullReply, PushReply, PushRequest, Record};
use crate::{AccountId, AccountKey, RecordId, SealError};

/// A checked, opened version from a pull that the device has not seen yet.
pub(super) enum Opened<T> {
    /// A newer account manifest.
    Manifest(ManifestSeen),
    /// A newer version of a record: its id, revision, content and the key version it was
    /// sealed under.
    Record(RecordId, u64, Version<T>, u32),
}

/// Checks one page of a pull asked `since` the device's cursor, against the device's high-water
/// mark in `state`, and opens what it has not seen yet:
///
/// 1. The account's cursor is not below what the device has seen (else `RolledBack`).
/// 2. Records come in increasing revisions, above `since` and not above the reply's cursor
///    (else `Reordered`), each id once (else `Duplicated`); a page that says more follow ends
///    at its cursor.
/// 3. Each opens under the account key as the record, number and deletion flag it claims
///    (else `Tampered`; `KeyRotated` when it is sealed under a newer key than the device has)
///    and holds a version the device reads (else `Unreadable`).
/// 4. Each is either exactly the version the device saw last (a harmless repeat: skipped) or
///    newer in both revision and number; anything else is an older version (`Replayed`).
pub(super) fn page<T, X>(
    client: &Client<T, X>,
    state: &State<T>,
    since: u64,
    reply: &PullReply,
) -> Result<Vec<Opened<T>>, SyncError>
where
    T: Body + Serialize + DeserializeOwned,
    X: Transport,
{
    // 1.
    let high = state.high_water();
    if reply.cursor < since || (!reply.more && reply.cursor < high) {
        return Err(SyncError::RolledBack {
            seen: high.max(since),
            got: reply.cursor,
        });
    }
    // 2.
    let mut previous = since;
    let mut ids = HashSet::with_capacity(reply.records.len());
    for record in &reply.records {
        if !ids.insert(record.id) {
            return Err(SyncError::Duplicated { record: record.id });
        }
        if record.revision <= previous || record.revision > reply.cursor {
            return Err(SyncError::Reordered { record: record.id });
        }
        previous = record.revision;
    }
    if reply.more && (reply.records.is_empty() || previous != reply.cursor) {
        return Err(TransportError::Malformed(
            "a page that says more follow must end at its cursor".into(),
        )
        .into());
    }
    // 3 and 4.
    let manifest_id = client.manifest_id();
    let (key, account) = (&client.key, client.account);
    let checked = parallel::in_runs(&reply.records, |run| {
        run.iter()
            .map(|record| open_one(key, account, state, manifest_id, record))
            .collect()
    });
    let mut opened = Vec::with_capacity(reply.records.len());
    for one in checked {
        opened.extend(one?);
    }
    Ok(opened)
}

/// Steps 3 and 4 of [`page`] for one record: what it opens to, or `None` for the version the
/// device saw last.
fn open_one<T>(
    key: &AccountKey,
    account: AccountId,
    state: &State<T>,
    manifest_id: RecordId,
    record: &Record,
) -> Result<Option<Opened<T>>, SyncError>
where
    T: Body + Serialize + DeserializeOwned,
{
    let tampered = || SyncError::Tampered { record: record.id };
    let unreadable = || SyncError::Unreadable { record: record.id };
    let open = key
        .open(account, record.id, record.deleted, &record.sealed.0)
        .map_err(|e| match e {
            SealError::NewerKey { version } => SyncError::KeyRotated { version },
            _ => tampered(),
        })?;
    let (seen_revision, seen_number) = if record.id == manifest_id {
        (state.manifest.revision, state.manifest.number)
    } else {
        state
            .records
            .get(&record.id)
            .map_or((0, 0), |e| (e.revision, e.seen))
    };
    if (record.revision, open.number) == (seen_revision, seen_number) {
        return Ok(None);
    }
    if record.revision <= seen_revision || open.number <= seen_number {
        return Err(SyncError::Replayed {
            record: record.id,
            seen: seen_number,
            got: open.number,
        });
    }
    if record.id == manifest_id {
        let manifest: Manifest = serde_json::from_slice(&open.plain).map_err(|_| unreadable())?;
        return Ok(Some(Opened::Manifest(ManifestSeen {
            revision: record.revision,
            number: open.number,
            count: manifest.count,
            digest: manifest.digest,
            live: manifest.live,
        })));
    }
    let sealed: Sealed<T> = serde_json::from_slice(&open.plain).map_err(|_| unreadable())?;
    if sealed.b.is_none() != record.deleted {
        return Err(unreadable());
    }
    let version = Version {
        number: open.number,
        stamp: Stamp {
            modified: sealed.m,
            writer: sealed.w,
        },
        body: sealed.b,
    };
    Ok(Some(Opened::Record(
        record.id,
        record.revision,
        version,
        open.key_version,
    )))
}

/// Checks the answer to an accepted push: one revision per record pushed, consecutive, above
/// everything the device has seen (else the server went back: `RolledBack`), ending at the
/// account's new cursor.
pub(super) fn push_reply<T>(
    state: &State<T>,
    request: &PushRequest,
    reply: &PushReply,
) -> Result<(), SyncError> {
    let malformed = |what: &str| SyncError::Transport(TransportError::Malformed(what.into()));
    if reply.revisions.len() != request.records.len() {
        return Err(malformed("a push answer has not one revision per record"));
    }
    let high = state.high_water();
    let first = reply.revisions.first().copied().unwrap_or(0);
    if first <= high {
        return Err(SyncError::RolledBack {
            seen: high,
            got: first,
        });
    }
    let consecutive = reply.revisions.windows(2).all(|w| w[1] == w[0] + 1);
    if !consecutive || reply.revisions.last() != Some(&reply.cursor) {
        return Err(malformed(
            "a push answer's revisions are not consecutive up to its cursor",
        ));
    }
    Ok(())
}
