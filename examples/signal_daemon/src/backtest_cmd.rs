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
use alpaca_exec::backtest::runner::{Backtest, BacktestResult};
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

/// Runs one plan through the executor and the simulated broker, writes its report into
/// `out_dir`, and returns the result, what the report said and the HTML report's path.
async fn run_group(
    cfg: &Config,
    plan: Plan,
    out_dir: &Path,
) -> Result<(BacktestResult, ReportInfo, PathBuf), String> {
    let info = ReportInfo {
        title: format!("Signal daemon backtest: {}", plan.title),
        data_source: plan.source,
        generated_data: plan.generated,
        assumptions: crate::backtest_report::assumptions(cfg, &plan.group),
    };
    let (title, group, data, data_tf) = (plan.title, plan.group, plan.data, plan.timeframe);
    std::fs::create_dir_all(out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let db = out_dir.join("store.sqlite");
    let store = SqliteStore::remove(&db).and_then(|()| SqliteStore::create(&db));
    let store: Arc<dyn ExecutionStore> =
        Arc::new(store.map_err(|e| format!("{}: {e}", db.display()))?);
    let config = policy::backtest_config(cfg);
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

/// One group's run: its strategies, its bars and what the report says about them.
struct Plan {
    title: &'static str,
    group: BTreeMap<String, StrategyConfig>,
    data: Vec<(String, Vec<Bar>)>,
    timeframe: TimeFrame,
    source: String,
    generated: bool,
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
    let plans = if let Some(dl) = &opts.download {
        downloaded(cfg, dl, env).await?
    } else if !opts.csv.is_empty() {
        vec![from_csv(cfg, &opts.csv)?]
    } else {
        sampled(cfg, opts.days.unwrap_or(cfg.backtest.days) as usize)
    };
    let mut runs = Vec::new();
    for p in plans.into_iter().filter(|p| !p.group.is_empty()) {
        let dir = out.join(p.title);
        runs.push(run_group(cfg, p, &dir).await?);
    }
    for (r, info, report) in &runs {
        crate::backtest_report::print_summary(&info.title, r, report);
    }
    println!("\nReports and stores: {}", out.display());
    Ok(())
}

/// Alpaca's history through the cache: daily bars over the range, minute bars for its last days.
async fn downloaded(
    cfg: &Config,
    dl: &Download,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Plan>, Failure> {
    dl.validate()?;
    let client = crate::backtest_data::data_client(cfg, env)?.map_err(|m| {
        Failure::Setup(format!(
            "{m}: backtest --download reads Alpaca's bars with the account's keys"
        ))
    })?;
    let (daily, intraday) = split(cfg);
    let mut plans = Vec::new();
    for (title, group, timeframe, range, what) in [
        ("daily", daily, TimeFrame::DAY, dl.daily_range(), "daily"),
        (
            "intraday",
            intraday,
            TimeFrame::MINUTE,
            dl.intraday_range(),
            "minute",
        ),
    ] {
        if group.is_empty() {
            continue;
        }
        let data =
            crate::backtest_data::fetch(&client, &symbols(&group), timeframe, range, &dl.cache)
                .await?;
        let day = |t: chrono::DateTime<chrono::Utc>| {
            t.with_timezone(&chrono_tz::America::New_York).date_naive()
        };
        plans.push(Plan {
            title,
            group,
            data,
            timeframe,
            source: format!(
                "Alpaca {what} bars, split- and dividend-adjusted, {} to {} New York (cache {})",
                day(range.0),
                day(range.1),
                dl.cache.display()
            ),
            generated: false,
        });
    }
    Ok(plans)
}

/// Daily bars from CSV files, for the daily strategies that trade those symbols.
fn from_csv(cfg: &Config, csv: &[(String, PathBuf)]) -> Result<Plan, Failure> {
    let mut data = Vec::new();
    for (sym, path) in csv {
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
    let group: BTreeMap<String, StrategyConfig> = split(cfg)
        .0
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
    let files: Vec<String> = csv
        .iter()
        .map(|(s, p)| format!("{s} from {}", p.display()))
        .collect();
    Ok(Plan {
        title: "csv",
        group,
        data,
        timeframe: TimeFrame::DAY,
        source: format!("daily bars from CSV files: {}", files.join(", ")),
        generated: false,
    })
}

/// Generated sample data: `days` daily bars, and minute bars for the last sessions.
fn sampled(cfg: &Config, days: usize) -> Vec<Plan> {
    let (daily, intraday) = split(cfg);
    let mut all = symbols(&daily);
    all.extend(symbols(&intraday));
    all.sort();
    all.dedup();
    let sample = sample_data::generate(&all, cfg.backtest.seed, days, INTRADAY_DAYS);
    let pick =
        |group: &BTreeMap<String, StrategyConfig>, minutes: bool| -> Vec<(String, Vec<Bar>)> {
            let wanted: BTreeSet<String> = symbols(group).into_iter().collect();
            sample
                .iter()
                .filter(|s| wanted.contains(&s.symbol))
                .map(|s| {
                    let bars = if minutes { &s.minutes } else { &s.daily };
                    (s.symbol.clone(), bars.clone())
                })
                .collect()
        };
    let generated = |what: String| {
        format!(
            "generated sample data ({what}, seed {}), not market history",
            cfg.backtest.seed
        )
    };
    vec![
        Plan {
            title: "daily",
            data: pick(&daily, false),
            group: daily,
            timeframe: TimeFrame::DAY,
            source: generated(format!("{days} daily bars per symbol")),
            generated: true,
        },
        Plan {
            title: "intraday",
            data: pick(&intraday, true),
            group: intraday,
            timeframe: TimeFrame::MINUTE,
            source: generated(format!("{INTRADAY_DAYS} sessions of minute bars")),
            generated: true,
        },
    ]
}

fn restrict(s: &mut StrategyConfig, wanted: &BTreeSet<String>) {
    s.symbols_mut().retain(|x| wanted.contains(x));
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
        let intraday = std::fs::read_to_string(dir.join("intraday/trades.csv")).unwrap();
        for s in ["momentum,", "mean_reversion,"] {
            assert!(intraday.contains(s), "{s} traded:\n{intraday}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
