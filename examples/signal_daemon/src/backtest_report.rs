//! What the daemon's backtest says about itself: the rules from the configuration stated in the
//! report as assumptions (sizing, limits, exits), and the console summary.

use crate::config::{Config, StrategyConfig};
use alpaca_exec::backtest::format::{money, signed_money, signed_percent};
use alpaca_exec::backtest::report::exit_rule_words;
use alpaca_exec::backtest::runner::BacktestResult;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::collections::BTreeMap;
use std::path::Path;

fn pct(d: Decimal) -> String {
    format!("{}%", (d * Decimal::ONE_HUNDRED).normalize())
}

/// The configuration's rules for the strategies of `group`, in words.
pub fn assumptions(
    cfg: &Config,
    group: &BTreeMap<String, StrategyConfig>,
) -> Vec<(String, String)> {
    let e = &cfg.execution;
    let mut sizing = Vec::new();
    let mut exits = Vec::new();
    for (name, s) in group {
        match s {
            StrategyConfig::TrendHysteresis(c) => {
                let mut size = format!("{name}: {} of equity per position", pct(c.position_pct));
                if !c.position_pct_by_symbol.is_empty() {
                    let by: Vec<String> = c
                        .position_pct_by_symbol
                        .iter()
                        .map(|(sym, p)| format!("{sym} {}", pct(*p)))
                        .collect();
                    size.push_str(&format!(" ({})", by.join(", ")));
                }
                sizing.push(size);
                exits.push(format!(
                    "{name}: its own exit signal, when the trend falls below {}",
                    pct(c.lower_band)
                ));
            }
            StrategyConfig::BearTrap(c) => {
                sizing.push(format!(
                    "{name}: {} of equity per position",
                    pct(c.position_pct)
                ));
                exits.push(format!(
                    "{name}: stop under the flush low, target +{}, trailing stop {} once up {}, out {} minutes before the close",
                    pct(c.target_pct),
                    pct(c.trailing_pct),
                    pct(c.trailing_activation),
                    c.exit_before_close_minutes
                ));
            }
            StrategyConfig::Momentum(c) => {
                sizing.push(format!(
                    "{name}: {} of equity per position",
                    pct(c.position_pct)
                ));
                exits.push(format!(
                    "{name}: stop -{}, target +{}, trailing stop {} once up {}, out {} minutes before the close",
                    pct(c.stop_pct),
                    pct(c.target_pct),
                    pct(c.trailing_pct),
                    pct(c.trailing_activation),
                    c.exit_before_close_minutes
                ));
            }
            StrategyConfig::MeanReversion(c) => {
                sizing.push(format!(
                    "{name}: {} of equity per position",
                    pct(c.position_pct)
                ));
                let mut rules = vec![format!("RSI at or above {}", c.overbought.normalize())];
                if c.exit_at_middle_band {
                    rules.push("the close back at the middle band".into());
                }
                if let Some(stop) = c.stop_pct {
                    rules.push(format!("a stop -{}", pct(stop)));
                }
                if let Some(m) = c.exit_before_close_minutes {
                    rules.push(format!("out {m} minutes before the close"));
                }
                exits.push(format!("{name}: {}", rules.join(", ")));
            }
            StrategyConfig::StratOptions(c) => {
                sizing.push(format!(
                    "{name}: option premium up to {} per trade; contracts with delta {:.2} to {:.2} and {} to {} days to expiry",
                    money(e.max_capital_per_trade),
                    c.min_delta,
                    c.max_delta,
                    c.min_dte,
                    c.max_dte
                ));
                exits.push(format!(
                    "{name}: {} days to expiry, the setup's stop or target on the underlying, a loss of {} or a gain of {} of the premium",
                    cfg.monitor.exit_dte,
                    pct(cfg.monitor.max_loss_pct),
                    pct(cfg.monitor.max_profit_pct)
                ));
            }
        }
    }
    vec![
        ("Sizing".into(), sizing.join("; ")),
        (
            "Limits".into(),
            format!(
                "at most {} open positions per strategy; all positions together at most {} of equity; no new entries after a daily loss of {}",
                e.max_concurrent_positions,
                pct(e.max_total_allocation),
                pct(e.daily_loss_halt)
            ),
        ),
        ("Exits".into(), exits.join("; ")),
        (
            "Signals outside the session".into(),
            "queued and sent at the next open, as the daemon does".into(),
        ),
    ]
}

/// The run in a few lines: the metrics, each strategy from signals to P&L, the open positions.
pub fn print_summary(title: &str, r: &BacktestResult, report: &Path) {
    println!();
    println!("== {title} ==");
    match &r.metrics {
        Some(m) => println!("{m}"),
        None => println!("no sessions replayed"),
    }
    for (name, f) in &r.funnels {
        let stats = r
            .metrics
            .as_ref()
            .and_then(|m| m.per_strategy.get(name))
            .cloned()
            .unwrap_or_default();
        let mut skips: Vec<String> = f
            .skipped
            .iter()
            .map(|(why, c)| format!("{} {}", c.count, why.replace('_', " ")))
            .collect();
        skips.sort();
        println!(
            "  {name:<14} {:>4} signals -> {:>4} executed, {:>4} skipped{} -> {:>4} round trips, net P&L {}",
            f.signals,
            f.executed,
            f.skipped_total(),
            if skips.is_empty() {
                String::new()
            } else {
                format!(" ({})", skips.join(", "))
            },
            stats.trades,
            signed_money(stats.net_pnl)
        );
    }
    if let Some(m) = &r.metrics
        && !m.exits_by_reason.is_empty()
    {
        let mut by: Vec<_> = m.exits_by_reason.iter().collect();
        by.sort_by(|a, b| b.1.trades.cmp(&a.1.trades).then_with(|| a.0.cmp(b.0)));
        let words: Vec<String> = by
            .iter()
            .map(|(rule, t)| {
                format!(
                    "{} {} ({})",
                    t.trades,
                    exit_rule_words(rule),
                    signed_money(t.net_pnl)
                )
            })
            .collect();
        println!("exits: {}", words.join(", "));
    }
    if let (Some((first, last)), Some(m)) = (
        r.benchmark.first().zip(r.benchmark.last()),
        r.metrics.as_ref(),
    ) && first.equity > Decimal::ZERO
    {
        let growth = (last.equity / first.equity).to_f64().unwrap_or(1.0);
        println!(
            "buy and hold of the same symbols: {}; the strategies: {}",
            signed_percent(growth - 1.0),
            signed_percent(m.total_return)
        );
    }
    if !r.open_positions.is_empty() {
        let pnl: Decimal = r.open_positions.iter().filter_map(|p| p.pnl).sum();
        println!(
            "{} position(s) open at the end, unrealised {} (listed in the report)",
            r.open_positions.len(),
            signed_money(pnl)
        );
    }
    for w in &r.warnings {
        println!("warning: {w}");
    }
    println!("report: {}", report.display());
    if let Some(dir) = report.parent() {
        let db = dir.join("store.sqlite");
        println!(
            "store: {} (its ledger: signal-daemon performance --store {})",
            db.display(),
            db.display()
        );
    }
}
