//! STRAT options: The Strat setups on several timeframes, traded with options.
//!
//! Rules, per symbol and timeframe, on each closed bar: keep the last four bars, and when
//! [`alpaca_exec::patterns::detect`] reports a 2-1-2, 3-1-2, 2-2 reversal or 3-2-2 completed by
//! this bar, check the quality filters (magnitude >= `min_magnitude`, reward:risk >=
//! `min_reward_risk`); a bullish setup buys calls, a bearish one buys puts, with the contract
//! chosen by delta and DTE at execution. The underlying's target and stop travel with the
//! signal; the position monitor exits on DTE, stop, max loss, target or max profit.

use alpaca_exec::patterns::{Setup, detect};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, VecDeque};

/// A setup that passed the filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StratSignal {
    pub setup: Setup,
    pub magnitude: Decimal,
    pub reward_risk: Decimal,
}

/// Why a detected setup was dropped (logged by the daemon).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StratReject {
    SmallMove(Decimal),
    PoorRewardRisk(Option<Decimal>),
}

/// The rules with the last bars of every (symbol, timeframe).
#[derive(Debug, Clone)]
pub struct StratRules {
    min_magnitude: Decimal,
    min_reward_risk: Decimal,
    bars: BTreeMap<(String, String), VecDeque<(Decimal, Decimal)>>,
}

impl StratRules {
    pub fn new(min_magnitude: Decimal, min_reward_risk: Decimal) -> Self {
        Self {
            min_magnitude,
            min_reward_risk,
            bars: BTreeMap::new(),
        }
    }

    /// Feeds a closed bar (high, low) of `symbol` on `timeframe`.
    pub fn on_bar(
        &mut self,
        symbol: &str,
        timeframe: &str,
        high: Decimal,
        low: Decimal,
    ) -> Option<Result<StratSignal, StratReject>> {
        let q = self
            .bars
            .entry((symbol.to_owned(), timeframe.to_owned()))
            .or_default();
        q.push_back((high, low));
        if q.len() > 4 {
            q.pop_front();
        }
        let window: Vec<(Decimal, Decimal)> = q.iter().copied().collect();
        let setup = detect(&window)?;
        let magnitude = setup.magnitude();
        if magnitude < self.min_magnitude {
            return Some(Err(StratReject::SmallMove(magnitude)));
        }
        match setup.reward_risk() {
            Some(rr) if rr >= self.min_reward_risk => Some(Ok(StratSignal {
                setup,
                magnitude,
                reward_risk: rr,
            })),
            other => Some(Err(StratReject::PoorRewardRisk(other))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alpaca_exec::patterns::{Direction, SetupKind};
    use rust_decimal_macros::dec;

    #[test]
    fn passes_good_setups_and_filters_weak_ones() {
        let mut r = StratRules::new(dec!(0.005), dec!(1.0));
        // 3-1-2 bullish: entry 10.5, target 11, stop 10.2: reward 0.5 / risk 0.3.
        let bars = [
            (dec!(10), dec!(9)),
            (dec!(11), dec!(8)),
            (dec!(10.5), dec!(10.2)),
            (dec!(10.8), dec!(10.3)),
        ];
        let mut out = None;
        for (h, l) in bars {
            out = r.on_bar("SPY", "1Day", h, l);
        }
        let s = out.unwrap().unwrap();
        assert_eq!(
            (s.setup.kind, s.setup.direction),
            (SetupKind::ThreeOneTwo, Direction::Bullish)
        );
        assert_eq!(s.reward_risk, dec!(0.5) / dec!(0.3));
        // Same shape with a wide inside bar: reward 0.5 / risk 2.5 < 1.
        let mut r = StratRules::new(dec!(0.005), dec!(1.0));
        let bars = [
            (dec!(10), dec!(9)),
            (dec!(11), dec!(8)),
            (dec!(10.5), dec!(8)),
            (dec!(10.8), dec!(8.5)),
        ];
        let mut out = None;
        for (h, l) in bars {
            out = r.on_bar("SPY", "1Day", h, l);
        }
        assert!(
            matches!(out, Some(Err(StratReject::PoorRewardRisk(_)))),
            "{out:?}"
        );
    }

    #[test]
    fn timeframes_are_tracked_separately() {
        let mut r = StratRules::new(dec!(0.005), dec!(1.0));
        let bars = [
            (dec!(10), dec!(9)),
            (dec!(11), dec!(8)),
            (dec!(10.5), dec!(10.2)),
        ];
        for (h, l) in bars {
            assert!(r.on_bar("SPY", "1Day", h, l).is_none());
        }
        // The hourly series has only one bar: a day bar completing the pattern must not mix in.
        assert!(r.on_bar("SPY", "1Hour", dec!(10.8), dec!(10.3)).is_none());
        assert!(
            r.on_bar("SPY", "1Day", dec!(10.8), dec!(10.3))
                .unwrap()
                .is_ok()
        );
    }
}
