//! Reading a configuration file: TOML, or JSON when the text starts with `{`, laid over the
//! embedded defaults, so a file needs only the keys it changes.
//!
//! The overlay goes key by key, at every depth: `[execution]\nenabled = true` changes one
//! setting and keeps the rest; `[strategies.daily_trend]\nsymbols = ["SPY"]` changes one
//! strategy's symbols; a default strategy is turned off with `enabled = false`. Two exceptions
//! keep a partial table from mixing with the default it replaces:
//! - a strategy whose `kind` differs from the default of the same name replaces it whole;
//! - an account that names another kind of credentials source than the default (a file or a
//!   command instead of environment variables) replaces the default's source.
//!
//! Errors name the key (`strategies.my_trend: missing field `fast``) or the position of a
//! syntax error, never the offending line: the line may hold a key pasted where a variable
//! name belongs. Messages about `accounts.*` keys do not quote values either.

use crate::config::{Config, ConfigError, DEFAULT_CONFIG};
use toml::{Table, Value};

/// Keys that would put a secret in the file: refused with a pointer to the safe alternatives.
const SECRET_KEYS: [&str; 4] = ["key_id", "secret_key", "api_key", "secret"];

/// The keys of an account that say where its credentials come from, by kind of source.
const CREDENTIAL_SOURCES: [(&str, &str); 5] = [
    ("key_id_env", "environment"),
    ("secret_key_env", "environment"),
    ("credentials_file", "file"),
    ("key_id_command", "command"),
    ("secret_key_command", "command"),
];

/// The kinds of credentials source a table names.
fn source_kinds(t: &Table) -> Vec<&'static str> {
    let mut kinds: Vec<&str> = CREDENTIAL_SOURCES
        .iter()
        .filter(|(k, _)| t.contains_key(*k))
        .map(|(_, kind)| *kind)
        .collect();
    kinds.dedup();
    kinds
}

/// Parses `text` (named `source` in errors) over the embedded defaults.
pub fn parse(text: &str, source: &str) -> Result<Config, ConfigError> {
    refuse_secret_keys(text, source)?;
    let file = if text.trim_start().starts_with('{') {
        json_table(text, source)?
    } else {
        toml_table(text, source)?
    };
    let mut merged = defaults();
    overlay(&mut merged, file, &[]);
    deserialize(merged, source)
}

fn refuse_secret_keys(text: &str, source: &str) -> Result<(), ConfigError> {
    for line in text.lines() {
        let key = line
            .split(['=', ':'])
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        if (line.contains('=') || line.contains(':')) && SECRET_KEYS.contains(&key) {
            return Err(ConfigError(format!(
                "{source}: `{key}` must not be in the config file; name where the key comes from with key_id_env / secret_key_env, credentials_file, or key_id_command / secret_key_command"
            )));
        }
    }
    Ok(())
}

/// The embedded defaults as a table.
fn defaults() -> Table {
    // The embedded text is part of the binary and parsed by the tests: it cannot fail here.
    toml::from_str(DEFAULT_CONFIG).expect("the embedded defaults are valid TOML")
}

fn toml_table(text: &str, source: &str) -> Result<Table, ConfigError> {
    text.parse::<Table>().map_err(|e| {
        let at = e
            .span()
            .map(|s| position(text, s.start))
            .unwrap_or_default();
        ConfigError(format!(
            "{source}: not valid TOML{at}: {}",
            e.message().trim()
        ))
    })
}

fn json_table(text: &str, source: &str) -> Result<Table, ConfigError> {
    // serde_json's syntax errors give the line and column, never the text.
    let json: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| ConfigError(format!("{source}: not valid JSON: {e}")))?;
    match Value::try_from(json) {
        Ok(Value::Table(t)) => Ok(t),
        Ok(_) => Err(ConfigError(format!("{source}: expected a JSON object"))),
        Err(_) => Err(ConfigError(format!(
            "{source}: JSON null is not a value a configuration can hold; leave the key out"
        ))),
    }
}

/// ` at line L, column C` for a byte offset.
fn position(text: &str, offset: usize) -> String {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!(" at line {line}, column {column}")
}

/// Lays `file` over `base`, key by key (see the module docs). `path` is where `base` sits.
fn overlay(base: &mut Table, file: Table, path: &[&str]) {
    let replaces_credentials = path.len() == 2 && path[0] == "accounts" && {
        let theirs = source_kinds(&file);
        !theirs.is_empty() && theirs != source_kinds(base)
    };
    if replaces_credentials {
        for (k, _) in CREDENTIAL_SOURCES {
            base.remove(k);
        }
    }
    for (key, value) in file {
        match (base.get_mut(&key), value) {
            (Some(Value::Table(b)), Value::Table(f)) if !other_kind(b, &f) => {
                let mut inner: Vec<&str> = path.to_vec();
                inner.push(&key);
                overlay(b, f, &inner);
            }
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// Whether a strategy in the file is of another kind than the default of the same name.
fn other_kind(base: &Table, file: &Table) -> bool {
    matches!((base.get("kind"), file.get("kind")), (Some(a), Some(b)) if a != b)
}

fn deserialize(table: Table, source: &str) -> Result<Config, ConfigError> {
    serde_path_to_error::deserialize(Value::Table(table)).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().message().trim().to_owned();
        let message = if path.starts_with("accounts") {
            without_quoted_values(&message)
        } else {
            message
        };
        if path.is_empty() || path == "." {
            ConfigError(format!("{source}: {message}"))
        } else {
            ConfigError(format!("{source}: {path}: {message}"))
        }
    })
}

/// A serde message with the values it quotes elided: `"…"` in `invalid type: string "…"`, and
/// the variant in `unknown variant `…``; names in backticks stay (`unknown field `key_id_enf``,
/// `expected `paper` or `live``).
fn without_quoted_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(c) = rest.chars().next() {
        if c == '"' {
            match rest[1..].find('"') {
                Some(end) => {
                    out.push_str("\"…\"");
                    rest = &rest[end + 2..];
                }
                None => {
                    out.push_str("\"…");
                    rest = "";
                }
            }
        } else if let Some(after) = rest.strip_prefix("variant `") {
            out.push_str("variant `…`");
            rest = after.find('`').map_or("", |end| &after[end + 1..]);
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StrategyConfig;
    use rust_decimal::Decimal;

    #[test]
    fn a_partial_file_takes_the_rest_from_the_defaults() {
        let c = parse(
            "[execution]\nenabled = true\n\n[strategies.daily_trend]\nsymbols = [\"SPY\"]\n\n[strategies.bear_trap]\nenabled = false\n",
            "partial.toml",
        )
        .unwrap();
        c.validate().unwrap();
        assert!(c.execution.enabled);
        assert_eq!(c.execution.max_capital_per_trade, Decimal::from(300));
        assert_eq!(c.monitor.check_interval, 60, "a section not in the file");
        match &c.strategies["daily_trend"] {
            StrategyConfig::TrendHysteresis(t) => {
                assert_eq!(t.symbols, ["SPY"]);
                assert_eq!((t.fast, t.slow), (10, 30), "the default's other keys");
            }
            other => panic!("{other:?}"),
        }
        assert!(!c.strategies["bear_trap"].enabled());
        let defaults = parse(DEFAULT_CONFIG, "defaults").unwrap();
        assert_eq!(
            c.strategies.keys().collect::<Vec<_>>(),
            defaults.strategies.keys().collect::<Vec<_>>(),
            "the default strategies the file does not mention stay"
        );
    }

    #[test]
    fn a_new_strategy_or_a_new_kind_is_taken_whole_and_missing_keys_are_named() {
        let e = parse(
            "[strategies.my_trend]\nkind = \"trend_hysteresis\"\naccount = \"equity\"\ntimeframe = \"1Day\"\nsymbols = [\"SPY\"]\n",
            "f.toml",
        )
        .unwrap_err();
        assert!(
            e.0.contains("strategies.my_trend") && e.0.contains("fast"),
            "{e}"
        );
        // Another kind under a default's name does not inherit the default's keys.
        let e = parse(
            "[strategies.daily_trend]\nkind = \"bear_trap\"\naccount = \"equity\"\n",
            "f.toml",
        )
        .unwrap_err();
        assert!(e.0.contains("missing field"), "{e}");
    }

    #[test]
    fn an_account_naming_a_credentials_source_replaces_the_default_source() {
        let c = parse(
            "[accounts.equity]\ncredentials_file = \"/etc/signal-daemon/keys.toml\"\n",
            "f.toml",
        )
        .unwrap();
        c.validate().unwrap();
        let a = &c.accounts["equity"];
        assert!(a.credentials_file.is_some() && a.key_id_env.is_none());
        assert_eq!(
            c.accounts["options"].key_id_env.as_deref(),
            Some("APCA_API_KEY_ID")
        );
        // Another variable for one key of the pair keeps the other.
        let c = parse(
            "[accounts.options]\nsecret_key_env = \"OPTIONS_SECRET\"\n",
            "f.toml",
        )
        .unwrap();
        c.validate().unwrap();
        let a = &c.accounts["options"];
        assert_eq!(
            (a.key_id_env.as_deref(), a.secret_key_env.as_deref()),
            (Some("APCA_API_KEY_ID"), Some("OPTIONS_SECRET"))
        );
    }

    #[test]
    fn syntax_errors_give_the_position_not_the_line() {
        let secret = "PKLEAKED1234567890AB";
        let text = format!(
            "[accounts.equity]\nenvironment = \"paper\"\nkey_id_env = {secret}\nsecret_key_env = \"APCA_API_SECRET_KEY\"\n"
        );
        let e = parse(&text, "my.toml").unwrap_err();
        assert!(!e.0.contains(secret), "the line is echoed: {e}");
        assert!(e.0.contains("my.toml: not valid TOML at line 3"), "{e}");
        let e = parse("{\"execution\": {\"enabled\": PKLEAKED}}", "my.json").unwrap_err();
        assert!(!e.0.contains("PKLEAKED") && e.0.contains("line 1"), "{e}");
    }

    #[test]
    fn errors_about_accounts_do_not_quote_values() {
        let e = parse(
            "[accounts.equity]\nenvironment = \"sEcReTvAlUe0123456789\"\n",
            "f.toml",
        )
        .unwrap_err();
        assert!(e.0.contains("accounts.equity.environment"), "{e}");
        assert!(!e.0.contains("sEcReTvAlUe"), "{e}");
        assert_eq!(
            without_quoted_values("unknown variant `abc`, expected `paper` or `live`"),
            "unknown variant `…`, expected `paper` or `live`"
        );
        assert_eq!(
            without_quoted_values("invalid type: string \"abc\", expected a boolean"),
            "invalid type: string \"…\", expected a boolean"
        );
        assert_eq!(
            without_quoted_values("unknown field `key_id_enf`"),
            "unknown field `key_id_enf`"
        );
    }
}
