//! The realised volatility of an underlying from its session closes, for the option model.

use rust_decimal::Decimal;
use std::collections::VecDeque;

/// Trading sessions per year, to annualise daily volatility.
const SESSIONS_PER_YEAR: f64 = 252.0;

/// The last `window` daily log returns of one symbol.
#[derive(Debug, Clone, Default)]
pub(crate) struct RealizedVolatility {
    last_close: Option<f64>,
    returns: VecDeque<f64>,
}

impl RealizedVolatility {
    /// Adds a session's close, keeping the last `window` returns. A non-positive or
    /// non-finite close is skipped (no return can be taken from it).
    pub(crate) fn push_close(&mut self, close: Decimal, window: usize) {
        let c = crate::num::to_f64(close);
        if !(c.is_finite() && c > 0.0) || window == 0 {
            return;
        }
        if let Some(prev) = self.last_close.replace(c) {
            self.returns.push_back((c / prev).ln());
            while self.returns.len() > window {
                self.returns.pop_front();
            }
        }
    }

    /// The annualised sample standard deviation of the returns, once there are `window` of
    /// them (and at least two).
    pub(crate) fn annualized(&self, window: usize) -> Option<f64> {
        let n = self.returns.len();
        if n < window.max(2) {
            return None;
        }
        let mean = self.returns.iter().sum::<f64>() / n as f64;
        let var = self.returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        Some((var * SESSIONS_PER_YEAR).sqrt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn annualised_sample_deviation_of_log_returns_over_the_window() {
        let mut v = RealizedVolatility::default();
        // Alternating +10% / -~9.09%: log returns of +-ln(1.1).
        for c in [dec!(100), dec!(110), dec!(100), dec!(110), dec!(100)] {
            assert_eq!(v.annualized(4), None);
            v.push_close(c, 4);
        }
        let r = 1.1f64.ln();
        // Four returns, mean 0, sample variance 4 r^2 / 3.
        let want = (4.0 * r * r / 3.0 * 252.0).sqrt();
        assert!((v.annualized(4).unwrap() - want).abs() < 1e-12);
        // A flat stretch pushes the old returns out.
        for _ in 0..4 {
            v.push_close(dec!(100), 4);
        }
        assert_eq!(v.annualized(4), Some(0.0));
        v.push_close(dec!(0), 4);
        v.push_close(dec!(-3), 4);
        assert_eq!(v.annualized(4), Some(0.0), "bad closes are skipped");
    }
}
