//! Bar patterns of "The Strat" (Rob Smith's bar-numbering method), as pure functions.
//!
//! Every bar is numbered against the bar before it:
//! - **1** (inside): it does not take out either side of the previous bar's range;
//! - **2U** / **2D** (directional): it takes out the previous high only / the previous low only;
//! - **3** (outside): it takes out both sides.
//!
//! A *setup* is a sequence ending in a directional bar that breaks the bar before it (the
//! *trigger level*). [`detect`] reports the setup completed by the last bar:
//!
//! | setup | bars (bullish / bearish) | entry | target | stop |
//! | --- | --- | --- | --- | --- |
//! | 2-1-2 | 2 · 1 · 2U / 2D | inside bar's high / low | high / low of the bar before the inside bar | inside bar's low / high |
//! | 3-1-2 | 3 · 1 · 2U / 2D | inside bar's high / low | the outside bar's high / low | inside bar's low / high |
//! | 2-2 reversal | 2D · 2U / 2U · 2D | the reversed bar's high / low | high / low of the bar before it | the reversed bar's low / high |
//! | 3-2-2 | 3 · 2D · 2U / 3 · 2U · 2D | the middle bar's high / low | the outside bar's high / low | the middle bar's low / high |
//!
//! "Target at the prior bar's extreme, stop at the opposite side." Setups whose target is not
//! beyond the entry are not reported (nothing to gain). Filter by magnitude and reward:risk with
//! [`crate::risk::filters`].

use rust_decimal::Decimal;
use std::fmt;

/// Anything with a high and a low.
pub trait PriceRange {
    /// The high.
    fn high(&self) -> Decimal;
    /// The low.
    fn low(&self) -> Decimal;
}

impl PriceRange for crate::data::Bar {
    fn high(&self) -> Decimal {
        self.high
    }
    fn low(&self) -> Decimal {
        self.low
    }
}

impl PriceRange for (Decimal, Decimal) {
    fn high(&self) -> Decimal {
        self.0
    }
    fn low(&self) -> Decimal {
        self.1
    }
}

/// The Strat number of a bar relative to the previous one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BarType {
    /// Inside bar: within the previous range (equal extremes count as inside).
    Inside,
    /// Takes out the previous high only.
    TwoUp,
    /// Takes out the previous low only.
    TwoDown,
    /// Takes out both extremes.
    Outside,
}

impl fmt::Display for BarType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BarType::Inside => "1",
            BarType::TwoUp => "2U",
            BarType::TwoDown => "2D",
            BarType::Outside => "3",
        })
    }
}

/// Numbers `bar` against `prev`.
pub fn classify(prev: &impl PriceRange, bar: &impl PriceRange) -> BarType {
    match (bar.high() > prev.high(), bar.low() < prev.low()) {
        (true, true) => BarType::Outside,
        (true, false) => BarType::TwoUp,
        (false, true) => BarType::TwoDown,
        (false, false) => BarType::Inside,
    }
}

/// Which pattern completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetupKind {
    /// 2-1-2.
    TwoOneTwo,
    /// 3-1-2.
    ThreeOneTwo,
    /// 2-2 reversal.
    TwoTwoReversal,
    /// 3-2-2.
    ThreeTwoTwo,
}

impl fmt::Display for SetupKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SetupKind::TwoOneTwo => "2-1-2",
            SetupKind::ThreeOneTwo => "3-1-2",
            SetupKind::TwoTwoReversal => "2-2 reversal",
            SetupKind::ThreeTwoTwo => "3-2-2",
        })
    }
}

/// Bullish or bearish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Up: trade with calls or long stock.
    Bullish,
    /// Down: trade with puts.
    Bearish,
}

/// A completed setup with its levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setup {
    /// The pattern.
    pub kind: SetupKind,
    /// Its direction.
    pub direction: Direction,
    /// The trigger level the last bar broke.
    pub entry: Decimal,
    /// Where the move is expected to reach.
    pub target: Decimal,
    /// Where the setup is invalidated.
    pub stop: Decimal,
}

impl Setup {
    /// Expected move as a fraction of the entry, `|target - entry| / entry`.
    pub fn magnitude(&self) -> Decimal {
        if self.entry.is_zero() {
            return Decimal::ZERO;
        }
        ((self.target - self.entry) / self.entry).abs()
    }

    /// Reward over risk, `|target - entry| / |entry - stop|`; `None` when the risk is zero.
    pub fn reward_risk(&self) -> Option<Decimal> {
        let risk = (self.entry - self.stop).abs();
        (!risk.is_zero()).then(|| (self.target - self.entry).abs() / risk)
    }
}

/// The setup completed by the last bar of `bars` (oldest first), if any. Needs at least four
/// bars (three numbered bars plus the one before them).
pub fn detect<B: PriceRange>(bars: &[B]) -> Option<Setup> {
    let n = bars.len();
    if n < 4 {
        return None;
    }
    let (b0, b1, b2, b3) = (&bars[n - 4], &bars[n - 3], &bars[n - 2], &bars[n - 1]);
    let t1 = classify(b0, b1);
    let t2 = classify(b1, b2);
    let t3 = classify(b2, b3);
    use BarType::*;
    use Direction::*;
    let (kind, direction, entry, target, stop) = match (t1, t2, t3) {
        (TwoUp | TwoDown, Inside, TwoUp) => (
            SetupKind::TwoOneTwo,
            Bullish,
            b2.high(),
            b1.high(),
            b2.low(),
        ),
        (TwoUp | TwoDown, Inside, TwoDown) => {
            (SetupKind::TwoOneTwo, Bearish, b2.low(), b1.low(), b2.high())
        }
        (Outside, Inside, TwoUp) => (
            SetupKind::ThreeOneTwo,
            Bullish,
            b2.high(),
            b1.high(),
            b2.low(),
        ),
        (Outside, Inside, TwoDown) => (
            SetupKind::ThreeOneTwo,
            Bearish,
            b2.low(),
            b1.low(),
            b2.high(),
        ),
        (Outside, TwoDown, TwoUp) => (
            SetupKind::ThreeTwoTwo,
            Bullish,
            b2.high(),
            b1.high(),
            b2.low(),
        ),
        (Outside, TwoUp, TwoDown) => (
            SetupKind::ThreeTwoTwo,
            Bearish,
            b2.low(),
            b1.low(),
            b2.high(),
        ),
        (_, TwoDown, TwoUp) => (
            SetupKind::TwoTwoReversal,
            Bullish,
            b2.high(),
            b1.high(),
            b2.low(),
        ),
        (_, TwoUp, TwoDown) => (
            SetupKind::TwoTwoReversal,
            Bearish,
            b2.low(),
            b1.low(),
            b2.high(),
        ),
        _ => return None,
    };
    let gain = match direction {
        Bullish => target > entry,
        Bearish => target < entry,
    };
    gain.then_some(Setup {
        kind,
        direction,
        entry,
        target,
        stop,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn r(h: Decimal, l: Decimal) -> (Decimal, Decimal) {
        (h, l)
    }

    #[test]
    fn classification() {
        let prev = r(dec!(10), dec!(5));
        assert_eq!(
            classify(&prev, &r(dec!(10), dec!(5))),
            BarType::Inside,
            "equal is inside"
        );
        assert_eq!(classify(&prev, &r(dec!(9), dec!(6))), BarType::Inside);
        assert_eq!(classify(&prev, &r(dec!(11), dec!(6))), BarType::TwoUp);
        assert_eq!(classify(&prev, &r(dec!(9), dec!(4))), BarType::TwoDown);
        assert_eq!(classify(&prev, &r(dec!(11), dec!(4))), BarType::Outside);
        assert_eq!(BarType::TwoUp.to_string(), "2U");
    }

    #[test]
    fn bullish_and_bearish_2_1_2() {
        // base, 2U (high 12), inside (11 / 9), 2U breaking 11.
        let bars = [
            r(dec!(10), dec!(8)),
            r(dec!(12), dec!(9)),
            r(dec!(11), dec!(9.5)),
            r(dec!(11.5), dec!(10)),
        ];
        let s = detect(&bars).unwrap();
        assert_eq!(
            (s.kind, s.direction),
            (SetupKind::TwoOneTwo, Direction::Bullish)
        );
        assert_eq!((s.entry, s.target, s.stop), (dec!(11), dec!(12), dec!(9.5)));
        assert_eq!(s.reward_risk(), Some(dec!(1) / dec!(1.5)));
        assert_eq!(s.magnitude(), dec!(1) / dec!(11));
        // base, 2D (low 8), inside, 2D breaking the inside low.
        let bars = [
            r(dec!(10), dec!(9)),
            r(dec!(9.5), dec!(8)),
            r(dec!(9.4), dec!(8.5)),
            r(dec!(9), dec!(8.2)),
        ];
        let s = detect(&bars).unwrap();
        assert_eq!(
            (s.kind, s.direction),
            (SetupKind::TwoOneTwo, Direction::Bearish)
        );
        assert_eq!((s.entry, s.target, s.stop), (dec!(8.5), dec!(8), dec!(9.4)));
    }

    #[test]
    fn three_one_two_and_three_two_two() {
        let bars = [
            r(dec!(10), dec!(9)),
            r(dec!(11), dec!(8)),
            r(dec!(10.5), dec!(8.5)),
            r(dec!(10.8), dec!(9)),
        ];
        let s = detect(&bars).unwrap();
        assert_eq!(
            (s.kind, s.direction),
            (SetupKind::ThreeOneTwo, Direction::Bullish)
        );
        assert_eq!(
            (s.entry, s.target, s.stop),
            (dec!(10.5), dec!(11), dec!(8.5))
        );
        // outside, 2D, 2U.
        let bars = [
            r(dec!(10), dec!(9)),
            r(dec!(11), dec!(8)),
            r(dec!(10), dec!(7.5)),
            r(dec!(10.5), dec!(8)),
        ];
        let s = detect(&bars).unwrap();
        assert_eq!(
            (s.kind, s.direction),
            (SetupKind::ThreeTwoTwo, Direction::Bullish)
        );
        assert_eq!((s.entry, s.target, s.stop), (dec!(10), dec!(11), dec!(7.5)));
        // outside, 2U, 2D.
        let bars = [
            r(dec!(10), dec!(9)),
            r(dec!(11), dec!(8)),
            r(dec!(11.5), dec!(8.5)),
            r(dec!(11), dec!(8.2)),
        ];
        let s = detect(&bars).unwrap();
        assert_eq!(
            (s.kind, s.direction),
            (SetupKind::ThreeTwoTwo, Direction::Bearish)
        );
        assert_eq!(
            (s.entry, s.target, s.stop),
            (dec!(8.5), dec!(8), dec!(11.5))
        );
    }

    #[test]
    fn two_two_reversals() {
        // 2U base, 2D (reversed bar 10.5 / 8.8), 2U breaking 10.5; target = high before it (11).
        let bars = [
            r(dec!(10), dec!(9)),
            r(dec!(11), dec!(9.5)),
            r(dec!(10.5), dec!(8.8)),
            r(dec!(10.7), dec!(9)),
        ];
        let s = detect(&bars).unwrap();
        assert_eq!(
            (s.kind, s.direction),
            (SetupKind::TwoTwoReversal, Direction::Bullish)
        );
        assert_eq!(
            (s.entry, s.target, s.stop),
            (dec!(10.5), dec!(11), dec!(8.8))
        );
        let bars = [
            r(dec!(10), dec!(9)),
            r(dec!(9.8), dec!(8)),
            r(dec!(10.2), dec!(8.5)),
            r(dec!(10), dec!(8.3)),
        ];
        let s = detect(&bars).unwrap();
        assert_eq!(
            (s.kind, s.direction),
            (SetupKind::TwoTwoReversal, Direction::Bearish)
        );
        assert_eq!(
            (s.entry, s.target, s.stop),
            (dec!(8.5), dec!(8), dec!(10.2))
        );
    }

    #[test]
    fn non_setups_are_rejected() {
        // Too few bars.
        assert_eq!(detect(&[r(dec!(1), dec!(0.5)); 3]), None);
        // Three inside bars.
        let bars = [
            r(dec!(10), dec!(5)),
            r(dec!(9), dec!(6)),
            r(dec!(8), dec!(7)),
            r(dec!(7.5), dec!(7.2)),
        ];
        assert_eq!(detect(&bars), None);
        // 2U, 2U, 2U: a trend continuation, not one of the four setups.
        let bars = [
            r(dec!(10), dec!(9)),
            r(dec!(11), dec!(9.5)),
            r(dec!(12), dec!(10)),
            r(dec!(13), dec!(11)),
        ];
        assert_eq!(detect(&bars), None);
        // 2-1 then an outside bar: no directional trigger.
        let bars = [
            r(dec!(10), dec!(9)),
            r(dec!(11), dec!(9.5)),
            r(dec!(10.5), dec!(10)),
            r(dec!(12), dec!(9)),
        ];
        assert_eq!(detect(&bars), None);
        // 2-2 reversal whose target is not beyond the entry (reversed bar's high equals the prior high).
        let bars = [
            r(dec!(10), dec!(9)),
            r(dec!(11), dec!(9.5)),
            r(dec!(11), dec!(8.8)),
            r(dec!(11.2), dec!(9)),
        ];
        assert_eq!(detect(&bars), None);
    }
}
