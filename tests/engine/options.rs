//! The options path: chain selection by delta and DTE, limit at mid, contract sizing.

use crate::fake::{Contract, Fake};
use crate::support::{aapl_long, rig};
use alpaca_exec::OptionType;
use alpaca_exec::exec::{ExecState, PositionMonitor};
use alpaca_exec::options::select::Filter;
use alpaca_exec::risk::ExitPolicy;
use alpaca_exec::store::{ExecutionStore, Outcome, PositionStatus, SkipReason};
use alpaca_exec::strategy::OptionSpec;
use rust_decimal_macros::dec;
use serde_json::json;

fn contract(symbol: &'static str, delta: f64) -> Contract {
    Contract {
        symbol,
        bid: dec!(1.00),
        ask: dec!(1.10),
        delta,
        open_interest: 500,
    }
}

/// Calls on AAPL: the 0.45-delta one expiring in 11 days is the only one in the default window.
pub fn chain(fake: &Fake) {
    let contracts = vec![
        contract("AAPL240315C00160000", 0.30),
        contract("AAPL240315C00150000", 0.45),
        contract("AAPL240315C00145000", 0.62),
        contract("AAPL240308C00150000", 0.48), // 4 DTE: too soon
    ];
    for c in &contracts {
        fake.quote(c.symbol, c.bid, c.ask);
    }
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    fake.with(|st| st.chain = contracts);
}

#[tokio::test]
async fn option_entry_selects_by_delta_and_dte_and_buys_at_a_limit() {
    let fake = Fake::start().await;
    chain(&fake);
    let r = rig(&fake);
    let sig = aapl_long().option(OptionSpec::new(OptionType::Call));
    let d = r.exec.execute(&[sig]).await;
    assert_eq!(d[0].outcome, Outcome::Executed, "{:?}", d[0]);
    assert!(
        d[0].detail.contains("AAPL240315C00150000"),
        "{}",
        d[0].detail
    );
    let orders = fake.orders();
    assert_eq!(orders.len(), 1);
    let o = &orders[0];
    assert_eq!(o["symbol"], json!("AAPL240315C00150000"));
    assert_eq!(o["type"], json!("limit"));
    // Mid 1.05 + 5% = 1.1025, rounded up to 1.11, capped at the 1.10 ask.
    assert_eq!(o["limit_price"], json!("1.1"));
    // $300 per trade / ($1.10 x 100) = 2 contracts.
    assert_eq!(o["qty"], json!("2"));
    assert_eq!(o["position_intent"], json!("buy_to_open"));

    let cid = d[0].client_order_id.clone().unwrap();
    let pos = r.store.position(&cid).await.unwrap().unwrap();
    assert_eq!(pos.multiplier, dec!(100));
    assert_eq!(pos.underlying, "AAPL");
    assert_eq!(pos.expiration.unwrap().to_string(), "2024-03-15");
    assert_eq!(
        r.store.execution(&cid).await.unwrap().unwrap().state,
        ExecState::Filled
    );

    // The premium doubles: the max-profit rule sells to close at the bid.
    fake.quote("AAPL240315C00150000", dec!(2.30), dec!(2.40));
    let rep = PositionMonitor::new(r.exec.clone(), ExitPolicy::default())
        .check_once()
        .await
        .unwrap();
    assert_eq!(rep.exits.len(), 1, "{rep:?}");
    let exit = &fake.orders()[1];
    assert_eq!(exit["side"], json!("sell"));
    assert_eq!(exit["position_intent"], json!("sell_to_close"));
    let pos = r.store.position(&cid).await.unwrap().unwrap();
    assert_eq!(pos.status, PositionStatus::Closed);
    // (2.35 - 1.10) x 2 x 100
    assert_eq!(pos.realized_pnl(), Some(dec!(250)));
}

#[tokio::test]
async fn no_candidate_records_the_per_filter_counts() {
    let fake = Fake::start().await;
    chain(&fake);
    let r = rig(&fake);
    let mut spec = OptionSpec::new(OptionType::Call);
    spec.min_delta = 0.70;
    spec.max_delta = 0.80;
    let d = r.exec.execute(&[aapl_long().option(spec)]).await;
    let Some(SkipReason::NoContract { chain_len, removed }) = &d[0].skip else {
        panic!("{:?}", d[0]);
    };
    assert_eq!(*chain_len, 4);
    assert_eq!(removed.get(Filter::DeltaOutOfRange), 3);
    assert_eq!(removed.get(Filter::DteOutsideWindow), 1);
    assert_eq!(fake.posts().await, 0);
}
