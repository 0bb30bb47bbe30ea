//! The equity chart as SVG: the strategy's equity against the buy-and-hold benchmark, every
//! entry and exit marked (hover a marker for the trade), dollar and date axes with gridlines,
//! and the drawdown underneath. Sessions are spaced evenly (no gaps for weekends).
//!
//! Coordinates are `f64`: this is drawing, not accounting; every figure printed on the chart
//! comes from the `Decimal` values.

use super::content::exit_reason_words;
use crate::backtest::format::{money, money_whole, signed_money};
use crate::backtest::metrics::{ClosedTrade, EquityPoint};
use crate::backtest::summary::OpenPosition;
use chrono::{Datelike, NaiveDate};
use chrono_tz::America::New_York;
use rust_decimal::Decimal;
use std::fmt::Write;

const W: f64 = 1000.0;
const H: f64 = 560.0;
const LEFT: f64 = 92.0;
const RIGHT: f64 = 24.0;
const EQ_TOP: f64 = 48.0;
const EQ_H: f64 = 320.0;
const DD_TOP: f64 = 410.0;
const DD_H: f64 = 110.0;
const DATE_Y: f64 = 542.0;

const EQUITY_COLOUR: &str = "#1f5fbf";
const BENCHMARK_COLOUR: &str = "#8a8f98";
const ENTRY_COLOUR: &str = "#344054";
const WIN_COLOUR: &str = "#137333";
const LOSS_COLOUR: &str = "#b42318";
const GRID: &str = "#e9ecf1";

/// The chart for an equity curve, the benchmark's curve over the same sessions (may be empty),
/// the closed trades (their entries and exits are marked on the equity line) and the positions
/// still open at the end (their entries are marked, hollow).
pub fn equity_svg(
    curve: &[EquityPoint],
    benchmark: &[EquityPoint],
    trades: &[ClosedTrade],
    open: &[OpenPosition],
) -> String {
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" font-family="-apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif" font-size="12" fill="#1d2330"><title>Equity against buy and hold, with trades, and drawdown</title><rect width="100%" height="100%" fill="#ffffff"/>"##
    );
    if curve.is_empty() {
        svg.push_str(r#"<text x="20" y="30">no sessions were replayed</text></svg>"#);
        return svg;
    }
    let eq: Vec<f64> = curve.iter().map(|p| crate::num::to_f64(p.equity)).collect();
    let bench: Vec<f64> = benchmark
        .iter()
        .take(curve.len())
        .map(|p| crate::num::to_f64(p.equity))
        .collect();
    let n = (curve.len() - 1).max(1) as f64;
    let x = |i: usize| LEFT + (W - LEFT - RIGHT) * i as f64 / n;

    // Equity panel: the range of both lines, widened to round dollar ticks.
    let (lo, hi) = eq
        .iter()
        .chain(&bench)
        .fold((f64::MAX, f64::MIN), |(a, b), &e| (a.min(e), b.max(e)));
    let y_ticks = ticks(lo, hi, 6);
    let (y_lo, y_hi) = (y_ticks[0], y_ticks[y_ticks.len() - 1]);
    let y_eq = |e: f64| EQ_TOP + EQ_H * (1.0 - (e - y_lo) / (y_hi - y_lo));

    // Drawdown panel: percent below the running peak.
    let mut peak = f64::MIN;
    let dd: Vec<f64> = eq
        .iter()
        .map(|&e| {
            peak = peak.max(e);
            if peak > 0.0 { (e - peak) / peak } else { 0.0 }
        })
        .collect();
    let worst = dd.iter().copied().fold(0.0f64, f64::min);
    let dd_ticks = ticks(worst.min(-0.0001), 0.0, 3);
    let dd_lo = dd_ticks[0];
    let y_dd = |d: f64| DD_TOP + DD_H * (d / dd_lo);

    legend(
        &mut svg,
        !bench.is_empty(),
        benchmark_symbols_note(benchmark),
    );
    let dates: Vec<NaiveDate> = curve.iter().map(|p| p.date).collect();
    let date_ticks = date_ticks(&dates);
    // Gridlines and axis labels.
    for &(i, ref label) in &date_ticks {
        let _ = write!(
            svg,
            r##"<line class="grid" x1="{x:.1}" y1="{EQ_TOP}" x2="{x:.1}" y2="{}" stroke="{GRID}"/><line class="grid" x1="{x:.1}" y1="{DD_TOP}" x2="{x:.1}" y2="{}" stroke="{GRID}"/><text class="axis-x" x="{x:.1}" y="{DATE_Y}" text-anchor="middle" fill="#667085">{}</text>"##,
            EQ_TOP + EQ_H,
            DD_TOP + DD_H,
            escape(label),
            x = x(i),
        );
    }
    let cents = y_ticks.len() > 1 && (y_ticks[1] - y_ticks[0]) < 1.0;
    for &v in &y_ticks {
        let y = y_eq(v);
        let value = Decimal::from_f64_retain(v).unwrap_or_default();
        let label = if cents {
            money(value)
        } else {
            money_whole(value)
        };
        let _ = write!(
            svg,
            r##"<line class="grid" x1="{LEFT}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="{GRID}"/><text class="axis-y" x="{}" y="{:.1}" text-anchor="end" fill="#667085">{label}</text>"##,
            W - RIGHT,
            LEFT - 8.0,
            y + 4.0
        );
    }
    let pct_decimals = decimals_for((dd_ticks[1] - dd_ticks[0]).abs() * 100.0);
    for &v in &dd_ticks {
        let y = y_dd(v);
        let _ = write!(
            svg,
            r##"<line class="grid" x1="{LEFT}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="{GRID}"/><text class="axis-dd" x="{}" y="{:.1}" text-anchor="end" fill="#667085">{:.*}%</text>"##,
            W - RIGHT,
            LEFT - 8.0,
            y + 4.0,
            pct_decimals,
            // -0.0 would print as "-0".
            if v == 0.0 { 0.0 } else { v * 100.0 }
        );
    }
    let _ = write!(
        svg,
        r##"<text x="{LEFT}" y="{}" font-weight="600">Drawdown from the running peak</text>"##,
        DD_TOP - 12.0
    );

    // The lines.
    if !bench.is_empty() {
        let pts = polyline(bench.iter().enumerate().map(|(i, &b)| (x(i), y_eq(b))));
        let _ = write!(
            svg,
            r##"<polyline class="benchmark" fill="none" stroke="{BENCHMARK_COLOUR}" stroke-width="1.6" stroke-dasharray="6 4" points="{pts}"/>"##
        );
    }
    let pts = polyline(eq.iter().enumerate().map(|(i, &e)| (x(i), y_eq(e))));
    let _ = write!(
        svg,
        r##"<polyline class="equity" fill="none" stroke="{EQUITY_COLOUR}" stroke-width="2" stroke-linejoin="round" points="{pts}"/>"##
    );
    let mut area = format!("{:.1},{:.1}", x(0), DD_TOP);
    for (i, &d) in dd.iter().enumerate() {
        let _ = write!(area, " {:.1},{:.1}", x(i), y_dd(d));
    }
    let _ = write!(area, " {:.1},{:.1}", x(dd.len() - 1), DD_TOP);
    let _ = write!(
        svg,
        r##"<polygon class="drawdown" fill="{LOSS_COLOUR}" fill-opacity="0.22" stroke="{LOSS_COLOUR}" stroke-width="1" points="{area}"/>"##
    );

    // Trade markers: entries below the line pointing up, exits above it pointing down.
    let index_of = |t: chrono::DateTime<chrono::Utc>| {
        let date = t.with_timezone(&New_York).date_naive();
        dates.partition_point(|d| *d < date).min(dates.len() - 1)
    };
    for t in trades {
        let (i, j) = (index_of(t.entry_time), index_of(t.exit_time));
        let (xe, ye) = (x(i), y_eq(eq[i]) + 9.0);
        let (xx, yx) = (x(j), y_eq(eq[j]) - 9.0);
        let qty = t.qty.normalize();
        let _ = write!(
            svg,
            r##"<path class="marker entry" d="M{xe:.1},{:.1} l5,8 h-10 z" fill="{ENTRY_COLOUR}"><title>{}</title></path>"##,
            ye - 4.0,
            escape(&format!(
                "{} {}: bought {qty} at {} on {}",
                t.strategy,
                t.symbol,
                money(t.entry_price),
                t.entry_time.with_timezone(&New_York).date_naive()
            ))
        );
        let colour = if t.pnl >= Decimal::ZERO {
            WIN_COLOUR
        } else {
            LOSS_COLOUR
        };
        let _ = write!(
            svg,
            r##"<path class="marker exit" d="M{xx:.1},{:.1} l5,-8 h-10 z" fill="{colour}"><title>{}</title></path>"##,
            yx + 4.0,
            escape(&format!(
                "{} {}: sold {qty} at {} on {}, P&L {} ({})",
                t.strategy,
                t.symbol,
                money(t.exit_price),
                t.exit_time.with_timezone(&New_York).date_naive(),
                signed_money(t.pnl),
                exit_reason_words(&t.exit_reason)
            ))
        );
    }
    for p in open {
        let i = index_of(p.entry_time);
        let (xe, ye) = (x(i), y_eq(eq[i]) + 9.0);
        let _ = write!(
            svg,
            r##"<path class="marker entry open" d="M{xe:.1},{:.1} l5,8 h-10 z" fill="#ffffff" stroke="{ENTRY_COLOUR}" stroke-width="1.4"><title>{}</title></path>"##,
            ye - 4.0,
            escape(&format!(
                "{} {}: bought {} at {} on {}, still open",
                p.strategy,
                p.symbol,
                p.qty.normalize(),
                money(p.entry_price),
                p.entry_time.with_timezone(&New_York).date_naive()
            ))
        );
    }
    // Axes on top of the fills.
    let _ = write!(
        svg,
        r##"<line x1="{LEFT}" y1="{EQ_TOP}" x2="{LEFT}" y2="{}" stroke="#98a2b3"/><line x1="{LEFT}" y1="{}" x2="{}" y2="{}" stroke="#98a2b3"/><line x1="{LEFT}" y1="{DD_TOP}" x2="{LEFT}" y2="{}" stroke="#98a2b3"/></svg>"##,
        EQ_TOP + EQ_H,
        EQ_TOP + EQ_H,
        W - RIGHT,
        EQ_TOP + EQ_H,
        DD_TOP + DD_H
    );
    svg
}

fn benchmark_symbols_note(benchmark: &[EquityPoint]) -> &'static str {
    if benchmark.is_empty() {
        ""
    } else {
        "Buy and hold, same symbols"
    }
}

fn legend(svg: &mut String, with_benchmark: bool, benchmark_label: &str) {
    let y = 22.0;
    let mut x = LEFT;
    let _ = write!(
        svg,
        r##"<g class="legend"><line x1="{x}" y1="{y}" x2="{}" y2="{y}" stroke="{EQUITY_COLOUR}" stroke-width="2.5"/><text x="{}" y="{}">Strategy equity</text>"##,
        x + 24.0,
        x + 30.0,
        y + 4.0
    );
    x += 150.0;
    if with_benchmark {
        let _ = write!(
            svg,
            r##"<line x1="{x}" y1="{y}" x2="{}" y2="{y}" stroke="{BENCHMARK_COLOUR}" stroke-width="2" stroke-dasharray="6 4"/><text x="{}" y="{}">{benchmark_label}</text>"##,
            x + 24.0,
            x + 30.0,
            y + 4.0
        );
        x += 232.0;
    }
    let _ = write!(
        svg,
        r##"<path d="M{x},{} l5,8 h-10 z" fill="{ENTRY_COLOUR}"/><path d="M{},{} l5,8 h-10 z" fill="#ffffff" stroke="{ENTRY_COLOUR}" stroke-width="1.4"/><text x="{}" y="{}">Entry (hollow: still open)</text>"##,
        y - 4.0,
        x + 13.0,
        y - 4.0,
        x + 23.0,
        y + 4.0
    );
    x += 186.0;
    let _ = write!(
        svg,
        r##"<path d="M{x},{} l5,-8 h-10 z" fill="{WIN_COLOUR}"/><path d="M{},{} l5,-8 h-10 z" fill="{LOSS_COLOUR}"/><text x="{}" y="{}">Exit with a gain / a loss</text></g>"##,
        y + 4.0,
        x + 13.0,
        y + 4.0,
        x + 23.0,
        y + 4.0
    );
}

/// Decimals that print every multiple of `step` exactly (0.5 needs one, 0.025 three).
fn decimals_for(step: f64) -> usize {
    (0..4)
        .find(|&d| {
            let scaled = step * 10f64.powi(d as i32);
            (scaled - scaled.round()).abs() < 1e-6
        })
        .unwrap_or(4)
}

fn polyline(points: impl Iterator<Item = (f64, f64)>) -> String {
    let mut s = String::new();
    for (i, (x, y)) in points.enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{x:.1},{y:.1}");
    }
    s
}

/// Round tick values covering `[lo, hi]`, about `target` of them, first and last enclosing the
/// range.
fn ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let (lo, hi) = if hi - lo > f64::EPSILON * hi.abs().max(1.0) {
        (lo, hi)
    } else {
        // A flat line: a band of 1% (or one dollar) around it.
        let pad = (hi.abs() * 0.01).max(1.0);
        (lo - pad, hi + pad)
    };
    let raw = (hi - lo) / target as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = match raw / magnitude {
        r if r <= 1.0 => 1.0,
        r if r <= 2.0 => 2.0,
        r if r <= 2.5 => 2.5,
        r if r <= 5.0 => 5.0,
        _ => 10.0,
    } * magnitude;
    let first = (lo / step).floor() as i64;
    let last = (hi / step).ceil() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// Where to label the date axis: session indices and their labels. Short runs get days, longer
/// ones the first session of every month (or every few months, or years).
fn date_ticks(dates: &[NaiveDate]) -> Vec<(usize, String)> {
    let (Some(first), Some(last)) = (dates.first(), dates.last()) else {
        return Vec::new();
    };
    if (*last - *first).num_days() <= 62 {
        let step = dates.len().div_ceil(8).max(1);
        return (0..dates.len())
            .step_by(step)
            .map(|i| (i, dates[i].format("%b %-d").to_string()))
            .collect();
    }
    let month_starts: Vec<usize> = (1..dates.len())
        .filter(|&i| dates[i].month() != dates[i - 1].month())
        .collect();
    for every in [1u32, 2, 3, 6, 12] {
        let picked: Vec<usize> = month_starts
            .iter()
            .copied()
            .filter(|&i| dates[i].month0().is_multiple_of(every))
            .collect();
        if picked.len() <= 10 || every == 12 {
            let format = if every == 12 { "%Y" } else { "%b %Y" };
            return picked
                .into_iter()
                .map(|i| (i, dates[i].format(format).to_string()))
                .collect();
        }
    }
    Vec::new()
}

pub(super) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_enclose_the_range() {
        assert_eq!(
            ticks(98_500.0, 137_000.0, 6),
            vec![
                90_000.0, 100_000.0, 110_000.0, 120_000.0, 130_000.0, 140_000.0
            ]
        );
        let t = ticks(-0.0671, 0.0, 3);
        assert!(t[0] <= -0.0671 && *t.last().unwrap() >= 0.0, "{t:?}");
        let flat = ticks(100_000.0, 100_000.0, 6);
        assert!(flat.len() >= 2 && flat[0] < 100_000.0, "{flat:?}");
    }

    #[test]
    fn percent_labels_have_the_decimals_their_step_needs() {
        assert_eq!(decimals_for(2.0), 0);
        assert_eq!(decimals_for(2.5), 1);
        assert_eq!(decimals_for(0.025), 3);
    }

    #[test]
    fn date_ticks_follow_the_span() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let short: Vec<NaiveDate> = (12..=25).map(|x| d(2024, 11, x)).collect();
        let t = date_ticks(&short);
        assert_eq!(t[0], (0, "Nov 12".to_owned()));
        assert!(t.len() <= 8);
        let long: Vec<NaiveDate> = (0..1000)
            .map(|i| d(2022, 1, 3) + chrono::Days::new(i))
            .collect();
        let t = date_ticks(&long);
        assert!(t.len() <= 10, "{t:?}");
        assert!(
            t.iter().any(|(_, l)| l == "Jan 2023" || l == "2023"),
            "{t:?}"
        );
    }
}
