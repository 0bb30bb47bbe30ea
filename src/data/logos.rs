//! Company logos (`GET /v1beta1/logos/{symbol}`): image bytes with their content type.

use crate::Client;
use crate::client::transport::{Api, Request};
use crate::error::{Error, Result};
use bytes::Bytes;

/// A logo image.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Logo {
    /// The media type Alpaca sent (`image/png` in practice); `application/octet-stream` when
    /// it sent none.
    pub content_type: String,
    /// The image.
    pub bytes: Bytes,
}

impl Client {
    /// `GET /v1beta1/logos/{symbol}`. With `placeholder` Alpaca answers a generic image when it
    /// has no logo for the symbol; without it such a symbol is a 404
    /// ([`is_not_found`](crate::Error::is_not_found)).
    pub async fn logo(&self, symbol: &str, placeholder: bool) -> Result<Logo> {
        crate::trading::require_non_empty("symbol", symbol)?;
        let req = Request::get(Api::Data, &["v1beta1", "logos", symbol])
            .query("placeholder", placeholder);
        let resp = self.transport().send(&req).await?;
        if resp.body.is_empty() {
            return Err(Error::Decode {
                request: resp.request,
                what: "Logo",
                path: ".".into(),
                message: "the response body is empty".into(),
                excerpt: String::new(),
            });
        }
        Ok(Logo {
            content_type: resp
                .content_type
                .filter(|c| !c.trim().is_empty())
                .unwrap_or_else(|| "application/octet-stream".to_owned()),
            bytes: resp.body,
        })
    }
}
