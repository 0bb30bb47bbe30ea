//! The Market Data API: stocks (`/v2`) and options (`/v1beta1`) on `https://data.alpaca.markets`,
//! through the same transport as trading (auth, timeout, retries, errors) with its own rate-limit
//! budget ([`ClientBuilder::data_rate_limit`](crate::ClientBuilder::data_rate_limit)).
//!
//! Lists page by `next_page_token`, exposed as one page at a time (`*_page`, `page`) or as a
//! [`Paged`](crate::Paged) stream that fetches the next page while the current one is consumed.
//! Multi-symbol history yields `(symbol, item)` pairs. History streams (bars, quotes, trades)
//! go one step further: each page's `next_page_token` is read from the raw body before the page
//! is decoded, so the following page downloads and decodes in parallel (decoding runs on
//! Tokio's blocking pool); at most one page is prefetched beyond the stream's own look-ahead.
//!
//! Prices are `Decimal` (see [`model`] for why and how); greeks and IV are `f64`.
//!
//! Beyond prices: [`NewsRequest`] (news articles), [`CorporateActionsRequest`] (splits,
//! dividends, mergers, spin-offs and the other corporate actions), the stock screener
//! ([`Client::most_actives`](crate::Client::most_actives),
//! [`Client::top_movers`](crate::Client::top_movers)), company logos
//! ([`Client::logo`](crate::Client::logo)), index values ([`IndexHistory`],
//! [`Client::latest_index_values`](crate::Client::latest_index_values)) and exchange and condition codes ([`meta`]).

pub mod corporate_actions;
mod indices;
mod logos;
pub mod meta;
pub mod model;
mod news;
mod options;
mod pages;
pub mod params;
pub mod screener;
mod stocks;

pub use corporate_actions::{CorporateAction, CorporateActionType, CorporateActionsRequest};
pub use indices::IndexHistory;
pub use logos::Logo;
pub use model::{
    Bar, DailyAuction, Greeks, IndexValue, OptionQuote, OptionSnapshot, OptionTrade, Quote,
    QuoteError, StockQuote, StockSnapshot, StockTrade, Trade,
};
pub use news::{MAX_NEWS_PAGE, NewsArticle, NewsImage, NewsImageSize, NewsRequest};
pub use options::{OptionChainRequest, OptionHistory, OptionLatest, OptionSnapshotsRequest};
pub use pages::{MAX_HISTORY_PAGE, MAX_SNAPSHOT_PAGE};
pub use params::{Adjustment, OptionFeed, Sort, StockFeed, TimeFrame, TimeFrameUnit};
pub use stocks::{StockHistory, StockLatest};
