//! Response envelopes shared by the market data endpoints, flattened into [`Page`]s.

use crate::Client;
use crate::client::Page;
use crate::client::transport::Request;
use crate::error::{Error, Result};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;

/// Largest page of bars, quotes and trades.
pub const MAX_HISTORY_PAGE: u32 = 10_000;
/// Largest page of option snapshots.
pub const MAX_SNAPSHOT_PAGE: u32 = 1_000;

/// `{"bars"|"quotes"|"trades"|"snapshots": {key: [item...]}, "next_page_token": ...}`.
#[derive(Deserialize)]
#[serde(bound = "K: Ord + DeserializeOwned, V: DeserializeOwned")]
struct Envelope<K, V> {
    #[serde(
        alias = "bars",
        alias = "quotes",
        alias = "trades",
        alias = "snapshots",
        default = "BTreeMap::new",
        deserialize_with = "map_or_null"
    )]
    data: BTreeMap<K, V>,
    #[serde(default, deserialize_with = "crate::wire::opt_string")]
    next_page_token: Option<String>,
}

fn map_or_null<'de, D, K, V>(d: D) -> std::result::Result<BTreeMap<K, V>, D::Error>
where
    D: serde::Deserializer<'de>,
    K: Ord + Deserialize<'de>,
    V: Deserialize<'de>,
{
    // A symbol mapped to null has no data: drop it rather than fail.
    let m: Option<BTreeMap<K, Option<V>>> = Deserialize::deserialize(d)?;
    Ok(m.unwrap_or_default()
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect())
}

/// Fetches a page of a multi-symbol history endpoint and flattens it to `(key, item)` in key
/// order, each key's items in the order Alpaca sent them.
///
/// `K` is the key as it is handed out (`Arc<str>` for stocks, `OccSymbol` for options), built
/// once per key from its wire form `W`.
pub(crate) async fn history_page<W, K, T>(client: &Client, req: &Request) -> Result<Page<(K, T)>>
where
    W: Ord + DeserializeOwned,
    K: From<W> + Clone,
    T: DeserializeOwned,
{
    let env: Envelope<W, Vec<T>> = client.transport().json(req).await?;
    let n = env.data.values().map(Vec::len).sum();
    let mut items = Vec::with_capacity(n);
    for (w, v) in env.data {
        let k = K::from(w);
        items.extend(v.into_iter().map(|t| (k.clone(), t)));
    }
    Ok(Page {
        items,
        next_page_token: env.next_page_token,
    })
}

/// Fetches a page keyed by symbol with one item per key (snapshots).
pub(crate) async fn keyed_page<K, T>(client: &Client, req: &Request) -> Result<Page<(K, T)>>
where
    K: Ord + DeserializeOwned,
    T: DeserializeOwned,
{
    let env: Envelope<K, T> = client.transport().json(req).await?;
    Ok(Page {
        items: env.data.into_iter().collect(),
        next_page_token: env.next_page_token,
    })
}

/// Fetches a "latest" endpoint: one item per symbol, symbols without data absent.
pub(crate) async fn latest<K, T>(client: &Client, req: &Request) -> Result<BTreeMap<K, T>>
where
    K: Ord + DeserializeOwned,
    T: DeserializeOwned,
{
    let env: Envelope<K, T> = client.transport().json(req).await?;
    Ok(env.data)
}

pub(crate) fn check_symbols<S: AsRef<str>>(symbols: &[S]) -> Result<()> {
    if symbols.is_empty() {
        return Err(Error::InvalidRequest(
            "at least one symbol is required".into(),
        ));
    }
    if let Some(s) = symbols.iter().find(|s| s.as_ref().trim().is_empty()) {
        return Err(Error::InvalidRequest(format!(
            "symbol {:?} is empty",
            s.as_ref()
        )));
    }
    Ok(())
}

pub(crate) fn check_limit(limit: Option<u32>, max: u32) -> Result<()> {
    match limit {
        Some(l) if !(1..=max).contains(&l) => Err(Error::InvalidRequest(format!(
            "limit must be 1-{max}, got {l}"
        ))),
        _ => Ok(()),
    }
}

pub(crate) fn check_range<T: PartialOrd + std::fmt::Display>(
    start: Option<T>,
    end: Option<T>,
) -> Result<()> {
    match (start, end) {
        (Some(s), Some(e)) if s > e => {
            Err(Error::InvalidRequest(format!("start {s} is after end {e}")))
        }
        _ => Ok(()),
    }
}
