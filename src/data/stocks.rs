//! Stock market data: latest quotes, trades and bars, snapshots, and historical bars, quotes,
//! trades and auctions (`https://data.alpaca.markets/v2/stocks/...`).

use super::model::{Bar, DailyAuction, Quote, StockSnapshot, Trade};
use super::pages::{
    MAX_HISTORY_PAGE, check_limit, check_range, check_symbols, history_page, history_stream, latest,
};
use super::params::{Adjustment, Sort, StockFeed, TimeFrame};
use crate::Client;
use crate::client::transport::{Api, Request};
use crate::client::{Page, Paged};
use crate::error::Result;
use crate::trading::account::rfc3339;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Latest quotes, trades, bars or snapshots for one or many stocks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StockLatest {
    /// Symbols.
    pub symbols: Vec<String>,
    /// Feed (Alpaca's default depends on the plan).
    pub feed: Option<StockFeed>,
    /// Currency of prices (default USD).
    pub currency: Option<String>,
}

impl StockLatest {
    /// For these symbols.
    pub fn new<S: Into<String>>(symbols: impl IntoIterator<Item = S>) -> Self {
        Self {
            symbols: symbols.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// With this feed.
    pub fn feed(mut self, feed: StockFeed) -> Self {
        self.feed = Some(feed);
        self
    }

    fn request(&self, segments: &[&str]) -> Result<Request> {
        check_symbols(&self.symbols)?;
        Ok(Request::get(Api::Data, segments)
            .query_list("symbols", &self.symbols)
            .query_opt("feed", self.feed.as_ref())
            .query_opt("currency", self.currency.as_ref()))
    }

    /// `GET /v2/stocks/quotes/latest`: symbol to quote; a symbol without data is absent.
    pub async fn quotes(&self, client: &Client) -> Result<BTreeMap<String, Quote>> {
        latest(
            client,
            &self.request(&["v2", "stocks", "quotes", "latest"])?,
        )
        .await
    }

    /// `GET /v2/stocks/trades/latest`.
    pub async fn trades(&self, client: &Client) -> Result<BTreeMap<String, Trade>> {
        latest(
            client,
            &self.request(&["v2", "stocks", "trades", "latest"])?,
        )
        .await
    }

    /// `GET /v2/stocks/bars/latest`.
    pub async fn bars(&self, client: &Client) -> Result<BTreeMap<String, Bar>> {
        latest(client, &self.request(&["v2", "stocks", "bars", "latest"])?).await
    }

    /// `GET /v2/stocks/snapshots`: keyed by symbol at the top level of the body.
    pub async fn snapshots(&self, client: &Client) -> Result<BTreeMap<String, StockSnapshot>> {
        let req = self.request(&["v2", "stocks", "snapshots"])?;
        let raw: BTreeMap<String, Option<StockSnapshot>> = client.transport().json(&req).await?;
        Ok(raw
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect())
    }
}

/// Historical stock data for one or many symbols, paged by `next_page_token`.
///
/// Each endpoint comes as one page (`*_page`, pass the previous page's token) or as a stream of
/// `(symbol, item)` over every page, fetching one page ahead. The symbol is an `Arc<str>` shared
/// by all items of that symbol in a page, so streaming a long range does not copy it per item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StockHistory {
    /// Symbols.
    pub symbols: Vec<String>,
    /// Inclusive start (RFC 3339); Alpaca defaults to the start of the current day.
    pub start: Option<DateTime<Utc>>,
    /// Inclusive end; Alpaca defaults to now (15 minutes ago for free SIP).
    pub end: Option<DateTime<Utc>>,
    /// Items per page, 1-10,000 (across all symbols).
    pub limit: Option<u32>,
    /// Corporate-action adjustment (bars only; not sent for quotes and trades).
    pub adjustment: Option<Adjustment>,
    /// Feed.
    pub feed: Option<StockFeed>,
    /// Sort order.
    pub sort: Option<Sort>,
    /// Symbol mapping date (renames).
    pub asof: Option<NaiveDate>,
    /// Currency of prices.
    pub currency: Option<String>,
}

impl StockHistory {
    /// For these symbols.
    pub fn new<S: Into<String>>(symbols: impl IntoIterator<Item = S>) -> Self {
        Self {
            symbols: symbols.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// Between `start` and `end`.
    pub fn between(mut self, start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        self.start = Some(start);
        self.end = Some(end);
        self
    }

    /// Items per page.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// With this feed.
    pub fn feed(mut self, feed: StockFeed) -> Self {
        self.feed = Some(feed);
        self
    }

    fn request(&self, kind: &str, token: Option<&str>) -> Result<Request> {
        check_symbols(&self.symbols)?;
        check_limit(self.limit, MAX_HISTORY_PAGE)?;
        check_range(self.start, self.end)?;
        Ok(Request::get(Api::Data, &["v2", "stocks", kind])
            .query_list("symbols", &self.symbols)
            .query_opt("start", self.start.map(rfc3339))
            .query_opt("end", self.end.map(rfc3339))
            .query_opt("limit", self.limit)
            .query_opt("feed", self.feed.as_ref())
            .query_opt("sort", self.sort.as_ref())
            .query_opt("asof", self.asof)
            .query_opt("currency", self.currency.as_ref())
            .query_opt("page_token", token))
    }

    /// One page of `GET /v2/stocks/bars`.
    pub async fn bars_page(
        &self,
        client: &Client,
        timeframe: TimeFrame,
        page_token: Option<&str>,
    ) -> Result<Page<(Arc<str>, Bar)>> {
        let req = self
            .request("bars", page_token)?
            .query("timeframe", timeframe)
            .query_opt("adjustment", self.adjustment.as_ref());
        history_page::<String, _, _>(client, &req).await
    }

    /// Every bar of every page as `(symbol, bar)`, pages fetched and decoded ahead (see
    /// [`crate::data`]).
    pub fn bars(&self, client: &Client, timeframe: TimeFrame) -> Paged<(Arc<str>, Bar)> {
        let this = self.clone();
        history_stream::<String, _, _>(
            client,
            Arc::new(move |token| {
                Ok(this
                    .request("bars", token)?
                    .query("timeframe", timeframe)
                    .query_opt("adjustment", this.adjustment.as_ref()))
            }),
        )
    }

    /// One page of `GET /v2/stocks/quotes`.
    pub async fn quotes_page(
        &self,
        client: &Client,
        page_token: Option<&str>,
    ) -> Result<Page<(Arc<str>, Quote)>> {
        history_page::<String, _, _>(client, &self.request("quotes", page_token)?).await
    }

    /// Every quote of every page as `(symbol, quote)`, pages fetched and decoded ahead.
    pub fn quotes(&self, client: &Client) -> Paged<(Arc<str>, Quote)> {
        let this = self.clone();
        history_stream::<String, _, _>(client, Arc::new(move |token| this.request("quotes", token)))
    }

    /// One page of `GET /v2/stocks/trades`.
    pub async fn trades_page(
        &self,
        client: &Client,
        page_token: Option<&str>,
    ) -> Result<Page<(Arc<str>, Trade)>> {
        history_page::<String, _, _>(client, &self.request("trades", page_token)?).await
    }

    /// Every trade of every page as `(symbol, trade)`, pages fetched and decoded ahead.
    pub fn trades(&self, client: &Client) -> Paged<(Arc<str>, Trade)> {
        let this = self.clone();
        history_stream::<String, _, _>(client, Arc::new(move |token| this.request("trades", token)))
    }

    /// One page of `GET /v2/stocks/auctions` (Alpaca serves auctions from the SIP feed only).
    pub async fn auctions_page(
        &self,
        client: &Client,
        page_token: Option<&str>,
    ) -> Result<Page<(Arc<str>, DailyAuction)>> {
        history_page::<String, _, _>(client, &self.request("auctions", page_token)?).await
    }

    /// Every day's auctions of every page as `(symbol, day)`, pages fetched and decoded ahead.
    pub fn auctions(&self, client: &Client) -> Paged<(Arc<str>, DailyAuction)> {
        let this = self.clone();
        history_stream::<String, _, _>(
            client,
            Arc::new(move |token| this.request("auctions", token)),
        )
    }
}

impl Client {
    /// Latest quote per symbol (default feed); a symbol without data is absent.
    pub async fn latest_stock_quotes(&self, symbols: &[&str]) -> Result<BTreeMap<String, Quote>> {
        StockLatest::new(symbols.iter().copied()).quotes(self).await
    }

    /// Latest trade per symbol (default feed).
    pub async fn latest_stock_trades(&self, symbols: &[&str]) -> Result<BTreeMap<String, Trade>> {
        StockLatest::new(symbols.iter().copied()).trades(self).await
    }

    /// Latest minute bar per symbol (default feed).
    pub async fn latest_stock_bars(&self, symbols: &[&str]) -> Result<BTreeMap<String, Bar>> {
        StockLatest::new(symbols.iter().copied()).bars(self).await
    }

    /// Snapshot per symbol (default feed).
    pub async fn stock_snapshots(
        &self,
        symbols: &[&str],
    ) -> Result<BTreeMap<String, StockSnapshot>> {
        StockLatest::new(symbols.iter().copied())
            .snapshots(self)
            .await
    }
}
