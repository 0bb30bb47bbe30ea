//! The connection task shared by every stream: connect, hand frames to the protocol, keep the
//! connection honest (pings, silence timeout), and reconnect with backoff after any failure
//! that retrying can fix.

use super::StreamEvent;
use super::buffer::{ConsumerGone, Sender};
use super::config::StreamConfig;
use super::error::StreamError;
use super::socket::{Incoming, Outgoing, Socket};
use crate::client::shown_url;
use std::future::Future;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

/// What the consumer receives.
pub(crate) type Item<M> = Result<StreamEvent<M>, StreamError>;

/// What a protocol asks the connection task to do after a frame, a command or the opening.
#[derive(Debug)]
pub(crate) enum Action<M> {
    /// Hand a message to the consumer.
    Emit(M),
    /// Send a frame to the server.
    Send(Outgoing),
    /// Authenticated and subscribed: the connection is usable.
    Ready,
    /// The server reported an error: drop the connection (and stop if the error is final).
    Fail(StreamError),
}

/// One websocket protocol (trade updates, stock data, option data).
pub(crate) trait Protocol: Send + 'static {
    /// A decoded message for the consumer.
    type Message: Send + 'static;
    /// A change requested through the stream's handle.
    type Command: Send + 'static;

    /// Where to connect.
    fn url(&self) -> &str;
    /// The `Content-Type` to ask for, if the server needs one.
    fn content_type(&self) -> Option<&'static str> {
        None
    }
    /// A socket just opened (send auth now, or wait for the server's greeting).
    fn on_open(&mut self, out: &mut Vec<Action<Self::Message>>);
    /// A data frame arrived (text or binary, same bytes).
    fn on_frame(&mut self, frame: &[u8], out: &mut Vec<Action<Self::Message>>);
    /// A command from the handle; `ready` says whether the server can be told now. Either way
    /// the protocol remembers it, so the next connection starts from the latest state.
    fn on_command(&mut self, cmd: Self::Command, ready: bool, out: &mut Vec<Action<Self::Message>>);
    /// The connection became ready; `reconnected` is false the first time. Returns messages
    /// recovered from elsewhere (trade updates: fills missed while disconnected).
    fn on_ready(
        &mut self,
        reconnected: bool,
    ) -> impl Future<Output = Result<Vec<Self::Message>, StreamError>> + Send {
        let _ = reconnected;
        async { Ok(Vec::new()) }
    }
}

/// How a connection was lost (the other way a connection ends is the consumer leaving).
struct Lost {
    error: StreamError,
    /// It had authenticated and subscribed.
    was_ready: bool,
}

/// Runs connections until the consumer leaves or a final error stops the stream.
pub(crate) async fn run<P: Protocol>(
    mut proto: P,
    cfg: StreamConfig,
    mut tx: Sender<Item<P::Message>>,
    cmds: mpsc::Receiver<P::Command>,
) {
    let mut cmds = Some(cmds);
    let mut failures = 0u32;
    let mut ever_ready = false;
    loop {
        let started = Instant::now();
        let Ok(Lost { error, was_ready }) =
            session(&mut proto, &cfg, &mut tx, &mut cmds, ever_ready).await
        else {
            return; // the consumer left
        };
        ever_ready |= was_ready;
        if error.is_final() {
            tracing::error!(%error, "stream stopped");
            let _ = tx.send(Err(error)).await;
            return;
        }
        // A connection that stayed up for a while earns a fresh backoff; one that dropped at once
        // keeps growing it, so a flapping server never gets a tight reconnect loop.
        if was_ready && started.elapsed() >= cfg.backoff_max {
            failures = 0;
        }
        failures += 1;
        if let Some(max) = cfg.max_reconnects
            && failures > max
        {
            let _ = tx
                .send(Err(StreamError::ReconnectsExhausted {
                    attempts: failures - 1,
                    last: Box::new(error),
                }))
                .await;
            return;
        }
        let delay = cfg.backoff(failures);
        tracing::warn!(%error, attempt = failures, retry_in = ?delay, "stream disconnected");
        if tx
            .send(Ok(StreamEvent::Disconnected {
                error,
                retry_in: delay,
            }))
            .await
            .is_err()
        {
            return;
        }
        let sleep = tokio::time::sleep(delay);
        tokio::pin!(sleep);
        let mut scratch = Vec::new();
        loop {
            tokio::select! {
                _ = &mut sleep => break,
                _ = tx.closed() => return,
                cmd = next_command(&mut cmds) => proto.on_command(cmd, false, &mut scratch),
            }
        }
    }
}

async fn session<P: Protocol>(
    proto: &mut P,
    cfg: &StreamConfig,
    tx: &mut Sender<Item<P::Message>>,
    cmds: &mut Option<mpsc::Receiver<P::Command>>,
    reconnected: bool,
) -> Result<Lost, ConsumerGone> {
    let mut sock =
        match Socket::connect(proto.url(), proto.content_type(), cfg.connect_timeout).await {
            Ok(s) => s,
            Err(error) => {
                return Ok(Lost {
                    error,
                    was_ready: false,
                });
            }
        };
    tracing::debug!(url = %shown_url(proto.url()), "stream socket open");
    let mut ready = false;
    let mut out = Vec::new();
    proto.on_open(&mut out);
    let mut ping = tokio::time::interval_at(Instant::now() + cfg.ping_interval, cfg.ping_interval);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut deadline = Instant::now() + cfg.silence_timeout;
    let mut heard = false;
    loop {
        for action in std::mem::take(&mut out) {
            match action {
                Action::Emit(m) => tx.send(Ok(StreamEvent::Message(m))).await?,
                Action::Send(frame) => {
                    if let Err(error) = sock.send(frame).await {
                        return Ok(Lost {
                            error,
                            was_ready: ready,
                        });
                    }
                }
                Action::Ready => {
                    ready = true;
                    tracing::info!(url = %shown_url(proto.url()), reconnected, "stream ready");
                    tx.send(Ok(StreamEvent::Connected)).await?;
                    match proto.on_ready(reconnected).await {
                        Ok(recovered) => {
                            for m in recovered {
                                tx.send(Ok(StreamEvent::Message(m))).await?;
                            }
                        }
                        Err(error) => {
                            sock.close().await;
                            return Ok(Lost {
                                error,
                                was_ready: false,
                            });
                        }
                    }
                    heard = true;
                }
                Action::Fail(error) => {
                    sock.close().await;
                    return Ok(Lost {
                        error,
                        was_ready: ready,
                    });
                }
            }
        }
        // The silence clock runs only while waiting on the socket: time spent blocked on a slow
        // consumer (backpressure) or on recovery is not the server's silence.
        if std::mem::take(&mut heard) {
            deadline = Instant::now() + cfg.silence_timeout;
        }
        tokio::select! {
            biased;
            _ = tx.closed() => return Err(ConsumerGone),
            r = sock.next() => match r {
                Ok(Incoming::Data(frame)) => {
                    proto.on_frame(&frame, &mut out);
                    heard = true;
                }
                Ok(Incoming::Alive) => heard = true,
                Err(error) => return Ok(Lost { error, was_ready: ready }),
            },
            cmd = next_command(cmds) => proto.on_command(cmd, ready, &mut out),
            _ = ping.tick() => {
                if let Err(error) = sock.ping().await {
                    return Ok(Lost { error, was_ready: ready });
                }
            }
            _ = tokio::time::sleep_until(deadline) => {
                sock.close().await;
                return Ok(Lost { error: StreamError::Silent(cfg.silence_timeout), was_ready: ready });
            }
        }
    }
}

/// The next command, or never once every handle is gone (so `select!` does not spin).
async fn next_command<C>(cmds: &mut Option<mpsc::Receiver<C>>) -> C {
    if let Some(rx) = cmds {
        if let Some(c) = rx.recv().await {
            return c;
        }
        *cmds = None;
    }
    std::future::pending().await
}
