//! The fill rules, as pure functions of an order and a bar.
//!
//! - **market**: fills at the bar's open (the first price after the order was placed);
//! - **limit**: a buy fills when the bar's low reaches the limit, at the limit, or at the open if
//!   the bar opens below it (gapped through); sells mirror this;
//! - **stop**: a buy triggers when the high reaches the stop and fills at the stop, or at the open
//!   if the bar opens above it; sells mirror this;
//! - **stop-limit**: triggers like a stop, then fills like a limit at the limit price in the same
//!   bar if the range allows; once triggered it stays a limit order;
//! - **trailing stop**: the stop trails the best price seen since the order was placed
//!   (the high-water mark for sells, the low for buys); the mark is updated with a bar only after
//!   the bar is checked against the previous stop, since the bar's order of high and low is
//!   unknown.
//!
//! Slippage is applied by the caller.

use crate::OrderSide;
use crate::trading::orders::Trail;
use rust_decimal::Decimal;

/// An order type with its working state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Working {
    Market,
    Limit(Decimal),
    Stop(Decimal),
    StopLimit {
        stop: Decimal,
        limit: Decimal,
        triggered: bool,
    },
    Trailing {
        trail: Trail,
        mark: Option<Decimal>,
    },
}

/// The part of a bar the rules look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Range {
    pub open: Decimal,
    pub high: Decimal,
    pub low: Decimal,
}

fn limit_fill(side: &OrderSide, limit: Decimal, r: Range) -> Option<Decimal> {
    match side {
        OrderSide::Sell => {
            if r.open >= limit {
                Some(r.open)
            } else if r.high >= limit {
                Some(limit)
            } else {
                None
            }
        }
        _ => {
            if r.open <= limit {
                Some(r.open)
            } else if r.low <= limit {
                Some(limit)
            } else {
                None
            }
        }
    }
}

fn stop_fill(side: &OrderSide, stop: Decimal, r: Range) -> Option<Decimal> {
    match side {
        OrderSide::Sell => {
            if r.open <= stop {
                Some(r.open)
            } else if r.low <= stop {
                Some(stop)
            } else {
                None
            }
        }
        _ => {
            if r.open >= stop {
                Some(r.open)
            } else if r.high >= stop {
                Some(stop)
            } else {
                None
            }
        }
    }
}

fn trail_stop(side: &OrderSide, trail: Trail, mark: Decimal) -> Decimal {
    let sell = matches!(side, OrderSide::Sell);
    match (trail, sell) {
        (Trail::Price(p), true) => mark - p,
        (Trail::Price(p), false) => mark + p,
        (Trail::Percent(p), true) => mark * (Decimal::ONE - p / Decimal::ONE_HUNDRED),
        (Trail::Percent(p), false) => mark * (Decimal::ONE + p / Decimal::ONE_HUNDRED),
    }
}

/// Checks `working` against one bar; returns the fill price, updating the working state
/// (stop-limit trigger, trailing mark).
pub(crate) fn try_fill(side: &OrderSide, working: &mut Working, r: Range) -> Option<Decimal> {
    match working {
        Working::Market => Some(r.open),
        Working::Limit(l) => limit_fill(side, *l, r),
        Working::Stop(s) => stop_fill(side, *s, r),
        Working::StopLimit {
            stop,
            limit,
            triggered,
        } => {
            if !*triggered {
                stop_fill(side, *stop, r)?;
                *triggered = true;
                // After the trigger the rest of the bar trades like a limit order; a gap through
                // both levels cannot fill better than the limit.
                let after = Range {
                    open: match side {
                        OrderSide::Sell => r.open.min(*stop),
                        _ => r.open.max(*stop),
                    },
                    ..r
                };
                return limit_fill(side, *limit, after);
            }
            limit_fill(side, *limit, r)
        }
        Working::Trailing { trail, mark } => {
            let sell = matches!(side, OrderSide::Sell);
            let fill = mark.and_then(|m| stop_fill(side, trail_stop(side, *trail, m), r));
            if fill.is_none() {
                let best = if sell { r.high } else { r.low };
                *mark = Some(match *mark {
                    None => best,
                    Some(m) if sell => m.max(best),
                    Some(m) => m.min(best),
                });
            }
            fill
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn r(open: Decimal, high: Decimal, low: Decimal) -> Range {
        Range { open, high, low }
    }

    #[test]
    fn market_fills_at_open() {
        assert_eq!(
            try_fill(
                &OrderSide::Buy,
                &mut Working::Market,
                r(dec!(10), dec!(11), dec!(9))
            ),
            Some(dec!(10))
        );
    }

    #[test]
    fn limit_touched_exactly_and_gapped_through() {
        let buy = OrderSide::Buy;
        assert_eq!(
            try_fill(
                &buy,
                &mut Working::Limit(dec!(9)),
                r(dec!(10), dec!(11), dec!(9))
            ),
            Some(dec!(9)),
            "touched exactly"
        );
        assert_eq!(
            try_fill(
                &buy,
                &mut Working::Limit(dec!(9)),
                r(dec!(10), dec!(11), dec!(9.01))
            ),
            None
        );
        assert_eq!(
            try_fill(
                &buy,
                &mut Working::Limit(dec!(9)),
                r(dec!(8.5), dec!(9.5), dec!(8))
            ),
            Some(dec!(8.5)),
            "gap down: better price"
        );
        let sell = OrderSide::Sell;
        assert_eq!(
            try_fill(
                &sell,
                &mut Working::Limit(dec!(11)),
                r(dec!(10), dec!(11), dec!(9))
            ),
            Some(dec!(11))
        );
        assert_eq!(
            try_fill(
                &sell,
                &mut Working::Limit(dec!(11)),
                r(dec!(12), dec!(13), dec!(11.5))
            ),
            Some(dec!(12))
        );
    }

    #[test]
    fn stop_gap_through_fills_at_open() {
        let sell = OrderSide::Sell;
        assert_eq!(
            try_fill(
                &sell,
                &mut Working::Stop(dec!(95)),
                r(dec!(100), dec!(101), dec!(94))
            ),
            Some(dec!(95))
        );
        assert_eq!(
            try_fill(
                &sell,
                &mut Working::Stop(dec!(95)),
                r(dec!(90), dec!(92), dec!(88))
            ),
            Some(dec!(90)),
            "gap through the stop"
        );
        assert_eq!(
            try_fill(
                &sell,
                &mut Working::Stop(dec!(95)),
                r(dec!(100), dec!(101), dec!(95.01))
            ),
            None
        );
        let buy = OrderSide::Buy;
        assert_eq!(
            try_fill(
                &buy,
                &mut Working::Stop(dec!(105)),
                r(dec!(107), dec!(108), dec!(106))
            ),
            Some(dec!(107))
        );
    }

    #[test]
    fn stop_limit_triggers_then_needs_the_limit() {
        let sell = OrderSide::Sell;
        let mut w = Working::StopLimit {
            stop: dec!(95),
            limit: dec!(94),
            triggered: false,
        };
        assert_eq!(
            try_fill(&sell, &mut w, r(dec!(100), dec!(101), dec!(94.5))),
            Some(dec!(95)),
            "triggered at 95, sold at 95 >= 94"
        );
        let mut w = Working::StopLimit {
            stop: dec!(95),
            limit: dec!(94),
            triggered: false,
        };
        assert_eq!(
            try_fill(&sell, &mut w, r(dec!(90), dec!(91), dec!(89))),
            None,
            "gapped below the limit"
        );
        assert!(matches!(
            w,
            Working::StopLimit {
                triggered: true,
                ..
            }
        ));
        assert_eq!(
            try_fill(&sell, &mut w, r(dec!(92), dec!(94.5), dec!(91))),
            Some(dec!(94)),
            "a later bar reaches the limit"
        );
    }

    #[test]
    fn trailing_stop_follows_the_high() {
        let sell = OrderSide::Sell;
        let mut w = Working::Trailing {
            trail: Trail::Percent(dec!(10)),
            mark: None,
        };
        assert_eq!(
            try_fill(&sell, &mut w, r(dec!(100), dec!(100), dec!(95))),
            None,
            "first bar sets the mark"
        );
        assert_eq!(
            try_fill(&sell, &mut w, r(dec!(100), dec!(120), dec!(99))),
            None,
            "stop 90 not hit; mark -> 120"
        );
        assert_eq!(
            try_fill(&sell, &mut w, r(dec!(115), dec!(116), dec!(107))),
            Some(dec!(108)),
            "stop 120 * 0.9"
        );
        let mut w = Working::Trailing {
            trail: Trail::Price(dec!(2)),
            mark: Some(dec!(50)),
        };
        assert_eq!(
            try_fill(&OrderSide::Buy, &mut w, r(dec!(53), dec!(54), dec!(52))),
            Some(dec!(53)),
            "buy trail gapped above 52"
        );
    }
}
