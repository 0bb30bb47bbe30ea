//! [`SimBroker`]: a [`Broker`] that fills orders from bars, for backtests and the daemon's
//! offline mode.
//!
//! The backtest driver feeds it bars in time order ([`SimBroker::on_bar`]) and closes each
//! session ([`SimBroker::end_of_day`]); the executor talks to it exactly as it talks to Alpaca.
//!
//! Rules (see the `fills` module for the price rules):
//! - an order is eligible from the first bar of its symbol *after* it was placed, so a market
//!   order placed on bar t fills at the open of bar t+1 ([`MarketFill::NextOpen`], the default);
//!   [`MarketFill::SameClose`] fills market orders at once at the last close instead;
//! - bars stamped at midnight New York (daily and coarser) stand for the regular session;
//!   an intraday bar outside 09:30-16:00 fills nothing unless the order allows extended hours;
//! - `day` orders expire at the end of their session, `ioc` and `fok` after their first
//!   eligible bar; `gtc` orders stay;
//! - bracket and OTO exits become working orders once the entry fills, and the two exits of a
//!   bracket or OCO cancel each other;
//! - commission per share and per contract, and slippage in basis points against the trader
//!   (default zero);
//! - options are quoted on every bar by the [`options`] model (Black-Scholes from the
//!   underlying, the OCC root, with its realised volatility, a bid/ask spread, greeks): quotes,
//!   chains, marks and fills all come from it, and an option order is checked against its
//!   underlying's bars (buyers pay the ask, sellers get the bid; a sell never fills at a zero
//!   bid, since nobody is buying);
//! - at the close of a contract's last session it expires, is exercised or is assigned by
//!   Alpaca's rules, settled as [`ExerciseSettlement`] says (see the `expiry` module);
//! - every fill and every option event is an account activity ([`Broker::activities`]), as
//!   Alpaca reports them, so the engine learns of expiries the way it does live;
//! - an account with cash only: buying power is the cash, with no margin.

mod expiry;
mod fills;
pub mod options;
mod volatility;

pub use expiry::ExerciseSettlement;
pub use options::{OptionModel, OptionQuote, SpreadModel, VolatilityModel};

use super::metrics::EquityPoint;
use super::session::SessionCalendar;
use crate::broker::{
    AccountSnapshot, ActivityKind, Broker, BrokerActivity, BrokerOrder, BrokerPosition, ChainQuery,
    LatestPrice, MarketClock, Session, duplicate_client_order_id, not_found,
};
use crate::data::Bar;
use crate::error::{ApiError, Error, Result};
use crate::hash::FastMap;
use crate::options::OccSymbol;
use crate::options::select::ContractQuote;
use crate::trading::orders::{OrderType, TimeInForce};
use crate::{OrderRequest, OrderSide, OrderStatus};
use async_trait::async_trait;
use chrono::{DateTime, Datelike, Days, NaiveDate, Utc, Weekday};
use fills::{Range, Working, try_fill};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

/// When market orders fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MarketFill {
    /// At the open of the next bar of the symbol (default).
    #[default]
    NextOpen,
    /// At once, at the last close.
    SameClose,
}

/// Simulation settings.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Starting cash.
    pub starting_cash: Decimal,
    /// When market orders fill.
    pub market_fill: MarketFill,
    /// Commission per share.
    pub commission_per_share: Decimal,
    /// Commission per option contract.
    pub commission_per_contract: Decimal,
    /// Slippage against the trader, in basis points of the fill price.
    pub slippage_bps: Decimal,
    /// Option pricing model.
    pub options: OptionModel,
    /// How exercised and assigned options settle (default: shares at the strike, as Alpaca).
    pub exercise: ExerciseSettlement,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            starting_cash: Decimal::from(100_000),
            market_fill: MarketFill::NextOpen,
            commission_per_share: Decimal::ZERO,
            commission_per_contract: Decimal::ZERO,
            slippage_bps: Decimal::ZERO,
            options: OptionModel::default(),
            exercise: ExerciseSettlement::default(),
        }
    }
}

/// What closing a session changed ([`SimBroker::end_of_day`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SessionEnd {
    /// Option positions that expired, were exercised or were assigned.
    pub options_settled: usize,
    /// Orders that expired: `day` orders, and orders in a contract that expired.
    pub orders_expired: usize,
}

/// One fill the simulator made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimFill {
    /// When.
    pub time: DateTime<Utc>,
    /// Order id; for option events `expiry`, `exercise`, `assignment`, `delivery` (the shares
    /// of an exercise or assignment) or `liquidation` (a contract the account could not
    /// exercise, sold at the close).
    pub order_id: String,
    /// Symbol.
    pub symbol: String,
    /// Side.
    pub side: OrderSide,
    /// Quantity.
    pub qty: Decimal,
    /// Price per unit (per share of premium for options).
    pub price: Decimal,
    /// Commission charged.
    pub commission: Decimal,
}

#[derive(Debug, Clone)]
struct SimOrder {
    id: String,
    client_order_id: String,
    symbol: String,
    /// The symbol whose bars drive the fills (the underlying for options).
    driver: String,
    option: Option<OccSymbol>,
    side: OrderSide,
    qty: Decimal,
    working: Working,
    limit_price: Option<Decimal>,
    tif: TimeInForce,
    extended_hours: bool,
    placed_at: DateTime<Utc>,
    status: OrderStatus,
    filled_qty: Decimal,
    filled_avg_price: Option<Decimal>,
    updated_at: DateTime<Utc>,
    /// Orders to activate when this one fills (bracket / OTO exits).
    on_fill: Vec<SimOrder>,
    /// Orders cancelled when this one fills (the other exit of a bracket / OCO).
    oco_group: Option<String>,
}

impl SimOrder {
    fn to_broker(&self) -> BrokerOrder {
        BrokerOrder {
            id: self.id.clone(),
            client_order_id: self.client_order_id.clone(),
            symbol: self.symbol.clone(),
            side: Some(self.side.clone()),
            qty: Some(self.qty),
            filled_qty: self.filled_qty,
            filled_avg_price: self.filled_avg_price,
            limit_price: self.limit_price,
            status: self.status.clone(),
            updated_at: Some(self.updated_at),
        }
    }

    fn is_open(&self) -> bool {
        self.status.is_open()
    }
}

#[derive(Debug, Clone, Default)]
struct Holding {
    qty: Decimal,
    avg_price: Decimal,
}

/// The simulated time, outside the state lock: a replay moves it twice per bar and reads it on
/// every executor record, and an atomic word costs less than a lock round trip. Instants from
/// 1677 to 2262 are nanoseconds in the word; any other sits behind a lock of its own.
#[derive(Debug)]
struct SimClock {
    nanos: AtomicI64,
    elsewhen: Mutex<DateTime<Utc>>,
}

/// `SimClock::nanos` when the time is in `SimClock::elsewhen`.
const ELSEWHEN: i64 = i64::MIN;

impl SimClock {
    fn new(t: DateTime<Utc>) -> Self {
        let c = Self {
            nanos: AtomicI64::new(ELSEWHEN),
            elsewhen: Mutex::new(t),
        };
        c.set(t);
        c
    }

    fn get(&self) -> DateTime<Utc> {
        match self.nanos.load(Ordering::Acquire) {
            ELSEWHEN => *self.elsewhen.lock().unwrap_or_else(|p| p.into_inner()),
            n => DateTime::from_timestamp_nanos(n),
        }
    }

    /// Moves the time to `t` if that is later.
    fn advance_to(&self, t: DateTime<Utc>) {
        match (self.nanos.load(Ordering::Acquire), t.timestamp_nanos_opt()) {
            (now, Some(n)) if now != ELSEWHEN && n != ELSEWHEN => {
                if n > now {
                    self.nanos.store(n, Ordering::Release);
                }
            }
            _ => {
                if t > self.get() {
                    self.set(t);
                }
            }
        }
    }

    fn set(&self, t: DateTime<Utc>) {
        match t.timestamp_nanos_opt() {
            Some(n) if n != ELSEWHEN => self.nanos.store(n, Ordering::Release),
            _ => {
                // The word goes last, so a reader that sees the marker finds this time.
                *self.elsewhen.lock().unwrap_or_else(|p| p.into_inner()) = t;
                self.nanos.store(ELSEWHEN, Ordering::Release);
            }
        }
    }
}

/// What the simulator keeps of a symbol's latest bar (all it prices from).
#[derive(Debug, Clone, Copy)]
struct LastBar {
    timestamp: DateTime<Utc>,
    close: Decimal,
    /// Not yet taken into the volatility estimate (set by each bar, cleared at the close).
    fresh: bool,
}

#[derive(Debug)]
struct State {
    cash: Decimal,
    last_equity: Option<Decimal>,
    holdings: BTreeMap<String, Holding>,
    orders: Vec<SimOrder>,
    by_client_id: FastMap<String, usize>,
    by_id: FastMap<String, usize>,
    open: Vec<usize>,
    last_bar: FastMap<String, LastBar>,
    next_id: u64,
    fills: Vec<SimFill>,
    curve: Vec<EquityPoint>,
    /// Each symbol's session closes, for the realised volatility of options on it.
    volatility: FastMap<String, volatility::RealizedVolatility>,
    /// Fills and option events, oldest first, as [`Broker::activities`] reports them.
    activities: Vec<BrokerActivity>,
    /// Contracts whose holder asked not to exercise them.
    do_not_exercise: std::collections::BTreeSet<String>,
}

impl State {
    /// Forgets the orders of `open` that are no longer open.
    fn drop_closed(&mut self) {
        let orders = &self.orders;
        self.open.retain(|&i| orders[i].is_open());
    }
}

/// The simulated broker. See the module docs for its rules.
#[derive(Debug)]
pub struct SimBroker {
    config: SimConfig,
    calendar: SessionCalendar,
    clock: SimClock,
    state: Mutex<State>,
}

fn rejected(msg: impl Into<String>) -> Error {
    ApiError::new(422, Some(42210000), msg).into()
}

impl SimBroker {
    /// A simulator over `calendar` (the sessions of the bars to be replayed).
    pub fn new(config: SimConfig, calendar: SessionCalendar) -> Self {
        let cash = config.starting_cash;
        // One point per session close: sized once instead of regrown (and copied) as it fills.
        let curve = Vec::with_capacity(calendar.len());
        Self {
            config,
            calendar,
            clock: SimClock::new(DateTime::<Utc>::MIN_UTC),
            state: Mutex::new(State {
                cash,
                last_equity: None,
                holdings: BTreeMap::new(),
                orders: Vec::new(),
                by_client_id: FastMap::default(),
                by_id: FastMap::default(),
                open: Vec::new(),
                last_bar: FastMap::default(),
                next_id: 1,
                fills: Vec::new(),
                curve,
                volatility: FastMap::default(),
                activities: Vec::new(),
                do_not_exercise: std::collections::BTreeSet::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The session calendar.
    pub fn sessions(&self) -> &SessionCalendar {
        &self.calendar
    }

    /// Sets the simulated time (the driver calls this before asking the strategies).
    pub fn set_now(&self, t: DateTime<Utc>) {
        self.clock.set(t);
    }

    /// The simulated time.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.get()
    }

    /// Every fill so far.
    pub fn fills(&self) -> Vec<SimFill> {
        self.lock().fills.clone()
    }

    /// The equity at each session close so far.
    pub fn equity_curve(&self) -> Vec<EquityPoint> {
        self.lock().curve.clone()
    }

    /// Moves the equity curve and the fills out, leaving both empty: a backtest's last use of
    /// its simulator, which saves copying them.
    pub(crate) fn take_results(&self) -> (Vec<EquityPoint>, Vec<SimFill>) {
        let mut st = self.lock();
        (std::mem::take(&mut st.curve), std::mem::take(&mut st.fills))
    }

    /// Whether any position is open.
    pub fn has_positions(&self) -> bool {
        !self.lock().holdings.is_empty()
    }

    /// Cash now.
    pub fn cash(&self) -> Decimal {
        self.lock().cash
    }

    /// Equity now: cash plus positions at their last price (options at the model's mid).
    pub fn equity(&self) -> Decimal {
        let st = self.lock();
        self.equity_of(&st)
    }

    fn spot(st: &State, symbol: &str) -> Option<Decimal> {
        st.last_bar.get(symbol).map(|b| b.close)
    }

    /// The price and multiplier of `symbol`; `now` is read from the clock once, by the first
    /// option, and shared by the caller's other marks.
    fn mark(
        &self,
        st: &State,
        symbol: &str,
        now: &mut Option<DateTime<Utc>>,
    ) -> Option<(Decimal, Decimal)> {
        match OccSymbol::try_parse(symbol) {
            Some(occ) => {
                let spot = Self::spot(st, occ.root())?;
                let now = *now.get_or_insert_with(|| self.now());
                Some((
                    self.price_option(st, &occ, spot, now).price,
                    Decimal::ONE_HUNDRED,
                ))
            }
            None => Self::spot(st, symbol).map(|p| (p, Decimal::ONE)),
        }
    }

    /// The volatility options on `underlying` are priced with now.
    fn volatility_of(&self, st: &State, underlying: &str) -> f64 {
        let model = self.config.options.volatility;
        let realized = st
            .volatility
            .get(underlying)
            .and_then(|v| v.annualized(model.window()));
        model.resolve(realized)
    }

    /// `occ` priced by the model at `spot` as of `now`.
    fn price_option(
        &self,
        st: &State,
        occ: &OccSymbol,
        spot: Decimal,
        now: DateTime<Utc>,
    ) -> OptionQuote {
        let vol = self.volatility_of(st, occ.root());
        self.config.options.quote(occ, spot, now, vol)
    }

    /// The model's quote of an option contract now, with its greeks and volatility: what a
    /// strategy or a test can read besides [`Broker::latest_price`].
    pub fn option_quote(&self, symbol: &str) -> Result<OptionQuote> {
        let occ = OccSymbol::parse(symbol)?;
        let st = self.lock();
        let spot = Self::spot(&st, occ.root())
            .ok_or_else(|| not_found(format!("no price for {}", occ.root())))?;
        Ok(self.price_option(&st, &occ, spot, self.now()))
    }

    /// Instructs the simulator not to exercise `symbol` at expiry even if it is in the money
    /// (Alpaca's do-not-exercise request): the contract expires worthless instead.
    pub fn do_not_exercise(&self, symbol: &str) {
        self.lock().do_not_exercise.insert(symbol.to_owned());
    }

    fn equity_of(&self, st: &State) -> Decimal {
        let mut now = None;
        st.cash
            + st.holdings
                .iter()
                .map(|(s, h)| {
                    let (price, mult) = self
                        .mark(st, s, &mut now)
                        .unwrap_or((h.avg_price, Decimal::ONE));
                    h.qty * price * mult
                })
                .sum::<Decimal>()
    }

    fn slip(&self, side: &OrderSide, price: Decimal) -> Decimal {
        if self.config.slippage_bps.is_zero() {
            return price;
        }
        let f = self.config.slippage_bps / Decimal::from(10_000);
        match side {
            OrderSide::Sell => price * (Decimal::ONE - f),
            _ => price * (Decimal::ONE + f),
        }
        .round_dp(4)
    }

    /// Fills order `idx` at `price` as of `now`.
    fn book_fill(&self, st: &mut State, idx: usize, price: Decimal, now: DateTime<Utc>) {
        let (symbol, side, qty, id, is_option) = {
            let o = &st.orders[idx];
            (
                o.symbol.clone(),
                o.side.clone(),
                o.qty,
                o.id.clone(),
                o.option.is_some(),
            )
        };
        let price = self.slip(&side, price);
        let mult = if is_option {
            Decimal::ONE_HUNDRED
        } else {
            Decimal::ONE
        };
        let commission = if is_option {
            self.config.commission_per_contract * qty
        } else {
            self.config.commission_per_share * qty
        };
        let signed = if side == OrderSide::Sell { -qty } else { qty };
        st.cash -= signed * price * mult + commission;
        Self::add_to_holding(st, &symbol, signed, price);
        st.activities.push(BrokerActivity {
            id: format!("{id}-fill"),
            kind: ActivityKind::Fill,
            symbol: symbol.clone(),
            qty: signed,
            price: Some(price),
            net_amount: Some(-(signed * price * mult + commission)),
            order_id: Some(id.clone()),
            time: now,
        });
        let o = &mut st.orders[idx];
        o.status = OrderStatus::Filled;
        o.filled_qty = qty;
        o.filled_avg_price = Some(price);
        o.updated_at = now;
        let children = std::mem::take(&mut o.on_fill);
        let group = o.oco_group.clone();
        st.fills.push(SimFill {
            time: now,
            order_id: id,
            symbol,
            side,
            qty,
            price,
            commission,
        });
        if let Some(g) = group {
            for &j in &st.open {
                let other = &mut st.orders[j];
                if other.oco_group.as_deref() == Some(g.as_str()) && other.is_open() && j != idx {
                    other.status = OrderStatus::Canceled;
                    other.updated_at = now;
                }
            }
        }
        for mut child in children {
            child.placed_at = now;
            child.updated_at = now;
            Self::register(st, child);
        }
    }

    /// Adds `signed` units bought (or sold, negative) at `price` to the holding of `symbol`.
    fn add_to_holding(st: &mut State, symbol: &str, signed: Decimal, price: Decimal) {
        let h = st.holdings.entry(symbol.to_owned()).or_default();
        let new_qty = h.qty + signed;
        if h.qty.is_zero() || (h.qty.is_sign_positive() == signed.is_sign_positive()) {
            // Opening or adding: weighted average price.
            h.avg_price = (h.avg_price * h.qty.abs() + price * signed.abs()) / new_qty.abs();
        } else if new_qty.is_sign_positive() != h.qty.is_sign_positive() && !new_qty.is_zero() {
            // Reversal: the remainder opens at this price.
            h.avg_price = price;
        }
        h.qty = new_qty;
        if h.qty.is_zero() {
            st.holdings.remove(symbol);
        }
    }

    /// Feeds the next bar of `symbol`: fills the orders it triggers, then records it as the
    /// latest price. Returns how many orders filled.
    pub fn on_bar(&self, symbol: &str, bar: &Bar) -> usize {
        let mut st = self.lock();
        if st.open.is_empty() {
            Self::remember(&mut st, symbol, bar);
            return 0;
        }
        let session_date = self.calendar.session_bar_date(bar.timestamp);
        let regular = session_date.is_some() || self.calendar.is_open(bar.timestamp);
        // A session bar starts trading at the session's open: an order placed by then (a signal
        // queued overnight and sent at 09:30) fills in it.
        let starts = session_date
            .and_then(|d| self.calendar.session(d))
            .map_or(bar.timestamp, |(open, _)| open);
        let mut filled = 0;
        let candidates: Vec<usize> = st
            .open
            .iter()
            .copied()
            .filter(|&i| {
                let o = &st.orders[i];
                o.driver == symbol && o.is_open() && o.placed_at <= starts
            })
            .collect();
        for i in candidates {
            if !st.orders[i].is_open() {
                continue; // cancelled by a sibling's fill in this bar
            }
            if !regular && !st.orders[i].extended_hours {
                continue;
            }
            let range = match st.orders[i].option.clone() {
                None => Range {
                    open: bar.open,
                    high: bar.high,
                    low: bar.low,
                },
                Some(occ) => self.option_range(&st, &occ, bar, &st.orders[i].side),
            };
            let side = st.orders[i].side.clone();
            let mut working = st.orders[i].working;
            let fill = try_fill(&side, &mut working, range)
                // A zero bid is no bid: an option sold "at" it found no buyer.
                .filter(|p| !(p.is_zero() && st.orders[i].option.is_some()));
            st.orders[i].working = working;
            match fill {
                Some(price) => {
                    let at = starts.max(st.orders[i].placed_at);
                    self.book_fill(&mut st, i, price, at);
                    filled += 1;
                }
                None if matches!(st.orders[i].tif, TimeInForce::Ioc | TimeInForce::Fok) => {
                    st.orders[i].status = OrderStatus::Canceled;
                }
                None => {}
            }
        }
        Self::remember(&mut st, symbol, bar);
        st.drop_closed();
        filled
    }

    fn remember(st: &mut State, symbol: &str, bar: &Bar) {
        let last = LastBar {
            timestamp: bar.timestamp,
            close: bar.close,
            fresh: true,
        };
        match st.last_bar.get_mut(symbol) {
            Some(b) => *b = last,
            None => {
                st.last_bar.insert(symbol.to_owned(), last);
            }
        }
    }

    /// The option's price range over an underlying bar: buyers pay the ask, sellers get the
    /// bid; the high and low come from the underlying's extremes (calls rise with it, puts fall).
    fn option_range(&self, st: &State, occ: &OccSymbol, bar: &Bar, side: &OrderSide) -> Range {
        let vol = self.volatility_of(st, occ.root());
        let at = |spot: Decimal| {
            let q = self.config.options.quote(occ, spot, bar.timestamp, vol);
            if *side == OrderSide::Sell {
                q.bid
            } else {
                q.ask
            }
        };
        let (a, b, c) = (at(bar.open), at(bar.high), at(bar.low));
        Range {
            open: a,
            high: a.max(b).max(c),
            low: a.min(b).min(c),
        }
    }

    /// Closes the session of `date`: expires `day` orders, takes each symbol's close into its
    /// volatility estimate, settles the options expiring that day (see the `expiry` module) and
    /// records the closing equity. Returns what changed, for the driver to tell the engine.
    pub fn end_of_day(&self, date: NaiveDate) -> SessionEnd {
        let mut st = self.lock();
        if let Some((_, close)) = self.calendar.session(date) {
            self.clock.advance_to(close);
        }
        // Read once, and only if an order or a position needs it (most closes change nothing).
        let mut at = None;
        let mut now = || *at.get_or_insert_with(|| self.now());
        let mut end = SessionEnd::default();
        for idx in 0..st.open.len() {
            let i = st.open[idx];
            let o = &mut st.orders[i];
            if o.is_open() && o.tif == TimeInForce::Day {
                o.status = OrderStatus::Expired;
                o.updated_at = now();
                end.orders_expired += 1;
            }
        }
        self.take_closes(&mut st);
        if !st.holdings.is_empty() {
            let (settled, expired) = self.settle_expiring(&mut st, date, now());
            end.options_settled = settled;
            end.orders_expired += expired;
        }
        st.drop_closed();
        let equity = self.equity_of(&st);
        let invested = !st.holdings.is_empty();
        st.last_equity = Some(equity);
        st.curve.push(EquityPoint {
            date,
            equity,
            invested,
        });
        end
    }

    /// Adds the session's close of every symbol that traded to its volatility estimate.
    fn take_closes(&self, st: &mut State) {
        let window = self.config.options.volatility.window();
        if window == 0 {
            return;
        }
        let State {
            last_bar,
            volatility,
            ..
        } = st;
        for (symbol, bar) in last_bar.iter_mut().filter(|(_, b)| b.fresh) {
            bar.fresh = false;
            match volatility.get_mut(symbol.as_str()) {
                Some(v) => v.push_close(bar.close, window),
                None => volatility
                    .entry(symbol.clone())
                    .or_default()
                    .push_close(bar.close, window),
            }
        }
    }

    /// Builds the orders a request creates: one order (with its bracket / OTO exits waiting for
    /// its fill), or for an OCO the two exit legs working together. The first is the one reported.
    fn new_orders(&self, st: &mut State, req: &OrderRequest) -> Result<Vec<SimOrder>> {
        let symbol = req
            .symbol()
            .ok_or_else(|| rejected("the simulator does not trade multi-leg orders"))?
            .to_owned();
        let option = OccSymbol::try_parse(&symbol);
        let driver = option
            .as_ref()
            .map_or(symbol.clone(), |o| o.root().to_owned());
        let Some(spot) = Self::spot(st, &driver) else {
            return Err(rejected(format!("no price yet for {driver}")));
        };
        let qty = match (req.qty(), req.notional()) {
            (Some(q), _) => q,
            (None, Some(n)) if !spot.is_zero() => (n / spot).round_dp(9),
            _ => return Err(rejected(format!("cannot size the order for {symbol}"))),
        };
        let side = req.side().cloned().unwrap_or(OrderSide::Buy);
        let working = match req.order_type() {
            OrderType::Market => Working::Market,
            OrderType::Limit => Working::Limit(req.limit_price().unwrap_or_default()),
            OrderType::Stop => Working::Stop(req.stop_price().unwrap_or_default()),
            OrderType::StopLimit => Working::StopLimit {
                stop: req.stop_price().unwrap_or_default(),
                limit: req.limit_price().unwrap_or_default(),
                triggered: false,
            },
            OrderType::TrailingStop => Working::Trailing {
                trail: req
                    .trail()
                    .ok_or_else(|| rejected("trailing stop without a trail"))?,
                mark: Some(spot),
            },
            OrderType::Unknown(t) => return Err(rejected(format!("unknown order type {t}"))),
        };
        let id = format!("sim-{:08}", st.next_id);
        st.next_id += 1;
        let now = self.now();
        let base = SimOrder {
            id: id.clone(),
            client_order_id: req.client_order_id().to_owned(),
            symbol,
            driver,
            option,
            side: side.clone(),
            qty,
            working,
            limit_price: req.limit_price(),
            tif: req.time_in_force().clone(),
            extended_hours: req.extended_hours(),
            placed_at: now,
            status: if self.calendar.is_open(now) {
                OrderStatus::New
            } else {
                OrderStatus::Accepted
            },
            filled_qty: Decimal::ZERO,
            filled_avg_price: None,
            updated_at: now,
            on_fill: Vec::new(),
            oco_group: None,
        };
        let oco = req.order_class() == Some(&crate::OrderClass::Oco);
        let exit_side = if oco {
            side.clone()
        } else if side == OrderSide::Sell {
            OrderSide::Buy
        } else {
            OrderSide::Sell
        };
        let group =
            (req.take_profit().is_some() && req.stop_loss().is_some()).then(|| format!("{id}-oco"));
        let exit = |suffix: &str, working: Working, limit: Option<Decimal>| SimOrder {
            id: format!("{id}-{suffix}"),
            client_order_id: format!("{}-{suffix}", base.client_order_id),
            side: exit_side.clone(),
            working,
            limit_price: limit,
            oco_group: group.clone(),
            status: OrderStatus::New,
            ..base.clone()
        };
        let tp = req
            .take_profit()
            .map(|l| exit("tp", Working::Limit(l), Some(l)));
        let sl = req.stop_loss().map(|s| {
            let w = match s.limit_price {
                Some(l) => Working::StopLimit {
                    stop: s.stop_price,
                    limit: l,
                    triggered: false,
                },
                None => Working::Stop(s.stop_price),
            };
            exit("sl", w, s.limit_price)
        });
        let exits: Vec<SimOrder> = tp.into_iter().chain(sl).collect();
        if oco {
            // The OCO is itself the exit pair; its primary leg keeps the request's ids.
            let mut legs = exits;
            if let Some(first) = legs.first_mut() {
                first.id = id;
                first.client_order_id = base.client_order_id.clone();
            }
            return Ok(legs);
        }
        Ok(vec![SimOrder {
            on_fill: exits,
            ..base
        }])
    }

    fn register(st: &mut State, order: SimOrder) -> usize {
        let i = st.orders.len();
        st.by_id.insert(order.id.clone(), i);
        st.by_client_id.insert(order.client_order_id.clone(), i);
        st.orders.push(order);
        st.open.push(i);
        i
    }

    fn find(&self, st: &State, i: Option<&usize>, what: &str) -> Result<BrokerOrder> {
        i.map(|&i| st.orders[i].to_broker())
            .ok_or_else(|| not_found(format!("order {what} not found")))
    }
}

#[async_trait]
impl Broker for SimBroker {
    async fn account(&self) -> Result<AccountSnapshot> {
        let st = self.lock();
        let equity = self.equity_of(&st);
        let cash = st.cash.max(Decimal::ZERO);
        Ok(AccountSnapshot {
            equity,
            last_equity: st.last_equity,
            buying_power: cash,
            options_buying_power: cash,
            can_trade: true,
        })
    }

    async fn clock(&self) -> Result<MarketClock> {
        let now = self.now();
        let far = now + Days::new(7);
        Ok(MarketClock {
            now,
            is_open: self.calendar.is_open(now),
            next_open: self.calendar.next_open(now).unwrap_or(far),
            next_close: self.calendar.next_close(now).unwrap_or(far),
        })
    }

    async fn calendar(&self, start: NaiveDate, end: NaiveDate) -> Result<Vec<Session>> {
        Ok(self
            .calendar
            .days_between(start, end)
            .filter_map(|date| {
                self.calendar
                    .session(date)
                    .map(|(open, close)| Session { date, open, close })
            })
            .collect())
    }

    async fn positions(&self) -> Result<Vec<BrokerPosition>> {
        let st = self.lock();
        let mut now = None;
        Ok(st
            .holdings
            .iter()
            .map(|(symbol, h)| {
                let mark = self.mark(&st, symbol, &mut now);
                BrokerPosition {
                    symbol: symbol.clone(),
                    qty: h.qty,
                    avg_entry_price: h.avg_price,
                    market_value: mark.map(|(p, m)| p * m * h.qty),
                    current_price: mark.map(|(p, _)| p),
                }
            })
            .collect())
    }

    async fn open_orders(&self) -> Result<Vec<BrokerOrder>> {
        let st = self.lock();
        Ok(st
            .open
            .iter()
            .map(|&i| &st.orders[i])
            .filter(|o| o.is_open())
            .map(SimOrder::to_broker)
            .collect())
    }

    async fn submit_order(&self, order: &OrderRequest) -> Result<BrokerOrder> {
        let mut st = self.lock();
        if st.by_client_id.contains_key(order.client_order_id()) {
            return Err(duplicate_client_order_id());
        }
        let orders = self.new_orders(&mut st, order)?;
        let mut first = None;
        for o in orders {
            let i = Self::register(&mut st, o);
            first.get_or_insert(i);
        }
        let i = first.ok_or_else(|| rejected("the order created nothing"))?;
        if self.config.market_fill == MarketFill::SameClose
            && matches!(st.orders[i].working, Working::Market)
        {
            let driver = st.orders[i].driver.clone();
            if let Some(bar) = st.last_bar.get(&driver).copied() {
                let now = self.now();
                let price = match st.orders[i].option.clone() {
                    Some(occ) => {
                        let q = self.price_option(&st, &occ, bar.close, now);
                        if st.orders[i].side == OrderSide::Sell {
                            q.bid
                        } else {
                            q.ask
                        }
                    }
                    None => bar.close,
                };
                // A zero bid is no bid: nothing fills.
                if !(price.is_zero() && st.orders[i].option.is_some()) {
                    self.book_fill(&mut st, i, price, now);
                }
            }
        }
        Ok(st.orders[i].to_broker())
    }

    async fn cancel_order(&self, order_id: &str) -> Result<()> {
        let mut st = self.lock();
        let Some(&i) = st.by_id.get(order_id) else {
            return Err(not_found(format!("order {order_id} not found")));
        };
        if !st.orders[i].is_open() {
            return Err(rejected(format!(
                "order {order_id} is {} and cannot be canceled",
                st.orders[i].status
            )));
        }
        let now = self.now();
        let o = &mut st.orders[i];
        o.status = OrderStatus::Canceled;
        o.updated_at = now;
        Ok(())
    }

    async fn order(&self, order_id: &str) -> Result<BrokerOrder> {
        let st = self.lock();
        self.find(&st, st.by_id.get(order_id), order_id)
    }

    async fn order_by_client_order_id(&self, client_order_id: &str) -> Result<BrokerOrder> {
        let st = self.lock();
        self.find(&st, st.by_client_id.get(client_order_id), client_order_id)
    }

    async fn latest_price(&self, symbol: &str) -> Result<LatestPrice> {
        let st = self.lock();
        match OccSymbol::try_parse(symbol) {
            Some(occ) => {
                let bar = st
                    .last_bar
                    .get(occ.root())
                    .ok_or_else(|| not_found(format!("no price for {}", occ.root())))?;
                let now = self.now();
                let q = self.price_option(&st, &occ, bar.close, now);
                Ok(LatestPrice {
                    bid: Some(q.bid),
                    ask: Some(q.ask),
                    last: None,
                    time: Some(now),
                })
            }
            None => {
                let bar = st
                    .last_bar
                    .get(symbol)
                    .ok_or_else(|| not_found(format!("no price for {symbol}")))?;
                Ok(LatestPrice {
                    bid: Some(bar.close),
                    ask: Some(bar.close),
                    last: Some(bar.close),
                    time: Some(bar.timestamp),
                })
            }
        }
    }

    async fn option_chain(&self, query: &ChainQuery) -> Result<Vec<ContractQuote>> {
        let st = self.lock();
        let spot = Self::spot(&st, &query.underlying)
            .ok_or_else(|| not_found(format!("no price for {}", query.underlying)))?;
        // Friday listings, moved to the Thursday (or earlier) of a holiday Friday, in the window.
        // A holiday Friday past the window's end can still expire inside it.
        let window = query.expiration_gte..=query.expiration_lte;
        let last_friday = query.expiration_lte.checked_add_days(Days::new(4));
        let fridays = query
            .expiration_gte
            .iter_days()
            .skip_while(|d| d.weekday() != Weekday::Fri)
            .step_by(7)
            .take_while(|d| last_friday.is_none_or(|l| *d <= l))
            // Ten years of Fridays: more than any selection window asks for.
            .take(520);
        let expirations: Vec<NaiveDate> = fridays
            .filter_map(|f| self.calendar.expiration_for(f))
            .filter(|e| window.contains(e))
            .collect();
        let vol = self.volatility_of(&st, &query.underlying);
        Ok(self.config.options.chain(
            &query.underlying,
            query.option_type,
            spot,
            self.now(),
            vol,
            &expirations,
        ))
    }

    /// Every fill and option event after `after`, oldest first.
    async fn activities(&self, after: DateTime<Utc>) -> Result<Vec<BrokerActivity>> {
        let st = self.lock();
        Ok(st
            .activities
            .iter()
            .filter(|a| a.time > after)
            .cloned()
            .collect())
    }
}

#[cfg(test)]
mod tests;
