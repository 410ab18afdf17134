//! Times as files give them, read into [`Timestamp`]s: one that cannot be a login's is dropped
//! as if the file had none, and the entry's line noted in [`Parsed::clamped_times`] (the
//! import's "times dropped" warning), the same way for every format.

use credwell_core::Timestamp;

use super::Parsed;

impl Parsed {
    /// Times the file gives in seconds since the Unix epoch, as timestamps: one that cannot be
    /// (negative, or past 9999) is dropped as if the file had none, and the entry at `line` is
    /// noted in [`Parsed::clamped_times`].
    pub(super) fn times_in_seconds<const N: usize>(
        &mut self,
        line: u64,
        times: [Option<i64>; N],
    ) -> [Option<Timestamp>; N] {
        let times = times.map(|t| t.map(from_seconds));
        if times.iter().any(|t| matches!(t, Some(None))) {
            self.clamped_times.push(line);
        }
        times.map(Option::flatten)
    }

    /// A time the file gives in ISO 8601 (RFC 3339), `None` when it gives none; one that is
    /// not a possible time is dropped and the entry at `line` noted.
    pub(super) fn iso8601_time(&mut self, line: u64, text: Option<&str>) -> Option<Timestamp> {
        let text = text.filter(|t| !t.trim().is_empty())?;
        let time = Timestamp::parse_iso8601(text);
        if time.is_none() && self.clamped_times.last() != Some(&line) {
            self.clamped_times.push(line);
        }
        time
    }
}

/// The latest time a file may give, in seconds: the last second of 9999.
const MAX_SECONDS: i64 = 253_402_300_799;

/// A time in seconds since the Unix epoch, if it can be a login's (from 1970 to 9999).
pub(super) fn from_seconds(seconds: i64) -> Option<Timestamp> {
    (0..=MAX_SECONDS)
        .contains(&seconds)
        .then(|| Timestamp(seconds as u64 * 1000))
}
