//! Exit rules for an open position, evaluated in a fixed priority; the first that fires wins.
//!
//! # Priority (each rule can be turned off)
//! 1. **DTE**: days to expiry (New York calendar) at or below the threshold (default 3), to get
//!    out before the last days' gamma and assignment risk. Options only.
//! 2. **Stop**: the underlying at or through the position's stop level.
//! 3. **Max loss**: position P&L at or below minus this fraction of the entry (default 50% of
//!    the premium paid).
//! 4. **Target**: the underlying at or through the position's target level.
//! 5. **Max profit**: P&L at or above this fraction (default 100%, a double).
//! 6. **Time exit**: New York wall-clock time at or after a cutoff (off by default; e.g. 15:45
//!    to be flat before the close).
//! 7. **Trailing stop**: once the best price since entry (the high-water mark; the low-water
//!    mark for shorts) is up by the activation fraction (default 2%), exit when the price falls
//!    the trail fraction (default 1%) below that mark.
//!
//! Protective rules come before profit-taking ones so that, when several fire on the same bar,
//! the logged reason is the one that matters for risk.
//!
//! "Price" is the position's own price per unit: the option premium for options (e.g. the bid
//! you could sell at), the share price for equities. Stops and targets are levels of the
//! *underlying*, crossed upward or downward according to the position's [`Bias`].

use crate::options::select::{days_to_expiry, new_york_date};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::America::New_York;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Which way the position profits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Profits when its price rises (bought options, long stock).
    Long,
    /// Profits when its price falls (short stock).
    Short,
}

/// Which way the underlying must move for the trade to work; decides how stops and targets are
/// crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bias {
    /// Long calls, long stock: stop below, target above.
    Bullish,
    /// Long puts, short stock: stop above, target below.
    Bearish,
}

/// Trailing-stop settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrailingStop {
    /// Gain of the best price over entry that arms the stop (default 0.02).
    pub activation: Decimal,
    /// Distance below the high-water mark that fires it (default 0.01).
    pub trail: Decimal,
}

impl Default for TrailingStop {
    fn default() -> Self {
        Self {
            activation: Decimal::new(2, 2),
            trail: Decimal::new(1, 2),
        }
    }
}

/// Which rules are on, and their thresholds; defaults as in the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExitPolicy {
    /// Exit at or below this many days to expiry.
    pub dte_exit: Option<i64>,
    /// Whether the position's stop level is honoured.
    pub use_stop: bool,
    /// Exit at a loss of this fraction of the entry price.
    pub max_loss: Option<Decimal>,
    /// Whether the position's target level is honoured.
    pub use_target: bool,
    /// Exit at a gain of this fraction of the entry price.
    pub max_profit: Option<Decimal>,
    /// Exit at or after this New York time of day.
    pub time_exit: Option<NaiveTime>,
    /// Trailing stop settings.
    pub trailing: Option<TrailingStop>,
}

impl Default for ExitPolicy {
    fn default() -> Self {
        Self {
            dte_exit: Some(3),
            use_stop: true,
            max_loss: Some(Decimal::new(50, 2)),
            use_target: true,
            max_profit: Some(Decimal::ONE),
            time_exit: None,
            trailing: Some(TrailingStop::default()),
        }
    }
}

/// The position and market as of one evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitInput {
    /// Long or short the instrument.
    pub side: Side,
    /// Direction the underlying must move.
    pub bias: Bias,
    /// Entry price per unit (premium per share for options).
    pub entry_price: Decimal,
    /// Current price per unit.
    pub current_price: Decimal,
    /// Current price of the underlying (the same as `current_price` for equities).
    pub underlying_price: Decimal,
    /// Stop level on the underlying.
    pub stop: Option<Decimal>,
    /// Target level on the underlying.
    pub target: Option<Decimal>,
    /// Option expiration; `None` for equities.
    pub expiration: Option<NaiveDate>,
    /// The evaluation instant.
    pub now: DateTime<Utc>,
}

/// The rules, in priority order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitRule {
    /// Days to expiry.
    Dte,
    /// Underlying stop.
    Stop,
    /// Maximum loss.
    MaxLoss,
    /// Underlying target.
    Target,
    /// Maximum profit.
    MaxProfit,
    /// Time of day.
    Time,
    /// Trailing stop.
    Trailing,
}

impl ExitRule {
    /// All rules in the order they are evaluated.
    pub const PRIORITY: [ExitRule; 7] = [
        ExitRule::Dte,
        ExitRule::Stop,
        ExitRule::MaxLoss,
        ExitRule::Target,
        ExitRule::MaxProfit,
        ExitRule::Time,
        ExitRule::Trailing,
    ];
}

/// The rule that fired, with the figures that made it fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitReason {
    /// Days to expiry at or below the threshold.
    Dte {
        /// Days to expiry.
        dte: i64,
        /// The threshold.
        threshold: i64,
    },
    /// Underlying at or through the stop.
    StopHit {
        /// Underlying price.
        underlying: Decimal,
        /// Stop level.
        stop: Decimal,
    },
    /// Loss at or beyond the limit.
    MaxLoss {
        /// P&L as a fraction of entry (negative).
        pnl: Decimal,
        /// The limit, positive.
        limit: Decimal,
    },
    /// Underlying at or through the target.
    TargetHit {
        /// Underlying price.
        underlying: Decimal,
        /// Target level.
        target: Decimal,
    },
    /// Gain at or beyond the limit.
    MaxProfit {
        /// P&L as a fraction of entry.
        pnl: Decimal,
        /// The limit.
        limit: Decimal,
    },
    /// New York time at or after the cutoff.
    Time {
        /// New York time of day now.
        now: NaiveTime,
        /// The cutoff.
        cutoff: NaiveTime,
    },
    /// Price fell back by the trail from the high-water mark (rose, for shorts).
    TrailingStop {
        /// Current price.
        price: Decimal,
        /// Best price since entry.
        high_water: Decimal,
        /// Price at which the stop fires.
        trigger: Decimal,
    },
}

impl ExitReason {
    /// The rule this reason belongs to.
    pub fn rule(&self) -> ExitRule {
        match self {
            ExitReason::Dte { .. } => ExitRule::Dte,
            ExitReason::StopHit { .. } => ExitRule::Stop,
            ExitReason::MaxLoss { .. } => ExitRule::MaxLoss,
            ExitReason::TargetHit { .. } => ExitRule::Target,
            ExitReason::MaxProfit { .. } => ExitRule::MaxProfit,
            ExitReason::Time { .. } => ExitRule::Time,
            ExitReason::TrailingStop { .. } => ExitRule::Trailing,
        }
    }
}

/// A fraction as a percentage, for display; absurd fractions (beyond 1e26) show at the
/// decimal's bounds rather than panicking.
fn pct(f: Decimal) -> Decimal {
    f.saturating_mul(Decimal::ONE_HUNDRED)
        .round_dp(2)
        .normalize()
}

impl fmt::Display for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ExitReason::Dte { dte, threshold } => {
                write!(f, "{dte} days to expiry, at or below {threshold}")
            }
            ExitReason::StopHit { underlying, stop } => {
                write!(f, "stop hit: underlying {underlying} through stop {stop}")
            }
            ExitReason::MaxLoss { pnl, limit } => {
                write!(
                    f,
                    "max loss: {}% against a limit of -{}%",
                    pct(pnl),
                    pct(limit)
                )
            }
            ExitReason::TargetHit { underlying, target } => {
                write!(
                    f,
                    "target hit: underlying {underlying} through target {target}"
                )
            }
            ExitReason::MaxProfit { pnl, limit } => {
                write!(
                    f,
                    "max profit: +{}% against a limit of +{}%",
                    pct(pnl),
                    pct(limit)
                )
            }
            ExitReason::Time { now, cutoff } => {
                write!(f, "time exit: {now} New York is at or after {cutoff}")
            }
            ExitReason::TrailingStop {
                price,
                high_water,
                trigger,
            } => write!(
                f,
                "trailing stop: price {price} through {trigger} (high-water mark {high_water})"
            ),
        }
    }
}

/// Best price seen since entry, carried from one evaluation to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TrailingState {
    high_water: Option<Decimal>,
}

impl TrailingState {
    /// A fresh state for a new position.
    pub fn new() -> Self {
        Self::default()
    }

    /// The best price seen so far: the highest for longs, the lowest for shorts.
    pub fn high_water(&self) -> Option<Decimal> {
        self.high_water
    }

    /// Records a price.
    pub fn observe(&mut self, side: Side, price: Decimal) {
        self.high_water = Some(match (self.high_water, side) {
            (None, _) => price,
            (Some(h), Side::Long) => h.max(price),
            (Some(h), Side::Short) => h.min(price),
        });
    }
}

/// Why exits could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExitError {
    /// An input or setting is out of its domain.
    #[error("invalid exit input {field} = {value}: {reason}")]
    InvalidInput {
        /// Which input.
        field: &'static str,
        /// Its value.
        value: Decimal,
        /// What is wrong with it.
        reason: &'static str,
    },
}

fn require(
    ok: bool,
    field: &'static str,
    value: Decimal,
    reason: &'static str,
) -> Result<(), ExitError> {
    if ok {
        Ok(())
    } else {
        Err(ExitError::InvalidInput {
            field,
            value,
            reason,
        })
    }
}

fn validate(policy: &ExitPolicy, input: &ExitInput) -> Result<(), ExitError> {
    let zero = Decimal::ZERO;
    require(
        input.entry_price > zero,
        "entry_price",
        input.entry_price,
        "must be greater than zero",
    )?;
    require(
        input.current_price >= zero,
        "current_price",
        input.current_price,
        "is negative",
    )?;
    require(
        input.underlying_price >= zero,
        "underlying_price",
        input.underlying_price,
        "is negative",
    )?;
    if let Some(l) = policy.max_loss {
        require(l > zero, "max_loss", l, "must be greater than zero")?;
    }
    if let Some(p) = policy.max_profit {
        require(p > zero, "max_profit", p, "must be greater than zero")?;
    }
    if let Some(t) = policy.trailing {
        require(
            t.activation >= zero && t.activation <= Decimal::ONE_HUNDRED,
            "activation",
            t.activation,
            "must be in 0..=100",
        )?;
        require(
            t.trail > zero && t.trail < Decimal::ONE,
            "trail",
            t.trail,
            "must be in (0, 1)",
        )?;
    }
    Ok(())
}

/// True when the underlying is at or through `level`: against the bias when `adverse` (a stop),
/// with it otherwise (a target).
fn through(bias: Bias, adverse: bool, underlying: Decimal, level: Decimal) -> bool {
    match (bias, adverse) {
        (Bias::Bullish, true) | (Bias::Bearish, false) => underlying <= level,
        (Bias::Bullish, false) | (Bias::Bearish, true) => underlying >= level,
    }
}

/// Updates the trailing state with the current price, then returns the first rule of the
/// priority order that fires, or `None` to hold.
///
/// The high-water mark is updated even when an earlier rule fires, so the state stays right if
/// the caller decides not to act on the signal.
pub fn evaluate_exit(
    policy: &ExitPolicy,
    input: &ExitInput,
    trail: &mut TrailingState,
) -> Result<Option<ExitReason>, ExitError> {
    validate(policy, input)?;
    trail.observe(input.side, input.current_price);

    if let (Some(threshold), Some(exp)) = (policy.dte_exit, input.expiration) {
        let dte = days_to_expiry(new_york_date(input.now), exp);
        if dte <= threshold {
            return Ok(Some(ExitReason::Dte { dte, threshold }));
        }
    }
    let u = input.underlying_price;
    if policy.use_stop
        && let Some(stop) = input.stop
        && through(input.bias, true, u, stop)
    {
        return Ok(Some(ExitReason::StopHit {
            underlying: u,
            stop,
        }));
    }
    // A difference of two non-negative decimals cannot overflow; the division can, for absurd
    // prices, and is then an input error rather than a panic.
    let move_ = input.current_price - input.entry_price;
    let signed = match input.side {
        Side::Long => move_,
        Side::Short => -move_,
    };
    let pnl = signed
        .checked_div(input.entry_price)
        .ok_or(ExitError::InvalidInput {
            field: "current_price",
            value: input.current_price,
            reason: "too large relative to entry_price",
        })?;
    if let Some(limit) = policy.max_loss
        && pnl <= -limit
    {
        return Ok(Some(ExitReason::MaxLoss { pnl, limit }));
    }
    if policy.use_target
        && let Some(target) = input.target
        && through(input.bias, false, u, target)
    {
        return Ok(Some(ExitReason::TargetHit {
            underlying: u,
            target,
        }));
    }
    if let Some(limit) = policy.max_profit
        && pnl >= limit
    {
        return Ok(Some(ExitReason::MaxProfit { pnl, limit }));
    }
    if let Some(cutoff) = policy.time_exit {
        let now = input.now.with_timezone(&New_York).time();
        if now >= cutoff {
            return Ok(Some(ExitReason::Time { now, cutoff }));
        }
    }
    if let (Some(t), Some(high_water)) = (policy.trailing, trail.high_water()) {
        let entry = input.entry_price;
        let price = input.current_price;
        let fired = match input.side {
            Side::Long => {
                // An activation level beyond the decimal range can never be reached.
                let armed = entry
                    .checked_mul(Decimal::ONE + t.activation)
                    .is_some_and(|level| high_water >= level);
                let trigger = high_water * (Decimal::ONE - t.trail);
                (armed && price <= trigger).then_some(trigger)
            }
            Side::Short => {
                // `1 - activation` may be as low as -99: an unreachable level is not armed.
                let armed = entry
                    .checked_mul(Decimal::ONE - t.activation)
                    .is_some_and(|level| high_water <= level);
                let trigger = high_water.checked_mul(Decimal::ONE + t.trail);
                trigger.filter(|&trigger| armed && price >= trigger)
            }
        };
        if let Some(trigger) = fired {
            return Ok(Some(ExitReason::TrailingStop {
                price,
                high_water,
                trigger,
            }));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests;
