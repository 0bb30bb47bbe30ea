//! Every endpoint through the real transport against a raw HTTP server that answers with
//! random statuses, hostile headers and mutated, truncated or garbage bodies: the transport's
//! body and error-body decoding, retry timing and paging envelopes. Each call must end in a
//! value or a typed `alpaca_exec::Error` whose text never shows the secret.

use crate::common::spec::Spec;
use crate::common::{KEY, SECRET, fixture};
use crate::mutate::{mutate_bytes, mutated};
use crate::{Shown, cases, rng};
use alpaca_exec::data::{
    CorporateActionsRequest, IndexHistory, NewsRequest, OptionChainRequest, OptionHistory,
    OptionLatest, OptionSnapshotsRequest, StockHistory, TimeFrame,
};
use alpaca_exec::trading::corporate_actions::{AnnouncementType, ListAnnouncements};
use alpaca_exec::trading::orders::ListOrders;
use alpaca_exec::{
    CalendarRequest, Client, ClosePosition, Error, ListActivities, ListOptionContracts, OccSymbol,
    OrderRequest, OrderSide, PortfolioHistoryRequest, Qty, RateLimit, ReplaceOrder, RetryPolicy,
    WatchlistRef,
};
use chrono::{NaiveDate, TimeZone, Utc};
use rust_decimal_macros::dec;
use serde_json::Value;
use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the server answers every request of the current case with.
#[derive(Debug, Clone, Default)]
struct Canned {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Announce more body than is sent, then close: a body cut off mid-transfer.
    cut_off: bool,
}

type Shared = Arc<Mutex<Canned>>;

async fn serve(listener: TcpListener, canned: Shared) {
    loop {
        let Ok((mut sock, _)) = listener.accept().await else {
            return;
        };
        let canned = canned.lock().unwrap().clone();
        tokio::spawn(async move {
            if read_request(&mut sock).await.is_none() {
                return;
            }
            let mut head = format!("HTTP/1.1 {} Fuzz\r\nConnection: close\r\n", canned.status);
            let announced = canned.body.len() + if canned.cut_off { 100 } else { 0 };
            head.push_str(&format!("Content-Length: {announced}\r\n"));
            for (k, v) in &canned.headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            let _ = sock.write_all(head.as_bytes()).await;
            let _ = sock.write_all(&canned.body).await;
            let _ = sock.shutdown().await;
        });
    }
}

/// Reads one request (head and `Content-Length` body); `None` if the client went away.
async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(())
}

type Outcome = Pin<Box<dyn Future<Output = Result<String, Error>> + Send>>;
type Call = Box<dyn Fn(Client) -> Outcome>;

fn call<F, Fut, T>(f: F) -> Call
where
    F: Fn(Client) -> Fut + 'static,
    Fut: Future<Output = Result<T, Error>> + Send + 'static,
    T: Debug,
{
    Box::new(move |c| {
        let fut = f(c);
        Box::pin(async move { fut.await.map(|v| format!("{v:?}")) })
    })
}

fn occ() -> OccSymbol {
    "AAPL240503P00155000".parse().unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A realistic answer: a fixture file, or the example Alpaca's OpenAPI document gives for
/// `GET path`.
#[derive(Debug, Clone, Copy)]
enum Body {
    File(&'static str),
    Spec(Spec, &'static str),
}

impl Body {
    fn json(self) -> Value {
        match self {
            Body::File(name) => serde_json::from_str(&fixture(name)).unwrap(),
            Body::Spec(spec, path) => spec.response_example("GET", path),
        }
    }
}

/// Endpoints added with the rest of the API (watchlists, announcements, news, corporate
/// actions, screener, indices, meta), answered with the OpenAPI documents' examples.
fn more_endpoints() -> Vec<(Body, Call)> {
    use Spec::{MarketData, Trading};
    vec![
        (
            Body::Spec(Trading, "/v2/watchlists"),
            call(|c| async move { c.watchlists().await }),
        ),
        (
            Body::Spec(Trading, "/v2/watchlists/{watchlist_id}"),
            call(|c| async move { c.watchlist(&WatchlistRef::id("w-1")).await }),
        ),
        (
            Body::Spec(Trading, "/v2/corporate_actions/announcements"),
            call(|c| async move {
                let req = ListAnnouncements::new(
                    [AnnouncementType::Dividend],
                    day(2021, 11, 1),
                    day(2021, 11, 30),
                );
                c.announcements(&req).await
            }),
        ),
        (
            Body::Spec(Trading, "/v2/corporate_actions/announcements/{id}"),
            call(|c| async move { c.announcement("a-1").await }),
        ),
        (
            Body::Spec(MarketData, "/v1beta1/news"),
            call(|c| async move { c.news(&NewsRequest::new()).await }),
        ),
        (
            // Alpaca's document has no example for the whole answer: built from the examples
            // of each kind it does have.
            Body::File("data_corporate_actions.json"),
            call(|c| async move {
                c.corporate_actions(&CorporateActionsRequest::for_symbols(["AAPL"]))
                    .await
            }),
        ),
        (
            Body::Spec(MarketData, "/v1beta1/screener/{market_type}/movers"),
            call(|c| async move { c.top_movers(None).await }),
        ),
        (
            Body::File("data_most_actives.json"),
            call(|c| async move { c.most_actives(None, None).await }),
        ),
        (
            Body::Spec(MarketData, "/v1beta1/indices/latest/values"),
            call(|c| async move { c.latest_index_values(&["SPX"]).await }),
        ),
        (
            Body::Spec(MarketData, "/v1beta1/indices/values"),
            call(|c| async move { IndexHistory::new(["SPX"]).page(&c, None).await }),
        ),
        (
            Body::Spec(MarketData, "/v2/stocks/meta/exchanges"),
            call(|c| async move { c.stock_exchanges().await }),
        ),
    ]
}

/// Each endpoint with the fixture of its real answer.
fn endpoints() -> Vec<(Body, Call)> {
    let order = || {
        OrderRequest::market("AAPL", OrderSide::Buy, Qty::Shares(dec!(1)))
            .client_order_id("fuzz-1")
            .build()
            .unwrap()
    };
    let history = || {
        StockHistory::new(["AAPL"]).between(
            Utc.with_ymd_and_hms(2022, 2, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2022, 2, 3, 0, 0, 0).unwrap(),
        )
    };
    vec![
        (
            Body::File("trading_get_account.json"),
            call(|c| async move { c.account().await }),
        ),
        (
            Body::File("trading_get_account_configurations.json"),
            call(|c| async move { c.account_configurations().await }),
        ),
        (
            Body::File("trading_get_all_positions.json"),
            call(|c| async move { c.positions().await }),
        ),
        (
            Body::File("trading_get_open_position.json"),
            call(|c| async move { c.position("AAPL").await }),
        ),
        (
            Body::File("trading_get_asset.json"),
            call(|c| async move { c.asset("AAPL").await }),
        ),
        (
            Body::File("trading_get_clock.json"),
            call(|c| async move { c.clock().await }),
        ),
        (
            Body::File("trading_get_calendar.json"),
            call(|c| async move {
                c.calendar(&CalendarRequest::between(day(2024, 1, 1), day(2024, 1, 31)))
                    .await
            }),
        ),
        (
            Body::File("trading_get_option_contract.json"),
            call(|c| async move { c.option_contract("AAPL231103C00170000").await }),
        ),
        (
            Body::File("trading_get_option_contracts.json"),
            call(|c| async move {
                let req = ListOptionContracts {
                    expiration_date_lte: Some(day(2024, 6, 1)),
                    ..Default::default()
                };
                c.option_contracts(&req).await
            }),
        ),
        (
            Body::File("trading_get_order_by_id.json"),
            call(|c| async move { c.order("o-1", true).await }),
        ),
        (
            Body::File("trading_get_order_by_client_id.json"),
            call(|c| async move { c.order_by_client_order_id("fuzz-1").await }),
        ),
        (
            Body::File("trading_get_orders.json"),
            call(|c| async move { c.orders(&ListOrders::default()).await }),
        ),
        (
            Body::File("trading_get_portfolio_history.json"),
            call(|c| async move {
                c.portfolio_history(&PortfolioHistoryRequest::default())
                    .await
            }),
        ),
        (
            Body::File("trading_replace_order.json"),
            call(|c| async move {
                let r = ReplaceOrder {
                    limit_price: Some(dec!(1.5)),
                    ..Default::default()
                };
                c.replace_order("o-1", &r).await
            }),
        ),
        (
            Body::File("trading_submit_order_market.json"),
            call(move |c| async move { c.submit_order(&order()).await }),
        ),
        (
            Body::File("trading_submit_order_limit.json"),
            call(move |c| async move { c.submit_order_and_resolve(&order()).await }),
        ),
        (
            Body::File("trading_cancel_orders.json"),
            call(|c| async move { c.cancel_all_orders().await }),
        ),
        (
            Body::File("trading_close_all_positions.json"),
            call(|c| async move { c.close_all_positions(true).await }),
        ),
        (
            Body::File("trading_close_position_qty.json"),
            call(|c| async move { c.close_position("AAPL", ClosePosition::Qty(dec!(1))).await }),
        ),
        (
            Body::File("trading_get_activities.json"),
            call(|c| async move { c.activities(&ListActivities::default()).await }),
        ),
        (
            Body::File("data_stock_latest_quote.json"),
            call(|c| async move { c.latest_stock_quotes(&["AAPL"]).await }),
        ),
        (
            Body::File("data_stock_latest_trades_multi.json"),
            call(|c| async move { c.latest_stock_trades(&["AAPL", "TSLA"]).await }),
        ),
        (
            Body::File("data_stock_latest_bars_multi.json"),
            call(|c| async move { c.latest_stock_bars(&["AAPL", "TSLA"]).await }),
        ),
        (
            Body::File("data_stock_snapshot.json"),
            call(|c| async move { c.stock_snapshots(&["AAPL"]).await }),
        ),
        (
            Body::File("data_stock_bars_multi.json"),
            call(move |c| async move { history().bars_page(&c, TimeFrame::DAY, None).await }),
        ),
        (
            Body::File("data_stock_quotes.json"),
            call(move |c| async move { history().quotes_page(&c, None).await }),
        ),
        (
            Body::File("data_option_chain.json"),
            call(|c| async move { OptionChainRequest::new("AAPL").page(&c, None).await }),
        ),
        (
            Body::File("data_option_snapshot.json"),
            call(|c| async move { OptionSnapshotsRequest::new([occ()]).page(&c, None).await }),
        ),
        (
            Body::File("data_option_latest_quote.json"),
            call(|c| async move { OptionLatest::new([occ()]).quotes(&c).await }),
        ),
        (
            Body::File("data_option_bars.json"),
            call(|c| async move {
                OptionHistory::new([occ()])
                    .bars_page(&c, TimeFrame::DAY, None)
                    .await
            }),
        ),
    ]
    .into_iter()
    .chain(more_endpoints())
    .collect()
}

const STATUSES: &[u16] = &[
    200, 200, 200, 200, 201, 204, 207, 301, 302, 307, 400, 401, 403, 404, 409, 422, 429, 500, 502,
    503, 504, 599,
];

const WAITS: &[&str] = &[
    "0",
    "1e300",
    "99999999999999999999",
    "-1",
    "NaN",
    "0.001",
    "Fri, 31 Dec 9999 23:59:59 GMT",
    "Thu, 01 Jan 1970 00:00:00 GMT",
    "garbage",
    "18446744073709551615",
];

fn canned(rng: &mut fastrand::Rng, fixture: &Value) -> Canned {
    let status = STATUSES[rng.usize(..STATUSES.len())];
    let mut headers = Vec::new();
    let pick = |rng: &mut fastrand::Rng| WAITS[rng.usize(..WAITS.len())].to_owned();
    if rng.bool() {
        headers.push(("Retry-After".into(), pick(rng)));
    }
    if rng.bool() {
        headers.push(("X-RateLimit-Reset".into(), pick(rng)));
    }
    if rng.bool() {
        headers.push(("X-Request-ID".into(), format!("req-{}", rng.u32(..))));
    }
    if (300..400).contains(&status) && rng.u8(..4) != 0 {
        let to = [
            "http://127.0.0.1:1/elsewhere?token=t",
            "/v2/x",
            "::garbage::",
        ];
        headers.push(("Location".into(), to[rng.usize(..to.len())].into()));
    }
    let mut body = match rng.u8(..6) {
        0 => {
            // An error body, possibly echoing the keys.
            let msg = match rng.u8(..3) {
                0 => format!("APCA-API-KEY-ID: {KEY} APCA-API-SECRET-KEY: {SECRET}"),
                1 => "order not found".to_owned(),
                _ => String::new(),
            };
            let code = ["40410000", "\"40010001\"", "-1", "1e300", "null", "\"x\""];
            format!(
                "{{\"code\": {}, \"message\": {}}}",
                code[rng.usize(..code.len())],
                serde_json::to_string(&msg).unwrap()
            )
            .into_bytes()
        }
        1 => format!("<html><pre>{KEY}\n{SECRET}</pre></html>").into_bytes(),
        _ => mutated(rng, fixture),
    };
    if rng.u8(..10) == 0 {
        mutate_bytes(rng, &mut body);
    }
    Canned {
        status,
        headers,
        body,
        cut_off: rng.u8(..12) == 0,
    }
}

#[tokio::test]
async fn every_endpoint_survives_hostile_answers() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let shared: Shared = Arc::default();
    tokio::spawn(serve(listener, shared.clone()));
    let client = Client::builder()
        .credentials(KEY, SECRET)
        .trading_base_url(&base)
        .data_base_url(&base)
        .rate_limit(RateLimit::UNLIMITED)
        .data_rate_limit(RateLimit::UNLIMITED)
        .retry_policy(RetryPolicy {
            max_retries: 1,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        })
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut rng = rng("http");
    let endpoints = endpoints();
    let fixtures: Vec<Value> = endpoints.iter().map(|(b, _)| b.json()).collect();
    let (mut ok, mut failed) = (0u64, 0u64);
    for case in 0..cases(4) * endpoints.len() as u64 {
        let i = (case as usize) % endpoints.len();
        let answer = canned(&mut rng, &fixtures[i]);
        *shared.lock().unwrap() = answer.clone();
        let outcome = tokio::spawn((endpoints[i].1)(client.clone())).await;
        let context = || {
            format!(
                "http case {case} ({:?}), seed {}: status {} headers {:?} body {:?}",
                endpoints[i].0,
                crate::seed(),
                answer.status,
                answer.headers,
                Shown(&answer.body)
            )
        };
        match outcome {
            Err(join) => panic!("{}: {join}", context()),
            Ok(Ok(_)) => ok += 1,
            Ok(Err(e)) => {
                failed += 1;
                let text = format!("{e} {e:?}");
                assert!(
                    !text.contains(SECRET),
                    "{}: the secret leaked: {text}",
                    context()
                );
            }
        }
    }
    assert!(ok > 0 && failed > 0, "ok {ok}, failed {failed}");
}
