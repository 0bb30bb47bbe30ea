//! `[proposals]`: the weekly walk-forward re-optimisation of each strategy's parameters, and
//! the one way a parameter of a strategy is changed by name ([`with_param`]), shared by the
//! grid, the checks here and `apply-proposal`.

use super::{Config, ConfigError, StrategyConfig, err};
use alpaca_exec::backtest::walk_forward::Objective;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most points a sweep may have: each is a backtest.
pub const MAX_GRID_POINTS: usize = 2_000;

/// Longest window accepted, in sessions (about forty years): a guard against a typo asking
/// for more history than exists.
const MAX_WINDOW: usize = 10_000;

/// Keys of a strategy table that are not parameters (what it trades, where, whether).
const NOT_PARAMETERS: [&str; 6] = [
    "kind",
    "account",
    "timeframe",
    "timeframes",
    "symbols",
    "enabled",
];

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProposalsConfig {
    /// Run the weekly job in `start`.
    pub enabled: bool,
    /// What the in-sample window is ranked by and the out-of-sample window judged by.
    pub metric: Objective,
    /// In-sample points with fewer round trips cannot be chosen.
    pub min_trades: usize,
    /// Threads for the sweep; 0 is every core.
    pub threads: usize,
    /// Sessions of the in-sample, out-of-sample and warm-up windows, for daily strategies.
    pub daily_in_sample: usize,
    pub daily_out_of_sample: usize,
    pub daily_warmup: usize,
    /// The same, for intraday strategies.
    pub intraday_in_sample: usize,
    pub intraday_out_of_sample: usize,
    pub intraday_warmup: usize,
    /// Per strategy name, the values to try per parameter (instead of the built-in grid).
    pub grid: BTreeMap<String, BTreeMap<String, Vec<toml::Value>>>,
}

impl Default for ProposalsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            metric: Objective::NetPnl,
            min_trades: 3,
            threads: 0,
            daily_in_sample: 250,
            daily_out_of_sample: 60,
            daily_warmup: 60,
            intraday_in_sample: 20,
            intraday_out_of_sample: 10,
            intraday_warmup: 2,
            grid: BTreeMap::new(),
        }
    }
}

impl ProposalsConfig {
    /// Checks the windows and that every grid names a strategy, its parameters and values it
    /// accepts; errors name `proposals.KEY`.
    pub fn validate(&self, cfg: &Config) -> Result<(), ConfigError> {
        for (k, v) in [
            ("daily_in_sample", self.daily_in_sample),
            ("daily_out_of_sample", self.daily_out_of_sample),
            ("intraday_in_sample", self.intraday_in_sample),
            ("intraday_out_of_sample", self.intraday_out_of_sample),
        ] {
            if v == 0 {
                return err(format!("proposals.{k} must be at least one session"));
            }
        }
        for (k, v) in [
            ("daily_in_sample", self.daily_in_sample),
            ("daily_out_of_sample", self.daily_out_of_sample),
            ("daily_warmup", self.daily_warmup),
            ("intraday_in_sample", self.intraday_in_sample),
            ("intraday_out_of_sample", self.intraday_out_of_sample),
            ("intraday_warmup", self.intraday_warmup),
        ] {
            if v > MAX_WINDOW {
                return err(format!(
                    "proposals.{k} must be at most {MAX_WINDOW} sessions, got {v}"
                ));
            }
        }
        for (name, params) in &self.grid {
            let key = format!("proposals.grid.{name}");
            let Some(s) = cfg.strategies.get(name) else {
                return err(format!("{key} names no strategy"));
            };
            let mut points = 1usize;
            for (param, values) in params {
                if values.is_empty() {
                    return err(format!("{key}.{param} must list at least one value"));
                }
                points = points.saturating_mul(values.len());
                for (i, v) in values.iter().enumerate() {
                    let changed = with_param(s, param, v)
                        .map_err(|e| ConfigError(format!("{key}.{param}[{i}]: {e}")))?;
                    cfg.validate_strategy(name, &changed)
                        .map_err(|e| ConfigError(format!("{key}.{param}[{i}] = {v}: {e}")))?;
                }
            }
            if points > MAX_GRID_POINTS {
                return err(format!(
                    "{key} has {points} points; at most {MAX_GRID_POINTS} (each is a backtest)"
                ));
            }
        }
        Ok(())
    }
}

/// Whether `key` is a parameter of `s` (any field of its table but what it trades, where and
/// whether).
pub fn is_parameter(s: &StrategyConfig, key: &str) -> bool {
    !NOT_PARAMETERS.contains(&key)
        && serde_json::to_value(s)
            .ok()
            .and_then(|v| v.as_object().map(|o| o.contains_key(key)))
            .unwrap_or(false)
}

/// The value of parameter `key` of `s`, as the config file writes it; `None` if it is not a
/// parameter or is unset.
pub fn param(s: &StrategyConfig, key: &str) -> Option<toml::Value> {
    if !is_parameter(s, key) {
        return None;
    }
    let json = serde_json::to_value(s).ok()?;
    let v = json.get(key)?;
    match v {
        serde_json::Value::Null => None,
        // Decimals serialize as strings; the file writes them as numbers.
        serde_json::Value::String(text) => match text.parse::<i64>() {
            Ok(i) if !text.contains('.') => Some(toml::Value::Integer(i)),
            _ => text.parse::<f64>().ok().map(toml::Value::Float),
        },
        other => toml::Value::try_from(other).ok(),
    }
}

/// `s` with parameter `key` set to `value`, or why not (not a parameter, or a value of the
/// wrong type). The result is not validated: see `Config::validate_strategy`.
pub fn with_param(
    s: &StrategyConfig,
    key: &str,
    value: &toml::Value,
) -> Result<StrategyConfig, String> {
    if !is_parameter(s, key) {
        return Err(format!("`{key}` is not a parameter of this strategy"));
    }
    let mut json = serde_json::to_value(s).map_err(|e| e.to_string())?;
    let slot = json
        .get_mut(key)
        .ok_or_else(|| format!("`{key}` is not a parameter of this strategy"))?;
    *slot = serde_json::to_value(value).map_err(|e| e.to_string())?;
    StrategyConfig::deserialize(json).map_err(|e| format!("`{key}` = {value}: {e}"))
}
