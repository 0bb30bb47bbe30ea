//! Exact fast paths for number conversions on hot paths.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// `d.to_f64()`, bit for bit, with 64-bit arithmetic where `rust_decimal` uses 128-bit
/// division: its conversion (`as_f64`) splits the mantissa into integral and fractional parts by
/// the power of ten of the scale, which for a mantissa and power that fit in 64 bits (every
/// price and equity figure) gives the same integers either way. Other values go to the library.
/// The backtester converts every close and every day's equity, where the 128-bit routines showed.
pub(crate) fn to_f64(d: Decimal) -> f64 {
    let scale = d.scale();
    match u64::try_from(d.mantissa().unsigned_abs()) {
        Ok(m) if (1..=19).contains(&scale) => {
            let neg = d.is_sign_negative();
            let precision = 10u64.pow(scale);
            let integral = (m / precision) as f64;
            let frac = (m % precision) as f64 / precision as f64;
            if frac == 0.0 {
                return if neg { -integral } else { integral };
            }
            let round_to = 10f64.powi(scale as i32);
            let rounded = ((integral + frac) * round_to).round() / round_to;
            if neg { -rounded } else { rounded }
        }
        _ => d.to_f64().unwrap_or(f64::NAN),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_rust_decimal_bit_for_bit() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut checked = 0;
        for scale in 0..=28u32 {
            for shift in [0u32, 8, 16, 24, 32, 40, 48, 52, 56, 63] {
                for _ in 0..200 {
                    let raw = next();
                    let m = i128::from(raw >> shift) * if raw & 1 == 0 { 1 } else { -1 };
                    for m in [m, m * 1_000_003, 0, 1, -1, i128::from(u64::MAX)] {
                        let Ok(d) = Decimal::try_from_i128_with_scale(m, scale) else {
                            continue;
                        };
                        let want = d.to_f64().unwrap();
                        assert_eq!(to_f64(d).to_bits(), want.to_bits(), "{d} ({m}e-{scale})");
                        checked += 1;
                    }
                }
            }
        }
        let mut neg_zero = Decimal::new(0, 2);
        neg_zero.set_sign_negative(true);
        assert_eq!(
            to_f64(neg_zero).to_bits(),
            neg_zero.to_f64().unwrap().to_bits()
        );
        assert!(checked > 100_000);
    }
}
