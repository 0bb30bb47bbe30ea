//! The buy-and-hold benchmark a backtest is measured against: the starting equity split equally
//! across the replayed symbols, each share bought at its symbol's last close of the first
//! session it trades, and held to the end. A symbol whose data starts later keeps its share in
//! cash until then. Fractional shares, no costs: the benchmark is what doing nothing would have
//! earned on the same data.

use super::metrics::EquityPoint;
use crate::data::Bar;
use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::America::New_York;
use rust_decimal::Decimal;
use std::sync::Arc;

/// The benchmark's equity at each of `dates` (the backtest's session dates, oldest first).
/// Empty without dates or symbols.
pub fn buy_and_hold(
    series: &[(Arc<str>, Vec<Bar>)],
    dates: &[NaiveDate],
    start_equity: Decimal,
) -> Vec<EquityPoint> {
    let with_bars: Vec<&[Bar]> = series
        .iter()
        .map(|(_, b)| b.as_slice())
        .filter(|b| !b.is_empty())
        .collect();
    if dates.is_empty() || with_bars.is_empty() {
        return Vec::new();
    }
    let sleeve = start_equity / Decimal::from(with_bars.len());
    // Per symbol: shares once bought (None while its sleeve is cash).
    let mut shares: Vec<Option<Decimal>> = vec![None; with_bars.len()];
    let mut out = Vec::with_capacity(dates.len());
    for &date in dates {
        let cutoff = end_of_day(date);
        let mut equity = Decimal::ZERO;
        let mut invested = false;
        for (i, bars) in with_bars.iter().enumerate() {
            let n = bars.partition_point(|b| b.timestamp < cutoff);
            let last_close = n.checked_sub(1).map(|k| bars[k].close);
            match (shares[i], last_close) {
                (None, Some(close)) if close > Decimal::ZERO => {
                    shares[i] = Some(sleeve / close);
                    equity += sleeve;
                    invested = true;
                }
                (Some(q), Some(close)) => {
                    equity += q * close;
                    invested = true;
                }
                _ => equity += sleeve,
            }
        }
        out.push(EquityPoint {
            date,
            equity,
            invested,
        });
    }
    out
}

/// Midnight New York at the end of `date`: bars stamped before it belong to that day or earlier.
fn end_of_day(date: NaiveDate) -> DateTime<Utc> {
    let next = date.checked_add_days(Days::new(1)).unwrap_or(date);
    New_York
        .from_local_datetime(&next.and_time(NaiveTime::MIN))
        .earliest()
        .map_or(DateTime::<Utc>::MAX_UTC, |t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 3, d).unwrap()
    }

    fn bar(date: NaiveDate, h: u32, close: Decimal) -> Bar {
        let t = New_York
            .from_local_datetime(&date.and_hms_opt(h, 0, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc);
        Bar {
            timestamp: t,
            open: close,
            high: close,
            low: close,
            close,
            volume: dec!(1),
            trade_count: None,
            vwap: None,
        }
    }

    #[test]
    fn equal_sleeves_bought_at_the_first_close_and_held() {
        let series: Vec<(Arc<str>, Vec<Bar>)> = vec![
            (
                Arc::from("AAA"),
                // Two intraday bars on the 4th: the day's last close (50) is the buy price.
                vec![
                    bar(day(4), 10, dec!(40)),
                    bar(day(4), 15, dec!(50)),
                    bar(day(5), 15, dec!(55)),
                    bar(day(6), 15, dec!(60)),
                ],
            ),
            // Starts a day late: its half stays cash on the 4th.
            (
                Arc::from("BBB"),
                vec![bar(day(5), 15, dec!(10)), bar(day(6), 15, dec!(5))],
            ),
        ];
        let b = buy_and_hold(&series, &[day(4), day(5), day(6)], dec!(1000));
        let eq: Vec<Decimal> = b.iter().map(|p| p.equity).collect();
        // AAA: 500 / 50 = 10 shares. BBB: 500 / 10 = 50 shares from the 5th.
        assert_eq!(eq, vec![dec!(1000), dec!(1050), dec!(850)]);
        assert_eq!(b[2].date, day(6));
        assert!(buy_and_hold(&series, &[], dec!(1000)).is_empty());
        assert!(buy_and_hold(&[], &[day(4)], dec!(1000)).is_empty());
    }
}
