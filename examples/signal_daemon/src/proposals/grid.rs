//! The parameter grid a strategy is swept over: the `[proposals.grid.NAME]` values when the
//! configuration gives them, otherwise a coarse built-in grid of three values around the current
//! value of each of the kind's main parameters. Coarse on purpose: a fine grid over one stretch
//! of history finds luck, not a better strategy.

use crate::config::{Config, MAX_GRID_POINTS, StrategyConfig, param, with_param};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::collections::BTreeMap;

/// How the built-in grid spreads around a current value.
#[derive(Debug, Clone, Copy)]
enum Spread {
    /// An integer minus and plus `step`, not below `min`.
    Int { step: i64, min: i64 },
    /// A number times `low` and `high` (per cent, as integers: 75 is x0.75).
    Scale { low: i64, high: i64 },
    /// A number minus and plus `step` (thousandths), not below zero.
    Add { step_milli: i64 },
}

/// The built-in grid per kind: the parameters that decide entries and exits most.
fn built_in(kind: &StrategyConfig) -> &'static [(&'static str, Spread)] {
    use Spread::*;
    match kind {
        StrategyConfig::TrendHysteresis(_) => &[
            ("fast", Int { step: 2, min: 1 }),
            ("slow", Int { step: 5, min: 2 }),
            ("upper_band", Scale { low: 50, high: 150 }),
            ("lower_band", Scale { low: 50, high: 150 }),
        ],
        StrategyConfig::BearTrap(_) => &[
            ("min_drop", Scale { low: 80, high: 120 }),
            ("reclaim_margin", Scale { low: 50, high: 150 }),
            ("target_pct", Scale { low: 75, high: 125 }),
        ],
        StrategyConfig::StratOptions(_) => &[
            ("min_magnitude", Scale { low: 50, high: 200 }),
            ("min_reward_risk", Scale { low: 75, high: 150 }),
        ],
        StrategyConfig::Momentum(_) => &[
            ("volume_multiple", Scale { low: 80, high: 125 }),
            ("min_vwap_distance", Add { step_milli: 1 }),
            ("target_pct", Scale { low: 75, high: 125 }),
        ],
        StrategyConfig::MeanReversion(_) => &[
            ("rsi_period", Int { step: 4, min: 2 }),
            ("oversold", Int { step: 5, min: 1 }),
            ("overbought", Int { step: 5, min: 1 }),
        ],
    }
}

/// The values to try per parameter for strategy `name`, as the proposal lists them.
pub fn values(cfg: &Config, name: &str, s: &StrategyConfig) -> BTreeMap<String, Vec<toml::Value>> {
    if let Some(given) = cfg.proposals.grid.get(name) {
        return given.clone();
    }
    built_in(s)
        .iter()
        .filter_map(|(key, spread)| {
            let current = param(s, key)?;
            Some(((*key).to_owned(), around(&current, *spread)))
        })
        .collect()
}

/// Three values around `v` (fewer where they coincide or would go below the floor).
fn around(v: &toml::Value, spread: Spread) -> Vec<toml::Value> {
    let mut out: Vec<toml::Value> = Vec::new();
    let mut push = |x: toml::Value| {
        if !out.contains(&x) {
            out.push(x);
        }
    };
    match (v, spread) {
        (toml::Value::Integer(i), Spread::Int { step, min }) => {
            for x in [i.saturating_sub(step), *i, i.saturating_add(step)] {
                if x >= min {
                    push(toml::Value::Integer(x));
                }
            }
        }
        (number, spread) => {
            let Some(d) = decimal(number) else {
                return vec![v.clone()];
            };
            // Values come from the configuration: an overflow drops the candidate.
            let candidates = match spread {
                Spread::Scale { low, high } => [
                    d.checked_mul(Decimal::new(low, 2)),
                    Some(d),
                    d.checked_mul(Decimal::new(high, 2)),
                ],
                Spread::Add { step_milli } => {
                    let step = Decimal::new(step_milli, 3);
                    [d.checked_sub(step), Some(d), d.checked_add(step)]
                }
                Spread::Int { step, .. } => {
                    let step = Decimal::from(step);
                    [d.checked_sub(step), Some(d), d.checked_add(step)]
                }
            };
            for x in candidates.into_iter().flatten() {
                if x < Decimal::ZERO {
                    continue;
                }
                let x = x.round_dp(6).normalize();
                push(match v {
                    toml::Value::Integer(_) if x.fract().is_zero() => {
                        toml::Value::Integer(x.to_i64().unwrap_or_default())
                    }
                    _ => toml::Value::Float(x.to_f64().unwrap_or_default()),
                });
            }
        }
    }
    out
}

fn decimal(v: &toml::Value) -> Option<Decimal> {
    match v {
        toml::Value::Integer(i) => Some(Decimal::from(*i)),
        toml::Value::Float(f) => Decimal::try_from(*f).ok(),
        _ => None,
    }
}

/// Every combination of `values` applied to `s` that the configuration accepts, in a fixed
/// order, without repeats; at most [`MAX_GRID_POINTS`].
pub fn points(
    cfg: &Config,
    name: &str,
    s: &StrategyConfig,
    values: &BTreeMap<String, Vec<toml::Value>>,
) -> Vec<StrategyConfig> {
    let mut out: Vec<StrategyConfig> = vec![s.clone()];
    for (key, vs) in values {
        let mut next = Vec::with_capacity(out.len() * vs.len());
        for base in &out {
            for v in vs {
                if let Ok(p) = with_param(base, key, v) {
                    next.push(p);
                }
            }
        }
        out = next;
        if out.len() > MAX_GRID_POINTS {
            out.truncate(MAX_GRID_POINTS);
        }
    }
    let mut seen = Vec::new();
    out.retain(|p| {
        let fresh = cfg.validate_strategy(name, p).is_ok() && !seen.contains(p);
        if fresh {
            seen.push(p.clone());
        }
        fresh
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_grid_spreads_three_values_around_the_current_ones() {
        let cfg = Config::load(None, &|_| None).unwrap();
        let s = &cfg.strategies["mean_reversion"];
        let v = values(&cfg, "mean_reversion", s);
        let ints = |xs: &[i64]| {
            xs.iter()
                .map(|x| toml::Value::Integer(*x))
                .collect::<Vec<_>>()
        };
        assert_eq!(v["rsi_period"], ints(&[10, 14, 18]));
        assert_eq!(v["oversold"], ints(&[25, 30, 35]));
        assert_eq!(v["overbought"], ints(&[65, 70, 75]));
        let grid = points(&cfg, "mean_reversion", s, &v);
        assert_eq!(grid.len(), 27);
        assert!(grid.contains(s), "the current point is in the grid");
        let s = &cfg.strategies["momentum"];
        let v = values(&cfg, "momentum", s);
        let floats = |xs: &[f64]| {
            xs.iter()
                .map(|x| toml::Value::Float(*x))
                .collect::<Vec<_>>()
        };
        assert_eq!(v["volume_multiple"], floats(&[1.2, 1.5, 1.875]));
        assert_eq!(v["min_vwap_distance"], floats(&[0.0, 0.001, 0.002]));
        assert_eq!(v["target_pct"], floats(&[0.0225, 0.03, 0.0375]));
    }

    #[test]
    fn combinations_the_config_refuses_are_left_out() {
        let cfg = Config::load(None, &|_| None).unwrap();
        let s = &cfg.strategies["mean_reversion"];
        let mut v = BTreeMap::new();
        v.insert(
            "oversold".to_owned(),
            vec![toml::Value::Integer(30), toml::Value::Integer(80)],
        );
        v.insert(
            "overbought".to_owned(),
            vec![toml::Value::Integer(70), toml::Value::Integer(90)],
        );
        // (80, 70) has oversold above overbought: three points remain.
        let grid = points(&cfg, "mean_reversion", s, &v);
        assert_eq!(grid.len(), 3);
        // A value below the floor is not offered: a zero-width minimum drop.
        let zero = around(&toml::Value::Float(0.0), Spread::Add { step_milli: 1 });
        assert_eq!(
            zero,
            vec![toml::Value::Float(0.0), toml::Value::Float(0.001)]
        );
        let one = around(&toml::Value::Integer(1), Spread::Int { step: 2, min: 1 });
        assert_eq!(one, vec![toml::Value::Integer(1), toml::Value::Integer(3)]);
        // A value at the edge of the number range: what overflows is left out, not a panic.
        let huge = around(
            &toml::Value::Float(7.9e28),
            Spread::Scale { low: 50, high: 150 },
        );
        assert_eq!(huge.len(), 2, "{huge:?}");
    }

    #[test]
    fn a_configured_grid_replaces_the_built_in_one() {
        let text = crate::config::DEFAULT_CONFIG.replace(
            "# Account profiles.",
            "[proposals.grid.momentum]\nvolume_multiple = [1.25, 2.0]\n\n# Account profiles.",
        );
        let cfg = Config::parse(&text, "test").unwrap();
        cfg.validate().unwrap();
        let s = &cfg.strategies["momentum"];
        let v = values(&cfg, "momentum", s);
        assert_eq!(v.len(), 1);
        let grid = points(&cfg, "momentum", s, &v);
        assert_eq!(grid.len(), 2);
        assert!(!grid.contains(s), "1.5 is not in the configured grid");
    }
}
