use crate::common::*;
use alpaca_exec::data::{
    OptionChainRequest, OptionFeed, OptionHistory, OptionLatest, OptionSnapshotsRequest, TimeFrame,
};
use alpaca_exec::{Error, OccSymbol, OptionType};
use chrono::{NaiveDate, TimeZone, Utc};
use futures_util::TryStreamExt;
use rust_decimal_macros::dec;
use serde_json::json;
use wiremock::ResponseTemplate;

fn occ(s: &str) -> OccSymbol {
    s.parse().unwrap()
}

#[tokio::test]
async fn chain_with_filters_decodes_greeks_and_keys_by_occ_symbol() {
    let s = server().await;
    expect("GET", "/v1beta1/options/snapshots/AAPL")
        .and(query_is(&[
            ("type", "put"),
            ("strike_price_gte", "150"),
            ("strike_price_lte", "160.5"),
            ("expiration_date_gte", "2024-05-01"),
            ("expiration_date_lte", "2024-05-10"),
            ("root_symbol", "AAPL"),
            ("updated_since", "2024-04-25T00:00:00Z"),
            ("feed", "indicative"),
            ("limit", "1000"),
        ]))
        .respond_with(json_fixture("data_option_chain.json"))
        .expect(1)
        .mount(&s)
        .await;
    let req = OptionChainRequest {
        option_type: Some(OptionType::Put),
        strike_price_gte: Some(dec!(150)),
        strike_price_lte: Some(dec!(160.50)),
        expiration_date_gte: NaiveDate::from_ymd_opt(2024, 5, 1),
        expiration_date_lte: NaiveDate::from_ymd_opt(2024, 5, 10),
        root_symbol: Some("AAPL".into()),
        updated_since: Some(Utc.with_ymd_and_hms(2024, 4, 25, 0, 0, 0).unwrap()),
        feed: Some(OptionFeed::Indicative),
        limit: Some(1000),
        ..OptionChainRequest::new("AAPL")
    };
    let chain = req.send_all(&client(&s)).await.unwrap();
    let snap = &chain[&occ("AAPL240503P00155000")];
    let g = snap.greeks.unwrap();
    assert!((g.delta - -0.06962352623019707).abs() < 1e-15);
    assert_eq!(snap.implied_volatility, Some(0.4584478444465036));
    let q = snap.latest_quote.as_ref().unwrap();
    assert_eq!((q.bid_price, q.ask_price), (dec!(0.32), dec!(0.35)));
    assert_eq!(
        q.conditions,
        vec!["A"],
        "option conditions come as a single string"
    );
    assert_eq!(snap.latest_trade.as_ref().unwrap().price, dec!(0.34));
}

#[tokio::test]
async fn chain_streams_three_pages_and_tolerates_missing_greeks() {
    let s = server().await;
    let snap = |greeks: bool| {
        let mut v = json!({"latestQuote": {"t": "2024-04-25T20:00:00Z", "bp": 1.0, "ap": 1.1, "bs": 1, "as": 1, "c": "A"}});
        if greeks {
            v["greeks"] =
                json!({"delta": 0.5, "gamma": 0.01, "theta": -0.02, "vega": 0.1, "rho": 0.01});
            v["impliedVolatility"] = json!(0.25);
        }
        v
    };
    let page = |keys: &[(&str, bool)], next: Option<&str>| {
        let mut snaps = serde_json::Map::new();
        for (k, g) in keys {
            snaps.insert(k.to_string(), snap(*g));
        }
        ResponseTemplate::new(200)
            .set_body_json(json!({"snapshots": snaps, "next_page_token": next}))
    };
    expect("GET", "/v1beta1/options/snapshots/SPY")
        .and(query_is(&[]))
        .respond_with(page(
            &[("SPY240621C00500000", true), ("SPY240621C00505000", false)],
            Some("t2"),
        ))
        .expect(1)
        .mount(&s)
        .await;
    expect("GET", "/v1beta1/options/snapshots/SPY")
        .and(query_is(&[("page_token", "t2")]))
        .respond_with(page(&[("SPY240621C00510000", true)], Some("t3")))
        .expect(1)
        .mount(&s)
        .await;
    expect("GET", "/v1beta1/options/snapshots/SPY")
        .and(query_is(&[("page_token", "t3")]))
        .respond_with(page(&[("SPY240621P00500000", false)], None))
        .expect(1)
        .mount(&s)
        .await;
    let items: Vec<_> = OptionChainRequest::new("SPY")
        .stream(&client(&s))
        .try_collect()
        .await
        .unwrap();
    let keys: Vec<String> = items.iter().map(|(k, _)| k.to_string()).collect();
    assert_eq!(
        keys,
        [
            "SPY240621C00500000",
            "SPY240621C00505000",
            "SPY240621C00510000",
            "SPY240621P00500000"
        ]
    );
    assert!(items[1].1.greeks.is_none() && items[1].1.implied_volatility.is_none());
    assert!(items[2].1.greeks.is_some());
}

#[tokio::test]
async fn snapshots_by_symbols() {
    let s = server().await;
    expect("GET", "/v1beta1/options/snapshots")
        .and(query_is(&[
            ("symbols", "AAPL240126P00050000"),
            ("limit", "1000"),
        ]))
        .respond_with(json_fixture("data_option_snapshot.json"))
        .expect(1)
        .mount(&s)
        .await;
    let req = OptionSnapshotsRequest {
        limit: Some(1000),
        ..OptionSnapshotsRequest::new([occ("AAPL240126P00050000")])
    };
    let snaps = req.send_all(&client(&s)).await.unwrap();
    let snap = &snaps[&occ("AAPL240126P00050000")];
    assert_eq!(
        snap.latest_quote.as_ref().unwrap().mid().unwrap(),
        dec!(0.535)
    );
    assert!(
        snap.latest_quote.as_ref().unwrap().conditions.is_empty(),
        "\" \" means none"
    );
}

#[tokio::test]
async fn latest_option_quotes_and_trades() {
    let s = server().await;
    expect("GET", "/v1beta1/options/quotes/latest")
        .and(query_is(&[
            ("symbols", "AAPL240126P00050000"),
            ("feed", "opra"),
        ]))
        .respond_with(json_fixture("data_option_latest_quote.json"))
        .expect(1)
        .mount(&s)
        .await;
    expect("GET", "/v1beta1/options/trades/latest")
        .and(query_is(&[(
            "symbols",
            "AAPL240126P00050000,AAPL240126P00100000",
        )]))
        .respond_with(json_fixture("data_option_latest_trades_multi.json"))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s);
    let mut req = OptionLatest::new([occ("AAPL240126P00050000")]);
    req.feed = Some(OptionFeed::Opra);
    let q = req.quotes(&c).await.unwrap();
    assert_eq!(q[&occ("AAPL240126P00050000")].bid_price, dec!(0.05));
    let t = OptionLatest::new([occ("AAPL240126P00050000"), occ("AAPL240126P00100000")])
        .trades(&c)
        .await
        .unwrap();
    assert_eq!(t.len(), 2);
}

#[tokio::test]
async fn historical_option_bars_and_trades() {
    let s = server().await;
    expect("GET", "/v1beta1/options/bars")
        .and(query_is(&[
            ("symbols", "SPY240426C00555000"),
            ("timeframe", "1Hour"),
            ("start", "2024-03-12T00:00:00Z"),
            ("limit", "2"),
        ]))
        .respond_with(json_fixture("data_option_bars.json"))
        .expect(1)
        .mount(&s)
        .await;
    expect("GET", "/v1beta1/options/trades")
        .and(query_is(&[("symbols", "SPY240426C00555000"), ("sort", "desc")]))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "trades": {"SPY240426C00555000": [{"t": "2024-03-12T14:01:02Z", "x": "C", "p": 0.25, "s": 3, "c": "I"}]},
            "next_page_token": null
        })))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s);
    let req = OptionHistory {
        start: Some(Utc.with_ymd_and_hms(2024, 3, 12, 0, 0, 0).unwrap()),
        limit: Some(2),
        ..OptionHistory::new([occ("SPY240426C00555000")])
    };
    let page = req.bars_page(&c, TimeFrame::HOUR, None).await.unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[0].1.close, dec!(0.21));
    assert!(page.next_page_token.is_some());
    let trades = OptionHistory {
        sort: Some(alpaca_exec::data::Sort::Desc),
        ..OptionHistory::new([occ("SPY240426C00555000")])
    }
    .trades_page(&c, None)
    .await
    .unwrap();
    assert_eq!(trades.items[0].1.size, dec!(3));
}

#[tokio::test]
async fn option_exchange_codes() {
    let s = server().await;
    expect("GET", "/v1beta1/options/meta/exchanges")
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"A": "AMEX - NYSE American", "C": "CBOE"})),
        )
        .expect(1)
        .mount(&s)
        .await;
    let ex = client(&s).option_exchanges().await.unwrap();
    assert_eq!(ex["C"], "CBOE");
}

#[tokio::test]
async fn bad_option_requests_are_refused_before_sending() {
    let s = server().await;
    let c = client(&s);
    let mut chain = OptionChainRequest::new("SPY");
    chain.limit = Some(1001);
    assert!(matches!(
        chain.page(&c, None).await,
        Err(Error::InvalidRequest(_))
    ));
    let mut chain = OptionChainRequest::new("SPY");
    chain.strike_price_gte = Some(dec!(500));
    chain.strike_price_lte = Some(dec!(400));
    assert!(matches!(
        chain.page(&c, None).await,
        Err(Error::InvalidRequest(_))
    ));
    assert!(matches!(
        OptionChainRequest::new(" ").page(&c, None).await,
        Err(Error::InvalidRequest(_))
    ));
    assert!(matches!(
        OptionLatest::new([]).quotes(&c).await,
        Err(Error::InvalidRequest(_))
    ));
}
