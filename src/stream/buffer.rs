//! The bounded queue between the connection task and the consumer.
//!
//! One producer (the connection task), one consumer (the stream). Memory is bounded by the
//! capacity in both overflow modes: with backpressure the producer waits for room; with
//! drop-oldest the oldest item is evicted and counted, and the consumer is told how many it
//! missed before it gets the next item.

use super::config::Overflow;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{Notify, oneshot};

struct State<T> {
    items: VecDeque<T>,
    dropped: u64,
    producer_gone: bool,
}

struct Shared<T> {
    state: Mutex<State<T>>,
    capacity: usize,
    overflow: Overflow,
    /// Signalled when an item arrives or the producer leaves.
    readable: Notify,
    /// Signalled when the consumer takes an item.
    writable: Notify,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // A panic while holding this lock cannot leave the queue inconsistent (every critical
        // section is a single push or pop), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The consumer went away; the producer should stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConsumerGone;

/// The producer side.
pub(crate) struct Sender<T> {
    shared: Arc<Shared<T>>,
    consumer_gone: oneshot::Receiver<()>,
}

/// The consumer side.
pub(crate) struct Receiver<T> {
    shared: Arc<Shared<T>>,
    // Dropped with the receiver, which wakes a producer waiting in `closed` or `send`.
    _alive: oneshot::Sender<()>,
}

/// What the consumer gets.
#[derive(Debug, PartialEq)]
pub(crate) enum Received<T> {
    Item(T),
    /// This many items were evicted since the last receive (drop-oldest mode only).
    Lagged(u64),
}

pub(crate) fn channel<T>(capacity: usize, overflow: Overflow) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            items: VecDeque::with_capacity(capacity.min(1024)),
            dropped: 0,
            producer_gone: false,
        }),
        capacity: capacity.max(1),
        overflow,
        readable: Notify::new(),
        writable: Notify::new(),
    });
    let (alive, consumer_gone) = oneshot::channel();
    (
        Sender {
            shared: shared.clone(),
            consumer_gone,
        },
        Receiver {
            shared,
            _alive: alive,
        },
    )
}

impl<T> Sender<T> {
    /// Queues an item: waits for room with backpressure, evicts the oldest with drop-oldest.
    pub(crate) async fn send(&mut self, item: T) -> Result<(), ConsumerGone> {
        let mut item = Some(item);
        loop {
            if self.is_closed() {
                return Err(ConsumerGone);
            }
            {
                let mut st = self.shared.lock();
                if st.items.len() >= self.shared.capacity
                    && self.shared.overflow == Overflow::DropOldest
                {
                    st.items.pop_front();
                    st.dropped += 1;
                }
                if st.items.len() < self.shared.capacity {
                    st.items.push_back(item.take().expect("item pushed once"));
                    drop(st);
                    self.shared.readable.notify_one();
                    return Ok(());
                }
            }
            // Full with backpressure: wait until the consumer takes something or leaves. A
            // pop between the check above and this wait leaves a permit, so no wake-up is lost.
            tokio::select! {
                _ = self.shared.writable.notified() => {}
                _ = &mut self.consumer_gone => return Err(ConsumerGone),
            }
        }
    }

    /// True once the consumer is gone.
    pub(crate) fn is_closed(&mut self) -> bool {
        !matches!(
            self.consumer_gone.try_recv(),
            Err(oneshot::error::TryRecvError::Empty)
        )
    }

    /// Resolves when the consumer is gone.
    pub(crate) async fn closed(&mut self) {
        let _ = (&mut self.consumer_gone).await;
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.shared.lock().producer_gone = true;
        self.shared.readable.notify_one();
    }
}

impl<T> Receiver<T> {
    /// The next item, a lag notice, or `None` once the producer is gone and the queue is empty.
    pub(crate) async fn recv(&mut self) -> Option<Received<T>> {
        loop {
            {
                let mut st = self.shared.lock();
                if st.dropped > 0 {
                    return Some(Received::Lagged(std::mem::take(&mut st.dropped)));
                }
                if let Some(item) = st.items.pop_front() {
                    drop(st);
                    self.shared.writable.notify_one();
                    return Some(Received::Item(item));
                }
                if st.producer_gone {
                    return None;
                }
            }
            self.shared.readable.notified().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn drop_oldest_signals_the_lag_then_keeps_the_newest() {
        let (mut tx, mut rx) = channel(3, Overflow::DropOldest);
        for i in 0..10 {
            tx.send(i).await.unwrap();
        }
        assert_eq!(rx.recv().await, Some(Received::Lagged(7)));
        assert_eq!(rx.recv().await, Some(Received::Item(7)));
        assert_eq!(rx.recv().await, Some(Received::Item(8)));
        assert_eq!(rx.recv().await, Some(Received::Item(9)));
        drop(tx);
        assert_eq!(rx.recv().await, None);
    }

    #[tokio::test]
    async fn backpressure_waits_for_room_and_loses_nothing() {
        let (mut tx, mut rx) = channel(2, Overflow::Backpressure);
        tx.send(1).await.unwrap();
        tx.send(2).await.unwrap();
        let blocked = tokio::time::timeout(Duration::from_millis(50), tx.send(3)).await;
        assert!(
            blocked.is_err(),
            "a full buffer must make the producer wait"
        );
        let producer = tokio::spawn(async move {
            for i in 3..6 {
                tx.send(i).await.unwrap();
            }
        });
        let mut got = Vec::new();
        while let Some(Received::Item(i)) = rx.recv().await {
            got.push(i);
        }
        producer.await.unwrap();
        assert_eq!(got, vec![1, 2, 3, 4, 5]);
    }

    #[tokio::test]
    async fn producer_learns_the_consumer_left() {
        let (mut tx, rx) = channel::<u8>(1, Overflow::Backpressure);
        tx.send(1).await.unwrap();
        let waiting = tokio::spawn(async move { tx.send(2).await });
        tokio::time::sleep(Duration::from_millis(10)).await;
        drop(rx);
        assert_eq!(waiting.await.unwrap(), Err(ConsumerGone));
    }
}
