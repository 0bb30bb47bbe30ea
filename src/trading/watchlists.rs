//! Watchlists (`/v2/watchlists`): named, ordered lists of assets kept at Alpaca, addressed by id
//! or by name.

use super::assets::Asset;
use crate::client::Client;
use crate::client::transport::{Api, Request};
use crate::error::{Error, Result};
use crate::wire;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Longest watchlist name Alpaca accepts.
pub const MAX_WATCHLIST_NAME: usize = 64;

/// A watchlist.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Watchlist {
    /// Watchlist id.
    pub id: String,
    /// The owning account.
    pub account_id: String,
    /// User-defined name (up to 64 characters).
    pub name: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// The assets, in the order they were added. Empty in [`Client::watchlists`] answers,
    /// which carry no assets: fetch one watchlist for its content.
    #[serde(default, deserialize_with = "wire::vec_or_null")]
    pub assets: Vec<Asset>,
}

impl Watchlist {
    /// The symbols, in order.
    pub fn symbols(&self) -> impl Iterator<Item = &str> {
        self.assets.iter().map(|a| a.symbol.as_str())
    }
}

/// Which watchlist: Alpaca addresses one by id (`/v2/watchlists/{id}`) or by name
/// (`/v2/watchlists:by_name?name=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchlistRef {
    /// By id.
    Id(String),
    /// By name.
    Name(String),
}

impl WatchlistRef {
    /// By id.
    pub fn id(id: impl Into<String>) -> Self {
        WatchlistRef::Id(id.into())
    }

    /// By name.
    pub fn name(name: impl Into<String>) -> Self {
        WatchlistRef::Name(name.into())
    }

    /// A request on this watchlist: `make` builds it from the path, the name goes in the query.
    fn request(&self, make: impl FnOnce(&[&str]) -> Result<Request>) -> Result<Request> {
        match self {
            WatchlistRef::Id(id) => {
                super::require_non_empty("watchlist id", id)?;
                make(&["v2", "watchlists", id])
            }
            WatchlistRef::Name(name) => {
                check_name(name)?;
                Ok(make(&["v2", "watchlists:by_name"])?.query("name", name))
            }
        }
    }
}

impl From<&Watchlist> for WatchlistRef {
    fn from(w: &Watchlist) -> Self {
        WatchlistRef::Id(w.id.clone())
    }
}

fn check_name(name: &str) -> Result<()> {
    super::require_non_empty("watchlist name", name)?;
    let len = name.chars().count();
    if len > MAX_WATCHLIST_NAME {
        return Err(Error::InvalidRequest(format!(
            "watchlist name is {len} characters, Alpaca allows {MAX_WATCHLIST_NAME}"
        )));
    }
    Ok(())
}

fn check_symbol(symbol: &str) -> Result<()> {
    super::require_non_empty("watchlist symbol", symbol)
}

/// The body of "create" and "update": a name and, optionally, the full list of symbols.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WatchlistRequest {
    /// The name (required by Alpaca on create and update alike; up to 64 characters).
    pub name: String,
    /// The complete content, in order. `None` on an update leaves the content as it is; on a
    /// create it makes an empty watchlist.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbols: Option<Vec<String>>,
}

impl WatchlistRequest {
    /// A watchlist called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            symbols: None,
        }
    }

    /// With exactly these symbols.
    pub fn symbols<S: Into<String>>(mut self, symbols: impl IntoIterator<Item = S>) -> Self {
        self.symbols = Some(symbols.into_iter().map(Into::into).collect());
        self
    }

    fn validate(&self) -> Result<()> {
        check_name(&self.name)?;
        self.symbols
            .iter()
            .flatten()
            .try_for_each(|s| check_symbol(s))
    }
}

#[derive(Serialize)]
struct AddSymbol<'a> {
    symbol: &'a str,
}

impl Client {
    /// `GET /v2/watchlists`: every watchlist of the account, without their assets.
    pub async fn watchlists(&self) -> Result<Vec<Watchlist>> {
        self.transport()
            .json(&Request::get(Api::Trading, &["v2", "watchlists"]))
            .await
    }

    /// `POST /v2/watchlists`: creates a watchlist. Not retried after a timeout or 5xx (the
    /// outcome is then [`Error::OutcomeUnknown`]: look it up by name before creating it again).
    pub async fn create_watchlist(&self, request: &WatchlistRequest) -> Result<Watchlist> {
        request.validate()?;
        let req = Request::post(Api::Trading, &["v2", "watchlists"], request)?;
        self.transport().json(&req).await
    }

    /// `GET /v2/watchlists/{id}` or `GET /v2/watchlists:by_name?name=`: one watchlist with its
    /// assets.
    pub async fn watchlist(&self, which: &WatchlistRef) -> Result<Watchlist> {
        let req = which.request(|path| Ok(Request::get(Api::Trading, path)))?;
        self.transport().json(&req).await
    }

    /// `PUT /v2/watchlists/{id}` or `PUT /v2/watchlists:by_name?name=`: renames it and, when
    /// `request.symbols` is given, replaces its content.
    pub async fn update_watchlist(
        &self,
        which: &WatchlistRef,
        request: &WatchlistRequest,
    ) -> Result<Watchlist> {
        request.validate()?;
        let req = which.request(|path| Request::put(Api::Trading, path, request))?;
        self.transport().json(&req).await
    }

    /// `POST /v2/watchlists/{id}` or `POST /v2/watchlists:by_name?name=`: appends a symbol and
    /// returns the updated watchlist.
    pub async fn add_to_watchlist(&self, which: &WatchlistRef, symbol: &str) -> Result<Watchlist> {
        check_symbol(symbol)?;
        let body = AddSymbol { symbol };
        let req = which.request(|path| Request::post(Api::Trading, path, &body))?;
        self.transport().json(&req).await
    }

    /// `DELETE /v2/watchlists/{id}/{symbol}`: removes a symbol and returns the updated
    /// watchlist. Alpaca offers this by id only.
    pub async fn remove_from_watchlist(&self, id: &str, symbol: &str) -> Result<Watchlist> {
        super::require_non_empty("watchlist id", id)?;
        check_symbol(symbol)?;
        let req = Request::delete(Api::Trading, &["v2", "watchlists", id, symbol]);
        self.transport().json(&req).await
    }

    /// `DELETE /v2/watchlists/{id}` or `DELETE /v2/watchlists:by_name?name=`: deletes it for
    /// good. A 404 (already gone) is an [`Error::Api`] with
    /// [`is_not_found`](crate::Error::is_not_found).
    pub async fn delete_watchlist(&self, which: &WatchlistRef) -> Result<()> {
        let req = which.request(|path| Ok(Request::delete(Api::Trading, path)))?;
        self.transport().no_content(&req).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_symbols_are_checked_before_sending() {
        assert!(WatchlistRequest::new("Tech").validate().is_ok());
        assert!(WatchlistRequest::new(" ").validate().is_err());
        assert!(WatchlistRequest::new("x".repeat(65)).validate().is_err());
        assert!(WatchlistRequest::new("é".repeat(64)).validate().is_ok());
        assert!(
            WatchlistRequest::new("Tech")
                .symbols(["AAPL", ""])
                .validate()
                .is_err()
        );
    }

    #[test]
    fn create_body_omits_symbols_unless_given() {
        let body = serde_json::to_value(WatchlistRequest::new("Tech")).unwrap();
        assert_eq!(body, serde_json::json!({"name": "Tech"}));
        let body = serde_json::to_value(WatchlistRequest::new("Tech").symbols(["AAPL"])).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"name": "Tech", "symbols": ["AAPL"]})
        );
    }
}
