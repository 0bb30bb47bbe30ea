//! The `Strategy` values the daemon runs, built from the configuration: each feeds its rules
//! (trend.rs, bear_trap.rs, strat.rs, momentum.rs, mean_reversion.rs) and turns their decisions
//! into signals.

use super::Holding;
use super::bear_trap::{BearTrapParams, BearTrapRules};
use super::mean_reversion::{MeanReversionAction, MeanReversionParams, MeanReversionRules};
use super::momentum::{MomentumParams, MomentumRules};
use super::strat::{StratRules, StratSignal};
use super::trend::{TrendAction, TrendRules};
use crate::config::{StrategyConfig, timeframe};
use alpaca_exec::OptionType;
use alpaca_exec::backtest::bars::{absorb, bucket_start};
use alpaca_exec::data::TimeFrame;
use alpaca_exec::patterns::Direction;
use alpaca_exec::strategy::{Bar, Intent, OptionSpec, Signal, Strategy, StrategyContext};
use async_trait::async_trait;
use std::collections::BTreeMap;

/// The `Strategy` methods of a strategy that keeps its `name`, `symbols` and `timeframe` as
/// fields.
macro_rules! identity {
    () => {
        fn name(&self) -> &str {
            &self.name
        }
        fn watchlist(&self) -> Vec<String> {
            self.symbols.clone()
        }
        fn timeframe(&self) -> TimeFrame {
            self.timeframe
        }
    };
}

/// Trend hysteresis: long above the upper band, flat below the lower band.
pub struct TrendStrategy {
    name: String,
    symbols: Vec<String>,
    timeframe: TimeFrame,
    rules: TrendRules,
}

#[async_trait]
impl Strategy for TrendStrategy {
    identity!();
    async fn on_bar(&mut self, ctx: &StrategyContext, symbol: &str, bar: &Bar) -> Vec<Signal> {
        self.rules.sync(ctx, symbol);
        let intent = match self.rules.on_close(symbol, bar.close) {
            Some(TrendAction::Enter { .. }) => Intent::EnterLong,
            Some(TrendAction::Exit { .. }) => Intent::Exit,
            None => return Vec::new(),
        };
        vec![Signal::new(
            &self.name,
            symbol,
            intent,
            bar.close,
            bar.timestamp,
        )]
    }
}

/// Bear trap: buys a deep intraday flush that reclaims its low.
pub struct BearTrapStrategy {
    name: String,
    symbols: Vec<String>,
    rules: BearTrapRules,
}

#[async_trait]
impl Strategy for BearTrapStrategy {
    fn name(&self) -> &str {
        &self.name
    }
    fn watchlist(&self) -> Vec<String> {
        self.symbols.clone()
    }
    fn timeframe(&self) -> TimeFrame {
        TimeFrame::MINUTE
    }
    async fn on_bar(&mut self, ctx: &StrategyContext, symbol: &str, bar: &Bar) -> Vec<Signal> {
        if ctx.position(symbol).is_some() {
            // Held: the position monitor manages the exit.
            self.rules.on_bar(symbol, bar.timestamp, bar.low, bar.close);
            return Vec::new();
        }
        match self.rules.on_bar(symbol, bar.timestamp, bar.low, bar.close) {
            Some(e) => vec![
                Signal::new(
                    &self.name,
                    symbol,
                    Intent::EnterLong,
                    e.entry,
                    bar.timestamp,
                )
                .stop(e.stop)
                .target(e.target),
            ],
            None => Vec::new(),
        }
    }
}

/// Momentum: buys a close above the session VWAP on confirming volume; the position monitor
/// manages the exit (stop, target, trailing stop, before the close).
pub struct MomentumStrategy {
    name: String,
    symbols: Vec<String>,
    timeframe: TimeFrame,
    rules: MomentumRules,
}

#[async_trait]
impl Strategy for MomentumStrategy {
    identity!();
    async fn on_bar(&mut self, ctx: &StrategyContext, symbol: &str, bar: &Bar) -> Vec<Signal> {
        // The bar is judged when it ends; its VWAP and volume feed the rules while held too.
        let closed_at = chrono::Duration::from_std(self.timeframe.duration())
            .ok()
            .and_then(|d| bar.timestamp.checked_add_signed(d))
            .unwrap_or(bar.timestamp);
        let entry = self.rules.on_bar(symbol, bar, closed_at);
        match entry {
            Some(e) if ctx.position(symbol).is_none() => vec![
                Signal::new(
                    &self.name,
                    symbol,
                    Intent::EnterLong,
                    e.entry,
                    bar.timestamp,
                )
                .stop(e.stop)
                .target(e.target)
                .confidence(e.confidence),
            ],
            _ => Vec::new(),
        }
    }
}

/// Mean reversion: buys an oversold RSI, sells it overbought or back at the middle band.
pub struct MeanReversionStrategy {
    name: String,
    symbols: Vec<String>,
    timeframe: TimeFrame,
    rules: MeanReversionRules,
}

#[async_trait]
impl Strategy for MeanReversionStrategy {
    identity!();
    async fn on_bar(&mut self, ctx: &StrategyContext, symbol: &str, bar: &Bar) -> Vec<Signal> {
        self.rules.sync(ctx, symbol);
        let signal = |intent| Signal::new(&self.name, symbol, intent, bar.close, bar.timestamp);
        match self.rules.on_close(symbol, bar.close) {
            Some(MeanReversionAction::Enter { stop, .. }) => {
                let s = signal(Intent::EnterLong);
                vec![match stop {
                    Some(level) => s.stop(level),
                    None => s,
                }]
            }
            Some(MeanReversionAction::Exit { .. }) => vec![signal(Intent::Exit)],
            None => Vec::new(),
        }
    }
}

/// STRAT setups on several timeframes, traded with options. Runs on the finest timeframe it
/// is given and builds the coarser ones itself.
pub struct StratStrategy {
    name: String,
    symbols: Vec<String>,
    base: TimeFrame,
    timeframes: Vec<TimeFrame>,
    rules: StratRules,
    spec: (f64, f64, i64, i64),
    building: BTreeMap<(String, String), (chrono::DateTime<chrono::Utc>, Bar)>,
}

impl StratStrategy {
    fn signal(&self, symbol: &str, tf: TimeFrame, s: StratSignal, bar: &Bar) -> Signal {
        let option_type = match s.setup.direction {
            Direction::Bullish => OptionType::Call,
            Direction::Bearish => OptionType::Put,
        };
        let (min_delta, max_delta, min_dte, max_dte) = self.spec;
        tracing::info!(strategy = %self.name, %symbol, timeframe = %tf, setup = %s.setup.kind, "STRAT setup");
        Signal::new(
            &self.name,
            symbol,
            Intent::EnterLong,
            s.setup.entry,
            bar.timestamp,
        )
        .option(OptionSpec {
            option_type,
            min_delta,
            max_delta,
            min_dte,
            max_dte,
        })
        .stop(s.setup.stop)
        .target(s.setup.target)
    }
}

#[async_trait]
impl Strategy for StratStrategy {
    fn name(&self) -> &str {
        &self.name
    }
    fn watchlist(&self) -> Vec<String> {
        self.symbols.clone()
    }
    fn timeframe(&self) -> TimeFrame {
        self.base
    }
    async fn on_bar(&mut self, ctx: &StrategyContext, symbol: &str, bar: &Bar) -> Vec<Signal> {
        let mut out = Vec::new();
        let mut completed: Vec<(TimeFrame, Bar)> = Vec::new();
        for &tf in &self.timeframes {
            if tf == self.base {
                completed.push((tf, *bar));
                continue;
            }
            if tf.duration() < self.base.duration() {
                continue; // finer than the data: cannot be built
            }
            let key = (symbol.to_owned(), tf.to_string());
            let start = bucket_start(bar.timestamp, tf);
            match self.building.get_mut(&key) {
                Some((b, acc)) if *b == start => absorb(acc, bar),
                _ => {
                    if let Some((_, done)) = self.building.insert(key, (start, *bar)) {
                        completed.push((tf, done));
                    }
                }
            }
        }
        let open_positions = ctx.positions.len();
        for (tf, b) in completed {
            if let Some(Ok(s)) = self.rules.on_bar(symbol, &tf.to_string(), b.high, b.low)
                && open_positions < 5
            {
                out.push(self.signal(symbol, tf, s, bar));
            }
        }
        out.truncate(1); // one entry per symbol per bar, whatever the timeframes agree on
        out
    }
}

/// Builds the enabled strategies of `kinds` (names in the config), each on the finest of
/// `available` timeframes it can use. Returns (strategy, the timeframe its data must have).
pub fn build(
    strategies: &BTreeMap<String, StrategyConfig>,
    data_timeframe: TimeFrame,
) -> Vec<Box<dyn Strategy>> {
    let mut out: Vec<Box<dyn Strategy>> = Vec::new();
    for (name, cfg) in strategies {
        if !cfg.enabled() {
            continue;
        }
        match cfg {
            StrategyConfig::TrendHysteresis(c) => {
                let tf = timeframe(&format!("strategies.{name}.timeframe"), &c.timeframe)
                    .expect("validated");
                out.push(Box::new(TrendStrategy {
                    name: name.clone(),
                    symbols: c.symbols.clone(),
                    timeframe: tf,
                    rules: TrendRules::new(c.fast, c.slow, c.upper_band, c.lower_band),
                }));
            }
            StrategyConfig::BearTrap(c) => out.push(Box::new(BearTrapStrategy {
                name: name.clone(),
                symbols: c.symbols.clone(),
                rules: BearTrapRules::new(BearTrapParams {
                    min_drop: c.min_drop,
                    reclaim_margin: c.reclaim_margin,
                    stop_buffer: c.stop_buffer,
                    target_pct: c.target_pct,
                    exit_before_close_minutes: c.exit_before_close_minutes,
                }),
            })),
            StrategyConfig::Momentum(c) => out.push(Box::new(MomentumStrategy {
                name: name.clone(),
                symbols: c.symbols.clone(),
                timeframe: timeframe("", &c.timeframe).expect("validated"),
                rules: MomentumRules::new(MomentumParams {
                    volume_lookback: c.volume_lookback,
                    volume_multiple: c.volume_multiple,
                    min_vwap_distance: c.min_vwap_distance,
                    stop_pct: c.stop_pct,
                    target_pct: c.target_pct,
                    start_after_minutes: c.start_after_minutes,
                    exit_before_close_minutes: c.exit_before_close_minutes,
                }),
            })),
            StrategyConfig::MeanReversion(c) => out.push(Box::new(MeanReversionStrategy {
                name: name.clone(),
                symbols: c.symbols.clone(),
                timeframe: timeframe("", &c.timeframe).expect("validated"),
                rules: MeanReversionRules::new(MeanReversionParams {
                    rsi_period: c.rsi_period,
                    oversold: c.oversold,
                    overbought: c.overbought,
                    band_period: c.band_period,
                    exit_at_middle_band: c.exit_at_middle_band,
                    trend_period: c.trend_period,
                    stop_pct: c.stop_pct,
                }),
            })),
            StrategyConfig::StratOptions(c) => {
                let tfs: Vec<TimeFrame> = c
                    .timeframes
                    .iter()
                    .map(|t| timeframe("", t).expect("validated"))
                    .collect();
                out.push(Box::new(StratStrategy {
                    name: name.clone(),
                    symbols: c.symbols.clone(),
                    base: data_timeframe,
                    timeframes: tfs,
                    rules: StratRules::new(c.min_magnitude, c.min_reward_risk),
                    spec: (c.min_delta, c.max_delta, c.min_dte, c.max_dte),
                    building: BTreeMap::new(),
                }));
            }
        }
    }
    out
}

/// Closed bars a strategy needs before its rules can act: its longest indicator, plus one for
/// indicators of changes or of the bars before this one.
pub fn warmup_bars(cfg: &StrategyConfig) -> usize {
    match cfg {
        StrategyConfig::TrendHysteresis(c) => c.slow.saturating_add(1),
        StrategyConfig::Momentum(c) => c.volume_lookback.saturating_add(1),
        StrategyConfig::MeanReversion(c) => (c.rsi_period.saturating_add(1))
            .max(c.band_period)
            .max(c.trend_period.unwrap_or(0)),
        StrategyConfig::BearTrap(_) | StrategyConfig::StratOptions(_) => 0,
    }
}

/// The timeframe a strategy's data must come in: what it runs on (STRAT runs on the data).
pub fn data_timeframe(cfg: &StrategyConfig) -> Option<TimeFrame> {
    match cfg {
        StrategyConfig::TrendHysteresis(c) => timeframe("", &c.timeframe).ok(),
        StrategyConfig::BearTrap(c) => timeframe("", &c.timeframe).ok(),
        StrategyConfig::Momentum(c) => timeframe("", &c.timeframe).ok(),
        StrategyConfig::MeanReversion(c) => timeframe("", &c.timeframe).ok(),
        StrategyConfig::StratOptions(_) => None,
    }
}
