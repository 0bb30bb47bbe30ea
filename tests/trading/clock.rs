use crate::common::*;
use alpaca_exec::{CalendarRequest, Error};
use chrono::NaiveDate;
use serde_json::json;
use wiremock::ResponseTemplate;

#[tokio::test]
async fn clock_keeps_eastern_offsets() {
    let s = server().await;
    expect("GET", "/v2/clock")
        .and(query_is(&[]))
        .respond_with(json_fixture("trading_get_clock.json"))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s).clock().await.unwrap();
    assert!(!c.is_open);
    assert_eq!(c.next_open.to_rfc3339(), "2022-05-17T09:30:00-04:00");
    assert_eq!(c.next_close.to_rfc3339(), "2022-05-17T16:00:00-04:00");
    assert_eq!(
        c.today_eastern(),
        NaiveDate::from_ymd_opt(2022, 5, 16).unwrap()
    );
    // Nanosecond timestamps are accepted.
    assert_eq!(c.timestamp.timestamp_subsec_nanos(), 143_735_880);
}

#[tokio::test]
async fn calendar_sends_dates_and_builds_eastern_sessions() {
    let s = server().await;
    expect("GET", "/v2/calendar")
        .and(query_is(&[("start", "2022-05-16"), ("end", "2022-05-17")]))
        .respond_with(json_fixture("trading_get_calendar.json"))
        .expect(1)
        .mount(&s)
        .await;
    let d = |m, d| NaiveDate::from_ymd_opt(2022, m, d).unwrap();
    let days = client(&s)
        .calendar(&CalendarRequest::between(d(5, 16), d(5, 17)))
        .await
        .unwrap();
    assert_eq!(days.len(), 2);
    assert_eq!(days[0].date, d(5, 16));
    assert_eq!(days[0].open.to_rfc3339(), "2022-05-16T09:30:00-04:00");
    assert_eq!(days[0].close.to_rfc3339(), "2022-05-16T16:00:00-04:00");
    assert_eq!(
        days[1].session_open.unwrap().to_rfc3339(),
        "2022-05-17T04:00:00-04:00"
    );
    assert_eq!(
        days[1].session_close.unwrap().to_rfc3339(),
        "2022-05-17T20:00:00-04:00"
    );
}

#[tokio::test]
async fn calendar_early_close_and_winter_offset() {
    let s = server().await;
    expect("GET", "/v2/calendar")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"date":"2024-11-29","open":"09:30","close":"13:00","session_open":"0400","session_close":"1700","settlement_date":"2024-12-02"}
        ])))
        .mount(&s)
        .await;
    let days = client(&s)
        .calendar(&CalendarRequest::default())
        .await
        .unwrap();
    assert_eq!(days[0].close.to_rfc3339(), "2024-11-29T13:00:00-05:00");
    assert!(days[0].is_early_close());
    assert_eq!(
        days[0].settlement_date,
        NaiveDate::from_ymd_opt(2024, 12, 2)
    );
}

#[tokio::test]
async fn calendar_refuses_reversed_range() {
    let s = server().await;
    let req = CalendarRequest::between(
        NaiveDate::from_ymd_opt(2024, 2, 1).unwrap(),
        NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
    );
    assert!(matches!(
        client(&s).calendar(&req).await,
        Err(Error::InvalidRequest(_))
    ));
}

#[tokio::test]
async fn calendar_times_with_multibyte_characters_are_decode_errors() {
    // Found by the fuzz suite: four bytes, one character, split at byte 2.
    let s = server().await;
    expect("GET", "/v2/calendar")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"date":"2022-05-17","open":"09:30","close":"16:00","session_open":"\u{72843}","session_close":"2000"}
        ])))
        .mount(&s)
        .await;
    let e = client(&s)
        .calendar(&CalendarRequest::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, alpaca_exec::Error::Decode { message, .. } if message.contains("session_open")),
        "{e}"
    );
}
