//! The value rules of an order that Alpaca would otherwise reject after a round trip: symbol
//! shape, client order id, quantity precision and bounds, price increments.
//!
//! Sources:
//! - quantities and notionals take at most 9 decimals (Alpaca's OpenAPI `Order.qty` and
//!   `Order.notional`: "Can take up to 9 decimal points"; the fractional trading docs say the
//!   same), and a notional order is at least $1 (fractional trading docs: "as little as $1");
//! - equity prices follow the sub-penny rule (SEC Regulation NMS Rule 612, which Alpaca enforces
//!   with "sub-penny increment does not fulfill minimum pricing criteria"): at or above $1.00 in
//!   whole cents, below $1.00 in steps of $0.0001;
//! - option premiums are quoted in cents at most (Alpaca's options trading docs), so an option
//!   price has at most 2 decimals;
//! - `client_order_id` is at most 128 characters (OpenAPI: `maxLength: 128`).
//!
//! The upper bounds on quantities and prices are this crate's: no exchange order comes near them,
//! and an order beyond them is a bug upstream (a price in cents passed as dollars, a quantity
//! computed from a zero price) that is better stopped here than sent.

use crate::error::{Error, Result};
use crate::options::OccSymbol;
use rust_decimal::Decimal;

/// Longest `client_order_id` Alpaca accepts.
pub const MAX_CLIENT_ORDER_ID_LEN: usize = 128;

/// Most decimals a quantity or notional may have.
const MAX_QTY_DECIMALS: u32 = 9;

/// Largest quantity (shares or contracts) and largest notional (dollars) accepted.
const MAX_AMOUNT: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

/// Largest price accepted (the dearest US stock trades near $1M a share).
const MAX_PRICE: Decimal = Decimal::from_parts(10_000_000, 0, 0, false, 0);

/// Smallest notional Alpaca accepts, in dollars.
const MIN_NOTIONAL: Decimal = Decimal::ONE;

/// Longest equity or crypto symbol accepted; an OCC option symbol is checked as one instead.
const MAX_TICKER_LEN: usize = 15;

pub(crate) fn invalid<T>(msg: impl Into<String>) -> Result<T> {
    Err(Error::InvalidRequest(msg.into()))
}

pub(crate) fn positive(what: &str, v: Decimal) -> Result<()> {
    if v <= Decimal::ZERO {
        return invalid(format!("{what} must be positive, got {v}"));
    }
    Ok(())
}

/// Decimals of `v` once trailing zeros are dropped (`1.50` has one).
fn decimals(v: Decimal) -> u32 {
    v.normalize().scale()
}

/// A quantity of shares or contracts: positive, at most 9 decimals, at most a billion.
pub(crate) fn check_qty(what: &str, q: Decimal) -> Result<()> {
    positive(what, q)?;
    if decimals(q) > MAX_QTY_DECIMALS {
        return invalid(format!(
            "{what} {q} has more than {MAX_QTY_DECIMALS} decimals (Alpaca's limit)"
        ));
    }
    if q > MAX_AMOUNT {
        return invalid(format!("{what} {q} is above {MAX_AMOUNT}"));
    }
    Ok(())
}

/// A dollar amount to trade: at least $1, at most 9 decimals, at most a billion.
pub(crate) fn check_notional(n: Decimal) -> Result<()> {
    positive("notional", n)?;
    if n < MIN_NOTIONAL {
        return invalid(format!(
            "notional ${n} is below Alpaca's minimum of ${MIN_NOTIONAL}"
        ));
    }
    check_qty("notional", n)
}

/// Which increment rule a price follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tick {
    /// Equities: whole cents at or above $1.00, $0.0001 steps below.
    Equity,
    /// Option premiums (and multi-leg net prices): whole cents.
    Option,
}

/// A price (or a trailing-stop dollar offset): positive, below the sanity bound, and on the
/// increment Alpaca accepts.
pub(crate) fn check_price(what: &str, p: Decimal, tick: Tick) -> Result<()> {
    positive(what, p)?;
    check_price_value(what, p, tick)
}

/// Like [`check_price`], for a multi-leg net price, which is negative for a credit.
pub(crate) fn check_net_price(what: &str, p: Decimal) -> Result<()> {
    check_price_value(what, p.abs(), Tick::Option)
}

fn check_price_value(what: &str, p: Decimal, tick: Tick) -> Result<()> {
    if p > MAX_PRICE {
        return invalid(format!("{what} {p} is above {MAX_PRICE}"));
    }
    let (max, rule) = match tick {
        Tick::Option => (2, "option prices are in whole cents"),
        Tick::Equity if p >= Decimal::ONE => (2, "prices of $1.00 and above are in whole cents"),
        Tick::Equity => (4, "prices below $1.00 have at most 4 decimals"),
    };
    if decimals(p) > max {
        return invalid(format!(
            "{what} {p} is a sub-penny price: {rule} (SEC Rule 612, enforced by Alpaca)"
        ));
    }
    Ok(())
}

pub(crate) fn check_client_order_id(id: &str) -> Result<()> {
    if id.trim().is_empty() {
        return invalid("client_order_id must not be empty");
    }
    let len = id.chars().count();
    if len > MAX_CLIENT_ORDER_ID_LEN {
        return invalid(format!(
            "client_order_id is {len} characters; Alpaca allows at most {MAX_CLIENT_ORDER_ID_LEN}"
        ));
    }
    if id.chars().any(char::is_control) {
        return invalid("client_order_id must not contain control characters");
    }
    Ok(())
}

/// What an order's symbol names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OrderSymbol {
    /// An option contract, in the unpadded OCC form.
    Option(String),
    /// A ticker (upper-cased) or an asset id: equities (and crypto pairs).
    Other(String),
}

/// The symbol an order is sent with: an OCC option symbol in its unpadded form, an asset id
/// (a UUID, kept as given), or an upper-cased ticker (`AAPL`, `BRK.B`, `BTC/USD`).
///
/// A string that ends like an OCC symbol (`YYMMDD`, `C` or `P`, 8 digits) must be a valid one:
/// `AAPL251320C00100000` (month 13) is refused with the OCC reason instead of being sent as a
/// stock ticker nobody lists.
pub(crate) fn order_symbol(raw: &str) -> Result<OrderSymbol> {
    let s = raw.trim();
    if s.is_empty() {
        return invalid("symbol must not be empty");
    }
    if let Some(c) = s.chars().find(|c| c.is_control()) {
        return invalid(format!(
            "symbol {:?} contains the control character {c:?}",
            s.escape_debug().to_string()
        ));
    }
    if is_uuid(s) {
        return Ok(OrderSymbol::Other(s.to_owned()));
    }
    let upper = s.to_ascii_uppercase();
    if has_occ_tail(&upper) {
        return OccSymbol::parse(&upper)
            .map(|o| OrderSymbol::Option(o.to_string()))
            .map_err(|e| {
                Error::InvalidRequest(format!(
                    "symbol looks like an OCC option symbol but is not one: {e}"
                ))
            });
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '/';
    if !upper.chars().all(allowed) {
        return invalid(format!(
            "symbol {upper:?} may only hold letters, digits, '.' and '/' (or be an OCC option \
             symbol or an asset id)"
        ));
    }
    if upper.len() > MAX_TICKER_LEN {
        return invalid(format!(
            "symbol {upper:?} is longer than {MAX_TICKER_LEN} characters and is not an OCC \
             option symbol"
        ));
    }
    if !upper.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !upper.ends_with(|c: char| c.is_ascii_alphanumeric())
    {
        return invalid(format!(
            "symbol {upper:?} must start and end with a letter or digit"
        ));
    }
    Ok(OrderSymbol::Other(upper))
}

/// Ends with `YYMMDD`, `C` or `P`, and 8 digits, after at least one root character.
fn has_occ_tail(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(tail) = b
        .len()
        .checked_sub(15)
        .filter(|&at| at > 0)
        .map(|at| &b[at..])
    else {
        return false;
    };
    tail[..6].iter().all(u8::is_ascii_digit)
        && matches!(tail[6], b'C' | b'P')
        && tail[7..].iter().all(u8::is_ascii_digit)
}

/// `8-4-4-4-12` hex digits: an Alpaca asset id, which `symbol` accepts in place of a ticker.
fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn msg(r: Result<impl std::fmt::Debug>) -> String {
        match r {
            Err(Error::InvalidRequest(m)) => m,
            other => panic!("expected InvalidRequest, got {other:?}"),
        }
    }

    #[test]
    fn symbols_are_normalised_or_refused_with_the_reason() {
        let other = |s: &str| OrderSymbol::Other(s.to_owned());
        assert_eq!(order_symbol(" aapl ").unwrap(), other("AAPL"));
        assert_eq!(order_symbol("brk.b").unwrap(), other("BRK.B"));
        assert_eq!(order_symbol("BTC/USD").unwrap(), other("BTC/USD"));
        assert_eq!(
            order_symbol("spy   240426c00555000").unwrap(),
            OrderSymbol::Option("SPY240426C00555000".into())
        );
        let id = "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415";
        assert_eq!(order_symbol(id).unwrap(), other(id));
        for (bad, why) in [
            ("", "empty"),
            ("  \t", "empty"),
            ("AA\0PL", "control"),
            ("AA\nPL", "control"),
            ("AA PL", "letters, digits"),
            ("$AAPL", "letters, digits"),
            ("AAPL;DROP", "letters, digits"),
            ("ÄPFEL", "letters, digits"),
            (".AAPL", "start and end"),
            ("AAPL/", "start and end"),
            ("ABCDEFGHIJKLMNOP", "longer than 15"),
            ("AAPL251320C00100000", "not a calendar date"),
            ("AAPL250631C00100000", "calendar date"),
            ("TOOLONGX250620C00100000", "longer than 6"),
            ("AAPL250620C00000000", "zero"),
        ] {
            let m = msg(order_symbol(bad));
            assert!(m.contains(why), "{bad:?}: {m}");
        }
    }

    #[test]
    fn quantities_have_bounds_and_at_most_nine_decimals() {
        assert!(check_qty("qty", dec!(0.000000001)).is_ok());
        assert!(check_qty("qty", dec!(1000000000)).is_ok());
        assert!(msg(check_qty("qty", Decimal::new(1, 28))).contains("9 decimals"));
        assert!(msg(check_qty("qty", Decimal::MAX)).contains("above"));
        assert!(msg(check_qty("qty", dec!(0))).contains("positive"));
        assert!(msg(check_qty("qty", dec!(-1))).contains("positive"));
        assert!(msg(check_notional(dec!(0.99))).contains("minimum of $1"));
        assert!(check_notional(dec!(1)).is_ok());
        assert!(msg(check_notional(Decimal::MAX)).contains("above"));
    }

    #[test]
    fn sub_penny_prices_are_refused_with_the_rule() {
        assert!(check_price("limit_price", dec!(1.01), Tick::Equity).is_ok());
        assert!(check_price("limit_price", dec!(1.0100), Tick::Equity).is_ok());
        assert!(check_price("limit_price", dec!(0.9999), Tick::Equity).is_ok());
        assert!(msg(check_price("limit_price", dec!(1.001), Tick::Equity)).contains("whole cents"));
        assert!(msg(check_price("stop_price", dec!(0.00001), Tick::Equity)).contains("4 decimals"));
        assert!(msg(check_price("limit_price", dec!(0.125), Tick::Option)).contains("option"));
        assert!(check_price("limit_price", dec!(0.05), Tick::Option).is_ok());
        assert!(msg(check_price("limit_price", Decimal::MAX, Tick::Equity)).contains("above"));
        assert!(check_net_price("limit_price", dec!(-0.35)).is_ok());
        assert!(msg(check_net_price("limit_price", dec!(-0.355))).contains("sub-penny"));
    }

    #[test]
    fn client_order_ids() {
        assert!(check_client_order_id(&"x".repeat(128)).is_ok());
        assert!(msg(check_client_order_id(&"x".repeat(129))).contains("128"));
        assert!(msg(check_client_order_id(" ")).contains("empty"));
        assert!(msg(check_client_order_id("a\0b")).contains("control"));
    }
}
