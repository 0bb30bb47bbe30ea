//! Deterministic sample market data for running the daemon with no keys: a seeded random walk
//! per symbol with trending, falling and choppy regimes and occasional crash days, so that every
//! strategy has something to trade. Same seed, same bars, byte for byte (own PRNG, no floats in
//! the output: prices are rounded to cents as `Decimal`).

use alpaca_exec::data::Bar;
use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::America::New_York;
use rust_decimal::Decimal;

/// SplitMix64: tiny, fast, and stable forever (unlike a library's default generator).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(1e-12);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

fn cents(x: f64) -> Decimal {
    Decimal::new((x * 100.0).round() as i64, 2)
}

/// The sample's first session.
fn first_session() -> NaiveDate {
    NaiveDate::from_ymd_opt(2022, 1, 3).expect("valid date")
}

/// Sessions of the sample up to and including `date` (weekdays from the first session).
pub fn sessions_until(date: NaiveDate) -> usize {
    let days = (date - first_session()).num_days() + 1;
    if days <= 0 {
        return 0;
    }
    // The first session is a Monday: whole weeks hold five, the rest of a week up to five.
    let (weeks, rest) = (days / 7, days % 7);
    usize::try_from(weeks * 5 + rest.min(5)).unwrap_or(usize::MAX)
}

/// Weekdays from `start`, `n` of them (the sample has no holidays).
pub fn trading_days(start: NaiveDate, n: usize) -> Vec<NaiveDate> {
    let mut out = Vec::with_capacity(n);
    let mut d = start;
    while out.len() < n {
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            out.push(d);
        }
        d = d + Days::new(1);
    }
    out
}

fn at(date: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    New_York
        .from_local_datetime(&date.and_hms_opt(h, m, 0).expect("valid time"))
        .single()
        .expect("market hours are unambiguous")
        .with_timezone(&Utc)
}

/// One symbol's minute path for a session: 390 one-minute bars from 09:30, starting at `open`
/// and drifting by `drift` (log return over the day), with `vol` daily volatility. If `crash`,
/// the session falls about 20% by midday, then partly recovers (a bear-trap shape).
fn session_minutes(
    rng: &mut Rng,
    date: NaiveDate,
    open: f64,
    drift: f64,
    vol: f64,
    crash: bool,
) -> Vec<Bar> {
    let mut bars = Vec::with_capacity(390);
    let mut price = open;
    let step_vol = vol / (390f64).sqrt();
    for i in 0..390u32 {
        let mut ret = drift / 390.0 + step_vol * rng.normal();
        if crash {
            ret += if i < 150 {
                -0.0015
            } else if i < 300 {
                0.0006
            } else {
                0.0
            };
        }
        let o = price;
        let c = (price * ret.exp()).max(0.5);
        let wiggle = price * step_vol * rng.unit();
        let h = o.max(c) + wiggle;
        let l = (o.min(c) - wiggle).max(0.01);
        let vol_shares = 1_000 + (rng.unit() * 20_000.0) as i64 + if crash { 50_000 } else { 0 };
        let (hh, mm) = (9 + (30 + i) / 60, (30 + i) % 60);
        bars.push(Bar::new(
            at(date, hh, mm),
            cents(o),
            cents(h).max(cents(o).max(cents(c))),
            cents(l).min(cents(o).min(cents(c))),
            cents(c),
            Decimal::from(vol_shares),
        ));
        price = c;
    }
    bars
}

/// Sample bars for one symbol.
pub struct SymbolSample {
    pub symbol: String,
    /// One bar per trading day (stamped midnight New York, like Alpaca's daily bars).
    pub daily: Vec<Bar>,
    /// One-minute bars for the last `intraday_days` sessions.
    pub minutes: Vec<Bar>,
}

/// Generates `days` trading days of daily bars for each symbol, and minute bars for the last
/// `intraday_days` of them. The last intraday session of every third symbol is a crash day.
pub fn generate(
    symbols: &[String],
    seed: u64,
    days: usize,
    intraday_days: usize,
) -> Vec<SymbolSample> {
    let dates = trading_days(first_session(), days);
    symbols
        .iter()
        .enumerate()
        .map(|(k, symbol)| {
            // Each symbol has its own stream, so adding a symbol does not change the others.
            let mut rng = Rng::new(seed ^ (k as u64 + 1).wrapping_mul(0xA24B_AED4_963E_E407));
            let mut price = 50.0 + 350.0 * rng.unit();
            let mut daily = Vec::with_capacity(days);
            let mut minutes = Vec::new();
            let mut drift = 0.0;
            for (i, &date) in dates.iter().enumerate() {
                if i % 40 == 0 {
                    // A new regime every ~two months: up, down or sideways.
                    drift = match rng.next_u64() % 3 {
                        0 => 0.004,
                        1 => -0.003,
                        _ => 0.0,
                    };
                }
                let vol = 0.012 + 0.01 * rng.unit();
                let intraday = i + intraday_days >= days;
                let crash = intraday && i + 1 == days && k % 3 == 0;
                let gap = if rng.unit() < 0.01 {
                    -0.08 * rng.unit()
                } else {
                    0.0
                };
                let open = price * (1.0 + gap + 0.002 * rng.normal());
                if intraday {
                    let session = session_minutes(&mut rng, date, open, drift, vol, crash);
                    let o = session[0].open;
                    let c = session[session.len() - 1].close;
                    let h = session.iter().map(|b| b.high).max().expect("bars");
                    let l = session.iter().map(|b| b.low).min().expect("bars");
                    let v: Decimal = session.iter().map(|b| b.volume).sum();
                    daily.push(Bar::new(at(date, 0, 0), o, h, l, c, v));
                    price = rust_decimal::prelude::ToPrimitive::to_f64(&c).expect("finite");
                    minutes.extend(session);
                } else {
                    let close = (open * (drift + vol * rng.normal()).exp()).max(1.0);
                    let high = open.max(close) * (1.0 + 0.6 * vol * rng.unit());
                    let low = open.min(close) * (1.0 - 0.6 * vol * rng.unit());
                    let volume = Decimal::from(1_000_000 + (rng.unit() * 9_000_000.0) as i64);
                    let (o, c) = (cents(open), cents(close));
                    daily.push(Bar::new(
                        at(date, 0, 0),
                        o,
                        cents(high).max(o.max(c)),
                        cents(low).min(o.min(c)),
                        c,
                        volume,
                    ));
                    price = close;
                }
            }
            SymbolSample {
                symbol: symbol.clone(),
                daily,
                minutes,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syms() -> Vec<String> {
        ["SPY", "TSLA", "NVDA"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn deterministic_and_well_formed() {
        let a = generate(&syms(), 42, 120, 3);
        let b = generate(&syms(), 42, 120, 3);
        assert_eq!(a[1].daily, b[1].daily);
        assert_eq!(a[0].minutes, b[0].minutes);
        let c = generate(&syms(), 43, 120, 3);
        assert_ne!(a[1].daily, c[1].daily, "the seed matters");
        for s in &a {
            assert_eq!(s.daily.len(), 120);
            assert_eq!(s.minutes.len(), 3 * 390);
            for bar in s.daily.iter().chain(&s.minutes) {
                assert!(
                    bar.low <= bar.open.min(bar.close) && bar.high >= bar.open.max(bar.close),
                    "{bar:?}"
                );
                assert!(bar.low > Decimal::ZERO);
            }
            assert!(s.daily.windows(2).all(|w| w[0].timestamp < w[1].timestamp));
        }
    }

    #[test]
    fn sessions_until_counts_the_sample_weekdays() {
        let dates = trading_days(first_session(), 30);
        assert_eq!(sessions_until(dates[29]), 30);
        assert_eq!(sessions_until(first_session()), 1);
        assert_eq!(sessions_until(first_session() - Days::new(1)), 0);
        // A Saturday counts the week's five sessions.
        assert_eq!(
            sessions_until(NaiveDate::from_ymd_opt(2022, 1, 8).unwrap()),
            5
        );
    }

    #[test]
    fn crash_day_drops_far_enough_for_the_bear_trap() {
        let a = generate(&syms(), 7, 80, 2);
        let spy = &a[0];
        let prev_close = spy.daily[spy.daily.len() - 2].close;
        let last_day_low = spy.daily[spy.daily.len() - 1].low;
        let drop = (prev_close - last_day_low) / prev_close;
        assert!(drop >= Decimal::new(15, 2), "crash day drop {drop}");
    }
}
