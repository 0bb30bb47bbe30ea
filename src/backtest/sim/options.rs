//! Simulated option prices: Black-Scholes from the underlying's last price with a configured
//! volatility, so option strategies can be backtested without option history. The underlying is
//! the contract's OCC root. Expiry settles at intrinsic value.

use crate::options::greeks::BlackScholes;
use crate::options::select::ContractQuote;
use crate::options::{OccSymbol, OptionType};
use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::America::New_York;
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};

/// Model parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptionModel {
    /// Annualised volatility used for every contract.
    pub volatility: f64,
    /// Risk-free rate.
    pub rate: f64,
    /// Half the bid-ask spread as a fraction of the model price (the quote is price -/+ this).
    pub half_spread: Decimal,
}

impl Default for OptionModel {
    fn default() -> Self {
        Self {
            volatility: 0.30,
            rate: 0.04,
            half_spread: Decimal::new(2, 2),
        }
    }
}

/// Years from `now` to the contract's 16:00 New York expiry (never negative).
pub fn years_to_expiry(now: DateTime<Utc>, expiration: NaiveDate) -> f64 {
    let expiry = New_York
        .from_local_datetime(&expiration.and_hms_opt(16, 0, 0).expect("valid time"))
        .single()
        .expect("16:00 is unambiguous")
        .with_timezone(&Utc);
    ((expiry - now).num_seconds().max(0) as f64) / (365.0 * 86_400.0)
}

/// Intrinsic value per share at `spot`.
pub fn intrinsic(symbol: &OccSymbol, spot: Decimal) -> Decimal {
    match symbol.option_type() {
        OptionType::Call => (spot - symbol.strike()).max(Decimal::ZERO),
        OptionType::Put => (symbol.strike() - spot).max(Decimal::ZERO),
    }
}

fn to_cents_up(x: f64) -> Decimal {
    Decimal::from_f64((x * 100.0).ceil() / 100.0).unwrap_or_default()
}

fn to_cents_down(x: f64) -> Decimal {
    Decimal::from_f64((x * 100.0).floor() / 100.0).unwrap_or_default()
}

impl OptionModel {
    /// Model price per share and delta at `spot`; intrinsic value once expired.
    pub fn value(&self, symbol: &OccSymbol, spot: Decimal, now: DateTime<Utc>) -> (Decimal, f64) {
        let t = years_to_expiry(now, symbol.expiration());
        let s = spot.to_f64().unwrap_or(0.0);
        let bs = BlackScholes {
            spot: s,
            strike: symbol.strike().to_f64().unwrap_or(0.0),
            time_years: t,
            rate: self.rate,
            dividend_yield: 0.0,
            volatility: self.volatility,
        };
        match (t > 0.0)
            .then(|| bs.greeks(symbol.option_type()))
            .and_then(Result::ok)
        {
            Some(g) => (
                Decimal::from_f64(g.price).unwrap_or_default().round_dp(4),
                g.delta,
            ),
            None => {
                let iv = intrinsic(symbol, spot);
                let itm = !iv.is_zero();
                let delta = match (symbol.option_type(), itm) {
                    (OptionType::Call, true) => 1.0,
                    (OptionType::Put, true) => -1.0,
                    _ => 0.0,
                };
                (iv, delta)
            }
        }
    }

    /// A two-sided quote around the model price, in cents (bid rounded down, ask up, ask at
    /// least one cent).
    pub fn quote(
        &self,
        symbol: &OccSymbol,
        spot: Decimal,
        now: DateTime<Utc>,
    ) -> (Decimal, Decimal, f64) {
        let (price, delta) = self.value(symbol, spot, now);
        let p = price.to_f64().unwrap_or(0.0);
        let h = self.half_spread.to_f64().unwrap_or(0.0);
        let bid = to_cents_down(p * (1.0 - h)).max(Decimal::ZERO);
        let ask = to_cents_up(p * (1.0 + h)).max(Decimal::new(1, 2));
        (bid, ask, delta)
    }

    /// A synthetic chain: weekly Friday expirations in `[from, to]`, strikes within 25% of spot
    /// on a grid that suits the price (0.5 below $25, 1 below $200, 5 above), every contract
    /// quoted by the model with a deep open interest.
    pub fn chain(
        &self,
        underlying: &str,
        option_type: OptionType,
        spot: Decimal,
        now: DateTime<Utc>,
        from: NaiveDate,
        to: NaiveDate,
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
        let mut d = from;
        while d <= to {
            if d.weekday() == Weekday::Fri {
                let mut k = lo.max(step);
                while k <= hi {
                    if let Ok(symbol) = OccSymbol::new(underlying, d, option_type, k) {
                        let (bid, ask, delta) = self.quote(&symbol, spot, now);
                        out.push(ContractQuote {
                            symbol,
                            bid: (bid > Decimal::ZERO).then_some(bid),
                            ask: Some(ask),
                            last: None,
                            delta: Some(delta),
                            implied_volatility: Some(self.volatility),
                            open_interest: Some(10_000),
                            multiplier: Decimal::ONE_HUNDRED,
                        });
                    }
                    k += step;
                }
            }
            d = d + Days::new(1);
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
    fn prices_follow_the_model_and_settle_at_intrinsic() {
        let m = OptionModel::default();
        let call: OccSymbol = "SPY240315C00500000".parse().unwrap();
        let (p, d) = m.value(&call, dec!(500), now());
        assert!(p > dec!(5) && p < dec!(15), "{p}");
        assert!((d - 0.5).abs() < 0.1, "{d}");
        let (bid, ask, _) = m.quote(&call, dec!(500), now());
        assert!(bid < p && ask > p && ask - bid < p * dec!(0.05));
        let expired = New_York
            .with_ymd_and_hms(2024, 3, 15, 16, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(m.value(&call, dec!(510), expired).0, dec!(10));
        let put: OccSymbol = "SPY240315P00500000".parse().unwrap();
        assert_eq!(m.value(&put, dec!(510), expired).0, dec!(0));
        assert_eq!(intrinsic(&put, dec!(490)), dec!(10));
    }

    #[test]
    fn chain_has_fridays_and_a_price_grid() {
        let m = OptionModel::default();
        let from = NaiveDate::from_ymd_opt(2024, 3, 8).unwrap();
        let to = NaiveDate::from_ymd_opt(2024, 3, 22).unwrap();
        let c = m.chain("SPY", OptionType::Put, dec!(500), now(), from, to);
        let exps: std::collections::BTreeSet<_> = c.iter().map(|q| q.symbol.expiration()).collect();
        assert_eq!(exps.len(), 3, "three Fridays");
        assert!(c.iter().all(|q| q.symbol.strike() % dec!(5) == dec!(0)));
        assert!(
            c.iter().all(|q| q.delta.unwrap() <= 0.0),
            "puts have negative delta"
        );
        assert!(
            c.iter().any(|q| (q.delta.unwrap() + 0.45).abs() < 0.06),
            "a near-ATM put exists"
        );
    }
}
