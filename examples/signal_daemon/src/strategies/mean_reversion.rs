//! Mean reversion: buy an oversold RSI, sell when it is overbought or back at the middle band.
//!
//! Rules, per symbol, on each closed bar:
//! - RSI of the closes over `rsi_period` changes, with Wilder's smoothing
//!   ([`alpaca_exec::indicators::Rsi`]);
//! - the **middle band** is the simple average of the last `band_period` closes (the middle of
//!   Bollinger's bands);
//! - the optional **trend filter** (`trend_period`) allows entries only while the close is above
//!   the simple average of the last `trend_period` closes: buy dips in an uptrend, not a
//!   falling knife;
//! - flat and RSI at or below `oversold` (and the filter agreeing) → **enter long**, with a stop
//!   `stop_pct` under the close when that is set;
//! - long and RSI at or above `overbought` → **exit**; with `exit_at_middle_band`, also exit
//!   once the close is back at or above the middle band, the mean it was expected to revert to.
//!
//! While the RSI stays oversold a flat strategy keeps offering the entry on every bar (an entry
//! the executor skipped, for a limit or the daily loss halt, is offered again on the next bar).
//! The position monitor applies the stop and, on intraday bars, the exit before the close.

use alpaca_exec::indicators::{Rsi, Sma};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::collections::BTreeMap;

/// Parameters (validated by the config).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanReversionParams {
    /// RSI period (changes).
    pub rsi_period: usize,
    /// Enter at or below this RSI (0-100).
    pub oversold: Decimal,
    /// Exit at or above this RSI (0-100).
    pub overbought: Decimal,
    /// Closes in the middle band's average.
    pub band_period: usize,
    /// Exit when the close is back at the middle band.
    pub exit_at_middle_band: bool,
    /// Trend filter: enter only above the average of this many closes; `None` is off.
    pub trend_period: Option<usize>,
    /// Stop distance under the entry, as a fraction; `None` is no stop.
    pub stop_pct: Option<Decimal>,
}

/// Why the rules exit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitReason {
    /// RSI at or above `overbought`.
    Overbought,
    /// The close back at the middle band.
    MiddleBand,
}

/// What the rules decided for a bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MeanReversionAction {
    /// Go long.
    Enter {
        /// The RSI that was oversold.
        rsi: f64,
        /// The stop level, when `stop_pct` is set.
        stop: Option<Decimal>,
    },
    /// Close the long.
    Exit {
        /// The RSI at the exit.
        rsi: f64,
        /// Which rule.
        reason: ExitReason,
    },
}

#[derive(Debug, Clone)]
struct SymbolState {
    rsi: Rsi,
    band: Sma,
    trend: Option<Sma>,
    long: bool,
}

/// The rules with their per-symbol state.
#[derive(Debug, Clone)]
pub struct MeanReversionRules {
    p: MeanReversionParams,
    oversold: f64,
    overbought: f64,
    symbols: BTreeMap<String, SymbolState>,
}

impl MeanReversionRules {
    /// Rules with `p` (periods at least 1 and levels in order, checked by the config).
    pub fn new(p: MeanReversionParams) -> Self {
        Self {
            p,
            oversold: p.oversold.to_f64().unwrap_or(f64::NEG_INFINITY),
            overbought: p.overbought.to_f64().unwrap_or(f64::INFINITY),
            symbols: BTreeMap::new(),
        }
    }

    fn state(&mut self, symbol: &str) -> &mut SymbolState {
        let p = self.p;
        self.symbols
            .entry(symbol.to_owned())
            .or_insert_with(|| SymbolState {
                rsi: Rsi::new(p.rsi_period).expect("period checked by the config"),
                band: Sma::new(p.band_period).expect("period checked by the config"),
                trend: p
                    .trend_period
                    .map(|n| Sma::new(n).expect("period checked by the config")),
                long: false,
            })
    }

    /// Feeds a closed bar's close; returns an entry or an exit when a rule fires.
    pub fn on_close(&mut self, symbol: &str, close: Decimal) -> Option<MeanReversionAction> {
        let (oversold, overbought) = (self.oversold, self.overbought);
        let (exit_at_band, stop_pct) = (self.p.exit_at_middle_band, self.p.stop_pct);
        let st = self.state(symbol);
        let c = close.to_f64().filter(|x| x.is_finite())?;
        let rsi = st.rsi.update(c);
        let band = st.band.update(c);
        let trend = st.trend.as_mut().map(|s| s.update(c));
        let rsi = rsi?;
        if st.long {
            let reason = if rsi >= overbought {
                ExitReason::Overbought
            } else if exit_at_band && band.is_some_and(|m| c >= m) {
                ExitReason::MiddleBand
            } else {
                return None;
            };
            st.long = false;
            return Some(MeanReversionAction::Exit { rsi, reason });
        }
        // A filter that is on but not warmed up yet does not allow entries.
        let trend_ok = match trend {
            None => true,
            Some(avg) => avg.is_some_and(|a| c > a),
        };
        if rsi <= oversold && trend_ok {
            let stop = match stop_pct {
                Some(p) => Some(close.checked_mul(Decimal::ONE - p)?),
                None => None,
            };
            st.long = true;
            return Some(MeanReversionAction::Enter { rsi, stop });
        }
        None
    }
}

impl super::Holding for MeanReversionRules {
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

    fn params() -> MeanReversionParams {
        MeanReversionParams {
            rsi_period: 3,
            oversold: dec!(30),
            overbought: dec!(70),
            band_period: 5,
            exit_at_middle_band: false,
            trend_period: None,
            stop_pct: Some(dec!(0.05)),
        }
    }

    /// Wilder's RSI as the test computes it, from its definition: the first average gain and
    /// loss are plain means of the first `n` changes, each later one is
    /// `(previous x (n - 1) + this change) / n`, and RSI = 100 - 100 / (1 + gain / loss).
    fn wilder_rsi(closes: &[f64], n: usize) -> Vec<Option<f64>> {
        let mut out = vec![None; closes.len()];
        let changes: Vec<f64> = closes.windows(2).map(|w| w[1] - w[0]).collect();
        if changes.len() < n {
            return out;
        }
        let mut gain: f64 = changes[..n].iter().map(|c| c.max(0.0)).sum::<f64>() / n as f64;
        let mut loss: f64 = changes[..n].iter().map(|c| (-c).max(0.0)).sum::<f64>() / n as f64;
        let rsi = |g: f64, l: f64| {
            if l == 0.0 {
                100.0
            } else {
                100.0 - 100.0 / (1.0 + g / l)
            }
        };
        out[n] = Some(rsi(gain, loss));
        for (i, c) in changes.iter().enumerate().skip(n) {
            gain = (gain * (n as f64 - 1.0) + c.max(0.0)) / n as f64;
            loss = (loss * (n as f64 - 1.0) + (-c).max(0.0)) / n as f64;
            out[i + 1] = Some(rsi(gain, loss));
        }
        out
    }

    fn run(r: &mut MeanReversionRules, closes: &[f64]) -> Vec<(usize, MeanReversionAction)> {
        closes
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                r.on_close("X", Decimal::try_from(*c).unwrap())
                    .map(|a| (i, a))
            })
            .collect()
    }

    /// Up, a three-bar slide (oversold), a bounce, then a rally (overbought).
    const SLIDE_AND_RALLY: [f64; 12] = [
        100.0, 101.0, 102.0, 101.5, 99.0, 96.0, 94.0, 95.0, 97.0, 100.0, 103.0, 106.0,
    ];

    #[test]
    fn enters_oversold_and_exits_overbought_at_the_wilder_rsi() {
        let mut r = MeanReversionRules::new(params());
        let acts = run(&mut r, &SLIDE_AND_RALLY);
        let want = wilder_rsi(&SLIDE_AND_RALLY, 3);
        // The first bar at or below 30 and the first at or above 70 after it, by the
        // independent computation.
        let enter_at = (0..12)
            .find(|&i| want[i].is_some_and(|v| v <= 30.0))
            .unwrap();
        let exit_at = (enter_at..12)
            .find(|&i| want[i].is_some_and(|v| v >= 70.0))
            .unwrap();
        assert_eq!(acts.len(), 2, "{acts:?} (expected RSI {want:?})");
        match acts[0] {
            (i, MeanReversionAction::Enter { rsi, stop }) => {
                assert_eq!(i, enter_at);
                assert!((rsi - want[i].unwrap()).abs() < 1e-9, "{rsi} vs {want:?}");
                let close = Decimal::try_from(SLIDE_AND_RALLY[i]).unwrap();
                assert_eq!(stop, Some(close * dec!(0.95)));
            }
            other => panic!("{other:?}"),
        }
        match acts[1] {
            (i, MeanReversionAction::Exit { rsi, reason }) => {
                assert_eq!((i, reason), (exit_at, ExitReason::Overbought));
                assert!((rsi - want[i].unwrap()).abs() < 1e-9);
            }
            other => panic!("{other:?}"),
        }
        assert!(!r.is_long("X"));
    }

    #[test]
    fn the_middle_band_exit_comes_first_when_on() {
        let p = MeanReversionParams {
            exit_at_middle_band: true,
            ..params()
        };
        let mut r = MeanReversionRules::new(p);
        let acts = run(&mut r, &SLIDE_AND_RALLY);
        let (enter_at, _) = acts[0];
        // The first close after the entry at or above the mean of the last five closes.
        let band = |i: usize| SLIDE_AND_RALLY[i - 4..=i].iter().sum::<f64>() / 5.0;
        let exit_at = (enter_at + 1..12)
            .find(|&i| SLIDE_AND_RALLY[i] >= band(i))
            .unwrap();
        let want = wilder_rsi(&SLIDE_AND_RALLY, 3);
        assert!(
            want[exit_at].unwrap() < 70.0,
            "the band is reached before overbought"
        );
        assert!(
            matches!(acts[1], (i, MeanReversionAction::Exit { reason: ExitReason::MiddleBand, .. }) if i == exit_at),
            "{acts:?}"
        );
    }

    #[test]
    fn the_trend_filter_keeps_entries_out_of_a_downtrend() {
        let p = MeanReversionParams {
            trend_period: Some(20),
            ..params()
        };
        // A long decline: the RSI is oversold, but every close is under its 20-bar average.
        let decline: Vec<f64> = (0..30).map(|i| 160.0 - 2.0 * i as f64).collect();
        assert!(run(&mut MeanReversionRules::new(p), &decline).is_empty());
        assert!(
            !run(&mut MeanReversionRules::new(params()), &decline).is_empty(),
            "without the filter it buys"
        );
        // A three-bar dip inside an uptrend: RSI(3) oversold while the close is still above
        // its 20-bar average.
        let mut dip: Vec<f64> = (0..25).map(|i| 100.0 + 5.0 * i as f64).collect();
        dip.extend([215.0, 210.0, 205.0]);
        let acts = run(&mut MeanReversionRules::new(p), &dip);
        let want = wilder_rsi(&dip, 3);
        let avg20 = |i: usize| dip[i - 19..=i].iter().sum::<f64>() / 20.0;
        let first = (19..dip.len())
            .find(|&i| want[i].is_some_and(|v| v <= 30.0) && dip[i] > avg20(i))
            .expect("the case has an entry the filter allows");
        assert_eq!(first, 27, "the third down bar");
        assert!(
            matches!(acts.as_slice(), [(i, MeanReversionAction::Enter { .. })] if *i == first),
            "{acts:?}"
        );
    }

    #[test]
    fn held_state_follows_the_positions() {
        let mut r = MeanReversionRules::new(params());
        r.set_position("X", true);
        // Held: an oversold RSI (every change a loss: 0) is not a second entry.
        let acts = run(&mut r, &[100.0, 99.0, 98.0, 97.0, 96.0]);
        assert!(acts.is_empty(), "{acts:?}");
        assert!(r.is_long("X"));
        // The monitor's stop closed it: the next oversold bar enters again.
        r.set_position("X", false);
        assert!(matches!(
            r.on_close("X", dec!(95)),
            Some(MeanReversionAction::Enter { .. })
        ));
    }
}
