//! Every in-scope operation of Alpaca's two OpenAPI documents, with the client method that
//! covers it (and a call the coverage test runs against a mock, to check that the method sends
//! exactly that operation) or the reason it is left out.
//!
//! Out-of-scope operations are not listed here: [`out_of_scope`] recognises them by path, so an
//! in-scope operation cannot be waved through by calling it out of scope.

use alpaca_exec::data::meta::{Tape, TickType};
use alpaca_exec::data::{
    CorporateActionType, CorporateActionsRequest, IndexHistory, NewsRequest, OptionChainRequest,
    OptionFeed, OptionHistory, OptionLatest, OptionSnapshotsRequest, Sort, StockFeed, StockHistory,
    StockLatest, TimeFrame,
};
use alpaca_exec::trading::account::AccountConfigurations;
use alpaca_exec::trading::corporate_actions::{AnnouncementType, ListAnnouncements};
use alpaca_exec::trading::orders::ReplaceOrder;
use alpaca_exec::trading::watchlists::{WatchlistRef, WatchlistRequest};
use alpaca_exec::{
    CalendarRequest, Client, ClosePosition, ListActivities, ListAssets, ListOptionContracts,
    ListOrders, OccSymbol, OrderRequest, OrderSide, PortfolioHistoryRequest, Qty,
};
use chrono::{NaiveDate, TimeZone, Utc};
use futures_util::future::BoxFuture;
use rust_decimal::Decimal;

/// Runs the method against a mock; its result is irrelevant, only what it sent is checked.
pub type Call = fn(Client) -> BoxFuture<'static, ()>;

/// How an operation is covered.
pub enum Coverage {
    /// A client method (as shown in the README) and a call of it.
    Method { name: &'static str, call: Call },
    /// Left out, and why.
    Excluded(&'static str),
}

/// One operation.
pub struct Entry {
    pub method: &'static str,
    pub path: &'static str,
    pub coverage: Coverage,
}

/// The area of an operation outside the crate's scope, recognised by its path.
pub fn out_of_scope(path: &str) -> Option<&'static str> {
    let areas = [
        ("crypto-perps", "Crypto perpetual futures"),
        ("/perpetuals", "Crypto perpetual futures"),
        ("/crypto", "Crypto"),
        ("/wallets", "Crypto wallets and transfers"),
        ("fixed_income", "Fixed income"),
        ("/forex", "Forex"),
        ("/tokenization", "Tokenization"),
    ];
    areas
        .iter()
        .find(|(needle, _)| path.contains(needle))
        .map(|(_, area)| *area)
}

macro_rules! by {
    ($name:literal, |$c:ident| $body:expr) => {
        Coverage::Method {
            name: $name,
            call: |$c: Client| -> BoxFuture<'static, ()> {
                Box::pin(async move {
                    let _ = $body;
                })
            },
        }
    };
}

fn op(method: &'static str, path: &'static str, coverage: Coverage) -> Entry {
    Entry {
        method,
        path,
        coverage,
    }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn occ() -> OccSymbol {
    "AAPL250620C00100000".parse().unwrap()
}

const SINGLE_SYMBOL: &str = "The single-symbol form of a multi-symbol endpoint: the same data \
     comes from the multi-symbol endpoint with one symbol, which the crate covers.";

/// The table. Order does not matter; the README lists operations by path.
pub fn entries() -> Vec<Entry> {
    vec![
        // ---------------------------------------------------------------- Trading API
        op("GET", "/v1/locates", Coverage::Excluded(LOCATES)),
        op("POST", "/v1/locates", Coverage::Excluded(LOCATES)),
        op(
            "GET",
            "/v1/locates/{locate_id}",
            Coverage::Excluded(LOCATES),
        ),
        op("GET", "/v1/locates/quotes", Coverage::Excluded(LOCATES)),
        op(
            "GET",
            "/v2beta1/events/activities",
            Coverage::Excluded(
                "Server-sent events (beta). Account activities are read with `ListActivities` \
                 (`GET /v2/account/activities`) and order changes arrive on the trade-update \
                 websocket (`Client::trade_updates`), which the executor consumes.",
            ),
        ),
        op(
            "GET",
            "/v2/account",
            by!("`Client::account`", |c| c.account().await),
        ),
        op(
            "GET",
            "/v2/account/activities",
            by!("`ListActivities::page` / `stream`", |c| ListActivities {
                date: Some(day(2024, 1, 2)),
                page_size: Some(50),
                ..ListActivities::default()
            }
            .page(&c, Some("20240102000000000::abc"))
            .await),
        ),
        op(
            "GET",
            "/v2/account/activities/{activity_type}",
            Coverage::Excluded(
                "The same list as `GET /v2/account/activities?activity_types={type}`, which \
                 `ListActivities` sends (with one or many types).",
            ),
        ),
        op(
            "GET",
            "/v2/account/configurations",
            by!("`Client::account_configurations`", |c| c
                .account_configurations()
                .await),
        ),
        op(
            "PATCH",
            "/v2/account/configurations",
            by!("`Client::update_account_configurations`", |c| c
                .update_account_configurations(&AccountConfigurations {
                    no_shorting: Some(true),
                    ..AccountConfigurations::default()
                })
                .await),
        ),
        op(
            "GET",
            "/v2/account/portfolio/history",
            by!("`Client::portfolio_history`", |c| c
                .portfolio_history(&PortfolioHistoryRequest {
                    period: Some("1M".into()),
                    timeframe: Some("1D".into()),
                    ..PortfolioHistoryRequest::default()
                })
                .await),
        ),
        op(
            "GET",
            "/v2/assets",
            by!("`Client::assets`", |c| c
                .assets(&ListAssets {
                    attributes: vec!["has_options".into()],
                    ..ListAssets::default()
                })
                .await),
        ),
        op(
            "GET",
            "/v2/assets/{symbol_or_asset_id}",
            by!("`Client::asset`", |c| c.asset("AAPL").await),
        ),
        op(
            "GET",
            "/v2/calendar",
            by!("`Client::calendar`", |c| c
                .calendar(&CalendarRequest::between(day(2024, 1, 1), day(2024, 1, 31)))
                .await),
        ),
        op(
            "GET",
            "/v2/clock",
            by!("`Client::clock`", |c| c.clock().await),
        ),
        op(
            "GET",
            "/v2/corporate_actions/announcements",
            by!("`Client::announcements`", |c| c
                .announcements(
                    &ListAnnouncements::new(
                        [AnnouncementType::Split],
                        day(2024, 1, 1),
                        day(2024, 2, 1)
                    )
                    .symbol("AAPL")
                )
                .await),
        ),
        op(
            "GET",
            "/v2/corporate_actions/announcements/{id}",
            by!("`Client::announcement`", |c| c
                .announcement("be3c368a")
                .await),
        ),
        op(
            "GET",
            "/v2/options/contracts",
            by!("`ListOptionContracts::page` / `stream`", |c| {
                ListOptionContracts {
                    expiration_date_lte: Some(day(2025, 6, 20)),
                    limit: Some(100),
                    ..ListOptionContracts::for_underlyings(["AAPL"])
                }
                .page(&c, Some("tok"))
                .await
            }),
        ),
        op(
            "GET",
            "/v2/options/contracts/{symbol_or_id}",
            by!("`Client::option_contract`", |c| c
                .option_contract("AAPL250620C00100000")
                .await),
        ),
        op(
            "DELETE",
            "/v2/orders",
            by!("`Client::cancel_all_orders`", |c| c
                .cancel_all_orders()
                .await),
        ),
        op(
            "GET",
            "/v2/orders",
            by!("`Client::orders`", |c| c
                .orders(&ListOrders {
                    limit: Some(500),
                    nested: Some(true),
                    symbols: vec!["AAPL".into()],
                    side: Some(OrderSide::Buy),
                    ..ListOrders::default()
                })
                .await),
        ),
        op(
            "POST",
            "/v2/orders",
            by!("`Client::submit_order`", |c| {
                let order = OrderRequest::limit(
                    "AAPL",
                    OrderSide::Buy,
                    Qty::Shares(Decimal::ONE),
                    Decimal::new(150, 0),
                )
                .client_order_id("coverage-1")
                .build()
                .unwrap();
                c.submit_order(&order).await
            }),
        ),
        op(
            "DELETE",
            "/v2/orders/{order_id}",
            by!("`Client::cancel_order`", |c| c
                .cancel_order("61e69015")
                .await),
        ),
        op(
            "GET",
            "/v2/orders/{order_id}",
            by!("`Client::order`", |c| c.order("61e69015", true).await),
        ),
        op(
            "PATCH",
            "/v2/orders/{order_id}",
            by!("`Client::replace_order`", |c| c
                .replace_order(
                    "61e69015",
                    &ReplaceOrder {
                        limit_price: Some(Decimal::new(151, 0)),
                        ..ReplaceOrder::default()
                    }
                )
                .await),
        ),
        op(
            "GET",
            "/v2/orders:by_client_order_id",
            by!("`Client::order_by_client_order_id`", |c| c
                .order_by_client_order_id("coverage-1")
                .await),
        ),
        op(
            "DELETE",
            "/v2/positions",
            by!("`Client::close_all_positions`", |c| c
                .close_all_positions(true)
                .await),
        ),
        op(
            "GET",
            "/v2/positions",
            by!("`Client::positions`", |c| c.positions().await),
        ),
        op(
            "DELETE",
            "/v2/positions/{symbol_or_asset_id}",
            by!("`Client::close_position`", |c| c
                .close_position("AAPL", ClosePosition::Percentage(Decimal::new(50, 0)))
                .await),
        ),
        op(
            "GET",
            "/v2/positions/{symbol_or_asset_id}",
            by!("`Client::position`", |c| c.position("AAPL").await),
        ),
        op(
            "POST",
            "/v2/positions/{symbol_or_contract_id}/do-not-exercise",
            by!("`Client::do_not_exercise`", |c| c
                .do_not_exercise("AAPL250620C00100000")
                .await),
        ),
        op(
            "POST",
            "/v2/positions/{symbol_or_contract_id}/exercise",
            by!("`Client::exercise_option`", |c| c
                .exercise_option("AAPL250620C00100000")
                .await),
        ),
        op(
            "GET",
            "/v2/watchlists",
            by!("`Client::watchlists`", |c| c.watchlists().await),
        ),
        op(
            "POST",
            "/v2/watchlists",
            by!("`Client::create_watchlist`", |c| c
                .create_watchlist(&WatchlistRequest::new("Tech").symbols(["AAPL"]))
                .await),
        ),
        op(
            "DELETE",
            "/v2/watchlists/{watchlist_id}",
            by!("`Client::delete_watchlist` (by id)", |c| c
                .delete_watchlist(&WatchlistRef::id("3174d6df"))
                .await),
        ),
        op(
            "GET",
            "/v2/watchlists/{watchlist_id}",
            by!("`Client::watchlist` (by id)", |c| c
                .watchlist(&WatchlistRef::id("3174d6df"))
                .await),
        ),
        op(
            "POST",
            "/v2/watchlists/{watchlist_id}",
            by!("`Client::add_to_watchlist` (by id)", |c| c
                .add_to_watchlist(&WatchlistRef::id("3174d6df"), "AAPL")
                .await),
        ),
        op(
            "PUT",
            "/v2/watchlists/{watchlist_id}",
            by!("`Client::update_watchlist` (by id)", |c| c
                .update_watchlist(
                    &WatchlistRef::id("3174d6df"),
                    &WatchlistRequest::new("Tech").symbols(["MSFT"])
                )
                .await),
        ),
        op(
            "DELETE",
            "/v2/watchlists/{watchlist_id}/{symbol}",
            by!("`Client::remove_from_watchlist`", |c| c
                .remove_from_watchlist("3174d6df", "AAPL")
                .await),
        ),
        op(
            "DELETE",
            "/v2/watchlists:by_name",
            by!("`Client::delete_watchlist` (by name)", |c| c
                .delete_watchlist(&WatchlistRef::name("Tech"))
                .await),
        ),
        op(
            "GET",
            "/v2/watchlists:by_name",
            by!("`Client::watchlist` (by name)", |c| c
                .watchlist(&WatchlistRef::name("Tech"))
                .await),
        ),
        op(
            "POST",
            "/v2/watchlists:by_name",
            by!("`Client::add_to_watchlist` (by name)", |c| c
                .add_to_watchlist(&WatchlistRef::name("Tech"), "AAPL")
                .await),
        ),
        op(
            "PUT",
            "/v2/watchlists:by_name",
            by!("`Client::update_watchlist` (by name)", |c| c
                .update_watchlist(&WatchlistRef::name("Tech"), &WatchlistRequest::new("Tech2"))
                .await),
        ),
        op("GET", "/v3/calendar/{market}", Coverage::Excluded(V3_CLOCK)),
        op("GET", "/v3/clock", Coverage::Excluded(V3_CLOCK)),
        // ------------------------------------------------------------ Market Data API
        op(
            "GET",
            "/v1/corporate-actions",
            by!("`CorporateActionsRequest::page` / `stream`", |c| {
                CorporateActionsRequest::for_symbols(["AAPL"])
                    .types([CorporateActionType::ForwardSplit])
                    .between(day(2024, 1, 1), day(2024, 3, 1))
                    .limit(100)
                    .page(&c, Some("tok"))
                    .await
            }),
        ),
        op(
            "GET",
            "/v1beta1/indices/latest/values",
            by!("`Client::latest_index_values`", |c| c
                .latest_index_values(&["SPX", "VIX"])
                .await),
        ),
        op(
            "GET",
            "/v1beta1/indices/values",
            by!("`IndexHistory::page` / `stream`", |c| IndexHistory {
                limit: Some(10),
                sort: Some(Sort::Desc),
                ..IndexHistory::new(["SPX"])
            }
            .page(&c, Some("tok"))
            .await),
        ),
        op(
            "GET",
            "/v1beta1/logos/{symbol}",
            by!("`Client::logo`", |c| c.logo("AAPL", false).await),
        ),
        op(
            "GET",
            "/v1beta1/news",
            by!("`NewsRequest::page` / `stream`, `Client::news`", |c| {
                NewsRequest::new()
                    .symbols(["AAPL"])
                    .limit(50)
                    .include_content(true)
                    .page(&c, Some("tok"))
                    .await
            }),
        ),
        op(
            "GET",
            "/v1beta1/options/bars",
            by!("`OptionHistory::bars_page` / `bars`", |c| {
                OptionHistory::new([occ()])
                    .bars_page(&c, TimeFrame::DAY, Some("tok"))
                    .await
            }),
        ),
        op(
            "GET",
            "/v1beta1/options/meta/conditions/{ticktype}",
            by!("`Client::option_conditions`", |c| c
                .option_conditions(TickType::Trade)
                .await),
        ),
        op(
            "GET",
            "/v1beta1/options/meta/exchanges",
            by!("`Client::option_exchanges`", |c| c.option_exchanges().await),
        ),
        op(
            "GET",
            "/v1beta1/options/quotes/latest",
            by!("`OptionLatest::quotes`", |c| OptionLatest {
                feed: Some(OptionFeed::Indicative),
                ..OptionLatest::new([occ()])
            }
            .quotes(&c)
            .await),
        ),
        op(
            "GET",
            "/v1beta1/options/snapshots",
            by!("`OptionSnapshotsRequest::page` / `stream`", |c| {
                OptionSnapshotsRequest {
                    feed: Some(OptionFeed::Opra),
                    limit: Some(100),
                    ..OptionSnapshotsRequest::new([occ()])
                }
                .page(&c, Some("tok"))
                .await
            }),
        ),
        op(
            "GET",
            "/v1beta1/options/snapshots/{underlying_symbol}",
            by!(
                "`OptionChainRequest::page` / `stream`, `Client::option_chain`",
                |c| {
                    OptionChainRequest {
                        expiration_date_gte: Some(day(2025, 6, 1)),
                        limit: Some(1000),
                        ..OptionChainRequest::new("AAPL")
                    }
                    .page(&c, Some("tok"))
                    .await
                }
            ),
        ),
        op(
            "GET",
            "/v1beta1/options/trades",
            by!("`OptionHistory::trades_page` / `trades`", |c| {
                OptionHistory::new([occ()]).trades_page(&c, None).await
            }),
        ),
        op(
            "GET",
            "/v1beta1/options/trades/latest",
            by!("`OptionLatest::trades`", |c| OptionLatest::new([occ()])
                .trades(&c)
                .await),
        ),
        op(
            "GET",
            "/v1beta1/screener/{market_type}/movers",
            by!("`Client::top_movers` (stocks)", |c| c
                .top_movers(Some(20))
                .await),
        ),
        op(
            "GET",
            "/v1beta1/screener/stocks/most-actives",
            by!("`Client::most_actives`", |c| c
                .most_actives(
                    Some(alpaca_exec::data::screener::MostActivesBy::Volume),
                    Some(20)
                )
                .await),
        ),
        op(
            "GET",
            "/v2/stocks/{symbol}/auctions",
            Coverage::Excluded(SINGLE_SYMBOL),
        ),
        op(
            "GET",
            "/v2/stocks/{symbol}/bars",
            Coverage::Excluded(SINGLE_SYMBOL),
        ),
        op(
            "GET",
            "/v2/stocks/{symbol}/bars/latest",
            Coverage::Excluded(SINGLE_SYMBOL),
        ),
        op(
            "GET",
            "/v2/stocks/{symbol}/quotes",
            Coverage::Excluded(SINGLE_SYMBOL),
        ),
        op(
            "GET",
            "/v2/stocks/{symbol}/quotes/latest",
            Coverage::Excluded(SINGLE_SYMBOL),
        ),
        op(
            "GET",
            "/v2/stocks/{symbol}/snapshot",
            Coverage::Excluded(SINGLE_SYMBOL),
        ),
        op(
            "GET",
            "/v2/stocks/{symbol}/trades",
            Coverage::Excluded(SINGLE_SYMBOL),
        ),
        op(
            "GET",
            "/v2/stocks/{symbol}/trades/latest",
            Coverage::Excluded(SINGLE_SYMBOL),
        ),
        op(
            "GET",
            "/v2/stocks/auctions",
            by!("`StockHistory::auctions_page` / `auctions`", |c| {
                StockHistory::new(["AAPL"])
                    .feed(StockFeed::Sip)
                    .auctions_page(&c, Some("tok"))
                    .await
            }),
        ),
        op(
            "GET",
            "/v2/stocks/bars",
            by!("`StockHistory::bars_page` / `bars`", |c| {
                let t0 = Utc.with_ymd_and_hms(2024, 1, 2, 14, 30, 0).unwrap();
                let t1 = Utc.with_ymd_and_hms(2024, 1, 3, 21, 0, 0).unwrap();
                StockHistory::new(["AAPL", "MSFT"])
                    .between(t0, t1)
                    .limit(1000)
                    .feed(StockFeed::Iex)
                    .bars_page(&c, TimeFrame::HOUR, Some("tok"))
                    .await
            }),
        ),
        op(
            "GET",
            "/v2/stocks/bars/latest",
            by!("`StockLatest::bars`", |c| StockLatest::new(["AAPL"])
                .feed(StockFeed::Iex)
                .bars(&c)
                .await),
        ),
        op(
            "GET",
            "/v2/stocks/meta/conditions/{ticktype}",
            by!("`Client::stock_conditions`", |c| c
                .stock_conditions(TickType::Quote, Tape::A)
                .await),
        ),
        op(
            "GET",
            "/v2/stocks/meta/exchanges",
            by!("`Client::stock_exchanges`", |c| c.stock_exchanges().await),
        ),
        op(
            "GET",
            "/v2/stocks/quotes",
            by!("`StockHistory::quotes_page` / `quotes`", |c| {
                StockHistory::new(["AAPL"])
                    .quotes_page(&c, Some("tok"))
                    .await
            }),
        ),
        op(
            "GET",
            "/v2/stocks/quotes/latest",
            by!("`StockLatest::quotes`", |c| StockLatest::new(["AAPL"])
                .quotes(&c)
                .await),
        ),
        op(
            "GET",
            "/v2/stocks/snapshots",
            by!("`StockLatest::snapshots`", |c| StockLatest::new(["AAPL"])
                .snapshots(&c)
                .await),
        ),
        op(
            "GET",
            "/v2/stocks/trades",
            by!("`StockHistory::trades_page` / `trades`", |c| {
                StockHistory::new(["AAPL"])
                    .trades_page(&c, Some("tok"))
                    .await
            }),
        ),
        op(
            "GET",
            "/v2/stocks/trades/latest",
            by!("`StockLatest::trades`", |c| StockLatest::new(["AAPL"])
                .trades(&c)
                .await),
        ),
    ]
}

const LOCATES: &str = "Short-sale locates for hard-to-borrow stocks, an account-level \
     program: the engine never shorts without the broker's own borrow (`shortable`, \
     `easy_to_borrow` on `Asset`), so there is nothing to call them for yet.";

const V3_CLOCK: &str = "The multi-market clock and calendar (v3). US equities and options, \
     the only markets in scope, are served by `Client::clock` and `Client::calendar` (v2).";
