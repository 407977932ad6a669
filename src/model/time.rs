//! Times as reports show them and dates as flags take them, through `jiff`:
//! real calendar dates only (no February 31st), no overflow however large
//! the input.

use jiff::{tz::TimeZone, Timestamp};

/// `2025-01-31T09:15:00+01:00` from seconds since the epoch and a UTC offset
/// in minutes (git's author time). A time outside what a calendar can show
/// (a hostile commit can say anything) is shown as its raw seconds.
pub fn format_time(seconds: i64, offset_minutes: i32) -> String {
    let zoned = Timestamp::from_second(seconds).ok().and_then(|t| {
        let offset = jiff::tz::Offset::from_seconds(offset_minutes.checked_mul(60)?).ok()?;
        Some(t.to_zoned(TimeZone::fixed(offset)))
    });
    match zoned {
        Some(z) => z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        None => format!("@{seconds} {offset_minutes:+}min"),
    }
}

/// `2025-01-31` from seconds since the epoch (UTC).
pub fn iso_date(seconds: i64) -> String {
    let t = format_time(seconds, 0);
    t.get(..10).map_or(t.clone(), str::to_string)
}

/// Parse `YYYY-MM-DD` (midnight UTC) or `YYYY-MM-DDTHH:MM:SSZ` to seconds
/// since the epoch. Only real calendar dates are accepted.
pub fn parse_date(s: &str) -> Result<i64, String> {
    let bad = || format!("`{s}` is not a date (use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)");
    let shaped = |text: &str| {
        let b = text.as_bytes();
        b.len() == 10 && b[4] == b'-' && b[7] == b'-'
    };
    match s.split_once('T') {
        None => {
            if !shaped(s) {
                return Err(bad());
            }
            let date: jiff::civil::Date = s.parse().map_err(|_| bad())?;
            let ts = date.to_zoned(TimeZone::UTC).map_err(|_| bad())?.timestamp();
            Ok(ts.as_second())
        }
        Some((d, t)) => {
            if !shaped(d) || !t.ends_with('Z') || t.len() != 9 {
                return Err(bad());
            }
            let ts: Timestamp = s.parse().map_err(|_| bad())?;
            Ok(ts.as_second())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_format_with_their_offset() {
        assert_eq!(format_time(1_700_000_000, 60), "2023-11-14T23:13:20+01:00");
        assert_eq!(format_time(0, -330), "1969-12-31T18:30:00-05:30");
        assert_eq!(iso_date(86_400), "1970-01-02");
        // Out of range: shown raw, never a panic.
        assert_eq!(format_time(i64::MIN, 0), format!("@{} +0min", i64::MIN));
        assert!(format_time(0, i32::MAX).starts_with("@0"));
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-02"), Ok(86_400));
        assert_eq!(parse_date("2025-01-01T00:00:10Z"), Ok(1_735_689_610));
        assert_eq!(parse_date("2024-02-29"), Ok(1_709_164_800));
        for bad in [
            "2025-13-01",
            "2025-02-31",
            "2023-02-29",
            "yesterday",
            "2025-01-01T10:00",
            "99999999999-01-01",
            "2025-1-1",
            "2025-01-01T25:00:00Z",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }
}
