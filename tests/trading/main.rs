//! Trading API integration tests against a wiremock Alpaca. No test touches the network.

mod account;
mod activities;
mod assets;
mod clock;
#[path = "../common/mod.rs"]
mod common;
mod corporate_actions;
mod errors;
mod option_contracts;
mod orders;
mod positions;
mod redirects;
mod send;
mod watchlists;
