//! Websocket streams: trade updates, market data for stocks (JSON) and options (MessagePack),
//! and real-time news ([`news`]). Requires the `websockets` feature (on by default).
//!
//! Every stream is an async [`Stream`] of
//! `Result<`[`StreamEvent`]`, `[`StreamError`]`>` fed by a background task that keeps the
//! connection alive, and behaves the same way:
//!
//! - **Reconnects that behave.** After any failure that retrying can fix, the task reconnects
//!   with exponential backoff and jitter ([`StreamConfig::backoff_min`] to
//!   [`StreamConfig::backoff_max`]), authenticates and subscribes again. The consumer sees
//!   [`StreamEvent::Disconnected`] (with the reason and the delay) and then
//!   [`StreamEvent::Connected`]. A 406 (connection limit) backs off like any other failure.
//! - **No silent death.** Pings go out every [`StreamConfig::ping_interval`]; a connection on
//!   which nothing at all (not even a pong) arrives for [`StreamConfig::silence_timeout`] is
//!   replaced.
//! - **Final errors end the stream.** Bad keys, a symbol limit or a feed the plan does not
//!   include cannot be fixed by retrying: the stream yields `Err` with the typed reason and ends.
//! - **Bounded memory.** At most [`StreamConfig::buffer`] messages wait for the consumer. Trade
//!   updates apply backpressure; market data drops the oldest and says so with
//!   [`StreamEvent::Lagged`] (or applies backpressure if [`Overflow::Backpressure`] is chosen).
//! - **Lenient decoding.** Unknown message types arrive as `Unknown` with their raw JSON; a
//!   malformed frame is skipped with a `tracing` warning; text and binary frames are both read.
//! - **Nothing missed on trade updates.** After a reconnect, orders changed while disconnected
//!   are fetched over REST and reported as recovered updates; duplicates are dropped.
//!
//! ```no_run
//! use alpaca_exec::Client;
//! use alpaca_exec::data::StockFeed;
//! use alpaca_exec::stream::{MarketMessage, StreamEvent, Subscriptions};
//! use futures_util::StreamExt;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::from_env()?;
//! let mut quotes = client
//!     .stock_data_stream(StockFeed::Iex)
//!     .subscribe(Subscriptions::new().quotes(["AAPL", "MSFT"]))
//!     .start();
//! let handle = quotes.handle();
//! while let Some(event) = quotes.next().await {
//!     match event? {
//!         StreamEvent::Message(MarketMessage::Quote { symbol, quote }) => {
//!             println!("{symbol} {} x {}", quote.bid_price, quote.ask_price);
//!             handle.subscribe(Subscriptions::new().trades([symbol])).await?;
//!         }
//!         StreamEvent::Lagged { dropped } => eprintln!("too slow: {dropped} messages dropped"),
//!         other => eprintln!("{other:?}"),
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! The decoders work without a connection, for replaying recorded frames (and for trying the
//! types out):
//!
//! ```
//! use alpaca_exec::prelude::*;
//! use alpaca_exec::stream::MarketMessage;
//!
//! let frame = br#"[{"T":"q","S":"AAPL","bx":"V","bp":189.5,"bs":2,"ax":"V","ap":189.52,"as":1,
//!                   "c":["R"],"z":"C","t":"2024-03-04T15:00:00.123Z"},
//!                  {"T":"b","S":"AAPL","o":189.4,"h":189.6,"l":189.3,"c":189.5,"v":1200,
//!                   "t":"2024-03-04T15:00:00Z"}]"#;
//! let messages = MarketMessage::decode_json(frame);
//! assert_eq!(messages.len(), 2);
//! match &messages[0] {
//!     MarketMessage::Quote { symbol, quote } => {
//!         assert_eq!(symbol, "AAPL");
//!         assert_eq!(quote.bid_price, dec!(189.5)); // prices are exact decimals
//!     }
//!     other => panic!("{other:?}"),
//! }
//! assert!(matches!(&messages[1], MarketMessage::Bar { bar, .. } if bar.close == dec!(189.5)));
//! ```

mod buffer;
mod config;
mod error;
mod frame;
pub mod market;
pub mod news;
mod runner;
mod socket;
pub mod trade_updates;
mod value;

pub use config::{Overflow, StreamConfig};
pub use error::StreamError;
pub use market::{
    MarketDataBuilder, MarketDataStream, MarketMessage, SubscriptionHandle, Subscriptions,
    TradingStatus,
};
pub use news::{NewsHandle, NewsMessage, NewsStream, NewsStreamBuilder};
pub use trade_updates::{
    LegFill, TradeEvent, TradeMessage, TradeUpdate, TradeUpdates, TradeUpdatesBuilder,
};

use buffer::Received;
use futures_core::Stream;
use runner::Protocol;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::mpsc;

/// One item of a stream (the `Ok` side; `Err` is a final [`StreamError`], always the last item).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StreamEvent<M> {
    /// Connected, authenticated and subscribed (again, after a disconnect).
    Connected,
    /// A message from the server (or, for trade updates, recovered over REST).
    Message(M),
    /// The connection was lost or refused; the stream reconnects after `retry_in`.
    Disconnected {
        /// Why.
        error: StreamError,
        /// The backoff before the next attempt.
        retry_in: Duration,
    },
    /// The consumer fell behind and this many messages were dropped (market data with
    /// [`Overflow::DropOldest`] only).
    Lagged {
        /// Messages dropped since the previous item.
        dropped: u64,
    },
}

type BoxStream<M> = Pin<Box<dyn Stream<Item = Result<StreamEvent<M>, StreamError>> + Send>>;

/// A stream of [`StreamEvent`]s, fed by a background task that stops when this is dropped.
pub struct EventStream<M> {
    inner: BoxStream<M>,
}

impl<M> fmt::Debug for EventStream<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream").finish_non_exhaustive()
    }
}

impl<M> Stream for EventStream<M> {
    type Item = Result<StreamEvent<M>, StreamError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// Starts the connection task for `proto` on the current Tokio runtime.
fn spawn<P: Protocol>(
    proto: P,
    cfg: StreamConfig,
    overflow: Overflow,
) -> (EventStream<P::Message>, mpsc::Sender<P::Command>) {
    let (tx, rx) = buffer::channel(cfg.buffer, overflow);
    let (cmd_tx, cmd_rx) = mpsc::channel(64);
    tokio::spawn(runner::run(proto, cfg, tx, cmd_rx));
    let inner = futures_util::stream::unfold(rx, |mut rx| async move {
        let item = match rx.recv().await? {
            Received::Item(item) => item,
            Received::Lagged(dropped) => Ok(StreamEvent::Lagged { dropped }),
        };
        Some((item, rx))
    });
    (
        EventStream {
            inner: Box::pin(inner),
        },
        cmd_tx,
    )
}
