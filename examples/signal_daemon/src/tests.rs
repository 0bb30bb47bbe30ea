//! The daemon's commands against a mock Alpaca (the engine tests' stateful fake, plus the
//! calendar and bars), on a stepped clock: a scripted day with `start --execute`, a restart
//! mid-day, `close`, `monitor`, `execute`, a refused reload; and `start` on the simulated broker.

use crate::commands;
use crate::config::{Config, StrategyConfig};
use crate::daemon::clock::{DaemonClock, SteppedClock};
use crate::daemon::runtime::Runtime;
use crate::daemon::venue::VenueKind;
use crate::daemon::{Control, Daemon, Options};
use crate::fake::Fake;
use alpaca_exec::exec::{entry_client_order_id, exit_client_order_id};
use alpaca_exec::risk::EventBlock;
use alpaca_exec::store::{PositionStatus, SkipReason};
use alpaca_exec::strategy::{Intent, Signal};
use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::America::New_York;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use wiremock::matchers::{method, path};
use wiremock::{Mock, Request, ResponseTemplate};

pub(crate) fn ny(date: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    New_York
        .from_local_datetime(&date.and_hms_opt(h, m, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

pub(crate) fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// Weekdays from 2023-12-01 to 2024-03-08: the mock calendar.
fn weekdays() -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut x = d(2023, 12, 1);
    while x <= d(2024, 3, 8) {
        if !matches!(x.weekday(), Weekday::Sat | Weekday::Sun) {
            out.push(x);
        }
        x = x + Days::new(1);
    }
    out
}

/// AAPL flat at 100 until Friday 1 March, then 110 on Monday 4 March: the trend indicator
/// ((EMA10 - EMA30) / EMA30, about 1.2%) crosses the 1% upper band on the 4 March bar only.
fn aapl_daily() -> Vec<(NaiveDate, Decimal)> {
    weekdays()
        .into_iter()
        .filter(|x| *x <= d(2024, 3, 8))
        .map(|x| {
            (
                x,
                if x >= d(2024, 3, 4) {
                    dec!(110)
                } else {
                    dec!(100)
                },
            )
        })
        .collect()
}

fn query(req: &Request, key: &str) -> Option<String> {
    req.url
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// Mounts the calendar and the daily bars on the fake.
pub(crate) async fn mount_market(fake: &Fake) {
    let days: Vec<Value> = weekdays()
        .iter()
        .map(|x| {
            json!({"date": x.to_string(), "open": "09:30", "close": "16:00",
                        "session_open": "0400", "session_close": "2000"})
        })
        .collect();
    Mock::given(method("GET"))
        .and(path("/v2/calendar"))
        .respond_with(ResponseTemplate::new(200).set_body_json(days))
        .mount(&fake.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/stocks/bars"))
        .respond_with(|req: &Request| {
            assert_eq!(query(req, "timeframe").as_deref(), Some("1Day"));
            assert_eq!(query(req, "symbols").as_deref(), Some("AAPL"));
            let start: DateTime<Utc> = query(req, "start").unwrap().parse().unwrap();
            let end: DateTime<Utc> = query(req, "end").unwrap().parse().unwrap();
            let bars: Vec<Value> = aapl_daily()
                .into_iter()
                .map(|(x, c)| (ny(x, 0, 0), c))
                .filter(|(t, _)| *t >= start && *t <= end)
                .map(|(t, c)| json!({"t": t.to_rfc3339(), "o": c, "h": c, "l": c, "c": c, "v": 1000000, "n": 100, "vw": c}))
                .collect();
            ResponseTemplate::new(200).set_body_json(json!({"bars": {"AAPL": bars}, "next_page_token": null}))
        })
        .mount(&fake.server)
        .await;
}

/// The defaults with only the daily trend strategy, on AAPL.
pub(crate) fn trend_only() -> Config {
    let mut cfg = Config::load(None, &|_| None).unwrap();
    cfg.strategies.retain(|n, _| n == "daily_trend");
    if let Some(StrategyConfig::TrendHysteresis(t)) = cfg.strategies.get_mut("daily_trend") {
        t.symbols = vec!["AAPL".into()];
    }
    cfg
}

fn runtime(cfg: &Config, fake: &Fake, dir: &Path) -> Runtime {
    let clients = BTreeMap::from([("equity".to_owned(), (fake.client(), VenueKind::Paper))]);
    Runtime::with_clients(cfg, clients, dir).unwrap()
}

/// A stepped clock from `start` that opens and closes the fake's market with the calendar.
pub(crate) fn clock(fake: &Fake, start: DateTime<Utc>) -> Arc<dyn DaemonClock> {
    let state = fake.state.clone();
    let open_at = move |t: DateTime<Utc>| {
        let date = t.with_timezone(&New_York).date_naive();
        weekdays().contains(&date) && ny(date, 9, 30) <= t && t < ny(date, 16, 0)
    };
    state.lock().unwrap().is_open = open_at(start);
    Arc::new(SteppedClock::new(start).on_advance(Box::new(move |t| {
        state.lock().unwrap().is_open = open_at(t)
    })))
}

/// A daemon over the fake from `from` to `until`, on a fresh runtime over the stores in `dir`
/// (as a restarted process would have), placing orders if `execute`, reloading `config_path`.
#[allow(clippy::too_many_arguments)]
fn new_daemon(
    cfg: &Config,
    fake: &Fake,
    dir: &Path,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    execute: bool,
    config_path: Option<&Path>,
) -> Daemon {
    let opts = Options {
        execute,
        config_path: config_path.map(Path::to_owned),
        until: Some(until),
        status_path: dir.join("status.json"),
        leader: None,
    };
    let rt = runtime(cfg, fake, dir);
    Daemon::new(cfg.clone(), Box::new(|_| None), opts, rt, clock(fake, from))
}

/// Runs an executing daemon from `from` to `until` (see [`new_daemon`]).
async fn run_between(
    cfg: &Config,
    fake: &Fake,
    dir: &Path,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Daemon {
    let mut daemon = new_daemon(cfg, fake, dir, from, until, true, None);
    let (_tx, rx) = tokio::sync::mpsc::unbounded_channel();
    daemon.run(rx).await.unwrap();
    daemon
}

/// The signal the 4 March bar gives.
pub(crate) fn expected_signal() -> Signal {
    Signal::new(
        "daily_trend",
        "AAPL",
        Intent::EnterLong,
        dec!(110),
        ny(d(2024, 3, 4), 0, 0),
    )
}

#[tokio::test]
async fn scripted_day_queues_the_after_close_signal_and_buys_at_the_open_once() {
    let fake = Fake::start().await;
    mount_market(&fake).await;
    fake.quote("AAPL", dec!(109.95), dec!(110.05));
    let dir = tempfile::tempdir().unwrap();
    let cfg = trend_only();

    // Monday 15:00 to Tuesday 08:00: the 16:05 run sees the crossing; the entry queues.
    let daemon = run_between(
        &cfg,
        &fake,
        dir.path(),
        ny(d(2024, 3, 4), 15, 0),
        ny(d(2024, 3, 5), 8, 0),
    )
    .await;
    assert_eq!(
        fake.posts().await,
        0,
        "nothing is sent while the market is closed"
    );
    let st = &daemon.status().strategies["daily_trend"];
    assert_eq!((st.signals, st.queued), (1, 1), "{st:?}");
    drop(daemon);

    // Restarted at 08:00: the same bar gives the same signal, recognised as the queued one;
    // the 09:30 open sends it once.
    let daemon = run_between(
        &cfg,
        &fake,
        dir.path(),
        ny(d(2024, 3, 5), 8, 0),
        ny(d(2024, 3, 5), 10, 0),
    )
    .await;
    let orders = fake.orders();
    assert_eq!(orders.len(), 1, "{orders:#?}");
    let cid = entry_client_order_id("daily_trend", &expected_signal().id());
    assert_eq!(orders[0]["client_order_id"], json!(cid));
    assert_eq!(orders[0]["symbol"], json!("AAPL"));
    assert_eq!(orders[0]["side"], json!("buy"));
    assert_eq!(orders[0]["type"], json!("market"));
    // position_pct 0.10 of $100,000 at $110: 90 whole shares.
    assert_eq!(orders[0]["qty"], json!("90"));
    let st = &daemon.status().strategies["daily_trend"];
    // (The repeat is queued again under the same id, so the open still sends one order.)
    assert_eq!((st.signals, st.executed, st.queued), (1, 1, 0), "{st:?}");
    assert_eq!(st.positions, 1);
    let written = crate::daemon::status::Status::read(&dir.path().join("status.json")).unwrap();
    assert_eq!(written.state, "stopped");
    assert_eq!(written.strategies["daily_trend"].executed, 1);
    assert_eq!(written.accounts["equity"].open_positions, 1);
    drop(daemon);

    // Restarted mid-day: the strategy syncs with the position it holds and gives no new entry.
    let restart = run_between(
        &cfg,
        &fake,
        dir.path(),
        ny(d(2024, 3, 5), 11, 0),
        ny(d(2024, 3, 5), 11, 30),
    )
    .await;
    assert_eq!(fake.posts().await, 1, "no duplicate after the restart");
    let st = &restart.status().strategies["daily_trend"];
    assert_eq!((st.signals, st.executed), (0, 0), "{st:?}");
    drop(restart);

    // `close AAPL` sells the 90 shares with the exit's deterministic id.
    let rt = runtime(&cfg, &fake, dir.path());
    let mut out = Vec::new();
    assert_eq!(commands::close(&rt, "aapl", &mut out).await.unwrap(), 1);
    let orders = fake.orders();
    assert_eq!(orders.len(), 2);
    assert_eq!(
        orders[1]["client_order_id"],
        json!(exit_client_order_id(
            "daily_trend",
            &expected_signal().id(),
            1
        ))
    );
    assert_eq!(
        (orders[1]["side"].clone(), orders[1]["qty"].clone()),
        (json!("sell"), json!("90"))
    );
    let pos = rt.venues["equity"].store.positions(false).await.unwrap();
    assert_eq!(pos[0].status, PositionStatus::Closed);
    assert!(
        commands::close(&rt, "AAPL", &mut out).await.is_err(),
        "nothing left to close"
    );
}

#[tokio::test]
async fn the_event_filter_keeps_the_queued_entry_out_ahead_of_a_reverse_split() {
    let fake = Fake::start().await;
    mount_market(&fake).await;
    fake.quote("AAPL", dec!(109.95), dec!(110.05));
    // Asked at Tuesday's open, for the broker's date (the fake's clock always says Monday
    // 2024-03-04) plus the 3-day window and the month of process-date lag: a 1-for-10 reverse
    // split on Wednesday.
    Mock::given(method("GET"))
        .and(path("/v1/corporate-actions"))
        .respond_with(|req: &Request| {
            assert_eq!(query(req, "symbols").as_deref(), Some("AAPL"));
            assert_eq!(query(req, "start").as_deref(), Some("2024-03-04"));
            assert_eq!(query(req, "end").as_deref(), Some("2024-04-07"));
            ResponseTemplate::new(200).set_body_json(json!({
                "corporate_actions": {"reverse_splits": [{
                    "id": "rs-aapl", "symbol": "AAPL", "old_rate": 10, "new_rate": 1,
                    "process_date": "2024-03-06", "ex_date": "2024-03-06"
                }]},
                "next_page_token": null
            }))
        })
        .expect(1)
        .mount(&fake.server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = trend_only();
    cfg.event_filter.enabled = true;

    // The 16:05 run queues the entry (no lookup while the market is closed); Tuesday's open
    // runs it through the filter, which skips it.
    let daemon = run_between(
        &cfg,
        &fake,
        dir.path(),
        ny(d(2024, 3, 4), 15, 0),
        ny(d(2024, 3, 5), 10, 0),
    )
    .await;
    assert_eq!(fake.posts().await, 0, "no order ahead of the split");
    let st = &daemon.status().strategies["daily_trend"];
    assert_eq!((st.signals, st.executed, st.skipped), (1, 0, 1), "{st:?}");
    drop(daemon);
    let rt = runtime(&cfg, &fake, dir.path());
    let records = rt.venues["equity"].store.signals().await.unwrap();
    let decision = records[0].decision.as_ref().unwrap();
    match &decision.skip {
        Some(SkipReason::EventAhead {
            event: EventBlock::CorporateAction { id, date, .. },
        }) => assert_eq!((id.as_str(), *date), ("rs-aapl", d(2024, 3, 6))),
        other => panic!("{other:?}"),
    }
    assert!(
        decision.detail.contains("reverse split"),
        "{}",
        decision.detail
    );
}

#[tokio::test]
async fn execution_off_records_pending_signals_that_execute_places_once_confirmed() {
    let fake = Fake::start().await;
    mount_market(&fake).await;
    fake.quote("AAPL", dec!(109.95), dec!(110.05));
    let dir = tempfile::tempdir().unwrap();
    let cfg = trend_only();
    let mut daemon = new_daemon(
        &cfg,
        &fake,
        dir.path(),
        ny(d(2024, 3, 4), 15, 0),
        ny(d(2024, 3, 5), 10, 0),
        false,
        None,
    );
    let (_tx, rx) = tokio::sync::mpsc::unbounded_channel();
    daemon.run(rx).await.unwrap();
    assert_eq!(fake.posts().await, 0, "execution off: nothing placed");
    assert_eq!(daemon.status().strategies["daily_trend"].pending, 1);
    drop(daemon);

    let rt = runtime(&cfg, &fake, dir.path());
    let pending = commands::pending(&rt).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].1.signal.id(), expected_signal().id());
    let mut out = Vec::new();
    let placed = commands::execute(&rt, &mut |_| false, &mut out)
        .await
        .unwrap();
    assert_eq!((placed, fake.posts().await), (0, 0), "declined");
    let placed = commands::execute(&rt, &mut |_| true, &mut out)
        .await
        .unwrap();
    assert_eq!((placed, fake.posts().await), (1, 1));
    assert!(commands::pending(&rt).await.unwrap().is_empty());
    let placed = commands::execute(&rt, &mut |_| true, &mut out)
        .await
        .unwrap();
    assert_eq!(
        (placed, fake.posts().await),
        (0, 1),
        "nothing pending twice"
    );
}

#[tokio::test]
async fn monitor_reports_without_execute_and_places_the_stop_exit_with_it() {
    let fake = Fake::start().await;
    fake.quote("AMD", dec!(99.95), dec!(100.05));
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::load(None, &|_| None).unwrap();
    let rt = runtime(&cfg, &fake, dir.path());
    let entry = Signal::new(
        "bear_trap",
        "AMD",
        Intent::EnterLong,
        dec!(100),
        Utc.with_ymd_and_hms(2024, 3, 4, 15, 0, 0).unwrap(),
    )
    .stop(dec!(97))
    .target(dec!(108));
    let v = &rt.venues["equity"];
    v.executor.execute(std::slice::from_ref(&entry)).await;
    // bear_trap's position_pct 0.05 of $100,000 at $100: 50 shares.
    assert_eq!(fake.orders()[0]["qty"], json!("50"));

    fake.quote("AMD", dec!(96.45), dec!(96.55)); // through the 97 stop
    let mut out = Vec::new();
    let saved = commands::SavedMonitorStats::load(dir.path());
    let exits = commands::monitor_once(&rt, false, &saved, &mut out)
        .await
        .unwrap();
    assert_eq!(exits.len(), 1);
    assert!(String::from_utf8_lossy(&out).contains("would exit"));
    assert_eq!(fake.posts().await, 1, "a report places nothing");

    let exits = commands::monitor_once(&rt, true, &saved, &mut out)
        .await
        .unwrap();
    assert_eq!(exits.len(), 1, "{}", String::from_utf8_lossy(&out));
    let orders = fake.orders();
    assert_eq!(orders.len(), 2);
    assert_eq!(
        (orders[1]["side"].clone(), orders[1]["qty"].clone()),
        (json!("sell"), json!("50"))
    );
    assert_eq!(
        orders[1]["client_order_id"],
        json!(exit_client_order_id("bear_trap", &entry.id(), 1))
    );
    // A second pass of the same run finds nothing; the saved counters are the run's totals,
    // not the totals added again at every pass.
    let exits = commands::monitor_once(&rt, true, &saved, &mut out)
        .await
        .unwrap();
    assert!(exits.is_empty());
    let mut stats = Vec::new();
    commands::monitor_stats(&dir.path().join("status.json"), dir.path(), &mut stats).unwrap();
    let stats = String::from_utf8_lossy(&stats);
    assert!(stats.contains("monitor equity: 2 checks"), "{stats}");
    assert!(stats.contains("stop 1"), "{stats}");
    // close-all finds nothing left open.
    assert_eq!(commands::close_all(&rt, &mut out).await.unwrap(), 0);
    let mut listing = Vec::new();
    commands::positions(&rt, &mut listing).await.unwrap();
    assert!(String::from_utf8_lossy(&listing).contains("account equity (paper)"));

    // A later run (once this one has ended: a store has one opener at a time) adds its
    // counters to the earlier run's.
    drop(rt);
    let rt2 = runtime(&cfg, &fake, dir.path());
    let later = commands::SavedMonitorStats::load(dir.path());
    commands::monitor_once(&rt2, true, &later, &mut out)
        .await
        .unwrap();
    let mut stats = Vec::new();
    commands::monitor_stats(&dir.path().join("status.json"), dir.path(), &mut stats).unwrap();
    let stats = String::from_utf8_lossy(&stats);
    assert!(stats.contains("monitor equity: 3 checks"), "{stats}");
}

#[tokio::test]
async fn a_bad_reload_keeps_the_running_configuration() {
    let fake = Fake::start().await;
    mount_market(&fake).await;
    fake.quote("AAPL", dec!(109.95), dec!(110.05));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("daemon.toml");
    let text = crate::config::DEFAULT_CONFIG.to_owned();
    std::fs::write(&file, &text).unwrap();
    let cfg = trend_only();
    let mut daemon = new_daemon(
        &cfg,
        &fake,
        dir.path(),
        ny(d(2024, 3, 4), 15, 0),
        ny(d(2024, 3, 5), 10, 0),
        true,
        Some(&file),
    );
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    // A broken file, then SIGHUP: refused, named, and the daemon trades on.
    std::fs::write(&file, text.replace("fast = 10", "fast = 0")).unwrap();
    tx.send(Control::Reload).unwrap();
    daemon.run(rx).await.unwrap();
    let err = daemon.status().config_error.clone().unwrap_or_default();
    assert!(
        err.contains("strategies.daily_trend") && err.contains("fast"),
        "{err}"
    );
    assert_eq!(fake.posts().await, 1, "the old configuration still traded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_without_keys_runs_the_simulated_day_and_trades() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = Config::load(None, &|_| None).unwrap();
    cfg.paths.data_dir = dir.path().to_owned();
    cfg.backtest.days = 120;
    // Keep the test quick: the daily trend and the bear trap on three symbols.
    cfg.strategies
        .retain(|n, _| n == "daily_trend" || n == "bear_trap");
    for s in cfg.strategies.values_mut() {
        match s {
            StrategyConfig::TrendHysteresis(t) => {
                t.symbols = vec!["SPY".into(), "QQQ".into(), "TSLA".into()]
            }
            StrategyConfig::BearTrap(b) => {
                b.symbols = vec!["SPY".into(), "QQQ".into(), "TSLA".into()]
            }
            _ => {}
        }
    }
    let opened = Runtime::open(&cfg, &|_| None).unwrap();
    let crate::daemon::runtime::Opened::NoKeys(missing) = opened else {
        panic!("keys found")
    };
    assert_eq!(
        missing.to_string(),
        "no API keys: APCA_API_KEY_ID and APCA_API_SECRET_KEY are not set (read by accounts.equity)"
    );
    assert!(
        !dir.path().join("sim").exists(),
        "finding no keys creates nothing"
    );
    let sim_dir = dir.path().join("sim");
    let (rt, clock, until) = Runtime::simulated(&cfg, &sim_dir).unwrap();
    let opts = Options {
        execute: true,
        config_path: None,
        until: Some(until),
        status_path: sim_dir.join("status.json"),
        leader: None,
    };
    let (_tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut daemon = Daemon::new(cfg.clone(), Box::new(|_| None), opts, rt, clock);
    daemon.run(rx).await.unwrap();
    let status = crate::daemon::status::Status::read(&sim_dir.join("status.json")).unwrap();
    assert_eq!(status.state, "stopped");
    assert_eq!(status.accounts["equity"].kind, "simulated");
    let executed: u64 = status.strategies.values().map(|s| s.executed).sum();
    assert!(executed >= 1, "{status:#?}");
    assert!(
        status.strategies.values().all(|s| s.errors == 0),
        "{status:#?}"
    );
    let fills = daemon.runtime().venues["equity"]
        .sim
        .as_ref()
        .unwrap()
        .fills();
    assert!(!fills.is_empty(), "the simulator filled the orders");
    assert!(dir.path().join("sim/equity.sqlite").exists());
    // `monitor-stats` finds the simulated run's counters (it used to say no monitor had run).
    let mut out = Vec::new();
    commands::monitor_stats(
        &crate::performance::state_dir(&cfg).join("status.json"),
        dir.path(),
        &mut out,
    )
    .unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(out.starts_with("simulated daemon equity: "), "{out}");
    assert!(!out.contains("equity: 0 checks"), "the monitor ran: {out}");
}

/// The default config file with only the daily trend strategy on AAPL, and `edit` applied.
fn trend_only_file(edit: impl Fn(String) -> String) -> String {
    let mut text = crate::config::DEFAULT_CONFIG.replace(
        "symbols = [\"SPY\", \"QQQ\", \"AAPL\", \"MSFT\", \"META\", \"TSLA\", \"AMZN\", \"GLD\"]",
        "symbols = [\"AAPL\"]",
    );
    for other in ["hourly_swing", "bear_trap", "strat_options"] {
        let header = format!("[strategies.{other}]\n");
        text = text.replace(&header, &format!("{header}enabled = false\n"));
    }
    edit(text)
}

/// The fake with the market mounted and AAPL quoted, and a config file holding
/// [`trend_only_file`] in a fresh directory.
async fn trend_market_with_file() -> (Fake, tempfile::TempDir, std::path::PathBuf) {
    let fake = Fake::start().await;
    mount_market(&fake).await;
    fake.quote("AAPL", dec!(109.95), dec!(110.05));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("daemon.toml");
    std::fs::write(&file, trend_only_file(|t| t)).unwrap();
    (fake, dir, file)
}

fn daemon_with_file(fake: &Fake, dir: &Path, file: &Path, until: DateTime<Utc>) -> Daemon {
    let cfg = Config::parse(&trend_only_file(|t| t), "test").unwrap();
    assert_eq!(
        cfg.strategies["daily_trend"],
        trend_only().strategies["daily_trend"]
    );
    new_daemon(
        &cfg,
        fake,
        dir,
        ny(d(2024, 3, 4), 15, 0),
        until,
        true,
        Some(file),
    )
}

#[tokio::test]
async fn a_changed_config_file_is_reloaded_and_its_new_parameters_trade() {
    let (fake, dir, file) = trend_market_with_file().await;
    let mut daemon = daemon_with_file(&fake, dir.path(), &file, ny(d(2024, 3, 5), 10, 0));
    // A wider band, written after start: the 1.2% move no longer crosses it.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(
        &file,
        trend_only_file(|t| t.replace("upper_band = 0.01", "upper_band = 0.05")),
    )
    .unwrap();
    let (_tx, rx) = tokio::sync::mpsc::unbounded_channel();
    daemon.run(rx).await.unwrap();
    assert!(daemon.status().config_error.is_none());
    assert_eq!(daemon.status().strategies["daily_trend"].signals, 0);
    assert_eq!(
        fake.posts().await,
        0,
        "the reloaded band held the entry back"
    );
}

#[tokio::test]
async fn shutdown_stops_after_the_current_step_and_writes_the_final_status() {
    let (fake, dir, file) = trend_market_with_file().await;
    let mut daemon = daemon_with_file(&fake, dir.path(), &file, ny(d(2024, 3, 6), 10, 0));
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tx.send(Control::Shutdown).unwrap();
    daemon.run(rx).await.unwrap();
    let status = crate::daemon::status::Status::read(&dir.path().join("status.json")).unwrap();
    assert_eq!(status.state, "stopped");
    assert!(
        status.strategies["daily_trend"].runs >= 1,
        "the start-up step ran"
    );
    assert_eq!(
        fake.posts().await,
        0,
        "stopped before the 16:05 run and the open"
    );
}

#[tokio::test]
async fn a_reload_may_not_move_an_account_to_other_urls() {
    let (fake, dir, file) = trend_market_with_file().await;
    let cfg = Config::parse(&trend_only_file(|t| t), "test").unwrap();
    let mut rt = runtime(&cfg, &fake, dir.path());
    rt.venues.get_mut("equity").unwrap().endpoints =
        Some(crate::endpoints::Endpoints::of(&cfg, "equity"));
    let opts = Options {
        execute: true,
        config_path: Some(file.clone()),
        until: Some(ny(d(2024, 3, 4), 15, 30)),
        status_path: dir.path().join("status.json"),
        leader: None,
    };
    let start = ny(d(2024, 3, 4), 15, 0);
    let mut daemon = Daemon::new(cfg, Box::new(|_| None), opts, rt, clock(&fake, start));
    std::fs::write(
        &file,
        trend_only_file(|t| {
            t.replace(
                "[accounts.equity]\n",
                "[accounts.equity]\ntrading_base_url = \"http://127.0.0.1:1\"\n",
            )
        }),
    )
    .unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tx.send(Control::Reload).unwrap();
    daemon.run(rx).await.unwrap();
    let err = daemon.status().config_error.clone().unwrap_or_default();
    assert_eq!(
        err,
        "accounts.equity: the base URLs changed; restart the daemon to use them"
    );
    // `status` shows where the account's requests go.
    let mut out = Vec::new();
    commands::status(&dir.path().join("status.json"), &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("account equity: trading https://paper-api.alpaca.markets (default), data https://data.alpaca.markets (default)"),
        "{out}"
    );
}
