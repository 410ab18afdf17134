//! Work on many records at once on the machine's cores: opening a pulled page's records, and
//! the digests of the bodies a saved state leaves out. Each record's work is independent of the
//! others' (a decryption and a JSON parse, a JSON serialization and a hash).

use credwell_par::Split;

/// How a sync's per-record work is split: threads from 256 records (below, starting one costs
/// more than it saves), and at most two: the work of one sync is short. Also the split of the
/// vault's side of a sync (credwell-admin), whose per-record work is as short.
pub const SPLIT: Split = Split {
    parallel_from: 256,
    max_threads: 2,
};

/// `work` applied to contiguous runs of `items`, one per core (at most two), the results in
/// item order (`credwell_par`): what the caller gets is what doing the items one after the
/// other gives, so the first failure in item order is still the one reported.
pub(super) fn in_runs<I: Sync, R: Send>(
    items: &[I],
    work: impl Fn(&[I]) -> Vec<R> + Sync,
) -> Vec<R> {
    credwell_par::in_runs(items, SPLIT, work)
}
