//! Why a stream disconnected or stopped.

use std::time::Duration;

/// Why a stream connection ended, or why the whole stream stopped.
///
/// Most errors are transient: the stream reports them in
/// [`StreamEvent::Disconnected`](super::StreamEvent::Disconnected) and reconnects after a backoff.
/// Those for which [`StreamError::is_final`] is true end the stream: they are its last item,
/// because retrying cannot fix them (bad keys, a subscription the plan does not include, too many
/// symbols).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// The websocket could not be opened (DNS, TCP, TLS or the HTTP upgrade failed).
    #[error("could not connect: {0}")]
    Connect(String),
    /// The connection broke or the server closed it.
    #[error("connection closed: {0}")]
    Closed(String),
    /// Nothing arrived for this long (not even a pong): a dead connection that never closed.
    #[error("no frame for {0:?}: connection presumed dead")]
    Silent(Duration),
    /// The server refused the keys (final).
    #[error("authentication failed: {0}")]
    AuthFailed(String),
    /// Too many connections for this account (406): another client holds the slot; retried with
    /// backoff.
    #[error("connection limit exceeded (406): {0}")]
    ConnectionLimit(String),
    /// Too many symbols subscribed for the plan (final).
    #[error("symbol limit exceeded ({code}): {message}")]
    SymbolLimit {
        /// Alpaca's code.
        code: u16,
        /// Alpaca's message.
        message: String,
    },
    /// The plan does not include this feed (409, final).
    #[error("insufficient subscription (409): {0}")]
    InsufficientSubscription(String),
    /// Another error reported by the server (slow client, internal error, ...); retried.
    #[error("server error {code}: {message}")]
    Server {
        /// Alpaca's code.
        code: u16,
        /// Alpaca's message.
        message: String,
    },
    /// After a trade-update reconnect, the orders changed while disconnected could not be
    /// fetched; the stream reconnects and tries again, so no fill is skipped.
    #[error("could not recover orders missed while disconnected: {0}")]
    Recovery(String),
    /// The stream cannot work as configured, e.g. a `wss://` URL in a build without a TLS
    /// backend, or a URL that is not a websocket URL (final).
    #[error("stream misconfigured: {0}")]
    Config(String),
    /// Gave up after this many reconnect attempts in a row (only with
    /// [`StreamConfig::max_reconnects`](super::StreamConfig::max_reconnects); final).
    #[error("gave up after {attempts} failed reconnects; last error: {last}")]
    ReconnectsExhausted {
        /// Failed attempts in a row.
        attempts: u32,
        /// The last failure.
        last: Box<StreamError>,
    },
}

impl StreamError {
    /// True when the stream stops instead of reconnecting.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            StreamError::AuthFailed(_)
                | StreamError::Config(_)
                | StreamError::SymbolLimit { .. }
                | StreamError::InsufficientSubscription(_)
                | StreamError::ReconnectsExhausted { .. }
        )
    }

    /// Maps an error `{code, msg}` from a market data stream to its typed form.
    ///
    /// Alpaca's codes: 402 auth failed, 404 auth timeout, 405 symbol limit (the brief's 413
    /// "too many symbols" is read the same way), 406 connection limit, 407 slow client,
    /// 409 insufficient subscription.
    pub(crate) fn from_server(code: u16, message: String) -> Self {
        match code {
            402 => StreamError::AuthFailed(message),
            405 | 413 => StreamError::SymbolLimit { code, message },
            406 => StreamError::ConnectionLimit(message),
            409 => StreamError::InsufficientSubscription(message),
            _ => StreamError::Server { code, message },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_codes_map_to_typed_errors_and_finality() {
        let e = |c| StreamError::from_server(c, "m".into());
        assert!(matches!(e(402), StreamError::AuthFailed(_)));
        assert!(e(402).is_final());
        assert!(matches!(e(406), StreamError::ConnectionLimit(_)));
        assert!(!e(406).is_final(), "406 backs off and retries");
        assert!(matches!(e(413), StreamError::SymbolLimit { code: 413, .. }));
        assert!(e(405).is_final() && e(413).is_final());
        assert!(matches!(e(409), StreamError::InsufficientSubscription(_)));
        assert!(e(409).is_final());
        assert!(!e(407).is_final(), "slow client: reconnect");
        assert!(!StreamError::Silent(Duration::from_secs(1)).is_final());
    }
}
