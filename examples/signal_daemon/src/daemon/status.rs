//! `status.json`: the daemon's heartbeat, rewritten (atomically) after every step, and read
//! back by the `status` and `monitor-stats` commands.

use alpaca_exec::exec::{ExecState, MonitorStats};
use alpaca_exec::store::DailySummary;
use alpaca_exec::store::ExecutionStore;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The whole heartbeat.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// Process id.
    pub pid: u32,
    /// `running` or `stopped`.
    pub state: String,
    /// When the daemon started.
    pub started_at: Option<DateTime<Utc>>,
    /// When this file was written (simulated time on the simulated broker).
    pub updated_at: Option<DateTime<Utc>>,
    /// Whether orders are placed.
    pub execution_enabled: bool,
    /// Whether the regular session is open.
    pub market_open: bool,
    /// The next job and when it runs.
    pub next_job: Option<(String, DateTime<Utc>)>,
    /// When the configuration was last (re)loaded, and the error of a refused reload.
    pub config_loaded_at: Option<DateTime<Utc>>,
    /// The last refused reload's error (the previous configuration stays in force).
    pub config_error: Option<String>,
    /// Per account.
    pub accounts: BTreeMap<String, AccountStatus>,
    /// Per strategy.
    pub strategies: BTreeMap<String, StrategyStatus>,
    /// The last daily summaries (one per strategy).
    pub daily_summary: Vec<DailySummary>,
    /// When the last weekly proposals were made.
    #[serde(default)]
    pub proposals_at: Option<DateTime<Utc>>,
    /// Per strategy, the last proposal's verdict and file (or why there is none).
    #[serde(default)]
    pub proposals: BTreeMap<String, String>,
    /// With `[database]`: `leader` or `standby` (absent on a single host).
    #[serde(default)]
    pub role: Option<String>,
    /// With `[database]`: who leads, as this daemon last saw it.
    #[serde(default)]
    pub leader: Option<String>,
}

/// One account's figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountStatus {
    /// `paper`, `live` or `simulated`.
    pub kind: String,
    /// Where its requests go: the trading and market data URLs and where each was configured.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Equity.
    pub equity: Option<Decimal>,
    /// Equity minus the previous close's.
    pub daily_pnl: Option<Decimal>,
    /// Whether the daily loss halt stops new entries.
    pub halted: bool,
    /// Positions the daemon tracks as open.
    pub open_positions: usize,
    /// The position monitor's counters.
    pub monitor: MonitorStats,
    /// The last error reading the account, if any.
    pub error: Option<String>,
    /// Executions only a human can settle (`needs_attention`), one line each: the client order
    /// id, the order and why (see `Executor::abandon`).
    #[serde(default)]
    pub needs_attention: Vec<String>,
    /// Orders Alpaca has accepted (it refused their id as a duplicate) but does not show yet;
    /// the executor keeps looking them up.
    #[serde(default)]
    pub unconfirmed: usize,
}

/// The executions of a store an operator must know about: those that need attention (one line
/// each) and how many are unconfirmed.
pub async fn attention(
    store: &dyn ExecutionStore,
) -> Result<(Vec<String>, usize), alpaca_exec::store::StoreError> {
    let open = store.executions(true).await?;
    let lines = open
        .iter()
        .filter(|e| e.state == ExecState::NeedsAttention)
        .map(|e| {
            let why = e
                .error
                .clone()
                .or_else(|| e.history.last().map(|h| h.note.clone()))
                .unwrap_or_default();
            format!(
                "{} ({} {} {}): {why}",
                e.client_order_id, e.order.side, e.order.qty, e.order.symbol
            )
        })
        .collect();
    let unconfirmed = open
        .iter()
        .filter(|e| e.state == ExecState::Unconfirmed)
        .count();
    Ok((lines, unconfirmed))
}

/// One strategy's counters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StrategyStatus {
    /// The account it trades.
    pub account: String,
    /// The bar timeframe it runs on.
    pub timeframe: String,
    /// Its last run.
    pub last_run: Option<DateTime<Utc>>,
    /// Its next run.
    pub next_run: Option<DateTime<Utc>>,
    /// Runs so far.
    pub runs: u64,
    /// Bars fed to it.
    pub bars: u64,
    /// Signals it gave on current bars.
    pub signals: u64,
    /// Signals executed (orders placed).
    pub executed: u64,
    /// Signals queued for the next open.
    pub queued: u64,
    /// Signals skipped (with their reason in the store).
    pub skipped: u64,
    /// Signals recorded as pending because execution is off (see `execute`).
    pub pending: u64,
    /// Errors (data, broker or store).
    pub errors: u64,
    /// The last error.
    pub last_error: Option<String>,
    /// Open positions the strategy holds.
    pub positions: usize,
}

impl Status {
    /// Writes the file atomically (a temporary file renamed over it), so a reader never sees
    /// half of it.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let tmp = path.with_extension("json.tmp");
        let body = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        // Errors from a server or a reload land in here: keys never do.
        std::fs::write(&tmp, crate::redact::redact(&body).as_bytes())?;
        std::fs::rename(&tmp, path)
    }

    /// Reads the file.
    pub fn read(path: &Path) -> Result<Status, String> {
        let body = std::fs::read(path).map_err(|e| {
            format!(
                "{}: {e} (has the daemon run with this data_dir?)",
                path.display()
            )
        })?;
        serde_json::from_slice(&body).map_err(|e| format!("{}: {e}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("status.json");
        let mut s = Status {
            pid: 7,
            state: "running".into(),
            ..Status::default()
        };
        s.strategies.insert(
            "daily_trend".into(),
            StrategyStatus {
                signals: 3,
                ..StrategyStatus::default()
            },
        );
        s.write(&path).unwrap();
        assert_eq!(Status::read(&path).unwrap(), s);
        assert!(!path.with_extension("json.tmp").exists());
        assert!(Status::read(&dir.path().join("missing.json")).is_err());
    }

    #[test]
    fn a_key_in_an_error_never_reaches_the_file() {
        let secret = "StatusFileSecret0123456789abcdefghijklmnop";
        crate::redact::register(secret);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("status.json");
        let s = Status {
            config_error: Some(format!("reload refused: line 3 `secret_key = {secret}`")),
            ..Status::default()
        };
        s.write(&path).unwrap();
        let body = std::fs::read_to_string(&path).unwrap();
        assert!(!body.contains(secret), "{body}");
        assert!(body.contains("[redacted]"), "{body}");
    }
}

#[cfg(test)]
mod attention_tests {
    use super::attention;
    use alpaca_exec::OrderSide;
    use alpaca_exec::exec::ExecState;
    use alpaca_exec::store::{
        Execution, ExecutionStore, MemoryStore, OrderSpec, Role, StateChange,
    };
    use alpaca_exec::strategy::SignalId;
    use rust_decimal::Decimal;

    fn execution(cid: &str, state: ExecState, note: &str) -> Execution {
        let now = chrono::Utc::now();
        Execution {
            client_order_id: cid.into(),
            signal_id: SignalId::from_stored("s1"),
            strategy: "daily_trend".into(),
            underlying: "AAPL".into(),
            role: Role::Entry,
            position_id: cid.into(),
            order: OrderSpec {
                symbol: "AAPL".into(),
                side: OrderSide::Buy,
                qty: Decimal::from(90),
                limit_price: None,
                position_intent: None,
            },
            state,
            broker_order_id: None,
            filled_qty: Decimal::ZERO,
            filled_avg_price: None,
            error: None,
            created_at: now,
            updated_at: now,
            history: vec![StateChange {
                at: now,
                state,
                filled_qty: Decimal::ZERO,
                note: note.into(),
            }],
        }
    }

    #[tokio::test]
    async fn executions_a_human_must_settle_are_listed_and_unconfirmed_ones_counted() {
        let store = MemoryStore::new();
        for e in [
            execution("a-e", ExecState::NeedsAttention, "fill exceeds the order"),
            execution(
                "b-e",
                ExecState::Unconfirmed,
                "duplicate id, not visible yet",
            ),
            execution(
                "c-e",
                ExecState::Unconfirmed,
                "duplicate id, not visible yet",
            ),
            execution("d-e", ExecState::New, "submitted"),
        ] {
            store.upsert_execution(&e).await.unwrap();
        }
        let (lines, unconfirmed) = attention(&store).await.unwrap();
        assert_eq!(
            lines,
            vec!["a-e (buy 90 AAPL): fill exceeds the order".to_owned()]
        );
        assert_eq!(unconfirmed, 2);
        let (lines, unconfirmed) = attention(&MemoryStore::new()).await.unwrap();
        assert!(lines.is_empty() && unconfirmed == 0);
    }

    #[test]
    fn the_status_command_shows_them_under_their_account() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("status.json");
        let mut status = super::Status::default();
        let a = status.accounts.entry("equity".into()).or_default();
        a.needs_attention = vec!["a-e (buy 90 AAPL): fill exceeds the order".into()];
        a.unconfirmed = 2;
        status.write(&path).unwrap();
        let mut out = Vec::new();
        crate::commands::status(&path, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("NEEDS ATTENTION: a-e (buy 90 AAPL): fill exceeds the order"),
            "{text}"
        );
        assert!(
            text.contains("2 order(s) accepted by Alpaca but not visible yet"),
            "{text}"
        );
    }
}
