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
//! Money (equity, P&L) is `Decimal`; ratios are `f64` statistics.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Trading days per year used to annualise daily statistics.
pub const TRADING_DAYS: f64 = 252.0;

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
    /// Total return as a fraction.
    pub total_return: f64,
    /// Compound annual growth rate; `None` for a single day.
    pub cagr: Option<f64>,
    /// Annualised Sharpe ratio; `None` with no variation.
    pub sharpe: Option<f64>,
    /// Annualised Sortino ratio; `None` with no down days.
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
    let first = curve.first()?;
    let last = curve.last()?;
    if first.equity <= Decimal::ZERO {
        return None;
    }
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
        total_return: growth - 1.0,
        cagr: (years > 0.0 && growth > 0.0).then(|| growth.powf(1.0 / years) - 1.0),
        sharpe,
        sortino,
        max_drawdown: drawdown_of(curve, &eq),
        exposure: curve.iter().filter(|p| p.invested).count() as f64 / curve.len() as f64,
        trades: trade_stats(trades),
        per_strategy: per.into_iter().map(|(k, v)| (k, trade_stats(v))).collect(),
        exits_by_reason: by_rule
            .into_iter()
            .map(|(k, v)| (k, trade_stats(v)))
            .collect(),
    })
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
        let r = [0.1, -0.1, 121.0 / 99.0 - 1.0];
        let mean = r.iter().sum::<f64>() / 3.0;
        let sd = (r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 2.0).sqrt();
        assert!((m.sharpe.unwrap() - mean / sd * 252f64.sqrt()).abs() < 1e-12);
        let dd = (0.01f64 / 3.0).sqrt(); // only -10% is a down day: sqrt(0.1^2 / 3)
        assert!((m.sortino.unwrap() - mean / dd * 252f64.sqrt()).abs() < 1e-12);
        let d = m.max_drawdown.unwrap();
        assert!((d.depth - 0.1).abs() < 1e-12);
        assert_eq!(
            (d.peak, d.trough, d.recovered),
            (day(2), day(3), Some(day(4)))
        );
        assert_eq!(m.exposure, 0.5);
        // 3 calendar days: CAGR = 1.21^(365.25/3) - 1.
        assert!((m.cagr.unwrap() - (1.21f64.powf(365.25 / 3.0) - 1.0)).abs() < 1e-6);
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
