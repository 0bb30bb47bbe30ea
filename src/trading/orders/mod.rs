//! Orders: submit, look up, list, replace, cancel.

mod model;
mod request;
pub(crate) mod resolve;
pub(crate) mod rules;

pub use model::{Order, OrderClass, OrderStatus, OrderType, TimeInForce};
pub use request::{
    Leg, MultiLegBuilder, OrderBuilder, OrderKind, OrderRequest, Qty, ReplaceOrder, StopLoss, Trail,
};
pub use rules::MAX_CLIENT_ORDER_ID_LEN;

use crate::client::Client;
use crate::client::transport::{Api, Request};
use crate::error::{Error, Result};
use crate::trading::account::rfc3339;
use crate::trading::common::{AssetClass, OrderSide, SortDirection};
use crate::trading::require_non_empty;
use crate::wire::{self, string_enum};
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// Largest `limit` `GET /v2/orders` accepts.
pub const MAX_LIST_ORDERS_LIMIT: u32 = 500;

string_enum! {
    /// Which orders `GET /v2/orders` returns.
    pub enum OrderQueryStatus {
        /// Open orders (Alpaca's default).
        Open = "open",
        /// Closed orders.
        Closed = "closed",
        /// All orders.
        All = "all",
    }
}

/// `GET /v2/orders` request. Pages by time window (`after`/`until`), not by token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOrders {
    /// open (default), closed or all.
    pub status: Option<OrderQueryStatus>,
    /// At most this many (1-500; Alpaca's default is 50).
    pub limit: Option<u32>,
    /// Only orders submitted after this time.
    pub after: Option<DateTime<Utc>>,
    /// Only orders submitted until this time.
    pub until: Option<DateTime<Utc>>,
    /// Sort order by submission time (Alpaca's default is desc).
    pub direction: Option<SortDirection>,
    /// Nest bracket and multi-leg legs under their parent.
    pub nested: Option<bool>,
    /// Only these symbols.
    pub symbols: Vec<String>,
    /// Only this side.
    pub side: Option<OrderSide>,
    /// Only this asset class.
    pub asset_class: Option<AssetClass>,
}

impl ListOrders {
    /// Sends the request.
    pub async fn send(&self, client: &Client) -> Result<Vec<Order>> {
        if let Some(l) = self.limit
            && !(1..=MAX_LIST_ORDERS_LIMIT).contains(&l)
        {
            return Err(Error::InvalidRequest(format!(
                "limit must be 1-{MAX_LIST_ORDERS_LIMIT}, got {l}"
            )));
        }
        if let (Some(a), Some(u)) = (self.after, self.until)
            && a >= u
        {
            return Err(Error::InvalidRequest(format!(
                "after ({a}) must be before until ({u})"
            )));
        }
        let req = Request::get(Api::Trading, &["v2", "orders"])
            .query_opt("status", self.status.as_ref())
            .query_opt("limit", self.limit)
            .query_opt("after", self.after.map(rfc3339))
            .query_opt("until", self.until.map(rfc3339))
            .query_opt("direction", self.direction.as_ref())
            .query_opt("nested", self.nested)
            .query_list("symbols", &self.symbols)
            .query_opt("side", self.side.as_ref())
            .query_opt("asset_class", self.asset_class.as_ref());
        client.transport().json(&req).await
    }
}

/// One entry of the 207 answer to "cancel all orders".
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct CancelOrderResult {
    /// The order id.
    pub id: String,
    /// HTTP status of this cancel (200 on success).
    pub status: u16,
    /// Error body when the cancel failed.
    #[serde(default)]
    pub body: Option<ErrorBody>,
}

impl CancelOrderResult {
    /// True if this order's cancel was accepted.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Alpaca's `{code, message}` error body, as nested in multi-status answers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ErrorBody {
    /// Alpaca's error code.
    #[serde(default, deserialize_with = "wire::opt_int_lenient")]
    pub code: Option<i64>,
    /// Message.
    #[serde(default, deserialize_with = "wire::string_or_null")]
    pub message: String,
}

impl OrderRequest {
    /// Submits the order and settles an unknown outcome by its `client_order_id`: the same as
    /// [`Client::submit_order_and_resolve`]. Sending the same `OrderRequest` again after an
    /// error is safe (it keeps its id, and Alpaca refuses a reused id).
    pub async fn send(&self, client: &Client) -> Result<Order> {
        client.submit_order_and_resolve(self).await
    }
}

impl OrderBuilder {
    /// Builds, validates and submits the order, settling an unknown outcome by its
    /// `client_order_id` (see [`Client::submit_order_and_resolve`]).
    ///
    /// Without [`OrderBuilder::client_order_id`], every build draws a fresh random id, so
    /// building the order again after an error makes a *new* order. To retry safely, either
    /// keep the built [`OrderRequest`] and call [`OrderRequest::send`] again, or set an id of
    /// your own that names the intent (e.g. `"aapl-entry-2025-06-02"`): an
    /// [`Error::OutcomeUnknown`] names the id in [`Error::client_order_id`].
    pub async fn send(self, client: &Client) -> Result<Order> {
        self.build()?.send(client).await
    }
}

impl MultiLegBuilder {
    /// Builds, validates and submits the order; see [`OrderBuilder::send`].
    pub async fn send(self, client: &Client) -> Result<Order> {
        self.build()?.send(client).await
    }
}

impl Client {
    /// `POST /v2/orders`.
    ///
    /// Never re-sent by the client on its own: after a timeout, a dropped connection or a 5xx
    /// the result is [`Error::OutcomeUnknown`], because Alpaca may have accepted the order. Use
    /// [`Client::submit_order_and_resolve`] (or your own lookup by
    /// [`OrderRequest::client_order_id`]) to find out. A 429 is retried: Alpaca refused it
    /// without acting on it.
    ///
    /// An unknown outcome names the order's `client_order_id` ([`Error::client_order_id`]). A
    /// success whose body cannot be decoded is an unknown outcome too: Alpaca accepted
    /// *something*, so the order must be looked up, not sent again under a new id.
    pub async fn submit_order(&self, order: &OrderRequest) -> Result<Order> {
        let id = order.client_order_id();
        let req = Request::post(Api::Trading, &["v2", "orders"], order)?;
        let resp = self
            .transport()
            .send(&req)
            .await
            .map_err(|e| e.for_order(id))?;
        self.transport().decode(&resp).map_err(|e| {
            Error::OutcomeUnknown {
                method: "POST".into(),
                path: req.path(),
                reason: format!("the {} answer could not be read: {e}", resp.status),
                status: Some(resp.status.as_u16()),
                timed_out: false,
                client_order_id: None,
            }
            .for_order(id)
        })
    }

    /// Submits an order and, if the outcome is unknown, settles it by its `client_order_id`:
    ///
    /// 1. submit; on success return the order;
    /// 2. on [`Error::OutcomeUnknown`] (or a 5xx, or a success whose body could not be
    ///    decoded), look the order up by `client_order_id`; if Alpaca has it, return it (it was
    ///    placed exactly once);
    /// 3. if Alpaca does not have it (404), send it once more *with the same id*: Alpaca refuses a
    ///    reused id (422 `40010001`), so even if the first attempt lands late it cannot create a
    ///    second order;
    /// 4. a 422 duplicate-id answer means the order exists: look it up and return it. Alpaca's
    ///    lookup can trail its acceptance, so while it answers 404 it is asked again, with the
    ///    [retry policy](crate::RetryPolicy)'s backoff and as many times as its `max_retries`;
    ///    if the order still does not show, the result is [`Error::OrderNotVisible`] (carrying
    ///    the `client_order_id`), never a 404: look it up again later, do not re-send it.
    ///
    /// If the outcome is still unknown after that (the lookup failed, or the re-send failed
    /// otherwise than as a duplicate), the error is the original [`Error::OutcomeUnknown`] with
    /// what followed added to its reason, naming the `client_order_id`
    /// ([`Error::client_order_id`]): look the order up by it later, or send this same request
    /// again (same id), never a rebuilt one with a fresh id.
    ///
    /// [`OrderRequest::send`] and the builders' `send` take this path.
    pub async fn submit_order_and_resolve(&self, order: &OrderRequest) -> Result<Order> {
        let id = order.client_order_id();
        let retry = self.transport().retry;
        resolve::submit_resolving(
            id,
            || self.submit_order(order),
            || self.order_by_client_order_id(id),
            |n| (n <= retry.max_retries).then(|| retry.backoff(n)),
        )
        .await
        .map_err(|e| e.for_order(id))
    }

    /// `GET /v2/orders/{order_id}`; `nested` includes legs.
    pub async fn order(&self, order_id: &str, nested: bool) -> Result<Order> {
        require_non_empty("order id", order_id)?;
        let req = Request::get(Api::Trading, &["v2", "orders", order_id]).query("nested", nested);
        self.transport().json(&req).await
    }

    /// `GET /v2/orders:by_client_order_id`. A 404 means Alpaca never accepted an order with
    /// this id.
    pub async fn order_by_client_order_id(&self, client_order_id: &str) -> Result<Order> {
        require_non_empty("client order id", client_order_id)?;
        let req = Request::get(Api::Trading, &["v2", "orders:by_client_order_id"])
            .query("client_order_id", client_order_id);
        self.transport().json(&req).await
    }

    /// `GET /v2/orders` with filters.
    pub async fn orders(&self, req: &ListOrders) -> Result<Vec<Order>> {
        req.send(self).await
    }

    /// `PATCH /v2/orders/{order_id}`: returns the *new* order; the old one becomes `replaced`.
    /// A success does not guarantee the old order did not fill first. Not retried on 5xx or
    /// timeout (the replacement may exist): an unknown outcome is [`Error::OutcomeUnknown`].
    pub async fn replace_order(&self, order_id: &str, changes: &ReplaceOrder) -> Result<Order> {
        require_non_empty("order id", order_id)?;
        changes.validate()?;
        let req = Request::patch(Api::Trading, &["v2", "orders", order_id], changes)?;
        self.transport().json(&req).await
    }

    /// `DELETE /v2/orders/{order_id}`: a 204 means the cancel was requested (watch for the
    /// `canceled` status; a late fill is still possible). A 422 means the order is no longer
    /// cancelable.
    pub async fn cancel_order(&self, order_id: &str) -> Result<()> {
        require_non_empty("order id", order_id)?;
        self.transport()
            .no_content(&Request::delete(Api::Trading, &["v2", "orders", order_id]))
            .await
            .map(|_| ())
    }

    /// `DELETE /v2/orders`: requests cancellation of every open order; one result per order
    /// (Alpaca answers 207 Multi-Status).
    pub async fn cancel_all_orders(&self) -> Result<Vec<CancelOrderResult>> {
        self.transport()
            .json_list(&Request::delete(Api::Trading, &["v2", "orders"]))
            .await
    }
}
