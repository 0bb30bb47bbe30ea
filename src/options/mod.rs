//! Options: OCC symbols, Black-Scholes greeks, and contract selection.

mod occ;

pub use occ::{OccSymbol, OccSymbolError, OptionType};

pub mod greeks;
pub mod select;
