//! The simulated market calendar: which days the market was open, and when, taken from the
//! bars themselves. A weekday with no bar in the data is a holiday; sessions are the regular
//! 09:30-16:00 New York hours.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::America::New_York;
use std::collections::BTreeSet;

/// Regular session open, New York time.
pub const OPEN: NaiveTime = match NaiveTime::from_hms_opt(9, 30, 0) {
    Some(t) => t,
    None => panic!("valid time"),
};
/// Regular session close, New York time.
pub const CLOSE: NaiveTime = match NaiveTime::from_hms_opt(16, 0, 0) {
    Some(t) => t,
    None => panic!("valid time"),
};

/// Trading days and their regular hours.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionCalendar {
    days: BTreeSet<NaiveDate>,
}

fn ny(date: NaiveDate, t: NaiveTime) -> DateTime<Utc> {
    New_York
        .from_local_datetime(&date.and_time(t))
        .single()
        .expect("09:30 and 16:00 are never in a DST gap")
        .with_timezone(&Utc)
}

impl SessionCalendar {
    /// The calendar of the New York dates on which any of `times` falls (weekends excluded even
    /// if a bar is stamped on one).
    pub fn from_times(times: impl IntoIterator<Item = DateTime<Utc>>) -> Self {
        Self {
            days: times
                .into_iter()
                .map(|t| t.with_timezone(&New_York).date_naive())
                .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
                .collect(),
        }
    }

    /// Whether `date` is a trading day.
    pub fn is_trading_day(&self, date: NaiveDate) -> bool {
        self.days.contains(&date)
    }

    /// The regular open and close of `date`, if it is a trading day.
    pub fn session(&self, date: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        self.is_trading_day(date)
            .then(|| (ny(date, OPEN), ny(date, CLOSE)))
    }

    /// Whether the regular session is open at `t`.
    pub fn is_open(&self, t: DateTime<Utc>) -> bool {
        let date = t.with_timezone(&New_York).date_naive();
        self.session(date)
            .is_some_and(|(open, close)| t >= open && t < close)
    }

    /// The next regular open strictly after `t`, if the data has one.
    pub fn next_open(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let date = t.with_timezone(&New_York).date_naive();
        self.days
            .range(date..)
            .map(|d| ny(*d, OPEN))
            .find(|open| *open > t)
    }

    /// The next regular close at or after `t` (the current session's close while open).
    pub fn next_close(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let date = t.with_timezone(&New_York).date_naive();
        self.days
            .range(date..)
            .map(|d| ny(*d, CLOSE))
            .find(|close| *close > t)
    }

    /// Trading days from `start` to `end` inclusive.
    pub fn days_between(
        &self,
        start: NaiveDate,
        end: NaiveDate,
    ) -> impl Iterator<Item = NaiveDate> + '_ {
        self.days.range(start..=end).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn cal() -> SessionCalendar {
        // Daily bars stamped midnight New York: Thu 2024-07-03, (Fri 07-04 holiday: no bar),
        // Mon 07-08; plus a stray Saturday bar which must not make Saturday a trading day.
        SessionCalendar::from_times([
            t("2024-07-03T04:00:00Z"),
            t("2024-07-08T04:00:00Z"),
            t("2024-07-06T04:00:00Z"),
        ])
    }

    #[test]
    fn open_hours_weekends_and_holidays() {
        let c = cal();
        assert!(!c.is_open(t("2024-07-03T13:29:59Z")));
        assert!(c.is_open(t("2024-07-03T13:30:00Z")), "09:30 EDT");
        assert!(c.is_open(t("2024-07-03T19:59:59Z")));
        assert!(!c.is_open(t("2024-07-03T20:00:00Z")), "16:00 EDT");
        assert!(
            !c.is_open(t("2024-07-05T15:00:00Z")),
            "a weekday without bars is a holiday"
        );
        assert!(!c.is_open(t("2024-07-06T15:00:00Z")), "Saturday");
        assert_eq!(
            c.next_open(t("2024-07-03T21:00:00Z")),
            Some(t("2024-07-08T13:30:00Z"))
        );
        assert_eq!(
            c.next_close(t("2024-07-03T15:00:00Z")),
            Some(t("2024-07-03T20:00:00Z"))
        );
        assert_eq!(
            c.next_open(t("2024-07-08T14:00:00Z")),
            None,
            "no later data"
        );
        let days: Vec<_> = c
            .days_between(
                NaiveDate::from_ymd_opt(2024, 7, 1).unwrap(),
                NaiveDate::from_ymd_opt(2024, 7, 31).unwrap(),
            )
            .collect();
        assert_eq!(days.len(), 2);
    }

    #[test]
    fn winter_offset() {
        let c = SessionCalendar::from_times([t("2024-01-05T05:00:00Z")]);
        assert!(
            c.is_open(t("2024-01-05T14:30:00Z")),
            "09:30 EST is 14:30 UTC"
        );
        assert!(!c.is_open(t("2024-01-05T14:29:00Z")));
    }
}
