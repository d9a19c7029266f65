-- Discovery: what people say they like, and recent messages per room by
-- time (for "trending today").
CREATE TABLE user_interests (
    user_id BIGINT NOT NULL REFERENCES users (id),
    tag TEXT NOT NULL,
    PRIMARY KEY (user_id, tag)
);
CREATE INDEX messages_room_time ON messages (room_id, created_at);
