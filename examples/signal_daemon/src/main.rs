//! The signal daemon: runs the reference strategies against Alpaca (paper by default), or
//! against the simulated broker on generated sample data when told to (`--simulate`).
//!
//! ```text
//! cargo run --release -p signal-daemon -- backtest              # no keys needed
//! cargo run --release -p signal-daemon -- backtest --download --from 2022-01-03
//! cargo run --release -p signal-daemon -- start --simulate      # no keys needed
//! cargo run --release -p signal-daemon -- start --execute       # paper-trades with keys
//! cargo run --release -p signal-daemon -- test                  # keys, URLs, clock, alerts
//! cargo run --release -p signal-daemon -- status
//! cargo run --release -p signal-daemon -- validate-config --config my.toml
//! cargo run --release -p signal-daemon -- scan --timeframe 1Day
//! cargo run --release -p signal-daemon -- performance [--json]
//! cargo run --release -p signal-daemon -- propose
//! cargo run --release -p signal-daemon -- apply-proposal FILE --config my.toml
//! ```
//!
//! Exit status: 0 done, 1 failed while running, 2 the configuration or the environment must be
//! fixed first (see [`failure`]).

mod backtest_cmd;
mod backtest_data;
mod backtest_report;
mod check;
mod commands;
#[cfg(test)]
#[path = "../../../tests/common/mod.rs"]
mod common;
mod config;
mod config_file;
mod credentials;
mod daemon;
#[cfg(test)]
mod deploy_tests;
mod endpoints;
mod failure;
#[cfg(test)]
#[path = "../../../tests/engine/fake/mod.rs"]
mod fake;
#[cfg(all(test, feature = "postgres"))]
mod leader_tests;
mod logging;
mod performance;
#[cfg(all(test, feature = "postgres"))]
#[path = "../../../tests/common/postgres.rs"]
mod pg;
mod policy;
mod proposals;
mod redact;
mod sample_data;
mod scan;
mod strategies;
#[cfg(test)]
#[allow(dead_code)] // the engine tests use all of it; the daemon tests a part
#[path = "../../../tests/engine/support.rs"]
mod support;
#[cfg(test)]
mod tests;

use clap::{Parser, Subcommand};
use config::Config;
use failure::Failure;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "signal-daemon",
    about = "Reference deployment of alpaca-exec strategies",
    version
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
    /// Backtest every enabled strategy: generated sample data, daily CSV files, or Alpaca's
    /// history with --download.
    Backtest {
        /// Daily bars from a CSV file, as SYMBOL=path (repeatable).
        #[arg(long, value_parser = parse_csv_arg, conflicts_with = "download")]
        csv: Vec<(String, PathBuf)>,
        /// Where to write the reports and stores (default: <data_dir>/backtest).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Days of sample data (default from the config).
        #[arg(long, conflicts_with = "download")]
        days: Option<u32>,
        /// Use Alpaca's history (needs keys), cached on disk for the next run.
        #[arg(long)]
        download: bool,
        /// First day of the downloaded history, YYYY-MM-DD (default: backtest.days weekdays
        /// before --to).
        #[arg(long, requires = "download")]
        from: Option<chrono::NaiveDate>,
        /// Last day of the downloaded history, YYYY-MM-DD (default: yesterday).
        #[arg(long, requires = "download")]
        to: Option<chrono::NaiveDate>,
        /// Where downloaded bars are cached (default: <data_dir>/bars-cache).
        #[arg(long, requires = "download")]
        cache: Option<PathBuf>,
        /// Weekdays of minute bars for the intraday strategies, ending at --to.
        #[arg(long, default_value_t = 10, requires = "download")]
        intraday_days: u32,
    },
    /// Check the configuration and print the strategies it defines.
    ValidateConfig,
    /// Print the STRAT setups on the last completed bars, with the configured filters; places
    /// nothing. Reads Alpaca's bars (needs keys) unless --sample.
    Scan {
        /// Only this timeframe (1Day, 1Week, 1Hour, ...; default: the strategy's timeframes).
        #[arg(long)]
        timeframe: Option<String>,
        /// Scan generated sample data instead of Alpaca's bars.
        #[arg(long)]
        sample: bool,
    },
    /// Check each account: where its requests go, its keys, the market clock; and the alerts.
    Test,
    /// Run the scheduler: strategies on their schedules, the monitor, the daily summary.
    /// Needs keys; with --simulate it runs on the simulated broker over the sample sessions
    /// instead and stops at their end.
    Start {
        /// Place orders (also SIGNAL_EXECUTION_ENABLED=true); otherwise signals are recorded
        /// as pending for `execute`.
        #[arg(long)]
        execute: bool,
        /// Run on the simulated broker over generated sample sessions (no keys needed, no
        /// orders reach Alpaca, keys are ignored).
        #[arg(long)]
        simulate: bool,
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
    /// Per-strategy performance from the stores: signals by outcome and skip reason, round
    /// trips, win rate, average win and loss, expectancy, profit factor and drawdown, all time
    /// and by week.
    Performance {
        /// JSON (every signal included) instead of a table.
        #[arg(long)]
        json: bool,
        /// Weeks shown per strategy in the table.
        #[arg(long, default_value_t = 4)]
        weeks: usize,
        /// A store to read instead of the daemon's (repeatable), e.g. a backtest's
        /// store.sqlite.
        #[arg(long)]
        store: Vec<PathBuf>,
    },
    /// Walk-forward sweep of each enabled strategy's parameters; writes proposal files and
    /// changes nothing.
    Propose {
        /// Only these strategies (repeatable; default: every enabled one).
        #[arg(long)]
        strategy: Vec<String>,
        /// Where the proposals go (default: <data_dir>/proposals).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Apply a reviewed proposal to the configuration file given with --config (a running
    /// daemon reloads it).
    ApplyProposal {
        /// The proposal file.
        file: PathBuf,
    },
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
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("{}", redact::redact(f.message()));
            ExitCode::from(f.code())
        }
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let env = |k: &str| std::env::var(k).ok();
    let cfg = Config::load(cli.config.as_deref(), &env)
        .map_err(|e| Failure::Setup(format!("invalid configuration: {e}")))?;
    // The database's password never reaches a log line, an error or status.json.
    if let Some(password) = cfg.database.password() {
        redact::register(&password);
    }
    // Whatever a command prints passes the redaction too: an error may quote a server's page.
    let mut out = redact::Redacting::new(std::io::stdout());
    match cli.command {
        Command::Backtest {
            csv,
            out: dir,
            days,
            download,
            from,
            to,
            cache,
            intraday_days,
        } => {
            let download = download.then(|| {
                let to = to.unwrap_or_else(|| {
                    chrono::Utc::now()
                        .with_timezone(&chrono_tz::America::New_York)
                        .date_naive()
                        .pred_opt()
                        .unwrap_or(chrono::NaiveDate::MIN)
                });
                backtest_data::Download {
                    from: from.unwrap_or_else(|| weekdays_before(to, cfg.backtest.days)),
                    to,
                    cache: cache.unwrap_or_else(|| cfg.paths.data_dir.join("bars-cache")),
                    intraday_days,
                }
            });
            backtest_cmd::run(
                &cfg,
                backtest_cmd::Options {
                    csv,
                    out: dir,
                    days,
                    download,
                },
                &env,
            )
            .await
        }
        Command::ValidateConfig => {
            validate_config(&cfg, &mut out);
            Ok(())
        }
        Command::Scan { timeframe, sample } => {
            scan::run(&cfg, timeframe.as_deref(), sample, &env, &mut out)
                .await
                .map(|_| ())
                .map_err(|e| match e {
                    scan::ScanError::NoKeys(_) => Failure::Setup(e.to_string()),
                    scan::ScanError::Other(_) => Failure::Run(e.to_string()),
                })
        }
        Command::Test => Ok(check::run(&cfg, &env, &mut out).await?),
        Command::Start { execute, simulate } => start(cfg, cli.config, execute, simulate).await,
        Command::Status => {
            let dir = performance::state_dir(&cfg);
            commands::status(&dir.join("status.json"), &mut out)?;
            if cfg.database.enabled() {
                let _ = writeln!(
                    out,
                    "leader (from the database): {}",
                    leader_now(&cfg).await
                );
            }
            if let Err(e) = performance::status(&cfg, &dir, &mut out).await {
                // The heartbeat was shown; a store that cannot be read is a note, not a failure.
                let _ = writeln!(out, "performance: {e}");
            }
            Ok(())
        }
        Command::Performance { json, weeks, store } => {
            Ok(performance::command(&cfg, json, weeks, store).await?)
        }
        Command::Propose { strategy, out } => {
            Ok(proposals::command::propose(&cfg, &strategy, out).await?)
        }
        Command::ApplyProposal { file } => Ok(proposals::command::apply_proposal(
            cli.config.as_deref(),
            &file,
        )?),
        Command::MonitorStats => Ok(commands::monitor_stats(
            &performance::state_dir(&cfg).join("status.json"),
            &cfg.paths.data_dir,
            &mut out,
        )?),
        command @ (Command::Positions
        | Command::Close { .. }
        | Command::CloseAll { .. }
        | Command::Execute { .. }
        | Command::Monitor { .. }) => account_command(&cfg, command).await,
    }
}

/// The weekday `n` weekdays before `to` (holidays count as weekdays).
fn weekdays_before(to: chrono::NaiveDate, n: u32) -> chrono::NaiveDate {
    use chrono::Datelike;
    let mut d = to;
    let mut left = n;
    while left > 0 {
        match d.pred_opt() {
            Some(p) => d = p,
            None => break,
        }
        if !matches!(d.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun) {
            left -= 1;
        }
    }
    d
}

fn validate_config(cfg: &Config, out: &mut dyn std::io::Write) {
    let _ = writeln!(
        out,
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
    for (name, a) in &cfg.accounts {
        let _ = writeln!(
            out,
            "  account {name} ({}): {}",
            match a.environment {
                config::EnvironmentName::Paper => "paper",
                config::EnvironmentName::Live => "live",
            },
            endpoints::Endpoints::of(cfg, name).describe(a)
        );
    }
    for (name, s) in &cfg.strategies {
        let _ = writeln!(
            out,
            "  {name}: {}, account {}, {} symbols",
            if s.enabled() { "enabled" } else { "disabled" },
            s.account(),
            s.symbols().len()
        );
    }
}

/// Who leads, read from the database now.
#[cfg(feature = "postgres")]
async fn leader_now(cfg: &Config) -> String {
    match daemon::leader::Leadership::open(cfg).await {
        Ok(l) => match l.leader().await {
            Ok(h) => daemon::leader::describe(h.as_ref()),
            Err(e) => format!("unknown: {e}"),
        },
        Err(e) => format!("unknown: {e}"),
    }
}

#[cfg(not(feature = "postgres"))]
async fn leader_now(_cfg: &Config) -> String {
    NO_POSTGRES.into()
}

/// Why a build without the `postgres` feature cannot use `[database]`.
#[cfg(not(feature = "postgres"))]
const NO_POSTGRES: &str = "database.url is set, but this build has no PostgreSQL support: \
    build with `cargo build --release -p signal-daemon --features postgres`";

/// The stores of the used accounts when they are in PostgreSQL, with the lease taken for this
/// command (refused, naming the leader, while a daemon leads); none with SQLite.
#[cfg(feature = "postgres")]
async fn shared_stores(
    cfg: &Config,
) -> Result<
    (
        std::collections::BTreeMap<String, std::sync::Arc<dyn alpaca_exec::store::ExecutionStore>>,
        Option<daemon::leader::Leadership>,
    ),
    Failure,
> {
    if !cfg.database.enabled() {
        return Ok((Default::default(), None));
    }
    let l = daemon::leader::Leadership::open(cfg)
        .await
        .map_err(Failure::Setup)?;
    l.take_now().await.map_err(Failure::Run)?;
    let stores = l
        .stores(cfg, daemon::runtime::used_accounts(cfg))
        .await
        .map_err(Failure::Setup)?;
    Ok((stores, Some(l)))
}

#[cfg(not(feature = "postgres"))]
async fn shared_stores(
    cfg: &Config,
) -> Result<
    (
        std::collections::BTreeMap<String, std::sync::Arc<dyn alpaca_exec::store::ExecutionStore>>,
        Option<()>,
    ),
    Failure,
> {
    if cfg.database.enabled() {
        return Err(Failure::Setup(NO_POSTGRES.into()));
    }
    Ok((Default::default(), None))
}

/// The Alpaca accounts, for the commands that act on them (the simulated broker lives only
/// inside `start --simulate` and `backtest`), over `stores` where given.
fn accounts(
    cfg: &Config,
    stores: std::collections::BTreeMap<
        String,
        std::sync::Arc<dyn alpaca_exec::store::ExecutionStore>,
    >,
) -> Result<daemon::runtime::Runtime, Failure> {
    let env = |k: &str| std::env::var(k).ok();
    match daemon::runtime::Runtime::open_with(cfg, &env, stores)? {
        daemon::runtime::Opened::Live(rt) => Ok(rt),
        daemon::runtime::Opened::NoKeys(missing) => Err(Failure::Setup(format!(
            "{missing}: this command acts on an Alpaca account (the simulated broker runs only inside `start --simulate` and `backtest`)"
        ))),
    }
}

/// The commands that act on the Alpaca accounts.
async fn account_command(cfg: &Config, command: Command) -> Result<(), Failure> {
    let (stores, leadership) = shared_stores(cfg).await?;
    let rt = accounts(cfg, stores)?;
    let r = account_command_on(cfg, &rt, command).await;
    #[cfg(feature = "postgres")]
    if let Some(l) = leadership {
        l.release().await;
    }
    #[cfg(not(feature = "postgres"))]
    let _ = leadership;
    r
}

async fn account_command_on(
    cfg: &Config,
    rt: &daemon::runtime::Runtime,
    command: Command,
) -> Result<(), Failure> {
    let mut out = redact::Redacting::new(std::io::stdout());
    match command {
        Command::Positions => Ok(commands::positions(rt, &mut out).await?),
        Command::Close { symbol } => {
            let n = commands::close(rt, &symbol, &mut out).await?;
            println!("{n} exit order(s) placed");
            Ok(())
        }
        Command::CloseAll { yes } => {
            if !yes && !commands::ask("Close every position the daemon holds?") {
                println!("nothing closed");
                return Ok(());
            }
            let n = commands::close_all(rt, &mut out).await?;
            println!("{n} exit order(s) placed");
            Ok(())
        }
        Command::Execute { yes } => {
            let mut confirm = |q: &str| yes || commands::ask(q);
            let n = commands::execute(rt, &mut confirm, &mut out).await?;
            println!("{n} order(s) placed");
            Ok(())
        }
        Command::Monitor { execute, once } => {
            Ok(monitor(cfg, rt, execute || cfg.execution.enabled, once).await?)
        }
        _ => Err(Failure::Run("not a command on the accounts".into())),
    }
}

async fn start(
    cfg: Config,
    config_path: Option<PathBuf>,
    execute: bool,
    simulate: bool,
) -> Result<(), Failure> {
    use daemon::runtime::{Opened, Runtime};
    let env = |k: &str| std::env::var(k).ok();
    if !simulate && cfg.database.enabled() {
        return start_shared(cfg, config_path, execute).await;
    }
    let opened = if simulate {
        None
    } else {
        match Runtime::open(&cfg, &env)? {
            Opened::Live(rt) => Some(rt),
            Opened::NoKeys(missing) => {
                return Err(Failure::Setup(format!(
                    "{missing}: `start` trades an Alpaca account and needs its keys; `start --simulate` runs on the simulated broker without them"
                )));
            }
        }
    };
    let (rt, clock, until, execute): (
        Runtime,
        std::sync::Arc<dyn daemon::clock::DaemonClock>,
        _,
        _,
    ) = match opened {
        Some(rt) => (
            rt,
            std::sync::Arc::new(daemon::clock::WallClock),
            None,
            execute || cfg.execution.enabled,
        ),
        None => {
            let (rt, clock, until) = Runtime::simulated(&cfg, &cfg.paths.data_dir.join("sim"))?;
            println!(
                "Simulating: the simulated broker over {} sample sessions (orders are simulated; no request reaches Alpaca).",
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
        leader: None,
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
                alpaca_exec::backtest::format::money(sim.equity())
            );
        }
    }
    if let Some(e) = &d.status().config_error {
        println!("note: the last reload was refused: {e}");
    }
    println!("status: {}", status_path.display());
    Ok(())
}

/// `start` with `[database]`: stand by until this daemon holds the lease, then lead until
/// stopped (releasing the lease) or until the lease is lost (exit 1; see `daemon::leader`).
#[cfg(feature = "postgres")]
async fn start_shared(
    cfg: Config,
    config_path: Option<PathBuf>,
    execute: bool,
) -> Result<(), Failure> {
    use daemon::runtime::{Opened, Runtime};
    let env = |k: &str| std::env::var(k).ok();
    let leadership = daemon::leader::Leadership::open(&cfg)
        .await
        .map_err(Failure::Setup)?;
    let stores = leadership
        .stores(&cfg, daemon::runtime::used_accounts(&cfg))
        .await
        .map_err(Failure::Setup)?;
    let rt = match Runtime::open_with(&cfg, &env, stores.clone())? {
        Opened::Live(rt) => rt,
        Opened::NoKeys(missing) => {
            return Err(Failure::Setup(format!(
                "{missing}: `start` trades an Alpaca account and needs its keys"
            )));
        }
    };
    let status_path = rt.data_dir.join("status.json");
    std::fs::create_dir_all(&rt.data_dir)
        .map_err(|e| Failure::Setup(format!("{}: {e}", rt.data_dir.display())))?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    listen_for_signals(tx);
    let standing = std::time::Instant::now();
    let Some(token) = leadership.stand_by(&stores, &status_path, &mut rx).await else {
        println!("stopped while standing by");
        return Ok(());
    };
    let me = format!(
        "{} (token {token}, took over after {:.1} s on standby)",
        leadership.holder_name(),
        standing.elapsed().as_secs_f64()
    );
    tracing::info!(leader = %me, "leading");
    let opts = daemon::Options {
        execute: execute || cfg.execution.enabled,
        config_path,
        until: None,
        status_path: status_path.clone(),
        leader: Some(me.clone()),
    };
    let alerter = rt.alerter.clone();
    let mut d = daemon::Daemon::new(
        cfg,
        Box::new(env),
        opts,
        rt,
        std::sync::Arc::new(daemon::clock::WallClock),
    );
    tokio::select! {
        r = d.run(rx) => {
            leadership.release().await;
            r?;
        }
        lost = leadership.hold() => {
            // The step in progress is dropped: its writes are refused, so nothing is sent.
            let message = format!("{me} stood down: {lost}; exiting so the service manager restarts it as a standby");
            tracing::error!("{message}");
            let mut status = d.status().clone();
            status.state = "stood down".into();
            status.role = Some("standby".into());
            status.leader = Some(daemon::leader::describe(leadership.leader().await.ok().flatten().as_ref()));
            status.updated_at = Some(chrono::Utc::now());
            let _ = status.write(&status_path);
            let alert = alpaca_exec::alert::Alert::Notice { message: message.clone(), time: chrono::Utc::now() };
            alpaca_exec::alert::deliver(alerter.as_ref(), &alert).await;
            return Err(Failure::Run(message));
        }
    }
    commands::status(&status_path, &mut std::io::stdout())?;
    Ok(())
}

#[cfg(not(feature = "postgres"))]
async fn start_shared(
    _cfg: Config,
    _config_path: Option<PathBuf>,
    _execute: bool,
) -> Result<(), Failure> {
    Err(Failure::Setup(NO_POSTGRES.into()))
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
    let mut out = redact::Redacting::new(std::io::stdout());
    let saved = commands::SavedMonitorStats::load(&rt.data_dir);
    if once {
        return commands::monitor_once(rt, execute, &saved, &mut out)
            .await
            .map(|_| ());
    }
    let every = std::time::Duration::from_secs(cfg.monitor.check_interval.max(1));
    loop {
        if let Err(e) = commands::monitor_once(rt, execute, &saved, &mut out).await {
            eprintln!("monitor: {}", redact::redact(&e));
        }
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            _ = tokio::time::sleep(every) => {}
        }
    }
}
