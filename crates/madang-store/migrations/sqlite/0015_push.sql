-- Web Push (issue 28).

-- The server's VAPID key pair: one row, made by the first node to start,
-- so every node of a cluster signs alike.
CREATE TABLE push_keys (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    private_key TEXT NOT NULL,
    public_key TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- A device's browser subscription (at most one per device).
CREATE TABLE push_subscriptions (
    device_id BIGINT PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    endpoint TEXT NOT NULL,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);

-- What a person sees in a notification: 'full' (sender and text),
-- 'room' (the room, "New message"), 'none' (neither).
ALTER TABLE users ADD COLUMN push_preview TEXT NOT NULL DEFAULT 'full';

-- Events that may be pushed, written in the transaction that logs them
-- (invariant 12) and expanded into push_queue by the push job.
CREATE TABLE push_outbox (
    id INTEGER PRIMARY KEY,
    room_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    claimed_until BIGINT NOT NULL DEFAULT 0
);

-- Per device and room: the newest event that wants a push (last_seq) and
-- the newest pushed (pushed_seq); pending while last_seq > pushed_seq.
-- Events arriving while one is pending join it: one notification per room.
CREATE TABLE push_queue (
    device_id BIGINT NOT NULL REFERENCES push_subscriptions (device_id) ON DELETE CASCADE,
    room_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    pushed_seq BIGINT NOT NULL DEFAULT 0,
    urgent BIGINT NOT NULL DEFAULT 0,
    first_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    claimed_until BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (device_id, room_id)
);
CREATE INDEX push_queue_due ON push_queue (due_at);

-- Live sockets, so any node can tell a device that would miss an event
-- from one that has it on screen. A socket counts while its node is alive.
CREATE TABLE push_nodes (
    node TEXT PRIMARY KEY,
    alive_at BIGINT NOT NULL
);
CREATE TABLE push_sockets (
    socket TEXT PRIMARY KEY,
    device_id BIGINT NOT NULL,
    node TEXT NOT NULL,
    connected_at BIGINT NOT NULL
);
CREATE INDEX push_sockets_device ON push_sockets (device_id);
CREATE INDEX push_sockets_node ON push_sockets (node);
