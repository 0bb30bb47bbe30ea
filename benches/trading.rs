//! Trading client benches.
//!
//! - `submit_order/*`: one order round trip on loopback, through the crate (`alpaca_exec`:
//!   build + validate, rate limiter, retry wrapper, tracing span, error mapping, decode with
//!   field paths) against a bare `reqwest` POST + `serde_json` decode of the same body into the
//!   same `Order` type (`bare_reqwest`). Issue target: crate p50 within 1.3x of the bare p50.
//! - `decode_500_orders/*`: decoding a 500-order list (the largest `GET /v2/orders` page) into
//!   typed `Order`s, against decoding the same bytes into an untyped `serde_json::Value`.
//!
//! Run: `cargo bench --bench trading`.

mod support;

use alpaca_exec::{Client, Order, OrderRequest, OrderSide, Qty, RateLimit};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rust_decimal::Decimal;
use std::hint::black_box;

/// A realistic option order answer from Alpaca's OpenAPI examples (decimals as strings).
const ORDER_BODY: &str = include_str!("../tests/fixtures/openapi_OptionOrderResponse.json");

fn submit_order(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let addr = rt.block_on(support::serve_fixed(ORDER_BODY.as_bytes()));
    let base = format!("http://{addr}");

    let client = Client::builder()
        .credentials("PKBENCH", "bench-secret")
        .trading_base_url(&base)
        .rate_limit(RateLimit::UNLIMITED)
        .build()
        .expect("client");
    let bare = reqwest::Client::new();
    let url = format!("{base}/v2/orders");

    let mut g = c.benchmark_group("submit_order");
    g.bench_function("alpaca_exec", |b| {
        b.to_async(&rt).iter(|| async {
            let order = OrderRequest::limit(
                "AAPL250620C00100000",
                OrderSide::Buy,
                Qty::contracts(1),
                Decimal::new(150, 2),
            )
            .client_order_id("bench-1")
            .build()
            .expect("valid");
            black_box(client.submit_order(&order).await.expect("order"))
        })
    });
    g.bench_function("bare_reqwest", |b| {
        b.to_async(&rt).iter(|| async {
            let body = serde_json::json!({
                "symbol": "AAPL250620C00100000", "qty": "1", "side": "buy", "type": "limit",
                "limit_price": "1.5", "time_in_force": "day", "client_order_id": "bench-1"
            });
            let resp = bare
                .post(&url)
                .header("APCA-API-KEY-ID", "PKBENCH")
                .header("APCA-API-SECRET-KEY", "bench-secret")
                .json(&body)
                .send()
                .await
                .expect("send");
            let bytes = resp.bytes().await.expect("body");
            black_box(serde_json::from_slice::<Order>(&bytes).expect("decode"))
        })
    });
    g.finish();
}

fn order_list_body(n: usize) -> Vec<u8> {
    let one: serde_json::Value = serde_json::from_str(ORDER_BODY).expect("fixture");
    let list: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let mut o = one.clone();
            o["id"] = serde_json::json!(format!("6e1d4b2c-0000-4000-8000-{i:012}"));
            o["client_order_id"] = serde_json::json!(format!("cid-{i}"));
            o
        })
        .collect();
    serde_json::to_vec(&list).expect("encode")
}

fn decode_orders(c: &mut Criterion) {
    let body = order_list_body(500);
    let mut g = c.benchmark_group("decode_500_orders");
    g.throughput(Throughput::Elements(500));
    g.bench_with_input(BenchmarkId::new("typed_orders", 500), &body, |b, body| {
        b.iter(|| black_box(serde_json::from_slice::<Vec<Order>>(body).expect("decode")))
    });
    g.bench_with_input(BenchmarkId::new("untyped_value", 500), &body, |b, body| {
        b.iter(|| black_box(serde_json::from_slice::<serde_json::Value>(body).expect("decode")))
    });
    g.finish();
}

criterion_group!(benches, submit_order, decode_orders);
criterion_main!(benches);
