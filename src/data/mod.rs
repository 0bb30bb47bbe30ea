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

pub mod model;
mod options;
mod pages;
pub mod params;
mod stocks;

pub use model::{
    Bar, Greeks, OptionQuote, OptionSnapshot, OptionTrade, Quote, QuoteError, StockQuote,
    StockSnapshot, StockTrade, Trade,
};
pub use options::{OptionChainRequest, OptionHistory, OptionLatest, OptionSnapshotsRequest};
pub use pages::{MAX_HISTORY_PAGE, MAX_SNAPSHOT_PAGE};
pub use params::{Adjustment, OptionFeed, Sort, StockFeed, TimeFrame, TimeFrameUnit};
pub use stocks::{StockHistory, StockLatest};
