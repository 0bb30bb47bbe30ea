use super::super::tests::{bar, close_of, day, session, sim};
use super::super::*;
use crate::{OrderSide, PositionIntent, Qty};
use rust_decimal_macros::dec;

fn expiry_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 3, 15).unwrap()
}

/// Opens option positions after the 4 March close (SPY at 500); they fill at the 5 March open.
async fn open(s: &SimBroker, legs: &[(&str, OrderSide, u32)]) {
    session(
        s,
        "SPY",
        &bar(4, dec!(500), dec!(502), dec!(498), dec!(500)),
    );
    for (symbol, side, qty) in legs {
        let (side, qty) = (side.clone(), *qty);
        let req = match OccSymbol::try_parse(symbol) {
            Some(occ) => {
                let intent = if side == OrderSide::Buy {
                    PositionIntent::BuyToOpen
                } else {
                    PositionIntent::SellToOpen
                };
                OrderRequest::option(&occ, side, qty, intent)
                    .build()
                    .unwrap()
            }
            None => OrderRequest::market(*symbol, side, Qty::Shares(qty.into()))
                .build()
                .unwrap(),
        };
        s.submit_order(&req).await.unwrap();
    }
    session(
        s,
        "SPY",
        &bar(5, dec!(500), dec!(501), dec!(499), dec!(500)),
    );
    assert_eq!(s.fills().len(), legs.len(), "every leg filled");
}

/// SPY closes at `close` on expiration day; returns the option events of that close.
async fn expire_at(s: &SimBroker, close: Decimal) -> Vec<BrokerActivity> {
    session(s, "SPY", &bar(15, close, close, close, close));
    s.end_of_day(expiry_day());
    s.activities(close_of(14)).await.unwrap()
}

/// What each activity was, to what, how much.
fn kinds(acts: &[BrokerActivity]) -> Vec<(ActivityKind, &str, Decimal)> {
    acts.iter()
        .map(|a| (a.kind, a.symbol.as_str(), a.qty))
        .collect()
}

fn held(positions: &[BrokerPosition], symbol: &str) -> Option<(Decimal, Decimal)> {
    positions
        .iter()
        .find(|p| p.symbol == symbol)
        .map(|p| (p.qty, p.avg_entry_price))
}

#[tokio::test]
async fn an_itm_long_call_is_exercised_into_shares_at_the_strike() {
    let s = sim(SimConfig::default());
    open(&s, &[("SPY240315C00500000", OrderSide::Buy, 1)]).await;
    let before = s.cash();
    let acts = expire_at(&s, dec!(510)).await;
    assert_eq!(acts.len(), 2, "{acts:?}");
    assert_eq!(
        (acts[0].kind, acts[0].symbol.as_str(), acts[0].qty),
        (
            ActivityKind::OptionExercised,
            "SPY240315C00500000",
            dec!(-1)
        )
    );
    assert_eq!(
        (
            acts[1].kind,
            acts[1].symbol.as_str(),
            acts[1].qty,
            acts[1].price,
            acts[1].net_amount
        ),
        (
            ActivityKind::OptionDelivery,
            "SPY",
            dec!(100),
            Some(dec!(500)),
            Some(dec!(-50000))
        )
    );
    assert!(acts.iter().all(|a| a.time == close_of(15)));
    assert_eq!(s.cash(), before - dec!(50000));
    let positions = s.positions().await.unwrap();
    assert_eq!(held(&positions, "SPY"), Some((dec!(100), dec!(500))));
    assert_eq!(held(&positions, "SPY240315C00500000"), None);
    let names: Vec<_> = s.fills().iter().map(|f| f.order_id.clone()).collect();
    assert!(
        names.ends_with(&["exercise".into(), "delivery".into()]),
        "{names:?}"
    );
}

#[tokio::test]
async fn a_long_call_the_account_cannot_pay_for_is_sold_at_the_bid() {
    let s = sim(SimConfig::default());
    // Three contracts would take 150,000 of cash.
    open(&s, &[("SPY240315C00500000", OrderSide::Buy, 3)]).await;
    let before = s.cash();
    let acts = expire_at(&s, dec!(510)).await;
    assert_eq!(acts.len(), 1, "{acts:?}");
    let a = &acts[0];
    // Worth 10 at expiry; the bid is 2% under it.
    assert_eq!(
        (a.kind, a.qty, a.price, a.net_amount),
        (
            ActivityKind::Fill,
            dec!(-3),
            Some(dec!(9.80)),
            Some(dec!(2940))
        )
    );
    assert!(
        a.order_id
            .as_deref()
            .is_some_and(|o| o.starts_with("sim-liquidation"))
    );
    assert_eq!(s.cash(), before + dec!(2940));
    assert!(s.positions().await.unwrap().is_empty(), "no shares");
}

#[tokio::test]
async fn a_long_put_is_exercised_only_against_shares_held() {
    let s = sim(SimConfig::default());
    open(
        &s,
        &[
            ("SPY", OrderSide::Buy, 100),
            ("SPY240315P00500000", OrderSide::Buy, 1),
            ("SPY240315P00495000", OrderSide::Buy, 1),
        ],
    )
    .await;
    let before = s.cash();
    let acts = expire_at(&s, dec!(490)).await;
    let kinds = kinds(&acts);
    // The deeper put delivers the 100 shares at 500; the other finds none left and is sold
    // at the bid of its 5.00 of intrinsic value.
    assert_eq!(
        kinds,
        [
            (
                ActivityKind::OptionExercised,
                "SPY240315P00500000",
                dec!(-1)
            ),
            (ActivityKind::OptionDelivery, "SPY", dec!(-100)),
            (ActivityKind::Fill, "SPY240315P00495000", dec!(-1)),
        ],
        "{acts:?}"
    );
    assert_eq!(acts[2].price, Some(dec!(4.90)));
    assert_eq!(s.cash(), before + dec!(490) + dec!(50000));
    assert!(s.positions().await.unwrap().is_empty());
}

#[tokio::test]
async fn less_than_a_cent_in_the_money_or_do_not_exercise_expires() {
    let s = sim(SimConfig::default());
    open(
        &s,
        &[
            ("SPY240315C00500000", OrderSide::Buy, 1),
            ("SPY240315C00490000", OrderSide::Buy, 1),
        ],
    )
    .await;
    s.do_not_exercise("SPY240315C00490000");
    let before = s.cash();
    let acts = expire_at(&s, dec!(500.009)).await;
    assert_eq!(acts.len(), 2);
    assert!(acts.iter().all(|a| a.kind == ActivityKind::OptionExpired
        && a.qty == dec!(-1)
        && a.price == Some(Decimal::ZERO)));
    assert_eq!(s.cash(), before);
    assert!(s.positions().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_short_put_in_the_money_is_assigned() {
    let s = sim(SimConfig::default());
    open(&s, &[("SPY240315P00500000", OrderSide::Sell, 1)]).await;
    assert_eq!(
        held(&s.positions().await.unwrap(), "SPY240315P00500000").map(|h| h.0),
        Some(dec!(-1))
    );
    let before = s.cash();
    let acts = expire_at(&s, dec!(490)).await;
    let kinds = kinds(&acts);
    assert_eq!(
        kinds,
        [
            (ActivityKind::OptionAssigned, "SPY240315P00500000", dec!(1)),
            (ActivityKind::OptionDelivery, "SPY", dec!(100)),
        ]
    );
    assert_eq!(s.cash(), before - dec!(50000));
    assert_eq!(
        held(&s.positions().await.unwrap(), "SPY"),
        Some((dec!(100), dec!(500)))
    );
}

#[tokio::test]
async fn an_option_sold_into_a_zero_bid_does_not_fill() {
    let s = sim(SimConfig::default());
    open(&s, &[("SPY240315P00400000", OrderSide::Buy, 1)]).await;
    let q = s.option_quote("SPY240315P00400000").unwrap();
    assert_eq!(q.bid, Decimal::ZERO, "{q:?}");
    let sell = OrderRequest::option(
        &"SPY240315P00400000".parse().unwrap(),
        OrderSide::Sell,
        1,
        PositionIntent::SellToClose,
    )
    .build()
    .unwrap();
    let o = s.submit_order(&sell).await.unwrap();
    session(
        &s,
        "SPY",
        &bar(6, dec!(500), dec!(501), dec!(499), dec!(500)),
    );
    assert_eq!(s.order(&o.id).await.unwrap().filled_qty, Decimal::ZERO);
    s.end_of_day(NaiveDate::from_ymd_opt(2024, 3, 6).unwrap());
    assert_eq!(s.order(&o.id).await.unwrap().status, OrderStatus::Expired);
    assert_eq!(s.positions().await.unwrap().len(), 1, "still held");
}

#[tokio::test]
async fn chain_expirations_move_to_thursday_before_a_holiday_friday() {
    // Good Friday 2024: 29 March has no session.
    let days = [
        (3, 25),
        (3, 26),
        (3, 27),
        (3, 28),
        (4, 1),
        (4, 2),
        (4, 3),
        (4, 4),
        (4, 5),
    ]
    .map(|(m, d)| {
        chrono::TimeZone::with_ymd_and_hms(&chrono_tz::America::New_York, 2024, m, d, 0, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    });
    let s = SimBroker::new(SimConfig::default(), SessionCalendar::from_times(days));
    s.set_now(days[0]);
    s.on_bar(
        "SPY",
        &Bar::new(days[0], dec!(500), dec!(500), dec!(500), dec!(500), dec!(1)),
    );
    let chain = s
        .option_chain(&ChainQuery {
            underlying: "SPY".into(),
            option_type: crate::OptionType::Call,
            expiration_gte: NaiveDate::from_ymd_opt(2024, 3, 25).unwrap(),
            expiration_lte: NaiveDate::from_ymd_opt(2024, 4, 12).unwrap(),
        })
        .await
        .unwrap();
    let exps: std::collections::BTreeSet<String> = chain
        .iter()
        .map(|c| c.symbol.expiration().to_string())
        .collect();
    // 12 April is past the data: taken as a trading Friday.
    assert_eq!(
        exps.into_iter().collect::<Vec<_>>(),
        ["2024-03-28", "2024-04-05", "2024-04-12"]
    );
}

#[tokio::test]
async fn options_are_priced_with_the_underlyings_realized_volatility() {
    let s = sim(SimConfig {
        options: OptionModel {
            volatility: VolatilityModel::Realized {
                window: 3,
                floor: 0.05,
                initial: 0.5,
            },
            ..OptionModel::default()
        },
        ..SimConfig::default()
    });
    let closes = [dec!(100), dec!(102), dec!(99), dec!(101)];
    for (i, &c) in closes.iter().enumerate() {
        let d = [4, 5, 6, 7][i];
        session(&s, "SPY", &bar(d, c, c, c, c));
        let v = s.option_quote("SPY240315C00100000").unwrap().volatility;
        assert_eq!(v, 0.5, "{} closes taken: the initial figure", i);
        s.end_of_day(
            day(d)
                .with_timezone(&chrono_tz::America::New_York)
                .date_naive(),
        );
    }
    let r: Vec<f64> = closes
        .windows(2)
        .map(|w| (crate::num::to_f64(w[1]) / crate::num::to_f64(w[0])).ln())
        .collect();
    let mean = r.iter().sum::<f64>() / 3.0;
    let want = (r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 2.0 * 252.0).sqrt();
    let q = s.option_quote("SPY240315C00100000").unwrap();
    assert!(
        (q.volatility - want).abs() < 1e-12,
        "{} vs {want}",
        q.volatility
    );
    let chain = s
        .option_chain(&ChainQuery {
            underlying: "SPY".into(),
            option_type: crate::OptionType::Call,
            expiration_gte: expiry_day(),
            expiration_lte: expiry_day(),
        })
        .await
        .unwrap();
    assert!(
        chain
            .iter()
            .all(|c| c.implied_volatility == Some(q.volatility))
    );
}
