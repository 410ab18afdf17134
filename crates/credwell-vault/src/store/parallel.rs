//! Work on many rows at once on the machine's cores.
//!
//! Listing a large vault (an import's conflict detection, an agent's index) opens every record:
//! a decryption, a JSON parse and an origin parse each, independent of the other records'.
//! Writing many new records (a first sync) seals each and computes its blind indexes and
//! integrity term, independent of the others' too. That work is split into contiguous runs of
//! items, one per core, and the results are put back in item order (`credwell_par`): what the
//! caller gets is exactly what doing the items one after the other gives.

use super::Row;
use crate::VaultError;
use credwell_par::Split;

/// Threads from 1024 items (below, starting them costs more than it saves), and at most 8
/// however many cores there are: the work is short and the results are merged on one thread.
const SPLIT: Split = Split {
    parallel_from: 1024,
    max_threads: 8,
};

/// `open` applied to every row, the results in row order.
pub(super) fn open_each<T: Send>(
    rows: &[Row],
    open: impl Fn(&Row) -> Result<T, VaultError> + Sync,
) -> Vec<Result<T, VaultError>> {
    each_run(rows, |run| run.iter().map(&open).collect())
}

/// `work` applied to contiguous runs of `items` (one per core, or all of them at once when
/// there are few items or one core), each run's results in item order, concatenated in run
/// order. A run is the unit of per-thread state (a batch of nonces). `work` must give one
/// result per item.
pub(super) fn each_run<I: Sync, T: Send>(
    items: &[I],
    work: impl Fn(&[I]) -> Vec<T> + Sync,
) -> Vec<T> {
    credwell_par::in_runs(items, SPLIT, work)
}

/// How many new rows are sealed together ([`streamed`]): one batch of nonces each.
const CHUNK: usize = crate::crypto::NONCE_BATCH;

/// `work` applied to chunks of `items` on the machine's cores, and `take` called on this
/// thread with each chunk's results in item order as soon as it is done, while the next
/// chunks are worked on (`credwell_par::streamed`); the first error `take` returns ends it.
pub(super) fn streamed<I: Sync, T: Send, E>(
    items: &[I],
    work: impl Fn(&[I]) -> Vec<T> + Sync,
    take: impl FnMut(Vec<T>) -> Result<(), E>,
) -> Result<(), E> {
    credwell_par::streamed(items, SPLIT, CHUNK, work, take)
}
