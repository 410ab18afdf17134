//! The runs give what one pass over the items gives, in item order, whatever the split.

use super::{Split, in_runs, split_in, stream_in, streamed};
use std::sync::Mutex;
use std::thread::ThreadId;

/// Each item's square, and which threads did the work (one entry a run).
fn squares(items: &[u64], threads: usize) -> (Vec<u64>, Vec<ThreadId>) {
    let seen = Mutex::new(Vec::new());
    let out = split_in(items, threads, |run| {
        seen.lock()
            .expect("no run panics")
            .push(std::thread::current().id());
        run.iter().map(|n| n * n).collect()
    });
    (out, seen.into_inner().expect("no run panics"))
}

#[test]
fn results_are_in_item_order_for_every_count_of_threads() {
    // Counts that do and do not divide evenly, and fewer items than threads.
    for len in [1_u64, 2, 3, 7, 8, 9, 1000, 1001] {
        let items: Vec<u64> = (0..len).collect();
        let expected: Vec<u64> = items.iter().map(|n| n * n).collect();
        for threads in 2..=9 {
            let (out, runs) = squares(&items, threads);
            assert_eq!(out, expected, "{len} items on {threads} threads");
            // Never more runs than threads, and more than one as soon as there are two items.
            assert!(
                runs.len() <= threads,
                "{len} items on {threads} threads: {runs:?}"
            );
            assert_eq!(runs.len() > 1, len > 1, "{len} items on {threads} threads");
        }
    }
}

#[test]
fn several_threads_do_the_runs() {
    let items: Vec<u64> = (0..100).collect();
    let (_, runs) = squares(&items, 4);
    assert_eq!(runs.len(), 4);
    let here = std::thread::current().id();
    assert_eq!(runs.iter().filter(|id| **id == here).count(), 1, "{runs:?}");
}

#[test]
fn one_thread_or_no_items_is_one_run_here() {
    let here = std::thread::current().id();
    for threads in [0, 1] {
        let (out, runs) = squares(&[1, 2, 3], threads);
        assert_eq!(out, [1, 4, 9]);
        assert_eq!(runs, [here]);
    }
    let (out, runs) = squares(&[], 4);
    assert!(out.is_empty());
    assert_eq!(runs, [here]);
}

/// Threads from `parallel_from` items, up to 8.
fn threads_from(parallel_from: usize) -> Split {
    Split {
        parallel_from,
        max_threads: 8,
    }
}

#[test]
fn few_items_are_one_run_on_the_calling_thread() {
    let items: Vec<u64> = (0..63).collect();
    let seen = Mutex::new(Vec::new());
    let out = in_runs(&items, threads_from(64), |run| {
        seen.lock()
            .expect("no run panics")
            .push((std::thread::current().id(), run.len()));
        run.to_vec()
    });
    assert_eq!(out, items);
    assert_eq!(
        seen.into_inner().expect("no run panics"),
        [(std::thread::current().id(), 63)]
    );
}

#[test]
fn many_items_give_what_one_pass_gives() {
    let items: Vec<u64> = (0..10_001).collect();
    let out = in_runs(&items, threads_from(16), |run| {
        run.iter().map(|n| n * 3).collect()
    });
    assert_eq!(out, items.iter().map(|n| n * 3).collect::<Vec<_>>());
}

#[test]
fn the_first_failure_in_item_order_comes_first() {
    // Every run has a failure; the one of the lowest item is the first `Err` whatever run
    // finishes first.
    let items: Vec<u32> = (0..40).collect();
    let out = split_in(&items, 4, |run| {
        run.iter()
            .map(|&n| if n % 7 == 6 { Err(n) } else { Ok(n) })
            .collect()
    });
    assert_eq!(out.len(), 40);
    assert_eq!(out.iter().find_map(|r| r.err()), Some(6));
    assert_eq!(out[13], Err(13));
}

/// A panic in a run, the calling thread's own (item 0) or another thread's (item 33), reaches
/// the caller with its message.
#[test]
fn a_panic_in_a_run_reaches_the_caller() {
    let items: Vec<u32> = (0..40).collect();
    for refused in [0, 33] {
        let panicked = std::panic::catch_unwind(|| {
            split_in(&items, 4, |run| {
                assert!(!run.contains(&refused), "item {refused} refused");
                run.to_vec()
            })
        })
        .expect_err("the run with the refused item panics");
        let message = panicked.downcast_ref::<String>().map(String::as_str);
        assert_eq!(message, Some(format!("item {refused} refused").as_str()));
    }
}

/// What [`stream_in`] hands the caller, chunk by chunk, and which threads did the work.
fn streamed_squares(items: &[u64], threads: usize, chunk: usize) -> (Vec<Vec<u64>>, Vec<ThreadId>) {
    let seen = Mutex::new(Vec::new());
    let mut taken = Vec::new();
    let done: Result<(), ()> = stream_in(
        items,
        threads,
        chunk,
        |part| {
            seen.lock()
                .expect("no chunk panics")
                .push(std::thread::current().id());
            part.iter().map(|n| n * n).collect()
        },
        |results| {
            taken.push(results);
            Ok(())
        },
    );
    assert_eq!(done, Ok(()));
    (taken, seen.into_inner().expect("no chunk panics"))
}

#[test]
fn streamed_chunks_reach_the_caller_in_item_order_for_every_count_of_threads() {
    for len in [0_u64, 1, 2, 7, 128, 129, 1000] {
        let items: Vec<u64> = (0..len).collect();
        for chunk in [1, 3, 128] {
            let expected: Vec<Vec<u64>> = items
                .chunks(chunk)
                .map(|part| part.iter().map(|n| n * n).collect())
                .collect();
            for threads in 0..=4 {
                let (taken, workers) = streamed_squares(&items, threads, chunk);
                assert_eq!(
                    taken, expected,
                    "{len} items, chunks of {chunk}, {threads} threads"
                );
                let here = std::thread::current().id();
                let elsewhere = workers.iter().filter(|id| **id != here).count();
                if threads < 2 {
                    assert_eq!(elsewhere, 0);
                } else {
                    // Every chunk on a thread of its own turn, none here.
                    assert_eq!(elsewhere, expected.len());
                }
            }
        }
    }
}

#[test]
fn few_items_are_streamed_on_the_calling_thread() {
    let items: Vec<u64> = (0..63).collect();
    let here = std::thread::current().id();
    let mut taken = Vec::new();
    let done: Result<(), ()> = streamed(
        &items,
        threads_from(64),
        10,
        |part| {
            assert_eq!(std::thread::current().id(), here);
            part.to_vec()
        },
        |results| {
            taken.extend(results);
            Ok(())
        },
    );
    assert_eq!((done, taken), (Ok(()), items));
}

#[test]
fn the_first_failure_of_the_caller_stops_the_stream() {
    let items: Vec<u32> = (0..1_000).collect();
    for threads in [0, 2, 3] {
        let mut taken = Vec::new();
        let done = stream_in(
            &items,
            threads,
            7,
            |part| part.to_vec(),
            |results| {
                if let Some(bad) = results.iter().find(|n| **n >= 500 && **n % 13 == 0) {
                    return Err(*bad);
                }
                taken.extend(results);
                Ok(())
            },
        );
        // 507 is the first multiple of 13 from 500; its chunk (504..511) is not taken.
        assert_eq!(done, Err(507), "{threads} threads");
        assert_eq!(taken, (0..504).collect::<Vec<_>>(), "{threads} threads");
    }
}

/// A panic in another thread's chunk reaches the caller with its message, once the chunks
/// before it were taken.
#[test]
fn a_panic_in_a_streamed_chunk_reaches_the_caller() {
    let items: Vec<u32> = (0..40).collect();
    let refused = 21;
    let mut taken = Vec::new();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        stream_in(
            &items,
            2,
            4,
            |part| {
                assert!(!part.contains(&refused), "item {refused} refused");
                part.to_vec()
            },
            |results| {
                taken.extend(results);
                Ok::<_, ()>(())
            },
        )
    }))
    .expect_err("the chunk with the refused item panics");
    let message = panicked.downcast_ref::<String>().map(String::as_str);
    assert_eq!(message, Some("item 21 refused"));
    assert_eq!(taken, (0..20).collect::<Vec<_>>());
}
