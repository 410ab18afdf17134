//! How long the server keeps deletions (tombstones), and the sweep that ends them
//! (`docs/sync.md`, "Tombstones and the horizon").
//!
//! A deletion stays on the server as a tombstone so that devices offline when it was made still
//! learn it. After the retention ([`Retention`], 180 days by default) the sweep removes it and
//! raises the account's horizon ([`crate::Storage::sweep_tombstones`]); a device whose cursor is
//! below the horizon is answered "resync needed" (`410 Gone`) and pulls everything again.
//!
//! Every instance sweeps on its own, every [`SWEEP_EVERY`]: sweeps are idempotent and lock
//! each account as a push does, so instances sharing a database need no coordination.

use std::sync::Arc;
use std::time::Duration;

use credwell_sync::protocol::DEFAULT_TOMBSTONE_RETENTION_DAYS;

use crate::{Storage, StorageError};

/// How often each instance sweeps.
pub const SWEEP_EVERY: Duration = Duration::from_secs(60 * 60);

/// How long deletions are kept before they are swept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            days: DEFAULT_TOMBSTONE_RETENTION_DAYS,
        }
    }
}

impl Retention {
    /// A retention of `days`, at least one (a shorter one would sweep deletions that devices
    /// online every day have not pulled yet).
    pub fn days(days: u32) -> Result<Self, RetentionError> {
        if days == 0 {
            return Err(RetentionError::Zero);
        }
        Ok(Self { days })
    }

    /// The retention in milliseconds.
    fn millis(self) -> u64 {
        u64::from(self.days) * 24 * 60 * 60 * 1000
    }

    /// Sweeps the deletions older than the retention at `now` (milliseconds since the Unix
    /// epoch: the caller's clock, so that tests need not wait): how many were swept.
    pub async fn sweep(self, storage: &dyn Storage, now: u64) -> Result<u64, StorageError> {
        storage
            .sweep_tombstones(now.saturating_sub(self.millis()))
            .await
    }

    /// Sweeps at once and then every [`SWEEP_EVERY`] on the current tokio runtime, until the
    /// runtime ends; a failed sweep is logged and tried again at the next tick.
    pub fn spawn(self, storage: Arc<dyn Storage>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(SWEEP_EVERY);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                match self.sweep(storage.as_ref(), crate::api::now_ms()).await {
                    Ok(0) => {}
                    Ok(swept) => tracing::info!("swept {swept} deletions past the retention"),
                    Err(e) => tracing::warn!("sweeping deletions failed: {e}"),
                }
            }
        })
    }
}

/// Why a retention was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RetentionError {
    /// Zero days.
    #[error("the tombstone retention is at least 1 day")]
    Zero,
}
