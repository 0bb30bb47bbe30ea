//! The crate's error type.
//!
//! Errors are split by what a caller can safely do next: a request that was refused before it
//! was sent ([`Error::InvalidRequest`], [`Error::Config`]) or that provably never reached the
//! server ([`Error::NotSent`]) can be fixed and retried; one whose outcome is unknown
//! ([`Error::OutcomeUnknown`]) must be looked up before anything is re-sent, because the server may
//! have acted on it. That distinction is what keeps an order from being placed twice.

use reqwest::StatusCode;
use std::fmt;
use std::time::Duration;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong talking to Alpaca.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client is misconfigured (missing key, bad base URL). Nothing was sent.
    #[error("configuration error: {0}")]
    Config(String),

    /// The request would be rejected by Alpaca, so it was refused before sending.
    #[error("invalid request: {0}")]
    InvalidRequest(String),

    /// The request never left this machine (connection refused, DNS failure). Safe to retry.
    #[error("request {method} {path} was not sent: {message}")]
    NotSent {
        /// HTTP method.
        method: String,
        /// Request path (no host, no query).
        path: String,
        /// What failed.
        message: String,
    },

    /// The request may have reached Alpaca, but no usable answer came back (timeout, connection
    /// reset, or a 5xx to a non-idempotent request). The server may have acted on it: look the
    /// result up (for orders, by `client_order_id`) before sending anything again.
    #[error("outcome of {method} {path} is unknown: {reason}{}", look_up_hint(client_order_id.as_deref()))]
    OutcomeUnknown {
        /// HTTP method.
        method: String,
        /// Request path (no host, no query).
        path: String,
        /// Why the outcome is unknown.
        reason: String,
        /// The HTTP status, if one came back (a 5xx).
        status: Option<u16>,
        /// True if the request timed out.
        timed_out: bool,
        /// For an order submit, the `client_order_id` to look the order up by. Sending an order
        /// again with this same id is safe (Alpaca refuses a reused id); building it anew with a
        /// fresh id is not.
        client_order_id: Option<String>,
    },

    /// Alpaca refused an order's `client_order_id` as already used (422 `40010001`), which
    /// proves an order with that id exists, but looking it up by that id still answered 404.
    ///
    /// Alpaca's lookup can trail its acceptance of an order by seconds, so this normally
    /// settles by itself: look the order up again later by `client_order_id`
    /// ([`Client::order_by_client_order_id`](crate::Client::order_by_client_order_id)). Never
    /// send it again under a *new* id: that would place a second order. If it never appears,
    /// the id was used by an order Alpaca has since purged, or by another program: check the
    /// account's orders by hand.
    #[error(
        "order {client_order_id} exists (its client_order_id was refused as already used) but is not visible yet: {detail}; look it up again later and do not send it under a new id"
    )]
    OrderNotVisible {
        /// The order's idempotency key.
        client_order_id: String,
        /// What the lookups answered.
        detail: String,
    },

    /// The server answered with a redirect (3xx). Redirects are never followed: a followed
    /// redirect re-sends writes (a second order, a second close) and can carry the keys to
    /// another host. The request was sent once and is not repeated; a redirect usually means a
    /// wrong base URL (e.g. `http://` where the host wants `https://`).
    #[error(
        "{method} {path}: redirected ({status}) to {location}; redirects are never followed, check the base URL"
    )]
    Redirected {
        /// HTTP method.
        method: String,
        /// Request path (no host, no query).
        path: String,
        /// The 3xx status.
        status: u16,
        /// Where the server pointed: scheme, host and path only (no credentials, no query).
        location: String,
    },

    /// Alpaca answered with an error status. Boxed: it is the largest variant, and every
    /// `Result` of the crate would otherwise carry its size.
    #[error(transparent)]
    Api(Box<ApiError>),

    /// A quote has no usable price (a missing side or a crossed market).
    #[error("no usable price: {0}")]
    NoPrice(crate::data::QuoteError),

    /// A response arrived but could not be decoded into the expected type.
    #[error("{request}: could not decode {what} at `{path}`: {message}; body starts: {excerpt}")]
    Decode {
        /// The request whose answer this was, as `METHOD /path` (no host, no query).
        request: String,
        /// The type being decoded.
        what: &'static str,
        /// JSON path of the failing field, e.g. `orders[3].qty` (`.` if the body itself).
        path: String,
        /// What was wrong.
        message: String,
        /// The first bytes of the body, for diagnosis.
        excerpt: String,
    },
}

/// An error status from Alpaca, with everything it told us.
///
/// `Display` reads like
/// `GET /v2/orders/abc: 404 Not Found (code 40410000): order not found [request id 7f3a]`.
/// The key id and secret never appear in it: the transport redacts them from the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct ApiError {
    /// The request's HTTP method (`None` for errors a non-Alpaca broker made up).
    pub method: Option<String>,
    /// The request's path, without host or query.
    pub path: Option<String>,
    /// HTTP status code.
    pub status: u16,
    /// Alpaca's numeric error code, e.g. `40410000`; absent on some 401s and on non-JSON bodies.
    pub code: Option<u64>,
    /// Alpaca's message, or an excerpt of the body when it was not JSON, or the status text.
    pub message: String,
    /// The `X-Request-ID` header, which Alpaca support asks for.
    pub request_id: Option<String>,
    /// How long the server asked us to wait (429: `Retry-After` or `X-RateLimit-Reset`).
    pub retry_after: Option<Duration>,
}

/// Alpaca's code for "client_order_id must be unique".
pub const CODE_DUPLICATE_CLIENT_ORDER_ID: u64 = 40010001;

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let (Some(method), Some(path)) = (&self.method, &self.path) {
            write!(f, "{method} {path}: ")?;
        }
        let reason = self.status_code().canonical_reason().filter(|_| {
            // An out-of-range status would be shown as the 500 `status_code` falls back to.
            StatusCode::from_u16(self.status).is_ok()
        });
        write!(f, "{}", self.status)?;
        if let Some(reason) = reason {
            write!(f, " {reason}")?;
        }
        if let Some(code) = self.code {
            write!(f, " (code {code})")?;
        }
        // The status text alone (an empty body) is not worth repeating.
        if Some(self.message.as_str()) != reason && !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request id {id}]")?;
        }
        Ok(())
    }
}

impl ApiError {
    /// An error status not tied to an HTTP request, e.g. one a simulated or custom broker
    /// reports in Alpaca's terms (`404` with code `40410000` for a missing order).
    pub fn new(status: u16, code: Option<u64>, message: impl Into<String>) -> Self {
        Self {
            method: None,
            path: None,
            status,
            code,
            message: message.into(),
            request_id: None,
            retry_after: None,
        }
    }

    /// The HTTP status as a typed value.
    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// True for 404.
    pub fn is_not_found(&self) -> bool {
        self.status == 404
    }

    /// True when Alpaca refused an order because its `client_order_id` was already used.
    pub fn is_duplicate_client_order_id(&self) -> bool {
        self.code == Some(CODE_DUPLICATE_CLIENT_ORDER_ID)
            || (self.status == 422 && self.message.contains("client_order_id must be unique"))
    }
}

impl Error {
    /// The API error, if this is one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status, if a response came back.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::OutcomeUnknown { status, .. } => *status,
            Error::Redirected { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True for a 404 from Alpaca (order, position, asset or contract not found).
    pub fn is_not_found(&self) -> bool {
        self.api().is_some_and(ApiError::is_not_found)
    }

    /// True when the server may have acted on the request although we got no usable answer:
    /// [`Error::OutcomeUnknown`], and [`Error::OrderNotVisible`] (it did act, but the result
    /// cannot be seen yet). Either way, look the result up later; never send it again blindly.
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(
            self,
            Error::OutcomeUnknown { .. } | Error::OrderNotVisible { .. }
        )
    }

    /// True when sending the same request again is safe and may succeed: rate limited (429),
    /// never sent, or a server error / timeout on a request that was known to be idempotent
    /// (those reach the caller as [`Error::Api`] with a 5xx status only for idempotent requests).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::NotSent { .. } => true,
            Error::Api(e) => e.status == 429 || e.status >= 500,
            _ => false,
        }
    }

    /// For an order whose outcome is unknown, the `client_order_id` to look it up by (and to
    /// send it again with, should it turn out absent).
    pub fn client_order_id(&self) -> Option<&str> {
        match self {
            Error::OutcomeUnknown {
                client_order_id, ..
            } => client_order_id.as_deref(),
            Error::OrderNotVisible {
                client_order_id, ..
            } => Some(client_order_id),
            _ => None,
        }
    }

    /// Names the order an unknown outcome is about; other errors are returned unchanged.
    pub(crate) fn for_order(self, id: &str) -> Self {
        match self {
            Error::OutcomeUnknown {
                method,
                path,
                reason,
                status,
                timed_out,
                client_order_id: _,
            } => Error::OutcomeUnknown {
                method,
                path,
                reason,
                status,
                timed_out,
                client_order_id: Some(id.to_owned()),
            },
            other => other,
        }
    }

    /// How long the server asked us to wait before retrying, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        self.api().and_then(|e| e.retry_after)
    }
}

/// The tail of an unknown order outcome's message: which id to look up, and how to retry safely.
fn look_up_hint(client_order_id: Option<&str>) -> String {
    match client_order_id {
        Some(id) => format!(
            "; the order may exist: look it up by client_order_id {id:?} \
             (Client::order_by_client_order_id) before placing it again, and retry only \
             with this same client_order_id (Alpaca refuses a reused id, so it cannot be placed twice)"
        ),
        None => String::new(),
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(Box::new(e))
    }
}

impl From<crate::options::OccSymbolError> for Error {
    fn from(e: crate::options::OccSymbolError) -> Self {
        Error::InvalidRequest(e.to_string())
    }
}

impl From<crate::data::QuoteError> for Error {
    fn from(e: crate::data::QuoteError) -> Self {
        Error::NoPrice(e)
    }
}

/// The error and its causes in one line, e.g. "error sending request: connection refused".
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}
