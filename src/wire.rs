//! Lenient decoding helpers shared by every response type.
//!
//! Alpaca's payloads are inconsistent: money arrives as JSON strings from the Trading API and as
//! numbers from the Market Data API and some test bodies; optional values come as `null`, as an
//! empty string, or not at all. These helpers accept every form so that one odd field never makes
//! a whole response undecodable ("decode leniently, encode strictly").

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use rust_decimal::Decimal;
use serde::de::{self, Deserializer, Visitor};
use std::fmt;
use std::str::FromStr;

/// Declares a string enum with known variants and an `Unknown(String)` catch-all.
///
/// Alpaca adds enum values without notice (`held` joined `OrderStatus` in 2026), so every enum
/// decodes an unrecognised value into `Unknown` instead of failing the whole response.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version of the crate does not know, kept verbatim.
            Unknown(String),
        }

        impl $name {
            /// The value as Alpaca spells it on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )+
                    Self::Unknown(s) => s.as_str(),
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(match s {
                    $( $wire => Self::$variant, )+
                    other => Self::Unknown(other.to_owned()),
                })
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                Ok(s.parse().unwrap_or_else(|never| match never {}))
            }
        }
    };
}
pub(crate) use string_enum;

struct DecimalVisitor;

impl<'de> Visitor<'de> for DecimalVisitor {
    type Value = Option<Decimal>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal as a string or a number, an empty string, or null")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let v = v.trim();
        if v.is_empty() {
            return Ok(None);
        }
        Decimal::from_str(v)
            .or_else(|_| Decimal::from_scientific(v))
            .map(Some)
            .map_err(|e| E::custom(format_args!("invalid decimal {v:?}: {e}")))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(Decimal::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(Decimal::from(v)))
    }

    // MessagePack may carry 32-bit floats; widening one to f64 would invent digits (9.46 would
    // become 9.46000003...), so recover the decimal from its own shortest text.
    fn visit_f32<E: de::Error>(self, v: f32) -> Result<Self::Value, E> {
        let text = v.to_string();
        if !v.is_finite() {
            return Err(E::custom(format_args!("{v} is not a finite decimal")));
        }
        Decimal::from_str(&text)
            .or_else(|_| Decimal::from_scientific(&text))
            .map(Some)
            .map_err(|e| E::custom(format_args!("invalid decimal {text}: {e}")))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        decimal_from_f64(v)
            .map(Some)
            .ok_or_else(|| E::custom(format_args!("{v} is not a finite decimal")))
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(DecimalVisitor)
    }
}

/// The decimal a JSON number was written as, recovered from the `f64` serde_json parsed it into.
///
/// Market data sends prices as JSON numbers (`"bp": 161.1`). Going through `f64` is harmless for
/// such short decimals as long as we recover the *written* value (161.1), not the binary one
/// (161.099999999999994315...). Fast path: the smallest scale `s` (0-9) for which
/// `k = round(v * 10^s)` satisfies `k / 10^s == v` exactly; both operations are exact or
/// correctly rounded in IEEE 754 for `|k| < 2^53`, so `k * 10^-s` is a decimal that parses back to
/// `v`, and two different decimals of 15 or fewer significant digits never share an `f64`, so it is
/// the value that was sent. Anything else falls back to the shortest round-trip text.
pub(crate) fn decimal_from_f64(v: f64) -> Option<Decimal> {
    if !v.is_finite() {
        return None;
    }
    const POW10: [f64; 10] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    for (scale, p) in POW10.iter().enumerate() {
        let x = v * p;
        if x.abs() >= EXACT {
            break;
        }
        // Round half away from zero with a truncating cast (no libm call on baseline x86-64).
        let k = (x + 0.5f64.copysign(x)) as i64;
        if k as f64 / p == v {
            return Some(Decimal::new(k, scale as u32));
        }
    }
    let text = v.to_string();
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()
}

/// A UTC timestamp. Market data sends millions of `YYYY-MM-DDTHH:MM:SS[.fraction]Z` strings, so
/// that exact shape is parsed by hand (about ten times faster than a general RFC 3339 parser);
/// anything else (offsets, odd precision) goes through chrono. The option data stream speaks
/// MessagePack, whose timestamps are the format's own extension type (-1): accepted too.
pub(crate) fn utc<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    d.deserialize_any(UtcVisitor)
}

struct UtcVisitor;

impl<'de> Visitor<'de> for UtcVisitor {
    type Value = DateTime<Utc>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RFC 3339 time or a MessagePack timestamp")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        parse_utc(s).ok_or_else(|| E::custom(format_args!("invalid RFC 3339 time {s:?}")))
    }

    // rmp-serde hands an extension value over as a newtype holding `(tag: i8, data: bytes)`.
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let tag: i8 = seq
            .next_element()?
            .ok_or_else(|| de::Error::custom("extension without a tag"))?;
        let data: ExtData = seq
            .next_element()?
            .ok_or_else(|| de::Error::custom("extension without data"))?;
        if tag != MSGPACK_TIMESTAMP {
            return Err(de::Error::custom(format_args!(
                "MessagePack extension {tag} is not a timestamp"
            )));
        }
        msgpack_timestamp(&data.0).ok_or_else(|| de::Error::custom("invalid MessagePack timestamp"))
    }
}

/// The MessagePack extension type of timestamps.
pub(crate) const MSGPACK_TIMESTAMP: i8 = -1;

/// The bytes of an extension value.
pub(crate) struct ExtData(pub(crate) Vec<u8>);

impl<'de> Deserialize<'de> for ExtData {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ExtData;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: de::Error>(self, b: &[u8]) -> Result<ExtData, E> {
                Ok(ExtData(b.to_vec()))
            }
        }
        d.deserialize_bytes(V)
    }
}

/// Decodes the three MessagePack timestamp layouts: 32-bit seconds; 30-bit nanoseconds and
/// 34-bit seconds in 64 bits; 32-bit nanoseconds then 64-bit signed seconds.
pub(crate) fn msgpack_timestamp(b: &[u8]) -> Option<DateTime<Utc>> {
    let (secs, nanos) = match b.len() {
        4 => (i64::from(u32::from_be_bytes(b.try_into().ok()?)), 0),
        8 => {
            let v = u64::from_be_bytes(b.try_into().ok()?);
            ((v & 0x3_ffff_ffff) as i64, (v >> 34) as u32)
        }
        12 => (
            i64::from_be_bytes(b[4..].try_into().ok()?),
            u32::from_be_bytes(b[..4].try_into().ok()?),
        ),
        _ => return None,
    };
    DateTime::from_timestamp(secs, nanos)
}

pub(crate) fn parse_utc(s: &str) -> Option<DateTime<Utc>> {
    fast_utc(s.as_bytes()).or_else(|| {
        DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    })
}

fn fast_utc(b: &[u8]) -> Option<DateTime<Utc>> {
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    if *b.last()? != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    let mut nanos = 0u32;
    let rest = &b[19..b.len() - 1];
    if !rest.is_empty() {
        let frac = rest.strip_prefix(b".")?;
        if frac.is_empty() || frac.len() > 9 || !frac.iter().all(u8::is_ascii_digit) {
            return None;
        }
        nanos = frac
            .iter()
            .fold(0u32, |acc, &c| acc * 10 + u32::from(c - b'0'))
            * 10u32.pow(9 - frac.len() as u32);
    }
    let time = NaiveTime::from_hms_nano_opt(num(11..13)?, num(14..16)?, num(17..19)?, nanos)?;
    Some(NaiveDateTime::new(date, time).and_utc())
}

/// A decimal that may be a string or a number; null or empty is an error.
pub(crate) fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    d.deserialize_any(DecimalVisitor)?
        .ok_or_else(|| de::Error::custom("expected a decimal, found null or an empty string"))
}

/// An optional decimal: string, number, null, empty string or absent (with `#[serde(default)]`).
pub(crate) fn opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    d.deserialize_option(DecimalVisitor)
}

/// An informational optional decimal (never used for a trading decision, e.g. a trailing
/// stop's high-water mark): a value that is not a number is dropped with a warning instead of
/// failing the whole response. Alpaca's own sample bodies carry placeholders like `"string"` there.
pub(crate) fn opt_decimal_lossy<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Decimal>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    match opt_decimal(&v) {
        Ok(x) => Ok(x),
        Err(e) => {
            tracing::warn!(value = %v, error = %e, "ignoring an unparseable informational decimal");
            Ok(None)
        }
    }
}

/// A decimal that defaults to zero when null, empty or absent (quantities such as `filled_qty`).
pub(crate) fn decimal_or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    Ok(opt_decimal(d)?.unwrap_or_default())
}

/// An optional value parsed from a string, where `null` and `""` both mean "none".
///
/// Multi-leg parents carry `"side": ""` and `"order_class": ""`; legs carry `"type": ""`.
pub(crate) fn opt_from_str<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: fmt::Display,
{
    let s: Option<std::borrow::Cow<'de, str>> = serde::Deserialize::deserialize(d)?;
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(de::Error::custom),
    }
}

/// An optional string where `""` means none.
pub(crate) fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s: Option<String> = serde::Deserialize::deserialize(d)?;
    Ok(s.filter(|s| !s.trim().is_empty()))
}

/// A string that may be null (treated as empty).
pub(crate) fn string_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s: Option<String> = serde::Deserialize::deserialize(d)?;
    Ok(s.unwrap_or_default())
}

/// An integer sent as a number or as a string (`"options_approved_level": "1"` occurs).
pub(crate) fn opt_int_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum IntOrString {
        Int(i64),
        Str(String),
    }
    match Option::<IntOrString>::deserialize(d)? {
        None => Ok(None),
        Some(IntOrString::Int(i)) => Ok(Some(i)),
        Some(IntOrString::Str(s)) if s.trim().is_empty() => Ok(None),
        Some(IntOrString::Str(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|e| de::Error::custom(format_args!("invalid integer {s:?}: {e}"))),
    }
}

/// An optional date sent as `YYYY-MM-DD` or as a date-time (the date part is kept); null and
/// `""` mean none.
pub(crate) fn opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    let s: Option<String> = Deserialize::deserialize(d)?;
    let Some(s) = s.filter(|s| !s.trim().is_empty()) else {
        return Ok(None);
    };
    let s = s.trim();
    let day = s.get(..10).unwrap_or(s);
    NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map(Some)
        .map_err(|e| de::Error::custom(format_args!("invalid date {s:?}: {e}")))
}

/// A string that some payloads send as a number (a CUSIP written as `5.5275e+105` in Alpaca's
/// own examples): numbers are kept as their JSON text, null and `""` mean none.
pub(crate) fn opt_string_lenient<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s).filter(|s| !s.trim().is_empty()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        Some(other) => {
            return Err(de::Error::custom(format_args!(
                "expected a string or a number, found {other}"
            )));
        }
    })
}

/// A list that may be null (treated as empty).
pub(crate) fn vec_or_null<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

use serde::Deserialize;

/// Serialises an optional decimal as a JSON string, the form the Trading API documents.
pub(crate) mod decimal_str {
    use rust_decimal::Decimal;
    use serde::Serializer;

    pub(crate) fn opt<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.serialize_str(&d.normalize().to_string()),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn req<S: Serializer>(v: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.normalize().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[derive(Deserialize)]
    struct D {
        #[serde(default, deserialize_with = "opt_decimal")]
        v: Option<Decimal>,
    }

    fn parse(json: &str) -> Option<Decimal> {
        serde_json::from_str::<D>(json).unwrap().v
    }

    #[test]
    fn decimals_accept_strings_numbers_null_empty_and_absent() {
        assert_eq!(parse(r#"{"v":"170.55"}"#), Some(dec!(170.55)));
        assert_eq!(parse(r#"{"v":1.25}"#), Some(dec!(1.25)));
        assert_eq!(parse(r#"{"v":300}"#), Some(dec!(300)));
        assert_eq!(parse(r#"{"v":-2}"#), Some(dec!(-2)));
        assert_eq!(parse(r#"{"v":"1e-3"}"#), Some(dec!(0.001)));
        assert_eq!(parse(r#"{"v":""}"#), None);
        assert_eq!(parse(r#"{"v":null}"#), None);
        assert_eq!(parse(r#"{}"#), None);
    }

    #[test]
    fn f64_recovers_the_written_decimal() {
        for (f, want) in [
            (161.1, "161.1"),
            (0.07, "0.07"),
            (173.703516, "173.703516"),
            (0.1 + 0.2, "0.30000000000000004"),
            (-2.5, "-2.5"),
            (1e-12, "0.000000000001"),
            (85998033.0, "85998033"),
            (123456789.123, "123456789.123"),
        ] {
            assert_eq!(decimal_from_f64(f).unwrap().to_string(), want, "{f}");
        }
        assert_eq!(decimal_from_f64(f64::NAN), None);
        assert_eq!(decimal_from_f64(f64::INFINITY), None);
    }

    proptest::proptest! {
        #[test]
        fn f64_conversion_matches_shortest_text(m in -10_000_000_000i64..10_000_000_000, s in 0u32..8) {
            let d = Decimal::new(m, s);
            let f: f64 = d.to_string().parse().unwrap();
            let back = decimal_from_f64(f).unwrap();
            proptest::prop_assert_eq!(back, d);
        }
    }

    #[test]
    fn fast_timestamps_agree_with_chrono() {
        for s in [
            "2022-02-01T05:00:00Z",
            "2024-02-02T20:59:59.731674112Z",
            "2022-03-18T14:33:58.547942Z",
            "2024-04-25T20:00:00.1Z",
            "2000-02-29T23:59:59.999999999Z",
        ] {
            let want = DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
            assert_eq!(fast_utc(s.as_bytes()), Some(want), "{s}");
        }
        // Not the fast shape: handled by chrono, with the offset applied.
        assert_eq!(
            parse_utc("2022-05-16T16:32:24.14373588-04:00")
                .unwrap()
                .to_rfc3339(),
            "2022-05-16T20:32:24.143735880+00:00"
        );
        for bad in [
            "2022-02-30T05:00:00Z",
            "2022-02-01T25:00:00Z",
            "2022-02-01T05:00:00.Z",
            "x",
        ] {
            assert_eq!(parse_utc(bad), None, "{bad}");
        }
    }

    #[test]
    fn msgpack_timestamps_in_all_three_layouts() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(
            msgpack_timestamp(&1_700_000_000u32.to_be_bytes()),
            Some(t("2023-11-14T22:13:20Z"))
        );
        let v64 = (123_456_789u64 << 34) | 1_700_000_000;
        assert_eq!(
            msgpack_timestamp(&v64.to_be_bytes()),
            Some(t("2023-11-14T22:13:20.123456789Z"))
        );
        let mut b96 = 5u32.to_be_bytes().to_vec();
        b96.extend_from_slice(&(-1i64).to_be_bytes());
        assert_eq!(
            msgpack_timestamp(&b96),
            Some(t("1969-12-31T23:59:59.000000005Z"))
        );
        assert_eq!(msgpack_timestamp(&[1, 2, 3]), None);
    }

    #[test]
    fn long_cost_basis_keeps_its_precision() {
        let v = parse(r#"{"v":"1234.56789012345678901234"}"#).unwrap();
        assert_eq!(v.to_string(), "1234.56789012345678901234");
    }

    #[test]
    fn bad_decimal_names_the_value() {
        let err = serde_json::from_str::<D>(r#"{"v":"abc"}"#).err().unwrap();
        assert!(err.to_string().contains("\"abc\""), "{err}");
    }

    string_enum! {
        /// test enum
        pub enum Color { Red = "red", Blue = "blue" }
    }

    #[test]
    fn enums_keep_unknown_values() {
        let c: Color = serde_json::from_str(r#""green""#).unwrap();
        assert_eq!(c, Color::Unknown("green".into()));
        assert_eq!(serde_json::to_string(&c).unwrap(), r#""green""#);
        let r: Color = serde_json::from_str(r#""red""#).unwrap();
        assert_eq!(r, Color::Red);
        assert_eq!(r.to_string(), "red");
    }
}
