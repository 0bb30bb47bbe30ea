//! The HTTP client: configuration, the shared transport, retries, rate limits and paging.

mod config;
pub(crate) mod paging;
mod rate_limit;
mod retry;
pub(crate) mod tls;
pub(crate) mod transport;

pub use config::{Credentials, DATA_URL, Environment, LIVE_TRADING_URL, PAPER_TRADING_URL};
pub use paging::{Page, Paged};
pub use rate_limit::RateLimit;
pub use retry::RetryPolicy;

use crate::error::{Error, Result};
use config::parse_base_url;
use rate_limit::TokenBucket;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use transport::Transport;
use url::Url;

/// An Alpaca client for the Trading and Market Data APIs.
///
/// Cheap to clone; clones share the connection pool and the rate-limit budgets.
///
/// ```no_run
/// # async fn demo() -> alpaca_exec::Result<()> {
/// use alpaca_exec::Client;
/// let client = Client::from_env()?; // APCA_API_KEY_ID / APCA_API_SECRET_KEY, paper by default
/// let account = client.account().await?;
/// println!("buying power {}", account.buying_power);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Transport>,
    environment: Environment,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("environment", &self.environment)
            .field("trading_base", &self.inner.trading_base.as_str())
            .field("data_base", &self.inner.data_base.as_str())
            .field("credentials", &self.inner.credentials)
            .field("retry", &self.inner.retry)
            .finish()
    }
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from `APCA_API_KEY_ID`, `APCA_API_SECRET_KEY` and, if set,
    /// `APCA_API_BASE_URL` and `APCA_API_DATA_URL` (the conventional names of Alpaca's SDKs).
    /// Paper trading unless the base URL is Alpaca's live host.
    pub fn from_env() -> Result<Self> {
        ClientBuilder::from_env_with(|k| std::env::var(k).ok())?.build()
    }

    /// Paper or live, as configured.
    pub fn environment(&self) -> Environment {
        self.environment
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.inner
    }
}

/// Configures a [`Client`]. Paper trading by default; [`Environment::Live`] only when asked.
#[derive(Clone)]
pub struct ClientBuilder {
    key_id: Option<String>,
    secret_key: Option<String>,
    environment: Environment,
    trading_url: Option<String>,
    data_url: Option<String>,
    timeout: Duration,
    connect_timeout: Duration,
    user_agent: String,
    trading_rate_limit: RateLimit,
    data_rate_limit: RateLimit,
    retry: RetryPolicy,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("key_id", &self.key_id)
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| "<redacted>"),
            )
            .field("environment", &self.environment)
            .field("trading_url", &self.trading_url)
            .field("data_url", &self.data_url)
            .field("timeout", &self.timeout)
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            key_id: None,
            secret_key: None,
            environment: Environment::Paper,
            trading_url: None,
            data_url: None,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            user_agent: concat!("alpaca-exec/", env!("CARGO_PKG_VERSION")).to_owned(),
            trading_rate_limit: RateLimit::ALPACA_DEFAULT,
            data_rate_limit: RateLimit::ALPACA_DEFAULT,
            retry: RetryPolicy::default(),
        }
    }
}

impl ClientBuilder {
    /// A builder filled from environment variables looked up with `var` (see
    /// [`Client::from_env`]); takes a lookup function so callers and tests need not touch the
    /// process environment.
    pub fn from_env_with(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let mut b = Self::default();
        let key = var("APCA_API_KEY_ID").unwrap_or_default();
        let secret = var("APCA_API_SECRET_KEY").unwrap_or_default();
        if key.trim().is_empty() {
            return Err(Error::Config(
                "APCA_API_KEY_ID is not set or empty (create keys in Alpaca's dashboard)".into(),
            ));
        }
        if secret.trim().is_empty() {
            return Err(Error::Config(
                "APCA_API_SECRET_KEY is not set or empty".into(),
            ));
        }
        b = b.credentials(key, secret);
        if let Some(url) = var("APCA_API_BASE_URL").filter(|u| !u.trim().is_empty()) {
            let parsed = parse_base_url("APCA_API_BASE_URL", &url)?;
            b.environment = Environment::from_trading_url(&parsed);
            b.trading_url = Some(url);
        }
        if let Some(url) = var("APCA_API_DATA_URL").filter(|u| !u.trim().is_empty()) {
            b.data_url = Some(url);
        }
        Ok(b)
    }

    /// The API key pair.
    pub fn credentials(mut self, key_id: impl Into<String>, secret_key: impl Into<String>) -> Self {
        self.key_id = Some(key_id.into());
        self.secret_key = Some(secret_key.into());
        self
    }

    /// An already checked key pair (e.g. resolved from a secrets manager).
    pub fn credentials_value(mut self, credentials: &Credentials) -> Self {
        self.key_id = Some(credentials.key_id().to_owned());
        self.secret_key = Some(credentials.secret_key().to_owned());
        self
    }

    /// Paper (default) or live. Selects the trading host unless a base URL is set explicitly.
    pub fn environment(mut self, env: Environment) -> Self {
        self.environment = env;
        self
    }

    /// Overrides the trading API base URL (a proxy or a mock server). May include a path prefix.
    pub fn trading_base_url(mut self, url: impl Into<String>) -> Self {
        self.trading_url = Some(url.into());
        self
    }

    /// Overrides the market data API base URL.
    pub fn data_base_url(mut self, url: impl Into<String>) -> Self {
        self.data_url = Some(url.into());
        self
    }

    /// Timeout for a whole request, response body included (default 30 s). The official Python
    /// SDK sets none, so a stalled socket hangs it forever; we always set one.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Timeout for establishing a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The `User-Agent` header (default `alpaca-exec/<version>`).
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }

    /// Client-side limit for the trading API (default 200 requests/min, Alpaca's limit).
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.trading_rate_limit = limit;
        self
    }

    /// Client-side limit for the market data API (default 200/min, the free plan; paid plans
    /// allow 10,000/min).
    pub fn data_rate_limit(mut self, limit: RateLimit) -> Self {
        self.data_rate_limit = limit;
        self
    }

    /// Retry policy for rate limits, server errors and connection failures.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<Client> {
        let credentials = Credentials::new(
            self.key_id.clone().unwrap_or_default(),
            self.secret_key.clone().unwrap_or_default(),
        )?;
        let trading_base: Url = parse_base_url(
            "trading",
            self.trading_url
                .as_deref()
                .unwrap_or(self.environment.trading_url()),
        )?;
        let data_base =
            parse_base_url("market data", self.data_url.as_deref().unwrap_or(DATA_URL))?;
        if self.timeout.is_zero() {
            return Err(Error::Config("timeout must be greater than zero".into()));
        }
        tls::install_default_provider();
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .user_agent(self.user_agent.clone())
            .build()
            .map_err(|e| Error::Config(format!("could not build the HTTP client: {e}")))?;
        let environment = self.environment;
        let auth_headers = Transport::auth_headers(&credentials)?;
        Ok(Client {
            inner: Arc::new(Transport {
                http,
                auth_headers,
                credentials,
                trading_base,
                data_base,
                trading_bucket: Arc::new(TokenBucket::new(self.trading_rate_limit)),
                data_bucket: Arc::new(TokenBucket::new(self.data_rate_limit)),
                retry: self.retry,
            }),
            environment,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn from_env_requires_both_keys() {
        let e = ClientBuilder::from_env_with(env(&[])).unwrap_err();
        assert!(e.to_string().contains("APCA_API_KEY_ID"), "{e}");
        let e = ClientBuilder::from_env_with(env(&[("APCA_API_KEY_ID", "k")])).unwrap_err();
        assert!(e.to_string().contains("APCA_API_SECRET_KEY"), "{e}");
        let e = ClientBuilder::from_env_with(env(&[
            ("APCA_API_KEY_ID", " "),
            ("APCA_API_SECRET_KEY", "s"),
        ]))
        .unwrap_err();
        assert!(matches!(e, Error::Config(_)));
    }

    #[test]
    fn from_env_is_paper_unless_live_url() {
        let c = ClientBuilder::from_env_with(env(&[
            ("APCA_API_KEY_ID", "k"),
            ("APCA_API_SECRET_KEY", "s"),
        ]))
        .unwrap()
        .build()
        .unwrap();
        assert_eq!(c.environment(), Environment::Paper);
        assert_eq!(
            c.inner.trading_base.as_str(),
            "https://paper-api.alpaca.markets/"
        );
        let c = ClientBuilder::from_env_with(env(&[
            ("APCA_API_KEY_ID", "k"),
            ("APCA_API_SECRET_KEY", "s"),
            ("APCA_API_BASE_URL", "https://api.alpaca.markets"),
            ("APCA_API_DATA_URL", "http://127.0.0.1:9999"),
        ]))
        .unwrap()
        .build()
        .unwrap();
        assert_eq!(c.environment(), Environment::Live);
        assert_eq!(c.inner.data_base.as_str(), "http://127.0.0.1:9999/");
    }

    #[test]
    fn builder_defaults_to_paper_and_live_only_when_asked() {
        let c = Client::builder().credentials("k", "s").build().unwrap();
        assert_eq!(c.environment(), Environment::Paper);
        let c = Client::builder()
            .credentials("k", "s")
            .environment(Environment::Live)
            .build()
            .unwrap();
        assert_eq!(c.inner.trading_base.as_str(), "https://api.alpaca.markets/");
    }

    #[test]
    fn missing_credentials_is_a_config_error() {
        let e = Client::builder().build().unwrap_err();
        assert!(matches!(e, Error::Config(_)), "{e}");
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let b = Client::builder().credentials("PKEY", "hunter2-secret");
        assert!(!format!("{b:?}").contains("hunter2"));
        let c = b.build().unwrap();
        let s = format!("{c:?}");
        assert!(s.contains("PKEY"));
        assert!(!s.contains("hunter2"), "{s}");
    }
}
