//! `Executor` + `AlpacaBroker` + `SqliteStore` trading the chaos [`Book`](super::Book) (three
//! stock entries and a call, exits by the monitor's rules and by an exit signal) while the
//! transport fails, by script (each fault on the entries' and the exits' submits, with and
//! without lagging lookups) and at random (seeded). Every run ends with an exact audit.

use super::{Audit, open_market, settle, trade_round};
use crate::fake::{Fake, Fault, Lag, Target, When};
use alpaca_exec::broker::AlpacaBroker;
use alpaca_exec::exec::{Executor, ExecutorConfig, UnconfirmedPolicy};
use alpaca_exec::store::SqliteStore;
use futures_util::future::join_all;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// An executor over the fake (short timeouts) with a SQLite store in `dir`.
pub fn engine(fake: &Fake, dir: &Path) -> Arc<Executor> {
    let broker = AlpacaBroker::new(fake.quick_timeouts(Duration::from_millis(400)));
    let store = SqliteStore::open_or_create(dir.join("engine.db")).unwrap();
    let config = ExecutorConfig {
        unconfirmed: UnconfirmedPolicy {
            first_delay: Duration::from_millis(5),
            ..UnconfirmedPolicy::default()
        },
        ..ExecutorConfig::new()
    };
    Arc::new(Executor::new(Arc::new(broker), Arc::new(store), config))
}

/// One book round with `fault` on the first two submits of the entries and of the exits.
async fn scripted(fault: Fault, lag: Option<Lag>) -> Result<Audit, String> {
    let fake = Fake::start().await;
    fake.with(|st| st.lag = lag);
    let dir = tempfile::tempdir().unwrap();
    let exec = engine(&fake, dir.path());
    fake.faults(|p| {
        p.then(Target::Submit, fault).then(Target::Submit, fault);
        // The exits' submits: the sixth and seventh from the start (four entries first), unless
        // a fault before them made the client send again; either way two more faults.
        p.nth(Target::Submit, 3, fault).then(Target::Submit, fault);
    });
    open_market(&fake);
    let intents = trade_round(&exec, 0).await;
    let audit = Audit::of(&fake, exec.store().as_ref(), &intents).await;
    let injected = fake.faults(|p| p.injected.len());
    if injected < 2 {
        return Err(format!("{fault:?}: only {injected} faults injected"));
    }
    Ok(audit)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_submit_fault_on_entries_and_exits_leaves_one_order_per_intent_and_the_store_agreeing()
 {
    // The menu, and the redirects it leaves out.
    let mut faults = Fault::menu();
    for (status, elsewhere, when) in [(302, true, When::After), (307, true, When::Before)] {
        faults.push(Fault::Redirect {
            status,
            elsewhere,
            when,
        });
    }
    let runs = faults.iter().enumerate().map(|(i, &f)| {
        // Every other fault with lookups that lag acceptance by one lookup.
        let lag = (i % 2 == 1).then_some(Lag::Lookups(1));
        async move { (f, lag, scripted(f, lag).await) }
    });
    for (fault, lag, audit) in join_all(runs).await {
        let audit = audit.unwrap();
        println!("{fault:?} lag {lag:?}: {audit}");
        audit.assert_exact();
    }
}

/// Two book rounds under random faults on every request (seeded), then the faults stop and
/// the engine settles as a restart would.
async fn random_run(seed: u64) -> (Audit, usize) {
    let fake = Fake::start().await;
    fake.with(|st| st.lag = Some(Lag::Lookups(1)));
    let dir = tempfile::tempdir().unwrap();
    let exec = engine(&fake, dir.path());
    fake.faults(|p| {
        p.random(seed, 0.2, Target::Any, Fault::menu());
    });
    open_market(&fake);
    let mut intents = trade_round(&exec, 0).await;
    intents.extend(trade_round(&exec, 1).await);
    let injected = fake.faults(|p| {
        p.clear();
        p.injected.len()
    });
    settle(&exec, 20).await;
    (
        Audit::of(&fake, exec.store().as_ref(), &intents).await,
        injected,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_faults_on_every_request_leave_one_order_per_intent_and_the_store_agreeing() {
    let runs = [11u64, 12, 13].map(|seed| async move { (seed, random_run(seed).await) });
    for (seed, (audit, injected)) in join_all(runs).await {
        println!("seed {seed}: {injected} faults injected; {audit}");
        assert!(injected > 10, "seed {seed}: {injected}");
        audit.assert_exact();
    }
}
