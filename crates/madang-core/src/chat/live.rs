//! Exactly-once, in-order delivery for one live connection (invariant 4).
//!
//! The connection subscribes to its rooms first, then replays from the
//! database what it missed, then takes live events, and admits each event
//! through [`Cursors::admit`]: an event at or below the room's cursor is a
//! duplicate and dropped; one right after it is delivered; one further
//! ahead reveals a gap (a message lost on the bus) to fill from the database
//! before delivering.

use madang_types::{RoomId, Seq};
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admit {
    /// Next in order: deliver it.
    Deliver,
    /// Already delivered: drop it.
    Duplicate,
    /// Events after `after` are missing: fill them from the database.
    Gap { after: Seq },
    /// The connection does not follow this room.
    Unknown,
}

/// The last seq delivered to one connection, per room.
#[derive(Clone, Debug, Default)]
pub struct Cursors {
    delivered: HashMap<RoomId, Seq>,
}

impl Cursors {
    pub fn follow(&mut self, room: RoomId, delivered: Seq) {
        self.delivered.insert(room, delivered);
    }

    pub fn unfollow(&mut self, room: RoomId) {
        self.delivered.remove(&room);
    }

    pub fn get(&self, room: RoomId) -> Option<Seq> {
        self.delivered.get(&room).copied()
    }

    pub fn rooms(&self) -> Vec<(RoomId, Seq)> {
        self.delivered.iter().map(|(&r, &s)| (r, s)).collect()
    }

    pub fn admit(&self, room: RoomId, seq: Seq) -> Admit {
        match self.delivered.get(&room) {
            None => Admit::Unknown,
            Some(&last) if seq <= last => Admit::Duplicate,
            Some(&last) if seq == last.next() => Admit::Deliver,
            Some(&last) => Admit::Gap { after: last },
        }
    }

    /// Records delivery; never moves a cursor backwards.
    pub fn delivered(&mut self, room: RoomId, seq: Seq) {
        if let Some(last) = self.delivered.get_mut(&room) {
            *last = (*last).max(seq);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn drops_duplicates_and_reports_gaps() {
        let mut c = Cursors::default();
        let r = RoomId(1);
        assert_eq!(c.admit(r, Seq(1)), Admit::Unknown);
        c.follow(r, Seq(5));
        assert_eq!(c.admit(r, Seq(5)), Admit::Duplicate);
        assert_eq!(c.admit(r, Seq(6)), Admit::Deliver);
        assert_eq!(c.admit(r, Seq(9)), Admit::Gap { after: Seq(5) });
        c.delivered(r, Seq(9));
        c.delivered(r, Seq(7));
        assert_eq!(c.get(r), Some(Seq(9)));
    }

    proptest! {
        /// Whatever order and duplication the bus produces, delivering by
        /// `admit` (filling gaps from the log) yields each seq once, in order.
        #[test]
        fn any_arrival_order_delivers_each_seq_once_in_order(
            arrivals in proptest::collection::vec(1i64..40, 0..120),
            start in 0i64..5,
        ) {
            let r = RoomId(1);
            let mut c = Cursors::default();
            c.follow(r, Seq(start));
            let mut out = Vec::new();
            for a in arrivals {
                match c.admit(r, Seq(a)) {
                    Admit::Deliver => { out.push(a); c.delivered(r, Seq(a)); }
                    Admit::Gap { after } => {
                        out.extend(after.0 + 1..=a);
                        c.delivered(r, Seq(a));
                    }
                    Admit::Duplicate | Admit::Unknown => {}
                }
            }
            let expected: Vec<i64> = (start + 1..=start + out.len() as i64).collect();
            prop_assert_eq!(out, expected);
        }
    }
}
