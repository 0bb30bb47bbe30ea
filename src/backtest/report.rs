//! The backtest report: a Markdown or HTML page with the metrics, an SVG equity-curve and
//! drawdown chart, and the trade list as CSV. Output is a pure function of its inputs, so two
//! runs of the same backtest produce byte-identical files.

use super::metrics::{ClosedTrade, EquityPoint, Metrics, TradeStats};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::fmt::Write;

fn pct(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

fn opt_ratio(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.2}")).unwrap_or_else(|| "n/a".into())
}

fn opt_money(x: Option<Decimal>) -> String {
    x.map(|v| v.round_dp(2).to_string())
        .unwrap_or_else(|| "n/a".into())
}

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

/// An SVG chart: equity on top, drawdown (percent below the running peak) underneath.
pub fn equity_svg(curve: &[EquityPoint]) -> String {
    const W: f64 = 900.0;
    const H: f64 = 460.0;
    const LEFT: f64 = 70.0;
    const RIGHT: f64 = 20.0;
    const EQ_TOP: f64 = 30.0;
    const EQ_H: f64 = 270.0;
    const DD_TOP: f64 = 340.0;
    const DD_H: f64 = 90.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="#ffffff"/>"##
    );
    if curve.is_empty() {
        svg.push_str(r#"<text x="20" y="30">no data</text></svg>"#);
        return svg;
    }
    let eq: Vec<f64> = curve
        .iter()
        .map(|p| p.equity.to_f64().unwrap_or(0.0))
        .collect();
    let mut peak = f64::MIN;
    let dd: Vec<f64> = eq
        .iter()
        .map(|&e| {
            peak = peak.max(e);
            if peak > 0.0 { (e - peak) / peak } else { 0.0 }
        })
        .collect();
    let (lo, hi) = eq
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &e| (a.min(e), b.max(e)));
    let span = if hi > lo { hi - lo } else { 1.0 };
    let worst = dd.iter().copied().fold(0.0f64, f64::min).min(-1e-9);
    let n = (eq.len() - 1).max(1) as f64;
    let x = |i: usize| LEFT + (W - LEFT - RIGHT) * i as f64 / n;
    let y_eq = |e: f64| EQ_TOP + EQ_H * (1.0 - (e - lo) / span);
    let y_dd = |d: f64| DD_TOP + DD_H * (d / worst);

    let _ = write!(
        svg,
        r##"<text x="{LEFT}" y="18" font-weight="bold">Equity</text><text x="{LEFT}" y="{}" font-weight="bold">Drawdown</text>"##,
        DD_TOP - 10.0
    );
    let _ = write!(
        svg,
        r##"<line x1="{LEFT}" y1="{EQ_TOP}" x2="{LEFT}" y2="{}" stroke="#999"/><line x1="{LEFT}" y1="{DD_TOP}" x2="{LEFT}" y2="{}" stroke="#999"/>"##,
        EQ_TOP + EQ_H,
        DD_TOP + DD_H
    );
    let _ = write!(
        svg,
        r##"<text x="{}" y="{}" text-anchor="end">{hi:.0}</text><text x="{}" y="{}" text-anchor="end">{lo:.0}</text>"##,
        LEFT - 6.0,
        EQ_TOP + 4.0,
        LEFT - 6.0,
        EQ_TOP + EQ_H
    );
    let _ = write!(
        svg,
        r##"<text x="{}" y="{}" text-anchor="end">0%</text><text x="{}" y="{}" text-anchor="end">{:.1}%</text>"##,
        LEFT - 6.0,
        DD_TOP + 4.0,
        LEFT - 6.0,
        DD_TOP + DD_H,
        worst * 100.0
    );
    let points: String = eq
        .iter()
        .enumerate()
        .map(|(i, &e)| format!("{:.1},{:.1}", x(i), y_eq(e)))
        .collect::<Vec<_>>()
        .join(" ");
    let _ = write!(
        svg,
        r##"<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="{points}"/>"##
    );
    let mut area = format!("{:.1},{:.1}", x(0), DD_TOP);
    for (i, &d) in dd.iter().enumerate() {
        let _ = write!(area, " {:.1},{:.1}", x(i), y_dd(d));
    }
    let _ = write!(area, " {:.1},{:.1}", x(dd.len() - 1), DD_TOP);
    let _ = write!(
        svg,
        r##"<polygon fill="#d62728" fill-opacity="0.35" stroke="#d62728" points="{area}"/>"##
    );
    let first = curve[0].date;
    let last = curve[curve.len() - 1].date;
    let _ = write!(
        svg,
        r##"<text x="{LEFT}" y="{}">{first}</text><text x="{}" y="{}" text-anchor="end">{last}</text></svg>"##,
        H - 8.0,
        W - RIGHT,
        H - 8.0
    );
    svg
}

fn stats_rows(out: &mut String, name: &str, t: &TradeStats) {
    let _ = writeln!(
        out,
        "| {name} | {} | {} | {} | {} | {} | {} |",
        t.trades,
        t.win_rate.map(pct).unwrap_or_else(|| "n/a".into()),
        opt_money(t.avg_win),
        opt_money(t.avg_loss),
        opt_ratio(t.profit_factor),
        t.net_pnl.round_dp(2)
    );
}

/// The report as Markdown, embedding the chart from `chart_file` (a path relative to the report).
pub fn markdown(title: &str, m: &Metrics, chart_file: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {title}\n");
    let _ = writeln!(s, "{} to {}\n", m.start, m.end);
    let _ = writeln!(s, "![equity and drawdown]({chart_file})\n");
    let _ = writeln!(s, "| metric | value |\n| --- | --- |");
    let dd = m.max_drawdown.as_ref();
    for (k, v) in [
        ("Start equity", m.start_equity.round_dp(2).to_string()),
        ("End equity", m.end_equity.round_dp(2).to_string()),
        ("Total return", pct(m.total_return)),
        ("CAGR", m.cagr.map(pct).unwrap_or_else(|| "n/a".into())),
        ("Sharpe (daily, annualised)", opt_ratio(m.sharpe)),
        ("Sortino (daily, annualised)", opt_ratio(m.sortino)),
        (
            "Max drawdown",
            dd.map(|d| pct(d.depth)).unwrap_or_else(|| "0.00%".into()),
        ),
        (
            "Drawdown peak / trough / recovered",
            dd.map(|d| {
                format!(
                    "{} / {} / {}",
                    d.peak,
                    d.trough,
                    d.recovered
                        .map(|r| r.to_string())
                        .unwrap_or_else(|| "not yet".into())
                )
            })
            .unwrap_or_else(|| "n/a".into()),
        ),
        ("Exposure (days invested)", pct(m.exposure)),
    ] {
        let _ = writeln!(s, "| {k} | {v} |");
    }
    let _ = writeln!(
        s,
        "\n## Trades\n\n| strategy | trades | win rate | avg win | avg loss | profit factor | net P&L |\n| --- | --- | --- | --- | --- | --- | --- |"
    );
    stats_rows(&mut s, "all", &m.trades);
    for (name, t) in &m.per_strategy {
        stats_rows(&mut s, name, t);
    }
    if !m.exits_by_reason.is_empty() {
        let _ = writeln!(
            s,
            "\n## Exits by reason\n\n| exit | trades | win rate | avg win | avg loss | profit factor | net P&L |\n| --- | --- | --- | --- | --- | --- | --- |"
        );
        for (rule, t) in &m.exits_by_reason {
            stats_rows(&mut s, rule, t);
        }
    }
    s
}

/// The report as one self-contained HTML page with the SVG chart inline.
pub fn html(title: &str, m: &Metrics, svg: &str) -> String {
    let md = markdown(title, m, "");
    let mut body = String::new();
    let mut in_table = false;
    for line in md.lines() {
        if let Some(h) = line.strip_prefix("# ") {
            let _ = write!(body, "<h1>{}</h1>", escape(h));
        } else if let Some(h) = line.strip_prefix("## ") {
            let _ = write!(body, "<h2>{}</h2>", escape(h));
        } else if line.starts_with("![") {
            body.push_str(svg);
        } else if line.starts_with('|') {
            if line.contains("---") {
                continue;
            }
            if !in_table {
                body.push_str("<table>");
                in_table = true;
            }
            body.push_str("<tr>");
            for cell in line.trim_matches('|').split('|') {
                let _ = write!(body, "<td>{}</td>", escape(cell.trim()));
            }
            body.push_str("</tr>");
        } else {
            if in_table {
                body.push_str("</table>");
                in_table = false;
            }
            if !line.trim().is_empty() {
                let _ = write!(body, "<p>{}</p>", escape(line));
            }
        }
    }
    if in_table {
        body.push_str("</table>");
    }
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{}</title><style>body{{font-family:sans-serif;max-width:960px;margin:2em auto}}td{{padding:2px 10px;border-bottom:1px solid #ddd}}</style></head><body>{body}</body></html>\n",
        escape(title)
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backtest::metrics::compute;
    use chrono::NaiveDate;
    use rust_decimal_macros::dec;

    fn curve() -> Vec<EquityPoint> {
        [
            (1, dec!(100)),
            (2, dec!(110)),
            (3, dec!(99)),
            (4, dec!(121)),
        ]
        .iter()
        .map(|&(d, e)| EquityPoint {
            date: NaiveDate::from_ymd_opt(2024, 1, d).unwrap(),
            equity: e,
            invested: true,
        })
        .collect()
    }

    #[test]
    fn svg_has_both_panels_and_is_deterministic() {
        let a = equity_svg(&curve());
        assert!(a.starts_with("<svg") && a.ends_with("</svg>"));
        assert!(a.contains("<polyline") && a.contains("<polygon"));
        assert!(a.contains("-10.0%"), "worst drawdown label");
        assert_eq!(a, equity_svg(&curve()));
        assert!(equity_svg(&[]).contains("no data"));
    }

    #[test]
    fn markdown_and_html_show_the_metrics() {
        let m = compute(&curve(), &[]).unwrap();
        let md = markdown("SMA test", &m, "equity.svg");
        assert!(md.contains("| Total return | 21.00% |"), "{md}");
        assert!(md.contains("| Max drawdown | 10.00% |"));
        assert!(md.contains("2024-01-02 / 2024-01-03 / 2024-01-04"));
        assert!(md.contains("![equity and drawdown](equity.svg)"));
        let h = html("SMA <test>", &m, &equity_svg(&curve()));
        assert!(h.contains("<title>SMA &lt;test&gt;</title>"));
        assert!(h.contains("<svg") && h.contains("<td>Total return</td><td>21.00%</td>"));
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
}
