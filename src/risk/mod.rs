//! Risk management: how much to trade, whether the portfolio may take another position, when
//! to stop trading for the day, when to exit, and which signals are worth taking.
//!
//! All functions are pure: they take account figures and prices as `Decimal` and return a
//! decision or a typed reason, so the executor, the backtester and users' bots make the same
//! decisions from the same numbers. The one exception is the [`events`] filter, which looks up
//! corporate actions and news through an [`EventSource`]. Every default comes from a `Default`
//! impl:
//!
//! | rule | default | module |
//! | --- | --- | --- |
//! | equity position size | 10% of equity, whole shares | [`sizing`] |
//! | option trade budget | $300 per trade | [`sizing`] |
//! | open positions | 5 per strategy | [`limits`] |
//! | total allocation | 50% of equity | [`limits`] |
//! | daily loss halt | 2% below the previous close | [`halt`] |
//! | exits | DTE <= 3, stop, -50%, target, +100%, time (off), trailing 2%/1% | [`exits`] |
//! | signal quality | move >= 0.5%, reward:risk >= 1.0 | [`filters`] |
//! | events ahead | off; when on: corporate action within 3 days, > 10 articles in 24 h | [`events`] |
//!
//! Sizing a trade, checking it against the portfolio limits, and deciding its exit:
//!
//! ```
//! use alpaca_exec::prelude::*;
//! use alpaca_exec::risk::{
//!     Bias, EquitySize, EquitySizing, EquitySizingInput, EquitySizingPolicy, ExitInput, ExitRule,
//!     Exposure, PortfolioLimits, Side, TrailingState, check_new_position, evaluate_exit,
//!     size_equity,
//! };
//!
//! // Risk $500 if the stop is hit, never more than 20% of equity in one position.
//! let policy = EquitySizingPolicy {
//!     method: EquitySizing::RiskBased { risk_per_trade: dec!(500) },
//!     max_equity_fraction: Some(dec!(0.20)),
//!     allow_fractional: false,
//! };
//! let input = EquitySizingInput {
//!     equity: dec!(100000),
//!     buying_power: dec!(150000),
//!     price: dec!(50),
//!     stop_price: Some(dec!(48)),
//!     fractionable: false,
//! };
//! let size = size_equity(&policy, &input).unwrap();
//! // $500 / $2 of risk per share = 250 shares = $12,500, under the 20% cap.
//! assert_eq!(size, EquitySize::Shares { qty: dec!(250), cost: dec!(12500) });
//!
//! // Two positions already open: the limits (5 per strategy, 50% of equity) still allow it,
//! // and tell what is left once it is open.
//! let open = [
//!     Exposure { strategy: "trend", value: dec!(20000) },
//!     Exposure { strategy: "swing", value: dec!(15000) },
//! ];
//! let room = check_new_position(&PortfolioLimits::default(), dec!(100000), &open, "trend", size.cost())
//!     .unwrap();
//! assert_eq!(room.positions_left, 3); // 5, less trend's open one, less this one
//! assert_eq!(room.capital_left, dec!(2500)); // $50,000 - $35,000 - $12,500
//!
//! // Later the price falls through the stop: the exit rules say why to get out.
//! let now = Utc::now();
//! let exit = ExitInput {
//!     side: Side::Long,
//!     bias: Bias::Bullish,
//!     entry_price: dec!(50),
//!     current_price: dec!(47.90),
//!     underlying_price: dec!(47.90),
//!     stop: Some(dec!(48)),
//!     target: Some(dec!(56)),
//!     expiration: None,
//!     now,
//! };
//! let reason = evaluate_exit(&ExitPolicy::default(), &exit, &mut TrailingState::new())
//!     .unwrap()
//!     .expect("the stop fires");
//! assert_eq!(reason.rule(), ExitRule::Stop);
//! ```

pub mod events;
pub mod exits;
pub mod filters;
pub mod halt;
pub mod limits;
pub mod sizing;

pub use events::{EventBlock, EventFilter, EventFilterConfig, EventSource, OnLookupError};
pub use exits::{
    Bias, ExitError, ExitInput, ExitPolicy, ExitReason, ExitRule, Side, TrailingState,
    TrailingStop, evaluate_exit,
};
pub use filters::{SignalFilter, SignalLevels, SignalQuality, SignalRejection};
pub use halt::{DailyLossError, DailyLossGuard, DailyLossLimit, DailyLossStatus};
pub use limits::{Exposure, Headroom, LimitBreach, PortfolioLimits, check_new_position, headroom};
pub use sizing::{
    EquitySize, EquitySizing, EquitySizingInput, EquitySizingPolicy, OptionSize, OptionSizingInput,
    OptionSizingPolicy, SizingError, size_equity, size_option,
};
