//! The one-shot subcommands that act on the accounts: `status`, `positions`, `close`,
//! `close-all`, `monitor`, `monitor-stats` and `execute`. Each takes an opened [`Runtime`], so
//! the tests run them against a mock Alpaca.

use crate::daemon::runtime::Runtime;
use crate::daemon::status::Status;
use alpaca_exec::exec::MonitorStats;
use alpaca_exec::store::{PositionStatus, SignalRecord};
use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// The file the standalone `monitor` keeps its counters in (the daemon's are in status.json).
pub const MONITOR_STATS_FILE: &str = "monitor-stats.json";

/// `status`: the heartbeat, summarised.
pub fn status(path: &Path, out: &mut dyn Write) -> Result<(), String> {
    let s = Status::read(path)?;
    let w = |out: &mut dyn Write, line: String| writeln!(out, "{line}").map_err(|e| e.to_string());
    w(
        out,
        format!(
            "daemon {} (pid {}), updated {}, execution {}, market {}",
            s.state,
            s.pid,
            s.updated_at.map_or("never".into(), |t| t.to_rfc3339()),
            if s.execution_enabled { "on" } else { "off" },
            if s.market_open { "open" } else { "closed" }
        ),
    )?;
    if let Some(role) = &s.role {
        w(
            out,
            format!(
                "role: {role}; leader: {}",
                s.leader.as_deref().unwrap_or("unknown")
            ),
        )?;
    }
    if let Some((job, at)) = &s.next_job {
        w(out, format!("next: {job} at {}", at.to_rfc3339()))?;
    }
    if let Some(e) = &s.config_error {
        w(out, format!("last reload refused: {e}"))?;
    }
    for (name, a) in &s.accounts {
        if let Some(e) = &a.endpoint {
            w(out, format!("account {name}: {e}"))?;
        }
        w(
            out,
            format!(
                "account {name} ({}): equity {}, day P&L {}, {} open position(s){}{}",
                a.kind,
                a.equity.map_or("?".into(), |e| e.round_dp(2).to_string()),
                a.daily_pnl
                    .map_or("?".into(), |e| e.round_dp(2).to_string()),
                a.open_positions,
                if a.halted { ", HALTED" } else { "" },
                a.error
                    .as_ref()
                    .map_or(String::new(), |e| format!(", error: {e}"))
            ),
        )?;
        if a.unconfirmed > 0 {
            w(
                out,
                format!(
                    "  {} order(s) accepted by Alpaca but not visible yet (unconfirmed; still looked up)",
                    a.unconfirmed
                ),
            )?;
        }
        for line in &a.needs_attention {
            w(out, format!("  NEEDS ATTENTION: {line}"))?;
        }
    }
    if let Some(at) = s.proposals_at {
        w(out, format!("proposals of {}:", at.to_rfc3339()))?;
        for (name, line) in &s.proposals {
            w(out, format!("  {name}: {line}"))?;
        }
    }
    for (name, st) in &s.strategies {
        w(
            out,
            format!(
                "  {name:<14} {:>6} runs, {:>5} signals, {:>4} executed, {:>4} queued, {:>4} skipped, {:>4} pending, {:>3} errors, {} position(s){}",
                st.runs,
                st.signals,
                st.executed,
                st.queued,
                st.skipped,
                st.pending,
                st.errors,
                st.positions,
                st.last_error
                    .as_ref()
                    .map_or(String::new(), |e| format!(" (last error: {e})"))
            ),
        )?;
    }
    Ok(())
}

/// `positions`: what each account's broker holds, and which strategy holds it.
pub async fn positions(rt: &Runtime, out: &mut dyn Write) -> Result<(), String> {
    let io = |e: std::io::Error| e.to_string();
    for v in rt.venues.values() {
        let held = v
            .broker
            .positions()
            .await
            .map_err(|e| format!("{}: {e}", v.name))?;
        let tracked: Vec<_> = v
            .store
            .positions(true)
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .filter(|p| p.status != PositionStatus::Closed)
            .collect();
        writeln!(
            out,
            "account {} ({}): {} position(s)",
            v.name,
            v.kind.as_str(),
            held.len()
        )
        .map_err(io)?;
        for p in &held {
            let owners: Vec<&str> = tracked
                .iter()
                .filter(|t| t.symbol == p.symbol)
                .map(|t| t.strategy.as_str())
                .collect();
            writeln!(
                out,
                "  {:<22} qty {:>8} avg {:>10} price {:>10}  {}",
                p.symbol,
                p.qty,
                p.avg_entry_price.round_dp(2),
                p.current_price
                    .map_or("?".into(), |c| c.round_dp(2).to_string()),
                if owners.is_empty() {
                    "not opened by the daemon".to_owned()
                } else {
                    owners.join(", ")
                }
            )
            .map_err(io)?;
        }
        for t in tracked
            .iter()
            .filter(|t| !held.iter().any(|p| p.symbol == t.symbol))
        {
            writeln!(
                out,
                "  {:<22} tracked for {} ({:?}) but not at the broker: reconciled at the next start",
                t.symbol, t.strategy, t.status
            )
            .map_err(io)?;
        }
    }
    Ok(())
}

/// `close SYMBOL`: exits every open position the daemon holds in `symbol` (a stock, an OCC
/// option symbol, or an underlying, which closes its options too). Returns the exits placed.
pub async fn close(rt: &Runtime, symbol: &str, out: &mut dyn Write) -> Result<usize, String> {
    let symbol = symbol.trim().to_ascii_uppercase();
    let mut placed = 0;
    let mut errors = Vec::new();
    for v in rt.venues.values() {
        for p in v.store.positions(true).await.map_err(|e| e.to_string())? {
            if p.status != PositionStatus::Open || (p.symbol != symbol && p.underlying != symbol) {
                continue;
            }
            match v.monitor.close(&p.id).await {
                Ok(e) => {
                    placed += 1;
                    writeln!(
                        out,
                        "{}: exit order {} for {} ({})",
                        v.name, e.client_order_id, p.symbol, p.strategy
                    )
                    .map_err(|e| e.to_string())?;
                }
                Err(e) => errors.push(format!("{} {}: {e}", v.name, p.symbol)),
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors.join("; "));
    }
    if placed == 0 {
        return Err(format!(
            "no open position in {symbol} opened by the daemon (see `positions`)"
        ));
    }
    Ok(placed)
}

/// `close-all`: exits every open position the daemon holds, in every account; one failure does
/// not stop the others.
pub async fn close_all(rt: &Runtime, out: &mut dyn Write) -> Result<usize, String> {
    let mut placed = 0;
    let mut errors = Vec::new();
    for v in rt.venues.values() {
        match v.monitor.close_all().await {
            Ok((exits, errs)) => {
                for e in &exits {
                    writeln!(
                        out,
                        "{}: exit order {} for {}",
                        v.name, e.client_order_id, e.order.symbol
                    )
                    .map_err(|e| e.to_string())?;
                }
                placed += exits.len();
                errors.extend(errs.into_iter().map(|e| format!("{}: {e}", v.name)));
            }
            Err(e) => errors.push(format!("{}: {e}", v.name)),
        }
    }
    if errors.is_empty() {
        Ok(placed)
    } else {
        Err(format!(
            "{placed} exit(s) placed; failures: {}",
            errors.join("; ")
        ))
    }
}

/// The standalone monitor's counters in `monitor-stats.json`: what earlier runs saved, read
/// once when this run starts, plus this run's monitors' counters (which count from their
/// creation, so each save writes the earlier total plus them, never adds them twice).
pub struct SavedMonitorStats {
    path: PathBuf,
    earlier: BTreeMap<String, MonitorStats>,
}

impl SavedMonitorStats {
    /// Reads the earlier runs' counters under `data_dir`.
    pub fn load(data_dir: &Path) -> Self {
        let path = data_dir.join(MONITOR_STATS_FILE);
        let earlier = read_monitor_stats(&path);
        Self { path, earlier }
    }

    fn save(&self, rt: &Runtime) {
        let run: BTreeMap<&str, MonitorStats> = rt
            .venues
            .values()
            .map(|v| (v.name.as_str(), v.monitor.stats()))
            .collect();
        let merged = merge_stats(self.earlier.clone(), run);
        if let Err(e) = serde_json::to_vec_pretty(&merged)
            .map_err(std::io::Error::other)
            .and_then(|b| std::fs::write(&self.path, b))
        {
            tracing::warn!(path = %self.path.display(), error = %e, "monitor stats not saved");
        }
    }
}

/// `monitor`: one pass of the position monitor over every account. With `execute` it places
/// the exits that fire; without, it reports them and places nothing. Saves the counters to
/// `saved`'s file; returns the exits.
pub async fn monitor_once(
    rt: &Runtime,
    execute: bool,
    saved: &SavedMonitorStats,
    out: &mut dyn Write,
) -> Result<Vec<(String, String)>, String> {
    let mut exits = Vec::new();
    for v in rt.venues.values() {
        let rep = if execute {
            v.monitor.check_once().await
        } else {
            v.monitor.preview().await
        }
        .map_err(|e| format!("{}: {e}", v.name))?;
        let verb = if execute { "exit placed" } else { "would exit" };
        writeln!(out, "{}: {} position(s) checked", v.name, rep.evaluated)
            .map_err(|e| e.to_string())?;
        for (id, why) in &rep.exits {
            writeln!(out, "  {verb}: {id}: {why}").map_err(|e| e.to_string())?;
        }
        for e in &rep.errors {
            writeln!(out, "  error: {e}").map_err(|e| e.to_string())?;
        }
        exits.extend(rep.exits);
    }
    saved.save(rt);
    Ok(exits)
}

fn read_monitor_stats(path: &Path) -> BTreeMap<String, MonitorStats> {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Adds this run's counters to the earlier ones.
fn merge_stats(
    mut saved: BTreeMap<String, MonitorStats>,
    run: BTreeMap<&str, MonitorStats>,
) -> BTreeMap<String, MonitorStats> {
    for (name, s) in run {
        let t = saved.entry(name.to_owned()).or_default();
        t.checks += s.checks;
        t.skipped_closed += s.skipped_closed;
        t.errors += s.errors;
        for (rule, n) in s.exits_by_reason {
            *t.exits_by_reason.entry(rule).or_default() += n;
        }
    }
    saved
}

/// `monitor-stats`: the daemon's monitor counters (from its status file, `status`: the live
/// daemon's, or a simulated run's) and the standalone monitor's (from monitor-stats.json).
pub fn monitor_stats(status: &Path, data_dir: &Path, out: &mut dyn Write) -> Result<(), String> {
    let mut any = false;
    let mut print = |who: &str, stats: &BTreeMap<String, MonitorStats>| -> Result<(), String> {
        for (name, s) in stats {
            any = true;
            let exits: Vec<String> = s
                .exits_by_reason
                .iter()
                .map(|(r, n)| format!("{r} {n}"))
                .collect();
            writeln!(
                out,
                "{who} {name}: {} checks ({} while closed), {} errors, exits: {}",
                s.checks,
                s.skipped_closed,
                s.errors,
                if exits.is_empty() {
                    "none".into()
                } else {
                    exits.join(", ")
                }
            )
            .map_err(|e| e.to_string())?;
        }
        Ok(())
    };
    if let Ok(s) = Status::read(status) {
        let simulated = s.accounts.values().any(|a| a.kind == "simulated");
        let daemon: BTreeMap<String, MonitorStats> = s
            .accounts
            .into_iter()
            .map(|(n, a)| (n, a.monitor))
            .collect();
        print(
            if simulated {
                "simulated daemon"
            } else {
                "daemon"
            },
            &daemon,
        )?;
    }
    print(
        "monitor",
        &read_monitor_stats(&data_dir.join(MONITOR_STATS_FILE)),
    )?;
    if !any {
        return Err(format!(
            "no monitor has run with data_dir {} yet",
            data_dir.display()
        ));
    }
    Ok(())
}

/// The signals recorded while execution was off, per account.
pub async fn pending(rt: &Runtime) -> Result<Vec<(String, SignalRecord)>, String> {
    let mut out = Vec::new();
    for v in rt.venues.values() {
        for r in v.store.signals().await.map_err(|e| e.to_string())? {
            if r.decision.is_none() {
                out.push((v.name.clone(), r));
            }
        }
    }
    Ok(out)
}

/// `execute`: runs the pending signals through the executors, after `confirm` says yes.
/// Returns how many orders were placed.
pub async fn execute(
    rt: &Runtime,
    confirm: &mut dyn FnMut(&str) -> bool,
    out: &mut dyn Write,
) -> Result<usize, String> {
    let io = |e: std::io::Error| e.to_string();
    let pending = pending(rt).await?;
    if pending.is_empty() {
        writeln!(out, "no pending signals").map_err(io)?;
        return Ok(0);
    }
    for (acct, r) in &pending {
        let s = &r.signal;
        writeln!(
            out,
            "  {acct}: {} {} {} at ~{} (bar {})",
            s.strategy,
            s.intent.as_str(),
            s.symbol,
            s.reference_price,
            s.bar_time.to_rfc3339()
        )
        .map_err(io)?;
    }
    if !confirm(&format!("Execute {} signal(s)?", pending.len())) {
        writeln!(out, "nothing executed").map_err(io)?;
        return Ok(0);
    }
    let mut placed = 0;
    for v in rt.venues.values() {
        let mine: Vec<_> = pending
            .iter()
            .filter(|(a, _)| *a == v.name)
            .map(|(_, r)| r.signal.clone())
            .collect();
        if mine.is_empty() {
            continue;
        }
        for d in v.executor.execute(&mine).await {
            if d.client_order_id.is_some() && d.outcome == alpaca_exec::store::Outcome::Executed {
                placed += 1;
            }
            writeln!(out, "  {}: {:?}: {}", v.name, d.outcome, d.detail).map_err(io)?;
        }
    }
    Ok(placed)
}

/// Asks on the terminal; anything but y/yes is no.
pub fn ask(question: &str) -> bool {
    print!("{question} [y/N] ");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).is_err() {
        return false;
    }
    matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}
