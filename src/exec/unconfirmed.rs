//! Orders that exist but do not show yet.
//!
//! Alpaca's lookup can trail its acceptance of an order. When a submit is refused as a
//! duplicate `client_order_id` (so the order exists) and lookups still answer 404, the execution
//! is left [`unconfirmed`](ExecState::Unconfirmed): never sent again, never recorded as rejected,
//! looked up again by later polls with a capped backoff (this module's [`LookupSchedule`]), and
//! adopted with its fills when it shows. An order that stays invisible past
//! [`UnconfirmedPolicy::alert_after`] needs a human: it is alerted once and moved to
//! [`needs_attention`](ExecState::NeedsAttention), and still adopted if it shows later.
//!
//! The same applies to an order the broker confirmed whose lookup by id answers 404 (a lookup
//! trailing a fresh order, or an order the broker no longer knows).

use super::attention::flag;
use super::reconcile::ReconcileReport;
use super::{ExecError, ExecState, Executor, now};
use crate::hash::FastMap;
use crate::store::Execution;
use chrono::{DateTime, Utc};
use std::sync::Mutex;
use std::time::Duration;

/// How the executor treats an order the broker says exists but does not show yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnconfirmedPolicy {
    /// Lookups made within the submit itself after a duplicate answer, before the execution is
    /// left unconfirmed (default 3: most lags settle within them).
    pub immediate_lookups: u32,
    /// Wait before the first lookup after a miss; doubles with each miss (default 250 ms).
    pub first_delay: Duration,
    /// Longest wait between two lookups by later polls (default 60 s). Polls more often than
    /// this skip an order whose next lookup is not due; [`Executor::reconcile`] looks up all.
    pub max_delay: Duration,
    /// How long an order may stay invisible before a human is alerted and the execution moves
    /// to `needs_attention` (default 5 minutes: Alpaca's lag is seconds, and this matches
    /// [`ExecutorConfig::resume_pending_within`](super::ExecutorConfig)).
    pub alert_after: Duration,
}

impl Default for UnconfirmedPolicy {
    fn default() -> Self {
        Self {
            immediate_lookups: 3,
            first_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(60),
            alert_after: Duration::from_secs(300),
        }
    }
}

impl UnconfirmedPolicy {
    /// The wait before lookup `n` (1-based) after a miss: `first_delay * 2^(n-1)`, capped.
    pub fn delay(&self, n: u32) -> Duration {
        self.first_delay
            .saturating_mul(1u32 << n.saturating_sub(1).min(20))
            .min(self.max_delay)
    }

    /// The pause function of the submit's own lookups.
    pub(crate) fn immediate(&self) -> impl Fn(u32) -> Option<Duration> + '_ {
        move |n| (n <= self.immediate_lookups).then(|| self.delay(n))
    }
}

/// When each invisible order is next looked up, in memory: a restart looks them all up at once
/// (see [`Executor::reconcile`]) and starts the backoff again.
#[derive(Debug, Default)]
pub(crate) struct LookupSchedule(Mutex<FastMap<String, (u32, DateTime<Utc>)>>);

impl LookupSchedule {
    fn map(&self) -> std::sync::MutexGuard<'_, FastMap<String, (u32, DateTime<Utc>)>> {
        // A panic cannot leave an entry half-written (each update is one insert), so a
        // poisoned lock is safe to keep using.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `cid` is due for a lookup at `at`.
    pub(crate) fn due(&self, cid: &str, at: DateTime<Utc>) -> bool {
        self.map().get(cid).is_none_or(|(_, next)| at >= *next)
    }

    /// Records a lookup of `cid` that found nothing at `at`, and when to look again.
    pub(crate) fn missed(&self, cid: &str, at: DateTime<Utc>, policy: &UnconfirmedPolicy) {
        let mut map = self.map();
        let misses = map.get(cid).map_or(0, |(n, _)| *n).saturating_add(1);
        let wait =
            chrono::Duration::from_std(policy.delay(misses)).unwrap_or(chrono::Duration::MAX);
        let next = at
            .checked_add_signed(wait)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        map.insert(cid.to_owned(), (misses, next));
    }

    /// Forgets `cid` (it showed, or was given up).
    pub(crate) fn forget(&self, cid: &str) {
        self.map().remove(cid);
    }
}

/// Since when the order has been invisible: when it became unconfirmed, else (an order the
/// broker had confirmed) its last change.
fn invisible_since(exec: &Execution) -> DateTime<Utc> {
    exec.history
        .iter()
        .find(|h| h.state == ExecState::Unconfirmed)
        .map_or(exec.updated_at, |h| h.at)
}

/// Whether a poll should look `exec` up now: always for orders not waiting to show, and for
/// those only when their backoff says so (or `force`, on start-up).
pub(crate) fn due(ex: &Executor, exec: &Execution, force: bool) -> bool {
    let waiting = matches!(
        exec.state,
        ExecState::Unconfirmed | ExecState::NeedsAttention
    );
    force || !waiting || ex.lookups.due(&exec.client_order_id, now())
}

/// A lookup of an order known to exist answered 404: schedule the next one, and past
/// [`UnconfirmedPolicy::alert_after`] flag it for a human (once).
pub(crate) async fn not_visible(
    ex: &Executor,
    exec: &mut Execution,
    report: &mut ReconcileReport,
) -> Result<(), ExecError> {
    let at = now();
    let policy = &ex.config.unconfirmed;
    ex.lookups.missed(&exec.client_order_id, at, policy);
    if exec.state == ExecState::NeedsAttention {
        return Ok(());
    }
    let since = invisible_since(exec);
    let age = at.signed_duration_since(since);
    let limit = chrono::Duration::from_std(policy.alert_after).unwrap_or(chrono::Duration::MAX);
    if age < limit {
        tracing::info!(client_order_id = %exec.client_order_id, %age, "order not visible at the broker yet");
        return Ok(());
    }
    let reason = format!(
        "order {} not visible at the broker for {age} (since {since}): check the account's \
         orders by hand; it is adopted if it shows, or give it up with Executor::abandon",
        exec.client_order_id
    );
    if flag(ex, exec, reason).await? {
        report.needs_attention.push(exec.client_order_id.clone());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_and_is_capped() {
        let p = UnconfirmedPolicy::default();
        let ms = |n| p.delay(n).as_millis();
        assert_eq!((ms(1), ms(2), ms(3), ms(4)), (250, 500, 1000, 2000));
        assert_eq!(p.delay(9), Duration::from_secs(60));
        assert_eq!(p.delay(u32::MAX), Duration::from_secs(60));
        let pause = p.immediate();
        assert_eq!(pause(3), Some(Duration::from_secs(1)));
        assert_eq!(pause(4), None);
    }

    #[test]
    fn a_missed_lookup_waits_its_backoff() {
        let p = UnconfirmedPolicy::default();
        let s = LookupSchedule::default();
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        assert!(s.due("a", t0));
        s.missed("a", t0, &p);
        assert!(!s.due("a", t0 + chrono::Duration::milliseconds(249)));
        assert!(s.due("a", t0 + chrono::Duration::milliseconds(250)));
        s.missed("a", t0, &p);
        assert!(!s.due("a", t0 + chrono::Duration::milliseconds(499)));
        s.forget("a");
        assert!(s.due("a", t0));
        s.missed("b", DateTime::<Utc>::MAX_UTC, &p);
        assert!(!s.due("b", t0), "no overflow at the end of time");
    }
}
