//! Your own strategy, first backtested on a CSV file, then run against your paper account.
//!
//! ```text
//! cargo run --release --example custom_strategy                      # backtest on ORCL 1995-2014
//! cargo run --release --example custom_strategy -- prices.csv SYM    # backtest on your file
//! APCA_API_KEY_ID=... APCA_API_SECRET_KEY=... \
//!   cargo run --release --example custom_strategy -- --paper SPY     # one step on paper
//! ```
//!
//! The strategy is the same value in both: in the backtest the `Backtest` runner feeds it
//! history and its signals go to a simulated broker; on paper the broker is Alpaca. The one line
//! that differs is the broker (marked below).

use alpaca_exec::data::StockHistory;
use alpaca_exec::prelude::*;
use futures_util::TryStreamExt;
use std::sync::Arc;

/// Buys a close above the highest close of the previous `n` bars and sells a close below the
/// lowest: a Donchian channel breakout, long or flat.
struct Breakout {
    symbol: String,
    n: usize,
    closes: Vec<Decimal>,
}

#[async_trait]
impl Strategy for Breakout {
    fn name(&self) -> &str {
        "breakout"
    }

    fn watchlist(&self) -> Vec<String> {
        vec![self.symbol.clone()]
    }

    fn timeframe(&self) -> TimeFrame {
        TimeFrame::DAY
    }

    async fn on_bar(&mut self, ctx: &StrategyContext, symbol: &str, bar: &Bar) -> Vec<Signal> {
        let start = self.closes.len().saturating_sub(self.n);
        let window = &self.closes[start..];
        let ready = window.len() == self.n;
        let high = window.iter().max().copied();
        let low = window.iter().min().copied();
        self.closes.push(bar.close);
        let (Some(high), Some(low)) = (high, low) else {
            return Vec::new();
        };
        if !ready {
            return Vec::new();
        }
        let held = ctx.position(symbol).is_some_and(|p| p.qty > Decimal::ZERO);
        let intent = if !held && bar.close > high {
            Intent::EnterLong
        } else if held && bar.close < low {
            Intent::Exit
        } else {
            return Vec::new();
        };
        // A stop at the channel's low: the executor's quality filter and sizing use it.
        vec![Signal::new(self.name(), symbol, intent, bar.close, bar.timestamp).stop(low)]
    }
}

#[tokio::main]
async fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--paper") {
        let symbol = args.get(1).cloned().unwrap_or_else(|| "SPY".into());
        return paper(symbol).await;
    }
    let path = args.first().cloned().unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/orcl-1995-2014.csv"
        )
        .into()
    });
    let symbol = args.get(1).cloned().unwrap_or_else(|| "ORCL".into());

    let strategy = Breakout {
        symbol: symbol.clone(),
        n: 55,
        closes: Vec::new(),
    };
    let bars = load_csv(&path, CsvOptions::default())?.bars;
    let result = Backtest::new(BacktestConfig::default())
        .strategy(Box::new(strategy))
        .bars(&symbol, bars)
        .run()
        .await?;
    for w in &result.warnings {
        println!("warning: {w}");
    }
    println!(
        "{} bars of {symbol}: {} signals, {} round trips",
        result.bars,
        result.signals,
        result.trades.len()
    );
    if let Some(m) = &result.metrics {
        println!(
            "equity {} -> {} ({:+.1}%), max drawdown {:.1}%",
            m.start_equity.round_dp(2),
            m.end_equity.round_dp(2),
            m.total_return * 100.0,
            m.max_drawdown.as_ref().map_or(0.0, |d| d.depth * 100.0)
        );
    }
    Ok(())
}

/// One step on paper: warm the strategy up on the last year of daily bars, then execute what
/// the newest completed bar signals. Run it once a day after the close (the daemon in
/// `examples/signal_daemon` does the scheduling, the monitor and the rest).
async fn paper(symbol: String) -> std::result::Result<(), Box<dyn std::error::Error>> {
    let client = Client::from_env()?;
    // The one changed line: Alpaca (paper by default) instead of the simulated broker.
    let broker: Arc<dyn Broker> = Arc::new(AlpacaBroker::new(client.clone()));

    let store = Arc::new(SqliteStore::open_or_create("custom_strategy.db")?);
    let executor = Executor::new(broker.clone(), store, ExecutorConfig::new());
    println!("reconciled: {:?}", executor.reconcile().await?);

    let end = Utc::now() - ChronoDuration::minutes(20); // free plans: no SIP data of the last 15 min
    let history = StockHistory::new([symbol.clone()]).between(end - ChronoDuration::days(400), end);
    let bars: Vec<Bar> = history
        .bars(&client, TimeFrame::DAY)
        .map_ok(|(_, bar)| bar)
        .try_collect()
        .await?;
    let Some((newest, warm_up)) = bars.split_last() else {
        println!("no bars for {symbol}");
        return Ok(());
    };

    let mut strategy = Breakout {
        symbol: symbol.clone(),
        n: 55,
        closes: Vec::new(),
    };
    let ctx = StrategyContext {
        now: Utc::now(),
        market_open: broker.clock().await?.is_open,
        account: broker.account().await?,
        positions: broker.positions().await?,
        state: serde_json::Value::Null,
    };
    for bar in warm_up {
        strategy.on_bar(&ctx, &symbol, bar).await; // history only warms the channel up
    }
    let signals = strategy.on_bar(&ctx, &symbol, newest).await;
    for d in executor.execute(&signals).await {
        println!("{:?}: {}", d.outcome, d.detail);
    }
    if signals.is_empty() {
        println!("no signal on the {} bar", newest.timestamp.date_naive());
    }
    Ok(())
}
