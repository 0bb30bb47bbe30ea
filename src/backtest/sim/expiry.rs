//! Option expiry in the simulator: what happens at the close of a contract's last session.
//!
//! Alpaca's rules (its support pages on automatic exercise, on long calls and puts held through
//! expiration, and on positions liquidated on expiration day):
//! - a contract in the money by $0.01 or more at the underlying's official close is exercised
//!   (a long one) or assigned (a short one); anything else expires worthless;
//! - a holder can ask not to exercise ([`SimBroker::do_not_exercise`]): the contract expires;
//! - exercising a long call takes the cash to buy the shares, a long put takes the shares to
//!   deliver; Alpaca sells what the account cannot support before the close of expiration day.
//!
//! Here, at the session close (the underlying's close is the official one), by
//! [`ExerciseSettlement`]:
//! - `Shares`: an exercise or assignment moves `multiplier x contracts` shares of the
//!   underlying at the strike (activities `OptionExercised` or `OptionAssigned`, then
//!   `OptionDelivery`), as Alpaca does. A long contract the account cannot support is sold at
//!   the model's bid instead (a `Fill` of an order the engine did not place, as Alpaca's
//!   liquidation is);
//! - `Cash`: exercise and assignment settle in cash at the intrinsic value and no shares change
//!   hands (the activity's `net_amount`), as a cash-settled contract does: for backtests of option
//!   strategies that must never end up holding stock.
//!
//! Open orders in a settled contract expire with it. Every event is also a [`SimFill`].

use super::options::intrinsic;
use super::{Holding, SimBroker, SimFill, State};
use crate::OrderSide;
use crate::broker::{ActivityKind, BrokerActivity};
use crate::options::{OccSymbol, OptionType};
use crate::trading::orders::OrderStatus;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

/// How an exercised or assigned contract settles in the simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExerciseSettlement {
    /// Shares of the underlying at the strike, as Alpaca delivers them; a long contract the
    /// account cannot support is sold at the bid at the close instead (the default).
    #[default]
    Shares,
    /// Cash at the intrinsic value; no shares change hands.
    Cash,
}

/// The least in-the-money amount that is exercised automatically.
const AUTO_EXERCISE: Decimal = Decimal::from_parts(1, 0, 0, false, 2);

impl SimBroker {
    /// Settles every option position expiring on or before `date`, at `time` (the session's
    /// close). Returns how many settled, and how many open orders expired with them.
    pub(super) fn settle_expiring(
        &self,
        st: &mut State,
        date: NaiveDate,
        time: DateTime<Utc>,
    ) -> (usize, usize) {
        let mut expiring: Vec<(String, OccSymbol, Holding)> = st
            .holdings
            .iter()
            .filter_map(|(s, h)| {
                let occ = OccSymbol::try_parse(s)?;
                (occ.expiration() <= date).then(|| (s.clone(), occ, h.clone()))
            })
            .collect();
        // The deepest in the money first: when the cash or shares cover only some exercises,
        // they go where they are worth most. Ties by symbol, for a deterministic replay.
        let value =
            |occ: &OccSymbol| intrinsic(occ, Self::spot(st, occ.root()).unwrap_or_default());
        expiring.sort_by(|a, b| value(&b.1).cmp(&value(&a.1)).then_with(|| a.0.cmp(&b.0)));
        let mut orders_expired = 0;
        for (symbol, occ, h) in &expiring {
            st.holdings.remove(symbol);
            self.settle_one(st, symbol, occ, h.qty, time);
            for &i in &st.open {
                let o = &mut st.orders[i];
                if o.symbol == *symbol && o.is_open() {
                    o.status = OrderStatus::Expired;
                    o.updated_at = time;
                    orders_expired += 1;
                }
            }
        }
        (expiring.len(), orders_expired)
    }

    /// Settles `contracts` (signed: negative when short) of `occ`, already removed from the
    /// holdings.
    fn settle_one(
        &self,
        st: &mut State,
        symbol: &str,
        occ: &OccSymbol,
        contracts: Decimal,
        time: DateTime<Utc>,
    ) {
        let multiplier = Decimal::ONE_HUNDRED;
        let spot = Self::spot(st, occ.root()).unwrap_or_default();
        let value = intrinsic(occ, spot);
        let long = contracts.is_sign_positive();
        let mut event = Event {
            st,
            time,
            symbol,
            removed: -contracts,
        };
        if value < AUTO_EXERCISE || (long && event.st.do_not_exercise.contains(symbol)) {
            event.record(ActivityKind::OptionExpired, "expiry", Decimal::ZERO, None);
            return;
        }
        let kind = if long {
            ActivityKind::OptionExercised
        } else {
            ActivityKind::OptionAssigned
        };
        let order_id = if long { "exercise" } else { "assignment" };
        if self.config.exercise == ExerciseSettlement::Cash {
            let cash = contracts * value * multiplier;
            event.st.cash += cash;
            event.record(kind, order_id, value, Some(cash));
            return;
        }
        // Shares the account receives (positive) or delivers (negative).
        let shares = match occ.option_type() {
            OptionType::Call => contracts * multiplier,
            OptionType::Put => -contracts * multiplier,
        };
        let root = occ.root();
        let supported = !long
            || match occ.option_type() {
                OptionType::Call => event.st.cash >= shares * occ.strike(),
                OptionType::Put => event
                    .st
                    .holdings
                    .get(root)
                    .is_some_and(|h| h.qty >= -shares),
            };
        if !supported {
            // Sold at the close, at the bid of a contract worth its intrinsic value.
            let (bid, _) = self.config.options.spread.quote(value);
            let cash = contracts * bid * multiplier;
            event.st.cash += cash;
            event.record(ActivityKind::Fill, "liquidation", bid, Some(cash));
            return;
        }
        event.record(kind, order_id, value, Some(Decimal::ZERO));
        let cost = shares * occ.strike();
        st_deliver(event.st, root, shares, occ.strike(), cost, time);
    }
}

/// One option event being recorded: the activity and the simulator's fill.
struct Event<'a> {
    st: &'a mut State,
    time: DateTime<Utc>,
    symbol: &'a str,
    /// Signed change of the option position (minus the contracts held).
    removed: Decimal,
}

impl Event<'_> {
    fn record(&mut self, kind: ActivityKind, name: &str, price: Decimal, net: Option<Decimal>) {
        let id = next_activity_id(self.st);
        let is_fill = kind == ActivityKind::Fill;
        self.st.activities.push(BrokerActivity {
            id: id.clone(),
            kind,
            symbol: self.symbol.to_owned(),
            qty: self.removed,
            price: (is_fill || kind == ActivityKind::OptionExpired).then_some(price),
            net_amount: net,
            order_id: is_fill.then(|| format!("sim-{name}-{id}")),
            time: self.time,
        });
        self.st.fills.push(SimFill {
            time: self.time,
            order_id: name.to_owned(),
            symbol: self.symbol.to_owned(),
            side: side_of(self.removed),
            qty: self.removed.abs(),
            price,
            commission: Decimal::ZERO,
        });
    }
}

/// Moves `shares` (signed) of `root` at `strike` into or out of the account: cash, holding,
/// activity and fill.
fn st_deliver(
    st: &mut State,
    root: &str,
    shares: Decimal,
    strike: Decimal,
    cost: Decimal,
    time: DateTime<Utc>,
) {
    st.cash -= cost;
    SimBroker::add_to_holding(st, root, shares, strike);
    let id = next_activity_id(st);
    st.activities.push(BrokerActivity {
        id,
        kind: ActivityKind::OptionDelivery,
        symbol: root.to_owned(),
        qty: shares,
        price: Some(strike),
        net_amount: Some(-cost),
        order_id: None,
        time,
    });
    st.fills.push(SimFill {
        time,
        order_id: "delivery".into(),
        symbol: root.to_owned(),
        side: side_of(shares),
        qty: shares.abs(),
        price: strike,
        commission: Decimal::ZERO,
    });
}

fn side_of(change: Decimal) -> OrderSide {
    if change.is_sign_negative() {
        OrderSide::Sell
    } else {
        OrderSide::Buy
    }
}

fn next_activity_id(st: &mut State) -> String {
    // Ids of option events follow the orders' numbering, so they sort with the fills'.
    let id = format!("sim-activity-{:08}", st.next_id);
    st.next_id += 1;
    id
}

#[cfg(test)]
mod tests;
