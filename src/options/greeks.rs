//! Black-Scholes(-Merton) prices and greeks for European options.
//!
//! Used when a snapshot has no greeks: contract selection needs a delta, and the model only needs
//! spot, strike, time, rate and an implied volatility. American equity options are priced as
//! European; for the short-dated, near-the-money contracts the toolkit selects, the early-exercise
//! premium is small and the delta is what matters.
//!
//! Formulas: Hull, *Options, Futures, and Other Derivatives*, chapter 15 (pricing, with a
//! continuous dividend yield `q` as in chapter 17) and chapter 19 (greeks).
//!
//! Units, chosen to match Hull's tables so the values can be compared with the book directly:
//! - `theta` is per **year** ([`Greeks::theta_per_day`] divides by 365 calendar days);
//! - `vega` and `rho` are per **1.00** change in volatility or rate (i.e. per 100 percentage
//!   points; [`Greeks::vega_per_point`] and [`Greeks::rho_per_point`] give the per-1% values).
//!
//! Everything here is `f64`: volatility and greeks are model quantities, not money.

use super::OptionType;

/// Inputs to the Black-Scholes model.
///
/// Kept as a struct rather than positional arguments because five `f64`s in a row are easy to
/// swap by mistake.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlackScholes {
    /// Price of the underlying.
    pub spot: f64,
    /// Strike price.
    pub strike: f64,
    /// Time to expiry in years (calendar days / 365).
    pub time_years: f64,
    /// Continuously compounded risk-free rate, e.g. `0.05` for 5%.
    pub rate: f64,
    /// Continuous dividend yield; `0.0` for most short-dated equity work.
    pub dividend_yield: f64,
    /// Annualised volatility, e.g. `0.20` for 20%.
    pub volatility: f64,
}

/// Price and sensitivities of one option, in the units described in the module docs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Greeks {
    /// Model price per share (not per contract).
    pub price: f64,
    /// dPrice/dSpot: in 0..1 for calls, -1..0 for puts.
    pub delta: f64,
    /// dDelta/dSpot; the same for calls and puts.
    pub gamma: f64,
    /// dPrice/dTime per year of calendar time (negative for long options, usually).
    pub theta: f64,
    /// dPrice/dVolatility per 1.00 of volatility.
    pub vega: f64,
    /// dPrice/dRate per 1.00 of rate.
    pub rho: f64,
}

impl Greeks {
    /// Theta per calendar day, the figure traders usually quote.
    pub fn theta_per_day(&self) -> f64 {
        self.theta / 365.0
    }

    /// Vega per one volatility point (1%), the figure brokers usually quote.
    pub fn vega_per_point(&self) -> f64 {
        self.vega / 100.0
    }

    /// Rho per one percentage point of rate.
    pub fn rho_per_point(&self) -> f64 {
        self.rho / 100.0
    }
}

/// Why the model cannot be evaluated for the given inputs.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum GreeksError {
    /// An input is NaN or infinite.
    #[error("Black-Scholes input {name} is not a finite number ({value})")]
    NotFinite {
        /// Which input.
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// An input that must be strictly positive is zero or negative.
    #[error("Black-Scholes input {name} must be greater than zero, got {value}")]
    NotPositive {
        /// Which input.
        name: &'static str,
        /// Its value.
        value: f64,
    },
}

impl BlackScholes {
    fn validate(&self) -> Result<(), GreeksError> {
        let all = [
            ("spot", self.spot),
            ("strike", self.strike),
            ("time_years", self.time_years),
            ("rate", self.rate),
            ("dividend_yield", self.dividend_yield),
            ("volatility", self.volatility),
        ];
        for (name, value) in all {
            if !value.is_finite() {
                return Err(GreeksError::NotFinite { name, value });
            }
        }
        // At expiry or with zero volatility d1 divides by zero; callers decide what an expiring
        // contract's delta should be, the model does not guess.
        for (name, value) in &all[..3] {
            if *value <= 0.0 {
                return Err(GreeksError::NotPositive {
                    name,
                    value: *value,
                });
            }
        }
        if self.volatility <= 0.0 {
            return Err(GreeksError::NotPositive {
                name: "volatility",
                value: self.volatility,
            });
        }
        Ok(())
    }

    /// d1 and d2 (Hull eq. 15.20-15.21, with dividend yield as in 17.4).
    fn d1_d2(&self) -> (f64, f64) {
        let vol_sqrt_t = self.volatility * self.time_years.sqrt();
        let d1 = ((self.spot / self.strike).ln()
            + (self.rate - self.dividend_yield + 0.5 * self.volatility * self.volatility)
                * self.time_years)
            / vol_sqrt_t;
        (d1, d1 - vol_sqrt_t)
    }

    /// `e^{-qT}`; skips the `exp` call in the common no-dividend case, which is a measurable part
    /// of selecting from a chain without greeks.
    fn carry(&self) -> f64 {
        if self.dividend_yield == 0.0 {
            1.0
        } else {
            (-self.dividend_yield * self.time_years).exp()
        }
    }

    /// Delta alone, cheaper than [`BlackScholes::greeks`]; this is what contract selection calls
    /// once per contract without greeks.
    pub fn delta(&self, option_type: OptionType) -> Result<f64, GreeksError> {
        self.validate()?;
        let (d1, _) = self.d1_d2();
        let carry = self.carry();
        Ok(match option_type {
            OptionType::Call => carry * normal_cdf(d1),
            OptionType::Put => carry * (normal_cdf(d1) - 1.0),
        })
    }

    /// Price and all five greeks (Hull, sections 19.4-19.9, dividend-yield forms of table 19.6).
    pub fn greeks(&self, option_type: OptionType) -> Result<Greeks, GreeksError> {
        self.validate()?;
        let Self {
            spot: s,
            strike: k,
            time_years: t,
            rate: r,
            dividend_yield: q,
            volatility: sigma,
        } = *self;
        let (d1, d2) = self.d1_d2();
        let sqrt_t = t.sqrt();
        let carry = self.carry();
        let discount = (-r * t).exp();
        let pdf_d1 = normal_pdf(d1);
        let gamma = carry * pdf_d1 / (s * sigma * sqrt_t);
        let vega = s * carry * pdf_d1 * sqrt_t;
        let decay = -s * carry * pdf_d1 * sigma / (2.0 * sqrt_t);
        let g = match option_type {
            OptionType::Call => {
                let (n1, n2) = (normal_cdf(d1), normal_cdf(d2));
                Greeks {
                    price: s * carry * n1 - k * discount * n2,
                    delta: carry * n1,
                    gamma,
                    theta: decay + q * s * carry * n1 - r * k * discount * n2,
                    vega,
                    rho: k * t * discount * n2,
                }
            }
            OptionType::Put => {
                let (n1, n2) = (normal_cdf(-d1), normal_cdf(-d2));
                Greeks {
                    price: k * discount * n2 - s * carry * n1,
                    delta: -carry * n1,
                    gamma,
                    theta: decay - q * s * carry * n1 + r * k * discount * n2,
                    vega,
                    rho: -k * t * discount * n2,
                }
            }
        };
        Ok(g)
    }

    /// Model price per share.
    pub fn price(&self, option_type: OptionType) -> Result<f64, GreeksError> {
        self.greeks(option_type).map(|g| g.price)
    }
}

/// The intrinsic value per share of `symbol` with the underlying at `spot`: what exercising it
/// is worth, and what it settles at on expiry (never negative).
pub fn intrinsic(symbol: &super::OccSymbol, spot: rust_decimal::Decimal) -> rust_decimal::Decimal {
    let zero = rust_decimal::Decimal::ZERO;
    match symbol.option_type() {
        OptionType::Call => (spot - symbol.strike()).max(zero),
        OptionType::Put => (symbol.strike() - spot).max(zero),
    }
}

/// Standard normal density.
pub fn normal_pdf(x: f64) -> f64 {
    // 1 / sqrt(2 pi)
    const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
    INV_SQRT_2PI * (-0.5 * x * x).exp()
}

/// Standard normal cumulative distribution, accurate to about 1e-15 absolute.
///
/// Hart's double-precision rational approximation (J. F. Hart et al., *Computer Approximations*,
/// 1968, algorithm 5666) as given by Graeme West, "Better approximations to cumulative normal
/// functions", Wilmott Magazine, 2005: a rational function for |x| < 7.07 and a continued
/// fraction in the tails. Chosen over the common 7-digit Abramowitz-Stegun 26.2.17 formula because
/// greeks are compared with published values to several decimals.
pub fn normal_cdf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    let a = x.abs();
    let tail = if a > 37.0 {
        0.0
    } else {
        let e = (-0.5 * a * a).exp();
        if a < 7.071_067_811_865_47 {
            let num = (((((0.035_262_496_599_891_1 * a + 0.700_383_064_443_688) * a
                + 6.373_962_203_531_65)
                * a
                + 33.912_866_078_383)
                * a
                + 112.079_291_497_871)
                * a
                + 221.213_596_169_931)
                * a
                + 220.206_867_912_376;
            let den = ((((((0.088_388_347_648_318_4 * a + 1.755_667_163_182_64) * a
                + 16.064_177_579_207)
                * a
                + 86.780_732_202_946_1)
                * a
                + 296.564_248_779_674)
                * a
                + 637.333_633_378_831)
                * a
                + 793.826_512_519_948)
                * a
                + 440.413_735_824_752;
            e * num / den
        } else {
            let cf = a + 1.0 / (a + 2.0 / (a + 3.0 / (a + 4.0 / (a + 0.65))));
            e / cf / 2.506_628_274_631
        }
    };
    if x > 0.0 { 1.0 - tail } else { tail }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// Independent reference: Simpson's rule on the density from 0 to |x|.
    fn cdf_by_integration(x: f64) -> f64 {
        let n = 20_000;
        let h = x.abs() / n as f64;
        let mut sum = normal_pdf(0.0) + normal_pdf(x.abs());
        for i in 1..n {
            let w = if i % 2 == 1 { 4.0 } else { 2.0 };
            sum += w * normal_pdf(i as f64 * h);
        }
        let half = sum * h / 3.0;
        if x >= 0.0 { 0.5 + half } else { 0.5 - half }
    }

    #[test]
    fn normal_cdf_matches_tables_and_integration() {
        // Values of Phi from standard tables (to 16 digits).
        let table = [
            (0.0, 0.5),
            (1.0, 0.841_344_746_068_542_9),
            (-1.0, 0.158_655_253_931_457_07),
            (1.96, 0.975_002_104_851_779_5),
            (2.0, 0.977_249_868_051_820_8),
            (3.0, 0.998_650_101_968_369_9),
        ];
        for (x, want) in table {
            assert!(close(normal_cdf(x), want, 1e-14), "Phi({x})");
        }
        let mut x = -8.0;
        while x <= 8.0 {
            assert!(
                close(normal_cdf(x), cdf_by_integration(x), 1e-12),
                "Phi({x})"
            );
            x += 0.37;
        }
        assert_eq!(normal_cdf(-40.0), 0.0);
        assert_eq!(normal_cdf(40.0), 1.0);
        assert!(normal_cdf(f64::NAN).is_nan());
    }

    #[test]
    fn normal_cdf_is_symmetric_and_monotone() {
        let mut prev = 0.0;
        for i in -1000..=1000 {
            let x = i as f64 / 100.0;
            let p = normal_cdf(x);
            assert!(close(p + normal_cdf(-x), 1.0, 1e-15));
            assert!(p >= prev, "not monotone at {x}");
            prev = p;
        }
    }

    /// Hull, Example 15.6: S=42, K=40, r=10%, sigma=20%, T=0.5 gives d1=0.7693, d2=0.6278,
    /// c=4.76, p=0.81.
    #[test]
    fn hull_example_15_6_prices() {
        let m = BlackScholes {
            spot: 42.0,
            strike: 40.0,
            time_years: 0.5,
            rate: 0.10,
            dividend_yield: 0.0,
            volatility: 0.20,
        };
        let (d1, d2) = m.d1_d2();
        assert!(close(d1, 0.7693, 5e-5) && close(d2, 0.6278, 5e-5));
        let c = m.price(OptionType::Call).unwrap();
        let p = m.price(OptionType::Put).unwrap();
        assert!(close(c, 4.76, 0.005), "call {c}");
        assert!(close(p, 0.81, 0.005), "put {p}");
        // Put-call parity, an identity the model must satisfy: c - p = S - K e^{-rT}.
        assert!(close(c - p, 42.0 - 40.0 * (-0.05f64).exp(), 1e-12));
    }

    /// Hull, Examples 19.1 and 19.4-19.7 (a 20-week call, S=49, K=50, r=5%, sigma=20%,
    /// T=0.3846): price 2.40, delta 0.522, gamma 0.066, theta -4.31/year, vega 12.1, rho 8.91.
    #[test]
    fn hull_chapter_19_call_greeks() {
        let m = BlackScholes {
            spot: 49.0,
            strike: 50.0,
            time_years: 0.3846,
            rate: 0.05,
            dividend_yield: 0.0,
            volatility: 0.20,
        };
        let g = m.greeks(OptionType::Call).unwrap();
        assert!(close(g.price, 2.40, 0.005), "{g:?}");
        assert!(close(g.delta, 0.522, 0.0005), "{g:?}");
        assert!(close(g.gamma, 0.066, 0.0005), "{g:?}");
        assert!(close(g.theta, -4.31, 0.005), "{g:?}");
        assert!(close(g.theta_per_day(), -0.0118, 0.00005), "{g:?}");
        assert!(close(g.vega, 12.1, 0.05), "{g:?}");
        assert!(close(g.vega_per_point(), 0.121, 0.0005), "{g:?}");
        assert!(close(g.rho, 8.91, 0.005), "{g:?}");
        assert!(close(g.rho_per_point(), 0.0891, 0.00005), "{g:?}");
        assert!(close(m.delta(OptionType::Call).unwrap(), g.delta, 1e-15));
    }

    /// Put greeks follow from the call's through parity: delta_p = delta_c - e^{-qT},
    /// theta_p = theta_c + rKe^{-rT} - qSe^{-qT}, rho_p = rho_c - KTe^{-rT}; gamma and vega equal.
    #[test]
    fn put_greeks_satisfy_parity_relations() {
        let m = BlackScholes {
            spot: 105.0,
            strike: 100.0,
            time_years: 30.0 / 365.0,
            rate: 0.045,
            dividend_yield: 0.013,
            volatility: 0.35,
        };
        let c = m.greeks(OptionType::Call).unwrap();
        let p = m.greeks(OptionType::Put).unwrap();
        let (s, k, t, r, q) = (m.spot, m.strike, m.time_years, m.rate, m.dividend_yield);
        assert!(p.delta < 0.0 && c.delta > 0.0);
        assert!(close(p.delta, c.delta - (-q * t).exp(), 1e-14));
        assert!(close(p.gamma, c.gamma, 1e-14) && close(p.vega, c.vega, 1e-12));
        let parity_theta = c.theta + r * k * (-r * t).exp() - q * s * (-q * t).exp();
        assert!(close(p.theta, parity_theta, 1e-10));
        assert!(close(p.rho, c.rho - k * t * (-r * t).exp(), 1e-10));
        assert!(close(
            c.price - p.price,
            s * (-q * t).exp() - k * (-r * t).exp(),
            1e-10
        ));
    }

    /// Greeks agree with central finite differences of the price, an independent check of every
    /// closed form above.
    #[test]
    fn greeks_match_finite_differences() {
        let base = BlackScholes {
            spot: 97.0,
            strike: 100.0,
            time_years: 0.2,
            rate: 0.03,
            dividend_yield: 0.01,
            volatility: 0.28,
        };
        for ty in [OptionType::Call, OptionType::Put] {
            let g = base.greeks(ty).unwrap();
            let price = |m: BlackScholes| m.price(ty).unwrap();
            let h = 1e-3;
            let up = |f: fn(&mut BlackScholes, f64)| {
                let (mut a, mut b) = (base, base);
                f(&mut a, h);
                f(&mut b, -h);
                (price(a) - price(b)) / (2.0 * h)
            };
            let delta = up(|m, d| m.spot += d);
            let vega = up(|m, d| m.volatility += d);
            let rho = up(|m, d| m.rate += d);
            // Theta is minus the derivative with respect to time to expiry.
            let theta = -up(|m, d| m.time_years += d);
            let (mut a, mut b) = (base, base);
            a.spot += h;
            b.spot -= h;
            let gamma = (price(a) - 2.0 * price(base) + price(b)) / (h * h);
            assert!(close(g.delta, delta, 1e-6), "{ty} delta");
            assert!(close(g.gamma, gamma, 1e-4), "{ty} gamma");
            assert!(close(g.vega, vega, 1e-5), "{ty} vega");
            assert!(close(g.rho, rho, 1e-5), "{ty} rho");
            assert!(close(g.theta, theta, 1e-4), "{ty} theta");
        }
    }

    #[test]
    fn bad_inputs_are_errors_not_panics() {
        let ok = BlackScholes {
            spot: 100.0,
            strike: 100.0,
            time_years: 0.1,
            rate: 0.0,
            dividend_yield: 0.0,
            volatility: 0.2,
        };
        assert!(ok.greeks(OptionType::Call).is_ok());
        type Edit = fn(&mut BlackScholes);
        let cases: [(Edit, &str); 6] = [
            (|m| m.spot = 0.0, "spot"),
            (|m| m.strike = -1.0, "strike"),
            (|m| m.time_years = 0.0, "time_years"),
            (|m| m.volatility = 0.0, "volatility"),
            (|m| m.volatility = f64::NAN, "volatility"),
            (|m| m.rate = f64::INFINITY, "rate"),
        ];
        for (edit, name) in cases {
            let mut m = ok;
            edit(&mut m);
            let err = m.delta(OptionType::Put).unwrap_err();
            assert!(err.to_string().contains(name), "{err}");
            assert_eq!(
                m.greeks(OptionType::Call).unwrap_err().to_string(),
                err.to_string()
            );
        }
    }

    #[test]
    fn deep_moneyness_limits() {
        let m = BlackScholes {
            spot: 200.0,
            strike: 100.0,
            time_years: 7.0 / 365.0,
            rate: 0.05,
            dividend_yield: 0.0,
            volatility: 0.2,
        };
        assert!(close(m.delta(OptionType::Call).unwrap(), 1.0, 1e-12));
        assert!(close(m.delta(OptionType::Put).unwrap(), 0.0, 1e-12));
    }
}
