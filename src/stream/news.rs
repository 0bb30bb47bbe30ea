//! The real-time news stream (`wss://stream.data.alpaca.markets/v1beta1/news`, JSON).
//!
//! The handshake is the market data one (greeting, auth, subscribe with a `news` channel) and
//! the connection task is the one every stream shares, so reconnects, backoff, liveness checks
//! and final errors behave exactly as described in [`crate::stream`]. Articles are the
//! [`NewsArticle`]s of the REST endpoint. The default overflow is
//! [`Overflow::Backpressure`]: news is sparse, and an article dropped because the consumer was
//! busy would be an event missed.

use super::config::{Overflow, StreamConfig};
use super::error::StreamError;
use super::market::DATA_STREAM_URL;
use super::runner::{Action, Protocol};
use super::socket::Outgoing;
use super::{EventStream, StreamEvent};
use crate::client::{Client, Credentials};
use crate::data::NewsArticle;
use futures_core::Stream;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::mpsc;

/// A message from the news stream.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum NewsMessage {
    /// An article (`T: "n"`): new, or updated (same id, later `updated_at`).
    Article(NewsArticle),
    /// The server's confirmation of the symbols subscribed (`"*"` is every symbol).
    Subscription(BTreeSet<String>),
    /// An error the server reported without dropping the connection (e.g. a refused request).
    ServerError {
        /// Alpaca's code.
        code: u16,
        /// Alpaca's message.
        message: String,
    },
    /// A message type this version does not know, kept whole.
    Unknown(Value),
}

impl Client {
    /// The news stream. Subscribes to every symbol unless [`NewsStreamBuilder::symbols`] says
    /// otherwise.
    pub fn news_stream(&self) -> NewsStreamBuilder {
        NewsStreamBuilder {
            credentials: self.transport().credentials.clone(),
            url: format!("{DATA_STREAM_URL}/v1beta1/news"),
            config: StreamConfig {
                overflow: Overflow::Backpressure,
                ..StreamConfig::default()
            },
            symbols: BTreeSet::from(["*".to_owned()]),
        }
    }
}

/// Configures the news stream; [`NewsStreamBuilder::start`] connects.
#[derive(Debug, Clone)]
pub struct NewsStreamBuilder {
    credentials: Credentials,
    url: String,
    config: StreamConfig,
    symbols: BTreeSet<String>,
}

impl NewsStreamBuilder {
    /// Overrides the websocket URL (a proxy, Alpaca's sandbox, a local server).
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = url.into();
        self
    }

    /// Reconnect, liveness and buffering settings.
    pub fn config(mut self, config: StreamConfig) -> Self {
        self.config = config;
        self
    }

    /// Only news about these symbols (replaces the default `"*"`, every symbol).
    pub fn symbols<S: Into<String>>(mut self, symbols: impl IntoIterator<Item = S>) -> Self {
        self.symbols = symbols.into_iter().map(Into::into).collect();
        self
    }

    /// Starts the connection task on the current Tokio runtime (panics outside one). Dropping
    /// the stream stops the task.
    pub fn start(self) -> NewsStream {
        let overflow = self.config.overflow;
        let proto = NewsProtocol {
            url: self.url,
            credentials: self.credentials,
            symbols: self.symbols,
        };
        let (events, commands) = super::spawn(proto, self.config, overflow);
        NewsStream {
            events,
            handle: NewsHandle { commands },
        }
    }
}

/// A live news stream: an async `Stream` of [`StreamEvent<NewsMessage>`] items.
#[derive(Debug)]
pub struct NewsStream {
    events: EventStream<NewsMessage>,
    handle: NewsHandle,
}

impl NewsStream {
    /// A handle to change the symbols while the stream runs.
    pub fn handle(&self) -> NewsHandle {
        self.handle.clone()
    }
}

impl Stream for NewsStream {
    type Item = Result<StreamEvent<NewsMessage>, StreamError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.events).poll_next(cx)
    }
}

/// Changes a running news stream's symbols; changes are sent at once when connected and
/// remembered for every reconnect.
#[derive(Debug, Clone)]
pub struct NewsHandle {
    commands: mpsc::Sender<Command>,
}

impl NewsHandle {
    /// Adds symbols.
    pub async fn subscribe<S: Into<String>>(
        &self,
        symbols: impl IntoIterator<Item = S>,
    ) -> Result<(), StreamError> {
        self.send(Command::Subscribe(collect(symbols))).await
    }

    /// Removes symbols.
    pub async fn unsubscribe<S: Into<String>>(
        &self,
        symbols: impl IntoIterator<Item = S>,
    ) -> Result<(), StreamError> {
        self.send(Command::Unsubscribe(collect(symbols))).await
    }

    async fn send(&self, cmd: Command) -> Result<(), StreamError> {
        self.commands
            .send(cmd)
            .await
            .map_err(|_| StreamError::Closed("the stream has stopped".into()))
    }
}

fn collect<S: Into<String>>(symbols: impl IntoIterator<Item = S>) -> BTreeSet<String> {
    symbols.into_iter().map(Into::into).collect()
}

#[derive(Debug)]
enum Command {
    Subscribe(BTreeSet<String>),
    Unsubscribe(BTreeSet<String>),
}

struct NewsProtocol {
    url: String,
    credentials: Credentials,
    /// What the stream should be subscribed to: resent in full after every reconnect.
    symbols: BTreeSet<String>,
}

fn request(action: &str, symbols: &BTreeSet<String>) -> Outgoing {
    Outgoing::Text(json!({"action": action, "news": symbols}).to_string())
}

#[derive(Deserialize)]
struct Control {
    #[serde(default)]
    msg: String,
    #[serde(default)]
    code: u16,
    #[serde(default)]
    news: Option<BTreeSet<String>>,
}

impl Protocol for NewsProtocol {
    type Message = NewsMessage;
    type Command = Command;

    fn url(&self) -> &str {
        &self.url
    }

    fn on_open(&mut self, _out: &mut Vec<Action<NewsMessage>>) {
        // The server speaks first (`connected`, or a 406 when the connection slot is taken).
    }

    fn on_frame(&mut self, frame: &[u8], out: &mut Vec<Action<NewsMessage>>) {
        let messages = match super::frame::json::<Value>(frame) {
            Ok(Value::Array(items)) => items,
            Ok(obj @ Value::Object(_)) => vec![obj],
            Ok(_) | Err(_) => {
                tracing::warn!(frame = %String::from_utf8_lossy(&frame[..frame.len().min(200)]), "skipping a malformed news frame");
                return;
            }
        };
        for m in messages {
            let tag = m.get("T").and_then(Value::as_str).unwrap_or_default();
            match tag {
                "n" => match NewsArticle::deserialize(&m) {
                    Ok(a) => out.push(Action::Emit(NewsMessage::Article(a))),
                    Err(e) => {
                        tracing::warn!(error = %e, message = %m, "skipping a malformed news article")
                    }
                },
                "success" | "error" | "subscription" => {
                    let c = Control::deserialize(&m).unwrap_or(Control {
                        msg: String::new(),
                        code: 0,
                        news: None,
                    });
                    self.control(tag, c, out);
                }
                _ => out.push(Action::Emit(NewsMessage::Unknown(m))),
            }
        }
    }

    fn on_command(&mut self, cmd: Command, ready: bool, out: &mut Vec<Action<NewsMessage>>) {
        let (action, symbols) = match cmd {
            Command::Subscribe(s) => {
                self.symbols.extend(s.iter().cloned());
                ("subscribe", s)
            }
            Command::Unsubscribe(s) => {
                self.symbols.retain(|x| !s.contains(x));
                ("unsubscribe", s)
            }
        };
        if ready && !symbols.is_empty() {
            out.push(Action::Send(request(action, &symbols)));
        }
    }
}

impl NewsProtocol {
    fn control(&mut self, tag: &str, c: Control, out: &mut Vec<Action<NewsMessage>>) {
        match tag {
            "success" if c.msg == "connected" => {
                let auth = json!({
                    "action": "auth",
                    "key": self.credentials.key_id(),
                    "secret": self.credentials.secret_key(),
                });
                out.push(Action::Send(Outgoing::Text(auth.to_string())));
            }
            "success" if c.msg == "authenticated" => {
                if !self.symbols.is_empty() {
                    out.push(Action::Send(request("subscribe", &self.symbols)));
                }
                out.push(Action::Ready);
            }
            "success" => tracing::debug!(msg = c.msg, "news stream success"),
            "subscription" => out.push(Action::Emit(NewsMessage::Subscription(
                c.news.unwrap_or_default(),
            ))),
            // Requests the server refused without giving up on the connection. The message is
            // the server's text, which a misbehaving server could fill with the keys.
            _ if matches!(c.code, 400 | 403 | 410) => {
                let message = self.credentials.redact(&c.msg);
                tracing::warn!(code = c.code, message, "news stream refused a request");
                out.push(Action::Emit(NewsMessage::ServerError {
                    code: c.code,
                    message,
                }));
            }
            _ => {
                let message = self.credentials.redact(&c.msg);
                out.push(Action::Fail(StreamError::from_server(c.code, message)));
            }
        }
    }
}
