use super::*;
use proptest::prelude::*;

// ---- Independent batch references (whole-slice computations, no streaming state) ----

fn naive_sma(xs: &[f64], p: usize) -> Vec<Option<f64>> {
    (0..xs.len())
        .map(|i| (i + 1 >= p).then(|| xs[i + 1 - p..=i].iter().sum::<f64>() / p as f64))
        .collect()
}

/// Closed form of the seeded EMA: the seed decayed by (1-a)^k plus each later value weighted
/// a(1-a)^(t-k), summed directly rather than recursively.
fn naive_ema(xs: &[f64], p: usize) -> Vec<Option<f64>> {
    let a = 2.0 / (p as f64 + 1.0);
    (0..xs.len())
        .map(|t| {
            if t + 1 < p {
                return None;
            }
            let seed = xs[..p].iter().sum::<f64>() / p as f64;
            let steps = (t + 1 - p) as i32;
            let mut v = seed * (1.0 - a).powi(steps);
            for (k, x) in xs.iter().enumerate().take(t + 1).skip(p) {
                v += a * (1.0 - a).powi((t - k) as i32) * x;
            }
            Some(v)
        })
        .collect()
}

/// Wilder's RSI in the textbook form 100 - 100 / (1 + RS), from arrays of gains and losses.
fn naive_rsi(xs: &[f64], p: usize) -> Vec<Option<f64>> {
    let mut out = vec![None; xs.len()];
    if xs.len() <= p {
        return out;
    }
    let gains: Vec<f64> = xs.windows(2).map(|w| (w[1] - w[0]).max(0.0)).collect();
    let losses: Vec<f64> = xs.windows(2).map(|w| (w[0] - w[1]).max(0.0)).collect();
    let n = p as f64;
    let mut g = gains[..p].iter().sum::<f64>() / n;
    let mut l = losses[..p].iter().sum::<f64>() / n;
    let rsi = |g: f64, l: f64| {
        if l == 0.0 {
            if g == 0.0 { 50.0 } else { 100.0 }
        } else {
            100.0 - 100.0 / (1.0 + g / l)
        }
    };
    out[p] = Some(rsi(g, l));
    for i in p..gains.len() {
        g = (g * (n - 1.0) + gains[i]) / n;
        l = (l * (n - 1.0) + losses[i]) / n;
        out[i + 1] = Some(rsi(g, l));
    }
    out
}

fn naive_atr(bars: &[(f64, f64, f64)], p: usize) -> Vec<Option<f64>> {
    let tr: Vec<f64> = bars
        .iter()
        .enumerate()
        .map(|(i, &(h, l, _))| {
            if i == 0 {
                h - l
            } else {
                let pc = bars[i - 1].2;
                [h - l, (h - pc).abs(), (l - pc).abs()]
                    .into_iter()
                    .fold(f64::MIN, f64::max)
            }
        })
        .collect();
    let mut out = vec![None; bars.len()];
    if bars.len() < p {
        return out;
    }
    let n = p as f64;
    let mut atr = tr[..p].iter().sum::<f64>() / n;
    out[p - 1] = Some(atr);
    for i in p..tr.len() {
        atr = (atr * (n - 1.0) + tr[i]) / n;
        out[i] = Some(atr);
    }
    out
}

fn naive_extreme(xs: &[f64], p: usize, max: bool) -> Vec<Option<f64>> {
    (0..xs.len())
        .map(|i| {
            (i + 1 >= p).then(|| {
                let w = xs[i + 1 - p..=i].iter().copied();
                if max {
                    w.fold(f64::MIN, f64::max)
                } else {
                    w.fold(f64::MAX, f64::min)
                }
            })
        })
        .collect()
}

/// A deterministic random-walk price series (xorshift), so reference tests are reproducible.
fn walk(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed | 1;
    let mut price = 100.0;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let step = (s % 2001) as f64 / 1000.0 - 1.0; // -1.0..=1.0
            price = (price + step).max(1.0);
            price
        })
        .collect()
}

fn assert_series(got: &[Option<f64>], want: &[Option<f64>], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        match (g, w) {
            (None, None) => {}
            (Some(g), Some(w)) => {
                assert!(
                    (g - w).abs() <= tol * w.abs().max(1.0),
                    "{what}[{i}]: {g} vs {w}"
                )
            }
            _ => panic!("{what}[{i}]: warm-up differs: {g:?} vs {w:?}"),
        }
    }
}

fn run(xs: &[f64], mut f: impl FnMut(f64) -> Option<f64>) -> Vec<Option<f64>> {
    xs.iter().map(|&x| f(x)).collect()
}

// ---- Hand-worked examples ----

#[test]
fn sma_and_ema_hand_worked() {
    let mut sma = Sma::new(3).unwrap();
    assert_eq!(
        run(&[1.0, 2.0, 3.0, 4.0, 5.0], |x| sma.update(x)),
        [None, None, Some(2.0), Some(3.0), Some(4.0)]
    );
    // alpha = 2 / (3 + 1) = 0.5; seed (2 + 4 + 6) / 3 = 4; then 4 + 0.5 (8 - 4) = 6,
    // 6 + 0.5 (12 - 6) = 9.
    let mut ema = Ema::new(3).unwrap();
    assert_eq!(
        run(&[2.0, 4.0, 6.0, 8.0, 12.0], |x| ema.update(x)),
        [None, None, Some(4.0), Some(6.0), Some(9.0)]
    );
    assert_eq!(ema.value(), Some(9.0));
    // Period 1 follows the input.
    let mut e1 = Ema::new(1).unwrap();
    assert_eq!(e1.update(7.0), Some(7.0));
    assert_eq!(e1.update(3.0), Some(3.0));
}

/// The RSI(14) worksheet of StockCharts' ChartSchool (the widely reproduced example of
/// Wilder's method): closes and the published RSI values, to two decimals.
#[test]
fn rsi_matches_published_worksheet() {
    let closes = [
        44.3389, 44.0902, 44.1497, 43.6124, 44.3278, 44.8264, 45.0955, 45.4245, 45.8433, 46.0826,
        45.8931, 46.0328, 45.6140, 46.2820, 46.2820, 46.0028, 46.0328, 46.4116, 46.2222, 45.6439,
        46.2122, 46.2521, 45.7137, 46.4515, 45.7835, 45.3548, 44.0288, 44.1783, 44.2181, 44.5672,
        43.4205, 42.6628, 43.1314,
    ];
    let published = [
        70.53, 66.32, 66.55, 69.41, 66.36, 57.97, 62.93, 63.26, 56.06, 62.38, 54.71, 50.42, 39.99,
        41.46, 41.87, 45.46, 37.30, 33.08, 37.77,
    ];
    let mut rsi = Rsi::new(14).unwrap();
    let got = run(&closes, |x| rsi.update(x));
    assert!(got[..14].iter().all(Option::is_none));
    for (g, want) in got[14..].iter().zip(published) {
        let g = g.unwrap();
        assert!((g - want).abs() < 0.005, "{g} vs {want}");
    }
}

#[test]
fn rsi_edges() {
    let mut up = Rsi::new(3).unwrap();
    assert_eq!(
        run(&[1.0, 2.0, 3.0, 4.0], |x| up.update(x)).last(),
        Some(&Some(100.0))
    );
    let mut down = Rsi::new(3).unwrap();
    assert_eq!(
        run(&[4.0, 3.0, 2.0, 1.0], |x| down.update(x)).last(),
        Some(&Some(0.0))
    );
    let mut flat = Rsi::new(3).unwrap();
    assert_eq!(run(&[5.0; 6], |x| flat.update(x)).last(), Some(&Some(50.0)));
    // Period 2: changes +2, -1 -> gains 1.0 avg, losses 0.5 avg -> 100 * 1 / 1.5.
    let mut r = Rsi::new(2).unwrap();
    let v = run(&[10.0, 12.0, 11.0], |x| r.update(x))[2].unwrap();
    assert!((v - 200.0 / 3.0).abs() < 1e-12);
    r.reset();
    assert_eq!(r.value(), None);
    assert_eq!(r.update(1.0), None);
}

#[test]
fn atr_hand_worked() {
    let bars = [
        (10.0, 8.0, 9.0),
        (11.0, 9.0, 10.0),
        (12.0, 10.0, 11.5),
        (11.0, 7.0, 8.0),
        (9.0, 8.0, 8.5),
    ];
    let mut atr = Atr::new(3).unwrap();
    let got: Vec<_> = bars.iter().map(|&(h, l, c)| atr.update(h, l, c)).collect();
    // TRs 2, 2, 2 -> 2; then TR 4.5 (gap below the 11.5 close) -> (2*2 + 4.5) / 3; then TR 1.
    assert_eq!(got[..2], [None, None]);
    assert_eq!(got[2], Some(2.0));
    assert!((got[3].unwrap() - 8.5 / 3.0).abs() < 1e-12);
    assert!((got[4].unwrap() - 20.0 / 9.0).abs() < 1e-12);
    // A bar with high below low is ignored.
    assert_eq!(atr.update(1.0, 2.0, 1.5), got[4]);
}

#[test]
fn vwap_resets_each_session() {
    let d1 = NaiveDate::from_ymd_opt(2024, 3, 8).unwrap();
    let d2 = NaiveDate::from_ymd_opt(2024, 3, 11).unwrap();
    let mut v = Vwap::new();
    assert_eq!(v.value(), None);
    assert_eq!(v.update(d1, 10.0, 0.0), None);
    assert_eq!(v.update(d1, 10.0, 100.0), Some(10.0));
    assert_eq!(v.update(d1, 11.0, 300.0), Some(10.75)); // (1000 + 3300) / 400
    assert_eq!(v.update(d1, f64::NAN, 50.0), Some(10.75));
    assert_eq!(v.update(d2, 20.0, 50.0), Some(20.0));
    assert_eq!(v.session(), Some(d2));
    assert_eq!(typical_price(12.0, 9.0, 10.5), 10.5);
}

#[test]
fn highest_and_lowest_hand_worked() {
    let xs = [5.0, 1.0, 4.0, 2.0, 3.0, 6.0];
    let mut hi = Highest::new(3).unwrap();
    let mut lo = Lowest::new(3).unwrap();
    assert_eq!(
        run(&xs, |x| hi.update(x)),
        [None, None, Some(5.0), Some(4.0), Some(4.0), Some(6.0)]
    );
    assert_eq!(
        run(&xs, |x| lo.update(x)),
        [None, None, Some(1.0), Some(1.0), Some(2.0), Some(2.0)]
    );
    hi.reset();
    assert_eq!(hi.value(), None);
}

#[test]
fn crossover_hand_worked() {
    let a = [1.0, 2.0, 3.0, 3.0, 2.0, 1.0, 2.0, 2.0];
    let b = [2.0, 2.0, 2.0, 3.0, 3.0, 3.0, 1.0, f64::NAN];
    let mut c = Crossover::new();
    let got: Vec<_> = a.iter().zip(&b).map(|(&a, &b)| c.update(a, b)).collect();
    use Cross::*;
    assert_eq!(
        got,
        [
            None,
            None,
            Some(Above),
            None,
            Some(Below),
            None,
            Some(Above),
            None
        ]
    );
    // Touch and turn back is not a cross.
    let mut c = Crossover::new();
    assert_eq!(c.update(1.0, 2.0), None);
    assert_eq!(c.update(2.0, 2.0), None);
    assert_eq!(c.update(1.0, 2.0), None);
}

#[test]
fn crossover_compares_decimals_and_reports_its_side() {
    use rust_decimal_macros::dec;
    let mut c = Crossover::new();
    assert_eq!(c.above(), None);
    assert_eq!(c.update(dec!(11.37), dec!(11.38)), None);
    assert_eq!(c.above(), Some(false));
    // An exact tie after "below" is not a cross, and does not change the side.
    assert_eq!(c.update(dec!(11.375), dec!(11.3750)), None);
    assert_eq!(c.above(), Some(false));
    assert_eq!(c.update(dec!(11.433), dec!(11.394)), Some(Cross::Above));
    // A tie after "above" is not a cross down either.
    assert_eq!(c.update(dec!(2), dec!(2)), None);
    assert_eq!(c.update(dec!(3), dec!(2)), None);
    assert_eq!(c.above(), Some(true));
}

#[test]
fn zero_and_huge_periods_are_errors() {
    assert_eq!(Sma::<f64>::new(0).unwrap_err(), IndicatorError::ZeroPeriod);
    assert_eq!(Ema::new(0).unwrap_err(), IndicatorError::ZeroPeriod);
    assert_eq!(Rsi::new(0).unwrap_err(), IndicatorError::ZeroPeriod);
    assert_eq!(Atr::new(0).unwrap_err(), IndicatorError::ZeroPeriod);
    assert!(Highest::new(0).is_err() && Lowest::new(0).is_err());
    assert_eq!(
        Sma::<f64>::new(usize::MAX).unwrap_err(),
        IndicatorError::PeriodTooLarge(usize::MAX)
    );
}

#[test]
fn non_finite_inputs_are_ignored() {
    let xs = [1.0, f64::NAN, 2.0, f64::INFINITY, 3.0, 4.0];
    let clean = [1.0, 2.0, 3.0, 4.0];
    let mut a = Sma::new(2).unwrap();
    let mut b = Sma::new(2).unwrap();
    run(&xs, |x| a.update(x));
    run(&clean, |x| b.update(x));
    assert_eq!(a.value(), b.value());
    let mut a = Rsi::new(2).unwrap();
    let mut b = Rsi::new(2).unwrap();
    run(&xs, |x| a.update(x));
    run(&clean, |x| b.update(x));
    assert_eq!(a.value(), b.value());
    let mut a = Ema::new(2).unwrap();
    assert_eq!(a.update(f64::NAN), None);
    let mut h = Highest::new(1).unwrap();
    assert_eq!(h.update(f64::NEG_INFINITY), None);
}

// ---- Reference series ----

#[test]
fn streaming_matches_batch_on_a_long_series() {
    let xs = walk(20_000, 42);
    for p in [1, 2, 5, 14, 50, 200] {
        let mut sma = Sma::new(p).unwrap();
        assert_series(
            &run(&xs, |x| sma.update(x)),
            &naive_sma(&xs, p),
            1e-10,
            "sma",
        );
        let mut rsi = Rsi::new(p).unwrap();
        assert_series(
            &run(&xs, |x| rsi.update(x)),
            &naive_rsi(&xs, p),
            1e-9,
            "rsi",
        );
        let mut hi = Highest::new(p).unwrap();
        assert_series(
            &run(&xs, |x| hi.update(x)),
            &naive_extreme(&xs, p, true),
            0.0,
            "highest",
        );
        let mut lo = Lowest::new(p).unwrap();
        assert_series(
            &run(&xs, |x| lo.update(x)),
            &naive_extreme(&xs, p, false),
            0.0,
            "lowest",
        );
    }
    // The closed-form EMA is O(n^2); a shorter prefix is enough.
    let short = &xs[..600];
    for p in [1, 3, 14, 50] {
        let mut ema = Ema::new(p).unwrap();
        assert_series(
            &run(short, |x| ema.update(x)),
            &naive_ema(short, p),
            1e-9,
            "ema",
        );
    }
    let bars: Vec<_> = xs
        .windows(2)
        .map(|w| {
            let (o, c) = (w[0], w[1]);
            (o.max(c) + 0.3, o.min(c) - 0.2, c)
        })
        .collect();
    for p in [1, 14] {
        let mut atr = Atr::new(p).unwrap();
        let got: Vec<_> = bars.iter().map(|&(h, l, c)| atr.update(h, l, c)).collect();
        assert_series(&got, &naive_atr(&bars, p), 1e-9, "atr");
    }
}

/// The exact sum of some doubles of at least 2^-52 in magnitude, in units of 2^-52, rounded
/// once to a double: an independent reference for the average of a window.
fn exact_mean(xs: &[f64]) -> f64 {
    let units: i128 = xs
        .iter()
        .map(|&x| {
            let scaled = x * 2f64.powi(52); // exact: a power of two
            assert_eq!(scaled.fract(), 0.0, "{x} is not a multiple of 2^-52");
            scaled as i128
        })
        .sum();
    // i128 -> f64 rounds to nearest, ties to even; the scaling back is exact again.
    (units as f64) * 2f64.powi(-52) / xs.len() as f64
}

#[test]
fn sma_is_the_correctly_rounded_mean_of_its_window_however_long_the_series() {
    // A million steps of a thousandth: none of the prices is a short binary fraction, so a
    // running total would have picked up rounding errors at every step.
    let xs = walk(1_000_000, 7);
    for p in [3, 10, 20, 30] {
        let mut sma = Sma::new(p).unwrap();
        for (i, &x) in xs.iter().enumerate() {
            let got = sma.update(x);
            if i + 1 >= p && (i % 49_999 == 0 || i + 1 == xs.len()) {
                let want = exact_mean(&xs[i + 1 - p..=i]);
                assert_eq!(
                    got.map(f64::to_bits),
                    Some(want.to_bits()),
                    "period {p}, bar {i}: {got:?} vs {want}"
                );
            }
        }
    }
}

#[test]
fn sma_rounds_halfway_sums_to_even() {
    // 2^53 + 1 is halfway between two doubles: the exact sum must round to the even one, and
    // a component further down (+2^-20) must push it up instead.
    let big = 2f64.powi(53);
    let mut sma = Sma::new(3).unwrap();
    sma.update(big);
    sma.update(1.0);
    assert_eq!(sma.update(0.0).unwrap() * 3.0, big);
    let mut sma = Sma::new(3).unwrap();
    sma.update(big);
    sma.update(1.0);
    assert_eq!(sma.update(2f64.powi(-20)).unwrap() * 3.0, big + 2.0);
    // Cancellation leaves no residue: the window forgets a huge value entirely.
    let mut sma = Sma::new(2).unwrap();
    for x in [1e300, 1.0, 2.0] {
        sma.update(x);
    }
    assert_eq!(sma.value(), Some(1.5));
}

#[test]
fn sma_of_a_sum_beyond_f64_max_has_no_value_and_recovers() {
    let mut sma = Sma::new(2).unwrap();
    sma.update(f64::MAX);
    assert_eq!(sma.update(f64::MAX), None, "the sum overflows f64");
    assert_eq!(sma.update(1.0), Some((f64::MAX + 1.0) / 2.0));
    assert_eq!(sma.update(3.0), Some(2.0));
}

#[test]
fn decimal_sma_is_exact_and_ties_are_ties() {
    use rust_decimal::Decimal;
    use rust_decimal_macros::dec;
    // Closes whose 2-bar and 4-bar averages are both exactly 11.6 on the last bar.
    let closes = [dec!(11.26), dec!(11.94), dec!(11.15), dec!(12.05)];
    let mut fast: Sma<Decimal> = Sma::new(2).unwrap();
    let mut slow: Sma<Decimal> = Sma::new(4).unwrap();
    let mut last = None;
    for c in closes {
        last = fast.update(c).zip(slow.update(c));
    }
    assert_eq!(last, Some((dec!(11.6), dec!(11.6))));
    // The same prices as doubles: each average is correctly rounded, yet 11.6 is no double
    // and the two land on different sides of it.
    let (mut f, mut s) = (Sma::new(2).unwrap(), Sma::new(4).unwrap());
    for c in closes {
        f.update(crate::num::to_f64(c));
        s.update(crate::num::to_f64(c));
    }
    assert_eq!(f.value(), Some(11.600000000000001));
    assert_eq!(s.value(), Some(11.6));

    // A sum too large for 28 digits has no exact value; it comes back once the window allows.
    let mut big: Sma<Decimal> = Sma::new(2).unwrap();
    big.update(Decimal::MAX);
    assert_eq!(big.update(Decimal::MAX), None);
    assert_eq!(big.update(dec!(1)), None, "MAX + 1 overflows too");
    assert_eq!(big.update(dec!(3)), Some(dec!(2)));
    // Adding 0.1 to 28 digits would round it away: no inexact figure is carried forward.
    let mut fine: Sma<Decimal> = Sma::new(2).unwrap();
    fine.update(dec!(10000000000000000000000000000));
    assert_eq!(fine.update(dec!(0.1)), None);
    assert_eq!(fine.update(dec!(0.3)), Some(dec!(0.2)));
}

#[test]
fn reset_starts_over() {
    let xs = walk(50, 3);
    let mut sma = Sma::new(5).unwrap();
    let mut ema = Ema::new(5).unwrap();
    let mut atr = Atr::new(5).unwrap();
    run(&xs, |x| sma.update(x));
    run(&xs, |x| ema.update(x));
    run(&xs, |x| atr.update(x + 1.0, x - 1.0, x));
    sma.reset();
    ema.reset();
    atr.reset();
    assert_eq!((sma.value(), ema.value(), atr.value()), (None, None, None));
    assert_eq!(run(&xs[..5], |x| sma.update(x)), naive_sma(&xs[..5], 5));
    assert_eq!((sma.period(), ema.period(), atr.period()), (5, 5, 5));
}

proptest! {
    #[test]
    fn indicators_match_batch_references(
        xs in proptest::collection::vec(1.0f64..1000.0, 0..150),
        p in 1usize..20,
    ) {
        let mut sma = Sma::new(p).unwrap();
        assert_series(&run(&xs, |x| sma.update(x)), &naive_sma(&xs, p), 1e-9, "sma");
        let mut ema = Ema::new(p).unwrap();
        assert_series(&run(&xs, |x| ema.update(x)), &naive_ema(&xs, p), 1e-9, "ema");
        let mut rsi = Rsi::new(p).unwrap();
        assert_series(&run(&xs, |x| rsi.update(x)), &naive_rsi(&xs, p), 1e-9, "rsi");
        let mut hi = Highest::new(p).unwrap();
        assert_series(&run(&xs, |x| hi.update(x)), &naive_extreme(&xs, p, true), 0.0, "highest");
        let mut lo = Lowest::new(p).unwrap();
        assert_series(&run(&xs, |x| lo.update(x)), &naive_extreme(&xs, p, false), 0.0, "lowest");
        if let Some(v) = rsi.value() {
            prop_assert!((0.0..=100.0).contains(&v), "rsi {v}");
        }
    }

    /// Values from 2^-60 to 2^60 in magnitude, so that the grid and the expansion both take
    /// part, against an exact sum in units of 2^-60.
    #[test]
    fn sma_is_exact_across_magnitudes(
        xs in proptest::collection::vec((-(1i64 << 20)..(1i64 << 20), -60i32..40), 1..60),
        p in 1usize..8,
    ) {
        let values: Vec<f64> = xs.iter().map(|&(k, e)| k as f64 * 2f64.powi(e)).collect();
        let mut sma = Sma::new(p).unwrap();
        for (i, &x) in values.iter().enumerate() {
            let got = sma.update(x);
            if i + 1 < p {
                prop_assert_eq!(got, None);
                continue;
            }
            let units: i128 = xs[i + 1 - p..=i]
                .iter()
                .map(|&(k, e)| i128::from(k) << (e + 60))
                .sum();
            let want = (units as f64) * 2f64.powi(-60) / p as f64;
            prop_assert_eq!(got.map(f64::to_bits), Some(want.to_bits()), "{:?} vs {}", got, want);
        }
    }

    #[test]
    fn crossover_matches_sign_changes(pairs in proptest::collection::vec((-3i32..3, -3i32..3), 0..80)) {
        let mut c = Crossover::new();
        let mut last = 0i32;
        for &(a, b) in &pairs {
            let got = c.update(f64::from(a), f64::from(b));
            let s = (a - b).signum();
            let want = match (last, s) {
                (-1, 1) => Some(Cross::Above),
                (1, -1) => Some(Cross::Below),
                _ => None,
            };
            if s != 0 {
                last = s;
            }
            prop_assert_eq!(got, want);
        }
    }
}
