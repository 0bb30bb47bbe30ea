//! Backtesting: bar sources, metrics and the report.
//!
//! The same `Strategy` value that trades live runs here against history. This module holds the
//! pieces that do not depend on the broker: reading and merging bars ([`bars`]), statistics
//! ([`metrics`]) and the report ([`report`]).

pub mod bars;
pub mod download;
pub mod metrics;
pub mod report;
pub mod runner;
pub mod session;
pub mod sim;
pub mod sma_cross;
pub mod sweep;
pub mod walk_forward;
