//! Turns token-paged endpoints into a `Stream` of items.
//!
//! While the caller consumes one page, the next is already being fetched and decoded (one page
//! of look-ahead, no more), so a long range streams at network speed and memory stays at about
//! two pages whatever the range. Inside a Tokio runtime the look-ahead runs as a spawned task, so
//! on a multi-threaded runtime the next page is decoded on another core while the caller works;
//! outside one it is polled inline. Dropping the stream aborts the look-ahead.

use crate::error::Result;
use futures_core::Stream;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// One page: its items and the token of the next page (`None` on the last page).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Token to send as `page_token` for the next page; `None` when this is the last page.
    pub next_page_token: Option<String>,
}

type PageFuture<T> = Pin<Box<dyn Future<Output = Result<Page<T>>> + Send>>;

/// The page being fetched: a spawned task when a runtime is available, else an inline future.
enum InFlight<T> {
    Spawned(tokio::task::JoinHandle<Result<Page<T>>>),
    Inline(PageFuture<T>),
}

impl<T: Send + 'static> InFlight<T> {
    fn start(fut: PageFuture<T>) -> Self {
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => InFlight::Spawned(rt.spawn(fut)),
            Err(_) => InFlight::Inline(fut),
        }
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<Page<T>>> {
        match self {
            InFlight::Inline(f) => f.as_mut().poll(cx),
            InFlight::Spawned(h) => match Pin::new(h).poll(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Ok(page)) => Poll::Ready(page),
                // A panic while fetching is a bug: surface it in the caller's task.
                Poll::Ready(Err(e)) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Poll::Ready(Err(e)) => Poll::Ready(Err(crate::Error::NotSent {
                    method: "GET".into(),
                    path: String::new(),
                    message: format!("page fetch task ended: {e}"),
                })),
            },
        }
    }
}

impl<T> Drop for InFlight<T> {
    fn drop(&mut self) {
        if let InFlight::Spawned(h) = self {
            h.abort();
        }
    }
}

/// A stream over every item of every page, fetching one page ahead.
///
/// An error ends the stream after it is yielded: items already yielded are not repeated and
/// nothing after the failing page is fetched.
pub struct Paged<T> {
    fetch: Box<dyn FnMut(Option<String>) -> PageFuture<T> + Send>,
    buffer: std::vec::IntoIter<T>,
    in_flight: Option<InFlight<T>>,
    /// A page that arrived while the buffer was still being drained.
    ready: Option<Result<Page<T>>>,
    /// Every page token requested so far: a server that hands one back again would otherwise
    /// be paged forever.
    tokens: std::collections::HashSet<String>,
    /// An error to yield once the items before it are: the stream ends after it.
    failed: Option<crate::Error>,
    done: bool,
}

impl<T> std::fmt::Debug for Paged<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Paged")
            .field("buffered", &self.buffer.len())
            .field("fetching", &self.in_flight.is_some())
            .field("done", &self.done)
            .finish()
    }
}

impl<T: Send + 'static> Paged<T> {
    /// Builds a stream from a function that fetches the page for a token (`None` = first page).
    pub(crate) fn new<F, Fut>(mut fetch: F) -> Self
    where
        F: FnMut(Option<String>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Page<T>>> + Send + 'static,
    {
        let mut fetch: Box<dyn FnMut(Option<String>) -> PageFuture<T> + Send> =
            Box::new(move |tok| Box::pin(fetch(tok)));
        let first = InFlight::start(fetch(None));
        Self {
            fetch,
            buffer: Vec::new().into_iter(),
            in_flight: Some(first),
            ready: None,
            tokens: std::collections::HashSet::new(),
            failed: None,
            done: false,
        }
    }
}

impl<T> Unpin for Paged<T> {}

/// The error for a next-page token the server already handed out: paging on would repeat
/// pages forever, so the stream ends with this instead.
fn repeated_token(token: &str) -> crate::Error {
    crate::Error::Decode {
        request: "GET (a paged list)".into(),
        what: "page",
        path: "next_page_token".into(),
        message: "the server returned a page token it had already returned; paging stopped \
                  so the same pages are not fetched forever"
            .into(),
        excerpt: token.chars().take(64).collect(),
    }
}

/// Streams every page of a request value: `fetch(request, client, token)` fetches one page.
/// Endpoints' `stream()` methods are this one line, so paging lives in one place.
pub(crate) fn stream_pages<R, T, F, Fut>(client: &crate::Client, request: &R, fetch: F) -> Paged<T>
where
    R: Clone + Send + 'static,
    T: Send + 'static,
    F: Fn(R, crate::Client, Option<String>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T>>> + Send + 'static,
{
    let client = client.clone();
    let request = request.clone();
    Paged::new(move |token| fetch(request.clone(), client.clone(), token))
}

impl<T: Send + 'static> Stream for Paged<T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            // An inline fetch only progresses when polled, so drive it even while items are
            // buffered; a spawned one runs by itself and is collected once the buffer is empty
            // (polling its handle per item would re-register the waker every time).
            let must_poll = match &this.in_flight {
                Some(InFlight::Inline(_)) => true,
                Some(InFlight::Spawned(_)) => this.buffer.len() == 0,
                None => false,
            };
            if must_poll
                && this.ready.is_none()
                && let Some(fut) = this.in_flight.as_mut()
                && let Poll::Ready(page) = fut.poll(cx)
            {
                this.in_flight = None;
                this.ready = Some(page);
            }
            if let Some(item) = this.buffer.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            if this.done {
                return Poll::Ready(this.failed.take().map(Err));
            }
            match this.ready.take() {
                Some(Ok(page)) => {
                    this.buffer = page.items.into_iter();
                    match page.next_page_token.filter(|t| !t.is_empty()) {
                        Some(token) if !this.tokens.insert(token.clone()) => {
                            // This page's items are still yielded; the error comes after them.
                            this.done = true;
                            this.failed = Some(repeated_token(&token));
                        }
                        Some(token) => {
                            this.in_flight = Some(InFlight::start((this.fetch)(Some(token))))
                        }
                        None => this.done = true,
                    }
                }
                Some(Err(e)) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(e)));
                }
                None => return Poll::Pending,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use futures_util::StreamExt;
    use std::sync::{Arc, Mutex};

    type Seen = Arc<Mutex<Vec<Option<String>>>>;

    fn pages(n: usize, per: usize) -> (Paged<usize>, Seen) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s2 = seen.clone();
        let stream = Paged::new(move |tok: Option<String>| {
            s2.lock().unwrap().push(tok.clone());
            async move {
                let i: usize = tok.map(|t| t.parse().unwrap()).unwrap_or(0);
                Ok(Page {
                    items: (i * per..(i + 1) * per).collect(),
                    next_page_token: (i + 1 < n).then(|| (i + 1).to_string()),
                })
            }
        });
        (stream, seen)
    }

    #[tokio::test]
    async fn yields_every_item_in_order_once() {
        let (s, seen) = pages(4, 3);
        let all: Vec<usize> = s.map(|r| r.unwrap()).collect().await;
        assert_eq!(all, (0..12).collect::<Vec<_>>());
        let tokens = seen.lock().unwrap().clone();
        assert_eq!(
            tokens,
            vec![None, Some("1".into()), Some("2".into()), Some("3".into())]
        );
    }

    #[tokio::test]
    async fn fetches_next_page_while_current_is_consumed() {
        let (mut s, seen) = pages(3, 5);
        assert_eq!(s.next().await.unwrap().unwrap(), 0);
        // After the first item of page 1, page 2 has already been requested.
        assert_eq!(seen.lock().unwrap().len(), 2);
        // But never more than one page ahead.
        assert_eq!(s.next().await.unwrap().unwrap(), 1);
        assert_eq!(seen.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn error_ends_the_stream() {
        let s = Paged::new(|tok: Option<String>| async move {
            match tok {
                None => Ok(Page {
                    items: vec![1, 2],
                    next_page_token: Some("x".into()),
                }),
                Some(_) => Err(Error::InvalidRequest("boom".into())),
            }
        });
        let out: Vec<_> = s.collect().await;
        assert_eq!(out.len(), 3);
        assert!(out[2].is_err());
    }

    #[tokio::test]
    async fn empty_result() {
        let s = Paged::new(|_tok: Option<String>| async move {
            Ok(Page::<u8> {
                items: vec![],
                next_page_token: None,
            })
        });
        assert_eq!(s.collect::<Vec<_>>().await.len(), 0);
    }

    #[tokio::test]
    async fn a_token_handed_out_again_ends_the_stream_with_an_error() {
        // None -> "a" -> "b" -> "a" again: without a guard this pages forever.
        let seen: Seen = Arc::new(Mutex::new(Vec::new()));
        let s2 = seen.clone();
        let s = Paged::new(move |tok: Option<String>| {
            s2.lock().unwrap().push(tok.clone());
            async move {
                let (items, next) = match tok.as_deref() {
                    None => (vec![1, 2], "a"),
                    Some("a") => (vec![3], "b"),
                    _ => (vec![4], "a"),
                };
                Ok(Page {
                    items,
                    next_page_token: Some(next.to_owned()),
                })
            }
        });
        let out: Vec<_> = s.collect().await;
        let items: Vec<i32> = out
            .iter()
            .filter_map(|r| r.as_ref().ok().copied())
            .collect();
        assert_eq!(items, vec![1, 2, 3, 4]);
        assert_eq!(out.len(), 5, "{out:?}");
        let err = out[4].as_ref().unwrap_err().to_string();
        assert!(err.contains("next_page_token"), "{err}");
        assert_eq!(
            *seen.lock().unwrap(),
            vec![None, Some("a".into()), Some("b".into())]
        );
    }
}
