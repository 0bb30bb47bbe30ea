//! Options: OCC symbols (and, in the toolkit, contract selection and greeks).

mod occ;

pub use occ::{OccSymbol, OccSymbolError, OptionType};
