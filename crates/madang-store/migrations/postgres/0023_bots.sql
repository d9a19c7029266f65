-- Bots (issue 31): an account a person owns, signed in by a token only.
-- NULL for a person's own account.
ALTER TABLE users ADD COLUMN bot_owner BIGINT REFERENCES users (id);
CREATE INDEX users_bot_owner ON users (bot_owner);
