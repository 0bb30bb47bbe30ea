//! `scan`: the STRAT setups on the last completed bar of every symbol and timeframe of the
//! enabled `strat_options` strategies, with their configured filters, as a table. Reads
//! Alpaca's bars with the account's keys (sample data only with `--sample`); places nothing.
//!
//! "Completed" is judged without the calendar, by the regular hours of a normal day: today's
//! daily bar counts from the next New York day on (after an early close it waits until
//! midnight), an intraday bar once its span has ended, and bars wholly outside 09:30-16:00 are
//! left out, as the daemon leaves them out.

use crate::config::{Config, StrategyConfig, timeframe};
use crate::daemon::bars::{AlpacaBars, BarSource, SampleBars};
use crate::daemon::complete;
use crate::daemon::runtime::{MissingKeys, open_account};
use crate::strategies::strat::StratRules;
use alpaca_exec::backtest::format::money;
use alpaca_exec::data::{TimeFrame, TimeFrameUnit};
use alpaca_exec::patterns::{Direction, Setup};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::America::New_York;
use rust_decimal::Decimal;
use std::io::Write;

/// Why `scan` could not run: keys missing (an operator's setup problem) or anything else.
#[derive(Debug)]
pub enum ScanError {
    /// No keys for the account, and `--sample` was not given.
    NoKeys(MissingKeys),
    /// Anything else.
    Other(String),
}

impl From<String> for ScanError {
    fn from(e: String) -> Self {
        ScanError::Other(e)
    }
}

impl std::fmt::Display for ScanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScanError::NoKeys(m) => write!(
                f,
                "{m}: scan reads Alpaca's bars with the account's keys; set them, or pass --sample to scan generated sample data"
            ),
            ScanError::Other(e) => f.write_str(e),
        }
    }
}

/// What a scan found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Found {
    /// Symbol and timeframe pairs looked at.
    pub pairs: usize,
    /// Setups completed by the last bar.
    pub setups: usize,
    /// Of which passed the filters.
    pub pass: usize,
}

/// `scan [--timeframe TF] [--sample]`: picks the bar source and scans.
pub async fn run(
    cfg: &Config,
    only: Option<&str>,
    sample: bool,
    env: &dyn Fn(&str) -> Option<String>,
    out: &mut dyn Write,
) -> Result<Found, ScanError> {
    let only = match only {
        Some(t) => Some(timeframe("--timeframe", t).map_err(|e| e.to_string())?),
        None => None,
    };
    let strategies: Vec<(&String, &crate::config::StratConfig)> = cfg
        .strategies
        .iter()
        .filter_map(|(n, s)| match s {
            StrategyConfig::StratOptions(c) if c.enabled => Some((n, c)),
            _ => None,
        })
        .collect();
    if strategies.is_empty() {
        return Err(ScanError::Other(
            "no enabled strat_options strategy to scan".into(),
        ));
    }
    let mut found = Found::default();
    for (name, c) in strategies {
        let (source, now, label): (Box<dyn BarSource>, DateTime<Utc>, String) = if sample {
            let samples = crate::sample_data::generate(
                &c.symbols,
                cfg.backtest.seed,
                cfg.backtest.days as usize,
                10,
            );
            let end = samples
                .iter()
                .filter_map(|s| s.minutes.last().or(s.daily.last()))
                .map(|b| b.timestamp)
                .max()
                .unwrap_or_else(Utc::now);
            (
                Box::new(SampleBars::new(&samples)),
                end + Duration::days(1),
                format!("generated sample data (seed {})", cfg.backtest.seed),
            )
        } else {
            let Some(account) = open_account(cfg, &c.account, env)? else {
                let variables = cfg
                    .accounts
                    .get(&c.account)
                    .map(crate::credentials::variables)
                    .unwrap_or_default();
                return Err(ScanError::NoKeys(MissingKeys {
                    variables,
                    accounts: vec![c.account.clone()],
                }));
            };
            let label = format!("bars from {}", account.endpoints.describe_data());
            (
                Box::new(AlpacaBars::new(account.client, None)),
                Utc::now(),
                label,
            )
        };
        let timeframes: Vec<TimeFrame> = c
            .timeframes
            .iter()
            .filter_map(|t| timeframe("", t).ok())
            .filter(|t| only.is_none_or(|o| o == *t))
            .collect();
        if timeframes.is_empty() {
            return Err(ScanError::Other(format!(
                "strategies.{name} does not trade the timeframe asked for (it has {})",
                c.timeframes.join(", ")
            )));
        }
        writeln!(
            out,
            "{name}: {} on {}; minimum move {:.2}%, minimum reward/risk {:.2} ({label})",
            c.symbols.join(", "),
            timeframes
                .iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            (c.min_magnitude * Decimal::ONE_HUNDRED).round_dp(2),
            c.min_reward_risk.round_dp(2),
        )
        .map_err(|e| e.to_string())?;
        let mut rows = Vec::new();
        let mut missing = Vec::new();
        for &tf in &timeframes {
            let fetched = source
                .bars(&c.symbols, tf, now - lookback(tf), now)
                .await
                .map_err(|e| format!("bars ({tf}): {e}"))?;
            for symbol in &c.symbols {
                found.pairs += 1;
                let bars: Vec<_> = fetched
                    .get(symbol)
                    .map(|b| {
                        b.iter()
                            .filter(|b| complete(b.timestamp, tf, now, &[]))
                            .copied()
                            .collect()
                    })
                    .unwrap_or_default();
                if bars.len() < 4 {
                    missing.push(format!("{symbol} {tf}"));
                    continue;
                }
                let mut rules = StratRules::new(c.min_magnitude, c.min_reward_risk);
                let mut last = None;
                for b in &bars {
                    last = rules.on_bar(symbol, &tf.to_string(), b.high, b.low);
                }
                let Some(verdict) = last else { continue };
                let bar_time = bars[bars.len() - 1].timestamp;
                found.setups += 1;
                let row = match verdict {
                    Ok(s) => {
                        found.pass += 1;
                        row(
                            symbol,
                            tf,
                            bar_time,
                            &s.setup,
                            Some(s.reward_risk),
                            "pass".into(),
                        )
                    }
                    Err(why) => row(
                        symbol,
                        tf,
                        bar_time,
                        why.setup(),
                        why.reward_risk(),
                        format!("fails: {why}"),
                    ),
                };
                rows.push(row);
            }
        }
        print_table(out, &rows).map_err(|e| e.to_string())?;
        if !missing.is_empty() {
            writeln!(out, "not enough completed bars for: {}", missing.join(", "))
                .map_err(|e| e.to_string())?;
        }
    }
    let verdict = if found.setups == 0 {
        format!(
            "no setup on the last completed bar of {} symbol/timeframe pair(s)",
            found.pairs
        )
    } else {
        format!(
            "{} setup(s) on the last completed bar of {} symbol/timeframe pair(s): {} pass, {} filtered out",
            found.setups,
            found.pairs,
            found.pass,
            found.setups - found.pass
        )
    };
    writeln!(out, "{verdict}; nothing placed").map_err(|e| e.to_string())?;
    Ok(found)
}

/// History fetched for a timeframe: comfortably more than the four completed bars a setup needs.
fn lookback(tf: TimeFrame) -> Duration {
    match tf.unit() {
        TimeFrameUnit::Minute => Duration::days(4),
        TimeFrameUnit::Hour => Duration::days(10),
        TimeFrameUnit::Day => Duration::days(30),
        TimeFrameUnit::Week => Duration::days(200),
        TimeFrameUnit::Month => Duration::days(3 * 366),
    }
}

const HEAD: [&str; 10] = [
    "SYMBOL",
    "TIMEFRAME",
    "BAR",
    "PATTERN",
    "DIRECTION",
    "ENTRY",
    "STOP",
    "TARGET",
    "R/R",
    "RESULT",
];

fn row(
    symbol: &str,
    tf: TimeFrame,
    bar: DateTime<Utc>,
    s: &Setup,
    reward_risk: Option<Decimal>,
    result: String,
) -> [String; 10] {
    let local = bar.with_timezone(&New_York);
    let when = if tf.is_daily() || matches!(tf.unit(), TimeFrameUnit::Week | TimeFrameUnit::Month) {
        local.format("%Y-%m-%d").to_string()
    } else {
        local.format("%Y-%m-%d %H:%M").to_string()
    };
    [
        symbol.to_owned(),
        tf.to_string(),
        when,
        s.kind.to_string(),
        match s.direction {
            Direction::Bullish => "bullish (calls)".into(),
            Direction::Bearish => "bearish (puts)".into(),
        },
        money(s.entry),
        money(s.stop),
        money(s.target),
        reward_risk.map_or("n/a".into(), |r| format!("{:.2}", r.round_dp(2))),
        result,
    ]
}

fn print_table(out: &mut dyn Write, rows: &[[String; 10]]) -> std::io::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut width = HEAD.map(|h| h.len());
    for r in rows {
        for (w, cell) in width.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            // Prices and ratios right-aligned, the rest left; the last column unpadded.
            if i == cells.len() - 1 {
                s.push_str(c);
            } else if (5..=8).contains(&i) {
                s.push_str(&format!("{c:>w$}  ", w = width[i]));
            } else {
                s.push_str(&format!("{c:<w$}  ", w = width[i]));
            }
        }
        s
    };
    writeln!(out, "{}", line(&HEAD.map(String::from)))?;
    for r in rows {
        writeln!(out, "{}", line(r))?;
    }
    Ok(())
}
