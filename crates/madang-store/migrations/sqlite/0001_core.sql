-- Core platform: accounts, devices, friends, blocks, rooms, the event log,
-- messages, reactions and media. Times are milliseconds since the epoch;
-- flags are 0/1 integers so both backends read them the same way.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    handle TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    display_name TEXT NOT NULL,
    status_message TEXT NOT NULL DEFAULT '',
    avatar TEXT,
    phone_sha256 TEXT,
    email_sha256 TEXT,
    birthday TEXT,
    birthday_md TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX users_phone ON users (phone_sha256);
CREATE INDEX users_email ON users (email_sha256);
CREATE INDEX users_birthday ON users (birthday_md);

CREATE TABLE devices (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX devices_user ON devices (user_id);

CREATE TABLE friends (
    user_id BIGINT NOT NULL REFERENCES users (id),
    friend_id BIGINT NOT NULL REFERENCES users (id),
    favourite BIGINT NOT NULL DEFAULT 0,
    hidden BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, friend_id)
);

CREATE TABLE blocks (
    user_id BIGINT NOT NULL REFERENCES users (id),
    blocked_id BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, blocked_id)
);
CREATE INDEX blocks_blocked ON blocks (blocked_id);

CREATE TABLE rooms (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    direct_key TEXT UNIQUE,
    last_seq BIGINT NOT NULL DEFAULT 0,
    last_message_seq BIGINT,
    member_count BIGINT NOT NULL DEFAULT 0,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE room_members (
    room_id BIGINT NOT NULL REFERENCES rooms (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    joined_seq BIGINT NOT NULL,
    read_seq BIGINT NOT NULL,
    muted BIGINT NOT NULL DEFAULT 0,
    pinned_at BIGINT,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX room_members_user ON room_members (user_id);

CREATE TABLE events (
    room_id BIGINT NOT NULL REFERENCES rooms (id),
    seq BIGINT NOT NULL,
    actor_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    -- The message an edit, delete or reaction is about.
    target BIGINT,
    body TEXT NOT NULL,
    PRIMARY KEY (room_id, seq)
);
CREATE INDEX events_target ON events (room_id, target);

CREATE TABLE messages (
    room_id BIGINT NOT NULL REFERENCES rooms (id),
    seq BIGINT NOT NULL,
    sender_id BIGINT NOT NULL REFERENCES users (id),
    client_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    reply_to BIGINT,
    mentions TEXT NOT NULL,
    attachment TEXT,
    created_at BIGINT NOT NULL,
    edited_at BIGINT,
    deleted_at BIGINT,
    PRIMARY KEY (room_id, seq)
);
CREATE UNIQUE INDEX messages_client ON messages (sender_id, client_id);

CREATE TABLE reactions (
    room_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    emoji TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (room_id, seq, user_id, emoji)
);

CREATE TABLE media (
    id TEXT PRIMARY KEY,
    owner_id BIGINT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    width BIGINT,
    height BIGINT,
    thumbnail TEXT,
    created_at BIGINT NOT NULL
);
