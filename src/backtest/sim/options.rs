//! Simulated option prices, so option strategies can be backtested on the underlying's bars
//! alone, with the same kind of quote, chain and greeks a live feed gives.
//!
//! # The model
//! - **Price**: Black-Scholes(-Merton) for a European option on a non-dividend-paying
//!   underlying ([`crate::options::greeks`]), from the underlying's latest price (its close,
//!   or the bar's open, high and low while an order is being filled), the time to the contract's
//!   16:00 New York expiry in calendar years, a risk-free rate, and a volatility (below).
//!   The model price is kept to four decimals; at and after expiry it is the intrinsic value.
//! - **Volatility** ([`VolatilityModel`]): by default the annualised close-to-close realised
//!   volatility of the underlying over the last `window` sessions (sample standard deviation of
//!   daily log returns times the square root of 252), never below `floor`; `initial` until
//!   `window` returns are known. Or one fixed figure for every contract.
//! - **Quote** ([`SpreadModel`]): bid and ask around the model price, `fraction` of it wide but
//!   never narrower than `min`, the bid rounded down and the ask up to the cent; the bid is
//!   zero (no buyer) when the spread swallows the price, the ask at least a cent. A contract
//!   worth less than half the minimum spread therefore has no bid, as on a real screen.
//! - **Greeks** and the implied volatility (the model's volatility) come with every quote and
//!   with every contract of the chain ([`OptionQuote`]).
//! - **Chain**: a contract for every expiration on a Friday (the session before it when the
//!   Friday is a market holiday, as the OCC moves it) in the requested window, with strikes
//!   within 25% of the spot on a grid that suits the price (0.50 below $25, 1 below $200, 5
//!   above), each with an open interest of 10,000.
//!
//! # Limits
//! Options are American but priced as European, without dividends or early exercise; there is
//! one volatility for every strike and expiry (no smile, no term structure, no event
//! volatility around earnings); the spread does not widen in fast markets or at expiry; the
//! chain lists weekly Friday expirations for every year, while most stocks had only monthly
//! (third-Friday) expirations before about 2010, and a contract's tick size is a cent. A
//! backtest's option P&L is therefore a model's, good for testing the mechanics of a strategy
//! (selection, sizing, exits, expiry) and for rough comparisons, not a forecast of fills.

pub use crate::options::greeks::intrinsic;
use crate::options::greeks::{BlackScholes, Greeks};
use crate::options::select::ContractQuote;
use crate::options::{OccSymbol, OptionType};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::America::New_York;
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};

/// Where the simulator's option volatility comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VolatilityModel {
    /// One annualised volatility for every contract (e.g. `0.30`).
    Fixed(f64),
    /// The underlying's realised volatility (see the module docs).
    Realized {
        /// Sessions of daily returns in the estimate (e.g. 20, about a month).
        window: usize,
        /// The least volatility used, however quiet the underlying (a flat series has none).
        floor: f64,
        /// Used until `window` returns are known.
        initial: f64,
    },
}

impl Default for VolatilityModel {
    /// Realised over 20 sessions, floored at 15%, 30% until then.
    fn default() -> Self {
        VolatilityModel::Realized {
            window: 20,
            floor: 0.15,
            initial: 0.30,
        }
    }
}

impl VolatilityModel {
    /// The volatility to price with, given the estimate of the underlying's realised volatility
    /// (`None` until the window is full).
    pub fn resolve(&self, realized: Option<f64>) -> f64 {
        match *self {
            VolatilityModel::Fixed(v) => v,
            VolatilityModel::Realized { floor, initial, .. } => realized
                .filter(|v| v.is_finite())
                .unwrap_or(initial)
                .max(floor),
        }
    }

    /// Sessions of returns the estimate needs (0 for a fixed volatility).
    pub fn window(&self) -> usize {
        match *self {
            VolatilityModel::Fixed(_) => 0,
            VolatilityModel::Realized { window, .. } => window,
        }
    }
}

/// The bid/ask spread around the model price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpreadModel {
    /// Full width of the spread as a fraction of the model price (e.g. `0.04`: 2% each side).
    pub fraction: Decimal,
    /// The narrowest spread, in dollars per share (e.g. `0.01`, one tick).
    pub min: Decimal,
}

impl Default for SpreadModel {
    /// 4% of the price, at least a cent: proportional, so that split-adjusted history (where
    /// a stock that traded at $60 shows as $2) is quoted as its real options were.
    fn default() -> Self {
        Self {
            fraction: Decimal::new(4, 2),
            min: Decimal::new(1, 2),
        }
    }
}

impl SpreadModel {
    /// `(bid, ask)` around `price`: the bid rounded down to the cent and never negative, the ask
    /// rounded up and at least a cent.
    pub fn quote(&self, price: Decimal) -> (Decimal, Decimal) {
        let width = (price * self.fraction).max(self.min).max(Decimal::ZERO);
        let half = width / Decimal::TWO;
        let cents = Decimal::ONE_HUNDRED;
        let bid = ((price - half) * cents).floor() / cents;
        let ask = ((price + half) * cents).ceil() / cents;
        (bid.max(Decimal::ZERO), ask.max(Decimal::new(1, 2)))
    }
}

/// Model parameters: volatility, rate and spread (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptionModel {
    /// Volatility (default: realised over 20 sessions, floored at 15%).
    pub volatility: VolatilityModel,
    /// Continuously compounded risk-free rate (default 0.04).
    pub rate: f64,
    /// Bid/ask spread (default 4% wide, at least five cents).
    pub spread: SpreadModel,
}

impl Default for OptionModel {
    fn default() -> Self {
        Self {
            volatility: VolatilityModel::default(),
            rate: 0.04,
            spread: SpreadModel::default(),
        }
    }
}

/// A contract priced by the model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptionQuote {
    /// Best bid per share (zero: no bid).
    pub bid: Decimal,
    /// Best ask per share.
    pub ask: Decimal,
    /// The model price per share.
    pub price: Decimal,
    /// The volatility it was priced with (reported as the implied volatility).
    pub volatility: f64,
    /// Price and greeks from the model (per share; units of [`Greeks`]). After expiry: the
    /// intrinsic value, a delta of 0 or ±1 and no other sensitivity.
    pub greeks: Greeks,
}

/// Years from `now` to the contract's 16:00 New York expiry (never negative).
pub fn years_to_expiry(now: DateTime<Utc>, expiration: NaiveDate) -> f64 {
    let close = expiration
        .and_hms_opt(16, 0, 0)
        .and_then(|t| New_York.from_local_datetime(&t).single())
        .map(|t| t.with_timezone(&Utc));
    match close {
        Some(expiry) => ((expiry - now).num_seconds().max(0) as f64) / (365.0 * 86_400.0),
        None => 0.0,
    }
}

impl OptionModel {
    /// Prices `symbol` at `spot` as of `now` with volatility `vol`.
    pub fn quote(
        &self,
        symbol: &OccSymbol,
        spot: Decimal,
        now: DateTime<Utc>,
        vol: f64,
    ) -> OptionQuote {
        let t = years_to_expiry(now, symbol.expiration());
        let bs = BlackScholes {
            spot: spot.to_f64().unwrap_or(0.0),
            strike: symbol.strike().to_f64().unwrap_or(0.0),
            time_years: t,
            rate: self.rate,
            dividend_yield: 0.0,
            volatility: vol,
        };
        let model = (t > 0.0)
            .then(|| bs.greeks(symbol.option_type()))
            .and_then(Result::ok)
            .and_then(|g| Some((Decimal::from_f64(g.price)?.round_dp(4), g)));
        let (price, greeks) = model.unwrap_or_else(|| {
            let value = intrinsic(symbol, spot);
            let delta = match (symbol.option_type(), value.is_zero()) {
                (_, true) => 0.0,
                (OptionType::Call, false) => 1.0,
                (OptionType::Put, false) => -1.0,
            };
            let greeks = Greeks {
                price: value.to_f64().unwrap_or(0.0),
                delta,
                gamma: 0.0,
                theta: 0.0,
                vega: 0.0,
                rho: 0.0,
            };
            (value, greeks)
        });
        let (bid, ask) = self.spread.quote(price);
        OptionQuote {
            bid,
            ask,
            price,
            volatility: vol,
            greeks,
        }
    }

    /// A synthetic chain of `underlying` for `expirations` (see the module docs), every contract
    /// quoted at `spot` as of `now` with volatility `vol`.
    pub fn chain(
        &self,
        underlying: &str,
        option_type: OptionType,
        spot: Decimal,
        now: DateTime<Utc>,
        vol: f64,
        expirations: &[NaiveDate],
    ) -> Vec<ContractQuote> {
        let step = if spot < Decimal::from(25) {
            Decimal::new(5, 1)
        } else if spot < Decimal::from(200) {
            Decimal::ONE
        } else {
            Decimal::from(5)
        };
        let lo = ((spot * Decimal::new(75, 2)) / step).floor() * step;
        let hi = ((spot * Decimal::new(125, 2)) / step).ceil() * step;
        let mut out = Vec::new();
        for &expiration in expirations {
            let mut k = lo.max(step);
            while k <= hi {
                if let Ok(symbol) = OccSymbol::new(underlying, expiration, option_type, k) {
                    let q = self.quote(&symbol, spot, now, vol);
                    out.push(ContractQuote {
                        symbol,
                        bid: (q.bid > Decimal::ZERO).then_some(q.bid),
                        ask: Some(q.ask),
                        last: None,
                        delta: Some(q.greeks.delta),
                        implied_volatility: Some(q.volatility),
                        open_interest: Some(10_000),
                        multiplier: Decimal::ONE_HUNDRED,
                    });
                }
                k += step;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn now() -> DateTime<Utc> {
        New_York
            .with_ymd_and_hms(2024, 3, 1, 16, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn prices_follow_black_scholes_and_settle_at_intrinsic() {
        let m = OptionModel::default();
        let call: OccSymbol = "SPY240315C00500000".parse().unwrap();
        let q = m.quote(&call, dec!(500), now(), 0.30);
        // Hull's formula at S = K = 500, T = 14/365, r = 4%, sigma = 30%: about 11.9.
        // Fourteen days, less the hour lost to daylight saving time on 10 March.
        let t = years_to_expiry(now(), call.expiration());
        assert!((t * 365.0 - (14.0 - 1.0 / 24.0)).abs() < 1e-9, "{t}");
        let bs = BlackScholes {
            spot: 500.0,
            strike: 500.0,
            time_years: t,
            rate: 0.04,
            dividend_yield: 0.0,
            volatility: 0.30,
        };
        let want = bs.price(OptionType::Call).unwrap();
        assert!((q.price.to_f64().unwrap() - want).abs() < 1e-4, "{q:?}");
        assert!((q.greeks.delta - 0.52).abs() < 0.02, "{q:?}");
        assert!(q.greeks.gamma > 0.0 && q.greeks.theta < 0.0 && q.greeks.vega > 0.0);
        assert_eq!(q.volatility, 0.30);
        // 4% wide around the price, to the cent.
        assert_eq!(
            q.ask - q.bid,
            ((q.price * dec!(1.02)) * dec!(100)).ceil() / dec!(100)
                - ((q.price * dec!(0.98)) * dec!(100)).floor() / dec!(100)
        );
        let expired = New_York
            .with_ymd_and_hms(2024, 3, 15, 16, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        let at_expiry = m.quote(&call, dec!(510), expired, 0.30);
        assert_eq!((at_expiry.price, at_expiry.greeks.delta), (dec!(10), 1.0));
        let put: OccSymbol = "SPY240315P00500000".parse().unwrap();
        let worthless = m.quote(&put, dec!(510), expired, 0.30);
        assert_eq!(
            (worthless.price, worthless.bid, worthless.ask),
            (dec!(0), dec!(0), dec!(0.01))
        );
        assert_eq!(intrinsic(&put, dec!(490)), dec!(10));
    }

    #[test]
    fn the_spread_has_a_minimum_and_no_bid_below_it() {
        let s = SpreadModel::default();
        assert_eq!(s.quote(dec!(10)), (dec!(9.80), dec!(10.20)));
        // 4% of 0.20 is 0.008: the one-cent minimum applies, and the cents round outwards.
        assert_eq!(s.quote(dec!(0.20)), (dec!(0.19), dec!(0.21)));
        assert_eq!(s.quote(dec!(0.012)), (dec!(0), dec!(0.02)));
        let nickel = SpreadModel {
            fraction: dec!(0.04),
            min: dec!(0.05),
        };
        assert_eq!(nickel.quote(dec!(0.50)), (dec!(0.47), dec!(0.53)));
        assert_eq!(nickel.quote(dec!(0.02)), (dec!(0), dec!(0.05)));
        let wide = SpreadModel {
            fraction: dec!(0.10),
            min: dec!(0),
        };
        assert_eq!(wide.quote(dec!(2.005)), (dec!(1.90), dec!(2.11)));
    }

    #[test]
    fn realized_volatility_is_floored_and_waits_for_its_window() {
        let m = VolatilityModel::default();
        assert_eq!(m.resolve(None), 0.30);
        assert_eq!(m.resolve(Some(0.05)), 0.15);
        assert_eq!(m.resolve(Some(0.62)), 0.62);
        assert_eq!(m.resolve(Some(f64::NAN)), 0.30);
        assert_eq!(VolatilityModel::Fixed(0.2).resolve(Some(0.9)), 0.2);
    }

    #[test]
    fn chain_quotes_every_strike_of_the_given_expirations() {
        let m = OptionModel::default();
        let exps = [
            NaiveDate::from_ymd_opt(2024, 3, 8).unwrap(),
            NaiveDate::from_ymd_opt(2024, 3, 15).unwrap(),
        ];
        let c = m.chain("SPY", OptionType::Put, dec!(500), now(), 0.25, &exps);
        let got: std::collections::BTreeSet<_> = c.iter().map(|q| q.symbol.expiration()).collect();
        assert_eq!(got, exps.into_iter().collect());
        assert!(c.iter().all(|q| q.symbol.strike() % dec!(5) == dec!(0)));
        assert!(
            c.iter()
                .all(|q| q.delta.unwrap() <= 0.0 && q.implied_volatility == Some(0.25))
        );
        assert!(
            c.iter().any(|q| (q.delta.unwrap() + 0.45).abs() < 0.06),
            "a near-ATM put"
        );
    }
}
