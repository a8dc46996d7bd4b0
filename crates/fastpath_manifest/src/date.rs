//! Calendar dates as the manifest writes them (`2025-11-08`), checked for being real days.
//!
//! The review rules only need "how many days between two dates", so a small proleptic
//! Gregorian date is enough and spares the build a date-time crate.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// A calendar day, written and read as `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// A date, if it is a real day.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month))
            .then_some(Date { year, month, day })
    }

    pub fn year(self) -> u16 {
        self.year
    }

    pub fn month(self) -> u8 {
        self.month
    }

    pub fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01 (negative before it).
    pub fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let (y, m, d) = (
            i64::from(self.year) - i64::from(self.month <= 2),
            i64::from(self.month),
            i64::from(self.day),
        );
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01.
    pub fn from_days_since_epoch(days: i64) -> Option<Date> {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date::new(
            u16::try_from(year).ok()?,
            u8::try_from(month).ok()?,
            u8::try_from(day).ok()?,
        )
    }

    /// Whole days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Date) -> i64 {
        later.days_since_epoch() - self.days_since_epoch()
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

/// Why a date did not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("`{0}` is not a date written as YYYY-MM-DD")]
    Format(String),
    #[error("`{0}` is not a real day")]
    NoSuchDay(String),
}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Date, DateError> {
        let b = s.as_bytes();
        let well_formed = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if !well_formed {
            return Err(DateError::Format(s.to_owned()));
        }
        let (year, month, day) = (
            s[..4].parse().expect("digits"),
            s[5..7].parse().expect("digits"),
            s[8..].parse().expect("digits"),
        );
        Date::new(year, month, day).ok_or_else(|| DateError::NoSuchDay(s.to_owned()))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_iso_dates() {
        let date: Date = "2025-11-08".parse().unwrap();
        assert_eq!((date.year(), date.month(), date.day()), (2025, 11, 8));
        assert_eq!(date.to_string(), "2025-11-08");
    }

    #[test]
    fn rejects_days_that_do_not_exist() {
        assert!(matches!(
            "2025-02-29".parse::<Date>(),
            Err(DateError::NoSuchDay(_))
        ));
        assert!("2024-02-29".parse::<Date>().is_ok());
        assert!(matches!(
            "2025-13-01".parse::<Date>(),
            Err(DateError::NoSuchDay(_))
        ));
        assert!(matches!(
            "2025-11-8".parse::<Date>(),
            Err(DateError::Format(_))
        ));
        assert!(matches!(
            "2025/11/08".parse::<Date>(),
            Err(DateError::Format(_))
        ));
    }

    #[test]
    fn day_arithmetic_round_trips() {
        let a: Date = "2025-10-01".parse().unwrap();
        let b: Date = "2025-11-08".parse().unwrap();
        assert_eq!(a.days_until(b), 38);
        assert_eq!(Date::new(1970, 1, 1).unwrap().days_since_epoch(), 0);
        for days in [-1000, 0, 59, 60, 10_000, 20_400, 30_000] {
            let date = Date::from_days_since_epoch(days).unwrap();
            assert_eq!(date.days_since_epoch(), days);
        }
        assert_eq!(
            Date::from_days_since_epoch(b.days_since_epoch() + 30)
                .unwrap()
                .to_string(),
            "2025-12-08"
        );
    }
}
