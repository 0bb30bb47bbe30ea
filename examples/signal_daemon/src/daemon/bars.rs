//! Where the daemon's strategies get their bars: Alpaca's historical bars endpoint, or the
//! generated sample data when running on the simulated broker.

use alpaca_exec::Client;
use alpaca_exec::backtest::bars::resample;
use alpaca_exec::data::{Bar, StockFeed, StockHistory, TimeFrame};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use std::collections::BTreeMap;

/// Bars by symbol, oldest first.
pub type BarsBySymbol = BTreeMap<String, Vec<Bar>>;

/// A source of historical bars.
#[async_trait]
pub trait BarSource: Send + Sync {
    /// Bars of `symbols` starting in `[start, end]`; a symbol without bars may be absent.
    async fn bars(
        &self,
        symbols: &[String],
        timeframe: TimeFrame,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<BarsBySymbol, String>;
}

/// Alpaca's `GET /v2/stocks/bars`, every page.
pub struct AlpacaBars {
    client: Client,
    feed: Option<StockFeed>,
}

impl AlpacaBars {
    /// Bars through `client` from `feed` (`None`: the subscription's default).
    pub fn new(client: Client, feed: Option<StockFeed>) -> Self {
        Self { client, feed }
    }
}

#[async_trait]
impl BarSource for AlpacaBars {
    async fn bars(
        &self,
        symbols: &[String],
        timeframe: TimeFrame,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<BarsBySymbol, String> {
        let mut req = StockHistory::new(symbols.iter().cloned())
            .between(start, end)
            .limit(10_000);
        if let Some(f) = &self.feed {
            req = req.feed(f.clone());
        }
        let mut out = BarsBySymbol::new();
        let mut pages = req.bars(&self.client, timeframe);
        while let Some((sym, bar)) = pages.try_next().await.map_err(|e| e.to_string())? {
            out.entry(sym.to_string()).or_default().push(bar);
        }
        for bars in out.values_mut() {
            bars.sort_by_key(|b| b.timestamp);
        }
        Ok(out)
    }
}

/// The sample data: daily bars as generated, intraday timeframes resampled from the minutes.
pub struct SampleBars {
    daily: BarsBySymbol,
    minutes: BarsBySymbol,
}

impl SampleBars {
    /// Over the generated samples.
    pub fn new(samples: &[crate::sample_data::SymbolSample]) -> Self {
        Self {
            daily: samples
                .iter()
                .map(|s| (s.symbol.clone(), s.daily.clone()))
                .collect(),
            minutes: samples
                .iter()
                .map(|s| (s.symbol.clone(), s.minutes.clone()))
                .collect(),
        }
    }
}

#[async_trait]
impl BarSource for SampleBars {
    async fn bars(
        &self,
        symbols: &[String],
        timeframe: TimeFrame,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<BarsBySymbol, String> {
        let daily = timeframe.is_daily();
        let mut out = BarsBySymbol::new();
        for sym in symbols {
            let source = if daily { &self.daily } else { &self.minutes };
            let Some(all) = source.get(sym) else { continue };
            let lo = all.partition_point(|b| b.timestamp < start);
            let hi = all.partition_point(|b| b.timestamp <= end);
            let slice = &all[lo..hi];
            let bars = if timeframe == TimeFrame::DAY || timeframe == TimeFrame::MINUTE {
                slice.to_vec()
            } else {
                resample(slice, timeframe)
            };
            out.insert(sym.clone(), bars);
        }
        Ok(out)
    }
}
