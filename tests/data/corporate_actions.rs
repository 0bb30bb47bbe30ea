//! Corporate actions (`/v1/corporate-actions`): every kind Alpaca documents, decoded from its
//! own examples, unknown kinds kept, filters and paging.

use crate::common::spec::Spec;
use crate::common::*;
use alpaca_exec::Error;
use alpaca_exec::data::corporate_actions::Region;
use alpaca_exec::data::{CorporateAction, CorporateActionType, CorporateActionsRequest, Sort};
use chrono::NaiveDate;
use futures_util::TryStreamExt;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A page holding one action of every kind: Alpaca's schema examples, and hand-written ones
/// for the two kinds the spec gives no example of.
fn every_kind() -> Value {
    let mut groups = serde_json::Map::new();
    for kind in CorporateActionType::ALL {
        let example = match kind.clone() {
            CorporateActionType::PartialCall => json!({
                "id": "a1e9f1c4-0a4e-4bfa-9d38-3a3b2d1f0c11", "symbol": "GNL.PRB", "cusip": "379378300",
                "price": 25, "dividend_rate": 0.35, "lottery_type": "original",
                "lottery_date": "2024-05-01", "process_date": "2024-05-20", "record_date": "2024-05-02",
                "payable_date": "2024-05-20"
            }),
            CorporateActionType::Reorganization => json!({
                "id": "c1d2e3f4-0000-4111-8222-933344445555", "symbol": "ABC", "cusip": "000360206",
                "cash_rate": 1.5, "process_date": "2024-06-03", "effective_date": "2024-06-03",
                "stock_movements": [
                    {"symbol": "ABCD", "cusip": "000360305", "new_rate": 0.5, "source_rate": 1},
                    {"symbol": "ABCE", "cusip": "000360404", "new_rate": "0.25", "source_rate": 1}
                ]
            }),
            other => Spec::MarketData.schema_example(other.as_str()),
        };
        groups.insert(format!("{}s", kind.as_str()), json!([example]));
    }
    groups.insert(
        "tender_offers".into(),
        json!([{"id": "t-1", "symbol": "XYZ", "process_date": "2024-07-01"}]),
    );
    json!({"corporate_actions": groups, "next_page_token": null})
}

#[tokio::test]
async fn every_kind_decodes_from_alpacas_examples() {
    let s = server().await;
    expect("GET", "/v1/corporate-actions")
        .and(query_is(&[
            ("symbols", "AAPL,SRE"),
            ("types", "forward_split,cash_dividend"),
            ("region", "all"),
            ("start", "2023-01-01"),
            ("end", "2023-12-31"),
            ("limit", "1000"),
            ("sort", "desc"),
        ]))
        .respond_with(ResponseTemplate::new(200).set_body_json(every_kind()))
        .expect(1)
        .mount(&s)
        .await;
    let req = CorporateActionsRequest {
        region: Some(Region::All),
        sort: Some(Sort::Desc),
        ..CorporateActionsRequest::for_symbols(["AAPL", "SRE"])
            .types([
                CorporateActionType::ForwardSplit,
                CorporateActionType::CashDividend,
            ])
            .between(day("2023-01-01"), day("2023-12-31"))
            .limit(1000)
    };
    let page = client(&s).corporate_actions(&req).await.unwrap();
    assert_eq!(page.next_page_token, None);
    let kinds: Vec<CorporateActionType> = page.items.iter().map(|a| a.kind()).collect();
    let mut want = CorporateActionType::ALL.to_vec();
    want.push(CorporateActionType::Unknown("tender_offers".into()));
    assert_eq!(
        kinds, want,
        "one of every kind, in order, the unknown one last"
    );

    let find = |k: CorporateActionType| page.items.iter().find(|a| a.kind() == k).unwrap();
    let CorporateAction::ForwardSplit(split) = find(CorporateActionType::ForwardSplit) else {
        unreachable!()
    };
    assert_eq!((split.old_rate, split.new_rate), (dec!(1), dec!(2)));
    assert_eq!(split.symbol, "SRE");
    assert_eq!(split.ex_date, Some(day("2023-08-22")));
    let CorporateAction::CashDividend(div) = find(CorporateActionType::CashDividend) else {
        unreachable!()
    };
    assert_eq!(div.rate, dec!(0.125));
    assert!(!div.special && !div.foreign);
    let merger = find(CorporateActionType::StockAndCashMerger);
    assert_eq!(merger.symbols(), ["MLVF", "FRBA"]);
    assert!(merger.concerns("FRBA"));
    assert_eq!(merger.effective_on(), Some(day("2023-07-18")));
    let CorporateAction::StockAndCashMerger(m) = merger else {
        unreachable!()
    };
    assert_eq!((m.acquirer_rate, m.cash_rate), (dec!(0.7733), dec!(7.8)));
    let spin = find(CorporateActionType::SpinOff);
    assert_eq!(spin.symbols(), ["JUPW", "SRM"]);
    assert_eq!(spin.id(), "82e602f6-35bc-4651-a5dd-f6d88ff37c55");
    let CorporateAction::Reorganization(r) = find(CorporateActionType::Reorganization) else {
        unreachable!()
    };
    assert_eq!(r.stock_movements[1].new_rate, dec!(0.25));
    let unknown = page.items.last().unwrap();
    assert_eq!(unknown.id(), "t-1");
    assert_eq!(unknown.process_date(), Some(day("2024-07-01")));
    assert_eq!(unknown.symbols(), ["XYZ"]);
}

#[tokio::test]
async fn stream_pages_through_all_actions() {
    let s = server().await;
    let first = json!({
        "corporate_actions": {"reverse_splits": [Spec::MarketData.schema_example("reverse_split")]},
        "next_page_token": "cGFnZTI="
    });
    let second = json!({
        "corporate_actions": {"name_changes": [Spec::MarketData.schema_example("name_change")], "cash_dividends": null},
        "next_page_token": null
    });
    expect("GET", "/v1/corporate-actions")
        .and(query_is(&[("symbols", "MNTS")]))
        .respond_with(ResponseTemplate::new(200).set_body_json(first))
        .expect(1)
        .mount(&s)
        .await;
    expect("GET", "/v1/corporate-actions")
        .and(query_is(&[("symbols", "MNTS"), ("page_token", "cGFnZTI=")]))
        .respond_with(ResponseTemplate::new(200).set_body_json(second))
        .expect(1)
        .mount(&s)
        .await;
    let all: Vec<CorporateAction> = CorporateActionsRequest::for_symbols(["MNTS"])
        .stream(&client(&s))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    let CorporateAction::ReverseSplit(rs) = &all[0] else {
        panic!("{:?}", all[0])
    };
    assert_eq!((rs.old_rate, rs.new_rate), (dec!(50), dec!(1)));
    assert_eq!(rs.new_cusip.as_deref(), Some("60879E200"));
    assert_eq!(all[1].symbols(), ["BSAQ", "VFS"]);
}

#[tokio::test]
async fn ids_alone_and_a_bad_field_is_named() {
    let s = server().await;
    expect("GET", "/v1/corporate-actions")
        .and(query_is(&[("ids", "a,b")]))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "corporate_actions": {"cash_dividends": [{"id": "a", "symbol": "X", "rate": "n/a", "process_date": "2024-01-02"}]},
            "next_page_token": null
        })))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s);
    let req = CorporateActionsRequest {
        ids: vec!["a".into(), "b".into()],
        ..Default::default()
    };
    let e = c.corporate_actions(&req).await.unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, Error::Decode { .. }), "{e}");
    assert!(
        text.contains("cash_dividends[0]") && text.contains("rate"),
        "{text}"
    );
    let mixed = CorporateActionsRequest {
        symbols: vec!["X".into()],
        ..req
    };
    assert!(matches!(
        c.corporate_actions(&mixed).await,
        Err(Error::InvalidRequest(_))
    ));
    assert!(matches!(
        c.corporate_actions(&CorporateActionsRequest::default().limit(1001))
            .await,
        Err(Error::InvalidRequest(_))
    ));
}
