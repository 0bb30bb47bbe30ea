//! A scripted websocket server on loopback: each accepted connection is handed to the test,
//! which plays Alpaca's side of the protocol step by step.

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

/// How long a scripted step waits before failing the test.
pub const STEP: Duration = Duration::from_secs(5);

pub struct Server {
    pub url: String,
    conns: mpsc::UnboundedReceiver<Conn>,
}

pub struct Conn {
    ws: WebSocketStream<TcpStream>,
    /// The `Content-Type` header of the upgrade request.
    pub content_type: Option<String>,
}

/// Starts a server; `path` is appended to its `ws://127.0.0.1:port` URL.
pub async fn start(path: &str) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}{path}", listener.local_addr().unwrap());
    let (tx, conns) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let mut content_type = None;
            // The callback's signature is tungstenite's; its large error type is not ours to box.
            #[allow(clippy::result_large_err)]
            let ws = tokio_tungstenite::accept_hdr_async(tcp, |req: &Request, resp: Response| {
                content_type = req
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                Ok(resp)
            })
            .await;
            if let Ok(ws) = ws
                && tx.send(Conn { ws, content_type }).is_err()
            {
                return;
            }
        }
    });
    Server { url, conns }
}

impl Server {
    /// The next connection the client opens.
    pub async fn accept(&mut self) -> Conn {
        tokio::time::timeout(STEP, self.conns.recv())
            .await
            .expect("the client did not (re)connect in time")
            .expect("server stopped")
    }
}

impl Conn {
    /// The next data frame's payload, skipping pings and pongs.
    pub async fn recv_raw(&mut self) -> (Vec<u8>, bool) {
        loop {
            let msg = tokio::time::timeout(STEP, self.ws.next())
                .await
                .expect("no frame from the client in time")
                .expect("client closed")
                .expect("websocket error");
            match msg {
                Message::Text(t) => return (t.as_bytes().to_vec(), false),
                Message::Binary(b) => return (b.to_vec(), true),
                _ => continue,
            }
        }
    }

    /// The next frame as JSON.
    pub async fn recv_json(&mut self) -> Value {
        let (bytes, _) = self.recv_raw().await;
        serde_json::from_slice(&bytes).expect("client sent JSON")
    }

    /// The next frame as MessagePack (must be a binary frame).
    pub async fn recv_msgpack(&mut self) -> Value {
        let (bytes, binary) = self.recv_raw().await;
        assert!(binary, "MessagePack goes in binary frames");
        rmp_serde::from_slice(&bytes).expect("client sent MessagePack")
    }

    pub async fn send_text(&mut self, text: &str) {
        self.ws.send(Message::text(text.to_owned())).await.unwrap();
    }

    pub async fn send_binary(&mut self, bytes: Vec<u8>) {
        self.ws.send(Message::binary(bytes)).await.unwrap();
    }

    /// Drops the TCP connection without a close handshake, like a network failure.
    pub fn drop_connection(self) {
        drop(self.ws);
    }
}
