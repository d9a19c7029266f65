-- Polls in group chats (issue 33). A poll is a message (kind 'poll', its
-- text the question), written with this row in one transaction. Votes are
-- kept by the voter's room identity (a persona's in a nicknamed open
-- chat), so no vote names an account; an anonymous poll never shows them.
CREATE TABLE polls (
    room_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    options TEXT NOT NULL,
    multiple BIGINT NOT NULL,
    anonymous BIGINT NOT NULL,
    closes_at BIGINT,
    closed_at BIGINT,
    PRIMARY KEY (room_id, seq)
);

CREATE TABLE poll_votes (
    room_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    voter_id BIGINT NOT NULL,
    option_index BIGINT NOT NULL,
    voted_at BIGINT NOT NULL,
    PRIMARY KEY (room_id, seq, voter_id, option_index)
);
