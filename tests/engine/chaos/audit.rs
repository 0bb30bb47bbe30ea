//! Whether the store and the broker agree, after a run: the figures every chaos test prints
//! and asserts exact.

use crate::fake::{Fake, dec_of, net_qty};
use alpaca_exec::OrderStatus;
use alpaca_exec::exec::ExecState;
use alpaca_exec::store::ExecutionStore;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fmt;

/// The comparison of a store with the fake broker.
#[derive(Debug, Default)]
pub struct Audit {
    /// Orders the run meant to place (entries and exits).
    pub intents: usize,
    /// Orders at the broker.
    pub orders: usize,
    /// Intents without exactly one order at the broker: `(client order id, orders)`.
    pub not_once: Vec<(String, usize)>,
    /// Orders at the broker the store has no execution for (lost executions).
    pub lost: Vec<String>,
    /// Every way the store disagrees with the broker.
    pub mismatches: Vec<String>,
    /// Trades the store recorded.
    pub trades: usize,
    /// Fills the broker executed.
    pub fills: usize,
    /// Requests that reached another host (a redirect followed, keys leaked).
    pub elsewhere: usize,
}

impl Audit {
    /// Compares `store` with the fake's `state`. `intents` are the orders the run meant to
    /// place, each exactly once: a client order id, or for an exit the prefix its attempts
    /// share (`...-x`: a first attempt that provably never reached the broker is followed by a
    /// second with the next number; either way one order).
    pub async fn of(fake: &Fake, store: &dyn ExecutionStore, intents: &[String]) -> Audit {
        let (orders, fills) = fake.with(|st| (st.orders.clone(), st.fills.clone()));
        let mut a = Audit {
            intents: intents.len(),
            orders: orders.len(),
            fills: fills.len(),
            elsewhere: fake.elsewhere_requests().await.len(),
            ..Audit::default()
        };
        let cid_of = |o: &serde_json::Value| o["client_order_id"].as_str().unwrap_or("").to_owned();
        for intent in intents {
            let n = orders.iter().filter(|o| serves(intent, &cid_of(o))).count();
            if n != 1 {
                a.not_once.push((intent.clone(), n));
            }
        }
        for o in &orders {
            let cid = cid_of(o);
            if !intents.iter().any(|i| serves(i, &cid)) {
                a.mismatches
                    .push(format!("order {cid} at the broker was never intended"));
            }
            let Some(e) = store.execution(&cid).await.unwrap() else {
                a.lost.push(cid);
                continue;
            };
            let status: OrderStatus = serde_json::from_value(o["status"].clone()).unwrap();
            let broker = (
                ExecState::from(&status),
                dec_of(&o["filled_qty"]),
                o["id"].as_str().map(str::to_owned),
            );
            let stored = (e.state, e.filled_qty, e.broker_order_id.clone());
            if broker != stored {
                a.mismatches
                    .push(format!("{cid}: broker {broker:?}, store {stored:?}"));
            }
        }
        for e in store.executions(false).await.unwrap() {
            let at_broker = orders.iter().any(|o| cid_of(o) == e.client_order_id);
            let nothing_placed = matches!(
                e.state,
                ExecState::NotSent | ExecState::Rejected | ExecState::Abandoned
            );
            if !at_broker && !nothing_placed {
                a.mismatches.push(format!(
                    "{}: stored {} but the broker has no such order",
                    e.client_order_id,
                    e.state.as_str()
                ));
            }
            if !e.state.is_terminal() {
                a.mismatches.push(format!(
                    "{}: still {} after settling",
                    e.client_order_id,
                    e.state.as_str()
                ));
            }
        }
        let trades = store.trades().await.unwrap();
        a.trades = trades.len();
        let mut traded: BTreeMap<String, Decimal> = BTreeMap::new();
        for t in &trades {
            *traded.entry(t.client_order_id.clone()).or_default() += t.qty;
        }
        let mut filled: BTreeMap<String, Decimal> = BTreeMap::new();
        for (cid, qty, _) in &fills {
            *filled.entry(cid.clone()).or_default() += qty;
        }
        if traded != filled {
            a.mismatches.push(format!(
                "traded {traded:?} but the broker filled {filled:?}"
            ));
        }
        let mut held: BTreeMap<String, Decimal> = BTreeMap::new();
        let mut holders: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for p in store.positions(false).await.unwrap() {
            let open = p.open_qty().unwrap();
            *held.entry(p.symbol.clone()).or_default() += open;
            if !open.is_zero() {
                holders.entry(p.symbol.clone()).or_default().push(format!(
                    "{} {:?} holding {open} (exit {:?}: {:?})",
                    p.id, p.status, p.exit_client_order_id, p.exit_reason
                ));
            }
        }
        let symbols: std::collections::BTreeSet<String> = orders
            .iter()
            .map(|o| o["symbol"].as_str().unwrap_or("").to_owned())
            .collect();
        for symbol in symbols {
            let at_broker = net_qty(&orders, &symbol);
            let stored = held.get(&symbol).copied().unwrap_or_default();
            if at_broker != stored {
                a.mismatches.push(format!(
                    "{symbol}: the broker holds {at_broker}, the store {stored}: {:?}",
                    holders.get(&symbol)
                ));
            }
        }
        a.mismatches.sort();
        a.mismatches.dedup();
        a
    }

    /// Orders at the broker per intended order.
    pub fn orders_per_intent(&self) -> f64 {
        self.orders as f64 / self.intents.max(1) as f64
    }

    /// Asserts every figure exact: one order per intent, nothing lost, no disagreement, as
    /// many trades as fills, nothing sent to another host.
    pub fn assert_exact(&self) {
        assert!(
            self.not_once.is_empty()
                && self.lost.is_empty()
                && self.mismatches.is_empty()
                && self.orders == self.intents
                && self.trades == self.fills
                && self.elsewhere == 0,
            "{self}\n{self:#?}"
        );
    }
}

/// Whether the order `cid` serves `intent`: the same id, or an exit attempt of the prefix.
fn serves(intent: &str, cid: &str) -> bool {
    cid == intent
        || (intent.ends_with('x')
            && cid
                .strip_prefix(intent)
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())))
}

impl fmt::Display for Audit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "intended orders {}, orders at the broker {} ({:.3} per intent), not placed exactly \
             once {}, executions lost {}, stored-vs-broker mismatches {}, trades {} vs fills {}, \
             requests to another host {}",
            self.intents,
            self.orders,
            self.orders_per_intent(),
            self.not_once.len(),
            self.lost.len(),
            self.mismatches.len(),
            self.trades,
            self.fills,
            self.elsewhere
        )
    }
}
