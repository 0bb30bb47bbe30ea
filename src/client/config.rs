//! Credentials and environments.

use crate::error::{Error, Result};
use std::fmt;
use url::Url;

/// Paper or live trading. Paper is the default; live must be asked for by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Environment {
    /// `https://paper-api.alpaca.markets`: simulated fills, no real money.
    #[default]
    Paper,
    /// `https://api.alpaca.markets`: real money.
    Live,
}

/// Alpaca's paper trading host.
pub const PAPER_TRADING_URL: &str = "https://paper-api.alpaca.markets";
/// Alpaca's live trading host.
pub const LIVE_TRADING_URL: &str = "https://api.alpaca.markets";
/// Alpaca's market data host (the same for paper and live).
pub const DATA_URL: &str = "https://data.alpaca.markets";

impl Environment {
    /// The trading API base URL for this environment.
    pub fn trading_url(self) -> &'static str {
        match self {
            Environment::Paper => PAPER_TRADING_URL,
            Environment::Live => LIVE_TRADING_URL,
        }
    }

    /// Guesses the environment from a trading base URL: only Alpaca's live host counts as live.
    pub fn from_trading_url(url: &Url) -> Self {
        if url.host_str() == Some("api.alpaca.markets") {
            Environment::Live
        } else {
            Environment::Paper
        }
    }
}

/// An API key pair. `Debug` and `Display` never show the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    key_id: String,
    secret_key: String,
}

impl Credentials {
    /// Builds credentials, refusing empty or blank values.
    pub fn new(key_id: impl Into<String>, secret_key: impl Into<String>) -> Result<Self> {
        let key_id = key_id.into().trim().to_owned();
        let secret_key = secret_key.into().trim().to_owned();
        if key_id.is_empty() {
            return Err(Error::Config(
                "API key id is empty (set APCA_API_KEY_ID or pass it to the builder)".into(),
            ));
        }
        if secret_key.is_empty() {
            return Err(Error::Config(
                "API secret key is empty (set APCA_API_SECRET_KEY or pass it to the builder)"
                    .into(),
            ));
        }
        Ok(Self { key_id, secret_key })
    }

    /// The key id (not secret; shown in Alpaca's dashboard).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub(crate) fn secret_key(&self) -> &str {
        &self.secret_key
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("key_id", &self.key_id)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

pub(crate) fn parse_base_url(what: &str, s: &str) -> Result<Url> {
    let url = Url::parse(s.trim())
        .map_err(|e| Error::Config(format!("{what} base URL {s:?} is not a valid URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::Config(format!(
            "{what} base URL {s:?} must be http or https"
        )));
    }
    if url.cannot_be_a_base() {
        return Err(Error::Config(format!(
            "{what} base URL {s:?} cannot be a base"
        )));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secret() {
        let c = Credentials::new("PKID", "supersecret").unwrap();
        let s = format!("{c:?}");
        assert!(s.contains("PKID"));
        assert!(!s.contains("supersecret"));
    }

    #[test]
    fn empty_keys_are_config_errors() {
        assert!(matches!(Credentials::new("", "s"), Err(Error::Config(m)) if m.contains("key id")));
        assert!(
            matches!(Credentials::new("k", "  "), Err(Error::Config(m)) if m.contains("secret"))
        );
    }

    #[test]
    fn live_only_for_live_host() {
        let live = Url::parse("https://api.alpaca.markets").unwrap();
        let paper = Url::parse("https://paper-api.alpaca.markets").unwrap();
        assert_eq!(Environment::from_trading_url(&live), Environment::Live);
        assert_eq!(Environment::from_trading_url(&paper), Environment::Paper);
        assert_eq!(Environment::default(), Environment::Paper);
    }

    #[test]
    fn bad_base_urls_are_refused() {
        assert!(parse_base_url("trading", "not a url").is_err());
        assert!(parse_base_url("trading", "ftp://x").is_err());
        assert!(parse_base_url("trading", "http://127.0.0.1:8080").is_ok());
    }
}
