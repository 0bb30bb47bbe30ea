//! The OCC parser and `OccSymbol::new`: random and mutated symbols, random parts including
//! extreme strikes. A symbol that parses formats back to itself.

use crate::mutate::mutate_bytes;
use crate::{cases, no_panic, rng};
use alpaca_exec::{OccSymbol, OptionType};
use chrono::NaiveDate;
use rust_decimal::Decimal;

const VALID: &[&str] = &[
    "AAPL250620C00100000",
    "SPXW240327P04925000",
    "F240119C00012500",
    "AAPL1240119P00000500",
    "SPY   240426C00555000",
    "QQQ241220P00400000",
];

/// A random `Decimal` over its whole range: random mantissa, scale and sign, and the extremes.
pub fn decimal(rng: &mut fastrand::Rng) -> Decimal {
    match rng.u8(..8) {
        0 => Decimal::MAX,
        1 => Decimal::MIN,
        2 => Decimal::ZERO,
        3 => Decimal::new(1, rng.u32(..=28)),
        4 => Decimal::new(rng.i64(..), rng.u32(..=28)),
        5 => Decimal::from_i128_with_scale(rng.i128(-(1 << 95)..(1 << 95)), rng.u32(..=28)),
        _ => Decimal::new(rng.i64(-1_000_000..1_000_000), rng.u32(..=6)),
    }
}

#[test]
fn parse_random_and_mutated_symbols() {
    let mut rng = rng("occ_parse");
    let mut parsed = 0u64;
    for case in 0..cases(2000) {
        let input: Vec<u8> = match rng.u8(..3) {
            0 => (0..rng.usize(0..40)).map(|_| rng.u8(..)).collect(),
            _ => {
                let mut b = VALID[rng.usize(..VALID.len())].as_bytes().to_vec();
                for _ in 0..rng.usize(1..4) {
                    mutate_bytes(&mut rng, &mut b);
                }
                b
            }
        };
        let text = String::from_utf8_lossy(&input).into_owned();
        no_panic("occ_parse", case, &text, |s| {
            if let Ok(o) = OccSymbol::parse(s) {
                parsed += 1;
                let again = OccSymbol::parse(&o.to_string()).expect("a parsed symbol formats back");
                assert_eq!(again, o);
                let _ = (o.strike(), o.expiration(), o.root(), o.option_type());
            }
            let _ = OccSymbol::looks_like(s);
        });
    }
    assert!(parsed > 0);
}

#[test]
fn new_from_random_parts() {
    let mut rng = rng("occ_new");
    for case in 0..cases(2000) {
        let root: String = (0..rng.usize(0..9))
            .map(|_| match rng.u8(..5) {
                0 => rng.char(..),
                _ => rng.uppercase(),
            })
            .collect();
        let date =
            NaiveDate::from_num_days_from_ce_opt(rng.i32(1..3_700_000)).unwrap_or(NaiveDate::MIN);
        let kind = if rng.bool() {
            OptionType::Call
        } else {
            OptionType::Put
        };
        let strike = decimal(&mut rng);
        let parts = (root, date, kind, strike);
        no_panic("occ_new", case, &parts, |(root, date, kind, strike)| {
            if let Ok(o) = OccSymbol::new(root, *date, *kind, *strike) {
                assert_eq!(o.strike(), strike.normalize(), "{o}");
                assert_eq!(OccSymbol::parse(&o.to_string()).unwrap(), o);
            }
        });
    }
}
