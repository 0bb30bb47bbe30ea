//! The engine settings the configuration implies, shared by `backtest` and the daemon so a
//! backtest sizes and exits exactly as the deployment does: the executor's limits per account,
//! equity sizes per strategy and symbol, and each strategy's exit rules.

use crate::config::{Config, ExerciseName, StrategyConfig};
use alpaca_exec::backtest::runner::BacktestConfig;
use alpaca_exec::backtest::sim::{
    ExerciseSettlement, OptionModel, SimConfig, SpreadModel, VolatilityModel,
};
use alpaca_exec::exec::{ClosedMarket, ExecutorConfig, SizingOverrides};
use alpaca_exec::risk::{
    DailyLossLimit, EquitySizing, EquitySizingPolicy, ExitPolicy, OptionSizingPolicy,
    PortfolioLimits, TrailingStop,
};
use chrono::NaiveTime;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

fn percent(p: Decimal) -> EquitySizingPolicy {
    EquitySizingPolicy {
        method: EquitySizing::PercentOfEquity(p),
        ..EquitySizingPolicy::default()
    }
}

/// The simulated broker of backtests and of the daemon's offline mode: the configured starting
/// cash and option model.
pub fn sim_config(cfg: &Config) -> SimConfig {
    let o = &cfg.backtest.options;
    // Checked positive by the config; f64 because volatility is a model quantity.
    let f = |d: Decimal| rust_decimal::prelude::ToPrimitive::to_f64(&d).unwrap_or(0.0);
    SimConfig {
        starting_cash: cfg.backtest.start_equity,
        options: OptionModel {
            volatility: VolatilityModel::Realized {
                window: o.volatility_window,
                floor: f(o.volatility_floor),
                initial: f(o.initial_volatility),
            },
            spread: SpreadModel {
                fraction: o.spread,
                min: o.min_spread,
            },
            ..OptionModel::default()
        },
        exercise: match o.exercise {
            ExerciseName::Shares => ExerciseSettlement::Shares,
            ExerciseName::Cash => ExerciseSettlement::Cash,
        },
        ..SimConfig::default()
    }
}

/// The executor settings for the strategies of `account` (`None`: every strategy, as one
/// backtest account). Entries made while the market is closed queue for the next open: the
/// daily strategies decide at 16:05 and trade at 09:30.
pub fn executor_config(cfg: &Config, account: Option<&str>) -> ExecutorConfig {
    let profile = account.and_then(|a| cfg.accounts.get(a));
    let mut e = ExecutorConfig::new();
    e.closed_market = ClosedMarket::Queue;
    e.option_sizing = OptionSizingPolicy {
        max_capital_per_trade: profile
            .and_then(|p| p.max_capital_per_trade)
            .unwrap_or(cfg.execution.max_capital_per_trade),
    };
    e.limits = PortfolioLimits {
        max_positions_per_strategy: profile
            .and_then(|p| p.max_concurrent_positions)
            .unwrap_or(cfg.execution.max_concurrent_positions),
        max_total_allocation: cfg.execution.max_total_allocation,
        ..PortfolioLimits::default()
    };
    e.daily_loss = DailyLossLimit {
        max_loss_fraction: cfg.execution.daily_loss_halt,
    };
    let mut sizes = SizingOverrides::new();
    for (name, s) in &cfg.strategies {
        if account.is_some_and(|a| a != s.account()) {
            continue;
        }
        let (pct, by_symbol) = match s {
            StrategyConfig::TrendHysteresis(c) => (c.position_pct, &c.position_pct_by_symbol),
            StrategyConfig::BearTrap(c) => (c.position_pct, &BTreeMap::new()),
            StrategyConfig::Momentum(c) => (c.position_pct, &BTreeMap::new()),
            StrategyConfig::MeanReversion(c) => (c.position_pct, &BTreeMap::new()),
            StrategyConfig::StratOptions(_) => continue, // sized by option premium
        };
        sizes = sizes.strategy(name, percent(pct));
        for (sym, p) in by_symbol {
            sizes = sizes.symbol(name, sym, percent(*p));
        }
    }
    e.equity_sizing_overrides = sizes;
    e
}

/// The backtest settings of the configuration: the simulated account's starting equity, and
/// the executor and exit rules the deployment uses (every strategy as one account).
pub fn backtest_config(cfg: &Config) -> BacktestConfig {
    BacktestConfig {
        sim: sim_config(cfg),
        executor: executor_config(cfg, None),
        exit_policy: Some(default_exit_policy(cfg)),
        exit_policies: exit_policies(cfg),
    }
}

/// The exit rules for positions no strategy-specific policy covers (e.g. a strategy removed
/// from the configuration while it still held a position): the monitor settings.
pub fn default_exit_policy(cfg: &Config) -> ExitPolicy {
    ExitPolicy {
        dte_exit: Some(cfg.monitor.exit_dte),
        use_stop: true,
        max_loss: Some(cfg.monitor.max_loss_pct),
        use_target: true,
        max_profit: Some(cfg.monitor.max_profit_pct),
        time_exit: None,
        trailing: None,
    }
}

/// Each enabled strategy's exit rules, for the position monitor:
/// - trend hysteresis exits on its own signal (the lower band), so the monitor only honours a
///   stop or target if a signal carried one;
/// - the bear trap has its stop under the session low, its target, a trailing stop and a time
///   exit before the close;
/// - STRAT options exit at `exit_dte`, at the setup's stop or target (on the underlying), or at
///   `max_loss_pct` / `max_profit_pct` of the premium;
/// - momentum has its stop and target (carried by the signal), a trailing stop and a time exit
///   before the close;
/// - mean reversion exits on its own signals (overbought, middle band), at its stop if it has
///   one, and before the close when `exit_before_close_minutes` is set.
pub fn exit_policies(cfg: &Config) -> BTreeMap<String, ExitPolicy> {
    let none = ExitPolicy {
        dte_exit: None,
        use_stop: true,
        max_loss: None,
        use_target: true,
        max_profit: None,
        time_exit: None,
        trailing: None,
    };
    cfg.strategies
        .iter()
        .filter(|(_, s)| s.enabled())
        .map(|(name, s)| {
            let p = match s {
                StrategyConfig::TrendHysteresis(_) => none,
                StrategyConfig::BearTrap(b) => ExitPolicy {
                    trailing: Some(TrailingStop {
                        activation: b.trailing_activation,
                        trail: b.trailing_pct,
                    }),
                    time_exit: before_close(b.exit_before_close_minutes),
                    ..none
                },
                StrategyConfig::Momentum(m) => ExitPolicy {
                    trailing: Some(TrailingStop {
                        activation: m.trailing_activation,
                        trail: m.trailing_pct,
                    }),
                    time_exit: before_close(m.exit_before_close_minutes),
                    ..none
                },
                StrategyConfig::MeanReversion(m) => ExitPolicy {
                    time_exit: m.exit_before_close_minutes.and_then(before_close),
                    ..none
                },
                StrategyConfig::StratOptions(_) => default_exit_policy(cfg),
            };
            (name.clone(), p)
        })
        .collect()
}

/// The New York time `minutes` before the regular close (16:00); `None` past the open.
fn before_close(minutes: u32) -> Option<NaiveTime> {
    let at = (16 * 60u32).checked_sub(minutes)?;
    NaiveTime::from_hms_opt(at / 60, at % 60, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn per_symbol_sizes_and_account_overrides_come_from_the_config() {
        let cfg = Config::load(None, &|_| None).unwrap();
        let e = executor_config(&cfg, Some("equity"));
        let pct = |s: &str, sym: &str| match e.equity_sizing_for(s, sym).method {
            EquitySizing::PercentOfEquity(p) => p,
            other => panic!("{other:?}"),
        };
        assert_eq!(pct("hourly_swing", "TSLA"), dec!(0.04));
        assert_eq!(pct("hourly_swing", "NVDA"), dec!(0.06));
        assert_eq!(pct("daily_trend", "SPY"), dec!(0.10));
        assert_eq!(pct("bear_trap", "AMD"), dec!(0.05));
        assert_eq!(e.closed_market, ClosedMarket::Queue);
        assert_eq!(e.option_sizing.max_capital_per_trade, dec!(300));
    }

    #[test]
    fn each_strategy_gets_its_exit_rules() {
        let cfg = Config::load(None, &|_| None).unwrap();
        let p = exit_policies(&cfg);
        assert_eq!(p["daily_trend"].max_loss, None);
        assert_eq!(p["daily_trend"].trailing, None);
        assert_eq!(p["bear_trap"].time_exit, NaiveTime::from_hms_opt(15, 50, 0));
        assert!(p["bear_trap"].trailing.is_some());
        assert_eq!(p["strat_options"].dte_exit, Some(3));
        assert_eq!(p["strat_options"].max_loss, Some(dec!(0.5)));
        let trailing = TrailingStop {
            activation: dec!(0.02),
            trail: dec!(0.01),
        };
        assert_eq!(
            p["momentum"].trailing,
            Some(trailing),
            "+2%, 1% under the high"
        );
        assert_eq!(p["momentum"].time_exit, NaiveTime::from_hms_opt(15, 50, 0));
        assert!(p["momentum"].use_stop && p["momentum"].use_target);
        assert_eq!(p["momentum"].max_loss, None);
        assert_eq!(p["mean_reversion"].trailing, None);
        assert_eq!(
            p["mean_reversion"].time_exit,
            NaiveTime::from_hms_opt(15, 50, 0)
        );
        let e = executor_config(&cfg, Some("equity"));
        for s in ["momentum", "mean_reversion"] {
            assert_eq!(
                e.equity_sizing_for(s, "SPY").method,
                EquitySizing::PercentOfEquity(dec!(0.05))
            );
        }
    }
}
