//! The fake's account: orders (kept as Alpaca's JSON), the positions their fills make, quotes,
//! an option chain, and the lag between accepting an order and showing it to lookups.

use crate::common;
use alpaca_exec::OccSymbol;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use std::collections::{BTreeMap, VecDeque};
use std::str::FromStr;
use std::time::{Duration, Instant};
use wiremock::ResponseTemplate;

/// The fake's clock: Monday 4 March 2024, 10:30 New York.
pub const NOW: &str = "2024-03-04T10:30:00-05:00";

/// How the next POST /v2/orders behaves (the fault plan covers the transport; this is what
/// "Alpaca" itself does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submit {
    /// Accept (the default when the plan is empty).
    Accept,
    /// Accept the order, then answer 500 (the order exists; the client cannot know).
    AcceptThen500,
    /// Answer 500 without accepting.
    Refuse500,
}

/// How long a new order stays invisible to lookups (by id, by client order id, in listings)
/// after Alpaca accepted it. Fills and positions are not delayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lag {
    /// The next `n` lookups of it answer 404.
    Lookups(u32),
    /// Lookups answer 404 for this long after acceptance.
    For(Duration),
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

/// One fill the fake executed: `(client order id, quantity, price)`.
pub type FillEvent = (String, Decimal, Decimal);

#[derive(Debug, Clone, Copy)]
struct Hidden {
    lookups_left: u32,
    until: Instant,
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
    /// Every fill, oldest first.
    pub fills: Vec<FillEvent>,
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
    /// Lookup lag of orders accepted from now on.
    pub lag: Option<Lag>,
    /// Lookups answered 404 because of the lag.
    pub lagged_lookups: u64,
    hidden: BTreeMap<String, Hidden>,
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
            fills: Vec::new(),
            quotes: BTreeMap::new(),
            chain: Vec::new(),
            reject: Vec::new(),
            activities: Vec::new(),
            adjustments: Vec::new(),
            lag: None,
            lagged_lookups: 0,
            hidden: BTreeMap::new(),
            next_id: 1,
        }
    }
}

pub fn s(d: Decimal) -> String {
    d.normalize().to_string()
}

pub fn dec_of(v: &Value) -> Decimal {
    match v {
        Value::String(s) => Decimal::from_str(s).unwrap_or_default(),
        Value::Number(n) => Decimal::from_str(&n.to_string()).unwrap_or_default(),
        _ => Decimal::ZERO,
    }
}

/// Net quantity of `symbol` the fills of `orders` hold.
pub fn net_qty(orders: &[Value], symbol: &str) -> Decimal {
    orders
        .iter()
        .filter(|o| o["symbol"] == symbol)
        .map(|o| {
            let q = dec_of(&o["filled_qty"]);
            if o["side"] == "buy" { q } else { -q }
        })
        .fold(Decimal::ZERO, |a, b| {
            a.checked_add(b).unwrap_or(Decimal::MAX)
        })
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
    pub fn mid(&self, symbol: &str) -> Option<Decimal> {
        self.quotes.get(symbol).map(|(b, a)| (b + a) / Decimal::TWO)
    }

    pub fn submit(&mut self, body: Value) -> ResponseTemplate {
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
                self.fills.push((cid, qty, price));
                order_json(&id, &body, "filled", qty, Some(price))
            }
            _ => order_json(&id, &body, "new", Decimal::ZERO, None),
        };
        if let Some(lag) = self.lag {
            let (lookups_left, until) = match lag {
                Lag::Lookups(n) => (n, Instant::now()),
                Lag::For(d) => (0, Instant::now() + d),
            };
            self.hidden.insert(
                id.clone(),
                Hidden {
                    lookups_left,
                    until,
                },
            );
        }
        self.orders.push(order.clone());
        match mode {
            Submit::AcceptThen500 => ResponseTemplate::new(500).set_body_string("upstream timeout"),
            _ => ResponseTemplate::new(200).set_body_json(order),
        }
    }

    /// The order a lookup finds, unless it does not exist or is still hidden by the lag (each
    /// hidden answer uses up one of its hidden lookups).
    pub fn lookup(&mut self, found: impl Fn(&Value) -> bool) -> Option<Value> {
        let order = self.orders.iter().find(|o| found(o))?.clone();
        let id = order["id"].as_str().unwrap_or_default().to_owned();
        if let Some(h) = self.hidden.get_mut(&id) {
            if h.lookups_left > 0 || Instant::now() < h.until {
                h.lookups_left = h.lookups_left.saturating_sub(1);
                self.lagged_lookups += 1;
                return None;
            }
            self.hidden.remove(&id);
        }
        Some(order)
    }

    /// Ends the lag: every order shows from now on, and new ones show at once.
    pub fn reveal(&mut self) {
        self.lag = None;
        self.hidden.clear();
    }

    /// Fills an order (by client order id) to cumulative `filled` at average `avg`, with
    /// `status`, recording the increment as a fill.
    pub fn fill(&mut self, cid: &str, filled: Decimal, avg: Decimal, status: &str) {
        let o = self
            .orders
            .iter_mut()
            .find(|o| o["client_order_id"] == cid)
            .expect("order to fill");
        let before = dec_of(&o["filled_qty"]);
        o["filled_qty"] = json!(s(filled));
        o["filled_avg_price"] = json!(s(avg));
        o["status"] = json!(status);
        if filled > before {
            self.fills.push((cid.to_owned(), filled - before, avg));
        }
    }

    /// The account activities: a `FILL` for each filled order, then the non-trade ones.
    pub fn activities_json(&self) -> Value {
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
    pub fn positions(&self) -> Value {
        let mut net: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
        for (symbol, qty) in &self.adjustments {
            let e = net.entry(symbol.clone()).or_default();
            e.0 = e.0.checked_add(*qty).unwrap_or(Decimal::MAX);
        }
        for o in &self.orders {
            let filled = dec_of(&o["filled_qty"]);
            if filled.is_zero() {
                continue;
            }
            let e = net
                .entry(o["symbol"].as_str().unwrap().to_owned())
                .or_default();
            // Tests feed the fake absurd figures on purpose: it must not panic on them.
            if o["side"] == "buy" {
                e.0 = e.0.checked_add(filled).unwrap_or(Decimal::MAX);
                e.1 = dec_of(&o["filled_avg_price"]);
            } else {
                e.0 = e.0.checked_sub(filled).unwrap_or(Decimal::MIN);
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
                        "market_value": qty.checked_mul(avg).map(s), "current_price": s(avg)
                    })
                })
                .collect(),
        )
    }

    pub fn quote_json(&self, symbol: &str) -> Option<Value> {
        self.quotes.get(symbol).map(|(b, a)| {
            json!({"t": "2024-03-04T15:30:00Z", "ax": "X", "ap": a.to_string().parse::<f64>().unwrap(),
                   "as": 5, "bx": "X", "bp": b.to_string().parse::<f64>().unwrap(), "bs": 5, "c": ["R"], "z": "C"})
        })
    }

    pub fn trade_json(&self, symbol: &str) -> Option<Value> {
        self.mid(symbol).map(|m| {
            json!({"t": "2024-03-04T15:30:00Z", "x": "X", "p": m.to_string().parse::<f64>().unwrap(),
                   "s": 100, "c": ["@"], "i": 1, "z": "C"})
        })
    }

    pub fn snapshot_json(&self, symbol: &str, delta: Option<f64>) -> Value {
        json!({
            "latestQuote": self.quote_json(symbol),
            "latestTrade": self.trade_json(symbol),
            "greeks": delta.map(|d| json!({"delta": d, "gamma": 0.05, "theta": -0.1, "vega": 0.2, "rho": 0.01})),
            "impliedVolatility": 0.3
        })
    }
}
