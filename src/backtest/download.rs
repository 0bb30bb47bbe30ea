//! Historical bars from Alpaca for backtests, cached on disk so a re-run (or a parameter sweep)
//! does not download the same range again.
//!
//! The cache is one CSV file per symbol, timeframe, range and adjustment, in the layout
//! [`super::bars::read_csv`] reads (RFC 3339 timestamps), written through a temporary file and a
//! rename so an interrupted download never leaves a partial file behind.

use super::bars::{CsvOptions, read_csv};
use crate::Client;
use crate::data::{Adjustment, Bar, StockFeed, StockHistory, TimeFrame};
use crate::error::{Error, Result};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What to download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BarRequest {
    /// Symbols.
    pub symbols: Vec<String>,
    /// Bar size.
    pub timeframe: TimeFrame,
    /// Start (inclusive).
    pub start: DateTime<Utc>,
    /// End (inclusive).
    pub end: DateTime<Utc>,
    /// Adjustment (default split- and dividend-adjusted, what backtests usually want).
    pub adjustment: Adjustment,
    /// Feed (default: the plan's).
    pub feed: Option<StockFeed>,
}

fn cache_file(dir: &Path, symbol: &str, r: &BarRequest) -> PathBuf {
    let clean = |s: &str| {
        s.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>()
    };
    dir.join(format!(
        "{}_{}_{}_{}_{}{}.csv",
        clean(symbol),
        r.timeframe,
        r.start.format("%Y%m%dT%H%M%S"),
        r.end.format("%Y%m%dT%H%M%S"),
        r.adjustment,
        r.feed.as_ref().map(|f| format!("_{f}")).unwrap_or_default()
    ))
}

fn write_cache(path: &Path, bars: &[Bar]) -> std::io::Result<()> {
    let tmp = path.with_extension("csv.part");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        writeln!(f, "timestamp,open,high,low,close,volume")?;
        for b in bars {
            writeln!(
                f,
                "{},{},{},{},{},{}",
                b.timestamp
                    .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                b.open,
                b.high,
                b.low,
                b.close,
                b.volume
            )?;
        }
        f.flush()?;
    }
    std::fs::rename(tmp, path)
}

/// Bars per symbol, from `cache_dir` when cached, else from Alpaca (then cached).
/// `progress(symbol, bars so far)` is called as pages arrive.
pub async fn bars_cached(
    client: &Client,
    request: &BarRequest,
    cache_dir: &Path,
    mut progress: impl FnMut(&str, usize),
) -> Result<Vec<(String, Vec<Bar>)>> {
    std::fs::create_dir_all(cache_dir).map_err(|e| {
        Error::InvalidRequest(format!("cannot create cache {}: {e}", cache_dir.display()))
    })?;
    let mut out = Vec::new();
    for symbol in &request.symbols {
        let path = cache_file(cache_dir, symbol, request);
        if let Ok(file) = std::fs::File::open(&path) {
            let cached = read_csv(std::io::BufReader::new(file), CsvOptions::default())
                .map_err(|e| Error::InvalidRequest(format!("{}: {e}", path.display())))?;
            progress(symbol, cached.bars.len());
            out.push((symbol.clone(), cached.bars));
            continue;
        }
        let history = StockHistory {
            adjustment: Some(request.adjustment.clone()),
            feed: request.feed.clone(),
            limit: Some(crate::data::MAX_HISTORY_PAGE),
            ..StockHistory::new([symbol.as_str()]).between(request.start, request.end)
        };
        let mut stream = history.bars(client, request.timeframe);
        let mut bars = Vec::new();
        while let Some(item) = stream.next().await {
            bars.push(item?.1);
            if bars.len() % 10_000 == 0 {
                progress(symbol, bars.len());
            }
        }
        progress(symbol, bars.len());
        write_cache(&path, &bars).map_err(|e| {
            Error::InvalidRequest(format!("cannot write cache {}: {e}", path.display()))
        })?;
        out.push((symbol.clone(), bars));
    }
    Ok(out)
}
