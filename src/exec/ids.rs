//! Deterministic client order ids.
//!
//! An id is derived from what the order is for, never drawn at random, so a process that
//! restarts after writing an order (or after sending it) produces the same id again and the
//! broker recognises it: a lookup finds the order, and a re-send is refused as a duplicate
//! instead of creating a second order. Layout: the strategy name (sanitised to
//! `[A-Za-z0-9_-]`, at most 32 characters), the 32-hex signal id, and a role suffix: `-e` for
//! the entry, `-x{n}` for the n-th exit attempt (Alpaca refuses a reused id even after a cancel,
//! so each attempt needs its own). At most 80 characters, well under Alpaca's 128.

use crate::strategy::SignalId;

const MAX_STRATEGY_CHARS: usize = 32;

/// `{strategy}-{signal}-` with the strategy sanitised, in one allocation sized for the suffix.
fn prefix(strategy: &str, signal: &SignalId) -> String {
    let mut s = String::with_capacity(MAX_STRATEGY_CHARS + signal.as_str().len() + 16);
    for c in strategy.chars().take(MAX_STRATEGY_CHARS) {
        let ok = c.is_ascii_alphanumeric() || c == '_' || c == '-';
        s.push(if ok { c } else { '_' });
    }
    if s.is_empty() {
        s.push('s');
    }
    s.push('-');
    s.push_str(signal.as_str());
    s.push('-');
    s
}

/// The entry order's id for a signal.
pub fn entry_client_order_id(strategy: &str, signal: &SignalId) -> String {
    let mut s = prefix(strategy, signal);
    s.push('e');
    s
}

/// The id of exit attempt `attempt` (1-based) of the position opened by `signal`.
pub fn exit_client_order_id(strategy: &str, signal: &SignalId, attempt: u32) -> String {
    use std::fmt::Write as _;
    let mut s = prefix(strategy, signal);
    let _ = write!(s, "x{attempt}");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trading::orders::MAX_CLIENT_ORDER_ID_LEN;

    #[test]
    fn ids_are_deterministic_sanitised_and_short() {
        let id = SignalId::from_stored("0123456789abcdef0123456789abcdef");
        assert_eq!(
            entry_client_order_id("bear trap/v2", &id),
            "bear_trap_v2-0123456789abcdef0123456789abcdef-e"
        );
        let long = "x".repeat(500);
        let e = exit_client_order_id(&long, &id, u32::MAX);
        assert!(e.len() <= MAX_CLIENT_ORDER_ID_LEN, "{}", e.len());
        assert_ne!(
            exit_client_order_id("s", &id, 1),
            exit_client_order_id("s", &id, 2)
        );
        assert_eq!(entry_client_order_id("", &id), format!("s-{id}-e"));
    }
}
