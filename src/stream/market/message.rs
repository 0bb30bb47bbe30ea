//! Market data stream messages and their decoding, JSON and MessagePack alike.
//!
//! A frame is an array of messages tagged by `T` with the symbol in `S`; the rest of a message
//! has the same compact fields as the REST models, so those models ([`Trade`], [`Quote`],
//! [`Bar`]) are reused. Alpaca writes `T` (and `S`) first, which the fast path relies on: it reads
//! the tag, then hands the remaining fields straight to the model's decoder, with no
//! intermediate tree. A frame that does not fit (fields in another order, one bad message in a
//! batch) takes the slow path: each message is read into a `serde_json::Value` and decoded on its
//! own, so one bad message costs only itself.

use super::subscriptions::Subscriptions;
use crate::data::{Bar, Quote, Trade};
use crate::stream::frame;
use crate::stream::value::AnyValue;
use crate::wire;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::value::{BorrowedStrDeserializer, MapAccessDeserializer, StringDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// A message from a market data stream.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum MarketMessage {
    /// A trade (`T: "t"`).
    Trade {
        /// Stock symbol or OCC option symbol.
        symbol: String,
        /// The trade.
        trade: Trade,
    },
    /// A quote (`T: "q"`).
    Quote {
        /// Stock symbol or OCC option symbol.
        symbol: String,
        /// The quote.
        quote: Quote,
    },
    /// A minute bar (`T: "b"`).
    Bar {
        /// Symbol.
        symbol: String,
        /// The bar.
        bar: Bar,
    },
    /// A correction of the last minute bar after late trades (`T: "u"`).
    UpdatedBar {
        /// Symbol.
        symbol: String,
        /// The corrected bar.
        bar: Bar,
    },
    /// The day's running bar (`T: "d"`).
    DailyBar {
        /// Symbol.
        symbol: String,
        /// The bar so far.
        bar: Bar,
    },
    /// A trading status change (`T: "s"`).
    Status(TradingStatus),
    /// The server's confirmation of the current subscriptions.
    Subscription(Subscriptions),
    /// An error the server reported without dropping the connection (e.g. 410, a channel this
    /// feed does not offer).
    ServerError {
        /// Alpaca's code.
        code: u16,
        /// Alpaca's message.
        message: String,
    },
    /// A message type this version does not know (LULD bands, corrections, ...), kept whole.
    Unknown(Value),
}

/// A halt, resumption or other trading status change.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct TradingStatus {
    /// Symbol.
    #[serde(skip)]
    pub symbol: String,
    /// Status code (e.g. `H` halted, `T` trading).
    #[serde(rename = "sc", default, deserialize_with = "wire::string_or_null")]
    pub status_code: String,
    /// Status text.
    #[serde(rename = "sm", default, deserialize_with = "wire::string_or_null")]
    pub status_message: String,
    /// Reason code.
    #[serde(rename = "rc", default, deserialize_with = "wire::string_or_null")]
    pub reason_code: String,
    /// Reason text.
    #[serde(rename = "rm", default, deserialize_with = "wire::string_or_null")]
    pub reason_message: String,
    /// Time of the change.
    #[serde(rename = "t", deserialize_with = "wire::utc")]
    pub timestamp: DateTime<Utc>,
    /// Tape.
    #[serde(rename = "z", default, deserialize_with = "wire::opt_string")]
    pub tape: Option<String>,
}

/// One decoded message, control messages included.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Inbound {
    Data(MarketMessage),
    /// `{"T":"success","msg":...}`: `connected`, `authenticated`.
    Success(String),
    /// `{"T":"error","code":...,"msg":...}`.
    Error {
        code: u16,
        message: String,
    },
}

/// The wire format of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    Json,
    MsgPack,
}

impl MarketMessage {
    /// Decodes a JSON frame (stock streams) as the stream does: control messages (`success`,
    /// `error`) are left out and malformed messages skipped with a warning. Useful to replay
    /// recorded frames.
    pub fn decode_json(frame: &[u8]) -> Vec<MarketMessage> {
        data_only(Codec::Json, frame)
    }

    /// Decodes a MessagePack frame (option streams); see [`MarketMessage::decode_json`].
    pub fn decode_msgpack(frame: &[u8]) -> Vec<MarketMessage> {
        data_only(Codec::MsgPack, frame)
    }
}

fn data_only(codec: Codec, frame: &[u8]) -> Vec<MarketMessage> {
    let mut out = Vec::new();
    decode_frame(codec, frame, &mut out);
    out.into_iter()
        .filter_map(|m| match m {
            Inbound::Data(d) => Some(d),
            _ => None,
        })
        .collect()
}

/// Appends the messages of `frame` to `out`.
pub(crate) fn decode_frame(codec: Codec, frame: &[u8], out: &mut Vec<Inbound>) {
    let fast: Result<Batch, String> = match codec {
        Codec::Json => frame::json(frame),
        Codec::MsgPack => frame::msgpack(frame),
    };
    match fast {
        Ok(Batch(batch)) => out.extend(batch),
        Err(fast_error) => decode_slowly(codec, frame, &fast_error, out),
    }
}

fn decode_slowly(codec: Codec, frame: &[u8], fast_error: &str, out: &mut Vec<Inbound>) {
    let tree: Result<AnyValue, String> = match codec {
        Codec::Json => frame::json(frame),
        Codec::MsgPack => frame::msgpack(frame),
    };
    let messages = match tree {
        Ok(AnyValue(Value::Array(items))) => items,
        Ok(AnyValue(obj @ Value::Object(_))) => vec![obj],
        Ok(AnyValue(other)) => {
            tracing::warn!(frame = %excerpt(frame), kind = ?other, "skipping a market data frame that is not a message list");
            return;
        }
        Err(e) => {
            tracing::warn!(error = %e, frame = %excerpt(frame), "skipping a malformed market data frame");
            return;
        }
    };
    for m in messages {
        match Inbound::deserialize(&m) {
            Ok(inbound) => out.push(inbound),
            Err(e) => {
                tracing::warn!(error = %e, first_error = fast_error, message = %m, "skipping a malformed market data message")
            }
        }
    }
}

/// The start of a frame for a log line (market data frames carry no secrets).
fn excerpt(frame: &[u8]) -> String {
    let end = frame.len().min(200);
    match std::str::from_utf8(&frame[..end]) {
        Ok(s) => s.to_owned(),
        Err(_) => format!("{} bytes of binary", frame.len()),
    }
}

/// A frame: an array of messages, or (leniently) one bare message.
struct Batch(Vec<Inbound>);

impl<'de> Deserialize<'de> for Batch {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Batch;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of messages")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Batch, A::Error> {
                let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(1).min(1024));
                while let Some(m) = seq.next_element()? {
                    v.push(m);
                }
                Ok(Batch(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Batch, A::Error> {
                InboundVisitor.visit_map(map).map(|m| Batch(vec![m]))
            }
        }
        d.deserialize_any(V)
    }
}

/// A map key or short string, borrowed from the frame when the format allows.
enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::Borrowed(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key::Owned(v))
            }
        }
        d.deserialize_str(V)
    }
}

/// The fields after `T`, with `S` taken out on the way (models do not know it).
struct Rest<'a, A> {
    map: A,
    symbol: &'a mut Option<String>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Rest<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        loop {
            match self.map.next_key::<Key<'de>>()? {
                None => return Ok(None),
                Some(k) if k.as_str() == "S" && self.symbol.is_none() => {
                    *self.symbol = Some(self.map.next_value()?);
                }
                Some(Key::Borrowed(k)) => {
                    return seed.deserialize(BorrowedStrDeserializer::new(k)).map(Some);
                }
                Some(Key::Owned(k)) => {
                    return seed.deserialize(StringDeserializer::new(k)).map(Some);
                }
            }
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}

#[derive(Deserialize)]
struct SuccessBody {
    #[serde(default, deserialize_with = "wire::string_or_null")]
    msg: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    code: u16,
    #[serde(default, deserialize_with = "wire::string_or_null")]
    msg: String,
}

impl<'de> Deserialize<'de> for Inbound {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(InboundVisitor)
    }
}

struct InboundVisitor;

impl<'de> Visitor<'de> for InboundVisitor {
    type Value = Inbound;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a market data message")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Inbound, A::Error> {
        let mut symbol: Option<String> = None;
        let tag = loop {
            match map.next_key::<Key<'de>>()? {
                None => return Err(de::Error::missing_field("T")),
                Some(k) if k.as_str() == "T" => break map.next_value::<Key<'de>>()?,
                Some(k) if k.as_str() == "S" => symbol = Some(map.next_value()?),
                Some(k) => {
                    return Err(de::Error::custom(format_args!(
                        "field `{}` before the message type `T`",
                        k.as_str()
                    )));
                }
            }
        };
        // The remaining fields, as a deserializer for a model (one per use: it is consumed).
        macro_rules! rest {
            () => {
                MapAccessDeserializer::new(Rest {
                    map: &mut map,
                    symbol: &mut symbol,
                })
            };
        }
        let tag = tag.as_str();
        let data = match tag {
            "t" => {
                let trade = Trade::deserialize(rest!())?;
                MarketMessage::Trade {
                    symbol: required(symbol)?,
                    trade,
                }
            }
            "q" => {
                let quote = Quote::deserialize(rest!())?;
                MarketMessage::Quote {
                    symbol: required(symbol)?,
                    quote,
                }
            }
            "b" | "u" | "d" => {
                let bar = Bar::deserialize(rest!())?;
                let symbol = required(symbol)?;
                match tag {
                    "b" => MarketMessage::Bar { symbol, bar },
                    "u" => MarketMessage::UpdatedBar { symbol, bar },
                    _ => MarketMessage::DailyBar { symbol, bar },
                }
            }
            "s" => {
                let mut status = TradingStatus::deserialize(rest!())?;
                status.symbol = required(symbol)?;
                MarketMessage::Status(status)
            }
            "subscription" => MarketMessage::Subscription(Subscriptions::deserialize(rest!())?),
            "success" => return Ok(Inbound::Success(SuccessBody::deserialize(rest!())?.msg)),
            "error" => {
                let e = ErrorBody::deserialize(rest!())?;
                return Ok(Inbound::Error {
                    code: e.code,
                    message: e.msg,
                });
            }
            other => {
                let mut raw = match AnyValue::deserialize(rest!())?.0 {
                    Value::Object(m) => m,
                    _ => serde_json::Map::new(),
                };
                raw.insert("T".into(), Value::String(other.to_owned()));
                if let Some(s) = symbol {
                    raw.insert("S".into(), Value::String(s));
                }
                MarketMessage::Unknown(Value::Object(raw))
            }
        };
        Ok(Inbound::Data(data))
    }
}

fn required<E: de::Error>(symbol: Option<String>) -> Result<String, E> {
    symbol.ok_or_else(|| de::Error::missing_field("S"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    /// Runs `f` on a thread with the stack a Tokio worker gets (2 MiB), where the stream
    /// decoders run: a decoder without a depth limit overflows it (and aborts the process) on
    /// a few hundred bytes of nesting in a debug build.
    fn on_worker_stack(f: impl FnOnce() + Send + 'static) {
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(f)
            .unwrap()
            .join()
            .unwrap();
    }

    /// MessagePack: `levels` one-element arrays (`0x91`) around `inner`.
    fn nested_msgpack(levels: usize, inner: &[u8]) -> Vec<u8> {
        let mut v = vec![0x91u8; levels];
        v.extend_from_slice(inner);
        v
    }

    #[test]
    fn deeply_nested_frames_are_skipped_without_overflowing_the_stack() {
        on_worker_stack(|| {
            // 600 bytes, 599 levels: the frame of the fault probe.
            let frame = nested_msgpack(599, &[0xc0]);
            assert_eq!(frame.len(), 600);
            assert!(MarketMessage::decode_msgpack(&frame).is_empty());
            // The nesting inside a message: {"T": "q", "c": [[[...]]]}.
            let mut frame = vec![0x91, 0x82, 0xa1, b'T', 0xa1, b'q', 0xa1, b'c'];
            frame.extend(nested_msgpack(2000, &[0xc0]));
            assert!(MarketMessage::decode_msgpack(&frame).is_empty());
            // A map of maps: {"a": {"a": ...}}.
            let frame: Vec<u8> = std::iter::repeat_n([0x81, 0xa1, b'a'], 3000)
                .flatten()
                .chain([0xc0])
                .collect();
            assert!(MarketMessage::decode_msgpack(&frame).is_empty());
            let deep = "[".repeat(5000) + &"]".repeat(5000);
            assert!(MarketMessage::decode_json(deep.as_bytes()).is_empty());
            // Just inside the limits: kept as an unknown message with its raw value.
            let deep = format!(
                r#"[{{"T":"zz","c":{}1{}}}]"#,
                "[".repeat(124),
                "]".repeat(124)
            );
            assert_eq!(MarketMessage::decode_json(deep.as_bytes()).len(), 1);
            let mut frame = vec![0x91, 0x82, 0xa1, b'T', 0xa2, b'z', b'z', 0xa1, b'c'];
            frame.extend(nested_msgpack(frame::MAX_MSGPACK_DEPTH - 3, &[0xc0]));
            assert_eq!(MarketMessage::decode_msgpack(&frame).len(), 1);
            let deep = format!(
                r#"[{{"T":"q","c":{}1{}}}]"#,
                "[".repeat(5000),
                "]".repeat(5000)
            );
            assert!(MarketMessage::decode_json(deep.as_bytes()).is_empty());
        });
    }

    #[test]
    fn ordinary_nesting_still_decodes() {
        // A real message nests three levels (frame, message, conditions); a limit far above
        // that leaves every message Alpaca sends alone.
        let frame = br#"[{"T":"t","S":"AAPL","i":1,"x":"V","p":1.5,"s":1,"c":["@","I"],"t":"2024-01-02T15:00:00Z","z":"C"}]"#;
        assert_eq!(MarketMessage::decode_json(frame).len(), 1);
    }

    fn json(frame: &str) -> Vec<Inbound> {
        let mut out = Vec::new();
        decode_frame(Codec::Json, frame.as_bytes(), &mut out);
        out
    }

    #[test]
    fn stock_messages_of_every_kind() {
        let out = json(
            r#"[{"T":"q","S":"AMD","bx":"U","bp":87.66,"bs":1,"ax":"Q","ap":87.68,"as":4,"t":"2021-02-22T15:51:45.335689322Z","c":["R"],"z":"C"},
                {"T":"t","i":96921,"S":"AAPL","x":"D","p":126.55,"s":1,"t":"2021-02-22T15:51:44.208Z","c":["@","I"],"z":"C"},
                {"T":"b","S":"SPY","o":388.985,"h":389.13,"l":388.975,"c":389.12,"v":49378,"t":"2021-02-22T19:15:00Z","n":461,"vw":389.062639},
                {"T":"u","S":"SPY","o":1,"h":1,"l":1,"c":1,"v":1,"t":"2021-02-22T19:15:00Z"},
                {"T":"d","S":"SPY","o":1,"h":1,"l":1,"c":1,"v":1,"t":"2021-02-22T19:15:00Z"},
                {"T":"s","S":"AAPL","sc":"H","sm":"Trading Halt","rc":"T12","rm":"Halted","t":"2021-02-22T19:15:00Z","z":"C"},
                {"T":"success","msg":"authenticated"},
                {"T":"error","code":406,"msg":"connection limit exceeded"},
                {"T":"l","S":"AAPL","u":130.1,"d":120.2}]"#,
        );
        assert_eq!(out.len(), 9);
        let Inbound::Data(MarketMessage::Quote { symbol, quote }) = &out[0] else {
            panic!("{:?}", out[0])
        };
        assert_eq!(symbol, "AMD");
        assert_eq!(
            (quote.bid_price, quote.ask_price),
            (dec!(87.66), dec!(87.68))
        );
        assert!(
            matches!(&out[1], Inbound::Data(MarketMessage::Trade { symbol, trade }) if symbol == "AAPL" && trade.price == dec!(126.55))
        );
        assert!(
            matches!(&out[2], Inbound::Data(MarketMessage::Bar { bar, .. }) if bar.vwap == Some(dec!(389.062639)))
        );
        assert!(matches!(
            &out[3],
            Inbound::Data(MarketMessage::UpdatedBar { .. })
        ));
        assert!(matches!(
            &out[4],
            Inbound::Data(MarketMessage::DailyBar { .. })
        ));
        assert!(
            matches!(&out[5], Inbound::Data(MarketMessage::Status(s)) if s.symbol == "AAPL" && s.status_code == "H")
        );
        assert_eq!(out[6], Inbound::Success("authenticated".into()));
        assert_eq!(
            out[7],
            Inbound::Error {
                code: 406,
                message: "connection limit exceeded".into()
            }
        );
        assert_eq!(
            out[8],
            Inbound::Data(MarketMessage::Unknown(
                serde_json::json!({"T":"l","S":"AAPL","u":130.1,"d":120.2})
            ))
        );
    }

    #[test]
    fn one_bad_message_costs_only_itself() {
        let out = json(
            r#"[{"T":"q","S":"A","bp":1,"ap":2,"t":"not a time"},
                {"S":"B","T":"t","p":1.5,"s":3,"t":"2021-02-22T15:51:44Z"}]"#,
        );
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(
            matches!(&out[0], Inbound::Data(MarketMessage::Trade { symbol, .. }) if symbol == "B")
        );
        assert!(json("{not json").is_empty());
        assert!(json("42").is_empty());
    }

    #[test]
    fn fields_before_the_tag_take_the_slow_path() {
        let out = json(r#"[{"bp":1,"T":"q","ap":2,"S":"X","t":"2021-02-22T15:51:44Z"}]"#);
        assert!(
            matches!(&out[0], Inbound::Data(MarketMessage::Quote { symbol, quote }) if symbol == "X" && quote.ask_price == dec!(2))
        );
    }
}
