//! Work on many records at once on the machine's cores: opening a pulled page's records, and
//! the digests of the bodies a saved state leaves out. Each record's work is independent of the
//! others' (a decryption and a JSON parse, a JSON serialization and a hash).

/// Below this many records the work is done on one thread: starting another costs more than
/// it saves.
const PARALLEL_FROM: usize = 256;

/// `work` applied to contiguous runs of `items`, one per core (at most two: the work of one
/// sync is short), the results in item order: what the caller gets is what doing the items one
/// after the other gives, so the first failure in item order is still the one reported.
pub(super) fn in_runs<I: Sync, R: Send>(
    items: &[I],
    work: impl Fn(&[I]) -> Vec<R> + Sync,
) -> Vec<R> {
    // The count first: the machine's parallelism is read from the system (cgroup files, on
    // Linux) on every call, and most pages are small.
    if items.len() < PARALLEL_FROM {
        return work(items);
    }
    if std::thread::available_parallelism().map_or(1, usize::from) < 2 {
        return work(items);
    }
    let (first, second) = items.split_at(items.len() / 2);
    std::thread::scope(|scope| {
        let work = &work;
        // When no thread can be started, the second half is done here too.
        let other = std::thread::Builder::new().spawn_scoped(scope, move || work(second));
        let mut done = work(first);
        match other {
            Ok(thread) => match thread.join() {
                Ok(rest) => done.extend(rest),
                Err(panic) => std::panic::resume_unwind(panic),
            },
            Err(_) => done.extend(work(second)),
        }
        done
    })
}
