//! How much to buy: shares of a stock or contracts of an option.
//!
//! # Equities ([`size_equity`])
//! The method gives a dollar budget: a fraction of equity (default 10%), a fixed amount, or
//! risk-based (`risk_per_trade / |price - stop|` shares, so a stop-out loses about
//! `risk_per_trade`). The budget is then capped by buying power and, if set, by
//! `max_equity_fraction` of equity. Whole shares are `floor(budget / price)`; an asset that
//! allows fractional trading (and a policy that allows it) gets a notional amount in cents
//! instead, at least $1 (Alpaca's minimum notional order).
//!
//! # Options ([`size_option`])
//! `contracts = floor(capital / (premium x multiplier))`, where capital is the smaller of the
//! per-trade maximum (default $300, a small account's budget) and the capital available. The
//! multiplier is the contract's (`ContractQuote::multiplier`, usually 100): never the quote's
//! `size` field, which counts contracts at the bid or ask, not shares per contract.
//!
//! A budget that buys nothing is [`SizingError::TooSmall`], never a zero-quantity order.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// How an equity position's dollar budget is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EquitySizing {
    /// This fraction of account equity, e.g. `0.10` for 10%.
    PercentOfEquity(Decimal),
    /// This many dollars.
    FixedDollars(Decimal),
    /// Enough shares that hitting the stop loses this many dollars.
    RiskBased {
        /// Dollars to lose if the stop is hit.
        risk_per_trade: Decimal,
    },
}

impl Default for EquitySizing {
    fn default() -> Self {
        EquitySizing::PercentOfEquity(Decimal::new(10, 2))
    }
}

/// Rules for [`size_equity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EquitySizingPolicy {
    /// How the budget is set (default 10% of equity).
    pub method: EquitySizing,
    /// Upper bound on the budget as a fraction of equity, whatever the method; `None` (the
    /// default) leaves only the method and buying power as limits. Useful with risk-based
    /// sizing, where a tight stop would otherwise ask for a huge position.
    pub max_equity_fraction: Option<Decimal>,
    /// Whether to size fractionable assets as a notional amount (default: whole shares only).
    pub allow_fractional: bool,
}

/// Account and price figures for [`size_equity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EquitySizingInput {
    /// Account equity.
    pub equity: Decimal,
    /// Buying power available for this order.
    pub buying_power: Decimal,
    /// Expected entry price per share.
    pub price: Decimal,
    /// Stop price; required for risk-based sizing, ignored otherwise.
    pub stop_price: Option<Decimal>,
    /// Whether the asset can be traded in fractions (Alpaca's `fractionable`).
    pub fractionable: bool,
}

/// The size of an equity order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EquitySize {
    /// A whole number of shares, at least 1.
    Shares {
        /// Shares to buy (scale 0).
        qty: Decimal,
        /// `qty x price`.
        cost: Decimal,
    },
    /// A dollar amount for a notional (fractional) order, in whole cents, at least $1.
    Notional {
        /// Dollars to spend.
        amount: Decimal,
    },
}

impl EquitySize {
    /// Dollars the order commits at the given price.
    pub fn cost(&self) -> Decimal {
        match *self {
            EquitySize::Shares { cost, .. } => cost,
            EquitySize::Notional { amount } => amount,
        }
    }
}

/// Rules for [`size_option`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OptionSizingPolicy {
    /// Most dollars to put into one option trade (default $300).
    pub max_capital_per_trade: Decimal,
}

impl Default for OptionSizingPolicy {
    fn default() -> Self {
        Self {
            max_capital_per_trade: Decimal::from(300),
        }
    }
}

/// Price figures for [`size_option`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionSizingInput {
    /// Price per share of the option (e.g. the ask or a limit price).
    pub premium: Decimal,
    /// Shares per contract: the contract's `multiplier`, not the quote's `size`.
    pub multiplier: Decimal,
    /// Capital available to this trade (e.g. buying power or portfolio headroom).
    pub available_capital: Decimal,
}

/// The size of an option order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionSize {
    /// Whole contracts, at least 1 (scale 0).
    pub contracts: Decimal,
    /// `contracts x premium x multiplier`.
    pub cost: Decimal,
}

/// Why no order size could be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizingError {
    /// An input is out of its domain (e.g. a zero price or a stop at the entry price).
    #[error("invalid sizing input {field} = {value}: {reason}")]
    InvalidInput {
        /// Which input.
        field: &'static str,
        /// Its value.
        value: Decimal,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Risk-based sizing was asked for without a stop price.
    #[error("risk-based sizing needs a stop price")]
    MissingStop,
    /// The budget does not buy one unit (share, contract, or the $1 notional minimum).
    #[error("position too small: {}", too_small_detail(.budget, .unit_cost))]
    TooSmall {
        /// Dollars available after every cap.
        budget: Decimal,
        /// Cost of the smallest order.
        unit_cost: Decimal,
    },
}

/// What a [`SizingError::TooSmall`] says beyond its kind: the figures (a skip reason that
/// names the kind itself shows only these).
pub(crate) fn too_small_detail(budget: &Decimal, unit_cost: &Decimal) -> String {
    format!("budget {budget} buys no unit costing {unit_cost}")
}

fn invalid(field: &'static str, value: Decimal, reason: &'static str) -> SizingError {
    SizingError::InvalidInput {
        field,
        value,
        reason,
    }
}

fn positive(field: &'static str, value: Decimal) -> Result<Decimal, SizingError> {
    if value > Decimal::ZERO {
        Ok(value)
    } else {
        Err(invalid(field, value, "must be greater than zero"))
    }
}

fn mul(a: Decimal, b: Decimal, field: &'static str) -> Result<Decimal, SizingError> {
    a.checked_mul(b)
        .ok_or_else(|| invalid(field, a, "overflows a decimal"))
}

fn div(a: Decimal, b: Decimal, field: &'static str) -> Result<Decimal, SizingError> {
    a.checked_div(b)
        .ok_or_else(|| invalid(field, a, "overflows a decimal"))
}

/// Sizes an equity order; see the module docs for the rules.
pub fn size_equity(
    policy: &EquitySizingPolicy,
    input: &EquitySizingInput,
) -> Result<EquitySize, SizingError> {
    let price = positive("price", input.price)?;
    if input.buying_power < Decimal::ZERO {
        return Err(invalid("buying_power", input.buying_power, "is negative"));
    }
    // Negative equity is possible after losses; it simply leaves no budget.
    let equity = input.equity.max(Decimal::ZERO);

    let mut budget = match policy.method {
        EquitySizing::PercentOfEquity(f) => {
            if f <= Decimal::ZERO || f > Decimal::ONE {
                return Err(invalid("percent_of_equity", f, "must be in (0, 1]"));
            }
            mul(equity, f, "equity")?
        }
        EquitySizing::FixedDollars(d) => positive("fixed_dollars", d)?,
        EquitySizing::RiskBased { risk_per_trade } => {
            let risk = positive("risk_per_trade", risk_per_trade)?;
            let stop = input.stop_price.ok_or(SizingError::MissingStop)?;
            let distance = price
                .checked_sub(stop)
                .ok_or_else(|| invalid("stop_price", stop, "overflows a decimal"))?
                .abs();
            if distance.is_zero() {
                return Err(invalid("stop_price", stop, "equals the entry price"));
            }
            let shares = div(risk, distance, "risk_per_trade")?;
            mul(shares, price, "risk_per_trade")?
        }
    };
    if let Some(cap) = policy.max_equity_fraction {
        if cap <= Decimal::ZERO {
            return Err(invalid(
                "max_equity_fraction",
                cap,
                "must be greater than zero",
            ));
        }
        budget = budget.min(mul(equity, cap, "equity")?);
    }
    budget = budget.min(input.buying_power);

    if policy.allow_fractional && input.fractionable {
        // Round down to whole cents so the order never exceeds the budget.
        let amount = budget.trunc_with_scale(2);
        let minimum = Decimal::ONE;
        if amount < minimum {
            return Err(SizingError::TooSmall {
                budget,
                unit_cost: minimum,
            });
        }
        return Ok(EquitySize::Notional { amount });
    }
    let qty = div(budget, price, "budget")?.floor();
    if qty < Decimal::ONE {
        return Err(SizingError::TooSmall {
            budget,
            unit_cost: price,
        });
    }
    let qty = qty.trunc_with_scale(0);
    Ok(EquitySize::Shares {
        qty,
        cost: mul(qty, price, "price")?,
    })
}

/// Sizes an option order; see the module docs for the rules.
pub fn size_option(
    policy: &OptionSizingPolicy,
    input: &OptionSizingInput,
) -> Result<OptionSize, SizingError> {
    let premium = positive("premium", input.premium)?;
    let multiplier = positive("multiplier", input.multiplier)?;
    let cap = positive("max_capital_per_trade", policy.max_capital_per_trade)?;
    let capital = cap.min(input.available_capital.max(Decimal::ZERO));
    let unit_cost = mul(premium, multiplier, "premium")?;
    let contracts = div(capital, unit_cost, "available_capital")?.floor();
    if contracts < Decimal::ONE {
        return Err(SizingError::TooSmall {
            budget: capital,
            unit_cost,
        });
    }
    let contracts = contracts.trunc_with_scale(0);
    Ok(OptionSize {
        contracts,
        cost: mul(contracts, unit_cost, "premium")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn input(equity: Decimal, bp: Decimal, price: Decimal) -> EquitySizingInput {
        EquitySizingInput {
            equity,
            buying_power: bp,
            price,
            stop_price: None,
            fractionable: false,
        }
    }

    #[test]
    fn default_is_ten_percent_of_equity_in_whole_shares() {
        let p = EquitySizingPolicy::default();
        // 10% of 25,000 = 2,500; at 183.27 that is 13.64 -> 13 shares.
        let s = size_equity(&p, &input(dec!(25000), dec!(50000), dec!(183.27))).unwrap();
        assert_eq!(
            s,
            EquitySize::Shares {
                qty: dec!(13),
                cost: dec!(2382.51)
            }
        );
        assert_eq!(s.cost(), dec!(2382.51));
    }

    #[test]
    fn buying_power_caps_the_budget() {
        let p = EquitySizingPolicy::default();
        let s = size_equity(&p, &input(dec!(25000), dec!(1000), dec!(99))).unwrap();
        assert_eq!(
            s,
            EquitySize::Shares {
                qty: dec!(10),
                cost: dec!(990)
            }
        );
    }

    #[test]
    fn fixed_dollars_and_equity_cap() {
        let mut p = EquitySizingPolicy {
            method: EquitySizing::FixedDollars(dec!(5000)),
            ..Default::default()
        };
        let i = input(dec!(20000), dec!(40000), dec!(50));
        assert_eq!(size_equity(&p, &i).unwrap().cost(), dec!(5000));
        p.max_equity_fraction = Some(dec!(0.1));
        assert_eq!(size_equity(&p, &i).unwrap().cost(), dec!(2000));
    }

    #[test]
    fn risk_based_divides_risk_by_stop_distance() {
        let p = EquitySizingPolicy {
            method: EquitySizing::RiskBased {
                risk_per_trade: dec!(200),
            },
            ..Default::default()
        };
        // Entry 50, stop 48: 2 dollars of risk per share, 200 / 2 = 100 shares.
        let mut i = input(dec!(100000), dec!(100000), dec!(50));
        i.stop_price = Some(dec!(48));
        assert_eq!(
            size_equity(&p, &i).unwrap(),
            EquitySize::Shares {
                qty: dec!(100),
                cost: dec!(5000)
            }
        );
        // A short's stop above the entry works the same way.
        i.stop_price = Some(dec!(53));
        assert_eq!(
            size_equity(&p, &i).unwrap(),
            EquitySize::Shares {
                qty: dec!(66),
                cost: dec!(3300)
            }
        );
        // Capped by the equity fraction when the stop is tight.
        i.stop_price = Some(dec!(49.99));
        let capped = EquitySizingPolicy {
            max_equity_fraction: Some(dec!(0.1)),
            ..p
        };
        assert_eq!(size_equity(&capped, &i).unwrap().cost(), dec!(10000));
        // Errors: no stop, stop at entry.
        i.stop_price = None;
        assert_eq!(size_equity(&p, &i), Err(SizingError::MissingStop));
        i.stop_price = Some(dec!(50));
        assert!(matches!(
            size_equity(&p, &i),
            Err(SizingError::InvalidInput {
                field: "stop_price",
                ..
            })
        ));
    }

    #[test]
    fn fractional_gives_cents_of_notional() {
        let p = EquitySizingPolicy {
            allow_fractional: true,
            ..Default::default()
        };
        let mut i = input(dec!(1234.567), dec!(5000), dec!(400));
        // Not fractionable: 123.4567 buys no 400-dollar share.
        assert_eq!(
            size_equity(&p, &i),
            Err(SizingError::TooSmall {
                budget: dec!(123.4567),
                unit_cost: dec!(400)
            })
        );
        i.fractionable = true;
        assert_eq!(
            size_equity(&p, &i).unwrap(),
            EquitySize::Notional {
                amount: dec!(123.45)
            }
        );
        // Under the $1 minimum.
        i.equity = dec!(9.99);
        assert!(matches!(
            size_equity(&p, &i),
            Err(SizingError::TooSmall { .. })
        ));
    }

    #[test]
    fn tiny_accounts_are_too_small_not_zero() {
        let p = EquitySizingPolicy::default();
        for equity in [dec!(0), dec!(-50), dec!(100)] {
            let r = size_equity(&p, &input(equity, dec!(100), dec!(25)));
            assert!(
                matches!(r, Err(SizingError::TooSmall { .. })),
                "{equity}: {r:?}"
            );
        }
        // Exactly one share fits.
        let s = size_equity(&p, &input(dec!(250), dec!(250), dec!(25))).unwrap();
        assert_eq!(
            s,
            EquitySize::Shares {
                qty: dec!(1),
                cost: dec!(25)
            }
        );
    }

    #[test]
    fn invalid_equity_inputs() {
        let p = EquitySizingPolicy::default();
        assert!(size_equity(&p, &input(dec!(1000), dec!(1000), dec!(0))).is_err());
        assert!(size_equity(&p, &input(dec!(1000), dec!(-1), dec!(10))).is_err());
        for f in [dec!(0), dec!(1.5)] {
            let p = EquitySizingPolicy {
                method: EquitySizing::PercentOfEquity(f),
                ..p
            };
            let err = size_equity(&p, &input(dec!(1000), dec!(1000), dec!(10))).unwrap_err();
            assert!(err.to_string().contains("percent_of_equity"), "{err}");
        }
        let huge = input(Decimal::MAX, Decimal::MAX, dec!(0.0000001));
        let p = EquitySizingPolicy {
            method: EquitySizing::PercentOfEquity(dec!(1)),
            ..p
        };
        assert!(size_equity(&p, &huge).is_err());
    }

    #[test]
    fn option_contracts_use_multiplier_and_floor() {
        let p = OptionSizingPolicy::default();
        // 300 / (1.45 x 100) = 2.07 -> 2 contracts, 290 dollars.
        let i = OptionSizingInput {
            premium: dec!(1.45),
            multiplier: dec!(100),
            available_capital: dec!(10000),
        };
        assert_eq!(
            size_option(&p, &i).unwrap(),
            OptionSize {
                contracts: dec!(2),
                cost: dec!(290)
            }
        );
        // An adjusted contract with a different multiplier buys a different number.
        let adj = OptionSizingInput {
            multiplier: dec!(50),
            ..i
        };
        assert_eq!(size_option(&p, &adj).unwrap().contracts, dec!(4));
        // Available capital below the per-trade cap limits it.
        let poor = OptionSizingInput {
            available_capital: dec!(200),
            ..i
        };
        assert_eq!(size_option(&p, &poor).unwrap().contracts, dec!(1));
        // Exactly affordable.
        let exact = OptionSizingInput {
            premium: dec!(3.00),
            ..i
        };
        assert_eq!(
            size_option(&p, &exact).unwrap(),
            OptionSize {
                contracts: dec!(1),
                cost: dec!(300)
            }
        );
    }

    #[test]
    fn option_too_expensive_is_too_small() {
        let p = OptionSizingPolicy::default();
        let i = OptionSizingInput {
            premium: dec!(3.01),
            multiplier: dec!(100),
            available_capital: dec!(10000),
        };
        assert_eq!(
            size_option(&p, &i),
            Err(SizingError::TooSmall {
                budget: dec!(300),
                unit_cost: dec!(301)
            })
        );
        let broke = OptionSizingInput {
            premium: dec!(0.10),
            available_capital: dec!(-5),
            ..i
        };
        assert!(matches!(
            size_option(&p, &broke),
            Err(SizingError::TooSmall { .. })
        ));
    }

    #[test]
    fn invalid_option_inputs() {
        let p = OptionSizingPolicy::default();
        let ok = OptionSizingInput {
            premium: dec!(1),
            multiplier: dec!(100),
            available_capital: dec!(1000),
        };
        for bad in [
            OptionSizingInput {
                premium: dec!(0),
                ..ok
            },
            OptionSizingInput {
                multiplier: dec!(0),
                ..ok
            },
            OptionSizingInput {
                premium: Decimal::MAX,
                multiplier: dec!(100),
                ..ok
            },
        ] {
            assert!(
                matches!(size_option(&p, &bad), Err(SizingError::InvalidInput { .. })),
                "{bad:?}"
            );
        }
        let zero_cap = OptionSizingPolicy {
            max_capital_per_trade: dec!(0),
        };
        assert!(size_option(&zero_cap, &ok).is_err());
    }

    fn money() -> impl Strategy<Value = Decimal> {
        (0i64..100_000_000).prop_map(|c| Decimal::new(c, 2))
    }

    proptest! {
        #[test]
        fn equity_size_within_share_and_buying_power(
            equity in money(),
            bp in money(),
            price in (1i64..500_000).prop_map(|c| Decimal::new(c, 2)),
            pct in 1i64..=100,
            fractional in any::<bool>(),
        ) {
            let f = Decimal::new(pct, 2);
            let p = EquitySizingPolicy { method: EquitySizing::PercentOfEquity(f), allow_fractional: fractional, ..Default::default() };
            let i = EquitySizingInput { equity, buying_power: bp, price, stop_price: None, fractionable: true };
            match size_equity(&p, &i) {
                Ok(s) => {
                    prop_assert!(s.cost() <= equity * f);
                    prop_assert!(s.cost() <= bp);
                    match s {
                        EquitySize::Shares { qty, cost } => {
                            prop_assert!(qty >= Decimal::ONE && qty.fract().is_zero());
                            prop_assert_eq!(cost, qty * price);
                            // Maximal: one more share would not fit.
                            prop_assert!((qty + Decimal::ONE) * price > (equity * f).min(bp));
                        }
                        EquitySize::Notional { amount } => {
                            prop_assert!(amount >= Decimal::ONE && amount.scale() <= 2);
                        }
                    }
                }
                Err(SizingError::TooSmall { budget, .. }) => {
                    prop_assert!(budget < price || fractional);
                }
                Err(e) => prop_assert!(false, "unexpected {e}"),
            }
        }

        #[test]
        fn risk_based_size_within_buying_power_and_cap(
            equity in money(),
            bp in money(),
            price in (100i64..500_000).prop_map(|c| Decimal::new(c, 2)),
            stop_off in 1i64..5_000,
            risk in money(),
        ) {
            let stop = price - Decimal::new(stop_off, 2);
            let p = EquitySizingPolicy {
                method: EquitySizing::RiskBased { risk_per_trade: risk.max(dec!(0.01)) },
                max_equity_fraction: Some(dec!(0.25)),
                ..Default::default()
            };
            let i = EquitySizingInput { equity, buying_power: bp, price, stop_price: Some(stop), fractionable: false };
            if let Ok(s) = size_equity(&p, &i) {
                prop_assert!(s.cost() <= bp && s.cost() <= equity * dec!(0.25));
                if let EquitySize::Shares { qty, .. } = s {
                    // Loss at the stop does not exceed the risk budget.
                    prop_assert!(qty * (price - stop).abs() <= risk.max(dec!(0.01)));
                }
            }
        }

        #[test]
        fn option_size_is_whole_and_within_budget(
            premium in (1i64..100_000).prop_map(|c| Decimal::new(c, 2)),
            multiplier in prop_oneof![Just(dec!(100)), Just(dec!(10)), (1i64..1000).prop_map(Decimal::from)],
            available in money(),
            cap in (1i64..10_000_000).prop_map(|c| Decimal::new(c, 2)),
        ) {
            let p = OptionSizingPolicy { max_capital_per_trade: cap };
            let i = OptionSizingInput { premium, multiplier, available_capital: available };
            match size_option(&p, &i) {
                Ok(s) => {
                    prop_assert!(s.contracts >= Decimal::ONE);
                    prop_assert!(s.contracts.fract().is_zero() && s.contracts.scale() == 0);
                    prop_assert!(s.cost <= cap && s.cost <= available);
                    prop_assert_eq!(s.cost, s.contracts * premium * multiplier);
                    prop_assert!(s.cost + premium * multiplier > cap.min(available));
                }
                Err(SizingError::TooSmall { .. }) => {
                    prop_assert!(premium * multiplier > cap.min(available));
                }
                Err(e) => prop_assert!(false, "unexpected {e}"),
            }
        }
    }
}
