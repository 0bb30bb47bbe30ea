//! Option market data: chains, snapshots, latest quotes and trades, historical bars and trades
//! (`https://data.alpaca.markets/v1beta1/options/...`). Keys are [`OccSymbol`]s.

use super::model::{Bar, OptionSnapshot, Quote, Trade};
use super::pages::{
    MAX_HISTORY_PAGE, MAX_SNAPSHOT_PAGE, check_limit, check_range, check_symbols, history_page,
    history_stream, keyed_page, latest,
};
use super::params::{OptionFeed, Sort, TimeFrame};
use crate::Client;
use crate::client::paging::stream_pages;
use crate::client::transport::{Api, Request};
use crate::client::{Page, Paged};
use crate::error::Result;
use crate::options::{OccSymbol, OptionType};
use crate::trading::account::rfc3339;
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::TryStreamExt;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::sync::Arc;

fn symbol_strings(symbols: &[OccSymbol]) -> Vec<String> {
    symbols.iter().map(ToString::to_string).collect()
}

/// The option chain of an underlying (`GET /v1beta1/options/snapshots/{underlying}`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionChainRequest {
    /// Underlying symbol.
    pub underlying: String,
    /// Calls or puts.
    pub option_type: Option<OptionType>,
    /// Strike at least.
    pub strike_price_gte: Option<Decimal>,
    /// Strike at most.
    pub strike_price_lte: Option<Decimal>,
    /// Exactly this expiration.
    pub expiration_date: Option<NaiveDate>,
    /// Expiring on or after.
    pub expiration_date_gte: Option<NaiveDate>,
    /// Expiring on or before.
    pub expiration_date_lte: Option<NaiveDate>,
    /// OCC root (e.g. `SPXW`).
    pub root_symbol: Option<String>,
    /// Only contracts updated since.
    pub updated_since: Option<DateTime<Utc>>,
    /// Feed (`indicative` on free plans).
    pub feed: Option<OptionFeed>,
    /// Page size, 1-1,000.
    pub limit: Option<u32>,
}

impl OptionChainRequest {
    /// The whole chain of `underlying` (narrow it with the filter fields).
    pub fn new(underlying: impl Into<String>) -> Self {
        Self {
            underlying: underlying.into(),
            ..Self::default()
        }
    }

    fn request(&self, token: Option<&str>) -> Result<Request> {
        check_symbols(std::slice::from_ref(&self.underlying))?;
        check_limit(self.limit, MAX_SNAPSHOT_PAGE)?;
        check_range(self.strike_price_gte, self.strike_price_lte)?;
        check_range(self.expiration_date_gte, self.expiration_date_lte)?;
        Ok(Request::get(
            Api::Data,
            &["v1beta1", "options", "snapshots", &self.underlying],
        )
        .query_opt("type", self.option_type)
        .query_opt(
            "strike_price_gte",
            self.strike_price_gte.map(|d| d.normalize()),
        )
        .query_opt(
            "strike_price_lte",
            self.strike_price_lte.map(|d| d.normalize()),
        )
        .query_opt("expiration_date", self.expiration_date)
        .query_opt("expiration_date_gte", self.expiration_date_gte)
        .query_opt("expiration_date_lte", self.expiration_date_lte)
        .query_opt("root_symbol", self.root_symbol.as_ref())
        .query_opt("updated_since", self.updated_since.map(rfc3339))
        .query_opt("feed", self.feed.as_ref())
        .query_opt("limit", self.limit)
        .query_opt("page_token", token))
    }

    /// One page of the chain.
    pub async fn page(
        &self,
        client: &Client,
        page_token: Option<&str>,
    ) -> Result<Page<(OccSymbol, OptionSnapshot)>> {
        keyed_page(client, &self.request(page_token)?).await
    }

    /// Every contract of every page, fetching one page ahead.
    pub fn stream(&self, client: &Client) -> Paged<(OccSymbol, OptionSnapshot)> {
        stream_pages(client, self, |req, client, token| async move {
            req.page(&client, token.as_deref()).await
        })
    }

    /// The whole chain, all pages, keyed by contract.
    pub async fn send_all(&self, client: &Client) -> Result<BTreeMap<OccSymbol, OptionSnapshot>> {
        self.stream(client).try_collect().await
    }
}

/// Snapshots of given contracts (`GET /v1beta1/options/snapshots?symbols=`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionSnapshotsRequest {
    /// Contracts.
    pub symbols: Vec<OccSymbol>,
    /// Feed.
    pub feed: Option<OptionFeed>,
    /// Only contracts updated since.
    pub updated_since: Option<DateTime<Utc>>,
    /// Page size, 1-1,000.
    pub limit: Option<u32>,
}

impl OptionSnapshotsRequest {
    /// For these contracts.
    pub fn new(symbols: impl IntoIterator<Item = OccSymbol>) -> Self {
        Self {
            symbols: symbols.into_iter().collect(),
            ..Self::default()
        }
    }

    /// One page.
    pub async fn page(
        &self,
        client: &Client,
        page_token: Option<&str>,
    ) -> Result<Page<(OccSymbol, OptionSnapshot)>> {
        let symbols = symbol_strings(&self.symbols);
        check_symbols(&symbols)?;
        check_limit(self.limit, MAX_SNAPSHOT_PAGE)?;
        let req = Request::get(Api::Data, &["v1beta1", "options", "snapshots"])
            .query_list("symbols", &symbols)
            .query_opt("feed", self.feed.as_ref())
            .query_opt("updated_since", self.updated_since.map(rfc3339))
            .query_opt("limit", self.limit)
            .query_opt("page_token", page_token);
        keyed_page(client, &req).await
    }

    /// Every page, fetching one ahead.
    pub fn stream(&self, client: &Client) -> Paged<(OccSymbol, OptionSnapshot)> {
        stream_pages(client, self, |req, client, token| async move {
            req.page(&client, token.as_deref()).await
        })
    }

    /// All pages, keyed by contract.
    pub async fn send_all(&self, client: &Client) -> Result<BTreeMap<OccSymbol, OptionSnapshot>> {
        self.stream(client).try_collect().await
    }
}

/// Latest quotes or trades of given contracts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionLatest {
    /// Contracts.
    pub symbols: Vec<OccSymbol>,
    /// Feed.
    pub feed: Option<OptionFeed>,
}

impl OptionLatest {
    /// For these contracts.
    pub fn new(symbols: impl IntoIterator<Item = OccSymbol>) -> Self {
        Self {
            symbols: symbols.into_iter().collect(),
            feed: None,
        }
    }

    fn request(&self, kind: &str) -> Result<Request> {
        let symbols = symbol_strings(&self.symbols);
        check_symbols(&symbols)?;
        Ok(
            Request::get(Api::Data, &["v1beta1", "options", kind, "latest"])
                .query_list("symbols", &symbols)
                .query_opt("feed", self.feed.as_ref()),
        )
    }

    /// `GET /v1beta1/options/quotes/latest`; a contract without data is absent.
    pub async fn quotes(&self, client: &Client) -> Result<BTreeMap<OccSymbol, Quote>> {
        latest(client, &self.request("quotes")?).await
    }

    /// `GET /v1beta1/options/trades/latest`.
    pub async fn trades(&self, client: &Client) -> Result<BTreeMap<OccSymbol, Trade>> {
        latest(client, &self.request("trades")?).await
    }
}

/// Historical option bars and trades, paged like stocks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionHistory {
    /// Contracts.
    pub symbols: Vec<OccSymbol>,
    /// Inclusive start.
    pub start: Option<DateTime<Utc>>,
    /// Inclusive end.
    pub end: Option<DateTime<Utc>>,
    /// Items per page, 1-10,000.
    pub limit: Option<u32>,
    /// Sort order.
    pub sort: Option<Sort>,
}

impl OptionHistory {
    /// For these contracts.
    pub fn new(symbols: impl IntoIterator<Item = OccSymbol>) -> Self {
        Self {
            symbols: symbols.into_iter().collect(),
            ..Self::default()
        }
    }

    fn request(&self, kind: &str, token: Option<&str>) -> Result<Request> {
        let symbols = symbol_strings(&self.symbols);
        check_symbols(&symbols)?;
        check_limit(self.limit, MAX_HISTORY_PAGE)?;
        check_range(self.start, self.end)?;
        Ok(Request::get(Api::Data, &["v1beta1", "options", kind])
            .query_list("symbols", &symbols)
            .query_opt("start", self.start.map(rfc3339))
            .query_opt("end", self.end.map(rfc3339))
            .query_opt("limit", self.limit)
            .query_opt("sort", self.sort.as_ref())
            .query_opt("page_token", token))
    }

    /// One page of `GET /v1beta1/options/bars`.
    pub async fn bars_page(
        &self,
        client: &Client,
        timeframe: TimeFrame,
        page_token: Option<&str>,
    ) -> Result<Page<(OccSymbol, Bar)>> {
        let req = self
            .request("bars", page_token)?
            .query("timeframe", timeframe);
        history_page::<OccSymbol, _, _>(client, &req).await
    }

    /// Every bar of every page, pages fetched and decoded ahead.
    pub fn bars(&self, client: &Client, timeframe: TimeFrame) -> Paged<(OccSymbol, Bar)> {
        let this = self.clone();
        history_stream::<OccSymbol, _, _>(
            client,
            Arc::new(move |token| Ok(this.request("bars", token)?.query("timeframe", timeframe))),
        )
    }

    /// One page of `GET /v1beta1/options/trades`.
    pub async fn trades_page(
        &self,
        client: &Client,
        page_token: Option<&str>,
    ) -> Result<Page<(OccSymbol, Trade)>> {
        history_page::<OccSymbol, _, _>(client, &self.request("trades", page_token)?).await
    }

    /// Every trade of every page, pages fetched and decoded ahead.
    pub fn trades(&self, client: &Client) -> Paged<(OccSymbol, Trade)> {
        let this = self.clone();
        history_stream::<OccSymbol, _, _>(
            client,
            Arc::new(move |token| this.request("trades", token)),
        )
    }
}

impl Client {
    /// The whole option chain of an underlying, all pages (default feed).
    pub async fn option_chain(
        &self,
        underlying: &str,
    ) -> Result<BTreeMap<OccSymbol, OptionSnapshot>> {
        OptionChainRequest::new(underlying).send_all(self).await
    }

    /// Latest quote per contract (default feed).
    pub async fn latest_option_quotes(
        &self,
        symbols: &[OccSymbol],
    ) -> Result<BTreeMap<OccSymbol, Quote>> {
        OptionLatest::new(symbols.iter().cloned())
            .quotes(self)
            .await
    }

    /// Option exchange codes and names (`GET /v1beta1/options/meta/exchanges`).
    pub async fn option_exchanges(&self) -> Result<BTreeMap<String, String>> {
        self.transport()
            .json(&Request::get(
                Api::Data,
                &["v1beta1", "options", "meta", "exchanges"],
            ))
            .await
    }
}
