//! Engine integration tests: the executor, position monitor, stores, journal and alerts against
//! a stateful fake Alpaca on wiremock. No test touches the network.

mod alert;
mod chaos;
#[path = "../common/mod.rs"]
mod common;
mod crash;
mod events;
mod executor;
mod fake;
mod fuzz;
mod journal;
mod lag;
mod lifecycle;
mod options;
mod overflow;
#[cfg(feature = "postgres")]
#[path = "../common/postgres.rs"]
mod pg;
#[cfg(feature = "postgres")]
mod postgres;
mod repeat;
mod store;
mod support;
#[cfg(feature = "websockets")]
mod updates;
