//! [`EventSource`] over Alpaca's Market Data API.

use super::EventSource;
use crate::Client;
use crate::data::{
    CorporateAction, CorporateActionType, CorporateActionsRequest, MAX_NEWS_PAGE, NewsArticle,
    NewsRequest,
};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::{StreamExt, TryStreamExt};

#[async_trait]
impl EventSource for Client {
    /// `GET /v1/corporate-actions` for the symbol, kinds and process-date range, every page.
    async fn corporate_actions(
        &self,
        symbol: &str,
        kinds: &[CorporateActionType],
        from: NaiveDate,
        to: NaiveDate,
    ) -> crate::Result<Vec<CorporateAction>> {
        CorporateActionsRequest::for_symbols([symbol])
            .types(kinds.iter().cloned())
            .between(from, to)
            .stream(self)
            .try_collect()
            .await
    }

    /// `GET /v1beta1/news` for the symbol and window, newest first, stopping after `at_most`.
    async fn news(
        &self,
        symbol: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        at_most: usize,
    ) -> crate::Result<Vec<NewsArticle>> {
        let page = u32::try_from(at_most)
            .unwrap_or(MAX_NEWS_PAGE)
            .clamp(1, MAX_NEWS_PAGE);
        let request = NewsRequest {
            sort: Some(crate::data::Sort::Desc),
            ..NewsRequest::new()
                .symbols([symbol])
                .between(since, until)
                .limit(page)
        };
        request.stream(self).take(at_most).try_collect().await
    }
}
