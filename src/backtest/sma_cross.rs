//! A reference strategy: SMA(fast) / SMA(slow) crossover, long or flat.
//!
//! Goes long when the fast average crosses above the slow one and exits when it crosses back
//! below. Small enough to read in a minute, it is what the backtester's tests and benchmark run,
//! and a template for a first strategy of one's own.
//!
//! The averages are exact decimal averages of the closes ([`Sma<Decimal>`](Sma)) and the cross
//! is the crate's one rule ([`Crossover`]: a tie is not a cross), so a day on which the two
//! averages are equal is never taken for a cross however long the history. With market orders
//! filling at the next bar's open this is the textbook backtrader SMA-crossover strategy
//! (`bt.ind.CrossOver(SMA(fast), SMA(slow))`, buy on +1 when flat, close on -1 when long), and
//! it produces the same trades.

use crate::data::TimeFrame;
use crate::hash::FastMap;
use crate::indicators::{Cross, Crossover, Sma};
use crate::strategy::{Bar, Intent, Signal, Strategy, StrategyContext};
use async_trait::async_trait;
use rust_decimal::Decimal;

/// SMA crossover, long or flat, on each watched symbol.
#[derive(Debug, Clone)]
pub struct SmaCross {
    name: String,
    symbols: Vec<String>,
    timeframe: TimeFrame,
    fast: usize,
    slow: usize,
    /// Per symbol; looked up on every bar, hence the fast hasher.
    state: FastMap<String, (Sma<Decimal>, Sma<Decimal>, Crossover)>,
}

impl SmaCross {
    /// A crossover of `fast` over `slow` periods on daily bars. Panics if `fast` is zero or not
    /// below `slow` (a programming error in a strategy definition, not bad market data).
    pub fn new(name: &str, symbols: &[&str], fast: usize, slow: usize) -> Self {
        assert!(fast >= 1 && fast < slow, "need 1 <= fast < slow");
        Self {
            name: name.to_owned(),
            symbols: symbols.iter().map(|s| s.to_string()).collect(),
            timeframe: TimeFrame::DAY,
            fast,
            slow,
            state: FastMap::default(),
        }
    }

    /// Runs on bars of this interval instead of daily ones.
    pub fn with_timeframe(mut self, timeframe: TimeFrame) -> Self {
        self.timeframe = timeframe;
        self
    }
}

#[async_trait]
impl Strategy for SmaCross {
    fn name(&self) -> &str {
        &self.name
    }

    fn watchlist(&self) -> Vec<String> {
        self.symbols.clone()
    }

    fn timeframe(&self) -> TimeFrame {
        self.timeframe
    }

    async fn on_bar(&mut self, ctx: &StrategyContext, symbol: &str, bar: &Bar) -> Vec<Signal> {
        let (fast, slow) = (self.fast, self.slow);
        // One lookup per bar; the key is allocated only for a symbol's first bar.
        let (f, s, cross) = match self.state.get_mut(symbol) {
            Some(state) => state,
            None => self.state.entry(symbol.to_owned()).or_insert_with(|| {
                (
                    Sma::new(fast).expect("checked in new"),
                    Sma::new(slow).expect("checked in new"),
                    Crossover::new(),
                )
            }),
        };
        let (Some(fv), Some(sv)) = (f.update(bar.close), s.update(bar.close)) else {
            return Vec::new();
        };
        let Some(direction) = cross.update(fv, sv) else {
            return Vec::new();
        };
        let held = ctx.position(symbol).is_some_and(|p| p.qty > Decimal::ZERO);
        let intent = match direction {
            Cross::Above if !held => Intent::EnterLong,
            Cross::Below if held => Intent::Exit,
            _ => return Vec::new(),
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
