-- The on-box assistant. The server speaks as one account: its handle
-- starts with '@', which no handle a person signs up with may, and it has
-- no password, so nobody can log in as it. A group chat it was added to
-- names it in `assistant_id`. It is not a member: it counts in no unread
-- number, and answers only messages that mention it.
INSERT INTO users (handle, password_hash, display_name, created_at)
VALUES ('@assistant', '', 'Assistant', 0);

ALTER TABLE rooms ADD COLUMN assistant_id BIGINT REFERENCES users (id);
