//! The backtest report: one page a trader can trust at a glance, as Markdown and as a
//! self-contained HTML file, with the equity chart as SVG and the trade list as CSV.
//!
//! What it shows, and why:
//! - where the data came from, with a banner when it is generated sample data;
//! - equity against a buy-and-hold benchmark of the same symbols, with every entry and exit
//!   marked, on axes labelled in dates and dollars;
//! - the annualised figures only when the run is long enough (see
//!   [`metrics`](super::metrics)), otherwise why not;
//! - how the change in equity splits into closed round trips, open positions and costs, so
//!   final equity and net P&L never differ without explanation;
//! - per strategy, signals → executed / skipped by reason → round trips → P&L, including the
//!   strategies that never completed a round trip;
//! - exits grouped by what closed them (a rule, the strategy's signal, an expiry), in words;
//! - the positions still open at the end, the assumptions of the simulation, and the trades.
//!
//! Output is a pure function of its inputs: two runs of the same backtest produce
//! byte-identical files.

mod chart;
mod content;
mod render;

pub use chart::equity_svg;
pub use content::{ReportInfo, exit_reason_words, exit_rule_words};

use super::metrics::ClosedTrade;
use super::runner::BacktestResult;
use std::fmt::Write;

/// The trade list as CSV (header included), in exit order as given.
pub fn trades_csv(trades: &[ClosedTrade]) -> String {
    let mut s = String::from(
        "strategy,symbol,qty,entry_time,entry_price,exit_time,exit_price,pnl,exit_rule,exit_reason\n",
    );
    for t in trades {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{}",
            csv_field(&t.strategy),
            csv_field(&t.symbol),
            t.qty,
            t.entry_time.to_rfc3339(),
            t.entry_price,
            t.exit_time.to_rfc3339(),
            t.exit_price,
            t.pnl,
            csv_field(&t.exit_rule),
            csv_field(&t.exit_reason)
        );
    }
    s
}

fn csv_field(v: &str) -> String {
    if v.contains([',', '"', '\n']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_owned()
    }
}

/// The report as Markdown, embedding the chart from `chart_file` (a path relative to the report).
pub fn markdown(info: &ReportInfo, result: &BacktestResult, chart_file: &str) -> String {
    render::markdown(&content::build(info, result), chart_file)
}

/// The report as one self-contained HTML page with `svg` (from [`equity_svg`]) inline.
pub fn html(info: &ReportInfo, result: &BacktestResult, svg: &str) -> String {
    render::html(&content::build(info, result), svg)
}

#[cfg(test)]
mod tests;
