//! Response envelopes shared by the market data endpoints, flattened into [`Page`]s.

use crate::Client;
use crate::client::Page;
use crate::client::transport::{Request, Response};
use crate::error::{Error, Result};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use tokio::task::JoinHandle;

/// Largest page of bars, quotes and trades.
pub const MAX_HISTORY_PAGE: u32 = 10_000;
/// Largest page of option snapshots.
pub const MAX_SNAPSHOT_PAGE: u32 = 1_000;

/// `{"bars"|"quotes"|"trades"|"snapshots"|"auctions"|"values": {key: [item...]},
/// "next_page_token": ...}`.
#[derive(Deserialize)]
#[serde(bound = "K: Ord + DeserializeOwned, V: DeserializeOwned")]
struct Envelope<K, V> {
    #[serde(
        alias = "bars",
        alias = "quotes",
        alias = "trades",
        alias = "snapshots",
        alias = "auctions",
        alias = "values",
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
    let resp = client.transport().send(req).await?;
    decode_history::<W, K, T>(client, &resp)
}

/// Decodes a history page body and flattens it to `(key, item)` in key order.
fn decode_history<W, K, T>(client: &Client, resp: &Response) -> Result<Page<(K, T)>>
where
    W: Ord + DeserializeOwned,
    K: From<W> + Clone,
    T: DeserializeOwned,
{
    let env: Envelope<W, Vec<T>> = client.transport().decode(resp)?;
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

/// The `next_page_token` of a raw page body, read without decoding the page: Alpaca puts it at
/// the top level, after the data. `None` when it is null, absent, or not a plain string (the
/// caller then simply does not prefetch).
pub(crate) fn peek_next_token(body: &[u8]) -> Option<String> {
    const KEY: &[u8] = b"\"next_page_token\"";
    let pos = body.windows(KEY.len()).rposition(|w| w == KEY)?;
    let rest = body[pos + KEY.len()..].trim_ascii_start();
    let rest = rest.strip_prefix(b":")?.trim_ascii_start();
    let inner = rest.strip_prefix(b"\"")?;
    let end = inner.iter().position(|&b| b == b'"' || b == b'\\')?;
    if inner[end] != b'"' || end == 0 {
        return None;
    }
    String::from_utf8(inner[..end].to_vec()).ok()
}

/// Builds the request for a page token (`None` = the first page).
pub(crate) type MakeRequest = Arc<dyn Fn(Option<&str>) -> Result<Request> + Send + Sync>;

type PageTask<I> = Pin<Box<dyn Future<Output = Result<Page<I>>> + Send>>;

/// What the page tasks of one history stream share: at most one prefetched page.
struct Prefetch<I> {
    /// The page being fetched ahead of the stream's own look-ahead, with its token.
    slot: Option<(String, JoinHandle<Result<Page<I>>>)>,
    /// Next-page tokens peeked from bodies, by the token of the page they came from.
    peeked: HashMap<String, String>,
    /// Every page token fetched or prefetched so far: a body that names one of them again is
    /// not prefetched (the stream itself ends with an error on a repeated token).
    requested: HashSet<String>,
    /// Set when the stream is dropped: no more prefetching.
    stopped: bool,
}

/// Aborts the prefetch when the stream (which owns this guard) is dropped.
struct StopOnDrop<I>(Arc<Mutex<Prefetch<I>>>);

impl<I> Drop for StopOnDrop<I> {
    fn drop(&mut self) {
        let mut p = self.0.lock().unwrap_or_else(|e| e.into_inner());
        p.stopped = true;
        if let Some((_, h)) = p.slot.take() {
            h.abort();
        }
    }
}

fn lock<I>(m: &Mutex<Prefetch<I>>) -> std::sync::MutexGuard<'_, Prefetch<I>> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts fetching the page for `token` into the slot, unless the slot is taken or the stream
/// has stopped. Needs a Tokio runtime; without one nothing is prefetched.
fn prefetch<W, K, T>(
    client: &Client,
    make: &MakeRequest,
    shared: &Arc<Mutex<Prefetch<(K, T)>>>,
    token: String,
) where
    W: Ord + DeserializeOwned + Send + 'static,
    K: From<W> + Clone + Send + 'static,
    T: DeserializeOwned + Send + 'static,
{
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let mut p = lock(shared);
    if p.stopped || p.slot.is_some() || !p.requested.insert(token.clone()) {
        return;
    }
    let task = page_task::<W, K, T>(
        client.clone(),
        make.clone(),
        shared.clone(),
        Some(token.clone()),
    );
    p.slot = Some((token, rt.spawn(task)));
}

/// One page: download, peek the next token (and prefetch that page), then decode.
fn page_task<W, K, T>(
    client: Client,
    make: MakeRequest,
    shared: Arc<Mutex<Prefetch<(K, T)>>>,
    token: Option<String>,
) -> PageTask<(K, T)>
where
    W: Ord + DeserializeOwned + Send + 'static,
    K: From<W> + Clone + Send + 'static,
    T: DeserializeOwned + Send + 'static,
{
    Box::pin(async move {
        let req = make(token.as_deref())?;
        if let Some(t) = &token {
            lock(&shared).requested.insert(t.clone());
        }
        let resp = client.transport().send(&req).await?;
        if let Some(next) = peek_next_token(&resp.body) {
            if let Some(mine) = &token {
                lock(&shared).peeked.insert(mine.clone(), next.clone());
            }
            prefetch::<W, K, T>(&client, &make, &shared, next);
        }
        // Decoding is several milliseconds of CPU: on the blocking pool it runs in parallel with
        // the next page's decode instead of holding up this worker (and the task it just spawned).
        let path = req.path();
        let decoder = client.clone();
        let decode = move || decode_history::<W, K, T>(&decoder, &resp);
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => match rt.spawn_blocking(decode).await {
                Ok(page) => page,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => Err(crate::Error::NotSent {
                    method: "GET".into(),
                    path,
                    message: format!("page decode ended: {e}"),
                }),
            },
            Err(_) => decode(),
        }
    })
}

/// A history stream whose pages are fetched and decoded ahead on the runtime's other threads.
///
/// [`Paged`](crate::Paged) already fetches one page ahead, but a page's successor is only known
/// once the page is decoded, so decoding alone would stay sequential. Here each body's
/// `next_page_token` is read before decoding, and that page's download and decode start at once
/// in a separate task: two pages decode in parallel on a multi-threaded runtime. At most one
/// page is prefetched beyond the stream's own look-ahead, so memory stays bounded by about three
/// pages whatever the range. A peeked token that disagrees with the decoded one is simply not
/// used (the page is fetched again by its real token).
pub(crate) fn history_stream<W, K, T>(client: &Client, make: MakeRequest) -> crate::Paged<(K, T)>
where
    W: Ord + DeserializeOwned + Send + 'static,
    K: From<W> + Clone + Send + 'static,
    T: DeserializeOwned + Send + 'static,
{
    let shared = Arc::new(Mutex::new(Prefetch {
        slot: None,
        peeked: HashMap::new(),
        requested: HashSet::new(),
        stopped: false,
    }));
    let guard = StopOnDrop(shared.clone());
    let client = client.clone();
    crate::Paged::new(move |token: Option<String>| {
        let _keep = &guard;
        let taken = token.as_ref().and_then(|t| {
            let mut p = lock(&shared);
            match p.slot.take() {
                Some((slot_token, h)) if &slot_token == t => {
                    let next = p.peeked.remove(t);
                    drop(p);
                    Some((h, next))
                }
                other => {
                    p.slot = other;
                    None
                }
            }
        });
        let (client, make, shared) = (client.clone(), make.clone(), shared.clone());
        let fut: PageTask<(K, T)> = match taken {
            Some((handle, next)) => Box::pin(async move {
                // Keep one page in flight behind the one being awaited.
                if let Some(next) = next {
                    prefetch::<W, K, T>(&client, &make, &shared, next);
                }
                match handle.await {
                    Ok(page) => page,
                    Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                    Err(e) => Err(crate::Error::NotSent {
                        method: "GET".into(),
                        path: make(token.as_deref()).map(|r| r.path()).unwrap_or_default(),
                        message: format!("page prefetch ended: {e}"),
                    }),
                }
            }),
            None => page_task::<W, K, T>(client, make, shared, token),
        };
        fut
    })
}

#[cfg(test)]
mod tests {
    use super::peek_next_token;

    #[test]
    fn peeks_the_token_without_decoding() {
        assert_eq!(
            peek_next_token(br#"{"bars":{"SPY":[]},"next_page_token":"QUFQTHxE=="}"#).as_deref(),
            Some("QUFQTHxE==")
        );
        assert_eq!(
            peek_next_token(br#"{"bars":{}, "next_page_token" : "abc" }"#).as_deref(),
            Some("abc")
        );
        assert_eq!(
            peek_next_token(br#"{"bars":{},"next_page_token":null}"#),
            None
        );
        assert_eq!(peek_next_token(br#"{"bars":{}}"#), None);
        assert_eq!(
            peek_next_token(br#"{"next_page_token":"a\"b"}"#),
            None,
            "escapes: no guess"
        );
        assert_eq!(peek_next_token(br#"{"next_page_token":""}"#), None);
    }
}
