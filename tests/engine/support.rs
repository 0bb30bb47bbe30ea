//! Signals, executors and a recording alerter shared by the engine tests.

use crate::fake::Fake;
use alpaca_exec::alert::{Alert, AlertError, Alerter};
use alpaca_exec::exec::{Executor, ExecutorConfig};
use alpaca_exec::store::{ExecutionStore, MemoryStore};
use alpaca_exec::strategy::{Intent, Signal};
use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use rust_decimal_macros::dec;
use std::sync::{Arc, Mutex};

/// Keeps every alert it is sent.
#[derive(Debug, Default)]
pub struct Recorder(pub Mutex<Vec<Alert>>);

#[async_trait]
impl Alerter for Recorder {
    async fn send(&self, alert: &Alert) -> Result<(), AlertError> {
        self.0.lock().unwrap().push(alert.clone());
        Ok(())
    }
}

impl Recorder {
    pub fn alerts(&self) -> Vec<Alert> {
        self.0.lock().unwrap().clone()
    }
}

/// A long AAPL signal on the 10:00 bar with a stop at 145 and a target at 160.
pub fn aapl_long() -> Signal {
    Signal::new(
        "trend",
        "AAPL",
        Intent::EnterLong,
        dec!(150),
        Utc.with_ymd_and_hms(2024, 3, 4, 15, 0, 0).unwrap(),
    )
    .stop(dec!(145))
    .target(dec!(160))
}

/// The same idea on the next bar: a different signal for the same strategy and symbol.
pub fn aapl_an_hour_later() -> Signal {
    Signal {
        bar_time: aapl_long().bar_time + chrono::Duration::hours(1),
        ..aapl_long()
    }
}

pub struct Rig {
    pub exec: Arc<Executor>,
    pub store: Arc<MemoryStore>,
    pub alerts: Arc<Recorder>,
}

/// An executor over the fake with a memory store, default config and a recording alerter.
pub fn rig(fake: &Fake) -> Rig {
    rig_with(fake, ExecutorConfig::new())
}

pub fn rig_with(fake: &Fake, config: ExecutorConfig) -> Rig {
    let store = Arc::new(MemoryStore::new());
    let alerts = Arc::new(Recorder::default());
    let exec = Executor::new(
        fake.broker(),
        store.clone() as Arc<dyn ExecutionStore>,
        config,
    )
    .with_alerter(alerts.clone());
    Rig {
        exec: Arc::new(exec),
        store,
        alerts,
    }
}

/// An AAPL entry left working (not filled) at the fake; returns the rig and its client order id.
pub async fn working_entry(fake: &Fake) -> (Rig, String) {
    fake.quote("AAPL", dec!(149.95), dec!(150.05));
    fake.with(|st| st.fill_on_submit = false);
    let r = rig(fake);
    let d = r.exec.execute(&[aapl_long()]).await;
    let cid = d[0].client_order_id.clone().expect("an order was placed");
    (r, cid)
}
