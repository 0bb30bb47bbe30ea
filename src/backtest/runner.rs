//! The backtest driver: replays bars through the real [`Executor`] with [`SimBroker`], so every
//! guard, sizing rule and exit rule behaves as it does live.
//!
//! For each bar, in time order (ties by symbol):
//! 1. on a new New York date: close the previous session ([`SimBroker::end_of_day`], after the
//!    strategies saw any daily bar; options expiring that day settle, and the engine closes
//!    their positions with [`Executor::close_ended_positions`]), then open the new one and send
//!    the signals queued overnight ([`Executor::execute_queued`]);
//! 2. [`SimBroker::on_bar`] fills the orders the bar triggers; the executor polls them;
//! 3. the clock moves to the bar's close (the session's 16:00 for a daily bar);
//! 4. the position monitor, if configured, evaluates exit rules on the open positions (also at
//!    each session's open, since daily bars arrive after the close);
//! 5. each strategy watching the symbol gets the bar (resampled to its timeframe when coarser
//!    than the data) and its signals go to [`Executor::execute`].
//!
//! Signals made while the market is closed (daily bars close at 16:00) are held and sent at the
//! next open, as the daemon does live, so a daily strategy's market order fills at the next
//! session's open. The run
//! is deterministic: the same bars and strategies give the same trades, byte for byte.

use super::bars::{absorb, bucket_start, merge_order};
use super::benchmark::buy_and_hold;
use super::metrics::{ClosedTrade, EquityPoint, Metrics, compute_from};
use super::report::{self, ReportInfo};
use super::session::{Hours, SessionCalendar};
use super::sim::{SimBroker, SimConfig, SimFill};
use super::summary::{OpenPosition, SignalFunnel, open_positions, signal_funnels};
use crate::broker::Broker;
use crate::data::{Bar, TimeFrame, TimeFrameUnit};
use crate::exec::{ExecError, Executor, ExecutorConfig, PositionMonitor};
use crate::risk::ExitPolicy;
use crate::store::{ExecutionStore, MemoryStore, Outcome};
use crate::strategy::{Strategy, StrategyContext};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How a backtest runs.
#[derive(Debug, Clone)]
pub struct BacktestConfig {
    /// The simulated broker.
    pub sim: SimConfig,
    /// The executor's rules.
    pub executor: ExecutorConfig,
    /// Exit rules evaluated on every bar of a held symbol; `None` leaves exits to the strategies.
    pub exit_policy: Option<ExitPolicy>,
    /// Exit rules for one strategy's positions instead of `exit_policy`, as
    /// `PositionMonitor::with_strategy_policy` applies them live (empty by default). A strategy
    /// listed here is monitored even when `exit_policy` is `None`.
    pub exit_policies: BTreeMap<String, ExitPolicy>,
}

impl Default for BacktestConfig {
    fn default() -> Self {
        Self {
            sim: SimConfig::default(),
            executor: ExecutorConfig::new(),
            exit_policy: None,
            exit_policies: BTreeMap::new(),
        }
    }
}

/// Progress callback: `(bars done, bars total)`.
pub type Progress = Box<dyn FnMut(u64, u64) + Send>;

/// A backtest: strategies, bars and settings. See the module docs for the replay order.
pub struct Backtest {
    config: BacktestConfig,
    strategies: Vec<Box<dyn Strategy>>,
    series: Vec<(Arc<str>, Vec<Bar>)>,
    store: Option<Arc<dyn ExecutionStore>>,
    progress: Option<Progress>,
}

impl std::fmt::Debug for Backtest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backtest")
            .field("strategies", &self.strategies.len())
            .field("symbols", &self.series.len())
            .finish_non_exhaustive()
    }
}

/// What a backtest produced.
#[derive(Debug, Clone)]
pub struct BacktestResult {
    /// Equity at each session close.
    pub equity: Vec<EquityPoint>,
    /// Round trips, in exit order.
    pub trades: Vec<ClosedTrade>,
    /// Every simulated fill.
    pub fills: Vec<SimFill>,
    /// Statistics from the starting cash (the first session counts); `None` without any session.
    pub metrics: Option<Metrics>,
    /// Bars replayed.
    pub bars: u64,
    /// Signals produced, and how many were executed.
    pub signals: usize,
    /// Signals executed.
    pub executed: usize,
    /// What the run could not do as asked, in words (also logged as warnings): a strategy
    /// that received no bar at all (its watchlist names symbols no series has, or its timeframe
    /// is finer than the data), a series no strategy watches.
    pub warnings: Vec<String>,
    /// Per strategy (every strategy of the run, with or without signals): its signals and
    /// what became of them.
    pub funnels: BTreeMap<String, SignalFunnel>,
    /// Positions still open when the data ended, at their last marks.
    pub open_positions: Vec<OpenPosition>,
    /// Buy and hold of the replayed symbols at each session close (see
    /// [`buy_and_hold`]).
    pub benchmark: Vec<EquityPoint>,
    /// The symbols replayed.
    pub symbols: Vec<String>,
    /// The simulator's settings: the report states them as its assumptions.
    pub sim: SimConfig,
}

/// Files written by [`BacktestResult::write_report`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFiles {
    /// Markdown report.
    pub markdown: PathBuf,
    /// HTML report with the chart inline.
    pub html: PathBuf,
    /// Equity and drawdown chart.
    pub svg: PathBuf,
    /// Trade list.
    pub trades_csv: PathBuf,
}

impl BacktestResult {
    /// Writes `report.md`, `report.html`, `equity.svg` and `trades.csv` into `dir`, titled
    /// `title` (see [`write_report_with`](Self::write_report_with) to state the data's origin
    /// and further assumptions).
    pub fn write_report(&self, dir: &Path, title: &str) -> std::io::Result<ReportFiles> {
        self.write_report_with(dir, &ReportInfo::new(title))
    }

    /// Writes the report files into `dir`, with what `info` says about the data and the rules.
    pub fn write_report_with(&self, dir: &Path, info: &ReportInfo) -> std::io::Result<ReportFiles> {
        std::fs::create_dir_all(dir)?;
        let files = ReportFiles {
            markdown: dir.join("report.md"),
            html: dir.join("report.html"),
            svg: dir.join("equity.svg"),
            trades_csv: dir.join("trades.csv"),
        };
        let svg = report::equity_svg(
            &self.equity,
            &self.benchmark,
            &self.trades,
            &self.open_positions,
        );
        std::fs::write(&files.svg, &svg)?;
        std::fs::write(&files.trades_csv, report::trades_csv(&self.trades))?;
        std::fs::write(&files.markdown, report::markdown(info, self, "equity.svg"))?;
        std::fs::write(&files.html, report::html(info, self, &svg))?;
        Ok(files)
    }
}

/// Per (strategy, symbol): either passes bars through or builds coarser ones.
#[derive(Debug)]
struct Feed {
    timeframe: TimeFrame,
    pending: Option<(DateTime<Utc>, Bar)>,
}

impl Feed {
    /// Adds an input bar; returns a completed bar of the strategy's timeframe, if one closed
    /// (the input itself when it already is one).
    fn push<'b>(&mut self, bar: &'b Bar, input_is_session: bool) -> Option<Cow<'b, Bar>> {
        let tf = self.timeframe;
        if self.pending.is_none() && tf == TimeFrame::DAY && input_is_session {
            return Some(Cow::Borrowed(bar));
        }
        let passthrough = match tf.unit() {
            TimeFrameUnit::Day => input_is_session,
            _ => false,
        };
        if passthrough {
            return Some(Cow::Borrowed(bar));
        }
        let bucket = bucket_start(bar.timestamp, tf);
        match &mut self.pending {
            Some((b, acc)) if *b == bucket => {
                absorb(acc, bar);
                None
            }
            _ => {
                let done = self.pending.take().map(|(_, b)| Cow::Owned(b));
                let mut first = *bar;
                first.timestamp = bucket;
                self.pending = Some((bucket, first));
                done
            }
        }
    }

    /// Hands out the bar being built at the end of a session, for intraday and daily timeframes.
    fn flush_session(&mut self) -> Option<Bar> {
        match self.timeframe.unit() {
            TimeFrameUnit::Week | TimeFrameUnit::Month => None,
            _ => self.pending.take().map(|(_, b)| b),
        }
    }
}

struct Runner {
    sim: Arc<SimBroker>,
    exec: Arc<Executor>,
    monitor: Option<PositionMonitor>,
    strategies: Vec<Box<dyn Strategy>>,
    /// One feed per (strategy, watched symbol), in that order (the order sessions flush in).
    feeds: Vec<((usize, Arc<str>), Feed)>,
    /// For each replayed symbol, the feeds its bars go to, in strategy order.
    routes: Vec<Vec<usize>>,
    /// The context strategies see; rebuilt only after something changed the account.
    ctx: Option<StrategyContext>,
    /// The current trading day's regular session, looked up once per day.
    today: Option<Hours>,
    /// The simulated time, as last set through [`Runner::set_now`]: only the runner moves the
    /// simulator's clock (its `end_of_day` moves it to the session close the runner has already
    /// set), so reading it here saves a lock per read and per repeated setting.
    now: DateTime<Utc>,
    /// Signals made while the market was closed, sent at the next open (the executor's own
    /// queue would do the same, but scanning the store for them every session costs a replay
    /// more than everything else together).
    pending: Vec<crate::strategy::Signal>,
    signals: usize,
    executed: usize,
    /// Bars delivered to each strategy (to warn about strategies that saw none).
    delivered: Vec<u64>,
}

impl Runner {
    fn set_now(&mut self, t: DateTime<Utc>) {
        if t != self.now {
            self.sim.set_now(t);
            self.now = t;
        }
    }

    /// Makes sure `self.ctx` is current (rebuilt after fills, cheap time update otherwise).
    async fn refresh_context(&mut self) -> Result<(), ExecError> {
        let now = self.now;
        let open = self.today.is_some_and(|(o, c)| o <= now && now < c);
        match &mut self.ctx {
            Some(c) => {
                c.now = now;
                c.market_open = open;
            }
            None => {
                self.ctx = Some(StrategyContext {
                    now,
                    market_open: open,
                    account: self.sim.account().await?,
                    positions: self.sim.positions().await?,
                    state: serde_json::Value::Null,
                });
            }
        }
        Ok(())
    }

    async fn deliver(&mut self, idx: usize, symbol: &str, bar: &Bar) -> Result<(), ExecError> {
        self.delivered[idx] += 1;
        self.refresh_context().await?;
        let ctx = self.ctx.as_ref().expect("refreshed above");
        let signals = self.strategies[idx].on_bar(ctx, symbol, bar).await;
        if !signals.is_empty() {
            self.signals += signals.len();
            if ctx.market_open {
                self.send(&signals).await;
            } else {
                self.pending.extend(signals);
            }
        }
        Ok(())
    }

    async fn monitor_check(&mut self) -> Result<(), ExecError> {
        if let Some(m) = &self.monitor
            && self.sim.has_positions()
        {
            let report = m.check_once().await?;
            if !report.exits.is_empty() {
                self.ctx = None;
            }
        }
        Ok(())
    }

    async fn send(&mut self, signals: &[crate::strategy::Signal]) {
        let decisions = self.exec.execute(signals).await;
        self.executed += decisions
            .iter()
            .filter(|d| d.outcome == Outcome::Executed)
            .count();
        self.ctx = None;
    }

    async fn end_session(&mut self, date: NaiveDate) -> Result<(), ExecError> {
        let close = self.today.map(|(_, c)| c);
        if let Some(c) = close {
            self.set_now(c);
        }
        let flushed: Vec<((usize, Arc<str>), Bar)> = self
            .feeds
            .iter_mut()
            .filter_map(|(k, f)| f.flush_session().map(|b| (k.clone(), b)))
            .collect();
        for ((idx, symbol), bar) in flushed {
            self.deliver(idx, &symbol, &bar).await?;
        }
        let end = self.sim.end_of_day(date);
        debug_assert_eq!(self.now, self.sim.now(), "end_of_day moved the clock");
        if end.orders_expired > 0 {
            // Day orders that did not fill end with the session: an entry that never filled
            // frees its symbol, an exit hands its position back to the monitor.
            self.exec.poll_orders().await?;
        }
        if end.options_settled > 0 {
            // Options expired, were exercised or assigned: the engine closes their positions
            // from the activities, as a live monitor pass would.
            self.exec.close_ended_positions().await?;
        }
        if end.options_settled > 0 || end.orders_expired > 0 {
            self.ctx = None;
        } else if let Some(c) = &mut self.ctx {
            c.account.last_equity = Some(c.account.equity);
        }
        Ok(())
    }

    /// Opens the day whose regular session (if it is a trading day) is `session`.
    async fn start_session(&mut self, session: Option<Hours>) -> Result<(), ExecError> {
        self.today = session;
        if let Some((open, _)) = self.today {
            self.set_now(open);
            if !self.pending.is_empty() {
                let signals = std::mem::take(&mut self.pending);
                self.send(&signals).await;
            }
            // Daily bars are seen after the close, when the monitor stands aside; give it the
            // open too, so exit rules act in every session whatever the bar size.
            self.monitor_check().await?;
        }
        Ok(())
    }

    /// Replays `bar` of `symbol` (route `route`).
    async fn bar(
        &mut self,
        route: usize,
        symbol: &str,
        bar: &Bar,
        session: bool,
        spacing: Duration,
    ) -> Result<(), ExecError> {
        if self.sim.on_bar(symbol, bar) > 0 {
            self.exec.poll_orders().await?;
            self.ctx = None;
        }
        let close = if session {
            self.today.map_or(bar.timestamp, |(_, c)| c)
        } else {
            bar.timestamp + spacing
        };
        self.set_now(close);
        self.monitor_check().await?;
        for k in 0..self.routes[route].len() {
            let f = self.routes[route][k];
            let ((idx, _), feed) = &mut self.feeds[f];
            let idx = *idx;
            if let Some(b) = feed.push(bar, session) {
                self.deliver(idx, symbol, &b).await?;
            }
        }
        Ok(())
    }
}

impl Backtest {
    /// A backtest with these settings.
    pub fn new(config: BacktestConfig) -> Self {
        Self {
            config,
            strategies: Vec::new(),
            series: Vec::new(),
            store: None,
            progress: None,
        }
    }

    /// Adds a strategy.
    pub fn strategy(mut self, s: Box<dyn Strategy>) -> Self {
        self.strategies.push(s);
        self
    }

    /// Adds a symbol's bars (oldest first; any timeframe, the same for every symbol). Symbols
    /// are compared trimmed and upper-cased, here and in strategies' watchlists, so `nvda` data
    /// reaches a strategy watching `NVDA` (and the strategy is told `NVDA`).
    pub fn bars(mut self, symbol: &str, bars: Vec<Bar>) -> Self {
        self.series
            .push((Arc::from(normalize_symbol(symbol).as_str()), bars));
        self
    }

    /// Uses this store instead of a fresh [`MemoryStore`] (e.g. a `SqliteStore` to inspect later).
    pub fn store(mut self, store: Arc<dyn ExecutionStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Reports progress every 4,096 bars and at the end.
    pub fn on_progress(mut self, f: Progress) -> Self {
        self.progress = Some(f);
        self
    }

    /// Runs the replay. See the module docs.
    pub async fn run(self) -> Result<BacktestResult, ExecError> {
        let order = merge_order(&self.series);
        let series = &self.series;
        let calendar =
            SessionCalendar::from_times(order.iter().map(|&(s, i)| series[s].1[i].timestamp));
        let sim_config = self.config.sim.clone();
        let sim = Arc::new(SimBroker::new(self.config.sim.clone(), calendar));
        let store = self
            .store
            .unwrap_or_else(|| Arc::new(MemoryStore::new()) as Arc<dyn ExecutionStore>);
        let exec_config = self.config.executor.clone();
        let exec = Arc::new(Executor::new(
            sim.clone() as Arc<dyn Broker>,
            store.clone(),
            exec_config,
        ));
        let monitor = if self.config.exit_policy.is_none() && self.config.exit_policies.is_empty() {
            None
        } else {
            // Without a default policy, positions of unlisted strategies have no exit rules.
            let off = ExitPolicy {
                dte_exit: None,
                use_stop: false,
                max_loss: None,
                use_target: false,
                max_profit: None,
                time_exit: None,
                trailing: None,
            };
            let mut m = PositionMonitor::new(exec.clone(), self.config.exit_policy.unwrap_or(off));
            for (name, p) in &self.config.exit_policies {
                m = m.with_strategy_policy(name, *p);
            }
            Some(m)
        };
        let watch: Vec<Vec<Arc<str>>> = self
            .strategies
            .iter()
            .map(|s| {
                s.watchlist()
                    .iter()
                    .map(|w| Arc::from(normalize_symbol(w).as_str()))
                    .collect()
            })
            .collect();
        let mut warnings = coverage_warnings(&self.strategies, &watch, series);
        let mut feeds = BTreeMap::new();
        for (i, s) in self.strategies.iter().enumerate() {
            let tf = s.timeframe();
            for sym in &watch[i] {
                feeds.insert(
                    (i, sym.clone()),
                    Feed {
                        timeframe: tf,
                        pending: None,
                    },
                );
            }
        }
        let feeds: Vec<((usize, Arc<str>), Feed)> = feeds.into_iter().collect();
        // Each series replays under its symbol's route: the feeds of the strategies watching it.
        let mut route_of: HashMap<&str, usize> = HashMap::new();
        let mut routes: Vec<Vec<usize>> = Vec::new();
        let series_route: Vec<usize> = series
            .iter()
            .map(|(sym, _)| {
                *route_of.entry(&**sym).or_insert_with(|| {
                    routes.push(
                        (0..watch.len())
                            .filter(|&i| watch[i].iter().any(|w| **w == **sym))
                            .filter_map(|i| {
                                feeds
                                    .binary_search_by(|((j, s), _)| {
                                        j.cmp(&i).then_with(|| (**s).cmp(&**sym))
                                    })
                                    .ok()
                            })
                            .collect(),
                    );
                    routes.len() - 1
                })
            })
            .collect();
        // Intraday bars close one spacing after they open: the smallest gap between two bars of
        // one symbol.
        let spacing = order
            .windows(2)
            .filter(|w| series[w[0].0].0 == series[w[1].0].0)
            .map(|w| series[w[1].0].1[w[1].1].timestamp - series[w[0].0].1[w[0].1].timestamp)
            .filter(|d| *d > Duration::zero())
            .min()
            .unwrap_or_else(|| Duration::minutes(1))
            .min(Duration::days(1));
        let mut r = Runner {
            sim: sim.clone(),
            exec,
            monitor,
            strategies: self.strategies,
            feeds,
            routes,
            ctx: None,
            today: None,
            now: sim.now(),
            pending: Vec::new(),
            signals: 0,
            executed: 0,
            delivered: Vec::new(),
        };
        r.delivered = vec![0; r.strategies.len()];
        let clock_sim = sim.clone();
        let clock: crate::exec::Clock = Arc::new(move || clock_sim.now());
        let replay = r.replay(series, &series_route, &order, spacing, self.progress);
        crate::exec::with_clock(clock, replay).await?;
        for (i, &n) in r.delivered.iter().enumerate() {
            let has_data = watch[i].iter().any(|w| series.iter().any(|(s, _)| s == w));
            // A strategy with no data at all was already named above.
            if n == 0 && has_data {
                warnings.push(format!(
                    "strategy {} received no bars: its timeframe ({}) is finer than the data, \
                     or no bar of it completed",
                    r.strategies[i].name(),
                    r.strategies[i].timeframe()
                ));
            }
        }
        for w in &warnings {
            tracing::warn!("backtest: {w}");
        }
        let names: Vec<String> = r.strategies.iter().map(|s| s.name().to_owned()).collect();
        let funnels = signal_funnels(store.as_ref(), &names, &r.pending).await?;
        let open_positions = open_positions(store.as_ref(), &sim.positions().await?).await?;
        let (equity, fills) = sim.take_results();
        let trades = closed_trades(store.as_ref()).await?;
        let metrics = compute_from(sim_config.starting_cash, &equity, &trades);
        let dates: Vec<NaiveDate> = equity.iter().map(|p| p.date).collect();
        let benchmark = buy_and_hold(series, &dates, sim_config.starting_cash);
        let mut symbols: Vec<String> = series.iter().map(|(s, _)| s.to_string()).collect();
        symbols.sort();
        symbols.dedup();
        Ok(BacktestResult {
            equity,
            trades,
            fills,
            metrics,
            bars: order.len() as u64,
            signals: r.signals,
            executed: r.executed,
            warnings,
            funnels,
            open_positions,
            benchmark,
            symbols,
            sim: sim_config,
        })
    }
}

impl Runner {
    /// Replays the bars of `series` in `order` (positions as from [`merge_order`]); `routes`
    /// gives each series' route.
    async fn replay(
        &mut self,
        series: &[(Arc<str>, Vec<Bar>)],
        routes: &[usize],
        order: &[(usize, usize)],
        spacing: Duration,
        mut progress: Option<Progress>,
    ) -> Result<(), ExecError> {
        let r = self;
        let total = order.len() as u64;
        let mut current: Option<NaiveDate> = None;
        let sessions = r.sim.clone();
        let calendar = sessions.sessions();
        // The New York day of the previous bar, as [midnight, next midnight), with its regular
        // session if it is a trading day: bars in time order mostly fall in the same day, which
        // then needs no calendar lookup at all.
        type Day = (NaiveDate, DateTime<Utc>, DateTime<Utc>, Option<Hours>);
        let mut day: Option<Day> = None;
        for (n, &(s, i)) in order.iter().enumerate() {
            let bar = &series[s].1[i];
            let t = bar.timestamp;
            let (date, midnight, regular) = match day {
                Some((d, m, next, regular)) if m <= t && t < next => (d, m, regular),
                _ => {
                    let (d, m, regular) = calendar.day_of(t);
                    // Clocks change on Sundays at 02:00: any other day is 24 hours long.
                    let next = if d.weekday() == chrono::Weekday::Sun {
                        calendar.midnight(d + chrono::Days::new(1))
                    } else {
                        m + Duration::hours(24)
                    };
                    day = Some((d, m, next, regular));
                    (d, m, regular)
                }
            };
            let session = t == midnight && regular.is_some();
            if current != Some(date) {
                if let Some(prev) = current {
                    r.end_session(prev).await?;
                }
                r.start_session(regular).await?;
                current = Some(date);
            }
            r.bar(routes[s], &series[s].0, bar, session, spacing)
                .await?;
            if let Some(p) = progress.as_mut()
                && n % 4096 == 4095
            {
                p(n as u64 + 1, total);
            }
        }
        if let Some(last) = current {
            r.end_session(last).await?;
        }
        if let Some(p) = progress.as_mut() {
            p(total, total);
        }
        Ok(())
    }
}

/// A symbol as the backtest compares it: trimmed and upper-cased.
fn normalize_symbol(s: &str) -> String {
    s.trim().to_ascii_uppercase()
}

/// Watchlist symbols no series has, and series no strategy watches.
fn coverage_warnings(
    strategies: &[Box<dyn Strategy>],
    watch: &[Vec<Arc<str>>],
    series: &[(Arc<str>, Vec<Bar>)],
) -> Vec<String> {
    let mut out = Vec::new();
    for (s, watched) in strategies.iter().zip(watch) {
        let missing: Vec<&str> = watched
            .iter()
            .filter(|w| !series.iter().any(|(sym, _)| sym == *w))
            .map(|w| &**w)
            .collect();
        if !missing.is_empty() {
            let what = if missing.len() == watched.len() {
                "received no bars"
            } else {
                "has no bars for part of its watchlist"
            };
            out.push(format!(
                "strategy {} {what}: no data for {}",
                s.name(),
                missing.join(", ")
            ));
        }
    }
    let mut unwatched: Vec<&str> = series
        .iter()
        .map(|(sym, _)| &**sym)
        .filter(|sym| !watch.iter().flatten().any(|w| &**w == *sym))
        .collect();
    unwatched.dedup();
    if !unwatched.is_empty() {
        out.push(format!(
            "no strategy watches {}: their bars only move the clock",
            unwatched.join(", ")
        ));
    }
    out
}

/// Round trips from the store's closed positions, in exit order. A position whose figures do
/// not compute (see [`crate::exec::ledger::closed_trade`]) is logged and left out.
pub async fn closed_trades(store: &dyn ExecutionStore) -> Result<Vec<ClosedTrade>, ExecError> {
    let mut out = Vec::new();
    for p in store.positions(false).await? {
        match crate::exec::ledger::closed_trade(&p) {
            Ok(Some(t)) => out.push(t),
            Ok(None) => {}
            Err(e) => tracing::warn!("backtest: round trip left out: {e}"),
        }
    }
    out.sort_by(|a, b| {
        a.exit_time
            .cmp(&b.exit_time)
            .then_with(|| a.symbol.cmp(&b.symbol))
    });
    Ok(out)
}
