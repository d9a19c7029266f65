//! Per-message unread counts (invariant 5): the number of members whose read
//! cursor is below a message. Computed from the room's sorted cursors, so a
//! read is one cursor move, never an update per message.

use madang_types::Seq;

/// Members (given as ascending read cursors) who have not read `seq`.
pub fn unread_for(sorted_cursors: &[Seq], seq: Seq) -> i64 {
    sorted_cursors.partition_point(|&c| c < seq) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn counts_members_below_the_message() {
        let cursors = [Seq(3), Seq(5), Seq(5), Seq(9)];
        assert_eq!(unread_for(&cursors, Seq(1)), 0);
        assert_eq!(unread_for(&cursors, Seq(4)), 1);
        assert_eq!(unread_for(&cursors, Seq(5)), 1);
        assert_eq!(unread_for(&cursors, Seq(6)), 3);
        assert_eq!(unread_for(&cursors, Seq(10)), 4);
    }

    proptest! {
        #[test]
        fn equals_a_plain_count(mut cursors in proptest::collection::vec(0i64..50, 0..40), seq in 0i64..60) {
            cursors.sort_unstable();
            let sorted: Vec<Seq> = cursors.iter().copied().map(Seq).collect();
            let naive = cursors.iter().filter(|&&c| c < seq).count() as i64;
            prop_assert_eq!(unread_for(&sorted, Seq(seq)), naive);
        }
    }
}
