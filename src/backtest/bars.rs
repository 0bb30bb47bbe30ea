//! Bar sources for backtests: CSV files, in-memory vectors, merging several symbols in time
//! order, and resampling a fine timeframe into coarser ones.
//!
//! CSV layout: a header row naming `Date` (or `Timestamp`/`Time`/`Datetime`), `Open`, `High`,
//! `Low`, `Close`, optionally `Adj Close`, and `Volume`, in any order and case (the common
//! Yahoo-style export). A date-only value is that trading day, stamped at midnight New York time
//! like Alpaca's daily bars; a timestamp without an offset is read as New York time (market
//! time); RFC 3339 timestamps keep their offset. Rows with `null` or empty prices (Yahoo's
//! placeholder for missing days) are skipped and counted.

use crate::data::{Bar, TimeFrame, TimeFrameUnit};
use crate::error::{Error, Result};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::America::New_York;
use rust_decimal::Decimal;
use std::io::BufRead;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

/// A bar with the symbol it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct SymbolBar {
    /// The symbol.
    pub symbol: Arc<str>,
    /// The bar.
    pub bar: Bar,
}

/// How to read a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CsvOptions {
    /// Scale open, high, low and close by `Adj Close / Close` (dividend- and split-adjusted
    /// prices) when the file has an `Adj Close` column. Off by default: the raw prices are used.
    pub adjust: bool,
}

/// What a CSV load produced.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvBars {
    /// The bars, oldest first.
    pub bars: Vec<Bar>,
    /// Rows skipped because a price was `null` or empty.
    pub skipped: usize,
}

/// Reads bars from a CSV file. See the module docs for the layout.
pub fn load_csv(path: impl AsRef<Path>, options: CsvOptions) -> Result<CsvBars> {
    let path = path.as_ref();
    let file = std::fs::File::open(path)
        .map_err(|e| Error::InvalidRequest(format!("cannot open {}: {e}", path.display())))?;
    read_csv(std::io::BufReader::new(file), options)
        .map_err(|e| Error::InvalidRequest(format!("{}: {e}", path.display())))
}

#[derive(Debug, Clone, Copy)]
struct Columns {
    time: usize,
    open: usize,
    high: usize,
    low: usize,
    close: usize,
    adj_close: Option<usize>,
    volume: Option<usize>,
}

fn columns(header: &str) -> std::result::Result<Columns, String> {
    let names: Vec<String> = header
        .split(',')
        .map(|h| h.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    let find = |wanted: &[&str]| names.iter().position(|n| wanted.contains(&n.as_str()));
    let need = |wanted: &[&str]| {
        find(wanted).ok_or_else(|| format!("header {header:?} has no {} column", wanted[0]))
    };
    Ok(Columns {
        time: need(&["date", "timestamp", "time", "datetime"])?,
        open: need(&["open"])?,
        high: need(&["high"])?,
        low: need(&["low"])?,
        close: need(&["close"])?,
        adj_close: find(&["adj close", "adj_close", "adjclose"]),
        volume: find(&["volume"]),
    })
}

/// Reads bars from CSV text (any reader). Errors name the line and the column.
pub fn read_csv(reader: impl BufRead, options: CsvOptions) -> std::result::Result<CsvBars, String> {
    let mut lines = reader.lines().enumerate();
    let header = loop {
        match lines.next() {
            None => return Err("the file is empty".into()),
            Some((_, Err(e))) => return Err(e.to_string()),
            Some((_, Ok(l))) if l.trim().is_empty() => continue,
            Some((_, Ok(l))) => break l,
        }
    };
    let cols = columns(header.trim_start_matches('\u{feff}'))?;
    let mut bars = Vec::new();
    let mut skipped = 0;
    for (i, line) in lines {
        let line = line.map_err(|e| e.to_string())?;
        if line.trim().is_empty() {
            continue;
        }
        let lineno = i + 1;
        let fields: Vec<&str> = line
            .split(',')
            .map(|f| f.trim().trim_matches('"'))
            .collect();
        let get = |idx: usize, name: &str| {
            fields
                .get(idx)
                .copied()
                .ok_or_else(|| format!("line {lineno}: missing {name} column"))
        };
        let price = |idx: usize, name: &str| -> std::result::Result<Option<Decimal>, String> {
            let v = get(idx, name)?;
            if v.is_empty() || v.eq_ignore_ascii_case("null") {
                return Ok(None);
            }
            Decimal::from_str(v)
                .or_else(|_| Decimal::from_scientific(v))
                .map(Some)
                .map_err(|e| format!("line {lineno}: {name} {v:?} is not a number: {e}"))
        };
        let (Some(mut open), Some(mut high), Some(mut low), Some(mut close)) = (
            price(cols.open, "open")?,
            price(cols.high, "high")?,
            price(cols.low, "low")?,
            price(cols.close, "close")?,
        ) else {
            skipped += 1;
            continue;
        };
        if options.adjust
            && let Some(adj_idx) = cols.adj_close
            && let Some(adj) = price(adj_idx, "adj close")?
            && !close.is_zero()
        {
            let f = adj / close;
            open *= f;
            high *= f;
            low *= f;
            close = adj;
        }
        let volume = match cols.volume {
            Some(idx) => price(idx, "volume")?.unwrap_or_default(),
            None => Decimal::ZERO,
        };
        let t = get(cols.time, "date")?;
        let timestamp = parse_time(t).ok_or_else(|| {
            format!("line {lineno}: date {t:?} is not YYYY-MM-DD, a New York timestamp or RFC 3339")
        })?;
        if high < low {
            return Err(format!("line {lineno}: high {high} is below low {low}"));
        }
        bars.push(Bar::new(timestamp, open, high, low, close, volume));
    }
    if bars.windows(2).any(|w| w[1].timestamp < w[0].timestamp) {
        bars.sort_by_key(|b| b.timestamp);
    }
    Ok(CsvBars { bars, skipped })
}

/// Extends `acc` (the bar being built for a bucket) with the later bar `next` of the same
/// bucket: highest high, lowest low, last close, summed volume and trade count, and the
/// volume-weighted VWAP when both have one.
pub fn absorb(acc: &mut Bar, next: &Bar) {
    acc.high = acc.high.max(next.high);
    acc.low = acc.low.min(next.low);
    acc.close = next.close;
    // The combined VWAP weighs each part by its volume; it is unknown unless both parts have
    // one (and some volume), and so is the trade count unless both are known.
    acc.vwap = match (acc.vwap, next.vwap) {
        (Some(a), Some(b)) => acc
            .volume
            .checked_mul(a)
            .zip(next.volume.checked_mul(b))
            .and_then(|(x, y)| x.checked_add(y))
            .zip(acc.volume.checked_add(next.volume))
            .and_then(|(notional, volume)| notional.checked_div(volume)),
        _ => None,
    };
    acc.trade_count = acc
        .trade_count
        .zip(next.trade_count)
        .and_then(|(a, b)| a.checked_add(b));
    // Volumes from a file or a feed are outside input: saturate rather than panic.
    acc.volume = acc.volume.saturating_add(next.volume);
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return New_York
            .from_local_datetime(&d.and_hms_opt(0, 0, 0)?)
            .single()
            .map(|t| t.with_timezone(&Utc));
    }
    if let Some(t) = crate::wire::parse_utc(s) {
        return Some(t);
    }
    for fmt in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, fmt) {
            return New_York
                .from_local_datetime(&n)
                .earliest()
                .map(|t| t.with_timezone(&Utc));
        }
    }
    None
}

/// Merges several symbols' bars into one time-ordered sequence; bars at the same time are ordered
/// by symbol, so the result never depends on the input order.
pub fn merge(series: impl IntoIterator<Item = (Arc<str>, Vec<Bar>)>) -> Vec<SymbolBar> {
    let series: Vec<(Arc<str>, Vec<Bar>)> = series.into_iter().collect();
    merge_order(&series)
        .into_iter()
        .map(|(s, i)| SymbolBar {
            symbol: series[s].0.clone(),
            bar: series[s].1[i],
        })
        .collect()
}

/// The order [`merge`] puts the bars in, as `(series, bar)` positions: a replay walks the series
/// in place through it instead of copying every bar next to its symbol.
pub(crate) fn merge_order(series: &[(Arc<str>, Vec<Bar>)]) -> Vec<(usize, usize)> {
    // One series in time order (the common case) is its own order; the sort would only check it.
    if let [(_, bars)] = series
        && bars.is_sorted_by_key(|b| b.timestamp)
    {
        return (0..bars.len()).map(|i| (0, i)).collect();
    }
    let mut order: Vec<(usize, usize)> = series
        .iter()
        .enumerate()
        .flat_map(|(s, (_, bars))| (0..bars.len()).map(move |i| (s, i)))
        .collect();
    // Stable, so bars of one symbol at one time keep their input order.
    order.sort_by(|&(sa, ia), &(sb, ib)| {
        let (a, b) = (&series[sa], &series[sb]);
        a.1[ia]
            .timestamp
            .cmp(&b.1[ib].timestamp)
            .then_with(|| a.0.cmp(&b.0))
    });
    order
}

/// The start of the `timeframe` bucket containing `t`, in New York time: minutes and hours
/// align to the clock hour (as Alpaca's bars do), days to the New York date, weeks to Monday,
/// months to the first of the month.
pub fn bucket_start(t: DateTime<Utc>, timeframe: TimeFrame) -> DateTime<Utc> {
    let ny = t.with_timezone(&New_York);
    let n = u32::from(timeframe.amount());
    let local = match timeframe.unit() {
        TimeFrameUnit::Minute => {
            let m = ny.minute() - ny.minute() % n;
            ny.date_naive().and_hms_opt(ny.hour(), m, 0)
        }
        TimeFrameUnit::Hour => {
            let h = ny.hour() - ny.hour() % n;
            ny.date_naive().and_hms_opt(h, 0, 0)
        }
        TimeFrameUnit::Day => ny.date_naive().and_hms_opt(0, 0, 0),
        TimeFrameUnit::Week => {
            let d =
                ny.date_naive() - chrono::Days::new(u64::from(ny.weekday().num_days_from_monday()));
            d.and_hms_opt(0, 0, 0)
        }
        TimeFrameUnit::Month => {
            let m0 = ny.month0() - ny.month0() % n;
            NaiveDate::from_ymd_opt(ny.year(), m0 + 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0))
        }
    }
    .expect("bucket boundaries are valid times");
    New_York
        .from_local_datetime(&local)
        .earliest()
        .map(|x| x.with_timezone(&Utc))
        .unwrap_or(t)
}

/// Resamples time-ordered bars of one symbol into a coarser timeframe: open of the first bar,
/// highest high, lowest low, close of the last, summed volume and trade count, volume-weighted
/// VWAP when every input has one. Each output bar is stamped with its bucket start.
pub fn resample(bars: &[Bar], timeframe: TimeFrame) -> Vec<Bar> {
    let mut out: Vec<Bar> = Vec::new();
    let mut current: Option<(DateTime<Utc>, Bar)> = None;
    for b in bars {
        let start = bucket_start(b.timestamp, timeframe);
        match &mut current {
            Some((bucket, acc)) if *bucket == start => absorb(acc, b),
            _ => {
                out.extend(current.take().map(|(_, done)| done));
                let mut first = *b;
                first.timestamp = start;
                current = Some((start, first));
            }
        }
    }
    out.extend(current.map(|(_, done)| done));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    const YAHOO: &str = "Date,Open,High,Low,Close,Adj Close,Volume
1999-01-22,1.750000,1.953125,1.552083,1.640625,1.518424,67867200
1999-01-25,1.770833,1.833333,1.640625,1.812500,1.677496,12762000
1999-01-26,null,null,null,null,null,null
";

    #[test]
    fn reads_yahoo_layout_and_skips_null_rows() {
        let r = read_csv(YAHOO.as_bytes(), CsvOptions::default()).unwrap();
        assert_eq!(r.bars.len(), 2);
        assert_eq!(r.skipped, 1);
        let b = &r.bars[0];
        assert_eq!(b.open, dec!(1.750000));
        assert_eq!(b.close, dec!(1.640625));
        assert_eq!(b.volume, dec!(67867200));
        // Daily bars are stamped at midnight New York (05:00 UTC in winter), like Alpaca's.
        assert_eq!(b.timestamp.to_rfc3339(), "1999-01-22T05:00:00+00:00");
    }

    #[test]
    fn adjusted_prices_scale_ohlc() {
        let r = read_csv(YAHOO.as_bytes(), CsvOptions { adjust: true }).unwrap();
        let b = &r.bars[0];
        assert_eq!(b.close, dec!(1.518424));
        let f = dec!(1.518424) / dec!(1.640625);
        assert_eq!(b.open, dec!(1.750000) * f);
    }

    #[test]
    fn timestamps_columns_in_any_order_and_errors_with_line_numbers() {
        let csv = "timestamp,volume,close,low,high,open\n2024-01-02 09:30:00,100,10.5,10,11,10.2\n2024-01-02T14:31:00Z,50,10.6,10.4,10.7,10.5\n";
        let r = read_csv(csv.as_bytes(), CsvOptions::default()).unwrap();
        assert_eq!(
            r.bars[0].timestamp.to_rfc3339(),
            "2024-01-02T14:30:00+00:00"
        );
        assert_eq!(r.bars[1].open, dec!(10.5));
        let e = read_csv("Date,Open,High,Low\n".as_bytes(), CsvOptions::default()).unwrap_err();
        assert!(e.contains("no close column"), "{e}");
        let e = read_csv(
            "Date,Open,High,Low,Close\n2024-01-02,1,2,1,abc\n".as_bytes(),
            CsvOptions::default(),
        )
        .unwrap_err();
        assert!(e.contains("line 2") && e.contains("close"), "{e}");
        let e = read_csv(
            "Date,Open,High,Low,Close\n02/01/2024,1,2,1,1\n".as_bytes(),
            CsvOptions::default(),
        )
        .unwrap_err();
        assert!(e.contains("line 2: date"), "{e}");
        let e = read_csv(
            "Date,Open,High,Low,Close\n2024-01-02,1,1,2,1\n".as_bytes(),
            CsvOptions::default(),
        )
        .unwrap_err();
        assert!(e.contains("below low"), "{e}");
        assert!(read_csv("".as_bytes(), CsvOptions::default()).is_err());
    }

    fn minute(h: u32, m: u32, o: i64, hi: i64, lo: i64, c: i64, v: i64) -> Bar {
        let t = New_York
            .with_ymd_and_hms(2024, 7, 1, h, m, 0)
            .unwrap()
            .with_timezone(&Utc);
        let mut b = Bar::new(t, o.into(), hi.into(), lo.into(), c.into(), v.into());
        b.vwap = Some(Decimal::from(c));
        b.trade_count = Some(1);
        b
    }

    #[test]
    fn resample_minutes_to_hours_and_day() {
        let bars = vec![
            minute(9, 30, 10, 12, 9, 11, 100),
            minute(9, 59, 11, 13, 10, 12, 100),
            minute(10, 0, 12, 15, 11, 14, 200),
            minute(15, 59, 14, 14, 8, 9, 100),
        ];
        let hours = resample(&bars, TimeFrame::HOUR);
        assert_eq!(hours.len(), 3);
        let h9 = &hours[0];
        assert_eq!(
            (h9.open, h9.high, h9.low, h9.close),
            (dec!(10), dec!(13), dec!(9), dec!(12))
        );
        assert_eq!(h9.volume, dec!(200));
        assert_eq!(h9.trade_count, Some(2));
        assert_eq!(h9.vwap, Some(dec!(11.5)));
        assert_eq!(h9.timestamp.with_timezone(&New_York).hour(), 9);
        let days = resample(&bars, TimeFrame::DAY);
        assert_eq!(days.len(), 1);
        let d = &days[0];
        assert_eq!(
            (d.open, d.high, d.low, d.close, d.volume),
            (dec!(10), dec!(15), dec!(8), dec!(9), dec!(500))
        );
        assert_eq!(d.timestamp.to_rfc3339(), "2024-07-01T04:00:00+00:00");
        let fifteen = resample(&bars, TimeFrame::minutes(15).unwrap());
        assert_eq!(fifteen.len(), 4, "09:30, 09:45, 10:00, 15:45 buckets");
    }

    #[test]
    fn weeks_and_months_align_to_calendar() {
        let t = Utc.with_ymd_and_hms(2024, 7, 4, 15, 0, 0).unwrap(); // Thursday
        assert_eq!(
            bucket_start(t, TimeFrame::WEEK)
                .with_timezone(&New_York)
                .date_naive()
                .to_string(),
            "2024-07-01"
        );
        assert_eq!(
            bucket_start(t, TimeFrame::MONTH)
                .with_timezone(&New_York)
                .date_naive()
                .to_string(),
            "2024-07-01"
        );
        assert_eq!(
            bucket_start(t, TimeFrame::months(3).unwrap())
                .with_timezone(&New_York)
                .date_naive()
                .to_string(),
            "2024-07-01"
        );
        let may = Utc.with_ymd_and_hms(2024, 5, 20, 15, 0, 0).unwrap();
        assert_eq!(
            bucket_start(may, TimeFrame::months(3).unwrap())
                .with_timezone(&New_York)
                .date_naive()
                .to_string(),
            "2024-04-01"
        );
    }

    #[test]
    fn merge_orders_by_time_then_symbol() {
        let a: Arc<str> = "B".into();
        let b: Arc<str> = "A".into();
        let m = merge([
            (
                a,
                vec![minute(9, 30, 1, 1, 1, 1, 1), minute(9, 31, 1, 1, 1, 1, 1)],
            ),
            (b, vec![minute(9, 30, 2, 2, 2, 2, 2)]),
        ]);
        let order: Vec<(&str, u32)> = m
            .iter()
            .map(|s| {
                (
                    &*s.symbol,
                    s.bar.timestamp.with_timezone(&New_York).minute(),
                )
            })
            .collect();
        assert_eq!(order, vec![("A", 30), ("B", 30), ("B", 31)]);
    }
}
