-- Rate limits and flood marks shared by the nodes of a cluster. A single
-- node keeps them in memory; nodes on one database keep them here, so a
-- client that spreads its requests over the nodes gets no more.

-- One token bucket per key (`send:{user}`, `login:{address}`…): tokens
-- left after the last request, when that was, and whether it was granted.
CREATE TABLE rate_buckets (
    key TEXT PRIMARY KEY,
    tokens REAL NOT NULL,
    at BIGINT NOT NULL,
    granted BIGINT NOT NULL
);
CREATE INDEX rate_buckets_at ON rate_buckets (at);

-- What each member sent in an open chat's room in the last minute (a
-- hash of the folded text, whether it had a link), for the flood rules.
CREATE TABLE flood_marks (
    room_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    text_hash TEXT NOT NULL,
    link BIGINT NOT NULL
);
CREATE INDEX flood_marks_sender ON flood_marks (room_id, user_id, at);
CREATE INDEX flood_marks_at ON flood_marks (at);
