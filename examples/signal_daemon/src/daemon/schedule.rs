//! When each job runs: pure functions of the trading sessions (Alpaca's calendar, so early
//! closes and holidays are already in the open and close times) and the time now.
//!
//! - market open: at each session's open (queued overnight signals go out, orders are
//!   reconciled);
//! - a daily strategy: 5 minutes after each close (16:05 New York on a normal day), when the
//!   day's bar is final; its entries queue and go out at the next open;
//! - an intraday strategy: each time one of its bars ends inside the session (bars aligned to
//!   the clock, as Alpaca's are), plus [`BAR_DELAY`] for the bar to be published;
//! - the position monitor: every `check_interval` from the open to the close;
//! - market close: a minute after the close (daily summary, status);
//! - parameter proposals: [`PROPOSALS_AFTER_CLOSE`] after the close of each week's last session
//!   (Friday's, or Thursday's when Friday is a holiday).

use alpaca_exec::broker::Session;
use chrono::{DateTime, Duration, Utc};

/// How long after a bar ends the daemon asks for it: Alpaca publishes a bar a few seconds late.
pub const BAR_DELAY: Duration = Duration::seconds(10);

/// How long after the close a daily strategy runs (16:05 New York on a normal day).
pub const AFTER_CLOSE: Duration = Duration::minutes(5);

/// How long after the open the open job runs: the broker's clock reports the market open.
pub const OPEN_DELAY: Duration = Duration::seconds(5);

/// How long after the close the day is closed (summary, status).
pub const CLOSE_CLEANUP: Duration = Duration::minutes(1);

/// How long after the week's last close the proposals run (after the daily strategies and the
/// day's summary).
pub const PROPOSALS_AFTER_CLOSE: Duration = Duration::minutes(30);

/// A recurring job's timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    /// At each session's open, plus [`OPEN_DELAY`].
    AtOpen,
    /// This long after each session's close.
    AfterClose(Duration),
    /// At the end of each bar of this length inside the session, plus [`BAR_DELAY`].
    BarEnds(Duration),
    /// Every interval from the open, while the session is open.
    During(Duration),
    /// This long after the close of each week's last session.
    AfterWeekClose(Duration),
}

/// The first run time strictly after `after`, or `None` when `sessions` has none left (the
/// caller fetches more of the calendar).
pub fn next_run(
    cadence: Cadence,
    sessions: &[Session],
    after: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if let Cadence::AfterWeekClose(d) = cadence {
        return sessions
            .iter()
            .enumerate()
            .filter(|&(i, s)| last_of_week(s, sessions.get(i + 1)))
            .map(|(_, s)| s.close + d)
            .find(|t| *t > after);
    }
    sessions.iter().find_map(|s| in_session(cadence, s, after))
}

/// Whether `s` is its ISO week's last session, given the session after it: one in a later
/// week, or none known and `s` a Friday (the calendar is refetched daily, so only the week at
/// its very end is decided without the next session).
fn last_of_week(s: &Session, next: Option<&Session>) -> bool {
    use chrono::Datelike;
    match next {
        Some(n) => n.date.iso_week() != s.date.iso_week(),
        None => s.date.weekday() == chrono::Weekday::Fri,
    }
}

fn in_session(cadence: Cadence, s: &Session, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match cadence {
        Cadence::AtOpen => (s.open + OPEN_DELAY > after).then_some(s.open + OPEN_DELAY),
        Cadence::AfterClose(d) => (s.close + d > after).then_some(s.close + d),
        Cadence::BarEnds(len) => {
            // Bar ends on the clock grid (multiples of `len` since the epoch; New York's offset
            // is whole hours, so this is also the grid since midnight New York), after the
            // open and up to the close; the close itself ends the last, shorter bar.
            let step = len.num_seconds().max(1);
            let first_after = |t: DateTime<Utc>| {
                let k = t.timestamp().div_euclid(step) + 1;
                DateTime::<Utc>::from_timestamp(k * step, 0)
            };
            let mut end = first_after(s.open)?;
            let wanted = after - BAR_DELAY;
            if end <= wanted {
                end = first_after(wanted)?;
            }
            if end > s.close {
                end = s.close;
            }
            let due = end + BAR_DELAY;
            (due > after && end > s.open).then_some(due)
        }
        Cadence::AfterWeekClose(_) => None, // needs the next session: see `next_run`
        Cadence::During(every) => {
            let step = every.num_seconds().max(1);
            let since = (after - s.open).num_seconds();
            let k = if since < 0 { 0 } else { since / step + 1 };
            let t = s.open + Duration::seconds(k * step);
            (t < s.close).then_some(t)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};
    use chrono_tz::America::New_York;

    fn ny(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        New_York
            .with_ymd_and_hms(2024, 7, d, h, m, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    /// Tuesday 2 July (normal), Wednesday 3 July (early close 13:00), Friday 5 July: the 4th is
    /// a holiday, as in Alpaca's 2024 calendar.
    fn sessions() -> Vec<Session> {
        [(2, 16), (3, 13), (5, 16)]
            .iter()
            .map(|&(d, close)| Session {
                date: NaiveDate::from_ymd_opt(2024, 7, d).unwrap(),
                open: ny(d, 9, 30),
                close: ny(d, close, 0),
            })
            .collect()
    }

    #[test]
    fn daily_jobs_run_after_each_close_including_early_closes_and_skip_holidays() {
        let s = sessions();
        let c = Cadence::AfterClose(AFTER_CLOSE);
        assert_eq!(next_run(c, &s, ny(2, 12, 0)), Some(ny(2, 16, 5)));
        assert_eq!(
            next_run(c, &s, ny(2, 16, 5)),
            Some(ny(3, 13, 5)),
            "half day"
        );
        assert_eq!(
            next_run(c, &s, ny(3, 13, 5)),
            Some(ny(5, 16, 5)),
            "holiday skipped"
        );
        assert_eq!(next_run(c, &s, ny(5, 16, 5)), None, "calendar exhausted");
        let o = OPEN_DELAY;
        assert_eq!(
            next_run(Cadence::AtOpen, &s, ny(2, 16, 5)),
            Some(ny(3, 9, 30) + o)
        );
        assert_eq!(
            next_run(Cadence::AtOpen, &s, ny(3, 9, 30) + o),
            Some(ny(5, 9, 30) + o)
        );
    }

    #[test]
    fn hourly_bars_end_on_the_hour_and_the_close_ends_the_last() {
        let s = sessions();
        let c = Cadence::BarEnds(Duration::hours(1));
        let d = BAR_DELAY;
        assert_eq!(next_run(c, &s, ny(2, 8, 0)), Some(ny(2, 10, 0) + d));
        assert_eq!(next_run(c, &s, ny(2, 10, 0) + d), Some(ny(2, 11, 0) + d));
        assert_eq!(next_run(c, &s, ny(2, 15, 30)), Some(ny(2, 16, 0) + d));
        assert_eq!(next_run(c, &s, ny(2, 16, 0) + d), Some(ny(3, 10, 0) + d));
        assert_eq!(
            next_run(c, &s, ny(3, 12, 30)),
            Some(ny(3, 13, 0) + d),
            "early close"
        );
        assert_eq!(next_run(c, &s, ny(3, 13, 0) + d), Some(ny(5, 10, 0) + d));
        let m = Cadence::BarEnds(Duration::minutes(1));
        assert_eq!(next_run(m, &s, ny(2, 9, 0)), Some(ny(2, 9, 31) + d));
        assert_eq!(next_run(m, &s, ny(2, 9, 31) + d), Some(ny(2, 9, 32) + d));
        assert_eq!(next_run(m, &s, ny(2, 15, 59) + d), Some(ny(2, 16, 0) + d));
    }

    #[test]
    fn proposals_run_after_the_last_session_of_each_week() {
        let s = sessions();
        let c = Cadence::AfterWeekClose(PROPOSALS_AFTER_CLOSE);
        // Tuesday and the Wednesday half day are not the week's last; Friday is.
        assert_eq!(next_run(c, &s, ny(2, 9, 0)), Some(ny(5, 16, 30)));
        assert_eq!(next_run(c, &s, ny(5, 16, 30)), None, "calendar exhausted");
        // A Friday holiday: the week ends on Thursday (11 July here), known from the next
        // session being the following Monday.
        let d = |day: u32| NaiveDate::from_ymd_opt(2024, 7, day).unwrap();
        let week = [(10, 16), (11, 16), (15, 16)]
            .iter()
            .map(|&(day, close)| Session {
                date: d(day),
                open: ny(day, 9, 30),
                close: ny(day, close, 0),
            })
            .collect::<Vec<_>>();
        assert_eq!(next_run(c, &week, ny(10, 12, 0)), Some(ny(11, 16, 30)));
        // The calendar's last session, a Monday: not known to end its week.
        assert_eq!(next_run(c, &week, ny(11, 16, 30)), None);
    }

    #[test]
    fn monitor_runs_on_its_interval_only_while_open() {
        let s = sessions();
        let c = Cadence::During(Duration::seconds(60));
        assert_eq!(next_run(c, &s, ny(2, 7, 0)), Some(ny(2, 9, 30)));
        assert_eq!(next_run(c, &s, ny(2, 9, 30)), Some(ny(2, 9, 31)));
        assert_eq!(
            next_run(c, &s, ny(2, 9, 30) + Duration::seconds(10)),
            Some(ny(2, 9, 31))
        );
        assert_eq!(
            next_run(c, &s, ny(2, 15, 59)),
            Some(ny(3, 9, 30)),
            "closed at 16:00"
        );
    }
}
