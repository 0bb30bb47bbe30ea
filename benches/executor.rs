//! Executor overhead per signal: guards, sizing, store writes and handing the order to a broker
//! that answers at once (an in-bench `Broker` with no I/O, filling every order immediately).
//!
//! - `executor/memory`: `MemoryStore`. Issue target: at least 100,000 signals/s.
//! - `executor/sqlite_wal`: `SqliteStore` in WAL mode, default durability (a committed write
//!   survives the process being killed). Issue target: at least 5,000 signals/s.
//! - `executor/sqlite_wal_fsync`: `SqliteStore` with `Durability::PowerLoss` (fsync per commit),
//!   for reference.
//! - `executor/postgres`, `executor/postgres_fenced` (feature `postgres`): `PostgresStore` on a
//!   local server over a unix socket, alone and fenced by a held `Lease` (every write checks
//!   the lease in its transaction). The server comes from `ALPACA_EXEC_PG_URL`, or a throwaway
//!   cluster is started for the run (see `tests/common/postgres.rs`); each store is a new
//!   schema, left behind.
//! - `baseline/*`: one bare `upsert_execution` per element on the same stores, so the executor's
//!   cost can be quoted as a multiple of a single store write.
//!
//! Each iteration executes a batch of 100 distinct signals (one strategy each, so no guard
//! skips them) on a fresh store; throughput is reported per signal.
//!
//! Run: `cargo bench --bench executor` (with PostgreSQL: `--features postgres`).

use alpaca_exec::broker::{
    AccountSnapshot, Broker, BrokerOrder, BrokerPosition, ChainQuery, LatestPrice, MarketClock,
    Session, not_found,
};
use alpaca_exec::exec::{ExecState, Executor, ExecutorConfig};
use alpaca_exec::options::select::ContractQuote;
use alpaca_exec::risk::EquitySizing;
use alpaca_exec::store::{
    Durability, Execution, ExecutionStore, MemoryStore, OrderSpec, Outcome, Role, SqliteStore,
};
use alpaca_exec::strategy::{Intent, Signal};
use alpaca_exec::{OrderRequest, OrderSide, OrderStatus};
use async_trait::async_trait;
use chrono::{NaiveDate, TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rust_decimal::Decimal;
use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const BATCH: usize = 100;

/// Answers every call at once and fills every order at its limit (or $100).
#[derive(Default)]
struct InstantBroker {
    next: AtomicU64,
}

#[async_trait]
impl Broker for InstantBroker {
    async fn account(&self) -> alpaca_exec::Result<AccountSnapshot> {
        Ok(AccountSnapshot {
            equity: Decimal::from(10_000_000),
            last_equity: Some(Decimal::from(10_000_000)),
            buying_power: Decimal::from(20_000_000),
            options_buying_power: Decimal::from(20_000_000),
            can_trade: true,
        })
    }
    async fn clock(&self) -> alpaca_exec::Result<MarketClock> {
        let now = Utc.with_ymd_and_hms(2024, 3, 4, 15, 30, 0).unwrap();
        Ok(MarketClock {
            now,
            is_open: true,
            next_open: now,
            next_close: now,
        })
    }
    async fn calendar(&self, _: NaiveDate, _: NaiveDate) -> alpaca_exec::Result<Vec<Session>> {
        Ok(Vec::new())
    }
    async fn positions(&self) -> alpaca_exec::Result<Vec<BrokerPosition>> {
        Ok(Vec::new())
    }
    async fn open_orders(&self) -> alpaca_exec::Result<Vec<BrokerOrder>> {
        Ok(Vec::new())
    }
    async fn submit_order(&self, o: &OrderRequest) -> alpaca_exec::Result<BrokerOrder> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        Ok(BrokerOrder {
            id: format!("o{n}"),
            client_order_id: o.client_order_id().to_owned(),
            symbol: o.symbol().unwrap_or_default().to_owned(),
            side: o.side().cloned(),
            qty: o.qty(),
            filled_qty: o.qty().unwrap_or_default(),
            filled_avg_price: Some(o.limit_price().unwrap_or(Decimal::ONE_HUNDRED)),
            limit_price: o.limit_price(),
            status: OrderStatus::Filled,
            updated_at: None,
        })
    }
    async fn cancel_order(&self, _: &str) -> alpaca_exec::Result<()> {
        Ok(())
    }
    async fn order(&self, id: &str) -> alpaca_exec::Result<BrokerOrder> {
        Err(not_found(id))
    }
    async fn order_by_client_order_id(&self, id: &str) -> alpaca_exec::Result<BrokerOrder> {
        Err(not_found(id))
    }
    async fn latest_price(&self, s: &str) -> alpaca_exec::Result<LatestPrice> {
        Err(not_found(s))
    }
    async fn option_chain(&self, _: &ChainQuery) -> alpaca_exec::Result<Vec<ContractQuote>> {
        Ok(Vec::new())
    }
}

fn signals() -> Vec<Signal> {
    let t = Utc.with_ymd_and_hms(2024, 3, 4, 15, 0, 0).unwrap();
    (0..BATCH)
        .map(|i| {
            Signal::new(
                format!("s{i}"),
                "AAPL",
                Intent::EnterLong,
                Decimal::ONE_HUNDRED,
                t,
            )
            .stop(Decimal::from(95))
            .target(Decimal::from(110))
        })
        .collect()
}

/// $1,000 per position so no allocation limit is reached within a batch.
fn config() -> ExecutorConfig {
    let mut c = ExecutorConfig::new();
    c.equity_sizing.method = EquitySizing::FixedDollars(Decimal::from(1000));
    c
}

fn execution(i: usize) -> Execution {
    let now = Utc::now();
    Execution {
        client_order_id: format!("bench-{i}"),
        signal_id: signals()[0].id(),
        strategy: "s".into(),
        underlying: "AAPL".into(),
        role: Role::Entry,
        position_id: format!("bench-{i}"),
        order: OrderSpec {
            symbol: "AAPL".into(),
            side: OrderSide::Buy,
            qty: Decimal::TEN,
            limit_price: None,
            position_intent: None,
        },
        state: ExecState::Pending,
        broker_order_id: None,
        filled_qty: Decimal::ZERO,
        filled_avg_price: None,
        error: None,
        created_at: now,
        updated_at: now,
        history: Vec::new(),
    }
}

/// Makes a fresh store for one iteration (not timed). Asynchronous, because criterion runs an
/// iteration's setup inside the bench's runtime, where a store that connects to a server
/// cannot block on its own opening.
type MakeStore<'a> = Box<dyn Fn() -> StoreFuture<'a> + 'a>;
type StoreFuture<'a> = Pin<Box<dyn Future<Output = Arc<dyn ExecutionStore>> + 'a>>;

/// A maker for a store that opens without waiting.
fn ready<'a>(make: impl Fn() -> Arc<dyn ExecutionStore> + 'a) -> MakeStore<'a> {
    Box::new(move || Box::pin(std::future::ready(make())))
}

fn sqlite(dir: &tempfile::TempDir, durability: Durability) -> Arc<dyn ExecutionStore> {
    let path = dir.path().join(format!("{}.db", fastrand::u64(..)));
    Arc::new(
        SqliteStore::create(path)
            .and_then(|s| s.durability(durability))
            .expect("create"),
    )
}

#[cfg(feature = "postgres")]
#[path = "../tests/common/postgres.rs"]
mod pg;

/// A new schema on the test server, unfenced or fenced by a lease this process holds.
#[cfg(feature = "postgres")]
async fn postgres(fenced: bool) -> Arc<dyn ExecutionStore> {
    use alpaca_exec::store::Lease;
    let o = pg::options();
    if !fenced {
        return Arc::new(o.create().await.expect("create"));
    }
    let lease = Lease::open(&o, "bench", "bench", Duration::from_secs(600))
        .await
        .expect("lease");
    lease.try_acquire().await.expect("acquire").expect("free");
    // The store keeps the lease's fence (the token and until when it is trusted); the lease
    // itself, dropped here, is not renewed, which its ten minutes do not need.
    Arc::new(o.fenced_by(&lease).create().await.expect("create"))
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let batch = signals();
    #[allow(unused_mut)]
    let mut stores: Vec<(&str, MakeStore)> = vec![
        ("memory", ready(|| Arc::new(MemoryStore::new()))),
        ("sqlite_wal", ready(|| sqlite(&dir, Durability::Process))),
        (
            "sqlite_wal_fsync",
            ready(|| sqlite(&dir, Durability::PowerLoss)),
        ),
    ];
    #[cfg(feature = "postgres")]
    {
        stores.push(("postgres", Box::new(|| Box::pin(postgres(false)))));
        stores.push(("postgres_fenced", Box::new(|| Box::pin(postgres(true)))));
    }

    // Every signal of a batch must be executed, or the bench measures skips.
    for (name, make) in &stores {
        let d = rt.block_on(async {
            let ex = Executor::new(Arc::new(InstantBroker::default()), make().await, config());
            ex.execute(&batch).await
        });
        assert!(
            d.iter().all(|d| d.outcome == Outcome::Executed),
            "{name}: {:?}",
            d.iter().find(|d| d.outcome != Outcome::Executed)
        );
    }

    let mut g = c.benchmark_group("executor");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.sample_size(20);
    for (name, make) in &stores {
        g.bench_function(*name, |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let batch = &batch;
                async move {
                    let mut timed = Duration::ZERO;
                    for _ in 0..iters {
                        let store = make().await;
                        let ex = Executor::new(Arc::new(InstantBroker::default()), store, config());
                        let start = Instant::now();
                        let d = ex.execute(batch).await;
                        timed += start.elapsed();
                        // Closing the store is not timed.
                        black_box((d, ex));
                    }
                    timed
                }
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("baseline");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.sample_size(20);
    let execs: Vec<Execution> = (0..BATCH).map(execution).collect();
    for (name, make) in &stores {
        g.bench_function(format!("{name}_upsert_execution"), |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let execs = &execs;
                async move {
                    let mut timed = Duration::ZERO;
                    for _ in 0..iters {
                        let store = make().await;
                        let start = Instant::now();
                        for e in execs {
                            store.upsert_execution(e).await.expect("write");
                        }
                        timed += start.elapsed();
                        black_box(store);
                    }
                    timed
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
