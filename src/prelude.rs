//! Everything a first bot needs, in one `use`.
//!
//! ```
//! use alpaca_exec::prelude::*;
//!
//! let price: Decimal = dec!(101.25);
//! let signal = Signal::new("my_strategy", "spy", Intent::EnterLong, price, Utc::now())
//!     .stop(dec!(99))
//!     .target(dec!(105));
//! assert_eq!(signal.symbol, "SPY");
//! assert_eq!(TimeFrame::DAY.to_string(), "1Day");
//! ```
//!
//! It brings the client and order types, the strategy trait with what `on_bar` sees and
//! returns, the backtester, the executor and monitor, the stores, [`Decimal`] with the [`dec!`]
//! macro, the [`async_trait`](macro@async_trait) attribute that `impl Strategy` needs, and the
//! `chrono` types the public API uses: a strategy needs no other dependency than this crate
//! (and `tokio` to run it).

pub use crate::backtest::bars::{CsvOptions, load_csv};
pub use crate::backtest::runner::{Backtest, BacktestConfig, BacktestResult};
pub use crate::broker::{AlpacaBroker, Broker};
pub use crate::client::{Client, ClientBuilder, Environment};
pub use crate::data::{Bar, TimeFrame};
pub use crate::dec;
pub use crate::error::{Error, Result};
pub use crate::exec::{Executor, ExecutorConfig, PositionMonitor};
pub use crate::options::{OccSymbol, OptionType};
pub use crate::risk::ExitPolicy;
#[cfg(feature = "sqlite")]
pub use crate::store::SqliteStore;
pub use crate::store::{ExecutionStore, JsonFileStore, MemoryStore};
pub use crate::strategy::{
    Fill, Instrument, Intent, OptionSpec, Signal, Strategy, StrategyContext,
};
pub use crate::trading::common::{OrderSide, PositionIntent};
pub use crate::trading::orders::{OrderRequest, OrderType, Qty, TimeInForce};
pub use async_trait::async_trait;
pub use chrono::{DateTime, Datelike, Duration as ChronoDuration, NaiveDate, TimeZone, Utc};
pub use rust_decimal::Decimal;
