//! Momentum (intraday): price above the session VWAP on confirming volume.
//!
//! Rules, per symbol, on each closed bar of the regular session (09:30-16:00 New York; bars
//! outside it are ignored):
//! - the **session VWAP** is the volume-weighted average price since the session's first bar,
//!   each bar weighted at its own VWAP when the feed gives one (Alpaca's `vw`), else at its
//!   typical price `(high + low + close) / 3`; it starts afresh every New York date;
//! - the **average volume** is the mean volume of the previous `volume_lookback` bars (the bar
//!   being judged is not part of its own yardstick);
//! - **enter long** when the close is at least `min_vwap_distance` above the VWAP and the bar's
//!   volume is at least `volume_multiple` times the average, once per symbol and session, and
//!   only between `start_after_minutes` after the open (the VWAP needs a few bars) and
//!   `exit_before_close_minutes` before the close;
//! - the signal carries a stop `stop_pct` under the entry and a target `target_pct` above it;
//!   the position monitor exits at the stop, the target, the trailing stop (armed once the
//!   price is `trailing_activation` above the entry, firing `trailing_pct` under the high) and
//!   `exit_before_close_minutes` before the close, so nothing is held overnight.
//!
//! **Confidence** grows with how far price and volume clear their thresholds: 0.5 at the
//! thresholds, plus up to 0.25 as the close rises to [`FULL_PRICE_EXCESS`] beyond the price
//! threshold, plus up to 0.25 as the volume rises to [`FULL_VOLUME_RATIO`] times the required
//! volume; 1.0 when both are that far.

use alpaca_exec::indicators::{Sma, Vwap, typical_price};
use alpaca_exec::strategy::Bar;
use chrono::{DateTime, NaiveDate, Timelike, Utc};
use chrono_tz::America::New_York;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::collections::BTreeMap;

/// How far above the price threshold (as a fraction of the VWAP) earns the full price share of
/// the confidence.
pub const FULL_PRICE_EXCESS: f64 = 0.01;

/// Volume, as a multiple of the required volume, that earns the full volume share of the
/// confidence.
pub const FULL_VOLUME_RATIO: f64 = 2.0;

/// The regular session, in minutes after midnight New York.
const OPEN_MINUTE: u32 = 9 * 60 + 30;
const CLOSE_MINUTE: u32 = 16 * 60;

/// Parameters (validated by the config).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MomentumParams {
    /// Bars in the volume average.
    pub volume_lookback: usize,
    /// Volume needed, as a multiple of the average.
    pub volume_multiple: Decimal,
    /// Distance of the close above the VWAP needed, as a fraction of the VWAP.
    pub min_vwap_distance: Decimal,
    /// Stop distance under the entry, as a fraction.
    pub stop_pct: Decimal,
    /// Target distance above the entry, as a fraction.
    pub target_pct: Decimal,
    /// No entry before this many minutes after the open.
    pub start_after_minutes: u32,
    /// No entry in the last this many minutes (the monitor closes positions then).
    pub exit_before_close_minutes: u32,
}

/// An entry decided by the rules, with the values it was decided on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MomentumEntry {
    /// The close the entry is made at.
    pub entry: Decimal,
    /// Stop level.
    pub stop: Decimal,
    /// Target level.
    pub target: Decimal,
    /// The session VWAP including this bar.
    pub vwap: f64,
    /// The mean volume of the previous `volume_lookback` bars.
    pub avg_volume: f64,
    /// 0.5-1.0; see the module docs.
    pub confidence: f64,
}

#[derive(Debug, Clone)]
struct SymbolState {
    vwap: Vwap,
    volume: Sma,
    session: Option<NaiveDate>,
    entered: bool,
}

/// The rules with their per-symbol state.
#[derive(Debug, Clone)]
pub struct MomentumRules {
    p: MomentumParams,
    volume_multiple: f64,
    min_distance: f64,
    symbols: BTreeMap<String, SymbolState>,
}

impl MomentumRules {
    /// Rules with `p` (`volume_lookback` at least 1, checked by the config).
    pub fn new(p: MomentumParams) -> Self {
        Self {
            p,
            volume_multiple: p.volume_multiple.to_f64().unwrap_or(f64::INFINITY),
            min_distance: p.min_vwap_distance.to_f64().unwrap_or(f64::INFINITY),
            symbols: BTreeMap::new(),
        }
    }

    /// Feeds a closed bar that ended at `closed_at`; returns an entry when the rules fire.
    pub fn on_bar(
        &mut self,
        symbol: &str,
        bar: &Bar,
        closed_at: DateTime<Utc>,
    ) -> Option<MomentumEntry> {
        let start = bar.timestamp.with_timezone(&New_York);
        let start_minute = start.hour() * 60 + start.minute();
        if !(OPEN_MINUTE..CLOSE_MINUTE).contains(&start_minute) {
            return None;
        }
        let date = start.date_naive();
        let lookback = self.p.volume_lookback;
        let st = self
            .symbols
            .entry(symbol.to_owned())
            .or_insert_with(|| SymbolState {
                vwap: Vwap::new(),
                volume: Sma::new(lookback).expect("volume_lookback checked by the config"),
                session: None,
                entered: false,
            });
        if st.session != Some(date) {
            st.session = Some(date);
            st.entered = false;
        }
        let (high, low, close) = (f(bar.high)?, f(bar.low)?, f(bar.close)?);
        let volume = f(bar.volume)?;
        let price = bar
            .vwap
            .and_then(|v| v.to_f64())
            .unwrap_or_else(|| typical_price(high, low, close));
        let vwap = st.vwap.update(date, price, volume);
        // The yardstick is the bars before this one; then this bar joins it.
        let avg_volume = st.volume.value();
        st.volume.update(volume);
        let (vwap, avg_volume) = (vwap?, avg_volume?);
        let end = closed_at.with_timezone(&New_York);
        let end_minute = end.hour() * 60 + end.minute();
        let window = OPEN_MINUTE + self.p.start_after_minutes
            ..CLOSE_MINUTE.saturating_sub(self.p.exit_before_close_minutes);
        if st.entered || !window.contains(&end_minute) || vwap <= 0.0 || avg_volume <= 0.0 {
            return None;
        }
        let price_threshold = vwap * (1.0 + self.min_distance);
        let volume_threshold = avg_volume * self.volume_multiple;
        if close < price_threshold || volume < volume_threshold {
            return None;
        }
        let price_score = ((close - price_threshold) / vwap / FULL_PRICE_EXCESS).clamp(0.0, 1.0);
        let volume_score =
            ((volume / volume_threshold - 1.0) / (FULL_VOLUME_RATIO - 1.0)).clamp(0.0, 1.0);
        let stop = bar.close.checked_mul(Decimal::ONE - self.p.stop_pct)?;
        let target = bar.close.checked_mul(Decimal::ONE + self.p.target_pct)?;
        st.entered = true;
        Some(MomentumEntry {
            entry: bar.close,
            stop,
            target,
            vwap,
            avg_volume,
            confidence: 0.5 + 0.25 * price_score + 0.25 * volume_score,
        })
    }
}

/// A finite `f64` of a price or volume from the feed.
fn f(d: Decimal) -> Option<f64> {
    d.to_f64().filter(|x| x.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use rust_decimal_macros::dec;

    fn params() -> MomentumParams {
        MomentumParams {
            volume_lookback: 3,
            volume_multiple: dec!(1.5),
            min_vwap_distance: dec!(0.001),
            stop_pct: dec!(0.01),
            target_pct: dec!(0.03),
            start_after_minutes: 10,
            exit_before_close_minutes: 10,
        }
    }

    use crate::strategies::march_2024 as t;

    /// A five-minute bar starting at `start`: (high, low, close, volume).
    fn bar(start: DateTime<Utc>, hlcv: (Decimal, Decimal, Decimal, i64)) -> Bar {
        let (h, l, c, v) = hlcv;
        Bar::new(start, c, h, l, c, Decimal::from(v))
    }

    /// Feeds five-minute bars from 09:30 on `day`; returns what each bar gave.
    fn feed(
        r: &mut MomentumRules,
        day: u32,
        bars: &[(Decimal, Decimal, Decimal, i64)],
    ) -> Vec<Option<MomentumEntry>> {
        bars.iter()
            .enumerate()
            .map(|(i, &hlcv)| {
                let start = t(day, 9, 30) + Duration::minutes(5 * i as i64);
                r.on_bar("X", &bar(start, hlcv), start + Duration::minutes(5))
            })
            .collect()
    }

    /// The session VWAP as the test computes it: sum of typical price x volume over the sum of
    /// volume, written out without the library's indicator.
    fn session_vwap(bars: &[(Decimal, Decimal, Decimal, i64)]) -> f64 {
        let mut pv = Decimal::ZERO;
        let mut v = Decimal::ZERO;
        for &(h, l, c, vol) in bars {
            pv += (h + l + c) / dec!(3) * Decimal::from(vol);
            v += Decimal::from(vol);
        }
        (pv / v).to_f64().unwrap()
    }

    /// Quiet bars around 100 on 1,000 shares, then a break to 101 on 2,000 shares.
    fn breakout() -> Vec<(Decimal, Decimal, Decimal, i64)> {
        vec![
            (dec!(100.2), dec!(99.8), dec!(100), 1000),
            (dec!(100.1), dec!(99.7), dec!(99.9), 1000),
            (dec!(100.2), dec!(99.9), dec!(100.1), 1000),
            (dec!(101.2), dec!(100.1), dec!(101), 2000),
        ]
    }

    #[test]
    fn enters_above_the_session_vwap_on_confirming_volume() {
        let mut r = MomentumRules::new(params());
        let bars = breakout();
        let out = feed(&mut r, 5, &bars);
        assert!(out[..3].iter().all(Option::is_none), "{out:?}");
        let e = out[3].expect("the break is an entry");
        let vwap = session_vwap(&bars);
        assert!((e.vwap - vwap).abs() < 1e-9, "{} vs {vwap}", e.vwap);
        assert!(
            (e.avg_volume - 1000.0).abs() < 1e-9,
            "the three bars before"
        );
        assert_eq!(e.entry, dec!(101));
        assert_eq!(e.stop, dec!(101) * dec!(0.99));
        assert_eq!(e.target, dec!(101) * dec!(1.03));
        // Price: (101 - vwap x 1.001) / vwap / 1% of the way; volume: 2000 / 1500 - 1 = 1/3.
        let price_score = ((101.0 - vwap * 1.001) / vwap / 0.01).min(1.0);
        let want = 0.5 + 0.25 * price_score + 0.25 * (1.0 / 3.0);
        assert!(
            (e.confidence - want).abs() < 1e-9,
            "{} vs {want}",
            e.confidence
        );
        assert!(e.confidence > 0.5 && e.confidence < 1.0);
        // Once per session: a second break the same day is not an entry.
        let again = r.on_bar(
            "X",
            &bar(t(5, 9, 50), (dec!(102.5), dec!(101), dec!(102.4), 5000)),
            t(5, 9, 55),
        );
        assert_eq!(again, None);
    }

    #[test]
    fn volume_or_price_short_of_its_threshold_does_not_enter() {
        // The same break on 1,400 shares: under 1.5 x 1,000.
        let mut bars = breakout();
        bars[3].3 = 1400;
        assert!(feed(&mut MomentumRules::new(params()), 5, &bars)[3].is_none());
        // Heavy volume, but the close under the VWAP.
        let mut bars = breakout();
        bars[3] = (dec!(100.1), dec!(99.0), dec!(99.2), 5000);
        assert!(feed(&mut MomentumRules::new(params()), 5, &bars)[3].is_none());
        // Above the VWAP, but by less than min_vwap_distance (0.1%, i.e. about 0.1 here).
        let mut bars = breakout();
        bars[3] = (dec!(100.12), dec!(100.05), dec!(100.1), 2000);
        let vwap = session_vwap(&bars);
        assert!(
            100.1 > vwap && 100.1 < vwap * 1.001,
            "the case is what it says: {vwap}"
        );
        assert!(feed(&mut MomentumRules::new(params()), 5, &bars)[3].is_none());
    }

    #[test]
    fn full_confidence_when_both_are_far_beyond() {
        let mut bars = breakout();
        bars[3] = (dec!(103), dec!(100.1), dec!(103), 4000);
        let e = feed(&mut MomentumRules::new(params()), 5, &bars)[3].unwrap();
        assert_eq!(e.confidence, 1.0);
    }

    #[test]
    fn the_vwap_starts_afresh_each_session_and_uses_the_bar_vwap_when_given() {
        let mut r = MomentumRules::new(params());
        // Day one trades far higher (200): if it leaked into day two's VWAP, 101 would be below.
        let high_day = vec![(dec!(200), dec!(199), dec!(200), 1000); 4];
        feed(&mut r, 4, &high_day);
        let e = feed(&mut r, 5, &breakout())[3].expect("entry on day two");
        assert!((e.vwap - session_vwap(&breakout())).abs() < 1e-9);
        // With the feed's own bar VWAPs, those are the prices weighed.
        let mut r = MomentumRules::new(params());
        let vws = [dec!(99.5), dec!(99.6), dec!(99.7), dec!(100.5)];
        let mut got = None;
        for (i, (&hlcv, vw)) in breakout().iter().zip(vws).enumerate() {
            let start = t(5, 9, 30) + Duration::minutes(5 * i as i64);
            let mut b = bar(start, hlcv);
            b.vwap = Some(vw);
            got = r.on_bar("X", &b, start + Duration::minutes(5));
        }
        let want = (99.5 * 1000.0 + 99.6 * 1000.0 + 99.7 * 1000.0 + 100.5 * 2000.0) / 5000.0;
        assert!((got.unwrap().vwap - want).abs() < 1e-9);
    }

    #[test]
    fn no_entries_outside_the_window_or_the_session() {
        let p = MomentumParams {
            start_after_minutes: 30,
            ..params()
        };
        // The break closes at 09:50, before 10:00.
        assert!(feed(&mut MomentumRules::new(p), 5, &breakout())[3].is_none());
        // The same break closing at 15:55, inside the last 10 minutes.
        let mut r = MomentumRules::new(params());
        let mut last = None;
        for (i, &hlcv) in breakout().iter().enumerate() {
            let start = t(5, 15, 35) + Duration::minutes(5 * i as i64);
            last = r.on_bar("X", &bar(start, hlcv), start + Duration::minutes(5));
        }
        assert!(last.is_none());
        // Pre-market bars are ignored altogether (they do not enter the VWAP).
        let mut r = MomentumRules::new(params());
        assert!(
            r.on_bar("X", &bar(t(5, 8, 0), breakout()[3]), t(5, 8, 5))
                .is_none()
        );
        let e = feed(&mut r, 5, &breakout())[3].unwrap();
        assert!((e.vwap - session_vwap(&breakout())).abs() < 1e-9);
    }
}
