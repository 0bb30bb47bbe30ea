//! News articles (`GET /v1beta1/news`), paged by `next_page_token`. The same articles arrive in
//! real time on the news stream (`Client::news_stream`, with the `websockets` feature).

use super::pages::{check_limit, check_range};
use super::params::Sort;
use crate::Client;
use crate::client::paging::stream_pages;
use crate::client::transport::{Api, Request};
use crate::client::{Page, Paged};
use crate::error::Result;
use crate::trading::account::rfc3339;
use crate::wire::{self, string_enum};
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// Largest page of news.
pub const MAX_NEWS_PAGE: u32 = 50;

string_enum! {
    /// The display size of a news image.
    pub enum NewsImageSize {
        /// Thumbnail.
        Thumb = "thumb",
        /// Small.
        Small = "small",
        /// Large.
        Large = "large",
    }
}

/// An image of an article.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct NewsImage {
    /// Display size.
    pub size: NewsImageSize,
    /// Where the image is.
    pub url: String,
}

/// A news article, from the REST endpoint or the news stream.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct NewsArticle {
    /// Article id.
    pub id: u64,
    /// Headline.
    #[serde(default, deserialize_with = "wire::string_or_null")]
    pub headline: String,
    /// Original author.
    #[serde(default, deserialize_with = "wire::string_or_null")]
    pub author: String,
    /// Published.
    #[serde(deserialize_with = "wire::utc")]
    pub created_at: DateTime<Utc>,
    /// Last updated.
    #[serde(deserialize_with = "wire::utc")]
    pub updated_at: DateTime<Utc>,
    /// Summary (often the first sentence).
    #[serde(default, deserialize_with = "wire::string_or_null")]
    pub summary: String,
    /// Full content, possibly HTML; empty unless asked for with
    /// [`NewsRequest::include_content`].
    #[serde(default, deserialize_with = "wire::string_or_null")]
    pub content: String,
    /// Images (may be empty).
    #[serde(default, deserialize_with = "wire::vec_or_null")]
    pub images: Vec<NewsImage>,
    /// Related or mentioned symbols.
    #[serde(default, deserialize_with = "wire::vec_or_null")]
    pub symbols: Vec<String>,
    /// Where it came from (e.g. `benzinga`).
    #[serde(default, deserialize_with = "wire::string_or_null")]
    pub source: String,
    /// Link to the article, if any.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub url: Option<String>,
}

impl NewsArticle {
    /// Whether the article is tagged with `symbol`.
    pub fn mentions(&self, symbol: &str) -> bool {
        self.symbols.iter().any(|s| s == symbol)
    }
}

#[derive(Deserialize)]
struct NewsPage {
    #[serde(default, deserialize_with = "wire::vec_or_null")]
    news: Vec<NewsArticle>,
    #[serde(default, deserialize_with = "wire::opt_string")]
    next_page_token: Option<String>,
}

/// `GET /v1beta1/news`: articles, newest first unless sorted otherwise. Without a range Alpaca
/// returns the latest articles.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewsRequest {
    /// Only articles about these symbols (empty: all).
    pub symbols: Vec<String>,
    /// Inclusive start.
    pub start: Option<DateTime<Utc>>,
    /// Inclusive end.
    pub end: Option<DateTime<Utc>>,
    /// Order by update time (Alpaca's default is newest first).
    pub sort: Option<Sort>,
    /// Articles per page, 1-50 (Alpaca's default is 10).
    pub limit: Option<u32>,
    /// Include the full content.
    pub include_content: Option<bool>,
    /// Leave out articles without content.
    pub exclude_contentless: Option<bool>,
}

impl NewsRequest {
    /// The latest articles about any symbol.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only about these symbols.
    pub fn symbols<S: Into<String>>(mut self, symbols: impl IntoIterator<Item = S>) -> Self {
        self.symbols = symbols.into_iter().map(Into::into).collect();
        self
    }

    /// Between `start` and `end`.
    pub fn between(mut self, start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        self.start = Some(start);
        self.end = Some(end);
        self
    }

    /// Articles per page.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// With full content.
    pub fn include_content(mut self, yes: bool) -> Self {
        self.include_content = Some(yes);
        self
    }

    fn request(&self, token: Option<&str>) -> Result<Request> {
        if !self.symbols.is_empty() {
            super::pages::check_symbols(&self.symbols)?;
        }
        check_limit(self.limit, MAX_NEWS_PAGE)?;
        check_range(self.start, self.end)?;
        Ok(Request::get(Api::Data, &["v1beta1", "news"])
            .query_list("symbols", &self.symbols)
            .query_opt("start", self.start.map(rfc3339))
            .query_opt("end", self.end.map(rfc3339))
            .query_opt("sort", self.sort.as_ref())
            .query_opt("limit", self.limit)
            .query_opt("include_content", self.include_content)
            .query_opt("exclude_contentless", self.exclude_contentless)
            .query_opt("page_token", token))
    }

    /// One page.
    pub async fn page(
        &self,
        client: &Client,
        page_token: Option<&str>,
    ) -> Result<Page<NewsArticle>> {
        let page: NewsPage = client.transport().json(&self.request(page_token)?).await?;
        Ok(Page {
            items: page.news,
            next_page_token: page.next_page_token,
        })
    }

    /// Every article of every page, fetching one page ahead. Without a range this walks back
    /// through all of Alpaca's news: bound it with [`NewsRequest::between`] or stop early.
    pub fn stream(&self, client: &Client) -> Paged<NewsArticle> {
        stream_pages(client, self, |req, client, token| async move {
            req.page(&client, token.as_deref()).await
        })
    }
}

impl Client {
    /// One page of `GET /v1beta1/news`.
    pub async fn news(&self, request: &NewsRequest) -> Result<Page<NewsArticle>> {
        request.page(self, None).await
    }
}
