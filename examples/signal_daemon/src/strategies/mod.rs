//! The reference strategies. Each file holds the rules as a small synchronous state machine
//! (unit-tested on hand-built bars) and the `Strategy` that feeds it and turns its decisions
//! into signals.

pub mod bear_trap;
pub mod build;
pub mod strat;
pub mod trend;
