//! The daemon binary as an operator runs it: its log output when stderr is not a terminal.

use std::process::Command;

/// A short backtest on the sample data at log level info: it logs its entries and exits, and
/// needs no keys and no network.
fn daemon(out: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_signal-daemon"));
    c.args(["backtest", "--days", "5", "--out"])
        .arg(out)
        .env("RUST_LOG", "info")
        .env_remove("APCA_API_KEY_ID")
        .env_remove("APCA_API_SECRET_KEY")
        .env_remove("SIGNAL_LOG_FORMAT");
    c
}

#[test]
fn text_logs_carry_no_colour_codes_when_piped() {
    let dir = tempfile::tempdir().unwrap();
    let out = daemon(dir.path()).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!err.is_empty(), "the command logs something at info");
    assert!(
        !err.contains('\u{1b}'),
        "escape codes in piped logs: {err:?}"
    );
}

#[test]
fn json_logs_are_one_object_per_line() {
    for how in [&["--log-format", "json"][..], &[]] {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = daemon(dir.path());
        if how.is_empty() {
            cmd.env("SIGNAL_LOG_FORMAT", "json");
        }
        let out = cmd.args(how).output().unwrap();
        assert!(out.status.success(), "{out:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        let lines: Vec<&str> = err.lines().collect();
        assert!(!lines.is_empty());
        for line in lines {
            let v: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            assert!(
                v.get("level").is_some() && v.get("timestamp").is_some(),
                "{v}"
            );
        }
    }
}
