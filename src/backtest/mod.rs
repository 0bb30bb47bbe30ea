//! Backtesting: the same `Strategy` value that trades live, run against history.
//!
//! [`runner::Backtest`] replays bars through the real [`Executor`](crate::exec::Executor) and a
//! simulated broker ([`sim`]), so every guard, sizing rule and exit rule behaves as it does
//! live. Around it: reading, merging and resampling bars ([`bars`], [`download`] for Alpaca's
//! history with a cache), statistics ([`metrics`]), the report ([`report`]) and parameter sweeps
//! over all cores ([`sweep`]). [`sma_cross::SmaCross`] is a reference strategy.
//!
//! ```
//! use alpaca_exec::prelude::*;
//! use alpaca_exec::backtest::sma_cross::SmaCross;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // A year of daily bars that rise, fall and rise again (any `Vec<Bar>`: `load_csv`, Alpaca's
//! // history through `backtest::download::bars_cached`, or your own).
//! let weekdays = NaiveDate::from_ymd_opt(2023, 1, 2)
//!     .unwrap()
//!     .iter_days()
//!     .filter(|d| d.weekday().number_from_monday() <= 5);
//! let bars: Vec<Bar> = weekdays
//!     .take(250)
//!     .enumerate()
//!     .map(|(i, day)| {
//!         let close = dec!(100) + Decimal::from((i as i64 % 100 - 50).abs()); // a V every 100 bars
//!         Bar::daily(day, close, close + dec!(1), close - dec!(1), close, dec!(1000000))
//!     })
//!     .collect();
//!
//! let result = Backtest::new(BacktestConfig::default())
//!     .strategy(Box::new(SmaCross::new("sma_10_30", &["SPY"], 10, 30)))
//!     .bars("SPY", bars)
//!     .run()
//!     .await
//!     .unwrap();
//! let metrics = result.metrics.as_ref().unwrap();
//! assert!(!result.trades.is_empty());
//! println!(
//!     "{} round trips, equity {} -> {}",
//!     result.trades.len(),
//!     metrics.start_equity,
//!     metrics.end_equity
//! );
//! // report.md, report.html, equity.svg and trades.csv:
//! let dir = std::env::temp_dir().join(format!("alpaca-exec-backtest-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let files = result.write_report(&dir, "SMA 10/30 on SPY").unwrap();
//! assert!(files.html.exists());
//! # std::fs::remove_dir_all(&dir).ok();
//! # }
//! ```

pub mod bars;
pub mod benchmark;
pub mod download;
pub mod format;
pub mod metrics;
pub mod report;
pub mod runner;
pub mod session;
pub mod sim;
pub mod sma_cross;
pub mod summary;
pub mod sweep;
pub mod walk_forward;
