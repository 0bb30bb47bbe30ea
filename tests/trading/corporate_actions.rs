//! Corporate-action announcements (Trading API), with Alpaca's own example bodies.

use crate::common::spec::Spec;
use crate::common::*;
use alpaca_exec::Error;
use alpaca_exec::trading::corporate_actions::{
    AnnouncementDateType, AnnouncementType, ListAnnouncements,
};
use chrono::NaiveDate;
use rust_decimal_macros::dec;
use wiremock::ResponseTemplate;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[tokio::test]
async fn list_announcements_sends_every_filter() {
    let s = server().await;
    expect("GET", "/v2/corporate_actions/announcements")
        .and(query_is(&[
            ("ca_types", "Dividend,Split"),
            ("since", "2021-11-01"),
            ("until", "2021-11-30"),
            ("symbol", "KKR"),
            ("date_type", "ex_date"),
        ]))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            Spec::Trading.response_example("GET", "/v2/corporate_actions/announcements"),
        ))
        .expect(1)
        .mount(&s)
        .await;
    let req = ListAnnouncements::new(
        [AnnouncementType::Dividend, AnnouncementType::Split],
        day("2021-11-01"),
        day("2021-11-30"),
    )
    .symbol("KKR")
    .date_type(AnnouncementDateType::ExDate);
    let list = client(&s).announcements(&req).await.unwrap();
    assert_eq!(list.len(), 2);
    // Alpaca's first example has a CUSIP written as a number and no ex-date: both decode.
    assert_eq!(
        list[0].corporate_action_id.as_deref(),
        Some("F58684224_XY37")
    );
    assert_eq!(list[0].ex_date, None);
    assert!(list[0].initiating_original_cusip.is_some());
    let kkr = &list[1];
    assert_eq!(kkr.id, "", "the example has no id");
    assert_eq!(kkr.ca_type, AnnouncementType::Dividend);
    assert_eq!(kkr.ca_sub_type.as_deref(), Some("cash"));
    assert_eq!(kkr.corporate_action_id.as_deref(), Some("48251W104_AD21"));
    assert_eq!(kkr.target_symbol, "KKR");
    assert_eq!(kkr.cash, Some(dec!(0.145)));
    assert_eq!(kkr.ex_date, Some(day("2021-11-12")));
    assert_eq!(kkr.payable_date, Some(day("2021-11-30")));
    assert_eq!((kkr.old_rate, kkr.new_rate), (Some(dec!(1)), Some(dec!(1))));
}

#[tokio::test]
async fn one_announcement_by_id() {
    let s = server().await;
    let id = "be3c368a-4c7c-4384-808e-f02c9f5a8afe";
    expect("GET", &format!("/v2/corporate_actions/announcements/{id}"))
        .and(query_is(&[]))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            Spec::Trading.response_example("GET", "/v2/corporate_actions/announcements/{id}"),
        ))
        .expect(1)
        .mount(&s)
        .await;
    expect("GET", "/v2/corporate_actions/announcements/nope")
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(serde_json::json!({"code": 40410000, "message": "not found"})),
        )
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s);
    let a = c.announcement(id).await.unwrap();
    assert_eq!(a.id, id);
    assert_eq!(a.initiating_symbol, "MLLAX");
    assert_eq!(a.ca_sub_type.as_deref(), Some("DIV"));
    assert_eq!(a.cash, Some(dec!(0.018)));
    assert_eq!(a.record_date, Some(day("2021-01-13")));
    assert_eq!(a.expiration_date, Some(day("2021-01-12")));
    assert!(c.announcement("nope").await.unwrap_err().is_not_found());
    assert!(matches!(
        c.announcement("").await,
        Err(Error::InvalidRequest(_))
    ));
}

#[tokio::test]
async fn a_range_over_90_days_is_refused_before_sending() {
    let s = server().await;
    let req = ListAnnouncements::new(
        [AnnouncementType::Merger],
        day("2024-01-01"),
        day("2024-06-01"),
    );
    let e = client(&s).announcements(&req).await.unwrap_err();
    assert!(matches!(e, Error::InvalidRequest(_)), "{e}");
}
