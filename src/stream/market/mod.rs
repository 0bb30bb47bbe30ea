//! Market data streams: stocks (`/v2/{feed}`, JSON) and options (`/v1beta1/{feed}`,
//! MessagePack only), with a handle to change subscriptions while streaming.

mod message;
mod protocol;
mod subscriptions;

pub use message::{MarketMessage, TradingStatus};
pub use subscriptions::Subscriptions;

use super::config::StreamConfig;
use super::error::StreamError;
use super::{EventStream, StreamEvent};
use crate::client::{Client, Credentials};
use crate::data::{OptionFeed, StockFeed};
use futures_core::Stream;
use message::Codec;
use protocol::{Command, MarketProtocol};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::mpsc;

/// Alpaca's market data stream host.
pub const DATA_STREAM_URL: &str = "wss://stream.data.alpaca.markets";

impl Client {
    /// A stock data stream on `wss://stream.data.alpaca.markets/v2/{feed}` (JSON).
    pub fn stock_data_stream(&self, feed: StockFeed) -> MarketDataBuilder {
        MarketDataBuilder::new(
            self,
            format!("{DATA_STREAM_URL}/v2/{}", feed.as_str()),
            Codec::Json,
        )
    }

    /// An option data stream on `wss://stream.data.alpaca.markets/v1beta1/{feed}`
    /// (MessagePack, which Alpaca requires for options).
    pub fn option_data_stream(&self, feed: OptionFeed) -> MarketDataBuilder {
        MarketDataBuilder::new(
            self,
            format!("{DATA_STREAM_URL}/v1beta1/{}", feed.as_str()),
            Codec::MsgPack,
        )
    }
}

/// Configures a market data stream; [`MarketDataBuilder::start`] connects.
#[derive(Debug, Clone)]
pub struct MarketDataBuilder {
    credentials: Credentials,
    url: String,
    codec: Codec,
    config: StreamConfig,
    subscriptions: Subscriptions,
}

impl MarketDataBuilder {
    fn new(client: &Client, url: String, codec: Codec) -> Self {
        Self {
            credentials: client.transport().credentials.clone(),
            url,
            codec,
            config: StreamConfig::default(),
            subscriptions: Subscriptions::default(),
        }
    }

    /// Overrides the websocket URL (a proxy, Alpaca's sandbox or test stream, a local server).
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = url.into();
        self
    }

    /// Reconnect, liveness and buffering settings.
    pub fn config(mut self, config: StreamConfig) -> Self {
        self.config = config;
        self
    }

    /// Adds initial subscriptions (sent after authentication, and again after every reconnect).
    pub fn subscribe(mut self, subscriptions: Subscriptions) -> Self {
        self.subscriptions.merge(&subscriptions);
        self
    }

    /// Starts the connection task on the current Tokio runtime (panics outside one) and returns
    /// the stream. Dropping the stream stops the task.
    pub fn start(self) -> MarketDataStream {
        let overflow = self.config.overflow;
        let proto = MarketProtocol {
            url: self.url,
            codec: self.codec,
            credentials: self.credentials,
            subscriptions: self.subscriptions,
            scratch: Vec::new(),
        };
        let (events, commands) = super::spawn(proto, self.config, overflow);
        MarketDataStream {
            events,
            handle: SubscriptionHandle { commands },
        }
    }
}

/// A live market data stream: an async `Stream` of [`StreamEvent<MarketMessage>`] items.
#[derive(Debug)]
pub struct MarketDataStream {
    events: EventStream<MarketMessage>,
    handle: SubscriptionHandle,
}

impl MarketDataStream {
    /// A handle to change subscriptions while the stream runs (cheap to clone, usable from
    /// other tasks).
    pub fn handle(&self) -> SubscriptionHandle {
        self.handle.clone()
    }
}

impl Stream for MarketDataStream {
    type Item = Result<StreamEvent<MarketMessage>, StreamError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.events).poll_next(cx)
    }
}

/// Changes a running market data stream's subscriptions. Changes are sent at once when
/// connected and remembered for every reconnect.
#[derive(Debug, Clone)]
pub struct SubscriptionHandle {
    commands: mpsc::Sender<Command>,
}

impl SubscriptionHandle {
    /// Adds symbols to channels.
    pub async fn subscribe(&self, subscriptions: Subscriptions) -> Result<(), StreamError> {
        self.send(Command::Subscribe(subscriptions)).await
    }

    /// Removes symbols from channels.
    pub async fn unsubscribe(&self, subscriptions: Subscriptions) -> Result<(), StreamError> {
        self.send(Command::Unsubscribe(subscriptions)).await
    }

    async fn send(&self, cmd: Command) -> Result<(), StreamError> {
        self.commands
            .send(cmd)
            .await
            .map_err(|_| StreamError::Closed("the stream has stopped".into()))
    }
}
