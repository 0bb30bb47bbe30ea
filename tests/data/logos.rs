//! Logos: image bytes and their content type.

use crate::common::*;
use alpaca_exec::Error;
use wiremock::ResponseTemplate;

/// The 8-byte PNG signature and the start of an IHDR chunk: enough to tell bytes were kept.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10";

#[tokio::test]
async fn logo_bytes_and_content_type() {
    let s = server().await;
    expect("GET", "/v1beta1/logos/AAPL")
        .and(query_is(&[("placeholder", "true")]))
        .respond_with(ResponseTemplate::new(200).set_body_raw(PNG, "image/png"))
        .expect(1)
        .mount(&s)
        .await;
    expect("GET", "/v1beta1/logos/ZZZZ")
        .and(query_is(&[("placeholder", "false")]))
        .respond_with(ResponseTemplate::new(404).set_body_string("Not Found"))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s);
    let logo = c.logo("AAPL", true).await.unwrap();
    assert_eq!(logo.content_type, "image/png");
    assert_eq!(&logo.bytes[..], PNG);
    assert!(c.logo("ZZZZ", false).await.unwrap_err().is_not_found());
    assert!(matches!(
        c.logo("", true).await,
        Err(Error::InvalidRequest(_))
    ));
}

#[tokio::test]
async fn an_empty_image_is_an_error_and_a_missing_type_is_octet_stream() {
    let s = server().await;
    expect("GET", "/v1beta1/logos/EMPTY")
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&s)
        .await;
    expect("GET", "/v1beta1/logos/RAW")
        .respond_with(ResponseTemplate::new(200).set_body_bytes(PNG))
        .expect(1)
        .mount(&s)
        .await;
    let c = client(&s);
    assert!(matches!(
        c.logo("EMPTY", true).await,
        Err(Error::Decode { .. })
    ));
    let raw = c.logo("RAW", true).await.unwrap();
    assert_eq!(raw.content_type, "application/octet-stream");
}
