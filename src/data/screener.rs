//! The stock screener (`/v1beta1/screener/stocks/...`): most active stocks and top movers,
//! computed by Alpaca from real-time SIP data. The crypto screener is out of this crate's scope.

use crate::Client;
use crate::client::transport::{Api, Request};
use crate::error::{Error, Result};
use crate::wire::{self, string_enum};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;

/// Most symbols [`Client::most_actives`] returns.
pub const MAX_MOST_ACTIVES: u32 = 100;
/// Most gainers (and losers) [`Client::top_movers`] returns.
pub const MAX_MOVERS: u32 = 50;

string_enum! {
    /// What "most active" ranks by.
    pub enum MostActivesBy {
        /// Shares traded (Alpaca's default).
        Volume = "volume",
        /// Number of trades.
        Trades = "trades",
    }
}

string_enum! {
    /// The market a screen covers.
    pub enum MarketType {
        /// US stocks.
        Stocks = "stocks",
        /// Crypto.
        Crypto = "crypto",
    }
}

/// A stock among the most active today.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct MostActive {
    /// Symbol.
    pub symbol: String,
    /// Shares traded today.
    #[serde(default)]
    pub volume: u64,
    /// Trades today.
    #[serde(default)]
    pub trade_count: u64,
}

/// The answer of [`Client::most_actives`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct MostActives {
    /// The stocks, most active first.
    #[serde(default, deserialize_with = "wire::vec_or_null")]
    pub most_actives: Vec<MostActive>,
    /// When Alpaca computed the list.
    #[serde(deserialize_with = "wire::utc")]
    pub last_updated: DateTime<Utc>,
}

/// A stock that moved a lot today.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Mover {
    /// Symbol.
    pub symbol: String,
    /// Change since the previous close, in percent (`145.56` is +145.56%).
    #[serde(deserialize_with = "wire::decimal")]
    pub percent_change: Decimal,
    /// Change since the previous close, in dollars.
    #[serde(deserialize_with = "wire::decimal")]
    pub change: Decimal,
    /// Latest price.
    #[serde(deserialize_with = "wire::decimal")]
    pub price: Decimal,
}

/// The answer of [`Client::top_movers`]. Before the open it still shows the previous session's
/// movers; prices are split-adjusted.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Movers {
    /// Biggest gainers first.
    #[serde(default, deserialize_with = "wire::vec_or_null")]
    pub gainers: Vec<Mover>,
    /// Biggest losers first.
    #[serde(default, deserialize_with = "wire::vec_or_null")]
    pub losers: Vec<Mover>,
    /// The market screened.
    pub market_type: MarketType,
    /// When Alpaca computed the lists.
    #[serde(deserialize_with = "wire::utc")]
    pub last_updated: DateTime<Utc>,
}

fn check_top(top: Option<u32>, max: u32) -> Result<()> {
    match top {
        Some(t) if !(1..=max).contains(&t) => Err(Error::InvalidRequest(format!(
            "top must be 1-{max}, got {t}"
        ))),
        _ => Ok(()),
    }
}

impl Client {
    /// `GET /v1beta1/screener/stocks/most-actives`: the `top` (1-100, Alpaca's default 10)
    /// most active stocks today, by volume (default) or trade count.
    pub async fn most_actives(
        &self,
        by: Option<MostActivesBy>,
        top: Option<u32>,
    ) -> Result<MostActives> {
        check_top(top, MAX_MOST_ACTIVES)?;
        let req = Request::get(
            Api::Data,
            &["v1beta1", "screener", "stocks", "most-actives"],
        )
        .query_opt("by", by.as_ref())
        .query_opt("top", top);
        self.transport().json(&req).await
    }

    /// `GET /v1beta1/screener/stocks/movers`: the `top` (1-50, Alpaca's default 10) gainers and
    /// losers since the previous close.
    pub async fn top_movers(&self, top: Option<u32>) -> Result<Movers> {
        check_top(top, MAX_MOVERS)?;
        let req = Request::get(
            Api::Data,
            &["v1beta1", "screener", MarketType::Stocks.as_str(), "movers"],
        )
        .query_opt("top", top);
        self.transport().json(&req).await
    }
}
