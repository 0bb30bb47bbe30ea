//! The simulated market calendar: which days the market was open, and when, taken from the
//! bars themselves. A weekday with no bar in the data is a holiday; sessions are the regular
//! 09:30-16:00 New York hours.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Offset, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::America::New_York;

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

/// A regular session's open and close.
pub type Hours = (DateTime<Utc>, DateTime<Utc>);

/// One trading day's instants, computed once (time-zone arithmetic is the costly part).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Day {
    date: NaiveDate,
    midnight: DateTime<Utc>,
    open: DateTime<Utc>,
    close: DateTime<Utc>,
}

impl Day {
    /// The instants of `date` where New York is `offset` seconds east of UTC. US clocks change
    /// on Sundays at 02:00, so a weekday keeps the offset its bars had from midnight to midnight.
    fn new(date: NaiveDate, offset: i32) -> Self {
        // West of UTC by less than eight hours (New York is four or five), local midnight, 09:30
        // and 16:00 all fall on `date` in UTC too, so no date arithmetic is needed.
        let at = |local: NaiveTime| {
            let secs = i64::from(local.num_seconds_from_midnight()) - i64::from(offset);
            match u32::try_from(secs)
                .ok()
                .and_then(|s| NaiveTime::from_num_seconds_from_midnight_opt(s, 0))
            {
                Some(t) => date.and_time(t).and_utc(),
                None => {
                    (date.and_time(local) - chrono::Duration::seconds(i64::from(offset))).and_utc()
                }
            }
        };
        let day = Day {
            date,
            midnight: at(NaiveTime::MIN),
            open: at(OPEN),
            close: at(CLOSE),
        };
        debug_assert_eq!(day.midnight, ny(date, NaiveTime::MIN));
        debug_assert_eq!(day.open, ny(date, OPEN));
        day
    }
}

/// A calendar span at most this many times the number of trading days (plus a little) gets the
/// dense date index; sparser data (a few stray years apart) is searched instead.
const DENSE_SPAN_PER_DAY: usize = 4;

/// Trading days and their regular hours.
///
/// Replays ask about the calendar several times per bar, so every lookup is cheap: the days
/// sit in date order (their midnights, opens and closes are then in order too), and a dense
/// index from calendar date to position answers a date, or the UTC date of an instant, without
/// a search. New York midnight and 09:30 fall on the same UTC date (the offset is -4 or -5
/// hours), which is what lets an instant's UTC date stand for the trading day it can belong to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionCalendar {
    days: Vec<Day>,
    /// For each calendar date from the first trading day on, how many trading days fall on or
    /// before it. Empty when the days are too sparse for it (then a binary search does).
    through: Vec<u32>,
    /// The first trading day as days from the common era, where `through` starts.
    first: i32,
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
        // Trading date -> New York's UTC offset (seconds) that day, the first one seen for a
        // date counting.
        let mut dates: Vec<(NaiveDate, i32)> = Vec::new();
        // US clocks change on Sundays at 06:00 or 07:00 UTC, so New York's UTC offset is constant
        // from Sunday 12:00 UTC until the next Sunday 00:00 UTC: one conversion serves a week of
        // bars. Instants on a Sunday morning (UTC) are converted one by one.
        const WEEK: i64 = 7 * 86_400;
        const FIRST_SUNDAY_NOON: i64 = 3 * 86_400 + 43_200; // 1970-01-04T12:00:00Z
        let mut cache: Option<(i64, i32)> = None;
        // The previous instant's local day number, so the bars of one day cost no date maths.
        let mut last: Option<NaiveDate> = None;
        for t in times {
            let ts = t.timestamp();
            let sunday_morning =
                (ts.div_euclid(86_400) + 4).rem_euclid(7) == 0 && ts.rem_euclid(86_400) < 43_200;
            let (d, offset) = if sunday_morning {
                let ny_t = t.with_timezone(&New_York);
                (ny_t.date_naive(), ny_t.offset().fix().local_minus_utc())
            } else {
                let window = (ts - FIRST_SUNDAY_NOON).div_euclid(WEEK);
                let offset = match cache {
                    Some((w, off)) if w == window => off,
                    _ => {
                        let off = New_York
                            .offset_from_utc_datetime(&t.naive_utc())
                            .fix()
                            .local_minus_utc();
                        cache = Some((window, off));
                        off
                    }
                };
                // The offset is under a day, so the local date is the UTC date or a neighbour:
                // no conversion from a day number needed.
                let local = i64::from(t.time().num_seconds_from_midnight()) + i64::from(offset);
                let utc = t.date_naive();
                let d = match local {
                    ..0 => utc.pred_opt(),
                    86_400.. => utc.succ_opt(),
                    _ => Some(utc),
                };
                let d = d.unwrap_or_else(|| {
                    (t + chrono::Duration::seconds(i64::from(offset))).date_naive()
                });
                (d, offset)
            };
            if last == Some(d) {
                continue;
            }
            last = Some(d);
            if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                dates.push((d, offset));
            }
        }
        // Bars usually arrive in time order, and then this sort only checks it. It is stable,
        // so a date keeps the offset of its first instant.
        dates.sort_by_key(|&(d, _)| d);
        dates.dedup_by_key(|&mut (d, _)| d);
        let days: Vec<Day> = dates.into_iter().map(|(d, o)| Day::new(d, o)).collect();
        let through = match (days.first(), days.last()) {
            (Some(first), Some(last)) => {
                let span = (last.date - first.date).num_days() as usize + 1;
                if span <= DENSE_SPAN_PER_DAY * days.len() + 64 {
                    let mut through = Vec::with_capacity(span);
                    let mut next = 0;
                    let mut date = first.date;
                    for _ in 0..span {
                        if days.get(next).is_some_and(|d| d.date == date) {
                            next += 1;
                        }
                        through.push(next as u32);
                        date = date.succ_opt().unwrap_or(date);
                    }
                    through
                } else {
                    Vec::new()
                }
            }
            _ => Vec::new(),
        };
        let first = days.first().map_or(0, |d| d.date.num_days_from_ce());
        Self {
            days,
            through,
            first,
        }
    }

    /// The number of trading days.
    pub fn len(&self) -> usize {
        self.days.len()
    }

    /// Whether there is no trading day at all.
    pub fn is_empty(&self) -> bool {
        self.days.is_empty()
    }

    /// How many trading days fall on or before `date`.
    fn count_through(&self, date: NaiveDate) -> usize {
        if self.through.is_empty() {
            return self.days.partition_point(|d| d.date <= date);
        }
        let k = i64::from(date.num_days_from_ce()) - i64::from(self.first);
        match usize::try_from(k) {
            Err(_) => 0,
            Ok(k) => self.through.get(k).map_or(self.days.len(), |&n| n as usize),
        }
    }

    /// Where `date` is in `days`, if it is a trading day.
    fn index(&self, date: NaiveDate) -> Option<usize> {
        let n = self.count_through(date);
        (n > 0 && self.days[n - 1].date == date).then(|| n - 1)
    }

    /// How many sessions opened at or before `t`.
    fn started_by(&self, t: DateTime<Utc>) -> usize {
        // Sessions of earlier UTC dates opened before `t`; one on `t`'s UTC date may not have yet.
        let n = self.count_through(t.date_naive());
        if n > 0 && self.days[n - 1].open > t {
            n - 1
        } else {
            n
        }
    }

    /// Midnight New York at the start of `date`, as a UTC instant.
    pub fn midnight(&self, date: NaiveDate) -> DateTime<Utc> {
        if let Some(i) = self.index(date) {
            return self.days[i].midnight;
        }
        New_York
            .from_local_datetime(&date.and_time(NaiveTime::MIN))
            .earliest()
            .map_or_else(|| ny(date, NaiveTime::MIN), |t| t.with_timezone(&Utc))
    }

    /// The expiration date of contracts listed for Friday `friday`: the Friday itself, or the
    /// last trading day before it in the same week when the market was closed on it (the OCC
    /// moves a holiday expiration to the previous business day). `None` when the whole week
    /// was closed. Dates after the calendar's last day are taken as trading days.
    pub fn expiration_for(&self, friday: NaiveDate) -> Option<NaiveDate> {
        if self.days.last().is_none_or(|d| friday > d.date) {
            return Some(friday);
        }
        (0..5u64)
            .filter_map(|back| friday.checked_sub_days(chrono::Days::new(back)))
            .find(|&d| self.is_trading_day(d))
    }

    /// Whether `date` is a trading day.
    pub fn is_trading_day(&self, date: NaiveDate) -> bool {
        self.index(date).is_some()
    }

    /// The regular open and close of `date`, if it is a trading day.
    pub fn session(&self, date: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        self.index(date)
            .map(|i| (self.days[i].open, self.days[i].close))
    }

    /// If `t` is a trading day's midnight New York (a daily bar's stamp), that day.
    pub fn session_bar_date(&self, t: DateTime<Utc>) -> Option<NaiveDate> {
        let i = self.index(t.date_naive())?;
        (self.days[i].midnight == t).then_some(self.days[i].date)
    }

    /// The trading day whose session started last at or before `t` (the current one while open).
    fn last_started(&self, t: DateTime<Utc>) -> Option<&Day> {
        self.started_by(t).checked_sub(1).map(|i| &self.days[i])
    }

    /// Whether the regular session is open at `t`.
    pub fn is_open(&self, t: DateTime<Utc>) -> bool {
        self.last_started(t).is_some_and(|d| t < d.close)
    }

    /// The next regular open strictly after `t`, if the data has one.
    pub fn next_open(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.days.get(self.started_by(t)).map(|d| d.open)
    }

    /// The next regular close after `t` (the current session's close while open).
    pub fn next_close(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let started = self.started_by(t);
        match started.checked_sub(1).map(|i| &self.days[i]) {
            Some(d) if t < d.close => Some(d.close),
            _ => self.days.get(started).map(|d| d.close),
        }
    }

    /// Trading days from `start` to `end` inclusive.
    pub fn days_between(
        &self,
        start: NaiveDate,
        end: NaiveDate,
    ) -> impl Iterator<Item = NaiveDate> + '_ {
        let from = self.count_through(start) - usize::from(self.index(start).is_some());
        let to = self.count_through(end).max(from);
        self.days[from..to].iter().map(|d| d.date)
    }

    /// [`date_of`](Self::date_of) `t`, with that date's [`midnight`](Self::midnight) and
    /// [`session`](Self::session): what a replay asks when a bar starts a new day, answered with
    /// one lookup when `t` is a session bar's stamp (a daily bar).
    pub fn day_of(&self, t: DateTime<Utc>) -> (NaiveDate, DateTime<Utc>, Option<Hours>) {
        if let Some(i) = self.index(t.date_naive())
            && self.days[i].midnight == t
        {
            let d = &self.days[i];
            return (d.date, d.midnight, Some((d.open, d.close)));
        }
        let date = self.date_of(t);
        (date, self.midnight(date), self.session(date))
    }

    /// The New York trading date of `t`: the date of a session bar stamp, else the date of the
    /// session that started last at or before `t` (or the plain conversion outside the data).
    pub fn date_of(&self, t: DateTime<Utc>) -> NaiveDate {
        if let Some(d) = self.session_bar_date(t) {
            return d;
        }
        match self.last_started(t) {
            Some(day) if t < day.close + chrono::Duration::hours(8) => day.date,
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
    fn dates_match_a_plain_conversion_for_every_hour_of_two_years() {
        let start = t("2023-01-01T00:00:00Z");
        let times: Vec<DateTime<Utc>> = (0..2 * 365 * 24)
            .map(|h| start + chrono::Duration::hours(h))
            .collect();
        let c = SessionCalendar::from_times(times.iter().copied());
        let expected: std::collections::BTreeSet<NaiveDate> = times
            .iter()
            .map(|t| t.with_timezone(&New_York).date_naive())
            .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
            .collect();
        let got: std::collections::BTreeSet<NaiveDate> = c.days.iter().map(|d| d.date).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn the_dense_index_answers_as_a_search_does() {
        // Daily stamps over a DST change with a holiday, plus intraday stamps.
        let mut times: Vec<DateTime<Utc>> = [
            "2024-03-07T05:00:00Z",
            "2024-03-08T05:00:00Z",
            "2024-03-11T04:00:00Z",
            "2024-03-13T04:00:00Z",
            "2024-03-14T13:35:00Z",
            "2024-03-15T19:59:00Z",
        ]
        .map(t)
        .to_vec();
        times.push(t("2024-03-18T04:00:00Z"));
        let dense = SessionCalendar::from_times(times.iter().copied());
        assert!(!dense.through.is_empty());
        let searched = SessionCalendar {
            through: Vec::new(),
            ..dense.clone()
        };
        let start = t("2024-03-01T00:00:00Z");
        for m in 0..30 * 24 * 4 {
            let at = start + chrono::Duration::minutes(15 * m);
            assert_eq!(dense.is_open(at), searched.is_open(at), "{at}");
            assert_eq!(dense.next_open(at), searched.next_open(at), "{at}");
            assert_eq!(dense.next_close(at), searched.next_close(at), "{at}");
            assert_eq!(dense.date_of(at), searched.date_of(at), "{at}");
            assert_eq!(dense.session_bar_date(at), searched.session_bar_date(at));
            let d = at.date_naive();
            assert_eq!(dense.session(d), searched.session(d));
            assert_eq!(dense.midnight(d), searched.midnight(d));
        }
        let day = |d| NaiveDate::from_ymd_opt(2024, 3, d).unwrap();
        let between: Vec<_> = dense.days_between(day(8), day(14)).collect();
        assert_eq!(between, [8, 11, 13, 14].map(day));
        assert_eq!(dense.days_between(day(14), day(8)).count(), 0);
        assert_eq!(searched.days_between(day(8), day(14)).count(), 4);
    }

    #[test]
    fn sparse_days_are_searched() {
        let c = SessionCalendar::from_times([t("1990-01-02T05:00:00Z"), t("2024-07-03T04:00:00Z")]);
        assert!(
            c.through.is_empty(),
            "34 years for two days: no dense index"
        );
        assert!(c.is_open(t("2024-07-03T13:30:00Z")));
        assert!(!c.is_open(t("2000-07-03T13:30:00Z")));
        assert_eq!(
            c.next_open(t("1990-01-02T21:00:00Z")),
            Some(t("2024-07-03T13:30:00Z"))
        );
        assert_eq!(
            c.session_bar_date(t("1990-01-02T05:00:00Z")),
            NaiveDate::from_ymd_opt(1990, 1, 2)
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
