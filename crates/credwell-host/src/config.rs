//! The host's settings ([`HostConfig`]).

use std::time::Duration;

use credwell_core::EngineConfig;

/// Host settings.
#[derive(Debug, Clone, Copy)]
pub struct HostConfig {
    /// The engine's user preferences.
    pub engine: EngineConfig,
    /// Lock the vault after this long without a user action (an unlock, an answered prompt, the
    /// manager page); page calls and pending requests do not count.
    pub idle_lock: Option<Duration>,
    /// How long WebAuthn's related origin requests wait for the extension's `wellKnown.result`
    /// before the RP ID is refused (`SecurityError`).
    pub well_known_timeout: Duration,
    /// How long a signal method naming an RP ID outside the caller's site takes to settle,
    /// whether its related origins were fetched (the vault holds passkeys for that RP ID) or not
    /// (it holds none: nothing is fetched); a fetch that takes longer fails.
    pub signal_related_time: Duration,
    /// Background sync while the vault is unlocked and signed in: at least this often, and at
    /// once after a write or the server's notice (`docs/sync.md`); `None`: never.
    pub sync_interval: Option<Duration>,
    /// How long after a password sign-in the same origin may upgrade to a passkey without a
    /// prompt (a conditional `create()`): the engine's 5 minutes by default. Test suites only
    /// shorten it (`CREDWELL_TEST_UPGRADE_WINDOW_MS`), to see the window pass; a longer one is
    /// cut to the engine's.
    pub upgrade_window: Duration,
}

impl Default for HostConfig {
    fn default() -> Self {
        Self {
            engine: EngineConfig::default(),
            idle_lock: Some(Duration::from_secs(15 * 60)),
            well_known_timeout: Duration::from_secs(10),
            signal_related_time: Duration::from_secs(3),
            sync_interval: Some(Duration::from_secs(60)),
            upgrade_window: Duration::from_millis(credwell_core::CONDITIONAL_CREATE_WINDOW_MS),
        }
    }
}
