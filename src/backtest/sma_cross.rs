//! A reference strategy: SMA(fast) / SMA(slow) crossover, long or flat.
//!
//! Goes long when the fast average crosses above the slow one and exits when it crosses back
//! below. Small enough to read in a minute, it is what the backtester's tests and benchmark run,
//! and a template for a first strategy of one's own.

use crate::data::TimeFrame;
use crate::hash::FastMap;
use crate::indicators::Sma;
use crate::strategy::{Bar, Intent, Signal, Strategy, StrategyContext};
use async_trait::async_trait;

/// SMA crossover, long or flat, on each watched symbol.
#[derive(Debug, Clone)]
pub struct SmaCross {
    name: String,
    symbols: Vec<String>,
    timeframe: TimeFrame,
    fast: usize,
    slow: usize,
    /// Per symbol; looked up on every bar, hence the fast hasher.
    state: FastMap<String, (Sma, Sma, Option<bool>)>,
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
        let (f, s, above) = match self.state.get_mut(symbol) {
            Some(state) => state,
            None => self.state.entry(symbol.to_owned()).or_insert_with(|| {
                (
                    Sma::new(fast).expect("checked in new"),
                    Sma::new(slow).expect("checked in new"),
                    None,
                )
            }),
        };
        let close = crate::num::to_f64(bar.close);
        let (Some(fv), Some(sv)) = (f.update(close), s.update(close)) else {
            return Vec::new();
        };
        let now_above = fv > sv;
        let was_above = above.replace(now_above);
        let held = ctx
            .position(symbol)
            .is_some_and(|p| p.qty > rust_decimal::Decimal::ZERO);
        let intent = match (was_above, now_above) {
            (Some(false), true) if !held => Intent::EnterLong,
            (Some(true), false) if held => Intent::Exit,
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
