//! Any decoded message as `serde_json::Value`, whatever the wire format.
//!
//! Unknown messages are kept with their raw JSON, and the slow decoding path re-reads a message
//! from a `Value`. MessagePack has two things JSON lacks: binary strings and extension values
//! (its timestamps); they become an array of bytes and an RFC 3339 string.

use crate::wire::{ExtData, MSGPACK_TIMESTAMP, msgpack_timestamp};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

/// A `serde_json::Value` read from any self-describing format.
pub(crate) struct AnyValue(pub(crate) Value);

impl<'de> Deserialize<'de> for AnyValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(AnyVisitor).map(AnyValue)
    }
}

struct AnyVisitor;

impl<'de> Visitor<'de> for AnyVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Array(v.iter().map(|b| Value::from(*b)).collect()))
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    // rmp-serde's extension values: `(tag, bytes)`.
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ExtVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(256));
        while let Some(AnyValue(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(AnyValue(k)) = map.next_key()? {
            let key = match k {
                Value::String(s) => s,
                other => other.to_string(),
            };
            let AnyValue(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

struct ExtVisitor;

impl<'de> Visitor<'de> for ExtVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a MessagePack extension value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let tag: i8 = seq
            .next_element()?
            .ok_or_else(|| de::Error::custom("extension without a tag"))?;
        let ExtData(data) = seq
            .next_element()?
            .ok_or_else(|| de::Error::custom("extension without data"))?;
        if tag == MSGPACK_TIMESTAMP
            && let Some(t) = msgpack_timestamp(&data)
        {
            return Ok(Value::String(
                t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            ));
        }
        Ok(serde_json::json!({ "ext": tag, "data": data }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msgpack_timestamps_become_rfc3339_strings() {
        // {"t": timestamp ext(-1) 8 bytes, "b": bin [1, 2], "n": nil}
        let mut buf = vec![0x83, 0xa1, b't', 0xd7, 0xff];
        buf.extend_from_slice(&((500_000_000u64 << 34) | 1_700_000_000).to_be_bytes());
        buf.extend_from_slice(&[0xa1, b'b', 0xc4, 2, 1, 2, 0xa1, b'n', 0xc0]);
        let AnyValue(v) = rmp_serde::from_slice(&buf).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"t": "2023-11-14T22:13:20.500Z", "b": [1, 2], "n": null})
        );
    }
}
