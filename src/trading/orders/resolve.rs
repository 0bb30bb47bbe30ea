//! Settling an order submit whose outcome is unknown, without ever placing the order twice.
//! Shared by [`Client::submit_order_and_resolve`](crate::Client::submit_order_and_resolve) and
//! the executor (over any [`Broker`](crate::broker::Broker)).
//!
//! Alpaca's lookup by `client_order_id` can trail its acceptance of the order: a lookup right
//! after a lost answer may say 404 for an order that exists. So a 404 only ever leads to one
//! re-send *with the same id* (which Alpaca refuses if the first attempt landed), and a refusal
//! as a duplicate is never read as "no order": it is looked up again with backoff, and if it
//! still does not show, the answer is [`Error::OrderNotVisible`], never a rejection.

use crate::error::{Error, Result};
use std::future::Future;
use std::time::Duration;

fn is_duplicate(e: &Error) -> bool {
    e.api().is_some_and(|a| a.is_duplicate_client_order_id())
}

/// True when the server may have acted on the request although no usable answer came back:
/// timeouts and resets, 5xx, a 2xx whose body could not be decoded, and an order known to exist
/// but not visible yet. A redirect is an answer, not an unknown outcome: the client never
/// follows it nor sends the order again after one.
pub(crate) fn is_ambiguous(e: &Error) -> bool {
    e.is_outcome_unknown()
        || matches!(e, Error::Decode { .. })
        || e.status().is_some_and(|s| s >= 500)
}

/// Submits once; on an ambiguous failure looks the order up by `client_order_id` and re-sends
/// (with the same id) only on a 404. A 422 duplicate id means the order exists: it is looked
/// up, again after each `pause(n)` (the wait before extra lookup `n`, 1-based; `None` stops)
/// while lookups answer 404, and [`Error::OrderNotVisible`] if it never shows.
///
/// If the lookup after an ambiguous failure itself fails, or the re-send fails otherwise than
/// as a duplicate, the original (ambiguous) error is returned, with what followed added to its
/// reason: the first attempt may still have landed, so nothing proves there is no order.
pub(crate) async fn submit_resolving<T, S, SF, L, LF, P>(
    client_order_id: &str,
    submit: S,
    lookup: L,
    pause: P,
) -> Result<T>
where
    S: Fn() -> SF,
    SF: Future<Output = Result<T>>,
    L: Fn() -> LF,
    LF: Future<Output = Result<T>>,
    P: Fn(u32) -> Option<Duration>,
{
    let id = client_order_id;
    match submit().await {
        Ok(o) => Ok(o),
        Err(e) if is_duplicate(&e) => {
            tracing::info!(client_order_id = id, "duplicate client order id: adopting");
            adopt(id, &lookup, &pause).await
        }
        Err(mut e) if is_ambiguous(&e) => {
            tracing::warn!(client_order_id = id, error = %e, "order outcome unknown, looking it up");
            match lookup().await {
                Ok(found) => Ok(found),
                Err(l) if l.is_not_found() => {
                    tracing::warn!(
                        client_order_id = id,
                        "order not at the broker, sending again with the same id"
                    );
                    match submit().await {
                        Ok(o) => Ok(o),
                        Err(e2) if is_duplicate(&e2) => adopt(id, &lookup, &pause).await,
                        Err(e2) => {
                            tracing::error!(client_order_id = id, error = %e2, "re-send failed; the first attempt may still have landed");
                            add_reason(&mut e, format!("looked up: not found; sent again: {e2}"));
                            Err(e)
                        }
                    }
                }
                Err(l) => {
                    tracing::error!(client_order_id = id, error = %l, "lookup after unknown outcome failed");
                    add_reason(&mut e, format!("lookup failed: {l}"));
                    Err(e)
                }
            }
        }
        Err(e) => Err(e),
    }
}

/// Looks up an order Alpaca says exists until it shows or `pause` says stop.
async fn adopt<T, L, LF, P>(id: &str, lookup: &L, pause: &P) -> Result<T>
where
    L: Fn() -> LF,
    LF: Future<Output = Result<T>>,
    P: Fn(u32) -> Option<Duration>,
{
    let mut lookups = 0u32;
    loop {
        lookups = lookups.saturating_add(1);
        let detail = match lookup().await {
            Ok(found) => return Ok(found),
            Err(l) if l.is_not_found() => {
                format!("{lookups} lookup(s) by client_order_id answered 404")
            }
            Err(l) => format!("lookup {lookups} by client_order_id failed: {l}"),
        };
        match pause(lookups) {
            Some(wait) => {
                tracing::info!(
                    client_order_id = id,
                    lookups,
                    "order not visible yet; looking again"
                );
                tokio::time::sleep(wait).await;
            }
            None => {
                tracing::warn!(client_order_id = id, %detail, "order exists but is not visible");
                return Err(Error::OrderNotVisible {
                    client_order_id: id.to_owned(),
                    detail,
                });
            }
        }
    }
}

/// Appends what happened after an unknown outcome to its reason.
fn add_reason(e: &mut Error, more: String) {
    if let Error::OutcomeUnknown { reason, .. } = e {
        reason.push_str("; ");
        reason.push_str(&more);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::{duplicate_client_order_id, not_found};
    use std::cell::Cell;

    fn unknown() -> Error {
        Error::OutcomeUnknown {
            method: "POST".into(),
            path: "/v2/orders".into(),
            reason: "timed out".into(),
            status: None,
            timed_out: true,
            client_order_id: None,
        }
    }

    /// Runs the resolution over scripted answers; returns the result and (submits, lookups).
    fn run(
        submits: Vec<Result<u32>>,
        lookups: Vec<Result<u32>>,
        extra_lookups: u32,
    ) -> (Result<u32>, (usize, usize)) {
        let submits = std::cell::RefCell::new(submits.into_iter());
        let lookups = std::cell::RefCell::new(lookups.into_iter());
        let (s, l) = (Cell::new(0), Cell::new(0));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime");
        let r = rt.block_on(submit_resolving(
            "cid-1",
            || {
                s.set(s.get() + 1);
                let next = submits.borrow_mut().next().expect("a scripted submit");
                async move { next }
            },
            || {
                l.set(l.get() + 1);
                let next = lookups.borrow_mut().next().expect("a scripted lookup");
                async move { next }
            },
            |n| (n <= extra_lookups).then_some(Duration::ZERO),
        ));
        (r, (s.get(), l.get()))
    }

    #[test]
    fn a_duplicate_that_never_shows_is_not_visible_never_not_found() {
        let (r, calls) = run(
            vec![Err(duplicate_client_order_id())],
            vec![
                Err(not_found("o")),
                Err(not_found("o")),
                Err(not_found("o")),
            ],
            2,
        );
        assert_eq!(calls, (1, 3));
        let e = r.unwrap_err();
        assert!(
            matches!(&e, Error::OrderNotVisible { client_order_id, .. } if client_order_id == "cid-1"),
            "{e}"
        );
        assert!(e.is_outcome_unknown() && !e.is_not_found());
        assert!(e.to_string().contains("3 lookup(s)"), "{e}");
    }

    #[test]
    fn a_lagging_order_is_adopted_when_it_shows() {
        let (r, calls) = run(
            vec![Err(unknown()), Err(duplicate_client_order_id())],
            vec![Err(not_found("o")), Err(not_found("o")), Ok(7)],
            3,
        );
        assert_eq!(r.unwrap(), 7);
        assert_eq!(calls, (2, 3));
    }

    #[test]
    fn a_refused_resend_after_an_unknown_outcome_stays_unknown() {
        let refused = Error::from(crate::error::ApiError::new(
            403,
            Some(40310000),
            "insufficient buying power",
        ));
        let (r, calls) = run(
            vec![Err(unknown()), Err(refused)],
            vec![Err(not_found("o"))],
            3,
        );
        assert_eq!(calls, (2, 1));
        let e = r.unwrap_err();
        assert!(e.is_outcome_unknown(), "{e}");
        assert!(e.to_string().contains("insufficient buying power"), "{e}");
    }

    #[test]
    fn a_plain_refusal_is_returned_as_is() {
        let (r, calls) = run(vec![Err(not_found("symbol"))], vec![], 3);
        assert!(r.unwrap_err().is_not_found());
        assert_eq!(calls, (1, 0));
    }
}
