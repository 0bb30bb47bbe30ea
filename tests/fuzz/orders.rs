//! Order building with random inputs: symbols, quantities, prices, kinds, classes, exits, legs.
//! `build` never panics; what it accepts serialises, and keeps the rules it promises.

use crate::occ::decimal;
use crate::{cases, no_panic, rng};
use alpaca_exec::trading::orders::{MAX_CLIENT_ORDER_ID_LEN, OrderKind};
use alpaca_exec::{
    OccSymbol, OrderClass, OrderRequest, OrderSide, PositionIntent, Qty, ReplaceOrder, TimeInForce,
    Trail,
};
use rust_decimal::Decimal;

const SYMBOLS: &[&str] = &[
    "AAPL",
    "aapl",
    "BRK.B",
    "BTC/USD",
    "AAPL250620C00100000",
    "AAPL251320C00100000",
    "spy   240426c00555000",
    "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415",
    "",
    " ",
    "AA\0PL",
    "$$$",
    "ÄPFEL",
];

fn symbol(rng: &mut fastrand::Rng) -> String {
    match rng.u8(..4) {
        0 => (0..rng.usize(0..24))
            .map(|_| match rng.u8(..4) {
                0 => rng.char(..),
                _ => rng.uppercase(),
            })
            .collect(),
        _ => SYMBOLS[rng.usize(..SYMBOLS.len())].to_owned(),
    }
}

fn price(rng: &mut fastrand::Rng) -> Decimal {
    if rng.bool() {
        decimal(rng)
    } else {
        Decimal::new(rng.i64(1..100_000_000), rng.u32(0..=5))
    }
}

fn one_of<T: Clone>(rng: &mut fastrand::Rng, xs: &[T]) -> T {
    xs[rng.usize(..xs.len())].clone()
}

/// Decimals of a value once trailing zeros are dropped.
fn decimals(d: Decimal) -> u32 {
    d.normalize().scale()
}

#[test]
fn single_symbol_orders() {
    let mut rng = rng("orders");
    let mut built = 0u64;
    for case in 0..cases(3000) {
        let mut b = OrderRequest::builder(
            symbol(&mut rng),
            one_of(&mut rng, &[OrderSide::Buy, OrderSide::Sell]),
            if rng.u8(..4) == 0 {
                Qty::Notional(price(&mut rng))
            } else {
                Qty::Shares(if rng.bool() {
                    decimal(&mut rng)
                } else {
                    Decimal::from(rng.u32(0..1000))
                })
            },
        );
        b = b.kind(match rng.u8(..5) {
            0 => OrderKind::Market,
            1 => OrderKind::Limit(price(&mut rng)),
            2 => OrderKind::Stop(price(&mut rng)),
            3 => OrderKind::StopLimit {
                stop: price(&mut rng),
                limit: price(&mut rng),
            },
            _ => OrderKind::TrailingStop(if rng.bool() {
                Trail::Price(price(&mut rng))
            } else {
                Trail::Percent(price(&mut rng))
            }),
        });
        let tifs = [
            TimeInForce::Day,
            TimeInForce::Gtc,
            TimeInForce::Ioc,
            TimeInForce::Fok,
            TimeInForce::Opg,
            TimeInForce::Cls,
        ];
        b = b.time_in_force(one_of(&mut rng, &tifs));
        b = b.extended_hours(rng.u8(..4) == 0);
        if rng.u8(..3) == 0 {
            b = b.take_profit(price(&mut rng));
        }
        if rng.u8(..3) == 0 {
            let limit = rng.bool().then(|| price(&mut rng));
            b = b.stop_loss(price(&mut rng), limit);
        }
        if rng.u8(..4) == 0 {
            let classes = [
                OrderClass::Simple,
                OrderClass::Bracket,
                OrderClass::Oco,
                OrderClass::Oto,
            ];
            b = b.order_class(one_of(&mut rng, &classes));
        }
        if rng.u8(..4) == 0 {
            b = b.client_order_id(symbol(&mut rng).repeat(rng.usize(1..12)));
        }
        no_panic("orders", case, &b, |b| {
            let Ok(o) = b.clone().build() else {
                return;
            };
            built += 1;
            let json = serde_json::to_value(&o).expect("a built order serialises");
            assert!(json.is_object());
            let id = o.client_order_id();
            assert!(!id.trim().is_empty() && id.chars().count() <= MAX_CLIENT_ORDER_ID_LEN);
            let symbol = o.symbol().unwrap_or_default();
            assert!(
                !symbol.is_empty() && !symbol.contains(char::is_whitespace),
                "{symbol:?}"
            );
            let is_option = OccSymbol::looks_like(symbol);
            for p in [o.limit_price(), o.stop_price(), o.take_profit()]
                .into_iter()
                .flatten()
            {
                let max = if is_option || p >= Decimal::ONE { 2 } else { 4 };
                assert!(
                    p > Decimal::ZERO && decimals(p) <= max,
                    "price {p} of {o:?}"
                );
            }
            if let Some(q) = o.qty() {
                assert!(q > Decimal::ZERO && decimals(q) <= 9, "qty {q}");
            }
            if let Some(n) = o.notional() {
                assert!(n >= Decimal::ONE, "notional {n}");
            }
        });
    }
    assert!(built > 0);
}

#[test]
fn multi_leg_orders_and_replacements() {
    let mut rng = rng("multi_leg");
    let contracts: Vec<OccSymbol> = [
        "SPY250620C00500000",
        "SPY250620C00510000",
        "SPY250620P00490000",
        "QQQ250620C00400000",
        "SPXW250620C05000000",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    for case in 0..cases(2000) {
        let mut b = OrderRequest::multi_leg(if rng.bool() {
            rng.u32(..)
        } else {
            rng.u32(0..5)
        });
        for _ in 0..rng.usize(0..6) {
            b = b.leg(
                one_of(&mut rng, &contracts),
                one_of(&mut rng, &[OrderSide::Buy, OrderSide::Sell]),
                rng.u32(0..5),
                one_of(
                    &mut rng,
                    &[PositionIntent::BuyToOpen, PositionIntent::SellToClose],
                ),
            );
        }
        if rng.bool() {
            let p = price(&mut rng);
            b = b.limit_price(if rng.bool() { -p } else { p });
        }
        no_panic("multi_leg", case, &b, |b| {
            if let Ok(o) = b.clone().build() {
                serde_json::to_value(&o).expect("a built order serialises");
                let legs = o.legs();
                assert!((2..=4).contains(&legs.len()));
                if let Some(p) = o.limit_price() {
                    assert!(decimals(p) <= 2, "net price {p}");
                }
            }
        });
    }
}

#[tokio::test]
async fn replacements_are_checked_before_sending() {
    // A closed port: what passes the checks fails to connect, what does not is refused first.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = alpaca_exec::Client::builder()
        .credentials("k", "s")
        .trading_base_url(format!("http://127.0.0.1:{port}"))
        .retry_policy(alpaca_exec::RetryPolicy::NONE)
        .build()
        .unwrap();
    let mut rng = rng("replace");
    for case in 0..cases(300) {
        let r = ReplaceOrder {
            qty: rng.bool().then(|| decimal(&mut rng)),
            limit_price: rng.bool().then(|| price(&mut rng)),
            stop_price: rng.bool().then(|| price(&mut rng)),
            trail: rng.bool().then(|| price(&mut rng)),
            time_in_force: None,
            client_order_id: rng.bool().then(|| symbol(&mut rng)),
        };
        let outcome = tokio::spawn({
            let (client, r) = (client.clone(), r.clone());
            async move { client.replace_order("o-1", &r).await }
        })
        .await;
        match outcome {
            Err(join) => panic!("replace case {case} panicked ({join}): {r:?}"),
            Ok(Ok(o)) => panic!("nothing listens, yet {o:?}"),
            Ok(Err(alpaca_exec::Error::InvalidRequest(_) | alpaca_exec::Error::NotSent { .. })) => {
            }
            Ok(Err(e)) => panic!("replace case {case}: unexpected {e:?}"),
        }
    }
}
