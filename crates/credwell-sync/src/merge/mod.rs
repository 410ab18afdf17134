//! Merging two versions of one record: what a device does when its push is refused because
//! another device changed the same record first.
//!
//! The server cannot read records, so devices merge. The rule must give every device the same
//! answer whichever order it sees the versions in, or devices that edited the same record
//! offline would never agree:
//!
//! 1. The version with the later [`Stamp`] wins: the writer's clock when the change was made,
//!    then the writer's device id to break a tie (so two stamps are never equal unless they
//!    are the same change).
//! 2. A deletion is a version like any other, without a body (a tombstone): it wins over edits
//!    stamped before it, and loses to an edit stamped after it (which brings the record back).
//! 3. When both versions have a body, the loser is not dropped: the winner keeps what the user
//!    would want back from it ([`Body::keep_from`]: for a credential, the losing password goes
//!    into the winner's password history).
//! 4. The merged version's number is one above both, so it replaces both everywhere.
//!
//! Merging is symmetric (`merge(a, b)` and `merge(b, a)` have the same body and stamp) and
//! idempotent on content: merging a version with a copy of itself changes nothing but the
//! number, and [`Version::same_content`] tells a device it need not push.

use serde::{Deserialize, Serialize};

use crate::DeviceId;

/// When and by which device a version was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Stamp {
    /// The writer's clock, milliseconds since the Unix epoch. Devices' clocks may differ by
    /// hours: a device whose clock is behind loses ties it should have won, but every device
    /// still reaches the same state.
    pub modified: u64,
    /// The writer: breaks ties between equal clocks.
    pub writer: DeviceId,
}

/// What a record holds, as far as merging needs to know. `Send + Sync`: a device opens the
/// records of a pull on several threads.
pub trait Body: Clone + PartialEq + Send + Sync {
    /// Takes what is worth keeping from `loser`, a body that lost to this one; must give the
    /// same result for the same two bodies every time, and change nothing when `loser` has
    /// nothing this body lacks.
    fn keep_from(&mut self, loser: &Self);

    /// Whether the device's own store keeps this body exactly (a vault's credential, say), so
    /// that the state a device saves may leave it out and have it back from that store
    /// (`client::Client::restore`). `false` (the default): the saved state keeps it whole.
    fn kept_by_device(&self) -> bool {
        false
    }
}

/// One version of a record, as devices seal it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Version<T> {
    /// The record's version number: one above the versions it replaces. Bound into the sealed
    /// record, so a device that has seen number `n` refuses anything older (a replay).
    pub number: u64,
    /// When and by whom the change was made.
    pub stamp: Stamp,
    /// The content, or `None` for a deletion.
    pub body: Option<T>,
}

impl<T: Body> Version<T> {
    /// Whether `other` has the same stamp and body (its number may differ).
    pub fn same_content(&self, other: &Self) -> bool {
        self.stamp == other.stamp && self.body == other.body
    }
}

/// The version that replaces `a` and `b` (steps 1 to 4 of the module's rule).
pub fn merge<T: Body>(a: &Version<T>, b: &Version<T>) -> Version<T> {
    // 1-2. The later stamp wins, deletion or not.
    let (winner, loser) = if a.stamp >= b.stamp { (a, b) } else { (b, a) };
    let mut body = winner.body.clone();
    // 3. The winner keeps what is worth keeping of a losing body.
    if let (Some(body), Some(lost)) = (body.as_mut(), loser.body.as_ref()) {
        body.keep_from(lost);
    }
    // 4. Above both.
    Version {
        number: a.number.max(b.number).saturating_add(1),
        stamp: winner.stamp,
        body,
    }
}

#[cfg(test)]
pub(crate) mod tests;
