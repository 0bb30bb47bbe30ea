//! Stream frames: market data in JSON (stocks) and MessagePack (options), trade updates in JSON,
//! mutated, truncated and replaced by random bytes. Decoding never panics; a bad frame or
//! message is skipped (market data) or refused with a `serde_json::Error` (trade updates).

use crate::common::fixture;
use crate::mutate::{mutate_bytes, mutated};
use crate::{Shown, cases, no_panic, rng};
use alpaca_exec::stream::{MarketMessage, TradeUpdate};
use serde_json::Value;

fn frames() -> Vec<Value> {
    match serde_json::from_str(&fixture("stream_stock_frames.json")).unwrap() {
        Value::Array(frames) => frames,
        _ => unreachable!("the fixture is a list of frames"),
    }
}

#[test]
fn market_data_json_frames() {
    let frames = frames();
    let data: usize = frames
        .iter()
        .map(|f| MarketMessage::decode_json(&serde_json::to_vec(f).unwrap()).len())
        .sum();
    assert_eq!(data, 10, "the unmutated frames decode");
    let mut rng = rng("market_json");
    for case in 0..cases(500) {
        let pick = rng.usize(..frames.len());
        let input = mutated(&mut rng, &frames[pick]);
        no_panic("market_json", case, &Shown(&input), |Shown(b)| {
            for m in MarketMessage::decode_json(b) {
                let _ = format!("{m:?}");
            }
        });
    }
}

#[test]
fn market_data_msgpack_frames() {
    let frames = frames();
    let packed: Vec<Vec<u8>> = frames
        .iter()
        .map(|f| rmp_serde::to_vec_named(f).unwrap())
        .collect();
    let data: usize = packed
        .iter()
        .map(|f| MarketMessage::decode_msgpack(f).len())
        .sum();
    assert_eq!(data, 10, "the unmutated frames decode");
    let mut rng = rng("market_msgpack");
    for case in 0..cases(500) {
        // Either a JSON-aware mutation re-encoded, or byte damage to a valid frame (which
        // reaches the MessagePack length and type markers), or random bytes.
        let input = match rng.u8(..3) {
            0 => {
                let v: Value = serde_json::from_slice(&mutated(
                    &mut rng,
                    &frames[case as usize % frames.len()],
                ))
                .unwrap_or(Value::Null);
                rmp_serde::to_vec_named(&v).unwrap_or_default()
            }
            1 => {
                let mut b = packed[rng.usize(..packed.len())].clone();
                for _ in 0..rng.usize(1..6) {
                    mutate_bytes(&mut rng, &mut b);
                }
                b
            }
            _ => (0..rng.usize(0..600)).map(|_| rng.u8(..)).collect(),
        };
        no_panic("market_msgpack", case, &Shown(&input), |Shown(b)| {
            for m in MarketMessage::decode_msgpack(b) {
                let _ = format!("{m:?}");
            }
        });
    }
}

#[test]
fn trade_update_events() {
    let events: Vec<Value> =
        match serde_json::from_str(&fixture("stream_trade_updates.json")).unwrap() {
            Value::Array(e) => e
                .into_iter()
                .filter(|e| e["stream"] == "trade_updates")
                .map(|e| e["data"].clone())
                .collect(),
            _ => unreachable!("the fixture is a list of messages"),
        };
    for e in &events {
        serde_json::from_value::<TradeUpdate>(e.clone()).expect("the unmutated events decode");
    }
    let mut rng = rng("trade_updates");
    let mut decoded = 0u64;
    for case in 0..cases(500) {
        let pick = rng.usize(..events.len());
        let input = mutated(&mut rng, &events[pick]);
        no_panic("trade_updates", case, &Shown(&input), |Shown(b)| {
            if let Ok(u) = serde_json::from_slice::<TradeUpdate>(b) {
                decoded += 1;
                let _ = (u.leg_fills(), u.time(), u.event.is_fill(), format!("{u:?}"));
            }
        });
    }
    assert!(decoded > 0);
}
