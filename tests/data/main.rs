//! Market Data API integration tests against a wiremock Alpaca. No test touches the network.

#[path = "../common/mod.rs"]
mod common;
mod options;
mod paging;
mod stocks;
