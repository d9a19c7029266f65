-- Scheduled messages (issue 33): written now, sent at send_at by the
-- node that claims them (claimed_until is the claim's lease). The send
-- uses client_id, so a claim taken over after a crash mid-send finds
-- the message already stored instead of sending it twice.
CREATE TABLE scheduled_messages (
    id INTEGER PRIMARY KEY,
    room_id BIGINT NOT NULL REFERENCES rooms (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    device_id BIGINT NOT NULL,
    client_id TEXT NOT NULL,
    text TEXT NOT NULL,
    reply_to BIGINT,
    mentions TEXT NOT NULL,
    attachment TEXT,
    send_at BIGINT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    sent_seq BIGINT,
    claimed_until BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX scheduled_due ON scheduled_messages (state, send_at);
CREATE INDEX scheduled_writer ON scheduled_messages (user_id, room_id, state);
