//! `backtest`: every enabled strategy on sample data, CSV files or Alpaca's history
//! (`--download`), through the real executor over the simulated broker. Daily strategies run on
//! daily bars; intraday ones on minute bars. The report states where the data came from and the
//! configuration's rules.

use crate::backtest_data::Download;
use crate::config::{Config, StrategyConfig};
use crate::failure::Failure;
use crate::policy;
use crate::sample_data;
use crate::strategies::build::{build, data_timeframe};
use alpaca_exec::backtest::bars::{CsvOptions, load_csv};
use alpaca_exec::backtest::report::ReportInfo;
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
    /// Real history from Alpaca instead of sample data.
    pub download: Option<Download>,
}

/// A group's report: its title and what it says about the data.
fn info(
    cfg: &Config,
    title: &str,
    group: &BTreeMap<String, StrategyConfig>,
    data: &str,
    generated: bool,
) -> ReportInfo {
    ReportInfo {
        title: format!("Signal daemon backtest: {title}"),
        data_source: data.to_owned(),
        generated_data: generated,
        assumptions: crate::backtest_report::assumptions(cfg, group),
    }
}

async fn run_group(
    cfg: &Config,
    info: ReportInfo,
    group: BTreeMap<String, StrategyConfig>,
    data: Vec<(String, Vec<Bar>)>,
    data_tf: TimeFrame,
    out_dir: &Path,
) -> Result<(BacktestResult, ReportInfo, PathBuf), String> {
    let title = info
        .title
        .rsplit(": ")
        .next()
        .unwrap_or(&info.title)
        .to_owned();
    std::fs::create_dir_all(out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let db = out_dir.join("store.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let store: Arc<dyn ExecutionStore> =
        Arc::new(SqliteStore::open(&db).map_err(|e| format!("{}: {e}", db.display()))?);
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
    let files = result
        .write_report_with(out_dir, &info)
        .map_err(|e| format!("cannot write the report: {e}"))?;
    Ok((result, info, files.html))
}

pub async fn run(
    cfg: &Config,
    opts: Options,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), Failure> {
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| cfg.paths.data_dir.join("backtest"));
    let (daily, intraday) = split(cfg);
    let days = opts.days.unwrap_or(cfg.backtest.days) as usize;
    let mut runs = Vec::new();
    if let Some(dl) = &opts.download {
        dl.validate()?;
        let client = crate::backtest_data::data_client(cfg, env)?.map_err(|m| {
            Failure::Setup(format!(
                "{m}: backtest --download reads Alpaca's bars with the account's keys"
            ))
        })?;
        let source =
            |tf: &str, (a, b): (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)| {
                format!(
                    "Alpaca {tf} bars, split- and dividend-adjusted, {} to {} New York (cache {})",
                    a.with_timezone(&chrono_tz::America::New_York).date_naive(),
                    b.with_timezone(&chrono_tz::America::New_York).date_naive(),
                    dl.cache.display()
                )
            };
        if !daily.is_empty() {
            let range = dl.daily_range();
            let data = crate::backtest_data::fetch(
                &client,
                &symbols(&daily),
                TimeFrame::DAY,
                range,
                &dl.cache,
            )
            .await?;
            let info = info(cfg, "daily", &daily, &source("daily", range), false);
            runs.push(run_group(cfg, info, daily, data, TimeFrame::DAY, &out.join("daily")).await?);
        }
        if !intraday.is_empty() {
            let range = dl.intraday_range();
            let data = crate::backtest_data::fetch(
                &client,
                &symbols(&intraday),
                TimeFrame::MINUTE,
                range,
                &dl.cache,
            )
            .await?;
            let info = info(cfg, "intraday", &intraday, &source("minute", range), false);
            runs.push(
                run_group(
                    cfg,
                    info,
                    intraday,
                    data,
                    TimeFrame::MINUTE,
                    &out.join("intraday"),
                )
                .await?,
            );
        }
    } else if !opts.csv.is_empty() {
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
            return Err(Failure::Setup(
                "no enabled daily strategy trades the symbols given with --csv (use SYMBOL=path)"
                    .into(),
            ));
        }
        let files: Vec<String> = opts
            .csv
            .iter()
            .map(|(s, p)| format!("{s} from {}", p.display()))
            .collect();
        let info = info(
            cfg,
            "csv",
            &group,
            &format!("daily bars from CSV files: {}", files.join(", ")),
            false,
        );
        runs.push(run_group(cfg, info, group, data, TimeFrame::DAY, &out.join("csv")).await?);
    } else {
        let all: Vec<String> = {
            let mut v = symbols(&daily);
            v.extend(symbols(&intraday));
            v.sort();
            v.dedup();
            v
        };
        let sample = sample_data::generate(&all, cfg.backtest.seed, days, INTRADAY_DAYS);
        let generated = |what: &str| {
            format!(
                "generated sample data ({what}, seed {}), not market history",
                cfg.backtest.seed
            )
        };
        if !daily.is_empty() {
            let wanted: BTreeSet<String> = symbols(&daily).into_iter().collect();
            let data = sample
                .iter()
                .filter(|s| wanted.contains(&s.symbol))
                .map(|s| (s.symbol.clone(), s.daily.clone()))
                .collect();
            let info = info(
                cfg,
                "daily",
                &daily,
                &generated(&format!("{days} daily bars per symbol")),
                true,
            );
            runs.push(run_group(cfg, info, daily, data, TimeFrame::DAY, &out.join("daily")).await?);
        }
        if !intraday.is_empty() {
            let wanted: BTreeSet<String> = symbols(&intraday).into_iter().collect();
            let data = sample
                .iter()
                .filter(|s| wanted.contains(&s.symbol))
                .map(|s| (s.symbol.clone(), s.minutes.clone()))
                .collect();
            let info = info(
                cfg,
                "intraday",
                &intraday,
                &generated(&format!("{INTRADAY_DAYS} sessions of minute bars")),
                true,
            );
            runs.push(
                run_group(
                    cfg,
                    info,
                    intraday,
                    data,
                    TimeFrame::MINUTE,
                    &out.join("intraday"),
                )
                .await?,
            );
        }
    }
    for (r, info, report) in &runs {
        crate::backtest_report::print_summary(&info.title, r, report);
    }
    println!("\nReports and stores: {}", out.display());
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
                download: None,
            },
            &|_| None,
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
