//! Lenient decoding helpers shared by every response type.
//!
//! Alpaca's payloads are inconsistent: money arrives as JSON strings from the Trading API and as
//! numbers from the Market Data API and some test bodies; optional values come as `null`, as an
//! empty string, or not at all. These helpers accept every form so that one odd field never makes
//! a whole response undecodable ("decode leniently, encode strictly").

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

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        // Shortest round-trip text of the float, so 1.25 becomes exactly 1.25.
        self.visit_str(&v.to_string())
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
