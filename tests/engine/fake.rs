//! A stateful fake Alpaca on wiremock: orders placed by POST are kept and served back by id
//! and by client order id, positions follow the fills, a reused client order id gets Alpaca's
//! 422, and chosen submits can fail with a 5xx before or after the order is accepted. Every
//! route is an ordinary wiremock mock, and the common catch-all fails the test on anything else.

use crate::common;
use alpaca_exec::broker::AlpacaBroker;
use alpaca_exec::{Client, OccSymbol};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use std::collections::{BTreeMap, VecDeque};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The fake's clock: Monday 4 March 2024, 10:30 New York.
pub const NOW: &str = "2024-03-04T10:30:00-05:00";

/// How the next POST /v2/orders behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submit {
    /// Accept (the default when the plan is empty).
    Accept,
    /// Accept the order, then answer 500 (the order exists; the client cannot know).
    AcceptThen500,
    /// Answer 500 without accepting.
    Refuse500,
}

/// One contract of the fake chain.
#[derive(Debug, Clone)]
pub struct Contract {
    pub symbol: &'static str,
    pub bid: Decimal,
    pub ask: Decimal,
    pub delta: f64,
    pub open_interest: u64,
}

#[derive(Debug)]
pub struct State {
    pub is_open: bool,
    pub equity: Decimal,
    pub last_equity: Decimal,
    pub buying_power: Decimal,
    /// Fill market orders immediately at the quote (else they stay `new`).
    pub fill_on_submit: bool,
    pub submit_plan: VecDeque<Submit>,
    pub orders: Vec<Value>,
    /// Stock and option quotes by symbol: (bid, ask).
    pub quotes: BTreeMap<String, (Decimal, Decimal)>,
    pub chain: Vec<Contract>,
    /// Symbols whose orders Alpaca refuses with a 403.
    pub reject: Vec<String>,
    /// Non-trade account activities (option expiry, exercise, assignment, deliveries), served
    /// after the fills of the orders.
    pub activities: Vec<Value>,
    /// Position changes no order explains (an expiry, an exercise, a delivery): symbol and
    /// signed quantity, added to what the orders hold.
    pub adjustments: Vec<(String, Decimal)>,
    next_id: u64,
}

impl Default for State {
    fn default() -> Self {
        Self {
            is_open: true,
            equity: dec!(100000),
            last_equity: dec!(100000),
            buying_power: dec!(200000),
            fill_on_submit: true,
            submit_plan: VecDeque::new(),
            orders: Vec::new(),
            quotes: BTreeMap::new(),
            chain: Vec::new(),
            reject: Vec::new(),
            activities: Vec::new(),
            adjustments: Vec::new(),
            next_id: 1,
        }
    }
}

fn s(d: Decimal) -> String {
    d.normalize().to_string()
}

fn dec_of(v: &Value) -> Decimal {
    match v {
        Value::String(s) => Decimal::from_str(s).unwrap_or_default(),
        Value::Number(n) => Decimal::from_str(&n.to_string()).unwrap_or_default(),
        _ => Decimal::ZERO,
    }
}

fn order_json(
    id: &str,
    body: &Value,
    status: &str,
    filled: Decimal,
    avg: Option<Decimal>,
) -> Value {
    let symbol = body["symbol"].as_str().unwrap_or_default();
    json!({
        "id": id,
        "client_order_id": body["client_order_id"],
        "created_at": "2024-03-04T15:30:00Z",
        "updated_at": "2024-03-04T15:30:00Z",
        "submitted_at": "2024-03-04T15:30:00Z",
        "symbol": symbol,
        "asset_class": if OccSymbol::looks_like(symbol) { "us_option" } else { "us_equity" },
        "qty": body["qty"],
        "filled_qty": s(filled),
        "filled_avg_price": avg.map(s),
        "order_class": "",
        "type": body["type"],
        "side": body["side"],
        "time_in_force": body["time_in_force"],
        "limit_price": body.get("limit_price").cloned().unwrap_or(Value::Null),
        "position_intent": body.get("position_intent").cloned().unwrap_or(Value::Null),
        "status": status,
        "extended_hours": false,
        "legs": null
    })
}

impl State {
    fn mid(&self, symbol: &str) -> Option<Decimal> {
        self.quotes.get(symbol).map(|(b, a)| (b + a) / Decimal::TWO)
    }

    fn submit(&mut self, body: Value) -> ResponseTemplate {
        let cid = body["client_order_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let mode = self.submit_plan.pop_front().unwrap_or(Submit::Accept);
        if mode == Submit::Refuse500 {
            return ResponseTemplate::new(500).set_body_string("internal error");
        }
        if self
            .orders
            .iter()
            .any(|o| o["client_order_id"] == cid.as_str())
        {
            return common::duplicate_id();
        }
        if self.reject.iter().any(|r| body["symbol"] == r.as_str()) {
            return ResponseTemplate::new(403)
                .set_body_json(json!({"code": 40310000, "message": "insufficient buying power"}));
        }
        let id = format!("order-{}", self.next_id);
        self.next_id += 1;
        let symbol = body["symbol"].as_str().unwrap_or_default().to_owned();
        let order = match (self.fill_on_submit, self.mid(&symbol)) {
            (true, Some(mid)) => {
                let price = dec_of(&body["limit_price"]);
                let price = if price.is_zero() { mid } else { price };
                let qty = dec_of(&body["qty"]);
                order_json(&id, &body, "filled", qty, Some(price))
            }
            _ => order_json(&id, &body, "new", Decimal::ZERO, None),
        };
        self.orders.push(order.clone());
        match mode {
            Submit::AcceptThen500 => ResponseTemplate::new(500).set_body_string("upstream timeout"),
            _ => ResponseTemplate::new(200).set_body_json(order),
        }
    }

    /// The account activities: a `FILL` for each filled order, then the non-trade ones.
    fn activities_json(&self) -> Value {
        let fills = self
            .orders
            .iter()
            .filter(|o| !dec_of(&o["filled_qty"]).is_zero())
            .map(|o| {
                json!({
                    "id": format!("fill-{}", o["id"].as_str().unwrap_or_default()),
                    "activity_type": "FILL", "transaction_time": "2024-03-04T15:30:00Z",
                    "type": "fill", "price": o["filled_avg_price"], "qty": o["filled_qty"],
                    "side": o["side"], "symbol": o["symbol"], "leaves_qty": "0",
                    "order_id": o["id"], "cum_qty": o["filled_qty"], "order_status": "filled"
                })
            });
        Value::Array(fills.chain(self.activities.iter().cloned()).collect())
    }

    /// Net filled quantity and the average buy price, per symbol.
    fn positions(&self) -> Value {
        let mut net: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
        for (symbol, qty) in &self.adjustments {
            net.entry(symbol.clone()).or_default().0 += *qty;
        }
        for o in &self.orders {
            let filled = dec_of(&o["filled_qty"]);
            if filled.is_zero() {
                continue;
            }
            let e = net
                .entry(o["symbol"].as_str().unwrap().to_owned())
                .or_default();
            if o["side"] == "buy" {
                e.0 += filled;
                e.1 = dec_of(&o["filled_avg_price"]);
            } else {
                e.0 -= filled;
            }
        }
        Value::Array(
            net.into_iter()
                .filter(|(_, (q, _))| !q.is_zero())
                .map(|(sym, (qty, avg))| {
                    json!({
                        "asset_id": format!("asset-{sym}"), "symbol": sym,
                        "asset_class": if OccSymbol::looks_like(&sym) { "us_option" } else { "us_equity" },
                        "avg_entry_price": s(avg), "qty": s(qty),
                        "side": if qty > Decimal::ZERO { "long" } else { "short" },
                        "market_value": s(qty * avg), "current_price": s(avg)
                    })
                })
                .collect(),
        )
    }

    fn quote_json(&self, symbol: &str) -> Option<Value> {
        self.quotes.get(symbol).map(|(b, a)| {
            json!({"t": "2024-03-04T15:30:00Z", "ax": "X", "ap": a.to_string().parse::<f64>().unwrap(),
                   "as": 5, "bx": "X", "bp": b.to_string().parse::<f64>().unwrap(), "bs": 5, "c": ["R"], "z": "C"})
        })
    }

    fn trade_json(&self, symbol: &str) -> Option<Value> {
        self.mid(symbol).map(|m| {
            json!({"t": "2024-03-04T15:30:00Z", "x": "X", "p": m.to_string().parse::<f64>().unwrap(),
                   "s": 100, "c": ["@"], "i": 1, "z": "C"})
        })
    }

    fn snapshot_json(&self, symbol: &str, delta: Option<f64>) -> Value {
        json!({
            "latestQuote": self.quote_json(symbol),
            "latestTrade": self.trade_json(symbol),
            "greeks": delta.map(|d| json!({"delta": d, "gamma": 0.05, "theta": -0.1, "vega": 0.2, "rho": 0.01})),
            "impliedVolatility": 0.3
        })
    }
}

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
    pub server: MockServer,
    pub state: Arc<Mutex<State>>,
}

impl Fake {
    /// A fake with every route mounted on a fresh server.
    pub async fn start() -> Self {
        Self::on(common::server().await).await
    }

    /// Mounts the routes on an existing server.
    pub async fn on(server: MockServer) -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let f = Fake { server, state };
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
            st.orders
                .iter()
                .find(|o| o["client_order_id"] == cid.as_str())
                .map_or_else(not_found, |o| ok(o.clone()))
        })
        .await;
        f.route("GET", path_regex(r"^/v2/orders/[^/:]+$"), |st, req| {
            let id = req.url.path().rsplit('/').next().unwrap_or_default();
            st.orders
                .iter()
                .find(|o| o["id"] == id)
                .map_or_else(not_found, |o| ok(o.clone()))
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

    pub fn client(&self) -> Client {
        common::client(&self.server)
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
        self.with(|st| {
            let o = st
                .orders
                .iter_mut()
                .find(|o| o["client_order_id"] == cid)
                .expect("order to fill");
            o["filled_qty"] = json!(s(filled));
            o["filled_avg_price"] = json!(s(avg));
            o["status"] = json!(status);
        });
    }

    /// Order POSTs the server received.
    pub async fn posts(&self) -> usize {
        common::received(&self.server, "POST", "/v2/orders")
            .await
            .len()
    }
}
