//! Where each account's requests go: Alpaca's hosts by default, a proxy or a local mock when
//! configured. `APCA_API_BASE_URL` and `APCA_API_DATA_URL` (the names Alpaca's SDKs read)
//! override every account's URLs, so a deployment can be rehearsed against a mock without
//! editing the file; otherwise a profile's `trading_base_url` / `data_base_url` apply.
//!
//! The rules for a URL (scheme, a trailing `/v2`, which host is live, that a paper profile may
//! not point at the live host) are the client's: the daemon hands the URLs to
//! [`ClientBuilder`] and reports its verdict under the key the URL came from.

use crate::config::{AccountProfile, Config, EnvironmentName};
use alpaca_exec::{Client, ClientBuilder, Credentials, Environment};

/// The variable that overrides every account's trading URL.
pub const TRADING_URL_ENV: &str = "APCA_API_BASE_URL";
/// The variable that overrides every account's market data URL.
pub const DATA_URL_ENV: &str = "APCA_API_DATA_URL";

/// `APCA_API_BASE_URL` and `APCA_API_DATA_URL`, as read when the configuration loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UrlOverrides {
    /// The trading URL for every account.
    pub trading: Option<String>,
    /// The market data URL for every account.
    pub data: Option<String>,
}

impl UrlOverrides {
    /// Reads the two variables (blank counts as unset).
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Self {
        let get = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        Self {
            trading: get(TRADING_URL_ENV),
            data: get(DATA_URL_ENV),
        }
    }
}

/// One URL and where it was configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The URL as configured; `None` for the client's default.
    pub url: Option<String>,
    /// The variable or key it came from (`default` for Alpaca's host).
    pub from: String,
}

/// An account's trading and market data URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// Trading API.
    pub trading: Endpoint,
    /// Market data API.
    pub data: Endpoint,
}

impl Endpoints {
    /// The URLs of account `name` under `cfg` (environment overrides first, then the profile).
    pub fn of(cfg: &Config, name: &str) -> Endpoints {
        let profile = cfg.accounts.get(name);
        let pick =
            |over: &Option<String>, var: &str, key: &str, own: Option<&String>| match (over, own) {
                (Some(u), _) => Endpoint {
                    url: Some(u.clone()),
                    from: var.to_owned(),
                },
                (None, Some(u)) if !u.trim().is_empty() => Endpoint {
                    url: Some(u.clone()),
                    from: format!("accounts.{name}.{key}"),
                },
                _ => Endpoint {
                    url: None,
                    from: "default".into(),
                },
            };
        Endpoints {
            trading: pick(
                &cfg.url_overrides.trading,
                TRADING_URL_ENV,
                "trading_base_url",
                profile.and_then(|p| p.trading_base_url.as_ref()),
            ),
            data: pick(
                &cfg.url_overrides.data,
                DATA_URL_ENV,
                "data_base_url",
                profile.and_then(|p| p.data_base_url.as_ref()),
            ),
        }
    }

    /// A client for the profile's environment at these URLs, with `credentials`.
    pub fn client(
        &self,
        name: &str,
        profile: &AccountProfile,
        credentials: &Credentials,
    ) -> Result<Client, String> {
        self.builder(profile)
            .credentials_value(credentials)
            .build()
            .map_err(|e| self.error(name, &e))
    }

    /// Checks the URLs by the client's rules, without credentials (for `validate`).
    pub fn check(&self, name: &str, profile: &AccountProfile) -> Result<(), String> {
        if self.trading.url.is_none() && self.data.url.is_none() {
            return Ok(());
        }
        self.builder(profile)
            .credentials("url-check", "url-check")
            .build()
            .map(|_| ())
            .map_err(|e| self.error(name, &e))
    }

    fn builder(&self, profile: &AccountProfile) -> ClientBuilder {
        let mut b = Client::builder().environment(environment(profile));
        if let Some(u) = &self.trading.url {
            b = b.trading_base_url(u.clone());
        }
        if let Some(u) = &self.data.url {
            b = b.data_base_url(u.clone());
        }
        b
    }

    /// The client's refusal, under the keys the URLs came from.
    fn error(&self, name: &str, e: &alpaca_exec::Error) -> String {
        let sources: Vec<&str> = [&self.trading, &self.data]
            .iter()
            .filter(|p| p.url.is_some())
            .map(|p| p.from.as_str())
            .collect();
        let from = if sources.is_empty() {
            String::new()
        } else {
            format!(" (URLs from {})", sources.join(", "))
        };
        format!("accounts.{name}{from}: {e}")
    }

    /// `trading https://paper-api.alpaca.markets (default), data http://127.0.0.1:9 (APCA_API_DATA_URL)`.
    pub fn describe(&self, profile: &AccountProfile) -> String {
        let trading = self
            .trading
            .url
            .as_deref()
            .map_or_else(|| environment(profile).trading_url().to_owned(), shown);
        format!(
            "trading {trading} ({}), data {}",
            self.trading.from,
            self.describe_data()
        )
    }

    /// `http://127.0.0.1:9 (APCA_API_DATA_URL)`.
    pub fn describe_data(&self) -> String {
        let data = self
            .data
            .url
            .as_deref()
            .map_or_else(|| alpaca_exec::client::DATA_URL.to_owned(), shown);
        format!("{data} ({})", self.data.from)
    }
}

/// The environment a profile asks for.
pub fn environment(profile: &AccountProfile) -> Environment {
    match profile.environment {
        EnvironmentName::Paper => Environment::Paper,
        EnvironmentName::Live => Environment::Live,
    }
}

/// A configured URL as it may be shown: scheme, host, port and path, never user info, a query
/// or a fragment (which can carry credentials or tokens).
pub fn shown(raw: &str) -> String {
    match url::Url::parse(raw.trim()) {
        Ok(u) => {
            let mut s = format!("{}://{}", u.scheme(), u.host_str().unwrap_or(""));
            if let Some(port) = u.port() {
                s.push_str(&format!(":{port}"));
            }
            if u.path() != "/" {
                s.push_str(u.path());
            }
            s
        }
        Err(_) => "(not a valid URL)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(env: &[(&str, &str)], file: &str) -> Result<Config, String> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let lookup = move |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let mut c = Config::parse(file, "test").map_err(|e| e.0)?;
        c.apply_env(&lookup).map_err(|e| e.0)?;
        c.validate().map_err(|e| e.0)?;
        Ok(c)
    }

    #[test]
    fn the_environment_overrides_the_profile_which_overrides_the_default() {
        let c = cfg(&[], "").unwrap();
        let e = Endpoints::of(&c, "equity");
        assert_eq!(
            e.describe(&c.accounts["equity"]),
            "trading https://paper-api.alpaca.markets (default), data https://data.alpaca.markets (default)"
        );
        let file = "[accounts.equity]\ntrading_base_url = \"http://127.0.0.1:8080\"\n";
        let c = cfg(&[], file).unwrap();
        let e = Endpoints::of(&c, "equity");
        assert_eq!(e.trading.from, "accounts.equity.trading_base_url");
        assert_eq!(Endpoints::of(&c, "options").trading.url, None);
        let c = cfg(
            &[
                ("APCA_API_BASE_URL", "http://127.0.0.1:9"),
                ("APCA_API_DATA_URL", "http://127.0.0.1:10"),
            ],
            file,
        )
        .unwrap();
        let e = Endpoints::of(&c, "equity");
        assert_eq!(
            e.describe(&c.accounts["equity"]),
            "trading http://127.0.0.1:9 (APCA_API_BASE_URL), data http://127.0.0.1:10 (APCA_API_DATA_URL)"
        );
        assert_eq!(Endpoints::of(&c, "options"), e, "every account");
    }

    #[test]
    fn urls_the_client_refuses_are_refused_at_load_under_their_key() {
        let e = cfg(&[("APCA_API_BASE_URL", "ftp://example.com")], "").unwrap_err();
        assert!(
            e.contains("accounts.equity") && e.contains("APCA_API_BASE_URL"),
            "{e}"
        );
        let e = cfg(&[], "[accounts.options]\ndata_base_url = \"not a url\"\n").unwrap_err();
        assert!(e.contains("accounts.options.data_base_url"), "{e}");
        // A paper profile pointed at the live host (a shell's leftover APCA_API_BASE_URL) is
        // refused before any key is sent there.
        let e = cfg(&[("APCA_API_BASE_URL", "https://api.alpaca.markets")], "").unwrap_err();
        assert!(
            e.contains("accounts.equity (URLs from APCA_API_BASE_URL)"),
            "{e}"
        );
        // A live profile behind a proxy stays live.
        let c = cfg(
            &[],
            "[accounts.equity]\nenvironment = \"live\"\ntrading_base_url = \"https://alpaca-proxy.example\"\n",
        )
        .unwrap();
        let creds = alpaca_exec::Credentials::new("PKX", "SECRETX").unwrap();
        let client = Endpoints::of(&c, "equity")
            .client("equity", &c.accounts["equity"], &creds)
            .unwrap();
        assert_eq!(client.environment(), Environment::Live);
    }

    #[test]
    fn shown_urls_drop_credentials_and_queries() {
        assert_eq!(
            shown("https://user:pa55word@proxy.example:8443/alpaca?token=abc#x"),
            "https://proxy.example:8443/alpaca"
        );
        assert_eq!(shown("http://127.0.0.1:9"), "http://127.0.0.1:9");
        assert_eq!(shown("::"), "(not a valid URL)");
    }
}
