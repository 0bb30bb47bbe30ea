//! A stateful fake Alpaca: orders placed by POST are kept and served back by id and by client
//! order id, positions follow the fills, a reused client order id gets Alpaca's 422, lookups can
//! lag acceptance ([`Lag`]), and chosen submits can fail with a 5xx before or after the order is
//! accepted ([`Submit`]). Every route is an ordinary wiremock mock, and the common catch-all
//! fails the test on anything else.
//!
//! Clients reach the fake through a [fault proxy](proxy) that injects transport faults by a
//! [`FaultPlan`] (resets, stalls, cut bodies, 429s, redirects, a killed client): with an empty
//! plan it passes everything through unchanged.

// The engine tests and the signal daemon's tests each use a part of the fake.
#![allow(dead_code, unused_imports)]

mod faults;
mod proxy;
mod state;

pub use faults::{Fault, FaultPlan, Target, When};
pub use proxy::{kill, signal};
pub use state::{Contract, FillEvent, Lag, NOW, State, Submit, dec_of, net_qty};

use crate::common;
use alpaca_exec::broker::AlpacaBroker;
use alpaca_exec::{Client, OccSymbol, RateLimit, RetryPolicy};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use state::s;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn query(req: &Request, key: &str) -> Option<String> {
    req.url
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// A route handler over the shared state.
struct Route<F>(Arc<Mutex<State>>, F);

impl<F> Respond for Route<F>
where
    F: Fn(&mut State, &Request) -> ResponseTemplate + Send + Sync + 'static,
{
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut st = self.0.lock().unwrap();
        (self.1)(&mut st, req)
    }
}

fn ok(v: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(v)
}

fn not_found() -> ResponseTemplate {
    ResponseTemplate::new(404)
        .set_body_json(json!({"code": 40410000, "message": "order not found"}))
}

pub struct Fake {
    /// The fake itself (mount extra mocks here; requests counted here reached "Alpaca").
    pub server: MockServer,
    pub state: Arc<Mutex<State>>,
    /// The transport faults between clients and the fake.
    pub plan: Arc<Mutex<FaultPlan>>,
    /// Another host, where a redirect may point; it must never see a request.
    pub elsewhere: MockServer,
    /// The proxy's base URI: what clients are pointed at.
    pub uri: String,
}

impl Fake {
    /// A fake with every route mounted on a fresh server.
    pub async fn start() -> Self {
        Self::on(common::server().await).await
    }

    /// Mounts the routes on an existing server.
    pub async fn on(server: MockServer) -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let plan = Arc::new(Mutex::new(FaultPlan::default()));
        let elsewhere = MockServer::start().await;
        let uri = proxy::start(*server.address(), elsewhere.uri(), plan.clone()).await;
        let f = Fake {
            server,
            state,
            plan,
            elsewhere,
            uri,
        };
        f.route("GET", path("/v2/clock"), |st, _| {
            ok(json!({"timestamp": NOW, "is_open": st.is_open,
                      "next_open": "2024-03-05T09:30:00-05:00", "next_close": "2024-03-04T16:00:00-05:00"}))
        })
        .await;
        f.route("GET", path("/v2/account"), |st, _| {
            ok(json!({"id": "acct-1", "status": "ACTIVE", "currency": "USD",
                      "cash": s(st.buying_power), "equity": s(st.equity), "last_equity": s(st.last_equity),
                      "buying_power": s(st.buying_power), "options_buying_power": s(st.buying_power)}))
        })
        .await;
        f.route("GET", path("/v2/positions"), |st, _| ok(st.positions()))
            .await;
        // What the engine asks for: every position-changing type, oldest first, full pages.
        f.route("GET", path("/v2/account/activities"), |st, req| {
            let wanted = query(req, "activity_types").as_deref()
                == Some("FILL,OPEXP,OPEXC,OPASN,OPCSH,OPTRD")
                && query(req, "direction").as_deref() == Some("asc")
                && query(req, "page_size").as_deref() == Some("100")
                && query(req, "after").is_some();
            if wanted {
                ok(st.activities_json())
            } else {
                ResponseTemplate::new(400)
                    .set_body_json(json!({"code": 40010000, "message": "unexpected query"}))
            }
        })
        .await;
        f.route("POST", path("/v2/orders"), |st, req| {
            st.submit(serde_json::from_slice(&req.body).expect("order body is JSON"))
        })
        .await;
        f.route("GET", path("/v2/orders:by_client_order_id"), |st, req| {
            let cid = query(req, "client_order_id").unwrap_or_default();
            st.lookup(|o| o["client_order_id"] == cid.as_str())
                .map_or_else(not_found, ok)
        })
        .await;
        f.route("GET", path_regex(r"^/v2/orders/[^/:]+$"), |st, req| {
            let id = req.url.path().rsplit('/').next().unwrap_or_default();
            st.lookup(|o| o["id"] == id).map_or_else(not_found, ok)
        })
        .await;
        f.route("GET", path("/v2/stocks/quotes/latest"), |st, req| {
            let sym = query(req, "symbols").unwrap_or_default();
            ok(json!({"quotes": {sym.clone(): st.quote_json(&sym)}}))
        })
        .await;
        f.route("GET", path("/v2/stocks/trades/latest"), |st, req| {
            let sym = query(req, "symbols").unwrap_or_default();
            ok(json!({"trades": {sym.clone(): st.trade_json(&sym)}}))
        })
        .await;
        f.route("GET", path("/v1beta1/options/snapshots"), |st, req| {
            let sym = query(req, "symbols").unwrap_or_default();
            ok(json!({"snapshots": {sym.clone(): st.snapshot_json(&sym, None)}, "next_page_token": null}))
        })
        .await;
        f.route(
            "GET",
            path_regex(r"^/v1beta1/options/snapshots/[A-Z]+$"),
            |st, _| {
                let snaps: serde_json::Map<String, Value> = st
                    .chain
                    .iter()
                    .map(|c| {
                        (
                            c.symbol.to_owned(),
                            st.snapshot_json(c.symbol, Some(c.delta)),
                        )
                    })
                    .collect();
                ok(json!({"snapshots": snaps, "next_page_token": null}))
            },
        )
        .await;
        f.route("GET", path("/v2/options/contracts"), |st, _| {
            let contracts: Vec<Value> = st
                .chain
                .iter()
                .map(|c| {
                    let occ = OccSymbol::parse(c.symbol).unwrap();
                    json!({"id": format!("id-{}", c.symbol), "symbol": c.symbol, "name": c.symbol,
                           "status": "active", "tradable": true,
                           "expiration_date": occ.expiration().to_string(), "root_symbol": occ.root(),
                           "underlying_symbol": occ.root(), "type": occ.option_type().as_str(),
                           "style": "american", "strike_price": occ.strike().to_string(),
                           "multiplier": "100", "size": "100",
                           "open_interest": c.open_interest.to_string()})
                })
                .collect();
            ok(json!({"option_contracts": contracts, "next_page_token": null}))
        })
        .await;
        f
    }

    async fn route<F>(&self, verb: &str, m: impl wiremock::Match + 'static, f: F) -> &Self
    where
        F: Fn(&mut State, &Request) -> ResponseTemplate + Send + Sync + 'static,
    {
        Mock::given(method(verb))
            .and(m)
            .respond_with(Route(self.state.clone(), f))
            .mount(&self.server)
            .await;
        self
    }

    /// A client through the proxy, with fast retries, no rate limit and a timeout shorter than
    /// [`FaultPlan::stall`].
    pub fn client(&self) -> Client {
        client_for(&self.uri, Duration::from_secs(1))
    }

    /// Shortens the client timeout to `timeout` (and the stalls to twice that), for runs that
    /// meet many stalls.
    pub fn quick_timeouts(&self, timeout: Duration) -> Client {
        self.faults(|p| p.stall = timeout * 2);
        client_for(&self.uri, timeout)
    }

    pub fn broker(&self) -> Arc<AlpacaBroker> {
        Arc::new(AlpacaBroker::new(self.client()))
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.state.lock().unwrap())
    }

    pub fn quote(&self, symbol: &str, bid: Decimal, ask: Decimal) {
        self.with(|st| st.quotes.insert(symbol.to_owned(), (bid, ask)));
    }

    /// Orders at the fake, as Alpaca would list them.
    pub fn orders(&self) -> Vec<Value> {
        self.with(|st| st.orders.clone())
    }

    /// Fills an order (by client order id) to `filled` at average `avg`, with `status`.
    pub fn fill(&self, cid: &str, filled: Decimal, avg: Decimal, status: &str) {
        self.with(|st| st.fill(cid, filled, avg, status));
    }

    /// Changes the fault plan.
    pub fn faults<R>(&self, f: impl FnOnce(&mut FaultPlan) -> R) -> R {
        f(&mut self.plan.lock().unwrap())
    }

    /// Requests the other host received (a leak if any).
    pub async fn elsewhere_requests(&self) -> Vec<Request> {
        self.elsewhere.received_requests().await.unwrap_or_default()
    }

    /// Order POSTs the server received.
    pub async fn posts(&self) -> usize {
        common::received(&self.server, "POST", "/v2/orders")
            .await
            .len()
    }
}

/// A client for `uri` (the proxy of a fake, possibly in another process) with fast retries,
/// no client-side rate limit and `timeout` (stalls are longer).
pub fn client_for(uri: &str, timeout: Duration) -> Client {
    client_as(uri, timeout, "alpaca-exec-tests")
}

/// [`client_for`] with its own `User-Agent`, so the proxy can tell clients apart.
pub fn client_as(uri: &str, timeout: Duration, user_agent: &str) -> Client {
    Client::builder()
        .user_agent(user_agent)
        .credentials(common::KEY, common::SECRET)
        .trading_base_url(uri)
        .data_base_url(uri)
        .retry_policy(RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(200),
        })
        .rate_limit(RateLimit::UNLIMITED)
        .timeout(timeout)
        .build()
        .expect("client for the fake")
}
