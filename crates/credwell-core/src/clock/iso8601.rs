//! Timestamps as text: ISO 8601 / RFC 3339 in UTC (`2024-05-01T10:20:30.123Z`,
//! `2024-05-01T10:20:30Z`), written and read without a date library.

use super::Timestamp;

const MS_PER_DAY: u64 = 86_400_000;

/// The last millisecond RFC 3339 can write (its years have four digits):
/// 9999-12-31T23:59:59.999Z.
const LAST_MS: u64 = 253_402_300_799_999;

impl Timestamp {
    /// RFC 3339 in UTC with milliseconds, `YYYY-MM-DDTHH:MM:SS.mmmZ`: how credwell's JSON
    /// writes a time. A time after the year 9999 is written as its last millisecond.
    ///
    /// ```
    /// use credwell_core::Timestamp;
    /// assert_eq!(Timestamp(1_796_232_600_123).to_iso8601(), "2026-12-02T17:30:00.123Z");
    /// ```
    pub fn to_iso8601(self) -> String {
        let (date, (h, min, s, milli)) = self.civil();
        format!("{date}T{h:02}:{min:02}:{s:02}.{milli:03}Z")
    }

    /// RFC 3339 in UTC to the second, `YYYY-MM-DDTHH:MM:SSZ` (the milliseconds dropped): for
    /// people, and for formats that write no fractions.
    pub fn to_iso8601_seconds(self) -> String {
        let (date, (h, min, s, _)) = self.civil();
        format!("{date}T{h:02}:{min:02}:{s:02}Z")
    }

    /// Reads `YYYY-MM-DD[(T| )HH:MM[:SS[.fff...]]][Z]` as a time in UTC (an explicit offset is
    /// not accepted; digits past the milliseconds are dropped). `None` when the text is not such
    /// a date, or is before 1970.
    pub fn parse_iso8601(text: &str) -> Option<Self> {
        let text = text.trim();
        let text = text.strip_suffix('Z').unwrap_or(text);
        let (date, time) = match text.split_once(['T', ' ']) {
            Some((d, t)) => (d, t),
            None => (text, "00:00:00"),
        };
        let mut date_parts = date.splitn(3, '-');
        let y: u64 = date_parts.next()?.parse().ok()?;
        let m: u64 = date_parts.next()?.parse().ok()?;
        let d: u64 = date_parts.next()?.parse().ok()?;
        if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
            return None;
        }
        let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
        let mut time_parts = hms.splitn(3, ':');
        let h: u64 = time_parts.next()?.parse().ok()?;
        let min: u64 = time_parts.next()?.parse().ok()?;
        let s: u64 = time_parts.next().unwrap_or("0").parse().ok()?;
        if h > 23 || min > 59 || s > 60 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let milli = frac
            .bytes()
            .chain(std::iter::repeat(b'0'))
            .take(3)
            .fold(0, |acc, b| acc * 10 + u64::from(b - b'0'));
        let days = days_from_civil(y, m, d);
        Some(Self(
            days * MS_PER_DAY + h * 3_600_000 + min * 60_000 + s * 1000 + milli,
        ))
    }

    /// The date as `YYYY-MM-DD` and the time of day (hours, minutes, seconds, milliseconds).
    fn civil(self) -> (String, (u64, u64, u64, u64)) {
        let ms = self.0.min(LAST_MS);
        let in_day = ms % MS_PER_DAY;
        let (y, m, d) = civil_from_days(ms / MS_PER_DAY);
        let time = (
            in_day / 3_600_000,
            in_day / 60_000 % 60,
            in_day / 1000 % 60,
            in_day % 1000,
        );
        (format!("{y:04}-{m:02}-{d:02}"), time)
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm), for years
/// from 1970 on.
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number since 1970-01-01 (the inverse of [`days_from_civil`]).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Option<u64> {
        Timestamp::parse_iso8601(text).map(|t| t.0)
    }

    #[test]
    fn known_dates() {
        assert_eq!(Timestamp(0).to_iso8601_seconds(), "1970-01-01T00:00:00Z");
        assert_eq!(Timestamp(0).to_iso8601(), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            Timestamp(1_714_558_830_123).to_iso8601(),
            "2024-05-01T10:20:30.123Z"
        );
        assert_eq!(
            Timestamp(1_714_558_830_123).to_iso8601_seconds(),
            "2024-05-01T10:20:30Z"
        );
        assert_eq!(
            Timestamp(951_782_400_000).to_iso8601_seconds(),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(parse("2024-05-01T10:20:30.123Z"), Some(1_714_558_830_123));
        assert_eq!(parse("2024-05-01T10:20:30Z"), Some(1_714_558_830_000));
        assert_eq!(parse("2024-05-01 10:20:30"), Some(1_714_558_830_000));
        assert_eq!(parse("2024-05-01"), Some(1_714_521_600_000));
        for bad in [
            "",
            "yesterday",
            "2024-13-01",
            "2024-05-01T25:00:00Z",
            "1969-12-31",
            "10000-01-01",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn round_trips_every_day_for_decades() {
        for day in (0..40_000).step_by(7) {
            let ms = day * MS_PER_DAY + 45_296_789;
            assert_eq!(parse(&Timestamp(ms).to_iso8601()), Some(ms));
        }
    }

    #[test]
    fn times_after_the_year_9999_are_its_last_millisecond() {
        let last = "9999-12-31T23:59:59.999Z";
        assert_eq!(parse(last), Some(LAST_MS));
        assert_eq!(Timestamp(LAST_MS).to_iso8601(), last);
        assert_eq!(Timestamp(LAST_MS + 1).to_iso8601(), last);
        assert_eq!(Timestamp(u64::MAX).to_iso8601(), last);
        assert_eq!(
            Timestamp(u64::MAX).to_iso8601_seconds(),
            "9999-12-31T23:59:59Z"
        );
    }
}
