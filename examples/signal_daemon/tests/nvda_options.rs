//! The STRAT options strategy over fifteen years of real NVDA prices (`tests/fixtures`), through the
//! daemon's `backtest` command: options priced by the simulator on every bar, and every way a
//! position ends, expiry included.

use alpaca_exec::store::{ExecutionStore, PositionStatus, SqliteStore};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Runs `backtest --csv NVDA=...` with extra environment, returns the closed positions' exit
/// rules counted, and the number of positions still open at the end.
async fn exits(env: &[(&str, &str)]) -> (BTreeMap<String, usize>, usize) {
    let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/nvda-1999-2014.csv");
    let out = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_signal-daemon"));
    cmd.arg("backtest")
        .arg("--csv")
        .arg(format!("NVDA={}", csv.display()))
        .arg("--out")
        .arg(out.path())
        .env_remove("APCA_API_KEY_ID")
        .env_remove("APCA_API_SECRET_KEY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let run = cmd.output().unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let store = SqliteStore::open(out.path().join("csv/store.sqlite")).unwrap();
    let positions = store.positions(false).await.unwrap();
    let mut by_rule = BTreeMap::new();
    for p in positions
        .iter()
        .filter(|p| p.status == PositionStatus::Closed)
    {
        let rule = p.exit_rule.clone().unwrap_or_else(|| "none".into());
        *by_rule.entry(rule).or_insert(0) += 1;
    }
    let open = positions.iter().filter(|p| p.status.is_active()).count();
    (by_rule, open)
}

#[tokio::test]
async fn options_trade_through_the_whole_history() {
    // The reference settings: the DTE, stop, loss and profit rules close every position while
    // its contract still has a bid.
    let (by_rule, open) = exits(&[]).await;
    let closed: usize = by_rule.values().sum();
    assert!(closed > 100, "{by_rule:?}");
    for rule in ["dte", "stop", "max_loss", "target"] {
        assert!(
            by_rule.get(rule).copied().unwrap_or(0) > 0,
            "no {rule} exit: {by_rule:?}"
        );
    }
    assert!(open <= 1, "{open} positions left open");
}

#[tokio::test]
async fn held_to_expiry_options_expire_or_are_exercised() {
    // No DTE exit and no loss limit: contracts reach their expiry, where the simulator settles
    // them by Alpaca's rules and the engine records how each ended.
    let (by_rule, _) = exits(&[("SIGNAL_EXIT_DTE", "0"), ("SIGNAL_MAX_LOSS_PCT", "1")]).await;
    assert!(
        by_rule.get("expired").copied().unwrap_or(0) > 0,
        "{by_rule:?}"
    );
    assert!(by_rule.get("stop").copied().unwrap_or(0) > 0, "{by_rule:?}");
    assert!(
        by_rule.get("target").copied().unwrap_or(0) > 0,
        "{by_rule:?}"
    );
}
