//! The daemon's configuration: a TOML (or JSON) file laid over the embedded defaults (see
//! [`crate::config_file`]), and environment overrides. Everything is validated at load, and an
//! error names the key.

use crate::endpoints::{Endpoints, UrlOverrides};
use alpaca_exec::data::TimeFrame;
use alpaca_exec::risk::EventFilterConfig;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

mod database;
mod mean_reversion;
mod momentum;
mod proposals;

pub use database::DatabaseConfig;

pub use mean_reversion::MeanReversionConfig;
pub use momentum::MomentumConfig;
pub use proposals::{MAX_GRID_POINTS, ProposalsConfig, param, with_param};

/// The configuration compiled into the binary.
pub const DEFAULT_CONFIG: &str = include_str!("default_config.toml");

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub execution: ExecutionConfig,
    pub monitor: MonitorConfig,
    #[serde(default)]
    pub alerts: AlertsConfig,
    pub paths: PathsConfig,
    pub backtest: BacktestConfig,
    #[serde(default)]
    pub event_filter: EventFilterSection,
    #[serde(default)]
    pub accounts: BTreeMap<String, AccountProfile>,
    #[serde(default)]
    pub strategies: BTreeMap<String, StrategyConfig>,
    #[serde(default)]
    pub proposals: ProposalsConfig,
    /// PostgreSQL stores and the leader lease (off: SQLite files in `data_dir`).
    #[serde(default)]
    pub database: DatabaseConfig,
    /// `APCA_API_BASE_URL` / `APCA_API_DATA_URL`, read by [`Config::apply_env`].
    #[serde(skip)]
    pub url_overrides: UrlOverrides,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecutionConfig {
    pub enabled: bool,
    pub max_capital_per_trade: Decimal,
    pub max_concurrent_positions: u32,
    pub max_total_allocation: Decimal,
    pub daily_loss_halt: Decimal,
}

/// `[event_filter]`: `enabled` (default false) and the library's `EventFilterConfig` settings
/// beside it in the same table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventFilterSection {
    pub enabled: bool,
    pub settings: EventFilterConfig,
}

impl<'de> Deserialize<'de> for EventFilterSection {
    // Not `#[serde(flatten)]`: a flattened struct silently ignores unknown keys, and a
    // misspelt setting must be refused like everywhere else in the file.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut table = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        let enabled = match table.remove("enabled") {
            None => false,
            Some(serde_json::Value::Bool(b)) => b,
            Some(other) => {
                return Err(D::Error::custom(format!(
                    "enabled must be true or false, not {other}"
                )));
            }
        };
        let settings = EventFilterConfig::deserialize(serde_json::Value::Object(table))
            .map_err(D::Error::custom)?;
        Ok(Self { enabled, settings })
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorConfig {
    pub exit_dte: i64,
    pub max_loss_pct: Decimal,
    pub max_profit_pct: Decimal,
    /// Seconds.
    pub check_interval: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsConfig {
    #[serde(default)]
    pub discord_webhook_url: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathsConfig {
    pub data_dir: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BacktestConfig {
    pub seed: u64,
    pub days: u32,
    pub start_equity: Decimal,
    /// How the simulator prices and settles options (`[backtest.options]`; defaults if absent).
    #[serde(default)]
    pub options: OptionSimConfig,
}

/// The simulator's option model (see `alpaca_exec::backtest::sim::options`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OptionSimConfig {
    /// Sessions of daily returns in the underlying's realised volatility.
    pub volatility_window: usize,
    /// The least volatility options are priced with.
    pub volatility_floor: Decimal,
    /// The volatility until `volatility_window` returns are known.
    pub initial_volatility: Decimal,
    /// Bid/ask spread as a fraction of the option's price.
    pub spread: Decimal,
    /// The narrowest spread, in dollars per share.
    pub min_spread: Decimal,
    /// How exercised and assigned options settle: shares at the strike, or cash.
    pub exercise: ExerciseName,
}

impl Default for OptionSimConfig {
    fn default() -> Self {
        Self {
            volatility_window: 20,
            volatility_floor: Decimal::new(15, 2),
            initial_volatility: Decimal::new(30, 2),
            spread: Decimal::new(4, 2),
            min_spread: Decimal::new(1, 2),
            exercise: ExerciseName::Shares,
        }
    }
}

/// `backtest.options.exercise`, as written in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExerciseName {
    Shares,
    Cash,
}

/// Paper or live, as written in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EnvironmentName {
    Paper,
    Live,
}

/// A named account: where its keys come from and which environment it trades in.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountProfile {
    pub environment: EnvironmentName,
    #[serde(default)]
    pub key_id_env: Option<String>,
    #[serde(default)]
    pub secret_key_env: Option<String>,
    #[serde(default)]
    pub credentials_file: Option<PathBuf>,
    #[serde(default)]
    pub key_id_command: Option<String>,
    #[serde(default)]
    pub secret_key_command: Option<String>,
    /// Override of `execution.max_concurrent_positions` for strategies on this account.
    #[serde(default)]
    pub max_concurrent_positions: Option<u32>,
    /// Override of `execution.max_capital_per_trade`.
    #[serde(default)]
    pub max_capital_per_trade: Option<Decimal>,
    /// The trading API's base URL (a proxy or a mock); Alpaca's host for the environment when
    /// absent. `APCA_API_BASE_URL` overrides it.
    #[serde(default)]
    pub trading_base_url: Option<String>,
    /// The market data API's base URL; `APCA_API_DATA_URL` overrides it.
    #[serde(default)]
    pub data_base_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StrategyConfig {
    TrendHysteresis(TrendConfig),
    BearTrap(BearTrapConfig),
    StratOptions(StratConfig),
    Momentum(MomentumConfig),
    MeanReversion(MeanReversionConfig),
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TrendConfig {
    pub account: String,
    pub timeframe: String,
    pub symbols: Vec<String>,
    pub fast: usize,
    pub slow: usize,
    pub upper_band: Decimal,
    pub lower_band: Decimal,
    pub position_pct: Decimal,
    #[serde(default)]
    pub position_pct_by_symbol: BTreeMap<String, Decimal>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BearTrapConfig {
    pub account: String,
    pub timeframe: String,
    pub symbols: Vec<String>,
    pub min_drop: Decimal,
    pub reclaim_margin: Decimal,
    pub stop_buffer: Decimal,
    pub target_pct: Decimal,
    pub trailing_activation: Decimal,
    pub trailing_pct: Decimal,
    pub exit_before_close_minutes: u32,
    pub position_pct: Decimal,
    #[serde(default = "yes")]
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StratConfig {
    pub account: String,
    pub timeframes: Vec<String>,
    pub symbols: Vec<String>,
    pub min_magnitude: Decimal,
    pub min_reward_risk: Decimal,
    pub min_delta: f64,
    pub max_delta: f64,
    pub min_dte: i64,
    pub max_dte: i64,
    #[serde(default = "yes")]
    pub enabled: bool,
}

pub(crate) fn yes() -> bool {
    true
}

impl StrategyConfig {
    pub fn account(&self) -> &str {
        match self {
            StrategyConfig::TrendHysteresis(c) => &c.account,
            StrategyConfig::BearTrap(c) => &c.account,
            StrategyConfig::StratOptions(c) => &c.account,
            StrategyConfig::Momentum(c) => &c.account,
            StrategyConfig::MeanReversion(c) => &c.account,
        }
    }

    pub fn enabled(&self) -> bool {
        match self {
            StrategyConfig::TrendHysteresis(c) => c.enabled,
            StrategyConfig::BearTrap(c) => c.enabled,
            StrategyConfig::StratOptions(c) => c.enabled,
            StrategyConfig::Momentum(c) => c.enabled,
            StrategyConfig::MeanReversion(c) => c.enabled,
        }
    }

    pub fn symbols(&self) -> &[String] {
        match self {
            StrategyConfig::TrendHysteresis(c) => &c.symbols,
            StrategyConfig::BearTrap(c) => &c.symbols,
            StrategyConfig::StratOptions(c) => &c.symbols,
            StrategyConfig::Momentum(c) => &c.symbols,
            StrategyConfig::MeanReversion(c) => &c.symbols,
        }
    }

    /// The symbol list, to edit (e.g. a backtest restricted to the symbols it has data for).
    pub fn symbols_mut(&mut self) -> &mut Vec<String> {
        match self {
            StrategyConfig::TrendHysteresis(c) => &mut c.symbols,
            StrategyConfig::BearTrap(c) => &mut c.symbols,
            StrategyConfig::StratOptions(c) => &mut c.symbols,
            StrategyConfig::Momentum(c) => &mut c.symbols,
            StrategyConfig::MeanReversion(c) => &mut c.symbols,
        }
    }
}

/// A configuration problem, naming the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

pub(crate) fn err<T>(msg: impl Into<String>) -> Result<T, ConfigError> {
    Err(ConfigError(msg.into()))
}

impl Config {
    /// Every symbol an enabled strategy trades, sorted, once each.
    pub fn enabled_symbols(&self) -> Vec<String> {
        let set: std::collections::BTreeSet<&String> = self
            .strategies
            .values()
            .filter(|s| s.enabled())
            .flat_map(|s| s.symbols())
            .collect();
        set.into_iter().cloned().collect()
    }

    /// Parses TOML, or JSON when the text starts with `{`, over the embedded defaults.
    pub fn parse(text: &str, source: &str) -> Result<Config, ConfigError> {
        crate::config_file::parse(text, source)
    }

    /// Loads `path` (or the embedded defaults), applies environment overrides and validates.
    pub fn load(
        path: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut cfg = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| ConfigError(format!("cannot read {}: {e}", p.display())))?;
                Config::parse(&text, &p.display().to_string())?
            }
            None => Config::parse(DEFAULT_CONFIG, "embedded defaults")?,
        };
        cfg.apply_env(env)?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Environment overrides (the names of the original signal system).
    pub fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parse<T: FromStr>(name: &str, v: &str) -> Result<T, ConfigError> {
            v.trim()
                .parse()
                .map_err(|_| ConfigError(format!("environment variable {name}={v:?} is not valid")))
        }
        let get = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let flag = |name: &str, v: &str| match v.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => err(format!(
                "environment variable {name}={v:?} is not a boolean"
            )),
        };
        if let Some(v) = get("SIGNAL_EXECUTION_ENABLED") {
            self.execution.enabled = flag("SIGNAL_EXECUTION_ENABLED", &v)?;
        }
        if let Some(v) = get("SIGNAL_EVENT_FILTER_ENABLED") {
            self.event_filter.enabled = flag("SIGNAL_EVENT_FILTER_ENABLED", &v)?;
        }
        if let Some(v) = get("SIGNAL_MAX_CAPITAL_PER_TRADE") {
            self.execution.max_capital_per_trade = parse("SIGNAL_MAX_CAPITAL_PER_TRADE", &v)?;
        }
        if let Some(v) = get("SIGNAL_MAX_CONCURRENT_POSITIONS") {
            self.execution.max_concurrent_positions = parse("SIGNAL_MAX_CONCURRENT_POSITIONS", &v)?;
        }
        if let Some(v) = get("SIGNAL_EXIT_DTE") {
            self.monitor.exit_dte = parse("SIGNAL_EXIT_DTE", &v)?;
        }
        if let Some(v) = get("SIGNAL_MAX_LOSS_PCT") {
            self.monitor.max_loss_pct = parse("SIGNAL_MAX_LOSS_PCT", &v)?;
        }
        if let Some(v) = get("SIGNAL_MAX_PROFIT_PCT") {
            self.monitor.max_profit_pct = parse("SIGNAL_MAX_PROFIT_PCT", &v)?;
        }
        if let Some(v) = get("SIGNAL_CHECK_INTERVAL") {
            self.monitor.check_interval = parse("SIGNAL_CHECK_INTERVAL", &v)?;
        }
        if let Some(v) = get("DISCORD_WEBHOOK_URL") {
            self.alerts.discord_webhook_url = v;
        }
        if let Some(v) = get("SIGNAL_DATABASE_URL") {
            self.database.url = v;
        }
        self.url_overrides = UrlOverrides::from_env(env);
        Ok(())
    }

    /// Checks every value; the first problem is returned with its key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.database.validate(self.accounts.keys())?;
        let e = &self.execution;
        positive("execution.max_capital_per_trade", e.max_capital_per_trade)?;
        if e.max_concurrent_positions == 0 {
            return err("execution.max_concurrent_positions must be at least 1");
        }
        fraction("execution.max_total_allocation", e.max_total_allocation)?;
        fraction("execution.daily_loss_halt", e.daily_loss_halt)?;
        let m = &self.monitor;
        if m.exit_dte < 0 {
            return err("monitor.exit_dte must not be negative");
        }
        positive("monitor.max_loss_pct", m.max_loss_pct)?;
        if m.max_loss_pct > Decimal::ONE {
            return err("monitor.max_loss_pct is a fraction of the premium and must be at most 1");
        }
        positive("monitor.max_profit_pct", m.max_profit_pct)?;
        if m.check_interval == 0 {
            return err("monitor.check_interval must be at least 1 second");
        }
        let url = self.alerts.discord_webhook_url.trim();
        if !(url.is_empty() || url.starts_with("https://") || url.starts_with("http://")) {
            return err("alerts.discord_webhook_url must be an http(s) URL");
        }
        if self.paths.data_dir.as_os_str().is_empty() {
            return err("paths.data_dir must not be empty");
        }
        positive("backtest.start_equity", self.backtest.start_equity)?;
        let o = &self.backtest.options;
        if o.volatility_window < 2 {
            return err("backtest.options.volatility_window must be at least 2 sessions");
        }
        positive("backtest.options.volatility_floor", o.volatility_floor)?;
        positive("backtest.options.initial_volatility", o.initial_volatility)?;
        if o.spread < Decimal::ZERO || o.min_spread < Decimal::ZERO {
            return err("backtest.options.spread and min_spread must not be negative");
        }
        self.event_filter
            .settings
            .validate()
            .map_err(|e| ConfigError(format!("event_filter.{e}")))?;
        if self.backtest.days < 60 {
            return err("backtest.days must be at least 60 (the slow indicators need history)");
        }
        for (name, a) in &self.accounts {
            let key = format!("accounts.{name}");
            let sources = [
                a.key_id_env.is_some() || a.secret_key_env.is_some(),
                a.credentials_file.is_some(),
                a.key_id_command.is_some() || a.secret_key_command.is_some(),
            ];
            match sources.iter().filter(|s| **s).count() {
                0 => {
                    return err(format!(
                        "{key} needs key_id_env + secret_key_env, credentials_file, or key_id_command + secret_key_command"
                    ));
                }
                1 => {}
                _ => {
                    return err(format!(
                        "{key} has more than one credentials source; choose one"
                    ));
                }
            }
            if a.key_id_env.is_some() != a.secret_key_env.is_some() {
                return err(format!("{key} needs both key_id_env and secret_key_env"));
            }
            crate::credentials::check_variable_names(&key, a).map_err(ConfigError)?;
            Endpoints::of(self, name)
                .check(name, a)
                .map_err(ConfigError)?;
            if a.key_id_command.is_some() != a.secret_key_command.is_some() {
                return err(format!(
                    "{key} needs both key_id_command and secret_key_command"
                ));
            }
            if let Some(c) = a.max_capital_per_trade {
                positive(&format!("{key}.max_capital_per_trade"), c)?;
            }
            if a.max_concurrent_positions == Some(0) {
                return err(format!("{key}.max_concurrent_positions must be at least 1"));
            }
        }
        for (name, s) in &self.strategies {
            self.validate_strategy(name, s)?;
        }
        self.proposals.validate(self)?;
        Ok(())
    }

    /// Checks one strategy's table (as `validate` does for each); errors name
    /// `strategies.NAME.KEY`.
    pub fn validate_strategy(&self, name: &str, s: &StrategyConfig) -> Result<(), ConfigError> {
        let key = format!("strategies.{name}");
        if !self.accounts.contains_key(s.account()) {
            return err(format!(
                "{key}.account names unknown account {:?}",
                s.account()
            ));
        }
        if s.symbols().is_empty() {
            return err(format!("{key}.symbols must not be empty"));
        }
        if let Some(bad) = s
            .symbols()
            .iter()
            .find(|x| x.trim().is_empty() || x.contains(char::is_whitespace))
        {
            return err(format!("{key}.symbols has an invalid symbol {bad:?}"));
        }
        match s {
            StrategyConfig::TrendHysteresis(c) => {
                timeframe(&format!("{key}.timeframe"), &c.timeframe)?;
                if c.fast == 0 || c.slow <= c.fast {
                    return err(format!(
                        "{key}: slow ({}) must be greater than fast ({}), and fast at least 1",
                        c.slow, c.fast
                    ));
                }
                if c.upper_band <= c.lower_band {
                    return err(format!(
                        "{key}.upper_band ({}) must be greater than lower_band ({}): the gap is the hysteresis",
                        c.upper_band, c.lower_band
                    ));
                }
                fraction(&format!("{key}.position_pct"), c.position_pct)?;
                for (sym, p) in &c.position_pct_by_symbol {
                    fraction(&format!("{key}.position_pct_by_symbol.{sym}"), *p)?;
                }
            }
            StrategyConfig::BearTrap(c) => {
                let tf = timeframe(&format!("{key}.timeframe"), &c.timeframe)?;
                if tf.unit() != alpaca_exec::data::TimeFrameUnit::Minute {
                    return err(format!(
                        "{key}.timeframe must be minutes: the bear trap is intraday"
                    ));
                }
                fraction(&format!("{key}.min_drop"), c.min_drop)?;
                for (k, v) in [
                    ("reclaim_margin", c.reclaim_margin),
                    ("stop_buffer", c.stop_buffer),
                    ("target_pct", c.target_pct),
                    ("trailing_activation", c.trailing_activation),
                    ("trailing_pct", c.trailing_pct),
                    ("position_pct", c.position_pct),
                ] {
                    fraction(&format!("{key}.{k}"), v)?;
                }
                if c.exit_before_close_minutes > 390 {
                    return err(format!(
                        "{key}.exit_before_close_minutes must be within the 390-minute session"
                    ));
                }
            }
            StrategyConfig::StratOptions(c) => {
                if c.timeframes.is_empty() {
                    return err(format!("{key}.timeframes must not be empty"));
                }
                for (i, t) in c.timeframes.iter().enumerate() {
                    timeframe(&format!("{key}.timeframes[{i}]"), t)?;
                }
                positive(&format!("{key}.min_magnitude"), c.min_magnitude)?;
                positive(&format!("{key}.min_reward_risk"), c.min_reward_risk)?;
                if !(0.0 < c.min_delta && c.min_delta <= c.max_delta && c.max_delta < 1.0) {
                    return err(format!(
                        "{key}: need 0 < min_delta <= max_delta < 1, got {} and {}",
                        c.min_delta, c.max_delta
                    ));
                }
                if c.min_dte < 0 || c.min_dte > c.max_dte {
                    return err(format!(
                        "{key}: need 0 <= min_dte <= max_dte, got {} and {}",
                        c.min_dte, c.max_dte
                    ));
                }
            }
            StrategyConfig::Momentum(c) => c.validate(&key)?,
            StrategyConfig::MeanReversion(c) => c.validate(&key)?,
        }
        Ok(())
    }
}

pub(crate) fn positive(key: &str, v: Decimal) -> Result<(), ConfigError> {
    if v <= Decimal::ZERO {
        return err(format!("{key} must be positive, got {v}"));
    }
    Ok(())
}

pub(crate) fn fraction(key: &str, v: Decimal) -> Result<(), ConfigError> {
    if v <= Decimal::ZERO || v > Decimal::ONE {
        return err(format!(
            "{key} is a fraction and must be in (0, 1], got {v}"
        ));
    }
    Ok(())
}

pub fn timeframe(key: &str, v: &str) -> Result<TimeFrame, ConfigError> {
    v.parse::<TimeFrame>()
        .map_err(|e| ConfigError(format!("{key}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn with(text_edit: impl Fn(&str) -> String) -> Result<Config, ConfigError> {
        let mut c = Config::parse(&text_edit(DEFAULT_CONFIG), "test")?;
        c.apply_env(&no_env)?;
        c.validate()?;
        Ok(c)
    }

    #[test]
    fn embedded_defaults_are_valid() {
        let c = Config::load(None, &no_env).unwrap();
        assert!(!c.execution.enabled, "execution is off by default");
        assert_eq!(c.execution.max_capital_per_trade, Decimal::from(300));
        assert_eq!(c.strategies.len(), 6);
        match &c.strategies["hourly_swing"] {
            StrategyConfig::TrendHysteresis(t) => {
                assert_eq!(t.position_pct_by_symbol["NVDA"], Decimal::new(6, 2));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn env_overrides() {
        let env = |k: &str| match k {
            "SIGNAL_EXECUTION_ENABLED" => Some("true".to_string()),
            "SIGNAL_MAX_CAPITAL_PER_TRADE" => Some("500".to_string()),
            "SIGNAL_MAX_CONCURRENT_POSITIONS" => Some("3".to_string()),
            "SIGNAL_EXIT_DTE" => Some("2".to_string()),
            "SIGNAL_CHECK_INTERVAL" => Some("30".to_string()),
            "DISCORD_WEBHOOK_URL" => Some("https://discord.example/api/webhooks/1/x".to_string()),
            _ => None,
        };
        let c = Config::load(None, &env).unwrap();
        assert!(c.execution.enabled);
        assert_eq!(c.execution.max_capital_per_trade, Decimal::from(500));
        assert_eq!(c.execution.max_concurrent_positions, 3);
        assert_eq!((c.monitor.exit_dte, c.monitor.check_interval), (2, 30));
        assert!(c.alerts.discord_webhook_url.starts_with("https://"));
        let bad = |k: &str| (k == "SIGNAL_EXECUTION_ENABLED").then(|| "maybe".to_string());
        let e = Config::load(None, &bad).unwrap_err();
        assert!(e.0.contains("SIGNAL_EXECUTION_ENABLED"), "{e}");
    }

    #[test]
    fn invalid_values_name_their_key() {
        let cases: [(&str, &str, &str); 20] = [
            (
                "upper_band = 0.01\nlower_band = -0.01\nposition_pct = 0.10\n\n[strategies.hourly_swing]",
                "upper_band = -0.02\nlower_band = -0.01\nposition_pct = 0.10\n\n[strategies.hourly_swing]",
                "strategies.daily_trend.upper_band",
            ),
            (
                "max_capital_per_trade = 300",
                "max_capital_per_trade = 0",
                "execution.max_capital_per_trade",
            ),
            (
                "check_interval = 60",
                "check_interval = 0",
                "monitor.check_interval",
            ),
            (
                "account = \"options\"",
                "account = \"nope\"",
                "strategies.strat_options.account",
            ),
            (
                "timeframes = [\"1Day\", \"1Week\", \"1Hour\"]",
                "timeframes = [\"1Day\", \"2Day\"]",
                "strategies.strat_options.timeframes[1]",
            ),
            ("min_dte = 7", "min_dte = 30", "strategies.strat_options"),
            (
                "min_drop = 0.15",
                "min_drop = 1.5",
                "strategies.bear_trap.min_drop",
            ),
            (
                "timeframe = \"1Min\"",
                "timeframe = \"1Hour\"",
                "strategies.bear_trap.timeframe",
            ),
            (
                "discord_webhook_url = \"\"",
                "discord_webhook_url = \"discord\"",
                "alerts.discord_webhook_url",
            ),
            (
                "timeframe = \"5Min\"",
                "timeframe = \"1Day\"",
                "strategies.momentum.timeframe",
            ),
            (
                "volume_lookback = 12",
                "volume_lookback = 0",
                "strategies.momentum.volume_lookback",
            ),
            (
                "volume_multiple = 1.5",
                "volume_multiple = -1",
                "strategies.momentum.volume_multiple",
            ),
            (
                "min_vwap_distance = 0.001",
                "min_vwap_distance = -0.001",
                "strategies.momentum.min_vwap_distance",
            ),
            (
                "stop_pct = 0.01",
                "stop_pct = 1",
                "strategies.momentum.stop_pct",
            ),
            (
                "start_after_minutes = 15",
                "start_after_minutes = 385",
                "strategies.momentum",
            ),
            (
                "oversold = 30",
                "oversold = 75",
                "strategies.mean_reversion",
            ),
            (
                "rsi_period = 14",
                "rsi_period = 0",
                "strategies.mean_reversion.rsi_period",
            ),
            (
                "# trend_period = 50",
                "trend_period = 0",
                "strategies.mean_reversion.trend_period",
            ),
            (
                "timeframe = \"15Min\"",
                "timeframe = \"1Day\"",
                "strategies.mean_reversion.exit_before_close_minutes",
            ),
            (
                "intraday_in_sample = 20",
                "intraday_in_sample = 0",
                "proposals.intraday_in_sample",
            ),
        ];
        for (from, to, key) in cases {
            let e = with(|t| t.replacen(from, to, 1)).unwrap_err();
            assert!(e.0.contains(key), "expected {key} in: {e}");
        }
    }

    #[test]
    fn unknown_keys_and_secrets_are_refused() {
        let e = with(|t| t.replace("fast = 10", "fsat = 10")).unwrap_err();
        assert!(e.0.contains("fsat"), "{e}");
        let e = with(|t| {
            t.replace(
                "[accounts.equity]\n",
                "[accounts.equity]\nsecret_key = \"abc\"\n",
            )
        })
        .unwrap_err();
        assert!(e.0.contains("must not be in the config file"), "{e}");
        let e = with(|t| t.replace("key_id_env = \"APCA_API_KEY_ID\"\nsecret_key_env = \"APCA_API_SECRET_KEY\"\n\n[accounts.options]", "credentials_file = \"/x\"\nkey_id_env = \"A\"\nsecret_key_env = \"B\"\n\n[accounts.options]")).unwrap_err();
        assert!(e.0.contains("more than one credentials source"), "{e}");
    }

    #[test]
    fn the_event_filter_is_off_by_default_and_its_settings_are_checked() {
        let c = Config::load(None, &no_env).unwrap();
        assert!(!c.event_filter.enabled, "off by default");
        assert_eq!(c.event_filter.settings, EventFilterConfig::default());
        let on = |k: &str| (k == "SIGNAL_EVENT_FILTER_ENABLED").then(|| "on".to_string());
        assert!(Config::load(None, &on).unwrap().event_filter.enabled);
        let c = with(|t| {
            t.replace("news_threshold = 10", "news_threshold = 3")
                .replace("on_error = \"allow\"", "on_error = \"block\"")
        })
        .unwrap();
        assert_eq!(c.event_filter.settings.news_threshold, 3);
        assert_eq!(
            c.event_filter.settings.on_error,
            alpaca_exec::risk::OnLookupError::Block
        );
        let e = with(|t| t.replace("news_window_hours = 24", "news_window_hours = 0")).unwrap_err();
        assert!(e.0.contains("event_filter.news_window_hours"), "{e}");
        let e = with(|t| t.replace("news_threshold = 10", "news_treshold = 10")).unwrap_err();
        assert!(e.0.contains("news_treshold"), "a typo is refused: {e}");
        // A file written before the filter existed still loads, with the filter off.
        let c = with(|t| {
            let start = t.find("[event_filter]").unwrap();
            let end = t.find("# Account profiles").unwrap();
            format!("{}{}", &t[..start], &t[end..])
        })
        .unwrap();
        assert!(!c.event_filter.enabled);
    }

    #[test]
    fn the_new_strategies_and_proposals_load_with_their_defaults() {
        let c = Config::load(None, &no_env).unwrap();
        match &c.strategies["momentum"] {
            StrategyConfig::Momentum(m) => {
                assert_eq!(m.timeframe, "5Min");
                assert_eq!(
                    (m.volume_lookback, m.volume_multiple),
                    (12, Decimal::new(15, 1))
                );
                assert_eq!(
                    (m.trailing_activation, m.trailing_pct),
                    (Decimal::new(2, 2), Decimal::new(1, 2))
                );
            }
            other => panic!("{other:?}"),
        }
        match &c.strategies["mean_reversion"] {
            StrategyConfig::MeanReversion(m) => {
                assert_eq!((m.rsi_period, m.band_period), (14, 20));
                assert_eq!(
                    (m.oversold, m.overbought),
                    (Decimal::from(30), Decimal::from(70))
                );
                assert!(m.exit_at_middle_band);
                assert_eq!(m.trend_period, None, "the filter is off by default");
                assert_eq!(m.exit_before_close_minutes, Some(10));
            }
            other => panic!("{other:?}"),
        }
        assert!(c.proposals.enabled);
        assert_eq!(
            c.proposals.metric,
            alpaca_exec::backtest::walk_forward::Objective::NetPnl
        );
        // The trend filter turned on.
        let c = with(|t| t.replace("# trend_period = 50", "trend_period = 50")).unwrap();
        match &c.strategies["mean_reversion"] {
            StrategyConfig::MeanReversion(m) => assert_eq!(m.trend_period, Some(50)),
            other => panic!("{other:?}"),
        }
        // A file without [proposals] loads with the defaults.
        let c = with(|t| {
            let start = t.find("[proposals]").unwrap();
            let end = t.find("# Account profiles").unwrap();
            format!("{}{}", &t[..start], &t[end..])
        })
        .unwrap();
        assert_eq!(c.proposals, ProposalsConfig::default());
    }

    #[test]
    fn proposal_grids_are_checked_against_their_strategy() {
        let grid = |body: &str| {
            with(|t| {
                t.replace(
                    "# Account profiles.",
                    &format!("[proposals.grid.momentum]\n{body}\n\n# Account profiles."),
                )
            })
        };
        let c = grid("volume_multiple = [1.25, 1.5, 2.0]").unwrap();
        assert_eq!(c.proposals.grid["momentum"]["volume_multiple"].len(), 3);
        let e = grid("volume_multiple = [1.5, -2.0]").unwrap_err();
        assert!(
            e.0.contains("proposals.grid.momentum.volume_multiple[1]")
                && e.0.contains("strategies.momentum.volume_multiple"),
            "{e}"
        );
        let e = grid("rsi_period = [10]").unwrap_err();
        assert!(e.0.contains("not a parameter"), "{e}");
        let e = grid("symbols = [[\"SPY\"]]").unwrap_err();
        assert!(e.0.contains("not a parameter"), "{e}");
        let e = grid("volume_lookback = [\"many\"]").unwrap_err();
        assert!(
            e.0.contains("proposals.grid.momentum.volume_lookback[0]"),
            "{e}"
        );
        let e = grid("volume_lookback = []").unwrap_err();
        assert!(e.0.contains("at least one value"), "{e}");
        let e = with(|t| {
            t.replace(
                "# Account profiles.",
                "[proposals.grid.nope]\nfast = [1]\n\n# Account profiles.",
            )
        })
        .unwrap_err();
        assert!(e.0.contains("proposals.grid.nope names no strategy"), "{e}");
    }

    #[test]
    fn json_config_is_accepted() {
        let toml_cfg: toml::Value = toml::from_str(DEFAULT_CONFIG).unwrap();
        let json = serde_json::to_string(&toml_cfg).unwrap();
        let c = Config::parse(&json, "json").unwrap();
        c.validate().unwrap();
        assert_eq!(c.strategies.len(), 6);
    }
}
