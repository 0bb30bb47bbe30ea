//! The crate's error type.
//!
//! Errors are split by what a caller can safely do next: a request that was refused before it
//! was sent ([`Error::InvalidRequest`], [`Error::Config`]) or that provably never reached the
//! server ([`Error::NotSent`]) can be fixed and retried; one whose outcome is unknown
//! ([`Error::OutcomeUnknown`]) must be looked up before anything is re-sent, because the server may
//! have acted on it. That distinction is what keeps an order from being placed twice.

use reqwest::StatusCode;
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
    #[error("outcome of {method} {path} is unknown: {reason}")]
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

    /// Alpaca answered with an error status.
    #[error(transparent)]
    Api(#[from] ApiError),

    /// A quote has no usable price (a missing side or a crossed market).
    #[error("no usable price: {0}")]
    NoPrice(crate::data::QuoteError),

    /// A response arrived but could not be decoded into the expected type.
    #[error("could not decode {what} at `{path}`: {message}; body starts: {excerpt}")]
    Decode {
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
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Alpaca API error {status}{}: {message}{}", code.map(|c| format!(" (code {c})")).unwrap_or_default(), request_id.as_ref().map(|r| format!(" [request id {r}]")).unwrap_or_default())]
pub struct ApiError {
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

impl ApiError {
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

    /// How long the server asked us to wait before retrying, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        self.api().and_then(|e| e.retry_after)
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
