//! The performance ledger as the daemon shows it: the `performance` command (a table, or JSON
//! with `--json`), a section of `status`, and the daily summary alert. The figures are the
//! library's [`alpaca_exec::exec::ledger`], read from each account's store.

use crate::config::Config;
use alpaca_exec::exec::ledger::{Ledger, LedgerStats, StrategyLedger, Week};
use alpaca_exec::store::{ExecutionStore, SqliteStore};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One store's ledger.
pub struct StoreLedger {
    /// The account (or the file name, for a store given by path).
    pub name: String,
    /// The store file.
    pub path: PathBuf,
    /// Its ledger.
    pub ledger: Ledger,
}

/// The stores of `accounts` in `dir` (`<account>.sqlite`) that exist.
pub fn account_stores(dir: &Path, accounts: &[String]) -> Vec<(String, PathBuf)> {
    accounts
        .iter()
        .map(|a| (a.clone(), dir.join(format!("{a}.sqlite"))))
        .filter(|(_, p)| p.exists())
        .collect()
}

/// Reads the ledger of each store. A store that does not exist is an error (opening it would
/// create an empty one).
pub async fn load(stores: &[(String, PathBuf)]) -> Result<Vec<StoreLedger>, String> {
    let mut out = Vec::new();
    for (name, path) in stores {
        if !path.exists() {
            return Err(format!("{}: no such store", path.display()));
        }
        // Read-only: the running daemon holds the store, and a report may read beside it.
        let store =
            SqliteStore::open_read_only(path).map_err(|e| format!("{}: {e}", path.display()))?;
        out.push(StoreLedger {
            name: name.clone(),
            path: path.clone(),
            ledger: ledger_of(&store).await?,
        });
    }
    Ok(out)
}

/// The ledger of an open store.
pub async fn ledger_of(store: &dyn ExecutionStore) -> Result<Ledger, String> {
    Ledger::load(store).await.map_err(|e| e.to_string())
}

/// `performance --json`: per store, the strategies' figures (all time and by week), every
/// signal with its outcome and P&L, and the records left out.
pub fn json(ledgers: &[StoreLedger], out: &mut dyn Write) -> Result<(), String> {
    #[derive(Serialize)]
    struct Account<'a> {
        store: &'a Path,
        strategies: BTreeMap<String, StrategyLedger>,
        signals: &'a [alpaca_exec::exec::ledger::LedgerEntry],
        anomalies: &'a [String],
    }
    let doc: BTreeMap<&str, Account> = ledgers
        .iter()
        .map(|l| {
            (
                l.name.as_str(),
                Account {
                    store: &l.path,
                    strategies: l.ledger.by_strategy(),
                    signals: &l.ledger.entries,
                    anomalies: &l.ledger.anomalies,
                },
            )
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(|e| e.to_string())?;
    writeln!(out).map_err(|e| e.to_string())
}

const HEADER: &str = "  strategy         period    signals  exec  skip queued  fail  pend  trips   win%    avg win   avg loss  expectancy     PF     net P&L     max DD";

/// `performance`: per store and strategy, a row for all time and one for each of the last
/// `weeks` weeks with activity, then the skip reasons.
pub fn table(ledgers: &[StoreLedger], weeks: usize, out: &mut dyn Write) -> Result<(), String> {
    let io = |e: std::io::Error| e.to_string();
    for l in ledgers {
        let path = l.path.display().to_string();
        if l.name == path {
            writeln!(out, "store {path}").map_err(io)?;
        } else {
            writeln!(out, "account {} ({path})", l.name).map_err(io)?;
        }
        let by = l.ledger.by_strategy();
        if by.is_empty() {
            writeln!(out, "  no signals yet").map_err(io)?;
            continue;
        }
        writeln!(out, "{HEADER}").map_err(io)?;
        for (name, s) in &by {
            writeln!(out, "{}", row(name, "all", &s.total)).map_err(io)?;
            let skip = s.weeks.len().saturating_sub(weeks);
            for (w, ws) in s.weeks.iter().skip(skip) {
                writeln!(out, "{}", row("", &w.to_string(), ws)).map_err(io)?;
            }
        }
        for (name, s) in &by {
            if !s.total.skipped.is_empty() {
                writeln!(out, "  {name} skipped: {}", reasons(&s.total)).map_err(io)?;
            }
        }
        for a in &l.ledger.anomalies {
            writeln!(out, "  left out: {a}").map_err(io)?;
        }
    }
    Ok(())
}

fn row(name: &str, period: &str, s: &LedgerStats) -> String {
    let t = &s.trades;
    format!(
        "  {name:<16} {period:<9} {:>7} {:>5} {:>5} {:>6} {:>5} {:>5} {:>6} {:>6} {:>10} {:>10} {:>11} {:>6} {:>11} {:>10}",
        s.signals,
        s.executed,
        s.skipped_total(),
        s.queued,
        s.failed,
        s.pending,
        t.trades,
        t.win_rate
            .map_or("-".into(), |w| format!("{:.0}%", w * 100.0)),
        money(t.avg_win),
        money(t.avg_loss),
        money(s.expectancy),
        t.profit_factor.map_or("-".into(), |p| format!("{p:.2}")),
        money(Some(t.net_pnl)),
        money(Some(s.max_drawdown)),
    )
}

fn money(d: Option<Decimal>) -> String {
    d.map_or("-".into(), |v| format!("{:.2}", v.round_dp(2)))
}

fn reasons(s: &LedgerStats) -> String {
    s.skipped
        .iter()
        .map(|(r, n)| format!("{r} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One line of figures for an alert or the status.
pub fn summary(s: &LedgerStats) -> String {
    let t = &s.trades;
    let mut line = format!(
        "{} signals, {} executed, {} skipped",
        s.signals,
        s.executed,
        s.skipped_total()
    );
    if !s.skipped.is_empty() {
        line.push_str(&format!(" ({})", reasons(s)));
    }
    line.push_str(&format!("; {} round trips", t.trades));
    if t.trades > 0 {
        line.push_str(&format!(
            ", win rate {}, expectancy {}, profit factor {}, net {}, max drawdown {}",
            t.win_rate
                .map_or("-".into(), |w| format!("{:.0}%", w * 100.0)),
            money(s.expectancy),
            t.profit_factor.map_or("-".into(), |p| format!("{p:.2}")),
            money(Some(t.net_pnl)),
            money(Some(s.max_drawdown)),
        ));
    }
    line
}

/// The daily summary's performance part: per strategy, the week of `date` and all time.
pub fn daily_text(date: NaiveDate, ledgers: &[(String, Ledger)]) -> Option<String> {
    let week = Week::of(date);
    let mut lines = vec![format!("Performance to {date} (week {week} | all time)")];
    for (account, ledger) in ledgers {
        for (name, s) in ledger.by_strategy() {
            let this_week = s.weeks.get(&week).cloned().unwrap_or_default();
            lines.push(format!(
                "{name} ({account}): week: {} | all: {}",
                summary(&this_week),
                summary(&s.total)
            ));
        }
    }
    (lines.len() > 1).then(|| lines.join("\n"))
}

/// `status`'s performance section: per strategy, all time and the current week.
pub fn status_section(
    ledgers: &[StoreLedger],
    today: NaiveDate,
    out: &mut dyn Write,
) -> Result<(), String> {
    let week = Week::of(today);
    for l in ledgers {
        for (name, s) in l.ledger.by_strategy() {
            writeln!(out, "  {name:<14} all: {}", summary(&s.total)).map_err(|e| e.to_string())?;
            if let Some(w) = s.weeks.get(&week) {
                writeln!(out, "  {:<14} {week}: {}", "", summary(w)).map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(())
}

/// Where the daemon keeps its state: `data_dir` once a keyed daemon has run there, else the
/// simulated run's `data_dir/sim`.
pub fn state_dir(cfg: &Config) -> PathBuf {
    let live = &cfg.paths.data_dir;
    let accounts: Vec<String> = crate::daemon::runtime::used_accounts(cfg)
        .into_iter()
        .collect();
    if live.join("status.json").exists() || !account_stores(live, &accounts).is_empty() {
        live.clone()
    } else {
        live.join("sim")
    }
}

/// `status`'s ledger section, from the stores beside the status file.
pub async fn status(
    cfg: &Config,
    dir: &std::path::Path,
    out: &mut dyn std::io::Write,
) -> Result<(), String> {
    let accounts: Vec<String> = crate::daemon::runtime::used_accounts(cfg)
        .into_iter()
        .collect();
    let ledgers = load(&account_stores(dir, &accounts)).await?;
    let today = crate::daemon::status::Status::read(&dir.join("status.json"))
        .ok()
        .and_then(|s| s.updated_at)
        .unwrap_or_else(chrono::Utc::now)
        .with_timezone(&chrono_tz::America::New_York)
        .date_naive();
    writeln!(out, "performance (see `performance` for the weekly table):")
        .map_err(|e| e.to_string())?;
    status_section(&ledgers, today, out)
}

/// `performance`: the daemon's stores (or those given), as a table or JSON.
pub async fn command(
    cfg: &Config,
    as_json: bool,
    weeks: usize,
    stores: Vec<PathBuf>,
) -> Result<(), String> {
    let stores: Vec<(String, PathBuf)> = if stores.is_empty() {
        let dir = state_dir(cfg);
        let accounts: Vec<String> = crate::daemon::runtime::used_accounts(cfg)
            .into_iter()
            .collect();
        let found = account_stores(&dir, &accounts);
        if found.is_empty() {
            return Err(format!(
                "no store in {} (has the daemon run with this data_dir? a backtest's store is read with --store)",
                dir.display()
            ));
        }
        found
    } else {
        stores
            .into_iter()
            .map(|p| (p.display().to_string(), p))
            .collect()
    };
    let ledgers = load(&stores).await?;
    let mut out = std::io::stdout();
    if as_json {
        json(&ledgers, &mut out)
    } else {
        table(&ledgers, weeks, &mut out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alpaca_exec::risk::{Bias, Side, TrailingState};
    use alpaca_exec::store::{
        Decision, ExitFill, Outcome, PositionStatus, SignalRecord, SkipReason, TrackedPosition,
    };
    use alpaca_exec::strategy::{Intent, Signal};
    use chrono::{TimeZone, Utc};
    use rust_decimal_macros::dec;

    /// A store with two momentum round trips in week 2024-W10 (+30 and -10, 10 shares each)
    /// and a skipped signal in week 2024-W11.
    async fn known_store(path: &Path) {
        let store = SqliteStore::create(path).unwrap();
        let day = |d| Utc.with_ymd_and_hms(2024, 3, d, 15, 0, 0).unwrap();
        let cases = [
            ("AAPL", day(4), Some(dec!(103))),
            ("MSFT", day(5), Some(dec!(99))),
            ("AMZN", day(11), None),
        ];
        for (symbol, at, exit) in cases {
            let s = Signal::new("momentum", symbol, Intent::EnterLong, dec!(100), at);
            let skip = exit.is_none().then(|| SkipReason::Halted {
                change: dec!(-0.03),
                limit: dec!(0.02),
            });
            store
                .upsert_signal(&SignalRecord {
                    id: s.id(),
                    signal: s.clone(),
                    received_at: at,
                    decision: Some(Decision {
                        signal_id: s.id(),
                        outcome: if skip.is_some() {
                            Outcome::Skipped
                        } else {
                            Outcome::Executed
                        },
                        skip,
                        detail: String::new(),
                        client_order_id: None,
                        retryable: false,
                        at,
                    }),
                })
                .await
                .unwrap();
            let Some(exit) = exit else { continue };
            store
                .upsert_position(&TrackedPosition {
                    id: format!("{symbol}-e"),
                    strategy: "momentum".into(),
                    underlying: symbol.into(),
                    symbol: symbol.into(),
                    signal_id: s.id(),
                    side: Side::Long,
                    bias: Bias::Bullish,
                    planned_qty: dec!(10),
                    planned_cost: dec!(1000),
                    entry_qty: dec!(10),
                    entry_price: Some(dec!(100)),
                    exit_fills: [(
                        "x".to_owned(),
                        ExitFill {
                            qty: dec!(10),
                            price: exit,
                        },
                    )]
                    .into(),
                    multiplier: dec!(1),
                    stop: None,
                    target: None,
                    expiration: None,
                    trailing: TrailingState::new(),
                    status: PositionStatus::Closed,
                    exit_attempts: 1,
                    exit_client_order_id: None,
                    exit_reason: Some("target".into()),
                    exit_rule: Some("target".into()),
                    opened_at: at,
                    closed_at: Some(at + chrono::Duration::hours(1)),
                })
                .await
                .unwrap();
        }
    }

    async fn ledgers(dir: &Path) -> Vec<StoreLedger> {
        known_store(&dir.join("equity.sqlite")).await;
        let stores = account_stores(dir, &["equity".into(), "options".into()]);
        assert_eq!(stores.len(), 1, "only the store that exists");
        load(&stores).await.unwrap()
    }

    #[tokio::test]
    async fn the_table_shows_the_known_figures_all_time_and_by_week() {
        let dir = tempfile::tempdir().unwrap();
        let l = ledgers(dir.path()).await;
        let mut out = Vec::new();
        table(&l, 4, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], HEADER);
        // 3 signals, 2 executed, 1 skipped; +30 and -10: win rate 50%, expectancy 10, profit
        // factor 3, net 20, and the fall from 30 to 20 is the drawdown.
        let all = lines[2].split_whitespace().collect::<Vec<_>>();
        assert_eq!(
            all,
            [
                "momentum", "all", "3", "2", "1", "0", "0", "0", "2", "50%", "30.00", "-10.00",
                "10.00", "3.00", "20.00", "10.00"
            ]
        );
        let words = |l: &str| l.split_whitespace().take(4).collect::<Vec<_>>().join(" ");
        assert_eq!(words(lines[3]), "2024-W10 2 2 0");
        assert_eq!(words(lines[4]), "2024-W11 1 0 1");
        assert!(text.contains("momentum skipped: halted 1"), "{text}");
        // One week shown: the latest.
        let mut out = Vec::new();
        table(&l, 1, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            !text.contains("2024-W10") && text.contains("2024-W11"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn json_holds_every_signal_and_the_weekly_figures() {
        let dir = tempfile::tempdir().unwrap();
        let l = ledgers(dir.path()).await;
        let mut out = Vec::new();
        json(&l, &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let m = &v["equity"]["strategies"]["momentum"];
        assert_eq!(m["total"]["signals"], 3);
        assert_eq!(m["total"]["skipped"]["halted"], 1);
        assert_eq!(m["total"]["trades"]["trades"], 2);
        assert_eq!(m["total"]["expectancy"], "10");
        assert_eq!(m["total"]["max_drawdown"], "10");
        assert_eq!(m["weeks"]["2024-W10"]["trades"]["net_pnl"], "20");
        let signals = v["equity"]["signals"].as_array().unwrap();
        assert_eq!(signals.len(), 3);
        assert_eq!(signals[0]["realized_pnl"], "30");
        assert_eq!(signals[2]["skip_reason"], "halted");
        assert_eq!(signals[2]["realized_pnl"], serde_json::Value::Null);
    }

    #[tokio::test]
    async fn the_status_and_the_daily_alert_summarise_the_week_and_all_time() {
        let dir = tempfile::tempdir().unwrap();
        let l = ledgers(dir.path()).await;
        let monday = NaiveDate::from_ymd_opt(2024, 3, 4).unwrap();
        let mut out = Vec::new();
        status_section(&l, monday, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("all: 3 signals, 2 executed, 1 skipped (halted 1); 2 round trips, win rate 50%, expectancy 10.00, profit factor 3.00, net 20.00, max drawdown 10.00"), "{text}");
        assert!(text.contains("2024-W10: 2 signals"), "{text}");
        let pairs: Vec<(String, Ledger)> = l.into_iter().map(|s| (s.name, s.ledger)).collect();
        let alert = daily_text(NaiveDate::from_ymd_opt(2024, 3, 11).unwrap(), &pairs).unwrap();
        assert!(alert.starts_with("Performance to 2024-03-11 (week 2024-W11 | all time)"));
        assert!(
            alert.contains("momentum (equity): week: 1 signals, 0 executed, 1 skipped (halted 1); 0 round trips | all: 3 signals"),
            "{alert}"
        );
        assert_eq!(daily_text(monday, &[]), None, "nothing to say");
    }

    #[tokio::test]
    async fn a_missing_store_is_an_error_not_a_new_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope.sqlite");
        let e = load(&[("x".into(), path.clone())]).await.err().unwrap();
        assert!(e.contains("no such store"), "{e}");
        assert!(!path.exists());
    }
}
