//! Locking a mutex whose holder may have panicked.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `mutex`, also when a thread panicked while holding it.
///
/// Every mutex in credwell guards data that is valid after each statement (maps, lists, a
/// flag, or a SQLite connection, whose unfinished transaction rolls back), so a panic elsewhere
/// leaves nothing half-done: the next holder goes on with the data instead of failing too.
///
/// ```
/// use std::sync::Mutex;
/// let counter = Mutex::new(1);
/// let _ = std::panic::catch_unwind(|| {
///     let _held = counter.lock();
///     panic!("poisons the mutex");
/// });
/// assert!(counter.is_poisoned());
/// *credwell_core::sync::lock(&counter) += 1;
/// assert_eq!(*credwell_core::sync::lock(&counter), 2);
/// ```
pub fn lock<T: ?Sized>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
