//! Exact sums of a sliding window, the heart of [`Sma`](super::Sma).
//!
//! A running total that adds the new value and subtracts the old one rounds on every step, and
//! the rounding errors never leave it: after a few thousand bars two averages that are equal
//! in decimal arithmetic compare as different, and a crossover fires a bar early. Both sums
//! here are exact instead, so an average depends only on the values in its window:
//!
//! - `f64`: the window's sum is kept as a *non-overlapping expansion* (a short list of doubles
//!   whose exact sum is the exact sum of the window; J. R. Shewchuk, "Adaptive Precision
//!   Floating-Point Arithmetic and Fast Robust Geometric Predicates", 1997), updated with
//!   error-free additions, and rounded once, correctly, when read. The average is therefore the
//!   correctly rounded window sum divided by the period: the definition of Python's
//!   `math.fsum(window) / period`, which backtrader's `SMA` uses.
//! - `Decimal`: a plain running total, exact in decimal arithmetic for every price series
//!   (28 significant digits). If a sum ever needs more digits than that, or overflows, the
//!   total is rebuilt from the window's values instead of being carried forward.

use rust_decimal::Decimal;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f64 {}
    impl Sealed for rust_decimal::Decimal {}
}

/// A value type [`Sma`](super::Sma) can average: `f64` or `Decimal` (see the module docs of
/// [`indicators`](super) for how each is summed). Sealed: the crate implements it for those two.
pub trait Summable: Copy + std::fmt::Debug + sealed::Sealed {
    /// The running sum's representation.
    #[doc(hidden)]
    type Sum: Clone + std::fmt::Debug + Default;

    /// Zero, the value of a window slot not yet written.
    #[doc(hidden)]
    fn zero() -> Self;

    /// An empty sum for a window of `period` values.
    #[doc(hidden)]
    fn new_sum(period: usize) -> Self::Sum;

    /// Whether the value can enter a window (`f64`: finite).
    #[doc(hidden)]
    fn accepts(self) -> bool;

    /// Adds `add` to the sum and takes `remove` out of it; `window` holds the values the sum
    /// must equal afterwards (`add` included, `remove` gone), for a rebuild.
    #[doc(hidden)]
    fn slide(sum: &mut Self::Sum, add: Self, remove: Self, window: &[Self]);

    /// The sum divided by `n` (a window length, never zero); `None` when the window's sum is
    /// beyond what the type can hold.
    #[doc(hidden)]
    fn mean(sum: &Self::Sum, n: usize) -> Option<Self>;
}

/// Units of the fixed-point part of [`ExactSum`]: 2^-80.
const FIXED_UNIT_EXP: i32 = -80;

/// The exact sum of some doubles.
///
/// Most values (those from about 3.7e-9 up to about 1e12 in magnitude, scaled down for very
/// long windows) are multiples of 2^-80 small enough that a window of them sums in an `i128`
/// without overflow: they go into `fixed`, where addition is exact and costs one instruction.
/// The others go into `parts`, an expansion of increasing, non-overlapping doubles updated with
/// error-free additions. The sum is `fixed * 2^-80 + sum(parts)`, exactly.
#[derive(Debug, Clone)]
pub struct ExactSum {
    fixed: i128,
    /// Largest binary exponent a value may have to go into `fixed` (depends on the period).
    max_fixed_exp: i32,
    parts: Vec<f64>,
    /// A component of `parts` overflowed: the sum must be rebuilt from its values.
    broken: bool,
}

impl Default for ExactSum {
    fn default() -> Self {
        Self::for_period(super::MAX_PERIOD)
    }
}

impl ExactSum {
    /// An empty sum for windows of up to `period` values.
    pub fn for_period(period: usize) -> Self {
        // A value below 2^(e+1) is under 2^(e+1+80) units; `period` of them must stay below
        // 2^127.
        let log2_period = usize::BITS - period.max(1).leading_zeros();
        Self {
            fixed: 0,
            max_fixed_exp: 126 - 80 - log2_period as i32,
            parts: Vec::new(),
            broken: false,
        }
    }

    /// `x` in units of 2^-80, if it is a whole number of them within the fixed part's range.
    #[inline]
    fn units(&self, x: f64) -> Option<i128> {
        let bits = x.to_bits();
        let biased = ((bits >> 52) & 0x7ff) as i32;
        let exp = biased - 1023; // x = mantissa * 2^(exp - 52) for normal numbers
        let shift = exp - 52 - FIXED_UNIT_EXP; // x = mantissa * 2^shift units
        if biased == 0 || shift < 0 || exp > self.max_fixed_exp {
            return None; // subnormal or zero, finer than the grid, or too large
        }
        let mantissa = i128::from((bits & ((1 << 52) - 1)) | (1 << 52));
        let units = mantissa << shift;
        Some(if bits >> 63 == 1 { -units } else { units })
    }

    /// Adds `x` (finite and non-zero) exactly.
    #[inline]
    fn add(&mut self, x: f64) {
        if let Some(sum) = self.units(x).and_then(|u| self.fixed.checked_add(u)) {
            self.fixed = sum;
        } else {
            grow(&mut self.parts, x);
            self.broken |= self.parts.last().is_some_and(|p| !p.is_finite());
        }
    }

    /// The exact sum rounded to the nearest double (ties to even).
    #[inline]
    fn round(&self) -> f64 {
        let scale = pow2(FIXED_UNIT_EXP);
        if self.parts.is_empty() {
            return i128_to_f64(self.fixed) * scale; // the scaling is exact
        }
        // Rare: some values were off the grid. Spell the fixed part out as doubles (each
        // conversion takes the top 53 bits, the remainder is exact) and round everything.
        let mut all = self.parts.clone();
        let mut rest = self.fixed;
        while rest != 0 {
            let top = rest as f64;
            grow(&mut all, top * scale);
            rest -= top as i128;
        }
        round_expansion(&all)
    }

    fn rebuild(&mut self, values: &[f64]) {
        self.fixed = 0;
        self.parts.clear();
        self.broken = false;
        for &v in values {
            if v != 0.0 {
                self.add(v);
            }
        }
    }
}

/// 2^e for a normal exponent (-1022..=1023), built from its bits: `powi` is a loop at run time.
#[inline]
fn pow2(e: i32) -> f64 {
    debug_assert!((-1022..=1023).contains(&e));
    f64::from_bits(((1023 + e) as u64) << 52)
}

/// `v` rounded to the nearest double, ties to even: what `v as f64` gives, without the
/// library routine's bit-by-bit normalisation (the SMA reads one per update).
#[inline]
fn i128_to_f64(v: i128) -> f64 {
    if let Ok(small) = i64::try_from(v) {
        return small as f64;
    }
    let m = v.unsigned_abs();
    let lz = m.leading_zeros(); // < 64, since |v| >= 2^63
    let normalized = m << lz;
    // The top 64 bits, with any lower bit folded into bit 0 ("sticky"): bit 0 lies below the
    // 53 a double keeps, so it can only break a tie, and the conversion then rounds correctly.
    let top = (normalized >> 64) as u64 | u64::from(normalized as u64 != 0);
    let magnitude = top as f64 * pow2(64 - lz as i32);
    if v < 0 { -magnitude } else { magnitude }
}

/// Adds `x` exactly to the expansion `parts` (Shewchuk's "grow expansion" with zero
/// elimination; the components stay increasing and non-overlapping).
fn grow(parts: &mut Vec<f64>, mut x: f64) {
    let mut kept = 0;
    for j in 0..parts.len() {
        let mut y = parts[j];
        if x.abs() < y.abs() {
            std::mem::swap(&mut x, &mut y);
        }
        // Fast two-sum: with |x| >= |y|, hi + lo == x + y exactly.
        let hi = x + y;
        let lo = y - (hi - x);
        if lo != 0.0 {
            parts[kept] = lo;
            kept += 1;
        }
        x = hi;
    }
    parts.truncate(kept);
    parts.push(x);
}

/// The exact sum of an expansion rounded to the nearest double (ties to even).
fn round_expansion(p: &[f64]) -> f64 {
    let Some(mut n) = p.len().checked_sub(1) else {
        return 0.0;
    };
    let mut hi = p[n];
    let mut lo = 0.0;
    while n > 0 {
        n -= 1;
        let x = hi;
        hi = x + p[n];
        lo = p[n] - (hi - x);
        if lo != 0.0 {
            break;
        }
    }
    // `hi + lo` is exact, and the components below n push the true sum further the way `lo`
    // points: when `lo` is exactly half an ulp, that decides the rounding.
    if n > 0 && ((lo < 0.0 && p[n - 1] < 0.0) || (lo > 0.0 && p[n - 1] > 0.0)) {
        let y = lo * 2.0;
        let x = hi + y;
        if y == x - hi {
            hi = x;
        }
    }
    hi
}

impl Summable for f64 {
    type Sum = ExactSum;

    fn zero() -> Self {
        0.0
    }

    fn new_sum(period: usize) -> ExactSum {
        ExactSum::for_period(period)
    }

    #[inline]
    fn accepts(self) -> bool {
        self.is_finite()
    }

    #[inline]
    fn slide(sum: &mut ExactSum, add: f64, remove: f64, window: &[f64]) {
        if add != 0.0 {
            sum.add(add);
        }
        if remove != 0.0 {
            sum.add(-remove);
        }
        if sum.broken {
            sum.rebuild(window);
        }
    }

    #[inline]
    fn mean(sum: &ExactSum, n: usize) -> Option<f64> {
        // Broken after a rebuild: the window's sum exceeds f64::MAX.
        (!sum.broken).then(|| sum.round() / n as f64)
    }
}

/// A decimal running total; `None` while the window's sum cannot be represented exactly.
#[derive(Debug, Clone)]
pub struct DecimalSum(Option<Decimal>);

impl Default for DecimalSum {
    fn default() -> Self {
        Self(Some(Decimal::ZERO))
    }
}

/// `a + b` if it is exact: no overflow, and no digits rounded away to fit 28 of them (the
/// sum of two decimals carries the larger scale unless it had to be rounded).
fn exact_add(a: Decimal, b: Decimal) -> Option<Decimal> {
    a.checked_add(b)
        .filter(|s| s.scale() >= a.scale().max(b.scale()))
}

impl Summable for Decimal {
    type Sum = DecimalSum;

    fn zero() -> Self {
        Decimal::ZERO
    }

    fn new_sum(_period: usize) -> DecimalSum {
        DecimalSum::default()
    }

    fn accepts(self) -> bool {
        true
    }

    #[inline]
    fn slide(sum: &mut DecimalSum, add: Decimal, remove: Decimal, window: &[Decimal]) {
        sum.0 = sum
            .0
            .and_then(|s| exact_add(s, add))
            .and_then(|s| exact_add(s, -remove))
            .or_else(|| {
                window
                    .iter()
                    .try_fold(Decimal::ZERO, |acc, &v| exact_add(acc, v))
            });
    }

    #[inline]
    fn mean(sum: &DecimalSum, n: usize) -> Option<Decimal> {
        sum.0?.checked_div(Decimal::from(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i128_conversion_matches_the_language_cast() {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut next = || rng.u64(..);
        let mut cases = vec![0, 1, -1, i128::MAX, i128::MIN, 1 << 63, -(1 << 63)];
        // Exact ties: 2^53 + 1 scaled up, with and without a sticky bit far below.
        for shift in [11, 40, 70] {
            let tie = ((1i128 << 53) + 1) << shift;
            cases.extend([tie, tie + 1, tie - 1, -tie, -(tie + 1)]);
        }
        for _ in 0..100_000 {
            let v = (i128::from(next()) << 64 | i128::from(next())) >> (next() % 127);
            cases.push(v);
        }
        for v in cases {
            assert_eq!(i128_to_f64(v).to_bits(), (v as f64).to_bits(), "{v}");
        }
    }
}
