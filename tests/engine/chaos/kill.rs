//! The random-SIGKILL test: a child process (this test binary, re-executed) trades the chaos
//! book, round after round, with `Executor` + `AlpacaBroker` + `SqliteStore` against the fake,
//! which lives in the parent and outlives every child. Each child is killed with SIGKILL at a
//! random moment, chosen per life from:
//!
//! - **mid-request**: the proxy kills the child when its n-th request arrives, then drops the
//!   request or lets the fake act on it (an order accepted that the child never hears of);
//! - **timer**: the parent kills it n milliseconds after it started (start-up, `reconcile()`,
//!   anywhere);
//! - **commit**: the child's store starts a thread that kills the process some microseconds
//!   into its n-th write, while the SQLite commit runs;
//! - **failpoint**: between writing an order as pending and sending it, or between the
//!   broker's answer and recording it;
//! - **reconcile**: some microseconds into the start-up `reconcile()`.
//!
//! A life whose moment does not come within 1.5 s is killed by the parent's timer. It is
//! restarted on the same store until every round is done, then the parent audits the store
//! against the fake and prints the figures. All must be exact.
//!
//! `ALPACA_EXEC_CHAOS_KILLS` sets the number of kills (default 24, for CI), e.g.
//! `ALPACA_EXEC_CHAOS_KILLS=2000 cargo test --release --test engine random_sigkills -- --nocapture`;
//! `ALPACA_EXEC_CHAOS_LAG_MS` the lookup lag (default 150), `ALPACA_EXEC_CHAOS_SEED` the seed.

use super::{Audit, book_of, open_market, settle, trade_round};
use crate::fake::{Fake, Fault, Lag, Target, When, client_for, kill};
use alpaca_exec::broker::AlpacaBroker;
use alpaca_exec::exec::{Executor, ExecutorConfig, UnconfirmedPolicy};
use alpaca_exec::store::{
    DailySummary, EngineEvent, Execution, ExecutionStore, SignalRecord, SqliteStore, StoreResult,
    StoreWrite, TrackedPosition, TradeRecord,
};
use alpaca_exec::strategy::SignalId;
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

const URI: &str = "ALPACA_EXEC_CHAOS_URI";
const DB: &str = "ALPACA_EXEC_CHAOS_DB";
const ROUNDS: &str = "ALPACA_EXEC_CHAOS_ROUNDS";
const KILL: &str = "ALPACA_EXEC_CHAOS_KILL";
const PHASE: &str = "ALPACA_EXEC_CHAOS_PHASE";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// SIGKILL to this process, at once: no destructors, no flush, exactly like `kill -9`.
fn die() -> ! {
    // SAFETY: kill(2) on our own pid has no memory-safety preconditions.
    unsafe {
        libc::kill(libc::getpid(), libc::SIGKILL);
    }
    loop {
        std::thread::park();
    }
}

/// Busy-waits `us` microseconds (a sleep would be too coarse to land inside a commit).
fn spin(us: u64) {
    let until = Instant::now() + Duration::from_micros(us);
    while Instant::now() < until {
        std::hint::spin_loop();
    }
}

/// How long a life that should die by its own moment may run before the parent kills it.
const FALLBACK: Duration = Duration::from_millis(1500);

/// How one child life ends, if it does not finish first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Death {
    /// Killed by the proxy at its n-th request.
    Request(u32, When),
    /// Killed by the parent after this many milliseconds.
    Timer(u64),
    /// Killed `us` microseconds into its n-th store write.
    Commit(u32, u64),
    /// Killed at the n-th pass through the named failpoint.
    Failpoint(&'static str, u32),
    /// Killed `us` microseconds into `reconcile()`.
    Reconcile(u64),
    /// Left to finish.
    None,
}

impl Death {
    fn draw(rng: &mut fastrand::Rng) -> Death {
        match rng.u8(..20) {
            0..=3 => Death::Request(rng.u32(1..=40), When::Before),
            4..=7 => Death::Request(rng.u32(1..=40), When::After),
            8..=10 => Death::Timer(rng.u64(20..=600)),
            11..=13 => Death::Commit(rng.u32(1..=12), rng.u64(0..=400)),
            14..=16 => Death::Failpoint(
                if rng.bool() {
                    "pending_written"
                } else {
                    "order_sent"
                },
                rng.u32(1..=4),
            ),
            _ => Death::Reconcile(rng.u64(0..=3000)),
        }
    }

    /// What the child needs to know (the kills it carries out itself).
    fn for_child(self) -> String {
        match self {
            Death::Commit(n, us) => format!("commit:{n}:{us}"),
            Death::Failpoint(name, n) => format!("failpoint:{name}:{n}"),
            Death::Reconcile(us) => format!("reconcile:{us}"),
            _ => "none".into(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Death::Request(_, When::Before) => "mid-request, before the broker acted",
            Death::Request(_, When::After) => "mid-request, after the broker acted",
            Death::Timer(_) => "timer",
            Death::Commit(..) => "inside a store commit",
            Death::Failpoint("pending_written", _) => "pending written, not sent",
            Death::Failpoint(..) => "answered, not recorded",
            Death::Reconcile(_) => "during reconcile()",
            Death::None => "none",
        }
    }
}

/// A store that kills the process `us` microseconds into its `at`-th write.
struct KillingStore {
    inner: SqliteStore,
    writes: AtomicU32,
    at: Option<(u32, u64)>,
}

impl KillingStore {
    fn before_write(&self) {
        let n = self.writes.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some((at, us)) = self.at
            && at == n
        {
            std::thread::spawn(move || {
                spin(us);
                die();
            });
        }
    }
}

#[async_trait]
impl ExecutionStore for KillingStore {
    async fn upsert_signal(&self, r: &SignalRecord) -> StoreResult<()> {
        self.before_write();
        self.inner.upsert_signal(r).await
    }
    async fn signal(&self, id: &SignalId) -> StoreResult<Option<SignalRecord>> {
        self.inner.signal(id).await
    }
    async fn signals(&self) -> StoreResult<Vec<SignalRecord>> {
        self.inner.signals().await
    }
    async fn upsert_execution(&self, e: &Execution) -> StoreResult<()> {
        self.before_write();
        self.inner.upsert_execution(e).await
    }
    async fn execution(&self, id: &str) -> StoreResult<Option<Execution>> {
        self.inner.execution(id).await
    }
    async fn executions(&self, open_only: bool) -> StoreResult<Vec<Execution>> {
        self.inner.executions(open_only).await
    }
    async fn upsert_position(&self, p: &TrackedPosition) -> StoreResult<()> {
        self.before_write();
        self.inner.upsert_position(p).await
    }
    async fn position(&self, id: &str) -> StoreResult<Option<TrackedPosition>> {
        self.inner.position(id).await
    }
    async fn positions(&self, active_only: bool) -> StoreResult<Vec<TrackedPosition>> {
        self.inner.positions(active_only).await
    }
    async fn upsert_trade(&self, t: &TradeRecord) -> StoreResult<bool> {
        self.before_write();
        self.inner.upsert_trade(t).await
    }
    async fn trades(&self) -> StoreResult<Vec<TradeRecord>> {
        self.inner.trades().await
    }
    async fn upsert_daily_summary(&self, s: &DailySummary) -> StoreResult<()> {
        self.before_write();
        self.inner.upsert_daily_summary(s).await
    }
    async fn daily_summaries(&self, date: chrono::NaiveDate) -> StoreResult<Vec<DailySummary>> {
        self.inner.daily_summaries(date).await
    }
    async fn put_strategy_state(&self, s: &str, v: &serde_json::Value) -> StoreResult<()> {
        self.before_write();
        self.inner.put_strategy_state(s, v).await
    }
    async fn strategy_state(&self, s: &str) -> StoreResult<Option<serde_json::Value>> {
        self.inner.strategy_state(s).await
    }
    async fn write_batch(&self, writes: &[StoreWrite<'_>]) -> StoreResult<Vec<String>> {
        self.before_write();
        self.inner.write_batch(writes).await
    }
    fn records_events(&self) -> bool {
        self.inner.records_events()
    }
    async fn record_event(&self, e: &EngineEvent) -> StoreResult<()> {
        self.inner.record_event(e).await
    }
}

/// The child half, run only by [`random_sigkills_never_place_twice_or_lose_an_execution`]: trades
/// the book's rounds, dying as its instructions say.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "child process of the random-SIGKILL test; started by it"]
async fn chaos_child() {
    let (Ok(uri), Ok(db), Ok(kill_spec), Ok(phase)) = (
        std::env::var(URI),
        std::env::var(DB),
        std::env::var(KILL),
        std::env::var(PHASE),
    ) else {
        return; // run by hand with --ignored: nothing to do without a parent
    };
    let rounds: u32 = env_or(ROUNDS, 1);
    let parts: Vec<&str> = kill_spec.split(':').collect();
    let num = |i: usize| {
        parts
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let commit = (parts[0] == "commit").then(|| (num(1) as u32, num(2)));
    let store = KillingStore {
        inner: SqliteStore::open_or_create(&db).expect("the store opens after any kill"),
        writes: AtomicU32::new(0),
        at: commit,
    };
    let config = ExecutorConfig {
        unconfirmed: UnconfirmedPolicy {
            first_delay: Duration::from_millis(20),
            ..UnconfirmedPolicy::default()
        },
        ..ExecutorConfig::new()
    };
    let broker = AlpacaBroker::new(client_for(&uri, Duration::from_millis(400)));
    let mut exec = Executor::new(Arc::new(broker), Arc::new(store), config);
    if parts[0] == "failpoint" {
        let (name, at) = (parts[1].to_owned(), num(2) as u32);
        let passes = AtomicU32::new(0);
        exec = exec.with_failpoint(Arc::new(move |point: &str| {
            if point == name && passes.fetch_add(1, Ordering::SeqCst) + 1 == at {
                die();
            }
        }));
    }
    let exec = Arc::new(exec);

    std::fs::write(&phase, "reconcile").unwrap();
    let reconciling = Arc::new(AtomicBool::new(true));
    if parts[0] == "reconcile" {
        let (us, still) = (num(1), reconciling.clone());
        std::thread::spawn(move || {
            spin(us);
            if still.load(Ordering::SeqCst) {
                die();
            }
        });
    }
    let _ = exec.reconcile().await;
    reconciling.store(false, Ordering::SeqCst);
    std::fs::write(&phase, "trading").unwrap();
    for round in 0..rounds {
        trade_round(&exec, round).await;
    }
    settle(&exec, 200).await;
}

/// What the parent saw of the kills.
#[derive(Debug, Default)]
struct Kills {
    total: usize,
    by_death: BTreeMap<&'static str, usize>,
    in_reconcile: usize,
}

struct Life {
    child: std::process::Child,
    log: PathBuf,
}

fn spawn(uri: &str, db: &Path, rounds: u32, death: Death, phase: &Path, log: &Path) -> Life {
    let out = std::fs::File::create(log).unwrap();
    let err = out.try_clone().unwrap();
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "chaos::kill::chaos_child",
            "--ignored",
            "--test-threads=1",
        ])
        .env(URI, uri)
        .env(DB, db)
        .env(ROUNDS, rounds.to_string())
        .env(KILL, death.for_child())
        .env(PHASE, phase)
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
        .unwrap();
    Life {
        child,
        log: log.to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_sigkills_never_place_twice_or_lose_an_execution() {
    let wanted: usize = env_or("ALPACA_EXEC_CHAOS_KILLS", 24);
    let lag_ms: u64 = env_or("ALPACA_EXEC_CHAOS_LAG_MS", 150);
    let seed: u64 = env_or("ALPACA_EXEC_CHAOS_SEED", 2026);
    let started = Instant::now();
    let fake = Fake::start().await;
    open_market(&fake);
    fake.with(|st| st.lag = Some(Lag::For(Duration::from_millis(lag_ms))));
    fake.faults(|p| {
        p.stall = Duration::from_millis(800);
        p.random(seed, 0.03, Target::Any, Fault::menu());
    });
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("engine.db");
    let phase = dir.path().join("phase");
    let log = dir.path().join("child.log");
    let mut rng = fastrand::Rng::with_seed(seed);
    // About three kills per round; more rounds if the children finish early.
    let mut rounds = (wanted / 3).max(2) as u32;
    let mut kills = Kills::default();
    let mut lives = 0usize;
    loop {
        lives += 1;
        assert!(
            lives <= wanted * 4 + 50,
            "not converging after {lives} lives: {kills:?}"
        );
        let death = if kills.total < wanted {
            Death::draw(&mut rng)
        } else {
            Death::None
        };
        if let Death::Request(n, when) = death {
            fake.faults(|p| {
                p.nth(Target::Any, n, Fault::KillClient(when));
            });
        }
        let _ = std::fs::remove_file(&phase);
        let mut life = spawn(&fake.uri, &db, rounds, death, &phase, &log);
        fake.faults(|p| p.victim = Some(life.child.id()));
        let born = Instant::now();
        // Every life that should die does: a moment that never comes (a reconcile shorter
        // than its delay, a failpoint not passed again) falls back to the timer.
        let deadline = match death {
            Death::Timer(ms) => Some(Duration::from_millis(ms)),
            Death::None => None,
            _ => Some(FALLBACK),
        };
        let mut fallback = false;
        let status = loop {
            if let Some(status) = life.child.try_wait().unwrap() {
                break status;
            }
            if deadline.is_some_and(|d| born.elapsed() >= d) {
                fallback = !matches!(death, Death::Timer(_));
                kill(life.child.id());
                break life.child.wait().unwrap();
            }
            if born.elapsed() > Duration::from_secs(300) {
                kill(life.child.id());
                let _ = life.child.wait();
                panic!(
                    "a child ran for 5 minutes: {}",
                    std::fs::read_to_string(&life.log).unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        fake.faults(|p| {
            p.clear_script();
            p.victim = None;
        });
        match (status.signal(), status.code()) {
            (Some(9), _) => {
                kills.total += 1;
                let name = if fallback {
                    "timer (fallback)"
                } else {
                    death.name()
                };
                *kills.by_death.entry(name).or_default() += 1;
                if kills.total % 200 == 0 {
                    eprintln!(
                        "{} kills in {lives} lives, {rounds} rounds, {:.0} s",
                        kills.total,
                        started.elapsed().as_secs_f64()
                    );
                }
                if std::fs::read_to_string(&phase).is_ok_and(|p| p == "reconcile") {
                    kills.in_reconcile += 1;
                }
            }
            (_, Some(0)) if kills.total >= wanted => break,
            // Done before the kills were: more rounds for the next lives.
            (_, Some(0)) => rounds += ((wanted - kills.total) / 3).max(1) as u32,
            _ => panic!(
                "child died otherwise ({status}) as {death:?}:\n{}",
                std::fs::read_to_string(&life.log).unwrap_or_default()
            ),
        }
    }

    let store = SqliteStore::open(&db).unwrap();
    let (intents, signals) = book_of(rounds);
    let audit = Audit::of(&fake, &store, &intents).await;
    let lagged = fake.with(|st| st.lagged_lookups);
    let injected = fake.faults(|p| {
        p.injected
            .iter()
            .filter(|(_, _, f)| !matches!(f, Fault::KillClient(_)))
            .count()
    });
    println!(
        "random SIGKILL: {} kills in {lives} lives over {rounds} rounds ({:.1} s, lookup lag \
         {lag_ms} ms, seed {seed}); kills by moment {:?}, {} during reconcile(); \
         {signals} signals; {audit}; {lagged} lookups answered 404 by the lag; {injected} \
         transport faults",
        kills.total,
        started.elapsed().as_secs_f64(),
        kills.by_death,
        kills.in_reconcile
    );
    assert_eq!(kills.total, wanted);
    audit.assert_exact();
}
