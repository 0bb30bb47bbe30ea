//! Enums shared by several trading endpoints.

use crate::wire::string_enum;

string_enum! {
    /// Buy or sell.
    pub enum OrderSide {
        /// Buy.
        Buy = "buy",
        /// Sell.
        Sell = "sell",
    }
}

string_enum! {
    /// The class of an asset.
    pub enum AssetClass {
        /// US stocks and ETFs.
        UsEquity = "us_equity",
        /// US listed options.
        UsOption = "us_option",
        /// Crypto.
        Crypto = "crypto",
    }
}

string_enum! {
    /// Whether an option order opens or closes, and on which side. Alpaca infers it when
    /// omitted, but sending it avoids surprises (a sell that would open a short).
    pub enum PositionIntent {
        /// Buy to open a long.
        BuyToOpen = "buy_to_open",
        /// Buy to close a short.
        BuyToClose = "buy_to_close",
        /// Sell to open a short.
        SellToOpen = "sell_to_open",
        /// Sell to close a long.
        SellToClose = "sell_to_close",
    }
}

string_enum! {
    /// Sort order of time-ordered lists.
    pub enum SortDirection {
        /// Oldest first.
        Asc = "asc",
        /// Newest first.
        Desc = "desc",
    }
}

string_enum! {
    /// Listing exchange.
    pub enum Exchange {
        /// NYSE American.
        Amex = "AMEX",
        /// NYSE Arca.
        Arca = "ARCA",
        /// Cboe BZX.
        Bats = "BATS",
        /// NYSE.
        Nyse = "NYSE",
        /// Nasdaq.
        Nasdaq = "NASDAQ",
        /// NYSE Arca (alternative spelling).
        NyseArca = "NYSEARCA",
        /// Over the counter.
        Otc = "OTC",
    }
}
