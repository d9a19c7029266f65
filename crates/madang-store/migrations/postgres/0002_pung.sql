-- Pung: 24-hour moments. A Pung and everything about it (its audience,
-- tags, views, reactions, poll votes, photo) is deleted by the purge job
-- once it expires; messages that referred to it keep no trace of it.
-- Identity columns never hand out an id twice.
ALTER TABLE media ADD COLUMN purpose TEXT NOT NULL DEFAULT 'attachment';
ALTER TABLE messages ADD COLUMN pung_id BIGINT;
CREATE INDEX messages_pung ON messages (pung_id) WHERE pung_id IS NOT NULL;
CREATE INDEX media_purpose ON media (purpose, created_at);

CREATE TABLE pungs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    author_id BIGINT NOT NULL REFERENCES users (id),
    client_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    background TEXT,
    media_id TEXT UNIQUE,
    layers TEXT NOT NULL,
    audience TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX pungs_client ON pungs (author_id, client_id);
CREATE INDEX pungs_expiry ON pungs (expires_at);
CREATE INDEX pungs_author ON pungs (author_id, expires_at);

-- Who may see each Pung, fixed when it was posted.
CREATE TABLE pung_audience (
    pung_id BIGINT NOT NULL REFERENCES pungs (id),
    user_id BIGINT NOT NULL,
    PRIMARY KEY (pung_id, user_id)
);
CREATE INDEX pung_audience_user ON pung_audience (user_id, pung_id);

CREATE TABLE pung_tags (
    pung_id BIGINT NOT NULL REFERENCES pungs (id),
    user_id BIGINT NOT NULL,
    PRIMARY KEY (pung_id, user_id)
);

CREATE TABLE pung_views (
    pung_id BIGINT NOT NULL REFERENCES pungs (id),
    user_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (pung_id, user_id)
);

CREATE TABLE pung_reactions (
    pung_id BIGINT NOT NULL REFERENCES pungs (id),
    user_id BIGINT NOT NULL,
    emoji TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (pung_id, user_id, emoji)
);

CREATE TABLE pung_votes (
    pung_id BIGINT NOT NULL REFERENCES pungs (id),
    user_id BIGINT NOT NULL,
    choice BIGINT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (pung_id, user_id)
);

-- Keys of blobs whose rows are already gone, until the files are deleted:
-- a crash between the two cannot leave a file behind for good.
CREATE TABLE blob_trash (
    key TEXT PRIMARY KEY,
    at BIGINT NOT NULL
);
