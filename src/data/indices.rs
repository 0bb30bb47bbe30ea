//! Index values (`/v1beta1/indices/...`): the levels of indices such as SPX and VIX, the
//! underlyings of index options, which the stock endpoints do not serve.

use super::model::IndexValue;
use super::pages::{
    MAX_HISTORY_PAGE, check_limit, check_range, check_symbols, history_page, history_stream, latest,
};
use super::params::Sort;
use crate::Client;
use crate::client::transport::{Api, Request};
use crate::client::{Page, Paged};
use crate::error::Result;
use crate::trading::account::rfc3339;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Historical values of indices, paged by `next_page_token`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexHistory {
    /// Index symbols, e.g. `SPX`, `VIX`.
    pub symbols: Vec<String>,
    /// Inclusive start.
    pub start: Option<DateTime<Utc>>,
    /// Inclusive end.
    pub end: Option<DateTime<Utc>>,
    /// Values per page, 1-10,000 (across all symbols).
    pub limit: Option<u32>,
    /// Sort order.
    pub sort: Option<Sort>,
}

impl IndexHistory {
    /// For these indices.
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

    fn request(&self, token: Option<&str>) -> Result<Request> {
        check_symbols(&self.symbols)?;
        check_limit(self.limit, MAX_HISTORY_PAGE)?;
        check_range(self.start, self.end)?;
        Ok(Request::get(Api::Data, &["v1beta1", "indices", "values"])
            .query_list("symbols", &self.symbols)
            .query_opt("start", self.start.map(rfc3339))
            .query_opt("end", self.end.map(rfc3339))
            .query_opt("limit", self.limit)
            .query_opt("sort", self.sort.as_ref())
            .query_opt("page_token", token))
    }

    /// One page of `GET /v1beta1/indices/values` as `(symbol, value)`.
    pub async fn page(
        &self,
        client: &Client,
        page_token: Option<&str>,
    ) -> Result<Page<(Arc<str>, IndexValue)>> {
        history_page::<String, _, _>(client, &self.request(page_token)?).await
    }

    /// Every value of every page, pages fetched and decoded ahead.
    pub fn stream(&self, client: &Client) -> Paged<(Arc<str>, IndexValue)> {
        let this = self.clone();
        history_stream::<String, _, _>(client, Arc::new(move |token| this.request(token)))
    }
}

impl Client {
    /// `GET /v1beta1/indices/latest/values`: the latest value per index; an index without
    /// data is absent.
    pub async fn latest_index_values<S: AsRef<str>>(
        &self,
        symbols: &[S],
    ) -> Result<BTreeMap<String, IndexValue>> {
        check_symbols(symbols)?;
        let req = Request::get(Api::Data, &["v1beta1", "indices", "latest", "values"])
            .query_list("symbols", symbols);
        latest(self, &req).await
    }
}
