//! Fuzz-style loops (seeded, stable Rust) over what takes figures from outside: the fill path
//! (random cumulative fill sequences, extreme values, out-of-order and repeated updates) and the
//! risk toolkit. Zero panics, and the fill path's invariants hold after every update: the
//! position's quantity is the sum of the recorded fills, no fill is counted twice, and every
//! figure the engine later computes from the position is computable.
//!
//! `ALPACA_EXEC_FILL_FUZZ_CASES` raises the number of sequences (default 2000).

use crate::fake::Fake;
use alpaca_exec::OrderStatus;
use alpaca_exec::broker::BrokerOrder;
use alpaca_exec::exec::{ExecState, Executor, ExecutorConfig};
use alpaca_exec::risk::{
    Bias, DailyLossLimit, EquitySizing, EquitySizingInput, EquitySizingPolicy, ExitInput,
    ExitPolicy, Exposure, OptionSizingInput, OptionSizingPolicy, PortfolioLimits, Side,
    SignalFilter, SignalLevels, TrailingState, TrailingStop, check_new_position, evaluate_exit,
    headroom, size_equity, size_option,
};
use alpaca_exec::store::{
    Execution, ExecutionStore, MemoryStore, OrderSpec, PositionStatus, Role, StateChange,
    StoreWrite, TrackedPosition,
};
use alpaca_exec::{OrderSide, PositionIntent};
use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::collections::BTreeSet;
use std::sync::Arc;

fn cases() -> usize {
    std::env::var("ALPACA_EXEC_FILL_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

/// Figures at the edges: the decimal's bounds, its smallest step, huge and tiny magnitudes.
fn extremes() -> Vec<Decimal> {
    vec![
        Decimal::MIN,
        dec!(-100000000000000000000),
        dec!(-1),
        Decimal::ZERO,
        Decimal::new(1, 28),
        dec!(0.01),
        dec!(1),
        dec!(150.25),
        dec!(100000000000000000000),
        Decimal::MAX / dec!(3),
        Decimal::MAX,
    ]
}

/// A random figure: usually ordinary, sometimes extreme.
fn figure(rng: &mut fastrand::Rng, ordinary: Decimal) -> Decimal {
    match rng.u8(..10) {
        0 => extremes()[rng.usize(..extremes().len())],
        1 => Decimal::new(rng.i64(..), rng.u32(..=28)),
        _ => ordinary,
    }
}

fn at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 4, 15, 30, 0).unwrap()
}

/// An opening position with nothing filled, from the store tests' record.
fn position(id: &str, symbol: &str, multiplier: Decimal) -> TrackedPosition {
    TrackedPosition {
        id: id.into(),
        strategy: "fuzz".into(),
        symbol: symbol.into(),
        planned_qty: dec!(0),
        planned_cost: dec!(0),
        entry_qty: dec!(0),
        entry_price: None,
        multiplier,
        stop: None,
        target: None,
        status: PositionStatus::Opening,
        ..crate::store::position()
    }
}

fn execution(cid: &str, pos: &TrackedPosition, role: Role, qty: Decimal) -> Execution {
    Execution {
        client_order_id: cid.into(),
        signal_id: pos.signal_id.clone(),
        strategy: pos.strategy.clone(),
        underlying: pos.underlying.clone(),
        role,
        position_id: pos.id.clone(),
        order: OrderSpec {
            symbol: pos.symbol.clone(),
            side: if role == Role::Entry {
                OrderSide::Buy
            } else {
                OrderSide::Sell
            },
            qty,
            limit_price: None,
            position_intent: (pos.multiplier != Decimal::ONE).then_some(PositionIntent::BuyToOpen),
        },
        state: ExecState::New,
        broker_order_id: Some(format!("broker-{cid}")),
        filled_qty: dec!(0),
        filled_avg_price: None,
        error: None,
        created_at: at(),
        updated_at: at(),
        history: vec![StateChange {
            at: at(),
            state: ExecState::New,
            filled_qty: dec!(0),
            note: "fuzz".into(),
        }],
    }
}

fn update(
    exec: &Execution,
    filled: Decimal,
    avg: Option<Decimal>,
    status: OrderStatus,
) -> BrokerOrder {
    BrokerOrder {
        id: exec.broker_order_id.clone().unwrap(),
        client_order_id: exec.client_order_id.clone(),
        symbol: exec.order.symbol.clone(),
        side: Some(exec.order.side.clone()),
        qty: Some(exec.order.qty),
        filled_qty: filled,
        filled_avg_price: avg,
        limit_price: None,
        status,
        updated_at: None,
    }
}

/// A cumulative fill sequence for an order of `qty`: mostly rising, with repeats, stale
/// (lower) answers, and now and then an absurd one.
fn answers(rng: &mut fastrand::Rng, qty: Decimal) -> Vec<(Decimal, Option<Decimal>, OrderStatus)> {
    let steps = rng.usize(1..8);
    let mut filled = Decimal::ZERO;
    let mut out = Vec::new();
    for i in 0..steps {
        let last = i + 1 == steps;
        let remaining = qty - filled;
        let step = if last || remaining <= Decimal::ONE {
            remaining
        } else {
            (remaining * Decimal::new(rng.i64(1..100), 2)).round_dp(0)
        };
        filled += step.max(Decimal::ZERO);
        let ordinary = Decimal::new(rng.i64(100..100_000), 2);
        let price = figure(rng, ordinary);
        let status = if filled >= qty {
            OrderStatus::Filled
        } else {
            OrderStatus::PartiallyFilled
        };
        let shown = figure(rng, filled);
        out.push((shown, Some(price), status.clone()));
        match rng.u8(..6) {
            0 => out.push((shown, Some(price), status)),
            1 if !out.is_empty() => {
                let j = rng.usize(..out.len());
                let stale = out[j].clone();
                out.push(stale);
            }
            2 => out.push((filled, None, OrderStatus::PartiallyFilled)),
            _ => {}
        }
    }
    out
}

/// Checks the invariants of one execution and its position after an update.
async fn check(store: &MemoryStore, cid: &str, pos_id: &str, order_qty: Decimal) {
    let e = store.execution(cid).await.unwrap().unwrap();
    let p = store.position(pos_id).await.unwrap().unwrap();
    assert!(
        e.filled_qty >= Decimal::ZERO && e.filled_qty <= order_qty,
        "{cid}: filled {} of {order_qty}",
        e.filled_qty
    );
    let trades: Vec<_> = store
        .trades()
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.client_order_id == cid)
        .collect();
    let ids: BTreeSet<_> = trades.iter().map(|t| t.id.clone()).collect();
    assert_eq!(ids.len(), trades.len(), "{cid}: a trade recorded twice");
    let traded = trades
        .iter()
        .try_fold(Decimal::ZERO, |s, t| s.checked_add(t.qty))
        .expect("recorded fills add up");
    assert_eq!(traded, e.filled_qty, "{cid}: fills recorded vs filled");
    match e.role {
        Role::Entry => assert_eq!(p.entry_qty, e.filled_qty, "{cid}: position vs fills"),
        Role::Exit => {
            let exited = p.exit_fills.get(cid).map_or(Decimal::ZERO, |f| f.qty);
            assert_eq!(exited, e.filled_qty, "{cid}: exit fills vs filled");
            let realized: Vec<Decimal> = store
                .trades()
                .await
                .unwrap()
                .iter()
                .filter_map(|t| t.realized_pnl)
                .collect();
            // Equal up to the decimal's 28 significant digits: each trade's P&L is a
            // difference of two rounded totals, so the error scales with the largest of them.
            // (The check's own sums saturate: near the decimal's bounds it compares nothing.)
            let pnl = p.realized_pnl().expect("computable");
            let sum = realized
                .iter()
                .try_fold(Decimal::ZERO, |a, r| a.checked_add(*r));
            let scale = realized
                .iter()
                .fold(pnl.abs(), |a, r| a.saturating_add(r.abs()));
            let tolerance = scale.saturating_add(Decimal::ONE) * Decimal::new(1, 18);
            if let Some(sum) = sum
                && let Some(diff) = sum.checked_sub(pnl)
            {
                assert!(
                    diff.abs() <= tolerance,
                    "{cid}: P&L of the trades {sum} vs the position's {pnl}"
                );
            }
        }
    }
    assert!(p.exposure().is_some() && p.open_qty().is_some() && p.realized_pnl().is_some());
    if e.state == ExecState::NeedsAttention {
        assert!(e.error.is_some(), "{e:?}");
    }
}

/// Writes `pos` and `exec` as placed, then feeds the executor a random answer sequence for
/// the order, checking the invariants after each; returns the number of answers.
async fn feed(
    ex: &Executor,
    store: &MemoryStore,
    pos: &TrackedPosition,
    exec: &Execution,
    rng: &mut fastrand::Rng,
) -> usize {
    store
        .write_batch(&[StoreWrite::Position(pos), StoreWrite::Execution(exec)])
        .await
        .unwrap();
    let answers = answers(rng, exec.order.qty);
    for (f, avg, status) in &answers {
        let _ = ex
            .on_order_update(&update(exec, *f, *avg, status.clone()))
            .await
            .unwrap();
        check(store, &exec.client_order_id, &pos.id, exec.order.qty).await;
    }
    answers.len()
}

#[tokio::test]
async fn random_fill_sequences_keep_positions_equal_to_their_fills_and_never_panic() {
    // The fill path never calls the broker; one is needed to build executors.
    let fake = Fake::start().await;
    let broker = fake.broker();
    let mut rng = fastrand::Rng::with_seed(12);
    let (mut attention, mut filled, mut updates) = (0, 0, 0);
    for case in 0..cases() {
        let store = Arc::new(MemoryStore::new());
        let ex = Executor::new(broker.clone(), store.clone(), ExecutorConfig::new());
        let option = rng.bool();
        let multiplier = if option { dec!(100) } else { Decimal::ONE };
        let symbol = if option {
            "AAPL240315C00150000"
        } else {
            "AAPL"
        };
        let qty = match rng.u8(..8) {
            0 => figure(&mut rng, dec!(10)).abs().max(Decimal::ONE),
            _ => Decimal::from(rng.u32(1..500)),
        };
        let pos = position(&format!("p{case}"), symbol, multiplier);
        let entry = execution(&format!("e{case}"), &pos, Role::Entry, qty);
        updates += feed(&ex, &store, &pos, &entry, &mut rng).await;
        let e = store
            .execution(&entry.client_order_id)
            .await
            .unwrap()
            .unwrap();
        attention += usize::from(e.state == ExecState::NeedsAttention);
        // Exit what was bought, through the same path.
        let mut p = store.position(&pos.id).await.unwrap().unwrap();
        if e.state != ExecState::Filled || p.entry_qty.is_zero() {
            continue;
        }
        filled += 1;
        let held = p.open_qty().unwrap();
        let exit = execution(&format!("x{case}"), &p, Role::Exit, held);
        p.status = PositionStatus::Closing;
        p.exit_client_order_id = Some(exit.client_order_id.clone());
        updates += feed(&ex, &store, &p, &exit, &mut rng).await;
        let (p, x) = (
            store.position(&pos.id).await.unwrap().unwrap(),
            store
                .execution(&exit.client_order_id)
                .await
                .unwrap()
                .unwrap(),
        );
        // A filled exit closes the position; one that ended short hands it back as open.
        if x.state.is_terminal() {
            let closed = x.filled_qty == held;
            assert_eq!(p.status == PositionStatus::Closed, closed, "{x:?} {p:?}");
            assert_eq!(p.open_qty() == Some(Decimal::ZERO), closed);
        }
    }
    println!(
        "fill fuzz: {} sequences, {updates} updates, {filled} entries filled and exited, \
         {attention} needing attention",
        cases()
    );
    assert!(
        filled > cases() / 4 && attention > 0,
        "the generator covers both paths"
    );
}

#[test]
fn the_risk_toolkit_never_panics_on_extreme_figures() {
    let xs = extremes();
    let mut rng = fastrand::Rng::with_seed(34);
    let mut calls = 0u64;
    for &a in &xs {
        for &b in &xs {
            for &c in &xs {
                calls += 1;
                let _ = SignalFilter::default().check(&SignalLevels {
                    entry: a,
                    target: b,
                    stop: c,
                });
                let _ = DailyLossLimit {
                    max_loss_fraction: c,
                }
                .check(a, b);
                let _ = size_equity(
                    &EquitySizingPolicy {
                        method: EquitySizing::RiskBased {
                            risk_per_trade: c.abs(),
                        },
                        max_equity_fraction: Some(dec!(0.5)),
                        allow_fractional: rng.bool(),
                    },
                    &EquitySizingInput {
                        equity: a,
                        buying_power: a.abs(),
                        price: b,
                        stop_price: Some(c),
                        fractionable: rng.bool(),
                    },
                );
                let _ = size_option(
                    &OptionSizingPolicy {
                        max_capital_per_trade: a,
                    },
                    &OptionSizingInput {
                        premium: b,
                        multiplier: c,
                        available_capital: a,
                    },
                );
                let exposures = [
                    Exposure {
                        strategy: "s",
                        value: a,
                    },
                    Exposure {
                        strategy: "s",
                        value: b,
                    },
                    Exposure {
                        strategy: "",
                        value: c,
                    },
                ];
                let limits = PortfolioLimits::default();
                let _ = headroom(&limits, a, &exposures, "s");
                let _ = check_new_position(&limits, a, &exposures, "s", b.abs());
                for side in [Side::Long, Side::Short] {
                    let policy = ExitPolicy {
                        trailing: Some(TrailingStop {
                            activation: dec!(100),
                            trail: dec!(0.5),
                        }),
                        ..ExitPolicy::default()
                    };
                    let input = ExitInput {
                        side,
                        bias: Bias::Bullish,
                        entry_price: a,
                        current_price: b,
                        underlying_price: c,
                        stop: Some(a),
                        target: Some(c),
                        expiration: None,
                        now: at(),
                    };
                    let mut trail = TrailingState::new();
                    for _ in 0..2 {
                        if let Ok(Some(reason)) = evaluate_exit(&policy, &input, &mut trail) {
                            let _ = reason.to_string();
                        }
                    }
                }
            }
        }
    }
    assert_eq!(calls, (xs.len() as u64).pow(3));
}
