//! The ledger against a store holding known signals and round trips, with every figure worked
//! out by hand in the comments.

use super::*;
use crate::risk::{Bias, TrailingState};
use crate::store::{Decision, ExitFill, MemoryStore, SkipReason};
use crate::strategy::Signal;
use chrono::TimeZone;
use chrono_tz::America::New_York;
use rust_decimal_macros::dec;

fn ny(month: u32, day: u32, h: u32) -> DateTime<Utc> {
    New_York
        .with_ymd_and_hms(2024, month, day, h, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn signal(strategy: &str, symbol: &str, intent: Intent, at: DateTime<Utc>) -> Signal {
    Signal::new(strategy, symbol, intent, dec!(100), at)
}

/// A signal recorded at `at` with `outcome` (and `skip`), or pending when `outcome` is `None`.
fn record(
    s: &Signal,
    at: DateTime<Utc>,
    outcome: Option<Outcome>,
    skip: Option<SkipReason>,
) -> SignalRecord {
    SignalRecord {
        id: s.id(),
        signal: s.clone(),
        received_at: at,
        decision: outcome.map(|outcome| Decision {
            signal_id: s.id(),
            outcome,
            skip,
            detail: format!("{outcome:?}"),
            client_order_id: None,
            retryable: false,
            at,
        }),
    }
}

/// A position of `s`: entry `qty` at `entry`, exits `(qty, price)`, closed at `closed` if given.
fn position(
    s: &Signal,
    side: Side,
    multiplier: Decimal,
    qty: Decimal,
    entry: Decimal,
    exits: &[(Decimal, Decimal)],
    closed: Option<DateTime<Utc>>,
) -> TrackedPosition {
    TrackedPosition {
        id: format!("{}-e", s.id()),
        strategy: s.strategy.clone(),
        underlying: s.symbol.clone(),
        symbol: s.symbol.clone(),
        signal_id: s.id(),
        side,
        bias: Bias::Bullish,
        planned_qty: qty,
        planned_cost: qty.checked_mul(entry).unwrap_or_default(),
        entry_qty: qty,
        entry_price: Some(entry),
        exit_fills: exits
            .iter()
            .enumerate()
            .map(|(i, &(qty, price))| (format!("x{i}"), ExitFill { qty, price }))
            .collect(),
        multiplier,
        stop: None,
        target: None,
        expiration: None,
        trailing: TrailingState::new(),
        status: if closed.is_some() {
            PositionStatus::Closed
        } else {
            PositionStatus::Open
        },
        exit_attempts: exits.len() as u32,
        exit_client_order_id: None,
        exit_reason: closed.map(|_| "target".into()),
        exit_rule: closed.map(|_| "target".into()),
        opened_at: s.bar_time,
        closed_at: closed,
    }
}

/// The known store: strategy `momo` over ISO weeks 10 and 11 of 2024, and one `mr` trade.
///
/// Round trips of `momo`, in exit order:
/// - Tue 5 Mar: AAPL long 10 @ 100 -> 103: +30;
/// - Wed 6 Mar: MSFT long 5 @ 200 -> 2 @ 190 and 3 @ 196: -20 - 12 = -32 (exit average 193.6);
/// - Tue 12 Mar: NVDA short 10 @ 50 -> 45: +50;
/// - Wed 13 Mar: an option, 2 contracts x 100 @ 2.00 -> 1.50: -100.
async fn known_store() -> (MemoryStore, Vec<Signal>) {
    let store = MemoryStore::new();
    let w10 = ny(3, 4, 10);
    let w11 = ny(3, 11, 10);
    let sig = |sym: &str, intent, at| signal("momo", sym, intent, at);
    let aapl = sig("AAPL", Intent::EnterLong, w10);
    let msft = sig("MSFT", Intent::EnterLong, w10);
    let nvda = sig("NVDA", Intent::EnterShort, ny(3, 8, 10));
    let spy_opt = sig("SPY", Intent::EnterLong, w11);
    let halted = || SkipReason::Halted {
        change: dec!(-0.03),
        limit: dec!(0.02),
    };
    let limits = SkipReason::Limits {
        detail: "max positions".into(),
    };
    let records = [
        record(&aapl, w10, Some(Outcome::Executed), None),
        record(&msft, w10, Some(Outcome::Executed), None),
        record(
            &sig("TSLA", Intent::EnterLong, w10),
            w10,
            Some(Outcome::Skipped),
            Some(halted()),
        ),
        record(
            &sig("AMD", Intent::EnterLong, w10),
            w10,
            Some(Outcome::Skipped),
            Some(halted()),
        ),
        record(
            &sig("META", Intent::EnterLong, w10),
            w10,
            Some(Outcome::Skipped),
            Some(limits),
        ),
        record(
            &sig("GLD", Intent::EnterLong, w10),
            w10,
            Some(Outcome::Queued),
            None,
        ),
        record(&nvda, ny(3, 8, 10), Some(Outcome::Executed), None),
        record(&spy_opt, w11, Some(Outcome::Executed), None),
        record(
            &sig("QQQ", Intent::EnterLong, w11),
            w11,
            Some(Outcome::Failed),
            None,
        ),
        record(
            &sig("IWM", Intent::EnterLong, w11),
            w11,
            Some(Outcome::Unresolved),
            None,
        ),
        record(&sig("DIA", Intent::EnterLong, w11), w11, None, None),
        record(
            &sig("AAPL", Intent::Exit, w11),
            w11,
            Some(Outcome::Executed),
            None,
        ),
    ];
    for r in &records {
        store.upsert_signal(r).await.unwrap();
    }
    let positions = [
        position(
            &aapl,
            Side::Long,
            dec!(1),
            dec!(10),
            dec!(100),
            &[(dec!(10), dec!(103))],
            Some(ny(3, 5, 15)),
        ),
        position(
            &msft,
            Side::Long,
            dec!(1),
            dec!(5),
            dec!(200),
            &[(dec!(2), dec!(190)), (dec!(3), dec!(196))],
            Some(ny(3, 6, 15)),
        ),
        position(
            &nvda,
            Side::Short,
            dec!(1),
            dec!(10),
            dec!(50),
            &[(dec!(10), dec!(45))],
            Some(ny(3, 12, 15)),
        ),
        position(
            &spy_opt,
            Side::Long,
            dec!(100),
            dec!(2),
            dec!(2.00),
            &[(dec!(2), dec!(1.50))],
            Some(ny(3, 13, 15)),
        ),
    ];
    for p in &positions {
        store.upsert_position(p).await.unwrap();
    }
    // `mr`: one executed entry closed at +10, and one still open.
    let mr = signal("mr", "XLF", Intent::EnterLong, w11);
    let mr_open = signal("mr", "XLE", Intent::EnterLong, w11);
    store
        .upsert_signal(&record(&mr, w11, Some(Outcome::Executed), None))
        .await
        .unwrap();
    store
        .upsert_signal(&record(&mr_open, w11, Some(Outcome::Executed), None))
        .await
        .unwrap();
    store
        .upsert_position(&position(
            &mr,
            Side::Long,
            dec!(1),
            dec!(1),
            dec!(40),
            &[(dec!(1), dec!(50))],
            Some(ny(3, 14, 12)),
        ))
        .await
        .unwrap();
    store
        .upsert_position(&position(
            &mr_open,
            Side::Long,
            dec!(1),
            dec!(3),
            dec!(40),
            &[],
            None,
        ))
        .await
        .unwrap();
    (store, vec![aapl, msft, nvda, spy_opt, mr, mr_open])
}

#[tokio::test]
async fn figures_of_a_store_with_known_trades() {
    let (store, sigs) = known_store().await;
    let ledger = Ledger::load(&store).await.unwrap();
    assert!(ledger.anomalies.is_empty(), "{:?}", ledger.anomalies);
    assert_eq!(ledger.entries.len(), 14);
    assert_eq!(ledger.trades.len(), 5);
    let by = ledger.by_strategy();
    let momo = &by["momo"].total;
    assert_eq!(momo.signals, 12);
    assert_eq!(momo.executed, 5, "4 entries and the exit");
    assert_eq!(momo.skipped_total(), 3);
    assert_eq!(momo.skipped["halted"], 2);
    assert_eq!(momo.skipped["limits"], 1);
    assert_eq!((momo.queued, momo.failed, momo.pending), (1, 2, 1));
    // +30, -32, +50, -100.
    let t = &momo.trades;
    assert_eq!((t.trades, t.wins), (4, 2));
    assert_eq!(t.win_rate, Some(0.5));
    assert_eq!(t.avg_win, Some(dec!(40)));
    assert_eq!(t.avg_loss, Some(dec!(-66)));
    assert_eq!(t.net_pnl, dec!(-52));
    assert_eq!(t.profit_factor, Some(80.0 / 132.0));
    assert_eq!(momo.expectancy, Some(dec!(-13)));
    // Cumulative 30, -2, 48, -52: the fall from 48 to -52 is the largest.
    assert_eq!(momo.max_drawdown, dec!(100));

    // Week 10 holds the signals of 4-8 March (NVDA's entry on Friday 8th included) and the
    // round trips closed that week; week 11 the rest.
    let w10 = &by["momo"].weeks[&Week {
        year: 2024,
        week: 10,
    }];
    assert_eq!((w10.signals, w10.executed, w10.queued), (7, 3, 1));
    assert_eq!(w10.skipped_total(), 3);
    assert_eq!(w10.trades.trades, 2);
    assert_eq!(w10.trades.net_pnl, dec!(-2));
    assert_eq!(w10.expectancy, Some(dec!(-1)));
    assert_eq!(w10.max_drawdown, dec!(32));
    let w11 = &by["momo"].weeks[&Week {
        year: 2024,
        week: 11,
    }];
    assert_eq!(
        (w11.signals, w11.executed, w11.failed, w11.pending),
        (5, 2, 2, 1)
    );
    assert_eq!(w11.trades.net_pnl, dec!(-50));
    assert_eq!(w11.max_drawdown, dec!(100), "+50 then -100");
    assert_eq!(w11.trades.profit_factor, Some(0.5));

    let mr = &by["mr"].total;
    assert_eq!((mr.signals, mr.executed, mr.trades.trades), (2, 2, 1));
    assert_eq!(mr.trades.win_rate, Some(1.0));
    assert_eq!(mr.trades.profit_factor, None, "no losing trade");
    assert_eq!(mr.max_drawdown, Decimal::ZERO);

    // Each entry signal carries its round trip's P&L once closed; exits and open ones none.
    let pnl_of = |s: &Signal| {
        ledger
            .entries
            .iter()
            .find(|e| e.signal_id == s.id())
            .unwrap()
            .realized_pnl
    };
    let expected = [
        Some(dec!(30)),
        Some(dec!(-32)),
        Some(dec!(50)),
        Some(dec!(-100)),
        Some(dec!(10)),
        None,
    ];
    for (s, want) in sigs.iter().zip(expected) {
        assert_eq!(pnl_of(s), want, "{} {}", s.strategy, s.symbol);
    }
    let exit = ledger
        .entries
        .iter()
        .find(|e| e.intent == Intent::Exit)
        .unwrap();
    assert_eq!(exit.realized_pnl, None);
    let skipped = ledger.entries.iter().find(|e| e.symbol == "META").unwrap();
    assert_eq!(skipped.skip_reason.as_deref(), Some("limits"));
    let msft = &ledger.trades[1];
    assert_eq!(
        (msft.symbol.as_str(), msft.exit_price),
        ("MSFT", dec!(193.6))
    );
}

#[tokio::test]
async fn a_position_whose_figures_overflow_is_named_not_summed() {
    let (store, _) = known_store().await;
    let huge = signal("momo", "BRK.A", Intent::EnterLong, ny(3, 12, 10));
    store
        .upsert_signal(&record(&huge, ny(3, 12, 10), Some(Outcome::Executed), None))
        .await
        .unwrap();
    store
        .upsert_position(&position(
            &huge,
            Side::Long,
            dec!(100),
            Decimal::MAX,
            dec!(1),
            &[(Decimal::MAX, dec!(2))],
            Some(ny(3, 12, 15)),
        ))
        .await
        .unwrap();
    // Beyond the bound without overflowing: 1e13 shares x $1,000 gained.
    let big = signal("momo", "BIG", Intent::EnterLong, ny(3, 12, 10));
    store
        .upsert_signal(&record(&big, ny(3, 12, 10), Some(Outcome::Executed), None))
        .await
        .unwrap();
    store
        .upsert_position(&position(
            &big,
            Side::Long,
            dec!(1),
            dec!(10_000_000_000_000),
            dec!(1),
            &[(dec!(10_000_000_000_000), dec!(1001))],
            Some(ny(3, 12, 15)),
        ))
        .await
        .unwrap();
    let ledger = Ledger::load(&store).await.unwrap();
    assert_eq!(ledger.anomalies.len(), 2, "{:?}", ledger.anomalies);
    assert!(
        ledger
            .anomalies
            .iter()
            .any(|a| a.contains("overflow") && a.contains("BRK.A"))
    );
    assert!(
        ledger
            .anomalies
            .iter()
            .any(|a| a.contains("beyond") && a.contains("BIG"))
    );
    let momo = &ledger.by_strategy()["momo"].total;
    assert_eq!(momo.trades.trades, 4, "the known trades only");
    assert_eq!(momo.trades.net_pnl, dec!(-52));
    let entry = ledger.entries.iter().find(|e| e.symbol == "BRK.A").unwrap();
    assert_eq!(entry.realized_pnl, None, "unknown, not zero");
}

#[test]
fn an_empty_store_has_no_figures() {
    let ledger = Ledger::from_records(&[], &[]);
    assert!(ledger.by_strategy().is_empty());
    let s = LedgerStats::default();
    assert_eq!(
        (s.expectancy, s.max_drawdown, s.skipped_total()),
        (None, Decimal::ZERO, 0)
    );
}

#[test]
fn weeks_are_iso_weeks_of_the_new_york_date() {
    let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    assert_eq!(Week::of(d(2024, 3, 4)).to_string(), "2024-W10");
    assert_eq!(
        Week::of(d(2024, 3, 10)).to_string(),
        "2024-W10",
        "Sunday ends the week"
    );
    assert_eq!(Week::of(d(2024, 12, 30)).to_string(), "2025-W01");
    assert_eq!(Week::of(d(2021, 1, 3)).to_string(), "2020-W53");
    assert_eq!(Week::of(d(2024, 12, 30)).monday(), Some(d(2024, 12, 30)));
    // 23:30 in New York on Sunday is Monday in UTC: still the New York week.
    let late_sunday = New_York
        .with_ymd_and_hms(2024, 3, 10, 23, 30, 0)
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(Week::of_time(late_sunday).week, 10);
    assert_eq!(
        serde_json::to_value(Week::of(d(2024, 3, 4))).unwrap(),
        serde_json::json!("2024-W10")
    );
}

#[test]
fn the_trade_bound_is_a_quadrillion() {
    assert_eq!(MAX_TRADE_PNL, Decimal::from(1_000_000_000_000_000i64));
}

#[test]
fn drawdown_of_the_running_sum() {
    assert_eq!(drawdown([dec!(-5), dec!(10), dec!(-3), dec!(-4)]), dec!(7));
    assert_eq!(
        drawdown([dec!(-5)]),
        dec!(5),
        "a first loss is a fall from 0"
    );
    assert_eq!(drawdown([dec!(1), dec!(2)]), Decimal::ZERO);
}
