//! Account activities: fills and non-trade events (dividends, fees, option exercise,
//! assignment and expiry). Option exercises, assignments and expiries arrive only here, never on
//! the trade-update stream.

use super::common::{OrderSide, SortDirection};
use super::orders::OrderStatus;
use crate::client::paging::stream_pages;
use crate::client::transport::{Api, Request};
use crate::client::{Client, Page, Paged};
use crate::error::{Error, Result};
use crate::trading::account::rfc3339;
use crate::wire::{self, string_enum};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};

string_enum! {
    /// Activity type codes (Alpaca's `ActivityType`).
    pub enum ActivityType {
        /// Order fill (a trade activity).
        Fill = "FILL",
        /// Cash transaction.
        Trans = "TRANS",
        /// Miscellaneous.
        Misc = "MISC",
        /// ACATS in/out (cash).
        Acatc = "ACATC",
        /// ACATS in/out (securities).
        Acats = "ACATS",
        /// Crypto fee.
        Cfee = "CFEE",
        /// Cash disbursement.
        Csd = "CSD",
        /// Cash withdrawal.
        Csw = "CSW",
        /// Dividend.
        Div = "DIV",
        /// Dividend, long-term capital gain.
        Divcgl = "DIVCGL",
        /// Dividend, short-term capital gain.
        Divcgs = "DIVCGS",
        /// Dividend fee.
        Divfee = "DIVFEE",
        /// Dividend adjusted (foreign tax withheld).
        Divft = "DIVFT",
        /// Dividend adjusted (NRA withheld).
        Divnra = "DIVNRA",
        /// Dividend return of capital.
        Divroc = "DIVROC",
        /// Dividend adjusted (tefra withheld).
        Divtw = "DIVTW",
        /// Dividend, tax exempt.
        Divtxex = "DIVTXEX",
        /// Fee.
        Fee = "FEE",
        /// Interest.
        Int = "INT",
        /// Interest adjusted (NRA withheld).
        Intnra = "INTNRA",
        /// Interest adjusted (tefra withheld).
        Inttw = "INTTW",
        /// Journal entry.
        Jnl = "JNL",
        /// Journal entry (cash).
        Jnlc = "JNLC",
        /// Journal entry (stock).
        Jnls = "JNLS",
        /// Merger or acquisition.
        Ma = "MA",
        /// Name change.
        Nc = "NC",
        /// Option assignment.
        Opasn = "OPASN",
        /// Option corporate action.
        Opca = "OPCA",
        /// Option cash settlement.
        Opcsh = "OPCSH",
        /// Option exercise.
        Opexc = "OPEXC",
        /// Option expiration.
        Opexp = "OPEXP",
        /// Option trade.
        Optrd = "OPTRD",
        /// Pass-through charge.
        Ptc = "PTC",
        /// Pass-through rebate.
        Ptr = "PTR",
        /// Reorganisation.
        Reorg = "REORG",
        /// Spin-off.
        Spin = "SPIN",
        /// Stock split.
        Split = "SPLIT",
        /// Free of payment transfer.
        Fopt = "FOPT",
    }
}

impl ActivityType {
    /// True for option exercise, assignment and expiry.
    pub fn is_option_lifecycle(&self) -> bool {
        matches!(self, Self::Opasn | Self::Opexc | Self::Opexp)
    }
}

string_enum! {
    /// Fill or partial fill.
    pub enum FillType {
        /// The order is completely filled.
        Fill = "fill",
        /// Part of the order filled.
        PartialFill = "partial_fill",
    }
}

/// A fill.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct TradeActivity {
    /// Activity id (usable as a page token).
    pub id: String,
    /// Always `FILL`.
    pub activity_type: ActivityType,
    /// Execution time.
    pub transaction_time: DateTime<Utc>,
    /// Fill or partial fill.
    #[serde(rename = "type")]
    pub fill_type: FillType,
    /// Fill price.
    #[serde(deserialize_with = "wire::decimal")]
    pub price: Decimal,
    /// Fill quantity.
    #[serde(deserialize_with = "wire::decimal")]
    pub qty: Decimal,
    /// Side (`sell_short` is kept as `Unknown`).
    pub side: OrderSide,
    /// Symbol.
    pub symbol: String,
    /// Quantity still open on the order.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub leaves_qty: Option<Decimal>,
    /// Order id.
    pub order_id: String,
    /// Cumulative filled quantity of the order.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub cum_qty: Option<Decimal>,
    /// Order status after this fill.
    #[serde(default, deserialize_with = "wire::opt_from_str")]
    pub order_status: Option<OrderStatus>,
}

/// A non-trade activity: dividends, fees, transfers, option exercise / assignment / expiry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct NonTradeActivity {
    /// Activity id (usable as a page token).
    pub id: String,
    /// Type code.
    pub activity_type: ActivityType,
    /// Sub-type, if any.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub activity_sub_type: Option<String>,
    /// Date of the activity (Alpaca sends a date or a date-time; the date is kept).
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub date: Option<NaiveDate>,
    /// Creation time.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// Net cash amount (negative for debits).
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub net_amount: Option<Decimal>,
    /// Symbol, for security-related activities (an OCC symbol for option events).
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub symbol: Option<String>,
    /// Quantity (shares or contracts).
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub qty: Option<Decimal>,
    /// Per-share amount (dividends).
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub per_share_amount: Option<Decimal>,
    /// Description.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub description: Option<String>,
    /// executed, correct or canceled.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub status: Option<String>,
    /// Links sibling activities (e.g. an exercise and its stock delivery).
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub group_id: Option<String>,
}

/// An account activity.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Activity {
    /// A fill.
    Trade(TradeActivity),
    /// Anything else.
    NonTrade(NonTradeActivity),
}

impl Activity {
    /// The activity id (the page token for the next page).
    pub fn id(&self) -> &str {
        match self {
            Activity::Trade(t) => &t.id,
            Activity::NonTrade(n) => &n.id,
        }
    }

    /// The type code.
    pub fn activity_type(&self) -> &ActivityType {
        match self {
            Activity::Trade(t) => &t.activity_type,
            Activity::NonTrade(n) => &n.activity_type,
        }
    }
}

impl<'de> Deserialize<'de> for Activity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        let is_fill = v.get("activity_type").and_then(|t| t.as_str()) == Some("FILL");
        if is_fill {
            TradeActivity::deserialize(v)
                .map(Activity::Trade)
                .map_err(serde::de::Error::custom)
        } else {
            NonTradeActivity::deserialize(v)
                .map(Activity::NonTrade)
                .map_err(serde::de::Error::custom)
        }
    }
}

string_enum! {
    /// Trade or non-trade activities.
    pub enum ActivityCategory {
        /// Fills.
        TradeActivity = "trade_activity",
        /// Everything else.
        NonTradeActivity = "non_trade_activity",
    }
}

/// Largest `page_size` Alpaca accepts for activities.
pub const MAX_ACTIVITIES_PAGE: u32 = 100;

/// `GET /v2/account/activities` request. Pages by the id of the last activity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListActivities {
    /// Only these types (cannot be combined with `category`).
    pub activity_types: Vec<ActivityType>,
    /// Trade or non-trade (cannot be combined with `activity_types`).
    pub category: Option<ActivityCategory>,
    /// Only activities created on this date.
    pub date: Option<NaiveDate>,
    /// Created before.
    pub until: Option<DateTime<Utc>>,
    /// Created after.
    pub after: Option<DateTime<Utc>>,
    /// Sort order (Alpaca's default is desc).
    pub direction: Option<SortDirection>,
    /// Page size, 1-100 (default 100).
    pub page_size: Option<u32>,
}

impl ListActivities {
    fn validate(&self) -> Result<()> {
        if !self.activity_types.is_empty() && self.category.is_some() {
            return Err(Error::InvalidRequest(
                "activity_types and category cannot be used together".into(),
            ));
        }
        if let Some(p) = self.page_size
            && !(1..=MAX_ACTIVITIES_PAGE).contains(&p)
        {
            return Err(Error::InvalidRequest(format!(
                "page_size must be 1-{MAX_ACTIVITIES_PAGE}, got {p}"
            )));
        }
        Ok(())
    }

    /// Fetches one page; the next page's token is the last activity's id, present when the page
    /// was full.
    pub async fn page(&self, client: &Client, page_token: Option<&str>) -> Result<Page<Activity>> {
        self.validate()?;
        let types: Vec<&str> = self.activity_types.iter().map(|t| t.as_str()).collect();
        let req = Request::get(Api::Trading, &["v2", "account", "activities"])
            .query_list("activity_types", &types)
            .query_opt("category", self.category.as_ref())
            .query_opt("date", self.date)
            .query_opt("until", self.until.map(rfc3339))
            .query_opt("after", self.after.map(rfc3339))
            .query_opt("direction", self.direction.as_ref())
            .query_opt("page_size", self.page_size)
            .query_opt("page_token", page_token);
        let items: Vec<Activity> = client.transport().json(&req).await?;
        let full = items.len() as u32 >= self.page_size.unwrap_or(MAX_ACTIVITIES_PAGE);
        let next_page_token = if full {
            items.last().map(|a| a.id().to_owned())
        } else {
            None
        };
        Ok(Page {
            items,
            next_page_token,
        })
    }

    /// Every activity of every page, fetching one page ahead.
    pub fn stream(&self, client: &Client) -> Paged<Activity> {
        stream_pages(client, self, |req, client, token| async move {
            req.page(&client, token.as_deref()).await
        })
    }
}

impl Client {
    /// One page of `GET /v2/account/activities`.
    pub async fn activities(&self, req: &ListActivities) -> Result<Page<Activity>> {
        req.page(self, None).await
    }
}
