//! Input mutation: byte-level damage and JSON-aware replacement of values with extremes.

use fastrand::Rng;
use serde_json::{Value, json};

/// Tokens that break decoders more often than random bytes: extreme numbers, numbers where
/// strings belong and the reverse, empty and null values, odd dates.
const HOSTILE_TOKENS: &[&str] = &[
    "1e300",
    "-1e300",
    "1e-400",
    "99999999999999999999999999999999",
    "79228162514264337593543950336",
    "79228162514264337593543950335",
    "-79228162514264337593543950335",
    "\"79228162514264337593543950335\"",
    "\"-79228162514264337593543950335\"",
    "7.9228162514264337593543950335e28",
    "-79228162514264337593543950336",
    "18446744073709551616",
    "-9223372036854775809",
    "NaN",
    "\"NaN\"",
    "\"inf\"",
    "\"-0\"",
    "\"\"",
    "null",
    "[]",
    "{}",
    "\"9999-12-31T23:59:59Z\"",
    "\"0000-00-00\"",
    "\"2024-13-45T99:99:99Z\"",
    "\"1e-28\"",
    "\"0.0000000000000000000000000001\"",
    "\"\\u0000\"",
    "\"AAPL251320C00100000\"",
    "true",
];

/// A value that stresses a decoder where a leaf used to be.
pub fn hostile_value(rng: &mut Rng) -> Value {
    match rng.u8(..14) {
        0 => json!(""),
        1 => Value::Null,
        2 => json!(1e300),
        3 => json!(u64::MAX),
        4 => json!(i64::MIN),
        5 => json!(
            [
                "99999999999999999999999999999999",
                "79228162514264337593543950335",
                "-79228162514264337593543950335"
            ][rng.usize(..3)]
        ),
        6 => json!("-0.0000000000000000000000000001"),
        7 => json!(-1),
        8 => json!([]),
        9 => json!({}),
        10 => deep_array(rng.usize(100..200)),
        11 => json!("x".repeat(rng.usize(1000..5000))),
        12 => json!(random_text(rng, 12)),
        _ => serde_json::from_str(HOSTILE_TOKENS[rng.usize(..HOSTILE_TOKENS.len())])
            .unwrap_or(Value::Null),
    }
}

fn deep_array(levels: usize) -> Value {
    (0..levels).fold(json!(1), |inner, _| json!([inner]))
}

fn random_text(rng: &mut Rng, max: usize) -> String {
    (0..rng.usize(0..=max))
        .map(|_| match rng.u8(..4) {
            0 => rng.char(..),
            _ => rng.alphanumeric(),
        })
        .collect()
}

/// One random change to a JSON tree: a value replaced, a key removed, renamed or added, an array
/// repeated.
pub fn mutate_json(rng: &mut Rng, v: &mut Value) {
    let mut slots = 0usize;
    count(v, &mut slots);
    let target = rng.usize(..slots.max(1));
    let mut seen = 0usize;
    change(rng, v, target, &mut seen);
}

fn count(v: &Value, n: &mut usize) {
    *n += 1;
    match v {
        Value::Array(a) => a.iter().for_each(|x| count(x, n)),
        Value::Object(o) => o.values().for_each(|x| count(x, n)),
        _ => {}
    }
}

fn change(rng: &mut Rng, v: &mut Value, target: usize, seen: &mut usize) -> bool {
    if *seen == target {
        match (v, rng.u8(..5)) {
            (Value::Object(o), 3) => {
                // An unknown field: decoders must accept it (Alpaca adds fields).
                o.insert(format!("x_{}", rng.u32(..)), hostile_value(rng));
            }
            (Value::Object(o), 0) if !o.is_empty() => {
                let k = o
                    .keys()
                    .nth(rng.usize(..o.len()))
                    .cloned()
                    .unwrap_or_default();
                o.remove(&k);
            }
            (Value::Object(o), 1) if !o.is_empty() => {
                let k = o
                    .keys()
                    .nth(rng.usize(..o.len()))
                    .cloned()
                    .unwrap_or_default();
                if let Some(x) = o.remove(&k) {
                    o.insert(format!("{k}{}", rng.alphanumeric()), x);
                }
            }
            (Value::Array(a), 2) if !a.is_empty() => {
                let x = a[rng.usize(..a.len())].clone();
                a.extend(std::iter::repeat_n(x, rng.usize(1..50)));
            }
            (slot, _) => *slot = hostile_value(rng),
        }
        return true;
    }
    *seen += 1;
    match v {
        Value::Array(a) => a.iter_mut().any(|x| change(rng, x, target, seen)),
        Value::Object(o) => o.values_mut().any(|x| change(rng, x, target, seen)),
        _ => false,
    }
}

/// One random change to raw bytes.
pub fn mutate_bytes(rng: &mut Rng, b: &mut Vec<u8>) {
    if b.is_empty() {
        b.push(rng.u8(..));
        return;
    }
    let at = rng.usize(..b.len());
    match rng.u8(..7) {
        0 => b[at] ^= 1 << rng.u8(..8),
        1 => b[at] = rng.u8(..),
        2 => b.truncate(at),
        3 => {
            let end = (at + rng.usize(1..16)).min(b.len());
            b.drain(at..end);
        }
        4 => {
            let end = (at + rng.usize(1..64)).min(b.len());
            let chunk = b[at..end].to_vec();
            b.splice(at..at, chunk);
        }
        5 => {
            let token = HOSTILE_TOKENS[rng.usize(..HOSTILE_TOKENS.len())];
            b.splice(at..at, token.bytes());
        }
        _ => b.insert(at, rng.u8(..)),
    }
}

/// A mutated copy of `json`: mostly JSON-aware changes (which reach deep into decoders),
/// sometimes byte damage on top, sometimes just random bytes.
pub fn mutated(rng: &mut Rng, json: &Value) -> Vec<u8> {
    if rng.u8(..20) == 0 {
        return (0..rng.usize(0..256)).map(|_| rng.u8(..)).collect();
    }
    let mut v = json.clone();
    for _ in 0..rng.usize(1..4) {
        mutate_json(rng, &mut v);
    }
    let mut bytes = serde_json::to_vec(&v).unwrap_or_default();
    if rng.bool() {
        for _ in 0..rng.usize(1..4) {
            mutate_bytes(rng, &mut bytes);
        }
    }
    bytes
}

/// The elements of a fixture's list or map (or the fixture itself), to decode one by one.
pub fn elements(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Object(o) => o.values().cloned().collect(),
        other => vec![other.clone()],
    }
}
