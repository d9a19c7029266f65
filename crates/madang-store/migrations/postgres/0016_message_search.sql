-- Message search (issue 33). Each message's searchable text is stored as
-- the project's own tokens (madang-search's tokenizer: Hangul pairs that
-- bridge spaces, single syllables, lower-cased words) made into a
-- tsvector with array_to_tsvector, which applies no parser, so the
-- database's locale cannot drop Hangul; `#<room id>` is one more lexeme,
-- so a query keeps to the asker's rooms inside the GIN index. The text
-- itself is not copied, and a deleted message's row is removed.
CREATE TABLE message_search (
    id BIGSERIAL PRIMARY KEY,
    room_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    doc TSVECTOR NOT NULL
);
CREATE UNIQUE INDEX message_search_message ON message_search (room_id, seq);
CREATE INDEX message_search_doc ON message_search USING GIN (doc);

-- One row once the messages written before this table existed were
-- indexed (at the first start after the upgrade).
CREATE TABLE search_backfill (
    indexed BIGINT NOT NULL
);
