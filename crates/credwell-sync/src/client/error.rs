//! Why a sync failed, the server's lies named.

use super::{MAX_ATTEMPTS, TransportError};
use crate::{RecordId, SealError};

/// Why a sync failed. Nothing the server sent was applied when one of the server's lies is
/// named: the device's state stays as it was before the reply.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The server could not be asked.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A record does not open under the account key: altered, moved to another record or
    /// account, or flipped between deleted and present.
    #[error("the server sent record {record} altered (it does not open with the account key)")]
    Tampered {
        /// The record.
        record: RecordId,
    },
    /// A record older than the version this device has seen.
    #[error(
        "the server sent an older version of record {record} (version {got}, this device has \
         seen {seen}): a replay"
    )]
    Replayed {
        /// The record.
        record: RecordId,
        /// The version number the device has seen.
        seen: u64,
        /// The version number the server sent.
        got: u64,
    },
    /// The account is older than this device has seen it.
    #[error(
        "the server's account state is older than this device has seen (cursor {got}, seen \
         {seen}): it was rolled back"
    )]
    RolledBack {
        /// The cursor (or revision) the device has seen.
        seen: u64,
        /// What the server says now.
        got: u64,
    },
    /// After a complete pull the device's records differ from the account manifest.
    #[error(
        "the server left records out: this device holds {held} records whose versions do not \
         match the account manifest of {listed}"
    )]
    Dropped {
        /// How many records the device holds.
        held: u64,
        /// How many the manifest lists.
        listed: u64,
    },
    /// A reply's records are out of order or outside the range asked for.
    #[error("the server sent record {record} out of order")]
    Reordered {
        /// The first record out of order.
        record: RecordId,
    },
    /// A reply holds one record twice.
    #[error("the server sent record {record} twice in one answer")]
    Duplicated {
        /// The record.
        record: RecordId,
    },
    /// A record opens but is not a record this version of credwell reads.
    #[error("record {record} opens but cannot be read (written by a newer credwell?)")]
    Unreadable {
        /// The record.
        record: RecordId,
    },
    /// A record is sealed under a newer account key than this device holds: a device was
    /// revoked and the key rotated. The device needs the new key (a sign-in with the sync
    /// passphrase gives it) before it can sync again.
    #[error(
        "the account key was rotated to version {version} (a device was revoked); this device \
         needs the new key, which signing in with the sync passphrase gives"
    )]
    KeyRotated {
        /// The record's key version.
        version: u32,
    },
    /// A key given to the client is not a newer ring of this account's key.
    #[error("this key is not this account's key, or is older than the one in use")]
    NotThisAccountsKey,
    /// The device's saved state does not open with the account key.
    #[error("this device's saved sync state is damaged or belongs to another account")]
    StateDamaged,
    /// [`super::Client::sync`] was called before a body the saved state left out was given
    /// back ([`super::Client::restore`]) or replaced ([`super::Client::change`]).
    #[error("the content of synced record {record} was not given back after the client resumed")]
    Unrestored {
        /// The record.
        record: RecordId,
    },
    /// Other devices kept changing the same records: every push was refused.
    #[error("the push was refused {MAX_ATTEMPTS} times in a row; try again")]
    Busy,
    /// The system's random generator failed.
    #[error("the system's random generator failed")]
    Random,
}

impl From<SealError> for SyncError {
    fn from(_: SealError) -> Self {
        // Sealing fails only for want of randomness; opening errors are mapped where the
        // record is known.
        Self::Random
    }
}
