//! The market data handshake: greeting, auth, subscribe; then data.

use super::message::{Codec, Inbound, MarketMessage, decode_frame};
use super::subscriptions::Subscriptions;
use crate::client::Credentials;
use crate::stream::error::StreamError;
use crate::stream::runner::{Action, Protocol};
use crate::stream::socket::Outgoing;
use serde_json::{Value, json};

/// A change requested through a [`SubscriptionHandle`](super::SubscriptionHandle).
#[derive(Debug)]
pub(crate) enum Command {
    Subscribe(Subscriptions),
    Unsubscribe(Subscriptions),
}

pub(crate) struct MarketProtocol {
    pub(crate) url: String,
    pub(crate) codec: Codec,
    pub(crate) credentials: Credentials,
    /// What the stream should be subscribed to: resent in full after every reconnect.
    pub(crate) subscriptions: Subscriptions,
    pub(crate) scratch: Vec<Inbound>,
}

impl MarketProtocol {
    fn encode(&self, msg: &Value) -> Outgoing {
        match self.codec {
            Codec::Json => Outgoing::Text(msg.to_string()),
            // Encoding a JSON value as MessagePack cannot fail: keys are strings, values plain.
            Codec::MsgPack => Outgoing::Binary(rmp_serde::to_vec_named(msg).unwrap_or_default()),
        }
    }

    fn subscription_message(&self, action: &str, subs: &Subscriptions) -> Outgoing {
        let mut msg = serde_json::to_value(subs).unwrap_or_else(|_| json!({}));
        msg["action"] = Value::from(action);
        self.encode(&msg)
    }
}

impl Protocol for MarketProtocol {
    type Message = MarketMessage;
    type Command = Command;

    fn url(&self) -> &str {
        &self.url
    }

    fn content_type(&self) -> Option<&'static str> {
        // Alpaca serves option data only to clients that ask for MessagePack.
        (self.codec == Codec::MsgPack).then_some("application/msgpack")
    }

    fn on_open(&mut self, _out: &mut Vec<Action<MarketMessage>>) {
        // The server speaks first (`connected`, or a 406 when the connection slot is taken).
    }

    fn on_frame(&mut self, frame: &[u8], out: &mut Vec<Action<MarketMessage>>) {
        let mut inbound = std::mem::take(&mut self.scratch);
        decode_frame(self.codec, frame, &mut inbound);
        for m in inbound.drain(..) {
            match m {
                Inbound::Data(d) => out.push(Action::Emit(d)),
                Inbound::Success(msg) if msg == "connected" => {
                    let auth = json!({
                        "action": "auth",
                        "key": self.credentials.key_id(),
                        "secret": self.credentials.secret_key(),
                    });
                    out.push(Action::Send(self.encode(&auth)));
                }
                Inbound::Success(msg) if msg == "authenticated" => {
                    if !self.subscriptions.is_empty() {
                        let subscribe = self.subscription_message("subscribe", &self.subscriptions);
                        out.push(Action::Send(subscribe));
                    }
                    out.push(Action::Ready);
                }
                Inbound::Success(msg) => tracing::debug!(msg, "market data stream success"),
                // Requests the server refused without giving up on the connection.
                Inbound::Error { code, message } if matches!(code, 400 | 403 | 410) => {
                    let message = self.credentials.redact(&message);
                    tracing::warn!(code, message, "market data stream refused a request");
                    out.push(Action::Emit(MarketMessage::ServerError { code, message }));
                }
                Inbound::Error { code, message } => {
                    // The server's words, which a misbehaving server could fill with the keys.
                    let message = self.credentials.redact(&message);
                    out.push(Action::Fail(StreamError::from_server(code, message)));
                }
            }
        }
        self.scratch = inbound;
    }

    fn on_command(&mut self, cmd: Command, ready: bool, out: &mut Vec<Action<MarketMessage>>) {
        let (action, subs) = match cmd {
            Command::Subscribe(s) => {
                self.subscriptions.merge(&s);
                ("subscribe", s)
            }
            Command::Unsubscribe(s) => {
                self.subscriptions.remove(&s);
                ("unsubscribe", s)
            }
        };
        if ready && !subs.is_empty() {
            out.push(Action::Send(self.subscription_message(action, &subs)));
        }
    }
}
