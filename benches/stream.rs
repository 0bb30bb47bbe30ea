//! Stream decoding bench (issue target: at least 1,000,000 messages/s on one core for stock
//! quotes in JSON and option quotes in MessagePack).
//!
//! Each group decodes 1,000 frames of one message each (the worst case: Alpaca batches messages
//! when busy, which only amortises the frame overhead) and compares, in the same run:
//! - `alpaca_exec`: the stream's decoder, into typed messages with `Decimal` prices and
//!   `DateTime<Utc>` times, control messages filtered, errors isolated per message;
//! - `serde_value`: the same frames into a generic tree (`serde_json::Value`), what an untyped
//!   client does;
//! - `minimal_f64`: the same frames into a minimal struct of `f64`s and strings, ignoring the
//!   time: a floor for a typed decoder.
//!
//! Trade updates are measured too (the stream's path: frame to `Value`, then `TradeUpdate`).
//!
//! Run: `cargo bench --bench stream`.

use alpaca_exec::stream::{MarketMessage, TradeUpdate};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::hint::black_box;
use std::time::Duration;

const FRAMES: usize = 1000;

#[derive(Deserialize)]
#[allow(dead_code)]
struct MinimalQuote {
    #[serde(rename = "T")]
    kind: String,
    #[serde(rename = "S")]
    symbol: String,
    bp: f64,
    ap: f64,
    bs: f64,
    #[serde(rename = "as")]
    ask_size: f64,
    t: IgnoredAny,
}

fn stock_frames() -> Vec<Vec<u8>> {
    (0..FRAMES)
        .map(|i| {
            format!(
                r#"[{{"T":"q","S":"AAPL","bx":"V","bp":{}.{:02},"bs":{},"ax":"V","ap":{}.{:02},"as":3,"t":"2024-01-02T15:00:00.{:09}Z","c":["R"],"z":"C"}}]"#,
                180 + i % 10,
                i % 100,
                1 + i % 7,
                181 + i % 10,
                i % 100,
                i * 997
            )
            .into_bytes()
        })
        .collect()
}

fn option_frames() -> Vec<Vec<u8>> {
    fn str(buf: &mut Vec<u8>, s: &str) {
        rmp::encode::write_str(buf, s).expect("encode");
    }
    (0..FRAMES)
        .map(|i| {
            let mut buf = Vec::new();
            rmp::encode::write_array_len(&mut buf, 1).expect("encode");
            rmp::encode::write_map_len(&mut buf, 10).expect("encode");
            str(&mut buf, "T");
            str(&mut buf, "q");
            str(&mut buf, "S");
            str(&mut buf, "SPXW240327P04925000");
            str(&mut buf, "t");
            let nanos = (i as u64 * 997) % 1_000_000_000;
            rmp::encode::write_ext_meta(&mut buf, 8, -1).expect("encode");
            buf.extend_from_slice(&((nanos << 34) | 1_710_253_800).to_be_bytes());
            for (k, v) in [("bx", "C"), ("ax", "C"), ("c", "A")] {
                str(&mut buf, k);
                str(&mut buf, v);
            }
            let bid = 9.0 + (i % 100) as f64 / 100.0;
            for (k, v) in [("bp", bid), ("ap", bid + 0.2)] {
                str(&mut buf, k);
                rmp::encode::write_f64(&mut buf, v).expect("encode");
            }
            for (k, v) in [("bs", 53 + i as u64 % 9), ("as", 38)] {
                str(&mut buf, k);
                rmp::encode::write_uint(&mut buf, v).expect("encode");
            }
            buf
        })
        .collect()
}

fn trade_update_frames() -> Vec<Vec<u8>> {
    (0..FRAMES)
        .map(|i| {
            serde_json::json!({"stream": "trade_updates", "data": {
            "event": "fill", "execution_id": format!("x{i}"), "price": "187.25", "qty": "10",
            "position_qty": "10", "timestamp": "2024-01-02T15:00:01.123456Z",
            "order": {
                "id": format!("o{i}"), "client_order_id": format!("c{i}"),
                "created_at": "2024-01-02T15:00:00Z", "updated_at": "2024-01-02T15:00:01Z",
                "submitted_at": "2024-01-02T15:00:00Z", "filled_at": "2024-01-02T15:00:01Z",
                "asset_id": "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415", "symbol": "AAPL",
                "asset_class": "us_equity", "qty": "10", "filled_qty": "10",
                "filled_avg_price": "187.25", "order_class": "", "type": "limit",
                "side": "buy", "time_in_force": "day", "limit_price": "188",
                "status": "filled", "extended_hours": false, "legs": null
            }}})
            .to_string()
            .into_bytes()
        })
        .collect()
}

fn decode(c: &mut Criterion) {
    let stock = stock_frames();
    let mut g = c.benchmark_group("stock_quotes_json");
    g.throughput(Throughput::Elements(FRAMES as u64));
    g.bench_function("alpaca_exec", |b| {
        b.iter(|| {
            for f in &stock {
                black_box(MarketMessage::decode_json(f));
            }
        })
    });
    g.bench_function("serde_value", |b| {
        b.iter(|| {
            for f in &stock {
                black_box(serde_json::from_slice::<serde_json::Value>(f).expect("json"));
            }
        })
    });
    g.bench_function("minimal_f64", |b| {
        b.iter(|| {
            for f in &stock {
                black_box(serde_json::from_slice::<Vec<MinimalQuote>>(f).expect("json"));
            }
        })
    });
    g.finish();

    let option = option_frames();
    let mut g = c.benchmark_group("option_quotes_msgpack");
    g.throughput(Throughput::Elements(FRAMES as u64));
    g.bench_function("alpaca_exec", |b| {
        b.iter(|| {
            for f in &option {
                black_box(MarketMessage::decode_msgpack(f));
            }
        })
    });
    g.bench_function("minimal_f64", |b| {
        b.iter(|| {
            for f in &option {
                black_box(rmp_serde::from_slice::<Vec<MinimalQuote>>(f).expect("msgpack"));
            }
        })
    });
    g.finish();

    let updates = trade_update_frames();
    let mut g = c.benchmark_group("trade_updates_json");
    g.throughput(Throughput::Elements(FRAMES as u64));
    g.bench_function("alpaca_exec", |b| {
        b.iter(|| {
            for f in &updates {
                let v: serde_json::Value = serde_json::from_slice(f).expect("json");
                black_box(TradeUpdate::deserialize(&v["data"]).expect("update"));
            }
        })
    });
    g.bench_function("serde_value", |b| {
        b.iter(|| {
            for f in &updates {
                black_box(serde_json::from_slice::<serde_json::Value>(f).expect("json"));
            }
        })
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! { name = benches; config = config(); targets = decode }
criterion_main!(benches);
