//! Parameter sweeps: one backtest per point of a grid, spread over all cores.
//!
//! This is the weekend re-optimisation: run every parameter combination over the same history
//! and rank them by one metric. Beware of overfitting: the best point of a fine grid over one
//! stretch of history is partly luck. Prefer broad plateaus to sharp peaks, keep the grid coarse,
//! and confirm the choice on a period the sweep did not see (walk-forward) before trading it.
//!
//! Each point runs on its own thread with its own single-threaded runtime, so points never share
//! state and the results do not depend on scheduling: the output is in grid order.

use super::runner::{Backtest, BacktestResult};
use crate::exec::ExecError;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One grid point's outcome.
#[derive(Debug)]
pub struct SweepPoint<P> {
    /// The parameters.
    pub params: P,
    /// Its backtest, or why it failed.
    pub result: Result<BacktestResult, ExecError>,
}

/// Runs `build(point)` for every point on `threads` threads (at least one; `0` means all cores)
/// and returns the outcomes in grid order.
pub fn sweep<P, F>(points: Vec<P>, threads: usize, build: F) -> Vec<SweepPoint<P>>
where
    P: Send + Sync,
    F: Fn(&P) -> Backtest + Sync,
{
    let threads = match threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .min(points.len().max(1));
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Result<BacktestResult, ExecError>>>> =
        points.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a current-thread runtime builds");
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(p) = points.get(i) else { break };
                    let result = rt.block_on(build(p).run());
                    *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
                }
            });
        }
    });
    points
        .into_iter()
        .zip(slots)
        .map(|(params, slot)| SweepPoint {
            params,
            result: slot
                .into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every point ran"),
        })
        .collect()
}

/// The point with the highest `score` among those that ran and produced metrics.
pub fn best_by<P>(
    points: &[SweepPoint<P>],
    score: impl Fn(&crate::backtest::metrics::Metrics) -> Option<f64>,
) -> Option<&SweepPoint<P>> {
    points
        .iter()
        .filter_map(|p| {
            let m = p.result.as_ref().ok()?.metrics.as_ref()?;
            Some((p, score(m)?))
        })
        .filter(|(_, s)| s.is_finite())
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(p, _)| p)
}
