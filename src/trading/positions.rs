//! Positions: list, get, close, close all, exercise options or decline their exercise.

use super::common::{AssetClass, Exchange};
use super::orders::rules::check_qty;
use super::orders::{ErrorBody, Order};
use crate::client::Client;
use crate::client::transport::{Api, Request};
use crate::error::{Error, Result};
use crate::options::OccSymbol;
use crate::wire::{self, string_enum};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};

string_enum! {
    /// Long or short.
    pub enum PositionSide {
        /// Long.
        Long = "long",
        /// Short.
        Short = "short",
    }
}

/// An open position (`GET /v2/positions`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Position {
    /// Asset id.
    pub asset_id: String,
    /// Symbol (an OCC symbol for options).
    pub symbol: String,
    /// Exchange.
    #[serde(default, deserialize_with = "wire::opt_from_str")]
    pub exchange: Option<Exchange>,
    /// Asset class.
    pub asset_class: AssetClass,
    /// Average entry price.
    #[serde(deserialize_with = "wire::decimal")]
    pub avg_entry_price: Decimal,
    /// Quantity (negative for shorts).
    #[serde(deserialize_with = "wire::decimal")]
    pub qty: Decimal,
    /// Quantity not held for open orders.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub qty_available: Option<Decimal>,
    /// Long or short.
    pub side: PositionSide,
    /// Market value.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub market_value: Option<Decimal>,
    /// Cost basis.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub cost_basis: Option<Decimal>,
    /// Unrealised P&L.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub unrealized_pl: Option<Decimal>,
    /// Unrealised P&L as a fraction.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub unrealized_plpc: Option<Decimal>,
    /// Unrealised P&L today.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub unrealized_intraday_pl: Option<Decimal>,
    /// Unrealised P&L today as a fraction.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub unrealized_intraday_plpc: Option<Decimal>,
    /// Current price.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub current_price: Option<Decimal>,
    /// Previous close.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub lastday_price: Option<Decimal>,
    /// Change today as a fraction.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub change_today: Option<Decimal>,
    /// Marginable.
    #[serde(default)]
    pub asset_marginable: Option<bool>,
}

impl Position {
    /// The OCC symbol, if this is an option position.
    pub fn option_symbol(&self) -> Option<OccSymbol> {
        OccSymbol::parse(&self.symbol).ok()
    }
}

/// How much of a position to close.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClosePosition {
    /// All of it.
    #[default]
    All,
    /// This many shares or contracts.
    Qty(Decimal),
    /// This percentage (0-100].
    Percentage(Decimal),
}

/// One entry of the answer to "close all positions": the closing order, or why it failed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ClosePositionResult {
    /// The position's symbol.
    pub symbol: String,
    /// HTTP status for this position (200 on success).
    pub status: u16,
    /// The closing order, or Alpaca's error (e.g. 403 "insufficient qty available").
    pub result: std::result::Result<Order, ErrorBody>,
}

impl<'de> Deserialize<'de> for ClosePositionResult {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            symbol: String,
            status: u16,
            #[serde(default)]
            body: serde_json::Value,
        }
        let raw = Raw::deserialize(d)?;
        let result = if (200..300).contains(&raw.status) {
            Ok(Order::deserialize(raw.body).map_err(serde::de::Error::custom)?)
        } else {
            Err(ErrorBody::deserialize(raw.body).unwrap_or(ErrorBody {
                code: None,
                message: String::new(),
            }))
        };
        Ok(Self {
            symbol: raw.symbol,
            status: raw.status,
            result,
        })
    }
}

impl Client {
    /// `GET /v2/positions`.
    pub async fn positions(&self) -> Result<Vec<Position>> {
        self.transport()
            .json(&Request::get(Api::Trading, &["v2", "positions"]))
            .await
    }

    /// `GET /v2/positions/{symbol_or_asset_id}`; 404 when there is no position.
    pub async fn position(&self, symbol_or_asset_id: &str) -> Result<Position> {
        super::require_non_empty("symbol or asset id", symbol_or_asset_id)?;
        self.transport()
            .json(&Request::get(
                Api::Trading,
                &["v2", "positions", symbol_or_asset_id],
            ))
            .await
    }

    /// `DELETE /v2/positions/{symbol_or_asset_id}` with `qty` or `percentage`: places and
    /// returns the closing order. Not retried on 5xx or timeout (a second close could sell
    /// more than intended): an unknown outcome is [`Error::OutcomeUnknown`].
    pub async fn close_position(
        &self,
        symbol_or_asset_id: &str,
        how: ClosePosition,
    ) -> Result<Order> {
        super::require_non_empty("symbol or asset id", symbol_or_asset_id)?;
        let mut req = Request::delete(Api::Trading, &["v2", "positions", symbol_or_asset_id])
            .idempotent(false);
        match how {
            ClosePosition::All => {}
            ClosePosition::Qty(q) => {
                check_qty("close qty", q)?;
                req = req.query("qty", q.normalize());
            }
            ClosePosition::Percentage(p) => {
                if p <= Decimal::ZERO || p > Decimal::ONE_HUNDRED {
                    return Err(Error::InvalidRequest(format!(
                        "close percentage must be in (0, 100], got {p}"
                    )));
                }
                // Alpaca takes at most 9 decimals here too (OpenAPI: `percentage`).
                check_qty("close percentage", p)?;
                req = req.query("percentage", p.normalize());
            }
        }
        self.transport().json(&req).await
    }

    /// `DELETE /v2/positions?cancel_orders=`: closes every position (optionally cancelling open
    /// orders first); one result per position. Not retried on 5xx or timeout.
    pub async fn close_all_positions(
        &self,
        cancel_orders: bool,
    ) -> Result<Vec<ClosePositionResult>> {
        let req = Request::delete(Api::Trading, &["v2", "positions"])
            .idempotent(false)
            .query("cancel_orders", cancel_orders);
        self.transport().json_list(&req).await
    }

    /// `POST /v2/positions/{symbol_or_contract_id}/exercise`: exercises a held option. The
    /// result arrives later as an account activity (`OPEXC`), never on the trade-update stream.
    pub async fn exercise_option(&self, symbol_or_contract_id: &str) -> Result<()> {
        super::require_non_empty("option symbol or contract id", symbol_or_contract_id)?;
        let req = Request::post_empty(
            Api::Trading,
            &["v2", "positions", symbol_or_contract_id, "exercise"],
        );
        self.transport().no_content(&req).await.map(|_| ())
    }

    /// `POST /v2/positions/{symbol_or_contract_id}/do-not-exercise`: tells Alpaca not to
    /// exercise a held option automatically at expiry (in-the-money contracts are exercised by
    /// default). A 403 means no long position to instruct (none held, or short). The instruction
    /// is declarative, so unlike an exercise it is safely retried after a 5xx or timeout.
    pub async fn do_not_exercise(&self, symbol_or_contract_id: &str) -> Result<()> {
        super::require_non_empty("option symbol or contract id", symbol_or_contract_id)?;
        let req = Request::post_empty(
            Api::Trading,
            &["v2", "positions", symbol_or_contract_id, "do-not-exercise"],
        )
        .idempotent(true);
        self.transport().no_content(&req).await.map(|_| ())
    }
}
