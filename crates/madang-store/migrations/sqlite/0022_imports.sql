-- History carried in and out (issue 30): imports of a KakaoTalk or
-- WhatsApp export, written before a room's live messages, and exports.

-- One import of one chat by one person. sha256: of the chat's text, so the
-- same chat imported again (as a .txt or in its zip) is found and nothing
-- is written twice. state: 'writing' while its messages go in, in several
-- transactions, unseen until the last; 'done' after.
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
    state TEXT NOT NULL,
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

-- A person's export (a room's history as .txt, JSON or HTML, or their
-- whole account), built by whichever node claims it, kept in the media
-- store under blob_key until expires_at, and fetched with token.
CREATE TABLE exports (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    room_id BIGINT,
    format TEXT NOT NULL,
    state TEXT NOT NULL,
    done BIGINT NOT NULL DEFAULT 0,
    total BIGINT NOT NULL DEFAULT 0,
    token TEXT NOT NULL,
    blob_key TEXT,
    file_name TEXT,
    size BIGINT,
    error TEXT,
    claimed_until BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    finished_at BIGINT,
    expires_at BIGINT
);
CREATE INDEX exports_user ON exports (user_id, id);
CREATE INDEX exports_state ON exports (state, claimed_until);
