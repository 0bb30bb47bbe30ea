//! The fault proxy: an HTTP/1.1 server on loopback in front of the fake. Each request is checked
//! against the [`FaultPlan`]; without a fault it is forwarded to the fake and the fake's answer
//! returned unchanged; with one, the proxy does what the fault says, at the transport level a
//! mock framework cannot reach (closing connections, cutting bodies, stalling).

use super::faults::{Fault, FaultPlan, When};
use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::io;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;

type Body = BoxBody<Bytes, io::Error>;

/// The fake's answer to a forwarded request.
struct Answer {
    status: u16,
    content_type: Option<String>,
    body: Bytes,
}

/// Where the proxy forwards to, and with what.
struct Upstream {
    fake_addr: std::net::SocketAddr,
    elsewhere: String,
    plan: Arc<Mutex<FaultPlan>>,
}

/// Starts the proxy on the current runtime in front of the fake at `fake_addr`; redirects "to
/// another host" point at `elsewhere` (a base URI). Returns the proxy's base URI.
pub async fn start(
    fake_addr: std::net::SocketAddr,
    elsewhere: String,
    plan: Arc<Mutex<FaultPlan>>,
) -> String {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local address");
    let up = Arc::new(Upstream {
        fake_addr,
        elsewhere,
        plan,
    });
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let up = up.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req| {
                    let up = up.clone();
                    async move { up.handle(req).await }
                });
                // A fault that drops the connection ends this future with an error: expected.
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    format!("http://{addr}")
}

/// Closing the connection without an answer: hyper drops it when the service fails.
fn reset() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionReset, "fault: connection reset")
}

fn full(status: u16, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(body.into()).map_err(|e| match e {}).boxed())
        .expect("valid response")
}

fn html(status: u16) -> Response<Body> {
    full(
        status,
        "text/html",
        format!("<html><body><h1>{status}</h1>upstream trouble</body></html>"),
    )
}

impl Upstream {
    async fn handle(&self, req: Request<hyper::body::Incoming>) -> io::Result<Response<Body>> {
        let method = req.method().to_string();
        let path = req.uri().path().to_owned();
        let path_and_query = req
            .uri()
            .path_and_query()
            .map_or_else(|| path.clone(), |p| p.as_str().to_owned());
        let headers = req.headers().clone();
        let body = req
            .into_body()
            .collect()
            .await
            .map_err(io::Error::other)?
            .to_bytes();
        let (fault, stall, victim) = {
            let mut plan = self.plan.lock().expect("fault plan");
            if method == "POST" && path == "/v2/orders" {
                let agent = headers
                    .get("user-agent")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let cid = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["client_order_id"].as_str().map(str::to_owned))
                    .unwrap_or_default();
                plan.posts.push((std::time::Instant::now(), agent, cid));
            }
            let fault = plan.draw(&method, &path);
            if matches!(fault, Some(Fault::KillClient(_) | Fault::PauseClient(_))) {
                plan.struck_at = Some(std::time::Instant::now());
            }
            (fault, plan.stall, plan.victim)
        };
        let Some(fault) = fault else {
            return Ok(self
                .forward(&method, &path_and_query, &headers, body)
                .await?
                .into());
        };
        if let Fault::KillClient(_) = fault {
            kill(victim.expect("a victim to kill"));
        }
        if let Fault::PauseClient(_) = fault {
            signal(victim.expect("a victim to stop"), "STOP");
        }
        if let Fault::Stall(When::Before) = fault {
            tokio::time::sleep(stall).await;
        }
        let answer = if fault.forwards() {
            Some(
                self.forward(&method, &path_and_query, &headers, body)
                    .await?,
            )
        } else {
            None
        };
        Ok(match fault {
            Fault::Reset(_) | Fault::KillClient(_) => return Err(reset()),
            Fault::PauseClient(_) => {
                match answer {
                    // Acted on: the stopped client reads the answer when it is resumed.
                    Some(a) => a.into(),
                    None => return Err(reset()),
                }
            }
            Fault::Status(status, _) => html(status),
            // Held past the client's timeout, before or after the fake acted: nobody listens.
            Fault::Stall(When::Before) => return Err(reset()),
            Fault::Stall(When::After) => {
                tokio::time::sleep(stall).await;
                answer.expect("forwarded").into()
            }
            Fault::TruncatedBody => {
                let a = answer.expect("forwarded");
                let half = a.body.slice(..a.body.len() / 2);
                let frames: Vec<io::Result<Frame<Bytes>>> =
                    vec![Ok(Frame::data(half)), Err(reset())];
                Response::builder()
                    .status(a.status)
                    .header("content-type", "application/json")
                    .header("content-length", a.body.len())
                    .body(BodyExt::boxed(StreamBody::new(futures_util::stream::iter(
                        frames,
                    ))))
                    .expect("valid response")
            }
            Fault::TruncatedJson => {
                let a = answer.expect("forwarded");
                full(200, "application/json", a.body.slice(..a.body.len() / 2))
            }
            Fault::NotJson => html(200),
            Fault::RateLimited { retry_after, reset } => Response::builder()
                .status(429)
                .header("retry-after", retry_after)
                .header("x-ratelimit-limit", "200")
                .header("x-ratelimit-remaining", "0")
                .header("x-ratelimit-reset", reset)
                .header("content-type", "application/json")
                .body(
                    Full::new(Bytes::from_static(
                        br#"{"code":42910000,"message":"rate limit exceeded"}"#,
                    ))
                    .map_err(|e| match e {})
                    .boxed(),
                )
                .expect("valid response"),
            Fault::Redirect {
                status, elsewhere, ..
            } => {
                let host = if elsewhere { &self.elsewhere } else { "" };
                Response::builder()
                    .status(status)
                    .header("location", format!("{host}{path_and_query}"))
                    .body(Full::new(Bytes::new()).map_err(|e| match e {}).boxed())
                    .expect("valid response")
            }
        })
    }

    /// Sends the request on to the fake over a fresh HTTP/1.1 connection (plain hyper: the
    /// proxy needs no TLS and no connection pool).
    async fn forward(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &hyper::HeaderMap,
        body: Bytes,
    ) -> io::Result<Answer> {
        let stream = tokio::net::TcpStream::connect(self.fake_addr).await?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(io::Error::other)?;
        tokio::spawn(conn);
        let mut req = Request::builder()
            .method(method)
            .uri(path_and_query)
            .header("host", self.fake_addr.to_string());
        for (name, value) in headers {
            if name != "host" {
                req = req.header(name, value);
            }
        }
        let req = req.body(Full::new(body)).map_err(io::Error::other)?;
        let resp = sender.send_request(req).await.map_err(io::Error::other)?;
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(io::Error::other)?
            .to_bytes();
        Ok(Answer {
            status,
            content_type,
            body,
        })
    }
}

impl From<Answer> for Response<Body> {
    fn from(a: Answer) -> Self {
        let ct = a.content_type.as_deref().unwrap_or("application/json");
        full(a.status, ct, a.body)
    }
}

/// SIGKILL, as `kill -9` from outside: the victim gets no chance to clean up.
pub fn kill(pid: u32) {
    signal(pid, "KILL");
}

/// Sends the signal named `name` (`KILL`, `STOP`, `CONT`) to `pid`, as `kill -s` does.
pub fn signal(pid: u32, name: &str) {
    let _ = std::process::Command::new("kill")
        .args(["-s", name, &pid.to_string()])
        .status();
}
