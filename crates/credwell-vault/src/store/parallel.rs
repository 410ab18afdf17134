//! Opening many rows at once on the machine's cores.
//!
//! Listing a large vault (an import's conflict detection, an agent's index) opens every record:
//! a decryption, a JSON parse and an origin parse each, independent of the other records'.
//! That work is split into contiguous runs of rows, one per core, and the results are put back
//! in row order: what the caller gets is exactly what opening the rows one after the other gives.

use super::Row;
use crate::VaultError;

/// Below this many rows, starting threads costs more than it saves.
const PARALLEL_FROM: usize = 1024;
/// At most this many threads, however many cores there are: the work is short and the
/// results are merged on one thread.
const MAX_THREADS: usize = 8;

/// `open` applied to every row, the results in row order.
pub(super) fn open_each<T: Send>(
    rows: &[Row],
    open: impl Fn(&Row) -> Result<T, VaultError> + Sync,
) -> Vec<Result<T, VaultError>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(MAX_THREADS);
    if threads < 2 || rows.len() < PARALLEL_FROM {
        return rows.iter().map(&open).collect();
    }
    let run = |part: &[Row]| part.iter().map(&open).collect::<Vec<_>>();
    let size = rows.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let mut parts = rows.chunks(size);
        let first = parts.next().unwrap_or_default();
        // A run whose thread cannot be started is opened here, after this thread's own.
        let started: Vec<_> = parts
            .map(|part| {
                std::thread::Builder::new()
                    .spawn_scoped(scope, move || run(part))
                    .map_err(|_| part)
            })
            .collect();
        let mut opened = run(first);
        opened.reserve(rows.len() - opened.len());
        for part in started {
            match part {
                Ok(thread) => match thread.join() {
                    Ok(results) => opened.extend(results),
                    Err(panic) => std::panic::resume_unwind(panic),
                },
                Err(part) => opened.extend(run(part)),
            }
        }
        opened
    })
}
