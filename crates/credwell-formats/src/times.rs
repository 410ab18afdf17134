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

    /// A time the file gives in ISO 8601 (RFC 3339, in UTC or with an offset), `None` when it
    /// gives none; one that is not a possible time (not a date, before 1970) is dropped and the
    /// entry at `line` noted.
    pub(super) fn iso8601_time(&mut self, line: u64, text: Option<&str>) -> Option<Timestamp> {
        let text = text.filter(|t| !t.trim().is_empty())?;
        let time = parse_rfc3339(text);
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

/// A time in RFC 3339 ([section 5.6](https://www.rfc-editor.org/rfc/rfc3339#section-5.6)):
/// `2024-05-01T12:20:30+02:00` as well as `2024-05-01T10:20:30Z` (and what
/// [`Timestamp::parse_iso8601`] reads besides, which reads UTC only).
///
/// 1. The offset, if any, is the `+` or `-` after the time of day (a date's `-`s are not one),
///    followed by `HH:MM`.
/// 2. The time without it is read as if in UTC.
/// 3. The offset is taken off: `+02:00` is two hours ahead of UTC.
fn parse_rfc3339(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    let time_at = text.find(['T', 't', ' ']).map_or(text.len(), |i| i + 1);
    let Some(sign_at) = text[time_at..].find(['+', '-']).map(|i| time_at + i) else {
        return Timestamp::parse_iso8601(text);
    };
    let (local, offset) = text.split_at(sign_at);
    let (hours, minutes) = offset[1..].split_once(':')?;
    let two_digits = |t: &str| t.len() == 2 && t.bytes().all(|b| b.is_ascii_digit());
    // `Z` and an offset together say two things.
    if !two_digits(hours) || !two_digits(minutes) || local.ends_with(['Z', 'z']) {
        return None;
    }
    let (hours, minutes): (u64, u64) = (hours.parse().ok()?, minutes.parse().ok()?);
    if hours > 23 || minutes > 59 {
        return None;
    }
    let offset_ms = (hours * 60 + minutes) * 60_000;
    let local = Timestamp::parse_iso8601(local)?.0;
    let utc = if offset.starts_with('+') {
        local.checked_sub(offset_ms)?
    } else {
        local + offset_ms
    };
    Some(Timestamp(utc))
}
