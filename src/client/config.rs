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

    /// The environment of a trading base URL, from its host as requests reach it: Alpaca's
    /// live host (in any letter case, with or without the trailing dot of a fully qualified
    /// name, on any port) is live; everything else is paper.
    pub fn from_trading_url(url: &Url) -> Self {
        Self::of_alpaca_host(url).unwrap_or(Environment::Paper)
    }

    /// The environment if `url` is on one of Alpaca's trading hosts, `None` for any other host.
    pub(crate) fn of_alpaca_host(url: &Url) -> Option<Self> {
        match alpaca_host(url)? {
            LIVE_HOST => Some(Environment::Live),
            PAPER_HOST => Some(Environment::Paper),
            _ => None,
        }
    }
}

const LIVE_HOST: &str = "api.alpaca.markets";
const PAPER_HOST: &str = "paper-api.alpaca.markets";

/// The host as DNS resolves it: lower case (the URL parser already folds it) and without the
/// trailing dot of a fully qualified name, which names the same host.
fn normalized_host(url: &Url) -> Option<&str> {
    url.host_str().map(|h| h.strip_suffix('.').unwrap_or(h))
}

/// The host if it is one of Alpaca's (`*.alpaca.markets`).
fn alpaca_host(url: &Url) -> Option<&str> {
    normalized_host(url).filter(|h| *h == "alpaca.markets" || h.ends_with(".alpaca.markets"))
}

/// A URL for messages: scheme, host and port (and the path if asked), never user info, query
/// or fragment, which can carry credentials or tokens.
pub(crate) fn url_text(url: &Url, with_path: bool) -> String {
    let mut s = format!("{}://{}", url.scheme(), url.host_str().unwrap_or(""));
    if let Some(port) = url.port() {
        s.push_str(&format!(":{port}"));
    }
    if with_path {
        s.push_str(url.path());
    }
    s
}

/// A configured URL string for messages and `Debug`: scheme, host, port and path only.
pub(crate) fn shown_url(raw: &str) -> String {
    match Url::parse(raw.trim()) {
        Ok(u) => url_text(&u, true),
        Err(_) => "<not a URL>".into(),
    }
}

/// Which API a base URL is for: what the API's own version segment is, so that a base URL
/// copied with it (Alpaca's dashboard shows `https://paper-api.alpaca.markets/v2`) does not
/// produce `/v2/v2/...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BaseFor {
    Trading,
    Data,
}

impl BaseFor {
    fn what(self) -> &'static str {
        match self {
            BaseFor::Trading => "trading",
            BaseFor::Data => "market data",
        }
    }

    /// Version segments the crate adds itself to every path of this API.
    fn version_segments(self) -> &'static [&'static str] {
        match self {
            BaseFor::Trading => &["v2"],
            BaseFor::Data => &["v2", "v1beta1"],
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

    /// `text` with every occurrence of the key id and the secret replaced by `<redacted>`, for
    /// error messages built from what a server sent back (a proxy's or Alpaca's 401 page may
    /// echo the request headers).
    ///
    /// Values of at least `MIN_SUBSTRING_REDACT` characters are replaced wherever they occur;
    /// shorter ones (never real Alpaca keys, which are 20 and 40+ characters, but possible in
    /// tests) only as whole words, so that a one-letter test key does not garble every message.
    pub(crate) fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for value in [&self.secret_key, &self.key_id] {
            out = redact_value(&out, value);
        }
        out
    }
}

/// Below this length a credential value is redacted only where it stands as a whole word.
const MIN_SUBSTRING_REDACT: usize = 8;

fn redact_value(text: &str, value: &str) -> String {
    const MASK: &str = "<redacted>";
    if value.is_empty() || !text.contains(value) {
        return text.to_owned();
    }
    if value.len() >= MIN_SUBSTRING_REDACT {
        return text.replace(value, MASK);
    }
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(value) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + value.len()..].chars().next();
        out.push_str(&rest[..at]);
        if is_word(before) || is_word(after) {
            out.push_str(value);
        } else {
            out.push_str(MASK);
        }
        rest = &rest[at + value.len()..];
    }
    out.push_str(rest);
    out
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("key_id", &self.key_id)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

/// Parses and normalises a base URL.
///
/// - The value is never echoed whole in an error (it may hold user info, or a secret pasted
///   into the wrong variable): errors show at most scheme, host and port.
/// - User info (`https://user:pass@host`) is refused: Alpaca authenticates with its headers,
///   and a password in a URL ends up in logs.
/// - Alpaca's own hosts need `https` (keys must not cross the network in clear text); other
///   hosts (a local mock, a proxy) may use `http`.
/// - A trailing dot on the host (`api.alpaca.markets.`) is dropped: it names the same host,
///   and certificates are issued for the name without it.
/// - A trailing API version segment (`/v2`, and `/v1beta1` for market data) is dropped, since
///   every request path starts with it; any other path prefix (a proxy's) is kept.
/// - The path ends with `/`, so that joining a relative path (the trade-update stream's
///   `stream`) keeps the whole prefix.
pub(crate) fn parse_base_url(what: BaseFor, s: &str) -> Result<Url> {
    let name = what.what();
    let mut url = Url::parse(s.trim()).map_err(|e| {
        Error::Config(format!(
            "{name} base URL is not a valid URL ({e}); expected e.g. {}",
            match what {
                BaseFor::Trading => PAPER_TRADING_URL,
                BaseFor::Data => DATA_URL,
            }
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::Config(format!(
            "{name} base URL must be http or https, got scheme {:?}",
            url.scheme()
        )));
    }
    if url.cannot_be_a_base() || url.host_str().is_none_or(str::is_empty) {
        return Err(Error::Config(format!(
            "{name} base URL {} has no host",
            url_text(&url, false)
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(format!(
            "{name} base URL {} must not contain a user name or password \
             (Alpaca authenticates with the API key headers)",
            url_text(&url, false)
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "{name} base URL {} must not have a query or fragment",
            url_text(&url, false)
        )));
    }
    if alpaca_host(&url).is_some() && url.scheme() != "https" {
        return Err(Error::Config(format!(
            "{name} base URL {} must use https: Alpaca's hosts are served over TLS only, and \
             the keys must not cross the network in clear text",
            url_text(&url, false)
        )));
    }
    if let Some(host) = url
        .host_str()
        .and_then(|h| h.strip_suffix('.'))
        .map(str::to_owned)
    {
        // The same host without the root label's dot: what certificates are issued for.
        url.set_host(Some(&host))
            .map_err(|e| Error::Config(format!("{name} base URL host is invalid: {e}")))?;
    }
    let mut segments: Vec<String> = url
        .path_segments()
        .map(|p| p.filter(|s| !s.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default();
    if segments
        .last()
        .is_some_and(|last| what.version_segments().contains(&last.as_str()))
    {
        segments.pop();
    }
    let mut path = String::from("/");
    for seg in &segments {
        path.push_str(seg);
        path.push('/');
    }
    url.set_path(&path);
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
    fn live_host_is_recognised_however_it_is_written() {
        for s in [
            "https://api.alpaca.markets.",
            "https://api.alpaca.markets./v2",
            "https://API.Alpaca.Markets",
            "https://api.alpaca.markets:443/",
            "https://api%2Ealpaca.markets",
            " https://api.alpaca.markets/v2/ ",
        ] {
            let url = parse_base_url(BaseFor::Trading, s).unwrap();
            assert_eq!(
                Environment::from_trading_url(&url),
                Environment::Live,
                "{s}"
            );
        }
        for s in [
            "https://paper-api.alpaca.markets.",
            "https://api.alpaca.markets.example.com",
            "https://notapi.alpaca.markets",
            "http://127.0.0.1:9999",
        ] {
            let url = parse_base_url(BaseFor::Trading, s).unwrap();
            assert_eq!(
                Environment::from_trading_url(&url),
                Environment::Paper,
                "{s}"
            );
        }
    }

    #[test]
    fn alpaca_hosts_need_https() {
        for s in [
            "http://api.alpaca.markets",
            "http://API.ALPACA.MARKETS.",
            "http://paper-api.alpaca.markets",
            "http://data.alpaca.markets",
        ] {
            let e = parse_base_url(BaseFor::Trading, s).unwrap_err();
            assert!(e.to_string().contains("https"), "{s}: {e}");
        }
        assert!(parse_base_url(BaseFor::Trading, "http://localhost:8080").is_ok());
    }

    #[test]
    fn version_suffix_is_dropped_and_prefixes_kept() {
        let path = |what, s| parse_base_url(what, s).unwrap().path().to_owned();
        assert_eq!(
            path(BaseFor::Trading, "https://paper-api.alpaca.markets"),
            "/"
        );
        assert_eq!(
            path(BaseFor::Trading, "https://paper-api.alpaca.markets/v2"),
            "/"
        );
        assert_eq!(
            path(BaseFor::Trading, "https://paper-api.alpaca.markets/v2/"),
            "/"
        );
        assert_eq!(
            path(BaseFor::Trading, "http://h/proxy/alpaca"),
            "/proxy/alpaca/"
        );
        assert_eq!(path(BaseFor::Trading, "http://h/proxy/v2"), "/proxy/");
        assert_eq!(path(BaseFor::Trading, "http://h/v1beta1"), "/v1beta1/");
        assert_eq!(path(BaseFor::Data, "https://data.alpaca.markets/v2"), "/");
        assert_eq!(
            path(BaseFor::Data, "https://data.alpaca.markets/v1beta1/"),
            "/"
        );
    }

    #[test]
    fn bad_base_urls_are_refused_without_echoing_them() {
        let secret = "hunter2-secret-value";
        for s in [
            format!("not a url {secret}"),
            format!("ftp://x/{secret}"),
            format!("https://user:{secret}@paper-api.alpaca.markets"),
            format!("https://{secret}@paper-api.alpaca.markets"),
            format!("http://127.0.0.1:8080/?key={secret}"),
            format!("https://paper-api.alpaca.markets/#{secret}"),
            format!("http://api.alpaca.markets/{secret}"),
        ] {
            let e = parse_base_url(BaseFor::Trading, &s).unwrap_err();
            let text = format!("{e} {e:?}");
            assert!(matches!(e, Error::Config(_)), "{s}: {text}");
            assert!(!text.contains(secret), "{s}: {text}");
        }
        let e =
            parse_base_url(BaseFor::Trading, "https://u:p@paper-api.alpaca.markets").unwrap_err();
        assert!(
            e.to_string().contains("https://paper-api.alpaca.markets"),
            "{e}"
        );
        assert!(parse_base_url(BaseFor::Trading, "http://127.0.0.1:8080").is_ok());
    }

    #[test]
    fn redaction_hides_both_values() {
        let c = Credentials::new("PKABCDEFGHIJKLMNOPQR", "s3cr3t-s3cr3t-s3cr3t-s3cr3t").unwrap();
        let echoed = "APCA-API-KEY-ID: PKABCDEFGHIJKLMNOPQR\nAPCA-API-SECRET-KEY: s3cr3t-s3cr3t-s3cr3t-s3cr3t;x=s3cr3t-s3cr3t-s3cr3t-s3cr3tZ";
        let out = c.redact(echoed);
        assert!(!out.contains("PKABCDEFGHIJKLMNOPQR"), "{out}");
        assert!(!out.contains("s3cr3t-s3cr3t"), "{out}");
        assert_eq!(out.matches("<redacted>").count(), 3, "{out}");
        // Short (test) values only as whole words, so messages stay readable.
        let short = Credentials::new("k", "s").unwrap();
        assert_eq!(
            short.redact("orders: key k secret \"s\""),
            "orders: key <redacted> secret \"<redacted>\""
        );
    }
}
