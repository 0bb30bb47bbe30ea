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
pub(crate) use config::shown_url;
use config::{BaseFor, parse_base_url, url_text};
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
    /// `None` until asked for: then the trading URL's host decides (paper by default).
    environment: Option<Environment>,
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
            .field("trading_url", &self.trading_url.as_deref().map(shown_url))
            .field("data_url", &self.data_url.as_deref().map(shown_url))
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
            environment: None,
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
        let named = |var: &str, e: Error| match e {
            Error::Config(m) => Error::Config(format!("{var}: {m}")),
            other => other,
        };
        if let Some(url) = var("APCA_API_BASE_URL").filter(|u| !u.trim().is_empty()) {
            parse_base_url(BaseFor::Trading, &url).map_err(|e| named("APCA_API_BASE_URL", e))?;
            b.trading_url = Some(url);
        }
        if let Some(url) = var("APCA_API_DATA_URL").filter(|u| !u.trim().is_empty()) {
            parse_base_url(BaseFor::Data, &url).map_err(|e| named("APCA_API_DATA_URL", e))?;
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
    ///
    /// With a base URL on one of Alpaca's hosts, the host decides and a contradicting
    /// environment is refused when the client is built; with another host (a proxy), the
    /// environment asked for is what [`Client::environment`] reports.
    pub fn environment(mut self, env: Environment) -> Self {
        self.environment = Some(env);
        self
    }

    /// Overrides the trading API base URL (a proxy or a mock server). May include a path prefix;
    /// a trailing `/v2` (as Alpaca's dashboard shows the endpoint) is dropped, because every
    /// request path starts with it. Alpaca's own hosts must be `https`. Setting
    /// [`LIVE_TRADING_URL`] here makes the client live, as the environment follows the host.
    pub fn trading_base_url(mut self, url: impl Into<String>) -> Self {
        self.trading_url = Some(url.into());
        self
    }

    /// Overrides the market data API base URL (a trailing `/v2` or `/v1beta1` is dropped).
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
        let asked = self.environment;
        let trading_base: Url = parse_base_url(
            BaseFor::Trading,
            self.trading_url
                .as_deref()
                .unwrap_or(asked.unwrap_or_default().trading_url()),
        )?;
        let data_base =
            parse_base_url(BaseFor::Data, self.data_url.as_deref().unwrap_or(DATA_URL))?;
        let environment = environment_of(asked, &trading_base)?;
        for base in [&trading_base, &data_base] {
            check_tls_available(base)?;
        }
        if self.timeout.is_zero() {
            return Err(Error::Config("timeout must be greater than zero".into()));
        }
        tls::install_default_provider();
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .user_agent(self.user_agent.clone())
            // A followed redirect re-sends a write (a 307 on an order POST places it twice, on a
            // position close sells again) and, to another host, hands it the keys. The
            // transport turns every 3xx into `Error::Redirected` instead.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Config(format!("could not build the HTTP client: {e}")))?;
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

/// The environment requests really go to: Alpaca's host decides; another host (a proxy or a
/// mock) is what was asked for, paper by default.
fn environment_of(asked: Option<Environment>, trading_base: &Url) -> Result<Environment> {
    match (asked, Environment::of_alpaca_host(trading_base)) {
        (Some(asked), Some(host)) if asked != host => Err(Error::Config(format!(
            "environment {asked:?} was asked for, but the trading base URL {} is Alpaca's {host:?} host",
            url_text(trading_base, false)
        ))),
        (_, Some(host)) => Ok(host),
        (asked, None) => Ok(asked.unwrap_or_default()),
    }
}

/// Refuses an `https` base URL when the crate was built without a TLS backend: such a client
/// would fail on every request with a transport error that does not say why.
fn check_tls_available(base: &Url) -> Result<()> {
    let tls = cfg!(any(feature = "rustls", feature = "native-tls"));
    if base.scheme() == "https" && !tls {
        return Err(Error::Config(format!(
            "{} needs TLS, but alpaca-exec was built without a TLS backend: enable the `rustls` \
             feature (the default) or `native-tls`",
            url_text(base, false)
        )));
    }
    Ok(())
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

    #[cfg(any(feature = "rustls", feature = "native-tls"))] // builds https clients
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

    #[cfg(any(feature = "rustls", feature = "native-tls"))] // builds https clients
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

    #[cfg(any(feature = "rustls", feature = "native-tls"))] // builds https clients
    #[test]
    fn environment_follows_the_host_requests_go_to() {
        let b = || Client::builder().credentials("k", "s");
        for url in [
            LIVE_TRADING_URL,
            "https://api.alpaca.markets.",
            "https://API.ALPACA.MARKETS/v2",
            "https://api.alpaca.markets:443/v2/",
        ] {
            let c = b().trading_base_url(url).build().unwrap();
            assert_eq!(c.environment(), Environment::Live, "{url}");
            assert_eq!(
                c.inner.trading_base.as_str(),
                "https://api.alpaca.markets/",
                "{url}"
            );
        }
        let c = b().trading_base_url(PAPER_TRADING_URL).build().unwrap();
        assert_eq!(c.environment(), Environment::Paper);
        // A proxy or mock: the environment asked for, paper by default.
        let c = b().trading_base_url("http://127.0.0.1:1").build().unwrap();
        assert_eq!(c.environment(), Environment::Paper);
        let c = b()
            .environment(Environment::Live)
            .trading_base_url("https://proxy.internal/alpaca")
            .build()
            .unwrap();
        assert_eq!(c.environment(), Environment::Live);
        // Contradictions are refused rather than guessed.
        let e = b()
            .environment(Environment::Paper)
            .trading_base_url(LIVE_TRADING_URL)
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("Live host"), "{e}");
        let e = b()
            .environment(Environment::Live)
            .trading_base_url("https://paper-api.alpaca.markets/v2")
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("Paper host"), "{e}");
        // Live in clear text is refused, from the builder and from the environment.
        let e = b()
            .trading_base_url("http://api.alpaca.markets")
            .build()
            .unwrap_err();
        assert!(e.to_string().contains("https"), "{e}");
        let e = ClientBuilder::from_env_with(env(&[
            ("APCA_API_KEY_ID", "k"),
            ("APCA_API_SECRET_KEY", "s"),
            ("APCA_API_BASE_URL", "http://api.alpaca.markets."),
        ]))
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("configuration error: APCA_API_BASE_URL"),
            "{e}"
        );
        let c = ClientBuilder::from_env_with(env(&[
            ("APCA_API_KEY_ID", "k"),
            ("APCA_API_SECRET_KEY", "s"),
            ("APCA_API_BASE_URL", "https://api.alpaca.markets./v2"),
        ]))
        .unwrap()
        .build()
        .unwrap();
        assert_eq!(c.environment(), Environment::Live);
    }

    #[test]
    fn env_url_errors_never_echo_the_value() {
        let e = ClientBuilder::from_env_with(env(&[
            ("APCA_API_KEY_ID", "k"),
            ("APCA_API_SECRET_KEY", "s"),
            (
                "APCA_API_DATA_URL",
                "https://me:hunter2@data.alpaca.markets",
            ),
        ]))
        .unwrap_err();
        let text = format!("{e} {e:?}");
        assert!(text.contains("APCA_API_DATA_URL"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        let b = Client::builder()
            .credentials("k", "s")
            .trading_base_url("https://me:hunter2@example.com/x?token=t0k");
        let text = format!("{b:?}");
        assert!(!text.contains("hunter2") && !text.contains("t0k"), "{text}");
    }

    /// Without a TLS feature the client is refused when built, naming the feature, instead of
    /// failing every request at run time ("invalid URL, scheme is not http"). Run with
    /// `cargo test --no-default-features --lib client::tests`.
    #[cfg(not(any(feature = "rustls", feature = "native-tls")))]
    #[test]
    fn without_tls_an_https_client_is_refused_naming_the_feature() {
        let e = Client::builder().credentials("k", "s").build().unwrap_err();
        assert!(matches!(e, Error::Config(_)), "{e}");
        assert!(e.to_string().contains("`rustls`"), "{e}");
        // Plain http (a local mock or proxy) still works.
        Client::builder()
            .credentials("k", "s")
            .trading_base_url("http://127.0.0.1:1")
            .data_base_url("http://127.0.0.1:1")
            .build()
            .unwrap();
    }

    #[cfg(any(feature = "rustls", feature = "native-tls"))]
    #[test]
    fn with_tls_the_default_https_hosts_are_accepted() {
        Client::builder().credentials("k", "s").build().unwrap();
    }

    #[test]
    fn missing_credentials_is_a_config_error() {
        let e = Client::builder().build().unwrap_err();
        assert!(matches!(e, Error::Config(_)), "{e}");
    }

    #[cfg(any(feature = "rustls", feature = "native-tls"))] // builds https clients
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
