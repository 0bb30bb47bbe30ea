//! Reference data: exchange codes and trade/quote condition codes, for stocks and options.

use crate::Client;
use crate::client::transport::{Api, Request};
use crate::error::Result;
use crate::wire::string_enum;
use std::collections::BTreeMap;

string_enum! {
    /// Trades or quotes, for condition codes.
    pub enum TickType {
        /// Trade conditions.
        Trade = "trade",
        /// Quote conditions.
        Quote = "quote",
    }
}

string_enum! {
    /// A consolidated tape.
    pub enum Tape {
        /// Tape A: NYSE-listed.
        A = "A",
        /// Tape B: NYSE Arca, NYSE American and regional listings.
        B = "B",
        /// Tape C: Nasdaq-listed.
        C = "C",
    }
}

impl Client {
    /// `GET /v2/stocks/meta/exchanges`: stock exchange codes (the `x` of trades and quotes) to
    /// names.
    pub async fn stock_exchanges(&self) -> Result<BTreeMap<String, String>> {
        let req = Request::get(Api::Data, &["v2", "stocks", "meta", "exchanges"]);
        self.transport().json(&req).await
    }

    /// `GET /v2/stocks/meta/conditions/{ticktype}?tape=`: the condition codes (the `c` of stock
    /// trades and quotes) of one tape, to their names.
    pub async fn stock_conditions(
        &self,
        tick_type: TickType,
        tape: Tape,
    ) -> Result<BTreeMap<String, String>> {
        let req = Request::get(
            Api::Data,
            &["v2", "stocks", "meta", "conditions", tick_type.as_str()],
        )
        .query("tape", tape);
        self.transport().json(&req).await
    }

    /// `GET /v1beta1/options/meta/conditions/{ticktype}`: option condition codes to names.
    pub async fn option_conditions(&self, tick_type: TickType) -> Result<BTreeMap<String, String>> {
        let req = Request::get(
            Api::Data,
            &[
                "v1beta1",
                "options",
                "meta",
                "conditions",
                tick_type.as_str(),
            ],
        );
        self.transport().json(&req).await
    }
}
