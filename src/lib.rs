//! # alpaca-exec
//!
//! A typed, async client for [Alpaca](https://alpaca.markets)'s Trading API, for US equities
//! and options, built so that a bot never places an order twice.
//!
//! - **Typed both ways.** Money and quantities are [`rust_decimal::Decimal`]; every enum keeps
//!   values it does not know as `Unknown(String)`; decoding accepts the strings, numbers, nulls and
//!   empty strings Alpaca actually sends, and a decode error names the failing field.
//! - **Refuses bad orders before sending.** [`OrderRequest`] builders check what Alpaca would
//!   reject (qty and notional together, sub-penny prices, fractional or notional option orders,
//!   extended hours on non-limit orders, malformed symbols and multi-leg orders, ...).
//! - **One transport.** Every request goes through one place with auth headers, a timeout,
//!   a client-side token bucket (200 requests/min by default, shared by clones), and retries with
//!   backoff and jitter for 429s, 5xx and connection errors, but only where repeating is safe.
//! - **Never twice.** An order POST is never re-sent by the transport, and no request follows a
//!   redirect. After a timeout or a 5xx the error is [`Error::OutcomeUnknown`];
//!   [`OrderRequest::send`] (like [`Client::submit_order_and_resolve`]) settles it by the order's
//!   `client_order_id`, and sending the same request again is always safe.
//! - **An engine on top.** [`strategy::Strategy`]s emit [`strategy::Signal`]s; the
//!   [`exec::Executor`] turns them into orders through any [`broker::Broker`] with a deterministic
//!   client order id written to an [`store::ExecutionStore`] before sending, records every
//!   decision with its reason, and reconciles with the broker after a restart; the
//!   [`exec::PositionMonitor`] manages exits; [`alert`]s go to the log or Discord.
//!
//! ```no_run
//! use alpaca_exec::{Client, OrderRequest, OrderSide, Qty, TimeInForce};
//! use rust_decimal::Decimal;
//!
//! # async fn demo() -> alpaca_exec::Result<()> {
//! let client = Client::from_env()?; // paper trading unless told otherwise
//! let clock = client.clock().await?;
//! let order = OrderRequest::limit("AAPL", OrderSide::Buy, Qty::Shares(Decimal::ONE), Decimal::new(150, 0))
//!     .time_in_force(TimeInForce::Gtc)
//!     .build()?; // refused here, before any request, if Alpaca would reject it
//! if clock.is_open {
//!     // Settles a timeout or 5xx by looking the order up; retry with this same `order` only.
//!     let placed = order.send(&client).await?;
//!     println!("{} is {}", placed.id, placed.status);
//! }
//! # Ok(()) }
//! ```
#![warn(missing_docs)]
// On docs.rs (nightly, `--cfg docsrs`): a badge naming the feature on every gated item.
#![cfg_attr(docsrs, feature(doc_cfg))]

/// The README's examples, compiled as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub mod alert;
pub mod backtest;
pub mod broker;
pub mod client;
pub mod data;
mod dec_macro;
#[doc(hidden)]
pub use dec_macro::__private;
pub mod error;
pub mod exec;
mod hash;
pub mod indicators;
mod num;
pub mod options;
pub mod patterns;
pub mod prelude;
pub mod risk;
pub mod store;
pub mod strategy;
#[cfg(feature = "websockets")]
pub mod stream;
pub mod trading;
mod wire;

pub use client::{
    Client, ClientBuilder, Credentials, Environment, Page, Paged, RateLimit, RetryPolicy,
};
pub use error::{ApiError, Error, Result};
pub use options::{OccSymbol, OptionType};
pub use trading::account::{
    Account, AccountConfigurations, PortfolioHistory, PortfolioHistoryRequest,
};
pub use trading::activities::{Activity, ListActivities};
pub use trading::assets::{Asset, ListAssets};
pub use trading::clock::{CalendarDay, CalendarRequest, Clock};
pub use trading::common::{AssetClass, OrderSide, PositionIntent, SortDirection};
pub use trading::option_contracts::{ListOptionContracts, OptionContract};
pub use trading::orders::{
    ListOrders, Order, OrderClass, OrderKind, OrderRequest, OrderStatus, OrderType, Qty,
    ReplaceOrder, TimeInForce, Trail,
};
pub use trading::positions::{ClosePosition, Position};
pub use trading::watchlists::{Watchlist, WatchlistRef, WatchlistRequest};
