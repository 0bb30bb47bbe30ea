//! Signal quality filters: skip trades whose expected move is too small to pay for the spread,
//! or whose reward does not cover the risk.
//!
//! Defaults: expected move magnitude `|target - entry| / entry` at least 0.5%, and reward:risk
//! `|target - entry| / |entry - stop|` at least 1.0. The direction comes from the levels: a
//! target above the entry is a long signal and needs its stop below the entry, and vice versa.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Minimums a signal must meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SignalFilter {
    /// Least expected move as a fraction of entry (default 0.005).
    pub min_move_fraction: Decimal,
    /// Least reward:risk ratio (default 1.0).
    pub min_reward_risk: Decimal,
}

impl Default for SignalFilter {
    fn default() -> Self {
        Self {
            min_move_fraction: Decimal::new(5, 3),
            min_reward_risk: Decimal::ONE,
        }
    }
}

/// A signal's price levels (for options, levels of the underlying).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignalLevels {
    /// Expected entry price.
    pub entry: Decimal,
    /// Price the signal expects to reach.
    pub target: Decimal,
    /// Price at which the signal is wrong.
    pub stop: Decimal,
}

/// Measured quality of an accepted signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignalQuality {
    /// `|target - entry| / entry`.
    pub move_fraction: Decimal,
    /// `|target - entry| / |entry - stop|`.
    pub reward_risk: Decimal,
}

/// Why a signal was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignalRejection {
    /// The levels do not describe a trade (non-positive entry, stop on the target's side).
    #[error("invalid signal levels: {0}")]
    InvalidLevels(&'static str),
    /// The expected move is below the minimum.
    #[error("expected move {move_fraction} is below the minimum {min}")]
    MoveTooSmall {
        /// `|target - entry| / entry`.
        move_fraction: Decimal,
        /// The minimum.
        min: Decimal,
    },
    /// Reward:risk is below the minimum.
    #[error("reward:risk {ratio} is below the minimum {min}")]
    RewardRiskTooLow {
        /// `|target - entry| / |entry - stop|`.
        ratio: Decimal,
        /// The minimum.
        min: Decimal,
    },
}

impl SignalFilter {
    /// Accepts or rejects a signal; the move is checked before reward:risk.
    pub fn check(&self, s: &SignalLevels) -> Result<SignalQuality, SignalRejection> {
        if s.entry <= Decimal::ZERO {
            return Err(SignalRejection::InvalidLevels(
                "entry must be greater than zero",
            ));
        }
        let overflow = SignalRejection::InvalidLevels("levels overflow a decimal");
        let (Some(reward), Some(risk)) =
            (s.target.checked_sub(s.entry), s.entry.checked_sub(s.stop))
        else {
            return Err(overflow);
        };
        if risk.is_zero() {
            return Err(SignalRejection::InvalidLevels("stop equals entry"));
        }
        if !reward.is_zero() && reward.is_sign_positive() != risk.is_sign_positive() {
            return Err(SignalRejection::InvalidLevels(
                "stop must be on the opposite side of the entry from the target",
            ));
        }
        let move_fraction = reward.abs().checked_div(s.entry).ok_or(overflow.clone())?;
        if move_fraction < self.min_move_fraction {
            return Err(SignalRejection::MoveTooSmall {
                move_fraction,
                min: self.min_move_fraction,
            });
        }
        let reward_risk = reward.abs().checked_div(risk.abs()).ok_or(overflow)?;
        if reward_risk < self.min_reward_risk {
            return Err(SignalRejection::RewardRiskTooLow {
                ratio: reward_risk,
                min: self.min_reward_risk,
            });
        }
        Ok(SignalQuality {
            move_fraction,
            reward_risk,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn lv(entry: Decimal, target: Decimal, stop: Decimal) -> SignalLevels {
        SignalLevels {
            entry,
            target,
            stop,
        }
    }

    #[test]
    fn accepts_long_and_short_signals_at_the_defaults() {
        let f = SignalFilter::default();
        // Long: +1% move, reward 1.00 vs risk 0.50.
        assert_eq!(
            f.check(&lv(dec!(100), dec!(101), dec!(99.5))),
            Ok(SignalQuality {
                move_fraction: dec!(0.01),
                reward_risk: dec!(2)
            })
        );
        // Short: exactly 0.5% and exactly 1:1 pass (minimums are inclusive).
        assert_eq!(
            f.check(&lv(dec!(200), dec!(199), dec!(201))),
            Ok(SignalQuality {
                move_fraction: dec!(0.005),
                reward_risk: dec!(1)
            })
        );
    }

    #[test]
    fn rejects_small_moves_and_poor_reward_risk() {
        let f = SignalFilter::default();
        assert_eq!(
            f.check(&lv(dec!(100), dec!(100.4), dec!(99))),
            Err(SignalRejection::MoveTooSmall {
                move_fraction: dec!(0.004),
                min: dec!(0.005)
            })
        );
        assert_eq!(
            f.check(&lv(dec!(100), dec!(101), dec!(98))),
            Err(SignalRejection::RewardRiskTooLow {
                ratio: dec!(0.5),
                min: dec!(1)
            })
        );
        assert!(matches!(
            f.check(&lv(dec!(100), dec!(100), dec!(99))),
            Err(SignalRejection::MoveTooSmall { .. })
        ));
        let lax = SignalFilter {
            min_move_fraction: dec!(0),
            min_reward_risk: dec!(0.5),
        };
        assert!(lax.check(&lv(dec!(100), dec!(101), dec!(98))).is_ok());
    }

    #[test]
    fn rejects_inconsistent_levels() {
        let f = SignalFilter::default();
        for s in [
            lv(dec!(0), dec!(1), dec!(-1)),
            lv(dec!(100), dec!(102), dec!(100)),
            lv(dec!(100), dec!(102), dec!(101)),
            lv(dec!(100), dec!(98), dec!(99)),
            lv(dec!(0.0000000000001), Decimal::MAX, dec!(0)),
        ] {
            assert!(
                matches!(f.check(&s), Err(SignalRejection::InvalidLevels(_))),
                "{s:?}"
            );
        }
    }
}
