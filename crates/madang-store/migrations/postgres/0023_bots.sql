-- Bots (issue 31): an account a person owns, signed in by a token only.
-- NULL for a person's own account.
ALTER TABLE users ADD COLUMN bot_owner BIGINT REFERENCES users (id);
CREATE INDEX users_bot_owner ON users (bot_owner);
-- An open chat's host may keep bots out (people only).
ALTER TABLE open_chats ADD COLUMN bots_allowed BIGINT NOT NULL DEFAULT 1;
