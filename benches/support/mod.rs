//! A minimal HTTP/1.1 server on loopback that answers every request with one fixed body, so
//! benches measure the client and not a mock framework.

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// Starts the server on the current runtime and returns its address.
#[allow(dead_code)] // each bench binary uses one of the two servers
pub async fn serve_fixed(body: &'static [u8]) -> SocketAddr {
    serve(move |_query| Bytes::from_static(body)).await
}

/// Serves `pages[i]` for `?page_token=p{i}` (page 0 without a token), like Alpaca's paging.
#[allow(dead_code)]
pub async fn serve_pages(pages: Vec<Bytes>) -> SocketAddr {
    let pages = std::sync::Arc::new(pages);
    serve(move |query| {
        let i = query
            .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("page_token=p")))
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(0);
        pages[i].clone()
    })
    .await
}

async fn serve<F>(body_for: F) -> SocketAddr
where
    F: Fn(Option<&str>) -> Bytes + Send + Sync + 'static,
{
    let body_for = std::sync::Arc::new(body_for);
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let body_for = body_for.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let body = body_for(req.uri().query());
                    async move {
                        // Read the request body fully, as a real server would.
                        let _ = http_body_util::BodyExt::collect(req.into_body()).await;
                        Ok::<_, Infallible>(
                            Response::builder()
                                .header("content-type", "application/json")
                                .body(Full::new(body))
                                .expect("response"),
                        )
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    addr
}
