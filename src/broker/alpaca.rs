//! [`AlpacaBroker`]: the [`Broker`] trait over the crate's [`Client`].

use super::{
    AccountSnapshot, ActivityKind, Broker, BrokerActivity, BrokerOrder, BrokerPosition, ChainQuery,
    LatestPrice, MarketClock, Session,
};
use crate::data::{OptionChainRequest, OptionSnapshotsRequest};
use crate::error::{Error, Result};
use crate::options::OccSymbol;
use crate::options::select::ContractQuote;
use crate::trading::activities::{Activity, ActivityType, ListActivities, MAX_ACTIVITIES_PAGE};
use crate::trading::option_contracts::MAX_CONTRACTS_PAGE;
use crate::trading::orders::{ListOrders, OrderQueryStatus};
use crate::{
    Account, CalendarRequest, Client, ListOptionContracts, Order, OrderRequest, OrderSide,
    Position, SortDirection,
};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::America::New_York;
use futures_util::TryStreamExt;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::collections::BTreeMap;

/// Alpaca as a [`Broker`]: trading calls through the Trading API, prices and chains through
/// the Market Data API, all on one [`Client`] (so one rate limiter and one retry policy).
#[derive(Debug, Clone)]
pub struct AlpacaBroker {
    client: Client,
}

impl AlpacaBroker {
    /// A broker over `client`.
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

impl From<Account> for AccountSnapshot {
    fn from(a: Account) -> Self {
        AccountSnapshot {
            can_trade: a.can_trade(),
            equity: a.equity,
            last_equity: a.last_equity,
            options_buying_power: a.options_buying_power.unwrap_or(a.buying_power),
            buying_power: a.buying_power,
        }
    }
}

impl From<Position> for BrokerPosition {
    fn from(p: Position) -> Self {
        BrokerPosition {
            symbol: p.symbol,
            qty: p.qty,
            avg_entry_price: p.avg_entry_price,
            market_value: p.market_value,
            current_price: p.current_price,
        }
    }
}

impl From<Order> for BrokerOrder {
    fn from(o: Order) -> Self {
        BrokerOrder {
            id: o.id,
            client_order_id: o.client_order_id,
            symbol: o.symbol,
            side: o.side,
            qty: o.qty,
            filled_qty: o.filled_qty,
            filled_avg_price: o.filled_avg_price,
            limit_price: o.limit_price,
            status: o.status,
            updated_at: o.updated_at,
        }
    }
}

#[async_trait]
impl Broker for AlpacaBroker {
    async fn account(&self) -> Result<AccountSnapshot> {
        Ok(self.client.account().await?.into())
    }

    async fn clock(&self) -> Result<MarketClock> {
        let c = self.client.clock().await?;
        Ok(MarketClock {
            now: c.timestamp.with_timezone(&Utc),
            is_open: c.is_open,
            next_open: c.next_open.with_timezone(&Utc),
            next_close: c.next_close.with_timezone(&Utc),
        })
    }

    async fn calendar(&self, start: NaiveDate, end: NaiveDate) -> Result<Vec<Session>> {
        let days = self
            .client
            .calendar(&CalendarRequest::between(start, end))
            .await?;
        Ok(days
            .into_iter()
            .map(|d| Session {
                date: d.date,
                open: d.open.with_timezone(&Utc),
                close: d.close.with_timezone(&Utc),
            })
            .collect())
    }

    async fn positions(&self) -> Result<Vec<BrokerPosition>> {
        Ok(self
            .client
            .positions()
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    async fn open_orders(&self) -> Result<Vec<BrokerOrder>> {
        let req = ListOrders {
            status: Some(OrderQueryStatus::Open),
            limit: Some(crate::trading::orders::MAX_LIST_ORDERS_LIMIT),
            ..ListOrders::default()
        };
        Ok(self
            .client
            .orders(&req)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    async fn submit_order(&self, order: &OrderRequest) -> Result<BrokerOrder> {
        Ok(self.client.submit_order(order).await?.into())
    }

    async fn cancel_order(&self, order_id: &str) -> Result<()> {
        self.client.cancel_order(order_id).await
    }

    async fn order(&self, order_id: &str) -> Result<BrokerOrder> {
        Ok(self.client.order(order_id, false).await?.into())
    }

    async fn order_by_client_order_id(&self, client_order_id: &str) -> Result<BrokerOrder> {
        Ok(self
            .client
            .order_by_client_order_id(client_order_id)
            .await?
            .into())
    }

    /// Stocks: the latest quote and trade. Options: the contract's snapshot (quote and trade in
    /// one request).
    async fn latest_price(&self, symbol: &str) -> Result<LatestPrice> {
        if let Ok(occ) = OccSymbol::parse(symbol) {
            let snaps = OptionSnapshotsRequest::new([occ.clone()])
                .send_all(&self.client)
                .await?;
            let s = snaps.get(&occ).ok_or_else(|| no_data(symbol))?;
            let q = s.latest_quote.as_ref();
            return Ok(LatestPrice {
                bid: q.map(|q| q.bid_price),
                ask: q.map(|q| q.ask_price),
                last: s.latest_trade.as_ref().map(|t| t.price),
                time: q.map(|q| q.timestamp),
            });
        }
        let quotes = self.client.latest_stock_quotes(&[symbol]).await?;
        let trades = self.client.latest_stock_trades(&[symbol]).await?;
        let q = quotes.get(symbol);
        let t = trades.get(symbol);
        if q.is_none() && t.is_none() {
            return Err(no_data(symbol));
        }
        Ok(LatestPrice {
            bid: q.map(|q| q.bid_price),
            ask: q.map(|q| q.ask_price),
            last: t.map(|t| t.price),
            time: q.map(|q| q.timestamp).max(t.map(|t| t.timestamp)),
        })
    }

    /// Snapshots of the chain (quotes, greeks, IV) merged by symbol with the contract listing
    /// (open interest, multiplier, tradability). Contracts the listing does not show as tradable
    /// are left out: they cannot be ordered, and their multiplier is unknown.
    async fn option_chain(&self, q: &ChainQuery) -> Result<Vec<ContractQuote>> {
        let mut chain = OptionChainRequest::new(&q.underlying);
        chain.option_type = Some(q.option_type);
        chain.expiration_date_gte = Some(q.expiration_gte);
        chain.expiration_date_lte = Some(q.expiration_lte);
        let snapshots = chain.send_all(&self.client).await?;

        let mut listing = ListOptionContracts::for_underlyings([q.underlying.clone()]);
        listing.option_type = Some(q.option_type);
        listing.expiration_date_gte = Some(q.expiration_gte);
        listing.expiration_date_lte = Some(q.expiration_lte);
        listing.limit = Some(MAX_CONTRACTS_PAGE);
        let contracts: BTreeMap<OccSymbol, (Option<u64>, Decimal)> = listing
            .stream(&self.client)
            .try_filter(|c| std::future::ready(c.tradable))
            .map_ok(|c| {
                let oi = c.open_interest.and_then(|d| d.to_u64());
                (c.symbol.clone(), (oi, c.premium_multiplier()))
            })
            .try_collect()
            .await?;

        Ok(snapshots
            .into_iter()
            .filter_map(|(symbol, snap)| {
                let (oi, multiplier) = *contracts.get(&symbol)?;
                Some(snap.to_contract_quote(symbol, oi, multiplier))
            })
            .collect())
    }

    /// `GET /v2/account/activities` for fills, expiries, exercises, assignments, cash
    /// settlements and deliveries after `after`, oldest first, every page.
    async fn activities(&self, after: DateTime<Utc>) -> Result<Vec<BrokerActivity>> {
        let req = ListActivities {
            activity_types: POSITION_ACTIVITIES.to_vec(),
            after: Some(after),
            direction: Some(SortDirection::Asc),
            page_size: Some(MAX_ACTIVITIES_PAGE),
            ..ListActivities::default()
        };
        let all: Vec<Activity> = req.stream(&self.client).try_collect().await?;
        Ok(all.into_iter().filter_map(to_broker_activity).collect())
    }
}

/// The activity types that change positions (see [`Broker::activities`]).
const POSITION_ACTIVITIES: [ActivityType; 6] = [
    ActivityType::Fill,
    ActivityType::Opexp,
    ActivityType::Opexc,
    ActivityType::Opasn,
    ActivityType::Opcsh,
    ActivityType::Optrd,
];

/// An activity in the engine's terms; `None` for one that changes no position (or a non-trade
/// activity Alpaca marked canceled).
fn to_broker_activity(a: Activity) -> Option<BrokerActivity> {
    match a {
        Activity::Trade(t) => {
            let qty = match &t.side {
                OrderSide::Buy => t.qty,
                // `sell`, and `sell_short` (kept as an unknown side): both take shares out.
                OrderSide::Sell => -t.qty,
                OrderSide::Unknown(s) if s.starts_with("sell") => -t.qty,
                OrderSide::Unknown(s) => {
                    tracing::warn!(id = %t.id, side = %s, "fill activity with an unknown side ignored");
                    return None;
                }
            };
            Some(BrokerActivity {
                id: t.id,
                kind: ActivityKind::Fill,
                symbol: t.symbol,
                qty,
                price: Some(t.price),
                net_amount: None,
                order_id: Some(t.order_id),
                time: t.transaction_time,
            })
        }
        Activity::NonTrade(n) => {
            let kind = match n.activity_type {
                ActivityType::Opexp => ActivityKind::OptionExpired,
                ActivityType::Opexc => ActivityKind::OptionExercised,
                ActivityType::Opasn => ActivityKind::OptionAssigned,
                ActivityType::Opcsh => ActivityKind::OptionCashSettled,
                ActivityType::Optrd => ActivityKind::OptionDelivery,
                _ => return None,
            };
            if n.status
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("canceled"))
            {
                return None;
            }
            let (Some(symbol), Some(qty)) = (n.symbol, n.qty) else {
                tracing::warn!(id = %n.id, ?kind, "option activity without a symbol or quantity ignored");
                return None;
            };
            // A delivery's price is its cash over its shares (the strike).
            let price = match (kind, n.net_amount) {
                (ActivityKind::OptionDelivery, Some(net)) if !qty.is_zero() => {
                    net.abs().checked_div(qty.abs())
                }
                _ => None,
            };
            let time = n
                .created_at
                .or_else(|| n.date.and_then(after_the_close))
                .unwrap_or(DateTime::<Utc>::MIN_UTC);
            Some(BrokerActivity {
                id: n.id,
                kind,
                symbol,
                qty,
                price,
                net_amount: n.net_amount,
                order_id: None,
                time,
            })
        }
    }
}

/// 16:00 New York on `date`: when an event known only by its date (an expiry) happened.
fn after_the_close(date: NaiveDate) -> Option<DateTime<Utc>> {
    New_York
        .from_local_datetime(&date.and_hms_opt(16, 0, 0)?)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

fn no_data(symbol: &str) -> Error {
    super::not_found(format!("no market data for {symbol}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use serde_json::json;

    fn decode(v: serde_json::Value) -> Option<BrokerActivity> {
        to_broker_activity(serde_json::from_value(v).unwrap())
    }

    #[test]
    fn activities_become_signed_position_changes() {
        let fill = |side: &str| {
            json!({"id": "f", "activity_type": "FILL", "transaction_time": "2024-03-04T15:30:00Z",
                   "type": "fill", "price": "1.5", "qty": "3", "side": side, "symbol": "X",
                   "order_id": "o-1"})
        };
        let buy = decode(fill("buy")).unwrap();
        assert_eq!(
            (buy.kind, buy.qty, buy.price, buy.order_id.as_deref()),
            (ActivityKind::Fill, dec!(3), Some(dec!(1.5)), Some("o-1"))
        );
        assert_eq!(decode(fill("sell")).unwrap().qty, dec!(-3));
        assert_eq!(decode(fill("sell_short")).unwrap().qty, dec!(-3));
        assert_eq!(
            decode(fill("lend")),
            None,
            "a side that moves nothing known"
        );

        let nta = |kind: &str, qty: &str, net: &str, status: &str| {
            json!({"id": "n", "activity_type": kind, "date": "2024-03-15", "net_amount": net,
                   "symbol": "AAPL240315C00150000", "qty": qty, "status": status})
        };
        let exp = decode(nta("OPEXP", "-2", "0", "executed")).unwrap();
        assert_eq!(
            (exp.kind, exp.qty, exp.price),
            (ActivityKind::OptionExpired, dec!(-2), None)
        );
        // Known only by date: 16:00 New York (EDT) that day.
        assert_eq!(exp.time.to_rfc3339(), "2024-03-15T20:00:00+00:00");
        let cash = decode(nta("OPCSH", "-1", "250", "executed")).unwrap();
        assert_eq!(
            (cash.kind, cash.net_amount),
            (ActivityKind::OptionCashSettled, Some(dec!(250)))
        );
        let delivery = decode(nta("OPTRD", "200", "-30000", "executed")).unwrap();
        assert_eq!(
            (delivery.kind, delivery.price),
            (ActivityKind::OptionDelivery, Some(dec!(150)))
        );
        assert_eq!(decode(nta("OPASN", "1", "0", "canceled")), None, "canceled");
        assert_eq!(
            decode(nta("DIV", "10", "5", "executed")),
            None,
            "moves no position"
        );
        assert_eq!(
            decode(json!({"id": "n", "activity_type": "OPEXP", "date": "2024-03-15"})),
            None,
            "no symbol or quantity"
        );
    }
}
