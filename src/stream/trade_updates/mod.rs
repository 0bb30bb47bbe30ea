//! The trade-update stream (`wss://{paper-api|api}.alpaca.markets/stream`): every change to the
//! account's orders, deduplicated, with the changes missed while disconnected recovered over
//! REST after each reconnect.

mod event;
mod protocol;
mod tracker;

pub use event::{LegFill, TradeEvent, TradeMessage, TradeUpdate};

use super::EventStream;
use super::config::{Overflow, StreamConfig};
use crate::client::Client;
use protocol::TradeProtocol;
use std::time::Duration;
use tracker::Tracker;

/// The trade-update stream: an async `Stream` of
/// [`StreamEvent<TradeMessage>`](super::StreamEvent) items. Dropping it stops the connection.
pub type TradeUpdates = EventStream<TradeMessage>;

/// How many update keys and open orders the deduplication remembers.
const DEDUP_CAPACITY: usize = 10_000;

impl Client {
    /// The trade-update stream of this client's account (paper or live, from the trading URL).
    pub fn trade_updates(&self) -> TradeUpdatesBuilder {
        let mut url = self.transport().trading_base.clone();
        let scheme = if url.scheme() == "http" { "ws" } else { "wss" };
        // Both are special schemes, so switching between them always succeeds.
        let _ = url.set_scheme(scheme);
        let url = url
            .join("stream")
            .map(String::from)
            .unwrap_or_else(|_| format!("{scheme}://paper-api.alpaca.markets/stream"));
        TradeUpdatesBuilder {
            client: self.clone(),
            url,
            config: StreamConfig {
                overflow: Overflow::Backpressure,
                ..StreamConfig::default()
            },
            recovery_lookback: Duration::from_secs(60),
        }
    }
}

/// Configures the trade-update stream; [`TradeUpdatesBuilder::start`] connects.
#[derive(Debug, Clone)]
pub struct TradeUpdatesBuilder {
    client: Client,
    url: String,
    config: StreamConfig,
    recovery_lookback: Duration,
}

impl TradeUpdatesBuilder {
    /// Overrides the websocket URL (a proxy or a local server).
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = url.into();
        self
    }

    /// Reconnect, liveness and buffering settings. The overflow setting is ignored: trade
    /// updates always apply backpressure, because a dropped fill is never acceptable.
    pub fn config(mut self, config: StreamConfig) -> Self {
        self.config = config;
        self
    }

    /// How far before the last event seen recovery looks for newly submitted orders
    /// (default 60 s), to absorb clock differences between Alpaca's event times and order times.
    pub fn recovery_lookback(mut self, lookback: Duration) -> Self {
        self.recovery_lookback = lookback;
        self
    }

    /// Starts the connection task on the current Tokio runtime (panics outside one).
    pub fn start(self) -> TradeUpdates {
        let proto = TradeProtocol {
            url: self.url,
            client: self.client,
            tracker: Tracker::new(DEDUP_CAPACITY),
            recovery_lookback: self.recovery_lookback,
            authorized: false,
        };
        let (events, _commands) = super::spawn(proto, self.config, Overflow::Backpressure);
        events
    }
}

#[cfg(test)]
mod tests {
    use crate::Client;

    fn stream_url(base: &str) -> String {
        let c = Client::builder()
            .credentials("k", "s")
            .trading_base_url(base)
            .build()
            .unwrap();
        c.trade_updates().url
    }

    #[test]
    fn the_stream_url_follows_the_trading_host_and_prefix() {
        for (base, want) in [
            (
                "https://paper-api.alpaca.markets",
                "wss://paper-api.alpaca.markets/stream",
            ),
            (
                "https://paper-api.alpaca.markets/v2",
                "wss://paper-api.alpaca.markets/stream",
            ),
            (
                "https://api.alpaca.markets./v2/",
                "wss://api.alpaca.markets/stream",
            ),
            (
                "http://127.0.0.1:8080/proxy/alpaca",
                "ws://127.0.0.1:8080/proxy/alpaca/stream",
            ),
            (
                "http://127.0.0.1:8080/proxy/v2",
                "ws://127.0.0.1:8080/proxy/stream",
            ),
        ] {
            assert_eq!(stream_url(base), want, "{base}");
        }
    }
}
