-- Earnings: subscription tiers and subscriptions, sponsored messages and
-- banners, and the money ledger.

-- Joining needs an active subscription to one of the chat's tiers.
ALTER TABLE open_chats ADD COLUMN subscription_required BIGINT NOT NULL DEFAULT 0;

CREATE TABLE open_tiers (
    id INTEGER PRIMARY KEY,
    open_chat_id BIGINT NOT NULL REFERENCES open_chats (id),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    -- Integer minor units of the server's currency, per period.
    price BIGINT NOT NULL,
    period_days BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    -- A retired tier takes no new subscribers; existing ones keep it
    -- until they cancel.
    retired_at BIGINT
);
CREATE INDEX open_tiers_chat ON open_tiers (open_chat_id);

-- One row per person and open chat: the current (or last) subscription.
CREATE TABLE subscriptions (
    id INTEGER PRIMARY KEY,
    open_chat_id BIGINT NOT NULL REFERENCES open_chats (id),
    tier_id BIGINT NOT NULL REFERENCES open_tiers (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    -- The provider's reference to the stored payment method.
    payment_method TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    period_end BIGINT NOT NULL,
    renews BIGINT NOT NULL,
    -- Number of periods paid; part of each renewal's idempotency key.
    periods BIGINT NOT NULL,
    -- A renewal in progress on some node, until this time.
    claimed_until BIGINT NOT NULL DEFAULT 0,
    -- Why it stopped renewing: cancelled, declined, tier_retired.
    ended_reason TEXT
);
CREATE UNIQUE INDEX subscriptions_user ON subscriptions (open_chat_id, user_id);
CREATE INDEX subscriptions_due ON subscriptions (renews, period_end);

-- Money, double-entry: each transaction's entries sum to zero; nothing is
-- ever updated or deleted. `balance` caches the sum of an account's entries,
-- moved in the same transaction, so that an account that may not go
-- negative (an advertiser's prepaid budget) can never be overdrawn.
CREATE TABLE ledger_accounts (
    id INTEGER PRIMARY KEY,
    -- 'platform:revenue', 'provider:test', 'host:42', 'ad:7'
    key TEXT NOT NULL UNIQUE,
    may_go_negative BIGINT NOT NULL,
    balance BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE TABLE ledger_txns (
    id INTEGER PRIMARY KEY,
    -- subscription, ad_impression, ad_click, ad_funding
    kind TEXT NOT NULL,
    -- Set when posting the same transaction twice must be a no-op.
    idempotency_key TEXT UNIQUE,
    open_chat_id BIGINT,
    -- UTC month, 'YYYY-MM', for reports.
    month TEXT NOT NULL,
    memo TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX ledger_txns_chat ON ledger_txns (open_chat_id, month);
CREATE TABLE ledger_entries (
    id INTEGER PRIMARY KEY,
    txn_id BIGINT NOT NULL REFERENCES ledger_txns (id),
    account_id BIGINT NOT NULL REFERENCES ledger_accounts (id),
    amount BIGINT NOT NULL
);
CREATE INDEX ledger_entries_account ON ledger_entries (account_id, txn_id);
CREATE INDEX ledger_entries_txn ON ledger_entries (txn_id);

CREATE TRIGGER ledger_txns_append_only_u BEFORE UPDATE ON ledger_txns
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_txns_append_only_d BEFORE DELETE ON ledger_txns
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_entries_append_only_u BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_entries_append_only_d BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;

-- Sponsored messages and banners, defined by operators.
CREATE TABLE ads (
    id INTEGER PRIMARY KEY,
    advertiser TEXT NOT NULL,
    format TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    link TEXT NOT NULL,
    -- JSON arrays; both empty: shown anywhere.
    categories TEXT NOT NULL,
    hashtags TEXT NOT NULL,
    price_impression BIGINT NOT NULL,
    price_click BIGINT NOT NULL,
    -- Its prepaid budget is this ledger account.
    account_id BIGINT NOT NULL REFERENCES ledger_accounts (id),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT,
    paused_at BIGINT,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- One ad placed before one person in one room; an impression and a click
-- are counted (and paid) at most once each.
CREATE TABLE ad_placements (
    id INTEGER PRIMARY KEY,
    ad_id BIGINT NOT NULL REFERENCES ads (id),
    user_id BIGINT NOT NULL,
    room_id BIGINT NOT NULL,
    open_chat_id BIGINT NOT NULL,
    host_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    impressed_at BIGINT,
    clicked_at BIGINT
);
CREATE INDEX ad_placements_user ON ad_placements (user_id, room_id, created_at);
CREATE INDEX ad_placements_ad ON ad_placements (ad_id);
