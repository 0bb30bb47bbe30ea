//! Options through the whole backtest: expiry, exercise and the engine closing the positions,
//! with the symbol free again for the next signal.

use crate::daily;
use alpaca_exec::backtest::runner::{Backtest, BacktestConfig, BacktestResult};
use alpaca_exec::backtest::sim::{ExerciseSettlement, SimConfig};
use alpaca_exec::data::{Bar, TimeFrame};
use alpaca_exec::store::{ExecutionStore, MemoryStore, PositionStatus};
use alpaca_exec::strategy::{Intent, OptionSpec, Signal, Strategy, StrategyContext};
use alpaca_exec::{OccSymbol, OptionType};
use async_trait::async_trait;
use chrono_tz::America::New_York;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::sync::Arc;

/// Strategy "calls": buys a call on SPY on the bars whose index is listed.
pub struct CallsOn {
    bars: Vec<usize>,
    seen: usize,
}

impl CallsOn {
    /// Signals on bars `bars` (0 is the first).
    pub fn at(bars: &[usize]) -> Self {
        Self {
            bars: bars.to_vec(),
            seen: 0,
        }
    }
}

#[async_trait]
impl Strategy for CallsOn {
    fn name(&self) -> &str {
        "calls"
    }
    fn watchlist(&self) -> Vec<String> {
        vec!["SPY".into()]
    }
    fn timeframe(&self) -> TimeFrame {
        TimeFrame::DAY
    }
    async fn on_bar(&mut self, _ctx: &StrategyContext, symbol: &str, bar: &Bar) -> Vec<Signal> {
        let i = self.seen;
        self.seen += 1;
        if !self.bars.contains(&i) {
            return Vec::new();
        }
        let spec = OptionSpec::new(OptionType::Call);
        vec![Signal::new("calls", symbol, Intent::EnterLong, bar.close, bar.timestamp).option(spec)]
    }
}

async fn run(
    closes: &[Decimal],
    signal_bars: Vec<usize>,
    sim: SimConfig,
) -> (BacktestResult, Arc<MemoryStore>) {
    let store = Arc::new(MemoryStore::new());
    let config = BacktestConfig {
        sim,
        ..BacktestConfig::default()
    };
    let r = Backtest::new(config)
        .store(store.clone() as Arc<dyn ExecutionStore>)
        .strategy(Box::new(CallsOn::at(&signal_bars)))
        .bars("SPY", daily(closes))
        .run()
        .await
        .unwrap();
    (r, store)
}

#[tokio::test]
async fn an_expired_option_is_closed_at_minus_the_premium_and_the_symbol_trades_again() {
    // Flat at 20: the call bought at the money expires worthless.
    let closes = vec![dec!(20); 45];
    let (r, _) = run(&closes, vec![0, 25], SimConfig::default()).await;
    assert_eq!(
        r.executed, 2,
        "the second signal trades: the first position is closed"
    );
    assert!(!r.trades.is_empty(), "fills: {:?}", r.fills);
    let t = &r.trades[0];
    assert_eq!(t.exit_reason, "expired");
    assert_eq!(t.exit_price, Decimal::ZERO);
    assert_eq!(t.pnl, -t.entry_price * t.qty * dec!(100), "{t:?}");
    let occ: OccSymbol = t.symbol.parse().unwrap();
    let exit_day = t.exit_time.with_timezone(&New_York).date_naive();
    assert_eq!(
        exit_day,
        occ.expiration(),
        "closed at the expiry session's close"
    );
    let m = r.metrics.unwrap();
    assert_eq!(m.exits_by_reason["expired"].trades, r.trades.len());
}

#[tokio::test]
async fn an_itm_call_settled_in_cash_is_exercised_at_its_intrinsic_value() {
    // Flat at 20, then a jump to 25 well before the first Friday expiry: deep in the money.
    let mut closes = vec![dec!(20); 3];
    closes.extend(vec![dec!(25); 40]);
    let sim = SimConfig {
        exercise: ExerciseSettlement::Cash,
        ..SimConfig::default()
    };
    let (r, store) = run(&closes, vec![0], sim).await;
    assert_eq!(r.trades.len(), 1, "fills: {:?}", r.fills);
    let t = &r.trades[0];
    let occ: OccSymbol = t.symbol.parse().unwrap();
    assert_eq!(t.exit_reason, "exercised");
    let value = dec!(25) - occ.strike();
    assert_eq!(t.exit_price, value);
    assert_eq!(t.pnl, (value - t.entry_price) * t.qty * dec!(100));
    assert!(
        store.positions(true).await.unwrap().is_empty(),
        "no shares in cash settlement"
    );
}

#[tokio::test]
async fn shares_delivered_by_an_exercise_become_a_tracked_position() {
    let mut closes = vec![dec!(20); 3];
    closes.extend(vec![dec!(25); 40]);
    let (r, store) = run(&closes, vec![0], SimConfig::default()).await;
    assert_eq!(r.trades.len(), 1, "fills: {:?}", r.fills);
    let t = &r.trades[0];
    let occ: OccSymbol = t.symbol.parse().unwrap();
    assert_eq!(t.exit_reason, "exercised (underlying at 25)");
    assert_eq!(t.exit_price, dec!(25) - occ.strike());
    let open = store.positions(true).await.unwrap();
    assert_eq!(open.len(), 1, "{open:?}");
    let shares = &open[0];
    assert_eq!(
        (
            shares.symbol.as_str(),
            shares.status,
            shares.entry_qty,
            shares.entry_price
        ),
        (
            "SPY",
            PositionStatus::Open,
            t.qty * dec!(100),
            Some(dec!(25))
        )
    );
    assert_eq!(shares.strategy, "calls");
    // The account bought them at the strike: option P&L plus the shares' value at 25 is what
    // the cash says.
    let spent_on_shares = occ.strike() * t.qty * dec!(100);
    let end = r.metrics.unwrap().end_equity;
    assert_eq!(
        end,
        dec!(100000) + t.pnl,
        "equity = cash + shares at 25: {} - premium - {spent_on_shares} + shares",
        dec!(100000)
    );
}
