-- Open Chat: open chats and their rooms, members' per-room profiles and
-- roles, bans, hidden messages; reports, suspensions and operators.
CREATE TABLE open_chats (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    host_id BIGINT NOT NULL REFERENCES users (id),
    -- How the host appears in every room of the chat.
    host_shown BIGINT NOT NULL,
    host_nickname TEXT NOT NULL,
    host_avatar_seed TEXT,
    host_real BIGINT NOT NULL,
    -- A group's one room (1:1 chats have one room per visitor).
    room_id BIGINT REFERENCES rooms (id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    hashtags TEXT NOT NULL,
    category TEXT NOT NULL,
    cover TEXT,
    visibility TEXT NOT NULL,
    link_code TEXT NOT NULL UNIQUE,
    entry_code_hash TEXT,
    real_profile_only BIGINT NOT NULL,
    member_cap BIGINT NOT NULL,
    conversations BIGINT NOT NULL DEFAULT 0,
    notice_seq BIGINT,
    banned_words TEXT NOT NULL DEFAULT '[]',
    closed_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX open_chats_host ON open_chats (host_id);
CREATE INDEX open_chats_room ON open_chats (room_id);

ALTER TABLE rooms ADD COLUMN open_chat_id BIGINT;
-- A closed room keeps its history; nothing more can be sent or joined.
ALTER TABLE rooms ADD COLUMN closed_at BIGINT;
CREATE INDEX rooms_open_chat ON rooms (open_chat_id);

-- How each member of an open chat's room appears there, and their role.
CREATE TABLE open_members (
    room_id BIGINT NOT NULL REFERENCES rooms (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    open_chat_id BIGINT NOT NULL,
    nickname TEXT NOT NULL,
    avatar_seed TEXT,
    real_profile BIGINT NOT NULL,
    role TEXT NOT NULL,
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (room_id, user_id)
);
CREATE UNIQUE INDEX open_members_nickname ON open_members (room_id, nickname);
CREATE INDEX open_members_chat_user ON open_members (open_chat_id, user_id);

-- A banned account cannot come back under any nickname.
CREATE TABLE open_bans (
    id INTEGER PRIMARY KEY,
    open_chat_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    nickname TEXT NOT NULL,
    banned_by BIGINT NOT NULL,
    at BIGINT NOT NULL
);
CREATE UNIQUE INDEX open_bans_user ON open_bans (open_chat_id, user_id);

ALTER TABLE messages ADD COLUMN hidden_at BIGINT;
ALTER TABLE users ADD COLUMN operator BIGINT NOT NULL DEFAULT 0;

CREATE TABLE reports (
    id INTEGER PRIMARY KEY,
    reporter_id BIGINT NOT NULL,
    reported_id BIGINT NOT NULL,
    target TEXT NOT NULL,
    reason TEXT NOT NULL,
    details TEXT NOT NULL,
    -- What was reported, as it was when reported: evidence for operators.
    excerpt TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    resolved_at BIGINT,
    resolved_by BIGINT
);
CREATE INDEX reports_queue ON reports (resolved_at, created_at);

-- Suspension from open chats; `until` NULL is permanent.
CREATE TABLE suspensions (
    user_id BIGINT PRIMARY KEY,
    until BIGINT,
    reason TEXT NOT NULL,
    by_id BIGINT,
    created_at BIGINT NOT NULL
);
