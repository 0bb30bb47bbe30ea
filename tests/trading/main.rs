//! Trading API integration tests against a wiremock Alpaca. No test touches the network.

mod account;
mod activities;
mod assets;
mod clock;
mod common;
mod errors;
mod option_contracts;
mod orders;
mod positions;
