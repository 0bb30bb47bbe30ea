//! The signal daemon: runs the reference strategies against Alpaca (paper by default) or, with
//! no keys, against the simulated broker on generated sample data.
//!
//! ```text
//! cargo run --release -p signal-daemon -- backtest          # no keys needed
//! cargo run --release -p signal-daemon -- start             # simulated without keys
//! cargo run --release -p signal-daemon -- start --execute   # paper-trades with keys
//! cargo run --release -p signal-daemon -- status
//! cargo run --release -p signal-daemon -- validate-config --config my.toml
//! cargo run --release -p signal-daemon -- scan --timeframe 1D
//! ```

mod backtest_cmd;
mod commands;
#[cfg(test)]
#[path = "../../../tests/common/mod.rs"]
mod common;
mod config;
mod credentials;
mod daemon;
#[cfg(test)]
#[path = "../../../tests/engine/fake/mod.rs"]
mod fake;
mod logging;
mod policy;
mod sample_data;
mod strategies;
#[cfg(test)]
mod tests;

use clap::{Parser, Subcommand};
use config::Config;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "signal-daemon",
    about = "Reference deployment of alpaca-exec strategies"
)]
struct Cli {
    /// Configuration file (TOML or JSON); the embedded defaults when absent.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Log lines as text (coloured only on a terminal) or JSON, one object per line.
    #[arg(
        long,
        global = true,
        value_enum,
        env = "SIGNAL_LOG_FORMAT",
        default_value = "text"
    )]
    log_format: logging::LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Backtest every enabled strategy: generated sample data, or daily CSV files.
    Backtest {
        /// Daily bars from a CSV file, as SYMBOL=path (repeatable).
        #[arg(long, value_parser = parse_csv_arg)]
        csv: Vec<(String, PathBuf)>,
        /// Where to write the reports and stores (default: <data_dir>/backtest).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Days of sample data (default from the config).
        #[arg(long)]
        days: Option<u32>,
    },
    /// Check the configuration and print the strategies it defines.
    ValidateConfig,
    /// Print the signals the strategies give on the sample data's last bars; places nothing.
    Scan {
        /// 1D, 1W or 1H.
        #[arg(long, default_value = "1D")]
        timeframe: String,
    },
    /// Check each account's credentials and the market clock.
    Test,
    /// Run the scheduler: strategies on their schedules, the monitor, the daily summary.
    /// Without keys it runs on the simulated broker over the sample sessions and stops at
    /// their end.
    Start {
        /// Place orders (also SIGNAL_EXECUTION_ENABLED=true); otherwise signals are recorded
        /// as pending for `execute`.
        #[arg(long)]
        execute: bool,
    },
    /// Print the running daemon's status.json.
    Status,
    /// Execute the signals recorded while execution was off.
    Execute {
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// List each account's positions and the strategy holding each.
    Positions,
    /// Close the daemon's open positions in SYMBOL (an underlying closes its options too).
    Close {
        /// A stock, an underlying or an OCC option symbol.
        symbol: String,
    },
    /// Close every open position the daemon holds.
    CloseAll {
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Run the position monitor: report the exits that fire, or place them with --execute.
    Monitor {
        /// Place the exits.
        #[arg(long)]
        execute: bool,
        /// One pass, then exit (default: every check_interval until Ctrl-C).
        #[arg(long)]
        once: bool,
    },
    /// Print the position monitor's counters.
    MonitorStats,
}

fn parse_csv_arg(s: &str) -> Result<(String, PathBuf), String> {
    let (sym, path) = s
        .split_once('=')
        .ok_or_else(|| format!("expected SYMBOL=path, got {s:?}"))?;
    Ok((sym.trim().to_ascii_uppercase(), PathBuf::from(path)))
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // The long-running commands log their steps; the others print results and log only
    // problems. RUST_LOG overrides either.
    let level = match cli.command {
        Command::Start { .. } | Command::Monitor { .. } => "info",
        _ => "warn",
    };
    logging::init(cli.log_format, level);
    let env = |k: &str| std::env::var(k).ok();
    let cfg = match Config::load(cli.config.as_deref(), &env) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("invalid configuration: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Backtest { csv, out, days } => {
            backtest_cmd::run(&cfg, backtest_cmd::Options { csv, out, days }).await
        }
        Command::ValidateConfig => {
            println!(
                "configuration ok: execution {}, {} account(s), {} strateg{}",
                if cfg.execution.enabled {
                    "enabled"
                } else {
                    "disabled"
                },
                cfg.accounts.len(),
                cfg.strategies.len(),
                if cfg.strategies.len() == 1 {
                    "y"
                } else {
                    "ies"
                }
            );
            for (name, s) in &cfg.strategies {
                println!(
                    "  {name}: account {}, {} symbols",
                    s.account(),
                    s.symbols().len()
                );
            }
            Ok(())
        }
        Command::Scan { timeframe } => scan(&cfg, &timeframe).await,
        Command::Test => test_accounts(&cfg).await,
        Command::Start { execute } => start(cfg, cli.config, execute).await,
        Command::Status => {
            let live = cfg.paths.data_dir.join("status.json");
            let path = if live.exists() {
                live
            } else {
                cfg.paths.data_dir.join("sim").join("status.json")
            };
            commands::status(&path, &mut std::io::stdout())
        }
        Command::MonitorStats => {
            commands::monitor_stats(&cfg.paths.data_dir, &mut std::io::stdout())
        }
        command @ (Command::Positions
        | Command::Close { .. }
        | Command::CloseAll { .. }
        | Command::Execute { .. }
        | Command::Monitor { .. }) => account_command(&cfg, command).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The Alpaca accounts, for the commands that act on them (the simulated broker lives only
/// inside `start` and `backtest`).
fn accounts(cfg: &Config) -> Result<daemon::runtime::Runtime, String> {
    let env = |k: &str| std::env::var(k).ok();
    match daemon::runtime::Runtime::open(cfg, &env)? {
        daemon::runtime::Opened::Live(rt) => Ok(rt),
        daemon::runtime::Opened::NoKeys => Err(
            "no keys are set: this command acts on an Alpaca account (the simulated broker runs only inside `start` and `backtest`)".into(),
        ),
    }
}

/// The commands that act on the Alpaca accounts.
async fn account_command(cfg: &Config, command: Command) -> Result<(), String> {
    let rt = accounts(cfg)?;
    let mut out = std::io::stdout();
    match command {
        Command::Positions => commands::positions(&rt, &mut out).await,
        Command::Close { symbol } => {
            let n = commands::close(&rt, &symbol, &mut out).await?;
            println!("{n} exit order(s) placed");
            Ok(())
        }
        Command::CloseAll { yes } => {
            if !yes && !commands::ask("Close every position the daemon holds?") {
                println!("nothing closed");
                return Ok(());
            }
            let n = commands::close_all(&rt, &mut out).await?;
            println!("{n} exit order(s) placed");
            Ok(())
        }
        Command::Execute { yes } => {
            let mut confirm = |q: &str| yes || commands::ask(q);
            let n = commands::execute(&rt, &mut confirm, &mut out).await?;
            println!("{n} order(s) placed");
            Ok(())
        }
        Command::Monitor { execute, once } => {
            monitor(cfg, &rt, execute || cfg.execution.enabled, once).await
        }
        _ => Err("not a command on the accounts".into()),
    }
}

async fn start(cfg: Config, config_path: Option<PathBuf>, execute: bool) -> Result<(), String> {
    use daemon::runtime::{Opened, Runtime};
    let env = |k: &str| std::env::var(k).ok();
    let (rt, clock, until, execute): (
        Runtime,
        std::sync::Arc<dyn daemon::clock::DaemonClock>,
        _,
        _,
    ) = match Runtime::open(&cfg, &env)? {
        Opened::Live(rt) => (
            rt,
            std::sync::Arc::new(daemon::clock::WallClock),
            None,
            execute || cfg.execution.enabled,
        ),
        Opened::NoKeys => {
            let (rt, clock, until) = Runtime::simulated(&cfg, &cfg.paths.data_dir.join("sim"))?;
            println!(
                "No keys set: running on the simulated broker over {} sample sessions (orders are simulated).",
                daemon::runtime::SIM_SESSIONS
            );
            (rt, clock, Some(until), true)
        }
    };
    let status_path = rt.data_dir.join("status.json");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    listen_for_signals(tx);
    let opts = daemon::Options {
        execute,
        config_path,
        until,
        status_path: status_path.clone(),
    };
    let mut d = daemon::Daemon::new(cfg, Box::new(env), opts, rt, clock);
    d.run(rx).await?;
    commands::status(&status_path, &mut std::io::stdout())?;
    for v in d.runtime().venues.values() {
        if let Some(sim) = &v.sim {
            println!(
                "account {}: {} simulated fill(s), final equity {}",
                v.name,
                sim.fills().len(),
                sim.equity().round_dp(2)
            );
        }
    }
    if let Some(e) = &d.status().config_error {
        println!("note: the last reload was refused: {e}");
    }
    println!("status: {}", status_path.display());
    Ok(())
}

/// SIGINT / SIGTERM stop the daemon after its current step; SIGHUP reloads the configuration.
fn listen_for_signals(tx: tokio::sync::mpsc::UnboundedSender<daemon::Control>) {
    let stop = tx.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = stop.send(daemon::Control::Shutdown);
        }
    });
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        for (kind, what) in [
            (SignalKind::terminate(), daemon::Control::Shutdown),
            (SignalKind::hangup(), daemon::Control::Reload),
        ] {
            let tx = tx.clone();
            match signal(kind) {
                Ok(mut s) => {
                    tokio::spawn(async move {
                        while s.recv().await.is_some() {
                            if tx.send(what).is_err() {
                                return;
                            }
                        }
                    });
                }
                Err(e) => tracing::warn!(error = %e, "signal handler not installed"),
            }
        }
    }
}

/// `monitor`: one pass, or a pass every `check_interval` until Ctrl-C.
async fn monitor(
    cfg: &Config,
    rt: &daemon::runtime::Runtime,
    execute: bool,
    once: bool,
) -> Result<(), String> {
    let mut out = std::io::stdout();
    let saved = commands::SavedMonitorStats::load(&rt.data_dir);
    if once {
        return commands::monitor_once(rt, execute, &saved, &mut out)
            .await
            .map(|_| ());
    }
    let every = std::time::Duration::from_secs(cfg.monitor.check_interval.max(1));
    loop {
        if let Err(e) = commands::monitor_once(rt, execute, &saved, &mut out).await {
            eprintln!("monitor: {e}");
        }
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            _ = tokio::time::sleep(every) => {}
        }
    }
}

async fn scan(cfg: &Config, timeframe: &str) -> Result<(), String> {
    let tf = config::timeframe("--timeframe", timeframe).map_err(|e| e.to_string())?;
    if !matches!(tf.to_string().as_str(), "1Day" | "1Week" | "1Hour") {
        return Err("scan takes --timeframe 1D, 1W or 1H".into());
    }
    let symbols: Vec<String> = {
        let mut v: Vec<String> = cfg
            .strategies
            .values()
            .flat_map(|s| s.symbols().to_vec())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let sample = sample_data::generate(&symbols, cfg.backtest.seed, cfg.backtest.days as usize, 10);
    let mut rules = strategies::strat::StratRules::new(
        rust_decimal::Decimal::new(5, 3),
        rust_decimal::Decimal::ONE,
    );
    let mut found = 0;
    for s in &sample {
        let bars = match tf.to_string().as_str() {
            "1Hour" => alpaca_exec::backtest::bars::resample(&s.minutes, tf),
            "1Week" => alpaca_exec::backtest::bars::resample(&s.daily, tf),
            _ => s.daily.clone(),
        };
        let mut last = None;
        for b in &bars {
            last = rules
                .on_bar(&s.symbol, &tf.to_string(), b.high, b.low)
                .map(|r| (b.timestamp, r));
        }
        if let Some((t, r)) = last {
            found += 1;
            match r {
                Ok(sig) => println!(
                    "{} {} {} {:?}: entry {} target {} stop {} (magnitude {:.2}%, R:R {:.2})",
                    t.date_naive(),
                    s.symbol,
                    tf,
                    sig.setup.kind,
                    sig.setup.entry,
                    sig.setup.target,
                    sig.setup.stop,
                    sig.magnitude * rust_decimal::Decimal::ONE_HUNDRED,
                    sig.reward_risk
                ),
                Err(why) => println!(
                    "{} {} {}: setup filtered out: {why:?}",
                    t.date_naive(),
                    s.symbol,
                    tf
                ),
            }
        }
    }
    println!(
        "{found} setup(s) on the last {tf} bar of {} symbols (sample data; nothing placed)",
        sample.len()
    );
    Ok(())
}

async fn test_accounts(cfg: &Config) -> Result<(), String> {
    let env = |k: &str| std::env::var(k).ok();
    let mut failures = 0;
    for (name, profile) in &cfg.accounts {
        match credentials::resolve(name, profile, &env) {
            Ok(None) => println!("{name}: no keys set: the daemon uses the simulated broker"),
            Err(e) => {
                failures += 1;
                println!("{name}: {e}");
            }
            Ok(Some(creds)) => {
                let env_kind = match profile.environment {
                    config::EnvironmentName::Paper => alpaca_exec::Environment::Paper,
                    config::EnvironmentName::Live => alpaca_exec::Environment::Live,
                };
                let client = alpaca_exec::Client::builder()
                    .credentials_value(&creds)
                    .environment(env_kind)
                    .build()
                    .map_err(|e| e.to_string())?;
                match (client.account().await, client.clock().await) {
                    (Ok(a), Ok(c)) => println!(
                        "{name}: ok ({:?}), equity {}, market {}",
                        env_kind,
                        a.equity,
                        if c.is_open { "open" } else { "closed" }
                    ),
                    (Err(e), _) | (_, Err(e)) => {
                        failures += 1;
                        println!("{name}: {e}");
                    }
                }
            }
        }
    }
    let alerter = daemon::runtime::alerter(cfg)?;
    let target = if cfg.alerts.discord_webhook_url.trim().is_empty() {
        "the log"
    } else {
        "Discord"
    };
    let notice = alpaca_exec::alert::Alert::Notice {
        message: "signal daemon: alert test".into(),
        time: chrono::Utc::now(),
    };
    match alerter.send(&notice).await {
        Ok(()) => println!("alerts: test notice delivered to {target}"),
        Err(e) => {
            failures += 1;
            println!("alerts: {e}");
        }
    }
    if failures > 0 {
        return Err(format!("{failures} check(s) failed"));
    }
    Ok(())
}
