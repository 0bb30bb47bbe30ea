use super::*;
use chrono::TimeZone;
use proptest::prelude::*;
use rust_decimal_macros::dec;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

const TODAY: (i32, u32, u32) = (2024, 3, 4);

fn today() -> NaiveDate {
    date(TODAY.0, TODAY.1, TODAY.2)
}

/// A liquid contract `dte` days out with a snapshot delta; edit fields for each case.
fn quote(ty: OptionType, dte: i64, strike: Decimal, delta: Option<f64>) -> ContractQuote {
    let exp = today() + chrono::Duration::days(dte);
    ContractQuote {
        symbol: OccSymbol::new("SPY", exp, ty, strike).unwrap(),
        bid: Some(dec!(1.00)),
        ask: Some(dec!(1.04)),
        last: Some(dec!(1.02)),
        delta,
        implied_volatility: None,
        open_interest: Some(500),
        multiplier: dec!(100),
    }
}

fn request(ty: OptionType, chain: &[ContractQuote]) -> SelectionRequest<'_> {
    SelectionRequest {
        underlying: "SPY",
        option_type: ty,
        spot: dec!(500),
        today: today(),
        chain,
    }
}

fn no_candidate(r: Result<Selection<'_>, SelectError>) -> NoCandidate {
    match r {
        Err(SelectError::NoCandidate(n)) => n,
        other => panic!("expected NoCandidate, got {other:?}"),
    }
}

#[test]
fn picks_delta_nearest_the_middle_of_the_range() {
    let chain = vec![
        quote(OptionType::Call, 14, dec!(495), Some(0.62)),
        quote(OptionType::Call, 14, dec!(500), Some(0.53)),
        quote(OptionType::Call, 14, dec!(502), Some(0.48)),
        quote(OptionType::Call, 14, dec!(505), Some(0.41)),
        quote(OptionType::Call, 14, dec!(510), Some(0.30)),
    ];
    let s = select_contract(
        &request(OptionType::Call, &chain),
        &SelectionPolicy::default(),
    )
    .unwrap();
    // Target is (0.40 + 0.55) / 2 = 0.475; 0.48 is 0.005 away, the nearest.
    assert_eq!(s.contract.symbol.strike(), dec!(502));
    assert_eq!(s.dte, 14);
    assert_eq!(s.delta_source, DeltaSource::Snapshot);
    assert_eq!(s.candidates, 3);
    assert_eq!(s.removed.get(Filter::DeltaOutOfRange), 2);
    assert_eq!(s.mid, dec!(1.02));
    // (1.04 - 1.00) / 1.02
    assert_eq!(s.spread_fraction.round_dp(6), dec!(0.039216));
    let reason = s.to_string();
    assert!(reason.contains("SPY240318C00502000"), "{reason}");
    assert!(reason.contains("delta 0.480 (snapshot)"), "{reason}");
    assert!(
        reason.contains("best of 3 candidate(s) by DeltaNearTarget"),
        "{reason}"
    );
}

#[test]
fn puts_use_absolute_delta() {
    let chain = vec![
        quote(OptionType::Call, 10, dec!(500), Some(0.47)),
        quote(OptionType::Put, 10, dec!(498), Some(-0.44)),
        quote(OptionType::Put, 10, dec!(490), Some(-0.30)),
        quote(OptionType::Put, 10, dec!(505), Some(-0.70)),
    ];
    let s = select_contract(
        &request(OptionType::Put, &chain),
        &SelectionPolicy::default(),
    )
    .unwrap();
    assert_eq!(s.contract.symbol.strike(), dec!(498));
    assert_eq!(s.delta, -0.44);
    assert_eq!(s.removed.get(Filter::WrongType), 1);
    assert_eq!(s.removed.get(Filter::DeltaOutOfRange), 2);
}

#[test]
fn no_candidate_counts_every_filter_once() {
    let put = OptionType::Put;
    let base = |strike| quote(put, 10, strike, Some(-0.45));
    let chain = vec![
        quote(OptionType::Call, 10, dec!(500), Some(0.45)), // wrong type
        quote(put, 30, dec!(500), Some(-0.45)),             // DTE
        ContractQuote {
            bid: Some(dec!(0)),
            ..base(dec!(501))
        }, // no bid
        ContractQuote {
            bid: Some(dec!(1.10)),
            ..base(dec!(502))
        }, // crossed
        ContractQuote {
            bid: Some(dec!(0.80)),
            ..base(dec!(503))
        }, // 26% spread
        ContractQuote {
            open_interest: Some(99),
            ..base(dec!(504))
        }, // OI
        ContractQuote {
            delta: None,
            ..base(dec!(505))
        }, // no delta, no IV
        ContractQuote {
            delta: Some(-0.56),
            ..base(dec!(506))
        }, // out of range
    ];
    let n = no_candidate(select_contract(
        &request(put, &chain),
        &SelectionPolicy::default(),
    ));
    assert_eq!(n.chain_len, 8);
    assert_eq!(n.removed.total(), 8);
    for (f, count) in n.removed.iter() {
        assert_eq!(count, 1, "{}", f.name());
    }
    let text = SelectError::NoCandidate(n).to_string();
    assert_eq!(
        text,
        "no put contract for SPY on 2024-03-04 among 8 contracts (wrong_type 1, \
         dte_outside_window 1, no_bid 1, bad_quote 1, spread_too_wide 1, low_open_interest 1, \
         no_delta 1, delta_out_of_range 1)"
    );
}

#[test]
fn empty_chain_is_a_typed_no_candidate() {
    let n = no_candidate(select_contract(
        &request(OptionType::Call, &[]),
        &SelectionPolicy::default(),
    ));
    assert_eq!(n.chain_len, 0);
    assert_eq!(n.removed.total(), 0);
    assert!(n.to_string().contains("nothing removed"));
}

#[test]
fn zero_crossed_and_one_sided_quotes() {
    let call = OptionType::Call;
    let q = |bid, ask| ContractQuote {
        bid,
        ask,
        ..quote(call, 10, dec!(500), Some(0.5))
    };
    let policy = SelectionPolicy::default();
    let cases = [
        (q(None, Some(dec!(1))), Filter::NoBid),
        (q(Some(dec!(0)), Some(dec!(1))), Filter::NoBid),
        (q(Some(dec!(1)), None), Filter::BadQuote),
        (q(Some(dec!(1)), Some(dec!(0))), Filter::BadQuote),
        (q(Some(dec!(1.05)), Some(dec!(1.00))), Filter::BadQuote),
    ];
    for (c, filter) in cases {
        let chain = [c];
        let n = no_candidate(select_contract(&request(call, &chain), &policy));
        assert_eq!(
            n.removed.get(filter),
            1,
            "{:?}/{:?}",
            chain[0].bid,
            chain[0].ask
        );
    }
    // A locked quote (bid == ask) is valid, with zero spread.
    let chain = [q(Some(dec!(1)), Some(dec!(1)))];
    let s = select_contract(&request(call, &chain), &policy).unwrap();
    assert_eq!(s.spread_fraction, dec!(0));
    // Without require_bid, a missing bid counts as zero: mid = ask / 2, spread = 200% of mid.
    let chain = [q(None, Some(dec!(0.10)))];
    let lax = SelectionPolicy {
        require_bid: false,
        max_spread_fraction: None,
        ..policy.clone()
    };
    let s = select_contract(&request(call, &chain), &lax).unwrap();
    assert_eq!((s.mid, s.spread_fraction), (dec!(0.05), dec!(2)));
    let spread_on = SelectionPolicy {
        require_bid: false,
        ..policy
    };
    let n = no_candidate(select_contract(&request(call, &chain), &spread_on));
    assert_eq!(n.removed.get(Filter::SpreadTooWide), 1);
}

#[test]
fn spread_limit_is_inclusive() {
    // mid 1.00, spread 0.10 = exactly 10%.
    let c = ContractQuote {
        bid: Some(dec!(0.95)),
        ask: Some(dec!(1.05)),
        ..quote(OptionType::Call, 10, dec!(500), Some(0.5))
    };
    let chain = [c.clone()];
    assert!(
        select_contract(
            &request(OptionType::Call, &chain),
            &SelectionPolicy::default()
        )
        .is_ok()
    );
    let chain = [ContractQuote {
        bid: Some(dec!(0.9499)),
        ..c
    }];
    assert!(
        select_contract(
            &request(OptionType::Call, &chain),
            &SelectionPolicy::default()
        )
        .is_err()
    );
}

#[test]
fn missing_open_interest_counts_as_zero_unless_filter_off() {
    let chain = [ContractQuote {
        open_interest: None,
        ..quote(OptionType::Call, 10, dec!(500), Some(0.5))
    }];
    let n = no_candidate(select_contract(
        &request(OptionType::Call, &chain),
        &SelectionPolicy::default(),
    ));
    assert_eq!(n.removed.get(Filter::LowOpenInterest), 1);
    let off = SelectionPolicy {
        min_open_interest: 0,
        ..SelectionPolicy::default()
    };
    assert!(select_contract(&request(OptionType::Call, &chain), &off).is_ok());
}

#[test]
fn missing_greeks_use_black_scholes_from_iv_then_fallback() {
    let put = OptionType::Put;
    let with_iv = ContractQuote {
        delta: None,
        implied_volatility: Some(0.25),
        ..quote(put, 14, dec!(498), None)
    };
    let chain = [with_iv];
    let policy = SelectionPolicy::default();
    let s = select_contract(&request(put, &chain), &policy).unwrap();
    let expected = BlackScholes {
        spot: 500.0,
        strike: 498.0,
        time_years: 14.0 / 365.0,
        rate: policy.risk_free_rate,
        dividend_yield: 0.0,
        volatility: 0.25,
    }
    .delta(put)
    .unwrap();
    assert_eq!(s.delta_source, DeltaSource::ImpliedVolatility);
    assert_eq!(s.delta, expected);
    assert!(s.delta < -0.4 && s.delta > -0.5, "{}", s.delta);
    assert!(s.to_string().contains("Black-Scholes from IV"));

    // No delta, no IV (or a useless IV): dropped unless the policy has a fallback.
    for iv in [None, Some(0.0), Some(f64::NAN)] {
        let chain = [ContractQuote {
            implied_volatility: iv,
            ..chain[0].clone()
        }];
        let n = no_candidate(select_contract(&request(put, &chain), &policy));
        assert_eq!(n.removed.get(Filter::NoDelta), 1);
        let fb = SelectionPolicy {
            fallback_iv: Some(0.25),
            ..policy.clone()
        };
        let s = select_contract(&request(put, &chain), &fb).unwrap();
        assert_eq!(s.delta_source, DeltaSource::FallbackVolatility);
        assert_eq!(s.delta, expected);
    }
    // A NaN snapshot delta is treated as missing.
    let chain = [ContractQuote {
        delta: Some(f64::NAN),
        ..chain[0].clone()
    }];
    let s = select_contract(&request(put, &chain), &policy).unwrap();
    assert_eq!(s.delta_source, DeltaSource::ImpliedVolatility);
}

#[test]
fn same_day_expiry_gets_a_quarter_day_of_time() {
    let call = OptionType::Call;
    let chain = [ContractQuote {
        delta: None,
        implied_volatility: Some(0.20),
        ..quote(call, 0, dec!(500), None)
    }];
    let policy = SelectionPolicy {
        min_dte: 0,
        ..SelectionPolicy::default()
    };
    let s = select_contract(&request(call, &chain), &policy).unwrap();
    assert_eq!(s.dte, 0);
    let expected = BlackScholes {
        spot: 500.0,
        strike: 500.0,
        time_years: 0.25 / 365.0,
        rate: 0.04,
        dividend_yield: 0.0,
        volatility: 0.2,
    }
    .delta(call)
    .unwrap();
    assert_eq!(s.delta, expected);
}

#[test]
fn dte_window_is_inclusive_and_expired_contracts_are_out() {
    let call = OptionType::Call;
    let chain: Vec<_> = [-1, 0, 6, 7, 21, 22]
        .iter()
        .enumerate()
        .map(|(i, &d)| quote(call, d, Decimal::from(500 + i as i64), Some(0.5)))
        .collect();
    let s = select_contract(&request(call, &chain), &SelectionPolicy::default()).unwrap();
    assert_eq!(s.candidates, 2);
    assert_eq!(s.removed.get(Filter::DteOutsideWindow), 4);
    // Both have delta 0.50 and equal spreads and OI; DteNearTarget (14) is a tie at 7 away,
    // so the final tie-break is the symbol: the earlier expiry sorts first.
    assert_eq!(s.dte, 7);
}

#[test]
fn result_does_not_depend_on_chain_order() {
    let call = OptionType::Call;
    let mut chain: Vec<_> = (0..40)
        .map(|i| {
            let mut q = quote(
                call,
                7 + i % 15,
                Decimal::from(480 + i),
                Some(0.40 + (i % 4) as f64 * 0.05),
            );
            q.open_interest = Some(100 + (i as u64 % 3) * 50);
            q
        })
        .collect();
    let a = select_contract(&request(call, &chain), &SelectionPolicy::default())
        .unwrap()
        .contract
        .clone();
    chain.reverse();
    let b = select_contract(&request(call, &chain), &SelectionPolicy::default())
        .unwrap()
        .contract
        .clone();
    assert_eq!(a, b);
}

#[test]
fn preference_order_decides() {
    let call = OptionType::Call;
    let cheap = ContractQuote {
        bid: Some(dec!(0.50)),
        ask: Some(dec!(0.52)),
        open_interest: Some(150),
        ..quote(call, 10, dec!(505), Some(0.41))
    };
    let liquid = ContractQuote {
        open_interest: Some(9000),
        ..quote(call, 10, dec!(500), Some(0.47))
    };
    let chain = [cheap, liquid];
    let by = |p: Vec<Preference>| {
        let policy = SelectionPolicy {
            preference: p,
            ..SelectionPolicy::default()
        };
        select_contract(&request(call, &chain), &policy)
            .unwrap()
            .contract
            .symbol
            .strike()
    };
    assert_eq!(by(vec![Preference::DeltaNearTarget]), dec!(500));
    assert_eq!(by(vec![Preference::LowestPremium]), dec!(505));
    assert_eq!(by(vec![Preference::HighestOpenInterest]), dec!(500));
    // 0.02/0.51 = 3.9% vs 0.04/1.02 = 3.9%: equal, so the next criterion decides.
    assert_eq!(
        by(vec![Preference::TightestSpread, Preference::LowestPremium]),
        dec!(505)
    );
    assert_eq!(
        by(vec![
            Preference::TightestSpread,
            Preference::HighestOpenInterest
        ]),
        dec!(500)
    );
}

#[test]
fn invalid_policy_and_spot_are_errors() {
    let chain = [quote(OptionType::Call, 10, dec!(500), Some(0.5))];
    let req = request(OptionType::Call, &chain);
    let bad = [
        SelectionPolicy {
            min_delta: 0.6,
            ..Default::default()
        },
        SelectionPolicy {
            max_delta: 1.5,
            ..Default::default()
        },
        SelectionPolicy {
            min_delta: f64::NAN,
            ..Default::default()
        },
        SelectionPolicy {
            min_dte: 30,
            ..Default::default()
        },
        SelectionPolicy {
            min_dte: -1,
            ..Default::default()
        },
        SelectionPolicy {
            max_spread_fraction: Some(dec!(-0.1)),
            ..Default::default()
        },
        SelectionPolicy {
            fallback_iv: Some(0.0),
            ..Default::default()
        },
        SelectionPolicy {
            risk_free_rate: f64::INFINITY,
            ..Default::default()
        },
    ];
    for p in bad {
        assert!(
            matches!(
                select_contract(&req, &p),
                Err(SelectError::InvalidPolicy(_))
            ),
            "{p:?}"
        );
    }
    let req = SelectionRequest {
        spot: dec!(0),
        ..req
    };
    assert_eq!(
        select_contract(&req, &SelectionPolicy::default()).unwrap_err(),
        SelectError::InvalidSpot(dec!(0))
    );
}

#[test]
fn policy_deserializes_with_defaults() {
    let p: SelectionPolicy =
        serde_json::from_str(r#"{"min_delta":0.3,"preference":["lowest_premium"]}"#).unwrap();
    assert_eq!(p.min_delta, 0.3);
    assert_eq!(p.max_delta, 0.55);
    assert_eq!(p.preference, vec![Preference::LowestPremium]);
}

#[test]
fn new_york_date_follows_the_offset_of_the_season() {
    // 04:30 UTC is 23:30 EST (UTC-5) the day before in winter, 00:30 EDT (UTC-4) in summer.
    assert_eq!(
        new_york_date(Utc.with_ymd_and_hms(2024, 1, 10, 4, 30, 0).unwrap()),
        date(2024, 1, 9)
    );
    assert_eq!(
        new_york_date(Utc.with_ymd_and_hms(2024, 7, 10, 4, 30, 0).unwrap()),
        date(2024, 7, 10)
    );
}

#[test]
fn dte_counts_calendar_days_across_dst_changes() {
    // Spring forward on Sunday 2024-03-10: Friday 16:00 EST to the next Friday 16:00 EDT is
    // 167 hours, which naive hours / 24 would call 6.96 days.
    let fri = Utc.with_ymd_and_hms(2024, 3, 8, 21, 0, 0).unwrap();
    let next_fri = Utc.with_ymd_and_hms(2024, 3, 15, 20, 0, 0).unwrap();
    assert_eq!((next_fri - fri).num_hours(), 167);
    assert_eq!(days_to_expiry(new_york_date(fri), date(2024, 3, 15)), 7);
    // Fall back on Sunday 2024-11-03: 169 hours, still 7 days.
    let fri = Utc.with_ymd_and_hms(2024, 11, 1, 20, 0, 0).unwrap();
    let next_fri = Utc.with_ymd_and_hms(2024, 11, 8, 21, 0, 0).unwrap();
    assert_eq!((next_fri - fri).num_hours(), 169);
    assert_eq!(days_to_expiry(new_york_date(fri), date(2024, 11, 8)), 7);
    // Late evening in New York is already the next day in UTC; DTE must not lose a day.
    let late = Utc.with_ymd_and_hms(2024, 3, 9, 2, 0, 0).unwrap(); // 21:00 EST on the 8th
    assert_eq!(days_to_expiry(new_york_date(late), date(2024, 3, 15)), 7);
    assert_eq!(days_to_expiry(date(2024, 3, 15), date(2024, 3, 14)), -1);
}

#[test]
fn nearest_expiration_handles_weekends_holidays_and_ties() {
    // Good Friday 2024-03-29: the weekly expiry moved to Thursday 03-28.
    let listed = [
        date(2024, 3, 22),
        date(2024, 3, 28),
        date(2024, 4, 5),
        date(2024, 4, 12),
    ];
    let today = date(2024, 3, 18); // Monday
    // 11 days out is the (closed) Friday; the Thursday is 1 day off, 04-05 is 7.
    assert_eq!(
        nearest_expiration(listed, today, 11),
        Some(date(2024, 3, 28))
    );
    // 12 days out is Saturday 03-30: Thursday is 2 away, 04-05 is 6.
    assert_eq!(
        nearest_expiration(listed, today, 12),
        Some(date(2024, 3, 28))
    );
    // 07-14 days: 03-22 is 4, 03-28 is 10; target 7 is 3 from both; the later date wins.
    assert_eq!(
        nearest_expiration(listed, today, 7),
        Some(date(2024, 3, 28))
    );
    // Order of the input does not matter.
    let mut rev = listed;
    rev.reverse();
    assert_eq!(nearest_expiration(rev, today, 7), Some(date(2024, 3, 28)));
    // Past dates are ignored; nothing left is None.
    assert_eq!(
        nearest_expiration(listed, date(2024, 4, 6), 0),
        Some(date(2024, 4, 12))
    );
    assert_eq!(nearest_expiration(listed, date(2024, 4, 13), 5), None);
    // Today's expiry counts as 0 DTE.
    assert_eq!(
        nearest_expiration(listed, date(2024, 3, 22), 0),
        Some(date(2024, 3, 22))
    );
}

#[test]
fn weekend_dated_expiry_counts_calendar_days() {
    // Pre-2015 monthly options carried Saturday expiration dates in their symbols.
    let s: OccSymbol = "SPY140118C00185000".parse().unwrap();
    assert_eq!(days_to_expiry(date(2014, 1, 10), s.expiration()), 8);
}

#[test]
fn strikes_by_moneyness() {
    let strikes = [
        dec!(105),
        dec!(95),
        dec!(100),
        dec!(97.5),
        dec!(102.5),
        dec!(100),
    ];
    let spot = dec!(101);
    let call = OptionType::Call;
    let put = OptionType::Put;
    let pick = |ty, m| strike_by_moneyness(&strikes, spot, ty, m);
    assert_eq!(pick(call, Moneyness::AtTheMoney), Ok(dec!(100)));
    assert_eq!(pick(call, Moneyness::OutOfTheMoney(1)), Ok(dec!(102.5)));
    assert_eq!(pick(call, Moneyness::InTheMoney(2)), Ok(dec!(95)));
    assert_eq!(pick(put, Moneyness::OutOfTheMoney(1)), Ok(dec!(97.5)));
    assert_eq!(pick(put, Moneyness::InTheMoney(2)), Ok(dec!(105)));
    assert_eq!(pick(put, Moneyness::InTheMoney(0)), Ok(dec!(100)));
    assert_eq!(
        pick(call, Moneyness::OutOfTheMoney(3)),
        Err(StrikeError::NotEnoughStrikes {
            moneyness: Moneyness::OutOfTheMoney(3),
            atm: dec!(100),
            wanted: 3,
            available: 2,
        })
    );
    assert!(pick(put, Moneyness::OutOfTheMoney(u32::MAX)).is_err());
    // Halfway between strikes: the lower one.
    assert_eq!(
        strike_by_moneyness(&strikes, dec!(101.25), call, Moneyness::AtTheMoney),
        Ok(dec!(100))
    );
    assert_eq!(
        strike_by_moneyness(&[], spot, call, Moneyness::AtTheMoney),
        Err(StrikeError::NoStrikes)
    );
    assert_eq!(
        strike_by_moneyness(&strikes, dec!(-1), call, Moneyness::AtTheMoney),
        Err(StrikeError::InvalidSpot(dec!(-1)))
    );
}

#[test]
fn contract_by_moneyness_filters_type_and_expiration() {
    let mut chain = Vec::new();
    for k in [490, 495, 500, 505, 510] {
        chain.push(quote(OptionType::Call, 7, Decimal::from(k), None));
        chain.push(quote(OptionType::Put, 7, Decimal::from(k), None));
        chain.push(quote(OptionType::Call, 14, Decimal::from(k + 1), None));
    }
    let exp = today() + chrono::Duration::days(7);
    let c = contract_by_moneyness(
        &chain,
        OptionType::Put,
        exp,
        dec!(502),
        Moneyness::OutOfTheMoney(1),
    )
    .unwrap();
    assert_eq!(c.symbol.to_string(), "SPY240311P00495000");
    let c = contract_by_moneyness(
        &chain,
        OptionType::Call,
        exp,
        dec!(502),
        Moneyness::InTheMoney(2),
    )
    .unwrap();
    assert_eq!(c.symbol.to_string(), "SPY240311C00490000");
    let none = today() + chrono::Duration::days(8);
    assert_eq!(
        contract_by_moneyness(
            &chain,
            OptionType::Call,
            none,
            dec!(502),
            Moneyness::AtTheMoney
        ),
        Err(StrikeError::NoStrikes)
    );
}

/// Independent restatement of the filters with plain division, for the property test.
fn eligible(c: &ContractQuote, ty: OptionType, p: &SelectionPolicy) -> bool {
    let dte = (c.symbol.expiration() - today()).num_days();
    let (Some(bid), Some(ask)) = (c.bid, c.ask) else {
        return false;
    };
    if c.symbol.option_type() != ty || dte < p.min_dte || dte > p.max_dte {
        return false;
    }
    if bid <= dec!(0) || ask <= dec!(0) || bid > ask {
        return false;
    }
    let mid = (bid + ask) / dec!(2);
    if (ask - bid) / mid > p.max_spread_fraction.unwrap() {
        return false;
    }
    if c.open_interest.unwrap_or(0) < p.min_open_interest {
        return false;
    }
    let d = match (c.delta, c.implied_volatility) {
        (Some(d), _) => d,
        (None, Some(iv)) => BlackScholes {
            spot: 500.0,
            strike: c.symbol.strike().to_f64().unwrap(),
            time_years: if dte == 0 {
                0.25 / 365.0
            } else {
                dte as f64 / 365.0
            },
            rate: p.risk_free_rate,
            dividend_yield: 0.0,
            volatility: iv,
        }
        .delta(ty)
        .unwrap(),
        (None, None) => return false,
    };
    (p.min_delta..=p.max_delta).contains(&d.abs())
}

fn arb_contract() -> impl Strategy<Value = ContractQuote> {
    (
        any::<bool>(),
        0i64..30,
        480u32..520,
        proptest::option::of(0i64..300),
        proptest::option::of(-1i64..8),
        proptest::option::of(-1.0f64..1.0),
        proptest::option::of(0.05f64..1.5),
        proptest::option::of(50u64..1000),
    )
        .prop_map(|(call, dte, k, bid, spread, delta, iv, oi)| {
            let ty = if call {
                OptionType::Call
            } else {
                OptionType::Put
            };
            let mut q = quote(ty, dte, Decimal::from(k), delta);
            // Ask = bid + spread in cents; a negative spread makes a crossed quote.
            q.bid = bid.map(|b| Decimal::new(b, 2));
            q.ask = spread.map(|s| Decimal::new(bid.unwrap_or(0) + s, 2));
            q.implied_volatility = iv;
            q.open_interest = oi;
            q
        })
}

proptest! {
    #[test]
    fn selection_returns_an_eligible_contract_whenever_one_exists(
        chain in proptest::collection::vec(arb_contract(), 0..100),
        call in any::<bool>(),
    ) {
        let ty = if call { OptionType::Call } else { OptionType::Put };
        let policy = SelectionPolicy::default();
        let n_eligible = chain.iter().filter(|c| eligible(c, ty, &policy)).count();
        match select_contract(&request(ty, &chain), &policy) {
            Ok(s) => {
                prop_assert!(eligible(s.contract, ty, &policy));
                prop_assert!((7..=21).contains(&s.dte));
                prop_assert_eq!(s.candidates, n_eligible);
                prop_assert_eq!(s.removed.total() + s.candidates, chain.len());
            }
            Err(SelectError::NoCandidate(n)) => {
                prop_assert_eq!(n_eligible, 0);
                prop_assert_eq!(n.removed.total(), chain.len());
            }
            Err(e) => prop_assert!(false, "unexpected {e}"),
        }
    }
}
