//! What the trade-update stream has seen: for dropping duplicates, and for rebuilding the updates
//! missed while disconnected from the orders as they now stand.

use super::event::TradeEvent;
use super::event::TradeUpdate;
use crate::trading::orders::Order;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet, VecDeque};

/// What identifies an update: the execution id when there is one, and always the order id with
/// the event and the cumulative filled quantity (which no two fills of an order share).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Execution(String),
    State {
        order_id: String,
        event: String,
        filled: Decimal,
    },
}

fn keys(u: &TradeUpdate) -> Vec<Key> {
    let mut keys = Vec::with_capacity(2);
    if let Some(id) = &u.execution_id {
        keys.push(Key::Execution(id.clone()));
    }
    keys.push(Key::State {
        order_id: u.order.id.clone(),
        event: u.event.as_str().to_owned(),
        filled: u.order.filled_qty,
    });
    keys
}

pub(crate) struct Tracker {
    /// The newest event time seen: the recovery starting point.
    last_event: Option<DateTime<Utc>>,
    /// When the first connection became ready: the starting point before any event.
    connected_at: Option<DateTime<Utc>>,
    /// Orders seen that may still change, with their filled quantity then.
    open: HashMap<String, Decimal>,
    seen: HashSet<Key>,
    /// Insertion order of `seen`, to forget the oldest keys first.
    order: VecDeque<Key>,
    capacity: usize,
}

impl Tracker {
    /// Remembers at most `capacity` update keys and `capacity` open orders.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            last_event: None,
            connected_at: None,
            open: HashMap::new(),
            seen: HashSet::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// The first connection is ready: anything after `now` counts as missed if we disconnect.
    pub(crate) fn connected(&mut self, now: DateTime<Utc>) {
        self.connected_at.get_or_insert(now);
    }

    /// Where recovery starts: the last event seen (Alpaca's clock, so no skew against order
    /// times), else the first connection.
    pub(crate) fn since(&self) -> Option<DateTime<Utc>> {
        self.last_event.or(self.connected_at)
    }

    /// Orders seen that may still change.
    pub(crate) fn open_order_ids(&self) -> impl Iterator<Item = &str> {
        self.open.keys().map(String::as_str)
    }

    /// Records an update; false if it was already seen (drop it).
    pub(crate) fn observe(&mut self, u: &TradeUpdate) -> bool {
        let keys = keys(u);
        let duplicate = keys.iter().any(|k| self.seen.contains(k));
        for k in keys {
            if self.seen.insert(k.clone()) {
                self.order.push_back(k);
            }
        }
        while self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        if duplicate {
            return false;
        }
        if u.order.status.is_terminal() {
            self.open.remove(&u.order.id);
        } else if self.open.len() < self.capacity || self.open.contains_key(&u.order.id) {
            self.open.insert(u.order.id.clone(), u.order.filled_qty);
        } else {
            tracing::warn!(
                order_id = u.order.id,
                "too many open orders to track; this one is recovered only if listed recently"
            );
        }
        if let Some(t) = u.time().filter(|t| plausible(*t)) {
            self.last_event = Some(self.last_event.map_or(t, |s| s.max(t)));
        }
        true
    }

    /// The updates missed while disconnected, rebuilt from `orders` (fetched after the
    /// reconnect): every order that changed since the last event seen, as one update for its
    /// current status. Already-seen updates are left out.
    pub(crate) fn recover(&mut self, orders: Vec<Order>) -> Vec<TradeUpdate> {
        let Some(since) = self.since() else {
            return Vec::new();
        };
        let mut done = HashSet::new();
        let mut out = Vec::new();
        for order in orders {
            if !done.insert(order.id.clone()) {
                continue;
            }
            let known = self.open.get(&order.id).copied();
            let changed = order.updated_at.is_some_and(|t| t >= since)
                || known.is_some_and(|filled| filled != order.filled_qty);
            if !changed {
                continue;
            }
            let Some(event) = TradeEvent::for_status(&order.status) else {
                continue;
            };
            let fill = event.is_fill();
            let update = TradeUpdate {
                timestamp: order.updated_at.or(order.filled_at),
                price: if fill { order.filled_avg_price } else { None },
                // Both quantities come from the network: a subtraction that overflows has no
                // answer, and the update goes out without a quantity rather than panicking.
                qty: fill
                    .then(|| order.filled_qty.checked_sub(known.unwrap_or_default()))
                    .flatten(),
                position_qty: None,
                execution_id: None,
                recovered: true,
                event,
                order,
            };
            if self.observe(&update) {
                out.push(update);
            }
        }
        out
    }
}

/// An event time recovery can start from: not before 2000 (Alpaca did not exist) and not more
/// than a day ahead of this clock. A server's garbage timestamp would otherwise move the recovery
/// window out of reach (year 9999: nothing is ever recovered again) or overflow it.
fn plausible(t: DateTime<Utc>) -> bool {
    use chrono::Datelike;
    t.year() >= 2000 && t <= Utc::now() + chrono::TimeDelta::days(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn update(
        event: &str,
        id: &str,
        status: &str,
        filled: &str,
        exec: Option<&str>,
        t: &str,
    ) -> TradeUpdate {
        serde_json::from_value(serde_json::json!({
            "event": event, "execution_id": exec, "timestamp": t,
            "order": {"id": id, "created_at": "2024-01-02T15:00:00Z", "updated_at": t,
                      "status": status, "filled_qty": filled, "qty": "10", "symbol": "AAPL"}
        }))
        .unwrap()
    }

    #[test]
    fn duplicates_by_execution_id_or_by_order_and_filled_qty() {
        let mut t = Tracker::new(100);
        let fill = update(
            "partial_fill",
            "o1",
            "partially_filled",
            "4",
            Some("e1"),
            "2024-01-02T15:00:01Z",
        );
        assert!(t.observe(&fill));
        assert!(!t.observe(&fill), "same execution id");
        let mut same_state = fill.clone();
        same_state.execution_id = Some("e-other".into());
        assert!(
            !t.observe(&same_state),
            "same order and cumulative filled qty"
        );
        let next = update(
            "partial_fill",
            "o1",
            "partially_filled",
            "6",
            Some("e2"),
            "2024-01-02T15:00:02Z",
        );
        assert!(t.observe(&next));
        let new = update("new", "o2", "new", "0", None, "2024-01-02T15:00:03Z");
        assert!(t.observe(&new));
        let canceled = update(
            "canceled",
            "o2",
            "canceled",
            "0",
            None,
            "2024-01-02T15:00:04Z",
        );
        assert!(
            t.observe(&canceled),
            "another event of the same order is not a duplicate"
        );
        assert_eq!(t.since().unwrap().to_rfc3339(), "2024-01-02T15:00:04+00:00");
        assert_eq!(t.open_order_ids().collect::<Vec<_>>(), vec!["o1"]);
    }

    #[test]
    fn absurd_event_times_and_quantities_do_not_move_recovery_or_panic() {
        let mut t = Tracker::new(100);
        for (i, time) in [
            "-262143-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "1970-01-01T00:00:00Z",
        ]
        .into_iter()
        .enumerate()
        {
            let u = update("new", &format!("o{i}"), "new", "0", None, time);
            assert!(t.observe(&u));
        }
        assert_eq!(
            t.since(),
            None,
            "no garbage time becomes the recovery start"
        );
        let real = update("new", "ok", "new", "0", None, "2024-01-02T15:00:00Z");
        assert!(t.observe(&real));
        assert_eq!(t.since().unwrap().to_rfc3339(), "2024-01-02T15:00:00+00:00");

        // A fill whose quantities overflow when subtracted.
        let mut t = Tracker::new(100);
        let mut first = update("new", "big", "new", "0", None, "2024-01-02T15:00:00Z");
        first.order.filled_qty = Decimal::MIN;
        assert!(t.observe(&first));
        let mut now = update("fill", "big", "filled", "0", None, "2024-01-02T15:01:00Z").order;
        now.filled_qty = Decimal::MAX;
        let got = t.recover(vec![now]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].qty, None);
    }

    #[test]
    fn memory_is_bounded() {
        let mut t = Tracker::new(3);
        for i in 0..10 {
            let u = update(
                "fill",
                &format!("o{i}"),
                "filled",
                "1",
                Some(&format!("e{i}")),
                "2024-01-02T15:00:01Z",
            );
            assert!(t.observe(&u));
        }
        assert!(t.seen.len() <= 3 && t.order.len() <= 3);
    }

    #[test]
    fn recovery_rebuilds_missed_fills_once() {
        let mut t = Tracker::new(100);
        assert!(t.observe(&update(
            "new",
            "o1",
            "new",
            "0",
            None,
            "2024-01-02T15:00:00Z"
        )));
        let now_filled = update("fill", "o1", "filled", "10", None, "2024-01-02T15:05:00Z").order;
        let untouched = update("fill", "o0", "filled", "5", None, "2024-01-02T14:00:00Z").order;
        let placed_in_gap = update("new", "o2", "new", "0", None, "2024-01-02T15:03:00Z").order;
        let mut filled = now_filled.clone();
        filled.filled_avg_price = Some(dec!(101.5));
        let got = t.recover(vec![untouched, filled.clone(), placed_in_gap, filled]);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].event, TradeEvent::Fill);
        assert!(got[0].recovered);
        assert_eq!(got[0].qty, Some(dec!(10)));
        assert_eq!(got[0].price, Some(dec!(101.5)));
        assert_eq!(got[1].event, TradeEvent::New);
        // The stream later delivering the same fill is a duplicate.
        let live = update(
            "fill",
            "o1",
            "filled",
            "10",
            Some("e9"),
            "2024-01-02T15:05:00Z",
        );
        assert!(!t.observe(&live));
        assert!(
            t.recover(vec![now_filled]).is_empty(),
            "recovered only once"
        );
    }
}
