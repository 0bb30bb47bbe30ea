//! Log output: human-readable text (coloured only on a terminal) or one JSON object per line.
//!
//! Under systemd, stderr goes to journald, which stores ANSI escape codes as they are; a log
//! collector wants JSON. So colour is decided by whether stderr is a terminal, and `--log-format
//! json` (or `SIGNAL_LOG_FORMAT=json`) switches to JSON lines. Every line goes through
//! [`crate::redact`], so a key echoed by a server or a library never reaches the log.

use std::io::IsTerminal;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Text; coloured when stderr is a terminal.
    Text,
    /// One JSON object per line (time, level, target, fields, spans).
    Json,
}

/// Installs the global subscriber: `default_level` unless `RUST_LOG` says otherwise.
pub fn init(format: LogFormat, default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| crate::redact::Redacting::new(std::io::stderr()));
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => builder.json().with_ansi(false).init(),
    }
}
