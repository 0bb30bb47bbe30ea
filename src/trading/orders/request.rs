//! Order requests, built fluently and validated before anything is sent.
//!
//! Every rule here mirrors a rejection Alpaca would otherwise return after a round trip (see the
//! `POST /v2/orders` description in Alpaca's OpenAPI file): qty xor notional, notional and
//! fractional quantities only for market day orders, extended hours only for limit day orders,
//! whole-contract option orders without notional or extended hours, and the multi-leg rules
//! (2-4 distinct legs on one underlying, ratios in lowest terms, market or limit only). The
//! rules on single values (symbol shape, price increments, quantity precision and bounds,
//! `client_order_id`) live in `rules.rs`. Refusing early gives a clear message and spends no
//! rate-limit budget.

use super::model::{OrderClass, OrderType, TimeInForce};
use super::rules::{
    OrderSymbol, Tick, check_client_order_id, check_net_price, check_notional, check_price,
    check_qty, invalid, order_symbol, positive,
};
use crate::error::Result;
use crate::options::OccSymbol;
use crate::trading::common::{OrderSide, PositionIntent};
use crate::wire::decimal_str;
use rust_decimal::Decimal;
use serde::Serialize;

/// How much to trade: a quantity or a dollar amount, never both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qty {
    /// Shares (may be fractional for market day orders) or, for options, whole contracts.
    Shares(Decimal),
    /// A dollar amount (equities, market day orders only).
    Notional(Decimal),
}

impl Qty {
    /// A whole number of option contracts (or shares).
    pub fn contracts(n: u32) -> Self {
        Qty::Shares(Decimal::from(n))
    }
}

/// How far a trailing stop trails the price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trail {
    /// A dollar amount.
    Price(Decimal),
    /// A percentage of the high-water mark (e.g. `1.5` for 1.5%).
    Percent(Decimal),
}

/// The order type with the prices it needs, so a limit order without a limit price cannot be
/// expressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderKind {
    /// Market.
    Market,
    /// Limit at this price.
    Limit(Decimal),
    /// Stop (market once the stop price trades).
    Stop(Decimal),
    /// Stop-limit.
    StopLimit {
        /// Trigger.
        stop: Decimal,
        /// Limit once triggered.
        limit: Decimal,
    },
    /// Trailing stop.
    TrailingStop(Trail),
}

/// The stop-loss exit of a bracket, OCO or OTO order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StopLoss {
    /// Stop trigger.
    pub stop_price: Decimal,
    /// Optional limit (a stop-limit exit).
    pub limit_price: Option<Decimal>,
}

/// One leg of a multi-leg options order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leg {
    /// The option contract.
    pub symbol: OccSymbol,
    /// Buy or sell.
    pub side: OrderSide,
    /// Ratio to the other legs (legs' ratios must be in lowest terms).
    pub ratio_qty: u32,
    /// Open or close; recommended.
    pub position_intent: Option<PositionIntent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct TakeProfitWire {
    #[serde(serialize_with = "decimal_str::req")]
    limit_price: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct StopLossWire {
    #[serde(serialize_with = "decimal_str::req")]
    stop_price: Decimal,
    #[serde(
        serialize_with = "decimal_str::opt",
        skip_serializing_if = "Option::is_none"
    )]
    limit_price: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct LegWire {
    symbol: String,
    ratio_qty: String,
    side: OrderSide,
    #[serde(skip_serializing_if = "Option::is_none")]
    position_intent: Option<PositionIntent>,
}

/// A validated order, ready for `POST /v2/orders`. Built only through [`OrderBuilder`] or
/// [`MultiLegBuilder`], so every value of this type passed the checks.
///
/// It always carries a `client_order_id` (generated when not given), so its outcome can be
/// looked up after a timeout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    symbol: Option<String>,
    #[serde(
        serialize_with = "decimal_str::opt",
        skip_serializing_if = "Option::is_none"
    )]
    qty: Option<Decimal>,
    #[serde(
        serialize_with = "decimal_str::opt",
        skip_serializing_if = "Option::is_none"
    )]
    notional: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    side: Option<OrderSide>,
    #[serde(rename = "type")]
    order_type: OrderType,
    time_in_force: TimeInForce,
    #[serde(
        serialize_with = "decimal_str::opt",
        skip_serializing_if = "Option::is_none"
    )]
    limit_price: Option<Decimal>,
    #[serde(
        serialize_with = "decimal_str::opt",
        skip_serializing_if = "Option::is_none"
    )]
    stop_price: Option<Decimal>,
    #[serde(
        serialize_with = "decimal_str::opt",
        skip_serializing_if = "Option::is_none"
    )]
    trail_price: Option<Decimal>,
    #[serde(
        serialize_with = "decimal_str::opt",
        skip_serializing_if = "Option::is_none"
    )]
    trail_percent: Option<Decimal>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    extended_hours: bool,
    client_order_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    order_class: Option<OrderClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    take_profit: Option<TakeProfitWire>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stop_loss: Option<StopLossWire>,
    #[serde(skip_serializing_if = "Option::is_none")]
    position_intent: Option<PositionIntent>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    legs: Vec<LegWire>,
}

impl OrderRequest {
    /// Starts an order for a stock symbol or an OCC option symbol (options are recognised by
    /// their symbol). Market, day, simple unless changed.
    pub fn builder(symbol: impl Into<String>, side: OrderSide, qty: Qty) -> OrderBuilder {
        OrderBuilder {
            symbol: symbol.into(),
            side,
            qty,
            kind: OrderKind::Market,
            time_in_force: TimeInForce::Day,
            extended_hours: false,
            client_order_id: None,
            order_class: None,
            take_profit: None,
            stop_loss: None,
            position_intent: None,
        }
    }

    /// A market order.
    pub fn market(symbol: impl Into<String>, side: OrderSide, qty: Qty) -> OrderBuilder {
        Self::builder(symbol, side, qty)
    }

    /// A limit order.
    pub fn limit(
        symbol: impl Into<String>,
        side: OrderSide,
        qty: Qty,
        limit_price: Decimal,
    ) -> OrderBuilder {
        Self::builder(symbol, side, qty).kind(OrderKind::Limit(limit_price))
    }

    /// A single-leg option order for whole contracts, with its position intent.
    pub fn option(
        symbol: &OccSymbol,
        side: OrderSide,
        contracts: u32,
        intent: PositionIntent,
    ) -> OrderBuilder {
        Self::builder(symbol.to_string(), side, Qty::contracts(contracts)).position_intent(intent)
    }

    /// A multi-leg options order for `qty` strategy units.
    pub fn multi_leg(qty: u32) -> MultiLegBuilder {
        MultiLegBuilder {
            qty,
            legs: Vec::new(),
            limit_price: None,
            time_in_force: TimeInForce::Day,
            client_order_id: None,
        }
    }

    /// The idempotency key sent with the order.
    pub fn client_order_id(&self) -> &str {
        &self.client_order_id
    }

    /// The symbol (`None` for multi-leg orders).
    pub fn symbol(&self) -> Option<&str> {
        self.symbol.as_deref()
    }

    /// The order type.
    pub fn order_type(&self) -> &OrderType {
        &self.order_type
    }

    /// The side (`None` for multi-leg orders).
    pub fn side(&self) -> Option<&OrderSide> {
        self.side.as_ref()
    }

    /// The quantity, if given by quantity.
    pub fn qty(&self) -> Option<Decimal> {
        self.qty
    }

    /// The dollar amount, if notional.
    pub fn notional(&self) -> Option<Decimal> {
        self.notional
    }

    /// The limit price (net price for multi-leg).
    pub fn limit_price(&self) -> Option<Decimal> {
        self.limit_price
    }

    /// The order class, if not simple.
    pub fn order_class(&self) -> Option<&OrderClass> {
        self.order_class.as_ref()
    }

    /// The stop price (stop and stop-limit orders).
    pub fn stop_price(&self) -> Option<Decimal> {
        self.stop_price
    }

    /// The trail, for trailing stops.
    pub fn trail(&self) -> Option<Trail> {
        self.trail_price
            .map(Trail::Price)
            .or(self.trail_percent.map(Trail::Percent))
    }

    /// Time in force.
    pub fn time_in_force(&self) -> &TimeInForce {
        &self.time_in_force
    }

    /// Whether the order may fill in extended hours.
    pub fn extended_hours(&self) -> bool {
        self.extended_hours
    }

    /// The take-profit exit's limit price (bracket, OCO, OTO).
    pub fn take_profit(&self) -> Option<Decimal> {
        self.take_profit.as_ref().map(|t| t.limit_price)
    }

    /// The stop-loss exit (bracket, OCO, OTO).
    pub fn stop_loss(&self) -> Option<StopLoss> {
        self.stop_loss.as_ref().map(|s| StopLoss {
            stop_price: s.stop_price,
            limit_price: s.limit_price,
        })
    }

    /// The position intent, if given.
    pub fn position_intent(&self) -> Option<&PositionIntent> {
        self.position_intent.as_ref()
    }

    /// Multi-leg legs as `(symbol, side, ratio)`; empty for single-symbol orders.
    pub fn legs(&self) -> Vec<(&str, &OrderSide, u32)> {
        self.legs
            .iter()
            .map(|l| (l.symbol.as_str(), &l.side, l.ratio_qty.parse().unwrap_or(1)))
            .collect()
    }
}

/// Builds a single-symbol order (equity or single-leg option). See [`OrderRequest::builder`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "call .build() or .send(&client)"]
pub struct OrderBuilder {
    symbol: String,
    side: OrderSide,
    qty: Qty,
    kind: OrderKind,
    time_in_force: TimeInForce,
    extended_hours: bool,
    client_order_id: Option<String>,
    order_class: Option<OrderClass>,
    take_profit: Option<Decimal>,
    stop_loss: Option<StopLoss>,
    position_intent: Option<PositionIntent>,
}

/// A fresh random id: `ax-` and 32 hex digits (128 bits).
fn generate_client_order_id() -> String {
    format!("ax-{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

impl OrderBuilder {
    /// Sets the order type and its prices.
    pub fn kind(mut self, kind: OrderKind) -> Self {
        self.kind = kind;
        self
    }

    /// Market order (the default).
    pub fn market(self) -> Self {
        self.kind(OrderKind::Market)
    }

    /// Limit order at `price`.
    pub fn limit_price(self, price: Decimal) -> Self {
        self.kind(OrderKind::Limit(price))
    }

    /// Stop order at `price`.
    pub fn stop_price(self, price: Decimal) -> Self {
        self.kind(OrderKind::Stop(price))
    }

    /// Stop-limit order.
    pub fn stop_limit(self, stop: Decimal, limit: Decimal) -> Self {
        self.kind(OrderKind::StopLimit { stop, limit })
    }

    /// Trailing stop order.
    pub fn trailing_stop(self, trail: Trail) -> Self {
        self.kind(OrderKind::TrailingStop(trail))
    }

    /// Time in force (default `day`).
    pub fn time_in_force(mut self, tif: TimeInForce) -> Self {
        self.time_in_force = tif;
        self
    }

    /// Eligible for pre- and after-market (limit day equity orders only).
    pub fn extended_hours(mut self, yes: bool) -> Self {
        self.extended_hours = yes;
        self
    }

    /// The idempotency key (at most 128 characters). Generated if not set.
    pub fn client_order_id(mut self, id: impl Into<String>) -> Self {
        self.client_order_id = Some(id.into());
        self
    }

    /// Order class. Inferred when not set: bracket with both exits, OTO with one, else simple.
    pub fn order_class(mut self, class: OrderClass) -> Self {
        self.order_class = Some(class);
        self
    }

    /// Take-profit exit at this limit price.
    pub fn take_profit(mut self, limit_price: Decimal) -> Self {
        self.take_profit = Some(limit_price);
        self
    }

    /// Stop-loss exit; with `limit_price`, a stop-limit exit.
    pub fn stop_loss(mut self, stop_price: Decimal, limit_price: Option<Decimal>) -> Self {
        self.stop_loss = Some(StopLoss {
            stop_price,
            limit_price,
        });
        self
    }

    /// Position intent (options; recommended).
    pub fn position_intent(mut self, intent: PositionIntent) -> Self {
        self.position_intent = Some(intent);
        self
    }

    /// Validates and builds the request.
    pub fn build(self) -> Result<OrderRequest> {
        let (symbol, is_option) = match order_symbol(&self.symbol)? {
            OrderSymbol::Option(s) => (s, true),
            OrderSymbol::Other(s) => (s, false),
        };
        let tick = if is_option {
            Tick::Option
        } else {
            Tick::Equity
        };
        let (qty, notional) = match self.qty {
            Qty::Shares(q) => {
                check_qty("qty", q)?;
                (Some(q), None)
            }
            Qty::Notional(n) => {
                check_notional(n)?;
                (None, Some(n))
            }
        };
        let (order_type, limit_price, stop_price, trail_price, trail_percent) = match self.kind {
            OrderKind::Market => (OrderType::Market, None, None, None, None),
            OrderKind::Limit(l) => {
                check_price("limit_price", l, tick)?;
                (OrderType::Limit, Some(l), None, None, None)
            }
            OrderKind::Stop(s) => {
                check_price("stop_price", s, tick)?;
                (OrderType::Stop, None, Some(s), None, None)
            }
            OrderKind::StopLimit { stop, limit } => {
                check_price("stop_price", stop, tick)?;
                check_price("limit_price", limit, tick)?;
                (OrderType::StopLimit, Some(limit), Some(stop), None, None)
            }
            OrderKind::TrailingStop(Trail::Price(p)) => {
                check_price("trail_price", p, tick)?;
                (OrderType::TrailingStop, None, None, Some(p), None)
            }
            OrderKind::TrailingStop(Trail::Percent(p)) => {
                positive("trail_percent", p)?;
                if p >= Decimal::ONE_HUNDRED {
                    return invalid(format!("trail_percent must be below 100, got {p}"));
                }
                (OrderType::TrailingStop, None, None, None, Some(p))
            }
        };
        let tif = self.time_in_force.clone();
        let is_market_day = order_type == OrderType::Market && tif == TimeInForce::Day;

        if is_option {
            match self.qty {
                Qty::Notional(_) => {
                    return invalid("option orders cannot be notional; give whole contracts");
                }
                Qty::Shares(q) if q.fract() != Decimal::ZERO => {
                    return invalid(format!(
                        "option orders need a whole number of contracts, got {q}"
                    ));
                }
                Qty::Shares(_) => {}
            }
            if self.extended_hours {
                return invalid("option orders cannot trade in extended hours");
            }
            if order_type == OrderType::TrailingStop {
                return invalid("option orders cannot be trailing stops");
            }
            if !matches!(tif, TimeInForce::Day | TimeInForce::Gtc) {
                return invalid(format!("option orders must be day or gtc, got {tif}"));
            }
            if self.take_profit.is_some() || self.stop_loss.is_some() {
                return invalid(
                    "option orders cannot carry take-profit or stop-loss legs (bracket/oco/oto are equity only)",
                );
            }
        } else {
            if notional.is_some() && !is_market_day {
                return invalid("notional orders must be market orders with time in force day");
            }
            if let Some(q) = qty
                && q.fract() != Decimal::ZERO
                && !is_market_day
            {
                return invalid(format!(
                    "fractional qty {q} is only allowed for market orders with time in force day"
                ));
            }
            if self.extended_hours && !(order_type == OrderType::Limit && tif == TimeInForce::Day) {
                return invalid("extended_hours requires a limit order with time in force day");
            }
        }

        let class = match (&self.order_class, self.take_profit, self.stop_loss) {
            (Some(c), _, _) => c.clone(),
            (None, Some(_), Some(_)) => OrderClass::Bracket,
            (None, Some(_), None) | (None, None, Some(_)) => OrderClass::Oto,
            (None, None, None) => OrderClass::Simple,
        };
        match &class {
            OrderClass::Simple => {
                if self.take_profit.is_some() || self.stop_loss.is_some() {
                    return invalid("a simple order cannot have take_profit or stop_loss");
                }
            }
            OrderClass::Bracket | OrderClass::Oco => {
                let (Some(tp), Some(sl)) = (self.take_profit, self.stop_loss) else {
                    return invalid(format!(
                        "a {class} order needs both take_profit and stop_loss"
                    ));
                };
                check_exits(&self.side, tp, sl, &class)?;
                if class == OrderClass::Oco && order_type != OrderType::Limit {
                    return invalid("an oco order must be a limit order");
                }
                if class == OrderClass::Bracket
                    && !matches!(order_type, OrderType::Market | OrderType::Limit)
                {
                    return invalid("a bracket entry must be a market or limit order");
                }
            }
            OrderClass::Oto => {
                if self.take_profit.is_some() == self.stop_loss.is_some() {
                    return invalid("an oto order needs exactly one of take_profit or stop_loss");
                }
                if let Some(tp) = self.take_profit {
                    check_price("take_profit.limit_price", tp, Tick::Equity)?;
                }
                if let Some(sl) = self.stop_loss {
                    check_stop_loss(sl)?;
                }
            }
            OrderClass::Mleg => {
                return invalid("use OrderRequest::multi_leg for multi-leg orders");
            }
            OrderClass::Unknown(c) => return invalid(format!("unknown order class {c:?}")),
        }
        if class != OrderClass::Simple {
            if notional.is_some() {
                return invalid(format!("a {class} order cannot be notional"));
            }
            if !matches!(tif, TimeInForce::Day | TimeInForce::Gtc) {
                return invalid(format!("a {class} order must be day or gtc, got {tif}"));
            }
        }
        let client_order_id = self
            .client_order_id
            .unwrap_or_else(generate_client_order_id);
        check_client_order_id(&client_order_id)?;

        Ok(OrderRequest {
            symbol: Some(symbol),
            qty,
            notional,
            side: Some(self.side),
            order_type,
            time_in_force: tif,
            limit_price,
            stop_price,
            trail_price,
            trail_percent,
            extended_hours: self.extended_hours,
            client_order_id,
            order_class: (class != OrderClass::Simple).then_some(class),
            take_profit: self
                .take_profit
                .map(|limit_price| TakeProfitWire { limit_price }),
            stop_loss: self.stop_loss.map(|s| StopLossWire {
                stop_price: s.stop_price,
                limit_price: s.limit_price,
            }),
            position_intent: self.position_intent,
            legs: Vec::new(),
        })
    }
}

/// Exits exist only on equity orders (options cannot carry them), so equity increments apply.
fn check_stop_loss(sl: StopLoss) -> Result<()> {
    check_price("stop_loss.stop_price", sl.stop_price, Tick::Equity)?;
    if let Some(l) = sl.limit_price {
        check_price("stop_loss.limit_price", l, Tick::Equity)?;
    }
    Ok(())
}

fn check_exits(side: &OrderSide, tp: Decimal, sl: StopLoss, class: &OrderClass) -> Result<()> {
    check_price("take_profit.limit_price", tp, Tick::Equity)?;
    check_stop_loss(sl)?;
    // For a bracket, exits protect the entry side: a long's profit target sits above its stop.
    // For an OCO (itself the exit of a long, so a sell), the same geometry applies.
    let long = match (class, side) {
        (OrderClass::Oco, OrderSide::Sell) => true,
        (OrderClass::Oco, _) => false,
        (_, OrderSide::Buy) => true,
        _ => false,
    };
    if long && tp <= sl.stop_price {
        return invalid(format!(
            "take_profit {tp} must be above stop_loss {} for a long position",
            sl.stop_price
        ));
    }
    if !long && tp >= sl.stop_price {
        return invalid(format!(
            "take_profit {tp} must be below stop_loss {} for a short position",
            sl.stop_price
        ));
    }
    Ok(())
}

/// Builds a multi-leg options order (`order_class: mleg`). See [`OrderRequest::multi_leg`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "call .build() or .send(&client)"]
pub struct MultiLegBuilder {
    qty: u32,
    legs: Vec<Leg>,
    limit_price: Option<Decimal>,
    time_in_force: TimeInForce,
    client_order_id: Option<String>,
}

impl MultiLegBuilder {
    /// Adds a leg.
    pub fn leg(
        mut self,
        symbol: OccSymbol,
        side: OrderSide,
        ratio_qty: u32,
        intent: PositionIntent,
    ) -> Self {
        self.legs.push(Leg {
            symbol,
            side,
            ratio_qty,
            position_intent: Some(intent),
        });
        self
    }

    /// Adds a prepared leg.
    pub fn push_leg(mut self, leg: Leg) -> Self {
        self.legs.push(leg);
        self
    }

    /// Net limit price: positive for a debit, negative for a credit. Market if not set.
    pub fn limit_price(mut self, net: Decimal) -> Self {
        self.limit_price = Some(net);
        self
    }

    /// Time in force (default `day`).
    pub fn time_in_force(mut self, tif: TimeInForce) -> Self {
        self.time_in_force = tif;
        self
    }

    /// The idempotency key (at most 128 characters). Generated if not set.
    pub fn client_order_id(mut self, id: impl Into<String>) -> Self {
        self.client_order_id = Some(id.into());
        self
    }

    /// Validates and builds the request.
    pub fn build(self) -> Result<OrderRequest> {
        if self.qty == 0 {
            return invalid("multi-leg qty (strategy units) must be at least 1");
        }
        check_qty("qty", Decimal::from(self.qty))?;
        let n = self.legs.len();
        if !(2..=4).contains(&n) {
            return invalid(format!("a multi-leg order needs 2 to 4 legs, got {n}"));
        }
        // Alpaca's multi-leg orders are strategies on one underlying. Roots stand for it here:
        // the OCC symbol carries nothing else, so SPX and SPXW legs count as different.
        if let Some(first) = self.legs.first()
            && let Some(other) = self
                .legs
                .iter()
                .find(|l| l.symbol.root() != first.symbol.root())
        {
            return invalid(format!(
                "all legs of a multi-leg order must be on one underlying, got {} ({}) and {} ({})",
                first.symbol.root(),
                first.symbol,
                other.symbol.root(),
                other.symbol
            ));
        }
        if let Some(net) = self.limit_price {
            check_net_price("limit_price", net)?;
        }
        for (i, leg) in self.legs.iter().enumerate() {
            if leg.ratio_qty == 0 {
                return invalid(format!("leg {} ({}) has ratio 0", i + 1, leg.symbol));
            }
            if self.legs[..i].iter().any(|l| l.symbol == leg.symbol) {
                return invalid(format!("leg symbol {} appears twice", leg.symbol));
            }
        }
        let g = self.legs.iter().fold(0, |g, l| gcd(g, l.ratio_qty));
        if g != 1 {
            let ratios: Vec<String> = self.legs.iter().map(|l| l.ratio_qty.to_string()).collect();
            return invalid(format!(
                "leg ratios {} are not in lowest terms (divide by {g})",
                ratios.join(":")
            ));
        }
        if !matches!(self.time_in_force, TimeInForce::Day | TimeInForce::Gtc) {
            return invalid(format!(
                "multi-leg orders must be day or gtc, got {}",
                self.time_in_force
            ));
        }
        let client_order_id = self
            .client_order_id
            .unwrap_or_else(generate_client_order_id);
        check_client_order_id(&client_order_id)?;
        Ok(OrderRequest {
            symbol: None,
            qty: Some(Decimal::from(self.qty)),
            notional: None,
            side: None,
            order_type: if self.limit_price.is_some() {
                OrderType::Limit
            } else {
                OrderType::Market
            },
            time_in_force: self.time_in_force,
            limit_price: self.limit_price,
            stop_price: None,
            trail_price: None,
            trail_percent: None,
            extended_hours: false,
            client_order_id,
            order_class: Some(OrderClass::Mleg),
            take_profit: None,
            stop_loss: None,
            position_intent: None,
            legs: self
                .legs
                .into_iter()
                .map(|l| LegWire {
                    symbol: l.symbol.to_string(),
                    ratio_qty: l.ratio_qty.to_string(),
                    side: l.side,
                    position_intent: l.position_intent,
                })
                .collect(),
        })
    }
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// `PATCH /v2/orders/{id}`: the fields to change. Alpaca answers with a *new* order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReplaceOrder {
    /// New quantity.
    #[serde(
        serialize_with = "decimal_str::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub qty: Option<Decimal>,
    /// New time in force.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_in_force: Option<TimeInForce>,
    /// New limit price.
    #[serde(
        serialize_with = "decimal_str::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub limit_price: Option<Decimal>,
    /// New stop price.
    #[serde(
        serialize_with = "decimal_str::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub stop_price: Option<Decimal>,
    /// New trail (dollars or percent, matching the original order).
    #[serde(
        serialize_with = "decimal_str::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub trail: Option<Decimal>,
    /// A new client order id for the replacement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
}

impl ReplaceOrder {
    pub(crate) fn validate(&self) -> Result<()> {
        if self == &ReplaceOrder::default() {
            return invalid("a replace request must change at least one field");
        }
        if let Some(q) = self.qty {
            check_qty("qty", q)?;
        }
        // The order being replaced is not known here, so an option's limit gets the equity
        // increments (looser below $1.00); Alpaca refuses the rest.
        for (what, v) in [
            ("limit_price", self.limit_price),
            ("stop_price", self.stop_price),
        ] {
            if let Some(v) = v {
                check_price(what, v, Tick::Equity)?;
            }
        }
        if let Some(trail) = self.trail {
            positive("trail", trail)?;
        }
        if let Some(id) = &self.client_order_id {
            check_client_order_id(id)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::trading::orders::MAX_CLIENT_ORDER_ID_LEN;
    use rust_decimal_macros::dec;
    use serde_json::json;

    fn err(r: Result<OrderRequest>) -> String {
        match r {
            Err(Error::InvalidRequest(m)) => m,
            other => panic!("expected InvalidRequest, got {other:?}"),
        }
    }

    fn body(o: &OrderRequest) -> serde_json::Value {
        let mut v = serde_json::to_value(o).unwrap();
        v.as_object_mut().unwrap().remove("client_order_id");
        v
    }

    #[test]
    fn market_order_wire_form() {
        let o = OrderRequest::market("AAPL", OrderSide::Buy, Qty::Shares(dec!(10)))
            .client_order_id("abc")
            .build()
            .unwrap();
        assert_eq!(
            serde_json::to_value(&o).unwrap(),
            json!({"symbol":"AAPL","qty":"10","side":"buy","type":"market","time_in_force":"day","client_order_id":"abc"})
        );
    }

    #[test]
    fn generated_client_order_ids_are_unique_and_valid() {
        let a = OrderRequest::market("AAPL", OrderSide::Buy, Qty::Shares(dec!(1)))
            .build()
            .unwrap();
        let b = OrderRequest::market("AAPL", OrderSide::Buy, Qty::Shares(dec!(1)))
            .build()
            .unwrap();
        assert_ne!(a.client_order_id(), b.client_order_id());
        assert!(a.client_order_id().len() <= MAX_CLIENT_ORDER_ID_LEN);
    }

    #[test]
    fn every_order_type_sends_its_prices_as_strings() {
        let b = || OrderRequest::builder("SPY", OrderSide::Sell, Qty::Shares(dec!(2)));
        let o = b().stop_limit(dec!(99.5), dec!(99)).build().unwrap();
        assert_eq!(
            body(&o),
            json!({"symbol":"SPY","qty":"2","side":"sell","type":"stop_limit","time_in_force":"day","stop_price":"99.5","limit_price":"99"})
        );
        let o = b()
            .trailing_stop(Trail::Percent(dec!(1.5)))
            .time_in_force(TimeInForce::Gtc)
            .build()
            .unwrap();
        assert_eq!(
            body(&o),
            json!({"symbol":"SPY","qty":"2","side":"sell","type":"trailing_stop","time_in_force":"gtc","trail_percent":"1.5"})
        );
        let o = b().trailing_stop(Trail::Price(dec!(0.50))).build().unwrap();
        assert_eq!(body(&o)["trail_price"], "0.5");
        let o = b()
            .stop_price(dec!(400))
            .time_in_force(TimeInForce::Ioc)
            .build()
            .unwrap();
        assert_eq!(body(&o)["stop_price"], "400");
        assert_eq!(body(&o)["time_in_force"], "ioc");
        for tif in [TimeInForce::Opg, TimeInForce::Cls, TimeInForce::Fok] {
            let o = b()
                .limit_price(dec!(1))
                .time_in_force(tif.clone())
                .build()
                .unwrap();
            assert_eq!(body(&o)["time_in_force"], tif.as_str());
        }
    }

    #[test]
    fn bracket_oto_oco() {
        let o = OrderRequest::limit("AAPL", OrderSide::Buy, Qty::Shares(dec!(5)), dec!(100))
            .take_profit(dec!(110))
            .stop_loss(dec!(95), Some(dec!(94.5)))
            .time_in_force(TimeInForce::Gtc)
            .build()
            .unwrap();
        assert_eq!(
            body(&o),
            json!({"symbol":"AAPL","qty":"5","side":"buy","type":"limit","time_in_force":"gtc","limit_price":"100",
                   "order_class":"bracket","take_profit":{"limit_price":"110"},"stop_loss":{"stop_price":"95","limit_price":"94.5"}})
        );
        let o = OrderRequest::market("AAPL", OrderSide::Buy, Qty::Shares(dec!(5)))
            .stop_loss(dec!(95), None)
            .build()
            .unwrap();
        assert_eq!(body(&o)["order_class"], "oto");
        assert_eq!(body(&o)["stop_loss"], json!({"stop_price":"95"}));
        let o = OrderRequest::limit("AAPL", OrderSide::Sell, Qty::Shares(dec!(5)), dec!(110))
            .order_class(OrderClass::Oco)
            .take_profit(dec!(110))
            .stop_loss(dec!(95), None)
            .build()
            .unwrap();
        assert_eq!(body(&o)["order_class"], "oco");
    }

    #[test]
    fn refuses_what_alpaca_would_reject() {
        let eq = |q| OrderRequest::market("AAPL", OrderSide::Buy, q);
        assert!(err(eq(Qty::Shares(dec!(0))).build()).contains("qty must be positive"));
        assert!(err(eq(Qty::Notional(dec!(-5))).build()).contains("notional must be positive"));
        assert!(
            err(eq(Qty::Notional(dec!(500))).limit_price(dec!(1)).build()).contains("notional")
        );
        assert!(
            err(eq(Qty::Notional(dec!(500)))
                .time_in_force(TimeInForce::Gtc)
                .build())
            .contains("notional")
        );
        assert!(
            err(eq(Qty::Shares(dec!(1.5))).limit_price(dec!(10)).build()).contains("fractional")
        );
        assert!(eq(Qty::Shares(dec!(1.5))).build().is_ok());
        assert!(
            err(eq(Qty::Shares(dec!(1))).extended_hours(true).build()).contains("extended_hours")
        );
        assert!(
            err(eq(Qty::Shares(dec!(1)))
                .limit_price(dec!(1))
                .time_in_force(TimeInForce::Gtc)
                .extended_hours(true)
                .build())
            .contains("extended_hours")
        );
        assert!(
            eq(Qty::Shares(dec!(1)))
                .limit_price(dec!(1))
                .extended_hours(true)
                .build()
                .is_ok()
        );
        assert!(err(eq(Qty::Shares(dec!(1))).limit_price(dec!(0)).build()).contains("limit_price"));
        assert!(
            err(eq(Qty::Shares(dec!(1)))
                .client_order_id("x".repeat(129))
                .build())
            .contains("128")
        );
        assert!(
            eq(Qty::Shares(dec!(1)))
                .client_order_id("x".repeat(128))
                .build()
                .is_ok()
        );
        assert!(err(eq(Qty::Shares(dec!(1))).client_order_id(" ").build()).contains("empty"));
        assert!(
            err(OrderRequest::market(" ", OrderSide::Buy, Qty::Shares(dec!(1))).build())
                .contains("symbol")
        );
        assert!(
            err(eq(Qty::Shares(dec!(1)))
                .take_profit(dec!(90))
                .stop_loss(dec!(95), None)
                .build())
            .contains("above")
        );
        assert!(
            err(eq(Qty::Shares(dec!(1)))
                .order_class(OrderClass::Bracket)
                .take_profit(dec!(110))
                .build())
            .contains("both")
        );
        assert!(
            err(eq(Qty::Shares(dec!(1)))
                .order_class(OrderClass::Simple)
                .take_profit(dec!(110))
                .build())
            .contains("simple")
        );
        assert!(
            err(eq(Qty::Shares(dec!(1)))
                .order_class(OrderClass::Mleg)
                .build())
            .contains("multi_leg")
        );
        assert!(
            err(eq(Qty::Shares(dec!(1)))
                .trailing_stop(Trail::Percent(dec!(100)))
                .build())
            .contains("below 100")
        );
    }

    #[test]
    fn refuses_values_alpaca_would_reject() {
        let eq = |q| OrderRequest::market("AAPL", OrderSide::Buy, q);
        let one = Qty::Shares(dec!(1));
        // Sub-penny prices, on every price an order carries.
        assert!(err(eq(one).limit_price(dec!(150.001)).build()).contains("sub-penny"));
        assert!(err(eq(one).stop_price(dec!(1.005)).build()).contains("whole cents"));
        assert!(err(eq(one).stop_limit(dec!(10), dec!(9.999)).build()).contains("limit_price"));
        assert!(err(eq(one).limit_price(dec!(0.12345)).build()).contains("4 decimals"));
        assert!(eq(one).limit_price(dec!(0.1234)).build().is_ok());
        assert!(eq(one).limit_price(dec!(150.10)).build().is_ok());
        assert!(
            err(eq(one).trailing_stop(Trail::Price(dec!(1.001))).build()).contains("trail_price")
        );
        assert!(
            err(eq(one)
                .limit_price(dec!(100))
                .take_profit(dec!(110.005))
                .stop_loss(dec!(95), None)
                .build())
            .contains("take_profit")
        );
        assert!(
            err(eq(one).stop_loss(dec!(95), Some(dec!(94.999))).build())
                .contains("stop_loss.limit_price")
        );
        assert!(err(eq(one).limit_price(Decimal::MAX).build()).contains("above"));
        // Option prices: whole cents, even below $1.
        let occ: OccSymbol = "AAPL250620C00100000".parse().unwrap();
        let opt = || OrderRequest::option(&occ, OrderSide::Buy, 1, PositionIntent::BuyToOpen);
        assert!(err(opt().limit_price(dec!(0.125)).build()).contains("option prices"));
        assert!(opt().limit_price(dec!(0.12)).build().is_ok());
        // Quantities and notionals.
        assert!(err(eq(Qty::Shares(Decimal::new(1, 28))).build()).contains("9 decimals"));
        assert!(err(eq(Qty::Shares(Decimal::MAX)).build()).contains("above"));
        assert!(err(eq(Qty::Shares(dec!(-1))).build()).contains("positive"));
        assert!(err(eq(Qty::Notional(dec!(0.5))).build()).contains("minimum of $1"));
        assert!(err(eq(Qty::Notional(Decimal::MAX)).build()).contains("above"));
        assert!(eq(Qty::Notional(dec!(1))).build().is_ok());
        // Symbols.
        for bad in [
            "",
            " ",
            "AA\0PL",
            "AA\tPL",
            "A A",
            "$$$",
            "AAPL251320C00100000",
        ] {
            let b = OrderRequest::market(bad, OrderSide::Buy, one);
            assert!(err(b.build()).contains("symbol"), "{bad:?}");
        }
        let m = err(OrderRequest::market("AAPL251320C00100000", OrderSide::Buy, one).build());
        assert!(
            m.contains("OCC") && m.contains("not a calendar date"),
            "{m}"
        );
        let o = OrderRequest::market("aapl", OrderSide::Buy, one)
            .build()
            .unwrap();
        assert_eq!(o.symbol(), Some("AAPL"), "tickers are upper-cased");
        // Client order ids.
        assert!(err(eq(one).client_order_id("x".repeat(129)).build()).contains("128"));
        assert!(err(eq(one).client_order_id("").build()).contains("empty"));
        assert!(err(eq(one).client_order_id("a\u{7}b").build()).contains("control"));
    }

    #[test]
    fn multi_leg_legs_share_one_underlying_and_price_in_cents() {
        let spy: OccSymbol = "SPY250620C00500000".parse().unwrap();
        let qqq: OccSymbol = "QQQ250620C00400000".parse().unwrap();
        let spy2: OccSymbol = "SPY250620C00510000".parse().unwrap();
        let m = err(OrderRequest::multi_leg(1)
            .leg(spy.clone(), OrderSide::Buy, 1, PositionIntent::BuyToOpen)
            .leg(qqq, OrderSide::Sell, 1, PositionIntent::SellToOpen)
            .build());
        assert!(m.contains("one underlying") && m.contains("QQQ"), "{m}");
        let m = err(OrderRequest::multi_leg(1)
            .leg(spy.clone(), OrderSide::Buy, 1, PositionIntent::BuyToOpen)
            .leg(spy2.clone(), OrderSide::Sell, 1, PositionIntent::SellToOpen)
            .limit_price(dec!(-0.355))
            .build());
        assert!(m.contains("sub-penny"), "{m}");
        assert!(
            OrderRequest::multi_leg(u32::MAX)
                .leg(spy, OrderSide::Buy, 1, PositionIntent::BuyToOpen)
                .leg(spy2, OrderSide::Sell, 1, PositionIntent::SellToOpen)
                .build()
                .is_err()
        );
    }

    #[test]
    fn replace_refuses_sub_penny_and_absurd_values() {
        let r = |f: fn(&mut ReplaceOrder)| {
            let mut r = ReplaceOrder::default();
            f(&mut r);
            r.validate()
        };
        assert!(r(|r| r.limit_price = Some(dec!(10.001))).is_err());
        assert!(r(|r| r.stop_price = Some(Decimal::MAX)).is_err());
        assert!(r(|r| r.qty = Some(Decimal::new(1, 20))).is_err());
        assert!(r(|r| r.client_order_id = Some("x".repeat(200))).is_err());
        assert!(r(|r| r.limit_price = Some(dec!(10.01))).is_ok());
    }

    #[test]
    fn option_orders() {
        let occ: OccSymbol = "AAPL250620C00100000".parse().unwrap();
        let o = OrderRequest::option(&occ, OrderSide::Buy, 2, PositionIntent::BuyToOpen)
            .limit_price(dec!(1.25))
            .build()
            .unwrap();
        assert_eq!(
            body(&o),
            json!({"symbol":"AAPL250620C00100000","qty":"2","side":"buy","type":"limit","time_in_force":"day",
                   "limit_price":"1.25","position_intent":"buy_to_open"})
        );
        let opt = |q| OrderRequest::market("AAPL250620C00100000", OrderSide::Buy, q);
        assert!(err(opt(Qty::Shares(dec!(1.5))).build()).contains("whole number"));
        assert!(err(opt(Qty::Notional(dec!(100))).build()).contains("notional"));
        assert!(
            err(opt(Qty::contracts(1))
                .limit_price(dec!(1))
                .extended_hours(true)
                .build())
            .contains("extended hours")
        );
        assert!(
            err(opt(Qty::contracts(1))
                .trailing_stop(Trail::Price(dec!(1)))
                .build())
            .contains("trailing")
        );
        assert!(
            err(opt(Qty::contracts(1))
                .time_in_force(TimeInForce::Ioc)
                .build())
            .contains("day or gtc")
        );
        assert!(
            err(opt(Qty::contracts(1))
                .take_profit(dec!(2))
                .stop_loss(dec!(1), None)
                .build())
            .contains("take-profit")
        );
        assert!(opt(Qty::contracts(1)).stop_price(dec!(1)).build().is_ok());
    }

    #[test]
    fn multi_leg_orders() {
        let c1: OccSymbol = "SPY250620C00500000".parse().unwrap();
        let c2: OccSymbol = "SPY250620C00510000".parse().unwrap();
        let c3: OccSymbol = "SPY250620C00520000".parse().unwrap();
        let o = OrderRequest::multi_leg(3)
            .leg(c1.clone(), OrderSide::Buy, 1, PositionIntent::BuyToOpen)
            .leg(c2.clone(), OrderSide::Sell, 1, PositionIntent::SellToOpen)
            .limit_price(dec!(-0.35))
            .client_order_id("spread-1")
            .build()
            .unwrap();
        assert_eq!(
            serde_json::to_value(&o).unwrap(),
            json!({"qty":"3","type":"limit","time_in_force":"day","limit_price":"-0.35","client_order_id":"spread-1",
                   "order_class":"mleg","legs":[
                     {"symbol":"SPY250620C00500000","ratio_qty":"1","side":"buy","position_intent":"buy_to_open"},
                     {"symbol":"SPY250620C00510000","ratio_qty":"1","side":"sell","position_intent":"sell_to_open"}]})
        );
        // A butterfly 1:2:1 is in lowest terms.
        assert!(
            OrderRequest::multi_leg(1)
                .leg(c1.clone(), OrderSide::Buy, 1, PositionIntent::BuyToOpen)
                .leg(c2.clone(), OrderSide::Sell, 2, PositionIntent::SellToOpen)
                .leg(c3.clone(), OrderSide::Buy, 1, PositionIntent::BuyToOpen)
                .build()
                .is_ok()
        );
        let one = OrderRequest::multi_leg(1).leg(
            c1.clone(),
            OrderSide::Buy,
            1,
            PositionIntent::BuyToOpen,
        );
        assert!(err(one.clone().build()).contains("2 to 4 legs"));
        let five = (0..5).fold(OrderRequest::multi_leg(1), |b, i| {
            b.leg(
                format!("SPY250620C0050{i}000").parse().unwrap(),
                OrderSide::Buy,
                1,
                PositionIntent::BuyToOpen,
            )
        });
        assert!(err(five.build()).contains("got 5"));
        assert!(
            err(one
                .clone()
                .leg(c1.clone(), OrderSide::Sell, 1, PositionIntent::SellToOpen)
                .build())
            .contains("twice")
        );
        let unreduced = OrderRequest::multi_leg(1)
            .leg(c1.clone(), OrderSide::Buy, 2, PositionIntent::BuyToOpen)
            .leg(c2.clone(), OrderSide::Sell, 4, PositionIntent::SellToOpen);
        assert!(err(unreduced.build()).contains("lowest terms (divide by 2)"));
        assert!(err(OrderRequest::multi_leg(0).build()).contains("at least 1"));
        assert!(
            err(one
                .clone()
                .leg(c2.clone(), OrderSide::Sell, 0, PositionIntent::SellToOpen)
                .build())
            .contains("ratio 0")
        );
        assert!(
            err(one
                .leg(c2, OrderSide::Sell, 1, PositionIntent::SellToOpen)
                .time_in_force(TimeInForce::Fok)
                .build())
            .contains("day or gtc")
        );
    }

    #[test]
    fn replace_validation() {
        assert!(ReplaceOrder::default().validate().is_err());
        assert!(
            ReplaceOrder {
                qty: Some(dec!(0)),
                ..Default::default()
            }
            .validate()
            .is_err()
        );
        let r = ReplaceOrder {
            limit_price: Some(dec!(101.5)),
            ..Default::default()
        };
        r.validate().unwrap();
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"limit_price":"101.5"})
        );
    }
}
