//! The reference strategies. Each file holds the rules as a small synchronous state machine
//! (unit-tested on hand-built bars) and the `Strategy` that feeds it and turns its decisions
//! into signals.

pub mod bear_trap;
pub mod build;
pub mod mean_reversion;
pub mod momentum;
pub mod strat;
pub mod trend;

use alpaca_exec::strategy::StrategyContext;

/// Rules that remember whether they hold each symbol (and so whether to look for an entry or an
/// exit).
pub trait Holding {
    /// Whether the rules think `symbol` is held.
    fn is_long(&self, symbol: &str) -> bool;

    /// Marks `symbol` as held or not.
    fn set_position(&mut self, symbol: &str, long: bool);

    /// Takes the positions the strategy holds as the truth: a start-up with a position, an exit
    /// the position monitor took, or an entry the executor skipped.
    fn sync(&mut self, ctx: &StrategyContext, symbol: &str) {
        let held = ctx.position(symbol).is_some_and(|p| !p.qty.is_zero());
        if held != self.is_long(symbol) {
            self.set_position(symbol, held);
        }
    }
}

/// A New York wall-clock time in March 2024, for the rule tests.
#[cfg(test)]
pub fn march_2024(day: u32, h: u32, m: u32) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono_tz::America::New_York
        .with_ymd_and_hms(2024, 3, day, h, m, 0)
        .unwrap()
        .with_timezone(&chrono::Utc)
}
