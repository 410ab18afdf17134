//! # credwell-par
//!
//! Work on many independent items at once on the machine's cores: the items are split into
//! contiguous runs, one per thread, and the results are put back in item order, so what the
//! caller gets is exactly what doing the items one after the other gives (the first failure in
//! item order is still the first result that is one).
//!
//! The vault (opening stored records, sealing new rows) and the sync client (opening a pulled
//! page, the digests of a saved state) both do such work; neither depends on the other, so the
//! one implementation lives here, on the standard library alone. Each caller says, with a
//! [`Split`], from how many items threads are worth starting and how many at most.
//!
//! [`in_runs`] gives every result at once. [`streamed`] hands the results to the calling
//! thread chunk by chunk, in item order, while the other threads work on the next chunks: for
//! work whose results must then go through one thread (rows inserted into SQLite), which then
//! overlaps with the rest.

#[cfg(test)]
mod tests;

/// When work is split across threads, and across how many at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    /// Below this many items the work is done on the calling thread: starting threads costs
    /// more than it saves.
    pub parallel_from: usize,
    /// At most this many threads (the calling one included), however many cores there are;
    /// fewer than two means the calling thread alone.
    pub max_threads: usize,
}

/// `work` applied to contiguous runs of `items` (one per core, up to `split.max_threads`, or
/// all of them at once when there are fewer than `split.parallel_from` items or one core), each
/// run's results in item order, concatenated in run order. A run is the unit of per-thread
/// state (a batch of nonces, say). `work` must give one result per item for the results to
/// line up with the items.
///
/// The first run is done on the calling thread; a run whose thread cannot be started is done
/// there too, after it. A panic in a run is resumed on the calling thread once the runs before
/// it are joined.
pub fn in_runs<I: Sync, T: Send>(
    items: &[I],
    split: Split,
    work: impl Fn(&[I]) -> Vec<T> + Sync,
) -> Vec<T> {
    // The count first: the machine's parallelism is read from the system (cgroup files, on
    // Linux) on every call, and most calls have few items (a vault write calls this for each
    // run of new rows between two other changes, most of them empty: an import's 50,000
    // updates spent a third of their time there).
    if items.len() < split.parallel_from {
        return work(items);
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(split.max_threads);
    split_in(items, threads, work)
}

/// `work` applied to consecutive chunks of `chunk` items on up to `split.max_threads` threads
/// besides the calling one, and `take` called on the calling thread with each chunk's results,
/// in chunk order, as soon as that chunk is done: `take` works on the first chunks while the
/// threads work on the next. What `take` sees, and when it stops, is what one pass over the
/// items gives: every chunk's results in item order, until the first chunk `take` fails on,
/// whose error is returned (the threads then stop after their current chunk). With fewer than
/// `split.parallel_from` items, or one core, the calling thread does it all, chunk by chunk.
///
/// A chunk is the unit of per-thread state (a batch of nonces, say); thread `t` of `n` does
/// chunks `t`, `t + n`, and so on, so the threads take turns in chunk order. A thread that
/// cannot be started has its chunks done on the calling thread, when their turn comes. A panic
/// in a thread is resumed on the calling thread when it reaches that thread's chunk.
pub fn streamed<I: Sync, T: Send, E>(
    items: &[I],
    split: Split,
    chunk: usize,
    work: impl Fn(&[I]) -> Vec<T> + Sync,
    take: impl FnMut(Vec<T>) -> Result<(), E>,
) -> Result<(), E> {
    let threads = if items.len() < split.parallel_from {
        0
    } else {
        std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(split.max_threads)
    };
    stream_in(items, threads, chunk, work, take)
}

/// [`streamed`] once the number of threads is known: `threads` of them besides the calling
/// one (fewer than two: none).
fn stream_in<I: Sync, T: Send, E>(
    items: &[I],
    threads: usize,
    chunk: usize,
    work: impl Fn(&[I]) -> Vec<T> + Sync,
    mut take: impl FnMut(Vec<T>) -> Result<(), E>,
) -> Result<(), E> {
    let chunks: Vec<&[I]> = items.chunks(chunk.max(1)).collect();
    if threads < 2 {
        return chunks.into_iter().try_for_each(|part| take(work(part)));
    }
    let work = &work;
    let chunks = &chunks;
    std::thread::scope(|scope| {
        // One channel a thread; `None` for a thread that could not be started.
        let mut started: Vec<_> = (0..threads)
            .map(|t| {
                let (send, receive) = std::sync::mpsc::channel();
                std::thread::Builder::new()
                    .spawn_scoped(scope, move || {
                        for part in chunks.iter().skip(t).step_by(threads) {
                            // A closed channel: the calling thread stopped.
                            if send.send(work(part)).is_err() {
                                return;
                            }
                        }
                    })
                    .ok()
                    .map(|thread| (thread, receive))
            })
            .collect();
        for (n, part) in chunks.iter().enumerate() {
            let turn = &mut started[n % threads];
            let sent = turn.as_ref().map(|(_, receive)| receive.recv());
            let results = match sent {
                Some(Ok(results)) => results,
                // The thread ended without sending this chunk: it panicked.
                Some(Err(_)) => {
                    if let Some((thread, _)) = turn.take()
                        && let Err(panic) = thread.join()
                    {
                        std::panic::resume_unwind(panic);
                    }
                    work(part)
                }
                None => work(part),
            };
            take(results)?;
        }
        Ok(())
    })
}

/// [`in_runs`] once the number of threads is known: `threads` runs (fewer than two: one).
fn split_in<I: Sync, T: Send>(
    items: &[I],
    threads: usize,
    work: impl Fn(&[I]) -> Vec<T> + Sync,
) -> Vec<T> {
    if threads < 2 || items.is_empty() {
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
