//! Bear trap (intraday, one-minute bars).
//!
//! Rules, per symbol and session (New York date):
//! - the session low is at least `min_drop` (default 15%) below the previous session's close;
//! - the price then **reclaims**: a bar closes at or above `session low x (1 + reclaim_margin)`;
//! - buy once per session, with the stop `stop_buffer` under the session low and the target
//!   `target_pct` above the entry; the position monitor adds the trailing stop and the time exit
//!   `exit_before_close_minutes` before the close. No entries in that last window either.

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use chrono_tz::America::New_York;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Parameters (validated by the config).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BearTrapParams {
    pub min_drop: Decimal,
    pub reclaim_margin: Decimal,
    pub stop_buffer: Decimal,
    pub target_pct: Decimal,
    pub exit_before_close_minutes: u32,
}

/// An entry decided by the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BearTrapEntry {
    pub entry: Decimal,
    pub stop: Decimal,
    pub target: Decimal,
    pub session_low: Decimal,
    pub prev_close: Decimal,
}

#[derive(Debug, Clone, Default)]
struct SymbolState {
    session: Option<NaiveDate>,
    prev_close: Option<Decimal>,
    last_close: Option<Decimal>,
    low: Option<Decimal>,
    entered: bool,
}

/// The rules with their per-symbol state.
#[derive(Debug, Clone)]
pub struct BearTrapRules {
    p: BearTrapParams,
    symbols: BTreeMap<String, SymbolState>,
}

impl BearTrapRules {
    pub fn new(p: BearTrapParams) -> Self {
        Self {
            p,
            symbols: BTreeMap::new(),
        }
    }

    /// Seeds the previous close (e.g. from the daily bar fetched at start-up).
    #[cfg(test)]
    pub fn set_prev_close(&mut self, symbol: &str, close: Decimal) {
        self.symbols
            .entry(symbol.to_owned())
            .or_default()
            .prev_close = Some(close);
    }

    /// Feeds a one-minute bar; returns an entry when the trap springs.
    pub fn on_bar(
        &mut self,
        symbol: &str,
        time: DateTime<Utc>,
        low: Decimal,
        close: Decimal,
    ) -> Option<BearTrapEntry> {
        let ny = time.with_timezone(&New_York);
        let date = ny.date_naive();
        let st = self.symbols.entry(symbol.to_owned()).or_default();
        if st.session != Some(date) {
            // New session: yesterday's last close becomes the reference.
            if st.session.is_some() {
                st.prev_close = st.last_close;
            }
            st.session = Some(date);
            st.low = None;
            st.entered = false;
        }
        st.last_close = Some(close);
        let session_low = st.low.map_or(low, |l| l.min(low));
        st.low = Some(session_low);
        let prev = st.prev_close?;
        let minute_of_day = ny.hour() * 60 + ny.minute();
        let last_entry_minute = 16 * 60 - self.p.exit_before_close_minutes;
        if st.entered || minute_of_day >= last_entry_minute || prev <= Decimal::ZERO {
            return None;
        }
        let drop = (prev - session_low) / prev;
        let reclaim = session_low * (Decimal::ONE + self.p.reclaim_margin);
        if drop >= self.p.min_drop && close >= reclaim {
            st.entered = true;
            return Some(BearTrapEntry {
                entry: close,
                stop: session_low * (Decimal::ONE - self.p.stop_buffer),
                target: close * (Decimal::ONE + self.p.target_pct),
                session_low,
                prev_close: prev,
            });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn params() -> BearTrapParams {
        BearTrapParams {
            min_drop: dec!(0.15),
            reclaim_margin: dec!(0.01),
            stop_buffer: dec!(0.005),
            target_pct: dec!(0.08),
            exit_before_close_minutes: 10,
        }
    }

    use crate::strategies::march_2024 as t;

    #[test]
    fn springs_after_a_deep_drop_and_a_reclaim() {
        let mut r = BearTrapRules::new(params());
        assert_eq!(
            r.on_bar("X", t(4, 15, 59), dec!(99), dec!(100)),
            None,
            "no reference yet"
        );
        // Next session: falls to 84 (16% down), then reclaims 84 * 1.01 = 84.84.
        assert_eq!(r.on_bar("X", t(5, 9, 30), dec!(90), dec!(91)), None);
        assert_eq!(
            r.on_bar("X", t(5, 10, 0), dec!(84), dec!(84.5)),
            None,
            "not reclaimed yet"
        );
        let e = r.on_bar("X", t(5, 10, 5), dec!(84.6), dec!(85)).unwrap();
        assert_eq!(e.prev_close, dec!(100));
        assert_eq!(e.session_low, dec!(84));
        assert_eq!(e.stop, dec!(84) * dec!(0.995));
        assert_eq!(e.target, dec!(85) * dec!(1.08));
        assert_eq!(
            r.on_bar("X", t(5, 10, 6), dec!(85), dec!(86)),
            None,
            "once per session"
        );
    }

    #[test]
    fn shallow_drops_and_late_reclaims_do_not_trade() {
        let mut r = BearTrapRules::new(params());
        r.set_prev_close("X", dec!(100));
        assert_eq!(r.on_bar("X", t(5, 10, 0), dec!(86), dec!(86)), None);
        assert_eq!(
            r.on_bar("X", t(5, 10, 1), dec!(87), dec!(88)),
            None,
            "14% is not enough"
        );
        let mut r = BearTrapRules::new(params());
        r.set_prev_close("X", dec!(100));
        assert_eq!(r.on_bar("X", t(5, 15, 0), dec!(80), dec!(80)), None);
        assert_eq!(
            r.on_bar("X", t(5, 15, 51), dec!(81), dec!(82)),
            None,
            "inside the exit window"
        );
    }
}
