//! `[strategies.NAME]` with `kind = "mean_reversion"`: the rules are in
//! `strategies/mean_reversion.rs`, the exits in `policy.rs`.

use super::{ConfigError, err, fraction, timeframe, yes};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Longest indicator period accepted (a guard against a typo allocating a huge window).
const MAX_PERIOD: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MeanReversionConfig {
    pub account: String,
    pub timeframe: String,
    pub symbols: Vec<String>,
    /// RSI period (Wilder's smoothing).
    pub rsi_period: usize,
    /// Enter at or below this RSI.
    pub oversold: Decimal,
    /// Exit at or above this RSI.
    pub overbought: Decimal,
    /// Closes in the middle band (their simple average).
    #[serde(default = "twenty")]
    pub band_period: usize,
    /// Also exit when the close is back at the middle band.
    #[serde(default)]
    pub exit_at_middle_band: bool,
    /// Trend filter: enter only above the average of this many closes (absent: off).
    #[serde(default)]
    pub trend_period: Option<usize>,
    /// Stop under the entry, as a fraction (absent: no stop).
    #[serde(default)]
    pub stop_pct: Option<Decimal>,
    /// Intraday timeframes only: flat this many minutes before the close (absent: held
    /// overnight).
    #[serde(default)]
    pub exit_before_close_minutes: Option<u32>,
    pub position_pct: Decimal,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn twenty() -> usize {
    20
}

fn period(key: &str, v: usize) -> Result<(), ConfigError> {
    if !(1..=MAX_PERIOD).contains(&v) {
        return err(format!("{key} must be 1 to {MAX_PERIOD} bars, got {v}"));
    }
    Ok(())
}

impl MeanReversionConfig {
    /// Checks the values; errors name `key.field`.
    pub fn validate(&self, key: &str) -> Result<(), ConfigError> {
        let tf = timeframe(&format!("{key}.timeframe"), &self.timeframe)?;
        period(&format!("{key}.rsi_period"), self.rsi_period)?;
        period(&format!("{key}.band_period"), self.band_period)?;
        if let Some(n) = self.trend_period {
            period(&format!("{key}.trend_period"), n)?;
        }
        let hundred = Decimal::ONE_HUNDRED;
        if !(Decimal::ZERO < self.oversold
            && self.oversold < self.overbought
            && self.overbought < hundred)
        {
            return err(format!(
                "{key}: need 0 < oversold < overbought < 100, got oversold {} and overbought {}",
                self.oversold, self.overbought
            ));
        }
        if let Some(s) = self.stop_pct {
            fraction(&format!("{key}.stop_pct"), s)?;
            if s == Decimal::ONE {
                return err(format!("{key}.stop_pct must be under 1 (a stop at zero)"));
            }
        }
        if let Some(m) = self.exit_before_close_minutes {
            if tf.is_daily() || tf.duration() > std::time::Duration::from_secs(6 * 3600) {
                return err(format!(
                    "{key}.exit_before_close_minutes applies to intraday timeframes only, not {tf}"
                ));
            }
            if m >= 390 {
                return err(format!(
                    "{key}.exit_before_close_minutes must be within the 390-minute session"
                ));
            }
        }
        fraction(&format!("{key}.position_pct"), self.position_pct)
    }
}
