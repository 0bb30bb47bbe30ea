//! Trend hysteresis (the Magellan daily trend and hourly swing strategies).
//!
//! Rules, per symbol, on each closed bar:
//! - trend = (EMA(fast) - EMA(slow)) / EMA(slow) of closes;
//! - flat and the trend crosses **above `upper_band`** → enter long;
//! - long and the trend crosses **below `lower_band`** → exit.
//!
//! Between the bands nothing changes: that gap is the hysteresis which keeps a choppy market
//! from flipping the position every bar. "Crosses" is the crate's one crossover rule
//! ([`Crossover`]): a trend landing exactly on a band is not a cross, and one that touches a band
//! and turns back has not crossed it. Daily signals are produced after the close and executed
//! at the next open (the daemon schedules them; the backtester fills market orders at the next
//! bar's open); hourly signals are processed each hour during market hours.

use alpaca_exec::indicators::{Cross, Crossover, Ema};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::collections::BTreeMap;

/// What the rules decided for a bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TrendAction {
    /// Go long; `trend` is the value that crossed the band.
    Enter { trend: f64 },
    /// Close the long.
    Exit { trend: f64 },
}

#[derive(Debug, Clone)]
struct SymbolState {
    fast: Ema,
    slow: Ema,
    /// The trend against the upper band, and against the lower one.
    upper: Crossover,
    lower: Crossover,
    long: bool,
}

/// The rules with their per-symbol state.
#[derive(Debug, Clone)]
pub struct TrendRules {
    fast: usize,
    slow: usize,
    upper: f64,
    lower: f64,
    symbols: BTreeMap<String, SymbolState>,
}

impl TrendRules {
    /// Rules with EMA periods and bands (fractions, e.g. 0.01 = 1%). Periods are checked by the
    /// config (`fast >= 1`, `slow > fast`).
    pub fn new(fast: usize, slow: usize, upper: Decimal, lower: Decimal) -> Self {
        Self {
            fast,
            slow,
            upper: upper.to_f64().unwrap_or(f64::INFINITY),
            lower: lower.to_f64().unwrap_or(f64::NEG_INFINITY),
            symbols: BTreeMap::new(),
        }
    }

    fn state(&mut self, symbol: &str) -> &mut SymbolState {
        let (fast, slow) = (self.fast, self.slow);
        self.symbols
            .entry(symbol.to_owned())
            .or_insert_with(|| SymbolState {
                fast: Ema::new(fast).expect("period checked by the config"),
                slow: Ema::new(slow).expect("period checked by the config"),
                upper: Crossover::new(),
                lower: Crossover::new(),
                long: false,
            })
    }

    /// Feeds a closed bar's close; returns an entry or exit when a band is crossed.
    pub fn on_close(&mut self, symbol: &str, close: Decimal) -> Option<TrendAction> {
        let (upper, lower) = (self.upper, self.lower);
        let st = self.state(symbol);
        let c = close.to_f64()?;
        let f = st.fast.update(c);
        let s = st.slow.update(c);
        let trend = match (f, s) {
            (Some(f), Some(s)) if s != 0.0 => (f - s) / s,
            _ => return None,
        };
        // Both detectors see every bar, so each knows its side whatever the position.
        let over_upper = st.upper.update(trend, upper);
        let under_lower = st.lower.update(trend, lower);
        if !st.long && over_upper == Some(Cross::Above) {
            st.long = true;
            return Some(TrendAction::Enter { trend });
        }
        if st.long && under_lower == Some(Cross::Below) {
            st.long = false;
            return Some(TrendAction::Exit { trend });
        }
        None
    }
}

impl super::Holding for TrendRules {
    fn is_long(&self, symbol: &str) -> bool {
        self.symbols.get(symbol).is_some_and(|s| s.long)
    }

    fn set_position(&mut self, symbol: &str, long: bool) {
        self.state(symbol).long = long;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategies::Holding;
    use rust_decimal_macros::dec;

    fn run(rules: &mut TrendRules, closes: &[i64]) -> Vec<(usize, TrendAction)> {
        closes
            .iter()
            .enumerate()
            .filter_map(|(i, c)| rules.on_close("X", Decimal::from(*c)).map(|a| (i, a)))
            .collect()
    }

    #[test]
    fn enters_on_upper_cross_and_exits_only_below_lower() {
        let mut r = TrendRules::new(2, 4, dec!(0.01), dec!(-0.01));
        // Flat, then a rise (enter), a small dip inside the bands (hold), then a fall (exit).
        let closes = [100, 100, 100, 100, 100, 104, 108, 107, 106, 100, 94, 90];
        let acts = run(&mut r, &closes);
        assert_eq!(acts.len(), 2, "{acts:?}");
        assert!(
            matches!(acts[0], (5, TrendAction::Enter { .. })),
            "{acts:?}"
        );
        assert!(matches!(acts[1].1, TrendAction::Exit { .. }));
        assert!(
            acts[1].0 >= 9,
            "no exit while the trend stays above the lower band: {acts:?}"
        );
        assert!(!r.is_long("X"));
    }

    #[test]
    fn no_whipsaw_inside_the_bands() {
        let mut r = TrendRules::new(2, 4, dec!(0.02), dec!(-0.02));
        let closes = [100, 101, 100, 101, 100, 101, 100, 101, 100, 101];
        assert!(run(&mut r, &closes).is_empty());
    }

    #[test]
    fn a_trend_landing_on_a_band_is_not_a_cross() {
        // EMA(1) is the close; EMA(2) is seeded with (100 + 110) / 2 = 105 and stays there on
        // a close of 105. Trend vs the 0.0 band: above (first, no history), exactly on it,
        // above again (not a cross: it never went below), below, above (the cross).
        let mut r = TrendRules::new(1, 2, dec!(0), dec!(-0.5));
        let acts = run(&mut r, &[100, 110, 105, 120, 90, 130]);
        assert_eq!(acts.len(), 1, "{acts:?}");
        assert!(
            matches!(acts[0], (5, TrendAction::Enter { .. })),
            "{acts:?}"
        );
    }

    #[test]
    fn synced_position_allows_exit_without_entry() {
        let mut r = TrendRules::new(2, 4, dec!(0.01), dec!(-0.01));
        r.set_position("X", true);
        let acts = run(&mut r, &[100, 100, 100, 100, 100, 95, 90]);
        assert!(
            matches!(acts.as_slice(), [(_, TrendAction::Exit { .. })]),
            "{acts:?}"
        );
    }
}
