use crate::common::*;
use alpaca_exec::Error;
use alpaca_exec::data::{
    Adjustment, QuoteError, Sort, StockFeed, StockHistory, StockLatest, TimeFrame,
};
use chrono::{TimeZone, Utc};
use futures_util::TryStreamExt;
use rust_decimal_macros::dec;
use serde_json::json;
use wiremock::ResponseTemplate;

#[tokio::test]
async fn latest_quote_decodes_compact_names_into_decimals() {
    let s = server().await;
    expect("GET", "/v2/stocks/quotes/latest")
        .and(query_is(&[("symbols", "AAPL")]))
        .respond_with(json_fixture("data_stock_latest_quote.json"))
        .expect(1)
        .mount(&s)
        .await;
    let quotes = client(&s).latest_stock_quotes(&["AAPL"]).await.unwrap();
    let q = &quotes["AAPL"];
    assert_eq!(q.bid_price, dec!(161.1));
    assert_eq!(q.ask_price, dec!(161.11));
    assert_eq!(q.bid_size, dec!(2));
    assert_eq!(q.ask_exchange, "P");
    assert_eq!(q.conditions, vec!["R"]);
    assert_eq!(q.tape.as_deref(), Some("C"));
    assert_eq!(q.mid().unwrap(), dec!(161.105));
}

#[tokio::test]
async fn latest_trades_and_bars_for_many_symbols_with_feed() {
    let s = server().await;
    expect("GET", "/v2/stocks/trades/latest")
        .and(query_is(&[("symbols", "AAPL,TSLA"), ("feed", "iex")]))
        .respond_with(json_fixture("data_stock_latest_trades_multi.json"))
        .expect(1)
        .mount(&s)
        .await;
    expect("GET", "/v2/stocks/bars/latest")
        .and(query_is(&[("symbols", "SPY,TSLA,NODATA")]))
        .respond_with(json_fixture("data_stock_latest_bars_multi.json"))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s);
    let trades = StockLatest::new(["AAPL", "TSLA"])
        .feed(StockFeed::Iex)
        .trades(&c)
        .await
        .unwrap();
    assert_eq!(trades.len(), 2);
    assert!(trades["TSLA"].price > dec!(0));
    let bars = c
        .latest_stock_bars(&["SPY", "TSLA", "NODATA"])
        .await
        .unwrap();
    assert!(bars.contains_key("SPY") && bars.contains_key("TSLA"));
    assert!(
        !bars.contains_key("NODATA"),
        "a symbol with no data is absent, not an error"
    );
}

#[tokio::test]
async fn snapshots_keyed_at_top_level_with_null_symbol() {
    let s = server().await;
    let mut body: serde_json::Value =
        serde_json::from_str(&fixture("data_stock_snapshot.json")).unwrap();
    body["ZZZZ"] = serde_json::Value::Null;
    expect("GET", "/v2/stocks/snapshots")
        .and(query_is(&[("symbols", "AAPL,ZZZZ")]))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(&s)
        .await;
    let snaps = client(&s).stock_snapshots(&["AAPL", "ZZZZ"]).await.unwrap();
    assert_eq!(snaps.len(), 1);
    let a = &snaps["AAPL"];
    assert_eq!(a.latest_trade.as_ref().unwrap().price, dec!(161.1998));
    assert_eq!(a.latest_trade.as_ref().unwrap().id, Some(39884));
    assert_eq!(a.minute_bar.as_ref().unwrap().open, dec!(161.595));
    assert!(a.daily_bar.is_some() && a.prev_daily_bar.is_some());
}

#[tokio::test]
async fn historical_bars_send_every_parameter() {
    let s = server().await;
    expect("GET", "/v2/stocks/bars")
        .and(query_is(&[
            ("symbols", "AAPL"),
            ("timeframe", "1Day"),
            ("start", "2022-02-01T00:00:00Z"),
            ("end", "2022-02-03T00:00:00Z"),
            ("limit", "2"),
            ("adjustment", "split"),
            ("feed", "sip"),
            ("sort", "asc"),
            ("asof", "2022-02-01"),
            ("currency", "USD"),
        ]))
        .respond_with(json_fixture("data_stock_bars.json"))
        .expect(1)
        .mount(&s)
        .await;
    let req = StockHistory {
        adjustment: Some(Adjustment::Split),
        sort: Some(Sort::Asc),
        asof: chrono::NaiveDate::from_ymd_opt(2022, 2, 1),
        currency: Some("USD".into()),
        ..StockHistory::new(["AAPL"])
            .between(
                Utc.with_ymd_and_hms(2022, 2, 1, 0, 0, 0).unwrap(),
                Utc.with_ymd_and_hms(2022, 2, 3, 0, 0, 0).unwrap(),
            )
            .limit(2)
            .feed(StockFeed::Sip)
    };
    let page = req
        .bars_page(&client(&s), TimeFrame::DAY, None)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 2);
    let (sym, bar) = &page.items[0];
    assert_eq!(&**sym, "AAPL");
    assert_eq!(bar.open, dec!(174));
    assert_eq!(bar.high, dec!(174.84));
    assert_eq!(bar.volume, dec!(85998033));
    assert_eq!(bar.trade_count, Some(732412));
    assert_eq!(bar.vwap, Some(dec!(173.703516)));
    assert_eq!(
        page.next_page_token.as_deref(),
        Some("QUFQTHxEfDIwMjItMDItMDJUMDU6MDA6MDAuMDAwMDAwMDAwWg==")
    );
}

#[tokio::test]
async fn multi_symbol_bars_flatten_in_symbol_order() {
    let s = server().await;
    expect("GET", "/v2/stocks/bars")
        .and(query_is(&[("symbols", "AAPL,TSLA"), ("timeframe", "1Day")]))
        .respond_with(json_fixture("data_stock_bars_multi.json"))
        .expect(1)
        .mount(&s)
        .await;
    let items: Vec<_> = StockHistory::new(["AAPL", "TSLA"])
        .bars(&client(&s), TimeFrame::DAY)
        .try_collect()
        .await
        .unwrap();
    let first_tsla = items.iter().position(|(s, _)| &**s == "TSLA").unwrap();
    assert!(first_tsla > 0);
    assert!(items[..first_tsla].iter().all(|(s, _)| &**s == "AAPL"));
    assert!(items[first_tsla..].iter().all(|(s, _)| &**s == "TSLA"));
    assert!(
        items
            .windows(2)
            .all(|w| w[0].0 != w[1].0 || w[0].1.timestamp < w[1].1.timestamp)
    );
}

#[tokio::test]
async fn historical_quotes_and_trades() {
    let s = server().await;
    expect("GET", "/v2/stocks/quotes")
        .and(query_is(&[
            ("symbols", "AAPL"),
            ("start", "2022-03-09T00:00:00Z"),
            ("limit", "2"),
        ]))
        .respond_with(json_fixture("data_stock_quotes.json"))
        .expect(1)
        .mount(&s)
        .await;
    expect("GET", "/v2/stocks/trades")
        .and(query_is(&[("symbols", "AAPL"), ("limit", "1")]))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "trades": {"AAPL": [{"t":"2022-03-09T09:00:00.0001Z","x":"K","p":158.7,"s":10,"c":["@","T"],"i":52983525033527u64,"z":"C"}]},
            "next_page_token": null
        })))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s);
    let req = StockHistory {
        start: Some(Utc.with_ymd_and_hms(2022, 3, 9, 0, 0, 0).unwrap()),
        ..StockHistory::new(["AAPL"]).limit(2)
    };
    let page = req.quotes_page(&c, None).await.unwrap();
    assert_eq!(page.items.len(), 2);
    // The fixture's first quote is crossed (bid above ask): mid refuses it.
    assert!(matches!(
        page.items[0].1.mid(),
        Err(QuoteError::Crossed { .. })
    ));
    let trades = StockHistory::new(["AAPL"])
        .limit(1)
        .trades_page(&c, None)
        .await
        .unwrap();
    assert_eq!(trades.items[0].1.id, Some(52983525033527));
    assert_eq!(trades.items[0].1.price, dec!(158.7));
}

#[tokio::test]
async fn bad_requests_are_refused_before_sending() {
    let s = server().await;
    let c = client(&s);
    let none: [&str; 0] = [];
    assert!(matches!(
        StockLatest::new(none).quotes(&c).await,
        Err(Error::InvalidRequest(_))
    ));
    assert!(matches!(
        StockHistory::new(["AAPL"])
            .limit(10_001)
            .bars_page(&c, TimeFrame::DAY, None)
            .await,
        Err(Error::InvalidRequest(_))
    ));
    let reversed = StockHistory::new(["AAPL"]).between(
        Utc.with_ymd_and_hms(2022, 3, 9, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2022, 3, 8, 0, 0, 0).unwrap(),
    );
    assert!(matches!(
        reversed.trades_page(&c, None).await,
        Err(Error::InvalidRequest(_))
    ));
    assert!(TimeFrame::minutes(75).is_err());
}

#[tokio::test]
async fn data_requests_use_the_data_host_and_auth() {
    // Trading and data bases differ: a data call must go to the data server only.
    let trading = server().await;
    let data = server().await;
    expect("GET", "/v2/stocks/quotes/latest")
        .respond_with(json_fixture("data_stock_latest_quote.json"))
        .expect(1)
        .mount(&data)
        .await;
    let c = builder(&trading).data_base_url(data.uri()).build().unwrap();
    c.latest_stock_quotes(&["AAPL"]).await.unwrap();
}

#[tokio::test]
async fn backtest_download_caches_to_disk() {
    use alpaca_exec::backtest::download::{BarRequest, bars_cached};
    let s = server().await;
    expect("GET", "/v2/stocks/bars")
        .and(query_is(&[
            ("symbols", "AAPL"),
            ("timeframe", "1Day"),
            ("start", "2022-02-01T00:00:00Z"),
            ("end", "2022-02-03T00:00:00Z"),
            ("limit", "10000"),
            ("adjustment", "all"),
        ]))
        .respond_with(ResponseTemplate::new(200).set_body_json({
            let mut v: serde_json::Value =
                serde_json::from_str(&fixture("data_stock_bars.json")).unwrap();
            v["next_page_token"] = serde_json::Value::Null;
            v
        }))
        .expect(1)
        .mount(&s)
        .await;
    let dir = std::env::temp_dir().join(format!("ax-cache-{}", std::process::id()));
    let req = BarRequest {
        symbols: vec!["AAPL".into()],
        timeframe: TimeFrame::DAY,
        start: Utc.with_ymd_and_hms(2022, 2, 1, 0, 0, 0).unwrap(),
        end: Utc.with_ymd_and_hms(2022, 2, 3, 0, 0, 0).unwrap(),
        adjustment: Adjustment::All,
        feed: None,
    };
    let c = client(&s);
    let first = bars_cached(&c, &req, &dir, |_, _| {}).await.unwrap();
    // The mock answers only once: the second call must come from the cache, identical.
    let second = bars_cached(&c, &req, &dir, |_, _| {}).await.unwrap();
    assert_eq!(first[0].1.len(), 2);
    assert_eq!(first[0].1[0].close, second[0].1[0].close);
    assert_eq!(first[0].1[1].timestamp, second[0].1[1].timestamp);
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "one file, no leftovers"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
