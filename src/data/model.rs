//! Bars, quotes, trades and snapshots, with Alpaca's compact wire names mapped to readable ones.
//!
//! Prices are `Decimal`, like everywhere else in the crate, so a quote's mid can become a limit
//! price without a float in between. The Market Data API sends them as JSON numbers; the decoder
//! recovers the decimal that was written (see `wire::decimal_from_f64`), so `161.1` is `161.1`, and
//! costs a few nanoseconds per field. Greeks and implied volatility are model outputs and stay `f64`.

use crate::wire;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};

/// An OHLCV bar (`{t,o,h,l,c,v,n,vw}`): the one bar type of the crate. Market data decodes
/// into it, backtests replay it, and strategies receive it in
/// [`Strategy::on_bar`](crate::strategy::Strategy::on_bar).
///
/// Serializes with the same compact names it decodes from, so a bar written by the crate reads
/// back as the same bar.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Bar {
    /// Bar start time.
    #[serde(rename = "t", deserialize_with = "wire::utc")]
    pub timestamp: DateTime<Utc>,
    /// Open.
    #[serde(rename = "o", deserialize_with = "wire::decimal")]
    pub open: Decimal,
    /// High.
    #[serde(rename = "h", deserialize_with = "wire::decimal")]
    pub high: Decimal,
    /// Low.
    #[serde(rename = "l", deserialize_with = "wire::decimal")]
    pub low: Decimal,
    /// Close.
    #[serde(rename = "c", deserialize_with = "wire::decimal")]
    pub close: Decimal,
    /// Volume (shares or contracts; fractional for some feeds).
    #[serde(rename = "v", deserialize_with = "wire::decimal_or_zero", default)]
    pub volume: Decimal,
    /// Number of trades.
    #[serde(rename = "n", default, skip_serializing_if = "Option::is_none")]
    pub trade_count: Option<u64>,
    /// Volume-weighted average price.
    #[serde(
        rename = "vw",
        default,
        deserialize_with = "wire::opt_decimal",
        skip_serializing_if = "Option::is_none"
    )]
    pub vwap: Option<Decimal>,
}

impl Bar {
    /// A bar from its prices (trade count and VWAP unknown), for simulations and tests.
    pub fn new(
        timestamp: DateTime<Utc>,
        open: Decimal,
        high: Decimal,
        low: Decimal,
        close: Decimal,
        volume: Decimal,
    ) -> Self {
        Self {
            timestamp,
            open,
            high,
            low,
            close,
            volume,
            trade_count: None,
            vwap: None,
        }
    }

    /// A daily bar for `date`, stamped at midnight New York time: the timestamp Alpaca gives
    /// daily bars, and what the backtester recognises as a whole session.
    pub fn daily(
        date: chrono::NaiveDate,
        open: Decimal,
        high: Decimal,
        low: Decimal,
        close: Decimal,
        volume: Decimal,
    ) -> Self {
        use chrono::TimeZone;
        let midnight = date.and_time(chrono::NaiveTime::MIN);
        // Clocks change at 02:00 in New York, so midnight always exists and is unambiguous;
        // `earliest` covers it without a panic path anyway.
        let t = chrono_tz::America::New_York
            .from_local_datetime(&midnight)
            .earliest()
            .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc));
        Self::new(t, open, high, low, close, volume)
    }

    /// The bar with its volume-weighted average price.
    pub fn with_vwap(mut self, vwap: Decimal) -> Self {
        self.vwap = Some(vwap);
        self
    }

    /// The bar with its number of trades.
    pub fn with_trade_count(mut self, trades: u64) -> Self {
        self.trade_count = Some(trades);
        self
    }
}

/// A quote (`{t,ax,ap,as,bx,bp,bs,c,z}`), stock or option.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Quote {
    /// Quote time.
    #[serde(rename = "t", deserialize_with = "wire::utc")]
    pub timestamp: DateTime<Utc>,
    /// Ask exchange code.
    #[serde(rename = "ax", default, deserialize_with = "wire::string_or_null")]
    pub ask_exchange: String,
    /// Ask price (zero when there is no ask).
    #[serde(rename = "ap", default, deserialize_with = "wire::decimal_or_zero")]
    pub ask_price: Decimal,
    /// Ask size (round lots for stocks, contracts for options).
    #[serde(rename = "as", default, deserialize_with = "wire::decimal_or_zero")]
    pub ask_size: Decimal,
    /// Bid exchange code.
    #[serde(rename = "bx", default, deserialize_with = "wire::string_or_null")]
    pub bid_exchange: String,
    /// Bid price (zero when there is no bid).
    #[serde(rename = "bp", default, deserialize_with = "wire::decimal_or_zero")]
    pub bid_price: Decimal,
    /// Bid size.
    #[serde(rename = "bs", default, deserialize_with = "wire::decimal_or_zero")]
    pub bid_size: Decimal,
    /// Condition codes (a list for stocks, a single string for options: both accepted).
    #[serde(rename = "c", default, deserialize_with = "conditions")]
    pub conditions: Vec<String>,
    /// Tape (stocks only).
    #[serde(rename = "z", default, deserialize_with = "wire::opt_string")]
    pub tape: Option<String>,
}

/// Why a quote has no usable mid price.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QuoteError {
    /// No bid (zero or negative).
    #[error("quote has no bid (bid {0})")]
    NoBid(Decimal),
    /// No ask (zero or negative).
    #[error("quote has no ask (ask {0})")]
    NoAsk(Decimal),
    /// Bid above ask.
    #[error("quote is crossed: bid {bid} > ask {ask}")]
    Crossed {
        /// Bid.
        bid: Decimal,
        /// Ask.
        ask: Decimal,
    },
}

impl Quote {
    /// The midpoint of bid and ask, what bots usually call "the price". Refuses a quote with a
    /// missing side or a crossed market, where a mid would be meaningless.
    pub fn mid(&self) -> Result<Decimal, QuoteError> {
        if self.bid_price <= Decimal::ZERO {
            return Err(QuoteError::NoBid(self.bid_price));
        }
        if self.ask_price <= Decimal::ZERO {
            return Err(QuoteError::NoAsk(self.ask_price));
        }
        if self.bid_price > self.ask_price {
            return Err(QuoteError::Crossed {
                bid: self.bid_price,
                ask: self.ask_price,
            });
        }
        // `bid + (ask - bid) / 2` rather than `(bid + ask) / 2`: with 0 < bid <= ask it never
        // leaves [bid, ask], so no value the network sends can overflow it, and for every real
        // price it is the same number.
        Ok(self.bid_price + (self.ask_price - self.bid_price) / Decimal::TWO)
    }

    /// Ask minus bid, when both sides are present.
    pub fn spread(&self) -> Option<Decimal> {
        (self.bid_price > Decimal::ZERO && self.ask_price >= self.bid_price)
            .then(|| self.ask_price - self.bid_price)
    }
}

/// A trade print (`{t,x,p,s,c,i,z}`), stock or option.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Trade {
    /// Trade time.
    #[serde(rename = "t", deserialize_with = "wire::utc")]
    pub timestamp: DateTime<Utc>,
    /// Exchange code.
    #[serde(rename = "x", default, deserialize_with = "wire::string_or_null")]
    pub exchange: String,
    /// Price.
    #[serde(rename = "p", deserialize_with = "wire::decimal")]
    pub price: Decimal,
    /// Size.
    #[serde(rename = "s", default, deserialize_with = "wire::decimal_or_zero")]
    pub size: Decimal,
    /// Condition codes (list or single string).
    #[serde(rename = "c", default, deserialize_with = "conditions")]
    pub conditions: Vec<String>,
    /// Trade id (stocks).
    #[serde(rename = "i", default)]
    pub id: Option<u64>,
    /// Tape (stocks).
    #[serde(rename = "z", default, deserialize_with = "wire::opt_string")]
    pub tape: Option<String>,
}

/// A stock quote.
pub type StockQuote = Quote;
/// An option quote.
pub type OptionQuote = Quote;
/// A stock trade.
pub type StockTrade = Trade;
/// An option trade.
pub type OptionTrade = Trade;

/// The latest trade, quote and bars of a stock.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct StockSnapshot {
    /// Latest trade.
    #[serde(default)]
    pub latest_trade: Option<Trade>,
    /// Latest quote.
    #[serde(default)]
    pub latest_quote: Option<Quote>,
    /// Current minute bar.
    #[serde(default)]
    pub minute_bar: Option<Bar>,
    /// Current daily bar.
    #[serde(default)]
    pub daily_bar: Option<Bar>,
    /// Previous daily bar.
    #[serde(default)]
    pub prev_daily_bar: Option<Bar>,
}

/// Option greeks from Alpaca's model (per share, theta per day).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Greeks {
    /// Delta (negative for puts).
    #[serde(default)]
    pub delta: f64,
    /// Gamma.
    #[serde(default)]
    pub gamma: f64,
    /// Theta.
    #[serde(default)]
    pub theta: f64,
    /// Vega.
    #[serde(default)]
    pub vega: f64,
    /// Rho.
    #[serde(default)]
    pub rho: f64,
}

/// The latest data of an option contract. Illiquid contracts come without greeks or IV.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OptionSnapshot {
    /// Latest trade.
    #[serde(default)]
    pub latest_trade: Option<Trade>,
    /// Latest quote.
    #[serde(default)]
    pub latest_quote: Option<Quote>,
    /// Current minute bar.
    #[serde(default)]
    pub minute_bar: Option<Bar>,
    /// Current daily bar.
    #[serde(default)]
    pub daily_bar: Option<Bar>,
    /// Previous daily bar.
    #[serde(default)]
    pub prev_daily_bar: Option<Bar>,
    /// Greeks, when Alpaca could compute them.
    #[serde(default)]
    pub greeks: Option<Greeks>,
    /// Implied volatility, when available.
    #[serde(default)]
    pub implied_volatility: Option<f64>,
}

impl OptionSnapshot {
    /// The input the toolkit's contract selection takes. Snapshots carry no open interest and
    /// no multiplier: pass them from the contract listing (`ListOptionContracts`).
    pub fn to_contract_quote(
        &self,
        symbol: crate::OccSymbol,
        open_interest: Option<u64>,
        multiplier: Decimal,
    ) -> crate::options::select::ContractQuote {
        let positive = |d: Decimal| (d > Decimal::ZERO).then_some(d);
        crate::options::select::ContractQuote {
            symbol,
            bid: self
                .latest_quote
                .as_ref()
                .and_then(|q| positive(q.bid_price)),
            ask: self
                .latest_quote
                .as_ref()
                .and_then(|q| positive(q.ask_price)),
            last: self.latest_trade.as_ref().map(|t| t.price),
            delta: self.greeks.map(|g| g.delta),
            implied_volatility: self.implied_volatility,
            open_interest,
            multiplier,
        }
    }
}

/// Conditions arrive as `["R"]` for stocks and `"B"` for options; both become a list.
///
/// A hand-written visitor rather than an untagged enum: untagged buffers every value into an
/// intermediate tree first, which costs a third of a stream quote's decode time.
fn conditions<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a condition code or a list of them")
        }
        fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
            Ok(if s.trim().is_empty() {
                Vec::new()
            } else {
                vec![s.to_owned()]
            })
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(1).min(16));
            while let Some(c) = seq.next_element::<String>()? {
                v.push(c);
            }
            Ok(v)
        }
    }
    d.deserialize_any(V)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn quote(bp: &str, ap: &str) -> Quote {
        serde_json::from_str(&format!(
            r#"{{"t":"2024-01-02T15:00:00Z","bp":{bp},"ap":{ap},"bs":1,"as":1,"c":"A"}}"#
        ))
        .unwrap()
    }

    #[test]
    fn mid_price_and_its_refusals() {
        assert_eq!(quote("1.10", "1.20").mid().unwrap(), dec!(1.15));
        assert_eq!(quote("161.1", "161.11").mid().unwrap(), dec!(161.105));
        assert_eq!(quote("0", "1.2").mid(), Err(QuoteError::NoBid(dec!(0))));
        assert_eq!(quote("1", "0").mid(), Err(QuoteError::NoAsk(dec!(0))));
        assert!(matches!(
            quote("1.3", "1.2").mid(),
            Err(QuoteError::Crossed { .. })
        ));
        assert_eq!(
            quote("1.2", "1.2").mid().unwrap(),
            dec!(1.2),
            "locked is fine"
        );
        assert_eq!(quote("1.1", "1.25").spread(), Some(dec!(0.15)));
        assert_eq!(quote("0", "1.25").spread(), None);
    }

    #[test]
    fn mid_of_extreme_prices_does_not_overflow() {
        let max = Decimal::MAX.to_string();
        let q = quote(&format!("\"{max}\""), &format!("\"{max}\""));
        assert_eq!(q.bid_price, Decimal::MAX, "the extreme decodes");
        assert_eq!(q.mid().unwrap(), Decimal::MAX);
    }

    #[test]
    fn conditions_as_string_or_list() {
        let q = quote("1", "2");
        assert_eq!(q.conditions, vec!["A"]);
        let t: Trade = serde_json::from_str(
            r#"{"t":"2024-01-02T15:00:00Z","p":1.5,"s":100,"c":["@","I"],"i":7,"z":"C","x":"D"}"#,
        )
        .unwrap();
        assert_eq!(t.conditions, vec!["@", "I"]);
        assert_eq!(t.id, Some(7));
        let t: Trade =
            serde_json::from_str(r#"{"t":"2024-01-02T15:00:00Z","p":1.5,"s":1,"c":" "}"#).unwrap();
        assert!(t.conditions.is_empty());
    }

    #[test]
    fn snapshot_to_contract_quote() {
        let s: OptionSnapshot = serde_json::from_str(
            r#"{"latestQuote":{"t":"2024-01-02T15:00:00Z","bp":0,"ap":0.5},
                "latestTrade":{"t":"2024-01-02T15:00:00Z","p":0.4,"s":1},
                "greeks":{"delta":-0.42},"impliedVolatility":0.3}"#,
        )
        .unwrap();
        let occ: crate::OccSymbol = "SPY250620P00500000".parse().unwrap();
        let cq = s.to_contract_quote(occ.clone(), Some(250), dec!(100));
        assert_eq!(cq.symbol, occ);
        assert_eq!(cq.bid, None, "a zero bid is no bid");
        assert_eq!(cq.ask, Some(dec!(0.5)));
        assert_eq!(cq.last, Some(dec!(0.4)));
        assert_eq!(cq.delta, Some(-0.42));
        assert_eq!(cq.open_interest, Some(250));
    }
}

/// One day's opening and closing auctions of a stock (`GET /v2/stocks/auctions`). Each print is
/// a [`Trade`] whose condition says which auction it was (see
/// [`Client::stock_conditions`](crate::Client::stock_conditions)).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct DailyAuction {
    /// The session.
    #[serde(rename = "d")]
    pub date: chrono::NaiveDate,
    /// Opening auction prints, by exchange.
    #[serde(rename = "o", default, deserialize_with = "wire::vec_or_null")]
    pub opening: Vec<Trade>,
    /// Closing auction prints, by exchange.
    #[serde(rename = "c", default, deserialize_with = "wire::vec_or_null")]
    pub closing: Vec<Trade>,
}

/// The value of an index at a point in time (`{t, v}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct IndexValue {
    /// When.
    #[serde(rename = "t", deserialize_with = "wire::utc")]
    pub timestamp: DateTime<Utc>,
    /// The index level.
    #[serde(rename = "v", deserialize_with = "wire::decimal")]
    pub value: Decimal,
}
