//! Daily loss halt: stop opening positions once equity is down a set fraction from the previous
//! close.
//!
//! The reference is the account's `last_equity` (equity at the previous session's close, as
//! Alpaca reports it), so the check resets by itself when a new session starts and
//! `last_equity` moves. Default limit: 2%. The loss is `(last_equity - equity) / last_equity`;
//! reaching the limit exactly halts.
//!
//! [`DailyLossLimit::check`] is a pure function of today's figures. [`DailyLossGuard`] adds a
//! latch: once halted in a session it stays halted for the rest of that session even if equity
//! recovers, so a strategy does not flip between trading and halted on every tick near the
//! limit; the next session date clears it.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The daily loss rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DailyLossLimit {
    /// Fraction of `last_equity` that may be lost in a session (default 0.02).
    pub max_loss_fraction: Decimal,
}

impl Default for DailyLossLimit {
    fn default() -> Self {
        Self {
            max_loss_fraction: Decimal::new(2, 2),
        }
    }
}

/// Whether new positions may be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DailyLossStatus {
    /// Within the limit.
    Trading {
        /// Equity change since the previous close as a fraction (negative for a loss).
        change: Decimal,
    },
    /// At or beyond the limit: open nothing new this session.
    Halted {
        /// Equity change since the previous close as a fraction (negative for a loss).
        change: Decimal,
        /// The limit that was hit, as a positive fraction.
        limit: Decimal,
    },
}

impl DailyLossStatus {
    /// True when new positions may be opened.
    pub fn can_open(&self) -> bool {
        matches!(self, DailyLossStatus::Trading { .. })
    }
}

/// Why the daily loss cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DailyLossError {
    /// `last_equity` is zero or negative (e.g. a brand-new, unfunded account), so there is no
    /// reference to measure a loss from.
    #[error("last_equity {0} must be greater than zero to measure a daily loss")]
    NoReference(Decimal),
    /// The configured limit is negative.
    #[error("max_loss_fraction {0} must not be negative")]
    InvalidLimit(Decimal),
}

impl DailyLossLimit {
    /// Today's status from current equity and the previous close.
    pub fn check(
        &self,
        equity: Decimal,
        last_equity: Decimal,
    ) -> Result<DailyLossStatus, DailyLossError> {
        if self.max_loss_fraction < Decimal::ZERO {
            return Err(DailyLossError::InvalidLimit(self.max_loss_fraction));
        }
        if last_equity <= Decimal::ZERO {
            return Err(DailyLossError::NoReference(last_equity));
        }
        let change = equity
            .checked_sub(last_equity)
            .and_then(|d| d.checked_div(last_equity))
            .ok_or(DailyLossError::NoReference(last_equity))?;
        Ok(if -change >= self.max_loss_fraction {
            DailyLossStatus::Halted {
                change,
                limit: self.max_loss_fraction,
            }
        } else {
            DailyLossStatus::Trading { change }
        })
    }
}

/// A [`DailyLossLimit`] that stays halted for the rest of the session once tripped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DailyLossGuard {
    /// The rule.
    pub limit: DailyLossLimit,
    halted_session: Option<NaiveDate>,
}

impl DailyLossGuard {
    /// A guard with the given rule, not halted.
    pub fn new(limit: DailyLossLimit) -> Self {
        Self {
            limit,
            halted_session: None,
        }
    }

    /// The session date the guard is halted for, if any.
    pub fn halted_session(&self) -> Option<NaiveDate> {
        self.halted_session
    }

    /// Updates with the session's date (New York) and current figures; returns the status,
    /// which stays `Halted` for the rest of a session once reached.
    pub fn update(
        &mut self,
        session: NaiveDate,
        equity: Decimal,
        last_equity: Decimal,
    ) -> Result<DailyLossStatus, DailyLossError> {
        if self.halted_session.is_some_and(|d| d != session) {
            self.halted_session = None;
        }
        let status = self.limit.check(equity, last_equity)?;
        match status {
            DailyLossStatus::Halted { .. } => {
                self.halted_session = Some(session);
                Ok(status)
            }
            DailyLossStatus::Trading { change } if self.halted_session.is_some() => {
                Ok(DailyLossStatus::Halted {
                    change,
                    limit: self.limit.max_loss_fraction,
                })
            }
            trading => Ok(trading),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn halts_at_two_percent_down() {
        let l = DailyLossLimit::default();
        assert_eq!(
            l.check(dec!(9801), dec!(10000)),
            Ok(DailyLossStatus::Trading {
                change: dec!(-0.0199)
            })
        );
        let at = l.check(dec!(9800), dec!(10000)).unwrap();
        assert_eq!(
            at,
            DailyLossStatus::Halted {
                change: dec!(-0.02),
                limit: dec!(0.02)
            }
        );
        assert!(!at.can_open());
        assert!(l.check(dec!(12000), dec!(10000)).unwrap().can_open());
        let off = DailyLossLimit {
            max_loss_fraction: dec!(0.05),
        };
        assert!(off.check(dec!(9800), dec!(10000)).unwrap().can_open());
    }

    #[test]
    fn errors_without_a_reference() {
        let l = DailyLossLimit::default();
        assert_eq!(
            l.check(dec!(100), dec!(0)),
            Err(DailyLossError::NoReference(dec!(0)))
        );
        let bad = DailyLossLimit {
            max_loss_fraction: dec!(-0.01),
        };
        assert!(bad.check(dec!(100), dec!(100)).is_err());
    }

    #[test]
    fn guard_latches_for_the_session_and_resets_next_session() {
        let mut g = DailyLossGuard::default();
        let mon = NaiveDate::from_ymd_opt(2024, 3, 4).unwrap();
        let tue = NaiveDate::from_ymd_opt(2024, 3, 5).unwrap();
        assert!(g.update(mon, dec!(9900), dec!(10000)).unwrap().can_open());
        assert!(!g.update(mon, dec!(9790), dec!(10000)).unwrap().can_open());
        assert_eq!(g.halted_session(), Some(mon));
        // Recovered intraday: still halted today.
        let s = g.update(mon, dec!(9990), dec!(10000)).unwrap();
        assert_eq!(
            s,
            DailyLossStatus::Halted {
                change: dec!(-0.001),
                limit: dec!(0.02)
            }
        );
        // New session with a new previous close: trading again.
        assert!(g.update(tue, dec!(9790), dec!(9790)).unwrap().can_open());
        assert_eq!(g.halted_session(), None);
    }
}
