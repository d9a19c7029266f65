-- Room identities. A member is recorded and shown in a room under
-- `shown_id`: the account's id in ordinary rooms; in an open chat, a
-- random negative persona id unless the member chose their real profile.
-- Messages keep the real sender (for unread counts, retries and
-- moderation) and the id they are shown under.
ALTER TABLE room_members ADD COLUMN shown_id BIGINT;
UPDATE room_members SET shown_id = user_id;
CREATE UNIQUE INDEX room_members_shown ON room_members (room_id, shown_id);
ALTER TABLE messages ADD COLUMN shown_id BIGINT;
