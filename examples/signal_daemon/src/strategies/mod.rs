//! The reference strategies. Each file holds the rules as a small synchronous state machine
//! (unit-tested on hand-built bars) and the `Strategy` that feeds it and turns its decisions
//! into signals.

pub mod bear_trap;
pub mod build;
pub mod mean_reversion;
pub mod momentum;
pub mod strat;
pub mod trend;

/// A New York wall-clock time in March 2024, for the rule tests.
#[cfg(test)]
pub fn march_2024(day: u32, h: u32, m: u32) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono_tz::America::New_York
        .with_ymd_and_hms(2024, 3, day, h, m, 0)
        .unwrap()
        .with_timezone(&chrono::Utc)
}
