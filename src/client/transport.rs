//! The one place a request is sent: auth, timeout, rate limit, retries, error decoding, tracing.
//!
//! Endpoints describe a [`Request`] and hand it here; they never touch `reqwest` themselves.

use super::rate_limit::TokenBucket;
use super::retry::{RetryPolicy, server_wait};
use crate::error::{ApiError, Error, Result};
use bytes_excerpt::excerpt;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::{Instrument, field};
use url::Url;

use super::config::Credentials;

/// Which Alpaca API a request goes to; each has its own host and rate-limit budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    Trading,
    Data,
}

/// A request, described independently of the HTTP client.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    method: Method,
    api: Api,
    segments: Vec<Cow<'static, str>>,
    query: Vec<(&'static str, String)>,
    body: Option<bytes::Bytes>,
    idempotent: bool,
}

impl Request {
    fn new(method: Method, api: Api, segments: &[&str]) -> Self {
        let idempotent = matches!(
            method,
            Method::GET | Method::DELETE | Method::HEAD | Method::PUT
        );
        Self {
            method,
            api,
            segments: segments
                .iter()
                .map(|s| Cow::Owned((*s).to_owned()))
                .collect(),
            query: Vec::new(),
            body: None,
            idempotent,
        }
    }

    /// A GET on the trading API; `segments` are joined with `/` and each is percent-encoded.
    pub(crate) fn get(api: Api, segments: &[&str]) -> Self {
        Self::new(Method::GET, api, segments)
    }

    pub(crate) fn delete(api: Api, segments: &[&str]) -> Self {
        Self::new(Method::DELETE, api, segments)
    }

    /// A POST with a JSON body. Not idempotent unless [`Request::idempotent`] says so.
    pub(crate) fn post(api: Api, segments: &[&str], body: &impl Serialize) -> Result<Self> {
        Self::new(Method::POST, api, segments).json(body)
    }

    /// A POST without a body (e.g. exercise).
    pub(crate) fn post_empty(api: Api, segments: &[&str]) -> Self {
        Self::new(Method::POST, api, segments)
    }

    pub(crate) fn patch(api: Api, segments: &[&str], body: &impl Serialize) -> Result<Self> {
        Self::new(Method::PATCH, api, segments).json(body)
    }

    /// A PUT with a JSON body: it replaces the resource, so repeating it is safe.
    pub(crate) fn put(api: Api, segments: &[&str], body: &impl Serialize) -> Result<Self> {
        Self::new(Method::PUT, api, segments).json(body)
    }

    fn json(mut self, body: &impl Serialize) -> Result<Self> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::InvalidRequest(format!("could not encode request body: {e}")))?;
        self.body = Some(bytes.into());
        Ok(self)
    }

    /// Marks the request as safe to repeat (retried on 5xx and timeouts).
    pub(crate) fn idempotent(mut self, yes: bool) -> Self {
        self.idempotent = yes;
        self
    }

    pub(crate) fn query(mut self, key: &'static str, value: impl ToString) -> Self {
        self.query.push((key, value.to_string()));
        self
    }

    pub(crate) fn query_opt(self, key: &'static str, value: Option<impl ToString>) -> Self {
        match value {
            Some(v) => self.query(key, v),
            None => self,
        }
    }

    /// Adds `key=a,b,c` unless the list is empty.
    pub(crate) fn query_list<S: AsRef<str>>(self, key: &'static str, values: &[S]) -> Self {
        if values.is_empty() {
            return self;
        }
        let joined = values
            .iter()
            .map(|v| v.as_ref())
            .collect::<Vec<_>>()
            .join(",");
        self.query(key, joined)
    }

    /// The path for logs and errors: no host, no query, never any secret.
    pub(crate) fn path(&self) -> String {
        let mut p = String::new();
        for s in &self.segments {
            p.push('/');
            p.push_str(s);
        }
        p
    }
}

/// A successful response: status and the whole body, with the request it answers.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: StatusCode,
    /// The `Content-Type` header, for the few endpoints that answer with something other than
    /// JSON (logos are images).
    pub(crate) content_type: Option<String>,
    pub(crate) body: bytes::Bytes,
    /// `METHOD /path` of the request, for decode errors.
    pub(crate) request: String,
}

/// Shared state behind every clone of a `Client`.
pub(crate) struct Transport {
    pub(crate) http: reqwest::Client,
    pub(crate) credentials: Credentials,
    /// Auth headers, built once (marked sensitive so they never appear in debug output).
    pub(crate) auth_headers: HeaderMap,
    pub(crate) trading_base: Url,
    pub(crate) data_base: Url,
    pub(crate) trading_bucket: Arc<TokenBucket>,
    pub(crate) data_bucket: Arc<TokenBucket>,
    pub(crate) retry: RetryPolicy,
}

enum Attempt {
    Done(Result<Response>),
    RetryAfter(Duration, String),
}

impl Transport {
    fn url(&self, req: &Request) -> Url {
        let mut url = match req.api {
            Api::Trading => self.trading_base.clone(),
            Api::Data => self.data_base.clone(),
        };
        {
            let mut segs = url
                .path_segments_mut()
                .expect("base URLs are checked to be able to be a base");
            segs.pop_if_empty();
            for s in &req.segments {
                segs.push(s);
            }
        }
        url
    }

    pub(crate) fn auth_headers(credentials: &Credentials) -> Result<HeaderMap> {
        let mut h = HeaderMap::with_capacity(2);
        let mut key = HeaderValue::from_str(credentials.key_id())
            .map_err(|_| Error::Config("API key id contains invalid header characters".into()))?;
        let mut secret = HeaderValue::from_str(credentials.secret_key()).map_err(|_| {
            Error::Config("API secret key contains invalid header characters".into())
        })?;
        key.set_sensitive(true);
        secret.set_sensitive(true);
        h.insert("APCA-API-KEY-ID", key);
        h.insert("APCA-API-SECRET-KEY", secret);
        Ok(h)
    }

    /// Sends a request with rate limiting and retries; returns the 2xx response or a typed error.
    pub(crate) async fn send(&self, req: &Request) -> Result<Response> {
        let path = req.path();
        let span = tracing::info_span!(
            "alpaca_request",
            method = %req.method,
            path = %path,
            status = field::Empty,
            attempt = field::Empty,
            latency_ms = field::Empty,
        );
        async {
            let url = self.url(req);
            let headers = &self.auth_headers;
            let bucket = match req.api {
                Api::Trading => &self.trading_bucket,
                Api::Data => &self.data_bucket,
            };
            let mut retry = 0u32;
            loop {
                bucket.acquire().await;
                tracing::Span::current().record("attempt", retry + 1);
                match self.attempt(req, &path, &url, headers, retry).await {
                    Attempt::Done(r) => return r,
                    Attempt::RetryAfter(wait, why) => {
                        retry += 1;
                        tracing::warn!(
                            retry,
                            wait_ms = wait.as_millis() as u64,
                            reason = %why,
                            "retrying Alpaca request"
                        );
                        tokio::time::sleep(wait).await;
                    }
                }
            }
        }
        .instrument(span)
        .await
    }

    async fn attempt(
        &self,
        req: &Request,
        path: &str,
        url: &Url,
        headers: &HeaderMap,
        retry: u32,
    ) -> Attempt {
        let can_retry = retry < self.retry.max_retries;
        let mut builder = self
            .http
            .request(req.method.clone(), url.clone())
            .headers(headers.clone());
        if !req.query.is_empty() {
            builder = builder.query(&req.query);
        }
        if let Some(body) = &req.body {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let started = Instant::now();
        let result = match builder.send().await {
            Ok(resp) => {
                let status = resp.status();
                let headers = resp.headers().clone();
                resp.bytes().await.map(|b| (status, headers, b))
            }
            Err(e) => Err(e),
        };
        let span = tracing::Span::current();
        span.record("latency_ms", started.elapsed().as_millis() as u64);
        let method = req.method.to_string();

        let (status, resp_headers, body) = match result {
            Ok(ok) => ok,
            Err(e) => {
                // reqwest names the full URL, query included; the path is named by the error.
                let e = e.without_url();
                let message = self.credentials.redact(&crate::error::error_chain(&e));
                // A failed connection means no byte of the request reached the server.
                if e.is_connect() {
                    if can_retry {
                        return Attempt::RetryAfter(self.retry.backoff(retry + 1), message);
                    }
                    return Attempt::Done(Err(Error::NotSent {
                        method,
                        path: path.to_owned(),
                        message,
                    }));
                }
                let timed_out = e.is_timeout();
                if req.idempotent && can_retry {
                    return Attempt::RetryAfter(self.retry.backoff(retry + 1), message);
                }
                let reason = if timed_out {
                    format!("timed out: {message}")
                } else {
                    message
                };
                return Attempt::Done(Err(Error::OutcomeUnknown {
                    method,
                    path: path.to_owned(),
                    reason,
                    status: None,
                    timed_out,
                    client_order_id: None,
                }));
            }
        };
        span.record("status", status.as_u16());

        if status.is_success() {
            let content_type = resp_headers
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            return Attempt::Done(Ok(Response {
                status,
                content_type,
                body,
                request: format!("{method} {path}"),
            }));
        }
        if status.is_redirection() {
            // Never followed and never retried (see `ClientBuilder::build`): a followed redirect
            // re-sends writes and can carry the keys to another host.
            return Attempt::Done(Err(Error::Redirected {
                method,
                path: path.to_owned(),
                status: status.as_u16(),
                location: self.credentials.redact(&location_text(url, &resp_headers)),
            }));
        }
        let mut api = api_error(status, &resp_headers, &body);
        // Everything a server sent back is text it chose: it may echo the request headers.
        api.message = self.credentials.redact(&api.message);
        api.request_id = api.request_id.map(|id| self.credentials.redact(&id));
        api.method = Some(method.clone());
        api.path = Some(path.to_owned());
        if status == StatusCode::TOO_MANY_REQUESTS && can_retry {
            let wait = self.retry.rate_limited_wait(api.retry_after, retry + 1);
            return Attempt::RetryAfter(wait, "429 Too Many Requests".into());
        }
        if status.is_server_error() {
            if req.idempotent && can_retry {
                return Attempt::RetryAfter(
                    self.retry.backoff(retry + 1),
                    format!("server error {status}"),
                );
            }
            if !req.idempotent {
                return Attempt::Done(Err(Error::OutcomeUnknown {
                    method,
                    path: path.to_owned(),
                    reason: api_reason(&api),
                    status: Some(status.as_u16()),
                    timed_out: false,
                    client_order_id: None,
                }));
            }
        }
        Attempt::Done(Err(api.into()))
    }

    /// Sends and decodes a JSON body into `T`.
    pub(crate) async fn json<T: DeserializeOwned>(&self, req: &Request) -> Result<T> {
        let resp = self.send(req).await?;
        self.decode(&resp)
    }

    /// Sends and decodes a JSON list, where an empty body means an empty list (multi-status
    /// answers to "cancel all" / "close all" with nothing to act on).
    pub(crate) async fn json_list<T: DeserializeOwned>(&self, req: &Request) -> Result<Vec<T>> {
        let resp = self.send(req).await?;
        if resp.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Vec::new());
        }
        self.decode(&resp)
    }

    /// Decodes a response body into `T`; an error names the request and the failing field, and
    /// its excerpt of the body never shows the keys (a proxy may echo request headers).
    pub(crate) fn decode<T: DeserializeOwned>(&self, resp: &Response) -> Result<T> {
        decode(&resp.request, &resp.body).map_err(|e| match e {
            Error::Decode {
                request,
                what,
                path,
                message,
                excerpt,
            } => Error::Decode {
                request,
                what,
                path,
                message: self.credentials.redact(&message),
                excerpt: self.credentials.redact(&excerpt),
            },
            other => other,
        })
    }

    /// Sends a request whose success body is ignored (204s, empty 200s).
    pub(crate) async fn no_content(&self, req: &Request) -> Result<StatusCode> {
        Ok(self.send(req).await?.status)
    }
}

/// Decodes a JSON body, naming the request and the failing field and quoting the start of the
/// body on error.
pub(crate) fn decode<T: DeserializeOwned>(request: &str, body: &[u8]) -> Result<T> {
    let what = std::any::type_name::<T>();
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::Decode {
            request: request.to_owned(),
            what,
            path: ".".into(),
            message: "the response body is empty".into(),
            excerpt: String::new(),
        });
    }
    // Fast path: plain serde_json. Only when it fails is the body decoded again with path
    // tracking, so naming the failing field costs nothing on success.
    if let Ok(v) = serde_json::from_slice(body) {
        return Ok(v);
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let failed = |path: String, message: String| Error::Decode {
        request: request.to_owned(),
        what,
        path: if path.is_empty() { ".".into() } else { path },
        message,
        excerpt: excerpt(body),
    };
    let value: T = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| failed(e.path().to_string(), e.into_inner().to_string()))?;
    de.end().map_err(|e| {
        failed(
            String::new(),
            format!("unexpected data after the JSON value: {e}"),
        )
    })?;
    Ok(value)
}

fn api_error(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> ApiError {
    #[derive(serde::Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "code_lenient")]
        code: Option<u64>,
        #[serde(default)]
        message: Option<String>,
    }
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let parsed: Option<Body> = serde_json::from_slice(body).ok();
    let (code, message) = match parsed {
        Some(b) => (b.code, b.message.filter(|m| !m.trim().is_empty())),
        None => (None, None),
    };
    let message = message.unwrap_or_else(|| {
        let text = excerpt(body);
        if text.is_empty() {
            status
                .canonical_reason()
                .unwrap_or("no error message")
                .to_owned()
        } else {
            text
        }
    });
    let retry_after = if status == StatusCode::TOO_MANY_REQUESTS {
        server_wait(headers)
    } else {
        headers
            .get("retry-after")
            .is_some()
            .then(|| server_wait(headers))
            .flatten()
    };
    let mut api = ApiError::new(status.as_u16(), code, message);
    api.request_id = request_id;
    api.retry_after = retry_after;
    api
}

/// An API error's status, code and message without the request (which the caller names).
fn api_reason(api: &ApiError) -> String {
    let mut bare = api.clone();
    bare.method = None;
    bare.path = None;
    bare.to_string()
}

/// Where a redirect points, for the error: scheme, host and path of the `Location` resolved
/// against the request URL; never its query or user info (they can carry tokens).
fn location_text(request_url: &Url, headers: &HeaderMap) -> String {
    let Some(raw) = headers.get(reqwest::header::LOCATION) else {
        return "nowhere (no Location header)".into();
    };
    match raw.to_str().ok().and_then(|l| request_url.join(l).ok()) {
        Some(to) => super::config::url_text(&to, true),
        None => "an unreadable Location".into(),
    }
}

fn code_lenient<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(crate::wire::opt_int_lenient(d)
        .ok()
        .flatten()
        .and_then(|c| u64::try_from(c).ok()))
}

mod bytes_excerpt {
    const MAX: usize = 200;

    /// The first ~200 characters of a body as text, whitespace collapsed, for error messages.
    pub(crate) fn excerpt(body: &[u8]) -> String {
        let end = body.len().min(MAX * 4);
        let text = String::from_utf8_lossy(&body[..end]);
        let mut out: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if out.chars().count() > MAX {
            out = out.chars().take(MAX).collect();
            out.push('…');
        } else if body.len() > end {
            out.push('…');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        items: Vec<Inner>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        #[serde(deserialize_with = "crate::wire::decimal")]
        qty: rust_decimal::Decimal,
    }

    #[test]
    fn decode_error_names_the_field() {
        let body = br#"{"items":[{"qty":"1"},{"qty":"x"}]}"#;
        match decode::<Outer>("GET /x", body).unwrap_err() {
            Error::Decode {
                request,
                path,
                message,
                excerpt,
                ..
            } => {
                assert_eq!(request, "GET /x");
                assert_eq!(path, "items[1].qty");
                assert!(message.contains("\"x\""), "{message}");
                assert!(excerpt.starts_with("{\"items\""), "{excerpt}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn truncated_and_empty_bodies() {
        let e = decode::<Outer>("GET /x", br#"{"items":[{"qty":"1"}"#).unwrap_err();
        assert!(
            matches!(e, Error::Decode { ref message, .. } if message.contains("EOF")),
            "{e}"
        );
        let e = decode::<Outer>("GET /x", b"  ").unwrap_err();
        assert!(matches!(e, Error::Decode { ref message, .. } if message.contains("empty")));
        let e = decode::<Outer>("GET /x", br#"{"items":[]} trailing"#).unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{e}");
    }

    #[test]
    fn api_error_from_json_html_and_empty_bodies() {
        let mut h = HeaderMap::new();
        h.insert("x-request-id", HeaderValue::from_static("req-1"));
        let e = api_error(
            StatusCode::NOT_FOUND,
            &h,
            br#"{"code": 40410000, "message": "order not found"}"#,
        );
        assert_eq!(e.code, Some(40410000));
        assert_eq!(e.message, "order not found");
        assert_eq!(e.request_id.as_deref(), Some("req-1"));

        let e = api_error(
            StatusCode::BAD_GATEWAY,
            &HeaderMap::new(),
            b"<html><body><h1>502 Bad Gateway</h1></body></html>",
        );
        assert_eq!(e.code, None);
        assert!(e.message.contains("502 Bad Gateway"));

        let e = api_error(StatusCode::UNAUTHORIZED, &HeaderMap::new(), b"");
        assert_eq!(e.message, "Unauthorized");

        let e = api_error(
            StatusCode::FORBIDDEN,
            &HeaderMap::new(),
            br#"{"code":"40310000","message":"insufficient buying power"}"#,
        );
        assert_eq!(e.code, Some(40310000), "string codes are accepted");
    }

    #[test]
    fn excerpt_is_bounded() {
        let long = "x".repeat(10_000);
        let e = excerpt(long.as_bytes());
        assert!(e.chars().count() <= 201);
        assert!(e.ends_with('…'));
    }
}
