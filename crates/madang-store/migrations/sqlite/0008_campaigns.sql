-- Channel rooms and the shared inbox, campaigns and what each recipient
-- got, the one-ad-a-day record, and what segments and the ad rules need to
-- know about a person: their time zone, their neighbourhood, and the tags
-- and attributes a business keeps about its friends.

-- IANA zone; NULL means the server's default zone.
ALTER TABLE users ADD COLUMN time_zone TEXT;
-- The neighbourhood a person set (a point), for nearby shops and for
-- campaigns to a region; NULL when they never set one.
ALTER TABLE users ADD COLUMN home_lat REAL;
ALTER TABLE users ADD COLUMN home_lon REAL;

-- A person's room with a channel.
ALTER TABLE rooms ADD COLUMN channel_id BIGINT;
-- The campaign a message was sent by (for the opt-out button and stats).
ALTER TABLE messages ADD COLUMN campaign_id BIGINT;

-- What the business keeps about a friend: JSON array of tags, JSON
-- object of attributes (template variables and segment filters).
ALTER TABLE channel_friends ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE channel_friends ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';

-- One per person and channel: the room, and its state in the business's
-- shared inbox.
CREATE TABLE channel_rooms (
    room_id BIGINT PRIMARY KEY REFERENCES rooms (id),
    channel_id BIGINT NOT NULL REFERENCES channels (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    -- idle (the person has not written), open, closed
    status TEXT NOT NULL,
    assignee_id BIGINT REFERENCES users (id),
    -- How far the business has read.
    read_seq BIGINT NOT NULL DEFAULT 0,
    last_customer_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX channel_rooms_pair ON channel_rooms (channel_id, user_id);
CREATE INDEX channel_rooms_inbox ON channel_rooms (channel_id, status, updated_at);

-- What a channel posts on its page.
CREATE TABLE channel_posts (
    id INTEGER PRIMARY KEY,
    channel_id BIGINT NOT NULL REFERENCES channels (id),
    author_id BIGINT NOT NULL REFERENCES users (id),
    text TEXT NOT NULL,
    -- JSON: media ids
    photos TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX channel_posts_channel ON channel_posts (channel_id, id);

CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY,
    channel_id BIGINT NOT NULL REFERENCES channels (id),
    created_by BIGINT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    -- informational or advertising
    kind TEXT NOT NULL,
    template TEXT NOT NULL,
    -- JSON object: values the same for every recipient.
    variables TEXT NOT NULL,
    -- JSON array: the recipient attributes the template uses.
    attributes TEXT NOT NULL,
    -- JSON: who receives it.
    segment TEXT NOT NULL,
    send_at BIGINT NOT NULL,
    -- scheduled, sending, waiting (only deferred ones left), done, cancelled
    status TEXT NOT NULL,
    -- The first pass walks the channel's friends by user id: the last id
    -- passed, and how many of how many.
    after_user BIGINT NOT NULL DEFAULT 0,
    passed BIGINT NOT NULL DEFAULT 0,
    audience BIGINT NOT NULL DEFAULT 0,
    targeted BIGINT NOT NULL DEFAULT 0,
    delivered BIGINT NOT NULL DEFAULT 0,
    deferred BIGINT NOT NULL DEFAULT 0,
    skipped BIGINT NOT NULL DEFAULT 0,
    opted_out BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT
);
CREATE INDEX campaigns_channel ON campaigns (channel_id, created_at);
CREATE INDEX campaigns_due ON campaigns (status, send_at);

-- Each person a campaign targeted, once: delivered (with the message),
-- deferred (until when) or skipped (why).
CREATE TABLE campaign_recipients (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    status TEXT NOT NULL,
    reason TEXT,
    room_id BIGINT,
    seq BIGINT,
    due_at BIGINT,
    at BIGINT NOT NULL,
    opted_out_at BIGINT,
    PRIMARY KEY (campaign_id, user_id)
);
CREATE INDEX campaign_recipients_due ON campaign_recipients (campaign_id, status, due_at);

-- Skips by reason, per campaign.
CREATE TABLE campaign_skips (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    reason TEXT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, reason)
);

-- At most one advertising message per person per day: the day is the
-- person's local date as YYYYMMDD.
CREATE TABLE ad_receipts (
    user_id BIGINT NOT NULL REFERENCES users (id),
    day BIGINT NOT NULL,
    campaign_id BIGINT NOT NULL,
    PRIMARY KEY (user_id, day)
);
