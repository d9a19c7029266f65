//! Coalescing of read-cursor broadcasts. Cursors are stored at once; the
//! news that they moved is gathered per room and sent as one `reads` event
//! per room per interval, carrying only each member's latest cursor. A burst
//! of reads in a 1,500-member room is then a handful of events, and clients
//! recompute per-message counts from cursors rather than receiving a count
//! per message (invariant 5).

use madang_types::events::ReadMark;
use madang_types::{RoomId, Seq, UserId};
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
pub struct ReadCoalescer {
    pending: Mutex<HashMap<RoomId, HashMap<UserId, Seq>>>,
}

impl ReadCoalescer {
    pub fn push(&self, room: RoomId, user: UserId, seq: Seq) {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let cursor = pending.entry(room).or_default().entry(user).or_insert(seq);
        *cursor = (*cursor).max(seq);
    }

    /// Everything gathered since the last call, one entry per room.
    pub fn drain(&self) -> Vec<(RoomId, Vec<ReadMark>)> {
        let taken = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        taken
            .into_iter()
            .map(|(room, users)| {
                let mut reads: Vec<ReadMark> = users
                    .into_iter()
                    .map(|(user_id, seq)| ReadMark { user_id, seq })
                    .collect();
                reads.sort_by_key(|r| r.user_id);
                (room, reads)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_reads_become_one_event_per_room_with_the_latest_cursor() {
        let c = ReadCoalescer::default();
        for seq in 1..=100 {
            c.push(RoomId(1), UserId(7), Seq(seq));
            c.push(RoomId(1), UserId(8), Seq(seq / 2));
        }
        c.push(RoomId(2), UserId(7), Seq(4));
        let mut out = c.drain();
        out.sort_by_key(|(r, _)| *r);
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[0].1,
            vec![
                ReadMark {
                    user_id: UserId(7),
                    seq: Seq(100)
                },
                ReadMark {
                    user_id: UserId(8),
                    seq: Seq(50)
                }
            ]
        );
        assert!(c.drain().is_empty());
    }
}
