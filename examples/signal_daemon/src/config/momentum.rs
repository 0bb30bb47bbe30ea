//! `[strategies.NAME]` with `kind = "momentum"`: the rules are in `strategies/momentum.rs`, the
//! exits in `policy.rs`.

use super::{ConfigError, err, fraction, positive, timeframe, yes};
use alpaca_exec::data::TimeFrameUnit;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Most bars a volume average may span (a guard against a typo allocating a huge window).
const MAX_LOOKBACK: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MomentumConfig {
    pub account: String,
    pub timeframe: String,
    pub symbols: Vec<String>,
    /// Bars in the volume average.
    pub volume_lookback: usize,
    /// Volume needed, as a multiple of the average.
    pub volume_multiple: Decimal,
    /// Distance of the close above the session VWAP needed, as a fraction (0 allowed).
    pub min_vwap_distance: Decimal,
    pub stop_pct: Decimal,
    pub target_pct: Decimal,
    pub trailing_activation: Decimal,
    pub trailing_pct: Decimal,
    /// No entries in the first minutes of the session.
    pub start_after_minutes: u32,
    /// No entries in the last minutes; positions are closed then.
    pub exit_before_close_minutes: u32,
    pub position_pct: Decimal,
    #[serde(default = "yes")]
    pub enabled: bool,
}

impl MomentumConfig {
    /// Checks the values; errors name `key.field`.
    pub fn validate(&self, key: &str) -> Result<(), ConfigError> {
        let tf = timeframe(&format!("{key}.timeframe"), &self.timeframe)?;
        if !matches!(tf.unit(), TimeFrameUnit::Minute | TimeFrameUnit::Hour) {
            return err(format!(
                "{key}.timeframe must be minutes or hours: the session VWAP needs intraday bars"
            ));
        }
        if !(1..=MAX_LOOKBACK).contains(&self.volume_lookback) {
            return err(format!(
                "{key}.volume_lookback must be 1 to {MAX_LOOKBACK} bars, got {}",
                self.volume_lookback
            ));
        }
        positive(&format!("{key}.volume_multiple"), self.volume_multiple)?;
        if self.min_vwap_distance < Decimal::ZERO || self.min_vwap_distance >= Decimal::ONE {
            return err(format!(
                "{key}.min_vwap_distance is a fraction in [0, 1), got {}",
                self.min_vwap_distance
            ));
        }
        for (k, v) in [
            ("stop_pct", self.stop_pct),
            ("target_pct", self.target_pct),
            ("trailing_activation", self.trailing_activation),
            ("trailing_pct", self.trailing_pct),
            ("position_pct", self.position_pct),
        ] {
            fraction(&format!("{key}.{k}"), v)?;
        }
        if self.stop_pct == Decimal::ONE {
            return err(format!("{key}.stop_pct must be under 1 (a stop at zero)"));
        }
        if self.start_after_minutes + self.exit_before_close_minutes >= 390 {
            return err(format!(
                "{key}: start_after_minutes + exit_before_close_minutes must leave part of the 390-minute session"
            ));
        }
        Ok(())
    }
}
