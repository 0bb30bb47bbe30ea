use crate::common::*;
use alpaca_exec::trading::option_contracts::{ContractStatus, OptionStyle};
use alpaca_exec::{Error, ListOptionContracts, OptionType};
use chrono::NaiveDate;
use futures_util::StreamExt;
use rust_decimal_macros::dec;
use serde_json::json;
use wiremock::ResponseTemplate;

fn contract(symbol: &str) -> serde_json::Value {
    let occ: alpaca_exec::OccSymbol = symbol.parse().unwrap();
    json!({
        "id": format!("id-{symbol}"), "symbol": symbol, "name": "x", "status": "active",
        "tradable": true, "expiration_date": occ.expiration().to_string(), "root_symbol": occ.root(),
        "underlying_symbol": "SPY", "underlying_asset_id": "u", "type": occ.option_type().as_str(),
        "style": "american", "strike_price": occ.strike().to_string(), "multiplier": "100",
        "size": "100", "open_interest": "1200", "open_interest_date": "2025-06-10",
        "close_price": "1.05", "close_price_date": "2025-06-10"
    })
}

#[tokio::test]
async fn list_contracts_sends_every_filter() {
    let s = server().await;
    expect("GET", "/v2/options/contracts")
        .and(query_is(&[
            ("underlying_symbols", "AAPL,SPY"),
            ("status", "active"),
            ("expiration_date_gte", "2025-06-01"),
            ("expiration_date_lte", "2025-06-30"),
            ("root_symbol", "AAPL"),
            ("type", "call"),
            ("style", "american"),
            ("strike_price_gte", "150"),
            ("strike_price_lte", "200.5"),
            ("limit", "1000"),
            ("show_deliverables", "true"),
        ]))
        .respond_with(json_fixture("trading_get_option_contracts.json"))
        .expect(1)
        .mount(&s)
        .await;
    let req = ListOptionContracts {
        status: Some(ContractStatus::Active),
        expiration_date_gte: NaiveDate::from_ymd_opt(2025, 6, 1),
        expiration_date_lte: NaiveDate::from_ymd_opt(2025, 6, 30),
        root_symbol: Some("AAPL".into()),
        option_type: Some(OptionType::Call),
        style: Some(OptionStyle::American),
        strike_price_gte: Some(dec!(150.00)),
        strike_price_lte: Some(dec!(200.5)),
        limit: Some(1000),
        show_deliverables: Some(true),
        ..ListOptionContracts::for_underlyings(["AAPL", "SPY"])
    };
    let page = client(&s).option_contracts(&req).await.unwrap();
    assert_eq!(page.next_page_token, None);
    let c = &page.items[0];
    assert_eq!(c.symbol.to_string(), "AAPL231103C00170000");
    assert_eq!(c.strike_price, dec!(170));
    assert_eq!(c.option_type, OptionType::Call);
    assert_eq!(c.multiplier, None, "fixture omits multiplier");
    assert_eq!(c.premium_multiplier(), dec!(100));
    assert_eq!(c.close_price, None);
}

#[tokio::test]
async fn stream_walks_three_pages_with_page_token() {
    let s = server().await;
    let page = |syms: &[&str], next: Option<&str>| {
        ResponseTemplate::new(200).set_body_json(json!({
            "option_contracts": syms.iter().map(|s| contract(s)).collect::<Vec<_>>(),
            "next_page_token": next
        }))
    };
    let base = [
        ("underlying_symbols", "SPY"),
        ("expiration_date_lte", "2025-06-30"),
    ];
    expect("GET", "/v2/options/contracts")
        .and(query_is(&base))
        .respond_with(page(
            &["SPY250620C00500000", "SPY250620C00510000"],
            Some("p2"),
        ))
        .expect(1)
        .mount(&s)
        .await;
    let mut q2 = base.to_vec();
    q2.push(("page_token", "p2"));
    expect("GET", "/v2/options/contracts")
        .and(query_is(&q2))
        .respond_with(page(&["SPY250620P00500000"], Some("p3")))
        .expect(1)
        .mount(&s)
        .await;
    let mut q3 = base.to_vec();
    q3.push(("page_token", "p3"));
    expect("GET", "/v2/options/contracts")
        .and(query_is(&q3))
        .respond_with(page(&["SPY250627C00500000"], None))
        .expect(1)
        .mount(&s)
        .await;
    let req = ListOptionContracts {
        expiration_date_lte: NaiveDate::from_ymd_opt(2025, 6, 30),
        ..ListOptionContracts::for_underlyings(["SPY"])
    };
    let all: Vec<_> = req
        .stream(&client(&s))
        .map(|r| r.unwrap().symbol.to_string())
        .collect()
        .await;
    assert_eq!(
        all,
        vec![
            "SPY250620C00500000",
            "SPY250620C00510000",
            "SPY250620P00500000",
            "SPY250627C00500000"
        ]
    );
}

#[tokio::test]
async fn get_contract_by_symbol() {
    let s = server().await;
    expect("GET", "/v2/options/contracts/AAPL231103C00170000")
        .respond_with(json_fixture("trading_get_option_contract.json"))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s)
        .option_contract("AAPL231103C00170000")
        .await
        .unwrap();
    assert_eq!(
        c.expiration_date,
        NaiveDate::from_ymd_opt(2023, 11, 3).unwrap()
    );
    assert_eq!(c.underlying_symbol, "AAPL");
    assert_eq!(c.open_interest, Some(dec!(0)));
}

#[tokio::test]
async fn bad_filters_are_refused_before_sending() {
    let s = server().await;
    let c = client(&s);
    for req in [
        ListOptionContracts {
            limit: Some(10_001),
            ..Default::default()
        },
        ListOptionContracts {
            limit: Some(0),
            ..Default::default()
        },
        ListOptionContracts {
            strike_price_gte: Some(dec!(200)),
            strike_price_lte: Some(dec!(100)),
            ..Default::default()
        },
        ListOptionContracts {
            expiration_date_gte: NaiveDate::from_ymd_opt(2025, 7, 1),
            expiration_date_lte: NaiveDate::from_ymd_opt(2025, 6, 1),
            ..Default::default()
        },
    ] {
        assert!(matches!(
            c.option_contracts(&req).await,
            Err(Error::InvalidRequest(_))
        ));
    }
}

#[tokio::test]
async fn bad_occ_symbol_in_body_is_a_decode_error_naming_the_field() {
    let s = server().await;
    let mut bad = contract("SPY250620C00500000");
    bad["symbol"] = json!("SPY25X");
    expect("GET", "/v2/options/contracts")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"option_contracts": [contract("SPY250620C00500000"), bad], "next_page_token": null})))
        .mount(&s)
        .await;
    match client(&s)
        .option_contracts(&ListOptionContracts::default())
        .await
    {
        Err(Error::Decode { path, message, .. }) => {
            assert_eq!(path, "option_contracts[1].symbol");
            assert!(message.contains("SPY25X"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}
