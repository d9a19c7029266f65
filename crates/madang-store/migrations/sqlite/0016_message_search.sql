-- Message search (issue 33). Each message's searchable text is stored as
-- the project's own tokens (madang-search's tokenizer: Hangul pairs that
-- bridge spaces, single syllables, lower-cased words), space-separated,
-- so FTS5's `ascii` tokenizer only splits on the spaces; `room` holds
-- `r<room id>`, so a query keeps to the asker's rooms inside the index.
-- The index keeps no copy of the text (contentless). A message's tokens
-- leave it with FTS5's 'delete' command, given the same tokens it was
-- indexed with (the store reads the text before an edit or a deletion
-- changes it).
CREATE TABLE message_search_rows (
    id INTEGER PRIMARY KEY,
    room_id BIGINT NOT NULL,
    seq BIGINT NOT NULL
);
CREATE UNIQUE INDEX message_search_rows_message ON message_search_rows (room_id, seq);

CREATE VIRTUAL TABLE message_search USING fts5 (
    body, room, content = '', tokenize = 'ascii', prefix = '2 3'
);
-- A deleted row's tokens are taken out of the index's pages at once,
-- not left under a tombstone until a merge (with the database's
-- secure_delete, the freed bytes are overwritten).
INSERT INTO message_search (message_search, rank) VALUES ('secure-delete', 1);

-- One row once the messages written before this table existed were
-- indexed (at the first start after the upgrade).
CREATE TABLE search_backfill (
    indexed BIGINT NOT NULL
);
