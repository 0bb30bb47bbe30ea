//! Fuzz-style loops on stable Rust: every decoder of the crate, the OCC parser and the order
//! builders fed random, mutated and truncated inputs. The rule they check: nothing from outside
//! panics the crate, and every failure is a typed error.
//!
//! Inputs are the fixtures in `tests/fixtures/` mutated by a seeded generator (byte flips,
//! truncation, splices of hostile tokens, and JSON-aware replacement of values with extremes),
//! plus random bytes. The default case counts keep `cargo test` fast; for a long run:
//!
//! ```sh
//! ALPACA_EXEC_FUZZ_CASES=1000000 cargo test --release --test fuzz
//! ```
//!
//! `ALPACA_EXEC_FUZZ_SEED` picks another seed (the default is fixed so that runs repeat). A
//! failure names the target, the seed, the case and the input.

#[path = "../common/mod.rs"]
mod common;
mod decoders;
mod http;
mod mutate;
mod occ;
mod orders;
#[cfg(feature = "websockets")]
mod streams;

use std::panic::{AssertUnwindSafe, catch_unwind};

/// Cases per target: `ALPACA_EXEC_FUZZ_CASES`, or `default` (small, for `cargo test`).
pub fn cases(default: u64) -> u64 {
    std::env::var("ALPACA_EXEC_FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// The run's seed: `ALPACA_EXEC_FUZZ_SEED`, or a fixed default.
pub fn seed() -> u64 {
    std::env::var("ALPACA_EXEC_FUZZ_SEED")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0x5EED_A1FA_CA5E)
}

/// A generator for one target: the run's seed mixed with the target's name, so targets draw
/// independent sequences and adding one does not change the others.
pub fn rng(target: &str) -> fastrand::Rng {
    let mix = target.bytes().fold(seed(), |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3)
    });
    fastrand::Rng::with_seed(mix)
}

/// Runs `f(input)`, turning a panic into a test failure that says how to replay it.
pub fn no_panic<T, R>(target: &str, case: u64, input: &T, f: impl FnOnce(&T) -> R) -> R
where
    T: std::fmt::Debug + ?Sized,
{
    match catch_unwind(AssertUnwindSafe(|| f(input))) {
        Ok(r) => r,
        Err(p) => {
            let what = p
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| p.downcast_ref::<&str>().copied())
                .unwrap_or("?");
            let shown = format!("{input:?}");
            let shown: String = shown.chars().take(2000).collect();
            panic!(
                "{target}: case {case} panicked ({what}); replay with ALPACA_EXEC_FUZZ_SEED={} \
                 ALPACA_EXEC_FUZZ_CASES={}; input: {shown}",
                seed(),
                case + 1
            )
        }
    }
}

/// Bytes shown as text where they are text, for failure messages.
pub struct Shown<'a>(pub &'a [u8]);

impl std::fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.0))
    }
}
