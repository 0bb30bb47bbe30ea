//! The learning loop end to end on the generated sample data: `propose` writes a proposal,
//! `apply-proposal` writes it into the configuration file, and the running daemon reloads it;
//! the weekly job runs after the Friday close; proposals that are not improvements, or that
//! were made against another configuration, are refused.

use super::*;
use crate::config::{Config, StrategyConfig};
use crate::daemon::runtime::Runtime;
use crate::daemon::{Daemon, Options};
use crate::support::Recorder;
use alpaca_exec::alert::Alert;
use chrono::TimeZone;
use std::sync::Arc;

fn no_env(_: &str) -> Option<String> {
    None
}

/// The defaults cut down to the momentum strategy on three symbols, sixty sample sessions,
/// short intraday windows (6 in sample, 4 out of sample, 1 warm-up) and a three-point grid.
fn small_config(seed: u64, data_dir: &Path) -> String {
    let mut text = crate::config::DEFAULT_CONFIG.to_owned();
    for other in [
        "daily_trend",
        "hourly_swing",
        "bear_trap",
        "strat_options",
        "mean_reversion",
    ] {
        let header = format!("[strategies.{other}]\n");
        text = text.replace(&header, &format!("{header}enabled = false\n"));
    }
    for (from, to) in [
        (
            "symbols = [\"AAPL\", \"MSFT\", \"AMZN\", \"META\", \"GOOGL\"]",
            "symbols = [\"AAPL\", \"MSFT\", \"AMZN\"]".to_owned(),
        ),
        ("seed = 42", format!("seed = {seed}")),
        ("days = 756", "days = 60".into()),
        ("check_interval = 60", "check_interval = 900".into()),
        ("min_trades = 3", "min_trades = 2".into()),
        ("intraday_in_sample = 20", "intraday_in_sample = 6".into()),
        (
            "intraday_out_of_sample = 10",
            "intraday_out_of_sample = 4".into(),
        ),
        ("intraday_warmup = 2", "intraday_warmup = 1".into()),
        (
            "# [proposals.grid.momentum]\n# volume_multiple = [1.25, 1.5, 2.0]",
            "[proposals.grid.momentum]\nvolume_multiple = [1.2, 1.5, 2.5]".into(),
        ),
        (
            "data_dir = \"signal-daemon-data\"",
            format!("data_dir = {:?}", data_dir.display().to_string()),
        ),
    ] {
        assert!(text.contains(from), "{from}");
        text = text.replace(from, &to);
    }
    text
}

fn load(text: &str) -> Config {
    let mut cfg = Config::parse(text, "test").unwrap();
    cfg.apply_env(&no_env).unwrap();
    cfg.validate().unwrap();
    cfg
}

fn volume_multiple(cfg: &Config) -> rust_decimal::Decimal {
    match &cfg.strategies["momentum"] {
        StrategyConfig::Momentum(m) => m.volume_multiple,
        other => panic!("{other:?}"),
    }
}

/// The operator notices among `alerts`.
fn notices(alerts: &Recorder) -> Vec<String> {
    alerts
        .alerts()
        .into_iter()
        .filter_map(|a| match a {
            Alert::Notice { message, .. } => Some(message),
            _ => None,
        })
        .collect()
}

/// `propose` as the command runs it without keys: sample history to the end of the sample.
async fn propose(cfg: &Config, dir: &Path) -> (PathBuf, Proposal) {
    let (source, now) = sample_history(cfg, None);
    let mut results = run(cfg, &[], &source, "sample data", now, dir).await;
    assert_eq!(results.len(), 1, "one enabled strategy");
    results.remove(0).1.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn propose_then_apply_proposal_then_the_running_daemon_reloads_it() {
    let dir = tempfile::tempdir().unwrap();
    // The sample is seeded and the backtests deterministic, so each seed always gives the
    // same verdict; the first seeds give both kinds.
    let mut improvement = None;
    let mut not_better = None;
    for seed in 1..=30 {
        let cfg = load(&small_config(seed, dir.path()));
        let (path, p) = propose(&cfg, &dir.path().join(format!("seed{seed}"))).await;
        match p.verdict {
            Verdict::Improvement if improvement.is_none() => improvement = Some((seed, path, p)),
            Verdict::NotBetter if not_better.is_none() => not_better = Some((seed, path, p)),
            _ => {}
        }
        if improvement.is_some() && not_better.is_some() {
            break;
        }
    }
    let (seed, path, p) = improvement.expect("a seed whose proposal is an improvement");

    // The file: current and proposed values, both windows for both, the grid and its points.
    assert_eq!(Proposal::read(&path).unwrap(), p);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("# Parameter proposal for strategies.momentum: improvement"));
    assert!(text.contains("apply-proposal"), "{text}");
    assert_eq!(p.current["volume_multiple"], toml::Value::Float(1.5));
    let proposed = p.proposed.clone().unwrap();
    assert_eq!(proposed.len(), 1, "only the changed value: {proposed:?}");
    assert_ne!(proposed["volume_multiple"], toml::Value::Float(1.5));
    let (oos_new, oos_old) = (
        p.out_of_sample.proposed.as_ref().unwrap().score.unwrap(),
        p.out_of_sample.current.score.unwrap(),
    );
    assert!(oos_new > oos_old, "{oos_new} vs {oos_old}");
    let is_new = p.in_sample.proposed.as_ref().unwrap();
    assert!(is_new.trades >= 2 && is_new.score >= p.in_sample.current.score);
    assert_eq!(p.grid["volume_multiple"].len(), 3);
    assert_eq!(p.points.len(), 3);
    assert!(p.windows.in_sample_end < p.windows.out_of_sample_start);

    // A daemon running on the configuration file, on the simulated broker.
    let file = dir.path().join("daemon.toml");
    std::fs::write(&file, small_config(seed, dir.path())).unwrap();
    let cfg = Config::load(Some(&file), &no_env).unwrap();
    let sim_dir = dir.path().join("sim");
    let (rt, clock, _) = Runtime::simulated(&cfg, &sim_dir).unwrap();
    let opts = Options {
        execute: true,
        config_path: Some(file.clone()),
        until: Some(clock.now() + chrono::Duration::hours(3)),
        status_path: sim_dir.join("status.json"),
        leader: None,
    };
    let mut daemon = Daemon::new(cfg.clone(), Box::new(no_env), opts, rt, clock);
    let before = std::fs::read_to_string(&file).unwrap();

    // A proposal that is not an improvement, and one made against another configuration,
    // are refused and leave the file alone.
    let (_, not_path, not_p) = not_better.expect("a seed whose proposal is not better");
    let e = apply::apply(&not_path, &file, &no_env).unwrap_err();
    assert!(
        e.contains("not offered as an improvement") && e.contains(&not_p.summary),
        "{e}"
    );
    let mut stale = p.clone();
    stale
        .current
        .insert("volume_multiple".into(), toml::Value::Float(9.0));
    let stale_path = dir.path().join("stale.toml");
    std::fs::write(&stale_path, stale.to_text().unwrap()).unwrap();
    let e = apply::apply(&stale_path, &file, &no_env).unwrap_err();
    assert!(e.contains("the configuration changed since"), "{e}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);

    // apply-proposal writes the proposed value, keeps the previous file.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let applied = apply::apply(&path, &file, &no_env).unwrap();
    assert_eq!(applied.changes.len(), 1);
    assert_eq!(std::fs::read_to_string(&applied.backup).unwrap(), before);
    let written = Config::load(Some(&file), &no_env).unwrap();
    let want =
        rust_decimal::Decimal::try_from(proposed["volume_multiple"].as_float().unwrap()).unwrap();
    assert_eq!(volume_multiple(&written), want);
    // Applying it twice is refused: the configuration no longer matches its current values.
    assert!(
        apply::apply(&path, &file, &no_env)
            .unwrap_err()
            .contains("changed since")
    );

    // The running daemon notices the changed file and trades with the new value.
    assert_eq!(
        volume_multiple(daemon.config()),
        rust_decimal::Decimal::new(15, 1)
    );
    let (_tx, rx) = tokio::sync::mpsc::unbounded_channel();
    daemon.run(rx).await.unwrap();
    assert_eq!(volume_multiple(daemon.config()), want);
    let status = daemon.status();
    assert_eq!(status.config_error, None);
    assert!(status.config_loaded_at > status.started_at, "{status:#?}");
    assert!(status.strategies["momentum"].runs > 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_weekly_job_proposes_after_the_friday_close_and_the_close_reports_performance() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = load(&small_config(7, dir.path()));
    let sim_dir = dir.path().join("sim");
    let (mut rt, clock, _) = Runtime::simulated(&cfg, &sim_dir).unwrap();
    let alerts = Arc::new(Recorder::default());
    rt.alerter = alerts.clone();
    // The sixty sessions end on Friday 25 March 2022; the simulation's ten start on Monday the
    // 14th. Run through the first Friday's close.
    let friday = chrono::NaiveDate::from_ymd_opt(2022, 3, 18).unwrap();
    let ny = |h, m| {
        chrono_tz::America::New_York
            .from_local_datetime(&friday.and_hms_opt(h, m, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc)
    };
    let opts = Options {
        execute: true,
        config_path: None,
        until: Some(ny(17, 0)),
        status_path: sim_dir.join("status.json"),
        leader: None,
    };
    let mut daemon = Daemon::new(cfg.clone(), Box::new(no_env), opts, rt, clock);
    let (_tx, rx) = tokio::sync::mpsc::unbounded_channel();
    daemon.run(rx).await.unwrap();

    let file = sim_dir.join("proposals/2022-03-18-momentum.toml");
    let p = Proposal::read(&file).unwrap();
    assert_eq!(p.created_at, ny(16, 30), "30 minutes after the close");
    assert_eq!(
        p.windows.out_of_sample_end, friday,
        "history up to the run, not beyond"
    );
    assert_eq!(p.history, "sample data");
    let status = crate::daemon::status::Status::read(&sim_dir.join("status.json")).unwrap();
    assert_eq!(status.proposals_at, Some(ny(16, 30)));
    assert!(
        status.proposals["momentum"].contains(&p.summary),
        "{status:#?}"
    );
    let notices = notices(&alerts);
    let weekly: Vec<&String> = notices
        .iter()
        .filter(|n| n.starts_with("Weekly parameter proposals"))
        .collect();
    assert_eq!(weekly.len(), 1, "once, on Friday: {notices:#?}");
    assert!(weekly[0].contains("momentum: "));
    // Only Friday's run: nothing applied, the configuration in force is the one started with.
    assert_eq!(daemon.config(), &cfg);

    // Every close sent the strategies' performance (the sessions of 14 to 18 March).
    let daily: Vec<&String> = notices
        .iter()
        .filter(|n| n.starts_with("Performance to "))
        .collect();
    let momentum = &status.strategies["momentum"];
    assert!(momentum.signals > 0, "the strategy traded: {status:#?}");
    assert!(!daily.is_empty(), "{notices:#?}");
    let last = daily.last().unwrap();
    assert!(
        last.starts_with("Performance to 2022-03-18 (week 2022-W11 | all time)"),
        "{last}"
    );
    assert!(last.contains("momentum (equity): week: "), "{last}");
}
