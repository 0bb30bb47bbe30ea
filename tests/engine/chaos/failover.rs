//! The failover test: a leader and a standby (this test binary, re-executed, twice) trade the
//! chaos book with `Executor` + `AlpacaBroker` + a `PostgresStore` fenced by a `Lease`, against
//! a real PostgreSQL server and the stateful fake (which refuses a reused client order id),
//! with transport faults and lagging lookups. The parent disrupts whichever child leads, at a
//! random moment, in one of these ways:
//!
//! - **killed**: SIGKILL after a random time;
//! - **killed mid-request**: SIGKILL by the proxy when the leader's n-th request arrives, the
//!   request dropped or acted on (an order accepted that the leader never hears of);
//! - **paused**: SIGSTOP for a random time (a quarter to two and a half times the lease's time
//!   to live), then SIGCONT: long pauses wake a leader whose lease was taken over;
//! - **paused mid-request**: SIGSTOP by the proxy when the n-th request arrives (mid-submit
//!   included), SIGCONT later.
//!
//! A killed child is replaced by a new standby; a paused leader that wakes without its lease
//! must stand down (exit 3) and is replaced too. The parent watches the lease row and times
//! every takeover from the moment of the disruption to the new holder's token. At the end it
//! audits the store against the fake and prints: signals, orders at the fake per signal and per
//! intended order, executions lost, takeover times, and every order a leader sent after its
//! lease was taken over (each must be an order it had written before the takeover: same client
//! order id, so never a second order). All must be exact, and every takeover within the
//! lease's time to live plus the standby's poll and one second of slack for a loaded machine.
//!
//! `ALPACA_EXEC_FAILOVER_DISRUPTIONS` sets the number of disruptions (default 8, for CI), e.g.
//! `ALPACA_EXEC_FAILOVER_DISRUPTIONS=200 cargo test --release --features postgres --test engine
//! leader_and_standby -- --nocapture`; `ALPACA_EXEC_FAILOVER_SEED` the seed.

use super::{Audit, Book, book_of, open_market, settle, trade_round};
use crate::fake::{Fake, Fault, Lag, Target, When, client_as, kill, signal};
use crate::pg;
use alpaca_exec::broker::AlpacaBroker;
use alpaca_exec::exec::{
    Executor, ExecutorConfig, UnconfirmedPolicy, entry_client_order_id, exit_client_order_id,
};
use alpaca_exec::store::{ExecutionStore, Lease, LeaseHolder, PostgresOptions};
use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const URI: &str = "ALPACA_EXEC_FAILOVER_URI";
const PG_URL: &str = "ALPACA_EXEC_FAILOVER_PG";
const SCHEMA: &str = "ALPACA_EXEC_FAILOVER_SCHEMA";
const HOLDER: &str = "ALPACA_EXEC_FAILOVER_HOLDER";
const ROUNDS: &str = "ALPACA_EXEC_FAILOVER_ROUNDS";

/// The lease's time to live and the standby's poll, as a deployment would configure them
/// (shorter than the daemon's defaults, to keep the run short).
const TTL: Duration = Duration::from_secs(2);
const POLL: Duration = Duration::from_millis(100);
/// The bound every takeover must meet: the lease runs out at most `TTL` after the leader's
/// last renewal, the standby sees it at its next poll, and a loaded 2-core machine may delay
/// any of it.
const WITHIN: Duration = Duration::from_millis(2000 + 100 + 1000);
const LEASE: &str = "chaos";
/// A stale leader's exit status.
const STOOD_DOWN: i32 = 3;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn options(url: &str, schema: &str) -> PostgresOptions {
    PostgresOptions::new(url)
        .unwrap()
        .schema(schema)
        .timeout(Duration::from_secs(5))
}

/// The child half, run only by [`leader_and_standby_never_double_trade_under_kills_and_pauses`]:
/// stands by until it holds the lease, then trades the book's rounds until done, or stands
/// down (exit 3) the moment its lease is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "child process of the failover test; started by it"]
async fn failover_child() {
    let (Ok(uri), Ok(url), Ok(schema), Ok(holder), Ok(rounds_file)) = (
        std::env::var(URI),
        std::env::var(PG_URL),
        std::env::var(SCHEMA),
        std::env::var(HOLDER),
        std::env::var(ROUNDS),
    ) else {
        return; // run by hand with --ignored: nothing to do without a parent
    };
    let opts = options(&url, &schema);
    let lease = Lease::open(&opts, LEASE, &holder, TTL).await.unwrap();
    let store = opts.clone().fenced_by(&lease).open().await.unwrap();
    loop {
        match lease.try_acquire().await {
            Ok(Some(_)) => break,
            Ok(None) => {}
            Err(e) => eprintln!("{holder}: lease: {e}"),
        }
        tokio::time::sleep(POLL).await;
    }
    let config = ExecutorConfig {
        unconfirmed: UnconfirmedPolicy {
            first_delay: Duration::from_millis(20),
            ..UnconfirmedPolicy::default()
        },
        ..ExecutorConfig::new()
    };
    let broker = AlpacaBroker::new(client_as(&uri, Duration::from_millis(400), &holder));
    let exec = Arc::new(Executor::new(Arc::new(broker), Arc::new(store), config));
    let work = async {
        let _ = exec.reconcile().await;
        let rounds: u32 = std::fs::read_to_string(&rounds_file)
            .ok()
            .and_then(|r| r.trim().parse().ok())
            .unwrap_or(1);
        for round in 0..rounds {
            trade_round(&exec, round).await;
        }
        settle(&exec, 200).await;
    };
    tokio::select! {
        () = work => {
            let _ = lease.release().await;
        }
        lost = lease.hold() => {
            eprintln!("{holder}: standing down: {lost}");
            std::process::exit(STOOD_DOWN);
        }
    }
}

/// How the parent disrupts the leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Disruption {
    /// SIGKILL after this many milliseconds of leading.
    Kill(u64),
    /// SIGKILL by the proxy at the leader's n-th request.
    KillAt(u32, When),
    /// SIGSTOP after `.0` ms of leading, SIGCONT `.1` ms later.
    Pause(u64, u64),
    /// SIGSTOP by the proxy at the n-th request (`.0`; `.2` submits only), SIGCONT `.1` ms later.
    PauseAt(u32, u64, bool),
}

impl Disruption {
    fn draw(rng: &mut fastrand::Rng) -> Disruption {
        let ttl = TTL.as_millis() as u64;
        let pause = rng.u64(ttl / 4..=ttl * 5 / 2);
        match rng.u8(..8) {
            0 | 1 => Disruption::Kill(rng.u64(20..=800)),
            2 => Disruption::KillAt(rng.u32(1..=30), When::Before),
            3 => Disruption::KillAt(rng.u32(1..=30), When::After),
            4 | 5 => Disruption::Pause(rng.u64(20..=800), pause),
            6 => Disruption::PauseAt(rng.u32(1..=30), pause, false),
            _ => Disruption::PauseAt(rng.u32(1..=4), pause, true),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Disruption::Kill(_) => "killed",
            Disruption::KillAt(_, When::Before) => "killed mid-request, before the broker acted",
            Disruption::KillAt(_, When::After) => "killed mid-request, after the broker acted",
            Disruption::Pause(..) => "paused",
            Disruption::PauseAt(_, _, false) => "paused mid-request",
            Disruption::PauseAt(_, _, true) => "paused mid-submit",
        }
    }
}

struct Child {
    holder: String,
    process: std::process::Child,
    log: PathBuf,
}

impl Child {
    fn pid(&self) -> u32 {
        self.process.id()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

struct Parent {
    uri: String,
    url: String,
    schema: String,
    dir: PathBuf,
    rounds_file: PathBuf,
    born: usize,
}

impl Parent {
    fn spawn(&mut self) -> Child {
        self.born += 1;
        let holder = format!("child-{}", self.born);
        let log = self.dir.join(format!("{holder}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let err = out.try_clone().unwrap();
        let process = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "chaos::failover::failover_child",
                "--ignored",
                "--test-threads=1",
            ])
            .env(URI, &self.uri)
            .env(PG_URL, &self.url)
            .env(SCHEMA, &self.schema)
            .env(HOLDER, &holder)
            .env(ROUNDS, &self.rounds_file)
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .unwrap();
        Child {
            holder,
            process,
            log,
        }
    }
}

/// Who holds the lease now, if anyone holds it unexpired.
async fn leader(watch: &Lease) -> Option<LeaseHolder> {
    watch.holder().await.ok().flatten().filter(|h| !h.expired)
}

/// Waits until the lease has a holder other than `old` (by token), up to `limit`; returns the
/// new holder and when it was first seen.
async fn next_holder(watch: &Lease, old: i64, limit: Duration) -> Option<(LeaseHolder, Instant)> {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if let Some(h) = leader(watch).await
            && h.token != old
        {
            return Some((h, Instant::now()));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    None
}

/// Reaps children that have exited: a stale leader standing down, a finished one, a killed
/// one. Returns whether one finished its work (exit 0); panics on any other ending.
fn reap(children: &mut Vec<Child>, killed: &[u32]) -> bool {
    let mut done = false;
    let mut i = 0;
    while i < children.len() {
        match children[i].process.try_wait().unwrap() {
            None => i += 1,
            Some(status) => {
                let c = children.remove(i);
                match (status.code(), status.signal()) {
                    (Some(0), _) => done = true,
                    (Some(STOOD_DOWN), _) => {}
                    (_, Some(9)) if killed.contains(&c.pid()) => {}
                    _ => panic!("{} ended otherwise ({status}):\n{}", c.holder, c.log()),
                }
            }
        }
    }
    done
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leader_and_standby_never_double_trade_under_kills_and_pauses() {
    let wanted: usize = env_or("ALPACA_EXEC_FAILOVER_DISRUPTIONS", 8);
    let seed: u64 = env_or("ALPACA_EXEC_FAILOVER_SEED", 2026);
    let started = Instant::now();
    let fake = Fake::start().await;
    open_market(&fake);
    fake.with(|st| st.lag = Some(Lag::For(Duration::from_millis(150))));
    fake.faults(|p| {
        p.stall = Duration::from_millis(800);
        p.random(seed, 0.03, Target::Any, Fault::menu());
    });
    let dir = tempfile::tempdir().unwrap();
    let url = pg::url();
    let schema = pg::fresh_schema();
    let opts = options(&url, &schema);
    drop(opts.create().await.unwrap());
    let watch = Lease::open(&opts, LEASE, "parent (watching only)", TTL)
        .await
        .unwrap();
    let mut parent = Parent {
        uri: fake.uri.clone(),
        url,
        schema,
        dir: dir.path().to_owned(),
        rounds_file: dir.path().join("rounds"),
        born: 0,
    };
    // About one disruption per round; more rounds if the leader finishes early.
    let mut rounds = (wanted as u32).max(2);
    std::fs::write(&parent.rounds_file, rounds.to_string()).unwrap();
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut children = vec![parent.spawn(), parent.spawn()];
    let mut killed: Vec<u32> = Vec::new();
    let mut takeovers: Vec<(Disruption, Duration)> = Vec::new();
    let mut by_kind: BTreeMap<&'static str, usize> = BTreeMap::new();
    // Each holder's token, and when its successor was first seen (its lease lost).
    let mut lost_at: BTreeMap<String, Instant> = BTreeMap::new();
    let mut disruptions = 0usize;
    let mut stood_down = 0usize;
    let mut last_token = 0i64;
    loop {
        assert!(
            started.elapsed() < Duration::from_secs(60 + 20 * wanted as u64),
            "not converging: {disruptions} disruptions, {} takeovers",
            takeovers.len()
        );
        let done = reap(&mut children, &killed);
        if done && disruptions >= wanted {
            break;
        }
        if done {
            // Finished before the disruptions did: more rounds for the next leader.
            rounds += ((wanted - disruptions) as u32).max(1);
            std::fs::write(&parent.rounds_file, rounds.to_string()).unwrap();
        }
        while children.len() < 2 {
            children.push(parent.spawn());
        }
        let Some(lead) = leader(&watch).await else {
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        };
        if lead.token != last_token {
            last_token = lead.token;
        }
        let Some(li) = children.iter().position(|c| c.holder == lead.holder) else {
            // A holder that is gone (killed, or standing down) whose lease has not run out.
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        };
        if disruptions >= wanted {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        }
        let pid = children[li].pid();
        let d = Disruption::draw(&mut rng);
        let t0 = match d {
            Disruption::Kill(ms) | Disruption::Pause(ms, _) => {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                if children[li].process.try_wait().unwrap().is_some() {
                    continue; // it finished (or stood down) first
                }
                signal(
                    pid,
                    if matches!(d, Disruption::Kill(_)) {
                        "KILL"
                    } else {
                        "STOP"
                    },
                );
                Instant::now()
            }
            Disruption::KillAt(n, _) | Disruption::PauseAt(n, _, _) => {
                let (target, fault) = match d {
                    Disruption::KillAt(_, when) => (Target::Any, Fault::KillClient(when)),
                    Disruption::PauseAt(_, _, submits) => (
                        if submits { Target::Submit } else { Target::Any },
                        Fault::PauseClient(if n % 2 == 0 {
                            When::After
                        } else {
                            When::Before
                        }),
                    ),
                    _ => unreachable!(),
                };
                fake.faults(|p| {
                    p.struck_at = None;
                    p.victim = Some(pid);
                    p.nth(target, n, fault);
                });
                // Its moment, or a timer if the moment does not come.
                let until = Instant::now() + Duration::from_millis(1500);
                let struck = loop {
                    if let Some(t) = fake.faults(|p| p.struck_at) {
                        break Some(t);
                    }
                    if Instant::now() >= until || children[li].process.try_wait().unwrap().is_some()
                    {
                        break None;
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                };
                fake.faults(|p| {
                    p.clear_script();
                    p.victim = None;
                });
                match struck {
                    Some(t) => t,
                    None if children[li].process.try_wait().unwrap().is_some() => continue,
                    None => {
                        signal(
                            pid,
                            if matches!(d, Disruption::KillAt(..)) {
                                "KILL"
                            } else {
                                "STOP"
                            },
                        );
                        Instant::now()
                    }
                }
            }
        };
        disruptions += 1;
        *by_kind.entry(d.name()).or_default() += 1;
        if matches!(d, Disruption::Kill(_) | Disruption::KillAt(..)) {
            killed.push(pid);
        }
        // Watch for the takeover; resume a paused leader at the end of its pause.
        let resume = match d {
            Disruption::Pause(_, ms) | Disruption::PauseAt(_, ms, _) => {
                Some(t0 + Duration::from_millis(ms))
            }
            _ => None,
        };
        let mut resumed = resume.is_none();
        let mut took_over = None;
        let deadline = t0 + WITHIN + Duration::from_secs(5);
        while Instant::now() < deadline {
            if !resumed && resume.is_some_and(|r| Instant::now() >= r) {
                signal(pid, "CONT");
                resumed = true;
            }
            if took_over.is_none()
                && let Some(h) = leader(&watch).await
                && h.token != lead.token
            {
                took_over = Some((h, Instant::now()));
            }
            if resumed && took_over.is_some() {
                break;
            }
            // A short pause: the leader resumed and kept its lease (or finished).
            if resumed
                && resume.is_some()
                && leader(&watch).await.is_some_and(|h| h.token == lead.token)
                && Instant::now() > resume.unwrap_or(t0) + Duration::from_millis(300)
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if !resumed {
            signal(pid, "CONT");
        }
        match took_over {
            Some((h, seen)) => {
                lost_at.insert(lead.holder.clone(), seen);
                takeovers.push((d, seen - t0));
                last_token = h.token;
                if resume.is_some() {
                    // The paused leader woke without its lease: it must stand down, and is
                    // not a standby until then (the next disruption needs a live one).
                    let until = Instant::now() + TTL + Duration::from_secs(3);
                    let status = loop {
                        if let Some(st) = children[li].process.try_wait().unwrap() {
                            break st;
                        }
                        assert!(
                            Instant::now() < until,
                            "{} kept running after losing its lease:\n{}",
                            lead.holder,
                            children[li].log()
                        );
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    };
                    assert!(
                        matches!(status.code(), Some(STOOD_DOWN | 0)),
                        "{} ended otherwise ({status}):\n{}",
                        lead.holder,
                        children[li].log()
                    );
                    stood_down += 1;
                    children.remove(li);
                }
            }
            None if resume.is_some() => {} // kept its lease through a short pause
            None => {
                // Killed, and nobody took over: wait until someone does, then fail.
                let late = next_holder(&watch, lead.token, Duration::from_secs(10)).await;
                panic!(
                    "{d:?}: no takeover within {:?} (then: {late:?})",
                    WITHIN + Duration::from_secs(5)
                );
            }
        }
    }
    for c in &mut children {
        kill(c.pid());
        let _ = c.process.wait();
    }

    let store = opts.open_read_only().await.unwrap();
    let (intents, signals) = book_of(rounds);
    let audit = Audit::of(&fake, &store, &intents).await;
    // Orders a leader sent after its successor took over: each must be one it had written
    // before (an execution created before the takeover), so the same client order id.
    let posts = fake.faults(|p| p.posts.clone());
    let mut late = Vec::new();
    for (at, agent, cid) in &posts {
        if let Some(lost) = lost_at.get(agent)
            && at > lost
        {
            let e = store.execution(cid).await.unwrap();
            let written_before = e.as_ref().is_some_and(|e| {
                let age = chrono::Utc::now() - e.created_at;
                age.to_std().is_ok_and(|a| a > lost.elapsed())
            });
            late.push((agent.clone(), cid.clone(), written_before));
        }
    }
    // Orders per signal: an entry signal's order, and the exit signal's (its position's exit).
    let orders = fake.orders();
    let cid_of = |o: &serde_json::Value| o["client_order_id"].as_str().unwrap_or("").to_owned();
    let mut per_signal: BTreeMap<usize, usize> = BTreeMap::new();
    for r in 0..rounds {
        let b = Book::round(r);
        for s in &b.entries {
            let cid = entry_client_order_id(&s.strategy, &s.id());
            let n = orders.iter().filter(|o| cid_of(o) == cid).count();
            *per_signal.entry(n).or_default() += 1;
        }
        for s in &b.exits {
            // The exit signal closes the position its strategy opened in the symbol this round.
            let opened = b
                .entries
                .iter()
                .find(|e| e.strategy == s.strategy && e.symbol == s.symbol)
                .expect("the book's exit has its entry");
            let mut prefix = exit_client_order_id(&opened.strategy, &opened.id(), 1);
            prefix.pop();
            let n = orders
                .iter()
                .filter(|o| cid_of(o).starts_with(&prefix))
                .count();
            *per_signal.entry(n).or_default() += 1;
        }
    }
    let mut times: Vec<Duration> = takeovers.iter().map(|(_, t)| *t).collect();
    times.sort();
    let ms = |d: Duration| d.as_millis();
    println!(
        "failover: {disruptions} disruptions ({by_kind:?}) over {rounds} rounds in {:.1} s \
         (lease ttl {TTL:?}, standby poll {POLL:?}, seed {seed}); {} children, {stood_down} \
         paused leaders stood down on waking; {signals} \
         signals, signals by orders at the fake {per_signal:?} ({} orders in all, the \
         monitor's exits included); {audit}; {} \
         takeovers, min {} ms, median {} ms, max {} ms (bound {} ms); {} orders sent by a \
         leader after its takeover ({} of them written before it)",
        started.elapsed().as_secs_f64(),
        parent.born,
        audit.orders,
        times.len(),
        times.first().map_or(0, |t| ms(*t)),
        times.get(times.len() / 2).map_or(0, |t| ms(*t)),
        times.last().map_or(0, |t| ms(*t)),
        ms(WITHIN),
        late.len(),
        late.iter().filter(|l| l.2).count(),
    );
    audit.assert_exact();
    assert_eq!(
        per_signal,
        BTreeMap::from([(1, signals)]),
        "every signal has exactly one order"
    );
    assert!(!takeovers.is_empty(), "no takeover happened");
    for (d, t) in &takeovers {
        assert!(
            *t <= WITHIN,
            "{d:?}: takeover after {t:?} (bound {WITHIN:?})"
        );
    }
    for (agent, cid, written_before) in &late {
        assert!(
            written_before,
            "{agent} sent {cid} after losing its lease, not written before the takeover"
        );
    }
}
