//! Walk-forward on a series built so that the answer is known: a strategy that holds for one
//! session after a chosen weekday, on prices whose only moves are on chosen weekdays.

use super::*;
use crate::backtest::runner::BacktestConfig;
use crate::strategy::{Intent, Signal, Strategy, StrategyContext};
use async_trait::async_trait;
use chrono::{DateTime, Datelike, Days, TimeZone, Utc, Weekday};
use chrono_tz::America::New_York;
use rust_decimal::Decimal;

/// Buys after the close of every `day` (filled at the next open) and sells after the next
/// close (filled at the open after): it earns the move of the session two after `day`.
struct AfterWeekday {
    day: Weekday,
}

#[async_trait]
impl Strategy for AfterWeekday {
    fn name(&self) -> &str {
        "weekday"
    }
    fn watchlist(&self) -> Vec<String> {
        vec!["X".into()]
    }
    fn timeframe(&self) -> crate::data::TimeFrame {
        crate::data::TimeFrame::DAY
    }
    async fn on_bar(&mut self, ctx: &StrategyContext, symbol: &str, bar: &Bar) -> Vec<Signal> {
        let intent = if ctx.position(symbol).is_some() {
            Intent::Exit
        } else if new_york_date(bar.timestamp).weekday() == self.day {
            Intent::EnterLong
        } else {
            return Vec::new();
        };
        vec![Signal::new(
            "weekday",
            symbol,
            intent,
            bar.close,
            bar.timestamp,
        )]
    }
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    New_York
        .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

/// 40 weekdays from Monday 1 January 2024; flat bars whose price moves only on Wednesdays (by
/// `wednesday` before `switch`, by `wednesday_after` from it) and Thursdays (+1 always).
fn series(switch: NaiveDate, wednesday: i64, wednesday_after: i64) -> Vec<(String, Vec<Bar>)> {
    let mut bars = Vec::new();
    let mut day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let mut price = Decimal::from(100);
    while bars.len() < 40 {
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            price += Decimal::from(match day.weekday() {
                Weekday::Wed if day < switch => wednesday,
                Weekday::Wed => wednesday_after,
                Weekday::Thu => 1,
                _ => 0,
            });
            bars.push(Bar::new(
                midnight(day),
                price,
                price,
                price,
                price,
                Decimal::from(1_000_000),
            ));
        }
        day = day + Days::new(1);
    }
    vec![("X".to_owned(), bars)]
}

fn cfg() -> WalkForwardConfig {
    WalkForwardConfig {
        in_sample: 20,
        out_of_sample: 10,
        warmup: 1,
        min_trades: 2,
        threads: 2,
    }
}

fn build(day: &Weekday) -> Backtest {
    Backtest::new(BacktestConfig::default()).strategy(Box::new(AfterWeekday { day: *day }))
}

const GRID: [Weekday; 3] = [Weekday::Mon, Weekday::Tue, Weekday::Wed];

fn run(data: &[(String, Vec<Bar>)], current: Weekday) -> WalkForward<Weekday> {
    walk_forward(
        &current,
        GRID.to_vec(),
        data,
        &cfg(),
        Objective::NetPnl,
        build,
    )
    .unwrap()
}

#[test]
fn windows_are_the_last_sessions() {
    let data = series(NaiveDate::MAX, 2, 2);
    let (w, sessions) = windows(&data, &cfg()).unwrap();
    assert_eq!(sessions.len(), 40);
    // 40 weekdays from 1 Jan: the last is Fri 23 Feb; 10 out of sample from Mon 12 Feb; 20 in
    // sample from Mon 15 Jan to Fri 9 Feb.
    let d = |m, d| NaiveDate::from_ymd_opt(2024, m, d).unwrap();
    assert_eq!(
        w,
        Windows {
            in_sample_start: d(1, 15),
            in_sample_end: d(2, 9),
            out_of_sample_start: d(2, 12),
            out_of_sample_end: d(2, 23),
        }
    );
    let short = WalkForwardConfig {
        warmup: 11,
        ..cfg()
    };
    assert_eq!(
        windows(&data, &short).unwrap_err(),
        WalkForwardError::NotEnoughHistory { need: 41, have: 40 }
    );
    let empty = WalkForwardConfig {
        out_of_sample: 0,
        ..cfg()
    };
    assert_eq!(
        windows(&data, &empty).unwrap_err(),
        WalkForwardError::EmptyWindow
    );
}

#[test]
fn a_choice_that_holds_out_of_sample_is_an_improvement() {
    // Wednesdays +2 throughout: Monday's buyer (who holds Wednesday) beats Tuesday's (+1 on
    // Thursdays) in and out of sample.
    let wf = run(&series(NaiveDate::MAX, 2, 2), Weekday::Tue);
    assert_eq!(wf.chosen_params(), Some(&Weekday::Mon));
    assert_eq!(wf.verdict, Verdict::Improvement);
    let chosen_in = wf.in_sample[0].in_sample.as_ref().unwrap();
    assert!(chosen_in.stats.trades >= 3, "{chosen_in:?}");
    assert!(chosen_in.score > wf.current_in_sample.score);
    // Every trade of the chosen point earned about twice the current one's.
    let per_trade = |r: &WindowResult| r.score.unwrap() / r.stats.trades as f64;
    let ratio = per_trade(chosen_in) / per_trade(&wf.current_in_sample);
    assert!((1.9..2.1).contains(&ratio), "{ratio}");
    let out = wf.chosen_out_of_sample.as_ref().unwrap();
    assert!(out.score > wf.current_out_of_sample.score);
    // Wednesday's buyer holds Thursday (+1) too; every point ran.
    assert!(wf.in_sample.iter().all(|e| e.in_sample.is_ok()));
}

#[test]
fn a_choice_that_fails_out_of_sample_is_not_better() {
    // Wednesdays +2 in sample, -2 from the out-of-sample window on: the in-sample winner loses.
    let switch = NaiveDate::from_ymd_opt(2024, 2, 12).unwrap();
    let wf = run(&series(switch, 2, -2), Weekday::Tue);
    assert_eq!(wf.chosen_params(), Some(&Weekday::Mon));
    assert_eq!(wf.verdict, Verdict::NotBetter);
    let out = wf.chosen_out_of_sample.as_ref().unwrap();
    assert!(out.score.unwrap() < 0.0, "{out:?}");
    assert!(wf.current_out_of_sample.score.unwrap() > 0.0);
}

#[test]
fn the_current_parameters_win_ties_and_thin_points_are_not_chosen() {
    let data = series(NaiveDate::MAX, 2, 2);
    let wf = run(&data, Weekday::Mon);
    assert_eq!(wf.verdict, Verdict::Unchanged);
    assert_eq!(wf.chosen_params(), Some(&Weekday::Mon));
    assert_eq!(wf.chosen_out_of_sample, None, "nothing else to judge");
    // A current point outside the grid is evaluated too (appended last).
    let wf = run(&data, Weekday::Fri);
    assert_eq!(wf.in_sample.len(), 4);
    assert_eq!(wf.in_sample[3].params, Weekday::Fri);
    // Nobody has a hundred round trips in twenty sessions.
    let strict = WalkForwardConfig {
        min_trades: 100,
        ..cfg()
    };
    let wf = walk_forward(
        &Weekday::Tue,
        GRID.to_vec(),
        &data,
        &strict,
        Objective::NetPnl,
        build,
    )
    .unwrap();
    assert_eq!((wf.verdict, wf.chosen), (Verdict::NoCandidate, None));
}

#[test]
fn objectives_score_trade_statistics() {
    let s = |trades, wins, net: i64, pf: Option<f64>| TradeStats {
        trades,
        wins,
        win_rate: (trades > 0).then(|| wins as f64 / trades as f64),
        profit_factor: pf,
        net_pnl: Decimal::from(net),
        ..TradeStats::default()
    };
    assert_eq!(
        Objective::NetPnl.score(&s(4, 1, -20, Some(0.5))),
        Some(-20.0)
    );
    assert_eq!(
        Objective::Expectancy.score(&s(4, 1, -20, Some(0.5))),
        Some(-5.0)
    );
    assert_eq!(
        Objective::WinRate.score(&s(4, 1, -20, Some(0.5))),
        Some(0.25)
    );
    assert_eq!(
        Objective::ProfitFactor.score(&s(4, 1, -20, Some(0.5))),
        Some(0.5)
    );
    assert_eq!(
        Objective::ProfitFactor.score(&s(2, 2, 20, None)),
        Some(f64::MAX),
        "no loser"
    );
    assert_eq!(Objective::NetPnl.score(&s(0, 0, 0, None)), Some(0.0));
    assert_eq!(Objective::Expectancy.score(&s(0, 0, 0, None)), None);
}
