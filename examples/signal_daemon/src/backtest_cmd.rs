//! `backtest`: every enabled strategy on sample data (or CSV files), through the real executor
//! over the simulated broker. Daily strategies run on daily bars; intraday ones on minute bars.

use crate::config::{Config, StrategyConfig};
use crate::policy;
use crate::sample_data;
use crate::strategies::build::{build, data_timeframe};
use alpaca_exec::backtest::bars::{CsvOptions, load_csv};
use alpaca_exec::backtest::runner::{Backtest, BacktestConfig, BacktestResult};
use alpaca_exec::backtest::sim::SimConfig;
use alpaca_exec::data::{Bar, TimeFrame};
use alpaca_exec::store::{ExecutionStore, SqliteStore};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Intraday sessions of minute data the sample provides.
const INTRADAY_DAYS: usize = 10;

/// Which strategies run on daily data and which on minute data.
fn split(
    cfg: &Config,
) -> (
    BTreeMap<String, StrategyConfig>,
    BTreeMap<String, StrategyConfig>,
) {
    cfg.strategies
        .iter()
        .filter(|(_, s)| s.enabled())
        .map(|(n, s)| (n.clone(), s.clone()))
        .partition(|(_, s)| data_timeframe(s).is_none_or(|t| t.is_daily()))
}

fn symbols(group: &BTreeMap<String, StrategyConfig>) -> Vec<String> {
    let set: BTreeSet<String> = group.values().flat_map(|s| s.symbols().to_vec()).collect();
    set.into_iter().collect()
}

pub struct Options {
    pub csv: Vec<(String, PathBuf)>,
    pub out: Option<PathBuf>,
    pub days: Option<u32>,
}

async fn run_group(
    cfg: &Config,
    title: &str,
    group: BTreeMap<String, StrategyConfig>,
    data: Vec<(String, Vec<Bar>)>,
    data_tf: TimeFrame,
    out_dir: &Path,
) -> Result<(BacktestResult, PathBuf), String> {
    std::fs::create_dir_all(out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let db = out_dir.join("store.sqlite");
    let store = SqliteStore::remove(&db).and_then(|()| SqliteStore::create(&db));
    let store: Arc<dyn ExecutionStore> =
        Arc::new(store.map_err(|e| format!("{}: {e}", db.display()))?);
    let config = BacktestConfig {
        sim: SimConfig {
            starting_cash: cfg.backtest.start_equity,
            ..SimConfig::default()
        },
        executor: policy::executor_config(cfg, None),
        exit_policy: Some(policy::default_exit_policy(cfg)),
        exit_policies: policy::exit_policies(cfg),
    };
    let total: usize = data.iter().map(|(_, b)| b.len()).sum();
    let bar = indicatif::ProgressBar::new(total as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{prefix:>9} [{bar:40}] {pos}/{len} bars")
            .map_err(|e| e.to_string())?
            .progress_chars("=> "),
    );
    bar.set_prefix(title.to_owned());
    let pb = bar.clone();
    let mut bt = Backtest::new(config)
        .store(store)
        .on_progress(Box::new(move |done, _| pb.set_position(done)));
    for s in build(&group, data_tf) {
        bt = bt.strategy(s);
    }
    for (sym, bars) in data {
        bt = bt.bars(&sym, bars);
    }
    let result = bt.run().await.map_err(|e| e.to_string())?;
    bar.finish();
    result
        .write_report(out_dir, &format!("Signal daemon backtest: {title}"))
        .map_err(|e| format!("cannot write the report: {e}"))?;
    Ok((result, db))
}

pub async fn run(cfg: &Config, opts: Options) -> Result<(), String> {
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| cfg.paths.data_dir.join("backtest"));
    let (daily, intraday) = split(cfg);
    let days = opts.days.unwrap_or(cfg.backtest.days) as usize;
    let mut runs = Vec::new();
    if !opts.csv.is_empty() {
        // CSV files are daily bars: the daily strategies run on them.
        let mut data = Vec::new();
        for (sym, path) in &opts.csv {
            let loaded = load_csv(path, CsvOptions::default()).map_err(|e| e.to_string())?;
            if loaded.skipped > 0 {
                eprintln!(
                    "{}: skipped {} rows with missing prices",
                    path.display(),
                    loaded.skipped
                );
            }
            data.push((sym.clone(), loaded.bars));
        }
        let wanted: BTreeSet<String> = data.iter().map(|(s, _)| s.clone()).collect();
        let group: BTreeMap<String, StrategyConfig> = daily
            .into_iter()
            .map(|(n, mut s)| {
                restrict(&mut s, &wanted);
                (n, s)
            })
            .filter(|(_, s)| !s.symbols().is_empty())
            .collect();
        if group.is_empty() {
            return Err(
                "no enabled daily strategy trades the symbols given with --csv (use SYMBOL=path)"
                    .into(),
            );
        }
        runs.push(run_group(cfg, "csv", group, data, TimeFrame::DAY, &out.join("csv")).await?);
    } else {
        let all: Vec<String> = {
            let mut v = symbols(&daily);
            v.extend(symbols(&intraday));
            v.sort();
            v.dedup();
            v
        };
        let sample = sample_data::generate(&all, cfg.backtest.seed, days, INTRADAY_DAYS);
        if !daily.is_empty() {
            let wanted: BTreeSet<String> = symbols(&daily).into_iter().collect();
            let data = sample
                .iter()
                .filter(|s| wanted.contains(&s.symbol))
                .map(|s| (s.symbol.clone(), s.daily.clone()))
                .collect();
            runs.push(
                run_group(
                    cfg,
                    "daily",
                    daily,
                    data,
                    TimeFrame::DAY,
                    &out.join("daily"),
                )
                .await?,
            );
        }
        if !intraday.is_empty() {
            let wanted: BTreeSet<String> = symbols(&intraday).into_iter().collect();
            let data = sample
                .iter()
                .filter(|s| wanted.contains(&s.symbol))
                .map(|s| (s.symbol.clone(), s.minutes.clone()))
                .collect();
            runs.push(
                run_group(
                    cfg,
                    "intraday",
                    intraday,
                    data,
                    TimeFrame::MINUTE,
                    &out.join("intraday"),
                )
                .await?,
            );
        }
    }
    for (r, db) in &runs {
        print_summary(r, db);
    }
    println!("Reports: {}", out.display());
    Ok(())
}

fn restrict(s: &mut StrategyConfig, wanted: &BTreeSet<String>) {
    let keep = |v: &mut Vec<String>| v.retain(|x| wanted.contains(x));
    match s {
        StrategyConfig::TrendHysteresis(c) => keep(&mut c.symbols),
        StrategyConfig::BearTrap(c) => keep(&mut c.symbols),
        StrategyConfig::StratOptions(c) => keep(&mut c.symbols),
    }
}

fn print_summary(r: &BacktestResult, db: &Path) {
    println!();
    match &r.metrics {
        Some(m) => {
            println!(
                "{} to {}: {} bars, {} signals, {} executed, {} fills, {} round trips",
                m.start,
                m.end,
                r.bars,
                r.signals,
                r.executed,
                r.fills.len(),
                r.trades.len()
            );
            println!(
                "equity {} -> {} ({:+.2}%), max drawdown {:.2}%, Sharpe {}",
                m.start_equity.round_dp(2),
                m.end_equity.round_dp(2),
                m.total_return * 100.0,
                m.max_drawdown.as_ref().map_or(0.0, |d| d.depth * 100.0),
                m.sharpe.map_or("n/a".into(), |s| format!("{s:.2}"))
            );
            for (name, t) in &m.per_strategy {
                println!(
                    "  {name:<14} {:>4} trades, win rate {}, net P&L {}",
                    t.trades,
                    t.win_rate
                        .map_or("n/a".into(), |w| format!("{:.0}%", w * 100.0)),
                    t.net_pnl.round_dp(2)
                );
            }
        }
        None => println!("no sessions replayed"),
    }
    for w in &r.warnings {
        println!("warning: {w}");
    }
    println!("store: {}", db.display());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn sample_backtest_trades_every_strategy_and_writes_the_report() {
        let cfg = Config::load(None, &|_| None).unwrap();
        let dir = std::env::temp_dir().join(format!("sd-bt-{}", std::process::id()));
        run(
            &cfg,
            Options {
                csv: vec![],
                out: Some(dir.clone()),
                days: Some(300),
            },
        )
        .await
        .unwrap();
        for group in ["daily", "intraday"] {
            for f in [
                "report.md",
                "report.html",
                "equity.svg",
                "trades.csv",
                "store.sqlite",
            ] {
                assert!(dir.join(group).join(f).exists(), "{group}/{f}");
            }
        }
        let trades = std::fs::read_to_string(dir.join("daily/trades.csv")).unwrap();
        assert!(
            trades.contains("daily_trend,"),
            "the trend strategy traded:\n{trades}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
