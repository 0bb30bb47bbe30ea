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

/// Why a detected setup was dropped, with the setup (`scan` shows its levels either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StratReject {
    /// The expected move is below `min_magnitude`.
    SmallMove {
        setup: Setup,
        magnitude: Decimal,
        min: Decimal,
    },
    /// Reward over risk is below `min_reward_risk` (`None`: no risk, the stop is the entry).
    PoorRewardRisk {
        setup: Setup,
        reward_risk: Option<Decimal>,
        min: Decimal,
    },
}

impl StratReject {
    /// The setup that was dropped.
    pub fn setup(&self) -> &Setup {
        match self {
            StratReject::SmallMove { setup, .. } | StratReject::PoorRewardRisk { setup, .. } => {
                setup
            }
        }
    }

    /// Its reward/risk, when it has one.
    pub fn reward_risk(&self) -> Option<Decimal> {
        match self {
            StratReject::SmallMove { setup, .. } => setup.reward_risk(),
            StratReject::PoorRewardRisk { reward_risk, .. } => *reward_risk,
        }
    }
}

impl std::fmt::Display for StratReject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Decimal's `{:.2}` truncates: round first.
        let pct = |d: Decimal| format!("{:.2}%", (d * Decimal::ONE_HUNDRED).round_dp(2));
        let two = |d: &Decimal| format!("{:.2}", d.round_dp(2));
        match self {
            StratReject::SmallMove { magnitude, min, .. } => write!(
                f,
                "move {} below the minimum {}",
                pct(*magnitude),
                pct(*min)
            ),
            StratReject::PoorRewardRisk {
                reward_risk: Some(rr),
                min,
                ..
            } => write!(f, "reward/risk {} below the minimum {}", two(rr), two(min)),
            StratReject::PoorRewardRisk {
                reward_risk: None, ..
            } => f.write_str("no reward/risk: the stop is at the entry"),
        }
    }
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
            return Some(Err(StratReject::SmallMove {
                setup,
                magnitude,
                min: self.min_magnitude,
            }));
        }
        match setup.reward_risk() {
            Some(rr) if rr >= self.min_reward_risk => Some(Ok(StratSignal {
                setup,
                magnitude,
                reward_risk: rr,
            })),
            other => Some(Err(StratReject::PoorRewardRisk {
                setup,
                reward_risk: other,
                min: self.min_reward_risk,
            })),
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
        let reject = out.unwrap().unwrap_err();
        assert!(
            matches!(reject, StratReject::PoorRewardRisk { .. }),
            "{reject:?}"
        );
        assert_eq!(
            reject.setup().entry,
            dec!(10.5),
            "the levels travel with the refusal"
        );
        assert_eq!(
            reject.to_string(),
            "reward/risk 0.20 below the minimum 1.00",
            "words, not a 28-digit decimal"
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
