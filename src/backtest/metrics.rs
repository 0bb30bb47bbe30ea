//! Performance statistics of a backtest from its daily equity curve and closed trades.
//!
//! Definitions (zero risk-free rate, 252 trading days a year):
//! - total return `E_last / E_first - 1`; CAGR `(E_last / E_first)^(1 / years) - 1` with years
//!   the calendar span / 365.25;
//! - daily returns `r_i = E_i / E_{i-1} - 1`; Sharpe `mean(r) / stdev(r) * sqrt(252)` (sample
//!   standard deviation); Sortino `mean(r) / sqrt(mean(min(r, 0)^2)) * sqrt(252)`;
//! - max drawdown: the largest fall from a running peak, as a fraction of the peak, with the
//!   peak date, the trough date and the date the peak was regained (if it was);
//! - exposure: the fraction of days that ended with an open position;
//! - win rate: trades with positive P&L over all trades; profit factor: gross profit over gross
//!   loss (`None` without losing trades).
//!
//! Annualised figures need a run long enough to mean something: CAGR needs at least a year
//! ([`MIN_DAYS_FOR_CAGR`] calendar days), Sharpe and Sortino at least [`MIN_SESSIONS_FOR_RATIOS`]
//! sessions (about six months). A ten-day run compounded to a year, or ten daily returns scaled
//! by the square root of 252, is noise dressed as a statistic; those fields are `None` and the
//! report says why.
//!
//! Money (equity, P&L) is `Decimal`; ratios are `f64` statistics.

use super::format::{money, percent, signed_money, signed_percent};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fmt;

/// Trading days per year used to annualise daily statistics.
pub const TRADING_DAYS: f64 = 252.0;

/// Sessions a run needs before Sharpe and Sortino are annualised (about six months).
pub const MIN_SESSIONS_FOR_RATIOS: usize = 126;

/// Calendar days a run must span before its growth is compounded into a CAGR.
pub const MIN_DAYS_FOR_CAGR: i64 = 365;

/// Equity at the end of one day.
#[derive(Debug, Clone, PartialEq)]
pub struct EquityPoint {
    /// The New York trading date.
    pub date: NaiveDate,
    /// Account equity at the close.
    pub equity: Decimal,
    /// Whether any position was open at the close.
    pub invested: bool,
}

/// A round trip: an entry and its exit.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedTrade {
    /// Strategy that traded.
    pub strategy: String,
    /// Symbol (an OCC symbol for options).
    pub symbol: String,
    /// Quantity (shares or contracts).
    pub qty: Decimal,
    /// Entry time.
    pub entry_time: chrono::DateTime<chrono::Utc>,
    /// Average entry price.
    pub entry_price: Decimal,
    /// Exit time.
    pub exit_time: chrono::DateTime<chrono::Utc>,
    /// Average exit price.
    pub exit_price: Decimal,
    /// Realised P&L after commissions.
    pub pnl: Decimal,
    /// Why the position was closed.
    pub exit_reason: String,
    /// What closed it, for grouping: the exit rule (`dte`, `stop`, `max_loss`, `target`,
    /// `max_profit`, `time`, `trailing`), `signal`, `manual`, or an ending outside the engine
    /// (`expired`, `exercised`, `assigned`, ...); `other` when the record has none.
    pub exit_rule: String,
}

/// The largest drawdown.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawdown {
    /// Fall from peak as a fraction (0.25 = 25%).
    pub depth: f64,
    /// Date of the peak.
    pub peak: NaiveDate,
    /// Date of the trough.
    pub trough: NaiveDate,
    /// Date equity regained the peak, if it did.
    pub recovered: Option<NaiveDate>,
}

/// Trade statistics.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct TradeStats {
    /// Closed trades.
    pub trades: usize,
    /// Trades with positive P&L.
    pub wins: usize,
    /// Win rate (0-1); `None` without trades.
    pub win_rate: Option<f64>,
    /// Average P&L of winners.
    pub avg_win: Option<Decimal>,
    /// Average P&L of losers (negative).
    pub avg_loss: Option<Decimal>,
    /// Gross profit / gross loss; `None` without losers.
    pub profit_factor: Option<f64>,
    /// Sum of P&L.
    pub net_pnl: Decimal,
}

/// Everything the report shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    /// First date of the curve.
    pub start: NaiveDate,
    /// Last date of the curve.
    pub end: NaiveDate,
    /// Starting equity.
    pub start_equity: Decimal,
    /// Final equity.
    pub end_equity: Decimal,
    /// Sessions (points of the equity curve).
    pub sessions: usize,
    /// Total return as a fraction.
    pub total_return: f64,
    /// Compound annual growth rate; `None` for a run shorter than [`MIN_DAYS_FOR_CAGR`].
    pub cagr: Option<f64>,
    /// Annualised Sharpe ratio; `None` with no variation or fewer than
    /// [`MIN_SESSIONS_FOR_RATIOS`] sessions.
    pub sharpe: Option<f64>,
    /// Annualised Sortino ratio; `None` with no down days or fewer than
    /// [`MIN_SESSIONS_FOR_RATIOS`] sessions.
    pub sortino: Option<f64>,
    /// Largest drawdown; `None` if equity never fell.
    pub max_drawdown: Option<Drawdown>,
    /// Fraction of days with a position open.
    pub exposure: f64,
    /// All trades.
    pub trades: TradeStats,
    /// Per strategy, by name.
    pub per_strategy: BTreeMap<String, TradeStats>,
    /// Per exit rule (see [`ClosedTrade::exit_rule`]).
    pub exits_by_reason: BTreeMap<String, TradeStats>,
}

fn f(d: Decimal) -> f64 {
    crate::num::to_f64(d)
}

/// Trade statistics of a set of trades.
pub fn trade_stats<'a>(trades: impl IntoIterator<Item = &'a ClosedTrade>) -> TradeStats {
    let mut s = TradeStats::default();
    let (mut gross_win, mut gross_loss, mut losses) = (Decimal::ZERO, Decimal::ZERO, 0usize);
    for t in trades {
        s.trades += 1;
        s.net_pnl += t.pnl;
        if t.pnl > Decimal::ZERO {
            s.wins += 1;
            gross_win += t.pnl;
        } else if t.pnl < Decimal::ZERO {
            losses += 1;
            gross_loss -= t.pnl;
        }
    }
    if s.trades > 0 {
        s.win_rate = Some(s.wins as f64 / s.trades as f64);
    }
    if s.wins > 0 {
        s.avg_win = Some(gross_win / Decimal::from(s.wins));
    }
    if losses > 0 {
        s.avg_loss = Some(-gross_loss / Decimal::from(losses));
        s.profit_factor = Some(f(gross_win) / f(gross_loss));
    }
    s
}

/// Computes the metrics; `None` for an empty curve or a non-positive starting equity.
pub fn compute(curve: &[EquityPoint], trades: &[ClosedTrade]) -> Option<Metrics> {
    summarise(curve, curve, trades)
}

/// [`compute`] for an account that held `start_equity` before the curve's first session: the
/// first session's own gain or loss counts (a backtest that trades on its first day would
/// otherwise start from that day's close). `None` as for [`compute`].
pub fn compute_from(
    start_equity: Decimal,
    curve: &[EquityPoint],
    trades: &[ClosedTrade],
) -> Option<Metrics> {
    let first = curve.first()?;
    let mut points = Vec::with_capacity(curve.len() + 1);
    points.push(EquityPoint {
        date: first.date,
        equity: start_equity,
        invested: false,
    });
    points.extend_from_slice(curve);
    summarise(&points, curve, trades)
}

/// The metrics of the equity `points` (the first is the start), over the `sessions` of the
/// curve (for the session count, exposure and whether the run is long enough).
fn summarise(
    points: &[EquityPoint],
    sessions: &[EquityPoint],
    trades: &[ClosedTrade],
) -> Option<Metrics> {
    let first = points.first()?;
    let last = points.last()?;
    if first.equity <= Decimal::ZERO || sessions.is_empty() {
        return None;
    }
    let curve = points;
    // Statistics in f64, converting each point once (Decimal division per point is slow on
    // long curves); money figures stay Decimal.
    let eq: Vec<f64> = curve.iter().map(|p| f(p.equity)).collect();
    let growth = eq[eq.len() - 1] / eq[0];
    let years = (last.date - first.date).num_days() as f64 / 365.25;
    let returns: Vec<f64> = eq.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
    let n = returns.len() as f64;
    let mean = returns.iter().sum::<f64>() / n.max(1.0);
    let sharpe = (returns.len() >= 2)
        .then(|| {
            let var = returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0);
            (var > 0.0).then(|| mean / var.sqrt() * TRADING_DAYS.sqrt())
        })
        .flatten();
    let downside = returns.iter().map(|r| r.min(0.0).powi(2)).sum::<f64>() / n.max(1.0);
    let sortino = (!returns.is_empty() && downside > 0.0)
        .then(|| mean / downside.sqrt() * TRADING_DAYS.sqrt());

    let long_enough = sessions.len() >= MIN_SESSIONS_FOR_RATIOS;
    let mut per: BTreeMap<String, Vec<&ClosedTrade>> = BTreeMap::new();
    let mut by_rule: BTreeMap<String, Vec<&ClosedTrade>> = BTreeMap::new();
    for t in trades {
        per.entry(t.strategy.clone()).or_default().push(t);
        by_rule.entry(t.exit_rule.clone()).or_default().push(t);
    }
    Some(Metrics {
        start: first.date,
        end: last.date,
        start_equity: first.equity,
        end_equity: last.equity,
        sessions: sessions.len(),
        total_return: growth - 1.0,
        cagr: ((last.date - first.date).num_days() >= MIN_DAYS_FOR_CAGR && growth > 0.0)
            .then(|| growth.powf(1.0 / years) - 1.0),
        sharpe: sharpe.filter(|_| long_enough),
        sortino: sortino.filter(|_| long_enough),
        max_drawdown: drawdown_of(curve, &eq),
        exposure: sessions.iter().filter(|p| p.invested).count() as f64 / sessions.len() as f64,
        trades: trade_stats(trades),
        per_strategy: per.into_iter().map(|(k, v)| (k, trade_stats(v))).collect(),
        exits_by_reason: by_rule
            .into_iter()
            .map(|(k, v)| (k, trade_stats(v)))
            .collect(),
    })
}

impl Metrics {
    /// Why the annualised figures are missing, in words, when the run is too short for them
    /// (`None` when they are shown, or missing only for lack of variation).
    pub fn annualised_note(&self) -> Option<String> {
        let days = (self.end - self.start).num_days();
        let short_ratios = self.sessions < MIN_SESSIONS_FOR_RATIOS;
        let short_cagr = days < MIN_DAYS_FOR_CAGR;
        match (short_cagr, short_ratios) {
            (false, false) => None,
            (true, true) => Some(format!(
                "not annualised: {} sessions over {days} days (CAGR needs a year, Sharpe and \
                 Sortino {MIN_SESSIONS_FOR_RATIOS} sessions)",
                self.sessions
            )),
            (true, false) => Some(format!(
                "CAGR not shown: the run spans {days} days, less than a year"
            )),
            (false, true) => Some(format!(
                "Sharpe and Sortino not annualised: {} sessions, fewer than {MIN_SESSIONS_FOR_RATIOS}",
                self.sessions
            )),
        }
    }
}

impl fmt::Display for TradeStats {
    /// `83 round trips, win rate 42.17%, profit factor 2.62, net P&L +$32,729.05`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} round trip{}, win rate {}, profit factor {}, net P&L {}",
            self.trades,
            if self.trades == 1 { "" } else { "s" },
            self.win_rate.map_or("n/a".into(), percent),
            self.profit_factor
                .map_or("n/a".into(), |p| format!("{p:.2}")),
            signed_money(self.net_pnl)
        )
    }
}

impl fmt::Display for Metrics {
    /// A few lines a trader can read: the period, equity in dollars and the return, the
    /// annualised figures (or why there are none), the drawdown, exposure and the trades.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} to {}, {} sessions",
            self.start, self.end, self.sessions
        )?;
        writeln!(
            f,
            "equity {} -> {} ({})",
            money(self.start_equity),
            money(self.end_equity),
            signed_percent(self.total_return)
        )?;
        let ratio = |r: Option<f64>| r.map_or("n/a".to_owned(), |v| format!("{v:.2}"));
        match self.annualised_note() {
            Some(note) if self.cagr.is_none() && self.sharpe.is_none() => writeln!(f, "{note}")?,
            note => {
                write!(
                    f,
                    "CAGR {}, Sharpe {}, Sortino {}",
                    self.cagr.map_or("n/a".into(), percent),
                    ratio(self.sharpe),
                    ratio(self.sortino)
                )?;
                match note {
                    Some(n) => writeln!(f, " ({n})")?,
                    None => writeln!(f)?,
                }
            }
        }
        match &self.max_drawdown {
            Some(d) => writeln!(
                f,
                "max drawdown {} (peak {}, trough {}, {})",
                percent(d.depth),
                d.peak,
                d.trough,
                d.recovered
                    .map_or("not recovered".to_owned(), |r| format!("recovered {r}"))
            )?,
            None => writeln!(f, "no drawdown")?,
        }
        writeln!(f, "exposure {} of sessions", percent(self.exposure))?;
        write!(f, "{}", self.trades)
    }
}

/// The largest peak-to-trough fall of the curve.
pub fn max_drawdown(curve: &[EquityPoint]) -> Option<Drawdown> {
    let eq: Vec<f64> = curve.iter().map(|p| f(p.equity)).collect();
    drawdown_of(curve, &eq)
}

fn drawdown_of(curve: &[EquityPoint], eq: &[f64]) -> Option<Drawdown> {
    curve.first()?;
    let mut peak = 0usize;
    let mut best: Option<Drawdown> = None;
    let mut best_peak_equity = Decimal::ZERO;
    for (i, p) in curve.iter().enumerate() {
        if p.equity > curve[peak].equity {
            peak = i;
        }
        if eq[peak] <= 0.0 {
            continue;
        }
        let depth = (eq[peak] - eq[i]) / eq[peak];
        if depth > 0.0 && best.as_ref().is_none_or(|b| depth > b.depth) {
            best = Some(Drawdown {
                depth,
                peak: curve[peak].date,
                trough: p.date,
                recovered: None,
            });
            best_peak_equity = curve[peak].equity;
        }
    }
    let mut dd = best?;
    dd.recovered = curve
        .iter()
        .find(|p| p.date > dd.trough && p.equity >= best_peak_equity)
        .map(|p| p.date);
    Some(dd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 1, d).unwrap()
    }

    fn curve(values: &[(u32, Decimal, bool)]) -> Vec<EquityPoint> {
        values
            .iter()
            .map(|&(d, equity, invested)| EquityPoint {
                date: day(d),
                equity,
                invested,
            })
            .collect()
    }

    fn trade(strategy: &str, pnl: Decimal) -> ClosedTrade {
        let t = chrono::Utc::now();
        ClosedTrade {
            strategy: strategy.into(),
            symbol: "X".into(),
            qty: dec!(1),
            entry_time: t,
            entry_price: dec!(1),
            exit_time: t,
            exit_price: dec!(1),
            pnl,
            exit_reason: "test".into(),
            exit_rule: "target".into(),
        }
    }

    #[test]
    fn metrics_match_hand_computed_values() {
        // 100 -> 110 -> 99 -> 121: returns +10%, -10%, +22.2222%.
        let c = curve(&[
            (1, dec!(100), false),
            (2, dec!(110), true),
            (3, dec!(99), true),
            (4, dec!(121), false),
        ]);
        let m = compute(&c, &[]).unwrap();
        assert!((m.total_return - 0.21).abs() < 1e-12);
        assert_eq!(m.sessions, 4);
        let d = m.max_drawdown.clone().unwrap();
        assert!((d.depth - 0.1).abs() < 1e-12);
        assert_eq!(
            (d.peak, d.trough, d.recovered),
            (day(2), day(3), Some(day(4)))
        );
        assert_eq!(m.exposure, 0.5);
        // Four sessions over three days: nothing is annualised, and the report says why.
        assert_eq!((m.cagr, m.sharpe, m.sortino), (None, None, None));
        let note = m.annualised_note().unwrap();
        assert!(note.contains("4 sessions over 3 days"), "{note}");
    }

    /// A curve of `n` sessions two calendar days apart, cycling through `returns`.
    fn long_curve(n: usize, returns: &[f64]) -> (Vec<EquityPoint>, Vec<f64>) {
        let start = day(1);
        let mut eq = 100_000.0f64;
        let mut points = Vec::new();
        let mut rs = Vec::new();
        for i in 0..n {
            if i > 0 {
                let r = returns[(i - 1) % returns.len()];
                eq *= 1.0 + r;
                rs.push(r);
            }
            points.push(EquityPoint {
                date: start + chrono::Days::new(2 * i as u64),
                equity: Decimal::from_f64_retain(eq).unwrap().round_dp(6),
                invested: true,
            });
        }
        (points, rs)
    }

    #[test]
    fn long_runs_are_annualised_by_the_documented_formulas() {
        use rust_decimal::prelude::ToPrimitive;
        let (c, _) = long_curve(200, &[0.01, -0.005, 0.002, -0.012, 0.008]);
        // The stored equity is rounded: recompute the returns from what the curve holds.
        let eq: Vec<f64> = c.iter().map(|p| p.equity.to_f64().unwrap()).collect();
        let r: Vec<f64> = eq.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
        let n = r.len() as f64;
        let mean = r.iter().sum::<f64>() / n;
        let sd = (r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let down = (r.iter().map(|x| x.min(0.0).powi(2)).sum::<f64>() / n).sqrt();
        let m = compute(&c, &[]).unwrap();
        assert_eq!(m.sessions, 200);
        assert!((m.sharpe.unwrap() - mean / sd * 252f64.sqrt()).abs() < 1e-9);
        assert!((m.sortino.unwrap() - mean / down * 252f64.sqrt()).abs() < 1e-9);
        let years = (c[199].date - c[0].date).num_days() as f64 / 365.25;
        let growth = eq[199] / eq[0];
        assert!((m.cagr.unwrap() - (growth.powf(1.0 / years) - 1.0)).abs() < 1e-9);
        assert_eq!(m.annualised_note(), None);
    }

    #[test]
    fn each_annualised_figure_waits_for_its_own_minimum() {
        // 130 sessions one day apart: enough sessions for the ratios, not a year for CAGR.
        let (mut c, _) = long_curve(130, &[0.01, -0.004]);
        for (i, p) in c.iter_mut().enumerate() {
            p.date = day(1) + chrono::Days::new(i as u64);
        }
        let m = compute(&c, &[]).unwrap();
        assert!(m.sharpe.is_some() && m.sortino.is_some());
        assert_eq!(m.cagr, None);
        assert!(m.annualised_note().unwrap().contains("CAGR not shown"));
        // 100 sessions over 198 days: neither.
        let (c, _) = long_curve(100, &[0.01, -0.004]);
        let m = compute(&c, &[]).unwrap();
        assert_eq!((m.cagr, m.sharpe, m.sortino), (None, None, None));
        // 125 sessions spread over more than a year: CAGR but no ratios.
        let (mut c, _) = long_curve(125, &[0.01, -0.004]);
        for (i, p) in c.iter_mut().enumerate() {
            p.date = day(1) + chrono::Days::new(3 * i as u64);
        }
        let m = compute(&c, &[]).unwrap();
        assert!(m.cagr.is_some());
        assert_eq!((m.sharpe, m.sortino), (None, None));
        assert!(m.annualised_note().unwrap().contains("fewer than 126"));
    }

    #[test]
    fn display_prints_money_and_percentages() {
        let c = curve(&[
            (1, dec!(100000), false),
            (2, dec!(110000.123456789), true),
            (3, dec!(99000), true),
            (4, dec!(136887.0849), false),
        ]);
        let trades = [trade("a", dec!(32729.0512345)), trade("a", dec!(-420.7166))];
        let text = compute(&c, &trades).unwrap().to_string();
        assert!(
            text.contains("2024-01-01 to 2024-01-04, 4 sessions"),
            "{text}"
        );
        assert!(
            text.contains("equity $100,000.00 -> $136,887.08 (+36.89%)"),
            "{text}"
        );
        assert!(text.contains("not annualised"), "{text}");
        assert!(!text.contains("CAGR 1"), "no CAGR for four days: {text}");
        assert!(
            text.contains("max drawdown 10.00% (peak 2024-01-02"),
            "{text}"
        );
        assert!(
            text.contains("2 round trips, win rate 50.00%") && text.contains("+$32,308.33"),
            "{text}"
        );
        for line in text.lines() {
            assert!(
                !line.chars().any(|c| c.is_ascii_digit())
                    || !line
                        .split(|c: char| !c.is_ascii_digit())
                        .any(|d| d.len() > 9),
                "a long run of digits (an unformatted decimal) in: {line}"
            );
        }
        let (c, _) = long_curve(300, &[0.01, -0.005]);
        let long = compute(&c, &[]).unwrap().to_string();
        assert!(long.contains("CAGR ") && long.contains("Sharpe "), "{long}");
        assert!(!long.contains("not annualised"), "{long}");
    }

    #[test]
    fn from_a_starting_equity_the_first_session_counts() {
        // 100,000 of cash, a first session that loses 1,000, then a gain of 2,000.
        let c = curve(&[(2, dec!(99000), true), (3, dec!(101000), false)]);
        let m = compute_from(dec!(100000), &c, &[]).unwrap();
        assert_eq!(
            (m.start_equity, m.end_equity, m.sessions),
            (dec!(100000), dec!(101000), 2)
        );
        assert!((m.total_return - 0.01).abs() < 1e-12);
        let d = m.max_drawdown.unwrap();
        assert!(
            (d.depth - 0.01).abs() < 1e-12,
            "the first day's loss is a drawdown"
        );
        assert_eq!((d.trough, d.recovered), (day(2), Some(day(3))));
        assert_eq!(m.exposure, 0.5);
        // From the first close instead, the first day's loss is invisible.
        let m = compute(&c, &[]).unwrap();
        assert_eq!(m.start_equity, dec!(99000));
    }

    #[test]
    fn drawdown_without_recovery_and_flat_curve() {
        let c = curve(&[
            (1, dec!(100), true),
            (2, dec!(80), true),
            (3, dec!(90), true),
            (4, dec!(60), true),
            (5, dec!(70), true),
        ]);
        let d = max_drawdown(&c).unwrap();
        assert!((d.depth - 0.4).abs() < 1e-12);
        assert_eq!((d.peak, d.trough, d.recovered), (day(1), day(4), None));
        let flat = curve(&[(1, dec!(100), false), (2, dec!(100), false)]);
        let m = compute(&flat, &[]).unwrap();
        assert_eq!(m.max_drawdown, None);
        assert_eq!(m.sharpe, None);
        assert_eq!(m.sortino, None);
        assert!(compute(&[], &[]).is_none());
    }

    #[test]
    fn trade_statistics_and_per_strategy() {
        let trades = [
            trade("a", dec!(30)),
            trade("a", dec!(-10)),
            trade("b", dec!(20)),
            trade("b", dec!(-20)),
            trade("b", dec!(0)),
        ];
        let c = curve(&[(1, dec!(100), false), (2, dec!(120), false)]);
        let m = compute(&c, &trades).unwrap();
        let t = &m.trades;
        assert_eq!((t.trades, t.wins), (5, 2));
        assert_eq!(t.win_rate, Some(0.4));
        assert_eq!(t.avg_win, Some(dec!(25)));
        assert_eq!(t.avg_loss, Some(dec!(-15)));
        assert_eq!(t.profit_factor, Some(50.0 / 30.0));
        assert_eq!(t.net_pnl, dec!(20));
        assert_eq!(m.per_strategy["a"].net_pnl, dec!(20));
        assert_eq!(m.per_strategy["b"].profit_factor, Some(1.0));
        let only_wins = trade_stats(&[trade("a", dec!(5))]);
        assert_eq!(only_wins.profit_factor, None);
    }
}
