//! `backtest --download`: real history from Alpaca for the backtest, through the library's
//! on-disk cache (`bars_cached`), so a re-run reads the files instead of downloading again.
//! Daily strategies get daily bars over `--from`..`--to`; intraday ones minute bars over the
//! last `--intraday-days` weekdays up to `--to` (minute history is large).

use crate::config::Config;
use crate::daemon::runtime::{MissingKeys, open_account, used_accounts};
use alpaca_exec::Client;
use alpaca_exec::backtest::download::{BarRequest, bars_cached};
use alpaca_exec::data::{Adjustment, Bar, TimeFrame};
use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::America::New_York;
use std::path::PathBuf;

/// What to download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    /// First day (New York).
    pub from: NaiveDate,
    /// Last day (New York), inclusive.
    pub to: NaiveDate,
    /// Where the cache files go.
    pub cache: PathBuf,
    /// Weekdays of minute bars for the intraday strategies.
    pub intraday_days: u32,
}

impl Download {
    /// Checks the range.
    pub fn validate(&self) -> Result<(), String> {
        if self.from > self.to {
            return Err(format!("--from {} is after --to {}", self.from, self.to));
        }
        if self.intraday_days == 0 {
            return Err("--intraday-days must be at least 1".into());
        }
        Ok(())
    }

    /// The range of the daily strategies' bars.
    pub fn daily_range(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        (start_of(self.from), end_of(self.to))
    }

    /// The range of the intraday strategies' minute bars: the last `intraday_days` weekdays.
    pub fn intraday_range(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let mut first = self.to;
        let mut counted = 0;
        loop {
            if !matches!(first.weekday(), Weekday::Sat | Weekday::Sun) {
                counted += 1;
            }
            if counted >= self.intraday_days || first <= self.from {
                break;
            }
            match first.checked_sub_days(Days::new(1)) {
                Some(d) => first = d,
                None => break,
            }
        }
        (start_of(first.max(self.from)), end_of(self.to))
    }
}

fn start_of(d: NaiveDate) -> DateTime<Utc> {
    New_York
        .from_local_datetime(&d.and_time(NaiveTime::MIN))
        .earliest()
        .map_or(DateTime::<Utc>::MIN_UTC, |t| t.with_timezone(&Utc))
}

fn end_of(d: NaiveDate) -> DateTime<Utc> {
    let next = d.checked_add_days(Days::new(1)).unwrap_or(d);
    start_of(next) - chrono::Duration::seconds(1)
}

/// A client for market data: the first account the enabled strategies use that has keys.
pub fn data_client(
    cfg: &Config,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Result<Client, MissingKeys>, String> {
    let mut missing = MissingKeys {
        variables: Vec::new(),
        accounts: Vec::new(),
    };
    for name in used_accounts(cfg) {
        match open_account(cfg, &name, env)? {
            Some(a) => return Ok(Ok(a.client)),
            None => {
                if let Some(p) = cfg.accounts.get(&name) {
                    missing.variables.extend(crate::credentials::variables(p));
                }
                missing.accounts.push(name);
            }
        }
    }
    missing.variables.sort();
    missing.variables.dedup();
    Ok(Err(missing))
}

/// Bars of `symbols` in `timeframe` over `range`, split- and dividend-adjusted, from the cache
/// or Alpaca. Prints a line per symbol.
pub async fn fetch(
    client: &Client,
    symbols: &[String],
    timeframe: TimeFrame,
    range: (DateTime<Utc>, DateTime<Utc>),
    cache: &std::path::Path,
) -> Result<Vec<(String, Vec<Bar>)>, String> {
    let request = BarRequest {
        symbols: symbols.to_vec(),
        timeframe,
        start: range.0,
        end: range.1,
        adjustment: Adjustment::All,
        feed: None,
    };
    let data = bars_cached(client, &request, cache, |_, _| {})
        .await
        .map_err(|e| format!("downloading {timeframe} bars: {e}"))?;
    for (symbol, bars) in &data {
        println!("{symbol}: {} {timeframe} bars", bars.len());
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn ranges_cover_new_york_days_and_the_last_weekdays() {
        let dl = Download {
            from: d(2024, 1, 2),
            to: d(2024, 11, 25),
            cache: PathBuf::from("c"),
            intraday_days: 3,
        };
        dl.validate().unwrap();
        let (start, end) = dl.daily_range();
        assert_eq!(start.to_rfc3339(), "2024-01-02T05:00:00+00:00");
        assert_eq!(end.to_rfc3339(), "2024-11-26T04:59:59+00:00");
        // Monday 25th back three weekdays: Thursday 21st (the weekend does not count).
        assert_eq!(
            dl.intraday_range().0.to_rfc3339(),
            "2024-11-21T05:00:00+00:00"
        );
        let bad = Download {
            from: d(2024, 2, 1),
            to: d(2024, 1, 1),
            ..dl
        };
        assert!(bad.validate().unwrap_err().contains("after"));
    }
}
