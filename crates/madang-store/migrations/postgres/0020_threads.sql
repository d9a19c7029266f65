-- Comment threads in open chats (issue 33). A comment is a message of its
-- room: it takes the room's next seq, so the socket, catch-up, moderation,
-- screening and search treat it as any message. It names the message it
-- is under (thread_root) and has its place in that thread (thread_seq: 1,
-- 2, … under each root); the root counts its comments (comment_count),
-- raised in the comment's own transaction. Comments are not in the room's
-- timeline and not in its unread count.
ALTER TABLE messages ADD COLUMN thread_root BIGINT;
ALTER TABLE messages ADD COLUMN thread_seq BIGINT;
ALTER TABLE messages ADD COLUMN comment_count BIGINT NOT NULL DEFAULT 0;
CREATE INDEX messages_thread ON messages (room_id, thread_root, seq) WHERE thread_root IS NOT NULL;

-- Each member's cursor in a thread they follow (a thread_seq). Private to
-- its member, gone when they leave the room.
CREATE TABLE thread_reads (
    room_id BIGINT NOT NULL,
    root_seq BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    read_seq BIGINT NOT NULL,
    PRIMARY KEY (room_id, root_seq, user_id)
);
