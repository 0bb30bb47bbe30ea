//! Backtester tests: the real executor over the simulated broker, on series built here and on
//! the real daily prices in `tests/fixtures/` (NVDA and ORCL).

mod options;
mod sma_reference;

use alpaca_exec::backtest::runner::{Backtest, BacktestConfig};
use alpaca_exec::backtest::sim::{MarketFill, SimConfig};
use alpaca_exec::backtest::sma_cross::SmaCross;
use alpaca_exec::data::{Bar, TimeFrame};
use alpaca_exec::exec::ExecutorConfig;
use alpaca_exec::risk::{EquitySizing, EquitySizingPolicy, PortfolioLimits};
use alpaca_exec::strategy::{Intent, Signal, Strategy, StrategyContext};
use async_trait::async_trait;
use chrono::{Datelike, Days, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::America::New_York;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// Daily bars on consecutive weekdays from 2024-01-02 with the given closes; each bar opens at
/// the previous close, so a fill at "the next open" is the signal bar's close.
fn daily(closes: &[Decimal]) -> Vec<Bar> {
    let mut d = NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
    let mut out = Vec::new();
    let mut prev = closes[0];
    for &c in closes {
        while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            d = d + Days::new(1);
        }
        let t = New_York
            .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc);
        out.push(Bar::new(
            t,
            prev,
            prev.max(c) + dec!(0.5),
            prev.min(c) - dec!(0.5),
            c,
            dec!(1000),
        ));
        prev = c;
        d = d + Days::new(1);
    }
    out
}

fn all_in() -> ExecutorConfig {
    let mut c = ExecutorConfig::new();
    c.equity_sizing = EquitySizingPolicy {
        method: EquitySizing::PercentOfEquity(Decimal::ONE),
        ..EquitySizingPolicy::default()
    };
    c.limits = PortfolioLimits {
        max_total_allocation: Decimal::ONE,
        ..PortfolioLimits::default()
    };
    c
}

struct BuyAndHold {
    bought: bool,
}

#[async_trait]
impl Strategy for BuyAndHold {
    fn name(&self) -> &str {
        "hold"
    }
    fn watchlist(&self) -> Vec<String> {
        vec!["SPY".into()]
    }
    fn timeframe(&self) -> TimeFrame {
        TimeFrame::DAY
    }
    async fn on_bar(&mut self, _ctx: &StrategyContext, symbol: &str, bar: &Bar) -> Vec<Signal> {
        if std::mem::replace(&mut self.bought, true) {
            return Vec::new();
        }
        vec![Signal::new(
            "hold",
            symbol,
            Intent::EnterLong,
            bar.close,
            bar.timestamp,
        )]
    }
}

#[tokio::test]
async fn buy_and_hold_equals_close_to_close_return() {
    let closes: Vec<Decimal> = [100, 104, 101, 108, 111, 107, 115, 120, 118, 125]
        .iter()
        .map(|&c| Decimal::from(c))
        .collect();
    let config = BacktestConfig {
        sim: SimConfig {
            market_fill: MarketFill::SameClose,
            ..SimConfig::default()
        },
        executor: all_in(),
        ..BacktestConfig::default()
    };
    let r = Backtest::new(config)
        .strategy(Box::new(BuyAndHold { bought: false }))
        .bars("SPY", daily(&closes))
        .run()
        .await
        .unwrap();
    // 100,000 buys exactly 1,000 shares at the first close (100); the last close is 125.
    assert_eq!(r.fills.len(), 1);
    assert_eq!((r.fills[0].qty, r.fills[0].price), (dec!(1000), dec!(100)));
    let m = r.metrics.unwrap();
    assert!((m.total_return - 0.25).abs() < 1e-12, "{}", m.total_return);
    assert_eq!(m.end_equity, dec!(125000));
    assert_eq!(r.equity.len(), closes.len());
}

/// Closes for a clean up-then-down cycle: flat with a small dip (so the fast average starts
/// below the slow one: equal averages are no side), rising, falling, flat.
fn cycle() -> Vec<Decimal> {
    let mut v = vec![dec!(100); 30];
    v.extend(vec![dec!(99); 5]);
    v.extend((1..=20).map(|i| dec!(100) + Decimal::from(i * 2)));
    v.extend((1..=30).map(|i| dec!(140) - Decimal::from(i * 2)));
    v.extend(vec![dec!(80); 10]);
    v
}

/// The crossings worked out without the crate: naive averages over slices; a bar on which the
/// averages are equal is not a side, so it neither crosses nor changes the side.
fn expected_crossings(closes: &[Decimal], fast: usize, slow: usize) -> Vec<(usize, bool)> {
    let sma = |i: usize, n: usize| closes[i + 1 - n..=i].iter().sum::<Decimal>() / Decimal::from(n);
    let mut out = Vec::new();
    let mut prev: Option<bool> = None;
    for i in slow - 1..closes.len() {
        let (f, s) = (sma(i, fast), sma(i, slow));
        if f == s {
            continue;
        }
        let above = f > s;
        if let Some(p) = prev
            && p != above
        {
            out.push((i, above));
        }
        prev = Some(above);
    }
    out
}

#[tokio::test]
async fn sma_crossover_trades_exactly_as_worked_out() {
    let closes = cycle();
    let crossings = expected_crossings(&closes, 10, 30);
    // One cross up while rising, one cross down while falling.
    assert_eq!(crossings.len(), 2, "{crossings:?}");
    let (up, down) = (crossings[0].0, crossings[1].0);
    assert!(crossings[0].1 && !crossings[1].1);
    let r = Backtest::new(BacktestConfig::default())
        .strategy(Box::new(SmaCross::new("sma", &["SPY"], 10, 30)))
        .bars("SPY", daily(&closes))
        .run()
        .await
        .unwrap();
    assert_eq!(r.fills.len(), 2, "{:?}", r.fills);
    // Entry at the open after the cross-up bar (= that bar's close), 10% of 100,000.
    let entry_price = closes[up];
    let qty = (dec!(10000) / entry_price).floor();
    assert_eq!((r.fills[0].price, r.fills[0].qty), (entry_price, qty));
    let exit_price = closes[down];
    assert_eq!((r.fills[1].price, r.fills[1].qty), (exit_price, qty));
    assert_eq!(r.trades.len(), 1);
    let t = &r.trades[0];
    assert_eq!(t.pnl, (exit_price - entry_price) * qty);
    let m = r.metrics.unwrap();
    assert_eq!(m.end_equity, dec!(100000) + t.pnl);
    assert_eq!(m.trades.trades, 1);
    // Fill times are the simulated opens of the bars after the signals.
    let open_after = |i: usize| {
        let d = daily(&closes)[i + 1]
            .timestamp
            .with_timezone(&New_York)
            .date_naive();
        New_York
            .from_local_datetime(&d.and_hms_opt(9, 30, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc)
    };
    assert_eq!(
        (r.fills[0].time, r.fills[1].time),
        (open_after(up), open_after(down))
    );
    assert_eq!(
        (t.entry_time, t.exit_time),
        (open_after(up), open_after(down)),
        "trade times are simulated, not wall-clock"
    );
}

#[tokio::test]
async fn same_inputs_same_output_byte_for_byte() {
    let run = || async {
        let mut closes = cycle();
        closes.extend(cycle());
        let r = Backtest::new(BacktestConfig::default())
            .strategy(Box::new(SmaCross::new("sma", &["SPY", "QQQ"], 10, 30)))
            .bars("SPY", daily(&closes))
            .bars(
                "QQQ",
                daily(&closes.iter().map(|c| c * dec!(3)).collect::<Vec<_>>()),
            )
            .run()
            .await
            .unwrap();
        let dir = std::env::temp_dir().join(format!(
            "bt-det-{}-{}",
            std::process::id(),
            fastrand_suffix()
        ));
        let files = r.write_report(&dir, "determinism").unwrap();
        let out = (
            std::fs::read_to_string(&files.trades_csv).unwrap(),
            std::fs::read_to_string(&files.svg).unwrap(),
            std::fs::read_to_string(&files.markdown).unwrap(),
        );
        std::fs::remove_dir_all(&dir).unwrap();
        (out, r.trades.len())
    };
    let (a, n) = run().await;
    let (b, _) = run().await;
    assert!(n >= 4, "two symbols, two cycles each: {n} trades");
    assert!(a == b, "two runs differ:\n{}\n---\n{}", a.0, b.0);
}

fn fastrand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

#[test]
fn sweep_runs_every_point_in_grid_order_and_picks_the_best() {
    use alpaca_exec::backtest::sweep::{best_by, sweep};
    let mut closes = cycle();
    closes.extend(cycle());
    let bars = daily(&closes);
    let grid: Vec<(usize, usize)> = vec![(5, 20), (10, 30), (3, 40), (15, 25)];
    let run = |threads| {
        sweep(grid.clone(), threads, |&(fast, slow)| {
            Backtest::new(BacktestConfig::default())
                .strategy(Box::new(SmaCross::new("sma", &["SPY"], fast, slow)))
                .bars("SPY", bars.clone())
        })
    };
    let one = run(1);
    let two = run(2);
    assert_eq!(one.len(), 4);
    let key = |pts: &[alpaca_exec::backtest::sweep::SweepPoint<(usize, usize)>]| {
        pts.iter()
            .map(|p| {
                (
                    p.params,
                    p.result
                        .as_ref()
                        .unwrap()
                        .metrics
                        .as_ref()
                        .unwrap()
                        .end_equity,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(key(&one), key(&two), "thread count changes nothing");
    assert_eq!(one.iter().map(|p| p.params).collect::<Vec<_>>(), grid);
    let best = best_by(&one, |m| Some(m.total_return)).unwrap();
    let max = one
        .iter()
        .map(|p| {
            p.result
                .as_ref()
                .unwrap()
                .metrics
                .as_ref()
                .unwrap()
                .total_return
        })
        .fold(f64::MIN, f64::max);
    assert_eq!(
        best.result
            .as_ref()
            .unwrap()
            .metrics
            .as_ref()
            .unwrap()
            .total_return,
        max
    );
}

#[tokio::test]
async fn option_positions_on_daily_bars_exit_by_dte_before_expiry() {
    // A cheap underlying so $300 buys a contract; flat prices for a month.
    let closes = vec![dec!(20); 30];
    let config = BacktestConfig {
        exit_policy: Some(alpaca_exec::risk::ExitPolicy::default()),
        ..BacktestConfig::default()
    };
    let r = Backtest::new(config)
        .strategy(Box::new(options::CallsOn::at(&[0])))
        .bars("SPY", daily(&closes))
        .run()
        .await
        .unwrap();
    assert_eq!(r.trades.len(), 1, "fills: {:?}", r.fills);
    let t = &r.trades[0];
    let occ: alpaca_exec::OccSymbol = t.symbol.parse().unwrap();
    let exit_date = t.exit_time.with_timezone(&New_York).date_naive();
    let dte = (occ.expiration() - exit_date).num_days();
    assert!(
        (0..=3).contains(&dte),
        "exited {dte} days before expiry: {t:?}"
    );
    assert!(
        t.exit_reason.to_lowercase().contains("dte") || t.exit_reason.contains("expir"),
        "{}",
        t.exit_reason
    );
    assert!(
        r.fills.iter().all(|f| f.order_id != "expiry"),
        "never left to expire"
    );
}

#[tokio::test]
async fn per_strategy_exit_policies_apply_only_to_their_strategy() {
    let closes = vec![dec!(20); 30];
    let run = |owner: &str| {
        let config = BacktestConfig {
            exit_policies: [(owner.to_owned(), alpaca_exec::risk::ExitPolicy::default())].into(),
            ..BacktestConfig::default()
        };
        Backtest::new(config)
            .strategy(Box::new(options::CallsOn::at(&[0])))
            .bars("SPY", daily(&closes))
            .run()
    };
    // The calls strategy's own policy exits on DTE, before expiry.
    let r = run("calls").await.unwrap();
    assert_eq!(r.trades.len(), 1, "fills: {:?}", r.fills);
    assert!(r.fills.iter().all(|f| f.order_id != "expiry"));
    // A policy for another strategy leaves the calls alone: the contract expires.
    let r = run("someone_else").await.unwrap();
    assert!(
        r.fills.iter().any(|f| f.order_id == "expiry"),
        "left to expire: {:?}",
        r.fills
    );
}

#[tokio::test]
async fn symbols_match_whatever_their_case_and_gaps_are_reported() {
    let closes = cycle();
    // A lower-case watchlist against data keyed in upper case (and the other way round) trades.
    let r = Backtest::new(BacktestConfig::default())
        .strategy(Box::new(SmaCross::new("sma", &["spy "], 10, 30)))
        .bars("SPY", daily(&closes))
        .run()
        .await
        .unwrap();
    assert_eq!(r.fills.len(), 2, "{:?}", r.fills);
    assert_eq!(r.trades[0].symbol, "SPY");
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let r = Backtest::new(BacktestConfig::default())
        .strategy(Box::new(SmaCross::new("sma", &["SPY"], 10, 30)))
        .bars("spy", daily(&closes))
        .run()
        .await
        .unwrap();
    assert_eq!(r.fills.len(), 2);

    // A watchlist the data does not cover is named, and so is data nobody watches.
    let r = Backtest::new(BacktestConfig::default())
        .strategy(Box::new(SmaCross::new("sma", &["NVDA"], 10, 30)))
        .bars("SPY", daily(&closes))
        .run()
        .await
        .unwrap();
    assert_eq!(r.signals, 0);
    assert_eq!(
        r.warnings,
        vec![
            "strategy sma received no bars: no data for NVDA".to_owned(),
            "no strategy watches SPY: their bars only move the clock".to_owned(),
        ]
    );
}

#[tokio::test]
async fn every_strategy_is_accounted_for_and_equity_reconciles_with_trades_and_open_positions() {
    // Prices between 240 and 420: the SMA strategy completes round trips in QQQ, the holder
    // never sells its SPY, and a call on a $300 stock costs more than the default $300 cap.
    let closes: Vec<Decimal> = cycle().iter().map(|c| c * dec!(3)).collect();
    let r = Backtest::new(BacktestConfig::default())
        .strategy(Box::new(SmaCross::new("sma", &["QQQ"], 10, 30)))
        .strategy(Box::new(BuyAndHold { bought: false }))
        .strategy(Box::new(options::CallsOn::at(&[0])))
        .bars("SPY", daily(&closes))
        .bars("QQQ", daily(&closes))
        .run()
        .await
        .unwrap();
    let names: Vec<&str> = r.funnels.keys().map(|s| s.as_str()).collect();
    assert_eq!(names, ["calls", "hold", "sma"]);
    let calls = &r.funnels["calls"];
    assert_eq!((calls.signals, calls.executed), (1, 0));
    assert_eq!(calls.skipped["too_small"].count, 1, "{calls:?}");
    assert!(calls.skipped["too_small"].example.contains("too small"));
    let hold = &r.funnels["hold"];
    assert_eq!((hold.signals, hold.entries, hold.executed), (1, 1, 1));
    let sma = &r.funnels["sma"];
    assert!(sma.executed >= 2 && sma.exits >= 1, "{sma:?}");

    // The holder's position is open at the end, marked at the last close.
    let last = *closes.last().unwrap();
    assert_eq!(r.open_positions.len(), 1, "{:?}", r.open_positions);
    let p = &r.open_positions[0];
    assert_eq!((p.strategy.as_str(), p.symbol.as_str()), ("hold", "SPY"));
    assert_eq!(p.mark, Some(last));
    assert_eq!(p.pnl, Some((last - p.entry_price) * p.qty));

    // Round trips plus open positions explain the whole change in equity (no costs here).
    let m = r.metrics.as_ref().unwrap();
    let closed: Decimal = r.trades.iter().map(|t| t.pnl).sum();
    assert_eq!(closed + p.pnl.unwrap(), m.end_equity - m.start_equity);

    // The benchmark holds half in each symbol from the first close.
    assert_eq!(r.benchmark.len(), r.equity.len());
    assert_eq!(r.benchmark[0].equity, dec!(100000));
    let half = dec!(50000) / closes[0] * last;
    assert_eq!(r.benchmark.last().unwrap().equity, half + half);
    assert_eq!(r.symbols, ["QQQ", "SPY"]);

    let dir = tempfile::tempdir().unwrap();
    let files = r.write_report(dir.path(), "accounting").unwrap();
    let html = std::fs::read_to_string(files.html).unwrap();
    for s in [
        "calls",
        "hold",
        "sma",
        "too small",
        "Positions open at the end",
    ] {
        assert!(html.contains(s), "{s}");
    }
}
