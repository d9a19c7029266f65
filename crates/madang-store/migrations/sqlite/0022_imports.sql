-- History brought from another messenger (issue 30): a KakaoTalk or
-- WhatsApp export, written before a room's live messages.

-- One import of one chat by one person. sha256: of the chat's text, so the
-- same chat imported again (as a .txt or in its zip) is found and nothing
-- is written twice.
CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    sha256 TEXT NOT NULL,
    room_id BIGINT NOT NULL REFERENCES rooms (id),
    format TEXT NOT NULL,
    messages BIGINT NOT NULL,
    media BIGINT NOT NULL,
    first_seq BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX imports_file ON imports (user_id, sha256);

-- Imported history takes the seqs below a room's first (seqs only grow for
-- live messages, so no cursor, unread count or catch-up sees it as new):
-- the lowest seq an import took, 1 while there was none.
ALTER TABLE rooms ADD COLUMN imported_from BIGINT NOT NULL DEFAULT 1;

-- An imported message: its import, and the name the export gave a sender
-- the importing person kept as a name only (the message is then stored
-- under their own account and shown under that name).
ALTER TABLE messages ADD COLUMN import_id BIGINT;
ALTER TABLE messages ADD COLUMN imported_name TEXT;
