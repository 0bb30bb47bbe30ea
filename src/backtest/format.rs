//! Numbers as a trader reads them: money with a dollar sign, thousands separators and cents,
//! fractions as percentages. Used by the report and by [`Metrics`](super::metrics::Metrics)'s
//! `Display`, so every figure a backtest prints looks the same.

use rust_decimal::{Decimal, RoundingStrategy};

/// `1234567.891` as `$1,234,567.89`; negative amounts as `-$12.50`.
pub fn money(d: Decimal) -> String {
    dollars(d, 2)
}

/// [`money`] with an explicit `+` on gains, for changes and P&L.
pub fn signed_money(d: Decimal) -> String {
    let s = money(d);
    if s.starts_with('-') || s == "$0.00" {
        s
    } else {
        format!("+{s}")
    }
}

/// Money rounded to whole dollars (`$136,887`), for chart axes.
pub fn money_whole(d: Decimal) -> String {
    dollars(d, 0)
}

/// `d` rounded to `dp` decimals (half away from zero), with its sign before the dollar sign.
fn dollars(d: Decimal, dp: u32) -> String {
    let rounded = d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    let sign = if rounded.is_sign_negative() && !rounded.is_zero() {
        "-"
    } else {
        ""
    };
    format!("{sign}${}", grouped(rounded.abs(), dp))
}

/// A fraction as a percentage with two decimals: `0.3689` as `36.89%`.
pub fn percent(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    format!("{:.2}%", x * 100.0)
}

/// [`percent`] with an explicit `+` on gains.
pub fn signed_percent(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    format!("{:+.2}%", x * 100.0)
}

/// A non-negative amount with `dp` decimals and commas between thousands.
fn grouped(d: Decimal, dp: u32) -> String {
    let text = format!("{:.*}", dp as usize, d);
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text.as_str(), None),
    };
    let mut out = String::with_capacity(text.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn money_has_a_sign_separators_and_cents() {
        assert_eq!(money(dec!(136887.0849)), "$136,887.08");
        assert_eq!(money(dec!(1234567.895)), "$1,234,567.90");
        assert_eq!(money(dec!(-420.7166)), "-$420.72");
        assert_eq!(money(dec!(0)), "$0.00");
        assert_eq!(money(dec!(-0.001)), "$0.00");
        assert_eq!(money(dec!(999)), "$999.00");
        assert_eq!(money(dec!(1000)), "$1,000.00");
        assert_eq!(
            money(dec!(0.6390484003281378178835110747)),
            "$0.64",
            "never a 28-digit decimal"
        );
        assert_eq!(signed_money(dec!(32729.05)), "+$32,729.05");
        assert_eq!(signed_money(dec!(-5)), "-$5.00");
        assert_eq!(signed_money(dec!(0)), "$0.00");
        assert_eq!(money_whole(dec!(100385.5)), "$100,386");
        assert_eq!(money_whole(dec!(-1500.2)), "-$1,500");
    }

    #[test]
    fn percentages() {
        assert_eq!(percent(0.36887), "36.89%");
        assert_eq!(signed_percent(0.0039), "+0.39%");
        assert_eq!(signed_percent(-0.0671), "-6.71%");
        assert_eq!(percent(f64::NAN), "n/a");
    }
}
