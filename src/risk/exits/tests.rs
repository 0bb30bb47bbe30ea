use super::*;
use chrono::TimeZone;
use proptest::prelude::*;
use rust_decimal_macros::dec;

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

/// A long call bought at 2.00 on an underlying at 100, stop 98, target 105, expiring
/// 2024-03-22, evaluated at 14:00 EDT on Monday 2024-03-11: nothing fires.
fn base() -> ExitInput {
    ExitInput {
        side: Side::Long,
        bias: Bias::Bullish,
        entry_price: dec!(2.00),
        current_price: dec!(2.00),
        underlying_price: dec!(100),
        stop: Some(dec!(98)),
        target: Some(dec!(105)),
        expiration: NaiveDate::from_ymd_opt(2024, 3, 22),
        now: at(2024, 3, 11, 18, 0),
    }
}

fn eval(policy: &ExitPolicy, input: &ExitInput) -> Option<ExitReason> {
    evaluate_exit(policy, input, &mut TrailingState::new()).unwrap()
}

#[test]
fn nothing_fires_on_a_quiet_position() {
    assert_eq!(eval(&ExitPolicy::default(), &base()), None);
}

#[test]
fn rules_fire_in_priority_order() {
    // Every rule but max profit fires at once: 2 DTE, underlying below the stop and (with the
    // target set below it) through the target, a 55% loss, after the time cutoff, and below an
    // armed trailing stop. Turning off each rule that fires must reveal the next in priority.
    // Max profit cannot fire together with max loss, so it is checked separately below.
    let all = ExitInput {
        underlying_price: dec!(97),
        target: Some(dec!(96)),
        current_price: dec!(0.90),
        now: at(2024, 3, 20, 20, 0),
        ..base()
    };
    let mut policy = ExitPolicy {
        time_exit: NaiveTime::from_hms_opt(15, 45, 0),
        ..ExitPolicy::default()
    };
    let mut fired = Vec::new();
    let mut state = TrailingState::new();
    // Prime the high-water mark at 2.10 so the trailing stop is armed and triggered too.
    state.observe(Side::Long, dec!(2.10));
    loop {
        let mut s = state;
        let Some(r) = evaluate_exit(&policy, &all, &mut s).unwrap() else {
            break;
        };
        fired.push(r.rule());
        match r.rule() {
            ExitRule::Dte => policy.dte_exit = None,
            ExitRule::Stop => policy.use_stop = false,
            ExitRule::MaxLoss => policy.max_loss = None,
            ExitRule::Target => policy.use_target = false,
            ExitRule::MaxProfit => policy.max_profit = None,
            ExitRule::Time => policy.time_exit = None,
            ExitRule::Trailing => policy.trailing = None,
        }
    }
    let expected: Vec<_> = ExitRule::PRIORITY
        .iter()
        .copied()
        .filter(|r| *r != ExitRule::MaxProfit)
        .collect();
    assert_eq!(fired, expected);
    // Max profit ranks after target and before time.
    let winner = ExitInput {
        current_price: dec!(4.00),
        stop: None,
        target: Some(dec!(96)),
        underlying_price: dec!(97),
        ..base()
    };
    let p = ExitPolicy {
        time_exit: NaiveTime::from_hms_opt(0, 0, 0),
        ..ExitPolicy::default()
    };
    assert_eq!(eval(&p, &winner).map(|r| r.rule()), Some(ExitRule::Target));
    let p = ExitPolicy {
        use_target: false,
        ..p
    };
    assert_eq!(
        eval(&p, &winner).map(|r| r.rule()),
        Some(ExitRule::MaxProfit)
    );
}

#[test]
fn dte_counts_new_york_calendar_days() {
    let p = ExitPolicy::default();
    // Tuesday 2024-03-19 11:00 EDT: 3 days to Friday the 22nd.
    let r = eval(
        &p,
        &ExitInput {
            now: at(2024, 3, 19, 15, 0),
            ..base()
        },
    );
    assert_eq!(
        r,
        Some(ExitReason::Dte {
            dte: 3,
            threshold: 3
        })
    );
    assert_eq!(r.unwrap().to_string(), "3 days to expiry, at or below 3");
    // Monday 22:00 EDT is already Tuesday in UTC; in New York it is still 4 days out.
    assert_eq!(
        eval(
            &p,
            &ExitInput {
                now: at(2024, 3, 19, 2, 0),
                ..base()
            }
        ),
        None
    );
    // Across the spring-forward weekend (2024-03-10): Friday 03-08 to Monday 03-11 is 3 days.
    let mon = ExitInput {
        expiration: NaiveDate::from_ymd_opt(2024, 3, 11),
        now: at(2024, 3, 8, 21, 30),
        ..base()
    };
    assert_eq!(
        eval(&p, &mon),
        Some(ExitReason::Dte {
            dte: 3,
            threshold: 3
        })
    );
    // Equities have no expiration.
    assert_eq!(
        eval(
            &p,
            &ExitInput {
                expiration: None,
                now: at(2024, 3, 22, 15, 0),
                ..base()
            }
        ),
        None
    );
}

#[test]
fn stop_and_target_follow_the_bias() {
    let p = ExitPolicy::default();
    let stop = eval(
        &p,
        &ExitInput {
            underlying_price: dec!(98),
            ..base()
        },
    )
    .unwrap();
    assert_eq!(
        stop,
        ExitReason::StopHit {
            underlying: dec!(98),
            stop: dec!(98)
        }
    );
    assert_eq!(stop.to_string(), "stop hit: underlying 98 through stop 98");
    assert_eq!(
        eval(
            &p,
            &ExitInput {
                underlying_price: dec!(98.01),
                ..base()
            }
        ),
        None
    );
    let tgt = eval(
        &p,
        &ExitInput {
            underlying_price: dec!(105.5),
            ..base()
        },
    )
    .unwrap();
    assert_eq!(tgt.rule(), ExitRule::Target);

    // A long put: stop above, target below.
    let put = ExitInput {
        bias: Bias::Bearish,
        stop: Some(dec!(102)),
        target: Some(dec!(95)),
        ..base()
    };
    assert_eq!(eval(&p, &put), None);
    assert_eq!(
        eval(
            &p,
            &ExitInput {
                underlying_price: dec!(102.5),
                ..put
            }
        )
        .unwrap()
        .rule(),
        ExitRule::Stop
    );
    assert_eq!(
        eval(
            &p,
            &ExitInput {
                underlying_price: dec!(95),
                ..put
            }
        )
        .unwrap()
        .rule(),
        ExitRule::Target
    );
    // Turned off: ignored.
    let off = ExitPolicy {
        use_stop: false,
        use_target: false,
        ..p
    };
    assert_eq!(
        eval(
            &off,
            &ExitInput {
                underlying_price: dec!(102.5),
                ..put
            }
        ),
        None
    );
}

#[test]
fn max_loss_and_max_profit_on_premium() {
    let p = ExitPolicy::default();
    let loss = eval(
        &p,
        &ExitInput {
            current_price: dec!(1.00),
            ..base()
        },
    )
    .unwrap();
    assert_eq!(
        loss,
        ExitReason::MaxLoss {
            pnl: dec!(-0.5),
            limit: dec!(0.50)
        }
    );
    assert_eq!(loss.to_string(), "max loss: -50% against a limit of -50%");
    assert_eq!(
        eval(
            &p,
            &ExitInput {
                current_price: dec!(1.01),
                ..base()
            }
        ),
        None
    );
    // A worthless option is a 100% loss, not an error.
    assert_eq!(
        eval(
            &p,
            &ExitInput {
                current_price: dec!(0),
                ..base()
            }
        )
        .unwrap()
        .rule(),
        ExitRule::MaxLoss
    );
    let win = eval(
        &p,
        &ExitInput {
            current_price: dec!(4.00),
            ..base()
        },
    )
    .unwrap();
    assert_eq!(
        win,
        ExitReason::MaxProfit {
            pnl: dec!(1),
            limit: dec!(1)
        }
    );
    assert_eq!(
        win.to_string(),
        "max profit: +100% against a limit of +100%"
    );
    // Short stock: a rise is the loss.
    let short = ExitInput {
        side: Side::Short,
        bias: Bias::Bearish,
        stop: None,
        target: None,
        expiration: None,
        entry_price: dec!(50),
        current_price: dec!(75),
        underlying_price: dec!(75),
        ..base()
    };
    assert_eq!(
        eval(&p, &short),
        Some(ExitReason::MaxLoss {
            pnl: dec!(-0.5),
            limit: dec!(0.50)
        })
    );
}

#[test]
fn time_exit_uses_new_york_wall_clock() {
    let p = ExitPolicy {
        time_exit: NaiveTime::from_hms_opt(15, 45, 0),
        ..ExitPolicy::default()
    };
    // 19:45 UTC is 15:45 EDT in March after the DST change...
    let r = eval(
        &p,
        &ExitInput {
            now: at(2024, 3, 11, 19, 45),
            ..base()
        },
    )
    .unwrap();
    assert_eq!(
        r.to_string(),
        "time exit: 15:45:00 New York is at or after 15:45:00"
    );
    assert_eq!(
        eval(
            &p,
            &ExitInput {
                now: at(2024, 3, 11, 19, 44),
                ..base()
            }
        ),
        None
    );
    // ...but 14:45 EST in February.
    let feb = ExitInput {
        expiration: NaiveDate::from_ymd_opt(2024, 2, 23),
        now: at(2024, 2, 12, 19, 45),
        ..base()
    };
    assert_eq!(eval(&p, &feb), None);
}

#[test]
fn trailing_stop_arms_at_two_percent_and_trails_one_percent() {
    let p = ExitPolicy {
        max_loss: None,
        max_profit: None,
        ..ExitPolicy::default()
    };
    let mut state = TrailingState::new();
    let mut step = |price: Decimal| {
        let i = ExitInput {
            entry_price: dec!(10),
            current_price: price,
            ..base()
        };
        evaluate_exit(&p, &i, &mut state).unwrap()
    };
    assert_eq!(step(dec!(10.10)), None);
    assert_eq!(step(dec!(10.15)), None);
    // Down 1.5% from the high, but the high (10.15) never reached +2% (10.20): not armed.
    assert_eq!(step(dec!(10.00)), None);
    assert_eq!(step(dec!(10.30)), None); // armed; trigger 10.30 x 0.99 = 10.197
    assert_eq!(step(dec!(10.20)), None);
    let r = step(dec!(10.19)).unwrap();
    assert_eq!(
        r,
        ExitReason::TrailingStop {
            price: dec!(10.19),
            high_water: dec!(10.30),
            trigger: dec!(10.1970)
        }
    );
    assert!(r.to_string().contains("high-water mark 10.30"));
    assert_eq!(state.high_water(), Some(dec!(10.30)));
}

#[test]
fn trailing_stop_for_shorts_uses_the_low_water_mark() {
    let p = ExitPolicy {
        max_loss: None,
        max_profit: None,
        ..ExitPolicy::default()
    };
    let mut state = TrailingState::new();
    let mut step = |price: Decimal| {
        let i = ExitInput {
            side: Side::Short,
            bias: Bias::Bearish,
            stop: None,
            target: None,
            expiration: None,
            entry_price: dec!(10),
            current_price: price,
            underlying_price: price,
            ..base()
        };
        evaluate_exit(&p, &i, &mut state).unwrap()
    };
    assert_eq!(step(dec!(9.80)), None); // armed at exactly -2%; trigger 9.898
    assert_eq!(step(dec!(9.89)), None);
    assert_eq!(step(dec!(9.90)).unwrap().rule(), ExitRule::Trailing);
    assert_eq!(state.high_water(), Some(dec!(9.80)));
}

#[test]
fn high_water_is_tracked_even_when_an_earlier_rule_fires() {
    let mut state = TrailingState::new();
    let i = ExitInput {
        current_price: dec!(5),
        ..base()
    };
    let r = evaluate_exit(&ExitPolicy::default(), &i, &mut state).unwrap();
    assert_eq!(r.unwrap().rule(), ExitRule::MaxProfit);
    assert_eq!(state.high_water(), Some(dec!(5)));
}

#[test]
fn bad_inputs_are_errors() {
    let p = ExitPolicy::default();
    let mut s = TrailingState::new();
    let cases = [
        (
            ExitInput {
                entry_price: dec!(0),
                ..base()
            },
            p,
        ),
        (
            ExitInput {
                current_price: dec!(-1),
                ..base()
            },
            p,
        ),
        (
            ExitInput {
                underlying_price: dec!(-1),
                ..base()
            },
            p,
        ),
        (
            ExitInput {
                entry_price: dec!(0.0000000001),
                current_price: Decimal::MAX,
                ..base()
            },
            p,
        ),
        (
            base(),
            ExitPolicy {
                max_loss: Some(dec!(0)),
                ..p
            },
        ),
        (
            base(),
            ExitPolicy {
                max_profit: Some(dec!(-1)),
                ..p
            },
        ),
        (
            base(),
            ExitPolicy {
                trailing: Some(TrailingStop {
                    activation: dec!(0.02),
                    trail: dec!(1),
                }),
                ..p
            },
        ),
        (
            base(),
            ExitPolicy {
                trailing: Some(TrailingStop {
                    activation: dec!(-0.02),
                    trail: dec!(0.01),
                }),
                ..p
            },
        ),
    ];
    for (i, pol) in cases {
        assert!(
            matches!(
                evaluate_exit(&pol, &i, &mut s),
                Err(ExitError::InvalidInput { .. })
            ),
            "{i:?} {pol:?}"
        );
    }
    // Prices that would overflow the activation level are simply never armed.
    let huge = ExitInput {
        entry_price: Decimal::MAX,
        current_price: Decimal::MAX,
        stop: None,
        target: None,
        expiration: None,
        ..base()
    };
    assert_eq!(
        evaluate_exit(&p, &huge, &mut TrailingState::new()),
        Ok(None)
    );
}

#[test]
fn policy_round_trips_through_json() {
    let p = ExitPolicy {
        time_exit: NaiveTime::from_hms_opt(15, 45, 0),
        ..ExitPolicy::default()
    };
    let json = serde_json::to_string(&p).unwrap();
    assert_eq!(serde_json::from_str::<ExitPolicy>(&json).unwrap(), p);
    let partial: ExitPolicy = serde_json::from_str(r#"{"dte_exit":null}"#).unwrap();
    assert_eq!(
        partial,
        ExitPolicy {
            dte_exit: None,
            ..ExitPolicy::default()
        }
    );
}

proptest! {
    /// Against a naive reference: the trailing stop fires exactly when the running maximum of
    /// the prices so far reached entry x 1.02 and the price is at or below 99% of it.
    #[test]
    fn trailing_matches_naive_running_max(prices in proptest::collection::vec(800i64..1200, 1..60)) {
        let p = ExitPolicy { dte_exit: None, use_stop: false, max_loss: None, use_target: false, max_profit: None, time_exit: None, trailing: Some(TrailingStop::default()) };
        let entry = dec!(10);
        let mut state = TrailingState::new();
        for (n, &c) in prices.iter().enumerate() {
            let price = Decimal::new(c, 2);
            let i = ExitInput { entry_price: entry, current_price: price, ..base() };
            let got = evaluate_exit(&p, &i, &mut state).unwrap();
            let max = prices[..=n].iter().map(|&c| Decimal::new(c, 2)).max().unwrap();
            prop_assert_eq!(state.high_water(), Some(max));
            let want = max >= dec!(10.2) && price <= max * dec!(0.99);
            prop_assert_eq!(got.is_some(), want);
        }
    }
}
