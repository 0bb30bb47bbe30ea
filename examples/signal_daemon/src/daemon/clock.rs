//! The daemon's time source. Live it is the wall clock; on the simulated broker, and in tests, a
//! stepped clock that jumps straight to the next job, so a whole trading day runs in
//! milliseconds through exactly the code a live day runs.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Mutex;

/// Called with the new time whenever a [`SteppedClock`] moves forward (the simulated broker
/// feeds itself the bars up to that time).
pub type OnAdvance = Box<dyn Fn(DateTime<Utc>) + Send + Sync>;

/// Where the scheduler reads the time and waits.
#[async_trait]
pub trait DaemonClock: Send + Sync {
    /// The time now.
    fn now(&self) -> DateTime<Utc>;
    /// Returns at `t` (at once if `t` has passed).
    async fn sleep_until(&self, t: DateTime<Utc>);
    /// Whether waits are simulated (the daemon stops when the simulated data ends).
    fn is_simulated(&self) -> bool;
}

/// The system clock.
pub struct WallClock;

#[async_trait]
impl DaemonClock for WallClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    async fn sleep_until(&self, t: DateTime<Utc>) {
        // Sleep in slices of at most a minute: a laptop that sleeps and wakes, or a clock
        // adjusted by NTP, is noticed within a minute rather than after a long stale wait.
        loop {
            let left = t - Utc::now();
            let Ok(left) = left.to_std() else { return };
            if left.is_zero() {
                return;
            }
            tokio::time::sleep(left.min(std::time::Duration::from_secs(60))).await;
        }
    }
    fn is_simulated(&self) -> bool {
        false
    }
}

/// A clock that jumps: `sleep_until` sets the time and returns at once.
pub struct SteppedClock {
    now: Mutex<DateTime<Utc>>,
    on_advance: Option<OnAdvance>,
}

impl SteppedClock {
    /// Starts at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Mutex::new(start),
            on_advance: None,
        }
    }

    /// Calls `f` after every move forward.
    pub fn on_advance(mut self, f: OnAdvance) -> Self {
        self.on_advance = Some(f);
        self
    }

    /// Moves to `t` (never backwards).
    pub fn advance_to(&self, t: DateTime<Utc>) {
        {
            let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
            if t <= *now {
                return;
            }
            *now = t;
        }
        if let Some(f) = &self.on_advance {
            f(t);
        }
    }
}

#[async_trait]
impl DaemonClock for SteppedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
    async fn sleep_until(&self, t: DateTime<Utc>) {
        self.advance_to(t);
        // Let other tasks (a shutdown signal in a test) run, as a real wait would.
        tokio::task::yield_now().await;
    }
    fn is_simulated(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::sync::Arc;

    #[tokio::test]
    async fn stepped_clock_jumps_forward_only_and_reports_each_move() {
        let t0 = Utc.with_ymd_and_hms(2024, 3, 4, 14, 0, 0).unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s2 = seen.clone();
        let c = SteppedClock::new(t0).on_advance(Box::new(move |t| s2.lock().unwrap().push(t)));
        c.sleep_until(t0 + chrono::Duration::minutes(5)).await;
        c.sleep_until(t0).await; // the past: no move
        assert_eq!(c.now(), t0 + chrono::Duration::minutes(5));
        assert_eq!(
            *seen.lock().unwrap(),
            vec![t0 + chrono::Duration::minutes(5)]
        );
        assert!(c.is_simulated() && !WallClock.is_simulated());
    }
}
