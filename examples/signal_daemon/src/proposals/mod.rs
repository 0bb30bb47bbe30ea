//! Parameter proposals, never applied by themselves.
//!
//! For each strategy, a walk-forward sweep of its parameters over recent history
//! ([`alpaca_exec::backtest::walk_forward`]): every point of its [`grid`] is backtested on
//! the in-sample window, through the same executor, sizing and exit rules as the deployment;
//! the best (by `proposals.metric`, with at least `proposals.min_trades` round trips) is judged
//! on the out-of-sample window that follows, against the current parameters. The result is a
//! [`Proposal`] file (current and proposed parameters, both windows' figures for both, every
//! grid point's in-sample figures and the grid itself) written to `<data_dir>/proposals/`, and
//! an alert. Only `apply-proposal FILE` ([`apply`]) changes the configuration, and only for a
//! proposal whose verdict is an improvement.
//!
//! Runs from the `propose` command and, in `start`, after the close of each week's last
//! session. History comes from Alpaca with keys, else from the generated sample data, up to
//! the time of the run.

pub mod apply;
pub mod command;
pub mod grid;

use crate::config::{Config, StrategyConfig, param};
use crate::daemon::bars::{BarSource, SampleBars};
use crate::policy;
use crate::sample_data;
use crate::strategies::build::{build, data_timeframe};
use alpaca_exec::backtest::metrics::TradeStats;
use alpaca_exec::backtest::runner::Backtest;
use alpaca_exec::backtest::walk_forward::{
    Objective, Verdict, WalkForward, WalkForwardConfig, WindowResult, Windows, walk_forward,
};
use alpaca_exec::data::{Bar, TimeFrame};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::America::New_York;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A strategy's parameters, by key, as the config file writes them.
pub type Params = BTreeMap<String, toml::Value>;

/// Per strategy: the proposal written and its file, or why there is none.
pub type Outcomes = Vec<(String, Result<(PathBuf, Proposal), String>)>;

/// One window's figures for one parameter set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Round trips entered in the window.
    pub trades: usize,
    /// Winning round trips.
    pub wins: usize,
    /// Share of winners.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub win_rate: Option<f64>,
    /// Net realised P&L.
    pub net_pnl: Decimal,
    /// Mean P&L per round trip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expectancy: Option<Decimal>,
    /// Gross profit over gross loss.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profit_factor: Option<f64>,
    /// The metric's score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

impl Figures {
    fn of(r: &WindowResult) -> Self {
        let s: &TradeStats = &r.stats;
        // Ratios to four places: the file is read by a person; the verdict was decided before.
        let round = |x: f64| (x * 1e4).round() / 1e4;
        Self {
            trades: s.trades,
            wins: s.wins,
            win_rate: s.win_rate.map(round),
            net_pnl: s.net_pnl.round_dp(2),
            expectancy: (s.trades > 0).then(|| (s.net_pnl / Decimal::from(s.trades)).round_dp(2)),
            profit_factor: s.profit_factor.map(round),
            score: r.score.map(|x| if x.abs() < 1e12 { round(x) } else { x }),
        }
    }
}

/// Current and proposed parameters' figures in one window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The parameters in the configuration.
    pub current: Figures,
    /// The proposed ones (absent when nothing was chosen, or the choice is the current).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposed: Option<Figures>,
}

/// One grid point's in-sample figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// The values of the swept parameters.
    pub params: Params,
    /// Its figures, or why its backtest failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub figures: Option<Figures>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A proposal file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    /// `strategies.<strategy>` in the configuration.
    pub strategy: String,
    /// When made.
    pub created_at: DateTime<Utc>,
    /// `improvement` (may be applied), `not_better`, `unchanged` or `no_candidate`.
    pub verdict: Verdict,
    /// The verdict in words.
    pub summary: String,
    /// What the windows are ranked and judged by.
    pub metric: Objective,
    /// In-sample points needed at least this many round trips.
    pub min_trades: usize,
    /// Where the history came from (`alpaca` or `sample data`).
    pub history: String,
    /// The windows (New York session dates).
    pub windows: Windows,
    /// The swept parameters' current values.
    pub current: Params,
    /// The proposed values (only those that change), when a point was chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposed: Option<Params>,
    /// In-sample figures.
    pub in_sample: Comparison,
    /// Out-of-sample figures.
    pub out_of_sample: Comparison,
    /// The values tried per parameter.
    pub grid: BTreeMap<String, Vec<toml::Value>>,
    /// Every grid point in sample.
    pub points: Vec<Point>,
}

impl Proposal {
    /// Whether `apply-proposal` may apply it.
    pub fn is_improvement(&self) -> bool {
        self.verdict == Verdict::Improvement
            && self.proposed.as_ref().is_some_and(|p| !p.is_empty())
    }

    /// The file text: a comment saying what to do with it, then the TOML.
    pub fn to_text(&self) -> Result<String, String> {
        let body = toml::to_string(self).map_err(|e| e.to_string())?;
        let advice = if self.is_improvement() {
            "Review it; to apply: signal-daemon apply-proposal THIS_FILE --config YOUR_CONFIG"
        } else {
            "Not an improvement: there is nothing to apply."
        };
        Ok(format!(
            "# Parameter proposal for strategies.{}: {}\n# {advice}\n\n{body}",
            self.strategy, self.summary
        ))
    }

    /// Reads a proposal file.
    pub fn read(path: &Path) -> Result<Proposal, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: not a proposal: {e}", path.display()))
    }

    /// Writes it to `dir/<date>-<strategy>.toml` (New York date of `created_at`).
    pub fn write(&self, dir: &Path) -> Result<PathBuf, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let date = self.created_at.with_timezone(&New_York).date_naive();
        let path = dir.join(format!("{date}-{}.toml", self.strategy));
        std::fs::write(&path, self.to_text()?)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(path)
    }
}

/// The windows for a strategy on data of `tf`.
pub fn windows_for(cfg: &Config, tf: TimeFrame) -> WalkForwardConfig {
    let p = &cfg.proposals;
    let (in_sample, out_of_sample, warmup) = if tf.is_daily() {
        (p.daily_in_sample, p.daily_out_of_sample, p.daily_warmup)
    } else {
        (
            p.intraday_in_sample,
            p.intraday_out_of_sample,
            p.intraday_warmup,
        )
    };
    WalkForwardConfig {
        in_sample,
        out_of_sample,
        warmup,
        min_trades: p.min_trades,
        threads: p.threads,
    }
}

/// The bars a strategy's backtests run on (what `backtest` gives it): daily bars for daily
/// strategies and STRAT, one-minute bars for intraday ones.
pub fn data_timeframe_of(s: &StrategyConfig) -> TimeFrame {
    match data_timeframe(s) {
        Some(tf) if !tf.is_daily() => TimeFrame::MINUTE,
        _ => TimeFrame::DAY,
    }
}

/// Sessions of history a proposal for `s` needs.
pub fn sessions_needed(cfg: &Config, s: &StrategyConfig) -> usize {
    let w = windows_for(cfg, data_timeframe_of(s));
    w.warmup + w.in_sample + w.out_of_sample
}

/// The history of strategy `s` up to `now` from `source`: enough calendar days for the
/// windows (weekends and holidays included).
pub async fn history(
    cfg: &Config,
    s: &StrategyConfig,
    source: &dyn BarSource,
    now: DateTime<Utc>,
) -> Result<Vec<(String, Vec<Bar>)>, String> {
    let sessions = sessions_needed(cfg, s) as i64;
    let start = now - Duration::days(sessions * 7 / 5 + 14);
    let bars = source
        .bars(s.symbols(), data_timeframe_of(s), start, now)
        .await?;
    Ok(bars.into_iter().filter(|(_, b)| !b.is_empty()).collect())
}

/// Generated sample history for the enabled strategies, up to the New York date of `now`
/// (or the configured sample length when `now` is `None`), with minute bars for as many
/// sessions as the intraday windows need.
pub fn sample_history(cfg: &Config, now: Option<DateTime<Utc>>) -> (SampleBars, DateTime<Utc>) {
    let symbols = cfg.enabled_symbols();
    let p = &cfg.proposals;
    let intraday = p.intraday_warmup + p.intraday_in_sample + p.intraday_out_of_sample;
    let days = match now {
        Some(t) => sample_data::sessions_until(t.with_timezone(&New_York).date_naive()),
        None => cfg.backtest.days as usize,
    };
    let samples = sample_data::generate(&symbols, cfg.backtest.seed, days, intraday.min(days));
    // Without a time, the history ends after the close of the sample's last session (when
    // the weekly job would run).
    let end = samples
        .iter()
        .filter_map(|s| s.daily.last())
        .map(|b| b.timestamp.with_timezone(&New_York).date_naive())
        .max()
        .and_then(|d| {
            d.and_hms_opt(16, 30, 0)?
                .and_local_timezone(New_York)
                .single()
        })
        .map_or_else(Utc::now, |t| t.with_timezone(&Utc));
    (SampleBars::new(&samples), now.unwrap_or(end))
}

/// Makes the proposal for strategy `name` of `cfg` on `series` (CPU-bound: run it off the
/// async runtime). `history` says where the bars came from.
pub fn make(
    cfg: &Config,
    name: &str,
    series: &[(String, Vec<Bar>)],
    now: DateTime<Utc>,
    history: &str,
) -> Result<Proposal, String> {
    let s = cfg
        .strategies
        .get(name)
        .ok_or_else(|| format!("no strategy {name}"))?;
    let values = grid::values(cfg, name, s);
    let points = grid::points(cfg, name, s, &values);
    let tf = data_timeframe_of(s);
    let wf_cfg = windows_for(cfg, tf);
    let build_point = |p: &StrategyConfig| -> Backtest {
        let mut one = cfg.clone();
        one.strategies = BTreeMap::from([(name.to_owned(), p.clone())]);
        let mut bt = Backtest::new(policy::backtest_config(&one));
        for strategy in build(&one.strategies, tf) {
            bt = bt.strategy(strategy);
        }
        bt
    };
    let wf = walk_forward(
        s,
        points,
        series,
        &wf_cfg,
        cfg.proposals.metric,
        build_point,
    )
    .map_err(|e| format!("strategies.{name}: {e}"))?;
    Ok(proposal(cfg, name, s, &values, &wf, now, history))
}

fn proposal(
    cfg: &Config,
    name: &str,
    current: &StrategyConfig,
    values: &BTreeMap<String, Vec<toml::Value>>,
    wf: &WalkForward<StrategyConfig>,
    now: DateTime<Utc>,
    history: &str,
) -> Proposal {
    let swept = |s: &StrategyConfig| -> Params {
        values
            .keys()
            .filter_map(|k| param(s, k).map(|v| (k.clone(), v)))
            .collect()
    };
    let current_params = swept(current);
    let proposed = wf.chosen_params().map(|p| {
        swept(p)
            .into_iter()
            .filter(|(k, v)| current_params.get(k) != Some(v))
            .collect::<Params>()
    });
    let chosen_in = wf
        .chosen
        .filter(|_| wf.chosen_out_of_sample.is_some())
        .and_then(|i| wf.in_sample[i].in_sample.as_ref().ok())
        .map(Figures::of);
    let metric = cfg.proposals.metric;
    let score = |f: &Option<Figures>| {
        f.as_ref()
            .and_then(|f| f.score)
            .map_or("n/a".into(), |s| format!("{s:.2}"))
    };
    let out_current = Some(Figures::of(&wf.current_out_of_sample));
    let out_chosen = wf.chosen_out_of_sample.as_ref().map(Figures::of);
    let metric_name = serde_json::to_value(metric)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let summary = match wf.verdict {
        Verdict::Improvement => format!(
            "improvement: out of sample {metric_name} {} against {} for the current parameters",
            score(&out_chosen),
            score(&out_current)
        ),
        Verdict::NotBetter => format!(
            "not an improvement: the in-sample choice scored {} out of sample against {} for the current parameters; keep them",
            score(&out_chosen),
            score(&out_current)
        ),
        Verdict::Unchanged => {
            "the current parameters are the best of the grid in sample; nothing to change".into()
        }
        Verdict::NoCandidate => format!(
            "no grid point had {} round trips in sample; nothing to propose",
            cfg.proposals.min_trades
        ),
    };
    Proposal {
        strategy: name.to_owned(),
        created_at: now,
        verdict: wf.verdict,
        summary,
        metric,
        min_trades: cfg.proposals.min_trades,
        history: history.to_owned(),
        windows: wf.windows,
        current: current_params,
        proposed,
        in_sample: Comparison {
            current: Figures::of(&wf.current_in_sample),
            proposed: chosen_in,
        },
        out_of_sample: Comparison {
            current: Figures::of(&wf.current_out_of_sample),
            proposed: out_chosen,
        },
        grid: values.clone(),
        points: wf
            .in_sample
            .iter()
            .map(|e| Point {
                params: swept(&e.params),
                figures: e.in_sample.as_ref().ok().map(Figures::of),
                error: e.in_sample.as_ref().err().cloned(),
            })
            .collect(),
    }
}

/// Makes and writes the proposals of the enabled strategies in `names` (all when empty) on
/// history from `source` up to `now`; returns, per strategy, the file and its summary, or why
/// there is none. One strategy's failure does not stop the others.
pub async fn run(
    cfg: &Config,
    names: &[String],
    source: &dyn BarSource,
    history_label: &str,
    now: DateTime<Utc>,
    dir: &Path,
) -> Outcomes {
    let mut out = Vec::new();
    for (name, s) in cfg.strategies.iter().filter(|(_, s)| s.enabled()) {
        if !names.is_empty() && !names.contains(name) {
            continue;
        }
        let result = async {
            let series = history(cfg, s, source, now).await?;
            let (cfg, name_owned, label) = (cfg.clone(), name.clone(), history_label.to_owned());
            let proposal =
                tokio::task::spawn_blocking(move || make(&cfg, &name_owned, &series, now, &label))
                    .await
                    .map_err(|e| format!("the sweep stopped: {e}"))??;
            let path = proposal.write(dir)?;
            Ok((path, proposal))
        }
        .await;
        if let Err(e) = &result {
            tracing::warn!(strategy = %name, error = %e, "no proposal");
        }
        out.push((name.clone(), result));
    }
    out
}

/// The alert text for a run's results.
pub fn alert_text(results: &Outcomes) -> String {
    let mut lines =
        vec!["Weekly parameter proposals (nothing is applied without apply-proposal):".to_owned()];
    for (name, r) in results {
        lines.push(match r {
            Ok((path, p)) => format!("{name}: {} ({})", p.summary, path.display()),
            Err(e) => format!("{name}: no proposal: {e}"),
        });
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests;
