//! Assets: what can be traded.

use super::common::{AssetClass, Exchange};
use crate::client::Client;
use crate::client::transport::{Api, Request};
use crate::error::Result;
use crate::wire::{self, string_enum};
use rust_decimal::Decimal;
use serde::Deserialize;

string_enum! {
    /// Whether an asset is active.
    pub enum AssetStatus {
        /// Listed.
        Active = "active",
        /// Delisted or otherwise inactive.
        Inactive = "inactive",
    }
}

/// An asset (`GET /v2/assets/{symbol_or_id}`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Asset {
    /// Asset id.
    pub id: String,
    /// Asset class.
    #[serde(rename = "class")]
    pub class: AssetClass,
    /// Listing exchange.
    pub exchange: Exchange,
    /// Symbol.
    pub symbol: String,
    /// Name.
    #[serde(default, deserialize_with = "wire::string_or_null")]
    pub name: String,
    /// Status.
    pub status: AssetStatus,
    /// Tradable at Alpaca.
    #[serde(default)]
    pub tradable: bool,
    /// Marginable.
    #[serde(default)]
    pub marginable: bool,
    /// Shortable.
    #[serde(default)]
    pub shortable: bool,
    /// Easy to borrow.
    #[serde(default)]
    pub easy_to_borrow: bool,
    /// Fractional orders allowed.
    #[serde(default)]
    pub fractionable: bool,
    /// Smallest order size, if restricted.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub min_order_size: Option<Decimal>,
    /// Smallest quantity increment, if restricted.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub min_trade_increment: Option<Decimal>,
    /// Price increment, if restricted.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub price_increment: Option<Decimal>,
    /// Maintenance margin requirement (percent).
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub maintenance_margin_requirement: Option<Decimal>,
    /// Attributes such as `has_options`, `options_late_close`, `fractional_eh_enabled`.
    #[serde(default, deserialize_with = "wire::vec_or_null")]
    pub attributes: Vec<String>,
}

impl Asset {
    /// True if the asset carries the attribute, e.g. `has_options`.
    pub fn has_attribute(&self, attr: &str) -> bool {
        self.attributes.iter().any(|a| a == attr)
    }
}

/// `GET /v2/assets` request with filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListAssets {
    /// Only active or inactive assets.
    pub status: Option<AssetStatus>,
    /// Only this class (Alpaca defaults to `us_equity`).
    pub asset_class: Option<AssetClass>,
    /// Only this exchange.
    pub exchange: Option<Exchange>,
    /// Only assets with any of these attributes, e.g. `has_options`.
    pub attributes: Vec<String>,
}

impl ListAssets {
    /// Sends the request.
    pub async fn send(&self, client: &Client) -> Result<Vec<Asset>> {
        let req = Request::get(Api::Trading, &["v2", "assets"])
            .query_opt("status", self.status.as_ref())
            .query_opt("asset_class", self.asset_class.as_ref())
            .query_opt("exchange", self.exchange.as_ref())
            .query_list("attributes", &self.attributes);
        client.transport().json(&req).await
    }
}

impl Client {
    /// `GET /v2/assets` with filters.
    pub async fn assets(&self, req: &ListAssets) -> Result<Vec<Asset>> {
        req.send(self).await
    }

    /// `GET /v2/assets/{symbol_or_asset_id}`. A 404 is an [`Error::Api`](crate::Error::Api)
    /// with [`is_not_found`](crate::Error::is_not_found).
    pub async fn asset(&self, symbol_or_id: &str) -> Result<Asset> {
        crate::trading::require_non_empty("symbol or asset id", symbol_or_id)?;
        self.transport()
            .json(&Request::get(Api::Trading, &["v2", "assets", symbol_or_id]))
            .await
    }
}
