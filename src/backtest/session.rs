//! The simulated market calendar: which days the market was open, and when, taken from the
//! bars themselves. A weekday with no bar in the data is a holiday; sessions are the regular
//! 09:30-16:00 New York hours.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::America::New_York;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;

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

/// One trading day's instants, computed once (time-zone arithmetic is the costly part).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Day {
    open: DateTime<Utc>,
    close: DateTime<Utc>,
}

/// Trading days and their regular hours.
///
/// Every lookup is a map search on UTC instants: replays ask "is the market open" for every bar,
/// so the New York conversions are done once per day when the calendar is built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionCalendar {
    days: BTreeMap<NaiveDate, Day>,
    /// Session open instant to its date.
    by_open: BTreeMap<DateTime<Utc>, NaiveDate>,
    /// Midnight New York of each trading day (how daily bars are stamped) to its date.
    midnights: HashMap<DateTime<Utc>, NaiveDate>,
}

fn ny(date: NaiveDate, t: NaiveTime) -> DateTime<Utc> {
    New_York
        .from_local_datetime(&date.and_time(t))
        .single()
        .expect("00:00, 09:30 and 16:00 are never in a DST gap in New York")
        .with_timezone(&Utc)
}

impl SessionCalendar {
    /// The calendar of the New York dates on which any of `times` falls (weekends excluded even
    /// if a bar is stamped on one).
    pub fn from_times(times: impl IntoIterator<Item = DateTime<Utc>>) -> Self {
        let mut dates = BTreeSet::new();
        // New York's offsets are whole hours, so the New York date is constant within a UTC
        // hour: convert once per hour of bars, not once per bar.
        let mut last_hour: Option<i64> = None;
        for t in times {
            let hour = t.timestamp().div_euclid(3600);
            if last_hour == Some(hour) {
                continue;
            }
            last_hour = Some(hour);
            let d = t.with_timezone(&New_York).date_naive();
            if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                dates.insert(d);
            }
        }
        let mut cal = Self::default();
        for d in dates {
            // One conversion per day: US clocks change on Sundays at 02:00, so a weekday keeps
            // one UTC offset from midnight to midnight.
            let midnight = ny(d, NaiveTime::MIN);
            let day = Day {
                open: midnight + (OPEN - NaiveTime::MIN),
                close: midnight + (CLOSE - NaiveTime::MIN),
            };
            debug_assert_eq!(day.open, ny(d, OPEN));
            cal.days.insert(d, day);
            cal.by_open.insert(day.open, d);
            cal.midnights.insert(midnight, d);
        }
        cal
    }

    /// Whether `date` is a trading day.
    pub fn is_trading_day(&self, date: NaiveDate) -> bool {
        self.days.contains_key(&date)
    }

    /// The regular open and close of `date`, if it is a trading day.
    pub fn session(&self, date: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        self.days.get(&date).map(|d| (d.open, d.close))
    }

    /// If `t` is a trading day's midnight New York (a daily bar's stamp), that day.
    pub fn session_bar_date(&self, t: DateTime<Utc>) -> Option<NaiveDate> {
        self.midnights.get(&t).copied()
    }

    /// The trading day whose session started last at or before `t` (the current one while open).
    fn last_started(&self, t: DateTime<Utc>) -> Option<(NaiveDate, Day)> {
        let (_, date) = self.by_open.range(..=t).next_back()?;
        Some((*date, self.days[date]))
    }

    /// Whether the regular session is open at `t`.
    pub fn is_open(&self, t: DateTime<Utc>) -> bool {
        self.last_started(t).is_some_and(|(_, d)| t < d.close)
    }

    /// The next regular open strictly after `t`, if the data has one.
    pub fn next_open(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.by_open
            .range((Bound::Excluded(t), Bound::Unbounded))
            .next()
            .map(|(open, _)| *open)
    }

    /// The next regular close after `t` (the current session's close while open).
    pub fn next_close(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self.last_started(t) {
            Some((_, d)) if t < d.close => Some(d.close),
            _ => self.next_open(t).and_then(|o| {
                let date = self.by_open[&o];
                self.days.get(&date).map(|d| d.close)
            }),
        }
    }

    /// Trading days from `start` to `end` inclusive.
    pub fn days_between(
        &self,
        start: NaiveDate,
        end: NaiveDate,
    ) -> impl Iterator<Item = NaiveDate> + '_ {
        self.days.range(start..=end).map(|(d, _)| *d)
    }

    /// The New York trading date of `t`: the date of a session bar stamp, else the date of the
    /// session that started last at or before `t` (or the plain conversion outside the data).
    pub fn date_of(&self, t: DateTime<Utc>) -> NaiveDate {
        if let Some(d) = self.session_bar_date(t) {
            return d;
        }
        match self.last_started(t) {
            Some((d, day)) if t < day.close + chrono::Duration::hours(8) => d,
            _ => t.with_timezone(&New_York).date_naive(),
        }
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
    fn sessions_around_dst_changes_use_the_right_offset() {
        // 2024-03-08 (Fri, EST) and 2024-03-11 (Mon, EDT); 2024-11-01 (Fri, EDT), 11-04 (Mon, EST).
        let c = SessionCalendar::from_times(
            [
                "2024-03-08T05:00:00Z",
                "2024-03-11T04:00:00Z",
                "2024-11-01T04:00:00Z",
                "2024-11-04T05:00:00Z",
            ]
            .map(t),
        );
        let open = |y, m, d| {
            c.session(NaiveDate::from_ymd_opt(y, m, d).unwrap())
                .unwrap()
                .0
        };
        assert_eq!(open(2024, 3, 8), t("2024-03-08T14:30:00Z"));
        assert_eq!(open(2024, 3, 11), t("2024-03-11T13:30:00Z"));
        assert_eq!(open(2024, 11, 1), t("2024-11-01T13:30:00Z"));
        assert_eq!(open(2024, 11, 4), t("2024-11-04T14:30:00Z"));
        assert_eq!(
            c.session_bar_date(t("2024-03-11T04:00:00Z")),
            NaiveDate::from_ymd_opt(2024, 3, 11)
        );
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
