//! Walk-forward evaluation of a parameter grid: choose on an in-sample window, judge the choice
//! on the out-of-sample window that follows it, against the parameters in use.
//!
//! The best point of a sweep over one stretch of history is partly luck (see [`super::sweep`]);
//! walking forward asks whether it still beats the current parameters on history it was not
//! chosen on. The windows are the most recent sessions of the data:
//!
//! ```text
//! | warm-up | in-sample (choose) | out-of-sample (judge) |   <- the last sessions
//!                     | warm-up  |
//! ```
//!
//! Each window is backtested from `warmup` sessions before it, so indicators are ready when it
//! starts; only round trips *entered* inside the window count, and positions still open at
//! its end do not. Every grid point runs on the in-sample window ([`sweep`], on all cores by
//! default); the point with the best [`Objective`] among those with at least `min_trades`
//! round trips is chosen (the current parameters win a tie), then it and the current
//! parameters run on the out-of-sample window. The [`Verdict`] says whether the choice is an
//! improvement there; a choice that is not says so and must not be offered as one.

use super::metrics::{ClosedTrade, TradeStats, trade_stats};
use super::runner::Backtest;
use super::sweep::sweep;
use crate::data::Bar;
use crate::options::select::new_york_date;
use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Window lengths, in sessions, and the sweep's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalkForwardConfig {
    /// Sessions the parameters are chosen on.
    pub in_sample: usize,
    /// Sessions the choice is judged on (the most recent).
    pub out_of_sample: usize,
    /// Sessions fed before each window to warm indicators up; their trades do not count.
    pub warmup: usize,
    /// In-sample points with fewer round trips cannot be chosen.
    pub min_trades: usize,
    /// Threads for the sweep (0: every core).
    pub threads: usize,
}

/// What a window's round trips are ranked by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// Net realised P&L.
    NetPnl,
    /// Mean P&L per round trip.
    Expectancy,
    /// Gross profit over gross loss; without a losing trade, any winner ranks above every
    /// finite factor.
    ProfitFactor,
    /// Share of winning round trips.
    WinRate,
}

impl Objective {
    /// The score of a window's statistics; `None` when it has no meaning (no round trip).
    pub fn score(self, s: &TradeStats) -> Option<f64> {
        if s.trades == 0 {
            return match self {
                Objective::NetPnl => Some(0.0),
                _ => None,
            };
        }
        match self {
            Objective::NetPnl => s.net_pnl.to_f64(),
            Objective::Expectancy => s.net_pnl.to_f64().map(|n| n / s.trades as f64),
            Objective::ProfitFactor => match s.profit_factor {
                Some(p) => Some(p),
                None if s.wins > 0 => Some(f64::MAX),
                None => Some(0.0),
            },
            Objective::WinRate => s.win_rate,
        }
    }
}

/// The windows, as New York session dates (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Windows {
    /// First in-sample session.
    pub in_sample_start: NaiveDate,
    /// Last in-sample session.
    pub in_sample_end: NaiveDate,
    /// First out-of-sample session.
    pub out_of_sample_start: NaiveDate,
    /// Last out-of-sample session (the last of the data).
    pub out_of_sample_end: NaiveDate,
}

/// Why a walk-forward could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalkForwardError {
    /// The data has fewer sessions than the windows need.
    #[error("not enough history: the windows need {need} sessions, the data has {have}")]
    NotEnoughHistory {
        /// Warm-up + in-sample + out-of-sample.
        need: usize,
        /// Sessions in the data.
        have: usize,
    },
    /// A window length is zero.
    #[error("the in-sample and out-of-sample windows need at least one session each")]
    EmptyWindow,
    /// The current parameters' backtest failed (a grid point's failure is recorded instead).
    #[error("the current parameters' backtest failed: {0}")]
    Current(String),
}

/// A window's figures for one parameter set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowResult {
    /// Round trips entered in the window.
    pub stats: TradeStats,
    /// Their [`Objective`] score.
    pub score: Option<f64>,
}

/// One grid point on the in-sample window.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluated<P> {
    /// The parameters.
    pub params: P,
    /// Its figures, or why its backtest failed.
    pub in_sample: Result<WindowResult, String>,
}

/// What the walk-forward concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The chosen parameters beat the current ones out of sample.
    Improvement,
    /// The chosen parameters did not beat the current ones out of sample: not an improvement.
    NotBetter,
    /// The current parameters were the best in sample.
    Unchanged,
    /// No grid point had enough round trips in sample.
    NoCandidate,
}

/// The outcome of [`walk_forward`].
#[derive(Debug, Clone, PartialEq)]
pub struct WalkForward<P> {
    /// The windows used.
    pub windows: Windows,
    /// The ranking figure.
    pub objective: Objective,
    /// Every grid point in sample, in grid order.
    pub in_sample: Vec<Evaluated<P>>,
    /// The current parameters in sample.
    pub current_in_sample: WindowResult,
    /// Index in `in_sample` of the chosen point (`None`: no candidate).
    pub chosen: Option<usize>,
    /// The current parameters out of sample.
    pub current_out_of_sample: WindowResult,
    /// The chosen parameters out of sample (when they differ from the current ones).
    pub chosen_out_of_sample: Option<WindowResult>,
    /// The conclusion.
    pub verdict: Verdict,
}

impl<P> WalkForward<P> {
    /// The chosen parameters, if any point could be chosen.
    pub fn chosen_params(&self) -> Option<&P> {
        self.chosen.map(|i| &self.in_sample[i].params)
    }
}

/// The windows over the sessions (New York dates) of `series`: the last `out_of_sample`
/// sessions, the `in_sample` before them, and `warmup` before those.
pub fn windows(
    series: &[(String, Vec<Bar>)],
    cfg: &WalkForwardConfig,
) -> Result<(Windows, Vec<NaiveDate>), WalkForwardError> {
    if cfg.in_sample == 0 || cfg.out_of_sample == 0 {
        return Err(WalkForwardError::EmptyWindow);
    }
    let sessions: Vec<NaiveDate> = series
        .iter()
        .flat_map(|(_, bars)| bars.iter().map(|b| new_york_date(b.timestamp)))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let need = cfg
        .warmup
        .saturating_add(cfg.in_sample)
        .saturating_add(cfg.out_of_sample);
    if sessions.len() < need {
        return Err(WalkForwardError::NotEnoughHistory {
            need,
            have: sessions.len(),
        });
    }
    let n = sessions.len();
    let oos = n - cfg.out_of_sample;
    let is = oos - cfg.in_sample;
    Ok((
        Windows {
            in_sample_start: sessions[is],
            in_sample_end: sessions[oos - 1],
            out_of_sample_start: sessions[oos],
            out_of_sample_end: sessions[n - 1],
        },
        sessions,
    ))
}

/// Runs the walk-forward (see the module docs) over `series` (each symbol's bars, oldest
/// first). `build` gives a backtest of one parameter set with its strategies and settings but
/// no bars: each window's bars are added here. `grid` need not hold `current`; it is evaluated
/// either way.
pub fn walk_forward<P, F>(
    current: &P,
    grid: Vec<P>,
    series: &[(String, Vec<Bar>)],
    cfg: &WalkForwardConfig,
    objective: Objective,
    build: F,
) -> Result<WalkForward<P>, WalkForwardError>
where
    P: Clone + PartialEq + Send + Sync,
    F: Fn(&P) -> Backtest + Sync,
{
    let (w, sessions) = windows(series, cfg)?;
    let position = |d: NaiveDate| sessions.partition_point(|s| *s < d);
    let from = |start: NaiveDate| sessions[position(start).saturating_sub(cfg.warmup)];
    let in_data = slice(series, from(w.in_sample_start), w.in_sample_end);
    let out_data = slice(series, from(w.out_of_sample_start), w.out_of_sample_end);

    let mut points = grid;
    let current_at = match points.iter().position(|p| p == current) {
        Some(i) => i,
        None => {
            points.push(current.clone());
            points.len() - 1
        }
    };
    let judge = |trades: &[ClosedTrade], start: NaiveDate, end: NaiveDate| {
        let stats = trade_stats(trades.iter().filter(|t| {
            let d = new_york_date(t.entry_time);
            start <= d && d <= end
        }));
        WindowResult {
            score: objective.score(&stats).filter(|s| !s.is_nan()),
            stats,
        }
    };
    let in_sample: Vec<Evaluated<P>> =
        sweep(points, cfg.threads, |p| with_bars(build(p), &in_data))
            .into_iter()
            .map(|sp| Evaluated {
                in_sample: sp
                    .result
                    .map(|r| judge(&r.trades, w.in_sample_start, w.in_sample_end))
                    .map_err(|e| e.to_string()),
                params: sp.params,
            })
            .collect();
    let current_in_sample = in_sample[current_at]
        .in_sample
        .clone()
        .map_err(WalkForwardError::Current)?;

    let eligible = |e: &Evaluated<P>| {
        e.in_sample
            .as_ref()
            .ok()
            .filter(|r| r.stats.trades >= cfg.min_trades)
            .and_then(|r| r.score)
    };
    let mut chosen: Option<(usize, f64)> =
        eligible(&in_sample[current_at]).map(|s| (current_at, s));
    for (i, e) in in_sample.iter().enumerate() {
        if let Some(s) = eligible(e)
            && chosen.is_none_or(|(_, best)| s > best)
        {
            chosen = Some((i, s));
        }
    }
    let chosen = chosen.map(|(i, _)| i);

    let mut out_points = vec![current.clone()];
    if let Some(i) = chosen.filter(|&i| i != current_at) {
        out_points.push(in_sample[i].params.clone());
    }
    let mut out = sweep(out_points, cfg.threads, |p| with_bars(build(p), &out_data))
        .into_iter()
        .map(|sp| {
            sp.result
                .map(|r| judge(&r.trades, w.out_of_sample_start, w.out_of_sample_end))
                .map_err(|e| e.to_string())
        });
    let current_out_of_sample = out
        .next()
        .expect("the current parameters ran")
        .map_err(WalkForwardError::Current)?;
    let chosen_out_of_sample = out.next().map(|r| {
        r.unwrap_or(WindowResult {
            stats: TradeStats::default(),
            score: None,
        })
    });
    let verdict = match (chosen, &chosen_out_of_sample) {
        (None, _) => Verdict::NoCandidate,
        (Some(_), None) => Verdict::Unchanged,
        (Some(_), Some(c)) => match (c.score, current_out_of_sample.score) {
            (Some(new), Some(old)) if new > old => Verdict::Improvement,
            // A comparison that cannot be made (no round trip to score) is no improvement.
            _ => Verdict::NotBetter,
        },
    };
    Ok(WalkForward {
        windows: w,
        objective,
        in_sample,
        current_in_sample,
        chosen,
        current_out_of_sample,
        chosen_out_of_sample,
        verdict,
    })
}

/// The bars of each series whose New York date is in `[from, to]`.
fn slice(series: &[(String, Vec<Bar>)], from: NaiveDate, to: NaiveDate) -> Vec<(String, Vec<Bar>)> {
    series
        .iter()
        .map(|(sym, bars)| {
            let lo = bars.partition_point(|b| new_york_date(b.timestamp) < from);
            let hi = bars.partition_point(|b| new_york_date(b.timestamp) <= to);
            (sym.clone(), bars[lo..hi.max(lo)].to_vec())
        })
        .filter(|(_, bars)| !bars.is_empty())
        .collect()
}

fn with_bars(mut bt: Backtest, data: &[(String, Vec<Bar>)]) -> Backtest {
    for (sym, bars) in data {
        bt = bt.bars(sym, bars.clone());
    }
    bt
}

#[cfg(test)]
mod tests;
