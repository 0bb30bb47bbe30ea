//! Market clock and calendar. Session times are in America/New_York, where the market lives.

use crate::client::Client;
use crate::client::transport::{Api, Request};
use crate::error::{Error, Result};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::America::New_York;
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer};

/// The market clock (`GET /v2/clock`). Alpaca sends Eastern offsets; they are kept.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Clock {
    /// Server time.
    pub timestamp: DateTime<FixedOffset>,
    /// Whether the regular session is open now.
    pub is_open: bool,
    /// Next regular open.
    pub next_open: DateTime<FixedOffset>,
    /// Next regular close.
    pub next_close: DateTime<FixedOffset>,
}

impl Clock {
    /// Server time in New York.
    pub fn now_eastern(&self) -> DateTime<Tz> {
        self.timestamp.with_timezone(&New_York)
    }

    /// Today's date in New York (the date that DTE and sessions are counted from).
    pub fn today_eastern(&self) -> NaiveDate {
        self.now_eastern().date_naive()
    }
}

/// One trading day from `GET /v2/calendar`, with session times as New York date-times.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CalendarDay {
    /// The trading date.
    pub date: NaiveDate,
    /// Regular open (normally 09:30 ET).
    pub open: DateTime<Tz>,
    /// Regular close (16:00 ET, 13:00 on early-close days).
    pub close: DateTime<Tz>,
    /// Extended session open (04:00 ET), if given.
    pub session_open: Option<DateTime<Tz>>,
    /// Extended session close (20:00 ET), if given.
    pub session_close: Option<DateTime<Tz>>,
    /// Settlement date, if given.
    pub settlement_date: Option<NaiveDate>,
}

impl CalendarDay {
    /// True if `t` falls in the regular session.
    pub fn is_regular_hours(&self, t: DateTime<Utc>) -> bool {
        t >= self.open.with_timezone(&Utc) && t < self.close.with_timezone(&Utc)
    }

    /// True for a shortened session (close before 16:00 ET).
    pub fn is_early_close(&self) -> bool {
        self.close.time() < NaiveTime::from_hms_opt(16, 0, 0).expect("valid")
    }
}

/// Parses `HH:MM` (regular) or `HHMM` (session) as a time.
fn parse_hhmm(s: &str) -> Option<NaiveTime> {
    let s = s.trim();
    let (h, m) = match s.split_once(':') {
        Some((h, m)) => (h, m),
        // `split_at_checked`: the text comes from the network, and a multi-byte character
        // straddling byte 2 would make `split_at` panic (found by the fuzz suite).
        None if s.len() == 4 => s.split_at_checked(2)?,
        None => return None,
    };
    NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, 0)
}

fn eastern(date: NaiveDate, time: NaiveTime) -> Option<DateTime<Tz>> {
    // Market hours never fall in the DST gap (02:00-03:00), so `single` always succeeds.
    New_York.from_local_datetime(&date.and_time(time)).single()
}

impl<'de> Deserialize<'de> for CalendarDay {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            date: NaiveDate,
            open: String,
            close: String,
            #[serde(default)]
            session_open: Option<String>,
            #[serde(default)]
            session_close: Option<String>,
            #[serde(default)]
            settlement_date: Option<NaiveDate>,
        }
        let raw = Raw::deserialize(d)?;
        let at = |field: &str, v: &str| {
            parse_hhmm(v)
                .and_then(|t| eastern(raw.date, t))
                .ok_or_else(|| {
                    serde::de::Error::custom(format_args!(
                        "{field} {v:?} is not HH:MM or HHMM on {}",
                        raw.date
                    ))
                })
        };
        let opt = |field: &str, v: &Option<String>| match v.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(s) => at(field, s).map(Some),
        };
        Ok(CalendarDay {
            date: raw.date,
            open: at("open", &raw.open)?,
            close: at("close", &raw.close)?,
            session_open: opt("session_open", &raw.session_open)?,
            session_close: opt("session_close", &raw.session_close)?,
            settlement_date: raw.settlement_date,
        })
    }
}

/// `GET /v2/calendar` request: trading days between two dates (inclusive).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CalendarRequest {
    /// First date (inclusive).
    pub start: Option<NaiveDate>,
    /// Last date (inclusive).
    pub end: Option<NaiveDate>,
}

impl CalendarRequest {
    /// Days from `start` to `end` inclusive.
    pub fn between(start: NaiveDate, end: NaiveDate) -> Self {
        Self {
            start: Some(start),
            end: Some(end),
        }
    }

    /// Sends the request.
    pub async fn send(&self, client: &Client) -> Result<Vec<CalendarDay>> {
        if let (Some(s), Some(e)) = (self.start, self.end)
            && s > e
        {
            return Err(Error::InvalidRequest(format!(
                "calendar start {s} is after end {e}"
            )));
        }
        let req = Request::get(Api::Trading, &["v2", "calendar"])
            .query_opt("start", self.start)
            .query_opt("end", self.end);
        client.transport().json(&req).await
    }
}

impl Client {
    /// `GET /v2/clock`.
    pub async fn clock(&self) -> Result<Clock> {
        self.transport()
            .json(&Request::get(Api::Trading, &["v2", "clock"]))
            .await
    }

    /// `GET /v2/calendar` for the given range.
    pub async fn calendar(&self, req: &CalendarRequest) -> Result<Vec<CalendarDay>> {
        req.send(self).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_day_in_eastern_time_across_dst() {
        let winter: CalendarDay = serde_json::from_str(
            r#"{"date":"2024-01-05","open":"09:30","close":"16:00","session_open":"0400","session_close":"2000"}"#,
        )
        .unwrap();
        assert_eq!(winter.open.to_rfc3339(), "2024-01-05T09:30:00-05:00");
        assert_eq!(
            winter.open.with_timezone(&Utc).to_rfc3339(),
            "2024-01-05T14:30:00+00:00"
        );
        let summer: CalendarDay = serde_json::from_str(
            r#"{"date":"2024-07-03","open":"09:30","close":"13:00","session_open":"","session_close":null}"#,
        )
        .unwrap();
        assert_eq!(summer.close.to_rfc3339(), "2024-07-03T13:00:00-04:00");
        assert!(summer.is_early_close());
        assert!(!winter.is_early_close());
        assert_eq!(summer.session_open, None);
    }

    #[test]
    fn bad_session_time_names_the_field() {
        let e = serde_json::from_str::<CalendarDay>(
            r#"{"date":"2024-01-05","open":"9h30","close":"16:00"}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("open \"9h30\""), "{e}");
    }

    #[test]
    fn regular_hours() {
        let d: CalendarDay =
            serde_json::from_str(r#"{"date":"2024-01-05","open":"09:30","close":"16:00"}"#)
                .unwrap();
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert!(!d.is_regular_hours(t("2024-01-05T14:29:59Z")));
        assert!(d.is_regular_hours(t("2024-01-05T14:30:00Z")));
        assert!(!d.is_regular_hours(t("2024-01-05T21:00:00Z")));
    }
}
