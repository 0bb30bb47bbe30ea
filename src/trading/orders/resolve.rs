//! Settling an order submit whose outcome is unknown, without ever placing the order twice.
//! Shared by [`Client::submit_order_and_resolve`](crate::Client::submit_order_and_resolve) and
//! the executor (over any [`Broker`](crate::broker::Broker)).

use crate::error::{Error, Result};
use std::future::Future;

fn is_duplicate(e: &Error) -> bool {
    e.api().is_some_and(|a| a.is_duplicate_client_order_id())
}

/// True when the server may have acted on the request although no usable answer came back:
/// timeouts and resets, 5xx, and a 2xx whose body could not be decoded.
pub(crate) fn is_ambiguous(e: &Error) -> bool {
    e.is_outcome_unknown()
        || matches!(e, Error::Decode { .. })
        || e.status().is_some_and(|s| s >= 500)
}

/// Submits once; on an ambiguous failure looks the order up by `client_order_id` and re-sends
/// (with the same id) only on a 404; a 422 duplicate id means the order exists and is looked up.
/// If the lookup itself fails, the original error is returned unchanged.
pub(crate) async fn submit_resolving<T, S, SF, L, LF>(
    client_order_id: &str,
    submit: S,
    lookup: L,
) -> Result<T>
where
    S: Fn() -> SF,
    SF: Future<Output = Result<T>>,
    L: Fn() -> LF,
    LF: Future<Output = Result<T>>,
{
    let id = client_order_id;
    match submit().await {
        Ok(o) => Ok(o),
        Err(e) if is_duplicate(&e) => {
            tracing::info!(client_order_id = id, "duplicate client order id: adopting");
            lookup().await
        }
        Err(e) if is_ambiguous(&e) => {
            tracing::warn!(client_order_id = id, error = %e, "order outcome unknown, looking it up");
            match lookup().await {
                Ok(found) => Ok(found),
                Err(l) if l.is_not_found() => {
                    tracing::warn!(
                        client_order_id = id,
                        "order not at the broker, sending again with the same id"
                    );
                    match submit().await {
                        Err(e2) if is_duplicate(&e2) => lookup().await,
                        other => other,
                    }
                }
                Err(l) => {
                    tracing::error!(client_order_id = id, error = %l, "lookup after unknown outcome failed");
                    Err(e)
                }
            }
        }
        Err(e) => Err(e),
    }
}
