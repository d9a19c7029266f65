-- Incoming webhooks (issue 31): a URL a room's member makes that posts
-- into the room as a named integration. The integration is a bot account
-- (owned by whoever made it) in that room; the URL's token is not a
-- device token: it only posts, and only there.
CREATE TABLE integrations (
    bot_id BIGINT PRIMARY KEY REFERENCES users (id),
    room_id BIGINT NOT NULL,
    creator_id BIGINT NOT NULL REFERENCES users (id),
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
CREATE INDEX integrations_room ON integrations (room_id);

-- A channel's outgoing webhook: the messages of the channel's rooms are
-- posted to it. It is kept as a bot account's webhook (so one queue and
-- one job serve both), an account no one signs in as; this says whose.
CREATE TABLE channel_hooks (
    channel_id BIGINT PRIMARY KEY,
    bot_id BIGINT NOT NULL REFERENCES users (id)
);
