//! Option contracts (`/v2/options/contracts`).

use crate::client::paging::stream_pages;
use crate::client::transport::{Api, Request};
use crate::client::{Client, Page, Paged};
use crate::error::{Error, Result};
use crate::options::{OccSymbol, OptionType};
use crate::wire::{self, string_enum};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;

string_enum! {
    /// Exercise style.
    pub enum OptionStyle {
        /// Exercisable any day.
        American = "american",
        /// Exercisable at expiry only.
        European = "european",
    }
}

string_enum! {
    /// Whether a contract is active.
    pub enum ContractStatus {
        /// Trading.
        Active = "active",
        /// Expired or delisted.
        Inactive = "inactive",
    }
}

/// Largest page `GET /v2/options/contracts` returns.
pub const MAX_CONTRACTS_PAGE: u32 = 10_000;

/// What a contract delivers on exercise.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Deliverable {
    /// `cash` or `equity`.
    #[serde(rename = "type", default, deserialize_with = "wire::string_or_null")]
    pub kind: String,
    /// Symbol delivered.
    #[serde(default, deserialize_with = "wire::string_or_null")]
    pub symbol: String,
    /// Amount delivered per contract.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub amount: Option<Decimal>,
    /// Share of the deliverable.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub allocation_percentage: Option<Decimal>,
}

/// An option contract.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct OptionContract {
    /// Contract id.
    pub id: String,
    /// OCC symbol.
    pub symbol: OccSymbol,
    /// Human-readable name.
    #[serde(default, deserialize_with = "wire::string_or_null")]
    pub name: String,
    /// Active or not.
    pub status: ContractStatus,
    /// Tradable at Alpaca.
    #[serde(default)]
    pub tradable: bool,
    /// Expiration date.
    pub expiration_date: NaiveDate,
    /// OCC root (not always the underlying: `SPXW` vs `SPX`).
    #[serde(default, deserialize_with = "wire::string_or_null")]
    pub root_symbol: String,
    /// Underlying symbol.
    pub underlying_symbol: String,
    /// Underlying asset id.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub underlying_asset_id: Option<String>,
    /// Call or put.
    #[serde(rename = "type")]
    pub option_type: OptionType,
    /// American or European.
    pub style: OptionStyle,
    /// Strike price.
    #[serde(deserialize_with = "wire::decimal")]
    pub strike_price: Decimal,
    /// Premium multiplier: the number to multiply a quoted price by. Use this, not `size`.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub multiplier: Option<Decimal>,
    /// Deliverable size in shares (not the premium multiplier for adjusted contracts).
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub size: Option<Decimal>,
    /// Open interest.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub open_interest: Option<Decimal>,
    /// Date of the open interest figure.
    #[serde(default)]
    pub open_interest_date: Option<NaiveDate>,
    /// Last close price.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub close_price: Option<Decimal>,
    /// Date of the close price.
    #[serde(default)]
    pub close_price_date: Option<NaiveDate>,
    /// Deliverables, when requested with `show_deliverables`.
    #[serde(default, deserialize_with = "wire::vec_or_null")]
    pub deliverables: Vec<Deliverable>,
}

impl OptionContract {
    /// The premium multiplier, or 100 (the standard US equity option) when Alpaca omits it.
    pub fn premium_multiplier(&self) -> Decimal {
        self.multiplier.unwrap_or(Decimal::ONE_HUNDRED)
    }
}

#[derive(Deserialize)]
struct ContractsPage {
    #[serde(default, deserialize_with = "wire::vec_or_null")]
    option_contracts: Vec<OptionContract>,
    #[serde(default, deserialize_with = "wire::opt_string")]
    next_page_token: Option<String>,
}

/// `GET /v2/options/contracts` with every filter Alpaca documents.
///
/// Beware: without `expiration_date_lte` (or `expiration_date`) Alpaca returns only contracts
/// expiring before the coming weekend. Set a window explicitly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptionContracts {
    /// Underlying symbols.
    pub underlying_symbols: Vec<String>,
    /// Active (Alpaca's default) or inactive.
    pub status: Option<ContractStatus>,
    /// Exactly this expiration.
    pub expiration_date: Option<NaiveDate>,
    /// Expiring on or after.
    pub expiration_date_gte: Option<NaiveDate>,
    /// Expiring on or before.
    pub expiration_date_lte: Option<NaiveDate>,
    /// OCC root.
    pub root_symbol: Option<String>,
    /// Call or put.
    pub option_type: Option<OptionType>,
    /// American or European.
    pub style: Option<OptionStyle>,
    /// Strike at least.
    pub strike_price_gte: Option<Decimal>,
    /// Strike at most.
    pub strike_price_lte: Option<Decimal>,
    /// Include deliverables.
    pub show_deliverables: Option<bool>,
    /// Page size (1-10,000; Alpaca's default is 100).
    pub limit: Option<u32>,
}

impl ListOptionContracts {
    /// Contracts on these underlyings.
    pub fn for_underlyings<S: Into<String>>(symbols: impl IntoIterator<Item = S>) -> Self {
        Self {
            underlying_symbols: symbols.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    fn validate(&self) -> Result<()> {
        if let Some(l) = self.limit
            && !(1..=MAX_CONTRACTS_PAGE).contains(&l)
        {
            return Err(Error::InvalidRequest(format!(
                "limit must be 1-{MAX_CONTRACTS_PAGE}, got {l}"
            )));
        }
        if let (Some(a), Some(b)) = (self.expiration_date_gte, self.expiration_date_lte)
            && a > b
        {
            return Err(Error::InvalidRequest(format!(
                "expiration_date_gte {a} is after expiration_date_lte {b}"
            )));
        }
        if let (Some(a), Some(b)) = (self.strike_price_gte, self.strike_price_lte)
            && a > b
        {
            return Err(Error::InvalidRequest(format!(
                "strike_price_gte {a} is above strike_price_lte {b}"
            )));
        }
        Ok(())
    }

    fn request(&self, page_token: Option<&str>) -> Request {
        Request::get(Api::Trading, &["v2", "options", "contracts"])
            .query_list("underlying_symbols", &self.underlying_symbols)
            .query_opt("status", self.status.as_ref())
            .query_opt("expiration_date", self.expiration_date)
            .query_opt("expiration_date_gte", self.expiration_date_gte)
            .query_opt("expiration_date_lte", self.expiration_date_lte)
            .query_opt("root_symbol", self.root_symbol.as_ref())
            .query_opt("type", self.option_type)
            .query_opt("style", self.style.as_ref())
            .query_opt(
                "strike_price_gte",
                self.strike_price_gte.map(|d| d.normalize()),
            )
            .query_opt(
                "strike_price_lte",
                self.strike_price_lte.map(|d| d.normalize()),
            )
            .query_opt("show_deliverables", self.show_deliverables)
            .query_opt("limit", self.limit)
            .query_opt("page_token", page_token)
    }

    /// Fetches one page (`page_token` from the previous page's `next_page_token`).
    pub async fn page(
        &self,
        client: &Client,
        page_token: Option<&str>,
    ) -> Result<Page<OptionContract>> {
        self.validate()?;
        if self.expiration_date.is_none() && self.expiration_date_lte.is_none() {
            tracing::debug!(
                "listing option contracts without expiration_date_lte: Alpaca returns only contracts expiring before the coming weekend"
            );
        }
        let p: ContractsPage = client.transport().json(&self.request(page_token)).await?;
        Ok(Page {
            items: p.option_contracts,
            next_page_token: p.next_page_token,
        })
    }

    /// Every contract of every page, fetching one page ahead.
    pub fn stream(&self, client: &Client) -> Paged<OptionContract> {
        stream_pages(client, self, |req, client, token| async move {
            req.page(&client, token.as_deref()).await
        })
    }
}

impl Client {
    /// One page of `GET /v2/options/contracts`.
    pub async fn option_contracts(
        &self,
        req: &ListOptionContracts,
    ) -> Result<Page<OptionContract>> {
        req.page(self, None).await
    }

    /// `GET /v2/options/contracts/{symbol_or_id}`.
    pub async fn option_contract(&self, symbol_or_id: &str) -> Result<OptionContract> {
        super::require_non_empty("option symbol or contract id", symbol_or_id)?;
        self.transport()
            .json(&Request::get(
                Api::Trading,
                &["v2", "options", "contracts", symbol_or_id],
            ))
            .await
    }
}
