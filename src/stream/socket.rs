//! One websocket connection: open it, read data frames, write text, ping.
//!
//! Frames are handed on as bytes whatever their websocket type, because Alpaca's paper
//! trade-update stream sends its JSON in binary frames while everything else uses text.

use super::error::StreamError;
use crate::client::shown_url;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A frame to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outgoing {
    /// JSON, as a text frame.
    Text(String),
    /// MessagePack, as a binary frame.
    Binary(Vec<u8>),
}

/// What a read produced.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// A text or binary frame's payload.
    Data(Bytes),
    /// A ping or pong: proof the peer is alive, nothing to decode.
    Alive,
}

pub(crate) struct Socket {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Socket {
    /// Opens `url` (ws:// or wss://), TLS included, within `timeout`. `content_type` asks for a
    /// codec (the option stream only speaks MessagePack and wants `application/msgpack`).
    pub(crate) async fn connect(
        url: &str,
        content_type: Option<&'static str>,
        timeout: Duration,
    ) -> Result<Self, StreamError> {
        // Messages show the URL without user info or query, which can carry credentials.
        let shown = shown_url(url);
        let mut request = url
            .into_client_request()
            .map_err(|e| StreamError::Config(format!("invalid stream URL {shown}: {e}")))?;
        let scheme = request.uri().scheme_str();
        if !matches!(scheme, Some("ws" | "wss")) {
            return Err(StreamError::Config(format!(
                "stream URL {shown} must be ws:// or wss://"
            )));
        }
        let tls = cfg!(any(feature = "rustls", feature = "native-tls"));
        if scheme == Some("wss") && !tls {
            return Err(StreamError::Config(format!(
                "{shown} needs TLS, but alpaca-exec was built without a TLS backend: enable \
                 the `rustls` feature (the default) or `native-tls`"
            )));
        }
        if let Some(ct) = content_type {
            request
                .headers_mut()
                .insert("content-type", HeaderValue::from_static(ct));
        }
        crate::client::tls::install_default_provider();
        match tokio::time::timeout(timeout, tokio_tungstenite::connect_async(request)).await {
            Err(_) => Err(StreamError::Connect(format!(
                "no connection to {shown} within {timeout:?}"
            ))),
            Ok(Err(e)) => Err(StreamError::Connect(describe(&e))),
            Ok(Ok((ws, _response))) => Ok(Self { ws }),
        }
    }

    /// The next data frame or sign of life. Pings are answered by tungstenite on the next read.
    pub(crate) async fn next(&mut self) -> Result<Incoming, StreamError> {
        match self.ws.next().await {
            None => Err(StreamError::Closed("connection ended".into())),
            Some(Err(e)) => Err(StreamError::Closed(describe(&e))),
            Some(Ok(msg)) => match msg {
                Message::Text(t) => Ok(Incoming::Data(Bytes::from(t))),
                Message::Binary(b) => Ok(Incoming::Data(b)),
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => Ok(Incoming::Alive),
                Message::Close(frame) => Err(StreamError::Closed(match frame {
                    Some(f) => format!("server sent close {} {:?}", u16::from(f.code), f.reason),
                    None => "server sent close".into(),
                })),
            },
        }
    }

    /// Sends a frame. The error never contains the payload (auth frames hold the secret).
    pub(crate) async fn send(&mut self, frame: Outgoing) -> Result<(), StreamError> {
        let msg = match frame {
            Outgoing::Text(t) => Message::text(t),
            Outgoing::Binary(b) => Message::binary(b),
        };
        self.ws
            .send(msg)
            .await
            .map_err(|e| StreamError::Closed(describe(&e)))
    }

    /// Sends a ping; the pong (or any frame) resets the silence timer.
    pub(crate) async fn ping(&mut self) -> Result<(), StreamError> {
        self.ws
            .send(Message::Ping(Bytes::new()))
            .await
            .map_err(|e| StreamError::Closed(describe(&e)))
    }

    /// Closes politely; errors are irrelevant because the connection is being dropped anyway.
    pub(crate) async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(1), self.ws.close(None)).await;
    }
}

/// A short description of a websocket error: an HTTP refusal shows its status and body excerpt.
fn describe(e: &tungstenite::Error) -> String {
    match e {
        tungstenite::Error::Http(resp) => {
            let body = resp
                .body()
                .as_deref()
                .map(|b| String::from_utf8_lossy(&b[..b.len().min(200)]).into_owned())
                .unwrap_or_default();
            format!("HTTP {} {body}", resp.status())
        }
        other => other.to_string(),
    }
}
