//! The order state machine: statuses, the events that move them, and the one
//! explicit transition table ([`transition`]) in which every legal and
//! illegal move is visible.
//!
//! Statuses are Binance's (`NEW`, `PARTIALLY_FILLED`, `FILLED`, `CANCELED`,
//! `PENDING_CANCEL`, `REJECTED`, `EXPIRED`, `EXPIRED_IN_MATCH`, and
//! `PENDING_NEW` for orders of a list) plus [`Status::Submitted`]: sent by
//! kairos, not yet acknowledged. Events are what an executionReport says
//! happened ([`Event::from_report`]).

use crate::binance::types::OrderStatus;
use crate::binance::user::{ExecutionReport, ExecutionType};
use std::fmt;

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Sent by kairos; no report yet (local status, not Binance's).
    Submitted,
    /// `PENDING_NEW`: part of an order list, not yet working.
    PendingNew,
    /// `NEW`: accepted by the matching engine.
    New,
    /// `PARTIALLY_FILLED`.
    PartiallyFilled,
    /// `FILLED` (terminal).
    Filled,
    /// `CANCELED` (terminal).
    Canceled,
    /// `PENDING_CANCEL` (documented, unused by Binance today).
    PendingCancel,
    /// `REJECTED` (terminal).
    Rejected,
    /// `EXPIRED` (terminal): IOC/FOK leftovers, maintenance.
    Expired,
    /// `EXPIRED_IN_MATCH` (terminal): expired by self-trade prevention.
    ExpiredInMatch,
}

impl Status {
    /// Whether no report can move the order any more.
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            Status::Filled
                | Status::Canceled
                | Status::Rejected
                | Status::Expired
                | Status::ExpiredInMatch
        )
    }

    /// Whether the order may still trade (counts as open).
    pub const fn is_open(self) -> bool {
        !self.is_terminal()
    }

    /// Binance's name (`Submitted` is kairos's own).
    pub const fn name(self) -> &'static str {
        match self {
            Status::Submitted => "SUBMITTED",
            Status::PendingNew => "PENDING_NEW",
            Status::New => "NEW",
            Status::PartiallyFilled => "PARTIALLY_FILLED",
            Status::Filled => "FILLED",
            Status::Canceled => "CANCELED",
            Status::PendingCancel => "PENDING_CANCEL",
            Status::Rejected => "REJECTED",
            Status::Expired => "EXPIRED",
            Status::ExpiredInMatch => "EXPIRED_IN_MATCH",
        }
    }
}

impl From<OrderStatus> for Status {
    fn from(s: OrderStatus) -> Status {
        match s {
            OrderStatus::New => Status::New,
            OrderStatus::PendingNew => Status::PendingNew,
            OrderStatus::PartiallyFilled => Status::PartiallyFilled,
            OrderStatus::Filled => Status::Filled,
            OrderStatus::Canceled => Status::Canceled,
            OrderStatus::PendingCancel => Status::PendingCancel,
            OrderStatus::Rejected => Status::Rejected,
            OrderStatus::Expired => Status::Expired,
            OrderStatus::ExpiredInMatch => Status::ExpiredInMatch,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a report says happened to the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// Now `PENDING_NEW` (an order list's pending leg).
    ListPending,
    /// Now `NEW`: accepted.
    Accepted,
    /// `REPLACED`: amended (keep-priority), status unchanged.
    Amended,
    /// Now `PARTIALLY_FILLED`.
    PartialFill,
    /// Now `FILLED`.
    Fill,
    /// Now `PENDING_CANCEL`.
    CancelPending,
    /// Now `CANCELED`.
    Canceled,
    /// Now `REJECTED`.
    Rejected,
    /// Now `EXPIRED`.
    Expired,
    /// Now `EXPIRED_IN_MATCH` (self-trade prevention).
    ExpiredInMatch,
}

impl Event {
    /// The event a report stands for. The order status `X` says where the
    /// order is now; the execution type `x` only tells an amendment
    /// (`REPLACED`) apart from an acknowledgement. (A `TRADE` report may carry
    /// any status: third-party captures hold `x=TRADE` with `X=NEW` or
    /// `CANCELED` and nothing executed; what it did is read from `X`, and
    /// whether it filled from `l`.)
    pub fn from_report(r: &ExecutionReport) -> Event {
        if r.execution_type == ExecutionType::Replaced {
            return Event::Amended;
        }
        match r.order_status {
            OrderStatus::PendingNew => Event::ListPending,
            OrderStatus::New => Event::Accepted,
            OrderStatus::PartiallyFilled => Event::PartialFill,
            OrderStatus::Filled => Event::Fill,
            OrderStatus::PendingCancel => Event::CancelPending,
            OrderStatus::Canceled => Event::Canceled,
            OrderStatus::Rejected => Event::Rejected,
            OrderStatus::Expired => Event::Expired,
            OrderStatus::ExpiredInMatch => Event::ExpiredInMatch,
        }
    }
}

/// A move the table forbids, naming both ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("illegal order transition: {event:?} in status {from}")]
pub struct IllegalTransition {
    /// The status the order was in.
    pub from: Status,
    /// The event that cannot happen there.
    pub event: Event,
}

/// The transition table: the status `event` leads to from `from`, or the
/// illegal pair. Every row is here; nothing else changes a status.
pub const fn transition(from: Status, event: Event) -> Result<Status, IllegalTransition> {
    use Event as E;
    use Status as S;
    let to = match (from, event) {
        // An order list's leg waits.
        (S::Submitted, E::ListPending) => S::PendingNew,
        // Acknowledgement.
        (S::Submitted | S::PendingNew, E::Accepted) => S::New,
        // Amend keep-priority: the order stays as it is.
        (S::New, E::Amended) => S::New,
        (S::PartiallyFilled, E::Amended) => S::PartiallyFilled,
        (S::PendingCancel, E::Amended) => S::PendingCancel,
        // Fills. A fill may overtake the acknowledgement (a report taken from
        // the WS-API response of the place request, or a lost NEW), and may
        // land while a cancel is pending.
        (
            S::Submitted | S::PendingNew | S::New | S::PartiallyFilled | S::PendingCancel,
            E::PartialFill,
        ) => S::PartiallyFilled,
        (
            S::Submitted | S::PendingNew | S::New | S::PartiallyFilled | S::PendingCancel,
            E::Fill,
        ) => S::Filled,
        // Cancels.
        (S::Submitted | S::PendingNew | S::New | S::PartiallyFilled, E::CancelPending) => {
            S::PendingCancel
        }
        (
            S::Submitted | S::PendingNew | S::New | S::PartiallyFilled | S::PendingCancel,
            E::Canceled,
        ) => S::Canceled,
        // Expiry by the order's rules (IOC/FOK, GTD) or by the exchange.
        (
            S::Submitted | S::PendingNew | S::New | S::PartiallyFilled | S::PendingCancel,
            E::Expired,
        ) => S::Expired,
        // Self-trade prevention.
        (
            S::Submitted | S::PendingNew | S::New | S::PartiallyFilled | S::PendingCancel,
            E::ExpiredInMatch,
        ) => S::ExpiredInMatch,
        // Rejection happens before acceptance only.
        (S::Submitted | S::PendingNew, E::Rejected) => S::Rejected,

        // Illegal: a second acknowledgement of a working order, going back
        // to pending, a rejection of an accepted order, an amendment of an
        // order not yet accepted, and anything after a terminal status.
        (
            S::New | S::PartiallyFilled | S::PendingCancel,
            E::Accepted | E::ListPending | E::Rejected,
        )
        | (S::PendingNew, E::ListPending)
        | (S::Submitted | S::PendingNew, E::Amended)
        | (S::PendingCancel, E::CancelPending)
        | (S::Filled | S::Canceled | S::Rejected | S::Expired | S::ExpiredInMatch, _) => {
            return Err(IllegalTransition { from, event })
        }
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_STATUSES: [Status; 10] = [
        Status::Submitted,
        Status::PendingNew,
        Status::New,
        Status::PartiallyFilled,
        Status::Filled,
        Status::Canceled,
        Status::PendingCancel,
        Status::Rejected,
        Status::Expired,
        Status::ExpiredInMatch,
    ];
    const ALL_EVENTS: [Event; 10] = [
        Event::ListPending,
        Event::Accepted,
        Event::Amended,
        Event::PartialFill,
        Event::Fill,
        Event::CancelPending,
        Event::Canceled,
        Event::Rejected,
        Event::Expired,
        Event::ExpiredInMatch,
    ];

    /// Every legal transition, written out once more by hand.
    const LEGAL: &[(Status, Event, Status)] = {
        use Event as E;
        use Status as S;
        &[
            (S::Submitted, E::ListPending, S::PendingNew),
            (S::Submitted, E::Accepted, S::New),
            (S::Submitted, E::PartialFill, S::PartiallyFilled),
            (S::Submitted, E::Fill, S::Filled),
            (S::Submitted, E::CancelPending, S::PendingCancel),
            (S::Submitted, E::Canceled, S::Canceled),
            (S::Submitted, E::Rejected, S::Rejected),
            (S::Submitted, E::Expired, S::Expired),
            (S::Submitted, E::ExpiredInMatch, S::ExpiredInMatch),
            (S::PendingNew, E::Accepted, S::New),
            (S::PendingNew, E::PartialFill, S::PartiallyFilled),
            (S::PendingNew, E::Fill, S::Filled),
            (S::PendingNew, E::CancelPending, S::PendingCancel),
            (S::PendingNew, E::Canceled, S::Canceled),
            (S::PendingNew, E::Rejected, S::Rejected),
            (S::PendingNew, E::Expired, S::Expired),
            (S::PendingNew, E::ExpiredInMatch, S::ExpiredInMatch),
            (S::New, E::Amended, S::New),
            (S::New, E::PartialFill, S::PartiallyFilled),
            (S::New, E::Fill, S::Filled),
            (S::New, E::CancelPending, S::PendingCancel),
            (S::New, E::Canceled, S::Canceled),
            (S::New, E::Expired, S::Expired),
            (S::New, E::ExpiredInMatch, S::ExpiredInMatch),
            (S::PartiallyFilled, E::Amended, S::PartiallyFilled),
            (S::PartiallyFilled, E::PartialFill, S::PartiallyFilled),
            (S::PartiallyFilled, E::Fill, S::Filled),
            (S::PartiallyFilled, E::CancelPending, S::PendingCancel),
            (S::PartiallyFilled, E::Canceled, S::Canceled),
            (S::PartiallyFilled, E::Expired, S::Expired),
            (S::PartiallyFilled, E::ExpiredInMatch, S::ExpiredInMatch),
            (S::PendingCancel, E::Amended, S::PendingCancel),
            (S::PendingCancel, E::PartialFill, S::PartiallyFilled),
            (S::PendingCancel, E::Fill, S::Filled),
            (S::PendingCancel, E::Canceled, S::Canceled),
            (S::PendingCancel, E::Expired, S::Expired),
            (S::PendingCancel, E::ExpiredInMatch, S::ExpiredInMatch),
        ]
    };

    #[test]
    fn orders_every_legal_transition() {
        for &(from, event, to) in LEGAL {
            assert_eq!(transition(from, event), Ok(to), "{from} + {event:?}");
        }
    }

    #[test]
    fn orders_every_other_pair_is_illegal_and_named() {
        let mut illegal = 0;
        for from in ALL_STATUSES {
            for event in ALL_EVENTS {
                if LEGAL.iter().any(|&(f, e, _)| f == from && e == event) {
                    continue;
                }
                let err = transition(from, event).unwrap_err();
                assert_eq!(err, IllegalTransition { from, event });
                let text = err.to_string();
                assert!(text.contains(from.name()), "{text}");
                assert!(text.contains(&format!("{event:?}")), "{text}");
                illegal += 1;
            }
        }
        assert_eq!(illegal + LEGAL.len(), ALL_STATUSES.len() * ALL_EVENTS.len());
        // Among them, the ones that matter most.
        for (from, event) in [
            (Status::New, Event::Rejected),
            (Status::PartiallyFilled, Event::Accepted),
            (Status::Filled, Event::PartialFill),
            (Status::Canceled, Event::Fill),
            (Status::Rejected, Event::Accepted),
            (Status::ExpiredInMatch, Event::Canceled),
        ] {
            assert!(transition(from, event).is_err(), "{from} + {event:?}");
        }
    }

    #[test]
    fn orders_terminal_statuses_accept_nothing() {
        for from in ALL_STATUSES.into_iter().filter(|s| s.is_terminal()) {
            for event in ALL_EVENTS {
                assert!(transition(from, event).is_err(), "{from} + {event:?}");
            }
        }
    }
}
