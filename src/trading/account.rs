//! Account, account configurations and portfolio history.

use crate::client::Client;
use crate::client::transport::{Api, Request};
use crate::error::Result;
use crate::wire::{self, string_enum};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

string_enum! {
    /// Account status.
    pub enum AccountStatus {
        /// Onboarding.
        Onboarding = "ONBOARDING",
        /// Submission failed.
        SubmissionFailed = "SUBMISSION_FAILED",
        /// Submitted.
        Submitted = "SUBMITTED",
        /// Account updated.
        AccountUpdated = "ACCOUNT_UPDATED",
        /// Approval pending.
        ApprovalPending = "APPROVAL_PENDING",
        /// Active: can trade.
        Active = "ACTIVE",
        /// Rejected.
        Rejected = "REJECTED",
    }
}

/// The trading account (`GET /v2/account`). Money is `Decimal`; absent values are `None`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Account {
    /// Account id.
    pub id: String,
    /// Account number.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub account_number: Option<String>,
    /// Status; only `ACTIVE` accounts trade.
    pub status: AccountStatus,
    /// Currency, `USD`.
    #[serde(default, deserialize_with = "wire::opt_string")]
    pub currency: Option<String>,
    /// Cash balance.
    #[serde(deserialize_with = "wire::decimal")]
    pub cash: Decimal,
    /// Total equity (cash + long - short market value).
    #[serde(deserialize_with = "wire::decimal")]
    pub equity: Decimal,
    /// Equity at the previous close: the base of the daily loss halt.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub last_equity: Option<Decimal>,
    /// Current buying power.
    #[serde(deserialize_with = "wire::decimal")]
    pub buying_power: Decimal,
    /// Buying power for options.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub options_buying_power: Option<Decimal>,
    /// Buying power that excludes margin.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub non_marginable_buying_power: Option<Decimal>,
    /// Day-trading buying power.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub daytrading_buying_power: Option<Decimal>,
    /// Reg T buying power.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub regt_buying_power: Option<Decimal>,
    /// Portfolio value (deprecated by Alpaca in favour of `equity`).
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub portfolio_value: Option<Decimal>,
    /// Long market value.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub long_market_value: Option<Decimal>,
    /// Short market value.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub short_market_value: Option<Decimal>,
    /// Initial margin.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub initial_margin: Option<Decimal>,
    /// Maintenance margin.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub maintenance_margin: Option<Decimal>,
    /// Maintenance margin at the previous close.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub last_maintenance_margin: Option<Decimal>,
    /// Buying power multiplier (1, 2 or 4).
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub multiplier: Option<Decimal>,
    /// Special memorandum account value.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub sma: Option<Decimal>,
    /// Accrued fees.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub accrued_fees: Option<Decimal>,
    /// Pattern day trader flag.
    #[serde(default)]
    pub pattern_day_trader: bool,
    /// Day trades in the last five sessions.
    #[serde(default, deserialize_with = "wire::opt_int_lenient")]
    pub daytrade_count: Option<i64>,
    /// Trading blocked by Alpaca.
    #[serde(default)]
    pub trading_blocked: bool,
    /// Transfers blocked.
    #[serde(default)]
    pub transfers_blocked: bool,
    /// Account blocked.
    #[serde(default)]
    pub account_blocked: bool,
    /// Trading suspended by the user.
    #[serde(default)]
    pub trade_suspended_by_user: bool,
    /// Shorting enabled.
    #[serde(default)]
    pub shorting_enabled: bool,
    /// Options level approved (0-3); sent as a number or a string.
    #[serde(default, deserialize_with = "wire::opt_int_lenient")]
    pub options_approved_level: Option<i64>,
    /// Options level in effect (0-3).
    #[serde(default, deserialize_with = "wire::opt_int_lenient")]
    pub options_trading_level: Option<i64>,
    /// When the account was created.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
}

impl Account {
    /// True if the account may place orders now.
    pub fn can_trade(&self) -> bool {
        self.status == AccountStatus::Active
            && !self.trading_blocked
            && !self.account_blocked
            && !self.trade_suspended_by_user
    }
}

string_enum! {
    /// Day-trading buying power check.
    pub enum DtbpCheck {
        /// Check on entry and exit.
        Both = "both",
        /// Check on entry.
        Entry = "entry",
        /// Check on exit.
        Exit = "exit",
    }
}

string_enum! {
    /// Trade confirmation emails.
    pub enum TradeConfirmEmail {
        /// Email every trade.
        All = "all",
        /// No emails.
        None = "none",
    }
}

/// Account configurations (`GET`/`PATCH /v2/account/configurations`).
///
/// Every field is optional so the same type serves as a partial update: fields left `None` are
/// not sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountConfigurations {
    /// Day-trading buying power check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dtbp_check: Option<DtbpCheck>,
    /// Pattern day trader check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdt_check: Option<String>,
    /// Trade confirmation emails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_confirm_email: Option<TradeConfirmEmail>,
    /// Suspend trading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend_trade: Option<bool>,
    /// Disallow short selling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_shorting: Option<bool>,
    /// Allow fractional trading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fractional_trading: Option<bool>,
    /// Maximum margin multiplier, `"1"`, `"2"` or `"4"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_margin_multiplier: Option<String>,
    /// Maximum options level (0-3).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "wire::opt_int_lenient"
    )]
    pub max_options_trading_level: Option<i64>,
    /// Publicly traded partnership exception.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ptp_no_exception_entry: Option<bool>,
    /// Disable overnight trading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_overnight_trading: Option<bool>,
}

string_enum! {
    /// Which timestamps intraday portfolio history reports.
    pub enum IntradayReporting {
        /// Regular hours only (default).
        MarketHours = "market_hours",
        /// Including extended hours.
        ExtendedHours = "extended_hours",
        /// Around the clock.
        Continuous = "continuous",
    }
}

string_enum! {
    /// How profit and loss resets in portfolio history.
    pub enum PnlReset {
        /// Reset each day (default).
        PerDay = "per_day",
        /// No reset.
        NoReset = "no_reset",
    }
}

/// `GET /v2/account/portfolio/history` request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PortfolioHistoryRequest {
    /// Duration like `1D`, `1W`, `1M`, `1A` (Alpaca: at most two of start, end, period).
    pub period: Option<String>,
    /// Resolution: `1Min`, `5Min`, `15Min`, `1H`, `1D`.
    pub timeframe: Option<String>,
    /// Intraday reporting mode.
    pub intraday_reporting: Option<IntradayReporting>,
    /// Start (RFC 3339).
    pub start: Option<DateTime<Utc>>,
    /// End (RFC 3339).
    pub end: Option<DateTime<Utc>>,
    /// P&L reset mode.
    pub pnl_reset: Option<PnlReset>,
    /// Cash flow activity types to include, e.g. `["DIV", "FEE"]`.
    pub cashflow_types: Vec<String>,
}

impl PortfolioHistoryRequest {
    /// Sends the request.
    pub async fn send(&self, client: &Client) -> Result<PortfolioHistory> {
        if self.period.is_some() && self.start.is_some() && self.end.is_some() {
            return Err(crate::Error::InvalidRequest(
                "portfolio history takes at most two of period, start and end".into(),
            ));
        }
        let req = Request::get(Api::Trading, &["v2", "account", "portfolio", "history"])
            .query_opt("period", self.period.as_ref())
            .query_opt("timeframe", self.timeframe.as_ref())
            .query_opt("intraday_reporting", self.intraday_reporting.as_ref())
            .query_opt("start", self.start.map(rfc3339))
            .query_opt("end", self.end.map(rfc3339))
            .query_opt("pnl_reset", self.pnl_reset.as_ref())
            .query_list("cashflow_types", &self.cashflow_types);
        client.transport().json(&req).await
    }
}

pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Equity and P&L over time.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct PortfolioHistory {
    /// Point times. Alpaca sends Unix seconds; some payloads send milliseconds: both are accepted.
    #[serde(deserialize_with = "epoch_times")]
    pub timestamp: Vec<DateTime<Utc>>,
    /// Equity at each point; `None` where Alpaca has no value.
    #[serde(deserialize_with = "opt_decimals")]
    pub equity: Vec<Option<Decimal>>,
    /// Profit or loss at each point.
    #[serde(deserialize_with = "opt_decimals")]
    pub profit_loss: Vec<Option<Decimal>>,
    /// Profit or loss as a fraction at each point.
    #[serde(deserialize_with = "opt_decimals")]
    pub profit_loss_pct: Vec<Option<Decimal>>,
    /// The base for `profit_loss_pct`.
    #[serde(default, deserialize_with = "wire::opt_decimal")]
    pub base_value: Option<Decimal>,
    /// Date of the base value.
    #[serde(default)]
    pub base_value_asof: Option<NaiveDate>,
    /// Resolution.
    #[serde(default)]
    pub timeframe: String,
}

fn opt_decimals<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Option<Decimal>>, D::Error> {
    #[derive(Deserialize)]
    struct W(#[serde(deserialize_with = "wire::opt_decimal")] Option<Decimal>);
    let v: Option<Vec<W>> = Deserialize::deserialize(d)?;
    Ok(v.unwrap_or_default().into_iter().map(|w| w.0).collect())
}

fn epoch_times<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<DateTime<Utc>>, D::Error> {
    let v: Option<Vec<i64>> = Deserialize::deserialize(d)?;
    v.unwrap_or_default()
        .into_iter()
        .map(|t| {
            // Seconds until the year 5138; anything larger is milliseconds. `unsigned_abs`,
            // because `i64::MIN.abs()` overflows (a value from the network, found by fuzzing).
            let r = if t.unsigned_abs() >= 100_000_000_000 {
                Utc.timestamp_millis_opt(t)
            } else {
                Utc.timestamp_opt(t, 0)
            };
            r.single()
                .ok_or_else(|| serde::de::Error::custom(format_args!("bad timestamp {t}")))
        })
        .collect()
}

impl Client {
    /// `GET /v2/account`.
    pub async fn account(&self) -> Result<Account> {
        self.transport()
            .json(&Request::get(Api::Trading, &["v2", "account"]))
            .await
    }

    /// `GET /v2/account/configurations`.
    pub async fn account_configurations(&self) -> Result<AccountConfigurations> {
        self.transport()
            .json(&Request::get(
                Api::Trading,
                &["v2", "account", "configurations"],
            ))
            .await
    }

    /// `PATCH /v2/account/configurations`: sends only the fields that are `Some`; returns the
    /// configuration now in effect. Idempotent, so retried like a GET.
    pub async fn update_account_configurations(
        &self,
        changes: &AccountConfigurations,
    ) -> Result<AccountConfigurations> {
        let req = Request::patch(Api::Trading, &["v2", "account", "configurations"], changes)?
            .idempotent(true);
        self.transport().json(&req).await
    }

    /// `GET /v2/account/portfolio/history`.
    pub async fn portfolio_history(
        &self,
        req: &PortfolioHistoryRequest,
    ) -> Result<PortfolioHistory> {
        req.send(self).await
    }
}
