//! The event filter: keeps entries away from symbols with an event ahead.
//!
//! [`EventFilter`] skips an entry when the symbol has
//!
//! - a **corporate action** that changes what a share is (a split or reverse split, a merger of
//!   any kind, a spin-off, or a special dividend; see [`BLOCKING_KINDS`]) taking effect within
//!   [`EventFilterConfig::corporate_action_days`] days, or
//! - a **burst of news**: more than [`EventFilterConfig::news_threshold`] articles in the last
//!   [`EventFilterConfig::news_window_hours`] hours.
//!
//! Each trigger can be turned off on its own ([`EventFilterConfig::corporate_actions`],
//! [`EventFilterConfig::news`]).
//!
//! The issue that asked for it called it a `SignalFilter`; that name was taken by the quality
//! filter ([`SignalFilter`](super::SignalFilter)), so this one is `EventFilter`.
//!
//! Unlike the rest of [`risk`](super), it needs data: it asks an [`EventSource`] (implemented for
//! [`Client`](crate::Client) over the Market Data API's corporate actions and news), once per
//! symbol per New York day, and caches the verdict for the rest of that day. A lookup that
//! fails is not cached (the next signal asks again); whether the entry is allowed or skipped
//! meanwhile is [`EventFilterConfig::on_error`], and the failure is logged either way. The
//! executor runs it as a guard when given one
//! ([`Executor::with_event_filter`](crate::exec::Executor::with_event_filter)); it is off unless
//! given, so backtests run without any data source.

mod source;

use crate::data::{CorporateAction, CorporateActionType, NewsArticle};
use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

/// The corporate-action kinds that block an entry. A cash dividend blocks only when it is
/// special; ordinary dividends, name changes, redemptions and the rest do not.
pub const BLOCKING_KINDS: [CorporateActionType; 8] = [
    CorporateActionType::ForwardSplit,
    CorporateActionType::ReverseSplit,
    CorporateActionType::UnitSplit,
    CorporateActionType::CashMerger,
    CorporateActionType::StockMerger,
    CorporateActionType::StockAndCashMerger,
    CorporateActionType::SpinOff,
    CorporateActionType::CashDividend,
];

/// How far past the window corporate actions are looked up. Alpaca's date filter is on the
/// process date, which for dividends is the payable date, up to a few weeks after the ex-date
/// that matters here; a month covers that.
const PROCESS_DATE_LAG_DAYS: u64 = 31;

/// Most articles Alpaca returns per page; the news threshold cannot usefully exceed what can be
/// counted in a few pages.
pub const MAX_NEWS_THRESHOLD: u32 = 1_000;

/// What to do with an entry when the event data cannot be fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnLookupError {
    /// Let the entry through (default): an outage of news or corporate-action data should not
    /// stop trading, and the risk rules still apply.
    #[default]
    Allow,
    /// Skip the entry: no entry without knowing what is ahead.
    Block,
}

/// The filter's settings (plain fields, so they read from a TOML table as they are). The
/// triggers are on when the filter is used; the filter itself is off unless an executor is
/// given one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EventFilterConfig {
    /// Look at corporate actions (default on).
    pub corporate_actions: bool,
    /// Skip when a blocking corporate action takes effect within this many days from today
    /// (0: today only; default 3, at most 365).
    pub corporate_action_days: u32,
    /// Look at news (default on).
    pub news: bool,
    /// The news window in hours (default 24, 1-720).
    pub news_window_hours: u32,
    /// Skip when more than this many articles about the symbol appeared in the window
    /// (default 10, at most 1,000).
    pub news_threshold: u32,
    /// What a failed lookup means for the entry (default: allow, and log it).
    pub on_error: OnLookupError,
}

impl Default for EventFilterConfig {
    fn default() -> Self {
        Self {
            corporate_actions: true,
            corporate_action_days: 3,
            news: true,
            news_window_hours: 24,
            news_threshold: 10,
            on_error: OnLookupError::Allow,
        }
    }
}

impl EventFilterConfig {
    /// Checks the settings; the error names the one that is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.corporate_action_days > 365 {
            return Err(format!(
                "corporate_action_days {} is more than a year",
                self.corporate_action_days
            ));
        }
        if !(1..=24 * 30).contains(&self.news_window_hours) {
            return Err(format!(
                "news_window_hours {} is not 1-720",
                self.news_window_hours
            ));
        }
        if self.news_threshold > MAX_NEWS_THRESHOLD {
            return Err(format!(
                "news_threshold {} is more than {MAX_NEWS_THRESHOLD}",
                self.news_threshold
            ));
        }
        Ok(())
    }
}

/// Why the filter skipped an entry: the event, or the failed lookup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "trigger", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventBlock {
    /// A blocking corporate action takes effect within the window.
    CorporateAction {
        /// Its kind.
        kind: CorporateActionType,
        /// Alpaca's corporate-action id.
        id: String,
        /// The day it takes effect (ex-date, or effective date for mergers).
        date: NaiveDate,
        /// Days from today (0 = today).
        days_ahead: i64,
        /// The symbols it concerns.
        symbols: Vec<String>,
    },
    /// More articles than the threshold in the window.
    NewsBurst {
        /// Articles counted (counting stops one past the threshold).
        articles: u32,
        /// The window, in hours.
        hours: u32,
        /// The threshold.
        threshold: u32,
        /// The newest article's headline.
        latest_headline: Option<String>,
    },
    /// The data could not be fetched and the filter is set to block then.
    LookupFailed {
        /// What failed.
        error: String,
    },
}

impl fmt::Display for EventBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventBlock::CorporateAction {
                kind,
                id,
                date,
                days_ahead,
                ..
            } => {
                let when = match days_ahead {
                    0 => "today".to_owned(),
                    1 => "tomorrow".to_owned(),
                    n => format!("in {n} days"),
                };
                write!(
                    f,
                    "{} on {date}, {when} (id {id})",
                    kind.as_str().replace('_', " ")
                )
            }
            EventBlock::NewsBurst {
                articles,
                hours,
                threshold,
                latest_headline,
            } => {
                write!(
                    f,
                    "news burst: {articles} articles in {hours} h (more than {threshold})"
                )?;
                if let Some(h) = latest_headline {
                    write!(f, ", latest {h:?}")?;
                }
                Ok(())
            }
            EventBlock::LookupFailed { error } => {
                write!(
                    f,
                    "event data unavailable and the filter blocks then: {error}"
                )
            }
        }
    }
}

/// Where the filter gets its data. Implemented for [`Client`](crate::Client); implement it over
/// another provider, or a recording, to use the filter elsewhere.
#[async_trait]
pub trait EventSource: Send + Sync {
    /// The corporate actions concerning `symbol` that Alpaca processes between `from` and `to`
    /// (inclusive), of the given kinds.
    async fn corporate_actions(
        &self,
        symbol: &str,
        kinds: &[CorporateActionType],
        from: NaiveDate,
        to: NaiveDate,
    ) -> crate::Result<Vec<CorporateAction>>;

    /// Up to `at_most` articles about `symbol` published between `since` and `until`, newest
    /// first.
    async fn news(
        &self,
        symbol: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        at_most: usize,
    ) -> crate::Result<Vec<NewsArticle>>;
}

/// The filter: settings, a data source and the day's verdicts.
pub struct EventFilter {
    config: EventFilterConfig,
    source: Arc<dyn EventSource>,
    /// Verdicts by symbol, for `day` only: a new day starts an empty cache.
    cache: Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    day: Option<NaiveDate>,
    verdicts: HashMap<String, Option<EventBlock>>,
}

impl fmt::Debug for EventFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventFilter")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl EventFilter {
    /// A filter over `source`. Fails on settings [`EventFilterConfig::validate`] refuses.
    pub fn new(config: EventFilterConfig, source: Arc<dyn EventSource>) -> Result<Self, String> {
        config.validate()?;
        Ok(Self {
            config,
            source,
            cache: Mutex::new(Cache::default()),
        })
    }

    /// The settings.
    pub fn config(&self) -> &EventFilterConfig {
        &self.config
    }

    /// Whether an entry in `symbol` may go ahead at `now`: `Err` with the event (or the failed
    /// lookup) when it may not. Looks the symbol up at most once per New York day while lookups
    /// succeed.
    pub async fn check(&self, symbol: &str, now: DateTime<Utc>) -> Result<(), EventBlock> {
        let Some(today) = new_york_date_checked(now) else {
            return self.failed(symbol, format!("clock time {now} is out of range"));
        };
        if let Some(verdict) = self.cached(symbol, today) {
            return verdict.map_or(Ok(()), Err);
        }
        match self.look_up(symbol, today, now).await {
            Ok(verdict) => {
                self.remember(symbol, today, verdict.clone());
                if let Some(block) = &verdict {
                    tracing::info!(symbol, event = %block, "event filter: entry skipped");
                }
                verdict.map_or(Ok(()), Err)
            }
            Err(e) => self.failed(symbol, e.to_string()),
        }
    }

    /// A lookup that failed: logged, not cached, and allowed or blocked as configured.
    fn failed(&self, symbol: &str, error: String) -> Result<(), EventBlock> {
        tracing::warn!(
            symbol,
            %error,
            on_error = ?self.config.on_error,
            "event filter: lookup failed"
        );
        match self.config.on_error {
            OnLookupError::Allow => Ok(()),
            OnLookupError::Block => Err(EventBlock::LookupFailed { error }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        // The cache holds plain data; a panic while holding it cannot leave it inconsistent.
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn cached(&self, symbol: &str, today: NaiveDate) -> Option<Option<EventBlock>> {
        let cache = self.lock();
        (cache.day == Some(today))
            .then(|| cache.verdicts.get(symbol).cloned())
            .flatten()
    }

    fn remember(&self, symbol: &str, today: NaiveDate, verdict: Option<EventBlock>) {
        let mut cache = self.lock();
        if cache.day != Some(today) {
            cache.day = Some(today);
            cache.verdicts.clear();
        }
        cache.verdicts.insert(symbol.to_owned(), verdict);
    }

    async fn look_up(
        &self,
        symbol: &str,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> crate::Result<Option<EventBlock>> {
        // The clock comes from the broker: dates at the edge of chrono's range are refused
        // rather than allowed to overflow.
        let out_of_range =
            || crate::Error::InvalidRequest(format!("clock time {now} is out of range"));
        if self.config.corporate_actions {
            let days = self.config.corporate_action_days;
            let last = today
                .checked_add_days(chrono::Days::new(u64::from(days)))
                .ok_or_else(out_of_range)?;
            let lookup_end = last
                .checked_add_days(chrono::Days::new(PROCESS_DATE_LAG_DAYS))
                .ok_or_else(out_of_range)?;
            let actions = self
                .source
                .corporate_actions(symbol, &BLOCKING_KINDS, today, lookup_end)
                .await?;
            if let Some(block) = first_blocking(&actions, symbol, today, last) {
                return Ok(Some(block));
            }
        }
        if self.config.news {
            let hours = self.config.news_window_hours;
            let threshold = self.config.news_threshold;
            // One past the threshold is enough to know it is exceeded.
            let at_most = threshold as usize + 1;
            let since = now
                .checked_sub_signed(Duration::hours(i64::from(hours)))
                .ok_or_else(out_of_range)?;
            let articles = self.source.news(symbol, since, now, at_most).await?;
            let count = articles
                .iter()
                .filter(|a| a.symbols.is_empty() || a.mentions(symbol))
                .count();
            if count > threshold as usize {
                return Ok(Some(EventBlock::NewsBurst {
                    articles: u32::try_from(count).unwrap_or(u32::MAX),
                    hours,
                    threshold,
                    latest_headline: articles
                        .iter()
                        .max_by_key(|a| a.created_at)
                        .map(|a| a.headline.clone()),
                }));
            }
        }
        Ok(None)
    }
}

/// The New York date of `now`, or `None` at the edges of chrono's range (where converting
/// would panic): the time comes from the broker's clock.
fn new_york_date_checked(now: DateTime<Utc>) -> Option<NaiveDate> {
    use chrono::{Offset, TimeZone};
    let utc = now.naive_utc();
    let offset = chrono_tz::America::New_York
        .offset_from_utc_datetime(&utc)
        .fix();
    utc.checked_add_offset(offset).map(|t| t.date())
}

/// The earliest blocking action concerning `symbol` taking effect in `[today, last]`.
fn first_blocking(
    actions: &[CorporateAction],
    symbol: &str,
    today: NaiveDate,
    last: NaiveDate,
) -> Option<EventBlock> {
    actions
        .iter()
        .filter(|a| is_blocking(a) && a.concerns(symbol))
        .filter_map(|a| a.effective_on().map(|d| (d, a)))
        .filter(|(d, _)| (today..=last).contains(d))
        .min_by_key(|(d, _)| *d)
        .map(|(date, a)| EventBlock::CorporateAction {
            kind: a.kind(),
            id: a.id().to_owned(),
            date,
            days_ahead: (date - today).num_days(),
            symbols: a.symbols().into_iter().map(str::to_owned).collect(),
        })
}

fn is_blocking(a: &CorporateAction) -> bool {
    match a {
        CorporateAction::CashDividend(d) => d.special,
        other => BLOCKING_KINDS.contains(&other.kind()),
    }
}

#[cfg(test)]
mod tests;
