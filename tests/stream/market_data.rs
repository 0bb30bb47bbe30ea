//! Market data streams: stock JSON and option MessagePack, subscriptions, unknown and malformed
//! messages, server errors (406 backs off, 409 and 413 are final), silence, lag.

use crate::common::{KEY, SECRET};
use crate::server::{self, Conn};
use crate::{fast_config, message, next};
use alpaca_exec::Client;
use alpaca_exec::data::{OptionFeed, StockFeed};
use alpaca_exec::stream::{
    MarketDataStream, MarketMessage, Overflow, StreamConfig, StreamError, StreamEvent,
    Subscriptions,
};
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn client() -> Client {
    Client::builder().credentials(KEY, SECRET).build().unwrap()
}

fn stocks(url: &str, config: StreamConfig) -> MarketDataStream {
    client()
        .stock_data_stream(StockFeed::Iex)
        .url(url)
        .config(config)
        .subscribe(Subscriptions::new().quotes(["AAPL"]).bars(["*"]))
        .start()
}

const QUOTE: &str = r#"{"T":"q","S":"AAPL","bx":"V","bp":187.25,"bs":2,"ax":"V","ap":187.27,"as":3,"t":"2024-01-02T15:00:00.123456789Z","c":["R"],"z":"C"}"#;

/// A stock stream connected to a scripted server: greeting, auth and subscribe done.
async fn connected(config: StreamConfig) -> (server::Server, MarketDataStream, Conn) {
    let mut srv = server::start("/v2/iex").await;
    let mut stream = stocks(&srv.url, config);
    let mut conn = srv.accept().await;
    handshake(&mut conn).await;
    assert!(matches!(
        next(&mut stream).await,
        Ok(StreamEvent::Connected)
    ));
    (srv, stream, conn)
}

/// Greeting, auth and the initial subscription, checked against what Alpaca expects.
async fn handshake(conn: &mut Conn) {
    conn.send_text(r#"[{"T":"success","msg":"connected"}]"#)
        .await;
    assert_eq!(
        conn.recv_json().await,
        json!({"action": "auth", "key": KEY, "secret": SECRET})
    );
    conn.send_text(r#"[{"T":"success","msg":"authenticated"}]"#)
        .await;
    assert_eq!(
        conn.recv_json().await,
        json!({"action": "subscribe", "quotes": ["AAPL"], "bars": ["*"]})
    );
}

#[tokio::test]
async fn stock_quotes_subscriptions_unknown_and_malformed_messages() {
    let (_srv, mut stream, mut conn) = connected(fast_config()).await;
    let handle = stream.handle();

    conn.send_text(r#"[{"T":"subscription","trades":[],"quotes":["AAPL"],"bars":["*"]}]"#)
        .await;
    conn.send_text("[{\"T\":\"q\",").await; // malformed: skipped with a warning
    conn.send_text(
        r#"[{"T":"l","S":"AAPL","u":190.1,"d":180.2,"i":"4","t":"2024-01-02T15:00:00Z","z":"C"}]"#,
    )
    .await;
    conn.send_text(&format!(
        r#"[{QUOTE},{{"T":"q","S":"AAPL","bp":"oops","t":"x"}}]"#
    ))
    .await;
    conn.send_binary(
        br#"[{"T":"t","S":"AAPL","i":1,"x":"V","p":187.26,"s":100,"t":"2024-01-02T15:00:01Z","c":["@"],"z":"C"}]"#
            .to_vec(),
    )
    .await;

    match message(&mut stream).await {
        MarketMessage::Subscription(s) => assert!(s.quotes.contains("AAPL") && s.trades.is_empty()),
        other => panic!("{other:?}"),
    }
    match message(&mut stream).await {
        MarketMessage::Unknown(raw) => {
            assert_eq!(raw["T"], "l");
            assert_eq!(raw["S"], "AAPL");
            assert_eq!(raw["u"], 190.1);
        }
        other => panic!("{other:?}"),
    }
    match message(&mut stream).await {
        MarketMessage::Quote { symbol, quote } => {
            assert_eq!(symbol, "AAPL");
            assert_eq!(
                (quote.bid_price, quote.ask_price),
                (dec!(187.25), dec!(187.27))
            );
            assert_eq!(quote.mid().unwrap(), dec!(187.26));
            assert_eq!(quote.timestamp.timestamp_subsec_nanos(), 123_456_789);
        }
        other => panic!("{other:?}"),
    }
    // The bad quote in the same frame is skipped; the binary frame's trade comes next.
    match message(&mut stream).await {
        MarketMessage::Trade { symbol, trade } => {
            assert_eq!(symbol, "AAPL");
            assert_eq!((trade.price, trade.size), (dec!(187.26), dec!(100)));
        }
        other => panic!("{other:?}"),
    }

    handle
        .subscribe(Subscriptions::new().trades(["MSFT"]))
        .await
        .unwrap();
    assert_eq!(
        conn.recv_json().await,
        json!({"action": "subscribe", "trades": ["MSFT"]})
    );
    handle
        .unsubscribe(Subscriptions::new().bars(["*"]))
        .await
        .unwrap();
    assert_eq!(
        conn.recv_json().await,
        json!({"action": "unsubscribe", "bars": ["*"]})
    );

    // A refused request (410) is reported without dropping the connection.
    conn.send_text(r#"[{"T":"error","code":410,"msg":"invalid subscribe action for this feed"}]"#)
        .await;
    assert!(matches!(
        message(&mut stream).await,
        MarketMessage::ServerError { code: 410, .. }
    ));
}

#[tokio::test]
async fn connection_limit_backs_off_then_reconnects_and_resubscribes_everything() {
    let mut srv = server::start("/v2/iex").await;
    let config = StreamConfig {
        backoff_min: Duration::from_millis(200),
        backoff_max: Duration::from_millis(400),
        ..fast_config()
    };
    let mut stream = stocks(&srv.url, config);
    let handle = stream.handle();
    let mut conn = srv.accept().await;
    conn.send_text(r#"[{"T":"error","code":406,"msg":"connection limit exceeded"}]"#)
        .await;
    let refused_at = Instant::now();
    let retry_in = match next(&mut stream).await {
        Ok(StreamEvent::Disconnected {
            error: StreamError::ConnectionLimit(m),
            retry_in,
        }) => {
            assert_eq!(m, "connection limit exceeded");
            retry_in
        }
        other => panic!("expected a 406 disconnect, got {other:?}"),
    };
    assert!(
        retry_in >= Duration::from_millis(100) && retry_in <= Duration::from_millis(200),
        "{retry_in:?}"
    );
    // Subscriptions changed while disconnected are part of the next connection's subscribe.
    handle
        .subscribe(Subscriptions::new().trades(["MSFT"]))
        .await
        .unwrap();
    let mut conn = srv.accept().await;
    assert!(
        refused_at.elapsed() >= Duration::from_millis(90),
        "reconnected after {:?}, before the backoff",
        refused_at.elapsed()
    );
    conn.send_text(r#"[{"T":"success","msg":"connected"}]"#)
        .await;
    assert_eq!(conn.recv_json().await["action"], "auth");
    conn.send_text(r#"[{"T":"success","msg":"authenticated"}]"#)
        .await;
    assert_eq!(
        conn.recv_json().await,
        json!({"action": "subscribe", "trades": ["MSFT"], "quotes": ["AAPL"], "bars": ["*"]})
    );
    assert!(matches!(
        next(&mut stream).await,
        Ok(StreamEvent::Connected)
    ));
    conn.send_text(&format!("[{QUOTE}]")).await;
    assert!(matches!(
        message(&mut stream).await,
        MarketMessage::Quote { .. }
    ));
}

#[tokio::test]
async fn insufficient_subscription_and_symbol_limit_are_final() {
    for (code, msg) in [
        (409, "insufficient subscription"),
        (413, "too many symbols"),
    ] {
        let (_srv, mut stream, mut conn) = connected(fast_config()).await;
        conn.send_text(&json!([{"T": "error", "code": code, "msg": msg}]).to_string())
            .await;
        let err = next(&mut stream).await.unwrap_err();
        assert!(err.is_final(), "{err}");
        match (code, &err) {
            (409, StreamError::InsufficientSubscription(m)) => assert_eq!(m, msg),
            (413, StreamError::SymbolLimit { code: 413, message }) => assert_eq!(message, msg),
            _ => panic!("{code} became {err:?}"),
        }
        let end = tokio::time::timeout(server::STEP, futures_util::StreamExt::next(&mut stream));
        assert!(
            end.await.unwrap().is_none(),
            "the stream ends after a final error"
        );
    }
}

/// The error a stock stream ends with when the server answers its auth with `refusal`.
async fn refused_at_auth(refusal: serde_json::Value) -> StreamError {
    let mut srv = server::start("/v2/iex").await;
    let mut stream = stocks(&srv.url, fast_config());
    let mut conn = srv.accept().await;
    conn.send_text(r#"[{"T":"success","msg":"connected"}]"#)
        .await;
    conn.recv_json().await;
    conn.send_text(&json!([refusal]).to_string()).await;
    next(&mut stream).await.unwrap_err()
}

#[tokio::test]
async fn auth_failure_is_final_and_keeps_the_secret_out() {
    let err = refused_at_auth(json!({"T": "error", "code": 402, "msg": "auth failed"})).await;
    assert_eq!(err, StreamError::AuthFailed("auth failed".into()));
    assert!(!format!("{err:?} {err}").contains(SECRET));
}

#[tokio::test]
async fn server_errors_echoing_the_keys_never_reveal_them() {
    let echo = format!("auth failed for key {KEY} secret {SECRET}");
    let err = refused_at_auth(json!({"T": "error", "code": 402, "msg": echo})).await;
    let text = format!("{err:?} {err}");
    assert!(!text.contains(SECRET) && !text.contains(KEY), "{text}");
    assert!(text.contains("<redacted>"), "{text}");
}

#[tokio::test]
async fn a_silent_connection_is_replaced() {
    let silence = Duration::from_millis(300);
    let config = StreamConfig {
        silence_timeout: silence,
        ping_interval: Duration::from_millis(50),
        ..fast_config()
    };
    let (mut srv, mut stream, conn) = connected(config).await;
    // The server stops reading: no pongs, no data, but the TCP connection stays open.
    let started = Instant::now();
    match next(&mut stream).await {
        Ok(StreamEvent::Disconnected {
            error: StreamError::Silent(d),
            ..
        }) => assert_eq!(d, silence),
        other => panic!("expected the silence timeout, got {other:?}"),
    }
    assert!(started.elapsed() >= silence - Duration::from_millis(50));
    let mut fresh = srv.accept().await;
    handshake(&mut fresh).await;
    assert!(matches!(
        next(&mut stream).await,
        Ok(StreamEvent::Connected)
    ));
    drop(conn);
}

#[tokio::test]
async fn a_quiet_but_alive_connection_is_kept() {
    let config = StreamConfig {
        silence_timeout: Duration::from_millis(300),
        ping_interval: Duration::from_millis(50),
        ..fast_config()
    };
    let (_srv, mut stream, mut conn) = connected(config).await;
    // Reading answers the client's pings; no data for three silence periods.
    let reader = tokio::spawn(async move {
        let _ = tokio::time::timeout(Duration::from_millis(900), conn.recv_raw()).await;
        conn
    });
    let quiet = tokio::time::timeout(Duration::from_millis(900), next(&mut stream)).await;
    assert!(quiet.is_err(), "pongs keep the connection alive: {quiet:?}");
    let mut conn = reader.await.unwrap();
    conn.send_text(&format!("[{QUOTE}]")).await;
    assert!(matches!(
        message(&mut stream).await,
        MarketMessage::Quote { .. }
    ));
}

#[tokio::test]
async fn a_slow_consumer_is_told_how_much_it_missed() {
    let config = StreamConfig {
        buffer: 4,
        overflow: Overflow::DropOldest,
        ..fast_config()
    };
    let (_srv, mut stream, mut conn) = connected(config).await;
    let batch: Vec<Value> = (0..20)
        .map(|i| {
            let mut q: Value = serde_json::from_str(QUOTE).unwrap();
            q["bs"] = json!(i);
            q
        })
        .collect();
    conn.send_text(&Value::Array(batch).to_string()).await;
    tokio::time::sleep(Duration::from_millis(200)).await; // consumer busy; buffer overflows
    assert!(matches!(
        next(&mut stream).await,
        Ok(StreamEvent::Lagged { dropped: 16 })
    ));
    let mut sizes = Vec::new();
    for _ in 0..4 {
        match message(&mut stream).await {
            MarketMessage::Quote { quote, .. } => sizes.push(quote.bid_size),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        sizes,
        vec![dec!(16), dec!(17), dec!(18), dec!(19)],
        "the newest are kept"
    );
}

#[tokio::test]
async fn option_quotes_in_messagepack() {
    let mut srv = server::start("/v1beta1/indicative").await;
    let mut stream = client()
        .option_data_stream(OptionFeed::Indicative)
        .url(&srv.url)
        .config(fast_config())
        .subscribe(Subscriptions::new().quotes(["SPXW240327P04925000"]))
        .start();
    let mut conn = srv.accept().await;
    assert_eq!(conn.content_type.as_deref(), Some("application/msgpack"));
    let greeting = rmp_serde::to_vec_named(&json!([{"T": "success", "msg": "connected"}])).unwrap();
    conn.send_binary(greeting).await;
    assert_eq!(
        conn.recv_msgpack().await,
        json!({"action": "auth", "key": KEY, "secret": SECRET})
    );
    let authed =
        rmp_serde::to_vec_named(&json!([{"T": "success", "msg": "authenticated"}])).unwrap();
    conn.send_binary(authed).await;
    assert_eq!(
        conn.recv_msgpack().await,
        json!({"action": "subscribe", "quotes": ["SPXW240327P04925000"]})
    );
    assert!(matches!(
        next(&mut stream).await,
        Ok(StreamEvent::Connected)
    ));
    conn.send_binary(option_quote_frame()).await;
    match message(&mut stream).await {
        MarketMessage::Quote { symbol, quote } => {
            assert_eq!(symbol, "SPXW240327P04925000");
            assert_eq!((quote.bid_price, quote.ask_price), (dec!(9.46), dec!(9.66)));
            assert_eq!((quote.bid_size, quote.ask_size), (dec!(53), dec!(38)));
            assert_eq!(quote.conditions, vec!["A"]);
            assert_eq!(
                quote.timestamp.to_rfc3339(),
                "2024-03-12T14:30:00.123456789+00:00"
            );
        }
        other => panic!("{other:?}"),
    }
}

/// An option quote as Alpaca sends it: a MessagePack map whose `t` is a timestamp extension.
fn option_quote_frame() -> Vec<u8> {
    fn str(buf: &mut Vec<u8>, s: &str) {
        rmp::encode::write_str(buf, s).unwrap();
    }
    let mut buf = Vec::new();
    rmp::encode::write_array_len(&mut buf, 1).unwrap();
    rmp::encode::write_map_len(&mut buf, 10).unwrap();
    str(&mut buf, "T");
    str(&mut buf, "q");
    str(&mut buf, "S");
    str(&mut buf, "SPXW240327P04925000");
    str(&mut buf, "t");
    let nanos: u64 = 123_456_789;
    let secs: u64 = 1_710_253_800; // 2024-03-12T14:30:00Z
    rmp::encode::write_ext_meta(&mut buf, 8, -1).unwrap();
    buf.extend_from_slice(&((nanos << 34) | secs).to_be_bytes());
    for (k, v) in [("bx", "C"), ("ax", "C"), ("c", "A")] {
        str(&mut buf, k);
        str(&mut buf, v);
    }
    for (k, v) in [("bp", 9.46), ("ap", 9.66)] {
        str(&mut buf, k);
        rmp::encode::write_f64(&mut buf, v).unwrap();
    }
    for (k, v) in [("bs", 53u64), ("as", 38)] {
        str(&mut buf, k);
        rmp::encode::write_uint(&mut buf, v).unwrap();
    }
    buf
}

#[tokio::test]
async fn a_url_that_cannot_work_ends_the_stream_without_echoing_its_secrets() {
    let mut stream = stocks(
        "https://user:hunter2@example.com/v2/iex?token=t0k",
        fast_config(),
    );
    let err = next(&mut stream).await.unwrap_err();
    assert!(err.is_final(), "{err}");
    let text = format!("{err} {err:?}");
    assert!(matches!(err, StreamError::Config(_)), "{text}");
    assert!(text.contains("example.com"), "{text}");
    assert!(!text.contains("hunter2") && !text.contains("t0k"), "{text}");
}
