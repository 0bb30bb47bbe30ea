//! Corporate-action announcements of the Trading API (`/v2/corporate_actions/announcements`).
//!
//! Alpaca marks these endpoints deprecated in favour of the Market Data API's
//! [`CorporateActionsRequest`](crate::data::CorporateActionsRequest), which covers more action
//! types and pages; they are kept because accounts still use them and the announcements carry
//! declaration dates the newer endpoint does not.

use crate::client::Client;
use crate::client::transport::{Api, Request};
use crate::error::{Error, Result};
use crate::wire::{self, string_enum};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};

/// Longest date range Alpaca accepts for announcements, in days.
pub const MAX_ANNOUNCEMENT_RANGE_DAYS: i64 = 90;

string_enum! {
    /// The kind of an announcement (`ca_type`).
    pub enum AnnouncementType {
        /// Cash or stock dividend.
        Dividend = "Dividend",
        /// Merger or acquisition.
        Merger = "Merger",
        /// Spin-off.
        Spinoff = "Spinoff",
        /// Forward or reverse split.
        Split = "Split",
    }
}

/// Alpaca documents `Dividend` but answers `dividend` too: match the known kinds in any case.
fn announcement_type<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<AnnouncementType, D::Error> {
    let s = String::deserialize(d)?;
    Ok(match s.to_ascii_lowercase().as_str() {
        "dividend" => AnnouncementType::Dividend,
        "merger" => AnnouncementType::Merger,
        "spinoff" => AnnouncementType::Spinoff,
        "split" => AnnouncementType::Split,
        _ => AnnouncementType::Unknown(s),
    })
}

string_enum! {
    /// Which date of an announcement the `since`/`until` range applies to.
    pub enum AnnouncementDateType {
        /// The day the action was declared.
        DeclarationDate = "declaration_date",
        /// The ex-date.
        ExDate = "ex_date",
        /// The record date.
        RecordDate = "record_date",
        /// The payable date.
        PayableDate = "payable_date",
    }
}

/// A corporate-action announcement.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Announcement {
    /// Announcement id (for [`Client::announcement`]); empty when Alpaca leaves it out, as
    /// one of its own examples does.
    #[serde(default, deserialize_with = "wire::string_or_null")]
    pub id: String,
    /// Alpaca's corporate-action id (sent as `corporate_action_id` or `corporate_actions_id`).
    #[serde(
        default,
        alias = "corporate_actions_id",
        deserialize_with = "wire::opt_string"
    )]
    pub corporate_action_id: Option<String>,
    /// Dividend, merger, spin-off or split.
    #[serde(deserialize_with = "announcement_type")]
    pub ca_type: AnnouncementType,
    /// Sub-type, e.g. `cash`, `stock`, `stock_split`, `reverse_split`, `merger_completion`.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub ca_sub_type: Option<String>,
    /// Symbol of the company initiating the action.
    #[serde(default, deserialize_with = "wire::string_or_null")]
    pub initiating_symbol: String,
    /// CUSIP of the initiating company.
    #[serde(default, deserialize_with = "wire::opt_string_lenient")]
    pub initiating_original_cusip: Option<String>,
    /// Symbol of the target company (the same as the initiator for dividends and splits).
    #[serde(default, deserialize_with = "wire::string_or_null")]
    pub target_symbol: String,
    /// CUSIP of the target company.
    #[serde(default, deserialize_with = "wire::opt_string_lenient")]
    pub target_original_cusip: Option<String>,
    /// Declared on.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub declaration_date: Option<NaiveDate>,
    /// Ex-date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub ex_date: Option<NaiveDate>,
    /// Record date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub record_date: Option<NaiveDate>,
    /// Payable date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub payable_date: Option<NaiveDate>,
    /// Expiration date (e.g. of an election).
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub expiration_date: Option<NaiveDate>,
    /// Cash paid per share.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub cash: Option<Decimal>,
    /// Shares before (splits, mergers).
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub old_rate: Option<Decimal>,
    /// Shares after.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub new_rate: Option<Decimal>,
}

/// `GET /v2/corporate_actions/announcements`: announcements of some kinds in a date range of at
/// most 90 days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListAnnouncements {
    /// The kinds (at least one).
    pub ca_types: Vec<AnnouncementType>,
    /// First day (inclusive).
    pub since: NaiveDate,
    /// Last day (inclusive), at most 90 days after `since`.
    pub until: NaiveDate,
    /// Only this initiating symbol.
    pub symbol: Option<String>,
    /// Only this initiating CUSIP.
    pub cusip: Option<String>,
    /// Which date the range applies to (Alpaca's default is the declaration date).
    pub date_type: Option<AnnouncementDateType>,
}

impl ListAnnouncements {
    /// Announcements of `ca_types` between `since` and `until`.
    pub fn new(
        ca_types: impl IntoIterator<Item = AnnouncementType>,
        since: NaiveDate,
        until: NaiveDate,
    ) -> Self {
        Self {
            ca_types: ca_types.into_iter().collect(),
            since,
            until,
            symbol: None,
            cusip: None,
            date_type: None,
        }
    }

    /// Only for this symbol.
    pub fn symbol(mut self, symbol: impl Into<String>) -> Self {
        self.symbol = Some(symbol.into());
        self
    }

    /// The range applies to this date.
    pub fn date_type(mut self, date_type: AnnouncementDateType) -> Self {
        self.date_type = Some(date_type);
        self
    }

    fn validate(&self) -> Result<()> {
        if self.ca_types.is_empty() {
            return Err(Error::InvalidRequest(
                "at least one announcement type is required".into(),
            ));
        }
        let days = (self.until - self.since).num_days();
        if days < 0 {
            return Err(Error::InvalidRequest(format!(
                "since {} is after until {}",
                self.since, self.until
            )));
        }
        if days > MAX_ANNOUNCEMENT_RANGE_DAYS {
            return Err(Error::InvalidRequest(format!(
                "the range is {days} days; Alpaca allows {MAX_ANNOUNCEMENT_RANGE_DAYS}"
            )));
        }
        Ok(())
    }

    /// Sends the request.
    pub async fn send(&self, client: &Client) -> Result<Vec<Announcement>> {
        self.validate()?;
        let types: Vec<&str> = self.ca_types.iter().map(AnnouncementType::as_str).collect();
        let req = Request::get(Api::Trading, &["v2", "corporate_actions", "announcements"])
            .query_list("ca_types", &types)
            .query("since", self.since)
            .query("until", self.until)
            .query_opt("symbol", self.symbol.as_ref())
            .query_opt("cusip", self.cusip.as_ref())
            .query_opt("date_type", self.date_type.as_ref());
        client.transport().json(&req).await
    }
}

impl Client {
    /// `GET /v2/corporate_actions/announcements` (deprecated by Alpaca; see the module docs).
    pub async fn announcements(&self, request: &ListAnnouncements) -> Result<Vec<Announcement>> {
        request.send(self).await
    }

    /// `GET /v2/corporate_actions/announcements/{id}`.
    pub async fn announcement(&self, id: &str) -> Result<Announcement> {
        super::require_non_empty("announcement id", id)?;
        let req = Request::get(
            Api::Trading,
            &["v2", "corporate_actions", "announcements", id],
        );
        self.transport().json(&req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn range_and_types_are_checked_before_sending() {
        let ok = ListAnnouncements::new(
            [AnnouncementType::Split],
            day("2024-01-01"),
            day("2024-03-31"),
        );
        assert!(ok.validate().is_ok(), "90 days is allowed");
        let long = ListAnnouncements::new(
            [AnnouncementType::Split],
            day("2024-01-01"),
            day("2024-04-01"),
        );
        assert!(long.validate().unwrap_err().to_string().contains("91 days"));
        let inverted = ListAnnouncements::new(
            [AnnouncementType::Split],
            day("2024-02-01"),
            day("2024-01-01"),
        );
        assert!(inverted.validate().is_err());
        let none = ListAnnouncements::new([], day("2024-01-01"), day("2024-01-02"));
        assert!(none.validate().is_err());
    }

    #[test]
    fn kinds_decode_in_any_case() {
        let a: Announcement = serde_json::from_value(serde_json::json!({
            "id": "x", "ca_type": "dividend", "ca_sub_type": "cash", "ex_date": "",
            "initiating_original_cusip": 5.5275e105, "cash": "0.145"
        }))
        .unwrap();
        assert_eq!(a.ca_type, AnnouncementType::Dividend);
        assert_eq!(a.ex_date, None);
        assert_eq!(a.initiating_original_cusip.as_deref(), Some("5.5275e+105"));
    }
}
