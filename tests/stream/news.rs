//! The news stream: handshake, articles, subscription changes, and the shared reconnect and
//! final-error behaviour.

use crate::common::{KEY, SECRET};
use crate::server::{self, Conn};
use crate::{fast_config, message, next};
use alpaca_exec::Client;
use alpaca_exec::stream::{NewsMessage, NewsStream, StreamConfig, StreamError, StreamEvent};
use serde_json::json;

fn start(url: &str, config: StreamConfig) -> NewsStream {
    Client::builder()
        .credentials(KEY, SECRET)
        .build()
        .unwrap()
        .news_stream()
        .url(url)
        .config(config)
        .symbols(["AAPL", "TSLA"])
        .start()
}

/// Alpaca's news message: the REST article with `T: "n"`.
const ARTICLE: &str = r#"{"T":"n","id":24918784,"headline":"Tesla Shares Are Moving","summary":"Shares moved after the report","author":"Benzinga Newsdesk","created_at":"2022-01-05T22:00:37Z","updated_at":"2022-01-05T22:00:38Z","url":"https://www.benzinga.com/news/22/01/24918784","content":"<p>Tesla...</p>","symbols":["TSLA"],"source":"benzinga"}"#;

async fn handshake(conn: &mut Conn, want_symbols: serde_json::Value) {
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
        json!({"action": "subscribe", "news": want_symbols})
    );
}

#[tokio::test]
async fn articles_subscriptions_and_odd_frames() {
    let mut srv = server::start("/v1beta1/news").await;
    let mut stream = start(&srv.url, fast_config());
    let mut conn = srv.accept().await;
    handshake(&mut conn, json!(["AAPL", "TSLA"])).await;
    assert!(matches!(
        next(&mut stream).await,
        Ok(StreamEvent::Connected)
    ));
    conn.send_text(r#"[{"T":"subscription","news":["AAPL","TSLA"]}]"#)
        .await;
    match message(&mut stream).await {
        NewsMessage::Subscription(s) => {
            assert_eq!(s.into_iter().collect::<Vec<_>>(), ["AAPL", "TSLA"])
        }
        other => panic!("{other:?}"),
    }
    conn.send_text("not json at all").await; // skipped with a warning
    conn.send_text(r#"[{"T":"n","id":"x"}]"#).await; // a malformed article: skipped
    conn.send_binary(format!("[{ARTICLE}]").into_bytes()).await;
    match message(&mut stream).await {
        NewsMessage::Article(a) => {
            assert_eq!(a.id, 24918784);
            assert_eq!(a.symbols, ["TSLA"]);
            assert_eq!(a.author, "Benzinga Newsdesk");
            assert!(a.images.is_empty());
        }
        other => panic!("{other:?}"),
    }
    conn.send_text(r#"[{"T":"x","what":1}]"#).await;
    assert_eq!(
        message(&mut stream).await,
        NewsMessage::Unknown(json!({"T": "x", "what": 1}))
    );
    // A refused request is reported and the connection kept.
    conn.send_text(r#"[{"T":"error","code":410,"msg":"invalid subscribe action for this feed"}]"#)
        .await;
    assert_eq!(
        message(&mut stream).await,
        NewsMessage::ServerError {
            code: 410,
            message: "invalid subscribe action for this feed".into()
        }
    );
    conn.send_text(&format!("[{ARTICLE}]")).await;
    assert!(matches!(
        message(&mut stream).await,
        NewsMessage::Article(_)
    ));
}

#[tokio::test]
async fn a_dropped_connection_reconnects_and_resubscribes_the_current_symbols() {
    let mut srv = server::start("/v1beta1/news").await;
    let mut stream = start(&srv.url, fast_config());
    let handle = stream.handle();
    let mut conn = srv.accept().await;
    handshake(&mut conn, json!(["AAPL", "TSLA"])).await;
    assert!(matches!(
        next(&mut stream).await,
        Ok(StreamEvent::Connected)
    ));
    handle.subscribe(["MSFT"]).await.unwrap();
    assert_eq!(
        conn.recv_json().await,
        json!({"action": "subscribe", "news": ["MSFT"]})
    );
    handle.unsubscribe(["AAPL"]).await.unwrap();
    assert_eq!(
        conn.recv_json().await,
        json!({"action": "unsubscribe", "news": ["AAPL"]})
    );
    conn.drop_connection();
    match next(&mut stream).await {
        Ok(StreamEvent::Disconnected {
            error: StreamError::Closed(_),
            ..
        }) => {}
        other => panic!("expected a disconnect, got {other:?}"),
    }
    let mut conn = srv.accept().await;
    handshake(&mut conn, json!(["MSFT", "TSLA"])).await;
    assert!(matches!(
        next(&mut stream).await,
        Ok(StreamEvent::Connected)
    ));
    conn.send_text(&format!("[{ARTICLE}]")).await;
    assert!(matches!(
        message(&mut stream).await,
        NewsMessage::Article(_)
    ));
}

#[tokio::test]
async fn connection_limit_retries_and_bad_keys_end_the_stream() {
    let mut srv = server::start("/v1beta1/news").await;
    let mut stream = start(&srv.url, fast_config());
    let mut conn = srv.accept().await;
    conn.send_text(r#"[{"T":"error","code":406,"msg":"connection limit exceeded"}]"#)
        .await;
    assert!(matches!(
        next(&mut stream).await,
        Ok(StreamEvent::Disconnected {
            error: StreamError::ConnectionLimit(_),
            ..
        })
    ));
    let mut conn2 = srv.accept().await;
    drop(conn);
    conn2
        .send_text(r#"[{"T":"success","msg":"connected"}]"#)
        .await;
    assert_eq!(conn2.recv_json().await["action"], "auth");
    conn2
        .send_text(r#"[{"T":"error","code":402,"msg":"auth failed"}]"#)
        .await;
    let err = next(&mut stream).await.unwrap_err();
    assert_eq!(err, StreamError::AuthFailed("auth failed".into()));
    assert!(!format!("{err:?}").contains(SECRET));
    let end = tokio::time::timeout(server::STEP, futures_util::StreamExt::next(&mut stream));
    assert!(
        end.await.unwrap().is_none(),
        "a final error ends the stream"
    );
}
