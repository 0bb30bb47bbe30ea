//! OCC option symbols in Alpaca's unpadded form, e.g. `AAPL250620C00100000`.
//!
//! Layout (OCC symbology, as Alpaca sends it without the space padding): a root of 1-6
//! characters, then the expiry as `YYMMDD`, `C` or `P`, and the strike times 1000 as 8 digits.
//! The last 15 characters are fixed width, so a symbol is parsed from the right; the root may
//! contain digits (adjusted roots such as `AAPL1`) and is not always the underlying (`SPXW`
//! options settle on `SPX`), which is why the root is kept as given and the underlying is a
//! separate, optional piece of information.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Whether an option is a call or a put.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptionType {
    /// The right to buy.
    Call,
    /// The right to sell.
    Put,
}

impl OptionType {
    /// `C` or `P`, as in the symbol.
    pub fn as_char(self) -> char {
        match self {
            OptionType::Call => 'C',
            OptionType::Put => 'P',
        }
    }

    /// `call` or `put`, as in API query strings.
    pub fn as_str(self) -> &'static str {
        match self {
            OptionType::Call => "call",
            OptionType::Put => "put",
        }
    }
}

impl fmt::Display for OptionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed OCC option symbol.
///
/// ```
/// use alpaca_exec::options::{OccSymbol, OptionType};
/// use rust_decimal::Decimal;
///
/// let s: OccSymbol = "SPXW240327P04925000".parse()?;
/// assert_eq!(s.root(), "SPXW");
/// assert_eq!(s.option_type(), OptionType::Put);
/// assert_eq!(s.strike(), Decimal::new(4925, 0));
/// assert_eq!(s.expiration().to_string(), "2024-03-27");
/// assert_eq!(s.to_string(), "SPXW240327P04925000");
/// # Ok::<(), alpaca_exec::options::OccSymbolError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OccSymbol {
    /// The root, ASCII, zero-padded: stored inline so clones never allocate (chains and
    /// history streams clone a symbol per item). Zero sorts before any letter or digit, so the
    /// derived ordering is the ordering of the root strings.
    root: Root,
    expiration: NaiveDate,
    option_type: OptionType,
    /// Strike in thousandths of a dollar, exactly as encoded (avoids any rounding on format).
    strike_millis: u32,
}

/// Why a string is not a valid OCC symbol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid OCC option symbol {symbol:?}: {reason}")]
pub struct OccSymbolError {
    /// The input.
    pub symbol: String,
    /// What is wrong with it.
    pub reason: String,
}

/// An OCC root of 1-6 ASCII characters, stored inline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Root([u8; MAX_ROOT]);

impl Root {
    /// Builds a root from a string already checked by `check_root`.
    fn new(checked: &str) -> Self {
        let mut b = [0u8; MAX_ROOT];
        b[..checked.len()].copy_from_slice(checked.as_bytes());
        Root(b)
    }

    fn as_str(&self) -> &str {
        let len = self.0.iter().position(|&c| c == 0).unwrap_or(MAX_ROOT);
        std::str::from_utf8(&self.0[..len]).expect("roots are checked to be ASCII")
    }
}

const FIXED_TAIL: usize = 15; // YYMMDD + C/P + 8-digit strike
const MAX_ROOT: usize = 6;
const MAX_STRIKE_MILLIS: u32 = 99_999_999;

impl OccSymbol {
    /// Builds a symbol from its parts, checking each.
    ///
    /// The strike must be positive, have at most three decimals and be below 100,000; the root is
    /// 1-6 ASCII letters or digits (upper-cased); the expiry year must be 2000-2099.
    pub fn new(
        root: &str,
        expiration: NaiveDate,
        option_type: OptionType,
        strike: Decimal,
    ) -> Result<Self, OccSymbolError> {
        let fail = |reason: String| OccSymbolError {
            symbol: format!("{root} {expiration} {} {strike}", option_type.as_char()),
            reason,
        };
        let root = root.trim().to_ascii_uppercase();
        check_root(&root).map_err(fail)?;
        if !(2000..=2099).contains(&expiration.year()) {
            return Err(fail(format!(
                "expiry year {} is outside 2000-2099, which YYMMDD cannot encode",
                expiration.year()
            )));
        }
        // The decimals are checked before multiplying: `Decimal` rounds a product that does
        // not fit its 28 digits (so `1.0000000000000000000000000001 * 1000` would pass as
        // 1000), and the multiplication itself is checked (`Decimal::MAX * 1000` overflows).
        if strike.normalize().scale() > 3 {
            return Err(fail(format!("strike {strike} has more than 3 decimals")));
        }
        let millis: u32 = strike
            .checked_mul(Decimal::from(1000))
            .and_then(|m| m.to_u32())
            .filter(|m| (1..=MAX_STRIKE_MILLIS).contains(m))
            .ok_or_else(|| fail(format!("strike {strike} is not in 0.001..=99999.999")))?;
        Ok(Self {
            root: Root::new(&root),
            expiration,
            option_type,
            strike_millis: millis,
        })
    }

    /// Parses an unpadded OCC symbol. Surrounding whitespace is ignored; padding spaces between
    /// the root and the date (the padded OCC form) are accepted too.
    pub fn parse(s: &str) -> Result<Self, OccSymbolError> {
        let fail = |reason: &str| OccSymbolError {
            symbol: s.to_owned(),
            reason: reason.to_owned(),
        };
        let t = s.trim();
        if !t.is_ascii() {
            return Err(fail("contains non-ASCII characters"));
        }
        if t.len() <= FIXED_TAIL {
            return Err(fail(
                "too short: expected ROOT + YYMMDD + C|P + 8-digit strike (at least 16 characters)",
            ));
        }
        let (root, tail) = t.split_at(t.len() - FIXED_TAIL);
        let root = root.trim_end();
        let (date, rest) = tail.split_at(6);
        let (cp, strike) = rest.split_at(1);

        check_root(root).map_err(|r| fail(&r))?;
        if !date.bytes().all(|b| b.is_ascii_digit()) {
            return Err(fail("expiry must be 6 digits YYMMDD"));
        }
        let yy: i32 = date[0..2].parse().expect("digits");
        let mm: u32 = date[2..4].parse().expect("digits");
        let dd: u32 = date[4..6].parse().expect("digits");
        let expiration = NaiveDate::from_ymd_opt(2000 + yy, mm, dd)
            .ok_or_else(|| fail(&format!("expiry {date} is not a calendar date")))?;
        let option_type = match cp {
            "C" => OptionType::Call,
            "P" => OptionType::Put,
            other => {
                return Err(fail(&format!(
                    "expected C or P after the expiry, found {other:?}"
                )));
            }
        };
        if !strike.bytes().all(|b| b.is_ascii_digit()) {
            return Err(fail("strike must be 8 digits (strike x 1000)"));
        }
        let strike_millis: u32 = strike.parse().expect("digits");
        if strike_millis == 0 {
            return Err(fail("strike is zero"));
        }
        Ok(Self {
            root: Root::new(root),
            expiration,
            option_type,
            strike_millis,
        })
    }

    /// Parses `s` if it is an OCC symbol, without building an error when it is not: cheap for
    /// the common case of telling an option from a stock symbol (which is always shorter).
    pub fn try_parse(s: &str) -> Option<Self> {
        let t = s.trim();
        if t.len() <= FIXED_TAIL || !t.is_ascii() {
            return None;
        }
        Self::parse(t).ok()
    }

    /// True if `s` has the shape of an OCC option symbol (used to tell options from equities).
    pub fn looks_like(s: &str) -> bool {
        Self::try_parse(s).is_some()
    }

    /// The OCC root, e.g. `SPXW`. Not always the underlying.
    pub fn root(&self) -> &str {
        self.root.as_str()
    }

    /// The expiration date.
    pub fn expiration(&self) -> NaiveDate {
        self.expiration
    }

    /// Call or put.
    pub fn option_type(&self) -> OptionType {
        self.option_type
    }

    /// The strike price in dollars.
    pub fn strike(&self) -> Decimal {
        Decimal::new(i64::from(self.strike_millis), 3).normalize()
    }
}

fn check_root(root: &str) -> Result<(), String> {
    if root.is_empty() {
        return Err("root symbol is empty".into());
    }
    if root.len() > MAX_ROOT {
        return Err(format!(
            "root {root:?} is longer than {MAX_ROOT} characters"
        ));
    }
    if !root
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return Err(format!(
            "root {root:?} must be upper-case ASCII letters or digits"
        ));
    }
    Ok(())
}

impl fmt::Display for OccSymbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{:02}{:02}{:02}{}{:08}",
            self.root.as_str(),
            self.expiration.year() - 2000,
            self.expiration.month(),
            self.expiration.day(),
            self.option_type.as_char(),
            self.strike_millis
        )
    }
}

impl FromStr for OccSymbol {
    type Err = OccSymbolError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for OccSymbol {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for OccSymbol {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    #[test]
    fn parses_alpaca_examples() {
        let s = OccSymbol::parse("AAPL250620C00100000").unwrap();
        assert_eq!(s.root(), "AAPL");
        assert_eq!(
            s.expiration(),
            NaiveDate::from_ymd_opt(2025, 6, 20).unwrap()
        );
        assert_eq!(s.option_type(), OptionType::Call);
        assert_eq!(s.strike(), dec!(100));

        let s = OccSymbol::parse("AAPL231103C00170000").unwrap();
        assert_eq!(s.strike(), dec!(170));
        let s = OccSymbol::parse("SPY240426C00555000").unwrap();
        assert_eq!(s.strike(), dec!(555));
        let s = OccSymbol::parse("F240119C00012500").unwrap();
        assert_eq!(s.root(), "F");
        assert_eq!(s.strike(), dec!(12.5));
        let s = OccSymbol::parse("AAPL1240119P00000500").unwrap();
        assert_eq!(s.root(), "AAPL1");
        assert_eq!(s.strike(), dec!(0.5));
    }

    #[test]
    fn accepts_padded_form_and_formats_unpadded() {
        let s = OccSymbol::parse("SPY   240426C00555000").unwrap();
        assert_eq!(s.to_string(), "SPY240426C00555000");
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let cases = [
            ("", "too short"),
            ("AAPL", "too short"),
            ("240620C00100000", "too short"),
            ("TOOLONGX250620C00100000", "longer than 6"),
            ("aapl250620C00100000", "upper-case"),
            ("AAPL251320C00100000", "not a calendar date"),
            ("AAPL250230C00100000", "not a calendar date"),
            ("AAPL2506x0C00100000", "6 digits"),
            ("AAPL250620X00100000", "expected C or P"),
            ("AAPL250620C0010000A", "8 digits"),
            ("AAPL250620C00000000", "zero"),
        ];
        for (input, want) in cases {
            let err = OccSymbol::parse(input).unwrap_err();
            assert!(
                err.to_string().contains(want),
                "{input:?}: {err} should mention {want:?}"
            );
        }
    }

    #[test]
    fn new_checks_parts() {
        let d = NaiveDate::from_ymd_opt(2025, 6, 20).unwrap();
        let s = OccSymbol::new("spy", d, OptionType::Put, dec!(450.5)).unwrap();
        assert_eq!(s.to_string(), "SPY250620P00450500");
        assert!(OccSymbol::new("SPY", d, OptionType::Put, dec!(1.0001)).is_err());
        assert!(OccSymbol::new("SPY", d, OptionType::Put, dec!(0)).is_err());
        assert!(OccSymbol::new("SPY", d, OptionType::Put, dec!(100000)).is_err());
        assert!(OccSymbol::new("", d, OptionType::Put, dec!(1)).is_err());
        let old = NaiveDate::from_ymd_opt(1999, 1, 1).unwrap();
        assert!(OccSymbol::new("SPY", old, OptionType::Put, dec!(1)).is_err());
    }

    #[test]
    fn new_refuses_extreme_strikes_without_panicking() {
        let d = NaiveDate::from_ymd_opt(2025, 6, 20).unwrap();
        for strike in [
            Decimal::MAX,
            Decimal::MIN,
            dec!(-1),
            dec!(-0.001),
            Decimal::new(1, 28),
            dec!(1.0000000000000000000000000001),
            dec!(99999.9991),
            dec!(100000),
            Decimal::from(u32::MAX),
        ] {
            let e = OccSymbol::new("SPY", d, OptionType::Call, strike).unwrap_err();
            assert!(e.reason.contains("strike"), "{strike}: {e}");
        }
        let s = OccSymbol::new("SPY", d, OptionType::Call, dec!(99999.999000)).unwrap();
        assert_eq!(s.to_string(), "SPY250620C99999999");
    }

    #[test]
    fn ordering_follows_the_symbol_text() {
        let mut v: Vec<OccSymbol> = [
            "SPYW240621C00500000",
            "SPY240621C00500000",
            "AAPL240621C00500000",
            "SPY240621P00500000",
            "SPY240614C00500000",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        v.sort();
        let roots: Vec<String> = v.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            roots,
            [
                "AAPL240621C00500000",
                "SPY240614C00500000",
                "SPY240621C00500000",
                "SPY240621P00500000",
                "SPYW240621C00500000"
            ]
        );
    }

    #[test]
    fn serde_round_trip() {
        let s: OccSymbol = serde_json::from_str(r#""QQQ241220P00400000""#).unwrap();
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#""QQQ241220P00400000""#
        );
        assert!(serde_json::from_str::<OccSymbol>(r#""AAPL""#).is_err());
    }

    proptest! {
        #[test]
        fn format_parse_round_trip(
            root in "[A-Z][A-Z0-9]{0,5}",
            days in 0i64..36_000,
            call in any::<bool>(),
            strike in 1u32..=99_999_999,
        ) {
            let exp = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + chrono::Duration::days(days);
            prop_assume!(exp.year() <= 2099);
            let s = format!(
                "{root}{:02}{:02}{:02}{}{strike:08}",
                exp.year() - 2000, exp.month(), exp.day(), if call { 'C' } else { 'P' }
            );
            let parsed = OccSymbol::parse(&s).unwrap();
            prop_assert_eq!(parsed.to_string(), s.clone());
            prop_assert_eq!(parsed.root(), root.as_str());
            prop_assert_eq!(parsed.strike() * Decimal::from(1000), Decimal::from(strike));
            let rebuilt = OccSymbol::new(parsed.root(), parsed.expiration(), parsed.option_type(), parsed.strike()).unwrap();
            prop_assert_eq!(rebuilt, parsed);
        }

        #[test]
        fn never_panics_on_garbage(s in "\\PC{0,30}") {
            let _ = OccSymbol::parse(&s);
        }
    }
}
