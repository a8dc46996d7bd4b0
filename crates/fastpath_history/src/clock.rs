//! The one clock: calendar dates and UTC timestamps from Unix times, the one place they are
//! formatted (for baselines, history records and blame dates), and the one reader of
//! `FASTPATH_TODAY` (YYYY-MM-DD), which fixes "now" at midnight UTC of that day so that dates
//! written and rules about dates are reproducible. The formatting functions take times, so
//! tests pass fixed ones.

use fastpath_manifest::Date;
use thiserror::Error;

/// `FASTPATH_TODAY` is not a date, or the system clock is out of range.
#[derive(Debug, Error)]
pub enum ClockError {
    #[error("FASTPATH_TODAY `{text}`: {reason}")]
    BadToday { text: String, reason: String },
    #[error("the system clock is out of range")]
    OutOfRange,
}

/// The day `FASTPATH_TODAY` fixes, if it is set.
fn fixed_today() -> Result<Option<Date>, ClockError> {
    match std::env::var("FASTPATH_TODAY") {
        Ok(text) => text
            .parse::<Date>()
            .map(Some)
            .map_err(|e| ClockError::BadToday {
                reason: e.to_string(),
                text,
            }),
        Err(_) => Ok(None),
    }
}

/// Today (UTC), or the day `FASTPATH_TODAY` names.
pub fn today() -> Result<Date, ClockError> {
    if let Some(date) = fixed_today()? {
        return Ok(date);
    }
    Date::from_days_since_epoch(now().div_euclid(86_400)).ok_or(ClockError::OutOfRange)
}

/// Seconds since the Unix epoch now, or midnight UTC of the day `FASTPATH_TODAY` names.
pub fn now_or_today() -> Result<i64, ClockError> {
    Ok(match fixed_today()? {
        Some(date) => date.days_since_epoch() * 86_400,
        None => now(),
    })
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `2025-11-20T09:30:00Z` for a Unix time.
pub fn utc_timestamp(unix: i64) -> String {
    let (y, m, d) = civil_from_days(unix.div_euclid(86_400));
    let secs = unix.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Seconds since the Unix epoch now, from the system clock (see [`now_or_today`]).
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_timestamps() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(utc_timestamp(1_762_039_800), "2025-11-01T23:30:00Z");
    }
}
