//! [`dec!`](crate::dec): decimal literals without a direct dependency on `rust_decimal`.

/// A [`Decimal`](rust_decimal::Decimal) from a literal: `dec!(101.25)`, `dec!(-0.5)`,
/// `dec!(1_000)`, `dec!(1.5e3)`.
///
/// `rust_decimal_macros::dec!` expands to a path into `rust_decimal`, so it only compiles where
/// that crate is a direct dependency; this one works with `alpaca-exec` alone. The literal is
/// checked when the expression runs (not at compile time): a malformed one panics with the
/// literal in the message, like any other programming error in a constant.
///
/// ```
/// use alpaca_exec::prelude::*;
/// assert_eq!(dec!(101.25), Decimal::new(10125, 2));
/// assert_eq!(dec!(-0.5), Decimal::new(-5, 1));
/// assert_eq!(dec!(1_000), Decimal::from(1000));
/// assert_eq!(dec!(1.5e3), Decimal::from(1500));
/// ```
#[macro_export]
macro_rules! dec {
    ($($literal:tt)+) => {
        $crate::__private::decimal_literal(stringify!($($literal)+))
    };
}

/// Not public API: what [`dec!`](crate::dec) expands to.
#[doc(hidden)]
pub mod __private {
    use rust_decimal::Decimal;

    /// Parses the text of a `dec!` literal. Panics on text that is not a decimal: the text is a
    /// literal in the caller's source, never outside input.
    pub fn decimal_literal(text: &str) -> Decimal {
        let cleaned: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '_')
            .collect();
        let parsed = if cleaned.contains(['e', 'E']) {
            Decimal::from_scientific(&cleaned)
        } else {
            Decimal::from_str_exact(&cleaned)
        };
        parsed.unwrap_or_else(|e| panic!("dec!({text}) is not a decimal literal: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    #[test]
    fn literals_of_every_shape() {
        assert_eq!(crate::dec!(0), Decimal::ZERO);
        assert_eq!(crate::dec!(150.50), Decimal::new(15050, 2));
        assert_eq!(crate::dec!(150.50).scale(), 2, "the written scale is kept");
        assert_eq!(crate::dec!(-12.5), Decimal::new(-125, 1));
        assert_eq!(crate::dec!(2_500.000_1), Decimal::new(25000001, 4));
        assert_eq!(crate::dec!(25e-2), Decimal::new(25, 2));
    }

    #[test]
    #[should_panic(expected = "is not a decimal literal")]
    fn a_malformed_literal_names_itself() {
        let _ = crate::dec!(1.2.3);
    }
}
