//! Work on many rows at once on the machine's cores.
//!
//! Listing a large vault (an import's conflict detection, an agent's index) opens every record:
//! a decryption, a JSON parse and an origin parse each, independent of the other records'.
//! Writing many new records (a first sync) seals each and computes its blind indexes and
//! integrity term, independent of the others' too. That work is split into contiguous runs of
//! items, one per core, and the results are put back in item order: what the caller gets is
//! exactly what doing the items one after the other gives.

use super::Row;
use crate::VaultError;

/// Below this many items, starting threads costs more than it saves.
const PARALLEL_FROM: usize = 1024;
/// At most this many threads, however many cores there are: the work is short and the
/// results are merged on one thread.
const MAX_THREADS: usize = 8;

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
    // The count first: the machine's parallelism is read from the system (cgroup files, on
    // Linux) on every call, and a write calls this for each run of new rows between two other
    // changes, most of them empty: an import's 50,000 updates spent a third of their time there.
    if items.len() < PARALLEL_FROM {
        return work(items);
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(MAX_THREADS);
    if threads < 2 {
        return work(items);
    }
    let work = &work;
    let size = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let mut parts = items.chunks(size);
        let first = parts.next().unwrap_or_default();
        // A run whose thread cannot be started is done here, after this thread's own.
        let started: Vec<_> = parts
            .map(|part| {
                std::thread::Builder::new()
                    .spawn_scoped(scope, move || work(part))
                    .map_err(|_| part)
            })
            .collect();
        let mut done = work(first);
        done.reserve(items.len().saturating_sub(done.len()));
        for part in started {
            match part {
                Ok(thread) => match thread.join() {
                    Ok(results) => done.extend(results),
                    Err(panic) => std::panic::resume_unwind(panic),
                },
                Err(part) => done.extend(work(part)),
            }
        }
        done
    })
}
