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
mod repeat;
mod store;
mod support;
#[cfg(feature = "websockets")]
mod updates;
