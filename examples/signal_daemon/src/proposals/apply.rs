//! `apply-proposal FILE`: writes a reviewed proposal's parameters into the configuration file,
//! changing only those keys (comments and layout of a TOML file are kept). A running daemon
//! notices the changed file, or a SIGHUP, and reloads it.
//!
//! Refused, with the file untouched: a proposal that is not an improvement; a configuration
//! that no longer has the proposal's current values (it changed since the proposal was made:
//! make a new one); a result the configuration checks refuse. The previous file is kept as
//! `<file>.bak`, and the new one replaces it in one rename, so a reader never sees half a file.

use super::{Params, Proposal};
use crate::config::{Config, param, with_param};
use std::path::{Path, PathBuf};

/// What was changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The strategy.
    pub strategy: String,
    /// `(key, old, new)` per changed parameter.
    pub changes: Vec<(String, toml::Value, toml::Value)>,
    /// The previous file.
    pub backup: PathBuf,
}

/// Applies the proposal at `proposal_path` to the configuration file `config_path` (see the
/// module docs); `env` is the environment the configuration is checked with.
pub fn apply(
    proposal_path: &Path,
    config_path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Applied, String> {
    let p = Proposal::read(proposal_path)?;
    let proposed = match &p.proposed {
        Some(values) if p.is_improvement() => values,
        _ => {
            return Err(format!(
                "{}: {}; it is not offered as an improvement and nothing was applied",
                proposal_path.display(),
                p.summary
            ));
        }
    };
    let cfg = Config::load(Some(config_path), env).map_err(|e| e.to_string())?;
    let key = format!("strategies.{}", p.strategy);
    let s = cfg
        .strategies
        .get(&p.strategy)
        .ok_or_else(|| format!("{}: the configuration has no {key}", config_path.display()))?;
    for (k, made_against) in &p.current {
        let now = param(s, k);
        if now.as_ref() != Some(made_against) {
            return Err(format!(
                "{key}.{k} is {} in {}, but the proposal was made against {made_against}: the configuration changed since; make a new proposal",
                now.map_or("unset".into(), |v| v.to_string()),
                config_path.display()
            ));
        }
    }
    let mut expected = s.clone();
    for (k, v) in proposed {
        expected = with_param(&expected, k, v).map_err(|e| format!("{key}: {e}"))?;
    }
    let text = std::fs::read_to_string(config_path)
        .map_err(|e| format!("cannot read {}: {e}", config_path.display()))?;
    let edited = edit(&text, &p.strategy, proposed)?;
    let mut new =
        Config::parse(&edited, &config_path.display().to_string()).map_err(|e| e.to_string())?;
    new.apply_env(env).map_err(|e| e.to_string())?;
    new.validate().map_err(|e| e.to_string())?;
    if new.strategies.get(&p.strategy) != Some(&expected) {
        return Err(format!(
            "{key}: the edited file does not hold the proposed values (is the strategy written in an unusual way?); nothing was applied"
        ));
    }
    let backup = PathBuf::from(format!("{}.bak", config_path.display()));
    std::fs::copy(config_path, &backup)
        .map_err(|e| format!("cannot back up to {}: {e}", backup.display()))?;
    let tmp = PathBuf::from(format!("{}.tmp", config_path.display()));
    std::fs::write(&tmp, &edited).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, config_path)
        .map_err(|e| format!("cannot replace {}: {e}", config_path.display()))?;
    let changes = proposed
        .iter()
        .map(|(k, v)| {
            let old = p
                .current
                .get(k)
                .cloned()
                .unwrap_or(toml::Value::String("unset".into()));
            (k.clone(), old, v.clone())
        })
        .collect();
    Ok(Applied {
        strategy: p.strategy,
        changes,
        backup,
    })
}

/// The configuration text with `strategies.<strategy>.<key> = value` for each proposed value:
/// a format-preserving edit of TOML, or a rewrite of JSON.
fn edit(text: &str, strategy: &str, values: &Params) -> Result<String, String> {
    if text.trim_start().starts_with('{') {
        let mut doc: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let table = doc
            .get_mut("strategies")
            .and_then(|s| s.get_mut(strategy))
            .and_then(|t| t.as_object_mut())
            .ok_or_else(|| format!("no strategies.{strategy} object in the file"))?;
        for (k, v) in values {
            table.insert(
                k.clone(),
                serde_json::to_value(v).map_err(|e| e.to_string())?,
            );
        }
        return serde_json::to_string_pretty(&doc).map_err(|e| e.to_string());
    }
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e| format!("{e}"))?;
    let table = doc
        .get_mut("strategies")
        .and_then(|s| s.get_mut(strategy))
        .and_then(|t| t.as_table_like_mut())
        .ok_or_else(|| format!("no [strategies.{strategy}] table in the file"))?;
    for (k, v) in values {
        let mut value: toml_edit::Value = v
            .to_string()
            .parse()
            .map_err(|e| format!("{k} = {v}: {e}"))?;
        match table.get_mut(k) {
            Some(item) => {
                // Keep the comment that follows the old value on its line.
                if let Some(old) = item.as_value() {
                    *value.decor_mut() = old.decor().clone();
                }
                *item = toml_edit::Item::Value(value);
            }
            None => {
                table.insert(k, toml_edit::Item::Value(value));
            }
        }
    }
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_only_the_proposed_keys_and_keeps_comments() {
        let text = crate::config::DEFAULT_CONFIG;
        let values = Params::from([
            ("volume_multiple".to_owned(), toml::Value::Float(2.0)),
            ("volume_lookback".to_owned(), toml::Value::Integer(20)),
        ]);
        let edited = edit(text, "momentum", &values).unwrap();
        assert!(edited.contains("volume_multiple = 2.0\n"), "{edited}");
        assert!(edited.contains("volume_lookback = 20\n"));
        // Everything else is as it was, line for line, comments included.
        let changed: Vec<(&str, &str)> = text
            .lines()
            .zip(edited.lines())
            .filter(|(a, b)| a != b)
            .collect();
        assert_eq!(
            changed,
            vec![
                ("volume_lookback = 12", "volume_lookback = 20"),
                ("volume_multiple = 1.5", "volume_multiple = 2.0"),
            ]
        );
        assert_eq!(text.lines().count(), edited.lines().count());
        // A key the file leaves out is added to the strategy's table.
        let values = Params::from([("trend_period".to_owned(), toml::Value::Integer(50))]);
        let edited = edit(text, "mean_reversion", &values).unwrap();
        let cfg = Config::parse(&edited, "edited").unwrap();
        match &cfg.strategies["mean_reversion"] {
            crate::config::StrategyConfig::MeanReversion(m) => {
                assert_eq!(m.trend_period, Some(50))
            }
            other => panic!("{other:?}"),
        }
        assert!(edit(text, "nope", &values).is_err());
    }

    #[test]
    fn json_files_are_edited_too() {
        let toml_cfg: toml::Value = toml::from_str(crate::config::DEFAULT_CONFIG).unwrap();
        let json = serde_json::to_string_pretty(&toml_cfg).unwrap();
        let values = Params::from([("oversold".to_owned(), toml::Value::Integer(25))]);
        let edited = edit(&json, "mean_reversion", &values).unwrap();
        let cfg = Config::parse(&edited, "json").unwrap();
        match &cfg.strategies["mean_reversion"] {
            crate::config::StrategyConfig::MeanReversion(m) => {
                assert_eq!(m.oversold, rust_decimal::Decimal::from(25))
            }
            other => panic!("{other:?}"),
        }
    }
}
