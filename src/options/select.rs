//! Choosing one option contract from a chain: by delta and days to expiry with liquidity filters,
//! by the expiration nearest a target DTE, or by strike moneyness.
//!
//! # Rules of [`select_contract`]
//! Each contract is checked against these filters, in this order, and is counted against the
//! first one that removes it (so the counts in a [`NoCandidate`] add up to the chain length):
//!
//! 1. **wrong type**: not the requested call or put;
//! 2. **DTE outside window**: calendar days from "today" in America/New_York to the expiration,
//!    outside `min_dte..=max_dte` (default 7-21); expired contracts land here too;
//! 3. **no bid**: bid missing or zero, when `require_bid` (default on) — nobody to sell it back to;
//! 4. **bad quote**: ask missing or zero, negative bid, or a crossed quote (bid above ask);
//! 5. **spread too wide**: `(ask - bid) / mid` above `max_spread_fraction` (default 10%);
//! 6. **low open interest**: below `min_open_interest` (default 100); a missing figure counts as
//!    zero, because an unknown open interest is not evidence of liquidity;
//! 7. **no delta**: the snapshot has no delta and no implied volatility and the policy has no
//!    fallback IV, so Black-Scholes cannot be run;
//! 8. **delta out of range**: `|delta|` outside `min_delta..=max_delta` (default 0.40-0.55;
//!    absolute, so a put's -0.45 is in range).
//!
//! The survivors are ranked by the policy's [`Preference`] list, compared in order, the first
//! difference deciding; a final tie goes to the smaller OCC symbol so the result never depends on
//! the chain's order.
//!
//! A missing delta is computed with Black-Scholes ([`super::greeks`]) from the snapshot's implied
//! volatility, else the policy's `fallback_iv`, with time to expiry = DTE / 365 (calendar days,
//! as Hull uses for option maturities); a contract expiring today gets a quarter of a day.
//!
//! Prices are `Decimal`; deltas and volatilities are `f64` model quantities.
//!
//! ```
//! use alpaca_exec::prelude::*;
//! use alpaca_exec::options::select::{ContractQuote, SelectionPolicy, SelectionRequest, select_contract};
//!
//! let quote = |symbol: &str, bid, ask, delta, open_interest| ContractQuote {
//!     symbol: symbol.parse().unwrap(),
//!     bid: Some(bid),
//!     ask: Some(ask),
//!     last: None,
//!     delta: Some(delta),
//!     implied_volatility: None,
//!     open_interest: Some(open_interest),
//!     multiplier: dec!(100),
//! };
//! let chain = vec![
//!     quote("SPY240322C00510000", dec!(6.10), dec!(6.20), 0.62, 900), // delta too high
//!     quote("SPY240322C00515000", dec!(3.40), dec!(3.48), 0.48, 1500), // in range, tight
//!     quote("SPY240322C00520000", dec!(1.55), dec!(1.95), 0.41, 40),   // thin and wide
//!     quote("SPY240405C00515000", dec!(5.00), dec!(5.12), 0.52, 800),  // 28 DTE: too far
//! ];
//! let request = SelectionRequest {
//!     underlying: "SPY",
//!     option_type: OptionType::Call,
//!     spot: dec!(514.20),
//!     today: NaiveDate::from_ymd_opt(2024, 3, 8).unwrap(),
//!     chain: &chain,
//! };
//! let chosen = select_contract(&request, &SelectionPolicy::default()).unwrap();
//! assert_eq!(chosen.contract.symbol.to_string(), "SPY240322C00515000");
//! assert_eq!((chosen.dte, chosen.candidates), (14, 1));
//! assert_eq!(chosen.mid, dec!(3.44));
//! ```

use super::greeks::BlackScholes;
use super::{OccSymbol, OptionType};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::America::New_York;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;

/// Time to expiry, in years, given to a contract that expires today (a quarter of a calendar
/// day, roughly what is left of a session), so that the model stays defined.
pub const SAME_DAY_YEARS: f64 = 0.25 / 365.0;

/// One contract of a chain with the market data selection needs.
///
/// Expiration, strike and call/put come from the symbol. Every market field is optional because
/// snapshots of illiquid contracts routinely lack them; the filters say what a gap means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContractQuote {
    /// The contract.
    pub symbol: OccSymbol,
    /// Best bid per share.
    pub bid: Option<Decimal>,
    /// Best ask per share.
    pub ask: Option<Decimal>,
    /// Last trade price per share (informational; selection prices off the quote).
    pub last: Option<Decimal>,
    /// Delta from the data feed, signed (negative for puts).
    pub delta: Option<f64>,
    /// Implied volatility from the data feed, e.g. `0.25`.
    pub implied_volatility: Option<f64>,
    /// Open interest in contracts.
    pub open_interest: Option<u64>,
    /// Shares per contract (usually 100; different after adjustments), the figure sizing uses.
    pub multiplier: Decimal,
}

/// What to choose from and for which trade.
#[derive(Debug, Clone, Copy)]
pub struct SelectionRequest<'a> {
    /// The underlying symbol, used in reports; the chain is assumed to be this underlying's.
    pub underlying: &'a str,
    /// Calls for a bullish trade, puts for a bearish one.
    pub option_type: OptionType,
    /// Reference price of the underlying, for Black-Scholes when a delta is missing.
    pub spot: Decimal,
    /// Today's date in America/New_York (see [`new_york_date`]).
    pub today: NaiveDate,
    /// The chain.
    pub chain: &'a [ContractQuote],
}

/// A ranking criterion for contracts that pass every filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preference {
    /// `|delta|` closest to the middle of the delta range.
    DeltaNearTarget,
    /// DTE closest to the middle of the DTE window.
    DteNearTarget,
    /// Smallest spread as a fraction of mid.
    TightestSpread,
    /// Largest open interest.
    HighestOpenInterest,
    /// Cheapest mid price, for the most contracts per dollar.
    LowestPremium,
}

/// Rules for [`select_contract`]; the defaults are those of the module docs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SelectionPolicy {
    /// Smallest acceptable `|delta|`.
    pub min_delta: f64,
    /// Largest acceptable `|delta|`.
    pub max_delta: f64,
    /// Fewest calendar days to expiry, inclusive.
    pub min_dte: i64,
    /// Most calendar days to expiry, inclusive.
    pub max_dte: i64,
    /// Widest acceptable spread as a fraction of mid; `None` turns the filter off.
    pub max_spread_fraction: Option<Decimal>,
    /// Least acceptable open interest; `0` turns the filter off.
    pub min_open_interest: u64,
    /// Whether a contract needs a non-zero bid.
    pub require_bid: bool,
    /// Volatility for Black-Scholes when a snapshot has neither delta nor IV; `None` drops such
    /// contracts rather than guessing.
    pub fallback_iv: Option<f64>,
    /// Risk-free rate for Black-Scholes (continuously compounded).
    pub risk_free_rate: f64,
    /// Ranking criteria, most important first.
    pub preference: Vec<Preference>,
}

impl Default for SelectionPolicy {
    fn default() -> Self {
        Self {
            min_delta: 0.40,
            max_delta: 0.55,
            min_dte: 7,
            max_dte: 21,
            max_spread_fraction: Some(Decimal::new(10, 2)),
            min_open_interest: 100,
            require_bid: true,
            fallback_iv: None,
            risk_free_rate: 0.04,
            preference: vec![
                Preference::DeltaNearTarget,
                Preference::TightestSpread,
                Preference::HighestOpenInterest,
                Preference::DteNearTarget,
            ],
        }
    }
}

impl SelectionPolicy {
    fn validate(&self) -> Result<(), SelectError> {
        let bad = |m: String| Err(SelectError::InvalidPolicy(m));
        if !(self.min_delta.is_finite() && self.max_delta.is_finite())
            || self.min_delta < 0.0
            || self.max_delta > 1.0
            || self.min_delta > self.max_delta
        {
            return bad(format!(
                "delta range {}..={} must lie within 0..=1 with min <= max",
                self.min_delta, self.max_delta
            ));
        }
        if self.min_dte < 0 || self.min_dte > self.max_dte {
            return bad(format!(
                "DTE window {}..={} must be non-negative with min <= max",
                self.min_dte, self.max_dte
            ));
        }
        if let Some(s) = self.max_spread_fraction
            && s < Decimal::ZERO
        {
            return bad(format!("max_spread_fraction {s} is negative"));
        }
        if let Some(iv) = self.fallback_iv
            && !(iv.is_finite() && iv > 0.0)
        {
            return bad(format!("fallback_iv {iv} must be a positive number"));
        }
        if !self.risk_free_rate.is_finite() {
            return bad(format!(
                "risk_free_rate {} is not finite",
                self.risk_free_rate
            ));
        }
        Ok(())
    }
}

/// One of the filters of [`select_contract`], in the order they are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Filter {
    /// Not the requested call or put.
    WrongType,
    /// Days to expiry outside the window (or expired).
    DteOutsideWindow,
    /// No bid, or a zero bid.
    NoBid,
    /// Ask missing or zero, negative bid, or bid above ask.
    BadQuote,
    /// Spread wider than allowed.
    SpreadTooWide,
    /// Open interest below the minimum or unknown.
    LowOpenInterest,
    /// No delta and no volatility to compute one.
    NoDelta,
    /// `|delta|` outside the range.
    DeltaOutOfRange,
}

impl Filter {
    /// All filters in application order.
    pub const ALL: [Filter; 8] = [
        Filter::WrongType,
        Filter::DteOutsideWindow,
        Filter::NoBid,
        Filter::BadQuote,
        Filter::SpreadTooWide,
        Filter::LowOpenInterest,
        Filter::NoDelta,
        Filter::DeltaOutOfRange,
    ];

    /// Short snake_case name for logs and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Filter::WrongType => "wrong_type",
            Filter::DteOutsideWindow => "dte_outside_window",
            Filter::NoBid => "no_bid",
            Filter::BadQuote => "bad_quote",
            Filter::SpreadTooWide => "spread_too_wide",
            Filter::LowOpenInterest => "low_open_interest",
            Filter::NoDelta => "no_delta",
            Filter::DeltaOutOfRange => "delta_out_of_range",
        }
    }
}

/// How many contracts each filter removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FilterCounts {
    counts: [usize; 8],
}

impl FilterCounts {
    /// Contracts removed by `filter`.
    pub fn get(&self, filter: Filter) -> usize {
        self.counts[filter as usize]
    }

    /// Contracts removed by all filters together.
    pub fn total(&self) -> usize {
        self.counts.iter().sum()
    }

    /// `(filter, count)` for every filter, in application order, zeros included.
    pub fn iter(&self) -> impl Iterator<Item = (Filter, usize)> + '_ {
        Filter::ALL.iter().map(|&f| (f, self.get(f)))
    }

    fn add(&mut self, filter: Filter) {
        self.counts[filter as usize] += 1;
    }
}

impl fmt::Display for FilterCounts {
    /// Only the filters that removed something, e.g. `wrong_type 10, no_bid 2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (filter, n) in self.iter().filter(|&(_, n)| n > 0) {
            if !first {
                f.write_str(", ")?;
            }
            write!(f, "{} {n}", filter.name())?;
            first = false;
        }
        if first {
            f.write_str("nothing removed")?;
        }
        Ok(())
    }
}

/// Nothing passed the filters: what was asked and which filter removed how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoCandidate {
    /// The underlying of the request.
    pub underlying: String,
    /// The requested type.
    pub option_type: OptionType,
    /// The New York date the DTEs were counted from.
    pub today: NaiveDate,
    /// Contracts in the chain.
    pub chain_len: usize,
    /// Contracts removed per filter; the total equals `chain_len`.
    pub removed: FilterCounts,
}

impl fmt::Display for NoCandidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no {} contract for {} on {} among {} contracts ({})",
            self.option_type, self.underlying, self.today, self.chain_len, self.removed
        )
    }
}

/// Why [`select_contract`] returned no contract.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SelectError {
    /// The policy contradicts itself (e.g. min delta above max delta).
    #[error("invalid selection policy: {0}")]
    InvalidPolicy(String),
    /// The reference price is zero or negative.
    #[error("reference price {0} must be greater than zero")]
    InvalidSpot(Decimal),
    /// Every contract was filtered out.
    #[error("{0}")]
    NoCandidate(NoCandidate),
}

/// Where a chosen contract's delta came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeltaSource {
    /// The snapshot's greeks.
    Snapshot,
    /// Black-Scholes with the snapshot's implied volatility.
    ImpliedVolatility,
    /// Black-Scholes with the policy's fallback volatility.
    FallbackVolatility,
}

/// The chosen contract and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection<'a> {
    /// The contract, borrowed from the chain.
    pub contract: &'a ContractQuote,
    /// Calendar days to expiry in New York.
    pub dte: i64,
    /// Signed delta used for the decision.
    pub delta: f64,
    /// Where the delta came from.
    pub delta_source: DeltaSource,
    /// `(bid + ask) / 2` (a missing bid counts as zero).
    pub mid: Decimal,
    /// `(ask - bid) / mid`.
    pub spread_fraction: Decimal,
    /// How many contracts passed every filter.
    pub candidates: usize,
    /// Contracts removed per filter.
    pub removed: FilterCounts,
    /// The ranking criterion that was applied first.
    pub ranked_by: Option<Preference>,
}

impl fmt::Display for Selection<'_> {
    /// The reason, for logs: what was chosen, its figures, and how it won.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match self.delta_source {
            DeltaSource::Snapshot => "snapshot",
            DeltaSource::ImpliedVolatility => "Black-Scholes from IV",
            DeltaSource::FallbackVolatility => "Black-Scholes from fallback IV",
        };
        write!(
            f,
            "{}: delta {:.3} ({source}), {} DTE, mid {}, spread {:.1}% of mid, open interest {}; \
             best of {} candidate(s)",
            self.contract.symbol,
            self.delta,
            self.dte,
            self.mid,
            self.spread_fraction.to_f64().unwrap_or(f64::NAN) * 100.0,
            self.contract
                .open_interest
                .map_or_else(|| "unknown".to_owned(), |n| n.to_string()),
            self.candidates,
        )?;
        if let Some(p) = self.ranked_by {
            write!(f, " by {p:?}")?;
        }
        write!(f, " (removed: {})", self.removed)
    }
}

/// The calendar date in New York at an instant: the date DTE counts from, and the date the
/// exchange's session belongs to.
pub fn new_york_date(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&New_York).date_naive()
}

/// Calendar days from `today` to `expiration`; negative once expired.
///
/// Counted on dates, not by dividing elapsed hours by 24, so a DST change in between (a 23- or
/// 25-hour day) does not turn 5 days into 4.96 or 5.04.
pub fn days_to_expiry(today: NaiveDate, expiration: NaiveDate) -> i64 {
    (expiration - today).num_days()
}

/// Per-contract figures of a survivor, kept small and `Copy` so ranking does not allocate.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    index: usize,
    dte: i64,
    delta: f64,
    source: DeltaSource,
    bid: Decimal,
    ask: Decimal,
}

impl Candidate {
    fn mid(&self) -> Decimal {
        (self.bid + self.ask) / Decimal::TWO
    }
}

/// Picks the contract of `request.chain` that passes every filter of `policy` and ranks best.
///
/// Allocation-free apart from the error report; one pass over the chain.
pub fn select_contract<'a>(
    request: &SelectionRequest<'a>,
    policy: &SelectionPolicy,
) -> Result<Selection<'a>, SelectError> {
    policy.validate()?;
    if request.spot <= Decimal::ZERO {
        return Err(SelectError::InvalidSpot(request.spot));
    }
    let spot = request.spot.to_f64().unwrap_or(f64::NAN);
    let mut removed = FilterCounts::default();
    let mut best: Option<Candidate> = None;
    let mut candidates = 0usize;
    for (index, c) in request.chain.iter().enumerate() {
        match screen(index, c, request, policy, spot) {
            Err(filter) => removed.add(filter),
            Ok(cand) => {
                candidates += 1;
                let better = match &best {
                    None => true,
                    Some(b) => rank(&cand, b, request.chain, policy) == Ordering::Less,
                };
                if better {
                    best = Some(cand);
                }
            }
        }
    }
    let Some(b) = best else {
        return Err(SelectError::NoCandidate(NoCandidate {
            underlying: request.underlying.to_owned(),
            option_type: request.option_type,
            today: request.today,
            chain_len: request.chain.len(),
            removed,
        }));
    };
    let mid = b.mid();
    Ok(Selection {
        contract: &request.chain[b.index],
        dte: b.dte,
        delta: b.delta,
        delta_source: b.source,
        mid,
        spread_fraction: (b.ask - b.bid) / mid,
        candidates,
        removed,
        ranked_by: policy.preference.first().copied(),
    })
}

/// Applies the filters in order; `Err` names the first that removes the contract.
fn screen(
    index: usize,
    c: &ContractQuote,
    request: &SelectionRequest<'_>,
    policy: &SelectionPolicy,
    spot: f64,
) -> Result<Candidate, Filter> {
    let sym = &c.symbol;
    if sym.option_type() != request.option_type {
        return Err(Filter::WrongType);
    }
    let dte = days_to_expiry(request.today, sym.expiration());
    if dte < policy.min_dte || dte > policy.max_dte {
        return Err(Filter::DteOutsideWindow);
    }
    // Sign and zero tests read flag bits; comparing with Decimal::ZERO would rescale first.
    let has_bid = matches!(c.bid, Some(b) if is_positive(b));
    if policy.require_bid && !has_bid {
        return Err(Filter::NoBid);
    }
    let bid = c.bid.unwrap_or(Decimal::ZERO);
    let ask = match c.ask {
        Some(a) if is_positive(a) && (bid.is_zero() || bid.is_sign_positive()) && bid <= a => a,
        _ => return Err(Filter::BadQuote),
    };
    if let Some(max) = policy.max_spread_fraction {
        // (ask - bid) / mid <= max, multiplied out to avoid a division per contract.
        if (ask - bid) * Decimal::TWO > max * (ask + bid) {
            return Err(Filter::SpreadTooWide);
        }
    }
    if policy.min_open_interest > 0 && c.open_interest.unwrap_or(0) < policy.min_open_interest {
        return Err(Filter::LowOpenInterest);
    }
    let (delta, source) = contract_delta(c, request.option_type, dte, spot, policy)?;
    let abs = delta.abs();
    if abs < policy.min_delta || abs > policy.max_delta {
        return Err(Filter::DeltaOutOfRange);
    }
    Ok(Candidate {
        index,
        dte,
        delta,
        source,
        bid,
        ask,
    })
}

fn is_positive(d: Decimal) -> bool {
    !d.is_zero() && d.is_sign_positive()
}

fn contract_delta(
    c: &ContractQuote,
    option_type: OptionType,
    dte: i64,
    spot: f64,
    policy: &SelectionPolicy,
) -> Result<(f64, DeltaSource), Filter> {
    if let Some(d) = c.delta.filter(|d| d.is_finite()) {
        return Ok((d, DeltaSource::Snapshot));
    }
    let (vol, source) = match c.implied_volatility.filter(|v| v.is_finite() && *v > 0.0) {
        Some(v) => (v, DeltaSource::ImpliedVolatility),
        None => match policy.fallback_iv {
            Some(v) => (v, DeltaSource::FallbackVolatility),
            None => return Err(Filter::NoDelta),
        },
    };
    let time_years = if dte <= 0 {
        SAME_DAY_YEARS
    } else {
        dte as f64 / 365.0
    };
    let model = BlackScholes {
        spot,
        strike: c.symbol.strike().to_f64().unwrap_or(f64::NAN),
        time_years,
        rate: policy.risk_free_rate,
        dividend_yield: 0.0,
        volatility: vol,
    };
    model
        .delta(option_type)
        .map(|d| (d, source))
        .map_err(|_| Filter::NoDelta)
}

/// `Less` when `a` ranks before `b`.
fn rank(
    a: &Candidate,
    b: &Candidate,
    chain: &[ContractQuote],
    policy: &SelectionPolicy,
) -> Ordering {
    let target_delta = 0.5 * (policy.min_delta + policy.max_delta);
    // Doubled so the midpoint of an odd-width window stays an integer.
    let target_dte2 = policy.min_dte + policy.max_dte;
    for p in &policy.preference {
        let o = match p {
            Preference::DeltaNearTarget => (a.delta.abs() - target_delta)
                .abs()
                .total_cmp(&(b.delta.abs() - target_delta).abs()),
            Preference::DteNearTarget => (2 * a.dte - target_dte2)
                .abs()
                .cmp(&(2 * b.dte - target_dte2).abs()),
            // spread_a / mid_a vs spread_b / mid_b, cross-multiplied (mids are positive).
            Preference::TightestSpread => {
                ((a.ask - a.bid) * (b.ask + b.bid)).cmp(&((b.ask - b.bid) * (a.ask + a.bid)))
            }
            Preference::HighestOpenInterest => chain[b.index]
                .open_interest
                .unwrap_or(0)
                .cmp(&chain[a.index].open_interest.unwrap_or(0)),
            Preference::LowestPremium => (a.bid + a.ask).cmp(&(b.bid + b.ask)),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    chain[a.index].symbol.cmp(&chain[b.index].symbol)
}

/// The expiration whose DTE is nearest `target_dte`, ignoring expired dates; ties go to the later
/// date (more time for the trade to work). `None` when no date is today or later.
///
/// Takes the dates the chain actually lists, so weekend targets and holiday-shifted expiries
/// (e.g. a Thursday expiry before Good Friday) resolve to a real expiration.
pub fn nearest_expiration<I>(expirations: I, today: NaiveDate, target_dte: u32) -> Option<NaiveDate>
where
    I: IntoIterator<Item = NaiveDate>,
{
    let target = i64::from(target_dte);
    expirations
        .into_iter()
        .filter(|&e| days_to_expiry(today, e) >= 0)
        .min_by(|&a, &b| {
            let da = (days_to_expiry(today, a) - target).abs();
            let db = (days_to_expiry(today, b) - target).abs();
            da.cmp(&db).then(b.cmp(&a))
        })
}

/// A strike relative to the underlying price, for users who choose without greeks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Moneyness {
    /// The listed strike nearest the spot.
    AtTheMoney,
    /// N listed strikes in the money from the at-the-money strike (lower for calls, higher for
    /// puts); `0` is the at-the-money strike.
    InTheMoney(u32),
    /// N listed strikes out of the money from the at-the-money strike (higher for calls, lower
    /// for puts); `0` is the at-the-money strike.
    OutOfTheMoney(u32),
}

/// Why no strike matches a [`Moneyness`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StrikeError {
    /// No strikes were given (or none for the requested expiration and type).
    #[error("no strikes to choose from")]
    NoStrikes,
    /// The reference price is zero or negative.
    #[error("reference price {0} must be greater than zero")]
    InvalidSpot(Decimal),
    /// The chain does not list enough strikes on that side of the money.
    #[error(
        "{moneyness:?} needs {wanted} strike(s) beyond at-the-money {atm}, only {available} listed"
    )]
    NotEnoughStrikes {
        /// What was asked.
        moneyness: Moneyness,
        /// The at-the-money strike.
        atm: Decimal,
        /// Steps asked for.
        wanted: u32,
        /// Steps available on that side.
        available: usize,
    },
}

/// The strike at `moneyness` among `strikes` (any order, duplicates allowed).
///
/// At-the-money is the strike nearest `spot`, ties going to the lower strike.
pub fn strike_by_moneyness(
    strikes: &[Decimal],
    spot: Decimal,
    option_type: OptionType,
    moneyness: Moneyness,
) -> Result<Decimal, StrikeError> {
    if spot <= Decimal::ZERO {
        return Err(StrikeError::InvalidSpot(spot));
    }
    let mut sorted = strikes.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let atm_index = sorted
        .iter()
        .enumerate()
        .min_by(|(_, a), (_, b)| (**a - spot).abs().cmp(&(**b - spot).abs()).then(a.cmp(b)))
        .map(|(i, _)| i)
        .ok_or(StrikeError::NoStrikes)?;
    let atm = sorted[atm_index];
    // +1 moves to higher strikes: out of the money for calls, in the money for puts.
    let (steps, upward) = match (moneyness, option_type) {
        (Moneyness::AtTheMoney, _) => (0, true),
        (Moneyness::OutOfTheMoney(n), OptionType::Call) => (n, true),
        (Moneyness::InTheMoney(n), OptionType::Put) => (n, true),
        (Moneyness::OutOfTheMoney(n), OptionType::Put) => (n, false),
        (Moneyness::InTheMoney(n), OptionType::Call) => (n, false),
    };
    let available = if upward {
        sorted.len() - 1 - atm_index
    } else {
        atm_index
    };
    let steps_usize = usize::try_from(steps).unwrap_or(usize::MAX);
    if steps_usize > available {
        return Err(StrikeError::NotEnoughStrikes {
            moneyness,
            atm,
            wanted: steps,
            available,
        });
    }
    Ok(if upward {
        sorted[atm_index + steps_usize]
    } else {
        sorted[atm_index - steps_usize]
    })
}

/// The contract of `chain` with the given type and expiration at `moneyness`.
pub fn contract_by_moneyness(
    chain: &[ContractQuote],
    option_type: OptionType,
    expiration: NaiveDate,
    spot: Decimal,
    moneyness: Moneyness,
) -> Result<&ContractQuote, StrikeError> {
    let matches = |c: &&ContractQuote| {
        c.symbol.option_type() == option_type && c.symbol.expiration() == expiration
    };
    let strikes: Vec<Decimal> = chain
        .iter()
        .filter(matches)
        .map(|c| c.symbol.strike())
        .collect();
    let strike = strike_by_moneyness(&strikes, spot, option_type, moneyness)?;
    chain
        .iter()
        .filter(matches)
        .find(|c| c.symbol.strike() == strike)
        .ok_or(StrikeError::NoStrikes)
}

#[cfg(test)]
mod tests;
