//! One type per corporate-action kind, field for field as Alpaca's Market Data API documents
//! them. Rates are `Decimal` (cash per share, or shares per share); dates are New York dates.
//! Identifiers Alpaca may leave out (CUSIP, ISIN, currency) are optional; the dates a kind
//! cannot be dated without (`process_date`) are required.

use crate::wire::{self, string_enum};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;

string_enum! {
    /// A cash dividend's sub-type.
    pub enum DividendSubType {
        /// Interest.
        Interest = "interest",
        /// Return of capital.
        ReturnOfCapital = "return_of_capital",
    }
}

string_enum! {
    /// Which lottery a partial call is.
    pub enum LotteryType {
        /// The original lottery.
        Original = "original",
        /// A supplemental lottery.
        Supplemental = "supplemental",
    }
}

/// A forward split (`forward_split`): `old_rate` shares become `new_rate`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ForwardSplit {
    /// Corporate-action id.
    pub id: String,
    /// Symbol.
    pub symbol: String,
    /// CUSIP.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub cusip: Option<String>,
    /// ISIN.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub isin: Option<String>,
    /// Shares after.
    #[serde(deserialize_with = "wire::decimal")]
    pub new_rate: Decimal,
    /// Shares before.
    #[serde(deserialize_with = "wire::decimal")]
    pub old_rate: Decimal,
    /// Processed on.
    pub process_date: NaiveDate,
    /// Ex-date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub ex_date: Option<NaiveDate>,
    /// Record date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub record_date: Option<NaiveDate>,
    /// Payable date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub payable_date: Option<NaiveDate>,
    /// Due-bill redemption date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub due_bill_redemption_date: Option<NaiveDate>,
    /// Currency.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub currency: Option<String>,
}

/// A reverse split (`reverse_split`): `old_rate` shares become `new_rate`, usually under a new
/// CUSIP.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ReverseSplit {
    /// Corporate-action id.
    pub id: String,
    /// Symbol.
    pub symbol: String,
    /// The post-split symbol, when the issuer changes it (usually it does not).
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub new_symbol: Option<String>,
    /// CUSIP before.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub old_cusip: Option<String>,
    /// CUSIP after.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub new_cusip: Option<String>,
    /// ISIN before.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub old_isin: Option<String>,
    /// ISIN after.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub new_isin: Option<String>,
    /// Shares after.
    #[serde(deserialize_with = "wire::decimal")]
    pub new_rate: Decimal,
    /// Shares before.
    #[serde(deserialize_with = "wire::decimal")]
    pub old_rate: Decimal,
    /// Processed on.
    pub process_date: NaiveDate,
    /// Ex-date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub ex_date: Option<NaiveDate>,
    /// Record date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub record_date: Option<NaiveDate>,
    /// Payable date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub payable_date: Option<NaiveDate>,
    /// Currency.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub currency: Option<String>,
}

/// A unit split (`unit_split`): a unit becomes shares and warrants (the alternate).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct UnitSplit {
    /// Corporate-action id.
    pub id: String,
    /// The unit's symbol.
    pub old_symbol: String,
    /// The unit's CUSIP.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub old_cusip: Option<String>,
    /// Units.
    #[serde(deserialize_with = "wire::decimal")]
    pub old_rate: Decimal,
    /// The new shares' symbol.
    pub new_symbol: String,
    /// Their CUSIP.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub new_cusip: Option<String>,
    /// Shares per unit.
    #[serde(deserialize_with = "wire::decimal")]
    pub new_rate: Decimal,
    /// The alternate security's symbol (e.g. warrants).
    #[serde(default, deserialize_with = "wire::string_or_null")]
    pub alternate_symbol: String,
    /// Its CUSIP.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub alternate_cusip: Option<String>,
    /// Alternate securities per unit.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub alternate_rate: Option<Decimal>,
    /// Processed on.
    pub process_date: NaiveDate,
    /// Effective date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub effective_date: Option<NaiveDate>,
    /// Payable date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub payable_date: Option<NaiveDate>,
    /// Currency.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub currency: Option<String>,
}

/// A cash dividend (`cash_dividend`): `rate` per share.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CashDividend {
    /// Corporate-action id.
    pub id: String,
    /// Symbol.
    pub symbol: String,
    /// CUSIP.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub cusip: Option<String>,
    /// ISIN.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub isin: Option<String>,
    /// Cash per share.
    #[serde(deserialize_with = "wire::decimal")]
    pub rate: Decimal,
    /// A special (non-recurring) dividend.
    #[serde(default)]
    pub special: bool,
    /// Paid by a foreign issuer.
    #[serde(default)]
    pub foreign: bool,
    /// Interest or return of capital, when it is one.
    #[serde(default, deserialize_with = "wire::opt_from_str")]
    pub sub_type: Option<DividendSubType>,
    /// Processed on.
    pub process_date: NaiveDate,
    /// Ex-date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub ex_date: Option<NaiveDate>,
    /// Record date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub record_date: Option<NaiveDate>,
    /// Payable date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub payable_date: Option<NaiveDate>,
    /// Due bills start.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub due_bill_on_date: Option<NaiveDate>,
    /// Due bills end.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub due_bill_off_date: Option<NaiveDate>,
    /// Currency of the rate.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub currency: Option<String>,
}

/// A stock dividend (`stock_dividend`): `rate` new shares per share.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct StockDividend {
    /// Corporate-action id.
    pub id: String,
    /// Symbol.
    pub symbol: String,
    /// CUSIP.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub cusip: Option<String>,
    /// ISIN.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub isin: Option<String>,
    /// New shares per share.
    #[serde(deserialize_with = "wire::decimal")]
    pub rate: Decimal,
    /// Processed on.
    pub process_date: NaiveDate,
    /// Ex-date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub ex_date: Option<NaiveDate>,
    /// Record date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub record_date: Option<NaiveDate>,
    /// Payable date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub payable_date: Option<NaiveDate>,
    /// Currency.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub currency: Option<String>,
}

/// A spin-off (`spin_off`): holders of `source_rate` source shares get `new_rate` shares of the
/// new company.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct SpinOff {
    /// Corporate-action id.
    pub id: String,
    /// The parent's symbol.
    pub source_symbol: String,
    /// The parent's CUSIP.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub source_cusip: Option<String>,
    /// The parent's ISIN.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub source_isin: Option<String>,
    /// Parent shares.
    #[serde(deserialize_with = "wire::decimal")]
    pub source_rate: Decimal,
    /// The new company's symbol.
    pub new_symbol: String,
    /// Its CUSIP.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub new_cusip: Option<String>,
    /// Its ISIN.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub new_isin: Option<String>,
    /// New shares for `source_rate` parent shares.
    #[serde(deserialize_with = "wire::decimal")]
    pub new_rate: Decimal,
    /// Processed on.
    pub process_date: NaiveDate,
    /// Ex-date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub ex_date: Option<NaiveDate>,
    /// Record date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub record_date: Option<NaiveDate>,
    /// Payable date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub payable_date: Option<NaiveDate>,
    /// Due-bill redemption date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub due_bill_redemption_date: Option<NaiveDate>,
    /// Currency.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub currency: Option<String>,
}

/// A cash merger (`cash_merger`): the acquiree's holders get `rate` cash per share.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CashMerger {
    /// Corporate-action id.
    pub id: String,
    /// The acquirer's symbol, when listed.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub acquirer_symbol: Option<String>,
    /// The acquirer's CUSIP.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub acquirer_cusip: Option<String>,
    /// The acquirer's ISIN.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub acquirer_isin: Option<String>,
    /// The acquired company's symbol.
    pub acquiree_symbol: String,
    /// Its CUSIP.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub acquiree_cusip: Option<String>,
    /// Its ISIN.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub acquiree_isin: Option<String>,
    /// Cash per acquiree share.
    #[serde(deserialize_with = "wire::decimal")]
    pub rate: Decimal,
    /// Processed on.
    pub process_date: NaiveDate,
    /// Effective date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub effective_date: Option<NaiveDate>,
    /// Payable date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub payable_date: Option<NaiveDate>,
    /// Currency.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub currency: Option<String>,
}

/// A stock merger (`stock_merger`): `acquiree_rate` acquiree shares become `acquirer_rate`
/// acquirer shares.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct StockMerger {
    /// Corporate-action id.
    pub id: String,
    /// The acquirer's symbol.
    pub acquirer_symbol: String,
    /// The acquirer's CUSIP.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub acquirer_cusip: Option<String>,
    /// The acquirer's ISIN.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub acquirer_isin: Option<String>,
    /// Acquirer shares received.
    #[serde(deserialize_with = "wire::decimal")]
    pub acquirer_rate: Decimal,
    /// The acquired company's symbol.
    pub acquiree_symbol: String,
    /// Its CUSIP.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub acquiree_cusip: Option<String>,
    /// Its ISIN.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub acquiree_isin: Option<String>,
    /// Acquiree shares given up.
    #[serde(deserialize_with = "wire::decimal")]
    pub acquiree_rate: Decimal,
    /// Processed on.
    pub process_date: NaiveDate,
    /// Effective date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub effective_date: Option<NaiveDate>,
    /// Payable date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub payable_date: Option<NaiveDate>,
    /// Currency.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub currency: Option<String>,
}

/// A stock and cash merger (`stock_and_cash_merger`): acquirer shares plus `cash_rate` cash.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct StockAndCashMerger {
    /// Corporate-action id.
    pub id: String,
    /// The acquirer's symbol.
    pub acquirer_symbol: String,
    /// The acquirer's CUSIP.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub acquirer_cusip: Option<String>,
    /// The acquirer's ISIN.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub acquirer_isin: Option<String>,
    /// Acquirer shares received.
    #[serde(deserialize_with = "wire::decimal")]
    pub acquirer_rate: Decimal,
    /// The acquired company's symbol.
    pub acquiree_symbol: String,
    /// Its CUSIP.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub acquiree_cusip: Option<String>,
    /// Its ISIN.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub acquiree_isin: Option<String>,
    /// Acquiree shares given up.
    #[serde(deserialize_with = "wire::decimal")]
    pub acquiree_rate: Decimal,
    /// Cash per acquiree share.
    #[serde(deserialize_with = "wire::decimal")]
    pub cash_rate: Decimal,
    /// Processed on.
    pub process_date: NaiveDate,
    /// Effective date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub effective_date: Option<NaiveDate>,
    /// Payable date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub payable_date: Option<NaiveDate>,
    /// Currency.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub currency: Option<String>,
}

/// A redemption (`redemption`): shares bought back at `rate` per share.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Redemption {
    /// Corporate-action id.
    pub id: String,
    /// Symbol.
    pub symbol: String,
    /// CUSIP.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub cusip: Option<String>,
    /// ISIN.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub isin: Option<String>,
    /// Cash per share.
    #[serde(deserialize_with = "wire::decimal")]
    pub rate: Decimal,
    /// Processed on.
    pub process_date: NaiveDate,
    /// Payable date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub payable_date: Option<NaiveDate>,
    /// Currency.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub currency: Option<String>,
}

/// A name change (`name_change`): the symbol (and CUSIP) change.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct NameChange {
    /// Corporate-action id.
    pub id: String,
    /// Symbol before.
    pub old_symbol: String,
    /// CUSIP before.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub old_cusip: Option<String>,
    /// ISIN before.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub old_isin: Option<String>,
    /// Symbol after.
    pub new_symbol: String,
    /// CUSIP after.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub new_cusip: Option<String>,
    /// ISIN after.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub new_isin: Option<String>,
    /// Processed on.
    pub process_date: NaiveDate,
    /// Currency.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub currency: Option<String>,
}

/// A worthless removal (`worthless_removal`): the security is removed as worthless.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct WorthlessRemoval {
    /// Corporate-action id.
    pub id: String,
    /// Symbol.
    pub symbol: String,
    /// CUSIP.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub cusip: Option<String>,
    /// ISIN.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub isin: Option<String>,
    /// Processed on.
    pub process_date: NaiveDate,
    /// Currency.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub currency: Option<String>,
}

/// A rights distribution (`rights_distribution`): `rate` rights per source share.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct RightsDistribution {
    /// Corporate-action id.
    pub id: String,
    /// The source security's symbol.
    pub source_symbol: String,
    /// Its CUSIP.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub source_cusip: Option<String>,
    /// Its ISIN.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub source_isin: Option<String>,
    /// The rights' symbol.
    pub new_symbol: String,
    /// Their CUSIP.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub new_cusip: Option<String>,
    /// Their ISIN.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub new_isin: Option<String>,
    /// Rights per source share.
    #[serde(deserialize_with = "wire::decimal")]
    pub rate: Decimal,
    /// Processed on.
    pub process_date: NaiveDate,
    /// Ex-date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub ex_date: Option<NaiveDate>,
    /// Record date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub record_date: Option<NaiveDate>,
    /// Payable date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub payable_date: Option<NaiveDate>,
    /// When the rights expire.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub expiration_date: Option<NaiveDate>,
    /// Currency.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub currency: Option<String>,
}

/// A partial call (`partial_call`): part of an issue redeemed by lottery.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PartialCall {
    /// Corporate-action id.
    pub id: String,
    /// Symbol.
    pub symbol: String,
    /// CUSIP.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub cusip: Option<String>,
    /// ISIN.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub isin: Option<String>,
    /// Call price.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub price: Option<Decimal>,
    /// Dividend rate paid with the call.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub dividend_rate: Option<Decimal>,
    /// Original or supplemental lottery.
    #[serde(default, deserialize_with = "wire::opt_from_str")]
    pub lottery_type: Option<LotteryType>,
    /// Lottery date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub lottery_date: Option<NaiveDate>,
    /// When the results are published.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub results_publication_date: Option<NaiveDate>,
    /// Processed on.
    pub process_date: NaiveDate,
    /// Record date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub record_date: Option<NaiveDate>,
    /// Payable date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub payable_date: Option<NaiveDate>,
    /// Currency.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub currency: Option<String>,
}

/// One stock allocation of a [`Reorganization`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct StockMovement {
    /// The allocated security's symbol.
    pub symbol: String,
    /// Its CUSIP.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub cusip: Option<String>,
    /// Its ISIN.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub isin: Option<String>,
    /// Shares received.
    #[serde(deserialize_with = "wire::decimal")]
    pub new_rate: Decimal,
    /// Source shares given up.
    #[serde(deserialize_with = "wire::decimal")]
    pub source_rate: Decimal,
}

/// A reorganization (`reorganization`): cash and/or several stock allocations.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Reorganization {
    /// Corporate-action id.
    pub id: String,
    /// Symbol.
    pub symbol: String,
    /// CUSIP.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub cusip: Option<String>,
    /// ISIN.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub isin: Option<String>,
    /// Cash per share, if any.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub cash_rate: Option<Decimal>,
    /// Stock allocations.
    #[serde(default, deserialize_with = "wire::vec_or_null")]
    pub stock_movements: Vec<StockMovement>,
    /// Processed on.
    pub process_date: NaiveDate,
    /// Effective date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub effective_date: Option<NaiveDate>,
    /// Payable date.
    #[serde(default, deserialize_with = "wire::opt_date")]
    pub payable_date: Option<NaiveDate>,
    /// Currency.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub currency: Option<String>,
}
