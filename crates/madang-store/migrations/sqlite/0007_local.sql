-- Local shops and business channels: businesses and their agents,
-- channels people add as friends (with separate consents), shops with a
-- place (H3 cells at several resolutions are the geo index), regulars,
-- coupons and their claims.

CREATE TABLE businesses (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    owner_id BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL
);

-- Who works for a business: its owner and its agents.
CREATE TABLE business_agents (
    business_id BIGINT NOT NULL REFERENCES businesses (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    -- owner or agent
    role TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (business_id, user_id)
);
CREATE INDEX business_agents_user ON business_agents (user_id);

CREATE TABLE channels (
    id INTEGER PRIMARY KEY,
    business_id BIGINT NOT NULL REFERENCES businesses (id),
    -- Unique, lower case: how people find and link it.
    handle TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    avatar TEXT,
    friend_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX channels_business ON channels (business_id);

-- A person who added a channel as a friend, and what they agreed to.
-- Consents are recorded separately, each with the time it was last set.
CREATE TABLE channel_friends (
    channel_id BIGINT NOT NULL REFERENCES channels (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    added_at BIGINT NOT NULL,
    informational BIGINT NOT NULL,
    informational_at BIGINT NOT NULL,
    marketing BIGINT NOT NULL,
    marketing_at BIGINT NOT NULL,
    marketing_night BIGINT NOT NULL,
    marketing_night_at BIGINT NOT NULL,
    PRIMARY KEY (channel_id, user_id)
);
CREATE INDEX channel_friends_user ON channel_friends (user_id);

CREATE TABLE shops (
    id INTEGER PRIMARY KEY,
    business_id BIGINT NOT NULL REFERENCES businesses (id),
    channel_id BIGINT REFERENCES channels (id),
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    description TEXT NOT NULL,
    address TEXT NOT NULL,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    -- The H3 cells holding the place at resolutions 3, 5, 7 and 9.
    cell3 BIGINT NOT NULL,
    cell5 BIGINT NOT NULL,
    cell7 BIGINT NOT NULL,
    cell9 BIGINT NOT NULL,
    -- IANA zone of the place (opening hours are local).
    time_zone TEXT NOT NULL,
    -- JSON: [{"day": "mon", "open": "09:00", "close": "22:00"}, ...]
    hours TEXT NOT NULL,
    -- JSON: media ids
    photos TEXT NOT NULL,
    phone TEXT NOT NULL,
    regular_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX shops_cell3 ON shops (cell3);
CREATE INDEX shops_cell5 ON shops (cell5);
CREATE INDEX shops_cell7 ON shops (cell7);
CREATE INDEX shops_cell9 ON shops (cell9);
CREATE INDEX shops_business ON shops (business_id);

-- 단골: people who marked a shop as theirs.
CREATE TABLE shop_regulars (
    shop_id BIGINT NOT NULL REFERENCES shops (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    since BIGINT NOT NULL,
    PRIMARY KEY (shop_id, user_id)
);
CREATE INDEX shop_regulars_user ON shop_regulars (user_id);

CREATE TABLE coupons (
    id INTEGER PRIMARY KEY,
    shop_id BIGINT NOT NULL REFERENCES shops (id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    -- How many may ever be claimed, and how many have been: claiming
    -- moves `claimed` under the row's lock and never past `quantity`.
    quantity BIGINT NOT NULL,
    claimed BIGINT NOT NULL DEFAULT 0,
    per_person BIGINT NOT NULL,
    regulars_only BIGINT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX coupons_shop ON coupons (shop_id);

-- A claimed coupon: redeemed once, by its code, at the shop.
CREATE TABLE coupon_claims (
    id INTEGER PRIMARY KEY,
    coupon_id BIGINT NOT NULL REFERENCES coupons (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    code TEXT NOT NULL UNIQUE,
    claimed_at BIGINT NOT NULL,
    redeemed_at BIGINT,
    redeemed_by BIGINT REFERENCES users (id)
);
CREATE INDEX coupon_claims_user ON coupon_claims (user_id, coupon_id);
