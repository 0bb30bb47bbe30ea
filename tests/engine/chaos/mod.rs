//! The chaos suite: the promise that a bot never places an order twice, never loses an
//! execution and never crashes on what the network hands it, checked against the stateful fake
//! with faults injected between client and broker.
//!
//! - [`client`]: `Client` and `Client::submit_order_and_resolve` under every transport fault,
//!   alone and with lookups that lag acceptance;
//! - [`engine`]: `Executor` + `AlpacaBroker` + `SqliteStore` trading equities and options,
//!   entries and exits (signals and the `PositionMonitor`), under scripted and seeded random
//!   faults;
//! - [`kill`]: a child process trading many signals, killed with SIGKILL at random moments
//!   (mid-request, inside store commits, during `reconcile()`) and restarted until done;
//! - `failover` (feature `postgres`): a leader and a standby sharing a PostgreSQL store under
//!   a lease, the leader killed or paused at random moments (mid-submit included).
//!
//! Each ends with an [`Audit`] of the store against the broker: one order per intent, no
//! execution lost, no disagreement, as many trades as fills.

mod audit;
mod client;
mod engine;
#[cfg(feature = "postgres")]
mod failover;
mod kill;

pub use audit::Audit;

use crate::fake::{Contract, Fake};
use alpaca_exec::OptionType;
use alpaca_exec::exec::{Executor, PositionMonitor, entry_client_order_id, exit_client_order_id};
use alpaca_exec::risk::ExitPolicy;
use alpaca_exec::store::{ExecutionStore, PositionStatus};
use alpaca_exec::strategy::{Intent, OptionSpec, Signal};
use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// The option the book's option entries select: 0.45 delta, 11 days to expiry.
pub const CALL: &str = "AAPL240315C00150000";

/// The market: stocks at their reference prices, and an AAPL call chain in which only
/// [`CALL`] passes the default selection. It never moves: the book's exits fire on it as they
/// are (see [`Book`]), so a child process can trade without the parent changing prices.
pub fn open_market(fake: &Fake) {
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    fake.quote("MSFT", dec!(399.95), dec!(400.05));
    fake.quote("NVDA", dec!(799.95), dec!(800.05));
    let contract = |symbol, delta| Contract {
        symbol,
        bid: dec!(1.00),
        ask: dec!(1.10),
        delta,
        open_interest: 500,
    };
    let chain = vec![
        contract("AAPL240315C00160000", 0.30),
        contract(CALL, 0.45),
        contract("AAPL240315C00145000", 0.62),
    ];
    for c in &chain {
        fake.quote(c.symbol, c.bid, c.ask);
    }
    fake.with(|st| st.chain = chain);
}

/// One round of the book: four entries (three stocks, one call) and the exits they get: the
/// monitor's rules for three (the stocks' targets are set below the market, so they are "hit"
/// as soon as the entries fill; the call is inside the options strategy's DTE exit) and an
/// exit signal for NVDA. `round` shifts the bar time, so each round's signals are new ones.
#[derive(Debug, Clone)]
pub struct Book {
    pub entries: Vec<Signal>,
    pub exits: Vec<Signal>,
}

impl Book {
    pub fn round(round: u32) -> Book {
        let bar = Utc.with_ymd_and_hms(2024, 3, 4, 15, 0, 0).unwrap()
            + chrono::Duration::minutes(i64::from(round));
        let entry = |strategy: &str, symbol: &str, price: Decimal| {
            Signal::new(strategy, symbol, Intent::EnterLong, price, bar)
        };
        let entries = vec![
            entry("trend", "AAPL", dec!(150)).target(dec!(140)),
            entry("trend", "MSFT", dec!(400)).target(dec!(390)),
            entry("swing", "NVDA", dec!(800)),
            entry("opt", "AAPL", dec!(150)).option(OptionSpec::new(OptionType::Call)),
        ];
        let exits = vec![Signal::new(
            "swing",
            "NVDA",
            Intent::Exit,
            dec!(800),
            bar + chrono::Duration::seconds(30),
        )];
        Book { entries, exits }
    }

    /// The orders the round should place, each exactly once: every entry (by its client order
    /// id), and every position's exit (by the prefix its attempts share; see [`Audit`]).
    pub fn intents(&self) -> Vec<String> {
        let entries = self
            .entries
            .iter()
            .map(|s| entry_client_order_id(&s.strategy, &s.id()));
        let exits = self.entries.iter().map(|s| {
            let mut first = exit_client_order_id(&s.strategy, &s.id(), 1);
            first.pop();
            first
        });
        entries.chain(exits).collect()
    }
}

/// The orders `rounds` rounds of the book should place (see [`Book::intents`]), and how many
/// signals they are.
pub fn book_of(rounds: u32) -> (Vec<String>, usize) {
    let books: Vec<Book> = (0..rounds).map(Book::round).collect();
    let intents = books.iter().flat_map(Book::intents).collect();
    let signals = books.iter().map(|b| b.entries.len() + b.exits.len()).sum();
    (intents, signals)
}

/// The monitor of the chaos runs: the default exit rules, and for the options strategy an exit
/// at 20 days to expiry (the book's call has 11).
pub fn monitor(exec: &std::sync::Arc<Executor>) -> PositionMonitor {
    let options = ExitPolicy {
        dte_exit: Some(20),
        ..ExitPolicy::default()
    };
    PositionMonitor::new(exec.clone(), ExitPolicy::default()).with_strategy_policy("opt", options)
}

/// Whether every execution has ended and no position waits for an order. A store that cannot
/// answer (a database out of reach for a moment, a process that was paused past its timeouts)
/// has not settled: the caller tries again.
pub async fn settled(store: &dyn ExecutionStore) -> bool {
    let (Ok(open), Ok(positions)) = (store.executions(true).await, store.positions(true).await)
    else {
        return false;
    };
    open.is_empty() && positions.iter().all(|p| p.status == PositionStatus::Open)
}

/// How many times a round's step is tried before the round gives up (and the audit shows it).
const STEPS: usize = 100;

/// Reconciles until everything has ended (a restart's way of settling), at most `rounds` times,
/// pausing a little between rounds for lookups that lag.
pub async fn settle(exec: &Executor, rounds: usize) {
    for _ in 0..rounds {
        if settled(exec.store().as_ref()).await {
            return;
        }
        let _ = exec.reconcile().await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// One round of the book through an executor and its monitor, on the [market](open_market):
/// entries, settle, the monitor's exits and the exit signal, settle; each step repeated (as a
/// running bot would on its next bar or check) until the round is done. Returns the round's
/// intents.
pub async fn trade_round(exec: &std::sync::Arc<Executor>, round: u32) -> Vec<String> {
    let book = Book::round(round);
    let store = exec.store().clone();
    // A signal that failed before reaching the broker (say, a 429 that outlasted the retries)
    // is retried when seen again; the others are recognised as already decided.
    // Bounded, so a defect ends in the audit's figures rather than a hung test.
    for _ in 0..STEPS {
        if book.entries_open(store.as_ref()).await {
            break;
        }
        exec.execute(&book.entries).await;
        settle(exec, 40).await;
    }
    for _ in 0..STEPS {
        if book.closed(store.as_ref()).await {
            break;
        }
        let _ = monitor(exec).check_once().await;
        exec.execute(&book.exits).await;
        settle(exec, 40).await;
    }
    book.intents()
}

impl Book {
    /// Whether every entry of the round has filled (or its position already closed).
    pub async fn entries_open(&self, store: &dyn ExecutionStore) -> bool {
        self.positions_are(store, |s| {
            matches!(
                s,
                PositionStatus::Open | PositionStatus::Closing | PositionStatus::Closed
            )
        })
        .await
    }

    /// Whether every position of the round has closed.
    pub async fn closed(&self, store: &dyn ExecutionStore) -> bool {
        self.positions_are(store, |s| s == PositionStatus::Closed)
            .await
    }

    async fn positions_are(
        &self,
        store: &dyn ExecutionStore,
        ok: impl Fn(PositionStatus) -> bool,
    ) -> bool {
        for s in &self.entries {
            let cid = entry_client_order_id(&s.strategy, &s.id());
            match store.position(&cid).await {
                Ok(Some(p)) if ok(p.status) => {}
                _ => return false,
            }
        }
        true
    }
}
