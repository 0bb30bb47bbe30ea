//! The trade-update stream: auth, binary frames, unknown and malformed frames, deduplication,
//! and the recovery of a fill missed while disconnected.

use crate::common::{self, KEY, SECRET};
use crate::server::{self, Conn};
use crate::{fast_config, message, next};
use alpaca_exec::stream::{
    StreamError, StreamEvent, TradeEvent, TradeMessage, TradeUpdate, TradeUpdates,
};
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use wiremock::{MockServer, ResponseTemplate};

fn order(id: &str, status: &str, filled: &str, updated: &str) -> Value {
    json!({
        "id": id, "client_order_id": format!("c-{id}"), "created_at": "2024-01-02T15:00:00Z",
        "submitted_at": "2024-01-02T15:00:00Z", "updated_at": updated, "symbol": "AAPL",
        "asset_class": "us_equity", "qty": "10", "filled_qty": filled,
        "filled_avg_price": if filled == "0" { Value::Null } else { json!("187.25") },
        "order_class": "", "type": "limit", "side": "buy", "time_in_force": "day",
        "limit_price": "188", "status": status, "extended_hours": false
    })
}

fn event(event: &str, order: Value, extra: Value) -> String {
    let mut data = json!({"event": event, "timestamp": order["updated_at"], "order": order});
    if let (Some(d), Some(e)) = (data.as_object_mut(), extra.as_object()) {
        d.extend(e.clone());
    }
    json!({"stream": "trade_updates", "data": data}).to_string()
}

/// Plays auth and listen in binary frames, as Alpaca's paper endpoint does.
async fn handshake(conn: &mut Conn) {
    assert_eq!(
        conn.recv_json().await,
        json!({"action": "auth", "key": KEY, "secret": SECRET})
    );
    conn.send_binary(
        json!({"stream": "authorization", "data": {"action": "authenticate", "status": "authorized"}})
            .to_string()
            .into_bytes(),
    )
    .await;
    assert_eq!(
        conn.recv_json().await,
        json!({"action": "listen", "data": {"streams": ["trade_updates"]}})
    );
    conn.send_binary(
        json!({"stream": "listening", "data": {"streams": ["trade_updates"]}})
            .to_string()
            .into_bytes(),
    )
    .await;
}

/// Accepts the stream's next connection, plays the handshake and sees it reported connected.
async fn ready(srv: &mut server::Server, stream: &mut TradeUpdates) -> Conn {
    let mut conn = srv.accept().await;
    handshake(&mut conn).await;
    assert!(matches!(next(stream).await, Ok(StreamEvent::Connected)));
    conn
}

/// A trade-update stream pointed at a fresh scripted server, with REST on `mock`.
async fn start(mock: &MockServer) -> (server::Server, TradeUpdates) {
    let srv = server::start("/stream").await;
    let stream = common::client(mock)
        .trade_updates()
        .url(&srv.url)
        .config(fast_config())
        .start();
    (srv, stream)
}

fn update(m: TradeMessage) -> TradeUpdate {
    match m {
        TradeMessage::Update(u) => *u,
        other => panic!("expected an update, got {other:?}"),
    }
}

#[tokio::test]
async fn binary_frames_unknown_malformed_and_duplicate_events() {
    let mock = common::server().await;
    let (mut srv, mut stream) = start(&mock).await;
    let mut conn = ready(&mut srv, &mut stream).await;

    let filled = order("o1", "partially_filled", "4", "2024-01-02T15:00:01.5Z");
    let fill = event(
        "partial_fill",
        filled.clone(),
        json!({"price": "187.25", "qty": "4", "position_qty": "4", "execution_id": "x1"}),
    );
    conn.send_binary(fill.clone().into_bytes()).await;
    conn.send_text(&event("margin_call", filled.clone(), json!({})))
        .await;
    conn.send_text("{\"stream\": \"trade_updates\", \"data\": ")
        .await; // truncated
    conn.send_text(&json!({"stream": "trade_updates", "data": {"event": "fill"}}).to_string())
        .await; // no order
    conn.send_binary(fill.into_bytes()).await; // duplicate execution
    conn.send_text(&event(
        "canceled",
        order("o1", "canceled", "4", "2024-01-02T15:00:02Z"),
        json!({}),
    ))
    .await;

    let u = update(message(&mut stream).await);
    assert_eq!(u.event, TradeEvent::PartialFill);
    assert_eq!(u.price, Some(dec!(187.25)));
    assert_eq!(u.qty, Some(dec!(4)));
    assert_eq!(u.position_qty, Some(dec!(4)));
    assert_eq!(u.execution_id.as_deref(), Some("x1"));
    assert_eq!(u.order.filled_qty, dec!(4));
    assert!(!u.recovered);

    match message(&mut stream).await {
        TradeMessage::Unknown(raw) => assert_eq!(raw["data"]["event"], "margin_call"),
        other => panic!("expected the unknown event, got {other:?}"),
    }
    // The truncated frame, the event without an order and the duplicate are skipped.
    let u = update(message(&mut stream).await);
    assert_eq!(u.event, TradeEvent::Canceled);
}

#[tokio::test]
async fn an_auth_refusal_echoing_the_keys_never_reveals_them() {
    let mock = common::server().await;
    let (mut srv, mut stream) = start(&mock).await;
    let mut conn = srv.accept().await;
    let auth = conn.recv_json().await; // what a misbehaving server could send back
    conn.send_text(
        &json!({"stream": "authorization", "data": {"status": "unauthorized", "message": auth.to_string()}})
            .to_string(),
    )
    .await;
    let err = next(&mut stream).await.unwrap_err();
    let text = format!("{err:?} {err}");
    assert!(matches!(err, StreamError::AuthFailed(_)), "{text}");
    assert!(!text.contains(SECRET) && !text.contains(KEY), "{text}");
}

#[tokio::test]
async fn auth_failure_ends_the_stream_with_the_reason() {
    let mock = common::server().await;
    let (mut srv, mut stream) = start(&mock).await;
    let mut conn = srv.accept().await;
    conn.recv_json().await;
    conn.send_text(
        &json!({"stream": "authorization", "data": {"action": "authenticate", "status": "unauthorized", "message": "access key verification failed"}})
            .to_string(),
    )
    .await;
    let err = next(&mut stream).await.unwrap_err();
    assert!(
        matches!(&err, StreamError::AuthFailed(m) if m.contains("unauthorized")),
        "{err}"
    );
    assert!(err.is_final());
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains(SECRET), "{shown}");
    }
    assert!(
        tokio::time::timeout(server::STEP, futures_util::StreamExt::next(&mut stream))
            .await
            .unwrap()
            .is_none(),
        "a final error is the last item"
    );
}

#[tokio::test]
async fn a_dropped_connection_reconnects_relistens_and_recovers_the_missed_fill() {
    let mock = common::server().await;
    // After the reconnect, the client asks for orders changed since the last event seen.
    common::expect("GET", "/v2/orders")
        .and(common::query_is(&[
            ("status", "all"),
            ("after", "2024-01-02T14:59:00Z"),
            ("direction", "asc"),
            ("nested", "true"),
            ("limit", "500"),
        ]))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([order(
            "o1",
            "filled",
            "10",
            "2024-01-02T15:03:00Z"
        )])))
        .expect(1)
        .mount(&mock)
        .await;
    let (mut srv, mut stream) = start(&mock).await;

    let mut conn = ready(&mut srv, &mut stream).await;
    conn.send_text(&event(
        "new",
        order("o1", "new", "0", "2024-01-02T15:00:00Z"),
        json!({}),
    ))
    .await;
    assert_eq!(update(message(&mut stream).await).event, TradeEvent::New);
    conn.drop_connection();

    match next(&mut stream).await {
        Ok(StreamEvent::Disconnected { error, retry_in }) => {
            assert!(matches!(error, StreamError::Closed(_)), "{error}");
            assert!(retry_in <= fast_config().backoff_max);
        }
        other => panic!("expected a disconnect, got {other:?}"),
    }
    let mut conn = ready(&mut srv, &mut stream).await; // re-authenticated and listening again

    let u = update(message(&mut stream).await);
    assert_eq!(u.event, TradeEvent::Fill);
    assert!(u.recovered, "the fill happened while disconnected");
    assert_eq!(u.order.id, "o1");
    assert_eq!(u.qty, Some(dec!(10)));
    assert_eq!(u.price, Some(dec!(187.25)));

    // If the stream delivers the same fill after all, it is a duplicate.
    conn.send_text(&event(
        "fill",
        order("o1", "filled", "10", "2024-01-02T15:03:00Z"),
        json!({"execution_id": "x9", "price": "187.25", "qty": "10"}),
    ))
    .await;
    conn.send_text(&event(
        "new",
        order("o2", "new", "0", "2024-01-02T15:04:00Z"),
        json!({}),
    ))
    .await;
    let u = update(message(&mut stream).await);
    assert_eq!((u.event, u.order.id.as_str()), (TradeEvent::New, "o2"));
}

#[tokio::test]
async fn multi_leg_fills_carry_per_leg_data() {
    let mut leg_order: Value = serde_json::from_str(&common::fixture(
        "openapi_MultilegOptionsOrderResponse.json",
    ))
    .unwrap();
    leg_order["status"] = json!("filled");
    let frame = json!({"stream": "trade_updates", "data": {
        "event": "fill", "timestamp": "2024-01-02T15:00:00Z", "order": leg_order,
        "execution_id": "x-mleg", "price": "1.05", "qty": "1"}});
    let u: TradeUpdate = serde_json::from_value(frame["data"].clone()).unwrap();
    let legs = u.leg_fills();
    assert!(legs.len() >= 2, "{legs:?}");
    assert!(
        legs.iter()
            .all(|l| !l.symbol.is_empty() && l.ratio_qty.is_some())
    );
    assert_eq!(legs[0].symbol, "AAPL241213C00250000");
    assert_eq!(legs[0].filled_qty, dec!(3));
    assert_eq!(legs[0].filled_avg_price, Some(dec!(0.43)));
    assert_eq!(u.price, Some(dec!(1.05)));
}

#[tokio::test]
async fn deeply_nested_frames_are_skipped_and_the_stream_goes_on() {
    let mock = common::server().await;
    let (mut srv, mut stream) = start(&mock).await;
    let mut conn = ready(&mut srv, &mut stream).await;
    // Far past any decoder's limit, and just inside serde_json's (128 levels): neither may
    // overflow the stack, and neither is an update.
    let too_deep = "[".repeat(600) + &"]".repeat(600);
    conn.send_text(&too_deep).await;
    conn.send_binary(too_deep.into_bytes()).await;
    let inside = format!(
        r#"{{"stream":"trade_updates","data":{{"event":"fill","order":{{"legs":{}1{}}}}}}}"#,
        "[".repeat(120),
        "]".repeat(120)
    );
    conn.send_text(&inside).await;
    conn.send_text(&event(
        "new",
        order("o9", "new", "0", "2024-01-02T15:00:00Z"),
        json!({}),
    ))
    .await;
    let u = update(message(&mut stream).await);
    assert_eq!(u.event, TradeEvent::New);
    assert_eq!(u.order.id, "o9");
}
