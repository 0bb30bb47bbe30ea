//! Streaming technical indicators: one bar in, the current value out.
//!
//! Each indicator allocates its fixed buffers once, in `new`, and then updates in O(1) without
//! allocating, so a strategy can run one per symbol on live bars and a backtester can push
//! millions of bars through it. Rolling highest/lowest are O(1) amortized (a monotonic queue).
//!
//! Inputs and outputs are `f64`, not `Decimal`: indicators are statistics compared against
//! thresholds, not amounts of money, and `f64` is what makes tens of millions of updates per
//! second possible. Convert a `Decimal` price with `rust_decimal::prelude::ToPrimitive::to_f64`
//! at the edge.
//!
//! Conventions:
//! - `update` returns `None` until the indicator has seen enough bars ("warm-up"), then
//!   `Some(value)`; `value()` returns the same without updating.
//! - A non-finite input (NaN, infinity) is ignored: the state is left as it was and the current
//!   value is returned, so one bad tick cannot poison a running sum forever.
//! - SMA keeps an *exact* running sum of its window (add the new value, take out the one
//!   leaving), so it never drifts: for `f64` an error-free expansion rounded once when read,
//!   which makes the average `fsum(window) / period` exactly (backtrader's definition); for
//!   `Decimal` a decimal total. See [`Sma`].
//! - EMA is seeded with the SMA of its first `period` values, then
//!   `ema += alpha * (x - ema)` with `alpha = 2 / (period + 1)`.
//! - RSI and ATR use Wilder's smoothing (J. Welles Wilder, *New Concepts in Technical Trading
//!   Systems*, 1978): the first average is a simple mean of `period` values, then
//!   `avg = (avg * (period - 1) + x) / period`.
//!
//! A fast/slow average crossover with an RSI filter, as a strategy would run it per symbol:
//!
//! ```
//! use alpaca_exec::indicators::{Cross, Crossover, Rsi, Sma};
//!
//! let closes = [10.0, 10.0, 10.0, 10.0, 9.0, 9.0, 10.0, 11.0, 12.0, 13.0, 12.5, 11.0, 10.0, 9.0];
//! let (mut fast, mut slow) = (Sma::<f64>::new(2).unwrap(), Sma::<f64>::new(4).unwrap());
//! let mut rsi = Rsi::new(3).unwrap();
//! let mut cross = Crossover::new();
//! let mut events = Vec::new();
//! for (i, &c) in closes.iter().enumerate() {
//!     let strength = rsi.update(c);
//!     let (Some(f), Some(s)) = (fast.update(c), slow.update(c)) else {
//!         continue; // warming up
//!     };
//!     // A tie (f == s) is not a cross: the side is kept until the averages really part.
//!     match cross.update(f, s) {
//!         Some(Cross::Above) if strength.is_some_and(|r| r < 90.0) => events.push((i, "buy")),
//!         Some(Cross::Below) => events.push((i, "sell")),
//!         _ => {}
//!     }
//! }
//! assert_eq!(events, vec![(7, "buy"), (11, "sell")]);
//! ```

mod window_sum;

pub use window_sum::Summable;

use chrono::NaiveDate;

/// Largest accepted period; a guard against allocating absurd buffers from a config typo.
pub const MAX_PERIOD: usize = 1 << 20;

/// Why an indicator cannot be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IndicatorError {
    /// The period is zero.
    #[error("indicator period must be at least 1")]
    ZeroPeriod,
    /// The period is above [`MAX_PERIOD`].
    #[error("indicator period {0} is above the maximum of {MAX_PERIOD}")]
    PeriodTooLarge(usize),
}

fn check_period(period: usize) -> Result<usize, IndicatorError> {
    match period {
        0 => Err(IndicatorError::ZeroPeriod),
        p if p > MAX_PERIOD => Err(IndicatorError::PeriodTooLarge(p)),
        p => Ok(p),
    }
}

/// Simple moving average over the last `period` values, of `f64` (the default) or `Decimal`.
///
/// The window's sum is exact (see the module docs): the average is a function of the values in
/// the window alone, never of how many bars came before, so two averages that are equal in
/// exact arithmetic stay equal however long the series. Average `Decimal` prices with
/// `Sma<Decimal>` when ties must be decided exactly in decimal terms (a crossover of two
/// averages of the same prices): an `f64` average is exact for the doubles it is given, and
/// a decimal price such as 11.37 is not a double.
///
/// ```
/// use alpaca_exec::indicators::Sma;
/// use rust_decimal::Decimal;
///
/// let mut fast = Sma::new(2)?;
/// assert_eq!(fast.update(1.0), None);
/// assert_eq!(fast.update(2.0), Some(1.5));
///
/// let mut exact: Sma<Decimal> = Sma::new(3)?;
/// for p in ["11.41", "11.35", "11.365"] {
///     exact.update(p.parse()?);
/// }
/// assert_eq!(exact.value(), Some("11.375".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Sma<T: Summable = f64> {
    buf: Box<[T]>,
    next: usize,
    count: usize,
    sum: T::Sum,
}

impl<T: Summable> Sma<T> {
    /// An empty average over `period` values.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        let p = check_period(period)?;
        Ok(Self {
            buf: vec![T::zero(); p].into_boxed_slice(),
            next: 0,
            count: 0,
            sum: T::new_sum(p),
        })
    }

    /// The window length.
    pub fn period(&self) -> usize {
        self.buf.len()
    }

    /// Adds a value; the average once `period` values have been seen.
    #[inline]
    pub fn update(&mut self, x: T) -> Option<T> {
        if !x.accepts() {
            return self.value();
        }
        // Slots not yet written hold zero, so the same removal works during warm-up.
        let old = std::mem::replace(&mut self.buf[self.next], x);
        T::slide(&mut self.sum, x, old, &self.buf);
        self.next += 1;
        if self.next == self.buf.len() {
            self.next = 0;
        }
        if self.count < self.buf.len() {
            self.count += 1;
        }
        self.value()
    }

    /// The current average, if warmed up (and, for windows of values near the type's limits,
    /// if their sum is representable).
    #[inline]
    pub fn value(&self) -> Option<T> {
        if self.count < self.buf.len() {
            return None;
        }
        T::mean(&self.sum, self.buf.len())
    }

    /// Forgets all values.
    pub fn reset(&mut self) {
        self.buf.fill(T::zero());
        self.next = 0;
        self.count = 0;
        self.sum = T::new_sum(self.buf.len());
    }
}

/// Exponential moving average, seeded with the simple average of the first `period` values.
#[derive(Debug, Clone)]
pub struct Ema {
    period: usize,
    alpha: f64,
    count: usize,
    value: f64,
}

impl Ema {
    /// An empty average with `alpha = 2 / (period + 1)`.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        let p = check_period(period)?;
        Ok(Self {
            period: p,
            alpha: 2.0 / (p as f64 + 1.0),
            count: 0,
            value: 0.0,
        })
    }

    /// The period.
    pub fn period(&self) -> usize {
        self.period
    }

    /// Adds a value; the average once `period` values have been seen.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        if !x.is_finite() {
            return self.value();
        }
        if self.count >= self.period {
            self.value += self.alpha * (x - self.value);
        } else {
            // Warm-up: `value` holds the running sum until the seed is complete.
            self.value += x;
            self.count += 1;
            if self.count == self.period {
                self.value /= self.period as f64;
            }
        }
        self.value()
    }

    /// The current average, if warmed up.
    #[inline]
    pub fn value(&self) -> Option<f64> {
        (self.count >= self.period).then_some(self.value)
    }

    /// Forgets all values.
    pub fn reset(&mut self) {
        self.count = 0;
        self.value = 0.0;
    }
}

/// Wilder's relative strength index, 0-100.
///
/// Needs `period + 1` closes (it works on changes). When there was no movement at all in the
/// averages the value is 50, neither overbought nor oversold.
#[derive(Debug, Clone)]
pub struct Rsi {
    period: usize,
    prev: f64,
    has_prev: bool,
    count: usize,
    avg_gain: f64,
    avg_loss: f64,
}

impl Rsi {
    /// An empty RSI over `period` changes (14 is Wilder's choice).
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        let p = check_period(period)?;
        Ok(Self {
            period: p,
            prev: 0.0,
            has_prev: false,
            count: 0,
            avg_gain: 0.0,
            avg_loss: 0.0,
        })
    }

    /// The period.
    pub fn period(&self) -> usize {
        self.period
    }

    /// Adds a close; the RSI once `period` changes have been seen.
    #[inline]
    pub fn update(&mut self, close: f64) -> Option<f64> {
        if !close.is_finite() {
            return self.value();
        }
        if !self.has_prev {
            self.prev = close;
            self.has_prev = true;
            return None;
        }
        let change = close - self.prev;
        self.prev = close;
        let gain = change.max(0.0);
        let loss = (-change).max(0.0);
        let n = self.period as f64;
        if self.count >= self.period {
            self.avg_gain = (self.avg_gain * (n - 1.0) + gain) / n;
            self.avg_loss = (self.avg_loss * (n - 1.0) + loss) / n;
        } else {
            self.avg_gain += gain;
            self.avg_loss += loss;
            self.count += 1;
            if self.count < self.period {
                return None;
            }
            self.avg_gain /= n;
            self.avg_loss /= n;
        }
        self.value()
    }

    /// The current RSI, if warmed up.
    #[inline]
    pub fn value(&self) -> Option<f64> {
        if self.count < self.period {
            return None;
        }
        // 100 - 100 / (1 + RS) with RS = gain / loss, rearranged to avoid dividing by a zero loss;
        // the ratio is taken first so rounding cannot push the result past 100.
        let total = self.avg_gain + self.avg_loss;
        Some(if total > 0.0 {
            100.0 * (self.avg_gain / total)
        } else {
            50.0
        })
    }

    /// Forgets all values.
    pub fn reset(&mut self) {
        self.prev = 0.0;
        self.has_prev = false;
        self.count = 0;
        self.avg_gain = 0.0;
        self.avg_loss = 0.0;
    }
}

/// Wilder's average true range.
///
/// True range is the largest of high - low, |high - previous close| and |low - previous close|;
/// the first bar, with no previous close, uses high - low.
#[derive(Debug, Clone)]
pub struct Atr {
    period: usize,
    prev_close: f64,
    has_prev: bool,
    count: usize,
    value: f64,
}

impl Atr {
    /// An empty ATR over `period` bars (14 is Wilder's choice).
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        let p = check_period(period)?;
        Ok(Self {
            period: p,
            prev_close: 0.0,
            has_prev: false,
            count: 0,
            value: 0.0,
        })
    }

    /// The period.
    pub fn period(&self) -> usize {
        self.period
    }

    /// Adds a bar; the ATR once `period` bars have been seen. A bar with a non-finite field or
    /// a high below its low is ignored.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        if !(high.is_finite() && low.is_finite() && close.is_finite()) || high < low {
            return self.value();
        }
        let mut tr = high - low;
        if self.has_prev {
            tr = tr
                .max((high - self.prev_close).abs())
                .max((low - self.prev_close).abs());
        }
        self.prev_close = close;
        self.has_prev = true;
        let n = self.period as f64;
        if self.count >= self.period {
            self.value = (self.value * (n - 1.0) + tr) / n;
        } else {
            self.value += tr;
            self.count += 1;
            if self.count == self.period {
                self.value /= n;
            }
        }
        self.value()
    }

    /// The current ATR, if warmed up.
    #[inline]
    pub fn value(&self) -> Option<f64> {
        (self.count >= self.period).then_some(self.value)
    }

    /// Forgets all values.
    pub fn reset(&mut self) {
        self.prev_close = 0.0;
        self.has_prev = false;
        self.count = 0;
        self.value = 0.0;
    }
}

/// The typical price `(high + low + close) / 3`, the usual price input to VWAP for bars.
#[inline]
pub fn typical_price(high: f64, low: f64, close: f64) -> f64 {
    (high + low + close) / 3.0
}

/// Volume-weighted average price since the start of the session.
///
/// Each update carries the session's date (the New York trading date); a new date starts a new
/// average, so a strategy that runs for days needs no explicit reset.
#[derive(Debug, Clone, Default)]
pub struct Vwap {
    session: Option<NaiveDate>,
    price_volume: f64,
    volume: f64,
}

impl Vwap {
    /// An empty VWAP.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a trade or bar; returns the session's VWAP once it has any volume. Zero, negative
    /// or non-finite volume and non-finite prices add nothing.
    #[inline]
    pub fn update(&mut self, session: NaiveDate, price: f64, volume: f64) -> Option<f64> {
        if self.session != Some(session) {
            self.reset();
            self.session = Some(session);
        }
        if price.is_finite() && volume.is_finite() && volume > 0.0 {
            self.price_volume += price * volume;
            self.volume += volume;
        }
        self.value()
    }

    /// The current session's VWAP, if it has volume.
    #[inline]
    pub fn value(&self) -> Option<f64> {
        (self.volume > 0.0).then(|| self.price_volume / self.volume)
    }

    /// The session the current value belongs to.
    pub fn session(&self) -> Option<NaiveDate> {
        self.session
    }

    /// Starts over, as at a session boundary.
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

/// Monotonic queue over a sliding window: the front is always the window's extreme.
///
/// Entries are (bar index, value) in a ring of `period` slots; a new value first drops the
/// front if it left the window, then every entry it dominates from the back, so each value is
/// pushed and popped at most once (O(1) amortized).
#[derive(Debug, Clone)]
struct MonotonicWindow {
    values: Box<[f64]>,
    index: Box<[u64]>,
    head: usize,
    len: usize,
    seen: u64,
    keep_max: bool,
}

impl MonotonicWindow {
    fn new(period: usize, keep_max: bool) -> Result<Self, IndicatorError> {
        let p = check_period(period)?;
        Ok(Self {
            values: vec![0.0; p].into_boxed_slice(),
            index: vec![0; p].into_boxed_slice(),
            head: 0,
            len: 0,
            seen: 0,
            keep_max,
        })
    }

    fn cap(&self) -> usize {
        self.values.len()
    }

    fn slot(&self, offset: usize) -> usize {
        let i = self.head + offset;
        if i >= self.cap() { i - self.cap() } else { i }
    }

    #[inline]
    fn update(&mut self, x: f64) -> Option<f64> {
        if !x.is_finite() {
            return self.value();
        }
        let t = self.seen;
        self.seen += 1;
        let period = self.cap() as u64;
        if self.len > 0 && self.index[self.head] + period <= t {
            self.head = self.slot(1);
            self.len -= 1;
        }
        while self.len > 0 {
            let back = self.values[self.slot(self.len - 1)];
            let dominated = if self.keep_max { back <= x } else { back >= x };
            if !dominated {
                break;
            }
            self.len -= 1;
        }
        let s = self.slot(self.len);
        self.values[s] = x;
        self.index[s] = t;
        self.len += 1;
        self.value()
    }

    #[inline]
    fn value(&self) -> Option<f64> {
        (self.seen >= self.cap() as u64).then(|| self.values[self.head])
    }

    fn reset(&mut self) {
        self.head = 0;
        self.len = 0;
        self.seen = 0;
    }
}

/// Highest value of the last `period` values (e.g. for breakouts and Donchian channels).
#[derive(Debug, Clone)]
pub struct Highest(MonotonicWindow);

impl Highest {
    /// An empty window of `period` values.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        MonotonicWindow::new(period, true).map(Self)
    }

    /// Adds a value; the maximum once `period` values have been seen.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        self.0.update(x)
    }

    /// The current maximum, if warmed up.
    pub fn value(&self) -> Option<f64> {
        self.0.value()
    }

    /// Forgets all values.
    pub fn reset(&mut self) {
        self.0.reset();
    }
}

/// Lowest value of the last `period` values.
#[derive(Debug, Clone)]
pub struct Lowest(MonotonicWindow);

impl Lowest {
    /// An empty window of `period` values.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        MonotonicWindow::new(period, false).map(Self)
    }

    /// Adds a value; the minimum once `period` values have been seen.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        self.0.update(x)
    }

    /// The current minimum, if warmed up.
    pub fn value(&self) -> Option<f64> {
        self.0.value()
    }

    /// Forgets all values.
    pub fn reset(&mut self) {
        self.0.reset();
    }
}

/// Direction of a crossover of series `a` over series `b`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cross {
    /// `a` went from below `b` to above it.
    Above,
    /// `a` went from above `b` to below it.
    Below,
}

/// Detects when one series crosses another (e.g. a fast average over a slow one, or a value
/// over a fixed level): the crate's one crossover rule, used by every strategy it ships.
///
/// A cross is reported on the bar where the sign of `a - b` changes. **A tie is not a cross**:
/// bars where the two are equal are skipped rather than counted as a side, so touching and
/// turning back is not a cross, and passing through equality reports once, on the bar that lands
/// on the other side. The first comparison never reports: there is no earlier side to have
/// crossed from. This is backtrader's `CrossOver` rule (it compares against the last non-zero
/// difference).
///
/// Any ordered type works: `f64` (values that do not compare, NaN, are skipped like ties),
/// `Decimal`, integers. Compare decimal prices, or [`Sma<Decimal>`](Sma) averages of them, when a
/// tie must be recognised as one: two `f64` figures that are equal in decimal arithmetic can
/// differ in their last bit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Crossover {
    /// -1 below, +1 above, 0 not yet known.
    side: i8,
}

impl Crossover {
    /// A detector with no history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Compares this bar's values; `Some` on the bar of a cross.
    #[inline]
    pub fn update<T: PartialOrd>(&mut self, a: T, b: T) -> Option<Cross> {
        let side = match a.partial_cmp(&b)? {
            std::cmp::Ordering::Greater => 1,
            std::cmp::Ordering::Less => -1,
            // Equal: no information about the side.
            std::cmp::Ordering::Equal => return None,
        };
        let cross = match (self.side, side) {
            (-1, 1) => Some(Cross::Above),
            (1, -1) => Some(Cross::Below),
            _ => None,
        };
        self.side = side;
        cross
    }

    /// The side `a` was on at the last comparison that was not a tie: `Some(true)` above,
    /// `Some(false)` below, `None` before any.
    pub fn above(&self) -> Option<bool> {
        match self.side {
            1 => Some(true),
            -1 => Some(false),
            _ => None,
        }
    }

    /// Forgets the last side.
    pub fn reset(&mut self) {
        self.side = 0;
    }
}

#[cfg(test)]
mod tests;
