-- Spam screening in open chats. The host of each open chat chooses how
-- much (`screening`: off, model, strict). The operator labels example
-- messages as spam or fine (`spam_examples`); a message sent in an open
-- chat that is close to labelled spam is hidden by the server's screening
-- account and waits in `flagged_messages` until a host or co-host says it
-- was spam (it stays hidden) or fine (it is shown again).
ALTER TABLE open_chats ADD COLUMN screening TEXT NOT NULL DEFAULT 'model';

CREATE TABLE spam_examples (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL UNIQUE,
    spam BIGINT NOT NULL,
    added_at BIGINT NOT NULL
);

CREATE TABLE flagged_messages (
    room_id BIGINT NOT NULL REFERENCES rooms (id),
    seq BIGINT NOT NULL,
    open_chat_id BIGINT NOT NULL REFERENCES open_chats (id),
    reason TEXT NOT NULL,
    score REAL,
    flagged_at BIGINT NOT NULL,
    verdict TEXT,
    reviewed_at BIGINT,
    PRIMARY KEY (room_id, seq)
);
CREATE INDEX flagged_pending ON flagged_messages (open_chat_id, flagged_at) WHERE verdict IS NULL;

-- The account screening hides messages as (see 0010 for why '@').
INSERT INTO users (handle, password_hash, display_name, created_at)
VALUES ('@screening', '', 'Spam filter', 0);
