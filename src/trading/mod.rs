//! The Trading API: account, clock and calendar, assets, positions, orders, option contracts,
//! activities, watchlists and corporate-action announcements. Each module adds its endpoints to [`Client`](crate::Client) and defines typed
//! request values with a `send(&client)` method.

pub mod account;
pub mod activities;
pub mod assets;
pub mod clock;
pub mod common;
pub mod corporate_actions;
pub mod option_contracts;
pub mod orders;
pub mod positions;
pub mod watchlists;

use crate::error::{Error, Result};

/// Refuses an empty path parameter, which would otherwise silently address a list endpoint
/// (`/v2/orders/` instead of `/v2/orders/{id}`).
pub(crate) fn require_non_empty(what: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::InvalidRequest(format!("{what} must not be empty")));
    }
    Ok(())
}
