//! The crate's response types decoded from mutated fixtures, and their derived values (which do
//! arithmetic on what was decoded) computed: no panic, and a failure is a `serde_json::Error`.

use crate::common::fixture;
use crate::common::spec::Spec;
use crate::mutate::{elements, mutated};
use crate::{Shown, cases, no_panic, rng};
use alpaca_exec::data::{Bar, NewsArticle, OptionSnapshot, Quote, StockSnapshot, Trade};
use alpaca_exec::trading::account::{Account, AccountConfigurations, PortfolioHistory};
use alpaca_exec::trading::activities::Activity;
use alpaca_exec::trading::assets::Asset;
use alpaca_exec::trading::clock::{CalendarDay, Clock};
use alpaca_exec::trading::option_contracts::OptionContract;
use alpaca_exec::trading::orders::{CancelOrderResult, Order};
use alpaca_exec::trading::positions::{ClosePositionResult, Position};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt::Debug;

/// Decodes mutations of the elements of `fixtures` as `T`, then runs `touch` on what decoded.
fn fuzz<T: DeserializeOwned + Debug>(
    target: &str,
    fixtures: &[&str],
    pick: impl Fn(&Value) -> Vec<Value>,
    touch: impl Fn(&T),
) {
    let seeds: Vec<Value> = fixtures
        .iter()
        .flat_map(|f| {
            let v: Value = serde_json::from_str(&fixture(f)).expect("fixtures are JSON");
            pick(&v)
        })
        .collect();
    fuzz_values(target, seeds, touch);
}

/// Decodes mutations of `seeds` as `T`, then runs `touch` on what decoded.
fn fuzz_values<T: DeserializeOwned + Debug>(target: &str, seeds: Vec<Value>, touch: impl Fn(&T)) {
    let mut rng = rng(target);
    // The loop below must feed a real decoder, not a refusal: the unmutated elements decode,
    // and so do they with a field Alpaca might add one day.
    for s in &seeds {
        let mut extended = s.clone();
        if let Value::Object(o) = &mut extended {
            o.insert("added_by_alpaca_later".into(), Value::from("x"));
        }
        for v in [s, &extended] {
            if let Err(e) = serde_json::from_value::<T>(v.clone()) {
                panic!("{target}: the fixture element does not decode: {e}\n{v}");
            }
        }
    }
    for case in 0..cases(150) {
        let pick = rng.usize(..seeds.len());
        let input = mutated(&mut rng, &seeds[pick]);
        no_panic(
            target,
            case,
            &Shown(&input),
            |Shown(b)| match serde_json::from_slice::<T>(b) {
                Ok(v) => {
                    touch(&v);
                    let _ = format!("{v:?}");
                }
                Err(e) => {
                    let _ = e.to_string();
                }
            },
        );
    }
}

fn one(v: &Value) -> Vec<Value> {
    vec![v.clone()]
}

fn under(key: &'static str) -> impl Fn(&Value) -> Vec<Value> {
    move |v| elements(&v[key])
}

/// The values of a map whose values are lists (bars keyed by symbol).
fn flattened(key: &'static str) -> impl Fn(&Value) -> Vec<Value> {
    move |v| elements(&v[key]).iter().flat_map(elements).collect()
}

fn order_parts(o: &Order) {
    let _ = (
        o.class(),
        o.option_symbol(),
        o.remaining_qty(),
        o.status.is_open(),
    );
    let _ = o.status.is_terminal();
}

#[test]
fn trading_types() {
    let orders = [
        "trading_get_order_by_id.json",
        "trading_get_order_by_client_id.json",
        "trading_submit_order_limit.json",
        "trading_submit_order_market.json",
        "trading_replace_order.json",
        "trading_close_position.json",
        "trading_close_position_qty.json",
        "openapi_OptionOrderResponse.json",
        "openapi_MultilegOptionsOrderResponse.json",
    ];
    fuzz::<Order>("order", &orders, one, order_parts);
    fuzz::<Order>(
        "orders",
        &["trading_get_orders.json"],
        elements,
        order_parts,
    );
    fuzz::<Account>("account", &["trading_get_account.json"], one, |a| {
        let _ = a.can_trade();
    });
    fuzz::<AccountConfigurations>(
        "account_configurations",
        &["trading_get_account_configurations.json"],
        one,
        |_| {},
    );
    fuzz::<PortfolioHistory>(
        "portfolio_history",
        &["trading_get_portfolio_history.json"],
        one,
        |_| {},
    );
    fuzz::<Position>(
        "positions",
        &["trading_get_all_positions.json"],
        elements,
        |p| {
            let _ = p.option_symbol();
        },
    );
    fuzz::<Position>("position", &["trading_get_open_position.json"], one, |_| {});
    fuzz::<Asset>("asset", &["trading_get_asset.json"], one, |_| {});
    fuzz::<Clock>("clock", &["trading_get_clock.json"], one, |c| {
        let _ = (c.now_eastern(), c.today_eastern());
    });
    fuzz::<CalendarDay>("calendar", &["trading_get_calendar.json"], elements, |d| {
        let _ = (d.is_early_close(), d.is_regular_hours(chrono::Utc::now()));
    });
    fuzz::<OptionContract>(
        "option_contract",
        &["trading_get_option_contract.json"],
        one,
        |_| {},
    );
    fuzz::<OptionContract>(
        "option_contracts",
        &["trading_get_option_contracts.json"],
        under("option_contracts"),
        |_| {},
    );
    fuzz::<Activity>(
        "activities",
        &["trading_get_activities.json"],
        elements,
        |_| {},
    );
    fuzz::<CancelOrderResult>(
        "cancel_all",
        &["trading_cancel_orders.json"],
        elements,
        |r| {
            let _ = r.is_success();
        },
    );
    fuzz::<ClosePositionResult>(
        "close_all",
        &["trading_close_all_positions.json"],
        elements,
        |_| {},
    );
}

fn quote_parts(q: &Quote) {
    let _ = (q.mid(), q.spread());
}

#[test]
fn market_data_types() {
    let bars = [
        "data_stock_bars.json",
        "data_stock_bars_multi.json",
        "data_option_bars.json",
    ];
    let latest = [
        "data_stock_latest_quote.json",
        "data_option_latest_quote.json",
    ];
    let trades = [
        "data_stock_latest_trades_multi.json",
        "data_option_latest_trades_multi.json",
    ];
    let chain = ["data_option_chain.json", "data_option_snapshot.json"];
    fuzz::<Bar>("bars", &bars, flattened("bars"), |_| {});
    fuzz::<Bar>(
        "latest_bars",
        &["data_stock_latest_bars_multi.json"],
        under("bars"),
        |_| {},
    );
    fuzz::<Quote>(
        "quotes",
        &["data_stock_quotes.json"],
        flattened("quotes"),
        quote_parts,
    );
    fuzz::<Quote>("latest_quote", &latest, under("quotes"), quote_parts);
    fuzz::<Trade>("latest_trades", &trades, under("trades"), |_| {});
    fuzz::<StockSnapshot>(
        "stock_snapshot",
        &["data_stock_snapshot.json"],
        elements,
        |_| {},
    );
    fuzz::<OptionSnapshot>("option_snapshot", &chain, under("snapshots"), |_| {});
}

#[test]
fn news_articles() {
    // The REST answer's articles, and the same with the stream's `"T": "n"` tag.
    let rest = elements(&Spec::MarketData.response_example("GET", "/v1beta1/news")["news"]);
    let streamed = rest.iter().cloned().map(|mut a| {
        a["T"] = Value::from("n");
        a
    });
    let seeds = rest.iter().cloned().chain(streamed).collect();
    fuzz_values::<NewsArticle>("news", seeds, |a| {
        let _ = a.mentions("AAPL");
    });
}
