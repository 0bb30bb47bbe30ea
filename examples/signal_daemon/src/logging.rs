//! Log output: human-readable text (coloured only on a terminal) or one JSON object per line.
//!
//! Under systemd, stderr goes to journald, which stores ANSI escape codes as they are; a log
//! collector wants JSON. So colour is decided by whether stderr is a terminal, and `--log-format
//! json` (or `SIGNAL_LOG_FORMAT=json`) switches to JSON lines. Every line goes through
//! [`crate::redact`], so a key echoed by a server or a library never reaches the log.

use std::io::IsTerminal;
use tracing_subscriber::filter::Targets;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Text; coloured when stderr is a terminal.
    Text,
    /// One JSON object per line (time, level, target, fields, spans).
    Json,
}

/// Installs the global subscriber: `default_level` unless `RUST_LOG` says otherwise.
///
/// `RUST_LOG` takes `level` and `target=level` lists (`info`, `warn,alpaca_exec=debug`):
/// `tracing_subscriber`'s `Targets` filter, not its `EnvFilter`, whose regular expressions
/// cost the cold build about 20 s of CPU (regex-syntax and regex-automata, measured with
/// `cargo build --release -p signal-daemon --timings`) for span filters the daemon never needs.
pub fn init(format: LogFormat, default_level: &str) {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let filter = filter(std::env::var("RUST_LOG").ok().as_deref(), default_level);
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(|| crate::redact::Redacting::new(std::io::stderr()));
    let registry = tracing_subscriber::registry();
    match format {
        LogFormat::Text => registry
            .with(
                layer
                    .with_ansi(std::io::stderr().is_terminal())
                    .with_filter(filter),
            )
            .init(),
        LogFormat::Json => registry
            .with(layer.json().with_ansi(false).with_filter(filter))
            .init(),
    }
}

/// The filter `RUST_LOG` asks for, or `default_level` when it is unset, empty or unreadable
/// (said on stderr: the subscriber that would log it is not installed yet).
fn filter(rust_log: Option<&str>, default_level: &str) -> Targets {
    let default = || {
        default_level
            .parse()
            .unwrap_or_else(|_| Targets::new().with_default(tracing::Level::INFO))
    };
    match rust_log.map(str::trim).filter(|s| !s.is_empty()) {
        Some(spec) => spec.parse().unwrap_or_else(|e| {
            eprintln!("RUST_LOG={spec:?} is not a log filter ({e}); logging at {default_level}");
            default()
        }),
        None => default(),
    }
}

#[cfg(test)]
mod tests {
    use super::filter;
    use tracing::Level;

    #[test]
    fn rust_log_levels_and_targets() {
        let f = filter(Some("warn,alpaca_exec=debug"), "info");
        assert!(f.would_enable("alpaca_exec::exec", &Level::DEBUG));
        assert!(!f.would_enable("hyper", &Level::INFO));
        assert!(f.would_enable("hyper", &Level::WARN));
        let f = filter(None, "info");
        assert!(f.would_enable("signal_daemon", &Level::INFO));
        assert!(!f.would_enable("signal_daemon", &Level::DEBUG));
        let f = filter(Some("  "), "warn");
        assert!(!f.would_enable("x", &Level::INFO));
        let f = filter(Some("=="), "warn");
        assert!(f.would_enable("x", &Level::WARN) && !f.would_enable("x", &Level::INFO));
    }
}
