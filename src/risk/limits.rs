//! Portfolio limits checked before opening a position.
//!
//! Defaults: at most 5 concurrent positions per strategy, at most 50% of equity allocated across
//! all open positions, and no separate per-strategy allocation cap (set
//! `max_strategy_allocation` to give each strategy its own share of equity).
//!
//! Allocation is measured as the absolute market value (or cost basis, as the caller prefers) of
//! open positions, so shorts count against the limit too.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Limits on how much of the account open positions may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PortfolioLimits {
    /// Open positions allowed per strategy (default 5).
    pub max_positions_per_strategy: u32,
    /// Fraction of equity all open positions together may use (default 0.50).
    pub max_total_allocation: Decimal,
    /// Fraction of equity one strategy's positions may use; `None` (default) for no cap.
    pub max_strategy_allocation: Option<Decimal>,
}

impl Default for PortfolioLimits {
    fn default() -> Self {
        Self {
            max_positions_per_strategy: 5,
            max_total_allocation: Decimal::new(50, 2),
            max_strategy_allocation: None,
        }
    }
}

/// One open position as the limits see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exposure<'a> {
    /// The strategy that owns it.
    pub strategy: &'a str,
    /// Its market value (or cost basis); the sign is ignored.
    pub value: Decimal,
}

/// What a strategy may still open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Headroom {
    /// Positions the strategy may still open.
    pub positions_left: u32,
    /// Dollars the strategy may still commit: the tighter of the total and per-strategy
    /// allocation limits, never negative. Feed it to sizing as available capital.
    pub capital_left: Decimal,
}

/// Why a new position is not allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitBreach {
    /// The strategy already has the maximum number of open positions.
    #[error("strategy {strategy:?} has {open} open positions, the maximum is {max}")]
    MaxPositions {
        /// The strategy.
        strategy: String,
        /// Its open positions.
        open: u32,
        /// The limit.
        max: u32,
    },
    /// The position would take total allocation above the limit.
    #[error("total allocation {used} + {requested} would exceed {limit}")]
    TotalAllocation {
        /// Dollars already allocated across all strategies.
        used: Decimal,
        /// The new position's cost.
        requested: Decimal,
        /// The limit in dollars.
        limit: Decimal,
    },
    /// The position would take the strategy's allocation above its limit.
    #[error("strategy {strategy:?} allocation {used} + {requested} would exceed {limit}")]
    StrategyAllocation {
        /// The strategy.
        strategy: String,
        /// Dollars the strategy already has allocated.
        used: Decimal,
        /// The new position's cost.
        requested: Decimal,
        /// The limit in dollars.
        limit: Decimal,
    },
    /// An input or limit is out of its domain.
    #[error("invalid portfolio-limit input {field} = {value}: {reason}")]
    InvalidInput {
        /// Which input.
        field: &'static str,
        /// Its value.
        value: Decimal,
        /// What is wrong with it.
        reason: &'static str,
    },
}

fn check_fraction(field: &'static str, f: Decimal) -> Result<(), LimitBreach> {
    if f < Decimal::ZERO {
        return Err(LimitBreach::InvalidInput {
            field,
            value: f,
            reason: "is negative",
        });
    }
    Ok(())
}

struct Usage {
    open: u32,
    total: Decimal,
    strategy: Decimal,
    total_limit: Decimal,
    strategy_limit: Option<Decimal>,
}

fn usage(
    limits: &PortfolioLimits,
    equity: Decimal,
    positions: &[Exposure<'_>],
    strategy: &str,
) -> Result<Usage, LimitBreach> {
    check_fraction("max_total_allocation", limits.max_total_allocation)?;
    if let Some(f) = limits.max_strategy_allocation {
        check_fraction("max_strategy_allocation", f)?;
    }
    // No equity, no room: a negative balance is not an input error, just nothing to allocate.
    let equity = equity.max(Decimal::ZERO);
    let overflow = |field| LimitBreach::InvalidInput {
        field,
        value: equity,
        reason: "overflows a decimal",
    };
    let mut u = Usage {
        open: 0,
        total: Decimal::ZERO,
        strategy: Decimal::ZERO,
        total_limit: equity
            .checked_mul(limits.max_total_allocation)
            .ok_or_else(|| overflow("equity"))?,
        strategy_limit: match limits.max_strategy_allocation {
            Some(f) => Some(equity.checked_mul(f).ok_or_else(|| overflow("equity"))?),
            None => None,
        },
    };
    for p in positions {
        let v = p.value.abs();
        u.total = u.total.checked_add(v).ok_or_else(|| overflow("value"))?;
        if p.strategy == strategy {
            u.open = u.open.saturating_add(1);
            u.strategy += v;
        }
    }
    Ok(u)
}

/// What `strategy` may still open given the open `positions` and account `equity`.
pub fn headroom(
    limits: &PortfolioLimits,
    equity: Decimal,
    positions: &[Exposure<'_>],
    strategy: &str,
) -> Result<Headroom, LimitBreach> {
    let u = usage(limits, equity, positions, strategy)?;
    let mut capital = (u.total_limit - u.total).max(Decimal::ZERO);
    if let Some(limit) = u.strategy_limit {
        capital = capital.min((limit - u.strategy).max(Decimal::ZERO));
    }
    Ok(Headroom {
        positions_left: limits.max_positions_per_strategy.saturating_sub(u.open),
        capital_left: capital,
    })
}

/// Checks that `strategy` may open one more position costing `cost`; returns the headroom left
/// after it, or the first limit it breaks (positions, then total, then strategy allocation).
pub fn check_new_position(
    limits: &PortfolioLimits,
    equity: Decimal,
    positions: &[Exposure<'_>],
    strategy: &str,
    cost: Decimal,
) -> Result<Headroom, LimitBreach> {
    if cost < Decimal::ZERO {
        return Err(LimitBreach::InvalidInput {
            field: "cost",
            value: cost,
            reason: "is negative",
        });
    }
    let u = usage(limits, equity, positions, strategy)?;
    let cost_overflow = || LimitBreach::InvalidInput {
        field: "cost",
        value: cost,
        reason: "overflows a decimal with the allocation in use",
    };
    let total_after = u.total.checked_add(cost).ok_or_else(cost_overflow)?;
    let strategy_after = u.strategy.checked_add(cost).ok_or_else(cost_overflow)?;
    if u.open >= limits.max_positions_per_strategy {
        return Err(LimitBreach::MaxPositions {
            strategy: strategy.to_owned(),
            open: u.open,
            max: limits.max_positions_per_strategy,
        });
    }
    if total_after > u.total_limit {
        return Err(LimitBreach::TotalAllocation {
            used: u.total,
            requested: cost,
            limit: u.total_limit,
        });
    }
    if let Some(limit) = u.strategy_limit
        && strategy_after > limit
    {
        return Err(LimitBreach::StrategyAllocation {
            strategy: strategy.to_owned(),
            used: u.strategy,
            requested: cost,
            limit,
        });
    }
    // Both within their limits (checked above), so neither difference can overflow.
    let mut capital = u.total_limit - total_after;
    if let Some(limit) = u.strategy_limit {
        capital = capital.min(limit - strategy_after);
    }
    Ok(Headroom {
        positions_left: limits.max_positions_per_strategy - u.open - 1,
        capital_left: capital,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn pos(strategy: &str, value: Decimal) -> Exposure<'_> {
        Exposure { strategy, value }
    }

    #[test]
    fn defaults_allow_five_positions_and_half_the_equity() {
        let l = PortfolioLimits::default();
        let positions = [
            pos("a", dec!(1000)),
            pos("a", dec!(1500)),
            pos("b", dec!(-500)),
        ];
        let h = headroom(&l, dec!(10000), &positions, "a").unwrap();
        // 5,000 limit - 3,000 used (the short counts at 500).
        assert_eq!(
            h,
            Headroom {
                positions_left: 3,
                capital_left: dec!(2000)
            }
        );
        let after = check_new_position(&l, dec!(10000), &positions, "a", dec!(2000)).unwrap();
        assert_eq!(
            after,
            Headroom {
                positions_left: 2,
                capital_left: dec!(0)
            }
        );
        assert_eq!(
            check_new_position(&l, dec!(10000), &positions, "a", dec!(2000.01)),
            Err(LimitBreach::TotalAllocation {
                used: dec!(3000),
                requested: dec!(2000.01),
                limit: dec!(5000)
            })
        );
    }

    #[test]
    fn position_count_is_per_strategy() {
        let l = PortfolioLimits {
            max_total_allocation: dec!(1),
            ..Default::default()
        };
        let positions: Vec<_> = (0..5).map(|_| pos("a", dec!(10))).collect();
        let err = check_new_position(&l, dec!(10000), &positions, "a", dec!(10)).unwrap_err();
        assert_eq!(
            err,
            LimitBreach::MaxPositions {
                strategy: "a".into(),
                open: 5,
                max: 5
            }
        );
        assert!(err.to_string().contains("has 5 open positions"));
        assert!(check_new_position(&l, dec!(10000), &positions, "b", dec!(10)).is_ok());
        assert_eq!(
            headroom(&l, dec!(10000), &positions, "a")
                .unwrap()
                .positions_left,
            0
        );
    }

    #[test]
    fn per_strategy_allocation() {
        let l = PortfolioLimits {
            max_strategy_allocation: Some(dec!(0.2)),
            ..Default::default()
        };
        let positions = [pos("a", dec!(1500)), pos("b", dec!(1000))];
        let h = headroom(&l, dec!(10000), &positions, "a").unwrap();
        assert_eq!(h.capital_left, dec!(500)); // min(5000-2500, 2000-1500)
        assert!(matches!(
            check_new_position(&l, dec!(10000), &positions, "a", dec!(600)),
            Err(LimitBreach::StrategyAllocation { .. })
        ));
        let ok = check_new_position(&l, dec!(10000), &positions, "a", dec!(500)).unwrap();
        assert_eq!(ok.capital_left, dec!(0));
    }

    #[test]
    fn no_equity_means_no_room_and_bad_inputs_are_errors() {
        let l = PortfolioLimits::default();
        assert_eq!(
            headroom(&l, dec!(-100), &[], "a").unwrap().capital_left,
            dec!(0)
        );
        assert!(check_new_position(&l, dec!(0), &[], "a", dec!(1)).is_err());
        assert!(check_new_position(&l, dec!(0), &[], "a", dec!(0)).is_ok());
        assert!(matches!(
            check_new_position(&l, dec!(100), &[], "a", dec!(-1)),
            Err(LimitBreach::InvalidInput { field: "cost", .. })
        ));
        let bad = PortfolioLimits {
            max_total_allocation: dec!(-0.5),
            ..l
        };
        assert!(headroom(&bad, dec!(100), &[], "a").is_err());
        let big = [pos("a", Decimal::MAX), pos("a", Decimal::MAX)];
        assert!(headroom(&l, dec!(100), &big, "a").is_err());
    }

    proptest! {
        #[test]
        fn accepted_positions_stay_within_limits(
            values in proptest::collection::vec((0u8..3, 0i64..1_000_000), 0..12),
            equity in 0i64..10_000_000,
            cost in 0i64..1_000_000,
        ) {
            let names = ["a", "b", "c"];
            let positions: Vec<_> = values.iter().map(|&(s, v)| pos(names[s as usize], Decimal::new(v, 2))).collect();
            let equity = Decimal::new(equity, 2);
            let cost = Decimal::new(cost, 2);
            let l = PortfolioLimits { max_strategy_allocation: Some(dec!(0.3)), ..Default::default() };
            let h = headroom(&l, equity, &positions, "a").unwrap();
            let total: Decimal = positions.iter().map(|p| p.value).sum();
            let mine: Decimal = positions.iter().filter(|p| p.strategy == "a").map(|p| p.value).sum();
            let count = positions.iter().filter(|p| p.strategy == "a").count() as u32;
            match check_new_position(&l, equity, &positions, "a", cost) {
                Ok(after) => {
                    prop_assert!(count < 5);
                    prop_assert!(total + cost <= equity * dec!(0.5));
                    prop_assert!(mine + cost <= equity * dec!(0.3));
                    prop_assert!(cost <= h.capital_left);
                    prop_assert_eq!(after.capital_left, h.capital_left - cost);
                }
                Err(_) => prop_assert!(count >= 5 || cost > h.capital_left),
            }
        }
    }
}
