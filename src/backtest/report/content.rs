//! What the report says, independent of how it is rendered: the figures, tables and notes,
//! built once from a [`BacktestResult`] and written out as Markdown and HTML by `render`.

use crate::backtest::format::{money, percent, signed_money, signed_percent};
use crate::backtest::metrics::{
    ClosedTrade, MIN_DAYS_FOR_CAGR, MIN_SESSIONS_FOR_RATIOS, Metrics, TradeStats,
};
use crate::backtest::runner::BacktestResult;
use crate::backtest::sim::options::VolatilityModel;
use crate::backtest::sim::{MarketFill, OptionModel, SimConfig};
use crate::backtest::summary::SignalFunnel;
use chrono::{DateTime, Utc};
use chrono_tz::America::New_York;
use rust_decimal::Decimal;
use std::collections::BTreeSet;

/// What the caller knows that the result does not: the title, where the bars came from, and
/// the rules it configured (sizing, limits), stated in the report as assumptions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportInfo {
    /// The page title.
    pub title: String,
    /// Where the bars came from, in words (e.g. "Alpaca daily bars, split- and
    /// dividend-adjusted"). Empty: not stated.
    pub data_source: String,
    /// The bars are generated, not market history: the report says so in a banner at the top.
    pub generated_data: bool,
    /// Further assumptions as (topic, statement): sizing rules, limits, exit rules.
    pub assumptions: Vec<(String, String)>,
}

impl ReportInfo {
    /// A report titled `title`, saying nothing about the data's origin.
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            ..Self::default()
        }
    }
}

/// A trade's exit reason in words. The engine records exits the strategy asked for as
/// `exit signal <signal id>`, which means nothing to a reader; everything else it records is
/// already a sentence (the exit rule and its levels).
pub fn exit_reason_words(reason: &str) -> String {
    let reason = reason.trim();
    if reason.is_empty() {
        "no reason recorded".into()
    } else if reason.starts_with("exit signal") {
        "the strategy's exit signal".into()
    } else {
        reason.to_owned()
    }
}

/// An exit rule ([`ClosedTrade::exit_rule`]) in words, for the table of exits by reason.
pub fn exit_rule_words(rule: &str) -> String {
    match rule {
        "signal" => "the strategy's exit signal".into(),
        "dte" => "days to expiry".into(),
        "stop" => "stop".into(),
        "target" => "target".into(),
        "max_loss" => "maximum loss on the premium".into(),
        "max_profit" => "maximum profit on the premium".into(),
        "time" => "time exit before the close".into(),
        "trailing" => "trailing stop".into(),
        "manual" => "closed by hand".into(),
        "expired" => "expired worthless".into(),
        "exercised" => "exercised".into(),
        "assigned" => "assigned".into(),
        "cash_settled" => "cash-settled at expiry".into(),
        "delivered" => "shares delivered on an exercise or assignment".into(),
        "external" => "closed outside the engine".into(),
        "other" | "" => "no rule recorded".into(),
        other => other.replace('_', " "),
    }
}

/// How a figure reads: gains green, losses red, remarks grey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tone {
    Plain,
    Gain,
    Loss,
    Muted,
}

impl Tone {
    fn of(d: Decimal) -> Tone {
        match d.cmp(&Decimal::ZERO) {
            std::cmp::Ordering::Greater => Tone::Gain,
            std::cmp::Ordering::Less => Tone::Loss,
            std::cmp::Ordering::Equal => Tone::Plain,
        }
    }
}

/// One table cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Cell {
    pub text: String,
    pub tone: Tone,
}

fn plain(text: impl Into<String>) -> Cell {
    Cell {
        text: text.into(),
        tone: Tone::Plain,
    }
}

fn muted(text: impl Into<String>) -> Cell {
    Cell {
        text: text.into(),
        tone: Tone::Muted,
    }
}

fn pnl(d: Decimal) -> Cell {
    Cell {
        text: signed_money(d),
        tone: Tone::of(d),
    }
}

/// A table; `numeric[i]` right-aligns column `i`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Table {
    pub class: &'static str,
    pub head: Vec<&'static str>,
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<Cell>>,
    pub foot: Option<Vec<Cell>>,
}

/// A section's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Block {
    /// The equity chart.
    Chart,
    /// A table.
    Table(Table),
    /// Label and value pairs.
    Facts(Vec<(String, Cell)>),
    /// A paragraph.
    Para(String),
}

/// A titled part of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Section {
    pub id: &'static str,
    pub title: String,
    pub blocks: Vec<Block>,
}

/// A headline figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Kpi {
    pub label: &'static str,
    pub value: Cell,
    pub note: String,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Doc {
    pub title: String,
    pub subtitle: String,
    pub banner: Option<String>,
    pub kpis: Vec<Kpi>,
    pub sections: Vec<Section>,
}

const GENERATED_BANNER: &str = "Generated sample data, not market history. These figures show how \
     the strategies and the engine behave on a seeded random walk; they say nothing about what \
     the strategies would have earned.";

/// Builds the report's content.
pub(super) fn build(info: &ReportInfo, r: &BacktestResult) -> Doc {
    let banner = info.generated_data.then(|| GENERATED_BANNER.to_owned());
    let Some(m) = &r.metrics else {
        return Doc {
            title: info.title.clone(),
            subtitle: "No sessions were replayed.".into(),
            banner,
            kpis: Vec::new(),
            sections: warnings(r).into_iter().collect(),
        };
    };
    let mut subtitle = format!("{} to {} · {} sessions", m.start, m.end, m.sessions);
    if !info.data_source.is_empty() {
        subtitle.push_str(" · ");
        subtitle.push_str(&info.data_source);
    }
    let mut sections = vec![
        Section {
            id: "equity",
            title: "Equity".into(),
            blocks: vec![Block::Chart],
        },
        performance(m, r),
        reconciliation(m, r),
        strategies(m, r),
        skipped(r),
        exits(m),
        open_positions(r),
        assumptions(info, r),
        trades(&r.trades),
    ];
    sections.extend(warnings(r));
    Doc {
        title: info.title.clone(),
        subtitle,
        banner,
        kpis: kpis(m, r),
        sections,
    }
}

fn benchmark_return(r: &BacktestResult) -> Option<(Decimal, f64)> {
    let first = r.benchmark.first()?.equity;
    let last = r.benchmark.last()?.equity;
    if first <= Decimal::ZERO {
        return None;
    }
    let ret = crate::num::to_f64(last) / crate::num::to_f64(first) - 1.0;
    Some((last, ret))
}

fn unrealised(r: &BacktestResult) -> Decimal {
    r.open_positions.iter().filter_map(|p| p.pnl).sum()
}

fn kpis(m: &Metrics, r: &BacktestResult) -> Vec<Kpi> {
    let change = m.end_equity - m.start_equity;
    let mut k = vec![
        Kpi {
            label: "End equity",
            value: plain(money(m.end_equity)),
            note: format!("from {}", money(m.start_equity)),
        },
        Kpi {
            label: "Return",
            value: Cell {
                text: signed_percent(m.total_return),
                tone: Tone::of(change),
            },
            note: signed_money(change),
        },
    ];
    if let Some((_, ret)) = benchmark_return(r) {
        k.push(Kpi {
            label: "Buy and hold",
            value: Cell {
                text: signed_percent(ret),
                tone: if ret > 0.0 {
                    Tone::Gain
                } else if ret < 0.0 {
                    Tone::Loss
                } else {
                    Tone::Plain
                },
            },
            note: "same symbols, equal weights".into(),
        });
    }
    k.push(Kpi {
        label: "Max drawdown",
        value: plain(
            m.max_drawdown
                .as_ref()
                .map_or("0.00%".into(), |d| percent(d.depth)),
        ),
        note: m
            .max_drawdown
            .as_ref()
            .map_or("equity never fell".into(), |d| format!("peak {}", d.peak)),
    });
    k.push(Kpi {
        label: "Round trips",
        value: plain(m.trades.trades.to_string()),
        note: m.trades.win_rate.map_or("none completed".into(), |w| {
            format!("win rate {}", percent(w))
        }),
    });
    k.push(Kpi {
        label: "Open at the end",
        value: plain(r.open_positions.len().to_string()),
        note: format!("unrealised {}", signed_money(unrealised(r))),
    });
    k
}

fn performance(m: &Metrics, r: &BacktestResult) -> Section {
    let days = (m.end - m.start).num_days();
    let mut facts = vec![
        (
            "Period".to_owned(),
            plain(format!(
                "{} to {} ({} sessions, {days} days)",
                m.start, m.end, m.sessions
            )),
        ),
        ("Start equity".into(), plain(money(m.start_equity))),
        ("End equity".into(), plain(money(m.end_equity))),
        (
            "Total return".into(),
            Cell {
                text: format!(
                    "{} ({})",
                    signed_percent(m.total_return),
                    signed_money(m.end_equity - m.start_equity)
                ),
                tone: Tone::of(m.end_equity - m.start_equity),
            },
        ),
    ];
    if let Some((end, ret)) = benchmark_return(r) {
        facts.push((
            "Buy and hold of the same symbols".into(),
            plain(format!("{} ({})", signed_percent(ret), money(end))),
        ));
    }
    let short = |what: String| muted(format!("n/a: {what}"));
    facts.push((
        "CAGR".into(),
        match m.cagr {
            Some(c) => plain(percent(c)),
            None if days < MIN_DAYS_FOR_CAGR => short(format!(
                "not annualised, the run spans {days} days (needs a year)"
            )),
            None => muted("n/a"),
        },
    ));
    let ratio = |v: Option<f64>, missing: &str| match v {
        Some(x) => plain(format!("{x:.2}")),
        None if m.sessions < MIN_SESSIONS_FOR_RATIOS => short(format!(
            "not annualised, {} sessions (needs {MIN_SESSIONS_FOR_RATIOS})",
            m.sessions
        )),
        None => muted(format!("n/a: {missing}")),
    };
    facts.push((
        "Sharpe (daily, annualised)".into(),
        ratio(m.sharpe, "equity never changed"),
    ));
    facts.push((
        "Sortino (daily, annualised)".into(),
        ratio(m.sortino, "no losing session"),
    ));
    facts.push((
        "Max drawdown".into(),
        match &m.max_drawdown {
            Some(d) => plain(format!(
                "{} (peak {}, trough {}, {})",
                percent(d.depth),
                d.peak,
                d.trough,
                d.recovered
                    .map_or("not recovered".to_owned(), |x| format!("recovered {x}"))
            )),
            None => plain("none: equity never fell below a previous close"),
        },
    ));
    facts.push((
        "Exposure".into(),
        plain(format!(
            "{} of sessions ended with a position open",
            percent(m.exposure)
        )),
    ));
    Section {
        id: "performance",
        title: "Performance".into(),
        blocks: vec![Block::Facts(facts)],
    }
}

fn reconciliation(m: &Metrics, r: &BacktestResult) -> Section {
    let closed: Decimal = r.trades.iter().map(|t| t.pnl).sum();
    let open = unrealised(r);
    let commissions: Decimal = r.fills.iter().map(|f| f.commission).sum();
    let change = m.end_equity - m.start_equity;
    let other = change - closed - open + commissions;
    let mut rows = vec![
        vec![
            plain(format!("Closed round trips ({})", r.trades.len())),
            pnl(closed),
        ],
        vec![
            plain(format!(
                "Open positions at their last marks ({})",
                r.open_positions.len()
            )),
            pnl(open),
        ],
        vec![plain("Commissions"), pnl(-commissions)],
    ];
    if !other.is_zero() {
        rows.push(vec![
            plain(
                "Not explained by the trades above (e.g. positions the store no longer \
                 tracks, options settled at expiry)",
            ),
            pnl(other),
        ]);
    }
    Section {
        id: "reconciliation",
        title: "Where the change in equity comes from".into(),
        blocks: vec![Block::Table(Table {
            class: "reconciliation",
            head: vec!["", "amount"],
            numeric: vec![false, true],
            rows,
            foot: Some(vec![plain("Change in equity"), pnl(change)]),
        })],
    }
}

fn strategies(m: &Metrics, r: &BacktestResult) -> Section {
    let names: BTreeSet<&String> = r
        .funnels
        .keys()
        .chain(m.per_strategy.keys())
        .chain(r.open_positions.iter().map(|p| &p.strategy))
        .collect();
    let empty_funnel = SignalFunnel::default();
    let empty_stats = TradeStats::default();
    let mut rows = Vec::new();
    for name in names {
        let f = r.funnels.get(name).unwrap_or(&empty_funnel);
        let t = m.per_strategy.get(name).unwrap_or(&empty_stats);
        let open: Vec<_> = r
            .open_positions
            .iter()
            .filter(|p| &p.strategy == name)
            .collect();
        let open_pnl: Decimal = open.iter().filter_map(|p| p.pnl).sum();
        rows.push(vec![
            plain(name.as_str()),
            plain(format!("{} ({} in, {} out)", f.signals, f.entries, f.exits)),
            plain(f.executed.to_string()),
            plain(f.skipped_total().to_string()),
            plain((f.unsent + f.failed + f.unresolved).to_string()),
            plain(t.trades.to_string()),
            plain(t.win_rate.map_or("n/a".into(), percent)),
            pnl(t.net_pnl),
            if open.is_empty() {
                muted("none")
            } else {
                Cell {
                    text: format!("{} ({})", open.len(), signed_money(open_pnl)),
                    tone: Tone::of(open_pnl),
                }
            },
        ]);
    }
    let mut blocks = vec![Block::Table(Table {
        class: "strategies",
        head: vec![
            "strategy",
            "signals",
            "executed",
            "skipped",
            "not placed",
            "round trips",
            "win rate",
            "net P&L",
            "open at the end",
        ],
        numeric: vec![false, true, true, true, true, true, true, true, true],
        rows,
        foot: None,
    })];
    blocks.push(Block::Para(
        "Signals are what each strategy asked for; executed ones placed an order, skipped ones \
         were refused by a rule (see below); not placed: queued for an open the data never \
         reached, failed or unresolved."
            .into(),
    ));
    Section {
        id: "strategies",
        title: "Strategies: from signals to P&L".into(),
        blocks,
    }
}

fn skipped(r: &BacktestResult) -> Section {
    let mut rows = Vec::new();
    for (name, f) in &r.funnels {
        let mut reasons: Vec<_> = f.skipped.iter().collect();
        reasons.sort_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(b.0)));
        for (reason, c) in reasons {
            rows.push(vec![
                plain(name.as_str()),
                plain(reason.replace('_', " ")),
                plain(format!(
                    "{} of {} signals ({})",
                    c.count,
                    f.signals,
                    percent(c.count as f64 / f.signals.max(1) as f64)
                )),
                muted(c.example.clone()),
            ]);
        }
    }
    let blocks = if rows.is_empty() {
        vec![Block::Para("No signal was skipped.".into())]
    } else {
        vec![Block::Table(Table {
            class: "skips",
            head: vec!["strategy", "reason", "skipped", "for example"],
            numeric: vec![false, false, true, false],
            rows,
            foot: None,
        })]
    };
    Section {
        id: "skipped",
        title: "Why signals were skipped".into(),
        blocks,
    }
}

fn exits(m: &Metrics) -> Section {
    let mut rows: Vec<(&String, &TradeStats)> = m.exits_by_reason.iter().collect();
    rows.sort_by(|a, b| b.1.trades.cmp(&a.1.trades).then_with(|| a.0.cmp(b.0)));
    let blocks = if rows.is_empty() {
        vec![Block::Para("No round trip was completed.".into())]
    } else {
        vec![Block::Table(Table {
            class: "exits",
            head: vec![
                "exit",
                "round trips",
                "win rate",
                "avg win",
                "avg loss",
                "net P&L",
            ],
            numeric: vec![false, true, true, true, true, true],
            rows: rows
                .into_iter()
                .map(|(rule, t)| {
                    vec![
                        plain(exit_rule_words(rule)),
                        plain(t.trades.to_string()),
                        plain(t.win_rate.map_or("n/a".into(), percent)),
                        t.avg_win.map_or(muted("n/a"), pnl),
                        t.avg_loss.map_or(muted("n/a"), pnl),
                        pnl(t.net_pnl),
                    ]
                })
                .collect(),
            foot: None,
        })]
    };
    Section {
        id: "exits",
        title: "Exits by reason".into(),
        blocks,
    }
}

fn when(t: DateTime<Utc>) -> String {
    t.with_timezone(&New_York)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn open_positions(r: &BacktestResult) -> Section {
    let blocks = if r.open_positions.is_empty() {
        vec![Block::Para(
            "None: every position was closed before the data ended.".into(),
        )]
    } else {
        let rows = r
            .open_positions
            .iter()
            .map(|p| {
                vec![
                    plain(p.strategy.as_str()),
                    plain(p.symbol.as_str()),
                    plain(p.qty.normalize().to_string()),
                    plain(when(p.entry_time)),
                    plain(money(p.entry_price)),
                    p.mark.map_or(muted("no price"), |x| plain(money(x))),
                    p.pnl.map_or(muted("n/a"), pnl),
                ]
            })
            .collect();
        vec![
            Block::Table(Table {
                class: "open",
                head: vec![
                    "strategy",
                    "symbol",
                    "qty",
                    "opened (New York)",
                    "entry",
                    "last mark",
                    "unrealised P&L",
                ],
                numeric: vec![false, false, true, false, true, true, true],
                rows,
                foot: None,
            }),
            Block::Para(
                "Marks are the last close (options: the simulator's model price). These \
                 positions are in the final equity but in no round trip."
                    .into(),
            ),
        ]
    };
    Section {
        id: "open-positions",
        title: "Positions open at the end".into(),
        blocks,
    }
}

fn sim_assumptions(sim: &SimConfig, symbols: usize) -> Vec<(String, Cell)> {
    let market = match sim.market_fill {
        MarketFill::NextOpen => {
            "fill at the open of the symbol's next bar; a signal on a daily bar comes after \
             the close and fills at the next session's open"
        }
        MarketFill::SameClose => "fill at once at the last close",
    };
    let bps = sim.slippage_bps.normalize();
    vec![
        (
            "Account".into(),
            plain(format!(
                "{} of cash, no margin; no interest, dividends or borrow costs",
                money(sim.starting_cash)
            )),
        ),
        ("Market orders".into(), plain(market)),
        (
            "Limit and stop orders".into(),
            plain(
                "fill when a later bar trades through the price, at the price, or at the \
                 bar's open when it gaps through",
            ),
        ),
        (
            "Commission".into(),
            plain(format!(
                "{} per share, {} per option contract",
                money(sim.commission_per_share),
                money(sim.commission_per_contract)
            )),
        ),
        (
            "Slippage".into(),
            plain(if bps.is_zero() {
                "none".to_owned()
            } else {
                format!("{bps} basis points against the trader on every fill")
            }),
        ),
        ("Option prices".into(), plain(option_prices(&sim.options))),
        (
            "Benchmark".into(),
            plain(format!(
                "the starting equity split equally across the {symbols} symbols replayed, each \
                 bought at its first session's close and held; no costs"
            )),
        ),
    ]
}

/// The simulator's option model in words.
fn option_prices(o: &OptionModel) -> String {
    let pct = |x: f64| format!("{:.0}%", x * 100.0);
    let volatility = match o.volatility {
        VolatilityModel::Fixed(v) => format!("{} volatility for every contract", pct(v)),
        VolatilityModel::Realized {
            window,
            floor,
            initial,
        } => format!(
            "the underlying's realised volatility over {window} sessions (at least {}, {} until \
             known)",
            pct(floor),
            pct(initial)
        ),
    };
    format!(
        "Black-Scholes from the underlying's last price with {volatility}, a {:.1}% rate; bid and \
         ask {} of the model price apart (at least {}); at expiry, contracts in the money are \
         exercised or assigned by Alpaca's rules and the rest expire worthless",
        o.rate * 100.0,
        percent(crate::num::to_f64(o.spread.fraction)),
        money(o.spread.min)
    )
}

fn assumptions(info: &ReportInfo, r: &BacktestResult) -> Section {
    let mut facts = Vec::new();
    if !info.data_source.is_empty() {
        facts.push(("Data".to_owned(), plain(info.data_source.as_str())));
    }
    facts.extend(sim_assumptions(&r.sim, r.symbols.len()));
    facts.extend(
        info.assumptions
            .iter()
            .map(|(k, v)| (k.clone(), plain(v.as_str()))),
    );
    Section {
        id: "assumptions",
        title: "Assumptions".into(),
        blocks: vec![Block::Facts(facts)],
    }
}

fn trades(trades: &[ClosedTrade]) -> Section {
    let blocks = if trades.is_empty() {
        vec![Block::Para("No round trip was completed.".into())]
    } else {
        let rows = trades
            .iter()
            .enumerate()
            .map(|(i, t)| {
                vec![
                    plain((i + 1).to_string()),
                    plain(t.strategy.as_str()),
                    plain(t.symbol.as_str()),
                    plain(t.qty.normalize().to_string()),
                    plain(when(t.entry_time)),
                    plain(money(t.entry_price)),
                    plain(when(t.exit_time)),
                    plain(money(t.exit_price)),
                    pnl(t.pnl),
                    plain(exit_reason_words(&t.exit_reason)),
                ]
            })
            .collect();
        vec![Block::Table(Table {
            class: "trades",
            head: vec![
                "#",
                "strategy",
                "symbol",
                "qty",
                "entry (New York)",
                "entry price",
                "exit (New York)",
                "exit price",
                "P&L",
                "exit reason",
            ],
            numeric: vec![
                true, false, false, true, false, true, false, true, true, false,
            ],
            rows,
            foot: None,
        })]
    };
    Section {
        id: "trades",
        title: "Trades".into(),
        blocks,
    }
}

fn warnings(r: &BacktestResult) -> Option<Section> {
    if r.warnings.is_empty() {
        return None;
    }
    Some(Section {
        id: "warnings",
        title: "Warnings".into(),
        blocks: r.warnings.iter().map(|w| Block::Para(w.clone())).collect(),
    })
}
