//! The signal daemon: runs the reference strategies against Alpaca (paper by default) or, with
//! no keys, against the simulated broker on generated sample data.
//!
//! ```text
//! cargo run --release --example signal_daemon -- backtest          # no keys needed
//! cargo run --release --example signal_daemon -- validate-config --config my.toml
//! cargo run --release --example signal_daemon -- scan --timeframe 1D
//! ```

mod backtest_cmd;
mod config;
mod credentials;
mod sample_data;
mod strategies;

use clap::{Parser, Subcommand};
use config::Config;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "signal_daemon",
    about = "Reference deployment of alpaca-exec strategies"
)]
struct Cli {
    /// Configuration file (TOML or JSON); the embedded defaults when absent.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
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
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
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
    if failures > 0 {
        return Err(format!("{failures} account(s) failed"));
    }
    Ok(())
}
