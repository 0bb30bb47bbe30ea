//! The order state machine: which state changes the executor accepts (see [`ExecState`]).

use crate::OrderStatus;
use serde::{Deserialize, Serialize};

/// State of one execution, and the transitions between states.
///
/// States are Alpaca's order statuses plus five of our own: [`ExecState::Pending`] (written to
/// the store, not yet confirmed by the broker), [`ExecState::Unconfirmed`] (the broker refused
/// the client order id as already used, so the order exists, but does not show it yet),
/// [`ExecState::NeedsAttention`] (something only a human can settle; see the execution's
/// `error`), [`ExecState::NotSent`] (provably never reached the broker) and
/// [`ExecState::Abandoned`] (found absent at the broker on restart and too old to send, or given
/// up by hand). Polls and stream events can arrive late or out of order, so an update that would
/// move an order *backwards* (filled back to new, say) is ignored rather than applied; the
/// broker's later answers still win once they move forward.
///
/// # Transition table
/// | from | legal next states |
/// | --- | --- |
/// | `pending` | every state |
/// | `unconfirmed` | every broker state (it showed), `needs_attention` (it did not, for too long), `abandoned` (by hand) |
/// | `needs_attention` | every broker state (settled), `abandoned` (by hand) |
/// | `pending_new`, `accepted`, `new`, `held`, `accepted_for_bidding`, `suspended`, `unrecognized` | every broker state, `needs_attention` |
/// | `partially_filled` | `partially_filled`, `filled`, `pending_cancel`, `pending_replace`, `canceled`, `expired`, `done_for_day`, `replaced`, `stopped`, `calculated`, `needs_attention` |
/// | `done_for_day` | like `partially_filled`, plus `new` (resumed next day) |
/// | `stopped`, `calculated` | `partially_filled`, `filled`, `canceled`, `expired`, `done_for_day`, `needs_attention` |
/// | `pending_cancel` | `canceled`, `partially_filled`, `filled` (late fills after a cancel request are legal), `expired`, `needs_attention` |
/// | `pending_replace` | `replaced`, `new`, `accepted` (replace refused), `partially_filled`, `filled`, `canceled`, `needs_attention` |
/// | `canceled`, `expired` | `filled`, `partially_filled`: a fill executed before the cancel took effect may be reported after it |
/// | `filled`, `rejected`, `replaced`, `not_sent`, `abandoned` | none (terminal) |
///
/// `needs_attention` is reachable from every state that is not terminal: a broker answer the
/// engine cannot apply (figures that overflow, a fill larger than the order) or an order that
/// stays invisible past [`UnconfirmedPolicy::alert_after`](super::UnconfirmedPolicy). The
/// execution stays open, so polls keep looking and the strategy places no second order in the
/// symbol; an answer that can be applied settles it, and
/// [`Executor::abandon`](super::Executor::abandon) gives it up by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecState {
    /// Written to the store, not yet acknowledged by the broker.
    Pending,
    /// Received by the broker, not yet accepted.
    PendingNew,
    /// Accepted, not yet routed.
    Accepted,
    /// Working.
    New,
    /// Held (e.g. a bracket leg).
    Held,
    /// Accepted for an auction.
    AcceptedForBidding,
    /// Partly filled, still working.
    PartiallyFilled,
    /// Completely filled.
    Filled,
    /// Done for the day; may resume.
    DoneForDay,
    /// Cancel requested.
    PendingCancel,
    /// Replace requested.
    PendingReplace,
    /// Canceled.
    Canceled,
    /// Expired.
    Expired,
    /// Rejected by the broker.
    Rejected,
    /// Replaced by another order.
    Replaced,
    /// Stopped (a fill is guaranteed).
    Stopped,
    /// Suspended.
    Suspended,
    /// Filled, settlement being calculated.
    Calculated,
    /// A status this crate does not know; treated as working.
    Unrecognized,
    /// Never reached the broker (refused before sending or connection never made).
    NotSent,
    /// Absent at the broker on restart and too old to send (nothing was placed), or given up
    /// by hand.
    Abandoned,
    /// Sent; the broker refused the client order id as already used (so the order exists) but
    /// does not show it yet. Looked up again with backoff and adopted when it shows; never sent
    /// again.
    Unconfirmed,
    /// Needs a human: the reason is in the execution's `error` (and was alerted). Still
    /// looked up, and settled by the first broker answer that can be applied.
    NeedsAttention,
}

impl ExecState {
    /// snake_case name, as stored.
    pub fn as_str(self) -> &'static str {
        use ExecState::*;
        match self {
            Pending => "pending",
            PendingNew => "pending_new",
            Accepted => "accepted",
            New => "new",
            Held => "held",
            AcceptedForBidding => "accepted_for_bidding",
            PartiallyFilled => "partially_filled",
            Filled => "filled",
            DoneForDay => "done_for_day",
            PendingCancel => "pending_cancel",
            PendingReplace => "pending_replace",
            Canceled => "canceled",
            Expired => "expired",
            Rejected => "rejected",
            Replaced => "replaced",
            Stopped => "stopped",
            Suspended => "suspended",
            Calculated => "calculated",
            Unrecognized => "unrecognized",
            NotSent => "not_sent",
            Abandoned => "abandoned",
            Unconfirmed => "unconfirmed",
            NeedsAttention => "needs_attention",
        }
    }

    /// True when nothing more can happen to the order (for late fills on canceled and expired
    /// orders, see the module docs: they are still applied if reported).
    pub fn is_terminal(self) -> bool {
        use ExecState::*;
        matches!(
            self,
            Filled | Canceled | Expired | Rejected | Replaced | NotSent | Abandoned
        )
    }

    fn is_broker_state(self) -> bool {
        !matches!(
            self,
            ExecState::Pending
                | ExecState::NotSent
                | ExecState::Abandoned
                | ExecState::Unconfirmed
                | ExecState::NeedsAttention
        )
    }

    /// Whether the table allows `self -> next`. Staying in the same state is always legal (a
    /// repeated poll, or more quantity filled while partially filled).
    pub fn can_become(self, next: ExecState) -> bool {
        use ExecState::*;
        if self == next {
            return true;
        }
        let working_on = |n: ExecState| {
            matches!(
                n,
                PartiallyFilled
                    | Filled
                    | PendingCancel
                    | PendingReplace
                    | Canceled
                    | Expired
                    | DoneForDay
                    | Replaced
                    | Stopped
                    | Calculated
            )
        };
        if next == NeedsAttention {
            return !self.is_terminal();
        }
        match self {
            Pending => true,
            Unconfirmed | NeedsAttention => next.is_broker_state() || next == Abandoned,
            PendingNew | Accepted | New | Held | AcceptedForBidding | Suspended | Unrecognized => {
                next.is_broker_state()
            }
            PartiallyFilled => working_on(next),
            DoneForDay => working_on(next) || next == New,
            Stopped | Calculated => matches!(
                next,
                PartiallyFilled | Filled | Canceled | Expired | DoneForDay
            ),
            PendingCancel => matches!(next, Canceled | PartiallyFilled | Filled | Expired),
            PendingReplace => matches!(
                next,
                Replaced | New | Accepted | PartiallyFilled | Filled | Canceled
            ),
            Canceled | Expired => matches!(next, Filled | PartiallyFilled),
            Filled | Rejected | Replaced | NotSent | Abandoned => false,
        }
    }
}

impl From<&OrderStatus> for ExecState {
    fn from(s: &OrderStatus) -> Self {
        match s {
            OrderStatus::New => ExecState::New,
            OrderStatus::PartiallyFilled => ExecState::PartiallyFilled,
            OrderStatus::Filled => ExecState::Filled,
            OrderStatus::DoneForDay => ExecState::DoneForDay,
            OrderStatus::Canceled => ExecState::Canceled,
            OrderStatus::Expired => ExecState::Expired,
            OrderStatus::Replaced => ExecState::Replaced,
            OrderStatus::PendingCancel => ExecState::PendingCancel,
            OrderStatus::PendingReplace => ExecState::PendingReplace,
            OrderStatus::Accepted => ExecState::Accepted,
            OrderStatus::PendingNew => ExecState::PendingNew,
            OrderStatus::AcceptedForBidding => ExecState::AcceptedForBidding,
            OrderStatus::Stopped => ExecState::Stopped,
            OrderStatus::Rejected => ExecState::Rejected,
            OrderStatus::Suspended => ExecState::Suspended,
            OrderStatus::Calculated => ExecState::Calculated,
            OrderStatus::Held => ExecState::Held,
            _ => ExecState::Unrecognized,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ExecState::*;
    use super::*;

    const ALL: [ExecState; 23] = [
        Pending,
        PendingNew,
        Accepted,
        New,
        Held,
        AcceptedForBidding,
        PartiallyFilled,
        Filled,
        DoneForDay,
        PendingCancel,
        PendingReplace,
        Canceled,
        Expired,
        Rejected,
        Replaced,
        Stopped,
        Suspended,
        Calculated,
        Unrecognized,
        NotSent,
        Abandoned,
        Unconfirmed,
        NeedsAttention,
    ];

    #[test]
    fn terminal_states_only_allow_late_fills() {
        for from in ALL.into_iter().filter(|s| s.is_terminal()) {
            for to in ALL.into_iter().filter(|&t| t != from) {
                let late_fill =
                    matches!(from, Canceled | Expired) && matches!(to, Filled | PartiallyFilled);
                assert_eq!(from.can_become(to), late_fill, "{from:?} -> {to:?}");
            }
        }
    }

    #[test]
    fn an_unconfirmed_order_is_never_rejected_or_resent_only_adopted_or_flagged() {
        assert!(Pending.can_become(Unconfirmed));
        for to in ALL {
            let allowed = Unconfirmed.can_become(to);
            let broker = to.is_broker_state();
            assert_eq!(
                allowed,
                broker || matches!(to, Unconfirmed | NeedsAttention | Abandoned),
                "unconfirmed -> {to:?}"
            );
        }
        assert!(Unconfirmed.can_become(Filled));
        assert!(!Unconfirmed.can_become(Pending));
        assert!(!Unconfirmed.can_become(NotSent));
        assert!(!Unconfirmed.is_terminal() && !NeedsAttention.is_terminal());
    }

    #[test]
    fn every_open_state_can_need_attention_and_come_back() {
        for from in ALL {
            assert_eq!(
                from.can_become(NeedsAttention),
                !from.is_terminal(),
                "{from:?}"
            );
        }
        assert!(NeedsAttention.can_become(PartiallyFilled));
        assert!(NeedsAttention.can_become(Abandoned));
        assert!(!NeedsAttention.can_become(Pending));
        assert!(!NeedsAttention.can_become(Unconfirmed));
    }

    #[test]
    fn late_fill_after_cancel_request_is_legal() {
        assert!(PendingCancel.can_become(Filled));
        assert!(PendingCancel.can_become(PartiallyFilled));
        assert!(Canceled.can_become(Filled));
    }

    #[test]
    fn no_going_backwards() {
        assert!(!PartiallyFilled.can_become(New));
        assert!(!PartiallyFilled.can_become(Accepted));
        assert!(!Filled.can_become(PartiallyFilled));
        assert!(!PendingCancel.can_become(New));
        assert!(!New.can_become(Pending));
        assert!(!New.can_become(NotSent));
        assert!(Pending.can_become(Filled));
        assert!(Pending.can_become(NotSent));
        assert!(New.can_become(Filled));
    }

    #[test]
    fn names_round_trip_through_serde() {
        for s in ALL {
            let j = serde_json::to_string(&s).unwrap();
            assert_eq!(j, format!("\"{}\"", s.as_str()));
            assert_eq!(serde_json::from_str::<ExecState>(&j).unwrap(), s);
        }
        assert_eq!(
            ExecState::from(&OrderStatus::Unknown("weird".into())),
            Unrecognized
        );
        assert_eq!(ExecState::from(&OrderStatus::Held), Held);
    }
}
