//! The trade-update handshake (auth, listen), event decoding with deduplication, and the
//! recovery of orders changed while disconnected.

use super::event::{TradeEvent, TradeMessage, TradeUpdate};
use super::tracker::Tracker;
use crate::client::Client;
use crate::stream::error::StreamError;
use crate::stream::runner::{Action, Protocol};
use crate::stream::socket::Outgoing;
use crate::trading::common::SortDirection;
use crate::trading::orders::{ListOrders, MAX_LIST_ORDERS_LIMIT, Order, OrderQueryStatus};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration;

/// At most this many pages of `GET /v2/orders` per recovery (500 orders each).
const MAX_RECOVERY_PAGES: usize = 20;

pub(crate) struct TradeProtocol {
    pub(crate) url: String,
    pub(crate) client: Client,
    pub(crate) tracker: Tracker,
    pub(crate) recovery_lookback: Duration,
    /// Until the server confirms the keys, frames are never logged: a misbehaving server or
    /// proxy could echo the auth message, which holds the secret.
    pub(crate) authorized: bool,
}

impl TradeProtocol {
    fn on_message(&mut self, raw: Value, out: &mut Vec<Action<TradeMessage>>) {
        let stream = raw
            .get("stream")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let data = raw.get("data").unwrap_or(&Value::Null);
        match stream {
            "authorization" => {
                let status = data
                    .get("status")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if status == "authorized" {
                    self.authorized = true;
                    let listen =
                        json!({"action": "listen", "data": {"streams": ["trade_updates"]}});
                    out.push(Action::Send(Outgoing::Text(listen.to_string())));
                } else {
                    let message = data
                        .get("message")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    // The server's words, which a misbehaving server could fill with the keys.
                    let creds = &self.client.transport().credentials;
                    out.push(Action::Fail(StreamError::AuthFailed(
                        creds.redact(&format!("status {status:?} {message}")),
                    )));
                }
            }
            "listening" => {
                let streams = data.get("streams").and_then(Value::as_array);
                if streams.is_some_and(|s| s.iter().any(|s| s == "trade_updates")) {
                    out.push(Action::Ready);
                } else {
                    let creds = &self.client.transport().credentials;
                    out.push(Action::Fail(StreamError::Server {
                        code: 0,
                        message: creds
                            .redact(&format!("server did not confirm trade_updates: {data}")),
                    }));
                }
            }
            "trade_updates" => match TradeUpdate::deserialize(data) {
                Ok(u) if matches!(u.event, TradeEvent::Unknown(_)) => {
                    out.push(Action::Emit(TradeMessage::Unknown(raw)))
                }
                Ok(u) => {
                    if self.tracker.observe(&u) {
                        out.push(Action::Emit(TradeMessage::Update(Box::new(u))));
                    } else {
                        tracing::debug!(order_id = u.order.id, event = %u.event, "duplicate trade update dropped");
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, message = %raw, "skipping a malformed trade update")
                }
            },
            _ => out.push(Action::Emit(TradeMessage::Unknown(raw))),
        }
    }

    /// Orders that may have changed since the last event: those submitted since then (minus a
    /// lookback for clock skew), plus every order seen open, looked up one by one if the list
    /// does not have it (it may have been submitted long ago, e.g. a GTC order).
    async fn changed_orders(&self) -> crate::Result<Vec<Order>> {
        let Some(since) = self.tracker.since() else {
            return Ok(Vec::new());
        };
        let lookback = chrono::Duration::from_std(self.recovery_lookback).unwrap_or_default();
        let mut after = since.checked_sub_signed(lookback).unwrap_or(since);
        let mut orders = Vec::new();
        for _ in 0..MAX_RECOVERY_PAGES {
            let page = self
                .client
                .orders(&ListOrders {
                    status: Some(OrderQueryStatus::All),
                    after: Some(after),
                    direction: Some(SortDirection::Asc),
                    nested: Some(true),
                    limit: Some(MAX_LIST_ORDERS_LIMIT),
                    ..ListOrders::default()
                })
                .await?;
            let full = page.len() >= MAX_LIST_ORDERS_LIMIT as usize;
            let newest = page
                .iter()
                .map(|o| o.submitted_at.unwrap_or(o.created_at))
                .max();
            orders.extend(page);
            match newest {
                Some(t) if full && t > after => after = t,
                _ => break,
            }
        }
        let listed: HashSet<String> = orders.iter().map(|o| o.id.clone()).collect();
        let missing: Vec<String> = self
            .tracker
            .open_order_ids()
            .filter(|id| !listed.contains(*id))
            .map(str::to_owned)
            .collect();
        for id in missing {
            match self.client.order(&id, true).await {
                Ok(o) => orders.push(o),
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(orders)
    }
}

impl Protocol for TradeProtocol {
    type Message = TradeMessage;
    type Command = std::convert::Infallible;

    fn url(&self) -> &str {
        &self.url
    }

    fn on_open(&mut self, out: &mut Vec<Action<TradeMessage>>) {
        self.authorized = false;
        let creds = &self.client.transport().credentials;
        let auth = json!({"action": "auth", "key": creds.key_id(), "secret": creds.secret_key()});
        out.push(Action::Send(Outgoing::Text(auth.to_string())));
    }

    fn on_frame(&mut self, frame: &[u8], out: &mut Vec<Action<TradeMessage>>) {
        match crate::stream::frame::json::<Value>(frame) {
            Ok(raw) => self.on_message(raw, out),
            Err(e) if self.authorized => {
                let text = String::from_utf8_lossy(&frame[..frame.len().min(200)]);
                tracing::warn!(error = %e, frame = %text, "skipping a malformed trade-update frame");
            }
            Err(e) => tracing::warn!(
                error = %e,
                bytes = frame.len(),
                "skipping a malformed trade-update frame (content withheld before authentication)"
            ),
        }
    }

    fn on_command(&mut self, cmd: Self::Command, _: bool, _: &mut Vec<Action<TradeMessage>>) {
        match cmd {}
    }

    async fn on_ready(&mut self, reconnected: bool) -> Result<Vec<TradeMessage>, StreamError> {
        if !reconnected {
            self.tracker.connected(chrono::Utc::now());
            return Ok(Vec::new());
        }
        let orders = self
            .changed_orders()
            .await
            .map_err(|e| StreamError::Recovery(e.to_string()))?;
        let recovered = self.tracker.recover(orders);
        if !recovered.is_empty() {
            tracing::info!(
                count = recovered.len(),
                "recovered trade updates missed while disconnected"
            );
        }
        Ok(recovered
            .into_iter()
            .map(|u| TradeMessage::Update(Box::new(u)))
            .collect())
    }
}
