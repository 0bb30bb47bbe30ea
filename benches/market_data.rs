//! Market data streaming bench (issue target: the `Stream` at least as fast as a bare loop).
//!
//! Workload: 100,000 one-minute bars for one symbol in 10 pages of 10,000, served from memory
//! by a minimal HTTP server on loopback. Compared in the same run:
//! - `alpaca_exec_stream`: `StockHistory::bars` consumed item by item (Decimal prices, one
//!   page of look-ahead);
//! - `bare_loop_f64`: reqwest + serde_json, fetching and decoding the pages one after another
//!   into a minimal `f64` struct (what a hand-written client does);
//! - `bare_loop_same_type`: the same bare loop decoding into the crate's `Bar`.
//!
//! It also prints the peak heap while streaming 10 and 30 pages, to show memory is bounded by the
//! look-ahead and not by the range.
//!
//! Run: `cargo bench --bench market_data`.

mod support;

use alpaca_exec::data::{Bar, StockHistory, TimeFrame};
use alpaca_exec::{Client, RateLimit};
use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures_util::StreamExt;
use serde::Deserialize;
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts live heap bytes and their peak, to measure the stream's memory.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const PER_PAGE: usize = 10_000;

fn page(i: usize, pages: usize) -> Bytes {
    let start = chrono::DateTime::parse_from_rfc3339("2024-01-02T14:30:00Z").expect("time");
    let bars: Vec<serde_json::Value> = (0..PER_PAGE)
        .map(|j| {
            let n = i * PER_PAGE + j;
            let t = start + chrono::Duration::minutes(n as i64);
            let c = 400.0 + ((n * 37) % 1000) as f64 / 100.0;
            serde_json::json!({
                "t": t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "o": c - 0.05, "h": c + 0.12, "l": c - 0.2, "c": c,
                "v": 1000 + n % 5000, "n": 10 + n % 90, "vw": c - 0.013
            })
        })
        .collect();
    let next = (i + 1 < pages).then(|| format!("p{}", i + 1));
    Bytes::from(
        serde_json::to_vec(
            &serde_json::json!({"bars": {"SPY": bars}, "next_page_token": next, "symbol": "SPY"}),
        )
        .expect("encode"),
    )
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct RawBar {
    t: String,
    o: f64,
    h: f64,
    l: f64,
    c: f64,
    v: f64,
    n: u64,
    vw: f64,
}

#[derive(Deserialize)]
struct RawPage<B> {
    bars: BTreeMap<String, Vec<B>>,
    next_page_token: Option<String>,
}

async fn bare_loop<B: serde::de::DeserializeOwned>(http: &reqwest::Client, base: &str) -> usize {
    let mut token: Option<String> = None;
    let mut n = 0;
    loop {
        let mut url = format!("{base}/v2/stocks/bars?symbols=SPY&timeframe=1Min");
        if let Some(t) = &token {
            url.push_str("&page_token=");
            url.push_str(t);
        }
        let body = http
            .get(&url)
            .header("APCA-API-KEY-ID", "PKBENCH")
            .header("APCA-API-SECRET-KEY", "bench-secret")
            .send()
            .await
            .expect("send")
            .bytes()
            .await
            .expect("body");
        let page: RawPage<B> = serde_json::from_slice(&body).expect("decode");
        for bars in page.bars.into_values() {
            for b in bars {
                black_box(&b);
                n += 1;
            }
        }
        match page.next_page_token {
            Some(t) => token = Some(t),
            None => return n,
        }
    }
}

async fn crate_stream(client: &Client) -> usize {
    let mut s = StockHistory::new(["SPY"]).bars(client, TimeFrame::MINUTE);
    let mut n = 0;
    while let Some(item) = s.next().await {
        let (_sym, bar): (std::sync::Arc<str>, Bar) = item.expect("bar");
        black_box(&bar);
        n += 1;
    }
    n
}

fn client_for(base: &str) -> Client {
    Client::builder()
        .credentials("PKBENCH", "bench-secret")
        .trading_base_url(base)
        .data_base_url(base)
        .data_rate_limit(RateLimit::UNLIMITED)
        .build()
        .expect("client")
}

fn peak_heap_while_streaming(rt: &tokio::runtime::Runtime, pages: usize) -> usize {
    let bodies: Vec<Bytes> = (0..pages).map(|i| page(i, pages)).collect();
    let base = format!("http://{}", rt.block_on(support::serve_pages(bodies)));
    let client = client_for(&base);
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let n = rt.block_on(crate_stream(&client));
    assert_eq!(n, pages * PER_PAGE);
    PEAK.load(Ordering::Relaxed) - before
}

fn stream_bars(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    for pages in [10, 30] {
        let peak = peak_heap_while_streaming(&rt, pages);
        println!(
            "peak heap while streaming {pages} pages ({} bars): {:.1} MiB (server-side bodies excluded)",
            pages * PER_PAGE,
            peak as f64 / (1024.0 * 1024.0)
        );
    }

    let bodies: Vec<Bytes> = (0..10).map(|i| page(i, 10)).collect();
    let base = format!("http://{}", rt.block_on(support::serve_pages(bodies)));
    let client = client_for(&base);
    let http = reqwest::Client::new();

    let mut g = c.benchmark_group("stream_100k_bars");
    g.throughput(Throughput::Elements(100_000));
    g.sample_size(20);
    g.bench_function("alpaca_exec_stream", |b| {
        b.to_async(&rt)
            .iter(|| async { assert_eq!(crate_stream(&client).await, 100_000) })
    });
    g.bench_function("bare_loop_f64", |b| {
        b.to_async(&rt)
            .iter(|| async { assert_eq!(bare_loop::<RawBar>(&http, &base).await, 100_000) })
    });
    g.bench_function("bare_loop_same_type", |b| {
        b.to_async(&rt)
            .iter(|| async { assert_eq!(bare_loop::<Bar>(&http, &base).await, 100_000) })
    });
    g.finish();
}

criterion_group!(benches, stream_bars);
criterion_main!(benches);
