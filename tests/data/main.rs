//! Market Data API integration tests against a wiremock Alpaca. No test touches the network.

#[path = "../common/mod.rs"]
mod common;
mod corporate_actions;
mod indices;
mod logos;
mod meta;
mod news;
mod options;
mod paging;
mod screener;
mod stocks;
