use super::*;
use crate::OrderSide;
use crate::backtest::metrics::{EquityPoint, compute};
use crate::backtest::sim::{SimConfig, SimFill};
use crate::backtest::summary::{OpenPosition, SignalFunnel, SkipCount};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::America::New_York;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::collections::BTreeMap;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 11, d).unwrap()
}

fn at(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    New_York
        .from_local_datetime(&day(d).and_hms_opt(h, m, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

/// Ten sessions: two round trips (one closed by the strategy's signal, one by a target), one
/// position still open, a strategy whose options were mostly too small to buy, and a strategy
/// that entered once and never closed.
fn result(generated_warning: bool) -> BacktestResult {
    let sessions = [12, 13, 14, 15, 18, 19, 20, 21, 22, 25];
    let values = [
        dec!(100000),
        dec!(100150.5),
        dec!(99800),
        dec!(100420.25),
        dec!(100900),
        dec!(100610),
        dec!(101250.75),
        dec!(101100),
        dec!(101530),
        dec!(101605.32),
    ];
    let equity: Vec<EquityPoint> = sessions
        .iter()
        .zip(values)
        .map(|(&d, e)| EquityPoint {
            date: day(d),
            equity: e,
            invested: true,
        })
        .collect();
    let benchmark: Vec<EquityPoint> = sessions
        .iter()
        .enumerate()
        .map(|(i, &d)| EquityPoint {
            date: day(d),
            equity: dec!(100000) + Decimal::from(i as i64 * 120),
            invested: true,
        })
        .collect();
    let trades = vec![
        ClosedTrade {
            strategy: "daily_trend".into(),
            symbol: "SPY".into(),
            qty: dec!(104),
            entry_time: at(13, 9, 30),
            entry_price: dec!(96.13),
            exit_time: at(19, 9, 30),
            exit_price: dec!(103.29),
            pnl: dec!(744.6400000000000000000000001),
            exit_reason: "exit signal e4921bd8c0ffee00112233445566778".into(),
            exit_rule: "signal".into(),
        },
        ClosedTrade {
            strategy: "bear_trap".into(),
            symbol: "COIN".into(),
            qty: dec!(40),
            entry_time: at(21, 12, 18),
            entry_price: dec!(123.09),
            exit_time: at(22, 14, 21),
            exit_price: dec!(132.87),
            pnl: dec!(391.20),
            exit_reason: "target hit: underlying 132.87 through target 132.7860".into(),
            exit_rule: "target".into(),
        },
    ];
    let open_positions = vec![OpenPosition {
        strategy: "hourly_swing".into(),
        symbol: "NVDA".into(),
        qty: dec!(35),
        entry_time: at(20, 11, 0),
        entry_price: dec!(140.5),
        mark: Some(dec!(154.5)),
        pnl: Some(dec!(490)),
    }];
    let mut funnels = BTreeMap::new();
    funnels.insert(
        "strat_options".to_owned(),
        SignalFunnel {
            signals: 146,
            entries: 146,
            exits: 0,
            executed: 55,
            skipped: BTreeMap::from([(
                "too_small".to_owned(),
                SkipCount {
                    count: 91,
                    example: "too small: premium 412.00 per contract exceeds max capital 300"
                        .into(),
                },
            )]),
            unsent: 0,
            failed: 0,
            unresolved: 0,
        },
    );
    funnels.insert(
        "hourly_swing".to_owned(),
        SignalFunnel {
            signals: 1,
            entries: 1,
            executed: 1,
            ..SignalFunnel::default()
        },
    );
    funnels.insert(
        "daily_trend".to_owned(),
        SignalFunnel {
            signals: 2,
            entries: 1,
            exits: 1,
            executed: 2,
            ..SignalFunnel::default()
        },
    );
    let fills = vec![SimFill {
        time: at(13, 9, 30),
        order_id: "1".into(),
        symbol: "SPY".into(),
        side: OrderSide::Buy,
        qty: dec!(104),
        price: dec!(96.13),
        commission: dec!(0),
    }];
    let metrics = compute(&equity, &trades);
    BacktestResult {
        equity,
        trades,
        fills,
        metrics,
        bars: 19_500,
        signals: 149,
        executed: 58,
        warnings: if generated_warning {
            vec!["no strategy watches GLD: their bars only move the clock".into()]
        } else {
            Vec::new()
        },
        funnels,
        open_positions,
        benchmark,
        symbols: vec!["COIN".into(), "NVDA".into(), "SPY".into()],
        sim: SimConfig::default(),
    }
}

fn info() -> ReportInfo {
    ReportInfo {
        title: "Signal daemon backtest: intraday".into(),
        data_source: "generated sample data (seed 42)".into(),
        generated_data: true,
        assumptions: vec![(
            "Sizing".into(),
            "daily_trend: 10% of equity per position".into(),
        )],
    }
}

/// The text a reader sees: tags stripped.
fn visible(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn no_long_digit_runs(text: &str) {
    for word in text.split(|c: char| !c.is_ascii_digit()) {
        assert!(
            word.len() <= 10,
            "an unformatted number ({word}) in the report"
        );
    }
}

#[test]
fn the_chart_has_axes_in_dates_and_dollars_the_benchmark_and_a_marker_per_entry_and_exit() {
    let r = result(false);
    let svg = equity_svg(&r.equity, &r.benchmark, &r.trades, &r.open_positions);
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    assert_eq!(svg.matches("class=\"equity\"").count(), 1);
    assert_eq!(svg.matches("class=\"benchmark\"").count(), 1);
    assert_eq!(svg.matches("class=\"drawdown\"").count(), 1);
    assert_eq!(svg.matches("class=\"marker entry\"").count(), 2);
    assert_eq!(svg.matches("class=\"marker entry open\"").count(), 1);
    assert!(svg.contains("hourly_swing NVDA: bought 35 at $140.50 on 2024-11-20, still open"));
    assert_eq!(svg.matches("class=\"marker exit\"").count(), 2);
    let y_labels: Vec<&str> = svg
        .split("class=\"axis-y\"")
        .skip(1)
        .map(|s| &s[s.find('>').unwrap() + 1..s.find("</text>").unwrap()])
        .collect();
    assert!(y_labels.len() >= 3, "{y_labels:?}");
    assert!(
        y_labels
            .iter()
            .all(|l| l.starts_with('$') && l.contains(',')),
        "dollar ticks with thousands separators: {y_labels:?}"
    );
    let x_labels: Vec<&str> = svg
        .split("class=\"axis-x\"")
        .skip(1)
        .map(|s| &s[s.find('>').unwrap() + 1..s.find("</text>").unwrap()])
        .collect();
    assert_eq!(x_labels.first(), Some(&"Nov 12"), "{x_labels:?}");
    assert!(
        svg.contains("class=\"axis-dd\""),
        "drawdown axis in percent"
    );
    assert!(svg.contains("Buy and hold"), "legend names the benchmark");
    // Hovering an exit says what happened, in words.
    assert!(
        svg.contains("P&amp;L +$744.64 (the strategy&apos;s exit signal)")
            || svg.contains("P&amp;L +$744.64 (the strategy's exit signal)"),
        "{svg}"
    );
    assert_eq!(
        svg,
        equity_svg(&r.equity, &r.benchmark, &r.trades, &r.open_positions)
    );
    assert!(equity_svg(&[], &[], &[], &[]).contains("no sessions"));
    // Without a benchmark the chart still draws, without its line.
    assert!(!equity_svg(&r.equity, &[], &r.trades, &[]).contains("class=\"benchmark\""));
}

#[test]
fn the_html_report_shows_what_the_old_one_hid() {
    let r = result(true);
    let svg = equity_svg(&r.equity, &r.benchmark, &r.trades, &r.open_positions);
    let h = html(&info(), &r, &svg);
    assert!(h.starts_with("<!doctype html>"));
    assert!(h.contains("<title>Signal daemon backtest: intraday</title>"));
    for id in [
        "equity",
        "performance",
        "reconciliation",
        "strategies",
        "skipped",
        "exits",
        "open-positions",
        "assumptions",
        "trades",
        "warnings",
    ] {
        assert!(
            h.contains(&format!("<section id=\"{id}\">")),
            "section {id}"
        );
    }
    assert!(h.contains("<figure><svg"), "the chart is inline");
    let text = visible(&h);
    // The data's origin, loudly when generated.
    assert!(h.contains("class=\"banner\"") && text.contains("Generated sample data"));
    // Every strategy, with or without round trips, and the skips by reason.
    for s in ["daily_trend", "bear_trap", "hourly_swing", "strat_options"] {
        assert!(text.contains(s), "{s} is listed");
    }
    assert!(
        text.contains("too small") && text.contains("91 of 146 signals (62.33%)"),
        "{text}"
    );
    assert!(text.contains("premium 412.00 per contract exceeds max capital 300"));
    // The open position with its mark, and a reconciliation that adds up.
    assert!(text.contains("NVDA") && text.contains("$154.50") && text.contains("+$490.00"));
    assert!(text.contains("Closed round trips (2)") && text.contains("+$1,135.84"));
    assert!(text.contains("Change in equity") && text.contains("+$1,605.32"));
    assert!(
        text.contains("Not explained by the trades above"),
        "1,605.32 - 1,135.84 - 490.00 = -20.52 is shown, not hidden"
    );
    assert!(text.contains("-$20.52"));
    // Short runs are not annualised, and say so.
    assert!(
        text.contains("not annualised, the run spans 13 days"),
        "{text}"
    );
    assert!(text.contains("not annualised, 10 sessions (needs 126)"));
    // Assumptions: the simulator's and the caller's.
    for a in [
        "Market orders",
        "Commission",
        "Slippage",
        "Option prices",
        "Black-Scholes",
        "Benchmark",
        "split equally across the 3 symbols",
        "daily_trend: 10% of equity per position",
    ] {
        assert!(text.contains(a), "assumption {a}");
    }
    // Exits grouped by what closed them, in words.
    let exits = &h[h.find("<section id=\"exits\">").unwrap()..];
    let exits = visible(&exits[..exits.find("</section>").unwrap()]);
    assert!(
        exits.contains("the strategy's exit signal") && exits.contains("target"),
        "{exits}"
    );
    // The trade list, with exit reasons in words and money formatted.
    assert!(text.contains("the strategy's exit signal"));
    assert!(!text.contains("e4921bd8"), "no signal ids as exit reasons");
    assert!(text.contains("$96.13") && text.contains("+$744.64"));
    assert!(text.contains("2024-11-21 12:18"), "New York times");
    assert!(text.contains("no strategy watches GLD"));
    no_long_digit_runs(&text);
    assert_eq!(h, html(&info(), &r, &svg), "deterministic");
}

#[test]
fn markdown_carries_the_same_content() {
    let r = result(false);
    let md = markdown(&info(), &r, "equity.svg");
    assert!(md.starts_with("# Signal daemon backtest: intraday\n"));
    assert!(md.contains("> **Generated sample data"));
    assert!(md.contains("](equity.svg)"));
    assert!(md.contains("## Strategies: from signals to P&L"));
    assert!(
        md.contains(
            "| hourly\\_swing | 1 (1 in, 0 out) | 1 | 0 | 0 | 0 | n/a | $0.00 | 1 (+$490.00) |"
        ),
        "{md}"
    );
    assert!(
        md.contains("| strat\\_options | too small | 91 of 146 signals (62.33%) |"),
        "{md}"
    );
    assert!(
        md.contains("| **Change in equity** | **+$1,605.32** |"),
        "{md}"
    );
    assert!(md.contains("| entry (New York) |") || md.contains("entry (New York)"));
    no_long_digit_runs(&md);
    // Without a generated-data flag there is no banner.
    let real = ReportInfo {
        generated_data: false,
        data_source: "Alpaca daily bars".into(),
        ..info()
    };
    let md = markdown(&real, &r, "equity.svg");
    assert!(!md.contains("Generated sample data") && md.contains("Alpaca daily bars"));
}

#[test]
fn a_run_without_sessions_says_so() {
    let mut r = result(false);
    r.equity.clear();
    r.metrics = None;
    let h = html(&info(), &r, &equity_svg(&[], &[], &[], &[]));
    assert!(visible(&h).contains("No sessions were replayed."));
    assert!(markdown(&info(), &r, "equity.svg").contains("No sessions were replayed."));
}

#[test]
fn trades_csv_quotes_fields() {
    let t = chrono::DateTime::parse_from_rfc3339("2024-01-02T14:30:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let csv = trades_csv(&[ClosedTrade {
        strategy: "trend".into(),
        symbol: "SPY".into(),
        qty: dec!(10),
        entry_time: t,
        entry_price: dec!(470.5),
        exit_time: t,
        exit_price: dec!(480),
        pnl: dec!(95),
        exit_reason: "target, hit".into(),
        exit_rule: "target".into(),
    }]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[1],
        "trend,SPY,10,2024-01-02T14:30:00+00:00,470.5,2024-01-02T14:30:00+00:00,480,95,target,\"target, hit\""
    );
}

#[test]
fn exit_reasons_read_as_words() {
    assert_eq!(
        exit_reason_words("exit signal 1bf9e9ec03fe843fe02bab538e1687eb"),
        "the strategy's exit signal"
    );
    assert_eq!(exit_reason_words(""), "no reason recorded");
    assert_eq!(exit_rule_words("expired"), "expired worthless");
    assert_eq!(exit_rule_words("max_loss"), "maximum loss on the premium");
    assert_eq!(exit_rule_words("other"), "no rule recorded");
    assert_eq!(exit_rule_words("some_new_rule"), "some new rule");
    assert_eq!(
        exit_reason_words("max loss: -60.92% against a limit of -50%"),
        "max loss: -60.92% against a limit of -50%"
    );
}
