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
