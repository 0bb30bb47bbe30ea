//! Corporate actions of the Market Data API (`GET /v1/corporate-actions`), every kind it
//! returns, paged by `next_page_token`.
//!
//! Alpaca groups a page by kind (`{"corporate_actions": {"forward_splits": [...], ...}}`); a
//! page here is flattened into one list of [`CorporateAction`]s, kind by kind in the order of
//! [`CorporateActionType`], each kind's actions in the order Alpaca sent them. A kind this
//! version does not know arrives as [`CorporateAction::Unknown`] with its raw JSON.

mod kinds;

pub use kinds::{
    CashDividend, CashMerger, DividendSubType, ForwardSplit, LotteryType, NameChange, PartialCall,
    Redemption, Reorganization, ReverseSplit, RightsDistribution, SpinOff, StockAndCashMerger,
    StockDividend, StockMerger, StockMovement, UnitSplit, WorthlessRemoval,
};

use super::pages::{check_limit, check_range, check_symbols};
use super::params::Sort;
use crate::Client;
use crate::client::paging::stream_pages;
use crate::client::transport::{Api, Request};
use crate::client::{Page, Paged};
use crate::error::{Error, Result};
use crate::wire::{self, string_enum};
use chrono::NaiveDate;
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;

/// Largest page of corporate actions.
pub const MAX_CORPORATE_ACTIONS_PAGE: u32 = 1_000;

string_enum! {
    /// A kind of corporate action, as the `types` filter spells it.
    pub enum CorporateActionType {
        /// Forward split.
        ForwardSplit = "forward_split",
        /// Reverse split.
        ReverseSplit = "reverse_split",
        /// Unit split.
        UnitSplit = "unit_split",
        /// Cash dividend.
        CashDividend = "cash_dividend",
        /// Stock dividend.
        StockDividend = "stock_dividend",
        /// Spin-off.
        SpinOff = "spin_off",
        /// Cash merger.
        CashMerger = "cash_merger",
        /// Stock merger.
        StockMerger = "stock_merger",
        /// Stock and cash merger.
        StockAndCashMerger = "stock_and_cash_merger",
        /// Redemption.
        Redemption = "redemption",
        /// Name change.
        NameChange = "name_change",
        /// Worthless removal.
        WorthlessRemoval = "worthless_removal",
        /// Rights distribution.
        RightsDistribution = "rights_distribution",
        /// Partial call.
        PartialCall = "partial_call",
        /// Reorganization.
        Reorganization = "reorganization",
    }
}

impl CorporateActionType {
    /// Every kind this version knows, in the order a page is flattened.
    pub const ALL: [CorporateActionType; 15] = [
        Self::ForwardSplit,
        Self::ReverseSplit,
        Self::UnitSplit,
        Self::CashDividend,
        Self::StockDividend,
        Self::SpinOff,
        Self::CashMerger,
        Self::StockMerger,
        Self::StockAndCashMerger,
        Self::Redemption,
        Self::NameChange,
        Self::WorthlessRemoval,
        Self::RightsDistribution,
        Self::PartialCall,
        Self::Reorganization,
    ];
}

string_enum! {
    /// Which issuers' actions to return.
    pub enum Region {
        /// US issuers only (Alpaca's default).
        Us = "us",
        /// Non-US issuers only.
        NonUs = "non_us",
        /// Both.
        All = "all",
    }
}

/// A corporate action of any kind.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CorporateAction {
    /// Forward split.
    ForwardSplit(ForwardSplit),
    /// Reverse split.
    ReverseSplit(ReverseSplit),
    /// Unit split.
    UnitSplit(UnitSplit),
    /// Cash dividend (see [`CashDividend::special`]).
    CashDividend(CashDividend),
    /// Stock dividend.
    StockDividend(StockDividend),
    /// Spin-off.
    SpinOff(SpinOff),
    /// Cash merger.
    CashMerger(CashMerger),
    /// Stock merger.
    StockMerger(StockMerger),
    /// Stock and cash merger.
    StockAndCashMerger(StockAndCashMerger),
    /// Redemption.
    Redemption(Redemption),
    /// Name change.
    NameChange(NameChange),
    /// Worthless removal.
    WorthlessRemoval(WorthlessRemoval),
    /// Rights distribution.
    RightsDistribution(RightsDistribution),
    /// Partial call.
    PartialCall(PartialCall),
    /// Reorganization.
    Reorganization(Reorganization),
    /// A kind this version does not know, with Alpaca's group name (e.g. `tender_offers`) and
    /// the action's JSON.
    Unknown {
        /// The group it came in.
        group: String,
        /// The action as sent.
        raw: serde_json::Value,
    },
}

impl CorporateAction {
    /// The kind (`Unknown` with the group name for kinds this version does not know).
    pub fn kind(&self) -> CorporateActionType {
        use CorporateAction as A;
        use CorporateActionType as T;
        match self {
            A::ForwardSplit(_) => T::ForwardSplit,
            A::ReverseSplit(_) => T::ReverseSplit,
            A::UnitSplit(_) => T::UnitSplit,
            A::CashDividend(_) => T::CashDividend,
            A::StockDividend(_) => T::StockDividend,
            A::SpinOff(_) => T::SpinOff,
            A::CashMerger(_) => T::CashMerger,
            A::StockMerger(_) => T::StockMerger,
            A::StockAndCashMerger(_) => T::StockAndCashMerger,
            A::Redemption(_) => T::Redemption,
            A::NameChange(_) => T::NameChange,
            A::WorthlessRemoval(_) => T::WorthlessRemoval,
            A::RightsDistribution(_) => T::RightsDistribution,
            A::PartialCall(_) => T::PartialCall,
            A::Reorganization(_) => T::Reorganization,
            A::Unknown { group, .. } => T::Unknown(group.clone()),
        }
    }

    /// The corporate-action id (empty for an unknown kind without one).
    pub fn id(&self) -> &str {
        use CorporateAction as A;
        match self {
            A::ForwardSplit(a) => &a.id,
            A::ReverseSplit(a) => &a.id,
            A::UnitSplit(a) => &a.id,
            A::CashDividend(a) => &a.id,
            A::StockDividend(a) => &a.id,
            A::SpinOff(a) => &a.id,
            A::CashMerger(a) => &a.id,
            A::StockMerger(a) => &a.id,
            A::StockAndCashMerger(a) => &a.id,
            A::Redemption(a) => &a.id,
            A::NameChange(a) => &a.id,
            A::WorthlessRemoval(a) => &a.id,
            A::RightsDistribution(a) => &a.id,
            A::PartialCall(a) => &a.id,
            A::Reorganization(a) => &a.id,
            A::Unknown { raw, .. } => raw.get("id").and_then(|v| v.as_str()).unwrap_or(""),
        }
    }

    /// The day Alpaca processes it (`None` only for an unknown kind without one).
    pub fn process_date(&self) -> Option<NaiveDate> {
        use CorporateAction as A;
        Some(match self {
            A::ForwardSplit(a) => a.process_date,
            A::ReverseSplit(a) => a.process_date,
            A::UnitSplit(a) => a.process_date,
            A::CashDividend(a) => a.process_date,
            A::StockDividend(a) => a.process_date,
            A::SpinOff(a) => a.process_date,
            A::CashMerger(a) => a.process_date,
            A::StockMerger(a) => a.process_date,
            A::StockAndCashMerger(a) => a.process_date,
            A::Redemption(a) => a.process_date,
            A::NameChange(a) => a.process_date,
            A::WorthlessRemoval(a) => a.process_date,
            A::RightsDistribution(a) => a.process_date,
            A::PartialCall(a) => a.process_date,
            A::Reorganization(a) => a.process_date,
            A::Unknown { raw, .. } => {
                return raw
                    .get("process_date")
                    .and_then(|v| v.as_str())
                    .and_then(|s| s.parse().ok());
            }
        })
    }

    /// The day the action changes what a share is: the ex-date where the kind has one, else
    /// the effective date, else the process date.
    pub fn effective_on(&self) -> Option<NaiveDate> {
        use CorporateAction as A;
        let specific = match self {
            A::ForwardSplit(a) => a.ex_date,
            A::ReverseSplit(a) => a.ex_date,
            A::UnitSplit(a) => a.effective_date,
            A::CashDividend(a) => a.ex_date,
            A::StockDividend(a) => a.ex_date,
            A::SpinOff(a) => a.ex_date,
            A::CashMerger(a) => a.effective_date,
            A::StockMerger(a) => a.effective_date,
            A::StockAndCashMerger(a) => a.effective_date,
            A::RightsDistribution(a) => a.ex_date,
            A::Reorganization(a) => a.effective_date,
            A::Redemption(_)
            | A::NameChange(_)
            | A::WorthlessRemoval(_)
            | A::PartialCall(_)
            | A::Unknown { .. } => None,
        };
        specific.or_else(|| self.process_date())
    }

    /// Every symbol the action concerns (both sides of a merger, parent and child of a
    /// spin-off, old and new of a name change); empty strings left out.
    pub fn symbols(&self) -> Vec<&str> {
        use CorporateAction as A;
        let v: Vec<&str> = match self {
            A::ForwardSplit(a) => vec![&a.symbol],
            A::ReverseSplit(a) => vec![&a.symbol, a.new_symbol.as_deref().unwrap_or("")],
            A::UnitSplit(a) => vec![&a.old_symbol, &a.new_symbol, &a.alternate_symbol],
            A::CashDividend(a) => vec![&a.symbol],
            A::StockDividend(a) => vec![&a.symbol],
            A::SpinOff(a) => vec![&a.source_symbol, &a.new_symbol],
            A::CashMerger(a) => vec![
                &a.acquiree_symbol,
                a.acquirer_symbol.as_deref().unwrap_or(""),
            ],
            A::StockMerger(a) => vec![&a.acquiree_symbol, &a.acquirer_symbol],
            A::StockAndCashMerger(a) => vec![&a.acquiree_symbol, &a.acquirer_symbol],
            A::Redemption(a) => vec![&a.symbol],
            A::NameChange(a) => vec![&a.old_symbol, &a.new_symbol],
            A::WorthlessRemoval(a) => vec![&a.symbol],
            A::RightsDistribution(a) => vec![&a.source_symbol, &a.new_symbol],
            A::PartialCall(a) => vec![&a.symbol],
            A::Reorganization(a) => std::iter::once(a.symbol.as_str())
                .chain(a.stock_movements.iter().map(|m| m.symbol.as_str()))
                .collect(),
            A::Unknown { raw, .. } => ["symbol", "old_symbol", "new_symbol", "source_symbol"]
                .iter()
                .filter_map(|k| raw.get(*k).and_then(|v| v.as_str()))
                .collect(),
        };
        v.into_iter().filter(|s| !s.is_empty()).collect()
    }

    /// Whether the action concerns `symbol`.
    pub fn concerns(&self, symbol: &str) -> bool {
        self.symbols().contains(&symbol)
    }
}

/// The `corporate_actions` object of a page: one list per kind.
struct Groups(Vec<CorporateAction>);

impl<'de> Deserialize<'de> for Groups {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        // The groups are read as raw JSON first so each item decodes on its own kind; the
        // transport's path-tracking second pass names a failing group, and the error below
        // names the item and field inside it.
        let groups: Option<BTreeMap<String, Option<Vec<serde_json::Value>>>> =
            Deserialize::deserialize(d)?;
        let mut groups = groups.unwrap_or_default();
        let mut out = Vec::new();
        for kind in CorporateActionType::ALL {
            let key = format!("{}s", kind.as_str());
            for (i, raw) in groups
                .remove(&key)
                .flatten()
                .unwrap_or_default()
                .into_iter()
                .enumerate()
            {
                let action = decode_one(&kind, raw)
                    .map_err(|e| D::Error::custom(format_args!("{key}[{i}]: {e}")))?;
                out.push(action);
            }
        }
        for (group, items) in groups {
            for raw in items.unwrap_or_default() {
                out.push(CorporateAction::Unknown {
                    group: group.clone(),
                    raw,
                });
            }
        }
        Ok(Groups(out))
    }
}

fn decode_one(
    kind: &CorporateActionType,
    raw: serde_json::Value,
) -> std::result::Result<CorporateAction, String> {
    use CorporateAction as A;
    use CorporateActionType as T;
    fn typed<T: serde::de::DeserializeOwned>(
        raw: serde_json::Value,
    ) -> std::result::Result<T, String> {
        serde_path_to_error::deserialize(raw).map_err(|e| {
            let path = e.path().to_string();
            format!("`{path}`: {}", e.into_inner())
        })
    }
    Ok(match kind {
        T::ForwardSplit => A::ForwardSplit(typed(raw)?),
        T::ReverseSplit => A::ReverseSplit(typed(raw)?),
        T::UnitSplit => A::UnitSplit(typed(raw)?),
        T::CashDividend => A::CashDividend(typed(raw)?),
        T::StockDividend => A::StockDividend(typed(raw)?),
        T::SpinOff => A::SpinOff(typed(raw)?),
        T::CashMerger => A::CashMerger(typed(raw)?),
        T::StockMerger => A::StockMerger(typed(raw)?),
        T::StockAndCashMerger => A::StockAndCashMerger(typed(raw)?),
        T::Redemption => A::Redemption(typed(raw)?),
        T::NameChange => A::NameChange(typed(raw)?),
        T::WorthlessRemoval => A::WorthlessRemoval(typed(raw)?),
        T::RightsDistribution => A::RightsDistribution(typed(raw)?),
        T::PartialCall => A::PartialCall(typed(raw)?),
        T::Reorganization => A::Reorganization(typed(raw)?),
        T::Unknown(group) => A::Unknown {
            group: group.clone(),
            raw,
        },
    })
}

#[derive(Deserialize)]
struct CorporateActionsPage {
    #[serde(default)]
    corporate_actions: Option<Groups>,
    #[serde(default, deserialize_with = "wire::opt_string")]
    next_page_token: Option<String>,
}

/// `GET /v1/corporate-actions`: actions by symbol, CUSIP, kind and process-date range, or by id.
///
/// Without a range Alpaca returns today's actions only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorporateActionsRequest {
    /// Only these symbols.
    pub symbols: Vec<String>,
    /// Only these CUSIPs.
    pub cusips: Vec<String>,
    /// Only these kinds (empty: all).
    pub types: Vec<CorporateActionType>,
    /// US, non-US or all issuers (Alpaca's default is US).
    pub region: Option<Region>,
    /// First process date (inclusive; Alpaca's default is today).
    pub start: Option<NaiveDate>,
    /// Last process date (inclusive; Alpaca's default is today).
    pub end: Option<NaiveDate>,
    /// Exactly these actions; cannot be combined with any other filter.
    pub ids: Vec<String>,
    /// Actions per page, 1-1,000 (Alpaca's default is 100), over all symbols and kinds.
    pub limit: Option<u32>,
    /// By process date, ascending (Alpaca's default) or descending.
    pub sort: Option<Sort>,
}

impl CorporateActionsRequest {
    /// Actions of these symbols.
    pub fn for_symbols<S: Into<String>>(symbols: impl IntoIterator<Item = S>) -> Self {
        Self {
            symbols: symbols.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// Only these kinds.
    pub fn types(mut self, types: impl IntoIterator<Item = CorporateActionType>) -> Self {
        self.types = types.into_iter().collect();
        self
    }

    /// Processed between `start` and `end`, both inclusive.
    pub fn between(mut self, start: NaiveDate, end: NaiveDate) -> Self {
        self.start = Some(start);
        self.end = Some(end);
        self
    }

    /// Actions per page.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    fn request(&self, token: Option<&str>) -> Result<Request> {
        let other_filters = !self.symbols.is_empty()
            || !self.cusips.is_empty()
            || !self.types.is_empty()
            || self.start.is_some()
            || self.end.is_some();
        if !self.ids.is_empty() && other_filters {
            return Err(Error::InvalidRequest(
                "corporate action ids cannot be combined with symbols, cusips, types or a range"
                    .into(),
            ));
        }
        for list in [&self.symbols, &self.cusips, &self.ids] {
            if !list.is_empty() {
                check_symbols(list)?;
            }
        }
        check_limit(self.limit, MAX_CORPORATE_ACTIONS_PAGE)?;
        check_range(self.start, self.end)?;
        let types: Vec<&str> = self.types.iter().map(CorporateActionType::as_str).collect();
        Ok(Request::get(Api::Data, &["v1", "corporate-actions"])
            .query_list("symbols", &self.symbols)
            .query_list("cusips", &self.cusips)
            .query_list("types", &types)
            .query_opt("region", self.region.as_ref())
            .query_opt("start", self.start)
            .query_opt("end", self.end)
            .query_list("ids", &self.ids)
            .query_opt("limit", self.limit)
            .query_opt("sort", self.sort.as_ref())
            .query_opt("page_token", token))
    }

    /// One page.
    pub async fn page(
        &self,
        client: &Client,
        page_token: Option<&str>,
    ) -> Result<Page<CorporateAction>> {
        let page: CorporateActionsPage =
            client.transport().json(&self.request(page_token)?).await?;
        Ok(Page {
            items: page.corporate_actions.map(|g| g.0).unwrap_or_default(),
            next_page_token: page.next_page_token,
        })
    }

    /// Every action of every page, fetching one page ahead.
    pub fn stream(&self, client: &Client) -> Paged<CorporateAction> {
        stream_pages(client, self, |req, client, token| async move {
            req.page(&client, token.as_deref()).await
        })
    }
}

impl Client {
    /// One page of `GET /v1/corporate-actions`.
    pub async fn corporate_actions(
        &self,
        request: &CorporateActionsRequest,
    ) -> Result<Page<CorporateAction>> {
        request.page(self, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_exclude_other_filters() {
        let r = CorporateActionsRequest {
            ids: vec!["x".into()],
            symbols: vec!["AAPL".into()],
            ..Default::default()
        };
        assert!(matches!(r.request(None), Err(Error::InvalidRequest(_))));
        let r = CorporateActionsRequest {
            ids: vec!["x".into()],
            ..Default::default()
        };
        assert!(r.request(None).is_ok());
    }

    #[test]
    fn a_bad_item_is_named_by_group_index_and_field() {
        let body = br#"{"corporate_actions":{"forward_splits":[
            {"id":"a","symbol":"X","new_rate":2,"old_rate":1,"process_date":"2024-01-02"},
            {"id":"b","symbol":"Y","new_rate":"two","old_rate":1,"process_date":"2024-01-02"}]},
            "next_page_token":null}"#;
        let e = crate::client::transport::decode::<CorporateActionsPage>(
            "GET /v1/corporate-actions",
            body,
        )
        .err()
        .unwrap();
        let text = e.to_string();
        assert!(text.contains("forward_splits[1]"), "{text}");
        assert!(text.contains("new_rate"), "{text}");
    }
}
